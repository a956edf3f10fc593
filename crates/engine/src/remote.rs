//! Remote workers: tasks of `remote` definitions are claimed, kept alive and finished by programs
//! outside this process (over HTTP, through the server), under the same leases and fencing as the
//! local dispatcher's tasks. This module owns the operations and the lease token those workers
//! carry; it knows nothing of HTTP.

use std::time::Duration;

use sobatch_core::task::{FILE_NAME_MAX, TEXT_MAX};
use sobatch_core::{Task, TaskId, TaskState, Timestamp, truncate_chars};
use sobatch_store::{Lease, LeaseCheck, TaskClaimParams, TaskFinish, TaskProgress};

use crate::{Engine, EngineError};

/// The longest a claim waits for a task, whatever the worker asks for, so that proxies and
/// clients with ordinary timeouts keep the connection.
pub const REMOTE_WAIT_MAX: Duration = Duration::from_secs(60);

/// The longest worker id accepted; it becomes part of the lease owner and of every token.
const WORKER_ID_MAX: usize = 100;

/// Lease owners of remote workers start with this, so that Stop can tell their tasks apart.
pub const REMOTE_OWNER_PREFIX: &str = "remote:";

/// The lease a remote worker holds, as it carries it between calls: an opaque string
/// `"<fencing token in hex>.<worker id>"`. The task id travels in the URL, the expiry is the
/// server's to decide, so these two are all a call needs to name the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLease {
    pub worker: String,
    pub token: i64,
}

impl RemoteLease {
    /// The wire form of a lease the store handed out; `None` if it is not a remote worker's.
    pub fn from_lease(lease: &Lease) -> Option<RemoteLease> {
        let worker = lease.owner.strip_prefix(REMOTE_OWNER_PREFIX)?;
        Some(RemoteLease {
            worker: worker.to_string(),
            token: lease.token,
        })
    }

    pub fn encode(&self) -> String {
        // Tokens are random over all of i64; their bits are written unsigned so that negative
        // ones read back.
        let bits = u64::from_ne_bytes(self.token.to_ne_bytes());
        format!("{bits:x}.{}", self.worker)
    }

    /// Reads a token; `None` if it is not one this server could have handed out.
    pub fn decode(text: &str) -> Option<RemoteLease> {
        // The worker id may itself contain dots; the hex part never does.
        let (token, worker) = text.split_once('.')?;
        let bits = u64::from_str_radix(token, 16).ok()?;
        let token = i64::from_ne_bytes(bits.to_ne_bytes());
        if !valid_worker_id(worker) {
            return None;
        }
        Some(RemoteLease {
            worker: worker.to_string(),
            token,
        })
    }

    fn owner(&self) -> String {
        format!("{REMOTE_OWNER_PREFIX}{}", self.worker)
    }
}

fn valid_worker_id(worker: &str) -> bool {
    !worker.is_empty()
        && worker.chars().count() <= WORKER_ID_MAX
        && !worker.chars().any(char::is_control)
}

/// How a remote worker says its task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteOutcome {
    /// Succeeded, SucceededManualCleanup or Failed; anything else is refused.
    pub state: TaskState,
    pub result: Option<String>,
    pub response: Option<String>,
    pub file_name: Option<String>,
}

