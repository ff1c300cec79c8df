//! Analytics for analysts: organisation-wide aggregates of closed cycles, never a figure
//! about fewer than the organisation's minimum of leaders (5 unless set, never below 3).
//!
//! One file per part: `rollup` (what closing a cycle writes), `data` (reading it back,
//! kept per process), `views` (the figures, and the rule that leaves small grains out),
//! `read` (who may read which cycle, and trends), `coaching` (impact and the silo view),
//! `export` (CSV and NDJSON), `settings`; `handlers` only translate HTTP.

mod coaching;
mod data;
mod export;
mod handlers;
mod leaders;
mod picture;
mod read;
pub mod rollup;
pub mod settings;
pub mod views;

#[cfg(test)]
mod tests;

pub use settings::AnalyticsSettings;

/// The analytics routes.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(handlers::heatmap)
        .service(handlers::heatmap_svg)
        .service(handlers::participation)
        .service(handlers::blind_spots)
        .service(handlers::trends)
        .service(handlers::coaching_impact)
        .service(handlers::silos)
        .service(handlers::get_settings)
        .service(handlers::put_settings);
}
