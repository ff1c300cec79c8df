//! Leaders coaching leaders: relationships and their agreement, the reporting-line rule,
//! consent-based report sharing, private sessions and the coach's rating aggregate.

use serde_json::{Value, json};

use crate::helpers::{Org, assert_problem, json_with_status};

const RELATIONSHIPS: &str = "/api/v1/coaching/relationships";

/// A cycle released to `subject`: four peers (shown), two direct reports (too few to
/// show), the manager and the subject themselves. Returns the cycle id.
async fn released_cycle(org: &mut Org) -> String {
    released_cycle_scored(org, "Spring 360", |_, score| score).await
}

/// The same, named, with every score passed through `score(rater, score)`.
async fn released_cycle_scored(org: &mut Org, name: &str, score: impl Fn(&str, i64) -> i64) -> String {
    let cycle = org.create_cycle(json!({"name": name})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_string();
    org.add(&cycle_id, &["subject"]).await;
    org.move_to(&cycle_id, "nominating").await;
    for (rater, relationship) in [
        ("peer1", "peer"),
        ("peer2", "peer"),
        ("peer3", "peer"),
        ("peer4", "peer"),
        ("report1", "direct_report"),
        ("report2", "direct_report"),
    ] {
        org.nominate(&cycle_id, "subject", rater, relationship).await;
    }
    org.move_to(&cycle_id, "collecting").await;
    for (rater, given) in [
        ("subject", 5),
        ("manager", 3),
        ("peer1", 4),
        ("peer2", 4),
        ("peer3", 2),
        ("peer4", 2),
        ("report1", 5),
        ("report2", 1),
    ] {
        let id = org.invitation_of(rater, "subject").await["id"].as_str().unwrap().to_string();
        let answers = org.full_answers(rater, &id, score(rater, given), &format!("Said by {rater}")).await;
        json_with_status(org.submit(rater, &id, answers).await, 200).await;
    }
    org.move_to(&cycle_id, "closed").await;
    let release = format!("/api/v1/cycles/{cycle_id}/reports/release");
    json_with_status(org.app.post_as(&org.admin(), &release, &json!({})).await, 200).await;
    cycle_id
}

/// HR sets up a pair and both members accept; returns the relationship.
async fn active_pair(org: &mut Org, coach: &str, coachee: &str) -> Value {
    let body = json!({"kind": "pair", "coach_id": org.id(coach), "coachee_id": org.id(coachee), "focus_competencies": ["vision"]});
    let created = json_with_status(org.app.post_as(&org.admin(), RELATIONSHIPS, &body).await, 201).await;
    assert_eq!(created["status"], "proposed");
    let id = created["id"].as_str().unwrap().to_string();
    let mut last = Value::Null;
    for who in [coach, coachee] {
        let token = org.token(who).await;
        last =
            json_with_status(org.app.post_as(&token, &format!("{RELATIONSHIPS}/{id}/accept"), &json!({})).await, 200)
                .await;
    }
    assert_eq!(last["status"], "active");
    last
}

fn keys(list: &Value, field: &str) -> Vec<String> {
    let mut keys: Vec<String> =
        list.as_array().unwrap().iter().map(|v| v[field].as_str().unwrap_or_default().to_string()).collect();
    keys.sort();
    keys
}

#[actix_web::test]
async fn a_coach_reads_exactly_what_the_coachee_shared_while_the_share_stands() {
    let mut org = Org::new().await;
    let cycle_id = released_cycle(&mut org).await;
    let relationship = active_pair(&mut org, "peer5", "subject").await;
    let rel_id = relationship["id"].as_str().unwrap().to_string();
    let report_path = format!("/api/v1/cycles/{cycle_id}/reports/{}", org.id("subject"));
    let (coach, coachee, stranger) = (org.token("peer5").await, org.token("subject").await, org.token("peer6").await);
    let own = json_with_status(org.app.get_as(&coachee, &report_path).await, 200).await;

    // No share: the coach gets what a stranger gets.
    assert_problem(org.app.get_as(&coach, &report_path).await, 404, "not_found").await;

    // A share made to a relationship not yet accepted shows nothing; declining revokes it.
    let body = json!({"kind": "pair", "coach_id": org.id("peer7"), "coachee_id": org.id("subject")});
    let proposed = json_with_status(org.app.post_as(&org.admin(), RELATIONSHIPS, &body).await, 201).await;
    let proposed_id = proposed["id"].as_str().unwrap();
    let early = format!("{RELATIONSHIPS}/{proposed_id}/shares");
    json_with_status(org.app.post_as(&coachee, &early, &json!({"cycle_id": cycle_id})).await, 201).await;
    let peer7 = org.token("peer7").await;
    assert_problem(org.app.get_as(&peer7, &report_path).await, 404, "not_found").await;
    let declined = org.app.post_as(&peer7, &format!("{RELATIONSHIPS}/{proposed_id}/decline"), &json!({})).await;
    assert_eq!(json_with_status(declined, 200).await["shares"], json!([]));

    // Only the coachee shares, only a report released to them, only known competencies.
    let shares = format!("{RELATIONSHIPS}/{rel_id}/shares");
    let two = json!({"cycle_id": cycle_id, "competency_keys": ["vision", "communication"]});
    assert_problem(org.app.post_as(&coach, &shares, &two).await, 403, "forbidden").await;
    let unknown = json!({"cycle_id": cycle_id, "competency_keys": ["vision", "charisma"]});
    assert_problem(org.app.post_as(&coachee, &shares, &unknown).await, 422, "validation_failed").await;
    let share = json_with_status(org.app.post_as(&coachee, &shares, &two).await, 201).await;
    assert_eq!(share["competency_keys"], json!(["communication", "vision"]));

    // The coach sees those two competencies and nothing else, as the subject sees them:
    // the direct reports' group is still withheld.
    let shared = json_with_status(org.app.get_as(&coach, &report_path).await, 200).await;
    assert_eq!(keys(&shared["competencies"], "key"), ["communication", "vision"]);
    for competency in shared["competencies"].as_array().unwrap() {
        let theirs = own["competencies"].as_array().unwrap().iter().find(|c| c["key"] == competency["key"]).unwrap();
        assert_eq!(competency, theirs);
        assert_eq!(competency["groups"]["direct_report"]["suppressed"], true);
    }
    for list in ["strengths", "development_areas", "blind_spots", "hidden_strengths"] {
        assert!(shared[list].as_array().unwrap().iter().all(|k| k == "vision" || k == "communication"), "{list}");
    }
    assert_eq!(keys(&shared["comments"], "competency_key"), ["communication", "vision"]);
    let text = shared.to_string();
    assert!(!text.contains("Said by report1") && !text.contains("Said by report2"), "withheld comments stay withheld");
    assert!(!text.contains("decision_making"), "nothing of a competency not shared");
    assert_eq!(shared["respondents"]["direct_report"]["suppressed"], true);
    let svg = org.app.get_as(&coach, &format!("{report_path}/radar.svg")).await;
    assert_eq!(svg.status(), 200);

    // Strangers still get 404; HR sees that the share exists, not its content.
    assert_problem(org.app.get_as(&stranger, &report_path).await, 404, "not_found").await;
    let hr_view = json_with_status(org.app.get_as(&org.admin(), &format!("{RELATIONSHIPS}/{rel_id}")).await, 200).await;
    assert_eq!(hr_view["shares"][0]["id"], share["id"]);
    assert!(!hr_view.to_string().contains("Said by"), "{hr_view}");
    assert_problem(org.app.get_as(&stranger, &format!("{RELATIONSHIPS}/{rel_id}")).await, 404, "not_found").await;

    // Every read through the share is audited with it.
    let audit = org.app.get_as(&org.admin(), "/api/v1/audit-events?action=report.read").await;
    let audit = json_with_status(audit, 200).await;
    let coach_reads: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == format!("person:{}", org.id("peer5")))
        .collect();
    assert_eq!(coach_reads.len(), 2);
    assert!(coach_reads.iter().all(|e| e["details"]["share_ids"] == json!([share["id"]])));

    // Revoked: 404 again, and a second revocation finds nothing.
    let share_path = format!("/api/v1/coaching/shares/{}", share["id"].as_str().unwrap());
    assert_problem(org.app.delete_as(&coach, &share_path).await, 404, "not_found").await;
    assert_eq!(org.app.delete_as(&coachee, &share_path).await.status(), 204);
    assert_problem(org.app.get_as(&coach, &report_path).await, 404, "not_found").await;
    assert_problem(org.app.delete_as(&coachee, &share_path).await, 404, "not_found").await;

    // The whole report, then the relationship ends and takes the share with it.
    let whole = json_with_status(org.app.post_as(&coachee, &shares, &json!({"cycle_id": cycle_id})).await, 201).await;
    assert_eq!(whole["competency_keys"], Value::Null);
    let all = json_with_status(org.app.get_as(&coach, &report_path).await, 200).await;
    assert_eq!(all["competencies"], own["competencies"]);
    assert_eq!(all["comments"], own["comments"]);
    let end = json!({"to": "ended", "reason": "Goals met"});
    let ended = org.app.post_as(&coach, &format!("{RELATIONSHIPS}/{rel_id}/transitions"), &end).await;
    let ended = json_with_status(ended, 200).await;
    assert_eq!((ended["status"].as_str(), ended["end_reason"].as_str()), (Some("ended"), Some("Goals met")));
    assert_eq!(ended["shares"], json!([]));
    assert_problem(org.app.get_as(&coach, &report_path).await, 404, "not_found").await;
    let again = org.app.post_as(&coachee, &shares, &json!({"cycle_id": cycle_id})).await;
    assert_problem(again, 409, "relationship_closed").await;
}