impl Engine {
    /// Claims one `New` task of the given remote definitions for `worker`, starting it at once
    /// (StartCount + 1, LastStarted), since a remote worker runs what it claims. With nothing to
    /// claim it waits up to `wait` (at most [`REMOTE_WAIT_MAX`]) for a start to wake it, looking
    /// again every poll interval for tasks nothing announced (rescued ones, other nodes' starts).
    ///
    /// Every name must be a remote definition: a worker that asks for `Echo` is told so (400)
    /// rather than silently never served, and a local definition is never handed out.
    pub async fn remote_claim(
        &self,
        names: &[String],
        worker: &str,
        wait: Duration,
    ) -> Result<Option<(Task, Lease)>, EngineError> {
        if !valid_worker_id(worker) {
            return Err(EngineError::Invalid(format!(
                "Worker must be 1 to {WORKER_ID_MAX} characters without control characters"
            )));
        }
        if names.is_empty() {
            return Err(EngineError::Invalid(
                "Names must list at least one remote task name".into(),
            ));
        }
        let unknown: Vec<&str> = names
            .iter()
            .filter(|name| !self.inner.executors.is_remote(name))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(EngineError::Invalid(format!(
                "no remote task definition is named {}",
                unknown.join(", ")
            )));
        }
        let deadline = tokio::time::Instant::now() + wait.min(REMOTE_WAIT_MAX);
        let owner = format!("{REMOTE_OWNER_PREFIX}{worker}");
        loop {
            // Registered before the store is asked, so a start between the query and the wait
            // still wakes this claim.
            let notified = self.inner.remote_wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(claimed) = self.remote_claim_once(names, &owner).await? {
                return Ok(Some(claimed));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline || self.inner.shutdown.is_cancelled() {
                return Ok(None);
            }
            let nap = (deadline - now).min(self.inner.config.poll_interval);
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(nap) => {}
                () = self.inner.shutdown.cancelled() => return Ok(None),
            }
        }
    }

    async fn remote_claim_once(
        &self,
        names: &[String],
        owner: &str,
    ) -> Result<Option<(Task, Lease)>, EngineError> {
        let store = &self.inner.store;
        let now = self.inner.clock.now();
        let claimed = store
            .task_claim_available(TaskClaimParams {
                names: names.to_vec(),
                owner: owner.to_string(),
                limit: 1,
                now,
                lease_for: self.inner.config.lease,
                start: false,
            })
            .await?;
        for (task, mut lease) in claimed {
            lease.expires = self.lease_expiry(now);
            // `None`: a Stop came between claim and start; the task is no longer ours.
            if let Some(task) = store.task_mark_started(task.id, &lease, now).await? {
                return Ok(Some((task, lease)));
            }
        }
        Ok(None)
    }

    /// Extends a remote worker's lease and writes its progress. `None` if the lease is no longer
    /// held (expired and rescued, stopped, finished, or never this worker's); otherwise whether
    /// Stop was requested.
    pub async fn remote_heartbeat(
        &self,
        id: TaskId,
        lease: &RemoteLease,
        mut progress: TaskProgress,
    ) -> Result<Option<bool>, EngineError> {
        let now = self.inner.clock.now();
        let lease = Lease {
            owner: lease.owner(),
            token: lease.token,
            expires: self.lease_expiry(now),
        };
        progress.percent = progress.percent.map(|p| p.clamp(0, 100));
        if let Some(description) = progress.description.as_mut() {
            truncate_chars(description, TEXT_MAX);
        }
        let check = self
            .inner
            .store
            .task_heartbeat(id, &lease, progress, now)
            .await?;
        Ok(match check {
            LeaseCheck::Held { stop_requested } => Some(stop_requested),
            LeaseCheck::Lost => None,
        })
    }

    /// Ends a remote worker's task; `false` if its lease is no longer held (nothing written).
    pub async fn remote_complete(
        &self,
        id: TaskId,
        lease: &RemoteLease,
        outcome: RemoteOutcome,
    ) -> Result<bool, EngineError> {
        let success = match outcome.state {
            TaskState::Succeeded | TaskState::SucceededManualCleanup => true,
            TaskState::Failed => false,
            other => {
                return Err(EngineError::Invalid(format!(
                    "State must be Succeeded, SucceededManualCleanup or Failed, not {}",
                    other.name()
                )));
            }
        };
        let cut = |limit: usize| {
            move |mut text: String| {
                truncate_chars(&mut text, limit);
                text
            }
        };
        let now = self.inner.clock.now();
        let lease = Lease {
            owner: lease.owner(),
            token: lease.token,
            expires: now,
        };
        let finish = TaskFinish {
            state: outcome.state,
            result: outcome.result.map(cut(TEXT_MAX)),
            response: outcome.response.map(cut(TEXT_MAX)),
            // As for local executors: a success shows as complete, a failure keeps its progress.
            progress_percent: success.then_some(100),
            progress_description: None,
            file_name: outcome.file_name.map(cut(FILE_NAME_MAX)),
        };
        Ok(self
            .inner
            .store
            .task_finish(id, &lease, finish, now)
            .await?)
    }

    fn lease_expiry(&self, now: Timestamp) -> Timestamp {
        now + chrono::Duration::from_std(self.inner.config.lease)
            .unwrap_or(chrono::Duration::seconds(30))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_token_round_trips_even_with_dots_in_the_worker_id() {
        let lease = RemoteLease {
            worker: "host.example.com-7".into(),
            token: 0x1f2e,
        };
        assert_eq!(lease.encode(), "1f2e.host.example.com-7");
        assert_eq!(RemoteLease::decode(&lease.encode()), Some(lease));
        let negative = RemoteLease {
            worker: "w".into(),
            token: -2,
        };
        assert_eq!(negative.encode(), "fffffffffffffffe.w");
        assert_eq!(RemoteLease::decode(&negative.encode()), Some(negative));
    }

    #[test]
    fn malformed_lease_tokens_are_refused() {
        for text in ["", "1f2e", ".w", "zz.w", "1f2e.", "1f2e.a\nb"] {
            assert_eq!(RemoteLease::decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn only_remote_owners_give_a_wire_lease() {
        let lease = Lease {
            owner: "node-1".into(),
            token: 3,
            expires: Timestamp::default(),
        };
        assert_eq!(RemoteLease::from_lease(&lease), None);
    }
}
