//! The delivery worker: a thread of every instance that claims due deliveries, sends
//! them, and records each attempt.
//!
//! A claim moves a delivery's `next_attempt_at` a lease ahead in the claiming
//! transaction; on PostgreSQL it takes the rows `FOR UPDATE SKIP LOCKED`, so instances
//! sharing one database never claim the same delivery. If an instance dies between
//! sending and recording, the lease runs out and another sends the message again, with
//! the same `webhook-id` for the receiver to recognise it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};

use super::schedule;
use super::target::{self, NotPublic, PublicOnly};
use super::{DeliveryStatus, Endpoint, Secrets};
use crate::config::WebhookSettings;
use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints, webhook_messages};
use crate::db::{DbConn, DbPool, new_id, now};
use crate::db_run;
use crate::error::AppError;
use crate::events::outbox::PENDING;
use crate::events::{self, Event};

/// The running worker. Dropping it stops the thread and waits (up to a few seconds) until
/// it has: a process must not exit under a thread that is inside libpq or OpenSSL, whose
/// exit handlers tear them down.
pub struct Worker {
    stop: Arc<AtomicBool>,
    /// Disconnected when the thread ends.
    ended: Option<std::sync::mpsc::Receiver<()>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ended) = self.ended.take() {
            let _ = ended.recv_timeout(Duration::from_secs(5));
        }
    }
}

impl Worker {
    pub fn start(db: DbPool, settings: WebhookSettings) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect for us, past the resolver that keeps private
            // addresses out.
            .no_proxy()
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .user_agent(concat!("Roundtable-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private_targets {
            client = client.dns_resolver(Arc::new(PublicOnly));
        }
        let client = client.build()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (alive, ended) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new().name("webhooks".into()).spawn(move || {
            runtime.block_on(run(db, settings, client, stopping));
            // The pool, the client and the runtime go first, then the sender.
            drop(runtime);
            drop(alive);
        })?;
        Ok(Self { stop, ended: Some(ended) })
    }
}

