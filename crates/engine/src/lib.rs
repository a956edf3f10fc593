//! The sobatch engine: the operations clients ask for (start, get, list, update, stop, delete), and
//! the machinery that runs tasks — claiming, leases and heartbeats, executors, cancellation, rescue.
//! It knows nothing of HTTP: the server crate translates requests into calls on [`Engine`].

mod clock;
mod config;
mod error;
pub mod executor;
mod internal;
mod operation;
mod remote;
mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sobatch_core::{AssociateId, TaskId};
use sobatch_store::{JoinParams, Membership, Store};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use clock::{Clock, SystemClock};
pub use config::{EngineConfig, RetentionConfig};
pub use error::EngineError;
pub use executor::{
    CommandExecutor, CommandSpec, DefinitionSettings, Executor, ExecutorRegistry, TaskContext,
    TaskFailure, TaskOutcome,
};
pub use operation::{Caller, StopReply};
pub use remote::{REMOTE_OWNER_PREFIX, REMOTE_WAIT_MAX, RemoteLease, RemoteOutcome};

pub mod text;

/// The Result written when Stop ends a task: a resource reference, rendered in each reader's
/// language ("Stopped by request" in English).
pub const STOPPED_RESULT: &str = text::TASK_STOPPED;

/// Why a running task's cancellation token fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CancelReason {
    Stop,
    /// The run outlasted its definition's timeout.
    Timeout,
    Shutdown,
    LeaseLost,
}

/// The last start and end of a paced definition's runs on this node.
#[derive(Debug, Clone, Copy, Default)]
struct Pace {
    last_start: Option<sobatch_core::Timestamp>,
    last_end: Option<sobatch_core::Timestamp>,
}

/// A task this node is running: how to cancel it and how to learn that it has ended.
struct Running {
    /// The definition name, for per-definition concurrency.
    name: String,
    token: CancellationToken,
    reason: Arc<Mutex<Option<CancelReason>>>,
    ended: Arc<Notify>,
}

struct Inner {
    store: Arc<dyn Store>,
    executors: ExecutorRegistry,
    config: EngineConfig,
    clock: Arc<dyn Clock>,
    node_id: String,
    /// Wakes the dispatcher when a task is inserted, so a new task starts without a polling delay.
    wake: Notify,
    /// Wakes every remote claim long-polling for work when a task of a remote definition is
    /// started; separate from `wake` so that remote starts never cost the dispatcher a round.
    remote_wake: Notify,
    running: Mutex<HashMap<TaskId, Running>>,
    /// How many runs have ended here since start; the dispatcher claims ahead by their pace.
    runs_ended: std::sync::atomic::AtomicU64,
    /// When paced definitions (start interval, minimum sleep time) last started and ended here,
    /// by lower-cased name.
    pacing: Mutex<HashMap<String, Pace>>,
    /// Internal tasks accepted here, which live nowhere else.
    internal: Mutex<HashMap<TaskId, internal::InternalTask>>,
    /// Where runners queue the ends of their tasks for the finisher to write in batches.
    completions: tokio::sync::mpsc::UnboundedSender<worker::Completion>,
    /// The finisher's end of `completions`, until `start` hands it over.
    completions_queue: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<worker::Completion>>>,
    /// Fires when shutdown begins: the dispatcher stops claiming.
    shutdown: CancellationToken,
    /// Fires when shutdown is over: the node leaves the cluster. Later than `shutdown`, so that a
    /// Stop from another node still reaches the tasks that run out their grace period.
    left: CancellationToken,
    tasks: TaskTracker,
}

