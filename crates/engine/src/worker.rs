//! The worker side of the engine: the dispatcher that claims `New` tasks, the runner that starts,
//! supervises and finishes each one under its lease, the rescuer, and shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sobatch_core::task::TEXT_MAX;
use sobatch_core::{AssociateId, StateSelector, TaskStart, Visibility};
use sobatch_core::{Task, TaskState, truncate_chars};
use sobatch_store::{
    Lease, LeaseCheck, RescuePolicy, Signal, StoreError, TaskClaimParams, TaskEnd, TaskFilter,
    TaskFinish, TaskProgress,
};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::executor::{ReportedProgress, spawn_passes};
use crate::{CancelReason, Inner, Running, STOPPED_RESULT, TaskFailure, TaskOutcome};

/// Progress is written no more often than this, however often an executor reports it.
const PROGRESS_MIN_INTERVAL: Duration = Duration::from_millis(100);
/// How long the dispatcher of a busy queue waits for more slots to free before it claims.
const GATHER: Duration = Duration::from_millis(1);
/// How long shutdown waits for cancelled tasks to hand themselves back.
const RELEASE_WAIT: Duration = Duration::from_secs(5);
/// How long an executor may go on after it was cancelled before its tokio task is aborted, so that
/// one that ignores cancellation cannot keep a stopped task `Started` for ever.
const CANCEL_GRACE: Duration = Duration::from_secs(3);

pub(crate) fn random_node_id() -> String {
    let pid = std::process::id();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("node-{pid}-{nanos:08x}")
}

/// How far ahead of its free slots the dispatcher claims: about as many tasks as ended here in
/// this long, so a node working through short tasks claims them in batches (one commit for many)
/// while a node of long tasks claims only what it can start at once.
const AHEAD_HORIZON: Duration = Duration::from_millis(10);
/// The most tasks claimed ahead of free slots.
const AHEAD_MAX: usize = 1024;

/// Claims tasks while there are free worker slots, and waits for a wake-up (or the poll interval)
/// when there is nothing to claim.
///
/// A claim may take more tasks than there are free slots (see [`AHEAD_HORIZON`]): their runs wait
/// in line for the next free slot, already `Started` under their lease, which at the pace that
/// sized the claim is a few milliseconds. While they wait they heartbeat and answer Stop like any
/// run, and shutdown hands them back.
pub(crate) async fn dispatch(inner: Arc<Inner>) {
    let slots = Arc::new(Semaphore::new(inner.config.workers.max(1)));
    let names = inner.executors.names();
    // Whether the last round found fewer tasks than it had room for. The queue was empty then,
    // and only what wakes the dispatcher (a start here or on another node, a rescue, the end of a
    // limited or paced task) or the poll can change that: a freed slot alone is no reason to ask
    // the database again.
    let mut dry = false;
    let mut pace = Turnover::new(&inner);
    let mut last_round = tokio::time::Instant::now();
    // Runs claimed ahead, oldest first, each waiting for the dispatcher to hand it a slot. The
    // dispatcher is the only one to take slots, so it never sits on one while a run waits.
    let mut in_line: std::collections::VecDeque<oneshot::Sender<OwnedSemaphorePermit>> =
        std::collections::VecDeque::new();
    'rounds: loop {
        let mut first = tokio::select! {
            biased;
            () = inner.shutdown.cancelled() => return,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
        };
        while let Some(run) = in_line.pop_front() {
            match run.send(first) {
                Ok(()) => continue 'rounds,
                // That run ended while it waited (stopped, or its lease lost).
                Err(permit) => first = permit,
            }
        }
        if !dry {
            // A busy queue: let the runs ending about now free their slots too, so that one
            // round claims for all of them instead of one round each.
            tokio::time::sleep(GATHER).await;
        }
        let mut permits = vec![first];
        while let Ok(permit) = slots.clone().try_acquire_owned() {
            permits.push(permit);
        }
        let claimed = loop {
            if dry {
                tokio::select! {
                    () = inner.wake.notified() => {
                        // Woken right after the last round: tasks arrive in a stream, and one
                        // round a moment later takes several of them instead of one round each.
                        // A lone task (the last round long ago) is claimed at once.
                        if last_round.elapsed() < GATHER {
                            tokio::time::sleep(GATHER).await;
                        }
                    }
                    () = tokio::time::sleep(inner.config.poll_interval) => {}
                    () = inner.shutdown.cancelled() => return,
                }
            }
            let ahead = pace.ahead(&inner);
            let claimed = claim_round(&inner, &names, permits.len(), ahead).await;
            last_round = tokio::time::Instant::now();
            dry = claimed.len() < permits.len() + ahead;
            if !claimed.is_empty() {
                break claimed;
            }
        };
        for (task, lease) in claimed {
            // Registered before the run starts, so the next round counts it against its
            // definition's concurrency, and a Stop finds it while it waits.
            let handles = register(&inner, &task);
            let slot = match permits.pop() {
                Some(permit) => Slot::Held(permit),
                None => {
                    let (hand, receive) = oneshot::channel();
                    in_line.push_back(hand);
                    Slot::Wait(receive)
                }
            };
            let inner_for_task = inner.clone();
            inner
                .tasks
                .spawn(run(inner_for_task, task, lease, slot, handles));
        }
        // Slots the claim did not fill go back (dropped here) so that ends can free them.
        drop(permits);
    }
}

