//! All of sobatch's SQL: the [`Store`] trait that is the only door to the database, its backends,
//! and their migrations. Nothing above this crate writes a query; nothing in it knows of HTTP.
//!
//! Time always comes from the caller (`now` parameters), so tests control the clock.

mod cluster;
pub mod credential;
mod error;
pub mod event;
mod postgres;
pub mod query;
mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sobatch_core::{
    Associate, AssociateId, CancellationBehaviour, Definition, DefinitionId, Role, StateSelector,
    Task, TaskId, TaskStart, TaskState, TaskUpdate, Timestamp, Visibility,
};

pub use cluster::{JoinParams, Membership, Signal};
pub use credential::{Application, Credential, CredentialKind, CredentialNew};
pub use error::StoreError;
pub use event::{EventPosition, TaskEvent, TaskEventKind};
pub use postgres::{PgStore, PoolOptions, url_with_database};
pub use sqlite::SqliteStore;

/// SuperOffice's table numbers, used in universal relations (DetailsTable, ownerTable).
pub mod table {
    pub const BINARY_OBJECT: i16 = 205;
    pub const BINARY_OBJECT_LINK: i16 = 206;
    pub const BATCH_TASK: i16 = 243;
    pub const BATCH_TASK_DEFINITION: i16 = 244;
    /// `binaryobjectlink.linkType` for information related to a batch task.
    pub const LINK_TYPE_BATCH_TASK: i16 = 6;
}

/// Which owners a list includes (spec §1.6); the fields are a union.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerFilter {
    /// Tasks of associate 0.
    pub system: bool,
    /// Tasks of every associate other than 0.
    pub all_users: bool,
    /// Tasks of these associates.
    pub users: Vec<AssociateId>,
}

impl From<Visibility> for OwnerFilter {
    fn from(visibility: Visibility) -> Self {
        OwnerFilter {
            system: matches!(visibility, Visibility::SystemOnly | Visibility::Both),
            all_users: matches!(visibility, Visibility::UserOnly | Visibility::Both),
            users: Vec::new(),
        }
    }
}

/// A list query. Results are ordered by id ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFilter {
    pub owners: OwnerFilter,
    pub state: StateSelector,
    /// Exact definition name, compared case-insensitively; `None` means every name.
    pub name: Option<String>,
}

/// Who holds a claimed task. Every write an executor makes names its lease; a write whose lease no
/// longer matches the row changes nothing (fencing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub owner: String,
    pub token: i64,
    pub expires: Timestamp,
}

#[derive(Debug, Clone)]
pub struct TaskClaimParams {
    /// Definition names (case-insensitive) that this worker can run.
    pub names: Vec<String>,
    pub owner: String,
    pub limit: usize,
    pub now: Timestamp,
    pub lease_for: Duration,
    /// Claim straight into `Started` (StartCount + 1, LastStarted = now), as
    /// [`Store::task_mark_started`] would, for a worker that starts what it claims at once: one
    /// transaction per batch instead of one more per task. `false` leaves them `Aquired`.
    pub start: bool,
}

/// Progress a running task reports with its heartbeat; `None` members leave the column alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskProgress {
    pub percent: Option<i16>,
    pub description: Option<String>,
}

/// What the heartbeat learnt about its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseCheck {
    Held { stop_requested: bool },
    Lost,
}

/// A task's final values as its executor reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFinish {
    /// Succeeded, SucceededManualCleanup or Failed.
    pub state: TaskState,
    pub result: Option<String>,
    /// `None` leaves Response as it is.
    pub response: Option<String>,
    pub progress_percent: Option<i16>,
    pub progress_description: Option<String>,
    pub file_name: Option<String>,
}

/// One task's end, for [`Store::task_finish_many`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskEnd {
    pub id: TaskId,
    pub lease: Lease,
    pub finish: TaskFinish,
    pub now: Timestamp,
}

/// What a Stop did (spec §1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopOutcome {
    NotFound,
    /// CannotCancel, or already finished: nothing changed.
    Refused,
    /// The task had not started; it is now Failed with the given Result.
    Failed,
    /// The task is Started; `stop_requested` is now set, and whoever holds the lease must stop it.
    Requested {
        lease_owner: Option<String>,
    },
}

