use diesel::{Connection, PgConnection, RunQueryDsl};
use roundtable::Application;
use roundtable::config::{DatabaseSettings, ServeSettings, Settings};
use serde_json::Value;

/// A running application on a fresh database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// Held so the database outlives the server; dropped (on PostgreSQL) at the end of the test.
    #[allow(dead_code)]
    pub database: TestDatabase,
}

/// The database a test owns; PostgreSQL ones are dropped when the test ends.
pub enum TestDatabase {
    Sqlite { url: String, _dir: tempfile::TempDir },
    Postgres { url: String, admin_url: String, name: String },
}

impl TestDatabase {
    pub fn fresh() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.trim().is_empty() => {
                let name = format!("rt_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach TEST_DATABASE_URL: {e}"));
                diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut admin)
                    .expect("create test database");
                Self::Postgres { url: with_database_name(&admin_url, &name), admin_url, name }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("roundtable.db").display());
                Self::Sqlite { url, _dir: dir }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres { admin_url, name, .. } = self
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut admin);
        }
    }
}

/// Replaces the database name in a `postgres://…/name?params` URL.
fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let prefix = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

pub fn test_settings(database_url: &str) -> Settings {
    Settings {
        database: DatabaseSettings { database_url: database_url.to_string(), db_pool_size: 4, db_timeout_secs: 5 },
        serve: ServeSettings {
            bind: "127.0.0.1:0".into(),
            workers: 1,
            cors_origins: vec!["https://app.example.com".into()],
            max_body_bytes: 64 * 1024,
            public_url: "http://roundtable.test".into(),
        },
    }
}

pub async fn spawn_app() -> TestApp {
    let database = TestDatabase::fresh();
    let app = Application::build(test_settings(database.url())).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp { address, client: reqwest::Client::new(), database }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }
}

/// Reads a response as JSON, asserting its status first.
pub async fn json_with_status(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Asserts a problem+json answer with the given status and code, and returns it.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let request_id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let problem = json_with_status(response, status).await;
    assert_eq!(content_type, "application/problem+json", "problem: {problem}");
    assert_eq!(problem["status"], status, "problem: {problem}");
    assert_eq!(problem["code"], code, "problem: {problem}");
    assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()), "problem: {problem}");
    assert_eq!(problem["request_id"].as_str(), request_id.as_deref(), "problem: {problem}");
    problem
}
