//! An organisation's analytics setting: the least subjects behind a cell.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::anonymity::{MIN_ANONYMOUS_THRESHOLD, MIN_NORM_SUBJECTS};
use crate::auth::principal::Principal;
use crate::db::schema::analytics_settings;
use crate::db::{DbConn, now};
use crate::db_run;
use crate::error::AppError;
use crate::events::{self, Event};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"min_cell": 5}))]
pub struct AnalyticsSettings {
    /// Least subjects (leaders rated) any analytics figure describes: 5 unless set, never
    /// below 3.
    #[validate(range(min = 3, max = 1000, message = "must be between 3 and 1000"))]
    #[schema(minimum = 3, maximum = 1000)]
    pub min_cell: i32,
}

/// The organisation's setting, or the default.
pub fn load(conn: &mut DbConn, org_id: &str) -> Result<AnalyticsSettings, AppError> {
    let min_cell: Option<i32> = db_run!(conn, |c| analytics_settings::table
        .find(org_id)
        .select(analytics_settings::min_cell)
        .first(c)
        .optional())?;
    let min_cell = min_cell.unwrap_or(MIN_NORM_SUBJECTS as i32).max(MIN_ANONYMOUS_THRESHOLD);
    Ok(AnalyticsSettings { min_cell })
}

/// Sets the organisation's setting (audited); every view reads it at once.
pub fn save(
    conn: &mut DbConn,
    principal: &Principal,
    settings: AnalyticsSettings,
) -> Result<AnalyticsSettings, AppError> {
    conn.transaction(|conn| {
        let at = now();
        db_run!(conn, |c| diesel::insert_into(analytics_settings::table)
            .values((
                analytics_settings::org_id.eq(&principal.org_id),
                analytics_settings::min_cell.eq(settings.min_cell),
                analytics_settings::updated_at.eq(at),
            ))
            .on_conflict(analytics_settings::org_id)
            .do_update()
            .set((analytics_settings::min_cell.eq(settings.min_cell), analytics_settings::updated_at.eq(at)))
            .execute(c))?;
        events::record(conn, principal, Event::AnalyticsSettingsChanged { min_cell: settings.min_cell })?;
        Ok(settings)
    })
}
