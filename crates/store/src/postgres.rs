//! The PostgreSQL backend: [`PgStore`], a pool of connections (deadpool-postgres) with prepared
//! statements cached per connection, for any number of nodes sharing one database.
//!
//! Every `Store` method is one transaction on one pooled connection. Cross-node correctness comes
//! from row locks: claims take `FOR UPDATE SKIP LOCKED`, Stop locks the row it decides on, and every
//! executor write is fenced by its lease as in the SQLite backend. Nodes learn of each other's
//! work and Stops through `LISTEN/NOTIFY`, and elect a leader, over a connection of their own
//! (`cluster`).
//!
//! Losing the database is [`StoreError::Unavailable`]: the pool waits a bounded time for a
//! connection and reconnects by itself once the server is back.

mod cluster;
mod migrate;
mod query;
mod record;
mod task;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use sobatch_core::{
    Associate, AssociateId, Definition, DefinitionId, Role, Task, TaskId, TaskStart, TaskState,
    TaskUpdate, Timestamp,
};
use tokio::sync::Notify;
use tokio_postgres::NoTls;

use crate::cluster::{JoinParams, Membership};
use crate::{
    Application, Credential, CredentialKind, CredentialNew, DefinitionConfig, EventPosition, Lease,
    LeaseCheck, RescuePolicy, Rescued, StopOutcome, Store, StoreError, TaskClaimParams, TaskEnd,
    TaskEvent, TaskFilter, TaskFinish, TaskProgress, TaskPruneParams,
};

/// How long a request waits for a pooled connection, or for a new one to open, before it fails
/// as unavailable: long enough to ride out a burst, short enough that a client hears of an outage.
const POOL_WAIT: Duration = Duration::from_secs(5);

/// Connection options for a shared store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Connections per node. Each request holds one for a single short transaction.
    pub size: usize,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions { size: 16 }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        if connection_lost(&error) {
            StoreError::Unavailable(error.to_string())
        } else {
            StoreError::Database(error.to_string())
        }
    }
}

/// Whether an error says the server cannot be reached (rather than that a statement failed): the
/// connection closed or failed at the socket, or the server refuses work while it shuts down or
/// starts (SQLSTATE classes 08 and 57P).
fn connection_lost(error: &tokio_postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    if let Some(code) = error.code() {
        let code = code.code();
        return code.starts_with("08") || code.starts_with("57P");
    }
    std::error::Error::source(error).is_some_and(|source| source.is::<std::io::Error>())
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::PoolError;
        match error {
            PoolError::Backend(error) => error.into(),
            PoolError::Timeout(_) | PoolError::Closed => {
                StoreError::Unavailable(format!("get a database connection: {error}"))
            }
            other => StoreError::Database(format!("get a pooled connection: {other}")),
        }
    }
}

/// The shared store. Cheap to share behind an `Arc`; connections are opened on first use, on the
/// runtime that uses them.
pub struct PgStore {
    serial: String,
    pool: Pool,
    /// For the connection each cluster membership opens outside the pool.
    config: tokio_postgres::Config,
    /// Wakes a membership's connection to send one work notice for however many announcements
    /// arrived while it was busy.
    announce: Arc<Notify>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database `url` names (`postgres://…`), migrates it under an advisory lock,
    /// and builds the pool.
    pub async fn connect(url: &str, pool: PoolOptions) -> Result<PgStore, StoreError> {
        let config = parse_url(url)?;
        let serial = migrate_with(&config).await?;
        PgStore::with_pool(config, serial, pool)
    }

    /// [`PgStore::connect`] for synchronous callers, whether or not a tokio runtime is running:
    /// the migration runs on a private runtime in a thread of its own, and the pool connects
    /// lazily on whichever runtime later uses it. Blocks until the migration is done.
    pub fn open(url: &str, pool: PoolOptions) -> Result<PgStore, StoreError> {
        let config = parse_url(url)?;
        let migrated = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| StoreError::Database(format!("start a runtime: {e}")))?;
                    runtime.block_on(migrate_with(&config))
                })
                .join()
        });
        let serial = migrated
            .map_err(|_| StoreError::Migration("the migration thread panicked".into()))??;
        PgStore::with_pool(config, serial, pool)
    }

    fn with_pool(
        config: tokio_postgres::Config,
        serial: String,
        options: PoolOptions,
    ) -> Result<PgStore, StoreError> {
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .recycle_timeout(Some(POOL_WAIT))
            .build()
            .map_err(|e| StoreError::Config(format!("build the connection pool: {e}")))?;
        Ok(PgStore {
            serial,
            pool,
            config,
            announce: Arc::new(Notify::new()),
        })
    }
}