/// A handle to the engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Builds an engine over `store` with the given executors. Nothing runs until [`Engine::start`].
    pub fn new(
        store: Arc<dyn Store>,
        mut executors: ExecutorRegistry,
        config: EngineConfig,
        clock: Arc<dyn Clock>,
    ) -> Engine {
        executors.register_with(
            worker::PRUNE,
            executor::Prune {
                store: store.clone(),
                retention: config.retention.clone(),
                clock: clock.clone(),
            },
            DefinitionSettings {
                kind: "system",
                description: "Deletes finished tasks past their retention.".into(),
                concurrency: Some(1),
                ..DefinitionSettings::default()
            },
        );
        let node_id = config
            .node_id
            .clone()
            .unwrap_or_else(worker::random_node_id);
        let (completions, completions_queue) = tokio::sync::mpsc::unbounded_channel();
        Engine {
            inner: Arc::new(Inner {
                completions,
                completions_queue: Mutex::new(Some(completions_queue)),
                store,
                executors,
                config,
                clock,
                node_id,
                wake: Notify::new(),
                remote_wake: Notify::new(),
                running: Mutex::new(HashMap::new()),
                runs_ended: std::sync::atomic::AtomicU64::new(0),
                pacing: Mutex::new(HashMap::new()),
                internal: Mutex::new(HashMap::new()),
                shutdown: CancellationToken::new(),
                left: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        }
    }

    /// Writes every registered definition's settings to the store (timeout, restart limit, default
    /// cancellation), so that the rescuer and other nodes apply them. Call before [`Engine::start`].
    pub async fn definitions_sync(&self) -> Result<(), EngineError> {
        let now = self.inner.clock.now();
        for (name, settings) in self.inner.executors.definitions() {
            let timeout_seconds = settings
                .timeout
                .map_or(0, |t| i32::try_from(t.as_secs().max(1)).unwrap_or(i32::MAX));
            let config = sobatch_store::DefinitionConfig {
                name,
                description: settings.description,
                timeout_seconds,
                auto_restart_count: settings.auto_restart_count,
                cancellation: settings.cancellation.unwrap_or_default(),
            };
            self.inner.store.definition_configure(config, now).await?;
        }
        Ok(())
    }

    /// Starts the dispatcher (which claims and runs tasks), joins the other nodes of a shared
    /// database, and runs maintenance (rescue, retention) while this node leads. Call it on the
    /// runtime the engine will run on.
    pub fn start(&self) {
        let inner = &self.inner;
        let retry =
            (inner.config.lease / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
        let membership = inner.store.cluster_join(JoinParams {
            node_id: inner.node_id.clone(),
            retry,
        });
        let leader = match membership {
            Some(Membership { signals, leader }) => {
                tokio::spawn(worker::listen(inner.clone(), signals));
                leader
            }
            // Nobody else uses the database: this node leads.
            None => watch::channel(true).1,
        };
        if let Some(queue) = inner
            .completions_queue
            .lock()
            .ok()
            .and_then(|mut q| q.take())
        {
            tokio::spawn(worker::finish_batches(inner.clone(), queue));
        }
        inner.tasks.spawn(worker::dispatch(inner.clone()));
        inner
            .tasks
            .spawn(worker::rescue(inner.clone(), leader.clone()));
        inner.tasks.spawn(worker::retain(inner.clone(), leader));
    }

    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn executors(&self) -> &ExecutorRegistry {
        &self.inner.executors
    }

    /// Stops claiming, lets running tasks finish for up to the configured grace period, then cancels
    /// the rest and hands them back (state `New`) so that a later start runs them again.
    pub async fn shutdown(&self) {
        worker::shutdown(&self.inner).await;
    }

    /// How many tasks this node is running now.
    pub fn running_count(&self) -> usize {
        self.inner.running.lock().map(|r| r.len()).unwrap_or(0)
    }
}

/// The owner a start asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The calling associate.
    Caller,
    /// A system task (AssociateId 0): admins only.
    System,
    /// Another associate's task, started on their behalf: admins only.
    Associate(AssociateId),
}

impl Owner {
    fn resolve(self, caller: &Caller) -> Result<AssociateId, EngineError> {
        match self {
            Owner::Caller => Ok(caller.id),
            Owner::System if caller.is_admin => Ok(AssociateId::SYSTEM),
            Owner::System => Err(EngineError::Forbidden(text::SYSTEM_TASK_FORBIDDEN.into())),
            Owner::Associate(id) if id == caller.id || caller.is_admin => Ok(id),
            Owner::Associate(id) => Err(EngineError::Forbidden(format!(
                "only administrators start tasks for another associate (AssociateId {id})"
            ))),
        }
    }
}
