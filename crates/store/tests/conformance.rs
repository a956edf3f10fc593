//! The store conformance suite: every promise of the `Store` trait, written once against
//! `Arc<dyn Store>` and run on every backend by the `conformance!` macro (SQLite always; PostgreSQL
//! when `SOBATCH_TEST_POSTGRES_URL` names a server, on a fresh database per test).

// Helpers outside `#[test]` functions are test code too: an unwrap that fails is a failed test, as
// clippy.toml already allows inside the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "conformance/backend.rs"]
mod backend;
#[path = "conformance/cluster.rs"]
mod cluster;
#[path = "conformance/sqlite_only.rs"]
mod sqlite_only;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use sobatch_core::{
    AssociateId, CancellationBehaviour, Parameters, Role, StateSelector, Task, TaskId, TaskStart,
    TaskState, TaskUpdate, Timestamp,
};
use sobatch_store::{
    DefinitionConfig, Lease, LeaseCheck, OwnerFilter, RescuePolicy, Rescued, StopOutcome, Store,
    StoreError, TaskClaimParams, TaskEnd, TaskFilter, TaskFinish, TaskProgress, TaskPruneParams,
};

/// Instantiates each test once per backend: `backends` maps a module name to an async fixture that
/// returns `None` when that backend is not available here (the test then passes vacuously).
macro_rules! conformance {
    (backends: [$($backend:ident => $fixture:path),* $(,)?], tests: $tests:tt) => {
        $( conformance!(@backend $backend, $fixture, $tests); )*
    };
    (@backend $backend:ident, $fixture:path, [$($test:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(fixture) = $fixture().await else {
                        return;
                    };
                    super::$test(fixture.store()).await;
                }
            )*
        }
    };
}

// Declared after `conformance!`, which it uses too.
#[path = "conformance/query.rs"]
mod query;
#[path = "conformance/record.rs"]
mod record;

conformance! {
    // PostgreSQL's fixture returns `None` unless SOBATCH_TEST_POSTGRES_URL is set.
    backends: [
        on_sqlite => crate::backend::sqlite,
        on_postgres => crate::backend::postgres,
    ],
    tests: [
        a_fresh_database_has_a_ten_digit_serial_and_no_associates,
        associates_are_found_by_name_case_insensitively,
        a_duplicate_associate_name_is_a_conflict,
        a_started_task_reads_back_with_its_parameters_in_order,
        a_task_without_parameters_keeps_the_details_link_it_was_given,
        a_details_link_to_a_blob_the_task_does_not_own_is_not_read_as_parameters,
        an_unknown_name_creates_a_definition_that_later_spellings_reuse,
        a_configured_definition_limits_restarts_and_sets_defaults,
        a_rescued_task_waits_out_its_backoff_before_it_is_claimed_again,
        pruning_removes_finished_tasks_past_their_retention_with_their_blobs,
        reserved_ids_are_never_given_to_stored_tasks,
        a_task_takes_the_definition_cancellation_unless_it_names_its_own,
        an_unknown_task_id_reads_as_none,
        lists_select_owners_as_a_union,
        lists_filter_by_state_and_by_name_in_id_order,
        an_update_writes_only_the_members_it_names_and_counts_itself,
        an_update_of_an_unknown_task_returns_none,
        stop_follows_the_state_and_cancellation_table,
        stop_of_an_unknown_task_is_not_found,
        a_task_stopped_after_its_claim_never_starts,
        delete_removes_tasks_and_ignores_unknown_ids,
        claims_take_the_oldest_new_tasks_of_the_given_names_up_to_the_limit,
        a_claim_with_no_names_or_no_room_claims_nothing,
        a_claim_that_starts_counts_the_start_and_fences_like_any_other,
        mark_started_counts_the_start_and_extends_the_lease,
        a_stale_lease_cannot_start_heartbeat_finish_or_release_the_task,
        heartbeats_extend_the_lease_and_write_progress,
        finish_writes_the_outcome_and_ends_the_lease,
        finishing_many_answers_for_each_in_order_and_fences_each,
        rescue_returns_expired_tasks_to_new_or_fails_those_whose_stop_was_requested,
        release_returns_a_task_to_new_or_fails_it_when_stop_was_requested,
        concurrent_inserts_are_all_acknowledged_with_distinct_readable_ids,
        a_failing_write_does_not_undo_the_writes_committed_with_it,
        fail_running_fails_a_claimed_or_started_task_and_ends_its_lease,
        inserting_many_stores_each_as_one_insert_would_in_order,
        counts_by_state_leave_out_empty_states,
    ]
}

// ---------------------------------------------------------------------------------------------
// Helpers

const LEASE: Duration = Duration::from_secs(30);
const STOPPED: &str = "Stopped by request";

/// A fixed instant plus `seconds`: tests own the clock.
fn at(seconds: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_750_000_000 + seconds, 0).unwrap()
}

const EXHAUSTED: &str = "no restarts left";

fn policy() -> RescuePolicy {
    RescuePolicy::new(STOPPED, EXHAUSTED)
}