/// A run's worker slot: taken by the dispatcher, or to be handed over by it.
enum Slot {
    Held(OwnedSemaphorePermit),
    Wait(oneshot::Receiver<OwnedSemaphorePermit>),
}

/// The pace at which runs end here, measured between claim rounds.
struct Turnover {
    ended: u64,
    at: tokio::time::Instant,
}

impl Turnover {
    fn new(inner: &Inner) -> Turnover {
        Turnover {
            ended: inner.runs_ended.load(std::sync::atomic::Ordering::Relaxed),
            at: tokio::time::Instant::now(),
        }
    }

    /// How many tasks to claim beyond the free slots: those that would end in [`AHEAD_HORIZON`]
    /// at the pace since the last round.
    fn ahead(&mut self, inner: &Inner) -> usize {
        let ended = inner.runs_ended.load(std::sync::atomic::Ordering::Relaxed);
        let now = tokio::time::Instant::now();
        let elapsed = now.duration_since(self.at).as_secs_f64().max(1e-4);
        let per_second = ended.saturating_sub(self.ended) as f64 / elapsed;
        self.ended = ended;
        self.at = now;
        ((per_second * AHEAD_HORIZON.as_secs_f64()) as usize).min(AHEAD_MAX)
    }
}

/// One round of claims for up to `budget` tasks, and `ahead` more of definitions without limits:
/// each definition with a concurrency limit gets at most its free places, the others share what
/// is left; oldest tasks first within each claim.
async fn claim_round(
    inner: &Inner,
    names: &[String],
    budget: usize,
    ahead: usize,
) -> Vec<(Task, Lease)> {
    let mut claimed = Vec::new();
    let mut budget = budget;
    let mut unlimited = Vec::new();
    for name in names {
        let settings = inner.executors.settings(name);
        if let Some(settings) = settings.filter(|s| s.is_paced()) {
            if budget > 0 && pace_allows(inner, name, settings) {
                let got = claim(inner, vec![name.clone()], 1).await;
                if !got.is_empty() {
                    budget -= 1;
                    pace_mark(inner, name, |pace, now| pace.last_start = Some(now));
                }
                claimed.extend(got);
            }
            continue;
        }
        match settings.and_then(|s| s.concurrency) {
            Some(limit) => {
                let free = limit.saturating_sub(running_named(inner, name));
                let limit = free.min(budget);
                if limit > 0 {
                    let got = claim(inner, vec![name.clone()], limit).await;
                    budget -= got.len().min(budget);
                    claimed.extend(got);
                }
            }
            None => unlimited.push(name.clone()),
        }
    }
    if budget > 0 && !unlimited.is_empty() {
        claimed.extend(claim(inner, unlimited, budget + ahead).await);
    }
    claimed
}

async fn claim(inner: &Inner, names: Vec<String>, limit: usize) -> Vec<(Task, Lease)> {
    let params = TaskClaimParams {
        names,
        owner: inner.node_id.clone(),
        limit,
        now: inner.clock.now(),
        lease_for: inner.config.lease,
        // Every task claimed here starts at once; marking them as part of the claim saves a
        // transaction per task.
        start: true,
    };
    match inner.store.task_claim_available(params).await {
        Ok(claimed) => claimed,
        Err(error) => {
            warn!(%error, "claim tasks failed");
            Vec::new()
        }
    }
}

