//! `Idempotency-Key`: a retried creation answers the first answer and creates nothing more.

use diesel::prelude::*;
use roundtable::db::schema::idempotency_keys;
use roundtable::db_run;
use serde_json::{Value, json};

use crate::helpers::{Org, TestApp, assert_problem, json_with_status, spawn_app};

async fn post_with_key(app: &TestApp, token: &str, key: &str, body: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/cycles"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn cycle_count(app: &TestApp) -> usize {
    json_with_status(app.get_as(&app.admin_token, "/api/v1/cycles").await, 200).await["items"].as_array().unwrap().len()
}

#[actix_web::test]
async fn a_retried_creation_answers_the_first_answer_and_creates_nothing_more() {
    let app = spawn_app().await;
    let body = r#"{"name": "Spring 360"}"#;
    let first = post_with_key(&app, &app.admin_token, "retry-1", body).await;
    let location = first.headers()["location"].clone();
    let first: Value = json_with_status(first, 201).await;
    let again = post_with_key(&app, &app.admin_token, "retry-1", body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(json_with_status(again, 201).await, first);
    assert_eq!(cycle_count(&app).await, 1);

    let other_body = post_with_key(&app, &app.admin_token, "retry-1", r#"{"name": "Autumn 360"}"#).await;
    assert_problem(other_body, 422, "idempotency_key_reused").await;

    // A refused request keeps nothing: corrected, the same key goes through.
    let refused = post_with_key(&app, &app.admin_token, "retry-2", r#"{"name": ""}"#).await;
    assert_problem(refused, 422, "validation_failed").await;
    json_with_status(post_with_key(&app, &app.admin_token, "retry-2", r#"{"name": "Fixed"}"#).await, 201).await;
    assert_eq!(cycle_count(&app).await, 2);

    // Keys belong to their caller: another organisation's same key is its own.
    let (_, other) = app.other_org("Other").await;
    json_with_status(post_with_key(&app, &other, "retry-1", body).await, 201).await;
    assert_eq!(cycle_count(&app).await, 2);

    let bad_key = post_with_key(&app, &app.admin_token, &"k".repeat(300), body).await;
    assert_problem(bad_key, 400, "invalid_idempotency_key").await;
}

#[actix_web::test]
async fn a_key_whose_first_request_is_still_running_answers_409() {
    let app = spawn_app().await;
    let body = r#"{"name": "Running"}"#;
    let mut conn = app.database.conn();
    // The service's keyed digest of the request, which only the answer key makes.
    let hash = conn.keys().digest(format!("POST /api/v1/cycles?\n{body}").as_bytes()).unwrap();
    db_run!(&mut conn, |c| diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::org_id.eq(&app.org.org_id),
            idempotency_keys::actor.eq(format!("client:{}", app.org.client_id)),
            idempotency_keys::key.eq("busy"),
            idempotency_keys::request_hash.eq(&hash),
            idempotency_keys::created_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(c))
    .unwrap();
    assert_problem(post_with_key(&app, &app.admin_token, "busy", body).await, 409, "idempotency_in_flight").await;
    assert_eq!(cycle_count(&app).await, 0);
}

fn stored_keys(app: &TestApp) -> i64 {
    let mut conn = app.database.conn();
    db_run!(&mut conn, |c| idempotency_keys::table.count().get_result(c)).unwrap()
}

async fn post_json_with_key(app: &TestApp, token: &str, path: &str, key: &str, body: &Value) -> reqwest::Response {
    app.client.post(app.url(path)).bearer_auth(token).header("idempotency-key", key).json(body).send().await.unwrap()
}

#[actix_web::test]
async fn a_percent_encoded_path_to_an_excluded_route_stores_no_key() {
    let mut org = Org::new().await;
    let cycle_id = org.collecting_cycle(3).await;

    // `%69nvitations` is routed to the submission: it must not store who answered what.
    let id = org.invitation_of("peer1", "subject").await["id"].as_str().unwrap().to_string();
    let answers = org.full_answers("peer1", &id, 4, "Clear priorities.").await;
    let token = org.token("peer1").await;
    let path = format!("/api/v1/%69nvitations/{id}/submit");
    let submitted = post_json_with_key(&org.app, &token, &path, "answer-1", &json!({"answers": answers})).await;
    assert_eq!(json_with_status(submitted, 200).await["status"], "submitted");

    // Nor a minted token, a link's token or a client's secret in a stored answer.
    let admin = org.admin();
    let body = json!({"person_id": org.id("peer2")});
    let minted = post_json_with_key(&org.app, &admin, "/api/v1/%61uth/user-tokens", "mint-1", &body).await;
    assert!(json_with_status(minted, 201).await["access_token"].is_string());
    let peer2 = org.invitation_of("peer2", "subject").await["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/cycles/{cycle_id}/invitations/{peer2}/lin%6B");
    let link = post_json_with_key(&org.app, &admin, &path, "link-1", &json!({})).await;
    assert!(json_with_status(link, 201).await["token"].is_string());
    let body = json!({"name": "Workday", "scopes": ["people:read"]});
    let client = post_json_with_key(&org.app, &admin, "/api/v1/%63lients", "client-1", &body).await;
    assert!(json_with_status(client, 201).await["client_secret"].is_string());

    assert_eq!(stored_keys(&org.app), 0);
}

#[actix_web::test]
async fn a_percent_encoded_path_and_the_plain_one_share_a_key() {
    let app = spawn_app().await;
    let body = json!({"name": "Spring 360"});
    let first = post_json_with_key(&app, &app.admin_token, "/api/v1/%63ycles", "spelled-1", &body).await;
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = json_with_status(first, 201).await;
    let again = post_json_with_key(&app, &app.admin_token, "/api/v1/cycles", "spelled-1", &body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json_with_status(again, 201).await, first);
    assert_eq!(cycle_count(&app).await, 1);
    assert_eq!(stored_keys(&app), 1);
}
