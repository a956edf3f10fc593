//! Executors: the code that does a task's work. A task's name selects one through the registry;
//! names without one wait in `New` until an executor for them exists.

mod builtin;
mod command;
mod prune;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sobatch_core::{CancellationBehaviour, Parameters, Task, TaskState};
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

pub use builtin::{Echo, Fail, Sleep};
pub use command::{CommandExecutor, CommandSpec};
pub(crate) use prune::Prune;

/// Runs tasks of one definition. Each run is its own tokio task, so a panic ends only that task
/// (recorded `Failed`), never the server.
#[async_trait]
pub trait Executor: Send + Sync + 'static {
    async fn run(&self, ctx: TaskContext) -> Result<TaskOutcome, TaskFailure>;
}

/// A successful end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskOutcome {
    /// `Succeeded` or `SucceededManualCleanup`.
    pub state: TaskState,
    /// For a multi-pass definition: the work is not done, run the body again. Ignored otherwise.
    pub another_pass: bool,
    pub result: Option<String>,
    pub response: Option<String>,
    pub file_name: Option<String>,
}

impl TaskOutcome {
    pub fn succeeded() -> Self {
        TaskOutcome {
            state: TaskState::Succeeded,
            another_pass: false,
            result: None,
            response: None,
            file_name: None,
        }
    }

    pub fn with_response(mut self, response: impl Into<String>) -> Self {
        self.response = Some(response.into());
        self
    }

    pub fn with_result(mut self, result: impl Into<String>) -> Self {
        self.result = Some(result.into());
        self
    }

    /// Asks, for a multi-pass definition, that the body run again.
    pub fn with_another_pass(mut self) -> Self {
        self.another_pass = true;
        self
    }
}

/// A failed end; `result` says why and becomes the task's Result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    pub result: String,
}

impl TaskFailure {
    pub fn new(result: impl Into<String>) -> Self {
        TaskFailure {
            result: result.into(),
        }
    }
}

/// Progress as the executor last reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReportedProgress {
    pub percent: i16,
    pub description: Option<String>,
}

/// What an executor sees of its task: parameters, a way to report progress, and cancellation.
pub struct TaskContext {
    task: Task,
    progress: Arc<watch::Sender<ReportedProgress>>,
    cancel: CancellationToken,
}

impl TaskContext {
    pub(crate) fn new(
        task: Task,
        progress: Arc<watch::Sender<ReportedProgress>>,
        cancel: CancellationToken,
    ) -> Self {
        TaskContext {
            task,
            progress,
            cancel,
        }
    }

    pub fn task(&self) -> &Task {
        &self.task
    }

    pub fn parameters(&self) -> Option<&Parameters> {
        self.task.parameters.as_ref()
    }

    /// A parameter by name, ignoring ASCII case.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters().and_then(|p| p.get_ignore_case(key))
    }

    /// Reports progress; the runner writes it to the task promptly (coalescing rapid reports).
    pub fn progress(&self, percent: i16, description: impl Into<String>) {
        let report = ReportedProgress {
            percent: percent.max(0),
            description: Some(description.into()),
        };
        self.progress.send_replace(report);
    }

    /// Resolves when the task should stop (Stop, shutdown, or a lost lease).
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.cancel.cancelled()
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// Starts a task's body on a tokio task of its own, so that a panic in it becomes a failed task,
/// with a fresh progress channel whose receiver has seen nothing yet.
pub(crate) fn spawn_passes(
    registry: &ExecutorRegistry,
    executor: Arc<dyn Executor>,
    task: Task,
    cancel: CancellationToken,
) -> (
    tokio::task::JoinHandle<Result<TaskOutcome, TaskFailure>>,
    watch::Receiver<ReportedProgress>,
) {
    let (progress_tx, mut progress_rx) = watch::channel(ReportedProgress::default());
    progress_rx.mark_unchanged();
    let multi_pass = registry
        .settings(&task.name)
        .is_some_and(|settings| settings.is_multi_pass);
    let run = run_passes(executor, task, Arc::new(progress_tx), cancel, multi_pass);
    (tokio::spawn(run), progress_rx)
}

/// Runs a task's body: once, or for a multi-pass definition again and again while each pass asks
/// for another and the task is not cancelled.
async fn run_passes(
    executor: Arc<dyn Executor>,
    task: Task,
    progress: Arc<watch::Sender<ReportedProgress>>,
    cancel: CancellationToken,
    multi_pass: bool,
) -> Result<TaskOutcome, TaskFailure> {
    loop {
        let ctx = TaskContext::new(task.clone(), progress.clone(), cancel.clone());
        let outcome = executor.run(ctx).await?;
        if !(multi_pass && outcome.another_pass) || cancel.is_cancelled() {
            return Ok(outcome);
        }
        tokio::task::yield_now().await;
    }
}

