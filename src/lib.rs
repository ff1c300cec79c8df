//! Roundtable: 360-degree feedback and peer coaching for leaders.
//!
//! [`Application::build`] turns typed [`config::Settings`] into a running HTTP server;
//! `main.rs` only parses the command line.

pub mod analytics;
pub mod anonymity;
pub mod audit;
pub mod auth;
pub mod change;
pub mod cli;
pub mod clients;
pub mod coaching;
pub mod config;
pub mod cycles;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod frameworks;
pub mod http;
pub mod idempotency;
pub mod input_guard;
pub mod lifecycle;
pub mod nullable;
pub mod oauth;
pub mod openapi;
pub mod ops;
pub mod orgs;
pub mod pagination;
pub mod people;
pub mod rate_limit;
pub mod reports;
pub mod request_id;
pub mod responses;
pub mod rng;
pub mod scim;
pub mod sealing;
pub mod security_headers;
pub mod seed;
pub mod state;
pub mod svg;
pub mod webhooks;

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::body::BoxBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::keys::KeyStore;
use crate::auth::tokens::TokenAuthority;
use crate::config::Settings;
use crate::db::DbPool;
use crate::events::ReadLog;
use crate::orgs::NewOrganization;
use crate::rate_limit::RateLimits;
use crate::state::AppState;

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
        .configure(ops::routes)
        .configure(oauth::public_routes)
        .service(
            scope::scope("/api/v1")
                .configure(oauth::routes)
                .configure(clients::routes)
                .configure(people::routes)
                .configure(audit::routes)
                .configure(frameworks::routes)
                .configure(cycles::routes)
                .configure(lifecycle::routes)
                .configure(responses::routes)
                .configure(reports::routes)
                .configure(coaching::routes)
                .configure(analytics::routes)
                .configure(webhooks::routes),
        )
        .service(scope::scope("/scim/v2").configure(scim::routes))
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
    bootstrap: Option<NewOrganization>,
    /// Stops when the server future is dropped or finishes.
    worker: Option<webhooks::Worker>,
}

impl Application {
    /// Connects to the database (applying migrations), creates the first organisation on
    /// an empty database, loads the signing keys, binds the listener and builds the server.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = DbPool::connect(&settings.database)?;
        let (bootstrap, keys) = {
            let mut conn = db.get()?;
            lifecycle::prepare_answers(&mut conn)?;
            coaching::resources::backfill_starter_sets(&mut conn)?;
            (orgs::bootstrap(&mut conn)?, KeyStore::load(&mut conn, &settings.auth)?)
        };
        let tokens = TokenAuthority::new(keys, &settings.auth)?;
        let listener = TcpListener::bind(&settings.serve.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.serve.bind))?;
        let port = listener.local_addr()?.port();

        let api = openapi_document();
        let known_routes = web::Data::new(http::KnownRoutes::from_openapi(&api));
        let tokens = web::Data::new(tokens);
        let pool = web::Data::new(db.clone());
        let submissions = web::Data::new(responses::Submissions::start(db.clone())?);
        let limits =
            web::Data::new(RateLimits::new(settings.serve.rate_limit_per_second, settings.serve.rate_limit_burst));
        let worker = settings
            .webhooks
            .deliver
            .then(|| webhooks::Worker::start(db.clone(), settings.webhooks.clone()))
            .transpose()?;
        let state = web::Data::new(AppState {
            reads: ReadLog::start(db.clone())?,
            db,
            tokens: tokens.clone(),
            client_token_ttl_secs: settings.auth.client_token_ttl_secs,
            user_token_max_ttl_secs: settings.auth.user_token_max_ttl_secs,
            max_import_bytes: settings.serve.max_import_bytes,
            webhooks_allow_private: settings.webhooks.allow_private_targets,
        });

        let serve = settings.serve.clone();

        let mut server = HttpServer::new(move || {
            let (app, _) = routes();
            app.app_data(state.clone())
                .app_data(tokens.clone())
                .app_data(pool.clone())
                .app_data(submissions.clone())
                .app_data(limits.clone())
                .app_data(known_routes.clone())
                .app_data(http::json_config(serve.max_body_bytes))
                .app_data(http::payload_config(serve.max_body_bytes))
                .app_data(http::query_config())
                .app_data(http::path_config())
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api.clone()))
                .default_service(web::to(http::fallback))
                .wrap(input_guard::RefuseNul { limit: serve.max_body_bytes })
                .wrap(from_fn(scim::errors::rewrite))
                .wrap(Compress::default())
                .wrap(cors(&serve.cors_origins))
                .wrap(ErrorHandlers::new().default_handler(http::problem_for_bare_errors))
                .wrap(from_fn(security_headers::add))
                .wrap(request_id::RequestIdentity)
        })
        .listen(listener)?;
        if settings.serve.workers > 0 {
            server = server.workers(settings.serve.workers);
        }
        Ok(Self { port, server: server.run(), bootstrap, worker })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The webhook worker, for a caller that must stop it at a moment of its own (a test,
    /// before it drops the database); otherwise it stops with the server.
    pub fn take_worker(&mut self) -> Option<webhooks::Worker> {
        self.worker.take()
    }

    /// The first organisation and its admin credentials, when this start created them.
    pub fn bootstrap(&self) -> Option<&NewOrganization> {
        self.bootstrap.as_ref()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let _worker = self.worker;
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
