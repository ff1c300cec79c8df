//! Storage on two engines from one code base.
//!
//! Every query is written once inside [`db_run!`], which expands it for SQLite and for
//! PostgreSQL, so statements one engine spells differently (upserts, `RETURNING`,
//! batch inserts) compile on both. Query functions take `&mut DbConn`, so the same
//! function runs inside or outside [`DbConn::transaction`].

pub mod batch;
pub mod schema;
pub mod text;

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseSettings;
use crate::error::AppError;
use crate::sealing::{AnswerKeys, KeySource};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

pub type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;
pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// A pooled connection to whichever engine is configured.
pub enum DbConn {
    Sqlite(SqliteConn),
    Postgres(PgConn),
}

/// A pooled SQLite connection with the pool's writer lock and the answer key.
///
/// SQLite has one writer at a time. Writers queue on this lock in the process rather than
/// on SQLite's busy handler, which sleeps in steps of up to 100 ms and turns contention
/// into long tails.
pub struct SqliteConn {
    conn: PooledConnection<ConnectionManager<SqliteConnection>>,
    writer: Arc<Mutex<()>>,
    keys: Arc<AnswerKeys>,
}

/// A pooled PostgreSQL connection and the answer key.
pub struct PgConn {
    conn: PooledConnection<ConnectionManager<PgConnection>>,
    keys: Arc<AnswerKeys>,
    /// A connection to the read replica, which may lag behind the primary.
    replica: bool,
}

impl Deref for PgConn {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

impl Deref for SqliteConn {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl DerefMut for SqliteConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

/// Runs one body against the concrete connection of either engine.
///
/// `db_run!(conn, |c| { ... })` binds `c` to `&mut SqliteConnection` or `&mut PgConnection`
/// and compiles the body once for each.
#[macro_export]
macro_rules! db_run {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(pooled) => {
                let $c: &mut ::diesel::SqliteConnection = &mut *pooled;
                $body
            }
            $crate::db::DbConn::Postgres(pooled) => {
                let $c: &mut ::diesel::PgConnection = &mut *pooled;
                $body
            }
        }
    };
}

impl DbConn {
    pub fn engine(&self) -> Engine {
        match self {
            Self::Sqlite(_) => Engine::Sqlite,
            Self::Postgres(_) => Engine::Postgres,
        }
    }

    /// Whether this is a connection to the read replica, which may not have replayed the
    /// primary's latest commits.
    pub fn is_replica(&self) -> bool {
        matches!(self, Self::Postgres(c) if c.replica)
    }

    /// The answer key: what stored answers are sealed with. It travels with the
    /// connection, never into the database.
    pub fn keys(&self) -> &AnswerKeys {
        match self {
            Self::Sqlite(c) => &c.keys,
            Self::Postgres(c) => &c.keys,
        }
    }

    /// The answer key, for work handed to another thread.
    pub fn shared_keys(&self) -> Arc<AnswerKeys> {
        match self {
            Self::Sqlite(c) => Arc::clone(&c.keys),
            Self::Postgres(c) => Arc::clone(&c.keys),
        }
    }

    /// Runs `f` in one transaction: all of its writes land, or none.
    ///
    /// On SQLite the outermost transaction takes the pool's writer lock, then starts with
    /// `BEGIN IMMEDIATE`, taking SQLite's write lock up front so that a writer never fails
    /// on upgrade. Nested calls become savepoints.
    pub fn transaction<T, E>(&mut self, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        let writer = match self {
            Self::Sqlite(c) => {
                let outermost =
                    AnsiTransactionManager::transaction_manager_status_mut(&mut **c).transaction_depth()?.is_none();
                outermost.then(|| Arc::clone(&c.writer))
            }
            Self::Postgres(_) => None,
        };
        let _writing = writer.as_ref().map(|w| w.lock().unwrap_or_else(|e| e.into_inner()));
        match self {
            Self::Sqlite(c) if writer.is_some() => {
                AnsiTransactionManager::begin_transaction_sql(&mut **c, "BEGIN IMMEDIATE")?
            }
            Self::Sqlite(c) => AnsiTransactionManager::begin_transaction(&mut **c)?,
            Self::Postgres(c) => AnsiTransactionManager::begin_transaction(&mut **c)?,
        }
        match f(self) {
            Ok(value) => {
                db_run!(self, |c| AnsiTransactionManager::commit_transaction(c))?;
                Ok(value)
            }
            Err(err) => {
                // The caller's error is what matters; a failed rollback marks the
                // connection broken and the pool drops it.
                let _ = db_run!(self, |c| AnsiTransactionManager::rollback_transaction(c));
                Err(err)
            }
        }
    }

