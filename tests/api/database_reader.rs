//! A database reader learns who has submitted, never what anyone answered: the tests read
//! the database the way an attacker with a copy of it would (SQLite's file and its WAL;
//! PostgreSQL's pages, dead rows included, with `pageinspect`, and the WAL since the cycle
//! began, located with `pg_walinspect`) and find none of the planted texts and no answer
//! in clear. Each read also finds a control text written in clear at the same time, so a
//! read that sees nothing cannot pass.
//!
//! On PostgreSQL the role of `TEST_DATABASE_URL` must be a superuser: reading pages and
//! WAL files is what only a superuser (or the server's owner) can do.

use diesel::prelude::*;
use diesel::sql_types::Binary;
use roundtable::db::DbConn;
use roundtable::db::schema::answer_sets;
use roundtable::db_run;
use roundtable::responses::store;
use serde_json::json;

use crate::helpers::{Org, TestDatabase, json_with_status};
use crate::unlinkable::{Count, Name};

/// Markers that only answers in clear would contain: the keys of a set's, a draft's and a
/// result's JSON. Looked for in this test's database; not in PostgreSQL's WAL, which the
/// whole cluster shares with tests that write such JSON on purpose. There the planted
/// texts stand for them: every set and draft this test writes holds one.
const CLEAR_MARKERS: [&str; 3] = ["\"respondents\":", "\"question_id\":", "\"shown_tallies\":"];

#[derive(QueryableByName)]
struct Bytes {
    #[diesel(sql_type = Binary)]
    data: Vec<u8>,
}

/// Everything an attacker reads, as (where, bytes).
fn images(database: &TestDatabase, conn: &mut DbConn, wal_from: &str) -> Vec<(String, Vec<u8>)> {
    let DbConn::Postgres(c) = conn else {
        let path = database.url().strip_prefix("sqlite://").unwrap().to_string();
        let mut found = vec![(path.clone(), std::fs::read(&path).unwrap())];
        let wal = format!("{path}-wal");
        if let Ok(bytes) = std::fs::read(&wal) {
            found.push((wal, bytes));
        }
        return found;
    };
    let c: &mut diesel::PgConnection = c;
    let mut found = Vec::new();
    for table in
        ["answer_sets", "response_drafts", "subject_results", "invitations", "idempotency_keys", "audit_events"]
    {
        let toast: Vec<Name> = diesel::sql_query(format!(
            "SELECT reltoastrelid::regclass::text AS name FROM pg_class WHERE relname = '{table}' AND reltoastrelid <> 0"
        ))
        .load(c)
        .unwrap();
        for relation in std::iter::once(table.to_string()).chain(toast.into_iter().map(|t| t.name)) {
            let pages: Vec<Bytes> = diesel::sql_query(format!(
                "SELECT get_raw_page('{relation}', b::int) AS data \
                 FROM generate_series(0, pg_relation_size('{relation}') / current_setting('block_size')::bigint - 1) b"
            ))
            .load(c)
            .unwrap();
            found.extend(pages.into_iter().map(|p| (format!("pages of {relation}"), p.data)));
        }
    }
    let records: Vec<Count> = diesel::sql_query(format!(
        "SELECT count(*)::bigint AS n FROM pg_get_wal_records_info('{wal_from}', pg_current_wal_flush_lsn()) \
         WHERE resource_manager = 'Heap'"
    ))
    .load(c)
    .unwrap();
    assert!(records[0].n > 0, "pg_walinspect sees the cycle's writes in the WAL");
    let segments: Vec<Name> = diesel::sql_query(format!(
        "SELECT name FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{{24}}$' AND name >= pg_walfile_name('{wal_from}') \
         ORDER BY name"
    ))
    .load(c)
    .unwrap();
    for segment in segments {
        let bytes: Vec<Bytes> =
            diesel::sql_query(format!("SELECT pg_read_binary_file('pg_wal/{}') AS data", segment.name))
                .load(c)
                .unwrap();
        found.push((format!("WAL segment {}", segment.name), bytes.into_iter().next().unwrap().data));
    }
    found
}

/// Asserts that the attacker's read holds `control` and none of `secrets` or the markers.
fn assert_reads_nothing(images: &[(String, Vec<u8>)], control: &str, secrets: &[String]) {
    // Searched as text: no invalid UTF-8 sequence swallows an ASCII byte.
    let images: Vec<(&str, std::borrow::Cow<str>)> =
        images.iter().map(|(place, bytes)| (place.as_str(), String::from_utf8_lossy(bytes))).collect();
    assert!(images.iter().any(|(_, bytes)| bytes.contains(control)), "the read sees what is stored in clear");
    for (place, bytes) in &images {
        let markers = if place.starts_with("WAL segment") { &[][..] } else { &CLEAR_MARKERS[..] };
        for secret in secrets.iter().map(String::as_str).chain(markers.iter().copied()) {
            assert!(!bytes.contains(secret), "{place} holds {secret:?}");
        }
    }
}

