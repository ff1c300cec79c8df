//! The benchmark suite: measures, side by side on SQLite and PostgreSQL, what DESIGN.md
//! section 7 sets targets for, and writes the figures to BENCHMARKS.md.
//!
//! `cargo bench --bench harness` (PostgreSQL from `BENCH_DATABASE_URL`, a role that may
//! create databases; without it only SQLite runs). `BENCH_LARGE` sets the large cycle's
//! leaders (default 10,000), `BENCH_ENGINES` limits the engines (`sqlite,postgres`).

mod machine;
mod waits;
mod webhooks;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::{Connection, PgConnection};
use roundtable::auth::access::Role;
use roundtable::auth::keys::KeyStore;
use roundtable::auth::tokens::{Grant, TokenAuthority};
use roundtable::config::{AuthSettings, DatabaseSettings};
use roundtable::db::schema::{invitations, people, response_drafts};
use roundtable::db::{DbConn, DbPool};
use roundtable::db_run;
use roundtable::people::Person;
use roundtable::responses::answers::CheckedAnswer;
use roundtable::responses::store;
use roundtable::seed::{SeedOptions, Seeded, seed};
use serde_json::{Value, json};

const RATERS: usize = 12;
const QUESTIONS: usize = 40;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

/// `BENCH_ONLY=reports`: seed, close and measure report reads at both sizes, and stop;
/// `BENCH_ONLY=submissions`: only the submission rows. Either writes nothing (a quick look
/// while working on one part).
fn only(part: &str) -> bool {
    env_or("BENCH_ONLY", "") == part
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// One engine's database for the run.
struct Database {
    url: String,
    cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Database {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        Self { url, cleanup: None, _dir: Some(dir) }
    }

    fn postgres(admin: &str) -> Self {
        let name = format!("rt_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(admin).expect("BENCH_DATABASE_URL reachable");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
        Self { url: format!("{base}/{name}"), cleanup: Some((admin.to_string(), name)), _dir: None }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.cleanup
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut conn);
        }
    }
}

/// The answer key the measured server and the data generator share (32 bytes of 1).
const BENCH_ANSWER_KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database_url: &str, port: u16) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_roundtable"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", database_url])
            .env("ROUNDTABLE_LOG", "warn")
            .env("ROUNDTABLE_ANSWER_KEY", BENCH_ANSWER_KEY)
            // One client reads every report: the limit stays on, too high to refuse it.
            .env("ROUNDTABLE_RATE_LIMIT_PER_SECOND", "1000000")
            .env("ROUNDTABLE_RATE_LIMIT_BURST", "1000000")
            // The webhook receiver listens on 127.0.0.1.
            .env("ROUNDTABLE_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child, base };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not start");
    }

    /// Resident memory in MB: `VmRSS` now, or `VmHWM` for the peak so far.
    fn rss_mb(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn client_token(client: &reqwest::Client, base: &str, seeded: &Seeded) -> String {
    let response: Value = client
        .post(format!("{base}/oauth/token"))
        .basic_auth(&seeded.org.client_id, Some(&seeded.org.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["access_token"].as_str().unwrap().to_string()
}

fn seed_cycle(pool: &DbPool, leaders: usize, answered: bool, answers_csv: Option<std::path::PathBuf>) -> Seeded {
    let options = SeedOptions {
        leaders,
        raters: RATERS,
        questions: QUESTIONS,
        answered,
        random_seed: leaders as u64,
        answers_csv,
    };
    seed(&mut pool.get().unwrap(), &options).unwrap()
}

/// Closes a seeded cycle through the API; returns seconds.
async fn close(client: &reqwest::Client, base: &str, token: &str, cycle_id: &str) -> f64 {
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/cycles/{cycle_id}/transitions"))
        .bearer_auth(token)
        .json(&json!({"to": "closed"}))
        .timeout(Duration::from_secs(600))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "close: {}", response.text().await.unwrap());
    started.elapsed().as_secs_f64()
}

/// The server's pool so far: seconds spent waiting for a connection, connections taken
/// (from `/metrics`).
async fn pool_waits(client: &reqwest::Client, base: &str) -> (f64, f64) {
    let text = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse::<f64>().ok()))
            .unwrap_or(f64::NAN)
    };
    (value("roundtable_db_pool_wait_seconds_total"), value("roundtable_db_pool_acquired_total"))
}