    /// Applies every pending migration of this engine.
    pub fn run_migrations(&mut self) -> Result<usize, AppError> {
        let applied = match self {
            Self::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
            Self::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
        };
        applied.map_err(|e| AppError::internal(format!("migration failed: {e}")))
    }

    /// After a cycle closes: make the engine drop what deleted rows left behind, so the
    /// rows rewritten at close are all that remains. SQLite copies the WAL into the
    /// database and truncates it; PostgreSQL vacuums the tables that lost rows.
    pub fn purge_deleted_rows(&mut self) -> Result<(), AppError> {
        match self {
            Self::Sqlite(c) => c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")?,
            Self::Postgres(c) => c.batch_execute("VACUUM (ANALYZE) answer_sets, response_drafts, invitations")?,
        }
        Ok(())
    }

    /// A trivial round trip, for readiness checks.
    pub fn ping(&mut self) -> Result<(), AppError> {
        db_run!(self, |c| c.batch_execute("SELECT 1"))?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The connection pool of whichever engine `DATABASE_URL` names, with the answer key
/// every connection carries.
#[derive(Clone)]
pub struct DbPool {
    engine: EnginePool,
    keys: Arc<AnswerKeys>,
    /// A read-only replica of the PostgreSQL primary, for [`DbPool::run_read`].
    replica: Option<Replica>,
    /// How long requests have waited for the primary's connections, for `/metrics`.
    waits: Arc<PoolWaits>,
}

/// The read replica's pool, and until when it is left alone after it could not be reached.
#[derive(Clone)]
struct Replica {
    pool: PgPool,
    /// Milliseconds since the Unix epoch; reads before then go to the primary.
    resting_until: Arc<AtomicU64>,
}

/// How long reads go to the primary after the replica could not be reached.
const REPLICA_REST: Duration = Duration::from_secs(10);

fn epoch_millis() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

/// Connections taken from the primary's pool and the time spent waiting for them.
#[derive(Default)]
struct PoolWaits {
    acquired: AtomicU64,
    waited_nanos: AtomicU64,
}

#[derive(Clone)]
enum EnginePool {
    /// The pool and the lock its writers take in turn.
    Sqlite(SqlitePool, Arc<Mutex<()>>),
    Postgres(PgPool),
}

/// The SQLite settings every connection gets: WAL so readers never block the writer,
/// foreign keys enforced, a busy timeout instead of immediate `SQLITE_BUSY`, a full sync
/// on commit so an acknowledged write survives a power cut, and deleted content
/// overwritten (a removed draft or pre-close answer row must not linger in free pages).
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
             PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA temp_store = FILE;",
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A parsed `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path (`sqlite://data/rt.db` is relative, `sqlite:///var/lib/rt.db` absolute).
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_string()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://data/roundtable.db".into());
            }
            Ok(Self::Sqlite(path.to_string()))
        } else {
            Err(format!("unsupported database URL {url:?}: use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB"))
        }
    }
}

