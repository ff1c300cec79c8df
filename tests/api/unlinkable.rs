//! After submission nobody can tell which rater gave which answer: not by any column,
//! not by ids, and after close not by row order or PostgreSQL transaction ids either.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use roundtable::db::DbConn;
use roundtable::db::schema::{answers, invitations, nominations, response_drafts};
use roundtable::db_run;
use serde_json::json;

use crate::cycles::Org;
use crate::helpers::json_with_status;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Comment {
    #[diesel(sql_type = Nullable<Text>)]
    comment: Option<String>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn answer_columns(conn: &mut DbConn) -> Vec<String> {
    let rows: Vec<Name> = match conn {
        DbConn::Sqlite(c) => {
            diesel::sql_query("SELECT name FROM pragma_table_info('answers') ORDER BY cid").load(&mut **c)
        }
        DbConn::Postgres(c) => diesel::sql_query(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'answers' ORDER BY ordinal_position",
        )
        .load(&mut **c),
    }
    .unwrap();
    rows.into_iter().map(|r| r.name).collect()
}

/// The raters' comments in the order the engine stores the rows, each rater named once,
/// where their first comment stands.
fn comments_in_storage_order(conn: &mut DbConn) -> Vec<String> {
    let rows: Vec<Comment> = match conn {
        // A WITHOUT ROWID table is stored in key order, which a plain scan follows.
        DbConn::Sqlite(c) => diesel::sql_query("SELECT comment FROM answers WHERE comment IS NOT NULL").load(&mut **c),
        DbConn::Postgres(c) => {
            diesel::sql_query("SELECT comment FROM answers WHERE comment IS NOT NULL ORDER BY ctid").load(&mut **c)
        }
    }
    .unwrap();
    let mut seen = HashSet::new();
    rows.into_iter().filter_map(|r| r.comment).filter(|c| seen.insert(c.clone())).collect()
}

#[actix_web::test]
async fn answers_cannot_be_linked_to_raters_by_column_id_order_or_transaction() {
    let mut org = Org::new().await;
    let cycle_id = org.collecting_cycle(8).await;
    let mut submitted_in_order = Vec::new();
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
    }

    let mut conn = org.app.database.conn();
    // No column could hold a rater, an invitation or a time.
    assert_eq!(
        answer_columns(&mut conn),
        ["cycle_id", "subject_id", "question_id", "relationship", "id", "org_id", "score", "comment"]
    );
    // No value of any answer row is a rater's, an invitation's or a nomination's id.
    type Row = (String, String, String, String, String, String, Option<i32>, Option<String>);
    let rows: Vec<Row> = db_run!(&mut conn, |c| answers::table.load(c)).unwrap();
    assert_eq!(rows.len(), 8 * 24);
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
    for row in &rows {
        let values = [&row.0, &row.1, &row.2, &row.3, &row.4, &row.5];
        assert!(values.iter().all(|v| !linked.contains(*v)), "an answer row holds a linking value: {row:?}");
        // Random ids, not time-ordered ones.
        let id = uuid::Uuid::parse_str(&row.4).unwrap();
        assert_eq!(id.get_version_num(), 4, "answer ids are random (v4)");
    }
    let drafts: i64 = db_run!(&mut conn, |c| response_drafts::table.count().get_result(c)).unwrap();
    assert_eq!(drafts, 0, "drafts are deleted on submission");
    let before_ids: HashSet<String> = rows.iter().map(|r| r.4.clone()).collect();

    // Until close, PostgreSQL's heap order still follows the submissions (SQLite stores
    // the rows in key order, content first, from the start)...
    if conn.engine() == roundtable::db::Engine::Postgres {
        assert_eq!(comments_in_storage_order(&mut conn), submitted_in_order);
    }

    org.move_to(&cycle_id, "closed").await;

    // ...after close it does not, every row is new, and nothing was lost.
    let after: Vec<Row> = db_run!(&mut conn, |c| answers::table.load(c)).unwrap();
    assert_eq!(after.len(), rows.len());
    assert!(after.iter().all(|r| !before_ids.contains(&r.4)), "closing rewrites every answer row");
    let mut before_content: Vec<_> = rows.iter().map(|r| (r.2.clone(), r.6, r.7.clone())).collect();
    let mut after_content: Vec<_> = after.iter().map(|r| (r.2.clone(), r.6, r.7.clone())).collect();
    before_content.sort();
    after_content.sort();
    assert_eq!(before_content, after_content);
    let order = comments_in_storage_order(&mut conn);
    // On SQLite equal content lies in random-id order: this fails by chance once in 40,320 runs.
    assert_ne!(order, submitted_in_order, "storage order after close follows content, not arrival");
    if conn.engine() == roundtable::db::Engine::Postgres {
        let mut alphabetical = submitted_in_order.clone();
        alphabetical.sort();
        assert_eq!(order, alphabetical, "PostgreSQL rows are rewritten in content order");
    }

    // On PostgreSQL the closing transaction rewrote every answer and every invitation of
    // the cycle: one transaction id on all of them, so xmin pairs nothing with anything.
    if let DbConn::Postgres(c) = &mut conn {
        let c: &mut diesel::PgConnection = c;
        assert_eq!(count(c, "SELECT count(DISTINCT xmin::text)::bigint AS n FROM answers"), 1);
        assert_eq!(count(c, "SELECT count(DISTINCT xmin::text)::bigint AS n FROM invitations"), 1);
        let both = "SELECT count(DISTINCT x)::bigint AS n FROM \
                    (SELECT xmin::text AS x FROM answers UNION ALL SELECT xmin::text FROM invitations) t";
        assert_eq!(count(c, both), 1);
    }
}

fn count(c: &mut diesel::PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).load::<Count>(c).unwrap()[0].n
}