/// Report latency over random subjects, `concurrency` requests at once; returns sorted
/// ms and the seconds the whole run took.
async fn report_latencies(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    seeded: &Seeded,
    requests: usize,
    concurrency: usize,
) -> (Vec<f64>, f64) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let (base, token, cycle) = (base.to_string(), token.to_string(), seeded.cycle_id.clone());
        let subjects = seeded.leader_ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = roundtable::rng::Rng::new(7 + worker as u64);
            let mut times = Vec::new();
            for _ in 0..requests / concurrency {
                let subject = &subjects[rng.below(subjects.len())];
                let started = Instant::now();
                let response = client
                    .get(format!("{base}/api/v1/cycles/{cycle}/reports/{subject}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by(f64::total_cmp);
    (all, started.elapsed().as_secs_f64())
}

/// Heatmap latency (competency × department), one request at a time; returns sorted ms.
async fn heatmap_latencies(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    cycle: &str,
    requests: usize,
) -> Vec<f64> {
    let mut times = Vec::new();
    for _ in 0..requests {
        let started = Instant::now();
        let response = client
            .get(format!("{base}/api/v1/analytics/cycles/{cycle}/heatmap"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times
}

/// DuckDB computing the heatmap's cells from the raw answers (scripts/heatmap-duckdb.py):
/// `None` when `.venv` has no DuckDB.
fn duckdb_heatmap(answers_csv: &std::path::Path) -> Option<Value> {
    let output = Command::new(".venv/bin/python")
        .arg("scripts/heatmap-duckdb.py")
        .arg(answers_csv)
        .arg("20")
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    serde_json::from_slice(&output.stdout).ok()
}

/// Pending invitations of a seeded cycle with a user token for each rater.
fn pending_submissions(pool: &DbPool, seeded: &Seeded) -> Vec<(String, String)> {
    let mut conn = pool.get().unwrap();
    let mut rows: Vec<(String, String)> = db_run!(&mut conn, |c| invitations::table
        .filter(invitations::cycle_id.eq(&seeded.cycle_id))
        .select((invitations::id, invitations::rater_id))
        .load(c))
    .unwrap();
    // Raters across the organisation answer in no particular order; in the seed's order a
    // subject's raters would come back to back and queue on their group's answer set.
    roundtable::rng::Rng::new(42).shuffle(&mut rows);
    let settings = AuthSettings {
        public_url: "http://localhost:8080".into(),
        audience: "roundtable".into(),
        signing_key_file: None,
        verify_key_files: Vec::new(),
        trusted_issuers_file: None,
        client_token_ttl_secs: 900,
        user_token_max_ttl_secs: 3600,
    };
    let authority = TokenAuthority::new(KeyStore::load(&mut conn, &settings).unwrap(), &settings).unwrap();
    let mut tokens: HashMap<String, String> = HashMap::new();
    rows.into_iter()
        .map(|(invitation, rater)| {
            let token = tokens
                .entry(rater.clone())
                .or_insert_with(|| {
                    authority
                        .sign(
                            format!("person:{rater}"),
                            &seeded.org.org_id,
                            Grant::Person { role: Role::Member, minted_by: "client:benchmark".into() },
                            3600,
                        )
                        .unwrap()
                })
                .clone();
            (invitation, token)
        })
        .collect()
}

/// What the database can commit: the submission's writes, one transaction each, for
/// `seconds`; returns submissions per second.
fn raw_commit_rate(conn: &mut DbConn, seeded: &Seeded, work: &[(String, String)], seconds: f64) -> (f64, usize) {
    let started = Instant::now();
    let mut done = 0;
    for (invitation_id, _) in work {
        if started.elapsed().as_secs_f64() >= seconds {
            break;
        }
        conn.transaction(|conn| {
            let (subject, relationship): (String, roundtable::anonymity::Relationship) =
                db_run!(conn, |c| invitations::table
                    .find(invitation_id)
                    .select((invitations::subject_id, invitations::relationship))
                    .first(c))?;
            db_run!(conn, |c| diesel::update(invitations::table.find(invitation_id))
                .set(invitations::status.eq("submitted"))
                .execute(c))?;
            let answers = seeded
                .question_ids
                .iter()
                .map(|q| CheckedAnswer { question_id: q.clone(), score: Some(3), comment: None })
                .collect();
            store::record(conn, &seeded.org.org_id, &seeded.cycle_id, &subject, relationship, answers)?;
            db_run!(conn, |c| diesel::delete(response_drafts::table.find(invitation_id)).execute(c))?;
            Ok::<_, roundtable::error::AppError>(())
        })
        .unwrap();
        done += 1;
    }
    (done as f64 / started.elapsed().as_secs_f64(), done)
}

fn submission_body(seeded: &Seeded) -> Arc<Value> {
    Arc::new(
        json!({"answers": seeded.question_ids.iter().map(|q| json!({"question_id": q, "score": 4})).collect::<Vec<_>>()}),
    )
}

/// The API's closed-loop rate with a few submissions at once: submissions per second over
/// the run, and in its slowest whole second.
async fn api_rate(
    client: &reqwest::Client,
    base: &str,
    body: Arc<Value>,
    work: Vec<(String, String)>,
    seconds: f64,
) -> (f64, f64) {
    let work = Arc::new(tokio::sync::Mutex::new(work));
    let started = Instant::now();
    let mut tasks = Vec::new();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..8 {
        let (client, base, body, work, count) =
            (client.clone(), base.to_string(), body.clone(), work.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            while started.elapsed().as_secs_f64() < seconds {
                let Some((invitation, token)) = work.lock().await.pop() else { break };
                let response = client
                    .post(format!("{base}/api/v1/invitations/{invitation}/submit"))
                    .bearer_auth(&token)
                    .json(&*body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Instant::now()
        }));
    }
    // Completions per second while it runs: how steady the rate is decides how close to
    // it an open loop can run without a queue.
    let mut per_second = Vec::new();
    let mut last = 0;
    while !tasks.iter().all(|t| t.is_finished()) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = count.load(std::sync::atomic::Ordering::Relaxed);
        per_second.push(now - last);
        last = now;
    }
    let mut finished = started;
    for t in tasks {
        finished = finished.max(t.await.unwrap());
    }
    // Over the time the requests took, not the sampler's last sleep.
    let total = count.load(std::sync::atomic::Ordering::Relaxed);
    let mean = total as f64 / (finished - started).as_secs_f64();
    // The last second is partial.
    per_second.pop();
    println!("  closed-loop submissions per second: {per_second:?}");
    let slowest = per_second.iter().min().copied().unwrap_or(0) as f64;
    (mean, slowest)
}

/// File data the kernel has not written to disk yet (`Dirty` and `Writeback` in
/// /proc/meminfo), in MB: what a sync would wait for.
fn unwritten_mb() -> f64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kb: f64 = meminfo
        .lines()
        .filter(|l| l.starts_with("Dirty:") || l.starts_with("Writeback:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .sum();
    kb / 1024.0
}

/// The engine's own floor for the import: as many people, in transactions of a request's
/// size, written straight into the table by one connection the way the server writes them
/// (`COPY` on PostgreSQL, inserts of 500 rows on SQLite), without HTTP, parsing, checks or
/// the lookups of who exists already; people per second.
fn bulk_import_floor(pool: &DbPool, org_id: &str) -> f64 {
    let (batches, per) = (10, 5000);
    let mut conn = pool.get().unwrap();
    let started = Instant::now();
    for b in 0..batches {
        let at = roundtable::db::now();
        let first = roundtable::db::new_id();
        let rows: Vec<Person> = (0..per)
            .map(|i| {
                let n = b * per + i;
                let id = if i == 0 { first.clone() } else { roundtable::db::new_id() };
                Person {
                    external_id: Some(format!("FLOOR{n}")),
                    department: Some(format!("Dept {}", n % 20)),
                    manager_id: (i > 0).then(|| first.clone()),
                    ..Person::new_member(id, org_id, format!("floor{n}@bench.example"), format!("Floor {n}"), at)
                }
            })
            .collect();
        conn.transaction(|conn| match conn {
            DbConn::Postgres(c) => diesel::copy_from(people::table).from_insertable(rows.as_slice()).execute(&mut **c),
            DbConn::Sqlite(c) => rows.chunks(500).try_fold(0, |done, chunk| {
                Ok(done + diesel::insert_into(people::table).values(chunk).execute(&mut **c)?)
            }),
        })
        .unwrap();
    }
    (batches * per) as f64 / started.elapsed().as_secs_f64()
}

/// Open loop: one submission every 1/rate seconds whatever the answers do; latency counts
/// from the moment each request was due, so a slow server cannot hide queueing.
async fn open_loop(
    client: &reqwest::Client,
    base: &str,
    body: Arc<Value>,
    work: Vec<(String, String)>,
    rate: f64,
) -> (Vec<f64>, usize) {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for (i, (invitation, token)) in work.into_iter().enumerate() {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due).await;
        let (client, base, body) = (client.clone(), base.to_string(), body.clone());
        tasks.push(tokio::spawn(async move {
            let sent = client
                .post(format!("{base}/api/v1/invitations/{invitation}/submit"))
                .bearer_auth(&token)
                .json(&*body)
                .send()
                .await;
            let ok = matches!(&sent, Ok(r) if r.status() == 200);
            ((tokio::time::Instant::now() - due).as_secs_f64() * 1000.0, ok)
        }));
    }
    let mut latencies = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (latency, ok) = t.await.unwrap();
        latencies.push(latency);
        failed += usize::from(!ok);
    }
    // How latency moved during the run, a quarter second at a time: a queue that builds
    // shows as a rising median.
    let per = ((rate / 4.0) as usize).max(1);
    let windows: Vec<String> = latencies
        .chunks(per)
        .map(|w| {
            let mut w = w.to_vec();
            w.sort_by(f64::total_cmp);
            format!("{:.0}/{:.0}", percentile(&w, 0.5), percentile(&w, 1.0))
        })
        .collect();
    println!("  open-loop latency per quarter second, median/max ms: {}", windows.join(" "));
    latencies.sort_by(f64::total_cmp);
    (latencies, failed)
}

async fn bulk_import_rate(client: &reqwest::Client, base: &str, token: &str) -> f64 {
    let batches = 10;
    let per = 5000;
    let started = Instant::now();
    for b in 0..batches {
        let rows: Vec<Value> = (0..per)
            .map(|i| {
                let n = b * per + i;
                json!({"external_id": format!("IMP{n}"), "email": format!("imp{n}@bench.example"), "display_name": format!("Imported {n}"),
                       "department": format!("Dept {}", n % 20), "manager_external_id": (n % per > 0).then(|| format!("IMP{}", b * per))})
            })
            .collect();
        let response = client
            .post(format!("{base}/api/v1/people/bulk"))
            .bearer_auth(token)
            .json(&json!({"people": rows}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["summary"]["created"], per);
    }
    (batches * per) as f64 / started.elapsed().as_secs_f64()
}

#[derive(Default)]
struct Figures {
    rows: Vec<(String, String, String)>,
}

impl Figures {
    fn add(&mut self, what: &str, value: String, target: &str) {
        println!("  {what:<58} {value:>14}   {target}");
        self.rows.push((what.to_string(), value, target.to_string()));
    }
}

async fn run_engine(engine: &str, database: &Database, port: u16, large: usize) -> Figures {
    let mut figures = Figures::default();
    println!("== {engine}");
    let pool = DbPool::connect(&DatabaseSettings {
        db_pool_size: 4,
        db_timeout_secs: 30,
        answer_key: Some(BENCH_ANSWER_KEY.into()),
        ..DatabaseSettings::for_url(&database.url)
    })
    .unwrap();
    let server = Server::start(&database.url, port);
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();

    let mut report_medians = Vec::new();
    let answers_csv = std::path::PathBuf::from("target/bench-answers.csv");
    let sizes = if only("submissions") { Vec::new() } else { vec![1000, large] };
    for leaders in sizes {
        let started = Instant::now();
        let seeded = seed_cycle(&pool, leaders, true, (leaders == large).then(|| answers_csv.clone()));
        figures.add(
            &format!("seed {leaders} leaders ({} answers)", seeded.answers),
            format!("{:.1} s", started.elapsed().as_secs_f64()),
            "",
        );
        let token = client_token(&client, &server.base, &seeded).await;
        let closing = close(&client, &server.base, &token, &seeded.cycle_id).await;
        figures.add(
            &format!("close a cycle of {} answers", seeded.answers),
            format!("{closing:.1} s"),
            if leaders == large { "<= 10 s at 5M" } else { "" },
        );
        report_latencies(&client, &server.base, &token, &seeded, 200, 4).await; // warm up
        let (times, _) = report_latencies(&client, &server.base, &token, &seeded, 2000, 4).await;
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        figures.add(
            &format!("growth report p50 / p99, {leaders} leaders"),
            format!("{p50:.2} / {p99:.2} ms"),
            "<= 5 / 20 ms",
        );
        report_medians.push(p50);
        // Throughput: 16 connections at once, as a frontend's users would read reports.
        let (times, seconds) = report_latencies(&client, &server.base, &token, &seeded, 8000, 16).await;
        figures.add(
            &format!("growth report throughput at 16 connections, {leaders} leaders: rate, p50 / p99"),
            format!(
                "{:.0}/s: {:.2} / {:.2} ms",
                times.len() as f64 / seconds,
                percentile(&times, 0.5),
                percentile(&times, 0.99)
            ),
            ">= 3000/s, p99 <= 10 ms",
        );
        if only("reports") {
            continue;
        }
        figures.add(
            &format!("server resident memory after the {leaders}-leader close and reports"),
            format!("{:.0} MB", server.rss_mb("VmRSS:")),
            "",
        );
        // The first read loads the cycle's roll-ups from the database; later ones find them
        // kept by the process.
        let cold = heatmap_latencies(&client, &server.base, &token, &seeded.cycle_id, 1).await[0];
        figures.add(
            &format!("analytics heatmap, first read (roll-ups from the database), {leaders} leaders"),
            format!("{cold:.2} ms"),
            "",
        );
        heatmap_latencies(&client, &server.base, &token, &seeded.cycle_id, 5).await; // warm up
        let times = heatmap_latencies(&client, &server.base, &token, &seeded.cycle_id, 200).await;
        let (heatmap_p50, heatmap_p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        figures.add(
            &format!("analytics heatmap (competency × department) p50 / p99, {leaders} leaders"),
            format!("{heatmap_p50:.2} / {heatmap_p99:.2} ms"),
            "",
        );
        if leaders != large {
            continue;
        }
        match duckdb_heatmap(&answers_csv) {
            Some(duck) => {
                let p50 = |k: &str| duck[k]["p50"].as_f64().unwrap_or(f64::NAN);
                let p99 = |k: &str| duck[k]["p99"].as_f64().unwrap_or(f64::NAN);
                figures.add(
                    &format!("DuckDB, the same cells from {} raw answers in Parquet: p50 / p99", duck["rows"]),
                    format!("{:.1} / {:.1} ms", p50("parquet"), p99("parquet")),
                    "",
                );
                figures.add(
                    "DuckDB, from a table in memory: p50 / p99",
                    format!("{:.1} / {:.1} ms", p50("memory"), p99("memory")),
                    "",
                );
                figures.add(
                    "heatmap p50 / DuckDB p50 (Parquet; in memory)",
                    format!("{:.3}; {:.3}", heatmap_p50 / p50("parquet"), heatmap_p50 / p50("memory")),
                    "< 1",
                );
            }
            None => {
                for what in ["DuckDB heatmap", "DuckDB, from a table in memory", "heatmap p50 / DuckDB p50"] {
                    figures.add(what, "not run: no DuckDB in .venv".into(), "");
                }
            }
        }
        let peak_before = server.rss_mb("VmHWM:");
        let started = Instant::now();
        let export = client
            .get(format!("{}/api/v1/analytics/cycles/{}/heatmap?by=question", server.base, seeded.cycle_id))
            .bearer_auth(&token)
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), 200);
        let body = export.bytes().await.unwrap();
        let rows = body.iter().filter(|b| **b == b'\n').count().saturating_sub(1);
        figures.add(
            "heatmap by question exported as CSV: rows, time, server peak resident before / after",
            format!(
                "{rows} rows, {:.0} ms, {peak_before:.0} / {:.0} MB",
                started.elapsed().as_secs_f64() * 1000.0,
                server.rss_mb("VmHWM:")
            ),
            "",
        );
    }
    if only("reports") {
        return figures;
    }
    if let [small, large_median] = report_medians[..] {
        figures.add(
            &format!("report p50 ratio, {large} vs 1000 leaders"),
            format!("{:.2}x", large_median / small),
            "<= 1.5x",
        );
    }

    // Submissions: the database's raw commit rate, the API's rate, then open-loop latency.
    let pending = seed_cycle(&pool, 8000, false, None);
    let mut work = pending_submissions(&pool, &pending);
    let raw_work: Vec<_> = work.drain(..work.len() / 4).collect();
    let (raw, _) = raw_commit_rate(&mut pool.get().unwrap(), &pending, &raw_work, 5.0);
    figures.add("raw commit rate, one transaction per submission", format!("{raw:.0} /s"), "");
    let body = submission_body(&pending);
    // Ten seconds: a rate the API sustains, not a burst.
    let api_work: Vec<_> = work.drain(..work.len() / 3).collect();
    let api_work_len = api_work.len();
    let (api, slowest) = api_rate(&client, &server.base, body.clone(), api_work, 10.0).await;
    figures.add("API submission rate (8 at once)", format!("{api:.0} /s"), "");
    figures.add("API submission rate in its slowest second", format!("{slowest:.0} /s"), "");
    figures.add("API / raw", format!("{:.0} %", 100.0 * api / raw), ">= 50 %");
    figures.add(
        "server resident memory after the closed-loop submissions",
        format!("{:.0} MB", server.rss_mb("VmRSS:")),
        "",
    );
    // "80% of that rate": of the rate the API sustains (at 80% of the raw rate an API that
    // sustains less would only measure its queue).
    let rate = (0.8 * api).max(1.0);
    let open_work: Vec<_> = work.drain(..((rate * 10.0) as usize).min(work.len())).collect();
    println!(
        "  open loop from {} UTC, {:.0} MB of file data not yet written",
        chrono::Utc::now().format("%H:%M:%S%.3f"),
        unwritten_mb()
    );
    let sampler = database.url.starts_with("postgres").then(|| waits::Sampler::start(&database.url));
    let disk = machine::SyncProbe::start();
    let pool_before = pool_waits(&client, &server.base).await;
    let (latencies, failed) = open_loop(&client, &server.base, body, open_work, rate).await;
    let pool_after = pool_waits(&client, &server.base).await;
    println!("  after the open loop, {:.0} MB of file data not yet written", unwritten_mb());
    figures.add(
        "open-loop submissions at 80% of the API rate: rate, p50 / p99",
        format!("{rate:.0}/s: {:.1} / {:.1} ms", percentile(&latencies, 0.5), percentile(&latencies, 0.99)),
        "p99 <= 50 ms",
    );
    figures.add("open-loop submissions refused or failed", failed.to_string(), "0");
    let (waited, taken) = (pool_after.0 - pool_before.0, pool_after.1 - pool_before.1);
    figures.add(
        "open loop: connections taken from the pool, mean wait for one",
        format!("{taken:.0}, {:.3} ms", 1000.0 * waited / taken.max(1.0)),
        "",
    );
    figures.add(
        "open loop: the disk meanwhile, one 4 KiB block synced every 10 ms: p50 / p99 / slowest",
        disk.finish(),
        "",
    );
    figures.add(
        "open loop: PostgreSQL's busy backends by what they did (sampled every 5 ms)",
        sampler.map_or_else(|| "–".to_string(), waits::Sampler::finish),
        "",
    );
    figures.add(
        "server resident memory after the open-loop submissions",
        format!("{:.0} MB", server.rss_mb("VmRSS:")),
        "",
    );
    if only("submissions") {
        return figures;
    }

    // The same submissions with an endpoint subscribed to every event: an answer writes
    // no outbox row (answers are counted by the hour), so what differs is the worker.
    let token = client_token(&client, &server.base, &pending).await;
    let (receiver_url, received) = webhooks::receiver();
    let endpoint = client
        .post(format!("{}/api/v1/webhooks/endpoints", server.base))
        .bearer_auth(&token)
        .json(&json!({"url": receiver_url}))
        .send()
        .await
        .unwrap();
    assert_eq!(endpoint.status(), 201, "{}", endpoint.text().await.unwrap());
    let hooked_work: Vec<_> = work.drain(..work.len().min(api_work_len)).collect();
    let (hooked, _) = api_rate(&client, &server.base, submission_body(&pending), hooked_work, 10.0).await;
    figures.add("API submission rate (8 at once), webhooks off / on", format!("{api:.0} / {hooked:.0} /s"), "");
    let (delivered, written) = webhooks::delivery_rate(&pool, &pending.org.org_id, &received, 20_000).await;
    figures.add(
        "webhook deliveries to a local receiver (20,000 written in 20 transactions)",
        format!("{delivered:.0} /s (writes {written:.1} s)"),
        "",
    );

    let imported = bulk_import_rate(&client, &server.base, &token).await;
    figures.add("bulk people import (POST /people/bulk, 5,000 a request)", format!("{imported:.0} /s"), ">= 20,000 /s");
    let floor = bulk_import_floor(&pool, &pending.org.org_id);
    figures.add(
        "bulk import floor: the same rows written by one connection, no server; import / floor",
        format!("{floor:.0} /s; {:.0} %", 100.0 * imported / floor),
        "or >= 80 % of the floor",
    );
    figures.add("server resident memory after the load", format!("{:.0} MB", server.rss_mb("VmRSS:")), "<= 150 MB");
    figures.add("server peak resident memory (closing included)", format!("{:.0} MB", server.rss_mb("VmHWM:")), "");
    figures
}

/// What this machine does alone, so runs on different machines can be compared.
fn calibration() -> String {
    format!(
        "{:.0} synced 4 KiB writes/s, SHA-256 at {:.0} MB/s on one core",
        machine::synced_writes_per_second(),
        machine::sha256_mb_per_second()
    )
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let large: usize = env_or("BENCH_LARGE", "10000").parse().expect("BENCH_LARGE");
    let engines = env_or("BENCH_ENGINES", "sqlite,postgres");
    let pg = std::env::var("BENCH_DATABASE_URL").ok().filter(|v| !v.is_empty());
    let calibrated = calibration();
    println!("machine: {}; {calibrated}", machine::machine());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut results = Vec::new();
    if engines.contains("sqlite") {
        let db = Database::sqlite();
        results.push(("SQLite", runtime.block_on(run_engine("SQLite", &db, 18181, large))));
    }
    if engines.contains("postgres") {
        match &pg {
            Some(admin) => {
                let db = Database::postgres(admin);
                results.push(("PostgreSQL", runtime.block_on(run_engine("PostgreSQL", &db, 18182, large))));
            }
            None => println!("== PostgreSQL skipped: set BENCH_DATABASE_URL"),
        }
    }

    let mut md = String::from("# Benchmarks\n\n");
    md.push_str(&format!(
        "Measured {} on {} ({calibrated}), both engines in one run of:\n\n```sh\nBENCH_DATABASE_URL=postgres://roundtable:roundtable@localhost:5432/roundtable cargo bench --bench harness\n```\n\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        machine::machine()
    ));
    md.push_str(&format!(
        "Seeded with `roundtable seed` ({RATERS} raters and {QUESTIONS} questions per leader); the server is the release build, \
         started as its own process; the load comes from the same machine. Targets from DESIGN.md section 7.\n\n"
    ));
    let names: Vec<&str> = results.iter().map(|(n, _)| *n).collect();
    md.push_str(&format!("| measure | {} | target |\n|---|{}---|\n", names.join(" | "), "---|".repeat(names.len())));
    if let Some((_, first)) = results.first() {
        for (i, (what, _, target)) in first.rows.iter().enumerate() {
            let values: Vec<String> =
                results.iter().map(|(_, f)| f.rows.get(i).map(|r| r.1.clone()).unwrap_or_default()).collect();
            md.push_str(&format!("| {what} | {} | {target} |\n", values.join(" | ")));
        }
    }
    if !env_or("BENCH_ONLY", "").is_empty() {
        print!("{md}");
        return;
    }
    let notes = std::fs::read_to_string("BENCHMARKS.notes.md").unwrap_or_default();
    md.push_str(&notes);
    std::fs::write("BENCHMARKS.md", md).unwrap();
    println!("wrote BENCHMARKS.md");
}
