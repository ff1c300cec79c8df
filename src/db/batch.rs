//! Batched commits of the small rows many requests write at once (the audit entries of
//! report reads), on both engines.
//!
//! Each such row used to be a transaction of its own: a round trip to begin, one to
//! insert, one to commit and a synced log write, for every read. Here one thread takes
//! the rows that queued while the previous batch committed and writes them in one
//! transaction, one statement for the lot, one sync. Each caller hears only once its
//! row is durable, so a response that waits for it is never sent for a row a crash
//! could lose. If the batch fails, each of its rows is tried again alone, so one bad row
//! fails only its own caller.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};

use super::{DbConn, DbPool};
use crate::error::AppError;

/// Writes a batch's rows inside the batch's transaction.
pub type WriteRows<R> = fn(&mut DbConn, &[R]) -> Result<(), AppError>;

/// A queued row and who waits for it.
struct Queued<R> {
    row: R,
    answer: tokio::sync::oneshot::Sender<Result<(), AppError>>,
}

/// The queue of one batching thread, which writes to one pool and ends with the last
/// handle on its queue.
pub struct Batcher<R> {
    queue: Sender<Queued<R>>,
}

impl<R> Clone for Batcher<R> {
    fn clone(&self) -> Self {
        Self { queue: self.queue.clone() }
    }
}

impl<R: Send + 'static> Batcher<R> {
    /// A thread that commits up to `most` rows at a time to `pool` with `write`.
    pub fn start(name: &str, pool: DbPool, most: usize, write: WriteRows<R>) -> std::io::Result<Self> {
        let (queue, rows) = channel();
        std::thread::Builder::new().name(name.into()).spawn(move || commit_batches(&pool, rows, most.max(1), write))?;
        Ok(Self { queue })
    }

    /// Queues `row` for the next batch; answers once that batch has committed.
    pub async fn commit(&self, row: R) -> Result<(), AppError> {
        let (answer, outcome) = tokio::sync::oneshot::channel();
        self.queue
            .send(Queued { row, answer })
            .map_err(|_| AppError::Unavailable("the batch writer has stopped".into()))?;
        // A dropped answer means the row's batch never committed: nothing of it is stored.
        outcome.await.unwrap_or_else(|_| Err(AppError::Unavailable("the write could not be committed".into())))
    }
}

fn commit_batches<R>(pool: &DbPool, queue: Receiver<Queued<R>>, most: usize, write: WriteRows<R>) {
    while let Ok(first) = queue.recv() {
        let (rows, answers): (Vec<R>, Vec<_>) =
            std::iter::once(first).chain(queue.try_iter().take(most - 1)).map(|q| (q.row, q.answer)).unzip();
        // A bug inside a write fails its batch, not the thread: later batches still commit.
        let outcomes = catch_unwind(AssertUnwindSafe(|| outcomes(pool, &rows, write))).unwrap_or_else(|_| {
            tracing::error!("a batch of rows failed unexpectedly and was not committed");
            rows.iter().map(|_| Err(AppError::internal("the write failed unexpectedly"))).collect()
        });
        for (answer, outcome) in answers.into_iter().zip(outcomes) {
            let _ = answer.send(outcome);
        }
    }
}

/// Each row's outcome: the batch committed whole; or, when it failed on something a row
/// can cause, each row committed alone. Without a connection, the rows fail at once,
/// rather than each waiting for the pool in turn.
fn outcomes<R>(pool: &DbPool, rows: &[R], write: WriteRows<R>) -> Vec<Result<(), AppError>> {
    let unavailable =
        |detail: &str| -> Vec<_> { rows.iter().map(|_| Err(AppError::Unavailable(detail.to_string()))).collect() };
    match commit_rows(pool, rows, write) {
        Ok(()) => rows.iter().map(|_| Ok(())).collect(),
        Err(AppError::Unavailable(detail)) => unavailable(&detail),
        Err(err) if rows.len() == 1 => vec![Err(err)],
        Err(_) => {
            let mut outcomes = Vec::with_capacity(rows.len());
            for row in rows {
                match commit_rows(pool, std::slice::from_ref(row), write) {
                    Err(AppError::Unavailable(detail)) => {
                        outcomes
                            .extend((outcomes.len()..rows.len()).map(|_| Err(AppError::Unavailable(detail.clone()))));
                        break;
                    }
                    outcome => outcomes.push(outcome),
                }
            }
            outcomes
        }
    }
}
fn commit_rows<R>(pool: &DbPool, rows: &[R], write: WriteRows<R>) -> Result<(), AppError> {
    pool.get()?.transaction(|conn| write(conn, rows))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;

    use super::super::{DbConn, DbPool, EnginePool};
    use super::Batcher;
    use crate::config::DatabaseSettings;
    use crate::error::AppError;

    /// The most rows one call of [`insert`] was given.
    static LARGEST: AtomicUsize = AtomicUsize::new(0);

    fn insert(conn: &mut DbConn, rows: &[i32]) -> Result<(), AppError> {
        LARGEST.fetch_max(rows.len(), Ordering::Relaxed);
        let DbConn::Sqlite(c) = conn else { unreachable!() };
        for n in rows {
            diesel::sql_query(format!("INSERT INTO batched (n) VALUES ({n})")).execute(&mut **c)?;
        }
        Ok(())
    }

    #[actix_web::test]
    async fn a_batch_commits_together_and_a_bad_row_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let pool =
            DbPool::connect(&DatabaseSettings::for_url(&format!("sqlite://{}/b.db", dir.path().display()))).unwrap();
        {
            let DbConn::Sqlite(c) = &mut pool.get().unwrap() else { unreachable!() };
            c.batch_execute("CREATE TABLE batched (n INTEGER PRIMARY KEY)").unwrap();
        }
        let batcher = Batcher::start("test-batches", pool.clone(), 16, insert).unwrap();
        let EnginePool::Sqlite(_, writer, _) = &pool.engine else { unreachable!() };

        // Another writer holds the lock for a while: the rows queue meanwhile and go in
        // one batch (the first may go alone, taken before the rest arrived). The
        // duplicate makes its batch fail, and each of that batch's rows is tried alone.
        let writer = Arc::clone(writer);
        let holder = std::thread::spawn(move || {
            let _held = writer.lock().unwrap();
            std::thread::sleep(Duration::from_millis(300));
        });
        std::thread::sleep(Duration::from_millis(50));
        let rows: Vec<_> = [1, 2, 2, 3]
            .into_iter()
            .map(|n| {
                let batcher = batcher.clone();
                actix_web::rt::spawn(async move { batcher.commit(n).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for row in rows {
            outcomes.push(row.await.unwrap());
        }
        holder.join().unwrap();
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 3, "{outcomes:?}");
        assert!(outcomes.iter().any(|o| o.is_err()), "the duplicate row fails");
        assert!(LARGEST.load(Ordering::Relaxed) >= 2, "rows that queued together were written together");
        let DbConn::Sqlite(c) = &mut pool.get().unwrap() else { unreachable!() };
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let stored: Count = diesel::sql_query("SELECT count(*) AS n FROM batched").get_result(&mut **c).unwrap();
        assert_eq!(stored.n, 3);
    }
}
