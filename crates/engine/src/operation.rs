//! The operations clients ask for, written once for every surface that exposes them (REST, Agents,
//! CLI): start, get, list, update, stop, delete.

use sobatch_core::{AssociateId, Task, TaskId, TaskStart, TaskUpdate};
use sobatch_store::{StopOutcome, TaskFilter};

use crate::{CancelReason, Engine, EngineError, Owner, STOPPED_RESULT};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub id: AssociateId,
    pub is_admin: bool,
    /// May use the remote worker API (admins may too).
    pub is_worker: bool,
    /// The registered application the request came through (`SO-AppToken`), by id.
    pub application: Option<i64>,
}

/// What Stop answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReply {
    NotFound,
    /// `true` iff the task was (or is being) stopped.
    Stopped(bool),
}

impl Engine {
    /// Creates a task owned by `owner` and wakes a worker for it. The id is returned once the task
    /// is durable.
    pub async fn task_start(
        &self,
        caller: &Caller,
        owner: Owner,
        start: TaskStart,
    ) -> Result<TaskId, EngineError> {
        self.task_start_as(caller, owner, start, false).await
    }

    /// Like [`Engine::task_start`], but an `internal` task lives only in this node's memory and
    /// runs here (spec §2.7).
    pub async fn task_start_as(
        &self,
        caller: &Caller,
        owner: Owner,
        mut start: TaskStart,
        internal: bool,
    ) -> Result<TaskId, EngineError> {
        start.owner = owner.resolve(caller)?;
        if start.cancellation.is_none() {
            start.cancellation = self
                .inner
                .executors
                .settings(&start.name)
                .and_then(|settings| settings.cancellation);
        }
        let start = start.normalize().map_err(EngineError::Invalid)?;
        if self.inner.config.reject_unknown_tasks && !self.inner.executors.contains(&start.name) {
            return Err(EngineError::Invalid(format!(
                "no executor runs tasks named {:?}",
                start.name
            )));
        }
        if internal {
            return self.internal_start(start).await;
        }
        let runnable = self.inner.executors.contains(&start.name);
        let name = start.name.clone();
        let id = self
            .inner
            .store
            .task_insert(start, self.inner.clock.now())
            .await?;
        if runnable {
            self.wake_for(&name);
        }
        // Other nodes may run it, or have remote workers waiting for it.
        self.inner.store.work_announce();
        Ok(id)
    }

    pub async fn task_get(&self, id: TaskId) -> Result<Option<Task>, EngineError> {
        if let Some(task) = self.internal_get(id) {
            return Ok(Some(task));
        }
        Ok(self.inner.store.task_get(id).await?)
    }

    pub async fn task_list(&self, filter: &TaskFilter) -> Result<Vec<Task>, EngineError> {
        Ok(self.inner.store.task_list(filter).await?)
    }

    /// Writes the updatable members; `None` if there is no such task.
    pub async fn task_update(
        &self,
        caller: &Caller,
        id: TaskId,
        update: TaskUpdate,
    ) -> Result<Option<Task>, EngineError> {
        let update = update.normalize();
        if let Some(task) = self.internal_update(id, &update) {
            return Ok(Some(task));
        }
        let task = self
            .inner
            .store
            .task_update(id, update, caller.id, self.inner.clock.now())
            .await?;
        if let Some(task) = &task
            && task.state == sobatch_core::TaskState::New
            && self.inner.executors.contains(&task.name)
        {
            self.wake_for(&task.name);
            self.inner.store.work_announce();
        }
        Ok(task)
    }

    /// Stops a task as spec §1.7 says. A task running here is cancelled and, within `stop_wait`,
    /// has ended `Failed` by the time this returns.
    pub async fn task_stop(&self, id: TaskId) -> Result<StopReply, EngineError> {
        if let Some(stopped) = self.internal_stop(id) {
            return Ok(StopReply::Stopped(stopped));
        }
        let outcome = self
            .inner
            .store
            .task_stop(id, STOPPED_RESULT, self.inner.clock.now())
            .await?;
        Ok(match outcome {
            StopOutcome::NotFound => StopReply::NotFound,
            StopOutcome::Refused => StopReply::Stopped(false),
            StopOutcome::Failed => StopReply::Stopped(true),
            // A remote worker cannot be cancelled from here, so its task fails at once (as the
            // spec says for external workers); the worker learns it from the 409 its next
            // heartbeat or completion gets, since the lease went with the failure.
            StopOutcome::Requested {
                lease_owner: Some(owner),
            } if owner.starts_with(crate::REMOTE_OWNER_PREFIX) => {
                let failed = self
                    .inner
                    .store
                    .task_fail_running(id, STOPPED_RESULT, self.inner.clock.now())
                    .await?;
                // `false`: the worker finished it first, so there was nothing left to stop.
                StopReply::Stopped(failed)
            }
            StopOutcome::Requested {
                lease_owner: Some(owner),
            } if owner != self.inner.node_id => {
                // The store has told that node; the answer waits (bounded) for its outcome.
                self.await_end_elsewhere(id).await?;
                StopReply::Stopped(true)
            }
            StopOutcome::Requested { .. } => {
                self.cancel_local(id, CancelReason::Stop, true).await;
                StopReply::Stopped(true)
            }
        })
    }

    /// Wakes whoever claims tasks named `name`: every long-polling remote claim for a remote
    /// definition, else the local dispatcher.
    fn wake_for(&self, name: &str) {
        if self.inner.executors.is_remote(name) {
            self.inner.remote_wake.notify_waiters();
        } else {
            self.inner.wake.notify_one();
        }
    }

    /// Deletes tasks; any of them running here is cancelled first.
    pub async fn task_delete(&self, ids: &[TaskId]) -> Result<u64, EngineError> {
        for &id in ids {
            self.internal_delete(id);
            self.cancel_local(id, CancelReason::Stop, false).await;
        }
        Ok(self.inner.store.task_delete(ids).await?)
    }

    /// Waits, up to `stop_wait`, until a task another node runs has ended.
    async fn await_end_elsewhere(&self, id: TaskId) -> Result<(), EngineError> {
        const EVERY: std::time::Duration = std::time::Duration::from_millis(20);
        let deadline = tokio::time::Instant::now() + self.inner.config.stop_wait;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(EVERY).await;
            match self.inner.store.task_get(id).await? {
                Some(task) if !task.state.is_terminal() => {}
                _ => break,
            }
        }
        Ok(())
    }

    /// Cancels `id` if this node runs it, and optionally waits (bounded) until its runner has
    /// written the outcome.
    async fn cancel_local(&self, id: TaskId, reason: CancelReason, wait: bool) {
        let ended = {
            let Ok(running) = self.inner.running.lock() else {
                return;
            };
            let Some(entry) = running.get(&id) else {
                return;
            };
            if let Ok(mut slot) = entry.reason.lock() {
                slot.get_or_insert(reason);
            }
            entry.token.cancel();
            entry.ended.clone()
        };
        if wait {
            let notified = ended.notified();
            let still_running = self
                .inner
                .running
                .lock()
                .map(|r| r.contains_key(&id))
                .unwrap_or(false);
            if still_running {
                let _ = tokio::time::timeout(self.inner.config.stop_wait, notified).await;
            }
        }
    }
}
