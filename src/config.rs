//! Typed settings, read once from flags and `ROUNDTABLE_*` / `DATABASE_URL`.

use clap::Args;

/// Where the data lives when nothing is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/roundtable.db";

#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database to use: `sqlite://PATH` (relative or `sqlite:///absolute`) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Most connections the pool keeps open to the database.
    #[arg(long, env = "ROUNDTABLE_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: u32,

    /// Seconds a request waits for a free database connection before it answers 503.
    #[arg(long, env = "ROUNDTABLE_DB_TIMEOUT_SECS", default_value_t = 5)]
    pub db_timeout_secs: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(long, env = "ROUNDTABLE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// HTTP worker threads (0: one per core).
    #[arg(long, env = "ROUNDTABLE_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Origins allowed to call the API from a browser, comma separated (e.g. `https://app.example.com`).
    #[arg(long, env = "ROUNDTABLE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Largest request body accepted, in bytes; larger bodies answer 413.
    #[arg(long, env = "ROUNDTABLE_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Public base URL of this service, used as the `iss` of the tokens it signs.
    #[arg(long, env = "ROUNDTABLE_PUBLIC_URL", default_value = "http://localhost:8080")]
    pub public_url: String,
}

/// Everything the running service needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub serve: ServeSettings,
}