fn parameters(pairs: &[(&str, &str)]) -> Parameters {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn start(name: &str, owner: i32) -> TaskStart {
    TaskStart::new(name, AssociateId(owner))
}

async fn insert(store: &dyn Store, name: &str, owner: i32) -> TaskId {
    store.task_insert(start(name, owner), at(0)).await.unwrap()
}

async fn get(store: &dyn Store, id: TaskId) -> Task {
    store.task_get(id).await.unwrap().expect("the task exists")
}

async fn claim(
    store: &dyn Store,
    names: &[&str],
    limit: usize,
    now: Timestamp,
) -> Vec<(Task, Lease)> {
    store
        .task_claim_available(TaskClaimParams {
            names: names.iter().map(|n| n.to_string()).collect(),
            owner: "node-a".into(),
            limit,
            now,
            lease_for: LEASE,
            start: false,
        })
        .await
        .unwrap()
}

/// Inserts a task of a name of its own and claims it.
async fn claimed(store: &dyn Store, name: &str) -> (TaskId, Lease) {
    let id = insert(store, name, 1).await;
    let mut claimed = claim(store, &[name], 1, at(1)).await;
    assert_eq!(claimed.len(), 1, "the fresh task {name} is claimable");
    let (task, lease) = claimed.remove(0);
    assert_eq!(task.id, id);
    (id, lease)
}

/// Inserts, claims and starts a task; the returned lease is the one the start extended.
async fn started(store: &dyn Store, name: &str) -> (TaskId, Lease) {
    let (id, mut lease) = claimed(store, name).await;
    lease.expires = at(40);
    store
        .task_mark_started(id, &lease, at(2))
        .await
        .unwrap()
        .expect("the claimed task starts");
    (id, lease)
}

async fn set_state(store: &dyn Store, id: TaskId, state: TaskState) {
    let update = TaskUpdate {
        state: Some(state),
        ..TaskUpdate::default()
    };
    store
        .task_update(id, update, AssociateId(1), at(0))
        .await
        .unwrap()
        .expect("the task exists");
}

fn ids(tasks: &[Task]) -> Vec<TaskId> {
    tasks.iter().map(|t| t.id).collect()
}

fn all_of(owners: OwnerFilter) -> TaskFilter {
    TaskFilter {
        owners,
        state: StateSelector::All,
        name: None,
    }
}

fn everyone() -> OwnerFilter {
    OwnerFilter {
        system: true,
        all_users: true,
        users: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Database and associates

async fn a_fresh_database_has_a_ten_digit_serial_and_no_associates(store: Arc<dyn Store>) {
    let serial = store.database_serial();
    assert_eq!(serial.len(), 10, "serial {serial:?}");
    assert!(serial.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(store.associate_count().await.unwrap(), 0);
    assert!(
        store
            .task_list(&all_of(everyone()))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn associates_are_found_by_name_case_insensitively(store: Arc<dyn Store>) {
    let admin = store
        .associate_insert("Admin", Role::Admin, "$argon2id$hash-a", at(0))
        .await
        .unwrap();
    let user = store
        .associate_insert("kari", Role::User, "$argon2id$hash-k", at(0))
        .await
        .unwrap();
    assert!(admin.0 > 0 && user.0 > 0 && admin != user);
    assert_eq!(store.associate_count().await.unwrap(), 2);

    let found = store.associate_get_by_name("ADMIN").await.unwrap().unwrap();
    assert_eq!(found.id, admin);
    assert_eq!(found.name, "Admin");
    assert_eq!(found.role, Role::Admin);
    assert_eq!(found.password_hash, "$argon2id$hash-a");
    let found = store.associate_get_by_name("Kari").await.unwrap().unwrap();
    assert_eq!((found.id, found.role), (user, Role::User));
    let by_id = store.associate_get(user).await.unwrap().unwrap();
    assert_eq!((by_id.name.as_str(), by_id.role), ("kari", Role::User));
    assert!(
        store
            .associate_get(AssociateId(9999))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .associate_get_by_name("nobody")
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_duplicate_associate_name_is_a_conflict(store: Arc<dyn Store>) {
    store
        .associate_insert("admin", Role::Admin, "h1", at(0))
        .await
        .unwrap();
    let again = store
        .associate_insert("ADMIN", Role::User, "h2", at(1))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(store.associate_count().await.unwrap(), 1);
    let kept = store.associate_get_by_name("admin").await.unwrap().unwrap();
    assert_eq!(
        (kept.role, kept.password_hash.as_str()),
        (Role::Admin, "h1")
    );
}

// ---------------------------------------------------------------------------------------------
// Insert and read

async fn a_started_task_reads_back_with_its_parameters_in_order(store: Arc<dyn Store>) {
    let mut task = start("Echo", 7);
    task.parameters = Some(parameters(&[
        ("zeta", "1"),
        ("Alpha", "two"),
        ("æøå", "\"q\""),
    ]));
    task.description = "say it back".into();
    task.request = Some("request".into());
    task.response = Some("response".into());
    task.context = Some("ctx".into());
    task.file_name = Some("out.txt".into());
    task.cancellation = Some(CancellationBehaviour::CancelWithWarning);
    let id = store.task_insert(task, at(5)).await.unwrap();
    assert!(id.0 > 0);

    let task = get(store.as_ref(), id).await;
    assert_eq!(task.id, id);
    assert_eq!(task.name, "Echo");
    assert_eq!(task.associate_id, AssociateId(7));
    let read = task.parameters.as_ref().expect("parameters read back");
    assert_eq!(
        read.iter().collect::<Vec<_>>(),
        vec![("zeta", "1"), ("Alpha", "two"), ("æøå", "\"q\"")]
    );
    assert_eq!(task.details_table, sobatch_store::table::BINARY_OBJECT);
    assert!(task.details_record > 0);
    assert_eq!(task.state, TaskState::New);
    assert_eq!(task.created, at(5));
    assert_eq!((task.last_started, task.updated), (None, None));
    assert_eq!((task.start_count, task.updated_count), (0, 0));
    assert_eq!(task.progress_percent, 0);
    assert_eq!(task.progress_description, None);
    assert_eq!(
        task.database_serial.as_deref(),
        Some(store.database_serial())
    );
    assert_eq!(task.description, "say it back");
    assert_eq!(task.request.as_deref(), Some("request"));
    assert_eq!(task.response.as_deref(), Some("response"));
    assert_eq!(task.context.as_deref(), Some("ctx"));
    assert_eq!(task.result, None);
    assert_eq!(task.file_name.as_deref(), Some("out.txt"));
    assert_eq!(task.cancellation, CancellationBehaviour::CancelWithWarning);
    assert_eq!(
        store.task_list(&all_of(everyone())).await.unwrap(),
        vec![task.clone()]
    );

    // A second task of a name already known takes another way in; it must read back the same.
    let mut again = start("echo", 7);
    again.parameters = Some(parameters(&[("b", "2"), ("a", "1")]));
    let again = store.task_insert(again, at(6)).await.unwrap();
    let again = get(store.as_ref(), again).await;
    assert_eq!(again.name, "Echo");
    assert_eq!(
        again
            .parameters
            .as_ref()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        vec![("b", "2"), ("a", "1")]
    );
    assert_ne!(again.details_record, task.details_record);
    assert_eq!(again.cancellation, CancellationBehaviour::CanCancel);
    store.task_delete(&[again.id]).await.unwrap();
    assert_eq!(
        store.task_list(&all_of(everyone())).await.unwrap(),
        vec![task]
    );
}

async fn inserting_many_stores_each_as_one_insert_would_in_order(store: Arc<dyn Store>) {
    let mut with_parameters = start("Echo", 7);
    with_parameters.parameters = Some(parameters(&[("k", "v")]));
    let starts = vec![
        start("Report", 3),
        with_parameters,
        start("report", 0),
        start("Echo", 4),
    ];
    let ids = store
        .task_insert_many(starts, TaskState::New, at(9))
        .await
        .unwrap();
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|pair| pair[0].0 < pair[1].0), "{ids:?}");

    let tasks = store.task_list(&all_of(everyone())).await.unwrap();
    assert_eq!(self::ids(&tasks), ids);
    let names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
    // Both spellings of Report share the definition the first one created.
    assert_eq!(names, ["Report", "Echo", "Report", "Echo"]);
    assert!(
        tasks
            .iter()
            .all(|t| t.state == TaskState::New && t.created == at(9))
    );
    let read = tasks[1].parameters.as_ref().expect("parameters read back");
    assert_eq!(read.iter().collect::<Vec<_>>(), vec![("k", "v")]);
    assert_eq!(tasks[2].associate_id, AssociateId::SYSTEM);
    assert!(
        store
            .task_insert_many(Vec::new(), TaskState::New, at(9))
            .await
            .unwrap()
            .is_empty()
    );

    // History is imported in a finished state; a state that needs a lease is refused.
    let imported = store
        .task_insert_many(vec![start("Old", 1)], TaskState::Succeeded, at(1))
        .await
        .unwrap();
    assert_eq!(
        get(store.as_ref(), imported[0]).await.state,
        TaskState::Succeeded
    );
    for state in [TaskState::Started, TaskState::Aquired, TaskState::Unknown] {
        let refused = store
            .task_insert_many(vec![start("Old", 1)], state, at(1))
            .await;
        assert!(matches!(refused, Err(StoreError::Config(_))), "{state:?}");
    }
}

async fn counts_by_state_leave_out_empty_states(store: Arc<dyn Store>) {
    assert!(store.task_count_by_state().await.unwrap().is_empty());
    let (id, _) = started(store.as_ref(), "Count").await;
    for _ in 0..2 {
        insert(store.as_ref(), "Count", 1).await;
    }
    let later = insert(store.as_ref(), "Count", 1).await;
    set_state(store.as_ref(), later, TaskState::Failed).await;
    assert_eq!(
        store.task_count_by_state().await.unwrap(),
        vec![
            (TaskState::New, 2),
            (TaskState::Started, 1),
            (TaskState::Failed, 1)
        ]
    );
    assert_eq!(get(store.as_ref(), id).await.state, TaskState::Started);
}

async fn a_task_without_parameters_keeps_the_details_link_it_was_given(store: Arc<dyn Store>) {
    let mut task = start("Report", 3);
    task.details_table = 7;
    task.details_record = 4242;
    let id = store.task_insert(task, at(0)).await.unwrap();
    let task = get(store.as_ref(), id).await;
    assert_eq!((task.details_table, task.details_record), (7, 4242));
    assert_eq!(task.parameters, None);

    let plain = get(store.as_ref(), insert(store.as_ref(), "Report", 3).await).await;
    assert_eq!((plain.details_table, plain.details_record), (0, 0));
    assert_eq!(plain.parameters, None);
}

async fn a_details_link_to_a_blob_the_task_does_not_own_is_not_read_as_parameters(
    store: Arc<dyn Store>,
) {
    let mut owner = start("Echo", 1);
    owner.parameters = Some(parameters(&[("secret", "s")]));
    let owner = store.task_insert(owner, at(0)).await.unwrap();
    let blob = get(store.as_ref(), owner).await.details_record;

    let mut pointer = start("Echo", 2);
    pointer.details_table = sobatch_store::table::BINARY_OBJECT;
    pointer.details_record = blob;
    let pointer = store.task_insert(pointer, at(0)).await.unwrap();
    let read = get(store.as_ref(), pointer).await;
    assert_eq!((read.details_table, read.details_record), (205, blob));
    assert_eq!(read.parameters, None);

    // Deleting the pointing task leaves the other task's blob alone.
    assert_eq!(store.task_delete(&[pointer]).await.unwrap(), 1);
    assert_eq!(
        get(store.as_ref(), owner).await.parameters,
        Some(parameters(&[("secret", "s")]))
    );
}

async fn an_unknown_name_creates_a_definition_that_later_spellings_reuse(store: Arc<dyn Store>) {
    let first = insert(store.as_ref(), "MyReport", 1).await;
    let second = insert(store.as_ref(), "MYREPORT", 1).await;
    let third = insert(store.as_ref(), "myreport", 2).await;
    insert(store.as_ref(), "Other", 1).await;
    for id in [first, second, third] {
        assert_eq!(get(store.as_ref(), id).await.name, "MyReport");
    }
    let filter = TaskFilter {
        name: Some("mYrEpOrT".into()),
        ..all_of(everyone())
    };
    assert_eq!(
        ids(&store.task_list(&filter).await.unwrap()),
        vec![first, second, third]
    );
    let definitions = store.definition_list().await.unwrap();
    let names: Vec<&str> = definitions.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["MyReport", "Other"],
        "one row per name, by name"
    );
}

async fn a_task_takes_the_definition_cancellation_unless_it_names_its_own(store: Arc<dyn Store>) {
    let default = insert(store.as_ref(), "Sleep", 1).await;
    let mut own = start("sleep", 1);
    own.cancellation = Some(CancellationBehaviour::CannotCancel);
    let own = store.task_insert(own, at(0)).await.unwrap();
    assert_eq!(
        get(store.as_ref(), default).await.cancellation,
        CancellationBehaviour::CanCancel
    );
    assert_eq!(
        get(store.as_ref(), own).await.cancellation,
        CancellationBehaviour::CannotCancel
    );
}

async fn an_unknown_task_id_reads_as_none(store: Arc<dyn Store>) {
    assert_eq!(store.task_get(TaskId(123_456)).await.unwrap(), None);
    assert_eq!(store.task_get(TaskId(-1)).await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------------
// Lists

async fn lists_select_owners_as_a_union(store: Arc<dyn Store>) {
    let system = insert(store.as_ref(), "Echo", 0).await;
    let seven = insert(store.as_ref(), "Echo", 7).await;
    let eight = insert(store.as_ref(), "Echo", 8).await;
    let system_too = insert(store.as_ref(), "Echo", 0).await;
    let nine = insert(store.as_ref(), "Echo", 9).await;

    let cases = [
        (OwnerFilter::default(), vec![]),
        (everyone(), vec![system, seven, eight, system_too, nine]),
        (
            OwnerFilter {
                system: true,
                ..OwnerFilter::default()
            },
            vec![system, system_too],
        ),
        (
            OwnerFilter {
                all_users: true,
                ..OwnerFilter::default()
            },
            vec![seven, eight, nine],
        ),
        (
            OwnerFilter {
                users: vec![AssociateId(8)],
                ..OwnerFilter::default()
            },
            vec![eight],
        ),
        (
            OwnerFilter {
                system: true,
                users: vec![AssociateId(9), AssociateId(7), AssociateId(1000)],
                ..OwnerFilter::default()
            },
            vec![system, seven, system_too, nine],
        ),
        (
            OwnerFilter {
                all_users: true,
                users: vec![AssociateId(0)],
                ..OwnerFilter::default()
            },
            vec![system, seven, eight, system_too, nine],
        ),
        (
            OwnerFilter {
                users: vec![AssociateId(1000)],
                ..OwnerFilter::default()
            },
            vec![],
        ),
    ];
    for (owners, expected) in cases {
        let listed = store.task_list(&all_of(owners.clone())).await.unwrap();
        assert_eq!(ids(&listed), expected, "owners {owners:?}");
    }
}

async fn lists_filter_by_state_and_by_name_in_id_order(store: Arc<dyn Store>) {
    let echo_new = insert(store.as_ref(), "Echo", 1).await;
    let sleep_failed = insert(store.as_ref(), "Sleep", 1).await;
    let echo_failed = insert(store.as_ref(), "Echo", 2).await;
    let sleep_new = insert(store.as_ref(), "Sleep", 0).await;
    let echo_unknown = insert(store.as_ref(), "Echo", 1).await;
    set_state(store.as_ref(), echo_failed, TaskState::Failed).await;
    set_state(store.as_ref(), sleep_failed, TaskState::Failed).await;
    set_state(store.as_ref(), echo_unknown, TaskState::Unknown).await;

    let list = |state: StateSelector, name: Option<&str>| {
        let store = store.clone();
        let filter = TaskFilter {
            owners: everyone(),
            state,
            name: name.map(str::to_string),
        };
        async move { ids(&store.task_list(&filter).await.unwrap()) }
    };
    assert_eq!(
        list(StateSelector::Only(TaskState::Failed), None).await,
        vec![sleep_failed, echo_failed]
    );
    assert_eq!(
        list(StateSelector::Only(TaskState::New), None).await,
        vec![echo_new, sleep_new]
    );
    assert_eq!(
        list(StateSelector::Only(TaskState::Unknown), None).await,
        vec![echo_unknown]
    );
    assert_eq!(
        list(StateSelector::Only(TaskState::Started), None).await,
        vec![]
    );
    assert_eq!(
        list(StateSelector::All, Some("ECHO")).await,
        vec![echo_new, echo_failed, echo_unknown]
    );
    assert_eq!(
        list(StateSelector::Only(TaskState::New), Some("sleep")).await,
        vec![sleep_new]
    );
    assert_eq!(list(StateSelector::All, Some("Nothing")).await, vec![]);

    let users_new = TaskFilter {
        owners: OwnerFilter {
            all_users: true,
            ..OwnerFilter::default()
        },
        state: StateSelector::Only(TaskState::New),
        name: None,
    };
    assert_eq!(
        ids(&store.task_list(&users_new).await.unwrap()),
        vec![echo_new]
    );
}

// ---------------------------------------------------------------------------------------------
// Update

async fn an_update_writes_only_the_members_it_names_and_counts_itself(store: Arc<dyn Store>) {
    let mut task = start("Echo", 1);
    task.description = "before".into();
    task.request = Some("req".into());
    task.response = Some("resp".into());
    let id = store.task_insert(task, at(0)).await.unwrap();

    let description_only = TaskUpdate {
        description: Some("after".into()),
        ..TaskUpdate::default()
    };
    let task = store
        .task_update(id, description_only, AssociateId(5), at(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task.description, "after");
    assert_eq!(task.request.as_deref(), Some("req"));
    assert_eq!(task.response.as_deref(), Some("resp"));
    assert_eq!(task.state, TaskState::New);
    assert_eq!((task.updated, task.updated_count), (Some(at(10)), 1));

    let clear_response = TaskUpdate {
        state: Some(TaskState::Succeeded),
        response: Some(None),
        request: Some(Some("req2".into())),
        ..TaskUpdate::default()
    };
    let task = store
        .task_update(id, clear_response, AssociateId(5), at(20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task.description, "after");
    assert_eq!(task.state, TaskState::Succeeded);
    assert_eq!(task.response, None);
    assert_eq!(task.request.as_deref(), Some("req2"));
    assert_eq!((task.updated, task.updated_count), (Some(at(20)), 2));

    let nothing = store
        .task_update(id, TaskUpdate::default(), AssociateId(5), at(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((nothing.updated, nothing.updated_count), (Some(at(30)), 3));
    assert_eq!(get(store.as_ref(), id).await, nothing);
}

async fn an_update_of_an_unknown_task_returns_none(store: Arc<dyn Store>) {
    let update = TaskUpdate {
        description: Some("x".into()),
        ..TaskUpdate::default()
    };
    assert_eq!(
        store
            .task_update(TaskId(999), update, AssociateId(1), at(0))
            .await
            .unwrap(),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Stop and delete

async fn stop_follows_the_state_and_cancellation_table(store: Arc<dyn Store>) {
    let s = store.as_ref();
    for cancellation in CancellationBehaviour::ALL {
        for state in TaskState::ALL {
            let name = format!("Stop{}{}", state.name(), cancellation.name());
            let mut task = start(&name, 1);
            task.cancellation = Some(cancellation);
            let id = s.task_insert(task, at(0)).await.unwrap();
            let mut lease = None;
            match state {
                TaskState::New => {}
                TaskState::Aquired => lease = Some(claimed_existing(s, &name, id).await),
                TaskState::Started => {
                    let mut held = claimed_existing(s, &name, id).await;
                    held.expires = at(40);
                    s.task_mark_started(id, &held, at(2))
                        .await
                        .unwrap()
                        .unwrap();
                    lease = Some(held);
                }
                other => set_state(s, id, other).await,
            }
            let before = get(s, id).await;
            let outcome = s.task_stop(id, STOPPED, at(9)).await.unwrap();
            let after = get(s, id).await;
            let case = format!("{state} / {}", cancellation.name());

            let refused = cancellation == CancellationBehaviour::CannotCancel
                || matches!(
                    state,
                    TaskState::Succeeded | TaskState::Failed | TaskState::SucceededManualCleanup
                );
            if refused {
                assert_eq!(outcome, StopOutcome::Refused, "{case}");
                assert_eq!(after, before, "{case}: a refused stop changes nothing");
            } else if state == TaskState::Started {
                assert_eq!(
                    outcome,
                    StopOutcome::Requested {
                        lease_owner: Some("node-a".into())
                    },
                    "{case}"
                );
                assert_eq!(after.state, TaskState::Started, "{case}");
                let lease = lease.as_ref().unwrap();
                let check = s
                    .task_heartbeat(id, lease, TaskProgress::default(), at(10))
                    .await
                    .unwrap();
                assert_eq!(
                    check,
                    LeaseCheck::Held {
                        stop_requested: true
                    },
                    "{case}"
                );
            } else {
                assert_eq!(outcome, StopOutcome::Failed, "{case}");
                assert_eq!(after.state, TaskState::Failed, "{case}");
                assert_eq!(after.result.as_deref(), Some(STOPPED), "{case}");
                assert_eq!(after.updated, Some(at(9)), "{case}");
                if let Some(lease) = &lease {
                    let check = s
                        .task_heartbeat(id, lease, TaskProgress::default(), at(10))
                        .await
                        .unwrap();
                    assert_eq!(check, LeaseCheck::Lost, "{case}: the lease ended");
                }
            }
        }
    }
}

/// Claims the task `id`, the only one of its name.
async fn claimed_existing(store: &dyn Store, name: &str, id: TaskId) -> Lease {
    let mut claimed = claim(store, &[name], 5, at(1)).await;
    assert_eq!(claimed.len(), 1);
    let (task, lease) = claimed.remove(0);
    assert_eq!(task.id, id);
    lease
}

async fn stop_of_an_unknown_task_is_not_found(store: Arc<dyn Store>) {
    assert_eq!(
        store.task_stop(TaskId(77), STOPPED, at(0)).await.unwrap(),
        StopOutcome::NotFound
    );
}

async fn a_task_stopped_after_its_claim_never_starts(store: Arc<dyn Store>) {
    let (id, lease) = claimed(store.as_ref(), "Echo").await;
    assert_eq!(
        store.task_stop(id, STOPPED, at(2)).await.unwrap(),
        StopOutcome::Failed
    );
    assert_eq!(
        store.task_mark_started(id, &lease, at(3)).await.unwrap(),
        None
    );
    let task = get(store.as_ref(), id).await;
    assert_eq!((task.state, task.start_count), (TaskState::Failed, 0));
}

async fn delete_removes_tasks_and_ignores_unknown_ids(store: Arc<dyn Store>) {
    let mut with_parameters = start("Echo", 1);
    with_parameters.parameters = Some(parameters(&[("a", "b")]));
    let a = store.task_insert(with_parameters, at(0)).await.unwrap();
    let b = insert(store.as_ref(), "Echo", 1).await;
    let kept = insert(store.as_ref(), "Echo", 1).await;

    assert_eq!(store.task_delete(&[]).await.unwrap(), 0);
    assert_eq!(
        store
            .task_delete(&[a, TaskId(987_654), b, a])
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.task_get(a).await.unwrap(), None);
    assert_eq!(store.task_get(b).await.unwrap(), None);
    assert_eq!(
        ids(&store.task_list(&all_of(everyone())).await.unwrap()),
        vec![kept]
    );
    // Ids are never reused, so a client holding a deleted id cannot mistake a new task for it.
    let next = insert(store.as_ref(), "Echo", 1).await;
    assert!(next.0 > kept.0);
}

// ---------------------------------------------------------------------------------------------
// Claims and leases

async fn claims_take_the_oldest_new_tasks_of_the_given_names_up_to_the_limit(
    store: Arc<dyn Store>,
) {
    let s = store.as_ref();
    let echo1 = insert(s, "Echo", 1).await;
    let other = insert(s, "Other", 1).await;
    let sleep1 = insert(s, "Sleep", 1).await;
    let echo2 = insert(s, "echo", 1).await;
    let echo3 = insert(s, "Echo", 1).await;
    let failed = insert(s, "Echo", 1).await;
    set_state(s, failed, TaskState::Failed).await;
    let sleep2 = insert(s, "Sleep", 1).await;

    let first = claim(s, &["ECHO", "sleep", "NeverSeen"], 3, at(1)).await;
    assert_eq!(
        first.iter().map(|(t, _)| t.id).collect::<Vec<_>>(),
        vec![echo1, sleep1, echo2]
    );
    let tokens: HashSet<i64> = first.iter().map(|(_, l)| l.token).collect();
    assert_eq!(tokens.len(), 3, "every claim gets its own token");
    for (task, lease) in &first {
        assert_eq!(task.state, TaskState::Aquired);
        assert_eq!(lease.owner, "node-a");
        assert_eq!(
            lease.expires,
            at(1) + chrono::Duration::from_std(LEASE).unwrap()
        );
        assert_eq!(get(s, task.id).await.state, TaskState::Aquired);
    }

    let second = claim(s, &["Echo", "Sleep", "Echo"], 10, at(2)).await;
    assert_eq!(
        second.iter().map(|(t, _)| t.id).collect::<Vec<_>>(),
        vec![echo3, sleep2]
    );
    assert!(claim(s, &["Echo", "Sleep"], 10, at(3)).await.is_empty());
    assert_eq!(get(s, other).await.state, TaskState::New);
    assert_eq!(get(s, failed).await.state, TaskState::Failed);
}

async fn a_claim_with_no_names_or_no_room_claims_nothing(store: Arc<dyn Store>) {
    let id = insert(store.as_ref(), "Echo", 1).await;
    assert!(claim(store.as_ref(), &[], 10, at(1)).await.is_empty());
    assert!(claim(store.as_ref(), &["Echo"], 0, at(1)).await.is_empty());
    assert_eq!(get(store.as_ref(), id).await.state, TaskState::New);
}

async fn a_claim_that_starts_counts_the_start_and_fences_like_any_other(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let ids = [
        insert(s, "Echo", 1).await,
        insert(s, "Echo", 1).await,
        insert(s, "Echo", 1).await,
    ];
    let claimed = s
        .task_claim_available(TaskClaimParams {
            names: vec!["echo".into()],
            owner: "node-b".into(),
            limit: 2,
            now: at(5),
            lease_for: LEASE,
            start: true,
        })
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|(t, _)| t.id).collect::<Vec<_>>(),
        ids[..2]
    );
    for (task, _) in &claimed {
        let stored = get(s, task.id).await;
        for task in [task, &stored] {
            assert_eq!(task.state, TaskState::Started);
            assert_eq!(task.start_count, 1);
            assert_eq!(task.last_started, Some(at(5)));
        }
    }
    assert_ne!(claimed[0].1.token, claimed[1].1.token);
    // Started by its claim, it needs no mark; its lease writes, another does not.
    let (task, lease) = &claimed[0];
    let id = &task.id;
    assert!(
        s.task_mark_started(*id, lease, at(6))
            .await
            .unwrap()
            .is_none()
    );
    let forged = Lease {
        token: lease.token.wrapping_add(1),
        ..lease.clone()
    };
    assert_eq!(
        s.task_heartbeat(*id, &forged, TaskProgress::default(), at(6))
            .await
            .unwrap(),
        LeaseCheck::Lost
    );
    assert!(s.task_finish(*id, lease, succeeded(), at(7)).await.unwrap());
    assert_eq!(get(s, *id).await.state, TaskState::Succeeded);
    assert_eq!(get(s, ids[2]).await.state, TaskState::New);
}

async fn mark_started_counts_the_start_and_extends_the_lease(store: Arc<dyn Store>) {
    let (id, mut lease) = claimed(store.as_ref(), "Echo").await;
    lease.expires = at(100);
    let task = store
        .task_mark_started(id, &lease, at(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task.state, TaskState::Started);
    assert_eq!(task.start_count, 1);
    assert_eq!(task.last_started, Some(at(3)));
    assert_eq!(task.updated, Some(at(3)));
    // Starting twice is not possible: the task is no longer Aquired.
    assert_eq!(
        store.task_mark_started(id, &lease, at(4)).await.unwrap(),
        None
    );
    // The extended lease holds past the claim's expiry.
    assert!(
        store
            .task_rescue_expired(&policy(), at(99))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.task_rescue_expired(&policy(), at(101)).await.unwrap(),
        vec![Rescued {
            id,
            state: TaskState::New
        }]
    );
}

async fn a_stale_lease_cannot_start_heartbeat_finish_or_release_the_task(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (id, lease) = claimed(s, "Echo").await;
    let wrong_token = Lease {
        token: lease.token.wrapping_add(1),
        ..lease.clone()
    };
    let wrong_owner = Lease {
        owner: "node-b".into(),
        ..lease.clone()
    };
    for stale in [&wrong_token, &wrong_owner] {
        assert_eq!(s.task_mark_started(id, stale, at(2)).await.unwrap(), None);
    }
    let before = get(s, id).await;
    assert_eq!(before.state, TaskState::Aquired);

    let mut held = lease.clone();
    held.expires = at(40);
    s.task_mark_started(id, &held, at(2))
        .await
        .unwrap()
        .unwrap();
    let running = get(s, id).await;
    for stale in [&wrong_token, &wrong_owner] {
        let progress = TaskProgress {
            percent: Some(50),
            description: Some("stale".into()),
        };
        assert_eq!(
            s.task_heartbeat(id, stale, progress, at(3)).await.unwrap(),
            LeaseCheck::Lost
        );
        assert!(!s.task_finish(id, stale, succeeded(), at(3)).await.unwrap());
        assert!(!s.task_release(id, stale, STOPPED, at(3)).await.unwrap());
    }
    assert_eq!(get(s, id).await, running, "stale writes changed nothing");

    // After the lease expires and the task is claimed again, the first lease is stale too.
    assert_eq!(
        s.task_rescue_expired(&policy(), at(41))
            .await
            .unwrap()
            .len(),
        1
    );
    let (_, second) = claim(s, &["Echo"], 1, at(42)).await.remove(0);
    assert_ne!(second.token, held.token);
    assert_eq!(
        s.task_heartbeat(id, &held, TaskProgress::default(), at(43))
            .await
            .unwrap(),
        LeaseCheck::Lost
    );
    assert!(!s.task_finish(id, &held, succeeded(), at(43)).await.unwrap());
    assert_eq!(get(s, id).await.state, TaskState::Aquired);
}

fn succeeded() -> TaskFinish {
    TaskFinish {
        state: TaskState::Succeeded,
        result: Some("done".into()),
        response: None,
        progress_percent: Some(100),
        progress_description: None,
        file_name: None,
    }
}

async fn heartbeats_extend_the_lease_and_write_progress(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (id, mut lease) = started(s, "Sleep").await;
    lease.expires = at(200);
    let progress = TaskProgress {
        percent: Some(40),
        description: Some("halfway".into()),
    };
    assert_eq!(
        s.task_heartbeat(id, &lease, progress, at(10))
            .await
            .unwrap(),
        LeaseCheck::Held {
            stop_requested: false
        }
    );
    let task = get(s, id).await;
    assert_eq!(task.progress_percent, 40);
    assert_eq!(task.progress_description.as_deref(), Some("halfway"));
    assert_eq!((task.updated, task.updated_count), (Some(at(10)), 1));

    // Members left out are kept; a negative percent is clamped.
    s.task_heartbeat(id, &lease, TaskProgress::default(), at(11))
        .await
        .unwrap();
    let task = get(s, id).await;
    assert_eq!(task.progress_percent, 40);
    assert_eq!(task.progress_description.as_deref(), Some("halfway"));
    assert_eq!(task.updated_count, 2);
    let negative = TaskProgress {
        percent: Some(-5),
        description: None,
    };
    s.task_heartbeat(id, &lease, negative, at(12))
        .await
        .unwrap();
    assert_eq!(get(s, id).await.progress_percent, 0);

    // The lease now runs to at(200), past the start's at(40).
    assert!(
        s.task_rescue_expired(&policy(), at(100))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(get(s, id).await.state, TaskState::Started);
}

async fn finishing_many_answers_for_each_in_order_and_fences_each(store: Arc<dyn Store>) {
    let s = store.as_ref();
    assert!(s.task_finish_many(Vec::new()).await.unwrap().is_empty());
    let (first, first_lease) = started(s, "Echo").await;
    let (stale, stale_lease) = started(s, "Sleep").await;
    let (last, last_lease) = started(s, "Fail").await;
    let forged = Lease {
        token: stale_lease.token.wrapping_add(1),
        ..stale_lease
    };
    let mut failed = succeeded();
    failed.state = TaskState::Failed;
    failed.result = Some("broke".into());
    let end = |id, lease: &Lease, finish: TaskFinish| TaskEnd {
        id,
        lease: lease.clone(),
        finish,
        now: at(9),
    };
    let written = s
        .task_finish_many(vec![
            end(first, &first_lease, succeeded()),
            end(stale, &forged, succeeded()),
            end(last, &last_lease, failed),
        ])
        .await
        .unwrap();
    assert_eq!(written, vec![true, false, true]);
    assert_eq!(get(s, first).await.state, TaskState::Succeeded);
    assert_eq!(get(s, stale).await.state, TaskState::Started);
    let last = get(s, last).await;
    assert_eq!(last.state, TaskState::Failed);
    assert_eq!(last.result.as_deref(), Some("broke"));
    assert_eq!(last.updated, Some(at(9)));
}

async fn finish_writes_the_outcome_and_ends_the_lease(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let mut task = start("Echo", 1);
    task.response = Some("from the client".into());
    let id = s.task_insert(task, at(0)).await.unwrap();
    let (_, mut lease) = claim(s, &["Echo"], 1, at(1)).await.remove(0);
    lease.expires = at(40);
    s.task_mark_started(id, &lease, at(2))
        .await
        .unwrap()
        .unwrap();
    let progress = TaskProgress {
        percent: Some(60),
        description: Some("working".into()),
    };
    s.task_heartbeat(id, &lease, progress, at(3)).await.unwrap();

    let finish = TaskFinish {
        state: TaskState::SucceededManualCleanup,
        result: Some("all good".into()),
        response: None,
        progress_percent: Some(100),
        progress_description: None,
        file_name: Some("report.pdf".into()),
    };
    assert!(s.task_finish(id, &lease, finish, at(5)).await.unwrap());
    let task = get(s, id).await;
    assert_eq!(task.state, TaskState::SucceededManualCleanup);
    assert_eq!(task.result.as_deref(), Some("all good"));
    assert_eq!(task.response.as_deref(), Some("from the client"));
    assert_eq!(task.progress_percent, 100);
    assert_eq!(task.progress_description.as_deref(), Some("working"));
    assert_eq!(task.file_name.as_deref(), Some("report.pdf"));
    assert_eq!(task.updated, Some(at(5)));

    // The lease is gone with the run: nothing more is written, and nothing is rescued.
    assert!(!s.task_finish(id, &lease, succeeded(), at(6)).await.unwrap());
    assert_eq!(
        s.task_heartbeat(id, &lease, TaskProgress::default(), at(6))
            .await
            .unwrap(),
        LeaseCheck::Lost
    );
    assert!(
        s.task_rescue_expired(&policy(), at(1000))
            .await
            .unwrap()
            .is_empty()
    );

    let (failed_id, failed_lease) = started(s, "Fail").await;
    let failure = TaskFinish {
        state: TaskState::Failed,
        result: Some("boom".into()),
        response: Some("partial".into()),
        progress_percent: None,
        progress_description: None,
        file_name: None,
    };
    assert!(
        s.task_finish(failed_id, &failed_lease, failure, at(7))
            .await
            .unwrap()
    );
    let task = get(s, failed_id).await;
    assert_eq!(task.state, TaskState::Failed);
    assert_eq!(task.result.as_deref(), Some("boom"));
    assert_eq!(task.response.as_deref(), Some("partial"));
    assert_eq!(task.progress_percent, 0);
}

async fn rescue_returns_expired_tasks_to_new_or_fails_those_whose_stop_was_requested(
    store: Arc<dyn Store>,
) {
    let s = store.as_ref();
    let (aquired, _) = claimed(s, "A").await; // lease until at(31)
    let (stopped, _) = started(s, "B").await; // lease until at(40)
    assert!(matches!(
        s.task_stop(stopped, STOPPED, at(5)).await.unwrap(),
        StopOutcome::Requested { .. }
    ));
    let (alive, mut alive_lease) = started(s, "C").await;
    alive_lease.expires = at(500);
    s.task_heartbeat(alive, &alive_lease, TaskProgress::default(), at(6))
        .await
        .unwrap();
    let untouched = insert(s, "D", 1).await;

    assert!(
        s.task_rescue_expired(&policy(), at(31))
            .await
            .unwrap()
            .is_empty()
    );
    let rescued = s.task_rescue_expired(&policy(), at(41)).await.unwrap();
    assert_eq!(
        rescued,
        vec![
            Rescued {
                id: aquired,
                state: TaskState::New
            },
            Rescued {
                id: stopped,
                state: TaskState::Failed
            },
        ]
    );
    let task = get(s, aquired).await;
    assert_eq!((task.state, task.result.as_deref()), (TaskState::New, None));
    assert_eq!(task.updated, Some(at(41)));
    let task = get(s, stopped).await;
    assert_eq!(
        (task.state, task.result.as_deref()),
        (TaskState::Failed, Some(STOPPED))
    );
    assert_eq!(get(s, alive).await.state, TaskState::Started);
    assert_eq!(get(s, untouched).await.state, TaskState::New);
    assert!(
        s.task_rescue_expired(&policy(), at(42))
            .await
            .unwrap()
            .is_empty()
    );

    // The rescued task runs again, and a fresh run is not stopped by the old request.
    let (task, lease) = claim(s, &["A"], 1, at(50)).await.remove(0);
    assert_eq!(task.id, aquired);
    let again = s
        .task_mark_started(aquired, &lease, at(51))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.start_count, 1);
}

async fn release_returns_a_task_to_new_or_fails_it_when_stop_was_requested(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (id, lease) = started(s, "Sleep").await;
    assert!(s.task_release(id, &lease, STOPPED, at(5)).await.unwrap());
    let task = get(s, id).await;
    assert_eq!((task.state, task.result.as_deref()), (TaskState::New, None));
    assert_eq!(
        task.start_count, 1,
        "the count of starts survives the release"
    );
    assert!(!s.task_release(id, &lease, STOPPED, at(6)).await.unwrap());
    assert_eq!(
        s.task_heartbeat(id, &lease, TaskProgress::default(), at(6))
            .await
            .unwrap(),
        LeaseCheck::Lost
    );

    let (task, mut lease) = claim(s, &["Sleep"], 1, at(7)).await.remove(0);
    assert_eq!(task.id, id);
    lease.expires = at(50);
    s.task_mark_started(id, &lease, at(8))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        s.task_stop(id, STOPPED, at(9)).await.unwrap(),
        StopOutcome::Requested { .. }
    ));
    assert!(s.task_release(id, &lease, STOPPED, at(10)).await.unwrap());
    let task = get(s, id).await;
    assert_eq!(
        (task.state, task.result.as_deref(), task.start_count),
        (TaskState::Failed, Some(STOPPED), 2)
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrency

async fn concurrent_inserts_are_all_acknowledged_with_distinct_readable_ids(store: Arc<dyn Store>) {
    const WRITERS: i32 = 50;
    const EACH: i32 = 40;
    let mut handles = Vec::new();
    for writer in 0..WRITERS {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..EACH {
                let mut task = start(if n % 2 == 0 { "Echo" } else { "Sleep" }, writer);
                if n % 3 == 0 {
                    let value = format!("{writer}-{n}");
                    task.parameters = Some(parameters(&[("n", &value)]));
                }
                ids.push((store.task_insert(task, at(0)).await.unwrap(), writer, n));
            }
            ids
        }));
    }
    let mut acknowledged = Vec::new();
    for handle in handles {
        acknowledged.extend(handle.await.unwrap());
    }
    let total = usize::try_from(WRITERS * EACH).unwrap();
    let distinct: HashSet<TaskId> = acknowledged.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(distinct.len(), total);

    let listed = store.task_list(&all_of(everyone())).await.unwrap();
    assert_eq!(listed.len(), total);
    for (id, writer, n) in acknowledged {
        let task = get(store.as_ref(), id).await;
        assert_eq!(task.associate_id, AssociateId(writer));
        let expected = (n % 3 == 0).then(|| parameters(&[("n", &format!("{writer}-{n}"))]));
        assert_eq!(task.parameters, expected);
    }
}

async fn a_failing_write_does_not_undo_the_writes_committed_with_it(store: Arc<dyn Store>) {
    store
        .associate_insert("taken", Role::User, "h", at(0))
        .await
        .unwrap();
    let mut handles = Vec::new();
    for n in 0..200 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            if n % 4 == 0 {
                let conflict = store
                    .associate_insert("TAKEN", Role::User, "h", at(0))
                    .await;
                assert!(
                    matches!(conflict, Err(StoreError::Conflict(_))),
                    "{conflict:?}"
                );
                None
            } else {
                Some(store.task_insert(start("Echo", 1), at(0)).await.unwrap())
            }
        }));
    }
    let mut inserted = Vec::new();
    for handle in handles {
        inserted.extend(handle.await.unwrap());
    }
    assert_eq!(inserted.len(), 150);
    let listed = ids(&store.task_list(&all_of(everyone())).await.unwrap());
    inserted.sort();
    assert_eq!(listed, inserted);
    assert_eq!(store.associate_count().await.unwrap(), 1);
}

async fn a_configured_definition_limits_restarts_and_sets_defaults(store: Arc<dyn Store>) {
    let s = store.as_ref();
    s.definition_configure(
        DefinitionConfig {
            name: "Limited".into(),
            description: "at most one restart".into(),
            timeout_seconds: 60,
            auto_restart_count: 1,
            cancellation: CancellationBehaviour::CancelWithWarning,
        },
        at(0),
    )
    .await
    .unwrap();
    let definitions = s.definition_list().await.unwrap();
    let limited = definitions.iter().find(|d| d.name == "Limited").unwrap();
    assert_eq!(limited.description, "at most one restart");
    assert_eq!(
        limited.cancellation,
        CancellationBehaviour::CancelWithWarning
    );

    let id = insert(s, "limited", 1).await;
    assert_eq!(
        get(s, id).await.cancellation,
        CancellationBehaviour::CancelWithWarning,
        "new tasks take the configured default"
    );
    // First run: the node dies; one restart is allowed.
    let (_, mut lease) = claim(s, &["Limited"], 1, at(1)).await.remove(0);
    lease.expires = at(10);
    s.task_mark_started(id, &lease, at(2))
        .await
        .unwrap()
        .unwrap();
    let rescued = s.task_rescue_expired(&policy(), at(11)).await.unwrap();
    assert_eq!(
        rescued,
        vec![Rescued {
            id,
            state: TaskState::New
        }]
    );
    // Second run: the node dies again; no restarts are left.
    let (_, mut lease) = claim(s, &["Limited"], 1, at(20)).await.remove(0);
    lease.expires = at(30);
    let task = s
        .task_mark_started(id, &lease, at(21))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task.start_count, 2);
    let rescued = s.task_rescue_expired(&policy(), at(31)).await.unwrap();
    assert_eq!(
        rescued,
        vec![Rescued {
            id,
            state: TaskState::Failed
        }]
    );
    assert_eq!(get(s, id).await.result.as_deref(), Some(EXHAUSTED));

    // Configuring again updates the row in place.
    s.definition_configure(
        DefinitionConfig {
            name: "LIMITED".into(),
            description: "unlimited now".into(),
            timeout_seconds: 0,
            auto_restart_count: -1,
            cancellation: CancellationBehaviour::CanCancel,
        },
        at(40),
    )
    .await
    .unwrap();
    let definitions = s.definition_list().await.unwrap();
    assert_eq!(
        definitions
            .iter()
            .filter(|d| d.name.eq_ignore_ascii_case("limited"))
            .count(),
        1
    );
}

async fn a_rescued_task_waits_out_its_backoff_before_it_is_claimed_again(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let mut strict = policy();
    strict.backoff_base = std::time::Duration::from_secs(8);
    // Never started: claimable again at once.
    let (never, _) = claimed(s, "Backoff").await;
    // Started three times before: waits between 16 s and 32 s (8 s doubled twice, less jitter).
    let (id, mut lease) = started(s, "Backoff2").await;
    for run in 0..2 {
        lease.expires = at(100 + run * 100);
        s.task_heartbeat(id, &lease, TaskProgress::default(), at(90 + run * 100))
            .await
            .unwrap();
        s.task_rescue_expired(&policy(), at(101 + run * 100))
            .await
            .unwrap();
        let (_, next) = claim(s, &["Backoff2"], 1, at(150 + run * 100))
            .await
            .remove(0);
        lease = next;
        lease.expires = at(180 + run * 100);
        s.task_mark_started(id, &lease, at(151 + run * 100))
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(get(s, id).await.start_count, 3);
    let rescued = s.task_rescue_expired(&strict, at(1000)).await.unwrap();
    assert_eq!(
        rescued,
        vec![Rescued {
            id,
            state: TaskState::New
        }]
    );
    let again = claim(s, &["Backoff", "Backoff2"], 5, at(1000)).await;
    assert_eq!(
        again.iter().map(|(t, _)| t.id).collect::<Vec<_>>(),
        vec![never]
    );
    assert!(claim(s, &["Backoff2"], 5, at(1015)).await.is_empty());
    let late = claim(s, &["Backoff2"], 5, at(1032)).await;
    assert_eq!(late.iter().map(|(t, _)| t.id).collect::<Vec<_>>(), vec![id]);
}

async fn pruning_removes_finished_tasks_past_their_retention_with_their_blobs(
    store: Arc<dyn Store>,
) {
    let s = store.as_ref();
    let finished = |state: TaskState, when: i64| async move {
        let mut task = start("Old", 1);
        task.parameters = Some(parameters(&[("k", "v")]));
        let id = s.task_insert(task, at(0)).await.unwrap();
        let update = TaskUpdate {
            state: Some(state),
            ..TaskUpdate::default()
        };
        s.task_update(id, update, AssociateId(1), at(when))
            .await
            .unwrap();
        id
    };
    let old_succeeded = finished(TaskState::Succeeded, 10).await;
    let new_succeeded = finished(TaskState::Succeeded, 100).await;
    let old_failed = finished(TaskState::Failed, 10).await;
    let new_failed = finished(TaskState::Failed, 100).await;
    let manual = finished(TaskState::SucceededManualCleanup, 10).await;
    let waiting = insert(s, "Old", 1).await;

    let params = TaskPruneParams {
        succeeded_before: Some(at(50)),
        failed_before: Some(at(50)),
        limit: 1,
    };
    // One at a time, oldest id first, until nothing is left to prune.
    assert_eq!(s.task_prune(params).await.unwrap(), 1);
    assert_eq!(s.task_prune(params).await.unwrap(), 1);
    assert_eq!(s.task_prune(params).await.unwrap(), 0);
    for gone in [old_succeeded, old_failed] {
        assert_eq!(s.task_get(gone).await.unwrap(), None);
    }
    for kept in [new_succeeded, new_failed, manual, waiting] {
        assert!(s.task_get(kept).await.unwrap().is_some());
    }
    // A state without a cut-off is kept whatever its age.
    let only_succeeded = TaskPruneParams {
        succeeded_before: Some(at(1000)),
        failed_before: None,
        limit: 100,
    };
    assert_eq!(s.task_prune(only_succeeded).await.unwrap(), 1);
    assert!(s.task_get(new_failed).await.unwrap().is_some());
    assert!(s.task_get(manual).await.unwrap().is_some());
}

async fn fail_running_fails_a_claimed_or_started_task_and_ends_its_lease(store: Arc<dyn Store>) {
    let (started_id, lease) = started(&*store, "FailRunningStarted").await;
    assert!(
        store
            .task_fail_running(started_id, STOPPED, at(3))
            .await
            .unwrap()
    );
    let task = get(&*store, started_id).await;
    assert_eq!(task.state, TaskState::Failed);
    assert_eq!(task.result.as_deref(), Some(STOPPED));
    let check = store
        .task_heartbeat(started_id, &lease, TaskProgress::default(), at(4))
        .await
        .unwrap();
    assert_eq!(check, LeaseCheck::Lost, "the lease went with the failure");

    let (claimed_id, _) = claimed(&*store, "FailRunningClaimed").await;
    assert!(
        store
            .task_fail_running(claimed_id, STOPPED, at(3))
            .await
            .unwrap()
    );
    assert_eq!(get(&*store, claimed_id).await.state, TaskState::Failed);

    let new_id = insert(&*store, "FailRunningNew", 1).await;
    assert!(
        !store
            .task_fail_running(new_id, STOPPED, at(3))
            .await
            .unwrap()
    );
    assert_eq!(get(&*store, new_id).await.state, TaskState::New);
    assert!(
        !store
            .task_fail_running(started_id, "again", at(5))
            .await
            .unwrap()
    );
    assert_eq!(
        get(&*store, started_id).await.result.as_deref(),
        Some(STOPPED)
    );
}

async fn reserved_ids_are_never_given_to_stored_tasks(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let first = s.task_id_reserve().await.unwrap();
    let stored = insert(s, "Any", 1).await;
    let second = s.task_id_reserve().await.unwrap();
    let again = insert(s, "Any", 1).await;
    assert!(first < stored && stored < second && second < again);
    assert_eq!(
        s.task_get(first).await.unwrap(),
        None,
        "no row for a reserved id"
    );
}
