//! Roundtable: 360-degree feedback and peer coaching for leaders.
//!
//! [`Application::build`] turns typed [`config::Settings`] into a running HTTP server;
//! `main.rs` only parses the command line.

pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod openapi;
pub mod ops;
pub mod request_id;

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::body::BoxBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::Compress;
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::DbPool;

/// What every handler can reach.
pub struct AppState {
    pub db: DbPool,
}

/// The routes with their documentation, registered in one call each so they cannot drift.
fn routes() -> (
    App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<BoxBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    >,
    utoipa::openapi::OpenApi,
) {
    App::new()
        .into_utoipa_app()
        .openapi(openapi::base())
        .service(ops::healthz)
        .service(ops::readyz)
        .service(scope::scope("/api/v1"))
        .split_for_parts()
}

/// The OpenAPI document the code serves at `/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    routes().1
}

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects to the database (applying migrations), binds the listener and builds the server.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = DbPool::connect(&settings.database)?;
        let listener = TcpListener::bind(&settings.serve.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.serve.bind))?;
        let port = listener.local_addr()?.port();

        let api = openapi_document();
        let known_routes = web::Data::new(http::KnownRoutes::from_openapi(&api));
        let state = web::Data::new(AppState { db });
        let serve = settings.serve.clone();

        let mut server = HttpServer::new(move || {
            let (app, _) = routes();
            app.app_data(state.clone())
                .app_data(known_routes.clone())
                .app_data(http::json_config(serve.max_body_bytes))
                .app_data(http::payload_config(serve.max_body_bytes))
                .app_data(http::query_config())
                .app_data(http::path_config())
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api.clone()))
                .default_service(web::to(http::fallback))
                .wrap(Compress::default())
                .wrap(cors(&serve.cors_origins))
                .wrap(request_id::RequestIdentity)
        })
        .listen(listener)?;
        if settings.serve.workers > 0 {
            server = server.workers(settings.serve.workers);
        }
        Ok(Self { port, server: server.run() })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Browsers may call the API only from the configured origins.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .filter(|o| !o.trim().is_empty())
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin.trim()))
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers(["authorization", "content-type", "idempotency-key", "if-match", request_id::HEADER])
        .expose_headers(["etag", "location", "retry-after", request_id::HEADER])
        .max_age(3600)
}
