//! The tenant comes from the token alone: another organisation's ids answer 404 like
//! ids that do not exist, and roles and scopes gate every administrative route.

use serde_json::json;

use crate::helpers::{assert_problem, json_with_status, spawn_app};

#[actix_web::test]
async fn another_organisations_ids_answer_404_on_every_route() {
    let app = spawn_app().await;
    let person = app.create_person(&app.admin_token, json!({"email": "a@example.com", "display_name": "A"})).await;
    let client = json_with_status(
        app.post_as(&app.admin_token, "/api/v1/clients", &json!({"name": "c", "scopes": ["people:read"]})).await,
        201,
    )
    .await;
    let person_path = format!("/api/v1/people/{}", person["id"].as_str().unwrap());
    let client_path = format!("/api/v1/clients/{}", client["id"].as_str().unwrap());

    let (_, other) = app.other_org("Other Inc").await;
    assert_problem(app.get_as(&other, &person_path).await, 404, "not_found").await;
    assert_problem(app.patch_as(&other, &person_path, &json!({"title": "Mine"})).await, 404, "not_found").await;
    assert_problem(app.post_as(&other, &format!("{person_path}/deactivate"), &json!({})).await, 404, "not_found").await;
    assert_problem(app.delete_as(&other, &client_path).await, 404, "not_found").await;
    let minted = app.post_as(&other, "/api/v1/auth/user-tokens", &json!({"person_id": person["id"]})).await;
    assert_problem(minted, 404, "not_found").await;
    // Referencing it as a manager is no different from a made-up id.
    let managed = app
        .post_as(
            &other,
            "/api/v1/people",
            &json!({"email": "b@example.com", "display_name": "B", "manager_id": person["id"]}),
        )
        .await;
    assert_eq!(assert_problem(managed, 422, "validation_failed").await["errors"][0]["code"], "not_found");

    // Lists show only the caller's organisation.
    for path in ["/api/v1/people", "/api/v1/clients", "/api/v1/audit-events"] {
        let page = json_with_status(app.get_as(&other, path).await, 200).await;
        let text = page.to_string();
        assert!(!text.contains(person["id"].as_str().unwrap()), "{path} leaked a person: {text}");
        assert!(!text.contains(client["id"].as_str().unwrap()), "{path} leaked a client: {text}");
        assert!(!text.contains(&app.org.org_id), "{path} leaked the organisation: {text}");
    }
    // And nothing was changed by the attempts.
    let unchanged = json_with_status(app.get_as(&app.admin_token, &person_path).await, 200).await;
    assert_eq!(unchanged, person);
}

#[actix_web::test]
async fn members_and_analysts_cannot_do_admin_work() {
    let app = spawn_app().await;
    let target = app.create_person(&app.admin_token, json!({"email": "t@example.com", "display_name": "T"})).await;
    let path = format!("/api/v1/people/{}", target["id"].as_str().unwrap());
    for role in ["member", "analyst"] {
        let (_, token) = app.user_with_role(role).await;
        let attempts = vec![
            app.post_as(&token, "/api/v1/people", &json!({"email": "n@example.com", "display_name": "N"})).await,
            app.patch_as(&token, &path, &json!({"role": "admin"})).await,
            app.post_as(&token, &format!("{path}/deactivate"), &json!({})).await,
            app.post_as(&token, "/api/v1/people/bulk", &json!({"people": []})).await,
            app.post_as(&token, "/api/v1/clients", &json!({"name": "x", "scopes": ["people:read"]})).await,
            app.get_as(&token, "/api/v1/clients").await,
            app.get_as(&token, "/api/v1/audit-events").await,
        ];
        for response in attempts {
            assert_problem(response, 403, "forbidden").await;
        }
        // Reading the directory is fine: leaders look colleagues up.
        json_with_status(app.get_as(&token, &path).await, 200).await;
    }
    let unchanged = json_with_status(app.get_as(&app.admin_token, &path).await, 200).await;
    assert_eq!(unchanged["role"], "member");
}
