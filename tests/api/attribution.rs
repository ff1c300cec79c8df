//! Raters know how their answers will be shown, and nobody becomes an attributed group of
//! one without knowing it: the manager group is the subject's manager in the directory.

use serde_json::json;

use crate::helpers::{Org, assert_problem, json_with_status};

#[actix_web::test]
async fn a_manager_rater_is_the_directory_manager_unless_hr_says_why() {
    let mut org = Org::new().await;
    let cycle = org.create_cycle(json!({"name": "2026", "nomination_rules": {"manager": {"min": 0, "max": 2}}})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_string();
    org.add(&cycle_id, &["subject"]).await;
    org.move_to(&cycle_id, "nominating").await;
    let path = format!("/api/v1/cycles/{cycle_id}/participants/{}/nominations", org.id("subject"));
    let as_manager = json!({"rater_id": org.id("peer1"), "relationship": "manager"});

    let subject = org.token("subject").await;
    let refused = assert_problem(org.app.post_as(&subject, &path, &as_manager).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"][0]["code"], "not_directory_manager");
    let unexplained =
        assert_problem(org.app.post_as(&org.admin(), &path, &as_manager).await, 422, "validation_failed").await;
    assert_eq!(unexplained["errors"][0]["field"], "override_reason");

    let explained = json!({"rater_id": org.id("peer1"), "relationship": "manager", "override_reason": "interim lead"});
    let nominated = json_with_status(org.app.post_as(&org.admin(), &path, &explained).await, 201).await;
    assert_eq!(nominated["decision_note"], "interim lead");
    let audit =
        json_with_status(org.app.get_as(&org.admin(), "/api/v1/audit-events?action=nomination.created").await, 200)
            .await;
    let reasons: Vec<&serde_json::Value> =
        audit["items"].as_array().unwrap().iter().map(|e| &e["details"]["override_reason"]).collect();
    assert!(reasons.contains(&&json!("interim lead")), "the override is in the audit log: {reasons:?}");

    // The directory's own manager needs no reason; they were nominated when the subject was added.
    let listed = json_with_status(org.app.get_as(&org.admin(), &path).await, 200).await;
    let managers: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["relationship"] == "manager")
        .map(|n| n["rater_id"].as_str().unwrap())
        .collect();
    assert_eq!(managers, [org.id("manager"), org.id("peer1")]);
}

#[actix_web::test]
async fn the_questionnaire_says_whether_answers_are_attributed_or_pooled() {
    let mut org = Org::new().await;
    let cycle = org.create_cycle(json!({"name": "2026", "anonymity": {"peer": 4}})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_string();
    org.add(&cycle_id, &["subject"]).await;
    org.move_to(&cycle_id, "nominating").await;
    org.nominate(&cycle_id, "subject", "peer1", "peer").await;
    org.move_to(&cycle_id, "collecting").await;
    for (rater, attributed, threshold, comments) in
        [("subject", true, 1, 1), ("manager", true, 1, 1), ("peer1", false, 4, 4)]
    {
        let invitation = org.invitation_of(rater, "subject").await;
        let token = org.token(rater).await;
        let path = format!("/api/v1/invitations/{}", invitation["id"].as_str().unwrap());
        let questionnaire = json_with_status(org.app.get_as(&token, &path).await, 200).await;
        assert_eq!(
            questionnaire["answers_shown"],
            json!({"attributed": attributed, "threshold": threshold, "comment_threshold": comments}),
            "{rater}"
        );
    }
}