async fn run(db: DbPool, settings: WebhookSettings, client: reqwest::Client, stop: Arc<AtomicBool>) {
    let poll = Duration::from_millis(settings.poll_ms.max(10));
    let lease = chrono::Duration::seconds(settings.timeout_secs.max(1) as i64 * 2 + 30);
    let capacity = settings.concurrency.max(1) as usize;
    // No endpoint takes more than a quarter of the sends, so a slow receiver with a
    // backlog leaves room for the others.
    let per_endpoint = (capacity / 4).max(1);
    let schedule_every = Duration::from_secs(settings.schedule_secs.max(1));
    let worker = new_id();
    let mut last_tick: Option<Instant> = None;
    let mut in_flight = FuturesUnordered::new();
    let mut busy: HashMap<String, usize> = HashMap::new();
    // After a claim that found nothing, the next waits a poll, or until a send finishes
    // (which may free an endpoint's share).
    let mut idle_until: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        if last_tick.is_none_or(|t| t.elapsed() >= schedule_every) {
            last_tick = Some(Instant::now());
            if let Err(e) = db.get().and_then(|mut conn| schedule::tick(&mut conn, now())) {
                tracing::warn!(cause = %e, "webhooks: cannot run the scheduled rounds");
            }
        }
        let room = capacity - in_flight.len();
        if room > 0 && idle_until.is_none_or(|t| Instant::now() >= t) {
            let full: Vec<String> = busy.iter().filter(|(_, n)| **n >= per_endpoint).map(|(e, _)| e.clone()).collect();
            match db.get().and_then(|mut conn| claim(&mut conn, room as i64, lease, &full)) {
                Ok(jobs) => {
                    idle_until = jobs.is_empty().then(|| Instant::now() + poll);
                    for job in jobs {
                        *busy.entry(job.endpoint_id.clone()).or_default() += 1;
                        let client = client.clone();
                        let allow_private = settings.allow_private_targets;
                        in_flight.push(async move {
                            let sent = send(&client, &job, allow_private).await;
                            (job, sent)
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(cause = %e, "webhooks: cannot claim deliveries");
                    idle_until = Some(Instant::now() + poll);
                }
            }
        }
        // Never long, so that a stop is seen within a tenth of a second.
        let wait = match idle_until {
            _ if in_flight.len() == capacity => poll,
            Some(t) => t.saturating_duration_since(Instant::now()),
            None => Duration::ZERO,
        }
        .min(Duration::from_millis(100));
        let mut done = Vec::new();
        tokio::select! {
            Some(first) = in_flight.next(), if !in_flight.is_empty() => done.push(first),
            _ = tokio::time::sleep(wait) => {}
        }
        while let Some(Some(more)) = in_flight.next().now_or_never() {
            done.push(more);
        }
        if done.is_empty() {
            continue;
        }
        idle_until = None;
        for (job, _) in &done {
            if let Some(n) = busy.get_mut(&job.endpoint_id) {
                *n -= 1;
            }
        }
        busy.retain(|_, n| *n > 0);
        let recorded = db.get().and_then(|mut conn| record(&mut conn, &done, &settings.retry_schedule, &worker));
        if let Err(e) = recorded {
            // Their leases run out and they are sent again.
            tracing::warn!(cause = %e, deliveries = done.len(), "webhooks: cannot record attempts");
        }
    }
}

/// One claimed delivery, with what sending it takes.
struct Job {
    delivery_id: String,
    org_id: String,
    endpoint_id: String,
    message_id: String,
    attempts: i32,
    /// The claim: the delivery's `next_attempt_at` while this worker holds it.
    lease_until: NaiveDateTime,
    body: String,
    url: String,
    secrets: Secrets,
}

/// The ids of the endpoints that receive deliveries: enabled and not deleted.
macro_rules! receiving {
    () => {
        webhook_endpoints::table
            .filter(webhook_endpoints::enabled.eq(true))
            .filter(webhook_endpoints::deleted_at.is_null())
            .select(webhook_endpoints::id)
    };
}

/// Due deliveries of enabled endpoints, oldest due first, leaving out `busy` endpoints.
macro_rules! due {
    ($at:expr, $limit:expr, $busy:expr) => {
        webhook_deliveries::table
            .filter(webhook_deliveries::status.eq(PENDING))
            .filter(webhook_deliveries::next_attempt_at.le($at))
            .filter(webhook_deliveries::endpoint_id.ne_all($busy))
            .filter(webhook_deliveries::endpoint_id.eq_any(receiving!()))
            .order(webhook_deliveries::next_attempt_at.asc())
            .limit($limit)
            .select(webhook_deliveries::id)
    };
}

/// Claims up to `limit` due deliveries.
fn claim(conn: &mut DbConn, limit: i64, lease: chrono::Duration, busy: &[String]) -> Result<Vec<Job>, AppError> {
    // A read first, so that an idle worker never takes SQLite's one writer.
    let at = now();
    let any: Option<String> = db_run!(conn, |c| due!(at, 1, busy).first(c).optional())?;
    if any.is_none() {
        return Ok(Vec::new());
    }
    let lease_until = at + lease;
    conn.transaction(|conn| {
        let ids: Vec<String> = match conn {
            DbConn::Postgres(c) => due!(at, limit, busy).for_update().skip_locked().load(&mut **c)?,
            DbConn::Sqlite(c) => due!(at, limit, busy).load(&mut **c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        db_run!(conn, |c| diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
            .set(webhook_deliveries::next_attempt_at.eq(lease_until))
            .execute(c))?;
        let rows: Vec<(String, String, i32, String, Endpoint)> = db_run!(conn, |c| webhook_deliveries::table
            .inner_join(webhook_messages::table)
            .inner_join(webhook_endpoints::table)
            .filter(webhook_deliveries::id.eq_any(&ids))
            .select((
                webhook_deliveries::id,
                webhook_deliveries::message_id,
                webhook_deliveries::attempts,
                webhook_messages::body,
                Endpoint::as_select(),
            ))
            .load(c))?;
        rows.into_iter()
            .map(|(delivery_id, message_id, attempts, body, endpoint)| {
                Ok(Job {
                    delivery_id,
                    org_id: endpoint.org_id.clone(),
                    endpoint_id: endpoint.id.clone(),
                    message_id,
                    attempts,
                    lease_until,
                    body,
                    secrets: Secrets::open(conn, &endpoint)?,
                    url: endpoint.url,
                })
            })
            .collect()
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    HttpError,
    Gone,
    NetworkError,
    Refused,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::HttpError => "http_error",
            Self::Gone => "gone",
            Self::NetworkError => "network_error",
            Self::Refused => "refused",
        }
    }
}

struct Sent {
    at: NaiveDateTime,
    outcome: Outcome,
    status_code: Option<i32>,
    error: Option<String>,
    duration_ms: i32,
}

async fn send(client: &reqwest::Client, job: &Job, allow_private: bool) -> Sent {
    let at = now();
    let started = Instant::now();
    let (outcome, status_code, error) = attempt(client, job, allow_private).await;
    Sent { at, outcome, status_code, error, duration_ms: started.elapsed().as_millis().min(i32::MAX as u128) as i32 }
}

async fn attempt(client: &reqwest::Client, job: &Job, allow_private: bool) -> (Outcome, Option<i32>, Option<String>) {
    let url = match reqwest::Url::parse(&job.url) {
        Ok(url) => url,
        Err(e) => return (Outcome::Refused, None, Some(format!("the stored URL does not parse: {e}"))),
    };
    if !allow_private && let Some(ip) = target::literal(&url).filter(|ip| !target::is_public(*ip)) {
        return (Outcome::Refused, None, Some(format!("{ip} is not a public address")));
    }
    let sent_at = Utc::now();
    let signature = match super::signing::signature_header(
        &job.secrets.signing(sent_at),
        &job.message_id,
        sent_at.timestamp(),
        &job.body,
    ) {
        Ok(signature) => signature,
        Err(e) => return (Outcome::Refused, None, Some(e.to_string())),
    };
    let request = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &job.message_id)
        .header("webhook-timestamp", sent_at.timestamp().to_string())
        .header("webhook-signature", signature)
        .body(job.body.clone());
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            let code = Some(i32::from(status.as_u16()));
            if status.is_success() {
                (Outcome::Succeeded, code, None)
            } else if status == reqwest::StatusCode::GONE {
                (Outcome::Gone, code, Some("the receiver answered 410 Gone".into()))
            } else {
                (Outcome::HttpError, code, Some(format!("the receiver answered {status}")))
            }
        }
        Err(e) => {
            let mut causes = vec![e.to_string()];
            let mut source = std::error::Error::source(&e);
            let mut refused = false;
            while let Some(cause) = source {
                refused |= cause.downcast_ref::<NotPublic>().is_some();
                causes.push(cause.to_string());
                source = cause.source();
            }
            let outcome = if refused { Outcome::Refused } else { Outcome::NetworkError };
            (outcome, None, Some(causes.join(": ")))
        }
    }
}

/// The delay before attempt `attempts + 1`, given the schedule; `None` once it is spent.
fn next_delay(schedule: &[f64], attempts: i32) -> Option<chrono::Duration> {
    let base = *schedule.get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
    let mut byte = [0u8; 2];
    SystemRandom::new().fill(&mut byte).ok()?;
    // Up to a fifth either way, so that deliveries failed together spread out.
    let jitter = 0.8 + 0.4 * f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX);
    Some(chrono::Duration::microseconds((base.max(0.0) * jitter * 1e6) as i64))
}

