//! Typed settings, read once from flags and `ROUNDTABLE_*` / `DATABASE_URL`.

use std::path::PathBuf;

use clap::Args;

/// Where the data lives when nothing is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/roundtable.db";
const DEFAULT_POOL_SIZE: u32 = 8;
const DEFAULT_DB_TIMEOUT_SECS: u64 = 5;

#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database to use: `sqlite://PATH` (relative or `sqlite:///absolute`) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Most connections the pool keeps open to the database. More connections than the
    /// database has cores to serve them only queue inside the database: on 2 cores, 16
    /// doubled the submissions' p99 under load against 8 (BENCHMARKS.md).
    #[arg(long, env = "ROUNDTABLE_DB_POOL_SIZE", default_value_t = DEFAULT_POOL_SIZE)]
    pub db_pool_size: u32,

    /// Seconds a request waits for a free database connection before it answers 503.
    #[arg(long, env = "ROUNDTABLE_DB_TIMEOUT_SECS", default_value_t = DEFAULT_DB_TIMEOUT_SECS)]
    pub db_timeout_secs: u64,

    /// File holding the answer key (32 random bytes as base64), which seals every stored
    /// answer and is never in the database. On SQLite it defaults to `answer.key` beside
    /// the database file, created on first start; on PostgreSQL it (or
    /// `ROUNDTABLE_ANSWER_KEY`) must be given, the same for every instance.
    #[arg(long, env = "ROUNDTABLE_ANSWER_KEY_FILE")]
    pub answer_key_file: Option<PathBuf>,

    /// The answer key itself, as base64, instead of a file.
    #[arg(long, env = "ROUNDTABLE_ANSWER_KEY", hide_env_values = true, conflicts_with = "answer_key_file")]
    pub answer_key: Option<String>,

    /// Earlier answer key files, comma separated: what they sealed still opens, and is
    /// sealed again under the current key when next rewritten.
    #[arg(long, env = "ROUNDTABLE_PREVIOUS_ANSWER_KEY_FILES", value_delimiter = ',')]
    pub previous_answer_key_files: Vec<PathBuf>,

    /// A read-only replica of the PostgreSQL database (`postgres://…`): a physical hot
    /// standby. The figures of growth reports and analytics are read there, while every
    /// write, every audit entry and every decision of who may read what stay on the primary.
    #[arg(long, env = "ROUNDTABLE_READ_DATABASE_URL")]
    pub read_database_url: Option<String>,
}

impl DatabaseSettings {
    /// Settings for `database_url` with the defaults for everything else.
    pub fn for_url(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_string(),
            db_pool_size: DEFAULT_POOL_SIZE,
            db_timeout_secs: DEFAULT_DB_TIMEOUT_SECS,
            answer_key_file: None,
            answer_key: None,
            previous_answer_key_files: Vec::new(),
            read_database_url: None,
        }
    }
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

    /// Largest bulk upsert or CSV import accepted, in bytes.
    #[arg(long, env = "ROUNDTABLE_MAX_IMPORT_BYTES", default_value_t = 33_554_432)]
    pub max_import_bytes: usize,

    /// Requests a second that each API client, each person and each invitation link may
    /// make, sustained; over it they get 429 with `Retry-After` (0: no limit).
    #[arg(long, env = "ROUNDTABLE_RATE_LIMIT_PER_SECOND", default_value_t = 50)]
    pub rate_limit_per_second: u32,

    /// Requests each of them may make at once before the sustained rate applies.
    #[arg(long, env = "ROUNDTABLE_RATE_LIMIT_BURST", default_value_t = 200)]
    pub rate_limit_burst: u32,
}

#[derive(Debug, Clone, Args)]
pub struct AuthSettings {
    /// Public base URL of this service: the `iss` of the tokens it signs. Every instance
    /// behind one load balancer must share it.
    #[arg(long, env = "ROUNDTABLE_PUBLIC_URL", default_value = "http://localhost:8080")]
    pub public_url: String,

