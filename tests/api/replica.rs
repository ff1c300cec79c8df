//! A read replica: a hot standby of the test PostgreSQL (`TEST_READ_DATABASE_URL`, which
//! `.ci/run` makes with `pg_basebackup`). Reports', growth's and analytics' figures are read there; every write, every
//! audit entry and every decision of who may read stays on the primary; what the standby
//! has not replayed yet is read from the primary.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use roundtable::db::schema::audit_events;
use roundtable::seed::{SeedOptions, seed};
use serde_json::json;

use crate::helpers::{TestDatabase, json_with_status, spawn_app_on};

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    yes: bool,
}

#[derive(QueryableByName)]
struct Lsn {
    #[diesel(sql_type = Text)]
    lsn: String,
}

fn flag(conn: &mut PgConnection, sql: &str) -> bool {
    diesel::sql_query(sql).get_result::<Flag>(conn).unwrap().yes
}

/// Waits until the standby has replayed everything the primary has written so far.
fn caught_up(primary: &mut PgConnection, standby: &mut PgConnection) {
    let at = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn").get_result::<Lsn>(primary).unwrap().lsn;
    let started = Instant::now();
    while !flag(standby, &format!("SELECT pg_last_wal_replay_lsn() >= '{at}'::pg_lsn AS yes")) {
        assert!(started.elapsed() < Duration::from_secs(30), "the standby did not replay up to {at}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Pauses (or resumes) the standby's replay, and waits until it has.
fn replay(standby: &mut PgConnection, paused: bool) {
    let (call, state) = if paused { ("pg_wal_replay_pause", "paused") } else { ("pg_wal_replay_resume", "not paused") };
    diesel::sql_query(format!("SELECT {call}()")).execute(standby).unwrap();
    let started = Instant::now();
    while !flag(standby, &format!("SELECT pg_get_wal_replay_pause_state() = '{state}' AS yes")) {
        assert!(started.elapsed() < Duration::from_secs(10), "the standby's replay did not become {state}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Resumes the standby's replay when the test ends, passed or not, so a failed run leaves
/// no paused standby behind for the next.
struct ResumeReplay(PgConnection);

impl Drop for ResumeReplay {
    fn drop(&mut self) {
        let _ = diesel::sql_query("SELECT pg_wal_replay_resume()").execute(&mut self.0);
    }
}

#[actix_web::test]
async fn reports_are_read_on_the_replica_and_recorded_on_the_primary() {
    let database = TestDatabase::fresh();
    let Some(replica_url) = database.on_replica() else {
        println!("read replica test not run: it needs TEST_DATABASE_URL and TEST_READ_DATABASE_URL (a hot standby)");
        return;
    };
    let options =
        SeedOptions { leaders: 72, raters: 6, questions: 4, answered: true, random_seed: 11, answers_csv: None };
    let admin = std::env::var("TEST_READ_DATABASE_URL").unwrap();
    let mut resume = ResumeReplay(PgConnection::establish(&admin).expect("TEST_READ_DATABASE_URL reachable"));
    replay(&mut resume.0, false);
    let seeded = seed(&mut database.conn(), &options).unwrap();
    let mut primary = PgConnection::establish(database.url()).unwrap();
    let started = Instant::now();
    let mut standby = loop {
        match PgConnection::establish(&replica_url) {
            Ok(conn) => break conn,
            Err(e) => assert!(started.elapsed() < Duration::from_secs(30), "the standby never had the database: {e}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(flag(&mut standby, "SELECT pg_is_in_recovery() AS yes"), "TEST_READ_DATABASE_URL is not a standby");
    caught_up(&mut primary, &mut standby);

    let replica = replica_url.clone();
    let app = spawn_app_on(TestDatabase::same_as(&database), seeded.org.clone(), move |settings| {
        settings.database.read_database_url = Some(replica);
    })
    .await;
    let subject = &seeded.leader_ids[0];
    let report_path = format!("/api/v1/cycles/{}/reports/{subject}", seeded.cycle_id);

    // The standby stops replaying; the cycle closes on the primary. The standby has no
    // results yet, so the report comes from the primary.
    replay(&mut standby, true);
    let close_path = format!("/api/v1/cycles/{}/transitions", seeded.cycle_id);
    json_with_status(app.post_as(&app.admin_token, &close_path, &json!({"to": "closed"})).await, 200).await;
    let first = json_with_status(app.get_as(&app.admin_token, &report_path).await, 200).await;
    let name = first["subject_name"].as_str().unwrap().to_string();
    // So does the leader's growth, and so do the analytics, which the process then keeps:
    // had the standby's empty roll-ups been taken for the cycle's, every later view would
    // be empty. Trends load them first here, the heatmap finds them kept.
    let growth_path = format!("/api/v1/people/{subject}/growth");
    let growth = json_with_status(app.get_as(&app.admin_token, &growth_path).await, 200).await;
    let means: Vec<_> =
        growth["competencies"].as_array().unwrap().iter().map(|c| c["points"][0]["others_mean"].clone()).collect();
    assert!(!means.is_empty() && means.iter().all(|m| m.is_number()), "{growth}");
    let trends = json_with_status(app.get_as(&app.admin_token, "/api/v1/analytics/trends").await, 200).await;
    let points: Vec<_> = trends["competencies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["points"].as_array().unwrap().clone())
        .collect();
    assert!(!points.is_empty() && points.iter().all(|p| p["figures"]["mean"].is_number()), "{trends}");
    let heatmap_path = format!("/api/v1/analytics/cycles/{}/heatmap", seeded.cycle_id);
    let heatmap = json_with_status(app.get_as(&app.admin_token, &heatmap_path).await, 200).await;
    let shown = heatmap["cells"].as_array().unwrap().iter().filter(|c| c["figures"]["mean"].is_number()).count();
    assert!(shown > 0, "{heatmap}");

    // Once replayed, the report is read on the standby: a rename on the primary that the
    // paused standby has not seen does not show, and shows once it has.
    replay(&mut standby, false);
    caught_up(&mut primary, &mut standby);
    replay(&mut standby, true);
    let person = format!("/api/v1/people/{subject}");
    json_with_status(app.patch_as(&app.admin_token, &person, &json!({"display_name": "Renamed Leader"})).await, 200)
        .await;
    let from_standby = json_with_status(app.get_as(&app.admin_token, &report_path).await, 200).await;
    assert_eq!(from_standby["subject_name"], name.as_str(), "the report was not read on the standby");
    assert_eq!(from_standby["competencies"], first["competencies"]);
    replay(&mut standby, false);
    caught_up(&mut primary, &mut standby);
    let replayed = json_with_status(app.get_as(&app.admin_token, &report_path).await, 200).await;
    assert_eq!(replayed["subject_name"], "Renamed Leader");

    // Growth is read on the standby too: figures changed on the primary alone (no route
    // changes them; the test does, by hand) do not show until the standby replays them.
    replay(&mut standby, true);
    diesel::sql_query("UPDATE competency_summaries SET mean = 1.0 WHERE subject_id = $1")
        .bind::<Text, _>(subject)
        .execute(&mut primary)
        .unwrap();
    let paused = json_with_status(app.get_as(&app.admin_token, &growth_path).await, 200).await;
    assert_eq!(paused["competencies"], growth["competencies"], "growth was not read on the standby");
    replay(&mut standby, false);
    caught_up(&mut primary, &mut standby);
    let replayed = json_with_status(app.get_as(&app.admin_token, &growth_path).await, 200).await;
    assert_eq!(replayed["competencies"][0]["points"][0]["others_mean"], 1.0, "{replayed}");

    // Every read was recorded, on the primary.
    let reads: i64 =
        audit_events::table.filter(audit_events::action.eq("report.read")).count().get_result(&mut primary).unwrap();
    assert_eq!(reads, 3);
}

#[actix_web::test]
async fn a_replica_out_of_reach_stops_neither_the_service_nor_its_reads() {
    let database = TestDatabase::fresh();
    if !database.is_postgres() {
        println!("unreachable replica test not run: a read replica needs PostgreSQL (TEST_DATABASE_URL)");
        return;
    }
    let options =
        SeedOptions { leaders: 3, raters: 6, questions: 4, answered: true, random_seed: 5, answers_csv: None };
    let seeded = seed(&mut database.conn(), &options).unwrap();
    // Nothing listens on port 9 of this machine.
    let app = spawn_app_on(TestDatabase::same_as(&database), seeded.org.clone(), |settings| {
        settings.database.read_database_url = Some("postgres://roundtable:roundtable@127.0.0.1:9/none".into());
    })
    .await;
    let close_path = format!("/api/v1/cycles/{}/transitions", seeded.cycle_id);
    json_with_status(app.post_as(&app.admin_token, &close_path, &json!({"to": "closed"})).await, 200).await;
    let report_path = format!("/api/v1/cycles/{}/reports/{}", seeded.cycle_id, seeded.leader_ids[0]);
    for _ in 0..2 {
        json_with_status(app.get_as(&app.admin_token, &report_path).await, 200).await;
    }
}
