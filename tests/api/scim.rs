//! SCIM 2.0 as identity providers use it: the request sequences Okta and Entra ID send,
//! read back through the REST API, and every refusal as a SCIM error document.

use serde_json::{Value, json};

use crate::helpers::{TestApp, json_with_status, spawn_app};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A token of a client holding the `scim` scope only, as an identity provider gets.
async fn scim_token(app: &TestApp) -> String {
    app.scoped_token(&app.admin_token, &["scim"]).await
}

async fn send(app: &TestApp, token: &str, method: &str, path: &str, body: Option<&Value>) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.header("content-type", "application/scim+json").body(body.to_string());
    }
    request.send().await.expect("request")
}

/// The SCIM document of an answer with this status.
async fn scim(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.headers()["content-type"], "application/scim+json");
    json_with_status(response, status).await
}

/// A SCIM error with this status and `scimType`.
async fn scim_error(response: reqwest::Response, status: u16, scim_type: Option<&str>) -> Value {
    let error = scim(response, status).await;
    assert_eq!(error["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
    assert_eq!(error["status"], status.to_string(), "status is a string: {error}");
    assert_eq!(error["scimType"].as_str(), scim_type, "{error}");
    assert!(!error["detail"].as_str().unwrap_or("").is_empty(), "{error}");
    error
}

fn filter(expression: &str) -> String {
    let encoded: String = serde_urlencoded::to_string([("filter", expression)]).unwrap();
    format!("/scim/v2/Users?{encoded}&startIndex=1&count=100")
}

#[actix_web::test]
async fn okta_provisions_updates_and_deactivates_a_person_of_the_directory() {
    let app = spawn_app().await;
    let token = scim_token(&app).await;
    // Okta looks the user up first, then creates them.
    let found =
        scim(send(&app, &token, "GET", &filter(r#"userName eq "ada.lovelace@example.com""#), None).await, 200).await;
    assert_eq!((found["totalResults"].as_i64(), found["Resources"].as_array().map(Vec::len)), (Some(0), Some(0)));
    let okta = json!({
        "schemas": [USER],
        "userName": "ada.lovelace@example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": true, "value": "ada.lovelace@example.com", "type": "work"}],
        "displayName": "Ada Lovelace",
        "locale": "en-GB",
        "externalId": "00u1abcd",
        "groups": [],
        "password": "never-stored-1!",
        "active": true
    });
    let created = scim(send(&app, &token, "POST", "/scim/v2/Users", Some(&okta)).await, 201).await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["userName"], "ada.lovelace@example.com");
    assert_eq!(created["meta"]["location"].as_str().unwrap(), app.url(&format!("/scim/v2/Users/{id}")));
    assert!(created.get("password").is_none());
    let found =
        scim(send(&app, &token, "GET", &filter(r#"userName eq "ADA.LOVELACE@example.com""#), None).await, 200).await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());

    // Profile changes arrive as a whole user (PUT), deactivation as a PATCH without path.
    let mut changed = okta.clone();
    changed["title"] = json!("Analyst");
    let replaced = scim(send(&app, &token, "PUT", &format!("/scim/v2/Users/{id}"), Some(&changed)).await, 200).await;
    assert_eq!(replaced["title"], "Analyst");
    let off = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let patched = scim(send(&app, &token, "PATCH", &format!("/scim/v2/Users/{id}"), Some(&off)).await, 200).await;
    assert_eq!(patched["active"], false);

    // The same person in the REST API, and in the audit trail.
    let person = json_with_status(app.get_as(&app.admin_token, &format!("/api/v1/people/{id}")).await, 200).await;
    assert_eq!(person["email"], "ada.lovelace@example.com");
    assert_eq!(person["display_name"], "Ada Lovelace");
    assert_eq!(person["external_id"], "00u1abcd");
    assert_eq!(person["title"], "Analyst");
    assert_eq!(person["active"], false);
    let audit = json_with_status(app.get_as(&app.admin_token, "/api/v1/audit-events?limit=200").await, 200).await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(&actions[actions.len() - 3..], ["person.created", "person.updated", "person.deactivated"]);
}

#[actix_web::test]
async fn entra_id_provisions_with_the_enterprise_extension_patches_and_deletes_softly() {
    let app = spawn_app().await;
    let token = scim_token(&app).await;
    let boss = app
        .create_person(&app.admin_token, json!({"email": "grace@example.com", "display_name": "Grace Hopper"}))
        .await;
    let boss_id = boss["id"].as_str().unwrap();
    // A person the REST API made answers to their e-mail address as userName.
    let found = scim(send(&app, &token, "GET", &filter(r#"userName eq "grace@example.com""#), None).await, 200).await;
    assert_eq!(found["Resources"][0]["id"], boss_id);

    let lookup = filter(r#"userName eq "alan@contoso.example""#);
    assert_eq!(scim(send(&app, &token, "GET", &lookup, None).await, 200).await["totalResults"], 0);
    let entra = json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "alan",
        "userName": "alan@contoso.example",
        "active": true,
        "displayName": "Alan Turing",
        "emails": [{"primary": true, "type": "work", "value": "alan.turing@example.com"}],
        "name": {"formatted": "Alan Turing", "familyName": "Turing", "givenName": "Alan"},
        "title": "Researcher",
        ENTERPRISE: {"employeeNumber": "E-7", "department": "Research"}
    });
    let created = scim(send(&app, &token, "POST", "/scim/v2/Users", Some(&entra)).await, 201).await;
    let id = created["id"].as_str().unwrap().to_string();
    let user = format!("/scim/v2/Users/{id}");
    assert_eq!(created[ENTERPRISE], json!({"employeeNumber": "E-7", "department": "Research"}));

    // Entra ID's PATCH: capitalised ops, filtered paths, the manager as a bare id, and
    // booleans it has been known to send as strings.
    let changes = json!({"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "alan@example.com"},
        {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": boss_id},
        {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Computing"},
        {"op": "Replace", "path": "displayName", "value": "A. M. Turing"},
    ]});
    let patched = scim(send(&app, &token, "PATCH", &user, Some(&changes)).await, 200).await;
    assert_eq!(patched["emails"], json!([{"value": "alan@example.com"}]));
    assert_eq!(patched[ENTERPRISE]["manager"]["value"], boss_id);
    let by_email = scim(
        send(&app, &token, "GET", &filter(r#"emails.value eq "alan@example.com" and externalId eq "alan""#), None)
            .await,
        200,
    )
    .await;
    assert_eq!(by_email["totalResults"], 1);
    let off = json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    assert_eq!(scim(send(&app, &token, "PATCH", &user, Some(&off)).await, 200).await["active"], false);

    let person = json_with_status(app.get_as(&app.admin_token, &format!("/api/v1/people/{id}")).await, 200).await;
    assert_eq!(
        (&person["email"], &person["display_name"], &person["department"], &person["manager_id"], &person["active"]),
        (&json!("alan@example.com"), &json!("A. M. Turing"), &json!("Computing"), &json!(boss_id), &json!(false))
    );

    // Deleting keeps the person and their history; SCIM no longer knows them.
    assert_eq!(send(&app, &token, "DELETE", &user, None).await.status(), 204);
    scim_error(send(&app, &token, "GET", &user, None).await, 404, None).await;
    assert_eq!(scim(send(&app, &token, "GET", &lookup, None).await, 200).await["totalResults"], 0);
    let kept = json_with_status(app.get_as(&app.admin_token, &format!("/api/v1/people/{id}")).await, 200).await;
    assert_eq!(kept["active"], false);
    // Assigned again, they come back as the same person.
    let again = scim(send(&app, &token, "POST", "/scim/v2/Users", Some(&entra)).await, 201).await;
    assert_eq!((again["id"].as_str(), &again["active"]), (Some(id.as_str()), &json!(true)));
    assert_eq!(again["emails"][0]["value"], "alan.turing@example.com");
    // Found again by a user name that is their address, with no `emails` sent.
    assert_eq!(send(&app, &token, "DELETE", &user, None).await.status(), 204);
    let by_address = json!({"userName": "alan.turing@example.com"});
    let revived = scim(send(&app, &token, "POST", "/scim/v2/Users", Some(&by_address)).await, 201).await;
    assert_eq!(revived["id"].as_str(), Some(id.as_str()));
    // Deleted again and reactivated by HR over REST, SCIM knows them again.
    assert_eq!(send(&app, &token, "DELETE", &user, None).await.status(), 204);
    let back = app.patch_as(&app.admin_token, &format!("/api/v1/people/{id}"), &json!({"active": true})).await;
    assert_eq!(back.status(), 200);
    assert_eq!(scim(send(&app, &token, "GET", &user, None).await, 200).await["active"], true);
}

#[actix_web::test]
async fn every_refusal_is_a_scim_error_and_writes_nothing() {
    let app = spawn_app().await;
    let token = scim_token(&app).await;
    let ada = json!({"schemas": [USER], "userName": "ada", "emails": [{"value": "ada@example.com"}]});
    let created = scim(send(&app, &token, "POST", "/scim/v2/Users", Some(&ada)).await, 201).await;
    let taken_email = json!({"userName": "other", "emails": [{"value": "ADA@example.com"}]});
    scim_error(send(&app, &token, "POST", "/scim/v2/Users", Some(&ada)).await, 409, Some("uniqueness")).await;
    scim_error(send(&app, &token, "POST", "/scim/v2/Users", Some(&taken_email)).await, 409, Some("uniqueness")).await;
    for bad in [r#"userName co "a""#, r#"userName eq "a" or userName eq "b""#, "title eq \"x\""] {
        scim_error(send(&app, &token, "GET", &filter(bad), None).await, 400, Some("invalidFilter")).await;
    }
    let no_email = json!({"userName": "nobody"});
    scim_error(send(&app, &token, "POST", "/scim/v2/Users", Some(&no_email)).await, 400, Some("invalidValue")).await;
    let long = json!({"userName": "x".repeat(300), "emails": [{"value": "x@example.com"}]});
    scim_error(send(&app, &token, "POST", "/scim/v2/Users", Some(&long)).await, 400, Some("invalidValue")).await;
    let nul = json!({"userName": "nul\u{0}", "emails": [{"value": "n@example.com"}]});
    scim_error(send(&app, &token, "POST", "/scim/v2/Users", Some(&nul)).await, 400, Some("invalidValue")).await;
    let raw =
        app.client.post(app.url("/scim/v2/Users")).bearer_auth(&token).header("content-type", "application/scim+json");
    scim_error(raw.body("{\"userName\":").send().await.unwrap(), 400, Some("invalidSyntax")).await;
    let id = created["id"].as_str().unwrap();
    let remove = json!({"schemas": [PATCH], "Operations": [{"op": "remove"}]});
    scim_error(
        send(&app, &token, "PATCH", &format!("/scim/v2/Users/{id}"), Some(&remove)).await,
        400,
        Some("noTarget"),
    )
    .await;
    let stale =
        app.client.put(app.url(&format!("/scim/v2/Users/{id}"))).bearer_auth(&token).header("if-match", "W/\"9\"");
    let stale = stale.header("content-type", "application/scim+json").body(ada.to_string()).send().await.unwrap();
    scim_error(stale, 412, None).await;
    scim_error(send(&app, &token, "GET", "/scim/v2/Nothing", None).await, 404, None).await;
    scim_error(send(&app, &token, "POST", "/scim/v2/Schemas", None).await, 405, None).await;
    // The scope provisions through SCIM and opens nothing of the REST API.
    let promote = app.patch_as(&token, &format!("/api/v1/people/{id}"), &json!({"role": "admin"})).await;
    assert_eq!(promote.status(), 403);
    assert_eq!(app.get_as(&token, "/api/v1/people").await.status(), 403);
    // Without the scope, without a token, from another organisation.
    let reader = app.scoped_token(&app.admin_token, &["people:read"]).await;
    scim_error(send(&app, &reader, "GET", "/scim/v2/Users", None).await, 403, None).await;
    scim_error(app.client.get(app.url("/scim/v2/Users")).send().await.unwrap(), 401, None).await;
    let (_, other) = app.other_org("Elsewhere").await;
    let other_scim = app.scoped_token(&other, &["scim"]).await;
    scim_error(send(&app, &other_scim, "GET", &format!("/scim/v2/Users/{id}"), None).await, 404, None).await;

    let people = json_with_status(app.get_as(&app.admin_token, "/api/v1/people").await, 200).await;
    assert_eq!(people["items"].as_array().unwrap().len(), 1, "only the first user was stored");
}
