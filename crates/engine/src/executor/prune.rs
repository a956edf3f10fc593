//! `Prune`, the system task that applies retention: it deletes finished tasks past their age, in
//! short batches, then the events of the task event log past theirs. The engine starts one every retention interval (as the system, AssociateId 0).

use std::sync::Arc;

use async_trait::async_trait;
use sobatch_store::{Store, TaskPruneParams};

use super::{Executor, TaskContext, TaskFailure, TaskOutcome};
use crate::{Clock, RetentionConfig};

/// Most tasks one retention transaction deletes; a run repeats until fewer went.
const PRUNE_BATCH: usize = 1000;

pub(crate) struct Prune {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) retention: RetentionConfig,
    pub(crate) clock: Arc<dyn Clock>,
}

#[async_trait]
impl Executor for Prune {
    async fn run(&self, ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        let now = self.clock.now();
        let before = |age: Option<std::time::Duration>| {
            age.and_then(|age| chrono::Duration::from_std(age).ok())
                .and_then(|age| now.checked_sub_signed(age))
        };
        let params = TaskPruneParams {
            succeeded_before: before(self.retention.succeeded),
            failed_before: before(self.retention.failed),
            limit: PRUNE_BATCH,
        };
        let mut total: u64 = 0;
        loop {
            let deleted = self
                .store
                .task_prune(params)
                .await
                .map_err(|e| TaskFailure::new(format!("prune failed: {e}")))?;
            total += deleted;
            if deleted < PRUNE_BATCH as u64 || ctx.is_cancelled() {
                break;
            }
        }
        if total > 0 {
            tracing::info!(count = total, "deleted finished tasks past their retention");
        }
        if let Some(events_before) = before(self.retention.events) {
            loop {
                let deleted = self
                    .store
                    .event_prune(events_before, PRUNE_BATCH)
                    .await
                    .map_err(|e| TaskFailure::new(format!("prune events failed: {e}")))?;
                if deleted < PRUNE_BATCH as u64 || ctx.is_cancelled() {
                    break;
                }
            }
        }
        Ok(TaskOutcome::succeeded().with_response(total.to_string()))
    }
}