fn parse_url(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    let mut config = tokio_postgres::Config::from_str(url)
        .map_err(|e| StoreError::Config(format!("parse the PostgreSQL URL: {e}")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(POOL_WAIT);
    }
    Ok(config)
}

/// Migrates over a connection of its own, closed afterwards, so that no pooled connection is tied
/// to the runtime the migration ran on.
async fn migrate_with(config: &tokio_postgres::Config) -> Result<String, StoreError> {
    let (mut client, connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| StoreError::Database(format!("connect to PostgreSQL: {e}")))?;
    let driver = tokio::spawn(connection);
    let serial = migrate::migrate(&mut client).await;
    drop(client);
    // The connection ends when the client is gone; its own error is of no interest any more.
    let _ = driver.await;
    serial
}

/// Runs `$body` inside one transaction on a pooled connection, binding the transaction to `$tx`,
/// and commits it; an early return (`?`) rolls it back when the transaction is dropped.
macro_rules! in_transaction {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut client = $store.pool.get().await?;
        let $tx = client.transaction().await?;
        let value = $body;
        $tx.commit().await?;
        Ok(value)
    }};
}

#[async_trait]
impl Store for PgStore {
    fn database_serial(&self) -> &str {
        &self.serial
    }

    fn cluster_join(&self, params: JoinParams) -> Option<Membership> {
        Some(cluster::join(
            self.config.clone(),
            self.announce.clone(),
            params,
        ))
    }

    fn work_announce(&self) {
        self.announce.notify_one();
    }

    async fn associate_insert(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<AssociateId, StoreError> {
        in_transaction!(self, |tx| task::associate_insert(
            &tx,
            name,
            role,
            password_hash,
            now
        )
        .await?)
    }

    async fn associate_get_by_name(&self, name: &str) -> Result<Option<Associate>, StoreError> {
        in_transaction!(self, |tx| task::associate_get_by_name(&tx, name).await?)
    }

    async fn associate_get(&self, id: AssociateId) -> Result<Option<Associate>, StoreError> {
        in_transaction!(self, |tx| task::associate_get_by_id(&tx, id).await?)
    }

    async fn associate_count(&self) -> Result<i64, StoreError> {
        in_transaction!(self, |tx| task::associate_count(&tx).await?)
    }

    async fn definition_list(&self) -> Result<Vec<Definition>, StoreError> {
        in_transaction!(self, |tx| task::definition_list(&tx).await?)
    }

    async fn task_insert(&self, start: TaskStart, now: Timestamp) -> Result<TaskId, StoreError> {
        let mut client = self.pool.get().await?;
        // Nearly every task has a name seen before: one statement, one round trip, committed on
        // its own. Only a new name takes the transaction that creates its definition.
        if let Some(id) = task::insert_known(&client, &self.serial, &start, now).await? {
            return Ok(id);
        }
        let tx = client.transaction().await?;
        task::definition_for_start(&tx, &start, now).await?;
        let id = task::insert_known(&tx, &self.serial, &start, now)
            .await?
            .ok_or_else(|| StoreError::Database("a definition was created but not found".into()))?;
        tx.commit().await?;
        Ok(id)
    }

    async fn task_insert_many(
        &self,
        starts: Vec<TaskStart>,
        state: TaskState,
        now: Timestamp,
    ) -> Result<Vec<TaskId>, StoreError> {
        let state = crate::insertable(state)?;
        in_transaction!(self, |tx| task::insert_many(
            &tx,
            &self.serial,
            starts,
            state,
            now
        )
        .await?)
    }

    async fn task_count_by_state(&self) -> Result<Vec<(TaskState, i64)>, StoreError> {
        in_transaction!(self, |tx| task::count_by_state(&tx).await?)
    }

    async fn task_id_reserve(&self) -> Result<TaskId, StoreError> {
        in_transaction!(self, |tx| task::id_reserve(&tx).await?)
    }

    async fn task_get(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        in_transaction!(self, |tx| task::get(&tx, id).await?)
    }

    async fn task_list(&self, filter: &TaskFilter) -> Result<Vec<Task>, StoreError> {
        in_transaction!(self, |tx| task::list(&tx, filter).await?)
    }

    async fn task_query(
        &self,
        query: &crate::query::TaskQuery,
    ) -> Result<Vec<crate::query::ListedTask>, StoreError> {
        let client = self.pool.get().await?;
        query::run(&client, query).await
    }

    async fn task_update(
        &self,
        id: TaskId,
        update: TaskUpdate,
        by: AssociateId,
        now: Timestamp,
    ) -> Result<Option<Task>, StoreError> {
        in_transaction!(self, |tx| task::update(&tx, id, &update, by, now).await?)
    }

    async fn task_stop(
        &self,
        id: TaskId,
        result: &str,
        now: Timestamp,
    ) -> Result<StopOutcome, StoreError> {
        in_transaction!(self, |tx| task::stop(&tx, id, result, now).await?)
    }

    async fn task_fail_running(
        &self,
        id: TaskId,
        result: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        in_transaction!(self, |tx| task::fail_running(&tx, id, result, now).await?)
    }

    async fn task_delete(&self, ids: &[TaskId]) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        in_transaction!(self, |tx| task::delete(&tx, ids).await?)
    }

