//! Rate limits: each API client, person and invitation link has its own, counted by who
//! the credential was verified to be; over it, 429 with `Retry-After`.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Org, assert_problem, json_with_status, spawn_app_with};

/// Sends `request` until it is refused, at most `most` times; how many were served.
async fn served_until_refused<F, Fut>(most: usize, request: F) -> (usize, reqwest::Response)
where
    F: Fn() -> Fut,
    Fut: Future<Output = reqwest::Response>,
{
    for served in 0..most {
        let response = request().await;
        if response.status() == 429 {
            return (served, response);
        }
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    panic!("{most} requests and none refused");
}

#[actix_web::test]
async fn a_client_over_its_limit_hears_when_to_come_back_and_a_person_keeps_their_own() {
    let app = spawn_app_with(|s| {
        s.serve.rate_limit_per_second = 1;
        s.serve.rate_limit_burst = 5;
    })
    .await;
    let admin = app.admin_token.clone();
    let person = json_with_status(
        app.post_as(&admin, "/api/v1/people", &json!({"email": "a@example.com", "display_name": "A"})).await,
        201,
    )
    .await;
    let minted = json_with_status(
        app.post_as(&admin, "/api/v1/auth/user-tokens", &json!({"person_id": person["id"]})).await,
        201,
    )
    .await;
    let user = minted["access_token"].as_str().unwrap().to_string();

    let (served, refused) = served_until_refused(20, || app.get_as(&admin, "/api/v1/people")).await;
    assert!(served >= 3, "the burst of 5, two spent above, served {served}");
    assert_eq!(refused.headers()["retry-after"], "1");
    let problem = assert_problem(refused, 429, "rate_limited").await;
    assert!(problem["detail"].as_str().unwrap().contains("retry in 1 s"), "{problem}");

    // A new token of the same client is the same caller; the person is another.
    let again = app.client_token(&app.org.client_id, &app.org.client_secret).await;
    assert_problem(app.get_as(&again, "/api/v1/people").await, 429, "rate_limited").await;
    json_with_status(app.get_as(&user, "/api/v1/me").await, 200).await;

    // A second later the client has a request again.
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    json_with_status(app.get_as(&admin, "/api/v1/people").await, 200).await;
}

#[actix_web::test]
async fn an_invitation_link_has_its_own_limit() {
    // The burst leaves the fixture room to set a cycle up before the link is used.
    let burst = 200;
    let app = spawn_app_with(|s| {
        s.serve.rate_limit_per_second = 1;
        s.serve.rate_limit_burst = burst;
    })
    .await;
    let mut org = Org::on(app).await;
    let cycle_id = org.collecting_cycle(3).await;
    let invitation = org.invitation_of("peer1", "subject").await;
    let id = invitation["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/cycles/{cycle_id}/invitations/{id}/link");
    let link = json_with_status(org.app.post_as(&org.admin(), &path, &json!({})).await, 201).await;
    let link = link["token"].as_str().unwrap().to_string();

    let questionnaire = format!("/api/v1/invitations/{id}");
    let (served, refused) = served_until_refused(burst as usize + 50, || org.app.get_as(&link, &questionnaire)).await;
    assert!(served >= burst as usize, "a fresh link has its whole burst, served {served}");
    assert!(refused.headers().contains_key("retry-after"));
    assert_problem(refused, 429, "rate_limited").await;
}