/// What the engine knows of a definition besides its executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionSettings {
    /// Who runs it: `built-in`, `command`, `embedded` (a handler registered in code), or `remote`
    /// (workers claiming over HTTP).
    pub kind: &'static str,
    pub description: String,
    /// A run that lasts longer is cancelled and the task fails, saying it timed out.
    pub timeout: Option<Duration>,
    /// The CancellationBehaviour a task gets when its start does not choose one.
    pub cancellation: Option<CancellationBehaviour>,
    /// How often a task is restarted after the node running it stopped answering; −1 (the
    /// default) without limit.
    pub auto_restart_count: i32,
    /// How long a cancelled run may take to end before the engine drops it. `None`: a few
    /// seconds. Executors with their own grace period (a command's SIGTERM-to-SIGKILL wait) need
    /// more.
    pub cancel_grace: Option<Duration>,
    /// How many tasks of this definition one node runs at once; `None`: as many as it has workers.
    pub concurrency: Option<usize>,
    /// The shortest time between two starts of this definition; its runs never overlap.
    pub start_interval: Option<Duration>,
    /// The shortest pause between the end of one run of this definition and the next start; its
    /// runs never overlap.
    pub minimum_sleep_time: Option<Duration>,
    /// The body is run again while it asks for another pass (`TaskOutcome::with_another_pass`).
    pub is_multi_pass: bool,
}

impl DefinitionSettings {
    /// Whether runs of this definition are paced, and so never overlap.
    pub fn is_paced(&self) -> bool {
        self.start_interval.is_some() || self.minimum_sleep_time.is_some()
    }
}

impl Default for DefinitionSettings {
    fn default() -> Self {
        DefinitionSettings {
            kind: "embedded",
            description: String::new(),
            timeout: None,
            cancellation: None,
            auto_restart_count: -1,
            cancel_grace: None,
            concurrency: None,
            start_interval: None,
            minimum_sleep_time: None,
            is_multi_pass: false,
        }
    }
}

struct Registered {
    name: String,
    /// `None` for a remote definition: workers outside the process claim its tasks over HTTP, so
    /// the local dispatcher must never claim them.
    executor: Option<Arc<dyn Executor>>,
    settings: DefinitionSettings,
}

/// Executors by definition name, matched case-insensitively.
#[derive(Clone, Default)]
pub struct ExecutorRegistry {
    by_name: HashMap<String, Arc<Registered>>,
}

impl ExecutorRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry with the built-in `Echo`, `Sleep` and `Fail`.
    pub fn with_builtins() -> Self {
        let mut registry = Self::new();
        let builtin = |description: &str| DefinitionSettings {
            kind: "built-in",
            description: description.to_string(),
            ..DefinitionSettings::default()
        };
        registry.register_with(
            "Echo",
            Echo,
            builtin("Succeeds at once; its Response is its parameters as JSON."),
        );
        registry.register_with(
            "Sleep",
            Sleep,
            builtin("Sleeps for parameter Seconds, reporting progress; honours Stop."),
        );
        registry.register_with(
            "Fail",
            Fail,
            builtin("Fails with parameter Message as its Result."),
        );
        registry
    }

    /// Registers a handler written in code (programs that embed sobatch).
    pub fn register(&mut self, name: &str, executor: impl Executor) {
        let settings = DefinitionSettings {
            kind: "embedded",
            ..DefinitionSettings::default()
        };
        self.register_with(name, executor, settings);
    }

    pub fn register_with(
        &mut self,
        name: &str,
        executor: impl Executor,
        settings: DefinitionSettings,
    ) {
        self.by_name.insert(
            name.to_lowercase(),
            Arc::new(Registered {
                name: name.to_string(),
                executor: Some(Arc::new(executor)),
                settings,
            }),
        );
    }

    /// Registers a definition that remote workers run (kind `remote`): listed, synced to the
    /// store and accepted by starts like any other, but with no executor in this process.
    pub fn register_remote(&mut self, name: &str, settings: DefinitionSettings) {
        self.by_name.insert(
            name.to_lowercase(),
            Arc::new(Registered {
                name: name.to_string(),
                executor: None,
                settings,
            }),
        );
    }

    /// The local executor for `name`; `None` for unknown and for remote definitions.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Executor>> {
        self.by_name
            .get(&name.to_lowercase())
            .and_then(|registered| registered.executor.clone())
    }

    /// Whether `name` is a definition that remote workers run.
    pub fn is_remote(&self, name: &str) -> bool {
        self.by_name
            .get(&name.to_lowercase())
            .is_some_and(|registered| registered.executor.is_none())
    }

    /// The names remote workers may claim, as registered.
    pub fn remote_names(&self) -> Vec<String> {
        self.by_name
            .values()
            .filter(|registered| registered.executor.is_none())
            .map(|registered| registered.name.clone())
            .collect()
    }

    pub fn settings(&self, name: &str) -> Option<&DefinitionSettings> {
        self.by_name
            .get(&name.to_lowercase())
            .map(|registered| &registered.settings)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(&name.to_lowercase())
    }

    /// The names this process runs, as registered, for the local dispatcher's claims (remote
    /// definitions are left to remote workers).
    pub fn names(&self) -> Vec<String> {
        self.by_name
            .values()
            .filter(|registered| registered.executor.is_some())
            .map(|registered| registered.name.clone())
            .collect()
    }

    /// Every registered definition with its settings, sorted by name.
    pub fn definitions(&self) -> Vec<(String, DefinitionSettings)> {
        let mut all: Vec<_> = self
            .by_name
            .values()
            .map(|registered| (registered.name.clone(), registered.settings.clone()))
            .collect();
        all.sort_by_key(|(name, _)| name.to_lowercase());
        all
    }
}
