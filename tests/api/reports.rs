//! Growth reports through the API, with figures computed by hand.

use serde_json::{Value, json};

use crate::helpers::{Org, assert_problem, json_with_status, redacted};

/// Answers every question: ratings with `score`, text with `comment`.
async fn answer(org: &mut Org, rater: &str, score: i64, comment: &str) {
    let invitation = org.invitation_of(rater, "subject").await;
    let id = invitation["id"].as_str().unwrap().to_string();
    let answers = org.full_answers(rater, &id, score, comment).await;
    json_with_status(org.submit(rater, &id, answers).await, 200).await;
}

#[actix_web::test]
async fn a_report_shows_hand_computed_figures_and_hides_small_groups() {
    let mut org = Org::new().await;
    let cycle = org.create_cycle(json!({"name": "Spring 360"})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_string();
    org.add(&cycle_id, &["subject"]).await;
    org.move_to(&cycle_id, "nominating").await;
    for peer in ["peer1", "peer2", "peer3", "peer4"] {
        org.nominate(&cycle_id, "subject", peer, "peer").await;
    }
    for report in ["report1", "report2"] {
        org.nominate(&cycle_id, "subject", report, "direct_report").await;
    }
    org.move_to(&cycle_id, "collecting").await;
    let report_path = format!("/api/v1/cycles/{cycle_id}/reports/{}", org.id("subject"));
    assert_problem(org.app.get_as(&org.admin(), &report_path).await, 409, "cycle_not_closed").await;

    answer(&mut org, "subject", 5, "I set a clear direction.").await;
    answer(&mut org, "manager", 3, "Needs to delegate.").await;
    for (peer, score) in [("peer1", 4), ("peer2", 4), ("peer3", 2), ("peer4", 2)] {
        answer(&mut org, peer, score, &format!("Comment from {peer}")).await;
    }
    answer(&mut org, "report1", 5, "Great boss").await;
    answer(&mut org, "report2", 5, "Very supportive").await;
    org.move_to(&cycle_id, "closed").await;

    // Before release: HR reads it, the subject and other leaders get 404.
    let subject_token = org.token("subject").await;
    assert_problem(org.app.get_as(&subject_token, &report_path).await, 404, "not_found").await;
    let other_leader = org.token("subject2").await;
    assert_problem(org.app.get_as(&other_leader, &report_path).await, 404, "not_found").await;
    let report = json_with_status(org.app.get_as(&org.admin(), &report_path).await, 200).await;

    assert_eq!(report["respondents"]["self"], 1);
    assert_eq!(report["respondents"]["manager"], 1);
    assert_eq!(report["respondents"]["peer"], 4);
    assert_eq!(report["respondents"]["direct_report"]["suppressed"], true);
    let vision = report["competencies"].as_array().unwrap().iter().find(|c| c["key"] == "vision").unwrap().clone();
    assert_eq!(vision["groups"]["self"]["mean"], 5.0);
    assert_eq!(vision["groups"]["manager"]["mean"], 3.0);
    // Peers: 4, 4, 2, 2 on each of two questions.
    assert_eq!(vision["groups"]["peer"]["mean"], 3.0);
    assert_eq!(vision["groups"]["peer"]["count"], 8);
    assert_eq!(vision["groups"]["peer"]["spread"], 1.0);
    assert_eq!(vision["groups"]["peer"]["distribution"], json!([{"score": 2, "n": 4}, {"score": 4, "n": 4}]));
    assert_eq!(vision["groups"]["direct_report"]["suppressed"], true);
    assert_eq!(vision["groups"]["direct_report"]["reason"], "no question has enough responses from this group");
    // All others leaves the two direct reports out: (3 + 4 + 4 + 2 + 2) / 5 per question,
    // spread √((0 + 1 + 1 + 1 + 1) / 5) = 0.894.
    assert_eq!(vision["others"]["mean"], 3.0);
    assert_eq!(vision["others"]["count"], 10);
    let question = &vision["questions"][0];
    assert_eq!(question["others_includes"], json!(["manager", "peer"]));
    assert_eq!(question["groups"]["direct_report"], json!({"suppressed": true, "reason": "fewer than 3 responses"}));
    assert_eq!(vision["gap"], 2.0);
    assert_eq!(vision["flag"], "blind_spot");
    assert_eq!(report["blind_spots"].as_array().unwrap().len(), 8);
    assert_eq!(vision["norm"]["suppressed"], true, "one subject is too few for a norm");
    assert_eq!(vision["percentile"]["suppressed"], true);

    // Comments: the peers' (four, enough) as "others", the manager's attributed, the
    // subject's own; the two direct reports' are withheld. Ordered by text.
    let comments = report["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 8);
    let first: Vec<(String, String)> = comments[0]["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["from"].as_str().unwrap().to_string(), c["text"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        first,
        [
            ("manager".to_string(), "Needs to delegate.".to_string()),
            ("others".to_string(), "Comment from peer1".to_string()),
            ("others".to_string(), "Comment from peer2".to_string()),
            ("others".to_string(), "Comment from peer3".to_string()),
            ("others".to_string(), "Comment from peer4".to_string()),
            ("self".to_string(), "I set a clear direction.".to_string()),
        ]
    );
    assert!(!report.to_string().contains("Great boss"), "a group below the threshold shows no comment");

    // The same report as CSV and as a radar chart.
    let csv = org
        .app
        .client
        .get(org.app.url(&report_path))
        .bearer_auth(org.admin())
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with("competency_key,competency,question_key,question,group,mean,count,spread,suppressed_reason\n")
    );
    assert!(csv.contains("vision,Vision and direction,,,all_others,3,10,0.894,"), "{csv}");
    let svg = org.app.get_as(&org.admin(), &format!("{report_path}/radar.svg")).await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().starts_with("<svg"));

    // Released, the subject reads it and finds it among their reports.
    let released = org
        .app
        .post_as(
            &org.admin(),
            &format!("/api/v1/cycles/{cycle_id}/reports/release"),
            &json!({"subject_ids": [org.id("subject")]}),
        )
        .await;
    assert_eq!(json_with_status(released, 200).await["released"], 1);
    let own = json_with_status(org.app.get_as(&subject_token, &report_path).await, 200).await;
    assert_eq!(own["competencies"], report["competencies"]);
    let mine = json_with_status(org.app.get_as(&subject_token, "/api/v1/me/reports").await, 200).await;
    assert_eq!(mine[0]["cycle_id"], cycle_id.as_str());
    assert_problem(org.app.get_as(&other_leader, &report_path).await, 404, "not_found").await;

    // Every read is in the audit log, with who read it.
    let audit =
        json_with_status(org.app.get_as(&org.admin(), "/api/v1/audit-events?action=report.read").await, 200).await;
    let readers: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["actor"].as_str().unwrap()).collect();
    let admin = format!("client:{}", org.app.org.client_id);
    let subject = format!("person:{}", org.id("subject"));
    assert_eq!(readers, [admin.as_str(), admin.as_str(), admin.as_str(), subject.as_str()]);
}