    async fn task_claim_available(
        &self,
        params: TaskClaimParams,
    ) -> Result<Vec<(Task, Lease)>, StoreError> {
        if params.names.is_empty() || params.limit == 0 {
            return Ok(Vec::new());
        }
        in_transaction!(self, |tx| task::claim_available(&tx, &params).await?)
    }

    async fn task_mark_started(
        &self,
        id: TaskId,
        lease: &Lease,
        now: Timestamp,
    ) -> Result<Option<Task>, StoreError> {
        in_transaction!(self, |tx| task::mark_started(&tx, id, lease, now).await?)
    }

    async fn task_heartbeat(
        &self,
        id: TaskId,
        lease: &Lease,
        progress: TaskProgress,
        now: Timestamp,
    ) -> Result<LeaseCheck, StoreError> {
        in_transaction!(self, |tx| task::heartbeat(&tx, id, lease, &progress, now)
            .await?)
    }

    async fn task_finish(
        &self,
        id: TaskId,
        lease: &Lease,
        finish: TaskFinish,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        in_transaction!(self, |tx| task::finish(&tx, id, lease, &finish, now)
            .await?)
    }

    async fn task_finish_many(&self, ends: Vec<TaskEnd>) -> Result<Vec<bool>, StoreError> {
        if ends.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.pool.get().await?;
        task::finish_many(&client, &ends).await
    }

    async fn task_release(
        &self,
        id: TaskId,
        lease: &Lease,
        stopped_result: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        in_transaction!(self, |tx| task::release(
            &tx,
            id,
            lease,
            stopped_result,
            now
        )
        .await?)
    }

    async fn task_rescue_expired(
        &self,
        policy: &RescuePolicy,
        now: Timestamp,
    ) -> Result<Vec<Rescued>, StoreError> {
        in_transaction!(self, |tx| task::rescue_expired(&tx, policy, now).await?)
    }

    async fn task_prune(&self, params: TaskPruneParams) -> Result<u64, StoreError> {
        if params.limit == 0
            || (params.succeeded_before.is_none() && params.failed_before.is_none())
        {
            return Ok(0);
        }
        in_transaction!(self, |tx| task::prune(&tx, &params).await?)
    }

    async fn definition_configure(
        &self,
        config: DefinitionConfig,
        now: Timestamp,
    ) -> Result<DefinitionId, StoreError> {
        in_transaction!(self, |tx| task::definition_configure(&tx, &config, now)
            .await?)
    }

    async fn event_head(&self) -> Result<EventPosition, StoreError> {
        in_transaction!(self, |tx| record::event_head(&tx).await?)
    }

    async fn event_list_after(
        &self,
        after: EventPosition,
        limit: usize,
    ) -> Result<Vec<TaskEvent>, StoreError> {
        in_transaction!(self, |tx| record::event_list_after(&tx, after, limit)
            .await?)
    }

