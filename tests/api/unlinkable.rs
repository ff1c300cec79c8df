//! After submission nobody can tell which rater gave which answer: not by any column,
//! not by the order of what a group's set holds, and after close not by PostgreSQL
//! transaction ids either.

use std::collections::{BTreeMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use roundtable::anonymity::Relationship;
use roundtable::db::DbConn;
use roundtable::db::schema::{invitations, nominations, response_drafts};
use roundtable::db_run;
use roundtable::responses::store;
use serde_json::json;

use crate::helpers::{Org, json_with_status};

/// One text column of a raw query's rows.
#[derive(QueryableByName)]
pub struct Name {
    #[diesel(sql_type = Text)]
    pub name: String,
}

/// A raw query's count.
#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

fn answer_columns(conn: &mut DbConn) -> Vec<String> {
    let rows: Vec<Name> = match conn {
        DbConn::Sqlite(c) => {
            diesel::sql_query("SELECT name FROM pragma_table_info('answer_sets') ORDER BY cid").load(&mut **c)
        }
        DbConn::Postgres(c) => diesel::sql_query(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'answer_sets' ORDER BY ordinal_position",
        )
        .load(&mut **c),
    }
    .unwrap();
    rows.into_iter().map(|r| r.name).collect()
}

#[actix_web::test]
async fn answers_cannot_be_linked_to_raters_by_column_order_or_transaction() {
    let mut org = Org::new().await;
    let cycle_id = org.collecting_cycle(8).await;
    let mut submitted_in_order = Vec::new();
    let mut last_invitation = String::new();
    for i in 1..=8 {
        let rater = format!("peer{i}");
        let invitation = org.invitation_of(&rater, "subject").await;
        let id = invitation["id"].as_str().unwrap().to_string();
        // Texts whose alphabetical order is not the order of submission.
        let comment =
            ["kind", "direct", "honest", "bold", "calm", "fair", "earnest", "gentle"][i as usize - 1].to_string();
        let answers = org.full_answers(&rater, &id, (i % 5) + 1, &comment).await;
        // Half of them save a draft first: drafts are linked until submission.
        if i % 2 == 0 {
            let token = org.token(&rater).await;
            org.app
                .client
                .put(org.app.url(&format!("/api/v1/invitations/{id}/draft")))
                .bearer_auth(token)
                .json(&json!({"answers": answers[..2]}))
                .send()
                .await
                .unwrap();
        }
        json_with_status(org.submit(&rater, &id, answers).await, 200).await;
        submitted_in_order.push(comment);
        last_invitation = id;
    }

    let mut conn = org.app.database.conn();
    // No column could hold a rater, an invitation, an id of its own or a time.
    assert_eq!(answer_columns(&mut conn), ["cycle_id", "subject_id", "relationship", "org_id", "key_id", "sealed"]);
    // No value anywhere in a set is a rater's, an invitation's or a nomination's id.
    let sets = store::load_sets(&mut conn, &cycle_id, "", "\u{10ffff}").unwrap();
    let mut linked: HashSet<String> = HashSet::new();
    let invitation_rows: Vec<(String, String, Option<String>)> = db_run!(&mut conn, |c| invitations::table
        .select((invitations::id, invitations::rater_id, invitations::token_hash))
        .load(c))
    .unwrap();
    for (id, rater, token) in invitation_rows {
        linked.insert(id);
        linked.insert(rater);
        linked.extend(token);
    }
    let nomination_ids: Vec<String> =
        db_run!(&mut conn, |c| nominations::table.select(nominations::id).load(c)).unwrap();
    linked.extend(nomination_ids);
    linked.remove(&org.id("subject"));
    for set in &sets {
        let text = format!("{set:?}");
        assert!(linked.iter().all(|v| !text.contains(v.as_str())), "an answer set holds a linking value: {text}");
    }
    let drafts: i64 = db_run!(&mut conn, |c| response_drafts::table.count().get_result(c)).unwrap();
    assert_eq!(drafts, 0, "drafts are deleted on submission");

    // The peers' set: counts per score and the comments in text order, already before
    // close, so nothing inside it follows the order of submission.
    let peers = sets.iter().find(|s| s.relationship == Relationship::Peer).expect("the peers' set");
    assert_eq!(peers.respondents, 8);
    for counts in peers.scores.values() {
        assert_eq!(counts, &BTreeMap::from([(1, 1), (2, 2), (3, 2), (4, 2), (5, 1)]));
    }
    let mut alphabetical = submitted_in_order.clone();
    alphabetical.sort();
    for texts in peers.comments.values() {
        assert_eq!(texts, &alphabetical);
        assert_ne!(texts, &submitted_in_order);
    }

    // Until close, PostgreSQL's bookkeeping still pairs the set with its last rater: the
    // set and that rater's invitation were written by one transaction...
    if let DbConn::Postgres(c) = &mut conn {
        let c: &mut diesel::PgConnection = c;
        let shared = format!(
            "SELECT count(*)::bigint AS n FROM answer_sets a JOIN invitations i ON i.xmin::text = a.xmin::text \
             WHERE a.relationship = 'peer' AND i.id = '{last_invitation}'"
        );
        assert_eq!(count(c, &shared), 1);
    }

    org.move_to(&cycle_id, "closed").await;

    // ...after close it does not: the closing transaction turned the sets into results
    // and destroyed them, so one transaction id is on all the results and on no invitation.
    assert!(store::load_sets(&mut conn, &cycle_id, "", "\u{10ffff}").unwrap().is_empty(), "no set survives close");
    // The close then purges the old row versions; it logs rather than fails when it
    // cannot, so check here that it runs on this schema.
    conn.purge_deleted_rows().expect("deleted rows can be purged");
    if let DbConn::Postgres(c) = &mut conn {
        let c: &mut diesel::PgConnection = c;
        assert_eq!(count(c, "SELECT count(DISTINCT xmin::text)::bigint AS n FROM subject_results"), 1);
        let shared =
            "SELECT count(*)::bigint AS n FROM subject_results a JOIN invitations i ON i.xmin::text = a.xmin::text";
        assert_eq!(count(c, shared), 0);
    }
}

fn count(c: &mut diesel::PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).load::<Count>(c).unwrap()[0].n
}

