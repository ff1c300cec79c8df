//! What a frontend asks about the signed-in person: who they are, what waits for their
//! decision as a manager, and their coaching at a glance.

use serde_json::json;

use crate::helpers::{Org, assert_problem, json_with_status};

#[actix_web::test]
async fn me_approvals_and_coaching_describe_the_signed_in_person() {
    let mut org = Org::new().await;
    let (subject, manager) = (org.token("subject").await, org.token("manager").await);

    let me = json_with_status(org.app.get_as(&subject, "/api/v1/me").await, 200).await;
    assert_eq!((me["person"]["id"].as_str(), me["role"].as_str()), (Some(org.id("subject").as_str()), Some("member")));
    assert_eq!(me["direct_reports"], 3);
    assert_problem(org.app.get_as(&org.admin(), "/api/v1/me").await, 403, "forbidden").await;

    // The subject proposes a rater; their manager finds it waiting, decides, and it is gone.
    let cycle = org.create_cycle(json!({"name": "Autumn 360"})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_string();
    org.add(&cycle_id, &["subject"]).await;
    org.move_to(&cycle_id, "nominating").await;
    let nominate = format!("/api/v1/cycles/{cycle_id}/participants/{}/nominations", org.id("subject"));
    let proposed = json_with_status(
        org.app.post_as(&subject, &nominate, &json!({"rater_id": org.id("peer1"), "relationship": "peer"})).await,
        201,
    )
    .await;
    assert_eq!(proposed["status"], "proposed");
    let waiting = json_with_status(org.app.get_as(&manager, "/api/v1/me/approvals").await, 200).await;
    assert_eq!(waiting.as_array().unwrap().len(), 1, "{waiting}");
    assert_eq!(
        (waiting[0]["subject_name"].as_str(), waiting[0]["cycle_name"].as_str()),
        (Some("Sam Subject"), Some("Autumn 360"))
    );
    assert_eq!(waiting[0]["nomination"]["rater_id"], org.id("peer1").as_str());
    let other_manager = org.token("subject2").await;
    assert_eq!(json_with_status(org.app.get_as(&other_manager, "/api/v1/me/approvals").await, 200).await, json!([]));
    let decide = waiting[0]["decide_href"].as_str().unwrap();
    json_with_status(org.app.post_as(&manager, decide, &json!({"decision": "approve"})).await, 200).await;
    assert_eq!(json_with_status(org.app.get_as(&manager, "/api/v1/me/approvals").await, 200).await, json!([]));

    // Coaching: one active pair with a session to come and an item the subject owns, one
    // proposal waiting for the subject, one ended pair that no longer shows.
    let rel = "/api/v1/coaching/relationships";
    let peer2 = org.token("peer2").await;
    let pair = |coach: &str| json!({"kind": "pair", "coach_id": org.id(coach), "coachee_id": org.id("subject")});
    let active = json_with_status(org.app.post_as(&org.admin(), rel, &pair("peer2")).await, 201).await;
    let active_id = active["id"].as_str().unwrap().to_string();
    for token in [&peer2, &subject] {
        json_with_status(org.app.post_as(token, &format!("{rel}/{active_id}/accept"), &json!({})).await, 200).await;
    }
    let session = json!({
        "held_at": "2030-01-15T10:00:00Z", "agenda": "Delegation",
        "action_items": [{"owner_id": org.id("subject"), "description": "List what only I can do", "due_on": "2030-01-10"}],
    });
    let planned = org.app.post_as(&peer2, &format!("{rel}/{active_id}/sessions"), &session).await;
    let planned = json_with_status(planned, 201).await;
    let waiting_for_me = json_with_status(org.app.post_as(&org.admin(), rel, &pair("peer3")).await, 201).await;
    let ended = json_with_status(org.app.post_as(&org.admin(), rel, &pair("peer4")).await, 201).await;
    let end = format!("{rel}/{}/transitions", ended["id"].as_str().unwrap());
    json_with_status(org.app.post_as(&org.admin(), &end, &json!({"to": "ended"})).await, 200).await;

    let mine = json_with_status(org.app.get_as(&subject, "/api/v1/me/coaching").await, 200).await;
    let mut shown: Vec<&str> =
        mine["relationships"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    shown.sort();
    let mut expected = vec![active_id.as_str(), waiting_for_me["id"].as_str().unwrap()];
    expected.sort();
    assert_eq!(shown, expected);
    assert_eq!(mine["to_accept"], json!([waiting_for_me["id"]]));
    assert_eq!(mine["upcoming_sessions"][0]["id"], planned["id"]);
    assert!(mine["upcoming_sessions"][0].get("agenda").is_none(), "the overview says when, not what");
    assert_eq!(mine["open_action_items"][0]["description"], "List what only I can do");
    let coach_view = json_with_status(org.app.get_as(&peer2, "/api/v1/me/coaching").await, 200).await;
    assert_eq!(coach_view["open_action_items"], json!([]), "items the coach does not own");
    assert_eq!(coach_view["to_accept"], json!([]));
}
