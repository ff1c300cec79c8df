//! Webhook measures: a receiver on a loopback port that answers 204 and counts, and the
//! time the worker takes to deliver a backlog of messages to it.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use roundtable::db::DbPool;
use roundtable::events::{self, Event};

/// A receiver answering every request 204, on its own thread; the URL and its count.
pub fn receiver() -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/hooks", listener.local_addr().unwrap().port());
    let counted = Arc::clone(&count);
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                let counted = Arc::clone(&counted);
                App::new().default_service(web::to(move || {
                    counted.fetch_add(1, Ordering::Relaxed);
                    async { HttpResponse::NoContent().finish() }
                }))
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run()
            .await
        })
    });
    (url, count)
}

/// Writes `n` events an endpoint subscribes to, 1,000 a transaction, as changes would;
/// returns deliveries per second from the first write until the receiver counted the
/// last one, and the seconds the writes took.
pub async fn delivery_rate(pool: &DbPool, org_id: &str, received: &AtomicUsize, n: usize) -> (f64, f64) {
    let before = received.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut conn = pool.get().unwrap();
    for chunk in 0..n.div_ceil(1000) {
        let batch: Vec<Event> = (chunk * 1000..((chunk + 1) * 1000).min(n))
            .map(|i| Event::PersonDeactivated { person_id: format!("bench-{i}"), changed: vec!["active"] })
            .collect();
        conn.transaction(|conn| events::record_by_system(conn, org_id, &batch)).unwrap();
    }
    let written = started.elapsed().as_secs_f64();
    let deadline = started + Duration::from_secs(600);
    while received.load(Ordering::Relaxed) < before + n {
        assert!(Instant::now() < deadline, "the deliveries did not all arrive");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (n as f64 / started.elapsed().as_secs_f64(), written)
}