/// Answers stored in clear before sealing existed are sealed at the next start: a
/// collecting cycle's sets and drafts, and a closed cycle's sets, which become results.
#[actix_web::test]
async fn answers_stored_in_clear_are_sealed_at_the_next_start() {
    let mut org = Org::new().await;
    let collecting = org.collecting_cycle(4).await;
    let closed = org.create_cycle(json!({"name": "Autumn 360"})).await["id"].as_str().unwrap().to_string();
    org.add(&closed, &["subject2"]).await;
    for to in ["nominating", "collecting", "closed"] {
        org.move_to(&closed, to).await;
    }
    let invitation = org.invitation_of("peer1", "subject").await;
    let token = org.token("peer1").await;
    let path = format!("/api/v1/invitations/{}", invitation["id"].as_str().unwrap());
    let questionnaire = json_with_status(org.app.get_as(&token, &path).await, 200).await;
    let questions: Vec<&serde_json::Value> = questionnaire["competencies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["questions"].as_array().unwrap())
        .collect();
    let rating = questions.iter().find(|q| q["kind"] == "rating").unwrap()["id"].as_str().unwrap();
    let text = questions.iter().find(|q| q["kind"] == "text").unwrap()["id"].as_str().unwrap();
    let scores = json!({ rating: {"4": 3} }).to_string();
    let comments = json!({ text: ["legacy-a", "legacy-b", "legacy-c"] }).to_string();
    let draft = json!([{"question_id": text, "comment": "legacy-draft"}]).to_string();

    // What an older version left: rows in clear, moved aside by the migration.
    let mut conn = org.app.database.conn();
    let (org_id, subject, subject2) = (org.app.org.org_id.clone(), org.id("subject"), org.id("subject2"));
    let invitation_id = invitation["id"].as_str().unwrap();
    db_run!(&mut conn, |c| {
        diesel::sql_query(format!("DELETE FROM answer_sets WHERE cycle_id = '{collecting}' AND relationship = 'peer'"))
            .execute(c)
            .unwrap();
        diesel::sql_query(format!("DELETE FROM subject_results WHERE cycle_id = '{closed}'")).execute(c).unwrap();
        for (cycle, who, relationship) in [(&collecting, &subject, "peer"), (&closed, &subject2, "self")] {
            diesel::sql_query(format!(
                "INSERT INTO unsealed_answer_sets VALUES ('{cycle}', '{who}', '{relationship}', '{org_id}', 3, '{scores}', \
                 '{comments}')"
            ))
            .execute(c)
            .unwrap();
        }
        diesel::sql_query(format!(
            "INSERT INTO unsealed_response_drafts VALUES ('{invitation_id}', '{org_id}', '{draft}', '2026-11-30 10:00:00', 'x')"
        ))
        .execute(c)
        .unwrap();
    });

    roundtable::lifecycle::prepare_answers(&mut conn).unwrap();

    let left: Vec<Count> = db_run!(&mut conn, |c| diesel::sql_query(
        "SELECT (SELECT count(*) FROM unsealed_answer_sets) + (SELECT count(*) FROM unsealed_response_drafts) AS n"
    )
    .load(c))
    .unwrap();
    assert_eq!(left[0].n, 0, "nothing stays in clear");
    let sets = store::load_sets(&mut conn, &collecting, "", "\u{10ffff}").unwrap();
    let peers = sets.iter().find(|s| s.relationship == Relationship::Peer).unwrap();
    assert_eq!((peers.respondents, peers.comments[text].len()), (3, 3));
    let drafts: i64 = db_run!(&mut conn, |c| response_drafts::table.count().get_result(c)).unwrap();
    assert_eq!(drafts, 1);
    // The closed cycle's set became results, and no set of it is left.
    assert!(store::load_sets(&mut conn, &closed, "", "\u{10ffff}").unwrap().is_empty());
    let cycle = roundtable::cycles::find_cycle(&mut conn, &org_id, &closed).unwrap();
    let results = roundtable::reports::results::load(&mut conn, &cycle, &subject2).unwrap();
    assert_eq!(results.comments.len(), 3, "self comments are shown");
    // Starting again finds nothing more to seal.
    roundtable::lifecycle::prepare_answers(&mut conn).unwrap();
}

/// An instance given another answer key than the one the stored answers are sealed with
/// refuses to start, rather than failing on every report and submission later.
#[actix_web::test]
async fn an_instance_with_another_answer_key_refuses_to_start() {
    let mut org = Org::new().await;
    org.collecting_cycle(3).await;
    let mut settings = crate::helpers::test_settings(org.app.database.url());
    settings.database.answer_key = Some("CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=".into());
    let refused = roundtable::Application::build(settings).err().expect("the start is refused").to_string();
    assert!(refused.contains("which this instance was not given"), "{refused}");
}