#[actix_web::test]
async fn norms_percentiles_and_change_since_the_previous_cycle() {
    let mut org = Org::new().await;
    let subjects = [("subject", 2), ("subject2", 3), ("peer5", 4), ("peer6", 5), ("peer7", 1)];
    let first = org.create_cycle(json!({"name": "2025"})).await;
    let first_id = first["id"].as_str().unwrap().to_string();
    let names: Vec<&str> = subjects.iter().map(|(s, _)| *s).collect();
    org.add(&first_id, &names).await;
    org.move_to(&first_id, "nominating").await;
    for (subject, _) in subjects {
        for peer in ["peer1", "peer2", "peer3"] {
            org.nominate(&first_id, subject, peer, "peer").await;
        }
    }
    org.move_to(&first_id, "collecting").await;
    for (subject, score) in subjects {
        for peer in ["peer1", "peer2", "peer3"] {
            let invitation = org.invitation_of(peer, subject).await;
            let id = invitation["id"].as_str().unwrap().to_string();
            let answers = org.full_answers(peer, &id, score, "ok").await;
            json_with_status(org.submit(peer, &id, answers).await, 200).await;
        }
    }
    org.move_to(&first_id, "closed").await;
    let subject_id = org.id("subject");
    let path = |cycle: &str| format!("/api/v1/cycles/{cycle}/reports/{subject_id}");
    let before = json_with_status(org.app.get_as(&org.admin(), &path(&first_id)).await, 200).await;
    let vision = &before["competencies"][0];
    assert_eq!(vision["others"]["mean"], 2.0);
    assert_eq!(vision["norm"], 3.0, "pooled over the five subjects: (2 + 3 + 4 + 5 + 1) / 5");
    assert_eq!(vision["percentile"], 30.0, "one subject lower, none tied: (1 + 0.5) / 5");
    assert_eq!(vision["change"], json!(null));

    let second = org.create_cycle(json!({"name": "2026"})).await;
    let second_id = second["id"].as_str().unwrap().to_string();
    org.add(&second_id, &["subject"]).await;
    org.move_to(&second_id, "nominating").await;
    for peer in ["peer1", "peer2", "peer3"] {
        org.nominate(&second_id, "subject", peer, "peer").await;
    }
    org.move_to(&second_id, "collecting").await;
    for peer in ["peer1", "peer2", "peer3"] {
        let invitation = org.invitation_of(peer, "subject").await;
        let id = invitation["id"].as_str().unwrap().to_string();
        let answers = org.full_answers(peer, &id, 4, "better").await;
        json_with_status(org.submit(peer, &id, answers).await, 200).await;
    }
    org.move_to(&second_id, "closed").await;
    let unreleased = json_with_status(org.app.get_as(&org.admin(), &path(&second_id)).await, 200).await;
    assert_eq!(
        unreleased["competencies"][0]["change"],
        json!(null),
        "an earlier cycle counts once the subject was given its report"
    );
    org.move_to(&first_id, "released").await;
    org.move_to(&second_id, "released").await;
    let after = json_with_status(org.app.get_as(&org.admin(), &path(&second_id)).await, 200).await;
    let change = &after["competencies"][0]["change"];
    assert_eq!(change["previous_cycle_id"], first_id.as_str());
    assert_eq!(change["previous_mean"], 2.0);
    assert_eq!(change["delta"], 2.0);
    assert_eq!(change["significant"], true);
    assert!(after["released_at"].is_string(), "moving to released releases every report");
    assert_eq!(after["competencies"][0]["norm"]["suppressed"], true);
}