#[actix_web::test]
async fn a_copy_of_the_database_holds_no_answer_before_or_after_close() {
    let mut org = Org::new().await;
    let mut conn = org.app.database.conn();
    if let DbConn::Postgres(c) = &mut conn {
        diesel::sql_query("CREATE EXTENSION IF NOT EXISTS pageinspect")
            .execute(&mut **c)
            .and_then(|_| diesel::sql_query("CREATE EXTENSION IF NOT EXISTS pg_walinspect").execute(&mut **c))
            .expect("pageinspect and pg_walinspect (TEST_DATABASE_URL's role must be a superuser)");
    }
    let run = uuid::Uuid::new_v4().simple().to_string();
    // A temporary replication slot keeps the WAL from here on until this connection ends,
    // however busy the server is.
    let wal_from = match &mut conn {
        DbConn::Postgres(c) => {
            diesel::sql_query(format!(
                "SELECT lsn::text AS name FROM pg_create_physical_replication_slot('reader_{run}', true, true)"
            ))
            .load::<Name>(&mut **c)
            .unwrap()
            .remove(0)
            .name
        }
        DbConn::Sqlite(_) => String::new(),
    };
    let control = format!("control-{run}");
    let cycle = org.create_cycle(json!({"name": control})).await;
    let cycle_id = cycle["id"].as_str().unwrap().to_string();
    org.add(&cycle_id, &["subject"]).await;
    org.move_to(&cycle_id, "nominating").await;
    for i in 1..=4 {
        org.nominate(&cycle_id, "subject", &format!("peer{i}"), "peer").await;
    }
    org.nominate(&cycle_id, "subject", "report1", "direct_report").await;
    org.move_to(&cycle_id, "collecting").await;

    // Four peers and the only direct report answer with planted comments; two more save
    // drafts with planted comments of their own.
    let mut secrets = Vec::new();
    for rater in ["peer1", "peer2", "peer3", "peer4", "report1"] {
        let invitation = org.invitation_of(rater, "subject").await;
        let id = invitation["id"].as_str().unwrap().to_string();
        let comment = format!("planted-{rater}-{run}");
        let answers = org.full_answers(rater, &id, 4, &comment).await;
        if rater == "peer4" || rater == "report1" {
            // Drafts saved, not yet submitted: these stay until later.
            let draft = format!("draft-{rater}-{run}");
            let token = org.token(rater).await;
            let body = json!({"answers": org.full_answers(rater, &id, 2, &draft).await});
            let saved = org
                .app
                .client
                .put(org.app.url(&format!("/api/v1/invitations/{id}/draft")))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(saved.status(), 200);
            secrets.push(draft);
            continue;
        }
        json_with_status(org.submit(rater, &id, answers).await, 200).await;
        secrets.push(comment);
    }

    // Mid-collection: the sets hold the answers (the key opens them)...
    let sets = store::load_sets(&mut conn, &cycle_id, "", "\u{10ffff}").unwrap();
    let peers = sets.iter().find(|s| s.relationship == roundtable::anonymity::Relationship::Peer).unwrap();
    assert_eq!(peers.respondents, 3);
    assert!(peers.comments.values().flatten().any(|t| t == &format!("planted-peer1-{run}")));
    // ...and no copy of the database shows them, nor the drafts, nor the key.
    let key_text = match &org.app.database {
        TestDatabase::Sqlite { url, .. } => {
            let dir = std::path::Path::new(url.strip_prefix("sqlite://").unwrap()).parent().unwrap().to_path_buf();
            std::fs::read_to_string(dir.join("answer.key")).unwrap().trim().to_string()
        }
        _ => crate::helpers::TEST_ANSWER_KEY.to_string(),
    };
    let mut hidden = secrets.clone();
    hidden.push(key_text);
    assert_reads_nothing(&images(&org.app.database, &mut conn, &wal_from), &control, &hidden);
    // The read blocked this thread, which the server shares, long enough for it to drop
    // idle connections: start afresh.
    org.app.client = reqwest::Client::new();

    // The last two submit now, replacing their drafts; then the cycle closes.
    for rater in ["peer4", "report1"] {
        let id = org.invitation_of(rater, "subject").await["id"].as_str().unwrap().to_string();
        let comment = format!("planted-{rater}-{run}");
        let answers = org.full_answers(rater, &id, 4, &comment).await;
        json_with_status(org.submit(rater, &id, answers).await, 200).await;
        secrets.push(comment);
    }
    org.move_to(&cycle_id, "closed").await;
    assert_reads_nothing(&images(&org.app.database, &mut conn, &wal_from), &control, &hidden);

    // After close no set survives, and what the results keep of a group of one is nothing
    // but that it is too small: its comment is gone, with the key or without.
    let left: i64 =
        db_run!(&mut conn, |c| answer_sets::table.filter(answer_sets::cycle_id.eq(&cycle_id)).count().get_result(c))
            .unwrap();
    assert_eq!(left, 0);
    let cycle = roundtable::cycles::find_cycle(&mut conn, &org.app.org.org_id, &cycle_id).unwrap();
    let results = roundtable::reports::results::load(&mut conn, &cycle, &org.id("subject")).unwrap();
    let texts: Vec<&str> = results.comments.iter().map(|c| c.text.as_str()).collect();
    assert!(texts.contains(&format!("planted-peer4-{run}").as_str()), "the peers' comments are kept: {texts:?}");
    assert!(!texts.contains(&format!("planted-report1-{run}").as_str()), "a group of one keeps no comment");
    let report = roundtable::anonymity::Relationship::DirectReport;
    assert!(results.respondents[&report].shown().is_none(), "nor its count");
    for tallies in results.questions.values() {
        assert!(!tallies.shown.contains_key(&report), "nor a tally of its own");
    }
}
