//! What the server logs: a request's route template, never its path, so a rater's
//! invitation id does not end up next to the time of their answer.

use serde_json::{Value, json};

use crate::helpers::{Org, Served, TestApp, TestDatabase, answers_to, json_with_status};

#[actix_web::test]
async fn the_log_of_a_whole_cycle_holds_no_invitation_id() {
    let database = TestDatabase::fresh();
    let prepared = roundtable::orgs::create_organization(&mut database.conn(), "Logged").unwrap();
    let served = Served::start(database.url());
    let mut app = TestApp::elsewhere(format!("http://127.0.0.1:{}", served.port), database, prepared);
    app.admin_token = app.client_token(&app.org.client_id, &app.org.client_secret).await;
    let mut org = Org::on(app).await;

    // Create, add participants, nominate, collect.
    let cycle_id = org.collecting_cycle(4).await;
    let admin = org.admin();
    let listed =
        json_with_status(org.app.get_as(&admin, &format!("/api/v1/cycles/{cycle_id}/invitations")).await, 200).await;
    let invitation_ids: Vec<String> =
        listed["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect();
    assert!(invitation_ids.len() >= 5);

    // Raters answer through links HR sends: open, save a draft, submit.
    let mut submitted = 0;
    for (n, id) in invitation_ids.iter().enumerate().take(4) {
        let link_path = format!("/api/v1/cycles/{cycle_id}/invitations/{id}/link");
        let link = json_with_status(org.app.post_as(&admin, &link_path, &json!({})).await, 201).await;
        let token = link["token"].as_str().unwrap();
        let questionnaire =
            json_with_status(org.app.get_as(token, &format!("/api/v1/invitations/{id}")).await, 200).await;
        let answers = answers_to(&questionnaire, 3 + (n as i64 % 3), "Keeps the team focused.");
        let draft = org
            .app
            .client
            .put(org.app.url(&format!("/api/v1/invitations/{id}/draft")))
            .bearer_auth(token)
            .json(&json!({"answers": answers[..2]}))
            .send()
            .await
            .unwrap();
        json_with_status(draft, 200).await;
        let submit_path = format!("/api/v1/invitations/{id}/submit");
        json_with_status(org.app.post_as(token, &submit_path, &json!({"answers": answers})).await, 200).await;
        submitted += 1;
    }
    // A path no route matches, and a query, may carry an id too.
    let stray = &invitation_ids[4];
    assert_eq!(org.app.get_as(&admin, &format!("/api/v1/nowhere/{stray}")).await.status(), 404);
    org.app.get_as(&admin, &format!("/api/v1/cycles?cursor={stray}")).await;
    org.move_to(&cycle_id, "closed").await;

    let log = served.stop();
    let requests: Vec<Value> = log
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "request")
        .collect();
    let routes: Vec<&str> =
        requests.iter().map(|r| r["route"].as_str().expect("a route on every request line")).collect();
    assert_eq!(routes.iter().filter(|r| **r == "/api/v1/invitations/{invitation_id}/submit").count(), submitted);
    assert!(routes.contains(&"/api/v1/cycles/{cycle_id}/invitations/{invitation_id}/link"), "routes: {routes:?}");
    assert!(routes.contains(&"unmatched"), "routes: {routes:?}");
    let text = log.join("\n");
    for id in &invitation_ids {
        assert!(!text.contains(id.as_str()), "the log holds invitation {id}:\n{text}");
    }
}