impl DbPool {
    /// Opens the pool (creating the SQLite file and its folder if needed) and applies migrations.
    ///
    /// On PostgreSQL every connection is opened up front and kept: opened on demand, a
    /// burst waited while PostgreSQL started a backend for each (BENCHMARKS.md, before and
    /// after). SQLite connections open in microseconds and are opened as needed.
    pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let keys = AnswerKeys::load(&key_source(settings)?, &settings.previous_answer_key_files)?;
        let mut pool = Self::open(settings, settings.db_pool_size.max(1), true, keys)?;
        if let Some(url) = settings.read_database_url.as_deref().filter(|u| !u.is_empty()) {
            pool.replica = Some(open_replica(&pool, url, settings)?);
        }
        Ok(pool)
    }

    /// One connection for a command that runs and exits. The pool keeps no idle
    /// connection of its own: were one being opened in the pool's background thread when
    /// the process exits, the PostgreSQL client library could crash at exit.
    ///
    /// A command that touches no answer (`migrate`, `orgs create`, `keys rotate`) runs
    /// without an answer key; one that does fails, saying why there is none.
    pub fn connect_for_command(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let keys = key_source(settings)
            .and_then(|source| AnswerKeys::load(&source, &settings.previous_answer_key_files))
            .unwrap_or_else(|e| AnswerKeys::absent(e.to_string()));
        Self::open(settings, 1, false, keys)
    }

    /// `keep_open`: whether the pool keeps connections open while idle (one on SQLite,
    /// all of them on PostgreSQL) or none.
    fn open(settings: &DatabaseSettings, max_size: u32, keep_open: bool, keys: AnswerKeys) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(settings.db_timeout_secs.max(1));
        let keys = Arc::new(keys);
        let engine = match DatabaseUrl::parse(&settings.database_url).map_err(anyhow::Error::msg)? {
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = std::path::Path::new(&path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent)?;
                }
                let manager = ConnectionManager::<SqliteConnection>::new(path);
                let pool = Pool::builder()
                    .max_size(max_size)
                    .min_idle(Some(u32::from(keep_open)))
                    .connection_timeout(timeout)
                    .connection_customizer(Box::new(SqlitePragmas))
                    .build(manager)?;
                EnginePool::Sqlite(pool, Arc::new(Mutex::new(())))
            }
            DatabaseUrl::Postgres(url) => EnginePool::Postgres(
                Pool::builder()
                    .max_size(max_size)
                    .min_idle(Some(if keep_open { max_size } else { 0 }))
                    .connection_timeout(timeout)
                    .build(ConnectionManager::<PgConnection>::new(url))?,
            ),
        };
        let pool = Self { engine, keys, replica: None, waits: Arc::default() };
        pool.get()?.run_migrations()?;
        Ok(pool)
    }

    pub fn engine(&self) -> Engine {
        match self.engine {
            EnginePool::Sqlite(..) => Engine::Sqlite,
            EnginePool::Postgres(_) => Engine::Postgres,
        }
    }

    /// The answer key every connection carries.
    pub fn keys(&self) -> &AnswerKeys {
        &self.keys
    }

    /// A connection, or 503 when none frees up within the configured timeout.
    pub fn get(&self) -> Result<DbConn, AppError> {
        let keys = Arc::clone(&self.keys);
        let started = std::time::Instant::now();
        let got = match &self.engine {
            EnginePool::Sqlite(p, writer) => {
                p.get().map(|conn| DbConn::Sqlite(SqliteConn { conn, writer: Arc::clone(writer), keys }))
            }
            EnginePool::Postgres(p) => p.get().map(|conn| DbConn::Postgres(PgConn { conn, keys, replica: false })),
        };
        let waited = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.waits.waited_nanos.fetch_add(waited, Ordering::Relaxed);
        if got.is_ok() {
            self.waits.acquired.fetch_add(1, Ordering::Relaxed);
        }
        got.map_err(|e| AppError::Unavailable(e.to_string()))
    }

    /// Runs blocking database work on the blocking thread pool, off the async workers.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.clone();
        Self::block(move || f(&mut pool.get()?)).await
    }

    /// [`DbPool::run`] on the read replica when one is configured, else on the primary.
    /// Only for reads whose answer a replica's lag cannot make wrong: `f` answers 404 or
    /// 409 for what the replica has not replayed yet (see `cycles::replayed_close`), and
    /// that, like a replica out of reach, is asked again of the primary.
    async fn run_read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: Fn(&mut DbConn) -> Result<T, AppError> + Send + Sync + 'static,
        T: Send + 'static,
    {
        let Some(replica) = self.replica.clone() else { return self.run(f).await };
        if epoch_millis() < replica.resting_until.load(Ordering::Relaxed) {
            return self.run(f).await;
        }
        let (f, keys) = (Arc::new(f), Arc::clone(&self.keys));
        let (on_replica, pool) = (Arc::clone(&f), replica.pool.clone());
        let answer = Self::block(move || {
            let conn = pool.get().map_err(|e| AppError::Unavailable(format!("the read replica: {e}")))?;
            on_replica(&mut DbConn::Postgres(PgConn { conn, keys, replica: true }))
        })
        .await;
        match answer {
            // Missing or not yet there (lag): the primary may have it.
            Err(AppError::NotFound | AppError::Conflict { .. }) => self.run(move |conn| f(conn)).await,
            // Out of reach: the primary, for this read and the next few seconds'.
            Err(AppError::Unavailable(detail)) => {
                tracing::warn!(%detail, "the read replica is out of reach; reading the primary for a while");
                let until = epoch_millis() + u64::try_from(REPLICA_REST.as_millis()).unwrap_or(u64::MAX);
                replica.resting_until.store(until, Ordering::Relaxed);
                self.run(move |conn| f(conn)).await
            }
            answer => answer,
        }
    }

    /// `decide` on the primary (who may read what), then `read` with what it decided: on
    /// the replica as [`DbPool::run_read`] when there is one, else on the same
    /// connection, in one trip to the blocking pool.
    pub async fn run_then_read<A, T, D, R>(&self, decide: D, read: R) -> Result<(A, T), AppError>
    where
        D: FnOnce(&mut DbConn) -> Result<A, AppError> + Send + 'static,
        R: Fn(&mut DbConn, &A) -> Result<T, AppError> + Send + Sync + 'static,
        A: Clone + Send + Sync + 'static,
        T: Send + 'static,
    {
        if self.replica.is_none() {
            return self
                .run(move |conn| {
                    let decided = decide(conn)?;
                    let value = read(conn, &decided)?;
                    Ok((decided, value))
                })
                .await;
        }
        let decided = self.run(decide).await?;
        let given = decided.clone();
        let value = self.run_read(move |conn| read(conn, &given)).await?;
        Ok((decided, value))
    }

    /// The primary pool's figures in Prometheus text: connections open and idle, taken,
    /// and the time spent waiting for them.
    pub fn metrics(&self) -> String {
        let state = match &self.engine {
            EnginePool::Sqlite(p, ..) => p.state(),
            EnginePool::Postgres(p) => p.state(),
        };
        let waited = self.waits.waited_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let acquired = self.waits.acquired.load(Ordering::Relaxed);
        format!(
            "# HELP roundtable_db_pool_connections Connections of the database pool, by state.\n\
             # TYPE roundtable_db_pool_connections gauge\n\
             roundtable_db_pool_connections{{state=\"in_use\"}} {}\n\
             roundtable_db_pool_connections{{state=\"idle\"}} {}\n\
             # HELP roundtable_db_pool_acquired_total Connections taken from the pool.\n\
             # TYPE roundtable_db_pool_acquired_total counter\n\
             roundtable_db_pool_acquired_total {acquired}\n\
             # HELP roundtable_db_pool_wait_seconds_total Time spent waiting for a connection.\n\
             # TYPE roundtable_db_pool_wait_seconds_total counter\n\
             roundtable_db_pool_wait_seconds_total {waited}\n",
            state.connections - state.idle_connections,
            state.idle_connections,
        )
    }

    async fn block<T: Send + 'static>(f: impl FnOnce() -> Result<T, AppError> + Send + 'static) -> Result<T, AppError> {
        actix_web::web::block(f).await.map_err(AppError::internal)?
    }

    /// [`DbPool::run`] inside one transaction.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| conn.transaction(f)).await
    }
}

