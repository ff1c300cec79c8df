//! Webhooks as a receiver sees them: every delivery signed (checked here with code of the
//! test's own), what each event announces, retries until success with one success
//! recorded, 410 disabling the endpoint, private targets refused before any connection,
//! and two instances sharing the work without sending anything twice.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::DurationRound;
use roundtable::config::WebhookSettings;
use serde_json::{Value, json};

use crate::helpers::{
    Org, TestApp, TestDatabase, assert_problem, json_with_status, spawn_app, spawn_app_on, spawn_app_with,
};

/// What a receiver got in one request.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: i64,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Whether one of the signatures is HMAC-SHA256 of `id.timestamp.body` under `secret`.
    fn signed_with(&self, secret: &str) -> bool {
        let key = STANDARD.decode(secret.strip_prefix("whsec_").expect("whsec_ prefix")).expect("base64 secret");
        let signed = format!("{}.{}.{}", self.id, self.timestamp, self.body);
        let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), signed.as_bytes());
        let expected = format!("v1,{}", STANDARD.encode(mac.as_ref()));
        self.signature.split(' ').any(|s| s == expected)
    }
}

/// A webhook receiver on a loopback port: it answers the statuses of its plan in
/// order, then 204.
struct Receiver {
    url: String,
    log: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(plan: &[u16]) -> Self {
        Self::answering(plan, None).await
    }

    /// A receiver answering 307 to every request, pointing at `to`.
    async fn redirecting(to: &str) -> Self {
        Self::answering(&[307; 10], Some(to.to_string())).await
    }