/// Records the attempts of one batch and what follows from each, in one transaction.
/// A delivery this worker no longer holds (deleted meanwhile, or taken over after its
/// lease ran out) keeps its attempt in the log and is left as it is.
fn record(conn: &mut DbConn, done: &[(Job, Sent)], schedule: &[f64], worker: &str) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let attempts: Vec<_> = done
            .iter()
            .map(|(job, s)| {
                (
                    webhook_attempts::id.eq(new_id()),
                    webhook_attempts::delivery_id.eq(&job.delivery_id),
                    webhook_attempts::org_id.eq(&job.org_id),
                    webhook_attempts::attempted_at.eq(s.at),
                    webhook_attempts::outcome.eq(s.outcome.as_str()),
                    webhook_attempts::status_code.eq(s.status_code),
                    webhook_attempts::error.eq(&s.error),
                    webhook_attempts::duration_ms.eq(s.duration_ms),
                    webhook_attempts::worker.eq(worker),
                )
            })
            .collect();
        db_run!(conn, |c| diesel::insert_into(webhook_attempts::table).values(&attempts).execute(c))?;
        for (job, s) in done {
            let attempts = job.attempts + 1;
            let (status, next) = match s.outcome {
                Outcome::Succeeded => (DeliveryStatus::Succeeded, None),
                Outcome::Gone => (DeliveryStatus::Failed, None),
                _ => match next_delay(schedule, attempts) {
                    Some(delay) => (DeliveryStatus::Pending, Some(s.at + delay)),
                    None => (DeliveryStatus::Failed, None),
                },
            };
            let delivered_at = (status == DeliveryStatus::Succeeded).then_some(s.at);
            let held = webhook_deliveries::table
                .find(&job.delivery_id)
                .filter(webhook_deliveries::status.eq(PENDING))
                .filter(webhook_deliveries::next_attempt_at.eq(job.lease_until));
            let updated = db_run!(conn, |c| diesel::update(held)
                .set((
                    webhook_deliveries::status.eq(status.as_str()),
                    webhook_deliveries::attempts.eq(attempts),
                    webhook_deliveries::next_attempt_at.eq(next.unwrap_or(s.at)),
                    webhook_deliveries::last_attempt_at.eq(Some(s.at)),
                    webhook_deliveries::last_status_code.eq(s.status_code),
                    webhook_deliveries::last_error.eq(&s.error),
                    webhook_deliveries::delivered_at.eq(delivered_at),
                ))
                .execute(c))?;
            if updated == 1 && s.outcome == Outcome::Gone {
                disable(conn, job, s)?;
            }
        }
        Ok(())
    })
}

