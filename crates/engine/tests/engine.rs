//! The engine driven directly over a real SQLite store: leases, rescue with an injected clock,
//! lost leases, shutdown hand-back, and the operations' rules.

// Tests may panic on unexpected results; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use sobatch_core::{AssociateId, TaskId, TaskStart, TaskState};
use sobatch_engine::{
    Caller, Clock, DefinitionSettings, Engine, EngineConfig, EngineError, ExecutorRegistry, Owner,
    StopReply, TaskContext, TaskFailure, TaskOutcome,
};
use sobatch_store::{SqliteStore, Store, TaskClaimParams};

/// A clock the test moves by hand.
struct ManualClock(Mutex<sobatch_core::Timestamp>);

impl ManualClock {
    fn new() -> Arc<Self> {
        Arc::new(ManualClock(Mutex::new(chrono::Utc::now())))
    }

    fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now += chrono::Duration::from_std(by).unwrap();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> sobatch_core::Timestamp {
        *self.0.lock().unwrap()
    }
}

struct Block;

#[async_trait]
impl sobatch_engine::Executor for Block {
    async fn run(&self, ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        ctx.cancelled().await;
        Err(TaskFailure::new("cancelled"))
    }
}

/// Ignores cancellation entirely.
struct Stubborn;

#[async_trait]
impl sobatch_engine::Executor for Stubborn {
    async fn run(&self, _ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Asks for another pass until it has run three.
struct ThreePasses(std::sync::atomic::AtomicUsize);

#[async_trait]
impl sobatch_engine::Executor for ThreePasses {
    async fn run(&self, ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        let pass = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        ctx.progress(
            i16::try_from(pass * 30).unwrap_or(100),
            format!("pass {pass}"),
        );
        let outcome = TaskOutcome::succeeded().with_response(format!("pass {pass}"));
        Ok(if pass < 3 {
            outcome.with_another_pass()
        } else {
            outcome
        })
    }
}

/// Starts a task through the engine, as the user.
async fn start(s: &Setup, name: &str) -> TaskId {
    s.engine
        .task_start(&USER, Owner::Caller, TaskStart::new(name, USER.id))
        .await
        .unwrap()
}

/// A task that a node claimed and started with a 30 s lease, and then died.
async fn start_on_dead_node(s: &Setup, name: &str) -> TaskId {
    let id = s
        .store
        .task_insert(TaskStart::new(name, USER.id), s.clock.now())
        .await
        .unwrap();
    let (_, lease) = s
        .store
        .task_claim_available(TaskClaimParams {
            names: vec![name.into()],
            owner: "dead-node".into(),
            limit: 1,
            now: s.clock.now(),
            lease_for: Duration::from_secs(30),
            start: false,
        })
        .await
        .unwrap()
        .remove(0);
    s.store
        .task_mark_started(id, &lease, s.clock.now())
        .await
        .unwrap()
        .unwrap();
    id
}

struct Setup {
    engine: Engine,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn setup(config: EngineConfig) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("e.db")).unwrap());
    let clock = ManualClock::new();
    let mut executors = ExecutorRegistry::with_builtins();
    executors.register("Block", Block);
    executors.register("Stubborn", Stubborn);
    executors.register_with(
        "Single",
        Block,
        DefinitionSettings {
            concurrency: Some(1),
            ..DefinitionSettings::default()
        },
    );
    executors.register_with(
        "Paced",
        sobatch_engine::executor::Echo,
        DefinitionSettings {
            start_interval: Some(Duration::from_secs(60)),
            ..DefinitionSettings::default()
        },
    );
    executors.register_with(
        "Rested",
        sobatch_engine::executor::Echo,
        DefinitionSettings {
            minimum_sleep_time: Some(Duration::from_secs(30)),
            ..DefinitionSettings::default()
        },
    );
    executors.register_with(
        "MultiPass",
        ThreePasses(std::sync::atomic::AtomicUsize::new(0)),
        DefinitionSettings {
            is_multi_pass: true,
            ..DefinitionSettings::default()
        },
    );
    executors.register_with(
        "OneShot",
        Block,
        DefinitionSettings {
            auto_restart_count: 0,
            ..DefinitionSettings::default()
        },
    );
    executors.register_with(
        "Slow",
        Block,
        DefinitionSettings {
            kind: "embedded",
            timeout: Some(Duration::from_millis(200)),
            cancellation: Some(sobatch_core::CancellationBehaviour::CannotCancel),
            ..DefinitionSettings::default()
        },
    );
    let engine = Engine::new(store.clone(), executors, config, clock.clone());
    Setup {
        engine,
        store,
        clock,
        _dir: dir,
    }
}

