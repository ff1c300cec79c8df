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
        match commit_rows(pool, &rows, write) {
            Ok(()) => answers.into_iter().for_each(|answer| drop(answer.send(Ok(())))),
            Err(err) if rows.len() == 1 => drop(answers.into_iter().next().map(|answer| answer.send(Err(err)))),
            Err(_) => {
                for (row, answer) in rows.iter().zip(answers) {
                    let _ = answer.send(commit_rows(pool, std::slice::from_ref(row), write));
                }
            }
        }
    }
}

fn commit_rows<R>(pool: &DbPool, rows: &[R], write: WriteRows<R>) -> Result<(), AppError> {
    pool.get()?.transaction(|conn| write(conn, rows))
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;

    use super::super::{DbConn, DbPool, EnginePool};
    use super::Batcher;
    use crate::config::DatabaseSettings;
    use crate::error::AppError;

    fn insert(conn: &mut DbConn, rows: &[i32]) -> Result<(), AppError> {
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
        let DbConn::Sqlite(c) = &mut pool.get().unwrap() else { unreachable!() };
        c.batch_execute("CREATE TABLE batched (n INTEGER PRIMARY KEY)").unwrap();
        let batcher = Batcher::start("test-batches", pool.clone(), 16, insert).unwrap();
        let EnginePool::Sqlite(_, writer, _) = &pool.engine else { unreachable!() };

        // While another writer holds the lock, rows queue and then go in one batch (the
        // first may go alone, taken before the rest arrived); the duplicate makes its batch
        // fail, and each of that batch's rows is tried again alone.
        let held = writer.lock().unwrap();
        let (one, two, again, three) = (batcher.commit(1), batcher.commit(2), batcher.commit(2), batcher.commit(3));
        drop(held);
        let (one, two, again, three) = tokio::join!(one, two, again, three);
        assert!(one.is_ok() && two.is_ok() && three.is_ok());
        assert!(again.is_err(), "the duplicate row fails");
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