    async fn answering(plan: &[u16], location: Option<String>) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        let plan = Arc::new(Mutex::new(VecDeque::from(plan.to_vec())));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (shared_log, shared_plan) = (Arc::clone(&log), Arc::clone(&plan));
        let server = HttpServer::new(move || {
            let (log, plan, location) = (Arc::clone(&shared_log), Arc::clone(&shared_plan), location.clone());
            App::new().default_service(web::to(move |request: HttpRequest, body: web::Bytes| {
                let header = |name: &str| {
                    request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
                };
                log.lock().unwrap().push(Received {
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp").parse().unwrap_or_default(),
                    signature: header("webhook-signature"),
                    body: String::from_utf8(body.to_vec()).unwrap(),
                });
                let status = plan.lock().unwrap().pop_front().unwrap_or(204);
                let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
                if let Some(to) = &location {
                    response.insert_header(("location", to.as_str()));
                }
                async move { response.finish() }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        Self { url: format!("http://127.0.0.1:{port}/hooks"), log }
    }

    fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) until at least `n` requests arrived.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..1500 {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{} of {n} deliveries arrived: {:#?}", self.received().len(), self.received());
    }
}

/// Settings of an instance that delivers at once and may send to loopback receivers; its
/// scheduled rounds run when a test says (`tick_at`), after the one at start.
fn delivering(settings: &mut roundtable::config::Settings) {
    settings.webhooks = WebhookSettings {
        deliver: true,
        allow_private_targets: true,
        poll_ms: 20,
        retry_schedule: vec![0.05, 0.05, 0.05],
        schedule_secs: 24 * 3600,
        ..WebhookSettings::default()
    };
}

async fn register(app: &TestApp, url: &str, events: Value) -> Value {
    let body = json!({"url": url, "description": "HR mailer", "events": events});
    json_with_status(app.post_as(&app.admin_token, "/api/v1/webhooks/endpoints", &body).await, 201).await
}

fn endpoint_path(endpoint: &Value, rest: &str) -> String {
    format!("/api/v1/webhooks/endpoints/{}{rest}", endpoint["id"].as_str().unwrap())
}

/// The endpoint's whole delivery log, newest first, page by page.
async fn delivery_log(app: &TestApp, endpoint: &Value) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = endpoint_path(endpoint, "/deliveries?limit=200");
    loop {
        let page = json_with_status(app.get_as(&app.admin_token, &path).await, 200).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = endpoint_path(endpoint, &format!("/deliveries?limit=200&cursor={cursor}")),
            None => return items,
        }
    }
}

/// Waits (up to 30 s) until the endpoint has no pending delivery, then returns its log.
async fn settled_log(app: &TestApp, endpoint: &Value) -> Vec<Value> {
    for _ in 0..1500 {
        let items = delivery_log(app, endpoint).await;
        if items.iter().all(|d| d["status"] != "pending") {
            return items;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("deliveries still pending");
}

#[actix_web::test]
async fn every_delivery_is_signed_and_announces_what_changed_as_filtered() {
    let receiver = Receiver::start(&[]).await;
    let mut org = Org::on(spawn_app_with(delivering).await).await;
    let events = json!(["cycle.state_changed", "invitation.created", "report.released", "person.deactivated"]);
    let endpoint = register(&org.app, &receiver.url, events.clone()).await;
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{endpoint}");
    assert_eq!(
        endpoint["events"],
        json!(["cycle.state_changed", "invitation.created", "report.released", "person.deactivated"])
    );
    // The secret is shown once.
    let shown = json_with_status(org.app.get_as(&org.admin(), &endpoint_path(&endpoint, "")).await, 200).await;
    assert!(shown.get("secret").is_none(), "{shown}");

    let cycle = org.collecting_cycle(3).await;
    // The invitations' messages carry enough to issue each link and send it.
    let opened = receiver.wait_for(2 + 6).await;
    let invitation = opened
        .iter()
        .map(Received::json)
        .find(|m| m["type"] == "invitation.created" && m["data"]["rater_id"] == org.id("peer1"))
        .expect("peer1's invitation");
    let path =
        format!("/api/v1/cycles/{cycle}/invitations/{}/link", invitation["data"]["invitation_id"].as_str().unwrap());
    assert!(json_with_status(org.app.post_as(&org.admin(), &path, &json!({})).await, 201).await["token"].is_string());
    org.move_to(&cycle, "closed").await;
    org.move_to(&cycle, "released").await;
    let deactivate = json!({"active": false});
    json_with_status(
        org.app.patch_as(&org.admin(), &format!("/api/v1/people/{}", org.id("peer8")), &deactivate).await,
        200,
    )
    .await;
    // Not subscribed: a person created, a client made.
    org.app.create_person(&org.admin(), json!({"email": "new@example.com", "display_name": "New Person"})).await;

    // draft→nominating→collecting→closed→released, 6 invitations (self, the manager
    // from the directory, 3 peers, a report), the subject's report, the deactivation.
    let received = receiver.wait_for(4 + 6 + 1 + 1).await;
    let log = settled_log(&org.app, &endpoint).await;
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let received_now = receiver.received();
    assert_eq!(received_now.len(), 12, "nothing else is sent: {received_now:#?}");
    assert_eq!(log.len(), 12);
    assert!(log.iter().all(|d| d["status"] == "succeeded" && d["attempts"] == 1), "{log:#?}");

    let mut by_type: HashMap<String, Vec<Value>> = HashMap::new();
    for r in &received {
        assert!(r.signed_with(&secret), "a delivery does not verify: {r:?}");
        assert!(r.id.starts_with("msg_"), "{r:?}");
        assert!((chrono::Utc::now().timestamp() - r.timestamp).abs() < 60, "{r:?}");
        let body = r.json();
        by_type.entry(body["type"].as_str().unwrap().to_string()).or_default().push(body["data"].clone());
    }
    let states: Vec<(&str, &str)> = by_type["cycle.state_changed"]
        .iter()
        .map(|d| (d["from"].as_str().unwrap(), d["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states.iter().copied().collect::<HashSet<_>>(),
        HashSet::from([
            ("draft", "nominating"),
            ("nominating", "collecting"),
            ("collecting", "closed"),
            ("closed", "released")
        ])
    );
    let invitations = &by_type["invitation.created"];
    assert_eq!(invitations.len(), 6);
    let raters: HashSet<String> = invitations.iter().map(|d| d["rater_id"].as_str().unwrap().to_string()).collect();
    let expected: HashSet<String> =
        ["subject", "manager", "peer1", "peer2", "peer3", "report1"].iter().map(|w| org.id(w)).collect();
    assert_eq!(raters, expected);
    for invitation in invitations {
        assert_eq!(invitation["cycle_id"], cycle.as_str());
        assert_eq!(invitation["subject_id"], org.id("subject"));
    }
    assert_eq!(by_type["report.released"], vec![json!({"cycle_id": cycle, "subject_id": org.id("subject")})]);
    assert_eq!(by_type["person.deactivated"], vec![json!({"person_id": org.id("peer8")})]);
}

#[actix_web::test]
async fn a_receiver_that_fails_twice_then_succeeds_gets_the_event_once_as_successful() {
    let receiver = Receiver::start(&[500, 503]).await;
    let app = spawn_app_with(delivering).await;
    let endpoint = register(&app, &receiver.url, json!([])).await;
    let ping =
        json_with_status(app.post_as(&app.admin_token, &endpoint_path(&endpoint, "/ping"), &json!({})).await, 202)
            .await;
    assert_eq!((ping["status"].as_str(), ping["event_type"].as_str()), (Some("pending"), Some("webhook.ping")));

    let received = receiver.wait_for(3).await;
    let log = settled_log(&app, &endpoint).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3, "a success is not sent again");
    assert!(received.iter().all(|r| r.signed_with(endpoint["secret"].as_str().unwrap())));
    assert!(received.iter().all(|r| r.id == received[0].id), "every attempt carries the same webhook-id");
    assert_eq!(log.len(), 1);
    assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_i64()), (Some("succeeded"), Some(3)), "{log:#?}");
    let detail = json_with_status(
        app.get_as(
            &app.admin_token,
            &endpoint_path(&endpoint, &format!("/deliveries/{}", ping["id"].as_str().unwrap())),
        )
        .await,
        200,
    )
    .await;
    let outcomes: Vec<(&str, i64)> = detail["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["outcome"].as_str().unwrap(), a["status_code"].as_i64().unwrap()))
        .collect();
    assert_eq!(outcomes, [("http_error", 500), ("http_error", 503), ("succeeded", 204)]);
    assert_eq!(detail["payload"]["type"], "webhook.ping");
    assert_eq!(detail["message_id"], received[0].id.as_str());

    // Sent again on request, with the same webhook-id; a pending one cannot be.
    let again = app
        .post_as(
            &app.admin_token,
            &endpoint_path(&endpoint, &format!("/deliveries/{}/redeliver", ping["id"].as_str().unwrap())),
            &json!({}),
        )
        .await;
    json_with_status(again, 202).await;
    let received = receiver.wait_for(4).await;
    assert_eq!(received[3].id, received[0].id);
    settled_log(&app, &endpoint).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("roundtable_webhook_attempts_total{result=\"http_error\"} 2"), "{metrics}");
    assert!(metrics.contains("roundtable_webhook_attempts_total{result=\"succeeded\"} 2"), "{metrics}");
}

#[actix_web::test]
async fn a_delivery_given_up_after_the_last_retry_and_a_410_disables_the_endpoint() {
    let failing = Receiver::start(&[500, 500, 500, 500, 500]).await;
    let gone = Receiver::start(&[410]).await;
    let app = spawn_app_with(delivering).await;
    let failing_endpoint = register(&app, &failing.url, json!([])).await;
    let gone_endpoint = register(&app, &gone.url, json!([])).await;
    for endpoint in [&failing_endpoint, &gone_endpoint] {
        json_with_status(app.post_as(&app.admin_token, &endpoint_path(endpoint, "/ping"), &json!({})).await, 202).await;
    }
    // Four attempts: the first and one after each of the three delays.
    failing.wait_for(4).await;
    let log = settled_log(&app, &failing_endpoint).await;
    assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_i64()), (Some("failed"), Some(4)), "{log:#?}");
    assert_eq!(failing.received().len(), 4);

    gone.wait_for(1).await;
    settled_log(&app, &gone_endpoint).await;
    let disabled = json_with_status(app.get_as(&app.admin_token, &endpoint_path(&gone_endpoint, "")).await, 200).await;
    assert_eq!(disabled["enabled"], false, "{disabled}");
    assert!(disabled["disabled_reason"].as_str().unwrap().contains("410"), "{disabled}");
    // Nothing is sent to a disabled endpoint until it is enabled again.
    json_with_status(app.post_as(&app.admin_token, &endpoint_path(&gone_endpoint, "/ping"), &json!({})).await, 202)
        .await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(gone.received().len(), 1);
    let enabled = json_with_status(
        app.patch_as(&app.admin_token, &endpoint_path(&gone_endpoint, ""), &json!({"enabled": true})).await,
        200,
    )
    .await;
    assert_eq!((enabled["enabled"].as_bool(), enabled["disabled_reason"].as_str()), (Some(true), None));
    gone.wait_for(2).await;
    for (receiver, endpoint) in [(&failing, &failing_endpoint), (&gone, &gone_endpoint)] {
        assert!(receiver.received().iter().all(|r| r.signed_with(endpoint["secret"].as_str().unwrap())));
    }
    let audit = json_with_status(app.get_as(&app.admin_token, "/api/v1/audit-events?limit=200").await, 200).await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"webhook_endpoint.disabled"), "{actions:?}");
}

