//! Internal tasks (`IsInternalTask`, spec §2.7): they live only in the memory of the node that
//! accepted them and run there, leave no row and no trace in the database (only their id comes from
//! the same sequence as stored tasks), appear in no list, and are dropped when they end.

use std::sync::Arc;
use std::time::Duration;

use sobatch_core::{StopAction, Task, TaskId, TaskStart, TaskState, TaskUpdate};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::executor::spawn_passes;
use crate::{Engine, EngineError, Inner};

/// An internal task and the means to stop it.
pub(crate) struct InternalTask {
    pub(crate) task: Task,
    pub(crate) cancel: CancellationToken,
}

/// How long a cancelled internal run may take to end before it is dropped anyway.
const CANCEL_GRACE: Duration = Duration::from_secs(3);

impl Engine {
    /// Starts `start` as an internal task on this node. Its name must have an executor here:
    /// an internal task cannot wait for one, since nothing else will ever see it.
    pub(crate) async fn internal_start(&self, start: TaskStart) -> Result<TaskId, EngineError> {
        let Some(executor) = self.inner.executors.get(&start.name) else {
            return Err(EngineError::Invalid(format!(
                "internal tasks run on the node that accepts them, and no executor here runs tasks named {:?}",
                start.name
            )));
        };
        let id = self.inner.store.task_id_reserve().await?;
        let now = self.inner.clock.now();
        let task = Task {
            details_table: start.details_table,
            details_record: start.details_record,
            parameters: start.parameters,
            last_started: Some(now),
            start_count: 1,
            database_serial: Some(self.inner.store.database_serial().to_string()),
            context: start.context,
            state: TaskState::Started,
            description: start.description,
            response: start.response,
            request: start.request,
            file_name: start.file_name,
            cancellation: start.cancellation.unwrap_or_default(),
            internal: true,
            ..Task::new(id, start.name, start.owner, now)
        };
        let cancel = CancellationToken::new();
        if let Ok(mut internal) = self.inner.internal.lock() {
            internal.insert(
                id,
                InternalTask {
                    task: task.clone(),
                    cancel: cancel.clone(),
                },
            );
        }
        let inner = self.inner.clone();
        self.inner.tasks.spawn(run(inner, task, executor, cancel));
        Ok(id)
    }

    /// The internal task with this id, while it lives.
    pub(crate) fn internal_get(&self, id: TaskId) -> Option<Task> {
        let internal = self.inner.internal.lock().ok()?;
        internal.get(&id).map(|entry| entry.task.clone())
    }

    /// Stops an internal task; `None` if there is none with this id.
    pub(crate) fn internal_stop(&self, id: TaskId) -> Option<bool> {
        let internal = self.inner.internal.lock().ok()?;
        let entry = internal.get(&id)?;
        let action = StopAction::decide(entry.task.state, entry.task.cancellation);
        if action == StopAction::Refuse {
            return Some(false);
        }
        entry.cancel.cancel();
        Some(true)
    }

    /// Applies an update to an internal task in memory; `None` if there is none with this id.
    pub(crate) fn internal_update(&self, id: TaskId, update: &TaskUpdate) -> Option<Task> {
        let mut internal = self.inner.internal.lock().ok()?;
        let entry = internal.get_mut(&id)?;
        let task = &mut entry.task;
        if let Some(state) = update.state {
            task.state = state;
        }
        if let Some(description) = &update.description {
            task.description = description.clone();
        }
        if let Some(response) = &update.response {
            task.response = response.clone();
        }
        if let Some(request) = &update.request {
            task.request = request.clone();
        }
        task.updated = Some(self.inner.clock.now());
        task.updated_count += 1;
        Some(task.clone())
    }

    /// Stops and forgets an internal task; whether there was one.
    pub(crate) fn internal_delete(&self, id: TaskId) -> bool {
        let Ok(mut internal) = self.inner.internal.lock() else {
            return false;
        };
        match internal.remove(&id) {
            Some(entry) => {
                entry.cancel.cancel();
                true
            }
            None => false,
        }
    }
}

/// Runs an internal task: progress goes to its in-memory copy, and when it ends it is dropped.
async fn run(
    inner: Arc<Inner>,
    task: Task,
    executor: Arc<dyn crate::Executor>,
    cancel: CancellationToken,
) {
    let id = task.id;
    let (mut handle, mut progress_rx) =
        spawn_passes(&inner.executors, executor, task, cancel.clone());
    let mut progress_open = true;
    let mut abort_at: Option<tokio::time::Instant> = None;
    let outcome = loop {
        tokio::select! {
            joined = &mut handle => break joined,
            changed = progress_rx.changed(), if progress_open => {
                if changed.is_err() {
                    progress_open = false;
                    continue;
                }
                let report = progress_rx.borrow_and_update().clone();
                if let Ok(mut internal) = inner.internal.lock()
                    && let Some(entry) = internal.get_mut(&id)
                {
                    entry.task.progress_percent = report.percent;
                    entry.task.progress_description = report.description;
                }
            }
            () = cancel.cancelled(), if abort_at.is_none() => {
                abort_at = Some(tokio::time::Instant::now() + CANCEL_GRACE);
            }
            () = crate::worker::sleep_until_some(abort_at) => {
                warn!(task_id = id.0, "internal executor ignored cancellation; aborting it");
                handle.abort();
                abort_at = Some(tokio::time::Instant::now() + Duration::from_secs(3600));
            }
        }
    };
    let state = match (&outcome, cancel.is_cancelled()) {
        (Ok(Ok(_)), false) => "succeeded",
        _ => "failed",
    };
    info!(task_id = id.0, state, "internal task ended and was dropped");
    if let Ok(mut internal) = inner.internal.lock() {
        internal.remove(&id);
    }
}
