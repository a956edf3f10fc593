//! Executors: the code that does a task's work. A task's name selects one through the registry;
//! names without one wait in `New` until an executor for them exists.

mod builtin;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use sobatch_core::{Parameters, Task, TaskState};
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

pub use builtin::{Echo, Fail, Sleep};

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
    pub result: Option<String>,
    pub response: Option<String>,
    pub file_name: Option<String>,
}

impl TaskOutcome {
    pub fn succeeded() -> Self {
        TaskOutcome {
            state: TaskState::Succeeded,
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
    progress: watch::Sender<ReportedProgress>,
    cancel: CancellationToken,
}

impl TaskContext {
    pub(crate) fn new(
        task: Task,
        progress: watch::Sender<ReportedProgress>,
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

/// Executors by definition name, matched case-insensitively.
#[derive(Clone, Default)]
pub struct ExecutorRegistry {
    by_name: HashMap<String, (String, Arc<dyn Executor>)>,
}

impl ExecutorRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry with the built-in `Echo`, `Sleep` and `Fail`.
    pub fn with_builtins() -> Self {
        let mut registry = Self::new();
        registry.register("Echo", Echo);
        registry.register("Sleep", Sleep);
        registry.register("Fail", Fail);
        registry
    }

    pub fn register(&mut self, name: &str, executor: impl Executor) {
        self.by_name
            .insert(name.to_lowercase(), (name.to_string(), Arc::new(executor)));
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn Executor>> {
        self.by_name
            .get(&name.to_lowercase())
            .map(|(_, executor)| executor.clone())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(&name.to_lowercase())
    }

    /// The names as registered, for claiming.
    pub fn names(&self) -> Vec<String> {
        self.by_name
            .values()
            .map(|(name, _)| name.clone())
            .collect()
    }
}
