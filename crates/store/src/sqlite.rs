//! The SQLite backend: [`SqliteStore`], an embedded database file with one writer thread that
//! group-commits every queued write, and a small pool of read-only connections.
//!
//! Durability is the point of the design: WAL with `synchronous=FULL`, so a write that returned is on
//! disk. Group commit pays one fsync per batch of queued writes rather than one per write, which is
//! what lets durable inserts scale with the number of concurrent callers.

mod associate;
pub(crate) mod codec;
mod migrate;
mod query;
mod read;
mod record;
mod task;
mod write;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::Connection;
use sobatch_core::{
    Associate, AssociateId, Definition, DefinitionId, Role, Task, TaskId, TaskStart, TaskState,
    TaskUpdate, Timestamp,
};

use crate::{
    Application, Credential, CredentialKind, CredentialNew, DefinitionConfig, EventPosition, Lease,
    LeaseCheck, RescuePolicy, Rescued, StopOutcome, Store, StoreError, TaskClaimParams, TaskEnd,
    TaskEvent, TaskFilter, TaskFinish, TaskProgress, TaskPruneParams,
};
use read::ReadPool;
pub(crate) use task::restart_at;
use write::{WriterHandle, WriterState};

/// How long a connection waits for a lock another process holds (e.g. `sobatch user add` while
/// `serve` runs) before the statement fails with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Read connections; reads are short, so a few cover a 2-core machine and leave blocking threads free.
const READERS: usize = 4;
/// Prepared statements kept per connection; the store has fewer distinct statements than this.
const STATEMENT_CACHE: usize = 64;

/// The embedded store. Cheap to share behind an `Arc`; dropping it stops the writer thread once the
/// batch in hand is committed.
pub struct SqliteStore {
    serial: String,
    readers: Arc<ReadPool>,
    writer: WriterHandle,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database file at `path`, then starts the writer
    /// thread. Blocking: call it before the runtime starts or from `spawn_blocking`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
            // Every connection of the pool must see the same database, so it has to be a file.
            return Err(StoreError::Config(
                "the SQLite store needs a database file, not an in-memory database".into(),
            ));
        }
        let mut conn = Connection::open(path)
            .map_err(|e| StoreError::Database(format!("open {}: {e}", path.display())))?;
        configure_writer(&conn)?;
        let serial = migrate::migrate(&mut conn)?;
        // Readers are opened lazily, possibly after the process changed directory.
        let path = std::fs::canonicalize(path)
            .map_err(|e| StoreError::Database(format!("resolve {}: {e}", path.display())))?;
        let readers = Arc::new(ReadPool::new(path, READERS, BUSY_TIMEOUT, STATEMENT_CACHE)?);
        let writer = WriterHandle::spawn(WriterState::new(conn, serial.clone()))?;
        Ok(SqliteStore {
            serial,
            readers,
            writer,
        })
    }
}