/// A receiver that answers 410 asks to hear nothing more: the endpoint is disabled
/// (its owner can enable it again) and the audit log says why.
fn disable(conn: &mut DbConn, job: &Job, sent: &Sent) -> Result<(), AppError> {
    let reason = format!("The receiver answered 410 Gone at {}.", sent.at.and_utc().to_rfc3339());
    let changed = db_run!(conn, |c| diesel::update(
        webhook_endpoints::table.find(&job.endpoint_id).filter(webhook_endpoints::enabled.eq(true))
    )
    .set((
        webhook_endpoints::enabled.eq(false),
        webhook_endpoints::disabled_reason.eq(Some(&reason)),
        webhook_endpoints::updated_at.eq(now()),
    ))
    .execute(c))?;
    if changed > 0 {
        let disabled = Event::WebhookEndpointDisabled { endpoint_id: job.endpoint_id.clone(), reason };
        events::record_by_system(conn, &job.org_id, &[disabled])?;
    }
    Ok(())
}

/// The outbox as Prometheus text: how many deliveries wait for an enabled endpoint, how
/// old the oldest of them is, deliveries by status, and every attempt by outcome.
pub fn outbox_metrics(conn: &mut DbConn) -> Result<String, AppError> {
    use diesel::dsl::{count_star, min};
    let pending = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(PENDING))
        .filter(webhook_deliveries::endpoint_id.eq_any(receiving!()));
    let depth: i64 = db_run!(conn, |c| pending.select(count_star()).first(c))?;
    let oldest: Option<NaiveDateTime> =
        db_run!(conn, |c| pending.select(min(webhook_deliveries::created_at)).first(c))?;
    let by_status: Vec<(String, i64)> = db_run!(conn, |c| webhook_deliveries::table
        .group_by(webhook_deliveries::status)
        .select((webhook_deliveries::status, count_star()))
        .load(c))?;
    let by_outcome: Vec<(String, i64)> = db_run!(conn, |c| webhook_attempts::table
        .group_by(webhook_attempts::outcome)
        .select((webhook_attempts::outcome, count_star()))
        .load(c))?;
    let age = oldest.map_or(0.0, |t| (now() - t).num_milliseconds().max(0) as f64 / 1000.0);
    let mut text = String::new();
    text.push_str(
        "# HELP roundtable_webhook_outbox_depth Deliveries to enabled endpoints waiting for their first or next attempt.\n",
    );
    text.push_str("# TYPE roundtable_webhook_outbox_depth gauge\n");
    text.push_str(&format!("roundtable_webhook_outbox_depth {depth}\n"));
    text.push_str("# HELP roundtable_webhook_oldest_pending_seconds Age of the oldest undelivered message.\n");
    text.push_str("# TYPE roundtable_webhook_oldest_pending_seconds gauge\n");
    text.push_str(&format!("roundtable_webhook_oldest_pending_seconds {age}\n"));
    text.push_str("# HELP roundtable_webhook_deliveries Webhook deliveries by status.\n");
    text.push_str("# TYPE roundtable_webhook_deliveries gauge\n");
    for status in [DeliveryStatus::Pending, DeliveryStatus::Succeeded, DeliveryStatus::Failed] {
        let n = by_status.iter().find(|(s, _)| s == status.as_str()).map_or(0, |(_, n)| *n);
        text.push_str(&format!("roundtable_webhook_deliveries{{status=\"{}\"}} {n}\n", status.as_str()));
    }
    text.push_str("# HELP roundtable_webhook_attempts_total Webhook delivery attempts by result.\n");
    text.push_str("# TYPE roundtable_webhook_attempts_total counter\n");
    for outcome in [Outcome::Succeeded, Outcome::HttpError, Outcome::Gone, Outcome::NetworkError, Outcome::Refused] {
        let n = by_outcome.iter().find(|(o, _)| o == outcome.as_str()).map_or(0, |(_, n)| *n);
        text.push_str(&format!("roundtable_webhook_attempts_total{{result=\"{}\"}} {n}\n", outcome.as_str()));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spreads_attempts_and_ends() {
        let schedule = crate::config::DEFAULT_WEBHOOK_RETRY_SCHEDULE;
        let first = next_delay(&schedule, 1).unwrap().num_milliseconds();
        assert!((4000..=6000).contains(&first), "{first}");
        let total: f64 = schedule.iter().sum();
        assert!((86_400.0..30.0 * 3600.0).contains(&total), "about a day: {total}");
        assert!(next_delay(&schedule, 7).is_some());
        assert!(next_delay(&schedule, 8).is_none(), "8 attempts in all");
        assert!(next_delay(&schedule, 0).is_none());
    }
}