/// A task returned to `New` or failed by the rescuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rescued {
    pub id: TaskId,
    pub state: TaskState,
}

/// The one door to the database. Methods are entity-verb-qualifier; each is one transaction.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The serial of this database (`dbTag`), fixed when it was created.
    fn database_serial(&self) -> &str;

    /// Joins the other nodes that share this database: the signals they send, and the lead of
    /// maintenance. `None` for a store only one node uses, which leads and has nobody to hear
    /// from. Call it on the runtime that will read the membership; dropping it leaves.
    fn cluster_join(&self, params: JoinParams) -> Option<Membership> {
        let _ = params;
        None
    }

    /// Tells the other nodes that tasks became claimable. Cheap and coalesced: a burst of calls
    /// sends one notice. Nothing to do for a store only one node uses.
    fn work_announce(&self) {}

    /// Adds an associate; [`StoreError::Conflict`] if the name (case-insensitive) is taken.
    async fn associate_insert(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<AssociateId, StoreError>;
    async fn associate_get_by_name(&self, name: &str) -> Result<Option<Associate>, StoreError>;
    async fn associate_get(&self, id: AssociateId) -> Result<Option<Associate>, StoreError>;
    async fn associate_count(&self) -> Result<i64, StoreError>;

    /// Every definition row, including those created lazily for names nothing runs, by name.
    async fn definition_list(&self) -> Result<Vec<Definition>, StoreError>;

    /// Creates a task (and its definition lazily, its parameter blob and link) in state `New`.
    /// When it returns, the row is durable.
    async fn task_insert(&self, start: TaskStart, now: Timestamp) -> Result<TaskId, StoreError>;
    /// Creates many tasks as [`Store::task_insert`] would each, in one transaction, in `state`:
    /// `New` to run them, or a finished state to import history (and to fill a database for
    /// measuring it). Ids ascend in the order of `starts`. A state that needs a lease (`Aquired`,
    /// `Started`) or `Unknown` is a [`StoreError::Config`].
    async fn task_insert_many(
        &self,
        starts: Vec<TaskStart>,
        state: TaskState,
        now: Timestamp,
    ) -> Result<Vec<TaskId>, StoreError>;
    /// How many tasks are in each state; states without tasks are left out.
    async fn task_count_by_state(&self) -> Result<Vec<(TaskState, i64)>, StoreError>;
    /// Takes the next task id without storing a task, for an internal task that lives only in
    /// memory but must not share an id with a stored one.
    async fn task_id_reserve(&self) -> Result<TaskId, StoreError>;
    async fn task_get(&self, id: TaskId) -> Result<Option<Task>, StoreError>;
    async fn task_list(&self, filter: &TaskFilter) -> Result<Vec<Task>, StoreError>;
    /// A page of the archive task list (spec §1.8): one parameterised statement, filtered,
    /// ordered and paged by the database, after one small lookup per test of a definition's
    /// column that turns it into a test of the task's definition id.
    async fn task_query(
        &self,
        query: &query::TaskQuery,
    ) -> Result<Vec<query::ListedTask>, StoreError>;
    /// Writes the members `update` names, bumps `updated`/`updatedCount`, and returns the task as it
    /// now is; `None` if there is no such task.
    async fn task_update(
        &self,
        id: TaskId,
        update: TaskUpdate,
        by: AssociateId,
        now: Timestamp,
    ) -> Result<Option<Task>, StoreError>;
    /// Applies Stop atomically: decides by state and cancellation behaviour, fails a task that has
    /// not started (with `result`), or flags a started one.
    async fn task_stop(
        &self,
        id: TaskId,
        result: &str,
        now: Timestamp,
    ) -> Result<StopOutcome, StoreError>;
    /// Fails a claimed or started task at once (`Failed`, `result`, lease cleared), whoever holds
    /// it: Stop does this for tasks a remote worker runs, since the server cannot cancel them.
    /// `false` if the task is not `Aquired`/`Started`.
    async fn task_fail_running(
        &self,
        id: TaskId,
        result: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Deletes tasks with their parameter blobs and links; unknown ids are ignored. Returns how
    /// many tasks were deleted.
    async fn task_delete(&self, ids: &[TaskId]) -> Result<u64, StoreError>;

    /// Claims up to `limit` `New` tasks of the given names, oldest first: they become `Aquired`
    /// (or `Started`, see [`TaskClaimParams::start`]) under a fresh lease each.
    async fn task_claim_available(
        &self,
        params: TaskClaimParams,
    ) -> Result<Vec<(Task, Lease)>, StoreError>;
    /// `Aquired` → `Started`: StartCount + 1, LastStarted = now, lease extended to `lease_expires`.
    /// `None` if the lease is no longer held (or a Stop came first).
    async fn task_mark_started(
        &self,
        id: TaskId,
        lease: &Lease,
        now: Timestamp,
    ) -> Result<Option<Task>, StoreError>;
    /// Extends the lease to `lease.expires`, writes progress, refreshes `updated`.
    async fn task_heartbeat(
        &self,
        id: TaskId,
        lease: &Lease,
        progress: TaskProgress,
        now: Timestamp,
    ) -> Result<LeaseCheck, StoreError>;
    /// Ends a task the lease holder ran; `false` if the lease was lost (nothing written).
    async fn task_finish(
        &self,
        id: TaskId,
        lease: &Lease,
        finish: TaskFinish,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Ends several tasks as [`Store::task_finish`] would each, in one transaction: one commit
    /// for a batch of completions. An `Err` means none was written (the caller may retry them one
    /// by one); otherwise the answers are in order.
    async fn task_finish_many(&self, ends: Vec<TaskEnd>) -> Result<Vec<bool>, StoreError>;
    /// Gives a claimed or started task back (`New`, no lease) so that it runs again later, as at
    /// shutdown. A task whose Stop was requested becomes `Failed` with `stopped_result` instead.
    async fn task_release(
        &self,
        id: TaskId,
        lease: &Lease,
        stopped_result: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Handles `Aquired`/`Started` tasks whose lease expired before `now`: `Failed` with
    /// `policy.stopped_result` when their Stop had been requested; back to `New` while their
    /// definition's `autoRestartCount` allows (−1: always), not claimable again before a backoff
    /// has passed; else `Failed` with `policy.exhausted_result`.
    async fn task_rescue_expired(
        &self,
        policy: &RescuePolicy,
        now: Timestamp,
    ) -> Result<Vec<Rescued>, StoreError>;

    /// Deletes, with their blobs and links, up to `params.limit` finished tasks that are past their
    /// retention: `Succeeded` ones last changed before `succeeded_before`, `Failed` ones before
    /// `failed_before`. `SucceededManualCleanup` tasks are never pruned. Returns how many went.
    async fn task_prune(&self, params: TaskPruneParams) -> Result<u64, StoreError>;

    /// Creates or updates the definition `config.name` (case-insensitive) with the settings its
    /// executor is configured with, so that the rescuer and every node see them.
    async fn definition_configure(
        &self,
        config: DefinitionConfig,
        now: Timestamp,
    ) -> Result<DefinitionId, StoreError>;

    /// Where a new reader starts: reading after it gives everything that happens from here on.
    /// On SQLite that is all it gives. On PostgreSQL it may also give a few events that committed
    /// just before: those of transactions younger than the oldest write transaction running
    /// anywhere on the server, whose place in the order is not settled yet. A single position
    /// cannot leave those out without also leaving out what the older transaction will commit.
    async fn event_head(&self) -> Result<EventPosition, StoreError>;
    /// Up to `limit` events after `after`, oldest first. Events are only returned once nothing can
    /// be inserted before them any more, so a reader that resumes from the last one it got misses
    /// nothing.
    async fn event_list_after(
        &self,
        after: EventPosition,
        limit: usize,
    ) -> Result<Vec<TaskEvent>, StoreError>;
    /// The newest `limit` events of one task, oldest first: its trace.
    async fn event_list_for_task(
        &self,
        task: TaskId,
        limit: usize,
    ) -> Result<Vec<TaskEvent>, StoreError>;
    /// Deletes up to `limit` of the oldest events that happened before `before`, but never the
    /// newest event of all; returns how many went.
    async fn event_prune(&self, before: Timestamp, limit: usize) -> Result<u64, StoreError>;

    /// Stores a credential, and deletes those that expired before `now`; returns its id.
    async fn credential_insert(
        &self,
        credential: CredentialNew,
        now: Timestamp,
    ) -> Result<i64, StoreError>;
    /// The credential of this kind with this secret hash, unless it expired before `now`.
    async fn credential_find(
        &self,
        kind: CredentialKind,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Credential>, StoreError>;
    /// Revokes a credential; `false` if there was none.
    async fn credential_delete(
        &self,
        kind: CredentialKind,
        secret_hash: &str,
    ) -> Result<bool, StoreError>;
    /// Registers an application by its name (unique, case-insensitive: else
    /// [`StoreError::Conflict`]) and the hash of its token; returns its id.
    async fn application_insert(
        &self,
        name: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError>;
    /// The application whose token has this hash.
    async fn application_find(&self, secret_hash: &str) -> Result<Option<Application>, StoreError>;
    /// Removes an application by name; `false` if there was none.
    async fn application_delete(&self, name: &str) -> Result<bool, StoreError>;
    /// Revokes a credential by its id, as an administrator names it; `false` if there was none.
    async fn credential_delete_by_id(
        &self,
        kind: CredentialKind,
        id: i64,
    ) -> Result<bool, StoreError>;
}

/// Refuses the states [`Store::task_insert_many`] cannot create a task in.
fn insertable(state: TaskState) -> Result<TaskState, StoreError> {
    match state {
        TaskState::New
        | TaskState::Succeeded
        | TaskState::Failed
        | TaskState::SucceededManualCleanup => Ok(state),
        TaskState::Unknown | TaskState::Aquired | TaskState::Started => Err(StoreError::Config(
            format!("a task cannot be inserted in state {state:?}"),
        )),
    }
}

/// Which finished tasks retention removes; `None` keeps that state for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskPruneParams {
    pub succeeded_before: Option<Timestamp>,
    pub failed_before: Option<Timestamp>,
    /// At most this many per call, so that one transaction stays short.
    pub limit: usize,
}

/// What the rescuer does with a task whose node stopped answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescuePolicy {
    /// The Result of a task whose Stop was requested.
    pub stopped_result: String,
    /// The Result of a task with no restarts left.
    pub exhausted_result: String,
    /// The wait before the first restart; it doubles with every further start, up to `backoff_cap`,
    /// and a random part of up to half of it is taken off so that restarts spread out.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl RescuePolicy {
    pub fn new(stopped_result: impl Into<String>, exhausted_result: impl Into<String>) -> Self {
        RescuePolicy {
            stopped_result: stopped_result.into(),
            exhausted_result: exhausted_result.into(),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(300),
        }
    }
}

/// A definition's stored settings (spec §3.3; times in seconds, spec Q28).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionConfig {
    pub name: String,
    pub description: String,
    /// 0: no limit.
    pub timeout_seconds: i32,
    /// −1: restart without limit.
    pub auto_restart_count: i32,
    pub cancellation: CancellationBehaviour,
}

/// Opens the store a URL names with default pool options; see [`open_with`].
pub fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, PoolOptions::default())
}

/// Opens the store a URL names, creating and migrating it as needed.
///
/// `sqlite://PATH` (relative to the working directory unless it starts with `/`), `sqlite:PATH`, a
/// bare path ending in `.db`, or `postgres://…`/`postgresql://…` (see [`PgStore::open`]; `pool`
/// applies to it only). Blocking:
/// call it before the runtime starts or from `spawn_blocking`; async callers may use
/// [`PgStore::connect`] instead.
pub fn open_with(url: &str, pool: PoolOptions) -> Result<Arc<dyn Store>, StoreError> {
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::open(url, pool)?));
    } else if !url.contains("://") {
        url
    } else {
        return Err(StoreError::Config(format!(
            "unsupported database URL scheme in {url:?}; expected sqlite://PATH or postgres://…"
        )));
    };
    if path.is_empty() {
        return Err(StoreError::Config("the database URL names no file".into()));
    }
    Ok(Arc::new(SqliteStore::open(std::path::Path::new(path))?))
}