fn configure_writer(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Database(format!(
            "the database refused WAL mode (journal_mode is {mode})"
        )));
    }
    // FULL: in WAL mode NORMAL may lose the last commits on power loss, and an acknowledged task
    // must not be lost.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Savepoint journals stay in memory; every write job runs inside one.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    fn database_serial(&self) -> &str {
        &self.serial
    }

    async fn associate_insert(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<AssociateId, StoreError> {
        let name = name.to_string();
        let password_hash = password_hash.to_string();
        self.writer
            .submit(move |w| associate::insert(w.conn(), &name, role, &password_hash, now))
            .await
    }

    async fn associate_get_by_name(&self, name: &str) -> Result<Option<Associate>, StoreError> {
        let name = name.to_string();
        self.readers
            .run(move |conn| associate::get_by_name(conn, &name))
            .await
    }

    async fn associate_get(&self, id: AssociateId) -> Result<Option<Associate>, StoreError> {
        self.readers
            .run(move |conn| associate::get_by_id(conn, id))
            .await
    }

    async fn associate_count(&self) -> Result<i64, StoreError> {
        self.readers.run(associate::count).await
    }

    async fn definition_list(&self) -> Result<Vec<Definition>, StoreError> {
        self.readers.run(task::definition_list).await
    }

    async fn task_insert(&self, start: TaskStart, now: Timestamp) -> Result<TaskId, StoreError> {
        self.writer
            .submit(move |w| task::insert(w, start, TaskState::New, now))
            .await
    }

    async fn task_insert_many(
        &self,
        starts: Vec<TaskStart>,
        state: TaskState,
        now: Timestamp,
    ) -> Result<Vec<TaskId>, StoreError> {
        let state = crate::insertable(state)?;
        self.writer
            .submit(move |w| {
                let mut ids = Vec::with_capacity(starts.len());
                for start in starts {
                    ids.push(task::insert(w, start, state, now)?);
                }
                Ok(ids)
            })
            .await
    }

    async fn task_count_by_state(&self) -> Result<Vec<(TaskState, i64)>, StoreError> {
        self.readers.run(task::count_by_state).await
    }

    async fn task_id_reserve(&self) -> Result<TaskId, StoreError> {
        self.writer.submit(|w| task::id_reserve(w.conn())).await
    }

    async fn task_get(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        self.readers.run(move |conn| task::get(conn, id)).await
    }

    async fn task_list(&self, filter: &TaskFilter) -> Result<Vec<Task>, StoreError> {
        let filter = filter.clone();
        self.readers
            .run(move |conn| task::list(conn, &filter))
            .await
    }

    async fn task_query(
        &self,
        query: &crate::query::TaskQuery,
    ) -> Result<Vec<crate::query::ListedTask>, StoreError> {
        let query = query.clone();
        self.readers.run(move |conn| query::run(conn, &query)).await
    }

    async fn task_update(
        &self,
        id: TaskId,
        update: TaskUpdate,
        by: AssociateId,
        now: Timestamp,
    ) -> Result<Option<Task>, StoreError> {
        self.writer
            .submit(move |w| task::update(w.conn(), id, &update, by, now))
            .await
    }

    async fn task_stop(
        &self,
        id: TaskId,
        result: &str,
        now: Timestamp,
    ) -> Result<StopOutcome, StoreError> {
        let result = result.to_string();
        self.writer
            .submit(move |w| task::stop(w.conn(), id, &result, now))
            .await
    }

    async fn task_fail_running(
        &self,
        id: TaskId,
        result: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let result = result.to_string();
        self.writer
            .submit(move |w| task::fail_running(w.conn(), id, &result, now))
            .await
    }

    async fn task_delete(&self, ids: &[TaskId]) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let ids = ids.to_vec();
        self.writer
            .submit(move |w| task::delete(w.conn(), &ids))
            .await
    }

    async fn task_claim_available(
        &self,
        params: TaskClaimParams,
    ) -> Result<Vec<(Task, Lease)>, StoreError> {
        if params.names.is_empty() || params.limit == 0 {
            return Ok(Vec::new());
        }
        self.writer
            .submit(move |w| task::claim_available(w, &params))
            .await
    }

    async fn task_mark_started(
        &self,
        id: TaskId,
        lease: &Lease,
        now: Timestamp,
    ) -> Result<Option<Task>, StoreError> {
        let lease = lease.clone();
        self.writer
            .submit(move |w| task::mark_started(w.conn(), id, &lease, now))
            .await
    }

    async fn task_heartbeat(
        &self,
        id: TaskId,
        lease: &Lease,
        progress: TaskProgress,
        now: Timestamp,
    ) -> Result<LeaseCheck, StoreError> {
        let lease = lease.clone();
        self.writer
            .submit(move |w| task::heartbeat(w.conn(), id, &lease, &progress, now))
            .await
    }

    async fn task_finish(
        &self,
        id: TaskId,
        lease: &Lease,
        finish: TaskFinish,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let lease = lease.clone();
        self.writer
            .submit(move |w| task::finish(w.conn(), id, &lease, &finish, now))
            .await
    }

    async fn task_finish_many(&self, ends: Vec<TaskEnd>) -> Result<Vec<bool>, StoreError> {
        if ends.is_empty() {
            return Ok(Vec::new());
        }
        self.writer
            .submit(move |w| {
                ends.iter()
                    .map(|end| task::finish(w.conn(), end.id, &end.lease, &end.finish, end.now))
                    .collect()
            })
            .await
    }

    async fn task_release(
        &self,
        id: TaskId,
        lease: &Lease,
        stopped_result: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let lease = lease.clone();
        let stopped_result = stopped_result.to_string();
        self.writer
            .submit(move |w| task::release(w.conn(), id, &lease, &stopped_result, now))
            .await
    }

    async fn task_rescue_expired(
        &self,
        policy: &RescuePolicy,
        now: Timestamp,
    ) -> Result<Vec<Rescued>, StoreError> {
        let policy = policy.clone();
        self.writer
            .submit(move |w| task::rescue_expired(w.conn(), &policy, now))
            .await
    }

    async fn task_prune(&self, params: TaskPruneParams) -> Result<u64, StoreError> {
        if params.limit == 0
            || (params.succeeded_before.is_none() && params.failed_before.is_none())
        {
            return Ok(0);
        }
        self.writer
            .submit(move |w| task::prune(w.conn(), &params))
            .await
    }

    async fn definition_configure(
        &self,
        config: DefinitionConfig,
        now: Timestamp,
    ) -> Result<DefinitionId, StoreError> {
        self.writer
            .submit(move |w| task::definition_configure(w, &config, now))
            .await
    }

    async fn event_head(&self) -> Result<EventPosition, StoreError> {
        self.readers.run(record::event_head).await
    }

    async fn event_list_after(
        &self,
        after: EventPosition,
        limit: usize,
    ) -> Result<Vec<TaskEvent>, StoreError> {
        self.readers
            .run(move |conn| record::event_list_after(conn, after, limit))
            .await
    }

    async fn event_list_for_task(
        &self,
        task: TaskId,
        limit: usize,
    ) -> Result<Vec<TaskEvent>, StoreError> {
        self.readers
            .run(move |conn| record::event_list_for_task(conn, task, limit))
            .await
    }

    async fn event_prune(&self, before: Timestamp, limit: usize) -> Result<u64, StoreError> {
        self.writer
            .submit(move |w| record::event_prune(w.conn(), before, limit))
            .await
    }

    async fn credential_insert(
        &self,
        credential: CredentialNew,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        self.writer
            .submit(move |w| record::credential_insert(w.conn(), &credential, now))
            .await
    }

    async fn credential_find(
        &self,
        kind: CredentialKind,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Credential>, StoreError> {
        let secret_hash = secret_hash.to_string();
        self.readers
            .run(move |conn| record::credential_find(conn, kind, &secret_hash, now))
            .await
    }

    async fn credential_delete(
        &self,
        kind: CredentialKind,
        secret_hash: &str,
    ) -> Result<bool, StoreError> {
        let secret_hash = secret_hash.to_string();
        self.writer
            .submit(move |w| record::credential_delete(w.conn(), kind, &secret_hash))
            .await
    }

    async fn credential_delete_by_id(
        &self,
        kind: CredentialKind,
        id: i64,
    ) -> Result<bool, StoreError> {
        self.writer
            .submit(move |w| record::credential_delete_by_id(w.conn(), kind, id))
            .await
    }

    async fn application_insert(
        &self,
        name: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let (name, secret_hash) = (name.to_string(), secret_hash.to_string());
        self.writer
            .submit(move |w| record::application_insert(w.conn(), &name, &secret_hash, now))
            .await
    }

    async fn application_find(&self, secret_hash: &str) -> Result<Option<Application>, StoreError> {
        let secret_hash = secret_hash.to_string();
        self.readers
            .run(move |conn| record::application_find(conn, &secret_hash))
            .await
    }

    async fn application_delete(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_string();
        self.writer
            .submit(move |w| record::application_delete(w.conn(), &name))
            .await
    }
}
