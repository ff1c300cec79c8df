//! Where a load's time goes inside PostgreSQL: `pg_stat_activity` sampled every few
//! milliseconds from a connection of its own, each of the database's busy backends counted
//! under what it was doing: running (on a CPU, or waiting for one), between two statements
//! of a transaction (waiting for the server's next statement), or its wait event
//! (`IO:WALSync`, `LWLock:WALWrite`, `Lock:advisory`, …).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;

#[derive(QueryableByName)]
struct Busy {
    #[diesel(sql_type = Text)]
    what: String,
}

pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<(HashMap<String, u64>, u64, u64)>,
}

impl Sampler {
    pub fn start(url: &str) -> Self {
        let mut conn = PgConnection::establish(url).expect("a connection for sampling");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let (mut seen, mut samples, mut vacuumed) = (HashMap::new(), 0, 0);
            while !stopped.load(Ordering::Relaxed) {
                let busy: Vec<Busy> = diesel::sql_query(
                    "SELECT CASE WHEN state = 'idle in transaction' THEN 'between statements of a transaction' \
                     WHEN wait_event IS NULL THEN 'running' ELSE wait_event_type || ':' || wait_event END AS what \
                     FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() \
                     AND backend_type = 'client backend' AND state IN ('active', 'idle in transaction')",
                )
                .load(&mut conn)
                .unwrap_or_default();
                for b in busy {
                    *seen.entry(b.what).or_insert(0) += 1;
                }
                let vacuuming: Vec<Busy> = diesel::sql_query(
                    "SELECT backend_type AS what FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'",
                )
                .load(&mut conn)
                .unwrap_or_default();
                if !vacuuming.is_empty() {
                    vacuumed += 1;
                }
                samples += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            (seen, samples, vacuumed)
        });
        Self { stop, handle }
    }

    /// The busy backends' time by what they did, largest first, as shares of all busy
    /// samples, with the mean number busy at a time, and how often an autovacuum worker
    /// (which shares the cores) was running.
    pub fn finish(self) -> String {
        self.stop.store(true, Ordering::Relaxed);
        let (seen, samples, vacuumed) = self.handle.join().unwrap();
        let busy: u64 = seen.values().sum();
        let mut shares: Vec<(String, u64)> = seen.into_iter().collect();
        shares.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let parts: Vec<String> = shares
            .iter()
            .take(6)
            .map(|(what, n)| format!("{what} {:.0} %", 100.0 * *n as f64 / busy.max(1) as f64))
            .collect();
        format!(
            "{:.1} busy at a time: {}; autovacuum at work in {:.0} % of the samples",
            busy as f64 / samples.max(1) as f64,
            parts.join(", "),
            100.0 * vacuumed as f64 / samples.max(1) as f64
        )
    }
}
