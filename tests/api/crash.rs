//! The real binary killed with SIGKILL while it answers: nothing it acknowledged is lost.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use diesel::prelude::*;
use roundtable::db::schema::audit_events;
use roundtable::seed::{SeedOptions, seed};
use serde_json::{Value, json};

use crate::helpers::{Served, TestApp, TestDatabase};

/// Readers at once; how many times the server is killed; the reads each run answers, at
/// least, before its kill.
const READERS: usize = 16;
const KILLS: usize = 3;
const READS_BEFORE_A_KILL: usize = 40;

#[actix_web::test]
async fn every_report_answered_before_a_kill_has_its_audit_entry() {
    let database = TestDatabase::fresh();
    let options =
        SeedOptions { leaders: 40, raters: 6, questions: 6, answered: true, random_seed: 7, answers_csv: None };
    let seeded = seed(&mut database.conn(), &options).unwrap();
    let mut answered: HashMap<String, usize> = HashMap::new();
    for run in 0..KILLS {
        let served = Served::start(database.url());
        let mut app = TestApp::elsewhere(served.address(), TestDatabase::same_as(&database), seeded.org.clone());
        app.admin_token = app.client_token(&seeded.org.client_id, &seeded.org.client_secret).await;
        if run == 0 {
            let closing = app
                .post_as(
                    &app.admin_token,
                    &format!("/api/v1/cycles/{}/transitions", seeded.cycle_id),
                    &json!({"to": "closed"}),
                )
                .await;
            assert_eq!(closing.status(), 200, "close: {}", closing.text().await.unwrap());
        }
        let app = Rc::new(app);
        let stop = Rc::new(Cell::new(false));
        let count = Rc::new(Cell::new(0));
        let readers: Vec<_> = (0..READERS)
            .map(|reader| {
                let (app, stop, count, cycle_id) =
                    (Rc::clone(&app), Rc::clone(&stop), Rc::clone(&count), seeded.cycle_id.clone());
                let subjects = seeded.leader_ids.clone();
                actix_web::rt::spawn(async move {
                    let mut mine: Vec<String> = Vec::new();
                    let mut n = reader;
                    // Until the server dies: a read that got no answer is not counted.
                    while !stop.get() {
                        let subject = &subjects[n % subjects.len()];
                        n += READERS + 1;
                        let path = format!("/api/v1/cycles/{cycle_id}/reports/{subject}");
                        let Ok(response) = app.client.get(app.url(&path)).bearer_auth(&app.admin_token).send().await
                        else {
                            break;
                        };
                        if response.status() != 200 {
                            break;
                        }
                        // Answered means the whole report arrived.
                        let Ok(report) = response.json::<Value>().await else { break };
                        assert_eq!(report["subject_id"], subject.as_str());
                        mine.push(subject.clone());
                        count.set(count.get() + 1);
                    }
                    mine
                })
            })
            .collect();
        // Killed while the readers are in full flow: once enough have been answered (more
        // each run), or after a minute whatever the count.
        let started = std::time::Instant::now();
        while count.get() < READS_BEFORE_A_KILL * (run + 1) && started.elapsed() < Duration::from_secs(60) {
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        served.kill();
        stop.set(true);
        for reader in readers {
            for subject in reader.await.unwrap() {
                *answered.entry(subject).or_default() += 1;
            }
        }
    }

    let total: usize = answered.values().sum();
    assert!(total >= READS_BEFORE_A_KILL * KILLS, "only {total} reads were answered before the kills");
    let details: Vec<String> = roundtable::db_run!(&mut database.conn(), |c| audit_events::table
        .filter(audit_events::action.eq("report.read"))
        .select(audit_events::details)
        .load(c))
    .unwrap();
    let mut recorded: HashMap<String, usize> = HashMap::new();
    for d in details {
        let d: Value = serde_json::from_str(&d).unwrap();
        *recorded.entry(d["subject_id"].as_str().unwrap().to_string()).or_default() += 1;
    }
    for (subject, reads) in &answered {
        let entries = recorded.get(subject).copied().unwrap_or(0);
        assert!(entries >= *reads, "{reads} reads of {subject}'s report were answered, {entries} recorded");
    }
}
