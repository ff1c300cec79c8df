//! Group commit on SQLite: writes that arrive while another group commits wait, then
//! commit together in one transaction, each inside its own savepoint.
//!
//! SQLite has one writer, and every commit syncs the WAL. A write queued behind the
//! writer lock used to wait for the commit ahead of it, then pay its own; here one thread
//! takes whatever has queued, runs each write in a savepoint (a write that fails rolls
//! back alone and gets its own error), and commits once. Each caller hears its outcome
//! only after that commit is durable; if the commit fails, every write of the group is
//! rolled back and each caller gets an error. With nothing else queued a group is one
//! write, as before.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};

use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::{DbConn, DbPool};
use crate::error::AppError;

/// The most writes one group commits: enough to absorb every request the pool can hold,
/// small enough that one group's transaction stays short.
const MOST_IN_A_GROUP: usize = 64;

/// A queued write: it runs in its savepoint and gives back what tells its caller the
/// outcome, to be called once the group has committed.
type Job = Box<dyn FnOnce(&mut DbConn) -> Reply + Send>;
type Reply = Box<dyn FnOnce() + Send>;

/// A queued write and the pool it writes to. The thread holds a pool only while it
/// commits a group, so dropping the last handle closes the connections as before, and
/// with the last sender the thread ends.
struct Queued {
    pool: DbPool,
    job: Job,
}

/// The queue of the pool's group-commit thread.
#[derive(Clone)]
pub struct GroupCommit {
    queue: Sender<Queued>,
}

impl GroupCommit {
    pub fn start() -> std::io::Result<Self> {
        let (queue, jobs) = channel();
        std::thread::Builder::new().name("sqlite-group-commit".into()).spawn(move || commit_groups(jobs))?;
        Ok(Self { queue })
    }

    /// Queues `f` for the next group at once; the future answers once that group has
    /// committed.
    pub fn write<T, F>(&self, pool: DbPool, f: F) -> impl Future<Output = Result<T, AppError>> + use<T, F>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, outcome) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = in_savepoint(conn, f);
            Box::new(move || {
                let _ = answer.send(result);
            })
        });
        let queued = self.queue.send(Queued { pool, job });
        async move {
            queued.map_err(|_| AppError::Unavailable("the database writer has stopped".into()))?;
            // A dropped reply means the group did not commit: nothing of this write is stored.
            outcome.await.unwrap_or_else(|_| Err(AppError::Unavailable("the write could not be committed".into())))
        }
    }
}

/// `f` inside a savepoint of the group's transaction; a panic rolls back its savepoints
/// and is reported as an internal error, leaving the rest of the group to commit.
fn in_savepoint<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, AppError>) -> Result<T, AppError> {
    let depth = transaction_depth(conn);
    match catch_unwind(AssertUnwindSafe(|| conn.transaction(f))) {
        Ok(result) => result,
        Err(_) => {
            while transaction_depth(conn) > depth
                && let DbConn::Sqlite(c) = conn
                && AnsiTransactionManager::rollback_transaction(&mut **c).is_ok()
            {}
            Err(AppError::internal("a write failed unexpectedly and was rolled back"))
        }
    }
}

fn transaction_depth(conn: &mut DbConn) -> u32 {
    let DbConn::Sqlite(c) = conn else { return 0 };
    AnsiTransactionManager::transaction_manager_status_mut(&mut **c)
        .transaction_depth()
        .ok()
        .flatten()
        .map_or(0, |d| d.get())
}

fn commit_groups(queue: Receiver<Queued>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        group.extend(queue.try_iter().take(MOST_IN_A_GROUP - 1));
        let replies = commit_group(group);
        // Sent after the connection went back and the group's pool handles were dropped.
        for reply in replies {
            reply();
        }
    }
}

/// The group's writes in one transaction: the writer lock, `BEGIN IMMEDIATE`, one commit.
/// Without a connection, or when the commit fails, no reply is returned, and each caller
/// hears that its write was not committed.
fn commit_group(group: Vec<Queued>) -> Vec<Reply> {
    let Ok(mut conn) = group[0].pool.get() else { return Vec::new() };
    conn.transaction(|conn| Ok::<_, AppError>(group.into_iter().map(|queued| (queued.job)(conn)).collect()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;

    use super::super::{DbPool, EnginePool};
    use crate::config::DatabaseSettings;
    use crate::error::AppError;

    fn insert(n: i32) -> impl FnOnce(&mut super::DbConn) -> Result<i32, AppError> + Send + 'static {
        move |conn| {
            let super::DbConn::Sqlite(c) = conn else { unreachable!() };
            diesel::sql_query(format!("INSERT INTO grouped (n) VALUES ({n})")).execute(&mut **c)?;
            Ok(n)
        }
    }

    fn stored(pool: &DbPool) -> Vec<i32> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            n: i32,
        }
        let mut conn = pool.get().unwrap();
        let super::DbConn::Sqlite(c) = &mut conn else { unreachable!() };
        let rows: Vec<Row> = diesel::sql_query("SELECT n FROM grouped ORDER BY n").load(&mut **c).unwrap();
        rows.into_iter().map(|r| r.n).collect()
    }

    #[actix_web::test]
    async fn a_group_commits_its_writes_and_rolls_back_only_the_one_that_failed() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/group.db", dir.path().display());
        let pool = DbPool::connect(&DatabaseSettings::for_url(&url)).unwrap();
        {
            let mut conn = pool.get().unwrap();
            let super::DbConn::Sqlite(c) = &mut conn else { unreachable!() };
            c.batch_execute("CREATE TABLE grouped (n INTEGER PRIMARY KEY)").unwrap();
        }
        let EnginePool::Sqlite(_, writer, group) = &pool.engine else { unreachable!() };

        // While another writer holds the lock, the writes queue; they then commit as one
        // group (the first may commit alone, having been taken before the rest arrived).
        let held = writer.lock().unwrap();
        let first = group.write(pool.clone(), insert(1));
        let second = group.write(pool.clone(), insert(2));
        let duplicate = group.write(pool.clone(), |conn| {
            insert(3)(conn)?;
            // The primary key refuses the second row: this write fails, row 3 with it.
            insert(2)(conn)
        });
        let panicking = group.write(pool.clone(), |conn| -> Result<i32, AppError> {
            insert(4)(conn)?;
            panic!("a bug inside a write")
        });
        let last = group.write(pool.clone(), insert(5));
        drop(held);

        assert_eq!(first.await.unwrap(), 1);
        assert_eq!(second.await.unwrap(), 2);
        assert!(duplicate.await.is_err());
        assert!(matches!(panicking.await, Err(AppError::Internal(_))));
        assert_eq!(last.await.unwrap(), 5);
        assert_eq!(stored(&pool), vec![1, 2, 5], "the failed and the panicking write left nothing");
    }
}
