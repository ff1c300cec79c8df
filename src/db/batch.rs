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
use std::sync::{Arc, Mutex};

use super::{DbConn, DbPool, Engine};
use crate::error::AppError;

/// Batches PostgreSQL may be writing at once.
const COMMITTERS_ON_POSTGRES: usize = 4;

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
    /// Threads that commit up to `most` rows at a time to `pool` with `write`: one on
    /// SQLite, which has one writer; on PostgreSQL several, so that a batch is written
    /// while the one before it waits for its log flush, and PostgreSQL flushes them together.
    pub fn start(name: &str, pool: DbPool, most: usize, write: WriteRows<R>) -> std::io::Result<Self> {
        let (queue, rows) = channel();
        let rows = Arc::new(Mutex::new(rows));
        let committers = match pool.engine() {
            Engine::Sqlite => 1,
            Engine::Postgres => COMMITTERS_ON_POSTGRES,
        };
        for _ in 0..committers {
            let (pool, rows) = (pool.clone(), Arc::clone(&rows));
            std::thread::Builder::new().name(name.into()).spawn(move || commit_batches(&pool, &rows, most.max(1), write))?;
        }
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

fn commit_batches<R>(pool: &DbPool, queue: &Mutex<Receiver<Queued<R>>>, most: usize, write: WriteRows<R>) {
    loop {
        // One committer at a time waits for rows and takes what has queued.
        let batch: Vec<Queued<R>> = {
            let queue = queue.lock().unwrap_or_else(|e| e.into_inner());
            let Ok(first) = queue.recv() else { return };
            std::iter::once(first).chain(queue.try_iter().take(most - 1)).collect()
        };
        let (rows, answers): (Vec<R>, Vec<_>) = batch.into_iter().map(|q| (q.row, q.answer)).unzip();
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