/// A loopback listener that counts the connections it accepts.
struct Listener(TcpListener);

impl Listener {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Self(listener)
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.0.accept().ok()).count()
    }
}

#[actix_web::test]
async fn private_targets_are_refused_before_any_connection_unless_allowed() {
    let listener = Listener::new();
    let port = listener.port();
    let app = spawn_app().await;
    for url in [
        format!("http://127.0.0.1:{port}/hooks"),
        format!("http://localhost:{port}/hooks"),
        format!("http://[::1]:{port}/hooks"),
        "http://10.1.2.3/hooks".to_string(),
        "https://192.168.0.10/hooks".to_string(),
        "http://169.254.169.254/latest/meta-data".to_string(),
        "http://[::ffff:10.0.0.1]/hooks".to_string(),
    ] {
        let response = app.post_as(&app.admin_token, "/api/v1/webhooks/endpoints", &json!({"url": url})).await;
        let problem = assert_problem(response, 422, "private_target").await;
        assert!(problem["detail"].as_str().unwrap().contains("not a public address"), "{url}: {problem}");
    }
    for url in ["ftp://example.com/hooks", "not a url", "http://user:secret@example.com/hooks"] {
        let response = app.post_as(&app.admin_token, "/api/v1/webhooks/endpoints", &json!({"url": url})).await;
        assert_problem(response, 422, "invalid_url").await;
    }
    let unknown = json!({"url": "https://hooks.example.com/", "events": ["answer.submitted"]});
    assert_problem(app.post_as(&app.admin_token, "/api/v1/webhooks/endpoints", &unknown).await, 400, "malformed_json")
        .await;
    // Hostile bodies: a NUL, a URL past the limit, a body that is not JSON.
    let nul = json!({"url": "https://hooks.example.com/", "description": "a\u{0}b"});
    assert_problem(app.post_as(&app.admin_token, "/api/v1/webhooks/endpoints", &nul).await, 422, "validation_failed")
        .await;
    let long = json!({"url": format!("https://hooks.example.com/{}", "a".repeat(2000))});
    assert_problem(app.post_as(&app.admin_token, "/api/v1/webhooks/endpoints", &long).await, 422, "validation_failed")
        .await;
    let text = app
        .client
        .post(app.url("/api/v1/webhooks/endpoints"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/plain")
        .body("url=https://hooks.example.com/")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
    let none = json_with_status(app.get_as(&app.admin_token, "/api/v1/webhooks/endpoints").await, 200).await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(listener.connections(), 0, "refusing connected to nothing");

    // An endpoint registered while private targets were allowed is not reached by an
    // instance that does not allow them: its resolver and the literal check refuse.
    let allowing = spawn_app_on(app.database, app.org.clone(), |s| s.webhooks.allow_private_targets = true).await;
    let by_name = register(&allowing, &format!("http://localhost:{port}/hooks"), json!([])).await;
    let by_address = register(&allowing, &format!("http://127.0.0.1:{port}/hooks"), json!([])).await;
    let strict = spawn_app_on(allowing.database, allowing.org.clone(), |s| {
        s.webhooks =
            WebhookSettings { deliver: true, poll_ms: 20, retry_schedule: vec![], ..WebhookSettings::default() }
    })
    .await;
    for endpoint in [&by_name, &by_address] {
        json_with_status(strict.post_as(&strict.admin_token, &endpoint_path(endpoint, "/ping"), &json!({})).await, 202)
            .await;
        let log = settled_log(&strict, endpoint).await;
        assert_eq!(log[0]["status"], "failed", "{log:#?}");
        let detail = json_with_status(
            strict
                .get_as(
                    &strict.admin_token,
                    &endpoint_path(endpoint, &format!("/deliveries/{}", log[0]["id"].as_str().unwrap())),
                )
                .await,
            200,
        )
        .await;
        assert_eq!(detail["attempt_log"][0]["outcome"], "refused", "{detail}");
    }
    assert_eq!(listener.connections(), 0, "no delivery connected to a private address");
}

#[actix_web::test]
async fn a_rotated_secret_signs_beside_the_old_one_for_the_grace_period_only() {
    let receiver = Receiver::start(&[]).await;
    let app = spawn_app_with(delivering).await;
    let endpoint = register(&app, &receiver.url, json!([])).await;
    let first = endpoint["secret"].as_str().unwrap().to_string();
    let rotate = |grace: u32| {
        let path = endpoint_path(&endpoint, "/rotate-secret");
        let app = &app;
        async move {
            json_with_status(app.post_as(&app.admin_token, &path, &json!({"grace_seconds": grace})).await, 200).await
        }
    };
    let rotated = rotate(3600).await;
    let second = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    assert!(rotated["previous_secret_expires_at"].is_string(), "{rotated}");
    json_with_status(app.post_as(&app.admin_token, &endpoint_path(&endpoint, "/ping"), &json!({})).await, 202).await;
    let during = receiver.wait_for(1).await[0].clone();
    assert_eq!(during.signature.split(' ').count(), 2, "{during:?}");
    assert!(during.signed_with(&first) && during.signed_with(&second));

    let third = rotate(0).await["secret"].as_str().unwrap().to_string();
    json_with_status(app.post_as(&app.admin_token, &endpoint_path(&endpoint, "/ping"), &json!({})).await, 202).await;
    let after = receiver.wait_for(2).await[1].clone();
    assert!(after.signed_with(&third));
    assert!(!after.signed_with(&second) && !after.signed_with(&first), "{after:?}");
    let too_long = json!({"grace_seconds": 604_801});
    let response = app.post_as(&app.admin_token, &endpoint_path(&endpoint, "/rotate-secret"), &too_long).await;
    assert_problem(response, 422, "validation_failed").await;
}

#[actix_web::test]
async fn two_instances_on_one_database_deliver_each_of_1000_events_exactly_once() {
    let receiver = Receiver::start(&[]).await;
    let one = spawn_app_with(delivering).await;
    let two = spawn_app_on(TestDatabase::same_as(&one.database), one.org.clone(), delivering).await;
    let endpoint = register(&one, &receiver.url, json!(["person.deactivated"])).await;
    // Both instances poll while the events are written, in ten transactions as changes would.
    let mut conn = one.database.conn();
    for chunk in 0..10 {
        let deactivated: Vec<roundtable::events::Event> = (chunk * 100..(chunk + 1) * 100)
            .map(|i| roundtable::events::Event::PersonDeactivated {
                person_id: format!("person-{i}"),
                changed: vec!["active"],
            })
            .collect();
        conn.transaction(|conn| roundtable::events::record_by_system(conn, &one.org.org_id, &deactivated)).unwrap();
    }
    let received = receiver.wait_for(1000).await;
    let log = settled_log(&two, &endpoint).await;
    assert_eq!(log.len(), 1000);
    assert!(
        log.iter().all(|d| d["status"] == "succeeded" && d["attempts"] == 1),
        "each delivered at the first attempt"
    );
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let received_now = receiver.received();
    let ids: HashSet<&str> = received_now.iter().map(|r| r.id.as_str()).collect();
    assert_eq!((received_now.len(), ids.len()), (1000, 1000), "each message once");
    let people: HashSet<String> =
        received.iter().map(|r| r.json()["data"]["person_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(people.len(), 1000);
    assert!(received.iter().all(|r| r.signed_with(endpoint["secret"].as_str().unwrap())));
    // Both instances took part: the attempts name two workers.
    use diesel::prelude::*;
    use roundtable::db::schema::webhook_attempts;
    let by_worker: Vec<(String, i64)> = roundtable::db_run!(&mut conn, |c| webhook_attempts::table
        .group_by(webhook_attempts::worker)
        .select((webhook_attempts::worker, diesel::dsl::count_star()))
        .load(c))
    .unwrap();
    assert_eq!(by_worker.len(), 2, "{by_worker:?}");
    assert_eq!(by_worker.iter().map(|(_, n)| n).sum::<i64>(), 1000);
}

/// Runs the scheduled rounds as they would run at `at`.
fn tick_at(app: &TestApp, at: chrono::DateTime<chrono::Utc>) {
    roundtable::webhooks::schedule::tick(&mut app.database.conn(), at.naive_utc()).expect("tick");
}

fn of_type(received: &[Received], kind: &str) -> Vec<Value> {
    received.iter().map(Received::json).filter(|m| m["type"] == kind).map(|m| m["data"].clone()).collect()
}

#[actix_web::test]
async fn raters_who_have_not_answered_are_reminded_once_at_each_time_the_cycle_sets() {
    let receiver = Receiver::start(&[]).await;
    let mut org = Org::on(spawn_app_with(delivering).await).await;
    let endpoint = register(&org.app, &receiver.url, json!(["invitation.reminder"])).await;
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    let cycle = org.collecting_cycle(2).await;
    let ends_at = chrono::Utc::now() + chrono::Duration::hours(30);
    let change = json!({"ends_at": ends_at, "reminder_hours": [1, 24, 48, 24]});
    let updated =
        json_with_status(org.app.patch_as(&org.admin(), &format!("/api/v1/cycles/{cycle}"), &change).await, 200).await;
    assert_eq!(updated["reminder_hours"], json!([48, 24, 1]));
    let bad = json!({"reminder_hours": [0]});
    assert_problem(
        org.app.patch_as(&org.admin(), &format!("/api/v1/cycles/{cycle}"), &bad).await,
        422,
        "validation_failed",
    )
    .await;
    // peer1 answers; peer2 declines; the others have not answered.
    let invitation = org.invitation_of("peer1", "subject").await["id"].as_str().unwrap().to_string();
    let answers = org.full_answers("peer1", &invitation, 4, "clear").await;
    json_with_status(org.submit("peer1", &invitation, answers).await, 200).await;
    let declined = org.invitation_of("peer2", "subject").await["id"].as_str().unwrap().to_string();
    let token = org.token("peer2").await;
    let decline = org.app.post_as(&token, &format!("/api/v1/invitations/{declined}/decline"), &json!({})).await;
    assert!(decline.status().is_success(), "{}", decline.status());

    // The 48-hour time passed before anyone was invited: nobody is reminded of it.
    tick_at(&org.app, chrono::Utc::now());
    // The 24-hour time: the subject, the manager and report1 are reminded, once.
    let day_before = ends_at - chrono::Duration::hours(24) + chrono::Duration::minutes(1);
    tick_at(&org.app, day_before);
    tick_at(&org.app, day_before);
    let received = receiver.wait_for(3).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let reminders = of_type(&receiver.received(), "invitation.reminder");
    assert_eq!(reminders.len(), 3, "{reminders:#?}");
    let raters: HashSet<String> = reminders.iter().map(|r| r["rater_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(raters, ["subject", "manager", "report1"].iter().map(|w| org.id(w)).collect::<HashSet<_>>());
    assert!(reminders.iter().all(|r| r["hours_before_end"] == 24 && r["cycle_id"] == cycle.as_str()), "{reminders:#?}");
    assert!(received.iter().all(|r| r.signed_with(&secret)));
    // The last hour: the same three again.
    tick_at(&org.app, ends_at - chrono::Duration::minutes(30));
    receiver.wait_for(6).await;
    let last = of_type(&receiver.received(), "invitation.reminder");
    assert_eq!(last.iter().filter(|r| r["hours_before_end"] == 1).count(), 3);
    // After the end, nothing more.
    tick_at(&org.app, ends_at + chrono::Duration::hours(1));
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 6);
}

#[actix_web::test]
async fn answers_are_announced_as_counts_once_an_hour_never_as_they_arrive() {
    let receiver = Receiver::start(&[]).await;
    let mut org = Org::on(spawn_app_with(delivering).await).await;
    let endpoint = register(&org.app, &receiver.url, json!(["response.submitted"])).await;
    let cycle = org.collecting_cycle(3).await;
    for rater in ["peer1", "peer2"] {
        let invitation = org.invitation_of(rater, "subject").await["id"].as_str().unwrap().to_string();
        let answers = org.full_answers(rater, &invitation, 4, "steady").await;
        json_with_status(org.submit(rater, &invitation, answers).await, 200).await;
    }
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty(), "nothing is sent as answers arrive");

    // Counts are taken in the first minutes of an hour.
    let next_hour =
        (chrono::Utc::now() + chrono::Duration::hours(1)).duration_trunc(chrono::Duration::hours(1)).unwrap()
            + chrono::Duration::minutes(1);
    tick_at(&org.app, next_hour + chrono::Duration::minutes(20));
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert!(receiver.received().is_empty(), "not counted late in the hour");
    tick_at(&org.app, next_hour);
    tick_at(&org.app, next_hour);
    let first = receiver.wait_for(1).await;
    let count = first[0].json();
    assert_eq!(count["type"], "response.submitted");
    let data = &count["data"];
    assert_eq!(data["cycle_id"], cycle.as_str());
    assert_eq!((data["submitted"].as_i64(), data["submitted_in_period"].as_i64()), (Some(2), Some(2)));
    assert_eq!(data["subjects"], json!([{"subject_id": org.id("subject"), "submitted": 2}]));
    assert_eq!(data["period_start"], Value::Null, "the first count: {data}");
    let end = chrono::DateTime::parse_from_rfc3339(data["period_end"].as_str().unwrap()).unwrap();
    assert_eq!(end.timestamp() % 3600, 0, "the period is a whole hour: {data}");
    assert_eq!(
        data.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["cycle_id", "period_end", "period_start", "subjects", "submitted", "submitted_in_period"],
        "counts only: {data}"
    );

    // An hour with no new answer says nothing; the next answer is counted in its hour.
    tick_at(&org.app, next_hour + chrono::Duration::hours(1));
    let invitation = org.invitation_of("peer3", "subject").await["id"].as_str().unwrap().to_string();
    let answers = org.full_answers("peer3", &invitation, 3, "more").await;
    json_with_status(org.submit("peer3", &invitation, answers).await, 200).await;
    tick_at(&org.app, next_hour + chrono::Duration::hours(2));
    let both = receiver.wait_for(2).await;
    assert!(both.iter().all(|r| r.signed_with(endpoint["secret"].as_str().unwrap())));
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 2);
    let data = &both[1].json()["data"];
    assert_eq!((data["submitted"].as_i64(), data["submitted_in_period"].as_i64()), (Some(3), Some(1)));
    let since = chrono::DateTime::parse_from_rfc3339(data["period_start"].as_str().unwrap()).unwrap();
    let until = chrono::DateTime::parse_from_rfc3339(data["period_end"].as_str().unwrap()).unwrap();
    assert_eq!(until - since, chrono::Duration::hours(1), "since the previous count: {data}");
}

#[actix_web::test]
async fn coaching_is_announced_and_redirects_are_not_followed() {
    let receiver = Receiver::start(&[]).await;
    let redirector = Receiver::redirecting(&receiver.url).await;
    let mut org = Org::on(spawn_app_with(delivering).await).await;
    let events = json!(["coaching.relationship_created", "coaching.agreement_accepted"]);
    let endpoint = register(&org.app, &receiver.url, events).await;
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    let redirecting = register(&org.app, &redirector.url, json!(["coaching.relationship_created"])).await;

    let pair = json!({"kind": "pair", "coach_id": org.id("peer1"), "coachee_id": org.id("peer2")});
    let created =
        json_with_status(org.app.post_as(&org.admin(), "/api/v1/coaching/relationships", &pair).await, 201).await;
    let id = created["id"].as_str().unwrap().to_string();
    for who in ["peer1", "peer2"] {
        let token = org.token(who).await;
        let path = format!("/api/v1/coaching/relationships/{id}/accept");
        json_with_status(org.app.post_as(&token, &path, &json!({})).await, 200).await;
    }
    let received = receiver.wait_for(3).await;
    assert!(received.iter().all(|r| r.signed_with(&secret)));
    let created = of_type(&received, "coaching.relationship_created");
    assert_eq!(
        created,
        vec![json!({"relationship_id": id, "kind": "pair", "member_ids": [org.id("peer1"), org.id("peer2")]})]
    );
    let accepted: Vec<(String, bool)> = of_type(&received, "coaching.agreement_accepted")
        .iter()
        .map(|a| (a["person_id"].as_str().unwrap().to_string(), a["activated"].as_bool().unwrap()))
        .collect();
    assert_eq!(accepted.iter().filter(|(_, activated)| *activated).count(), 1, "{accepted:?}");
    assert_eq!(accepted.len(), 2);

    // The 307 is an answer like any other: the delivery failed and the target was not called.
    redirector.wait_for(1).await;
    let log = settled_log(&org.app, &redirecting).await;
    assert_eq!(
        (log[0]["status"].as_str(), log[0]["last_status_code"].as_i64()),
        (Some("failed"), Some(307)),
        "{log:#?}"
    );
    assert_eq!(receiver.received().len(), 3, "the redirect was not followed");
}

#[actix_web::test]
async fn an_endpoint_hears_only_what_its_registrar_may_read() {
    let app = spawn_app_with(|s| s.webhooks.allow_private_targets = true).await;
    let url = "http://127.0.0.1:9/hooks";
    let hooks_only = app.scoped_token(&app.admin_token, &["webhooks:write"]).await;
    for events in [json!([]), json!(["cycle.state_changed"]), json!(["person.deactivated"])] {
        let body = json!({"url": url, "events": events});
        let refused = app.post_as(&hooks_only, "/api/v1/webhooks/endpoints", &body).await;
        let problem = assert_problem(refused, 403, "forbidden").await;
        assert!(problem["detail"].as_str().unwrap().contains("may not read"), "{problem}");
    }
    let cycles_reader = app.scoped_token(&app.admin_token, &["webhooks:write", "cycles:read"]).await;
    let body = json!({"url": url, "events": ["cycle.state_changed", "invitation.created"]});
    let endpoint = json_with_status(app.post_as(&cycles_reader, "/api/v1/webhooks/endpoints", &body).await, 201).await;
    let widen = json!({"events": ["coaching.relationship_created"]});
    assert_problem(app.patch_as(&cycles_reader, &endpoint_path(&endpoint, ""), &widen).await, 403, "forbidden").await;

    // The log of an endpoint that hears coaching does not show its payloads to a caller
    // who may not read coaching.
    let everything = register(&app, url, json!([])).await;
    let event = roundtable::events::Event::CoachingAgreementAccepted {
        relationship_id: "r".into(),
        person_id: "p".into(),
        activated: false,
    };
    let mut conn = app.database.conn();
    conn.transaction(|conn| roundtable::events::record_by_system(conn, &app.org.org_id, &[event])).unwrap();
    let log = delivery_log(&app, &everything).await;
    let detail = endpoint_path(&everything, &format!("/deliveries/{}", log[0]["id"].as_str().unwrap()));
    assert_problem(app.get_as(&hooks_only, &detail).await, 403, "forbidden").await;
    json_with_status(app.get_as(&app.admin_token, &detail).await, 200).await;
}
