//! A whole feedback cycle through the HTTP API, as HR, leaders and raters use it, and the
//! rules that guard it.

use serde_json::{Value, json};

use crate::helpers::{Org, assert_problem, json_with_status, redacted};

#[actix_web::test]
async fn a_whole_cycle_runs_through_the_api() {
    let mut org = Org::new().await;
    let app_admin = org.admin();

    // HR creates a draft on the default framework.
    let cycle = org.create_cycle(json!({"name": "Leadership 360 — spring", "ends_at": "2026-12-20T00:00:00Z"})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_string();
    assert_eq!(cycle["state"], "draft");
    assert_eq!(cycle["anonymity"]["peer"], 3);
    let added = org.add(&cycle_id, &["subject", "subject"]).await;
    assert_eq!(added["changed"], 1);
    assert_eq!(org.add(&cycle_id, &["subject"]).await["unchanged"], 1);
    assert_problem(org.transition(&cycle_id, "collecting").await, 409, "invalid_transition").await;
    org.move_to(&cycle_id, "nominating").await;

    // The subject proposes peers; the manager from the directory is already approved.
    let subject_token = org.token("subject").await;
    let nominations_path = format!("/api/v1/cycles/{cycle_id}/participants/{}/nominations", org.id("subject"));
    let mut proposed = Vec::new();
    for peer in ["peer1", "peer2", "peer3"] {
        let n = json_with_status(
            org.app
                .post_as(&subject_token, &nominations_path, &json!({"rater_id": org.id(peer), "relationship": "peer"}))
                .await,
            201,
        )
        .await;
        assert_eq!(n["status"], "proposed");
        proposed.push(n["id"].as_str().unwrap().to_string());
    }
    let again = org
        .app
        .post_as(&subject_token, &nominations_path, &json!({"rater_id": org.id("peer1"), "relationship": "peer"}))
        .await;
    assert_problem(again, 409, "already_nominated").await;
    let own = org
        .app
        .post_as(&subject_token, &nominations_path, &json!({"rater_id": org.id("peer4"), "relationship": "self"}))
        .await;
    assert_problem(own, 422, "validation_failed").await;
    let outsider = org.token("peer4").await;
    let meddling = org
        .app
        .post_as(&outsider, &nominations_path, &json!({"rater_id": org.id("peer5"), "relationship": "peer"}))
        .await;
    assert_problem(meddling, 404, "not_found").await;

    // The manager approves two and rejects one; the subject cannot decide.
    let manager_token = org.token("manager").await;
    let listed = json_with_status(org.app.get_as(&manager_token, &nominations_path).await, 200).await;
    let statuses: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["relationship"].as_str().unwrap(), n["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("manager", "approved"), ("peer", "proposed"), ("peer", "proposed"), ("peer", "proposed")]);
    let decide = |id: &str| format!("/api/v1/cycles/{cycle_id}/nominations/{id}/decision");
    let self_approval = org.app.post_as(&subject_token, &decide(&proposed[0]), &json!({"decision": "approve"})).await;
    assert_problem(self_approval, 403, "forbidden").await;
    for (id, decision) in [(&proposed[0], "approve"), (&proposed[1], "approve"), (&proposed[2], "reject")] {
        let decided = json_with_status(
            org.app.post_as(&manager_token, &decide(id), &json!({"decision": decision, "note": "ok"})).await,
            200,
        )
        .await;
        assert_eq!(decided["decided_by"], format!("person:{}", org.id("manager")));
    }
    let twice = org.app.post_as(&manager_token, &decide(&proposed[2]), &json!({"decision": "approve"})).await;
    assert_problem(twice, 409, "already_decided").await;
    org.nominate(&cycle_id, "subject", "report1", "direct_report").await;

    // Anonymity can change until collecting starts, never below 3.
    let cycle_path = format!("/api/v1/cycles/{cycle_id}");
    let low = org.app.patch_as(&app_admin, &cycle_path, &json!({"anonymity": {"peer": 2}})).await;
    assert_eq!(assert_problem(low, 422, "validation_failed").await["errors"][0]["field"], "anonymity.peer");
    json_with_status(
        org.app.patch_as(&app_admin, &cycle_path, &json!({"anonymity": {"peer": 3, "comments": 4}})).await,
        200,
    )
    .await;

    let collecting = org.move_to(&cycle_id, "collecting").await;
    assert_eq!(collecting["state"], "collecting");
    let frozen = org.app.patch_as(&app_admin, &cycle_path, &json!({"anonymity": {"peer": 5}})).await;
    assert_problem(frozen, 409, "invalid_cycle_state").await;
    let invitations = json_with_status(
        org.app.get_as(&app_admin, &format!("/api/v1/cycles/{cycle_id}/invitations?limit=200")).await,
        200,
    )
    .await;
    let mut relationships: Vec<&str> =
        invitations["items"].as_array().unwrap().iter().map(|i| i["relationship"].as_str().unwrap()).collect();
    relationships.sort();
    assert_eq!(relationships, ["direct_report", "manager", "peer", "peer", "self"]);

    // A peer saves a draft, then submits; a second submission is refused.
    let peer1 = org.invitation_of("peer1", "subject").await;
    let peer1_id = peer1["id"].as_str().unwrap().to_string();
    assert_eq!(peer1["status"], "pending");
    let answers = org.full_answers("peer1", &peer1_id, 4, "Listens well; could delegate more.").await;
    let peer1_token = org.token("peer1").await;
    let draft = json_with_status(
        org.app
            .client
            .put(org.app.url(&format!("/api/v1/invitations/{peer1_id}/draft")))
            .bearer_auth(&peer1_token)
            .json(&json!({"answers": answers[..3]}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(draft["status"], "started");
    let questionnaire =
        json_with_status(org.app.get_as(&peer1_token, &format!("/api/v1/invitations/{peer1_id}")).await, 200).await;
    assert_eq!(questionnaire["draft"].as_array().unwrap().len(), 3);
    assert_eq!(questionnaire["invitation"]["subject_name"], "Sam Subject");
    assert_eq!(questionnaire["competencies"].as_array().unwrap().len(), 8);
    let submitted = json_with_status(org.submit("peer1", &peer1_id, answers.clone()).await, 200).await;
    assert_eq!(submitted["status"], "submitted");
    assert_problem(org.submit("peer1", &peer1_id, answers).await, 409, "already_submitted").await;

    // Another peer answers through a link HR sends; the link opens that invitation only.
    let peer2 = org.invitation_of("peer2", "subject").await;
    let peer2_id = peer2["id"].as_str().unwrap();
    let link = json_with_status(
        org.app
            .post_as(&app_admin, &format!("/api/v1/cycles/{cycle_id}/invitations/{peer2_id}/link"), &json!({}))
            .await,
        201,
    )
    .await;
    let link_token = link["token"].as_str().unwrap().to_string();
    assert!(link_token.starts_with("rt_inv_"));
    json_with_status(org.app.get_as(&link_token, &format!("/api/v1/invitations/{peer2_id}")).await, 200).await;
    assert_problem(org.app.get_as(&link_token, &format!("/api/v1/invitations/{peer1_id}")).await, 404, "not_found")
        .await;
    assert_problem(org.app.get_as(&link_token, "/api/v1/people").await, 401, "unauthorized").await;
    let declined = json_with_status(
        org.app.post_as(&link_token, &format!("/api/v1/invitations/{peer2_id}/decline"), &json!({})).await,
        200,
    )
    .await;
    assert_eq!(declined["status"], "declined");
    // The used link now only says so, to a retry or to anyone who finds it.
    let again = org.app.post_as(&link_token, &format!("/api/v1/invitations/{peer2_id}/decline"), &json!({})).await;
    assert_problem(again, 409, "declined").await;
    assert_problem(org.app.get_as(&link_token, &format!("/api/v1/invitations/{peer2_id}")).await, 409, "declined")
        .await;

    // The subject's self-assessment and the manager's answers.
    let own = org.invitation_of("subject", "subject").await;
    assert_eq!(own["relationship"], "self");
    let own_answers = org.full_answers("subject", own["id"].as_str().unwrap(), 5, "I think I am doing fine.").await;
    json_with_status(org.submit("subject", own["id"].as_str().unwrap(), own_answers).await, 200).await;
    let by_manager = org.invitation_of("manager", "subject").await;
    let manager_answers = org.full_answers("manager", by_manager["id"].as_str().unwrap(), 3, "Solid year.").await;
    json_with_status(org.submit("manager", by_manager["id"].as_str().unwrap(), manager_answers).await, 200).await;

    // HR and the manager see who to chase; the subject sees nothing before close.
    let progress_path = format!("/api/v1/cycles/{cycle_id}/progress");
    for token in [&app_admin, &manager_token] {
        let progress = json_with_status(org.app.get_as(token, &progress_path).await, 200).await;
        let subject = &progress["items"][0];
        assert_eq!(subject["subject_id"], org.id("subject").as_str());
        let groups: Vec<(String, i64, i64, i64, i64)> = subject["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["relationship"].as_str().unwrap().to_string(),
                    g["invited"].as_i64().unwrap(),
                    g["submitted"].as_i64().unwrap(),
                    g["declined"].as_i64().unwrap(),
                    g["pending"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("self".to_string(), 1, 1, 0, 0),
                ("manager".to_string(), 1, 1, 0, 0),
                ("peer".to_string(), 2, 1, 1, 0),
                ("direct_report".to_string(), 1, 0, 0, 1),
            ]
        );
        assert_eq!(subject["pending_raters"][0]["rater_id"], org.id("report1").as_str());
        assert!(!progress.to_string().contains("score"), "progress never shows answers");
    }
    assert_problem(org.app.get_as(&subject_token, &progress_path).await, 403, "forbidden").await;

    // A late nomination by HR is invited at once.
    org.nominate(&cycle_id, "subject", "peer4", "other").await;
    assert_eq!(org.invitation_of("peer4", "subject").await["relationship"], "other");

    // Closing stops everything: no more answers, links dead.
    let late = org.invitation_of("report1", "subject").await;
    let late_id = late["id"].as_str().unwrap();
    let late_answers = org.full_answers("report1", late_id, 2, "Too late.").await;
    let late_link = json_with_status(
        org.app.post_as(&app_admin, &format!("/api/v1/cycles/{cycle_id}/invitations/{late_id}/link"), &json!({})).await,
        201,
    )
    .await;
    let late_link = late_link["token"].as_str().unwrap();
    json_with_status(org.app.get_as(late_link, &format!("/api/v1/invitations/{late_id}")).await, 200).await;
    let closed = org.move_to(&cycle_id, "closed").await;
    assert_eq!(closed["state"], "closed");
    assert_problem(org.submit("report1", late_id, late_answers).await, 409, "invalid_cycle_state").await;
    assert_problem(org.app.get_as(&link_token, &format!("/api/v1/invitations/{peer2_id}")).await, 401, "unauthorized")
        .await;
    assert_problem(org.app.get_as(late_link, &format!("/api/v1/invitations/{late_id}")).await, 401, "unauthorized")
        .await;
    let audit =
        json_with_status(org.app.get_as(&app_admin, "/api/v1/audit-events?action=cycle.state_changed").await, 200)
            .await;
    let moves: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["details"]["to"].as_str().unwrap()).collect();
    assert_eq!(moves, ["nominating", "collecting", "closed"]);
}

#[actix_web::test]
async fn bad_answers_get_422_and_store_nothing() {
    let mut org = Org::new().await;
    org.collecting_cycle(1).await;
    // Another framework and cycle, whose questions do not belong to the first cycle.
    let other_framework = json_with_status(
        org.app
            .post_as(
                &org.admin(),
                "/api/v1/frameworks",
                &json!({"name": "Other", "competencies": [{"key": "x", "name": "X", "questions": [
                    {"key": "x1", "kind": "rating", "prompt": "X?"}]}]}),
            )
            .await,
        201,
    )
    .await;
    let other_cycle = org.create_cycle(json!({"name": "Other", "framework_id": other_framework["id"]})).await;
    assert_ne!(other_cycle["framework_version_id"], json!(null));
    let other_version = json_with_status(
        org.app
            .get_as(&org.admin(), &format!("/api/v1/frameworks/{}/versions/1", other_framework["id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
    let foreign_question = other_version["competencies"][0]["questions"][0]["id"].clone();

    let invitation = org.invitation_of("peer1", "subject").await;
    let id = invitation["id"].as_str().unwrap().to_string();
    let good = org.full_answers("peer1", &id, 3, "fine").await;
    let rating = good.iter().find(|a| a.get("score").is_some()).unwrap()["question_id"].clone();
    let text = good.iter().find(|a| a.get("comment").is_some()).unwrap()["question_id"].clone();
    let with = |extra: Value, drop: &Value| {
        let mut answers: Vec<Value> = good.iter().filter(|a| &a["question_id"] != drop).cloned().collect();
        answers.push(extra);
        answers
    };
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        ("score above the scale", with(json!({"question_id": rating, "score": 6}), &rating), "range"),
        ("score below the scale", with(json!({"question_id": rating, "score": 0}), &rating), "range"),
        ("missing required", good.iter().filter(|a| a["question_id"] != rating).cloned().collect(), "required"),
        (
            "unknown question",
            with(json!({"question_id": "no-such-question", "score": 3}), &json!(null)),
            "unknown_question",
        ),
        (
            "another cycle's question",
            with(json!({"question_id": foreign_question, "score": 3}), &json!(null)),
            "unknown_question",
        ),
        ("score on a text question", with(json!({"question_id": text, "score": 3}), &text), "not_allowed"),
        ("comment too long", with(json!({"question_id": text, "comment": "x".repeat(2001)}), &text), "length"),
    ];
    for (name, answers, code) in cases {
        let problem = assert_problem(org.submit("peer1", &id, answers).await, 422, "validation_failed").await;
        assert!(problem["errors"].as_array().unwrap().iter().any(|e| e["code"] == code), "{name}: {problem}");
    }
    let wrong_type = org.submit("peer1", &id, vec![json!({"question_id": rating, "score": "four"})]).await;
    assert_problem(wrong_type, 400, "malformed_json").await;

    assert_eq!(org.stored_answers(), (0, 0), "refused submissions store nothing");
    assert_eq!(org.invitation_of("peer1", "subject").await["status"], "pending");
    json_with_status(org.submit("peer1", &id, good).await, 200).await;
}

#[actix_web::test]
async fn the_same_invitation_submitted_twice_at_once_is_accepted_once() {
    let mut org = Org::new().await;
    org.collecting_cycle(4).await;
    for i in 1..=4 {
        let rater = format!("peer{i}");
        let invitation = org.invitation_of(&rater, "subject").await;
        let id = invitation["id"].as_str().unwrap().to_string();
        let answers = org.full_answers(&rater, &id, 4, "same moment").await;
        let token = org.token(&rater).await;
        let send = || {
            org.app
                .client
                .post(org.app.url(&format!("/api/v1/invitations/{id}/submit")))
                .bearer_auth(&token)
                .json(&json!({"answers": answers}))
                .send()
        };
        let (a, b) = tokio::join!(send(), send());
        let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
    }
    assert_eq!(org.stored_answers(), (4, 4 * 24), "four submissions of 24 answers each, none doubled");
}

#[actix_web::test]
async fn a_batch_of_submissions_commits_the_accepted_ones_and_refuses_the_rest_alone() {
    use actix_web::ResponseError;
    use roundtable::responses::answers::AnswerInput;
    use roundtable::responses::{Rater, Submission, submit_batch};
    let mut org = Org::new().await;
    org.collecting_cycle(4).await;
    let mut submissions = Vec::new();
    for (rater, answered_as) in
        [("peer1", "peer1"), ("peer2", "peer2"), ("peer1", "peer1"), ("peer4", "peer3"), ("peer4", "peer4")]
    {
        let id = org.invitation_of(rater, "subject").await["id"].as_str().unwrap().to_string();
        let answers: Vec<AnswerInput> =
            serde_json::from_value(json!(org.full_answers(rater, &id, 4, &format!("from {rater}")).await)).unwrap();
        // The last one gives none of the required answers.
        let answers = if submissions.len() == 4 { Vec::new() } else { answers };
        let rater = Rater::Person {
            org_id: org.app.org.org_id.clone(),
            person_id: org.id(answered_as),
            token_from: "client:test".into(),
        };
        submissions.push(Submission { rater, invitation_id: id, answers: Some(answers) });
    }
    let mut conn = org.app.database.conn();
    let outcomes = conn.transaction(|c| submit_batch(c, &submissions)).unwrap();
    let codes: Vec<u16> =
        outcomes.iter().map(|o| o.as_ref().map_or_else(|e| e.status_code().as_u16(), |_| 200)).collect();
    // The same invitation twice: answered already; another rater's invitation: not theirs.
    assert_eq!(codes, [200, 200, 409, 404, 422], "{outcomes:?}");
    assert_eq!(org.stored_answers(), (2, 2 * 24), "the two accepted, once each, in their group's set");
    drop(conn);
    // What was refused wrote nothing: peer4 answers now; peer1's invitation stays answered.
    let id = org.invitation_of("peer4", "subject").await["id"].as_str().unwrap().to_string();
    let answers = org.full_answers("peer4", &id, 2, "later").await;
    json_with_status(org.submit("peer4", &id, answers).await, 200).await;
    let id = org.invitation_of("peer1", "subject").await["id"].as_str().unwrap().to_string();
    let answers = org.full_answers("peer1", &id, 2, "again").await;
    assert_problem(org.submit("peer1", &id, answers).await, 409, "already_submitted").await;
    assert_eq!(org.stored_answers(), (3, 3 * 24));
}

#[actix_web::test]
async fn raters_of_one_group_submitting_at_once_all_count() {
    let mut org = Org::new().await;
    org.collecting_cycle(6).await;
    let requests = org.peer_submissions(6).await;
    for response in futures_util::future::join_all(requests.into_iter().map(|r| r.send())).await {
        assert_eq!(response.unwrap().status(), 200);
    }
    // All six land in the peers' one answer set: none lost to a concurrent write.
    assert_eq!(org.stored_answers(), (6, 6 * 24));
}

#[actix_web::test]
async fn a_close_racing_submissions_keeps_exactly_the_accepted_ones() {
    let mut org = Org::new().await;
    let cycle_id = org.collecting_cycle(8).await;
    let requests = org.peer_submissions(8).await;
    let submissions = futures_util::future::join_all(requests.into_iter().map(|r| r.send()));
    let (submissions, closed) = tokio::join!(submissions, org.transition(&cycle_id, "closed"));
    assert_eq!(closed.status(), 200);
    let mut accepted = 0;
    for response in submissions {
        match response.unwrap().status().as_u16() {
            200 => accepted += 1,
            409 => {}
            other => panic!("a submission racing the close answered {other}"),
        }
    }
    // Whatever was accepted was in the sets the close turned into results, and nothing
    // else; no set survives.
    use diesel::prelude::*;
    use roundtable::db::schema::audit_events;
    let details: Vec<String> = roundtable::db_run!(&mut org.app.database.conn(), |c| audit_events::table
        .filter(audit_events::action.eq("cycle.state_changed"))
        .select(audit_events::details)
        .load(c))
    .unwrap();
    let closed: Vec<serde_json::Value> = details
        .iter()
        .map(|d| serde_json::from_str::<serde_json::Value>(d).unwrap())
        .filter(|d| d["to"] == "closed")
        .collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0]["answers"], accepted * 24);
    assert_eq!(org.stored_answers(), (0, 0));
}

#[actix_web::test]
async fn cycle_rules_guard_every_transition() {
    let mut org = Org::new().await;
    let empty = org.create_cycle(json!({"name": "Empty"})).await;
    let empty_id = empty["id"].as_str().unwrap();
    assert_problem(org.transition(empty_id, "nominating").await, 409, "no_participants").await;
    assert_problem(org.transition(empty_id, "closed").await, 409, "invalid_transition").await;

    let strict = org.create_cycle(json!({"name": "Strict", "nomination_rules": {"peer": {"min": 2, "max": 2}}})).await;
    let strict_id = strict["id"].as_str().unwrap().to_string();
    org.add(&strict_id, &["subject"]).await;
    org.move_to(&strict_id, "nominating").await;
    assert_problem(org.transition(&strict_id, "collecting").await, 409, "nominations_below_minimum").await;
    org.nominate(&strict_id, "subject", "peer1", "peer").await;
    org.nominate(&strict_id, "subject", "peer2", "peer").await;
    let path = format!("/api/v1/cycles/{strict_id}/participants/{}/nominations", org.id("subject"));
    let over =
        org.app.post_as(&org.admin(), &path, &json!({"rater_id": org.id("peer3"), "relationship": "peer"})).await;
    assert_problem(over, 409, "nomination_limit_reached").await;

    // Stale ETags lose.
    let cycle_path = format!("/api/v1/cycles/{strict_id}");
    let stale = org
        .app
        .client
        .patch(org.app.url(&cycle_path))
        .bearer_auth(org.admin())
        .header("if-match", "\"1\"")
        .json(&json!({"name": "Renamed"}))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "precondition_failed").await;
    let current = org.app.get_as(&org.admin(), &cycle_path).await;
    let etag = current.headers()["etag"].to_str().unwrap().to_string();
    let renamed = org
        .app
        .client
        .patch(org.app.url(&cycle_path))
        .bearer_auth(org.admin())
        .header("if-match", etag)
        .json(&json!({"name": "Renamed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_with_status(renamed, 200).await["name"], "Renamed");

    org.move_to(&strict_id, "collecting").await;
    let remove = org
        .app
        .post_as(
            &org.admin(),
            &format!("/api/v1/cycles/{strict_id}/participants/remove"),
            &json!({"subject_ids": [org.id("subject")]}),
        )
        .await;
    assert_problem(remove, 409, "invalid_cycle_state").await;
    let bad_settings =
        org.app.post_as(&org.admin(), "/api/v1/cycles", &json!({"name": "x", "anonymity": {"other": 1}})).await;
    assert_problem(bad_settings, 422, "validation_failed").await;
    let bad_dates = org
        .app
        .post_as(
            &org.admin(),
            "/api/v1/cycles",
            &json!({"name": "x", "starts_at": "2026-05-01T00:00:00Z", "ends_at": "2026-04-01T00:00:00Z"}),
        )
        .await;
    assert_problem(bad_dates, 422, "validation_failed").await;
    // Members do no HR work.
    let member = org.token("peer5").await;
    assert_problem(org.app.post_as(&member, "/api/v1/cycles", &json!({"name": "mine"})).await, 403, "forbidden").await;
    assert_problem(org.app.get_as(&member, &format!("/api/v1/cycles/{strict_id}/invitations")).await, 403, "forbidden")
        .await;
}

#[actix_web::test]
async fn another_organisation_sees_nothing_of_a_cycle() {
    let mut org = Org::new().await;
    let cycle_id = org.collecting_cycle(1).await;
    let invitation = org.invitation_of("peer1", "subject").await;
    let invitation_id = invitation["id"].as_str().unwrap().to_string();
    let nominations = format!("/api/v1/cycles/{cycle_id}/participants/{}/nominations", org.id("subject"));
    let (_, other) = org.app.other_org("Elsewhere").await;
    let app = &org.app;
    let checks = vec![
        app.get_as(&other, &format!("/api/v1/cycles/{cycle_id}")).await,
        app.patch_as(&other, &format!("/api/v1/cycles/{cycle_id}"), &json!({"name": "x"})).await,
        app.post_as(&other, &format!("/api/v1/cycles/{cycle_id}/transitions"), &json!({"to": "closed"})).await,
        app.get_as(&other, &format!("/api/v1/cycles/{cycle_id}/participants")).await,
        app.get_as(&other, &nominations).await,
        app.get_as(&other, &format!("/api/v1/cycles/{cycle_id}/progress")).await,
        app.get_as(&other, &format!("/api/v1/cycles/{cycle_id}/invitations")).await,
        app.post_as(&other, &format!("/api/v1/cycles/{cycle_id}/invitations/{invitation_id}/link"), &json!({})).await,
        app.get_as(&other, &format!("/api/v1/invitations/{invitation_id}")).await,
    ];
    for response in checks {
        let status = response.status().as_u16();
        // A client of the other organisation is no rater, so the answering route says 403.
        assert!(status == 404 || status == 403, "got {status}");
        let body: Value = response.json().await.unwrap();
        assert!(!body.to_string().contains(&cycle_id), "leaked: {body}");
    }
    // The rater's own organisation still works.
    let token = org.token("peer1").await;
    json_with_status(org.app.get_as(&token, &format!("/api/v1/invitations/{invitation_id}")).await, 200).await;
}

#[actix_web::test]
async fn cycle_progress_matches_its_snapshot() {
    let mut org = Org::new().await;
    let cycle = org.create_cycle(json!({"name": "Leadership 360 — progress"})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_string();
    // One at a time: participants added together are numbered in the order the engine
    // returns the people, which the API does not fix.
    for subject in ["subject", "subject2", "peer8"] {
        org.add(&cycle_id, &[subject]).await;
    }
    org.move_to(&cycle_id, "nominating").await;
    for peer in ["peer1", "peer2", "peer3", "peer4"] {
        org.nominate(&cycle_id, "subject", peer, "peer").await;
    }
    org.nominate(&cycle_id, "subject", "report1", "direct_report").await;
    org.nominate(&cycle_id, "subject2", "peer7", "peer").await;
    org.move_to(&cycle_id, "collecting").await;
    // Invitations opened together are numbered in the order the engine returns the
    // nominations, so each subject keeps at most one of them unanswered; the later ones
    // are nominated one by one.
    org.nominate(&cycle_id, "subject", "peer5", "other").await;
    org.nominate(&cycle_id, "subject", "peer6", "other").await;

    for rater in ["subject", "peer1", "peer2", "peer3", "report1"] {
        let id = org.invitation_of(rater, "subject").await["id"].as_str().unwrap().to_string();
        let answers = org.full_answers(rater, &id, 4, "fine").await;
        json_with_status(org.submit(rater, &id, answers).await, 200).await;
    }
    let declining = org.invitation_of("peer4", "subject").await["id"].as_str().unwrap().to_string();
    let token = org.token("peer4").await;
    json_with_status(
        org.app.post_as(&token, &format!("/api/v1/invitations/{declining}/decline"), &json!({})).await,
        200,
    )
    .await;
    let id = org.invitation_of("manager", "subject2").await["id"].as_str().unwrap().to_string();
    let answers = org.full_answers("manager", &id, 3, "ok").await;
    json_with_status(org.submit("manager", &id, answers).await, 200).await;
    for (rater, subject) in [("peer6", "subject"), ("peer7", "subject2")] {
        let id = org.invitation_of(rater, subject).await["id"].as_str().unwrap().to_string();
        let answers = org.full_answers(rater, &id, 2, "draft").await;
        let token = org.token(rater).await;
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
    }

    let progress =
        json_with_status(org.app.get_as(&org.admin(), &format!("/api/v1/cycles/{cycle_id}/progress")).await, 200).await;
    insta::assert_json_snapshot!("cycle_progress", redacted(&progress, &org.labels(&[(&cycle_id, "cycle")])));
}

#[actix_web::test]
async fn a_submission_retried_through_its_link_answers_409_until_the_link_ends() {
    let mut org = Org::new().await;
    let cycle_id = org.collecting_cycle(2).await;
    let admin = org.admin();
    let link_for = |invitation: &str| format!("/api/v1/cycles/{cycle_id}/invitations/{invitation}/link");
    let mut links = Vec::new();
    for peer in ["peer1", "peer2"] {
        let invitation = org.invitation_of(peer, "subject").await["id"].as_str().unwrap().to_string();
        let token = json_with_status(org.app.post_as(&admin, &link_for(&invitation), &json!({})).await, 201).await;
        let answers = org.full_answers(peer, &invitation, 4, "Clear and kind.").await;
        links.push((invitation, token["token"].as_str().unwrap().to_string(), answers));
    }
    let submit = |invitation: &str| format!("/api/v1/invitations/{invitation}/submit");
    for (invitation, token, answers) in &links {
        let body = json!({"answers": answers});
        json_with_status(org.app.post_as(token, &submit(invitation), &body).await, 200).await;
        // The answer was lost on the way back: the retry learns it went through.
        assert_problem(org.app.post_as(token, &submit(invitation), &body).await, 409, "already_submitted").await;
        // Nor does a used link open the questionnaire again.
        let opened = org.app.get_as(token, &format!("/api/v1/invitations/{invitation}")).await;
        assert_problem(opened, 409, "already_submitted").await;
        let draft =
            org.app.client.put(org.app.url(&format!("/api/v1/invitations/{invitation}/draft"))).bearer_auth(token);
        assert_problem(draft.json(&json!({"answers": []})).send().await.unwrap(), 409, "already_submitted").await;
    }
    let (respondents, _) = org.stored_answers();
    assert_eq!(respondents, 2, "each submission stored once");
    // HR sees the links as no longer in force; a revoked one answers 401 as before.
    let (first, first_token, first_answers) = &links[0];
    let listed =
        json_with_status(org.app.get_as(&admin, &format!("/api/v1/cycles/{cycle_id}/invitations")).await, 200).await;
    assert!(listed["items"].as_array().unwrap().iter().all(|i| i["has_link"] == false), "{listed}");
    assert_eq!(org.app.delete_as(&admin, &link_for(first)).await.status(), 204);
    let retried = org.app.post_as(first_token, &submit(first), &json!({"answers": first_answers})).await;
    assert_problem(retried, 401, "unauthorized").await;
    // Closing ends the other link.
    org.move_to(&cycle_id, "closed").await;
    let (second, second_token, second_answers) = &links[1];
    let retried = org.app.post_as(second_token, &submit(second), &json!({"answers": second_answers})).await;
    assert_problem(retried, 401, "unauthorized").await;
}
