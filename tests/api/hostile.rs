//! NUL characters anywhere in a request: refused with a 4xx that says where, before any
//! query runs, alike on both engines (PostgreSQL cannot store a NUL, SQLite would), and
//! nothing is stored.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, json_with_status, spawn_app};

/// Rows of the tables a refused request could have written to.
fn stored(app: &TestApp) -> Vec<i64> {
    use diesel::prelude::*;
    use roundtable::db::schema::{audit_events, coaching_relationships, cycles, people};
    let mut conn = app.database.conn();
    let count = |n: Result<i64, diesel::result::Error>| n.expect("count");
    vec![
        count(roundtable::db_run!(&mut conn, |c| people::table.count().get_result(c))),
        count(roundtable::db_run!(&mut conn, |c| cycles::table.count().get_result(c))),
        count(roundtable::db_run!(&mut conn, |c| coaching_relationships::table.count().get_result(c))),
        count(roundtable::db_run!(&mut conn, |c| audit_events::table.count().get_result(c))),
    ]
}

/// A body as sent, with the admin's token.
async fn raw(app: &TestApp, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    let request = app.client.post(app.url(path)).bearer_auth(&app.admin_token).header("content-type", content_type);
    request.body(body).send().await.expect("request")
}

#[actix_web::test]
async fn a_nul_in_a_path_query_body_form_or_credentials_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let before = stored(&app);

    // In a path: no such resource, whatever the route.
    for path in [
        "/api/v1/people/%00",
        "/api/v1/people/a%00b/growth",
        "/api/v1/cycles/%00",
        "/api/v1/invitations/%00",
        "/api/v1/coaching/relationships/%00",
        "/api/v1/goals/%00",
    ] {
        assert_problem(app.get_as(&admin, path).await, 404, "not_found").await;
    }
    let patched = app.patch_as(&admin, "/api/v1/people/%00", &json!({"title": "x"})).await;
    assert_problem(patched, 404, "not_found").await;

    // In a query: the parameter is named.
    let listed = app.get_as(&admin, "/api/v1/people?limit=5&department=Sales%00").await;
    let problem = assert_problem(listed, 400, "invalid_query").await;
    assert!(problem["detail"].as_str().unwrap().contains("`department`"), "{problem}");

    // In JSON: every field that holds one, named as validation names fields.
    let person = json!({"email": "nul@example.com", "display_name": "Nul\u{0}Name", "title": "ok"});
    let problem = assert_problem(app.post_as(&admin, "/api/v1/people", &person).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "display_name", "{problem}");
    let bulk = json!({"people": [{"email": "a@example.com", "display_name": "A"}, {"email": "b@example.com", "display_name": "B", "department": "\u{0}"}]});
    let problem =
        assert_problem(app.post_as(&admin, "/api/v1/people/bulk", &bulk).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "people[1].department", "{problem}");
    let cycle = json!({"name": "Spring\u{0}", "framework_id": "x"});
    assert_problem(app.post_as(&admin, "/api/v1/cycles", &cycle).await, 422, "validation_failed").await;
    let key = json!({"email": "k@example.com", "display_name": "K", "ti\u{0}tle": "x"});
    let problem = assert_problem(app.post_as(&admin, "/api/v1/people", &key).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "ti\\u0000tle", "{problem}");
    // Past the JSON body limit (64 KiB here) only the bulk and import routes take a body;
    // they refuse a NUL themselves.
    let long = "x".repeat(100 * 1024);
    let big = json!({"people": [{"email": "big@example.com", "display_name": "Big\u{0}", "title": long}]});
    let problem =
        assert_problem(app.post_as(&admin, "/api/v1/people/bulk", &big).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "people[0].display_name", "{problem}");
    let big_csv = format!("external_id,email,display_name,title\nE-9,big@example.com,B\0ig,{long}\n");
    let imported = raw(&app, "/api/v1/people/import", "text/csv", big_csv).await;
    let problem = assert_problem(imported, 400, "invalid_csv").await;
    assert!(problem["detail"].as_str().unwrap().starts_with("Line 2 holds a NUL"), "{problem}");
    // Bulk rows sent as something other than JSON: 415, as on every JSON route.
    let plain = raw(
        &app,
        "/api/v1/people/bulk",
        "text/plain",
        json!({"people": [{"email": "t@example.com", "display_name": "T"}]}).to_string(),
    )
    .await;
    assert_problem(plain, 415, "unsupported_media_type").await;
    // Malformed JSON with a NUL in it still gets a 4xx.
    let malformed = raw(&app, "/api/v1/people", "application/json", "{\"display_name\": \"\\u0000").await;
    assert_problem(malformed, 400, "nul_character").await;
    // A CSV cell.
    let csv = "external_id,email,display_name\nE-1,csv@example.com,Ca\0t\n";
    let imported = raw(&app, "/api/v1/people/import", "text/csv", csv).await;
    let problem = assert_problem(imported, 400, "invalid_csv").await;
    assert!(problem["detail"].as_str().unwrap().starts_with("Line 2 holds a NUL"), "{problem}");
    // A compressed body would be checked as sent, not as read: refused, and nothing stored.
    let gzipped = app
        .client
        .post(app.url("/api/v1/people"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(vec![0x1f, 0x8b, 0x08, 0x00])
        .send()
        .await
        .unwrap();
    assert_problem(gzipped, 415, "unsupported_media_type").await;

    // The token endpoint, in its own error shape: in a form field and in HTTP Basic.
    let form = app
        .client
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=rt_ci_%00&client_secret=x")
        .send()
        .await
        .unwrap();
    assert_eq!(json_with_status(form, 400).await["error"], "invalid_request");
    let basic = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth("rt_ci_\u{0}", Some("x"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(json_with_status(basic, 400).await["error"], "invalid_request");

    assert_eq!(stored(&app), before, "nothing was written");
    // The same text without the NUL goes through.
    let fine = json!({"email": "nul@example.com", "display_name": "Nul Name"});
    let created: Value = json_with_status(app.post_as(&admin, "/api/v1/people", &fine).await, 201).await;
    assert_eq!(created["display_name"], "Nul Name");
}