/// Others' scores on the sixteen rating questions, in questionnaire order, before a
/// rater's own lean.
const BASE: [i64; 16] = [4, 4, 3, 4, 3, 3, 4, 3, 4, 4, 2, 3, 4, 4, 4, 5];

/// A rater's scores: the base moved by `shift`, with a per-rater wobble so that
/// distributions and spreads are not flat.
fn scores(shift: i64, wobble: usize) -> Vec<i64> {
    BASE.iter().enumerate().map(|(i, s)| (s + shift + [0, 1, -1][(i + wobble) % 3]).clamp(1, 5)).collect()
}

/// Submits every rating (the n-th with `scores[n]`) and a comment on each text question
/// whose key is in `comments`.
async fn submit_scores(org: &mut Org, rater: &str, subject: &str, scores: &[i64], comments: &[(&str, &str)]) {
    let invitation = org.invitation_of(rater, subject).await;
    let id = invitation["id"].as_str().unwrap().to_string();
    let token = org.token(rater).await;
    let questionnaire = json_with_status(org.app.get_as(&token, &format!("/api/v1/invitations/{id}")).await, 200).await;
    let questions: Vec<Value> = questionnaire["competencies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["questions"].as_array().unwrap().clone())
        .collect();
    let mut ratings = scores.iter();
    let answers: Vec<Value> = questions
        .iter()
        .filter_map(|q| {
            if q["kind"] == "rating" {
                Some(json!({"question_id": q["id"], "score": ratings.next().expect("a score per rating")}))
            } else {
                let text = comments.iter().find(|(key, _)| q["key"] == *key)?.1;
                Some(json!({"question_id": q["id"], "comment": text}))
            }
        })
        .collect();
    assert!(ratings.next().is_none(), "a score per rating question");
    json_with_status(org.submit(rater, &id, answers).await, 200).await;
}

#[actix_web::test]
async fn a_full_report_matches_its_snapshot() {
    let mut org = Org::new().await;

    // Last year's cycle, rated by the manager only, for the change since then.
    let earlier = org.create_cycle(json!({"name": "Leadership 360 — 2025"})).await;
    let earlier_id = earlier["id"].as_str().unwrap().to_string();
    org.add(&earlier_id, &["subject"]).await;
    org.move_to(&earlier_id, "nominating").await;
    org.move_to(&earlier_id, "collecting").await;
    submit_scores(&mut org, "manager", "subject", &scores(-1, 0), &[]).await;
    org.move_to(&earlier_id, "closed").await;
    org.move_to(&earlier_id, "released").await;

    // This year: five subjects, so that norms and percentiles are shown.
    let cycle = org.create_cycle(json!({"name": "Leadership 360 — 2026"})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_string();
    org.add(&cycle_id, &["subject", "subject2", "peer6", "peer7", "peer8"]).await;
    org.move_to(&cycle_id, "nominating").await;
    for peer in ["peer1", "peer2", "peer3", "peer4"] {
        org.nominate(&cycle_id, "subject", peer, "peer").await;
    }
    for report in ["report1", "report2", "report3"] {
        org.nominate(&cycle_id, "subject", report, "direct_report").await;
    }
    org.nominate(&cycle_id, "subject", "peer5", "other").await;
    for leader in ["peer6", "peer7", "peer8"] {
        let path = format!("/api/v1/cycles/{cycle_id}/participants/{}/nominations", org.id(leader));
        let body = json!({"rater_id": org.id("subject2"), "relationship": "manager", "override_reason": "acting lead"});
        json_with_status(org.app.post_as(&org.admin(), &path, &body).await, 201).await;
    }
    org.move_to(&cycle_id, "collecting").await;

    // Self rates high on self-awareness and low on openness to feedback, against others.
    let own = [5, 5, 4, 4, 4, 3, 4, 4, 4, 4, 5, 5, 2, 3, 4, 4];
    submit_scores(
        &mut org,
        "subject",
        "subject",
        &own,
        &[
            ("vision_comment", "I want to explain the why more often."),
            ("self_awareness_comment", "I think I read the room well."),
        ],
    )
    .await;
    submit_scores(
        &mut org,
        "manager",
        "subject",
        &scores(-1, 1),
        &[("vision_comment", "Strong on direction; share it earlier."), ("execution_comment", "Delivers.")],
    )
    .await;
    let peer_comments: [&[(&str, &str)]; 4] = [
        &[("vision_comment", "Clear about where we are going."), ("execution_comment", "Always follows through.")],
        &[("vision_comment", "Could connect priorities to goals."), ("communication_comment", "Listens well.")],
        &[("vision_comment", "Inspiring all-hands talks."), ("self_awareness_comment", "Sometimes defensive.")],
        &[("communication_comment", "Share decisions sooner.")],
    ];
    for (i, comments) in peer_comments.into_iter().enumerate() {
        submit_scores(&mut org, &format!("peer{}", i + 1), "subject", &scores(0, i), comments).await;
    }
    // Two of the three direct reports and the one "other" answer: too few to show alone,
    // together enough to count in "all others"; their comments stay withheld.
    submit_scores(&mut org, "report1", "subject", &scores(1, 0), &[("vision_comment", "Great boss")]).await;
    submit_scores(&mut org, "report2", "subject", &scores(1, 2), &[]).await;
    submit_scores(&mut org, "peer5", "subject", &scores(-1, 2), &[("execution_comment", "Slow to reply")]).await;
    submit_scores(&mut org, "manager", "subject2", &scores(1, 1), &[]).await;
    for (i, leader) in ["peer6", "peer7", "peer8"].into_iter().enumerate() {
        submit_scores(&mut org, "subject2", leader, &scores(i as i64 - 1, i), &[]).await;
    }
    org.move_to(&cycle_id, "closed").await;
    let released = org
        .app
        .post_as(
            &org.admin(),
            &format!("/api/v1/cycles/{cycle_id}/reports/release"),
            &json!({"subject_ids": [org.id("subject")]}),
        )
        .await;
    json_with_status(released, 200).await;

    let path = format!("/api/v1/cycles/{cycle_id}/reports/{}", org.id("subject"));
    let report = json_with_status(org.app.get_as(&org.admin(), &path).await, 200).await;
    // What the fixture is for, so that a snapshot accepted in a hurry cannot lose it.
    assert_eq!(report["respondents"]["direct_report"]["suppressed"], true);
    assert_eq!(report["competencies"][0]["groups"]["other"]["suppressed"], true);
    assert_eq!(report["competencies"][0]["questions"][0]["others_includes"].as_array().unwrap().len(), 4);
    assert!(report["competencies"][0]["norm"].is_number());
    assert!(report["competencies"][0]["change"]["previous_mean"].is_number());
    assert!(!report["blind_spots"].as_array().unwrap().is_empty());
    assert!(!report["hidden_strengths"].as_array().unwrap().is_empty());
    assert!(!report.to_string().contains("Great boss") && !report.to_string().contains("Slow to reply"));

    let labels = org.labels(&[(&cycle_id, "cycle 2026"), (&earlier_id, "cycle 2025")]);
    insta::assert_json_snapshot!("growth_report", redacted(&report, &labels));
}

/// A group too small to show still counts in the cycle's norm, which pools every answer
/// of others; and no norm is stored where fewer than five subjects are behind it, so none
/// describes one subject's small group.
#[actix_web::test]
async fn a_norm_pools_groups_too_small_to_show_and_is_kept_only_over_five_subjects() {
    use diesel::prelude::*;
    use roundtable::db::schema::competency_norms;
    let mut org = Org::new().await;
    let mut cycles = Vec::new();
    for (name, subjects) in [
        ("five", vec!["peer1", "peer2", "peer3", "peer4", "peer5"]),
        ("four", vec!["peer6", "peer7", "peer8", "subject2"]),
    ] {
        let cycle_id = org.create_cycle(json!({"name": name})).await["id"].as_str().unwrap().to_string();
        org.add(&cycle_id, &subjects).await;
        org.move_to(&cycle_id, "nominating").await;
        for subject in &subjects {
            org.nominate(&cycle_id, subject, "report1", "direct_report").await;
        }
        org.move_to(&cycle_id, "collecting").await;
        // One direct report per subject: a group of one, never shown.
        for (i, subject) in subjects.iter().enumerate() {
            let invitation = org.invitation_of("report1", subject).await;
            let id = invitation["id"].as_str().unwrap().to_string();
            let answers = org.full_answers("report1", &id, if i == 0 { 4 } else { 2 }, "seen").await;
            json_with_status(org.submit("report1", &id, answers).await, 200).await;
        }
        org.move_to(&cycle_id, "closed").await;
        cycles.push((cycle_id, subjects));
    }
    let norms = |cycle_id: &str| -> Vec<(f64, i32)> {
        roundtable::db_run!(&mut org.app.database.conn(), |c| competency_norms::table
            .filter(competency_norms::cycle_id.eq(cycle_id))
            .select((competency_norms::mean, competency_norms::subjects))
            .load(c))
        .unwrap()
    };
    let five = norms(&cycles[0].0);
    assert!(!five.is_empty());
    assert!(five.iter().all(|n| *n == (2.4, 5)), "(4 + 2 + 2 + 2 + 2) / 5 over five subjects: {five:?}");
    assert!(norms(&cycles[1].0).is_empty(), "four subjects keep no norm");

    let path = format!("/api/v1/cycles/{}/reports/{}", cycles[0].0, org.id("peer1"));
    let report = json_with_status(org.app.get_as(&org.admin(), &path).await, 200).await;
    let competency = &report["competencies"][0];
    assert_eq!(competency["norm"], 2.4);
    assert_eq!(competency["others"]["suppressed"], true, "the group of one itself stays hidden");
    assert_eq!(competency["groups"]["direct_report"]["suppressed"], true);
}