/// Whether a paced definition may start now: nothing of it runs here, and its start interval and
/// minimum sleep time have passed since its last start and end.
fn pace_allows(inner: &Inner, name: &str, settings: &crate::DefinitionSettings) -> bool {
    if running_named(inner, name) > 0 {
        return false;
    }
    let now = inner.clock.now();
    let pace = inner
        .pacing
        .lock()
        .map(|p| p.get(&name.to_lowercase()).copied().unwrap_or_default())
        .unwrap_or_default();
    let passed = |since: Option<sobatch_core::Timestamp>, gap: Option<Duration>| match (since, gap)
    {
        (Some(since), Some(gap)) => chrono::Duration::from_std(gap)
            .ok()
            .and_then(|gap| since.checked_add_signed(gap))
            .is_none_or(|allowed| now >= allowed),
        _ => true,
    };
    passed(pace.last_start, settings.start_interval)
        && passed(pace.last_end, settings.minimum_sleep_time)
}

fn pace_mark(
    inner: &Inner,
    name: &str,
    mark: impl FnOnce(&mut crate::Pace, sobatch_core::Timestamp),
) {
    let now = inner.clock.now();
    if let Ok(mut pacing) = inner.pacing.lock() {
        mark(pacing.entry(name.to_lowercase()).or_default(), now);
    }
}

/// How many tasks of definition `name` this node runs now.
fn running_named(inner: &Inner, name: &str) -> usize {
    inner
        .running
        .lock()
        .map(|running| {
            running
                .values()
                .filter(|r| r.name.eq_ignore_ascii_case(name))
                .count()
        })
        .unwrap_or(0)
}

/// What a run needs to be cancelled and awaited.
struct RunHandles {
    token: CancellationToken,
    reason: Arc<Mutex<Option<CancelReason>>>,
    ended: Arc<Notify>,
}

fn register(inner: &Inner, task: &Task) -> RunHandles {
    let handles = RunHandles {
        token: CancellationToken::new(),
        reason: Arc::new(Mutex::new(None)),
        ended: Arc::new(Notify::new()),
    };
    if let Ok(mut running) = inner.running.lock() {
        running.insert(
            task.id,
            Running {
                name: task.name.clone(),
                token: handles.token.clone(),
                reason: handles.reason.clone(),
                ended: handles.ended.clone(),
            },
        );
    }
    handles
}

/// A task's end waiting to be written, and who waits for the answer.
pub(crate) struct Completion {
    end: TaskEnd,
    reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// The most completions one transaction writes.
const COMPLETIONS_PER_BATCH: usize = 256;

/// Writes the ends of tasks in batches: whatever queued up while the last batch committed goes
/// into the next, so a busy node commits once per batch instead of once per task, and a quiet one
/// writes each end at once. Runs until the node has left.
pub(crate) async fn finish_batches(
    inner: Arc<Inner>,
    mut queue: mpsc::UnboundedReceiver<Completion>,
) {
    loop {
        let first = tokio::select! {
            completion = queue.recv() => match completion {
                Some(completion) => completion,
                None => return,
            },
            () = inner.left.cancelled() => return,
        };
        let mut batch = vec![first];
        while batch.len() < COMPLETIONS_PER_BATCH
            && let Ok(more) = queue.try_recv()
        {
            batch.push(more);
        }
        let ends = batch.iter().map(|c| c.end.clone()).collect();
        match inner.store.task_finish_many(ends).await {
            Ok(written) if written.len() == batch.len() => {
                for (completion, written) in batch.into_iter().zip(written) {
                    let _ = completion.reply.send(Ok(written));
                }
            }
            // Nothing of the batch was written: one at a time, so that one bad row cannot keep
            // the others from their end.
            _ => {
                for Completion { end, reply } in batch {
                    let written = inner
                        .store
                        .task_finish(end.id, &end.lease, end.finish, end.now)
                        .await;
                    let _ = reply.send(written);
                }
            }
        }
    }
}

/// Records a task's end through the finisher; `false` if the lease was lost.
async fn finish(
    inner: &Inner,
    id: sobatch_core::TaskId,
    lease: &Lease,
    finish: TaskFinish,
    now: sobatch_core::Timestamp,
) -> Result<bool, StoreError> {
    let (reply, answer) = oneshot::channel();
    let end = TaskEnd {
        id,
        lease: lease.clone(),
        finish,
        now,
    };
    if let Err(mpsc::error::SendError(Completion { end, .. })) =
        inner.completions.send(Completion { end, reply })
    {
        // No finisher (the engine is not started, or has left): write it directly.
        return inner
            .store
            .task_finish(end.id, &end.lease, end.finish, end.now)
            .await;
    }
    answer
        .await
        .unwrap_or_else(|_| Err(StoreError::Database("the finisher stopped".into())))
}

/// Acts on what other nodes say: work to claim, and Stops of tasks running here. Runs until the
/// node has left (after shutdown), so that Stops reach tasks finishing their grace period.
pub(crate) async fn listen(inner: Arc<Inner>, mut signals: mpsc::Receiver<Signal>) {
    loop {
        let signal = tokio::select! {
            signal = signals.recv() => signal,
            () = inner.left.cancelled() => return,
        };
        match signal {
            None => return,
            Some(Signal::Work | Signal::Resync) => {
                inner.wake.notify_one();
                inner.remote_wake.notify_waiters();
            }
            Some(Signal::Stop { task, lease_owner }) if lease_owner == inner.node_id => {
                let running = inner.running.lock().ok().and_then(|running| {
                    running
                        .get(&task)
                        .map(|entry| (entry.token.clone(), entry.reason.clone()))
                });
                if let Some((token, reason)) = running {
                    info!(task_id = task.0, "stop requested through another node");
                    cancel(&token, &reason, CancelReason::Stop);
                }
            }
            Some(Signal::Stop { .. }) => {}
        }
    }
}

/// Waits until this node leads maintenance; `false` when shutdown came first.
async fn lead(inner: &Inner, leader: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        leading = leader.wait_for(|leading| *leading) => leading.is_ok(),
        () = inner.shutdown.cancelled() => false,
    }
}