const ADMIN: Caller = Caller {
    id: AssociateId(1),
    is_admin: true,
    is_worker: false,
    application: None,
};
const USER: Caller = Caller {
    id: AssociateId(2),
    is_admin: false,
    is_worker: false,
    application: None,
};

async fn wait_state(store: &Arc<dyn Store>, id: TaskId, state: TaskState) -> sobatch_core::Task {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let task = store.task_get(id).await.unwrap().unwrap();
        if task.state == state {
            return task;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "task {id} stayed {:?}, wanted {state:?}",
            task.state
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn only_admins_start_system_tasks() {
    let s = setup(EngineConfig::default());
    let error = s
        .engine
        .task_start(&USER, Owner::System, TaskStart::new("X", AssociateId(0)))
        .await
        .unwrap_err();
    assert!(matches!(error, EngineError::Forbidden(_)));
    let id = s
        .engine
        .task_start(&ADMIN, Owner::System, TaskStart::new("X", AssociateId(9)))
        .await
        .unwrap();
    let task = s.store.task_get(id).await.unwrap().unwrap();
    assert_eq!(task.associate_id, AssociateId::SYSTEM);
    let id = s
        .engine
        .task_start(&USER, Owner::Caller, TaskStart::new("X", AssociateId(9)))
        .await
        .unwrap();
    assert_eq!(
        s.store.task_get(id).await.unwrap().unwrap().associate_id,
        USER.id
    );
}

#[tokio::test]
async fn a_blank_name_is_invalid() {
    let s = setup(EngineConfig::default());
    let error = s
        .engine
        .task_start(&USER, Owner::Caller, TaskStart::new(" ", USER.id))
        .await
        .unwrap_err();
    assert!(matches!(error, EngineError::Invalid(_)));
}

#[tokio::test]
async fn a_task_whose_node_died_is_rescued_when_its_lease_expires() {
    let s = setup(EngineConfig {
        lease: Duration::from_secs(30),
        ..EngineConfig::default()
    });
    // A "dead node" claims and starts the task, then never heartbeats.
    let id = start_on_dead_node(&s, "Echo").await;

    s.engine.start();
    // Within the lease nothing happens to it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        s.store.task_get(id).await.unwrap().unwrap().state,
        TaskState::Started
    );
    // Past it, the rescuer hands it back; once the restart backoff (at most 1 s after a first
    // start) has passed, this engine runs it again.
    s.clock.advance(Duration::from_secs(31));
    wait_state(&s.store, id, TaskState::New).await;
    s.clock.advance(Duration::from_secs(1));
    let task = wait_state(&s.store, id, TaskState::Succeeded).await;
    assert_eq!(task.start_count, 2);
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_worker_that_lost_its_lease_records_nothing() {
    let s = setup(EngineConfig {
        lease: Duration::from_millis(300),
        ..EngineConfig::default()
    });
    s.engine.start();
    let id = start(&s, "Block").await;
    wait_state(&s.store, id, TaskState::Started).await;
    // Time jumps past the lease; another node's rescuer gives the task back before our heartbeat.
    s.clock.advance(Duration::from_secs(60));
    // (This engine's own rescuer may get there first; either way the task is back to New.)
    s.store
        .task_rescue_expired(
            &sobatch_store::RescuePolicy::new("stopped", "exhausted"),
            s.clock.now(),
        )
        .await
        .unwrap();
    // Past the restart backoff, so this engine may claim it again.
    s.clock.advance(Duration::from_secs(2));
    // Our heartbeat now finds the lease gone and cancels the executor; the task is not failed by
    // it. This engine may claim it again, so it ends Started (a second run) or New, never Failed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let task = s.store.task_get(id).await.unwrap().unwrap();
        assert_ne!(task.state, TaskState::Failed);
        if task.start_count >= 2 || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        s.engine.task_stop(id).await.unwrap(),
        StopReply::Stopped(true)
    );
    wait_state(&s.store, id, TaskState::Failed).await;
    s.engine.shutdown().await;
}

#[tokio::test]
async fn shutdown_hands_running_tasks_back() {
    let s = setup(EngineConfig {
        shutdown_grace: Duration::from_millis(50),
        ..EngineConfig::default()
    });
    s.engine.start();
    let id = start(&s, "Block").await;
    wait_state(&s.store, id, TaskState::Started).await;
    s.engine.shutdown().await;
    let task = s.store.task_get(id).await.unwrap().unwrap();
    assert_eq!(task.state, TaskState::New);
    assert_eq!(s.engine.running_count(), 0);
}

#[tokio::test]
async fn stop_and_delete_of_missing_tasks_are_harmless() {
    let s = setup(EngineConfig::default());
    assert_eq!(
        s.engine.task_stop(TaskId(999)).await.unwrap(),
        StopReply::NotFound
    );
    assert_eq!(s.engine.task_delete(&[TaskId(999)]).await.unwrap(), 0);
}

#[tokio::test]
async fn an_executor_that_ignores_stop_is_aborted_and_the_task_fails() {
    let s = setup(EngineConfig::default());
    s.engine.start();
    let id = start(&s, "Stubborn").await;
    wait_state(&s.store, id, TaskState::Started).await;
    assert_eq!(
        s.engine.task_stop(id).await.unwrap(),
        StopReply::Stopped(true)
    );
    let task = wait_state(&s.store, id, TaskState::Failed).await;
    assert_eq!(task.result.as_deref(), Some(sobatch_engine::STOPPED_RESULT));
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_run_past_its_timeout_fails_saying_so() {
    let s = setup(EngineConfig::default());
    s.engine.start();
    let id = start(&s, "slow").await;
    let task = wait_state(&s.store, id, TaskState::Failed).await;
    assert_eq!(
        task.result.as_deref(),
        Some("[SR_SOBATCH_TASK_TIMED_OUT:0.2]")
    );
    assert_eq!(task.start_count, 1);
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_definition_default_cancellation_applies_unless_the_start_chooses() {
    let s = setup(EngineConfig::default());
    let id = start(&s, "Slow").await;
    let task = s.store.task_get(id).await.unwrap().unwrap();
    assert_eq!(
        task.cancellation,
        sobatch_core::CancellationBehaviour::CannotCancel
    );
    let mut start = TaskStart::new("Slow", USER.id);
    start.cancellation = Some(sobatch_core::CancellationBehaviour::CanCancel);
    let id = s
        .engine
        .task_start(&USER, Owner::Caller, start)
        .await
        .unwrap();
    let task = s.store.task_get(id).await.unwrap().unwrap();
    assert_eq!(
        task.cancellation,
        sobatch_core::CancellationBehaviour::CanCancel
    );
}

#[tokio::test]
async fn a_task_with_no_restarts_left_fails_when_its_node_dies() {
    let s = setup(EngineConfig::default());
    s.engine.definitions_sync().await.unwrap();
    let id = start_on_dead_node(&s, "OneShot").await;
    s.engine.start();
    s.clock.advance(Duration::from_secs(31));
    let task = wait_state(&s.store, id, TaskState::Failed).await;
    assert_eq!(
        task.result.as_deref(),
        Some(sobatch_engine::text::RESTARTS_EXHAUSTED)
    );
    s.engine.shutdown().await;
}

#[tokio::test]
async fn finished_tasks_go_when_their_retention_is_over() {
    let s = setup(EngineConfig {
        retention: sobatch_engine::RetentionConfig {
            succeeded: Some(Duration::from_secs(3600)),
            failed: None,
            events: Some(Duration::from_secs(1800)),
            interval: Duration::from_millis(20),
        },
        ..EngineConfig::default()
    });
    s.engine.start();
    let echo = start(&s, "Echo").await;
    let fail = start(&s, "Fail").await;
    wait_state(&s.store, echo, TaskState::Succeeded).await;
    wait_state(&s.store, fail, TaskState::Failed).await;
    s.clock.advance(Duration::from_secs(3601));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while s.store.task_get(echo).await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "never pruned");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        s.store.task_get(fail).await.unwrap().is_some(),
        "failed tasks are kept without a failed retention"
    );
    // Their events are not: the event log has a retention of its own.
    while !s
        .store
        .event_list_for_task(fail, 10)
        .await
        .unwrap()
        .is_empty()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "events never pruned"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Retention ran as Prune system tasks (AssociateId 0), which are themselves finished tasks.
    let prunes = s
        .store
        .task_list(&sobatch_store::TaskFilter {
            owners: sobatch_core::Visibility::SystemOnly.into(),
            state: sobatch_core::StateSelector::All,
            name: Some("prune".into()),
        })
        .await
        .unwrap();
    assert!(prunes.iter().any(|t| {
        t.state == TaskState::Succeeded
            && t.associate_id == sobatch_core::AssociateId::SYSTEM
            && t.response
                .as_deref()
                .is_some_and(|r| r.parse::<u64>().is_ok())
    }));
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_definition_runs_no_more_tasks_at_once_than_its_concurrency() {
    let s = setup(EngineConfig {
        shutdown_grace: Duration::from_millis(50),
        ..EngineConfig::default()
    });
    s.engine.start();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(start(&s, "Single").await);
    }
    wait_state(&s.store, ids[0], TaskState::Started).await;
    // Other work goes on meanwhile, and by the time it is done the dispatcher has had its chances.
    let echo = start(&s, "Echo").await;
    wait_state(&s.store, echo, TaskState::Succeeded).await;
    for &id in &ids[1..] {
        assert_eq!(
            s.store.task_get(id).await.unwrap().unwrap().state,
            TaskState::New
        );
    }
    assert_eq!(
        s.engine.task_stop(ids[0]).await.unwrap(),
        StopReply::Stopped(true)
    );
    wait_state(&s.store, ids[1], TaskState::Started).await;
    assert_eq!(
        s.store.task_get(ids[2]).await.unwrap().unwrap().state,
        TaskState::New
    );
    s.engine.shutdown().await;
}

#[tokio::test]
async fn start_interval_and_minimum_sleep_time_space_the_runs_of_a_definition() {
    let s = setup(EngineConfig::default());
    s.engine.start();
    for (name, gap) in [("Paced", 61), ("Rested", 31)] {
        let first = s
            .engine
            .task_start(&USER, Owner::Caller, TaskStart::new(name, USER.id))
            .await
            .unwrap();
        let second = s
            .engine
            .task_start(&USER, Owner::Caller, TaskStart::new(name, USER.id))
            .await
            .unwrap();
        wait_state(&s.store, first, TaskState::Succeeded).await;
        // Other work runs meanwhile; the second run of this definition has to wait.
        let echo = start(&s, "Echo").await;
        wait_state(&s.store, echo, TaskState::Succeeded).await;
        assert_eq!(
            s.store.task_get(second).await.unwrap().unwrap().state,
            TaskState::New,
            "{name}"
        );
        s.clock.advance(Duration::from_secs(gap));
        wait_state(&s.store, second, TaskState::Succeeded).await;
    }
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_multi_pass_definition_reruns_its_body_until_it_is_done() {
    let s = setup(EngineConfig::default());
    s.engine.start();
    let id = start(&s, "MultiPass").await;
    let task = wait_state(&s.store, id, TaskState::Succeeded).await;
    assert_eq!(task.response.as_deref(), Some("pass 3"));
    assert_eq!(task.start_count, 1);
    s.engine.shutdown().await;
}

/// Every task of `name` in `state`, by id.
async fn named_in(s: &Setup, name: &str, state: TaskState) -> Vec<TaskId> {
    let filter = sobatch_store::TaskFilter {
        owners: sobatch_core::Visibility::Both.into(),
        state: sobatch_core::StateSelector::Only(state),
        name: Some(name.into()),
    };
    let tasks = s.store.task_list(&filter).await.unwrap();
    tasks.iter().map(|t| t.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_claimed_ahead_of_free_slots_wait_their_turn_answer_stop_and_go_back_at_shutdown() {
    let s = setup(EngineConfig {
        workers: 1,
        shutdown_grace: Duration::from_millis(50),
        stop_wait: Duration::from_secs(5),
        ..EngineConfig::default()
    });
    // A run of quick tasks sets the pace that sizes claims ahead; the blocking ones after them
    // are then claimed several at a time, though only one slot exists.
    let quick = (0..400).map(|_| TaskStart::new("Echo", USER.id)).collect();
    s.store
        .task_insert_many(quick, TaskState::New, s.clock.now())
        .await
        .unwrap();
    let blocking = (0..50).map(|_| TaskStart::new("Block", USER.id)).collect();
    let blocking = s
        .store
        .task_insert_many(blocking, TaskState::New, s.clock.now())
        .await
        .unwrap();
    s.engine.start();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let waiting = loop {
        let started = named_in(&s, "Block", TaskState::Started).await;
        if started.len() >= 2 {
            break started;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no claim ahead: {started:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    // The quick tasks ran first (their ends may still be on the way to the database).
    assert!(named_in(&s, "Echo", TaskState::New).await.is_empty());
    // The oldest holds the one slot; a younger one waits, and a Stop ends it without a run.
    assert_eq!(waiting[0], blocking[0]);
    let queued = *waiting.last().unwrap();
    assert_eq!(
        s.engine.task_stop(queued).await.unwrap(),
        StopReply::Stopped(true)
    );
    let stopped = wait_state(&s.store, queued, TaskState::Failed).await;
    assert_eq!(
        stopped.result.as_deref(),
        Some(sobatch_engine::STOPPED_RESULT)
    );

    s.engine.shutdown().await;
    let left_running = named_in(&s, "Block", TaskState::Started).await;
    assert!(left_running.is_empty(), "still Started: {left_running:?}");
    let handed_back = named_in(&s, "Block", TaskState::New).await;
    assert_eq!(handed_back.len(), blocking.len() - 1);
    assert_eq!(s.engine.running_count(), 0);
}