    /// The `aud` the service puts in, and requires of, its access tokens.
    #[arg(long, env = "ROUNDTABLE_TOKEN_AUDIENCE", default_value = "roundtable")]
    pub audience: String,

    /// Ed25519 private key (PKCS#8 PEM) to sign tokens with. Without it the service keeps
    /// its keys in the database, generating one on first start.
    #[arg(long, env = "ROUNDTABLE_SIGNING_KEY_FILE")]
    pub signing_key_file: Option<PathBuf>,

    /// Further Ed25519 public keys (PEM) whose tokens still verify, comma separated: the
    /// previous signing keys during a rotation.
    #[arg(long, env = "ROUNDTABLE_VERIFY_KEY_FILES", value_delimiter = ',')]
    pub verify_key_files: Vec<PathBuf>,

    /// JSON file naming external identity providers whose user tokens are accepted.
    #[arg(long, env = "ROUNDTABLE_TRUSTED_ISSUERS_FILE")]
    pub trusted_issuers_file: Option<PathBuf>,

    /// Lifetime of access tokens issued to service clients, in seconds.
    #[arg(long, env = "ROUNDTABLE_CLIENT_TOKEN_TTL_SECS", default_value_t = 900)]
    pub client_token_ttl_secs: u64,

    /// Longest lifetime of a minted user token, in seconds.
    #[arg(long, env = "ROUNDTABLE_USER_TOKEN_MAX_TTL_SECS", default_value_t = 3600)]
    pub user_token_max_ttl_secs: u64,
}

/// The delays between a webhook delivery's attempts, in seconds: 8 attempts over about
/// 27 hours; each delay varies by up to a fifth either way.
pub const DEFAULT_WEBHOOK_RETRY_SCHEDULE: [f64; 7] = [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0];

#[derive(Debug, Clone, Args)]
pub struct WebhookSettings {
    /// Deliver webhooks to targets in loopback, private, link-local and other
    /// non-public address ranges. Off, such endpoints are refused when registered and
    /// when a delivery resolves their host.
    #[arg(long, env = "ROUNDTABLE_WEBHOOKS_ALLOW_PRIVATE_TARGETS", default_value_t = false)]
    pub allow_private_targets: bool,

    /// Whether this instance runs the delivery worker. Every instance may: they share
    /// the work through the database.
    #[arg(long, env = "ROUNDTABLE_WEBHOOKS_DELIVER", default_value_t = true, action = clap::ArgAction::Set)]
    pub deliver: bool,

    /// Milliseconds the worker waits before looking again when nothing was due.
    #[arg(long, env = "ROUNDTABLE_WEBHOOKS_POLL_MS", default_value_t = 500)]
    pub poll_ms: u64,

    /// Deliveries the worker sends at once.
    #[arg(long, env = "ROUNDTABLE_WEBHOOKS_CONCURRENCY", default_value_t = 32)]
    pub concurrency: u32,

    /// Seconds a receiver has to answer one attempt.
    #[arg(long, env = "ROUNDTABLE_WEBHOOKS_TIMEOUT_SECS", default_value_t = 10)]
    pub timeout_secs: u64,

    /// Seconds between the worker's looks for reminders and hourly counts that are due.
    #[arg(long, env = "ROUNDTABLE_WEBHOOKS_SCHEDULE_SECS", default_value_t = 15)]
    pub schedule_secs: u64,

    /// Seconds to wait after each failed attempt, comma separated; after the last one a
    /// delivery is given up.
    #[arg(long, env = "ROUNDTABLE_WEBHOOKS_RETRY_SCHEDULE", value_delimiter = ',', default_values_t = DEFAULT_WEBHOOK_RETRY_SCHEDULE)]
    pub retry_schedule: Vec<f64>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            deliver: true,
            poll_ms: 500,
            concurrency: 32,
            timeout_secs: 10,
            schedule_secs: 15,
            retry_schedule: DEFAULT_WEBHOOK_RETRY_SCHEDULE.to_vec(),
        }
    }
}

/// Everything the running service needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub serve: ServeSettings,
    pub auth: AuthSettings,
    pub webhooks: WebhookSettings,
}