/// Returns tasks whose lease expired to `New`, so that a crash loses nothing. Only the leader
/// does it; it would be safe on every node (each row is decided under its lock), only wasteful.
pub(crate) async fn rescue(inner: Arc<Inner>, mut leader: watch::Receiver<bool>) {
    let policy = RescuePolicy::new(STOPPED_RESULT, crate::text::RESTARTS_EXHAUSTED);
    // Checked at least as often as the dispatcher polls, so an expired lease is noticed within a
    // poll interval of expiring; the query only touches the index of leased tasks.
    let every = (inner.config.lease / 2)
        .min(inner.config.poll_interval)
        .max(Duration::from_millis(50));
    loop {
        if !lead(&inner, &mut leader).await {
            return;
        }
        match inner
            .store
            .task_rescue_expired(&policy, inner.clock.now())
            .await
        {
            Ok(rescued) if !rescued.is_empty() => {
                info!(count = rescued.len(), "rescued tasks whose lease expired");
                inner.wake.notify_one();
                inner.store.work_announce();
            }
            Ok(_) => {}
            Err(error) => warn!(%error, "rescue expired leases failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = inner.shutdown.cancelled() => return,
        }
    }
}

/// The name of the system task that applies retention.
pub(crate) const PRUNE: &str = "Prune";

/// Starts a `Prune` system task every retention interval, unless one is still waiting or running.
/// Only the leader does it, so that a cluster starts one, not one per node.
pub(crate) async fn retain(inner: Arc<Inner>, mut leader: watch::Receiver<bool>) {
    let retention = inner.config.retention.clone();
    if retention.succeeded.is_none() && retention.failed.is_none() {
        return;
    }
    loop {
        tokio::select! {
            () = tokio::time::sleep(retention.interval) => {}
            () = inner.shutdown.cancelled() => return,
        }
        if !lead(&inner, &mut leader).await {
            return;
        }
        let pending = TaskFilter {
            owners: Visibility::SystemOnly.into(),
            state: StateSelector::All,
            name: Some(PRUNE.to_string()),
        };
        let busy = match inner.store.task_list(&pending).await {
            Ok(tasks) => tasks.iter().any(|t| !t.state.is_terminal()),
            Err(error) => {
                warn!(%error, "look for a pending Prune task failed");
                continue;
            }
        };
        if busy {
            continue;
        }
        let start = TaskStart::new(PRUNE, AssociateId::SYSTEM);
        match inner.store.task_insert(start, inner.clock.now()).await {
            Ok(_) => {
                inner.wake.notify_one();
                inner.store.work_announce();
            }
            Err(error) => warn!(%error, "start the Prune system task failed"),
        }
    }
}

/// Runs one claimed task to its end.
async fn run(inner: Arc<Inner>, task: Task, mut lease: Lease, slot: Slot, handles: RunHandles) {
    let id = task.id;
    let RunHandles {
        token,
        reason,
        ended,
    } = handles;
    let finished = supervise(&inner, task, &mut lease, &token, &reason, slot).await;
    if let Err(error) = finished {
        warn!(task_id = id.0, %error, "recording the end of a task failed; the rescuer will retry it");
    }
    let name = inner
        .running
        .lock()
        .ok()
        .and_then(|mut running| running.remove(&id))
        .map(|r| r.name);
    if let Some(name) = name
        && let Some(settings) = inner.executors.settings(&name)
    {
        if settings.is_paced() {
            pace_mark(&inner, &name, |pace, now| pace.last_end = Some(now));
        }
        // A limited definition's next task may now be due, though the last round found no
        // room for it; do not make it wait for the poll.
        if settings.is_paced() || settings.concurrency.is_some() {
            inner.wake.notify_one();
        }
    }
    ended.notify_waiters();
}

async fn supervise(
    inner: &Arc<Inner>,
    task: Task,
    lease: &mut Lease,
    token: &CancellationToken,
    reason: &Arc<Mutex<Option<CancelReason>>>,
    slot: Slot,
) -> Result<(), sobatch_store::StoreError> {
    let id = task.id;
    let Some(executor) = inner.executors.get(&task.name) else {
        // Claimed by name, so this only happens if the registry changed; give it back.
        inner
            .store
            .task_release(id, lease, STOPPED_RESULT, inner.clock.now())
            .await?;
        return Ok(());
    };
    let task = if task.state == TaskState::Started {
        // The claim started it.
        task
    } else {
        let now = inner.clock.now();
        lease.expires = expiry(inner, now);
        let Some(task) = inner.store.task_mark_started(id, lease, now).await? else {
            debug!(task_id = id.0, "task was stopped or lost before it started");
            return Ok(());
        };
        task
    };
    let permit = match slot {
        Slot::Held(permit) => permit,
        Slot::Wait(handed) => match wait_for_slot(inner, id, lease, token, reason, handed).await {
            Some(permit) => permit,
            None => return end_unrun(inner, id, lease, reason).await,
        },
    };
    info!(task_id = id.0, task_name = %task.name, attempt = task.start_count, "task started");

    let name = task.name.clone();
    let (mut handle, mut progress_rx) =
        spawn_passes(&inner.executors, executor, task, token.clone());

    let heartbeat_every = (inner.config.lease / 3).max(Duration::from_millis(50));
    let timeout = inner
        .executors
        .settings(&name)
        .and_then(|settings| settings.timeout);
    let deadline = timeout.map(|timeout| tokio::time::Instant::now() + timeout);
    let cancel_grace = inner
        .executors
        .settings(&name)
        .and_then(|settings| settings.cancel_grace)
        .unwrap_or(CANCEL_GRACE);
    let mut next_heartbeat = tokio::time::Instant::now() + heartbeat_every;
    let mut progress_open = true;
    let mut progress_due: Option<tokio::time::Instant> = None;
    let mut cancel_seen = false;
    let mut abort_at: Option<tokio::time::Instant> = None;
    let joined = loop {
        tokio::select! {
            // An ended run goes first: nothing else it reported is worth a write of its own.
            biased;
            joined = &mut handle => break joined,
            () = sleep_until_some(deadline), if !cancel_seen => {
                cancel(token, reason, CancelReason::Timeout);
            }
            () = token.cancelled(), if !cancel_seen => {
                cancel_seen = true;
                abort_at = Some(tokio::time::Instant::now() + cancel_grace);
            }
            () = sleep_until_some(abort_at) => {
                warn!(task_id = id.0, "executor ignored cancellation; aborting it");
                handle.abort();
                abort_at = None;
            }
            changed = progress_rx.changed(), if progress_open && progress_due.is_none() => {
                if changed.is_err() {
                    progress_open = false;
                    continue;
                }
                // Coalesce a burst of reports into one write, without holding up the end of a
                // task that reports and finishes at once.
                progress_due = Some(tokio::time::Instant::now() + PROGRESS_MIN_INTERVAL);
            }
            () = sleep_until_some(progress_due) => {
                progress_due = None;
                let report = progress_rx.borrow_and_update().clone();
                let progress = TaskProgress {
                    percent: Some(report.percent),
                    description: report.description.map(|mut d| { truncate_chars(&mut d, TEXT_MAX); d }),
                };
                heartbeat(inner, id, lease, progress, token, reason).await;
                next_heartbeat = tokio::time::Instant::now() + heartbeat_every;
            }
            () = tokio::time::sleep_until(next_heartbeat) => {
                heartbeat(inner, id, lease, TaskProgress::default(), token, reason).await;
                next_heartbeat = tokio::time::Instant::now() + heartbeat_every;
            }
        }
    };

    // The executor is done: its slot may take the next task while the end is written.
    drop(permit);
    inner
        .runs_ended
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let cancel_reason = reason.lock().ok().and_then(|r| *r);
    let now = inner.clock.now();
    match cancel_reason {
        Some(CancelReason::LeaseLost) => {
            warn!(
                task_id = id.0,
                "lease lost while running; the outcome is not recorded"
            );
            return Ok(());
        }
        Some(CancelReason::Shutdown) => {
            info!(task_id = id.0, "task handed back at shutdown");
            inner
                .store
                .task_release(id, lease, STOPPED_RESULT, now)
                .await?;
            // Another node may run it now.
            inner.store.work_announce();
            return Ok(());
        }
        Some(CancelReason::Stop) => {
            info!(task_id = id.0, "task stopped");
            finish(inner, id, lease, failed(STOPPED_RESULT.to_string()), now).await?;
            return Ok(());
        }
        Some(CancelReason::Timeout) => {
            let seconds = timeout.map_or(0.0, |t| t.as_secs_f64());
            info!(task_id = id.0, seconds, "task timed out");
            finish(
                inner,
                id,
                lease,
                failed(crate::text::task_timed_out(seconds)),
                now,
            )
            .await?;
            return Ok(());
        }
        None => {}
    }
    let last = progress_rx.borrow().clone();
    let outcome = match joined {
        Ok(Ok(outcome)) => succeeded(outcome, last),
        Ok(Err(TaskFailure { result })) => failed(result),
        Err(join_error) => failed(panic_text(join_error)),
    };
    info!(task_id = id.0, state = %outcome.state, "task ended");
    if !finish(inner, id, lease, outcome, now).await? {
        warn!(
            task_id = id.0,
            "lease lost before the task ended; its outcome is not recorded"
        );
    }
    Ok(())
}

/// Waits in line for a worker slot, keeping the lease alive meanwhile; `None` if the task was
/// stopped, lost its lease, or shutdown began first (the reason says which).
async fn wait_for_slot(
    inner: &Arc<Inner>,
    id: sobatch_core::TaskId,
    lease: &mut Lease,
    token: &CancellationToken,
    reason: &Arc<Mutex<Option<CancelReason>>>,
    mut handed: oneshot::Receiver<OwnedSemaphorePermit>,
) -> Option<OwnedSemaphorePermit> {
    let heartbeat_every = (inner.config.lease / 3).max(Duration::from_millis(50));
    let mut next_heartbeat = tokio::time::Instant::now() + heartbeat_every;
    loop {
        tokio::select! {
            biased;
            () = inner.shutdown.cancelled() => {
                if let Ok(mut slot) = reason.lock() {
                    slot.get_or_insert(CancelReason::Shutdown);
                }
                return None;
            }
            () = token.cancelled() => return None,
            permit = &mut handed => match permit {
                Ok(permit) => return Some(permit),
                // The dispatcher has stopped: the node is shutting down.
                Err(_) => {
                    if let Ok(mut slot) = reason.lock() {
                        slot.get_or_insert(CancelReason::Shutdown);
                    }
                    return None;
                }
            },
            () = tokio::time::sleep_until(next_heartbeat) => {
                heartbeat(inner, id, lease, TaskProgress::default(), token, reason).await;
                next_heartbeat = tokio::time::Instant::now() + heartbeat_every;
            }
        }
    }
}

/// Records the end of a task that never ran: handed back at shutdown, failed when stopped, left
/// alone when its lease is gone.
async fn end_unrun(
    inner: &Arc<Inner>,
    id: sobatch_core::TaskId,
    lease: &Lease,
    reason: &Arc<Mutex<Option<CancelReason>>>,
) -> Result<(), sobatch_store::StoreError> {
    let now = inner.clock.now();
    match reason.lock().ok().and_then(|r| *r) {
        Some(CancelReason::LeaseLost) => {}
        Some(CancelReason::Stop | CancelReason::Timeout) => {
            info!(task_id = id.0, "task stopped before it ran");
            finish(inner, id, lease, failed(STOPPED_RESULT.to_string()), now).await?;
        }
        Some(CancelReason::Shutdown) | None => {
            inner
                .store
                .task_release(id, lease, STOPPED_RESULT, now)
                .await?;
            inner.store.work_announce();
        }
    }
    Ok(())
}

/// Extends the lease and writes progress; cancels the executor if the task was stopped elsewhere
/// or its lease is gone.
async fn heartbeat(
    inner: &Arc<Inner>,
    id: sobatch_core::TaskId,
    lease: &mut Lease,
    progress: TaskProgress,
    token: &CancellationToken,
    reason: &Arc<Mutex<Option<CancelReason>>>,
) {
    let now = inner.clock.now();
    let mut extended = lease.clone();
    extended.expires = expiry(inner, now);
    match inner
        .store
        .task_heartbeat(id, &extended, progress, now)
        .await
    {
        Ok(LeaseCheck::Held { stop_requested }) => {
            *lease = extended;
            if stop_requested {
                cancel(token, reason, CancelReason::Stop);
            }
        }
        Ok(LeaseCheck::Lost) => cancel(token, reason, CancelReason::LeaseLost),
        // A failed heartbeat is retried at the next one; the lease still has time left.
        Err(error) => warn!(task_id = id.0, %error, "heartbeat failed"),
    }
}

/// Sleeps until `at`, or for ever when there is no deadline.
pub(crate) async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn cancel(token: &CancellationToken, reason: &Arc<Mutex<Option<CancelReason>>>, why: CancelReason) {
    if let Ok(mut slot) = reason.lock() {
        slot.get_or_insert(why);
    }
    token.cancel();
}

fn expiry(inner: &Inner, now: sobatch_core::Timestamp) -> sobatch_core::Timestamp {
    now + chrono::Duration::from_std(inner.config.lease).unwrap_or(chrono::Duration::seconds(30))
}

fn succeeded(outcome: TaskOutcome, last: ReportedProgress) -> TaskFinish {
    let state = match outcome.state {
        TaskState::SucceededManualCleanup => TaskState::SucceededManualCleanup,
        _ => TaskState::Succeeded,
    };
    TaskFinish {
        state,
        result: outcome.result.map(cut),
        response: outcome.response.map(cut),
        progress_percent: Some(100.max(last.percent)),
        progress_description: last.description.map(cut),
        file_name: outcome.file_name,
    }
}

fn failed(result: String) -> TaskFinish {
    TaskFinish {
        state: TaskState::Failed,
        result: Some(cut(result)),
        response: None,
        progress_percent: None,
        progress_description: None,
        file_name: None,
    }
}

fn cut(mut text: String) -> String {
    truncate_chars(&mut text, TEXT_MAX);
    text
}

fn panic_text(error: tokio::task::JoinError) -> String {
    if !error.is_panic() {
        return "the executor was cancelled".to_string();
    }
    let payload = error.into_panic();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    crate::text::task_panicked(&message)
}

pub(crate) async fn shutdown(inner: &Arc<Inner>) {
    inner.shutdown.cancel();
    inner.tasks.close();
    if tokio::time::timeout(inner.config.shutdown_grace, inner.tasks.wait())
        .await
        .is_ok()
    {
        inner.left.cancel();
        return;
    }
    let left = {
        let Ok(running) = inner.running.lock() else {
            return;
        };
        for entry in running.values() {
            if let Ok(mut slot) = entry.reason.lock() {
                slot.get_or_insert(CancelReason::Shutdown);
            }
            entry.token.cancel();
        }
        running.len()
    };
    info!(
        count = left,
        "grace period over; handing running tasks back"
    );
    let _ = tokio::time::timeout(RELEASE_WAIT, inner.tasks.wait()).await;
    inner.left.cancel();
}