/// The pool of a read replica of `primary` (a physical standby, which replays each of the
/// primary's transactions whole), keeping every connection open like the primary's, and
/// never migrated: a standby replays the primary's migrations itself.
fn open_replica(primary: &DbPool, url: &str, settings: &DatabaseSettings) -> anyhow::Result<Replica> {
    if primary.engine() != Engine::Postgres || !matches!(DatabaseUrl::parse(url), Ok(DatabaseUrl::Postgres(_))) {
        anyhow::bail!("a read replica (ROUNDTABLE_READ_DATABASE_URL) is a postgres:// URL beside a PostgreSQL primary");
    }
    // Opened in the background: a replica out of reach must not keep the service from
    // starting, and while it is, reads go to the primary after waiting a second at most.
    let size = settings.db_pool_size.max(1);
    let pool = Pool::builder()
        .max_size(size)
        .min_idle(Some(size))
        .connection_timeout(Duration::from_secs(1))
        .build_unchecked(ConnectionManager::<PgConnection>::new(url));
    Ok(Replica { pool, resting_until: Arc::default() })
}

/// Where the answer key comes from: the configured file or value, or on SQLite a
/// file beside the database.
fn key_source(settings: &DatabaseSettings) -> anyhow::Result<KeySource> {
    if let Some(key) = &settings.answer_key {
        return Ok(KeySource::Inline(key.clone()));
    }
    if let Some(path) = &settings.answer_key_file {
        return Ok(KeySource::File { path: path.clone(), create: false });
    }
    match DatabaseUrl::parse(&settings.database_url).map_err(anyhow::Error::msg)? {
        DatabaseUrl::Sqlite(path) => {
            let dir = std::path::Path::new(&path).parent().unwrap_or(std::path::Path::new(""));
            Ok(KeySource::File { path: dir.join("answer.key"), create: true })
        }
        DatabaseUrl::Postgres(_) => anyhow::bail!(
            "PostgreSQL needs the answer key: set ROUNDTABLE_ANSWER_KEY_FILE (a file holding 32 random bytes as \
             base64, e.g. from `head -c 32 /dev/urandom | base64`) or ROUNDTABLE_ANSWER_KEY, the same on \
             every instance"
        ),
    }
}

/// A fresh UUIDv7 (time-ordered) id as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Now, in UTC, at microsecond precision (what both engines store).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}
