use crate::helpers::{assert_problem, json_with_status, spawn_app};

#[actix_web::test]
async fn health_and_readiness_answer_ok() {
    let app = spawn_app().await;
    let health = json_with_status(app.get("/healthz").await, 200).await;
    assert_eq!(health["status"], "ok");
    let ready = json_with_status(app.get("/readyz").await, 200).await;
    assert_eq!(ready["status"], "ok");
}

#[actix_web::test]
async fn unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/no-such-thing").await, 404, "not_found").await;
}

#[actix_web::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let response = app.client.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    assert_problem(response, 405, "method_not_allowed").await;
    // A fixed path lists its own methods, not those of a path with a parameter it fits.
    let release = "/api/v1/cycles/0193a5d2-7b1f-7d2c-8a4f-3e5c6b7d8e01/reports/release";
    for (path, allow) in [("/api/v1/people/bulk", "POST"), ("/api/v1/people/import", "POST"), (release, "POST")] {
        let response = app.client.request(reqwest::Method::OPTIONS, app.url(path)).send().await.unwrap();
        assert_eq!(response.headers()["allow"], allow, "{path}");
        assert_problem(response, 405, "method_not_allowed").await;
    }
}

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let people = app.get_as(&app.admin_token, "/api/v1/people").await;
    let unknown = app.get_as(&app.admin_token, "/api/v1/people/no-such-person").await;
    let bad_token = app.get_as("not-a-token", "/api/v1/people").await;
    let token = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", &app.org.client_id), ("client_secret", "wrong")])
        .send()
        .await
        .unwrap();
    for (what, response) in [("list", &people), ("404", &unknown), ("401", &bad_token), ("token error", &token)] {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
        assert_eq!(headers["cache-control"], "no-store", "{what}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.starts_with("default-src 'none'") && policy.contains("frame-ancestors 'none'"),
            "{what}: {policy}"
        );
    }
    assert_eq!(people.status(), 200);

    let docs = app.get("/docs/").await;
    assert_eq!(docs.status(), 200);
    let policy = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self';") && !policy.contains("unsafe-eval"), "{policy}");
    assert_eq!(docs.headers()["x-content-type-options"], "nosniff");
    // The page runs no inline script, so the policy's `script-src 'self'` lets it all run.
    let page = docs.text().await.unwrap();
    assert!(
        page.matches("<script").count() > 0 && page.matches("<script").count() == page.matches("<script src=").count()
    );
}

#[actix_web::test]
async fn request_id_is_echoed_when_sane_and_replaced_otherwise() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    let response =
        app.client.get(app.url("/healthz")).header("x-request-id", "bad id with spaces").send().await.unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, "bad id with spaces");
    assert!(uuid::Uuid::parse_str(id).is_ok());
}

#[actix_web::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/healthz"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example.com");
    let refused = preflight("https://evil.example.net").await.unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn served_openapi_is_3_1_and_matches_the_committed_file() {
    let app = spawn_app().await;
    let served = json_with_status(app.get("/openapi.json").await, 200).await;
    assert_eq!(served["openapi"], "3.1.0");
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).expect("committed spec is JSON");
    assert!(
        served == committed,
        "openapi/openapi.json is out of date: regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger-ui"));
}

#[actix_web::test]
async fn metrics_count_the_pools_connections_and_the_waits_for_them() {
    let app = spawn_app().await;
    json_with_status(app.get_as(&app.admin_token, "/api/v1/people").await, 200).await;
    let text = app.get("/metrics").await.text().await.unwrap();
    let value =
        |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().parse::<f64>().unwrap()).unwrap();
    // The first start, the token and the listing each took one at least.
    assert!(value("roundtable_db_pool_acquired_total") >= 3.0, "{text}");
    assert!(value("roundtable_db_pool_wait_seconds_total") >= 0.0);
    assert!(value("roundtable_db_pool_connections{state=\"in_use\"}") >= 0.0);
    assert!(value("roundtable_db_pool_connections{state=\"idle\"}") >= 1.0, "{text}");
}
