use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use roundtable::Application;
use roundtable::config::{AuthSettings, DatabaseSettings, ServeSettings, Settings, WebhookSettings};
use roundtable::db::{DbConn, DbPool};
use roundtable::orgs::NewOrganization;
use serde_json::{Value, json};

pub const ISSUER: &str = "http://roundtable.test";
pub const AUDIENCE: &str = "roundtable";
/// The answer key of PostgreSQL test databases (32 bytes of 7, base64).
pub const TEST_ANSWER_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// A running application on a fresh database, with the organisation its first start made.
pub struct TestApp {
    /// Dropped first: the webhook worker stops before the database goes.
    _worker: Option<roundtable::webhooks::Worker>,
    pub address: String,
    pub client: reqwest::Client,
    pub database: TestDatabase,
    pub org: NewOrganization,
    pub admin_token: String,
}

/// The database a test owns; PostgreSQL ones are dropped when the test ends.
pub enum TestDatabase {
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
    /// Another handle on a database some other handle owns (for a second instance).
    Shared {
        url: String,
    },
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
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } | Self::Shared { url } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.url().starts_with("postgres")
    }

    /// This PostgreSQL database as a read replica serves it: on the hot standby
    /// `TEST_READ_DATABASE_URL` names, if it is set.
    pub fn on_replica(&self) -> Option<String> {
        let replica = std::env::var("TEST_READ_DATABASE_URL").ok().filter(|u| !u.trim().is_empty())?;
        match self {
            Self::Postgres { name, .. } => Some(with_database_name(&replica, name)),
            _ => None,
        }
    }

    /// A handle on the same database that does not drop it.
    pub fn same_as(other: &TestDatabase) -> Self {
        Self::Shared { url: other.url().to_string() }
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
        database: DatabaseSettings {
            db_pool_size: 4,
            // SQLite keeps its default, a key file made beside the database; PostgreSQL
            // must be given one.
            answer_key: database_url.starts_with("postgres").then(|| TEST_ANSWER_KEY.to_string()),
            ..DatabaseSettings::for_url(database_url)
        },
        serve: ServeSettings {
            bind: "127.0.0.1:0".into(),
            workers: 1,
            cors_origins: vec!["https://app.example.com".into()],
            max_body_bytes: 64 * 1024,
            max_import_bytes: 8 * 1024 * 1024,
            // High enough for every test but the one of the limit itself.
            rate_limit_per_second: 10_000,
            rate_limit_burst: 10_000,
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
        // Tests that send webhooks start the worker with their own settings.
        webhooks: WebhookSettings { deliver: false, ..WebhookSettings::default() },
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
    let mut app = Application::build(settings).expect("build app");
    let worker = app.take_worker();
    let org = org.or_else(|| app.bootstrap().cloned()).expect("the first start creates an organisation");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let mut test_app =
        TestApp { _worker: worker, address, client: reqwest::Client::new(), database, org, admin_token: String::new() };
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
    /// A service running elsewhere (another process) at `address`, on `database`, acting
    /// for `org`; the admin token is still to get.
    pub fn elsewhere(address: String, database: TestDatabase, org: NewOrganization) -> Self {
        Self { _worker: None, address, client: reqwest::Client::new(), database, org, admin_token: String::new() }
    }

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

    /// A token of a new client holding only `scopes`, made with `admin_token` (so in that
    /// token's organisation).
    pub async fn scoped_token(&self, admin_token: &str, scopes: &[&str]) -> String {
        let body = json!({"name": "Integration", "scopes": scopes});
        let client = json_with_status(self.post_as(admin_token, "/api/v1/clients", &body).await, 201).await;
        self.client_token(client["client_id"].as_str().unwrap(), client["client_secret"].as_str().unwrap()).await
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

/// An organisation with a manager, two leaders reporting to them, peers and reports.
pub struct Org {
    pub app: TestApp,
    pub ids: std::collections::HashMap<String, String>,
    pub tokens: std::collections::HashMap<String, String>,
}

impl Org {
    pub async fn new() -> Self {
        Self::on(spawn_app().await).await
    }

    /// The same people, in the organisation `app` acts for.
    pub async fn on(app: TestApp) -> Self {
        let mut rows = vec![
            json!({"external_id": "manager", "email": "manager@example.com", "display_name": "Morgan Manager", "department": "Operations"}),
            json!({"external_id": "subject", "email": "subject@example.com", "display_name": "Sam Subject", "department": "Engineering", "manager_external_id": "manager"}),
            json!({"external_id": "subject2", "email": "subject2@example.com", "display_name": "Sasha Second", "department": "Sales", "manager_external_id": "manager"}),
        ];
        for i in 1..=8 {
            rows.push(json!({"external_id": format!("peer{i}"), "email": format!("peer{i}@example.com"), "display_name": format!("Pat Peer {i}"), "department": "Product"}));
        }
        for i in 1..=3 {
            rows.push(json!({"external_id": format!("report{i}"), "email": format!("report{i}@example.com"), "display_name": format!("Riley Report {i}"), "department": "Engineering", "manager_external_id": "subject"}));
        }
        let result =
            json_with_status(app.post_as(&app.admin_token, "/api/v1/people/bulk", &json!({"people": rows})).await, 200)
                .await;
        let ids = result["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["external_id"].as_str().unwrap().to_string(), r["id"].as_str().unwrap().to_string()))
            .collect();
        Self { app, ids, tokens: Default::default() }
    }

    pub fn id(&self, who: &str) -> String {
        self.ids[who].clone()
    }

    /// The people's ids labelled with their external ids, plus `extra` (id, label) pairs,
    /// for [`redacted`].
    pub fn labels(&self, extra: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
        self.ids
            .iter()
            .map(|(who, id)| (id.clone(), who.clone()))
            .chain(extra.iter().map(|(id, label)| (id.to_string(), label.to_string())))
            .collect()
    }

    /// A user token for one of the people (minted once, then reused).
    pub async fn token(&mut self, who: &str) -> String {
        if let Some(t) = self.tokens.get(who) {
            return t.clone();
        }
        let minted = json_with_status(
            self.app
                .post_as(&self.app.admin_token, "/api/v1/auth/user-tokens", &json!({"person_id": self.id(who)}))
                .await,
            201,
        )
        .await;
        let token = minted["access_token"].as_str().unwrap().to_string();
        self.tokens.insert(who.to_string(), token.clone());
        token
    }

    pub fn admin(&self) -> String {
        self.app.admin_token.clone()
    }

    pub async fn create_cycle(&self, body: Value) -> Value {
        json_with_status(self.app.post_as(&self.admin(), "/api/v1/cycles", &body).await, 201).await
    }

    pub async fn transition(&self, cycle_id: &str, to: &str) -> reqwest::Response {
        self.app.post_as(&self.admin(), &format!("/api/v1/cycles/{cycle_id}/transitions"), &json!({"to": to})).await
    }

    pub async fn move_to(&self, cycle_id: &str, to: &str) -> Value {
        json_with_status(self.transition(cycle_id, to).await, 200).await
    }

    pub async fn add(&self, cycle_id: &str, subjects: &[&str]) -> Value {
        let ids: Vec<String> = subjects.iter().map(|s| self.id(s)).collect();
        json_with_status(
            self.app
                .post_as(
                    &self.admin(),
                    &format!("/api/v1/cycles/{cycle_id}/participants"),
                    &json!({"subject_ids": ids}),
                )
                .await,
            200,
        )
        .await
    }

    /// HR nominates (approved at once).
    pub async fn nominate(&self, cycle_id: &str, subject: &str, rater: &str, relationship: &str) -> Value {
        let path = format!("/api/v1/cycles/{cycle_id}/participants/{}/nominations", self.id(subject));
        json_with_status(
            self.app
                .post_as(&self.admin(), &path, &json!({"rater_id": self.id(rater), "relationship": relationship}))
                .await,
            201,
        )
        .await
    }

    /// The invitation a rater holds for a subject, from the rater's own list.
    pub async fn invitation_of(&mut self, rater: &str, subject: &str) -> Value {
        let token = self.token(rater).await;
        let mine = json_with_status(self.app.get_as(&token, "/api/v1/me/invitations").await, 200).await;
        let subject_id = self.id(subject);
        mine.as_array().unwrap().iter().find(|i| i["subject_id"] == subject_id.as_str()).cloned().expect("invitation")
    }

    /// Answers every question of the questionnaire: ratings with `score`, text with `comment`.
    pub async fn full_answers(&mut self, rater: &str, invitation_id: &str, score: i64, comment: &str) -> Vec<Value> {
        let token = self.token(rater).await;
        let questionnaire =
            json_with_status(self.app.get_as(&token, &format!("/api/v1/invitations/{invitation_id}")).await, 200).await;
        answers_to(&questionnaire, score, comment)
    }

    /// Ready-to-send submissions of every answer by peers 1 to `n` about the subject.
    pub async fn peer_submissions(&mut self, n: usize) -> Vec<reqwest::RequestBuilder> {
        let mut requests = Vec::new();
        for i in 1..=n {
            let rater = format!("peer{i}");
            let id = self.invitation_of(&rater, "subject").await["id"].as_str().unwrap().to_string();
            let answers = self.full_answers(&rater, &id, 4, &format!("comment {i}")).await;
            let token = self.token(&rater).await;
            requests.push(
                self.app
                    .client
                    .post(self.app.url(&format!("/api/v1/invitations/{id}/submit")))
                    .bearer_auth(token)
                    .json(&json!({"answers": answers})),
            );
        }
        requests
    }

    /// (respondents, answers) held in the answer sets of every cycle, read from the
    /// database itself and opened with the answer key.
    pub fn stored_answers(&self) -> (i64, i64) {
        use diesel::prelude::*;
        use roundtable::db::schema::answer_sets;
        let mut conn = self.app.database.conn();
        let cycles: Vec<String> =
            roundtable::db_run!(&mut conn, |c| answer_sets::table.select(answer_sets::cycle_id).distinct().load(c))
                .unwrap();
        let mut totals = (0, 0);
        for cycle_id in cycles {
            for set in roundtable::responses::store::load_sets(&mut conn, &cycle_id, "", "\u{10ffff}").unwrap() {
                totals.0 += set.respondents;
                totals.1 += set.answers() as i64;
            }
        }
        totals
    }

    pub async fn submit(&mut self, rater: &str, invitation_id: &str, answers: Vec<Value>) -> reqwest::Response {
        let token = self.token(rater).await;
        self.app
            .post_as(&token, &format!("/api/v1/invitations/{invitation_id}/submit"), &json!({"answers": answers}))
            .await
    }

    /// A cycle in collecting with `subject` rated by the manager, `peers` peers and one report.
    pub async fn collecting_cycle(&mut self, peers: usize) -> String {
        let cycle = self.create_cycle(json!({"name": "Spring 360"})).await;
        let id = cycle["id"].as_str().unwrap().to_string();
        self.add(&id, &["subject"]).await;
        self.move_to(&id, "nominating").await;
        for i in 1..=peers {
            self.nominate(&id, "subject", &format!("peer{i}"), "peer").await;
        }
        self.nominate(&id, "subject", "report1", "direct_report").await;
        self.move_to(&id, "collecting").await;
        id
    }
}

/// Answers to every question of a questionnaire: ratings with `score`, text with `comment`.
pub fn answers_to(questionnaire: &Value, score: i64, comment: &str) -> Vec<Value> {
    questionnaire["competencies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["questions"].as_array().unwrap().clone())
        .map(|q| {
            if q["kind"] == "rating" {
                json!({"question_id": q["id"], "score": score})
            } else {
                json!({"question_id": q["id"], "comment": comment})
            }
        })
        .collect()
}

/// A body ready for a snapshot: ids become `[label]` when `labels` names them and `[id]`
/// otherwise, times become `[time]`, cursors `[cursor]`. Everything else is kept, so a
/// snapshot still shows who is who without depending on the ids of a run.
pub fn redacted(value: &Value, labels: &std::collections::HashMap<String, String>) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, v)| {
                    let v = match v {
                        Value::String(_) if key.ends_with("_at") => json!("[time]"),
                        Value::String(_) if key == "next_cursor" => json!("[cursor]"),
                        _ => redacted(v, labels),
                    };
                    (key.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => items.iter().map(|v| redacted(v, labels)).collect(),
        Value::String(s) if uuid::Uuid::parse_str(s).is_ok() => {
            json!(labels.get(s).map_or_else(|| "[id]".to_string(), |label| format!("[{label}]")))
        }
        Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => json!("[time]"),
        other => other.clone(),
    }
}

/// The real binary serving a prepared database, with its log lines collected.
pub struct Served {
    child: Child,
    log: Option<JoinHandle<Vec<String>>>,
    pub port: u16,
}

impl Served {
    pub fn start(database_url: &str) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_roundtable"));
        if database_url.starts_with("postgres") {
            command.env("ROUNDTABLE_ANSWER_KEY", TEST_ANSWER_KEY);
        }
        let mut child = command
            .args(["serve", "--bind", "127.0.0.1:0", "--workers", "1", "--log-json", "--database-url", database_url])
            .env("ROUNDTABLE_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server");
        let stderr = child.stderr.take().unwrap();
        let (port_tx, port_rx) = mpsc::channel();
        let log = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stderr).lines() {
                let line = line.expect("log line");
                let port = serde_json::from_str::<Value>(&line).ok().and_then(|v| v["port"].as_u64());
                if let Some(port) = port {
                    let _ = port_tx.send(port as u16);
                }
                lines.push(line);
            }
            lines
        });
        let port = port_rx.recv_timeout(Duration::from_secs(60)).expect("the server logs its port");
        Self { child, log: Some(log), port }
    }

    /// The address it serves at.
    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it to be gone.
    pub fn kill(self) {
        drop(self)
    }

    /// Stops the server (SIGKILL: no graceful shutdown) and returns everything it logged.
    pub fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.log.take().unwrap().join().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