    async fn event_list_for_task(
        &self,
        task: TaskId,
        limit: usize,
    ) -> Result<Vec<TaskEvent>, StoreError> {
        in_transaction!(self, |tx| record::event_list_for_task(&tx, task, limit)
            .await?)
    }

    async fn event_prune(&self, before: Timestamp, limit: usize) -> Result<u64, StoreError> {
        in_transaction!(self, |tx| record::event_prune(&tx, before, limit).await?)
    }

    async fn credential_insert(
        &self,
        credential: CredentialNew,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        in_transaction!(self, |tx| record::credential_insert(&tx, &credential, now)
            .await?)
    }

    async fn credential_find(
        &self,
        kind: CredentialKind,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Credential>, StoreError> {
        in_transaction!(self, |tx| record::credential_find(
            &tx,
            kind,
            secret_hash,
            now
        )
        .await?)
    }

    async fn credential_delete(
        &self,
        kind: CredentialKind,
        secret_hash: &str,
    ) -> Result<bool, StoreError> {
        in_transaction!(self, |tx| record::credential_delete(&tx, kind, secret_hash)
            .await?)
    }

    async fn credential_delete_by_id(
        &self,
        kind: CredentialKind,
        id: i64,
    ) -> Result<bool, StoreError> {
        in_transaction!(self, |tx| record::credential_delete_by_id(&tx, kind, id)
            .await?)
    }

    async fn application_insert(
        &self,
        name: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        in_transaction!(self, |tx| record::application_insert(
            &tx,
            name,
            secret_hash,
            now
        )
        .await?)
    }

    async fn application_find(&self, secret_hash: &str) -> Result<Option<Application>, StoreError> {
        in_transaction!(self, |tx| record::application_find(&tx, secret_hash)
            .await?)
    }

    async fn application_delete(&self, name: &str) -> Result<bool, StoreError> {
        in_transaction!(self, |tx| record::application_delete(&tx, name).await?)
    }
}

/// A PostgreSQL URL with its database replaced by `name`, its options kept: for tools and tests
/// that create a database of their own on a server they were given the URL of.
pub fn url_with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    match query {
        Some(query) => format!("{}/{name}?{query}", &base[..host_end]),
        None => format!("{}/{name}", &base[..host_end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced_and_its_options_kept() {
        assert_eq!(
            url_with_database("postgres://postgres@127.0.0.1:5432/postgres", "b"),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(
            url_with_database("postgres://u@h/x?sslmode=disable", "b"),
            "postgres://u@h/b?sslmode=disable"
        );
        assert_eq!(url_with_database("postgres://u@h", "b"), "postgres://u@h/b");
    }

    /// Several nodes opening one empty database at once through the synchronous `open` (no runtime
    /// running) migrate it once and agree on its serial; the store then works on another runtime.
    /// Runs only when `SOBATCH_TEST_POSTGRES_URL` names a server.
    #[test]
    fn nodes_opening_an_empty_database_at_once_migrate_it_once() {
        let Some(admin_url) = std::env::var("SOBATCH_TEST_POSTGRES_URL")
            .ok()
            .filter(|url| !url.is_empty())
        else {
            return;
        };
        let name = format!("sobatch_test_{}_open", std::process::id());
        let admin = |sql: String| {
            let url = admin_url.clone();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
                tokio::spawn(connection);
                client.batch_execute(&sql).await.unwrap();
            });
        };
        admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        admin(format!("CREATE DATABASE {name}"));
        let url = url_with_database(&admin_url, &name);
        let serials: Vec<String> = std::thread::scope(|scope| {
            let opens: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        PgStore::open(&url, PoolOptions::default()).map(|s| s.serial.clone())
                    })
                })
                .collect();
            opens
                .into_iter()
                .map(|o| o.join().unwrap().unwrap())
                .collect()
        });
        assert!(serials.iter().all(|s| *s == serials[0]), "{serials:?}");
        let store = crate::open(&url).unwrap();
        assert_eq!(store.database_serial(), serials[0]);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        assert_eq!(runtime.block_on(store.associate_count()).unwrap(), 0);
        drop(store);
        drop(runtime);
        admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}
