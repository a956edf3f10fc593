//! The read pool: a few read-only connections used from tokio's blocking threads, so that queries
//! never stall the async runtime and, thanks to WAL, never wait for the writer's commits.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::StoreError;

pub(super) struct ReadPool {
    path: PathBuf,
    busy_timeout: Duration,
    statement_cache: usize,
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection the pool may have in use; waiting here is async, never on a
    /// blocking thread.
    permits: Arc<Semaphore>,
}

impl ReadPool {
    /// Opens one connection at once, so that a database readers cannot open fails at start-up.
    pub(super) fn new(
        path: PathBuf,
        size: usize,
        busy_timeout: Duration,
        statement_cache: usize,
    ) -> Result<ReadPool, StoreError> {
        let pool = ReadPool {
            path,
            busy_timeout,
            statement_cache,
            idle: Mutex::new(Vec::with_capacity(size)),
            permits: Arc::new(Semaphore::new(size.max(1))),
        };
        let first = pool.connect()?;
        pool.put(first);
        Ok(pool)
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(|e| {
            StoreError::Database(format!("open {} for reading: {e}", self.path.display()))
        })?;
        conn.busy_timeout(self.busy_timeout)?;
        conn.set_prepared_statement_cache_capacity(self.statement_cache);
        Ok(conn)
    }

    fn take(&self) -> Option<Connection> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
    }

    fn put(&self, conn: Connection) {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(conn);
    }

    /// Runs `work` on a pooled connection. Each statement reads one consistent snapshot.
    pub(super) async fn run<T, F>(self: &Arc<Self>, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Database("the read pool is closed".into()))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            // A connection lost to a panic is replaced here, on demand.
            let conn = match pool.take() {
                Some(conn) => conn,
                None => pool.connect()?,
            };
            let result = work(&conn);
            pool.put(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Database(format!("a database read did not complete: {e}")))?
    }
}
