//! Batched commits of what many requests write at once (the audit entries of report
//! reads, submissions), on both engines.
//!
//! Each such write used to be a transaction of its own: a round trip to begin, the
//! statements, one to commit and a synced log write, for every request. Here one thread
//! takes the rows that queued while the previous batch committed and writes them in one
//! transaction, with statements that each cover the whole batch, and one sync. Each
//! caller hears only once its row is durable, so a response that waits for it is never
//! sent for a row a crash could lose. A write may refuse single rows (a submission
//! already made) while the rest commit; if the batch fails as a whole, each of its rows
//! is tried again alone, so one bad row fails only its own caller.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};

use super::{DbConn, DbPool};
use crate::error::AppError;

/// A batch slower than this is logged: every request queued behind it waited as long.
const SLOW_BATCH: std::time::Duration = std::time::Duration::from_millis(100);

/// Writes a batch's rows inside the batch's transaction and gives each row's outcome, in
/// the rows' order. A row refused with an error must have written nothing: the batch's
/// other rows commit.
pub type WriteRows<R, T> = fn(&mut DbConn, &[R]) -> Result<Vec<Result<T, AppError>>, AppError>;

/// A queued row and who waits for it.
struct Queued<R, T> {
    row: R,
    answer: tokio::sync::oneshot::Sender<Result<T, AppError>>,
}

/// The queue of one batching thread, which writes to one pool and ends with the last
/// handle on its queue.
pub struct Batcher<R, T = ()> {
    queue: Sender<Queued<R, T>>,
}

impl<R, T> Clone for Batcher<R, T> {
    fn clone(&self) -> Self {
        Self { queue: self.queue.clone() }
    }
}

impl<R: Send + 'static, T: Send + 'static> Batcher<R, T> {
    /// A thread that commits up to `most` rows at a time to `pool` with `write`.
    pub fn start(name: &str, pool: DbPool, most: usize, write: WriteRows<R, T>) -> std::io::Result<Self> {
        let (queue, rows) = channel();
        std::thread::Builder::new().name(name.into()).spawn(move || commit_batches(&pool, rows, most.max(1), write))?;
        Ok(Self { queue })
    }

    /// Queues `row` for the next batch; answers once that batch has committed.
    pub async fn commit(&self, row: R) -> Result<T, AppError> {
        let (answer, outcome) = tokio::sync::oneshot::channel();
        self.queue
            .send(Queued { row, answer })
            .map_err(|_| AppError::Unavailable("the batch writer has stopped".into()))?;
        // A dropped answer means the row's batch never committed: nothing of it is stored.
        outcome.await.unwrap_or_else(|_| Err(AppError::Unavailable("the write could not be committed".into())))
    }
}

fn commit_batches<R, T>(pool: &DbPool, queue: Receiver<Queued<R, T>>, most: usize, write: WriteRows<R, T>) {
    while let Ok(first) = queue.recv() {
        let (rows, answers): (Vec<R>, Vec<_>) =
            std::iter::once(first).chain(queue.try_iter().take(most - 1)).map(|q| (q.row, q.answer)).unzip();
        let started = std::time::Instant::now();
        // A bug inside a write fails its batch, not the thread: later batches still commit.
        let outcomes = catch_unwind(AssertUnwindSafe(|| outcomes(pool, &rows, write))).unwrap_or_else(|_| {
            tracing::error!("a batch of rows failed unexpectedly and was not committed");
            rows.iter().map(|_| Err(AppError::internal("the write failed unexpectedly"))).collect()
        });
        if started.elapsed() > SLOW_BATCH {
            tracing::warn!(rows = rows.len(), millis = started.elapsed().as_millis(), "a batch took long to commit");
        }
        for (answer, outcome) in answers.into_iter().zip(outcomes) {
            let _ = answer.send(outcome);
        }
    }
}

/// Each row's outcome: the batch committed; or, when it failed as a whole on something a
/// row can cause, each row committed alone. Without a connection, the rows fail at once,
/// rather than each waiting for the pool in turn.
fn outcomes<R, T>(pool: &DbPool, rows: &[R], write: WriteRows<R, T>) -> Vec<Result<T, AppError>> {
    let unavailable =
        |detail: &str| -> Vec<_> { rows.iter().map(|_| Err(AppError::Unavailable(detail.to_string()))).collect() };
    match commit_rows(pool, rows, write) {
        Ok(outcomes) => outcomes,
        Err(AppError::Unavailable(detail)) => unavailable(&detail),
        Err(err) if rows.len() == 1 => vec![Err(err)],
        Err(err) => {
            tracing::warn!(rows = rows.len(), cause = %err, "a batch failed; its rows are written one at a time");
            let mut outcomes = Vec::with_capacity(rows.len());
            for row in rows {
                match commit_rows(pool, std::slice::from_ref(row), write) {
                    Err(AppError::Unavailable(detail)) => {
                        outcomes
                            .extend((outcomes.len()..rows.len()).map(|_| Err(AppError::Unavailable(detail.clone()))));
                        break;
                    }
                    Ok(mut alone) => outcomes.push(alone.pop().unwrap_or_else(|| Err(missing_outcome()))),
                    Err(err) => outcomes.push(Err(err)),
                }
            }
            outcomes
        }
    }
}

/// The batch's transaction; a write that gives fewer or more outcomes than rows is a bug,
/// and nothing of its batch commits.
fn commit_rows<R, T>(pool: &DbPool, rows: &[R], write: WriteRows<R, T>) -> Result<Vec<Result<T, AppError>>, AppError> {
    pool.get()?.transaction(|conn| {
        let outcomes = write(conn, rows)?;
        if outcomes.len() == rows.len() { Ok(outcomes) } else { Err(missing_outcome()) }
    })
}

fn missing_outcome() -> AppError {
    AppError::internal("a batch write gave a different number of outcomes than rows")
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

    /// Inserts the rows; refuses 13 alone.
    fn insert(conn: &mut DbConn, rows: &[i32]) -> Result<Vec<Result<i32, AppError>>, AppError> {
        LARGEST.fetch_max(rows.len(), Ordering::Relaxed);
        let DbConn::Sqlite(c) = conn else { unreachable!() };
        let mut outcomes = Vec::new();
        for &n in rows {
            if n == 13 {
                outcomes.push(Err(AppError::conflict("unlucky", "13 is refused")));
                continue;
            }
            diesel::sql_query(format!("INSERT INTO batched (n) VALUES ({n})")).execute(&mut **c)?;
            outcomes.push(Ok(n * 10));
        }
        Ok(outcomes)
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
        let EnginePool::Sqlite(_, writer) = &pool.engine else { unreachable!() };

        // Another writer holds the lock for a while: the rows queue meanwhile and go in
        // one batch (the first may go alone, taken before the rest arrived). The write
        // refuses 13 and commits the rest; the duplicate makes its batch fail, and each
        // of that batch's rows is tried alone.
        let writer = Arc::clone(writer);
        let holder = std::thread::spawn(move || {
            let _held = writer.lock().unwrap();
            std::thread::sleep(Duration::from_millis(300));
        });
        std::thread::sleep(Duration::from_millis(50));
        let rows: Vec<_> = [1, 2, 13, 2, 3]
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
        let committed: Vec<i32> = outcomes.iter().filter_map(|o| o.as_ref().ok().copied()).collect();
        assert_eq!(committed, [10, 20, 30], "each caller gets its own row's outcome: {outcomes:?}");
        assert!(matches!(&outcomes[2], Err(AppError::Conflict { .. })), "13 is refused alone: {outcomes:?}");
        assert!(outcomes[3].is_err(), "the duplicate row fails");
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
