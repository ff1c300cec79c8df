//! The people directory: one by one, bulk, CSV, with validation and the audit trail.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, json_with_status, spawn_app};

async fn list(app: &TestApp, query: &str) -> Value {
    json_with_status(app.get_as(&app.admin_token, &format!("/api/v1/people{query}")).await, 200).await
}

async fn count_people(app: &TestApp) -> usize {
    list(app, "?limit=200").await["items"].as_array().unwrap().len()
}

fn grace() -> Value {
    json!({"external_id": "E-1", "email": "Grace@Example.com", "display_name": "  Grace Hopper ", "department": "Engineering", "title": "CTO"})
}

#[actix_web::test]
async fn a_person_is_created_read_updated_with_etags_and_deactivated() {
    let app = spawn_app().await;
    let response = app.post_as(&app.admin_token, "/api/v1/people", &grace()).await;
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created = json_with_status(response, 201).await;
    assert_eq!(created["email"], "grace@example.com");
    assert_eq!(created["display_name"], "Grace Hopper");
    assert_eq!(created["role"], "member");
    assert_eq!(created["active"], true);
    assert_eq!(location, format!("/api/v1/people/{}", created["id"].as_str().unwrap()));

    let read = app.get_as(&app.admin_token, &location).await;
    assert_eq!(read.headers()["etag"], "\"1\"");
    assert_eq!(json_with_status(read, 200).await, created);

    let changed = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&app.admin_token)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "Rear Admiral", "department": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.headers()["etag"], "\"2\"");
    let changed = json_with_status(changed, 200).await;
    assert_eq!(changed["title"], "Rear Admiral");
    assert_eq!(changed["department"], Value::Null);
    assert_eq!(changed["email"], "grace@example.com");

    // A stale ETag loses, and nothing changes.
    let stale = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&app.admin_token)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "Overwritten"}))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "precondition_failed").await;
    // An If-Match that names nothing is a malformed request, not a lost race.
    for empty in ["", " , "] {
        let request = app.client.patch(app.url(&location)).bearer_auth(&app.admin_token).header("if-match", empty);
        let refused = request.json(&json!({"title": "Overwritten"})).send().await.unwrap();
        assert_problem(refused, 400, "invalid_if_match").await;
    }
    assert_eq!(json_with_status(app.get_as(&app.admin_token, &location).await, 200).await["title"], "Rear Admiral");

    let deactivated =
        json_with_status(app.post_as(&app.admin_token, &format!("{location}/deactivate"), &json!({})).await, 200).await;
    assert_eq!(deactivated["active"], false);
    let reactivated =
        json_with_status(app.patch_as(&app.admin_token, &location, &json!({"active": true})).await, 200).await;
    assert_eq!(reactivated["active"], true);

    let audit = json_with_status(app.get_as(&app.admin_token, "/api/v1/audit-events?limit=200").await, 200).await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["organization.created", "person.created", "person.updated", "person.deactivated", "person.updated"]
    );
    let update = &audit["items"][2];
    assert_eq!(update["actor"], format!("client:{}", app.org.client_id));
    assert_eq!(update["details"]["changed"], json!(["department", "title"]));
}