#[actix_web::test]
async fn nobody_coaches_their_manager_or_a_direct_report_unless_hr_says_why() {
    let mut org = Org::new().await;
    let pair = |coach: &str, coachee: &str| json!({"kind": "pair", "coach_id": coach, "coachee_id": coachee});
    // The manager coaching their report, the report coaching their manager, a circle with both.
    for body in [
        pair(&org.id("manager"), &org.id("subject")),
        pair(&org.id("report1"), &org.id("subject")),
        json!({"kind": "circle", "member_ids": [org.id("peer1"), org.id("subject"), org.id("report2")]}),
    ] {
        assert_problem(org.app.post_as(&org.admin(), RELATIONSHIPS, &body).await, 422, "reporting_line").await;
    }
    // A leader may not override, nor propose for others.
    let subject = org.token("subject").await;
    let mut overridden = pair(&org.id("report1"), &org.id("subject"));
    overridden["override_reason"] = json!("Reverse mentoring on tooling");
    assert_problem(org.app.post_as(&subject, RELATIONSHIPS, &overridden).await, 403, "forbidden").await;
    let others = pair(&org.id("peer1"), &org.id("peer2"));
    assert_problem(org.app.post_as(&subject, RELATIONSHIPS, &others).await, 403, "forbidden").await;
    // HR may, and says why: kept, audited, shown to HR only.
    let created = json_with_status(org.app.post_as(&org.admin(), RELATIONSHIPS, &overridden).await, 201).await;
    assert_eq!(created["override_reason"], "Reverse mentoring on tooling");
    let id = created["id"].as_str().unwrap();
    let member_view = json_with_status(org.app.get_as(&subject, &format!("{RELATIONSHIPS}/{id}")).await, 200).await;
    assert!(member_view.get("override_reason").is_none(), "{member_view}");
    let audit = org.app.get_as(&org.admin(), "/api/v1/audit-events?action=coaching.relationship_created").await;
    let audit = json_with_status(audit, 200).await;
    assert_eq!(audit["items"][0]["details"]["override_reason"], "Reverse mentoring on tooling");

    // Circles hold 3 to 6 distinct members.
    let members = |n: usize| (1..=n).map(|i| org.id(&format!("peer{i}"))).collect::<Vec<_>>();
    for ids in [members(2), members(7), vec![org.id("peer1"), org.id("peer1"), org.id("peer2")]] {
        let body = json!({"kind": "circle", "member_ids": ids});
        assert_problem(org.app.post_as(&org.admin(), RELATIONSHIPS, &body).await, 422, "validation_failed").await;
    }
    let circle = json!({"kind": "circle", "member_ids": members(3), "focus_competencies": ["nonexistent"]});
    assert_problem(org.app.post_as(&org.admin(), RELATIONSHIPS, &circle).await, 422, "validation_failed").await;

    // A leader proposes to a peer: their proposal is their acceptance; the peer's makes it active.
    let proposal = pair(&org.id("peer1"), &org.id("subject"));
    let proposed = json_with_status(org.app.post_as(&subject, RELATIONSHIPS, &proposal).await, 201).await;
    assert_eq!(proposed["status"], "proposed");
    assert_eq!(proposed["agreement"]["cadence"], "Every two weeks, 45 minutes", "the starter agreement");
    let pid = proposed["id"].as_str().unwrap().to_string();
    let accepted_by =
        |v: &Value| v["members"].as_array().unwrap().iter().filter(|m| !m["accepted_at"].is_null()).count();
    assert_eq!(accepted_by(&proposed), 1);
    let peer1 = org.token("peer1").await;
    let active = org.app.post_as(&peer1, &format!("{RELATIONSHIPS}/{pid}/accept"), &json!({})).await;
    assert_eq!(json_with_status(active, 200).await["status"], "active");
    let again = org.app.post_as(&peer1, &format!("{RELATIONSHIPS}/{pid}/accept"), &json!({})).await;
    assert_problem(again, 409, "relationship_not_proposed").await;
    let late =
        org.app.patch_as(&peer1, &format!("{RELATIONSHIPS}/{pid}"), &json!({"focus_competencies": ["vision"]})).await;
    assert_problem(late, 409, "relationship_not_proposed").await;

    // Changing a proposal's agreement: everyone accepts again, the one who changed it aside.
    let proposal = json_with_status(
        org.app.post_as(&subject, RELATIONSHIPS, &pair(&org.id("peer5"), &org.id("subject"))).await,
        201,
    )
    .await;
    let amend = format!("{RELATIONSHIPS}/{}", proposal["id"].as_str().unwrap());
    let peer5 = org.token("peer5").await;
    let mut terms = proposal["agreement"].clone();
    terms["cadence"] = json!("Monthly, an hour");
    let amended = json_with_status(org.app.patch_as(&peer5, &amend, &json!({"agreement": terms})).await, 200).await;
    assert_eq!(amended["agreement"]["cadence"], "Monthly, an hour");
    let accepted: Vec<&str> = amended["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["accepted_at"].is_null())
        .map(|m| m["person_id"].as_str().unwrap())
        .collect();
    assert_eq!(accepted, [org.id("peer5").as_str()], "the subject accepts the new terms again");
    let outsider = org.token("peer8").await;
    assert_problem(org.app.patch_as(&outsider, &amend, &json!({"focus_competencies": []})).await, 404, "not_found")
        .await;

    // Pause, resume; a paused relationship cannot be paused again; strangers cannot touch it.
    let transitions = format!("{RELATIONSHIPS}/{pid}/transitions");
    let paused = json_with_status(org.app.post_as(&peer1, &transitions, &json!({"to": "paused"})).await, 200).await;
    assert_eq!(paused["status"], "paused");
    assert_problem(org.app.post_as(&peer1, &transitions, &json!({"to": "paused"})).await, 409, "invalid_transition")
        .await;
    let stranger = org.token("peer7").await;
    assert_problem(org.app.post_as(&stranger, &transitions, &json!({"to": "ended"})).await, 404, "not_found").await;
    json_with_status(org.app.post_as(&org.admin(), &transitions, &json!({"to": "active"})).await, 200).await;

    // Declining a proposal ends it before it starts.
    let declined_one = json_with_status(
        org.app.post_as(&org.admin(), RELATIONSHIPS, &pair(&org.id("peer2"), &org.id("peer3"))).await,
        201,
    )
    .await;
    let peer3 = org.token("peer3").await;
    let decline = format!("{RELATIONSHIPS}/{}/decline", declined_one["id"].as_str().unwrap());
    let declined =
        json_with_status(org.app.post_as(&peer3, &decline, &json!({"reason": "No time this quarter"})).await, 200)
            .await;
    assert_eq!(declined["status"], "declined");

    // HR lists with filters; a leader lists their own.
    let active_list =
        json_with_status(org.app.get_as(&org.admin(), &format!("{RELATIONSHIPS}?status=active")).await, 200).await;
    assert_eq!(keys(&active_list["items"], "id"), [pid]);
    let of_subject = format!("{RELATIONSHIPS}?person_id={}", org.id("subject"));
    assert_eq!(
        json_with_status(org.app.get_as(&org.admin(), &of_subject).await, 200).await["items"].as_array().unwrap().len(),
        3
    );
    let own = json_with_status(org.app.get_as(&peer3, RELATIONSHIPS).await, 200).await;
    assert_eq!(keys(&own["items"], "id"), [declined_one["id"].as_str().unwrap().to_string()]);
    assert_problem(
        org.app.get_as(&org.admin(), &format!("{RELATIONSHIPS}?status=dormant")).await,
        400,
        "invalid_query",
    )
    .await;
}

#[actix_web::test]
async fn session_notes_are_for_the_members_alone_and_sealed_in_the_database() {
    let mut org = Org::new().await;
    let ours = active_pair(&mut org, "peer1", "subject").await;
    let theirs = active_pair(&mut org, "peer2", "subject2").await;
    let ours_id = ours["id"].as_str().unwrap();
    let (coach, coachee) = (org.token("peer1").await, org.token("subject").await);
    let sessions = format!("{RELATIONSHIPS}/{ours_id}/sessions");
    let body = json!({
        "held_at": "2026-11-20T15:00:00Z",
        "agenda": "Planted agenda: the reorg",
        "notes": "Planted note: delegate the budget review",
        "action_items": [{"owner_id": org.id("subject"), "description": "Planted item: write the memo", "due_on": "2026-12-15"}],
    });
    let outsider_item =
        json!({"held_at": "2026-11-20T15:00:00Z", "action_items": [{"owner_id": org.id("peer8"), "description": "x"}]});
    assert_problem(org.app.post_as(&coach, &sessions, &outsider_item).await, 422, "validation_failed").await;
    let nul = json!({"held_at": "2026-11-20T15:00:00Z", "notes": "before\u{0}after"});
    assert_problem(org.app.post_as(&coach, &sessions, &nul).await, 422, "validation_failed").await;
    let created = org.app.client.post(org.app.url(&sessions)).bearer_auth(&coach).header("idempotency-key", "s-1");
    let session = json_with_status(created.json(&body).send().await.unwrap(), 201).await;
    let session_path = format!("/api/v1/coaching/sessions/{}", session["id"].as_str().unwrap());

    // Both members read it whole.
    for token in [&coach, &coachee] {
        let read = json_with_status(org.app.get_as(token, &session_path).await, 200).await;
        assert_eq!(read["notes"], "Planted note: delegate the budget review");
        assert_eq!(read["action_items"][0]["description"], "Planted item: write the memo");
        let listed = json_with_status(org.app.get_as(token, &sessions).await, 200).await;
        assert_eq!(listed[0]["id"], session["id"]);
    }
    // HR's client, an admin person, and a member of another relationship get 404.
    let (_, admin_person) = org.app.user_with_role("admin").await;
    let other_member = org.token("peer2").await;
    for token in [&org.admin(), &admin_person, &other_member] {
        assert_problem(org.app.get_as(token, &session_path).await, 404, "not_found").await;
        assert_problem(org.app.get_as(token, &sessions).await, 404, "not_found").await;
        let patch = org.app.patch_as(token, &session_path, &json!({"notes": "overwritten"})).await;
        assert_problem(patch, 404, "not_found").await;
    }
    let other_sessions = format!("{RELATIONSHIPS}/{}/sessions", theirs["id"].as_str().unwrap());
    assert_problem(org.app.get_as(&coach, &other_sessions).await, 404, "not_found").await;
    // HR sees that a session was held, nothing of it.
    let hr_view =
        json_with_status(org.app.get_as(&org.admin(), &format!("{RELATIONSHIPS}/{ours_id}")).await, 200).await;
    assert_eq!(hr_view["sessions_held"], 1);
    assert!(!hr_view.to_string().contains("Planted"));

    // Edits need the current version; action items are ticked off by members.
    let stale = org.app.client.patch(org.app.url(&session_path)).bearer_auth(&coachee).header("if-match", "\"0\"");
    let stale = stale.json(&json!({"notes": "late"})).send().await.unwrap();
    assert_problem(stale, 412, "precondition_failed").await;
    let fresh = org.app.client.patch(org.app.url(&session_path)).bearer_auth(&coachee).header("if-match", "\"1\"");
    let fresh =
        json_with_status(fresh.json(&json!({"notes": "Planted note, revised"})).send().await.unwrap(), 200).await;
    assert_eq!((fresh["version"].as_i64(), fresh["agenda"].as_str()), (Some(2), Some("Planted agenda: the reorg")));
    let item_path = format!("/api/v1/coaching/action-items/{}", fresh["action_items"][0]["id"].as_str().unwrap());
    assert_problem(org.app.patch_as(&other_member, &item_path, &json!({"done": true})).await, 404, "not_found").await;
    let done = json_with_status(org.app.patch_as(&coachee, &item_path, &json!({"done": true})).await, 200).await;
    assert!(done["done_at"].is_string());

    // The database holds none of it in clear.
    use diesel::prelude::*;
    use roundtable::db::schema::{action_items, coaching_sessions};
    let mut conn = org.app.database.conn();
    let mut stored: Vec<Vec<u8>> =
        roundtable::db_run!(&mut conn, |c| coaching_sessions::table.select(coaching_sessions::sealed).load(c)).unwrap();
    stored
        .extend(roundtable::db_run!(&mut conn, |c| action_items::table.select(action_items::sealed).load(c)).unwrap());
    assert_eq!(stored.len(), 2);
    // Nor does the idempotency store, which keeps no answer of these routes.
    use roundtable::db::schema::idempotency_keys;
    let kept: Vec<Option<String>> =
        roundtable::db_run!(&mut conn, |c| idempotency_keys::table.select(idempotency_keys::response_body).load(c))
            .unwrap();
    stored.extend(kept.into_iter().flatten().map(String::into_bytes));
    for bytes in stored {
        assert!(!String::from_utf8_lossy(&bytes).contains("Planted"));
    }

    // Once the relationship is over, its sessions stay as they are.
    let end = org.app.post_as(&coach, &format!("{RELATIONSHIPS}/{ours_id}/transitions"), &json!({"to": "ended"})).await;
    json_with_status(end, 200).await;
    let item = json!({"owner_id": org.id("subject"), "description": "late"});
    let late = org.app.post_as(&coach, &format!("{session_path}/action-items"), &item).await;
    assert_problem(late, 409, "relationship_closed").await;
    assert_problem(org.app.patch_as(&coachee, &item_path, &json!({"done": false})).await, 409, "relationship_closed")
        .await;
}

#[actix_web::test]
async fn a_coach_sees_their_rating_aggregate_only_once_three_coachees_stand_behind_it() {
    let mut org = Org::new().await;
    let coachees = ["subject", "subject2", "peer2", "peer3"];
    let mut rated = Vec::new();
    for coachee in coachees {
        let pair = active_pair(&mut org, "peer1", coachee).await;
        let coach = org.token("peer1").await;
        let path = format!("{RELATIONSHIPS}/{}/sessions", pair["id"].as_str().unwrap());
        let session =
            json_with_status(org.app.post_as(&coach, &path, &json!({"held_at": "2026-11-20T15:00:00Z"})).await, 201)
                .await;
        rated.push(format!("/api/v1/coaching/sessions/{}/rating", session["id"].as_str().unwrap()));
    }
    let coach = org.token("peer1").await;
    for who in coachees {
        org.token(who).await;
    }
    let feedback =
        || async { json_with_status(org.app.get_as(&coach, "/api/v1/me/coaching/feedback").await, 200).await };

    // The coach of a pair has nobody to rate; a coachee rates once.
    assert_problem(org.app.post_as(&coach, &rated[0], &json!({"usefulness": 5})).await, 422, "nothing_to_rate").await;
    let rate = |who: &str, session: usize, usefulness: i64| {
        let (who, path) = (who.to_string(), rated[session].clone());
        let org = &org;
        async move {
            let token = org.tokens[&who].clone();
            org.app.post_as(&token, &path, &json!({"usefulness": usefulness})).await
        }
    };
    json_with_status(rate("subject", 0, 5).await, 201).await;
    assert_problem(rate("subject", 0, 1).await, 409, "already_rated").await;
    assert_problem(rate("subject2", 0, 1).await, 404, "not_found").await;
    json_with_status(rate("subject2", 1, 3).await, 201).await;

    // Two coachees: withheld.
    let two = feedback().await;
    assert_eq!(two["mean_usefulness"]["suppressed"], true, "{two}");
    assert_eq!(two["ratings"]["suppressed"], true);

    // Three: shown. A fourth rating waits for two more coachees before it joins.
    json_with_status(rate("peer2", 2, 4).await, 201).await;
    let three = feedback().await;
    assert_eq!((three["ratings"].as_i64(), three["coachees"].as_i64()), (Some(3), Some(3)), "{three}");
    assert_eq!(three["mean_usefulness"], 4.0);
    json_with_status(rate("peer3", 3, 1).await, 201).await;
    assert_eq!(feedback().await, three);
}

#[actix_web::test]
async fn suggestions_pair_needs_with_strengths_across_departments_and_show_no_figures() {
    let app = crate::helpers::spawn_app().await;
    let demo = roundtable::demo::create_demo(&mut app.database.conn()).expect("demo");
    let hr = app.client_token(&demo.org.client_id, &demo.org.client_secret).await;
    let path = format!("/api/v1/cycles/{}/coaching/suggestions", demo.cycle_id);
    let body = json!({"cross_department_weight": 10.0, "max_coachees_per_coach": 2, "seed": 5});
    // The demo set up a dozen pairs: their coachees get no new coach, their coaches have
    // one coachee already.
    let existing = json_with_status(app.get_as(&hr, &format!("{RELATIONSHIPS}?limit=200")).await, 200).await;
    let mut load = std::collections::HashMap::new();
    let mut coached = std::collections::HashSet::new();
    for r in existing["items"].as_array().unwrap() {
        for m in r["members"].as_array().unwrap() {
            let id = m["person_id"].as_str().unwrap().to_string();
            if m["role"] == "coach" {
                *load.entry(id).or_insert(0) += 1;
            } else {
                coached.insert(id);
            }
        }
    }
    assert_eq!(coached.len(), 12);
    let first = json_with_status(app.post_as(&hr, &path, &body).await, 200).await;
    let suggestions = first["suggestions"].as_array().unwrap();
    assert!(suggestions.len() >= 15, "{}", first["summary"]);
    assert_eq!(json_with_status(app.post_as(&hr, &path, &body).await, 200).await, first, "same input and seed");

    let people = json_with_status(app.get_as(&hr, "/api/v1/people?limit=200").await, 200).await;
    let mut manager_of = std::collections::HashMap::new();
    for p in people["items"].as_array().unwrap() {
        manager_of.insert(p["id"].as_str().unwrap().to_string(), p["manager_id"].as_str().map(str::to_string));
    }
    for s in suggestions {
        assert_eq!((s["kind"].as_str(), s["members"][0]["role"].as_str()), (Some("pair"), Some("coach")));
        let (coach, coachee) =
            (s["members"][0]["person_id"].as_str().unwrap(), s["members"][1]["person_id"].as_str().unwrap());
        assert!(
            s["cross_department"].as_bool().unwrap() && s["members"][0]["department"] != s["members"][1]["department"]
        );
        if let (Some(a), Some(b)) = (manager_of.get(coachee), manager_of.get(coach)) {
            assert_ne!(a.as_deref(), Some(coach), "never the coachee's manager");
            assert_ne!(b.as_deref(), Some(coachee), "never the coachee's direct report");
        }
        assert!(coached.insert(coachee.to_string()), "coachee in one suggestion at most");
        *load.entry(coach.to_string()).or_insert(0) += 1;
        // Words only: no digit in the rationale, no number anywhere in a suggestion.
        assert!(!s["rationale"].as_str().unwrap().chars().any(|c| c.is_ascii_digit()), "{}", s["rationale"]);
        assert!(!s.to_string().split(['"', ':', ',', '[', ']', '{', '}']).any(|t| t.parse::<f64>().is_ok()), "{s}");
    }
    assert!(load.values().all(|&n| n <= 2));

    // The focus is what the coachee's report names to grow, and the coach's shows strong.
    let s = &suggestions[0];
    let focus = s["focus_competencies"][0]["key"].as_str().unwrap();
    let report = |who: &str| format!("/api/v1/cycles/{}/reports/{who}", demo.cycle_id);
    let coachee =
        json_with_status(app.get_as(&hr, &report(s["members"][1]["person_id"].as_str().unwrap())).await, 200).await;
    let named = |list: &str| coachee[list].as_array().unwrap().iter().any(|k| k == focus);
    assert!(named("blind_spots") || named("development_areas"), "{focus}: {}", coachee["development_areas"]);
    let coach =
        json_with_status(app.get_as(&hr, &report(s["members"][0]["person_id"].as_str().unwrap())).await, 200).await;
    let strength = coach["competencies"].as_array().unwrap().iter().find(|c| c["key"] == focus).unwrap();
    assert!(strength["percentile"].as_f64().unwrap() >= 75.0);

    // The demo set up a dozen of them already, accepted, some with a session.
    let count = |listed: Value| listed["items"].as_array().unwrap().len();
    let before = count(json_with_status(app.get_as(&hr, &format!("{RELATIONSHIPS}?limit=200")).await, 200).await);
    assert_eq!((before, demo.relationships), (12, 12));

    // HR creates the chosen ones in one call; one bad item and none is created.
    let chosen: Vec<Value> = suggestions.iter().take(3).map(|s| s["relationships"][0].clone()).collect();
    let created = app.post_as(&hr, "/api/v1/coaching/relationships/batch", &json!({"relationships": chosen})).await;
    let created = json_with_status(created, 201).await;
    assert_eq!(created["relationships"].as_array().unwrap().len(), 3);
    assert!(created["relationships"].as_array().unwrap().iter().all(|r| r["status"] == "proposed"));
    let (report_id, manager_id) = manager_of.iter().find_map(|(p, m)| Some((p.clone(), m.clone()?))).unwrap();
    let bad = json!({"kind": "pair", "coach_id": manager_id, "coachee_id": report_id});
    let batch = json!({"relationships": [suggestions[3]["relationships"][0].clone(), bad]});
    let refused = app.post_as(&hr, "/api/v1/coaching/relationships/batch", &batch).await;
    let problem = assert_problem(refused, 422, "reporting_line").await;
    assert!(problem["detail"].as_str().unwrap().starts_with("relationships[1]"), "{problem}");
    let after = count(json_with_status(app.get_as(&hr, &format!("{RELATIONSHIPS}?limit=200")).await, 200).await);
    assert_eq!(after, before + 3, "the failed batch wrote nothing");

    // Leaders do not get suggestions.
    let leader = json_with_status(
        app.post_as(&hr, "/api/v1/auth/user-tokens", &json!({"person_id": s["members"][0]["person_id"]})).await,
        201,
    )
    .await;
    let leader = leader["access_token"].as_str().unwrap();
    assert_problem(app.post_as(leader, &path, &json!({})).await, 403, "forbidden").await;
    // Nor a client that manages coaching but does not read reports.
    let scopes = json!({"name": "Coaching tool", "scopes": ["coaching:write"]});
    let client = json_with_status(app.post_as(&hr, "/api/v1/clients", &scopes).await, 201).await;
    let token =
        app.client_token(client["client_id"].as_str().unwrap(), client["client_secret"].as_str().unwrap()).await;
    assert_problem(app.post_as(&token, &path, &json!({})).await, 403, "forbidden").await;
}

/// Words only: no digit in a rationale, no number anywhere in a suggestion.
fn assert_no_figures(suggestion: &Value) {
    let rationale = suggestion["rationale"].as_str().unwrap();
    assert!(!rationale.chars().any(|c| c.is_ascii_digit()), "{rationale}");
    let text = suggestion.to_string();
    assert!(!text.split(['"', ':', ',', '[', ']', '{', '}']).any(|t| t.parse::<f64>().is_ok()), "{text}");
}

#[actix_web::test]
async fn reciprocal_pairs_and_circles_keep_the_rules_and_become_relationships_in_one_call() {
    let app = crate::helpers::spawn_app().await;
    let demo = roundtable::demo::create_demo(&mut app.database.conn()).expect("demo");
    let hr = app.client_token(&demo.org.client_id, &demo.org.client_secret).await;
    let path = format!("/api/v1/cycles/{}/coaching/suggestions", demo.cycle_id);
    let mut manager_of = std::collections::HashMap::new();
    let mut page = "/api/v1/people?limit=200".to_string();
    loop {
        let people = json_with_status(app.get_as(&hr, &page).await, 200).await;
        for p in people["items"].as_array().unwrap() {
            manager_of.insert(p["id"].as_str().unwrap().to_string(), p["manager_id"].as_str().map(str::to_string));
        }
        let Some(cursor) = people["next_cursor"].as_str() else { break };
        page = format!("/api/v1/people?limit=200&cursor={cursor}");
    }
    let one_line = |a: &str, b: &str| manager_of[a].as_deref() == Some(b) || manager_of[b].as_deref() == Some(a);
    let report = |who: &str| format!("/api/v1/cycles/{}/reports/{who}", demo.cycle_id);
    let ids = |s: &Value| -> Vec<String> {
        s["members"].as_array().unwrap().iter().map(|m| m["person_id"].as_str().unwrap().to_string()).collect()
    };

    // Reciprocal: each coaches the other on a need of theirs.
    let body = json!({"shape": "reciprocal", "cross_department_weight": 2.0, "seed": 3});
    let reciprocal = json_with_status(app.post_as(&hr, &path, &body).await, 200).await;
    assert_eq!(json_with_status(app.post_as(&hr, &path, &body).await, 200).await, reciprocal, "same input and seed");
    let pairs = reciprocal["suggestions"].as_array().unwrap();
    assert!(pairs.len() >= 3, "{}", reciprocal["summary"]);
    let mut seen = std::collections::HashSet::new();
    for s in pairs {
        assert_eq!(s["kind"], "reciprocal_pair");
        let [a, b] = <[String; 2]>::try_from(ids(s)).unwrap();
        assert!(s["members"].as_array().unwrap().iter().all(|m| m["role"] == "mutual"));
        assert!(seen.insert(a.clone()) && seen.insert(b.clone()), "a leader in one suggestion at most");
        assert!(!one_line(&a, &b), "never within a reporting line");
        let [ab, ba] = <[Value; 2]>::try_from(s["relationships"].as_array().unwrap().clone()).unwrap();
        assert_eq!((ab["coach_id"].as_str(), ab["coachee_id"].as_str()), (Some(a.as_str()), Some(b.as_str())));
        assert_eq!((ba["coach_id"].as_str(), ba["coachee_id"].as_str()), (Some(b.as_str()), Some(a.as_str())));
        // Each direction's focus is a need of its coachee's report.
        for (direction, coachee) in [(&ab, &b), (&ba, &a)] {
            let shown = json_with_status(app.get_as(&hr, &report(coachee)).await, 200).await;
            let focus = &direction["focus_competencies"][0];
            let named = |list: &str| shown[list].as_array().unwrap().contains(focus);
            assert!(named("blind_spots") || named("development_areas"), "{focus}");
        }
        assert_no_figures(s);
    }

    // Circles: 3 to the size asked for, a shared need, no reporting line inside.
    for size in [3, 4, 6] {
        let body = json!({"shape": "circles", "circle_size": size, "seed": 2});
        let found = json_with_status(app.post_as(&hr, &path, &body).await, 200).await;
        let circles = found["suggestions"].as_array().unwrap();
        assert!(!circles.is_empty(), "{}", found["summary"]);
        let mut seen = std::collections::HashSet::new();
        for s in circles {
            assert_eq!(s["kind"], "circle");
            let members = ids(s);
            assert!((3..=size).contains(&members.len()), "size {size}: {s}");
            let focus = &s["relationships"][0]["focus_competencies"][0];
            assert_eq!(&s["focus_competencies"][0]["key"], focus);
            for (i, a) in members.iter().enumerate() {
                assert!(seen.insert(a.clone()), "a leader in one circle at most");
                assert!(members[..i].iter().all(|b| !one_line(a, b)), "never within a reporting line");
                let shown = json_with_status(app.get_as(&hr, &report(a)).await, 200).await;
                let named = |list: &str| shown[list].as_array().unwrap().contains(focus);
                assert!(named("blind_spots") || named("development_areas"), "{a}: {focus}");
            }
            assert_no_figures(s);
        }
    }
    for size in [2, 7] {
        let body = json!({"shape": "circles", "circle_size": size});
        assert_problem(app.post_as(&hr, &path, &body).await, 422, "validation_failed").await;
    }

    // HR sets up a reciprocal pair and a circle in one call.
    let circles = json_with_status(app.post_as(&hr, &path, &json!({"shape": "circles"})).await, 200).await;
    let mut chosen: Vec<Value> = pairs[0]["relationships"].as_array().unwrap().clone();
    let circle = circles["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| ids(c).iter().all(|m| !ids(&pairs[0]).contains(m)))
        .expect("a circle apart from the first pair");
    chosen.push(circle["relationships"][0].clone());
    let created = app.post_as(&hr, "/api/v1/coaching/relationships/batch", &json!({"relationships": chosen})).await;
    let created = json_with_status(created, 201).await;
    let kinds: Vec<&str> =
        created["relationships"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["pair", "pair", "circle"]);
}

#[actix_web::test]
async fn the_demo_shows_a_coached_leader_growing_on_their_focus_between_two_cycles() {
    let app = crate::helpers::spawn_app().await;
    let demo = roundtable::demo::create_demo(&mut app.database.conn()).expect("demo");
    let hr = app.client_token(&demo.org.client_id, &demo.org.client_secret).await;
    let (_, leader) = &demo.featured_leader;
    let token =
        json_with_status(app.post_as(&hr, "/api/v1/auth/user-tokens", &json!({"person_id": leader})).await, 201).await
            ["access_token"]
            .as_str()
            .unwrap()
            .to_string();
    let goals = json_with_status(app.get_as(&token, &format!("/api/v1/people/{leader}/goals")).await, 200).await;
    let goal = &goals[0];
    assert_eq!(goal["progress"], 70, "{goals}");
    let growth = json_with_status(app.get_as(&token, &format!("/api/v1/people/{leader}/growth")).await, 200).await;
    let focus = growth["competencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == goal["competency_key"])
        .expect("the goal's competency");
    let cycles: Vec<&Value> = focus["points"].as_array().unwrap().iter().map(|p| &p["cycle_id"]).collect();
    assert_eq!(cycles, [&json!(demo.first_cycle_id), &json!(demo.cycle_id)]);
    assert!(focus["points"][1]["change"]["delta"].as_f64().unwrap() > 0.0, "{focus}");
    assert_eq!(focus["goals"][0]["goal_id"], goal["id"]);
}

#[actix_web::test]
async fn goals_are_private_to_the_leader_and_the_relationships_they_share_them_with() {
    let mut org = Org::new().await;
    let shared_pair = active_pair(&mut org, "peer1", "subject").await;
    let other_pair = active_pair(&mut org, "peer2", "subject2").await;
    let (subject, coach, outsider) = (org.token("subject").await, org.token("peer1").await, org.token("peer2").await);
    let (_, admin_person) = org.app.user_with_role("admin").await;
    let goals = format!("/api/v1/people/{}/goals", org.id("subject"));

    let goal = json!({
        "competency_key": "vision", "title": "Planted goal: explain the why", "target": "Every plan starts with why",
        "due_on": "2027-03-31", "shared_with": [shared_pair["id"]],
    });
    assert_problem(org.app.post_as(&coach, &goals, &goal).await, 403, "forbidden").await;
    let unknown = json!({"competency_key": "charisma", "title": "x"});
    assert_problem(org.app.post_as(&subject, &goals, &unknown).await, 422, "validation_failed").await;
    let foreign = json!({"competency_key": "vision", "title": "x", "shared_with": [other_pair["id"]]});
    assert_problem(org.app.post_as(&subject, &goals, &foreign).await, 422, "validation_failed").await;
    let created = json_with_status(org.app.post_as(&subject, &goals, &goal).await, 201).await;
    let goal_path = format!("/api/v1/goals/{}", created["id"].as_str().unwrap());

    // The leader and the coach it is shared with read it; nobody else does, HR included.
    for token in [&subject, &coach] {
        let listed = json_with_status(org.app.get_as(token, &goals).await, 200).await;
        assert_eq!(listed[0]["title"], "Planted goal: explain the why");
    }
    for token in [&outsider, &org.admin(), &admin_person] {
        assert_eq!(json_with_status(org.app.get_as(token, &goals).await, 200).await, json!([]));
        assert_problem(org.app.get_as(token, &goal_path).await, 404, "not_found").await;
        assert_problem(org.app.get_as(token, &format!("{goal_path}/check-ins")).await, 404, "not_found").await;
    }

    // Check-ins by the leader only, shown with the goal; none once it is achieved.
    let check_ins = format!("{goal_path}/check-ins");
    assert_problem(org.app.post_as(&coach, &check_ins, &json!({"progress": 90})).await, 404, "not_found").await;
    assert_problem(org.app.post_as(&subject, &check_ins, &json!({"progress": 140})).await, 422, "validation_failed")
        .await;
    json_with_status(
        org.app.post_as(&subject, &check_ins, &json!({"progress": 40, "note": "Planted note: two of five"})).await,
        201,
    )
    .await;
    let read = json_with_status(org.app.get_as(&coach, &goal_path).await, 200).await;
    assert_eq!(read["progress"], 40);
    let listed = json_with_status(org.app.get_as(&coach, &check_ins).await, 200).await;
    assert_eq!(listed[0]["note"], "Planted note: two of five");
    let achieved =
        json_with_status(org.app.patch_as(&subject, &goal_path, &json!({"status": "achieved"})).await, 200).await;
    assert_eq!((achieved["status"].as_str(), achieved["version"].as_i64()), (Some("achieved"), Some(2)));
    assert_problem(org.app.post_as(&subject, &check_ins, &json!({"progress": 100})).await, 409, "goal_not_open").await;

    // No longer shared: the coach loses it.
    json_with_status(org.app.patch_as(&subject, &goal_path, &json!({"shared_with": []})).await, 200).await;
    assert_problem(org.app.get_as(&coach, &goal_path).await, 404, "not_found").await;

    // Sealed in the database.
    use diesel::prelude::*;
    use roundtable::db::schema::{goal_check_ins, goals as goal_rows};
    let mut conn = org.app.database.conn();
    let mut stored: Vec<Vec<u8>> =
        roundtable::db_run!(&mut conn, |c| goal_rows::table.select(goal_rows::sealed).load(c)).unwrap();
    stored.extend(
        roundtable::db_run!(&mut conn, |c| goal_check_ins::table.select(goal_check_ins::sealed).load(c)).unwrap(),
    );
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|b| !String::from_utf8_lossy(b).contains("Planted")));
}

#[actix_web::test]
async fn the_library_starts_with_the_starter_set_and_recommends_for_a_leaders_development_areas() {
    let mut org = Org::new().await;
    let leader = org.token("peer8").await;
    let library = json_with_status(org.app.get_as(&leader, "/api/v1/coaching/resources").await, 200).await;
    let starters: Vec<&Value> = library["items"].as_array().unwrap().iter().filter(|r| r["starter"] == true).collect();
    assert_eq!(starters.len(), 6);
    assert!(starters.iter().any(|r| r["title"] == "A coaching agreement template"));
    // A starter resource HR deletes stays deleted across restarts; an organisation made
    // before the starter set existed (none at all) gets it at the next start.
    let starters_now = |org: &Org| {
        use diesel::prelude::*;
        use roundtable::db::schema::coaching_resources as r;
        let mut conn = org.app.database.conn();
        roundtable::db_run!(&mut conn, |c| r::table.filter(r::starter.is_not_null()).count().get_result::<i64>(c))
            .unwrap()
    };
    let first = format!("/api/v1/coaching/resources/{}", starters[0]["id"].as_str().unwrap());
    assert_eq!(org.app.delete_as(&org.admin(), &first).await.status(), 204);
    roundtable::coaching::resources::backfill_starter_sets(&mut org.app.database.conn()).unwrap();
    assert_eq!(starters_now(&org), 5);
    {
        use diesel::prelude::*;
        use roundtable::db::schema::coaching_resources as r;
        let mut conn = org.app.database.conn();
        roundtable::db_run!(&mut conn, |c| diesel::delete(r::table.filter(r::starter.is_not_null())).execute(c))
            .unwrap();
    }
    roundtable::coaching::resources::backfill_starter_sets(&mut org.app.database.conn()).unwrap();
    assert_eq!(starters_now(&org), 6);

    // HR adds to it; a leader may not; a resource has a link or a text, and known tags.
    let resources = "/api/v1/coaching/resources";
    let article = json!({"title": "Decision journals", "format": "article", "url": "https://intranet.example.com/dj", "competency_keys": ["decision_making"]});
    assert_problem(org.app.post_as(&leader, resources, &article).await, 403, "forbidden").await;
    for bad in [
        json!({"title": "x", "format": "guide"}),
        json!({"title": "x", "format": "guide", "url": "not a url"}),
        json!({"title": "x", "format": "guide", "body": "y", "competency_keys": ["charisma"]}),
        json!({"title": "x", "format": "podcast", "body": "y"}),
    ] {
        let refused = org.app.post_as(&org.admin(), resources, &bad).await;
        assert!(refused.status().is_client_error(), "{bad}");
    }
    let added = json_with_status(org.app.post_as(&org.admin(), resources, &article).await, 201).await;
    let tagged =
        json_with_status(org.app.get_as(&leader, &format!("{resources}?competency=decision_making")).await, 200).await;
    let titles: Vec<&str> = tagged["items"].as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Questions that open a conversation", "Decision journals"]);
    let path = format!("{resources}/{}", added["id"].as_str().unwrap());
    let changed =
        org.app.patch_as(&org.admin(), &path, &json!({"competency_keys": ["decision_making", "self_awareness"]})).await;
    assert_eq!(json_with_status(changed, 200).await["competency_keys"], json!(["decision_making", "self_awareness"]));

    // Recommendations follow the leader's latest released report, blind spots first.
    let cycle_id = released_cycle(&mut org).await;
    let subject = org.token("subject").await;
    let own = json_with_status(
        org.app.get_as(&subject, &format!("/api/v1/cycles/{cycle_id}/reports/{}", org.id("subject"))).await,
        200,
    )
    .await;
    let found = json_with_status(org.app.get_as(&subject, "/api/v1/me/recommendations").await, 200).await;
    assert_eq!(found["cycle_id"], cycle_id.as_str());
    let items = found["items"].as_array().unwrap();
    let first_tags = items[0]["resource"]["competency_keys"].as_array().unwrap();
    assert!(first_tags.iter().any(|k| own["blind_spots"].as_array().unwrap().contains(k)), "{}", items[0]);
    assert!(items[0]["because"].as_str().unwrap().contains("a blind spot in your Spring 360 report"), "{}", items[0]);
    assert!(items.iter().any(|i| i["resource"]["id"] == added["id"]), "the article on a blind spot's competency");
    let last = items.last().unwrap();
    assert_eq!(
        (last["resource"]["starter"].as_bool(), last["because"].as_str()),
        (Some(true), Some("For coaching a peer, when you start."))
    );
    // A leader without a released report gets the starter guides only.
    let none = json_with_status(org.app.get_as(&leader, "/api/v1/me/recommendations").await, 200).await;
    assert!(none["cycle_id"].is_null());
    assert!(none["items"].as_array().unwrap().iter().all(|i| i["resource"]["starter"] == true));

    assert_eq!(org.app.delete_as(&org.admin(), &path).await.status(), 204);
    assert_problem(org.app.delete_as(&org.admin(), &path).await, 404, "not_found").await;
}

#[actix_web::test]
async fn growth_shows_each_cycle_the_caller_may_see_with_changes_and_goals() {
    let mut org = Org::new().await;
    let first = released_cycle(&mut org).await;
    // The next cycle, everyone but the direct reports rates five.
    let second = released_cycle_scored(
        &mut org,
        "Autumn 360",
        |rater, score| if rater.starts_with("report") { score } else { 5 },
    )
    .await;
    let pair = active_pair(&mut org, "peer5", "subject").await;
    let (subject, coach, stranger) = (org.token("subject").await, org.token("peer5").await, org.token("peer6").await);
    let goal = json!({"competency_key": "vision", "title": "Explain the why", "shared_with": [pair["id"]]});
    json_with_status(
        org.app.post_as(&subject, &format!("/api/v1/people/{}/goals", org.id("subject")), &goal).await,
        201,
    )
    .await;
    let path = format!("/api/v1/people/{}/growth", org.id("subject"));

    let own = json_with_status(org.app.get_as(&subject, &path).await, 200).await;
    let vision = own["competencies"].as_array().unwrap().iter().find(|c| c["key"] == "vision").unwrap().clone();
    let cycles: Vec<&str> =
        vision["points"].as_array().unwrap().iter().map(|p| p["cycle_id"].as_str().unwrap()).collect();
    assert_eq!(cycles, [first.as_str(), second.as_str()]);
    // All others (manager and peers): 3 then 5; the direct reports stay out, too few.
    assert_eq!(
        (vision["points"][0]["others_mean"].as_f64(), vision["points"][1]["others_mean"].as_f64()),
        (Some(3.0), Some(5.0))
    );
    assert!(vision["points"][0]["change"].is_null());
    assert_eq!(vision["points"][1]["change"]["delta"], 2.0);
    assert_eq!(vision["points"][1]["change"]["significant"], true);
    assert_eq!(vision["goals"][0]["title"], "Explain the why");
    assert_eq!(own["competencies"].as_array().unwrap().len(), 8);

    // HR sees the figures, not the goals; a stranger nothing.
    let hr = json_with_status(org.app.get_as(&org.admin(), &path).await, 200).await;
    assert_eq!(hr["competencies"][0]["points"].as_array().unwrap().len(), 2);
    assert!(hr["competencies"].as_array().unwrap().iter().all(|c| c["goals"] == json!([])));
    assert_problem(org.app.get_as(&stranger, &path).await, 404, "not_found").await;
    assert_problem(org.app.get_as(&coach, &path).await, 404, "not_found").await;

    // A coach given vision from the second cycle sees that point alone, and the shared goal.
    let shares = format!("{RELATIONSHIPS}/{}/shares", pair["id"].as_str().unwrap());
    json_with_status(
        org.app.post_as(&subject, &shares, &json!({"cycle_id": second, "competency_keys": ["vision"]})).await,
        201,
    )
    .await;
    let coached = json_with_status(org.app.get_as(&coach, &path).await, 200).await;
    assert_eq!(coached["competencies"].as_array().unwrap().len(), 1);
    let seen = &coached["competencies"][0];
    assert_eq!((seen["key"].as_str(), seen["points"].as_array().unwrap().len()), (Some("vision"), 1));
    assert_eq!(seen["points"][0]["cycle_id"], second.as_str());
    assert!(seen["points"][0]["change"].is_null(), "no change against a cycle not shared");
    assert_eq!(seen["goals"][0]["title"], "Explain the why");
    let missing = format!("/api/v1/people/{}/growth", uuid::Uuid::now_v7());
    assert_problem(org.app.get_as(&org.admin(), &missing).await, 404, "not_found").await;
}
