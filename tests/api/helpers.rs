use diesel::{Connection, PgConnection, RunQueryDsl};
use roundtable::Application;
use roundtable::config::{AuthSettings, DatabaseSettings, ServeSettings, Settings};
use roundtable::db::{DbConn, DbPool};
use roundtable::orgs::NewOrganization;
use serde_json::{Value, json};

pub const ISSUER: &str = "http://roundtable.test";
pub const AUDIENCE: &str = "roundtable";

/// A running application on a fresh database, with the organisation its first start made.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database: TestDatabase,
    pub org: NewOrganization,
    pub admin_token: String,
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
            max_import_bytes: 8 * 1024 * 1024,
        },
        auth: AuthSettings {
            public_url: ISSUER.into(),
            audience: AUDIENCE.into(),
            signing_key_file: None,
            verify_key_files: Vec::new(),
            trusted_issuers_file: None,
            client_token_ttl_secs: 900,
            user_token_max_ttl_secs: 3600,
        },
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app on a fresh database after `adjust` has had its say on the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(TestDatabase::fresh(), None, adjust).await
}

/// Starts the app on a database prepared beforehand, acting for `org`.
pub async fn spawn_app_on(database: TestDatabase, org: NewOrganization, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(database, Some(org), adjust).await
}

async fn spawn(database: TestDatabase, org: Option<NewOrganization>, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings(database.url());
    adjust(&mut settings);
    let app = Application::build(settings).expect("build app");
    let org = org.or_else(|| app.bootstrap().cloned()).expect("the first start creates an organisation");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let mut test_app = TestApp { address, client: reqwest::Client::new(), database, org, admin_token: String::new() };
    test_app.admin_token = test_app.client_token(&test_app.org.client_id, &test_app.org.client_secret).await;
    test_app
}

impl TestDatabase {
    /// A direct connection, for arranging data and checking what was stored.
    pub fn conn(&self) -> DbConn {
        let pool = DbPool::connect(&test_settings(self.url()).database).expect("pool");
        pool.get().expect("connection")
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.expect("request")
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.expect("request")
    }

    pub async fn patch_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client.patch(self.url(path)).bearer_auth(token).json(body).send().await.expect("request")
    }

    pub async fn delete_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.delete(self.url(path)).bearer_auth(token).send().await.expect("request")
    }

    /// An access token for a service client, through the client credentials grant.
    pub async fn client_token(&self, client_id: &str, secret: &str) -> String {
        let response = self
            .client
            .post(self.url("/oauth/token"))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token request");
        json_with_status(response, 200).await["access_token"].as_str().expect("access_token").to_string()
    }

    /// Another organisation with its own admin token.
    pub async fn other_org(&self, name: &str) -> (NewOrganization, String) {
        let org = roundtable::orgs::create_organization(&mut self.database.conn(), name).expect("org");
        let token = self.client_token(&org.client_id, &org.client_secret).await;
        (org, token)
    }

    /// Creates a person with the admin token and returns their JSON.
    pub async fn create_person(&self, token: &str, body: Value) -> Value {
        json_with_status(self.post_as(token, "/api/v1/people", &body).await, 201).await
    }

    /// A person with the given role and a user token minted for them.
    pub async fn user_with_role(&self, role: &str) -> (Value, String) {
        let n = uuid::Uuid::new_v4().simple().to_string();
        let person = self
            .create_person(
                &self.admin_token,
                json!({"email": format!("{role}-{n}@example.com"), "display_name": format!("{role} {n}"), "role": role}),
            )
            .await;
        let minted = json_with_status(
            self.post_as(&self.admin_token, "/api/v1/auth/user-tokens", &json!({"person_id": person["id"]})).await,
            201,
        )
        .await;
        (person, minted["access_token"].as_str().unwrap().to_string())
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