#[actix_web::test]
async fn bad_input_gets_a_clear_problem_and_stores_nothing() {
    let app = spawn_app().await;
    let post_raw = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/people"))
            .bearer_auth(&app.admin_token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let malformed =
        assert_problem(post_raw("{\"email\": ", "application/json").await.unwrap(), 400, "malformed_json").await;
    assert!(malformed["detail"].as_str().unwrap().contains("EOF"), "{malformed}");
    let unknown = assert_problem(
        post_raw(r#"{"email":"a@example.com","display_name":"A","shoe_size":44}"#, "application/json").await.unwrap(),
        400,
        "malformed_json",
    )
    .await;
    assert!(unknown["detail"].as_str().unwrap().contains("shoe_size"), "{unknown}");
    let wrong_type = post_raw(r#"{"email":"a@example.com","display_name":42}"#, "application/json").await.unwrap();
    assert_problem(wrong_type, 400, "malformed_json").await;
    let not_json = post_raw("email=a@example.com", "application/x-www-form-urlencoded").await.unwrap();
    assert_problem(not_json, 415, "unsupported_media_type").await;
    let invalid_utf8 = app
        .client
        .post(app.url("/api/v1/people"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body(vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'])
        .send()
        .await
        .unwrap();
    assert_problem(invalid_utf8, 400, "malformed_json").await;
    let huge = json!({"email": "a@example.com", "display_name": "x".repeat(70 * 1024)});
    assert_problem(app.post_as(&app.admin_token, "/api/v1/people", &huge).await, 413, "payload_too_large").await;

    let invalid = app
        .post_as(
            &app.admin_token,
            "/api/v1/people",
            &json!({"email": "not-an-email", "display_name": "   ", "title": "t".repeat(201)}),
        )
        .await;
    let problem = assert_problem(invalid, 422, "validation_failed").await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["display_name", "email", "title"]);

    app.create_person(&app.admin_token, grace()).await;
    let same_email = app
        .post_as(&app.admin_token, "/api/v1/people", &json!({"email": "GRACE@example.com", "display_name": "Other"}))
        .await;
    let problem = assert_problem(same_email, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "taken");
    let same_external = app
        .post_as(
            &app.admin_token,
            "/api/v1/people",
            &json!({"external_id": "E-1", "email": "b@example.com", "display_name": "B"}),
        )
        .await;
    assert_problem(same_external, 422, "validation_failed").await;
    assert_eq!(count_people(&app).await, 1);
}

#[actix_web::test]
async fn managers_must_exist_in_the_organisation_and_never_form_a_loop() {
    let app = spawn_app().await;
    let ceo = app.create_person(&app.admin_token, json!({"email": "ceo@example.com", "display_name": "CEO"})).await;
    let vp = app
        .create_person(
            &app.admin_token,
            json!({"email": "vp@example.com", "display_name": "VP", "manager_id": ceo["id"]}),
        )
        .await;
    let lead = app
        .create_person(
            &app.admin_token,
            json!({"email": "lead@example.com", "display_name": "Lead", "manager_id": vp["id"]}),
        )
        .await;
    let ceo_path = format!("/api/v1/people/{}", ceo["id"].as_str().unwrap());
    let looped = app.patch_as(&app.admin_token, &ceo_path, &json!({"manager_id": lead["id"]})).await;
    let problem = assert_problem(looped, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "cycle");
    let own = app.patch_as(&app.admin_token, &ceo_path, &json!({"manager_id": ceo["id"]})).await;
    assert_eq!(assert_problem(own, 422, "validation_failed").await["errors"][0]["code"], "self");
    let missing = app.patch_as(&app.admin_token, &ceo_path, &json!({"manager_id": "no-such-person"})).await;
    assert_eq!(assert_problem(missing, 422, "validation_failed").await["errors"][0]["code"], "not_found");

    let reports = list(&app, &format!("?manager_id={}", vp["id"].as_str().unwrap())).await;
    assert_eq!(reports["items"].as_array().unwrap().len(), 1);
    assert_eq!(reports["items"][0]["id"], lead["id"]);
}

#[actix_web::test]
async fn lists_page_by_cursor_and_filter() {
    let app = spawn_app().await;
    for (i, department) in ["Sales", "Engineering", "Sales", "Research", "Sales"].iter().enumerate() {
        app.create_person(
            &app.admin_token,
            json!({"email": format!("p{i}@example.com"), "display_name": format!("Person {i}"), "department": department}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_string();
    loop {
        let page = list(&app, &query).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|p| p["display_name"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["Person 0", "Person 1", "Person 2", "Person 3", "Person 4"]);

    assert_eq!(list(&app, "?department=Sales").await["items"].as_array().unwrap().len(), 3);
    let found = list(&app, "?q=PERSON%203").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["email"], "p3@example.com");
    assert_eq!(list(&app, "?q=%25").await["items"].as_array().unwrap().len(), 0, "% is matched literally");
    assert_eq!(list(&app, "?active=false").await["items"].as_array().unwrap().len(), 0);

    assert_problem(app.get_as(&app.admin_token, "/api/v1/people?limit=0").await, 422, "validation_failed").await;
    assert_problem(app.get_as(&app.admin_token, "/api/v1/people?limit=abc").await, 400, "invalid_query").await;
    assert_problem(app.get_as(&app.admin_token, "/api/v1/people?cursor=bm90LWFuLWlk!").await, 422, "validation_failed")
        .await;
    assert_problem(app.get_as(&app.admin_token, "/api/v1/people?departmnet=Sales").await, 400, "invalid_query").await;
}

#[actix_web::test]
async fn bulk_upsert_reports_per_row_and_a_second_run_changes_nothing() {
    let app = spawn_app().await;
    // The report comes before their manager, who is in the same request.
    let rows = json!({"people": [
        {"external_id": "E-2", "email": "alan@example.com", "display_name": "Alan Turing", "department": "Research", "manager_external_id": "E-1"},
        {"external_id": "E-1", "email": "grace@example.com", "display_name": "Grace Hopper", "department": "Engineering", "role": "admin"},
        {"external_id": "E-3", "email": "not-an-email", "display_name": "Bad Row"},
        {"external_id": "E-1", "email": "again@example.com", "display_name": "Duplicate"},
        {"external_id": "E-4", "email": "kat@example.com", "display_name": "Katherine", "manager_external_id": "E-404"},
        {"external_id": "E-5", "email": "mary@example.com", "display_name": "Mary", "manager_external_id": "E-2"}
    ]});
    let first = json_with_status(app.post_as(&app.admin_token, "/api/v1/people/bulk", &rows).await, 200).await;
    assert_eq!(first["summary"], json!({"created": 3, "updated": 0, "unchanged": 0, "errors": 3, "deactivated": 0}));
    let statuses: Vec<&str> =
        first["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["created", "created", "error", "error", "error", "created"]);
    assert_eq!(first["results"][2]["errors"][0]["field"], "email");
    assert_eq!(first["results"][3]["errors"][0]["code"], "duplicate");
    assert_eq!(first["results"][4]["errors"][0]["field"], "manager_external_id");

    let alan = json_with_status(
        app.get_as(&app.admin_token, &format!("/api/v1/people/{}", first["results"][0]["id"].as_str().unwrap())).await,
        200,
    )
    .await;
    assert_eq!(alan["manager_id"], first["results"][1]["id"]);
    let audit_before = json_with_status(app.get_as(&app.admin_token, "/api/v1/audit-events").await, 200).await;

    let second = json_with_status(app.post_as(&app.admin_token, "/api/v1/people/bulk", &rows).await, 200).await;
    assert_eq!(second["summary"], json!({"created": 0, "updated": 0, "unchanged": 3, "errors": 3, "deactivated": 0}));
    assert_eq!(
        second["results"].as_array().unwrap().iter().map(|r| &r["id"]).collect::<Vec<_>>(),
        first["results"].as_array().unwrap().iter().map(|r| &r["id"]).collect::<Vec<_>>()
    );
    let audit_after = json_with_status(app.get_as(&app.admin_token, "/api/v1/audit-events").await, 200).await;
    assert_eq!(audit_before, audit_after, "an idempotent run writes nothing, not even to the audit log");

    // A changed row is an update; a loop through the request is refused.
    let change = json!({"people": [
        {"external_id": "E-1", "email": "grace@example.com", "display_name": "Grace Hopper", "department": "Navy", "manager_external_id": "E-5"},
    ]});
    let looped = json_with_status(app.post_as(&app.admin_token, "/api/v1/people/bulk", &change).await, 200).await;
    assert_eq!(looped["results"][0]["errors"][0]["code"], "cycle");
    let change = json!({"people": [
        {"external_id": "E-1", "email": "grace@example.com", "display_name": "Grace Hopper", "department": "Navy"},
    ]});
    let updated = json_with_status(app.post_as(&app.admin_token, "/api/v1/people/bulk", &change).await, 200).await;
    assert_eq!(updated["summary"]["updated"], 1);
    let grace = json_with_status(
        app.get_as(&app.admin_token, &format!("/api/v1/people/{}", first["results"][1]["id"].as_str().unwrap())).await,
        200,
    )
    .await;
    assert_eq!(grace["department"], "Navy");
    assert_eq!(grace["role"], "admin", "an absent role keeps the stored one");

    // New people naming each other as managers form a loop too.
    let pair = json!({"people": [
        {"external_id": "N-1", "email": "n1@example.com", "display_name": "N One", "manager_external_id": "N-2"},
        {"external_id": "N-2", "email": "n2@example.com", "display_name": "N Two", "manager_external_id": "N-1"},
        {"external_id": "N-3", "email": "n3@example.com", "display_name": "N Three", "manager_external_id": "E-1"},
    ]});
    let refused = json_with_status(app.post_as(&app.admin_token, "/api/v1/people/bulk", &pair).await, 200).await;
    let codes: Vec<&str> = refused["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["errors"][0]["code"].as_str().unwrap_or(r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, ["cycle", "cycle", "created"]);
}

#[actix_web::test]
async fn a_large_bulk_upsert_lands_whole_and_its_rerun_changes_nothing() {
    let app = spawn_app().await;
    // Large enough that PostgreSQL's figures are refreshed inside the request.
    let rows: Vec<Value> = (0..2500)
        .map(|i| {
            json!({"external_id": format!("L-{i}"), "email": format!("l{i}@example.com"), "display_name": format!("Person {i}"),
                   "manager_external_id": (i > 0).then(|| format!("L-{}", (i - 1) / 10))})
        })
        .collect();
    let body = json!({"people": rows});
    let first = json_with_status(app.post_as(&app.admin_token, "/api/v1/people/bulk", &body).await, 200).await;
    assert_eq!(first["summary"], json!({"created": 2500, "updated": 0, "unchanged": 0, "errors": 0, "deactivated": 0}));
    let second = json_with_status(app.post_as(&app.admin_token, "/api/v1/people/bulk", &body).await, 200).await;
    assert_eq!(
        second["summary"],
        json!({"created": 0, "updated": 0, "unchanged": 2500, "errors": 0, "deactivated": 0})
    );
    assert_eq!(second["results"][2499]["id"], first["results"][2499]["id"]);
    let last = format!("/api/v1/people/{}", first["results"][2499]["id"].as_str().unwrap());
    let last = json_with_status(app.get_as(&app.admin_token, &last).await, 200).await;
    assert_eq!(last["manager_id"], first["results"][249]["id"]);
}

async fn import(app: &TestApp, query: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/people/import{query}")))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn csv_snapshots_import_with_line_numbered_errors() {
    let app = spawn_app().await;
    let csv = "\u{feff}external_id,email,display_name,department,title,manager_external_id,role,active\n\
               E-1,grace@example.com,Grace Hopper,Engineering,CTO,,admin,true\n\
               E-2,alan@example.com,\"Turing, Alan\",Research,\"Scientist\nand codebreaker\",E-1,,\n\
               E-3,=cmd|' /C calc'!A0,Eve,,,,,\n\
               E-4,kat@example.com,Katherine,,,,owner,maybe\n";
    let result = json_with_status(import(&app, "", csv).await, 200).await;
    assert_eq!(result["summary"]["created"], 2);
    assert_eq!(result["summary"]["errors"], 2);
    let rows: Vec<(u64, &str)> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [(2, "created"), (3, "created"), (5, "error"), (6, "error")]);
    let alan = list(&app, "?q=turing").await;
    assert_eq!(alan["items"][0]["display_name"], "Turing, Alan");
    assert_eq!(alan["items"][0]["title"], "Scientist\nand codebreaker");
    let kat_errors: Vec<&str> =
        result["results"][3]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(kat_errors, ["role", "active"]);

    // Importing the same file again changes nothing; a snapshot without Alan deactivates him.
    let again = json_with_status(import(&app, "", csv).await, 200).await;
    assert_eq!(again["summary"]["unchanged"], 2);
    let snapshot = "external_id,email,display_name\nE-1,grace@example.com,Grace Hopper\n";
    let result = json_with_status(import(&app, "?deactivate_missing=true", snapshot).await, 200).await;
    assert_eq!(result["summary"]["deactivated"], 1);
    assert_eq!(list(&app, "?active=false").await["items"][0]["external_id"], "E-2");
}

#[actix_web::test]
async fn hostile_csv_is_refused_whole_with_a_clear_problem() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("invalid UTF-8", b"external_id,email,display_name\nE-1,\xff\xfe@example.com,X\n".to_vec()),
        ("unknown column", b"external_id,email,display_name,salary\nE-1,a@example.com,A,1\n".to_vec()),
        ("missing column", b"external_id,display_name\nE-1,A\n".to_vec()),
        ("repeated column", b"external_id,email,display_name,email\nE-1,a@example.com,A,b@example.com\n".to_vec()),
        ("ragged row", b"external_id,email,display_name\nE-1,a@example.com\n".to_vec()),
        ("empty file", Vec::new()),
    ];
    for (name, body) in cases {
        let response = import(&app, "", body).await;
        assert_eq!(response.status(), 400, "{name}");
        assert_problem(response, 400, "invalid_csv").await;
    }
    let wrong_type = app
        .client
        .post(app.url("/api/v1/people/import"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_problem(wrong_type, 415, "unsupported_media_type").await;
    assert_eq!(count_people(&app).await, 0);
}
