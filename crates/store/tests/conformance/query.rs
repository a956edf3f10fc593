//! `task_query`, the archive list: one fixed dataset whose columns vary (NULLs, case, `%` and `_`,
//! owners with and without an associate row), queried by every family of test, order and page.
//! Each test runs on every backend with the same expected ids, which is what makes the backends
//! agree row for row.

use std::sync::Arc;

use sobatch_core::{AssociateId, CancellationBehaviour, Role, TaskId, TaskState, TaskUpdate};
use sobatch_store::query::{Column, ListedTask, Order, Predicate, TaskQuery, Test, Value};
use sobatch_store::{
    DefinitionConfig, OwnerFilter, Store, StoreError, TaskClaimParams, TaskFinish, TaskProgress,
};

use super::{LEASE, at, everyone, parameters, start};

conformance! {
    backends: [
        on_sqlite => crate::backend::sqlite,
        on_postgres => crate::backend::postgres,
    ],
    tests: [
        integer_columns_compare_and_match_lists_and_set,
        text_compares_case_insensitively_and_takes_wildcards_literally,
        times_compare_and_a_null_time_passes_no_test,
        negation_is_two_valued_and_connectives_nest,
        wide_and_deep_predicates_compile_and_run,
        owners_restrict_before_the_predicate,
        every_kind_orders_both_ways_with_nulls_placed_and_ids_breaking_ties,
        pages_do_not_overlap_and_make_up_the_whole,
        a_value_of_the_wrong_kind_is_a_config_error,
        a_listed_task_carries_its_definition_and_associate_names,
    ]
}

/// The dataset: `t[1]`…`t[7]` (`t[0]` is unused), two associates and three definitions.
///
/// | task | name        | owner | state     | description           | LastStarted | registered |
/// |------|-------------|-------|-----------|-----------------------|-------------|------------|
/// | 1    | Report      | 0     | Succeeded | `Alpha`               | at(200)     | at(10)     |
/// | 2    | Export_Data | kari  | Failed    | `50% done_now`        | NULL        | at(20)     |
/// | 3    | Echo        | ola   | Started   | `alpha beta`          | at(100)     | at(30)     |
/// | 4    | report      | 99    | New       | `ALPHA\path`          | NULL        | at(40)     |
/// | 5    | Echo        | kari  | New       | `50 percent done now` | NULL        | at(50)     |
/// | 6    | Report      | 0     | Succeeded | `Ærlig old one`       | NULL        | at(5)      |
/// | 7    | Echo        | kari  | Succeeded | (empty)               | NULL        | at(5)      |
///
/// Also: 1 has request `req-1`, response `done`, progress 100 `All done`, updated at(210); 2 was
/// updated by ola at(300) with response `Oops_%`; 3 has parameters, progress 40 `halfway`,
/// updated at(110); 4 has DetailsTable 7 / DetailsRecord 42. Associate 99 has no row.
struct Data {
    t: [TaskId; 8],
    kari: AssociateId,
    ola: AssociateId,
    report: i32,
    export: i32,
}

impl Data {
    fn ids(&self, numbers: &[usize]) -> Vec<TaskId> {
        numbers.iter().map(|&n| self.t[n]).collect()
    }
}

async fn dataset(store: &dyn Store) -> Data {
    let kari = store
        .associate_insert("Kari", Role::User, "h", at(0))
        .await
        .unwrap();
    let ola = store
        .associate_insert("ola", Role::User, "h", at(0))
        .await
        .unwrap();
    let configure = |name: &str, description: &str, timeout_seconds: i32| DefinitionConfig {
        name: name.into(),
        description: description.into(),
        timeout_seconds,
        auto_restart_count: 0,
        cancellation: CancellationBehaviour::CanCancel,
    };
    let report = store
        .definition_configure(configure("Report", "Monthly Report", 60), at(0))
        .await
        .unwrap();
    let export = store
        .definition_configure(configure("Export_Data", "Exports 100% of rows", 0), at(0))
        .await
        .unwrap();

    let mut t = [TaskId(0); 8];
    let mut one = start("Report", 0);
    one.description = "Alpha".into();
    one.request = Some("req-1".into());
    t[1] = store.task_insert(one, at(10)).await.unwrap();
    let mut two = start("Export_Data", kari.0);
    two.description = "50% done_now".into();
    t[2] = store.task_insert(two, at(20)).await.unwrap();
    let mut three = start("Echo", ola.0);
    three.description = "alpha beta".into();
    three.parameters = Some(parameters(&[("k", "v")]));
    t[3] = store.task_insert(three, at(30)).await.unwrap();
    let mut four = start("report", 99);
    four.description = "ALPHA\\path".into();
    four.details_table = 7;
    four.details_record = 42;
    t[4] = store.task_insert(four, at(40)).await.unwrap();
    let mut five = start("Echo", kari.0);
    five.description = "50 percent done now".into();
    t[5] = store.task_insert(five, at(50)).await.unwrap();
    let mut six = start("Report", 0);
    six.description = "Ærlig old one".into();
    let seven = start("Echo", kari.0);
    let history = store
        .task_insert_many(vec![six, seven], TaskState::Succeeded, at(5))
        .await
        .unwrap();
    (t[6], t[7]) = (history[0], history[1]);

    let claim = |name: &str, now| TaskClaimParams {
        names: vec![name.into()],
        owner: "node-a".into(),
        limit: 1,
        now,
        lease_for: LEASE,
        start: true,
    };
    // 3 starts and reports progress; it stays Started.
    let (task, mut lease) = store
        .task_claim_available(claim("Echo", at(100)))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(task.id, t[3]);
    lease.expires = at(400);
    let progress = TaskProgress {
        percent: Some(40),
        description: Some("halfway".into()),
    };
    store
        .task_heartbeat(t[3], &lease, progress, at(110))
        .await
        .unwrap();
    // 1 starts and succeeds.
    let (task, lease) = store
        .task_claim_available(claim("Report", at(200)))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(task.id, t[1]);
    let finish = TaskFinish {
        state: TaskState::Succeeded,
        result: None,
        response: Some("done".into()),
        progress_percent: Some(100),
        progress_description: Some("All done".into()),
        file_name: None,
    };
    assert!(
        store
            .task_finish(t[1], &lease, finish, at(210))
            .await
            .unwrap()
    );
    // 2 fails by ola's hand.
    let update = TaskUpdate {
        state: Some(TaskState::Failed),
        response: Some(Some("Oops_%".into())),
        ..TaskUpdate::default()
    };
    store
        .task_update(t[2], update, ola, at(300))
        .await
        .unwrap()
        .unwrap();

    Data {
        t,
        kari,
        ola,
        report: report.0,
        export: export.0,
    }
}

fn query(predicate: Predicate) -> TaskQuery {
    TaskQuery {
        owners: everyone(),
        predicate,
        order: Vec::new(),
        skip: 0,
        limit: None,
    }
}

async fn run(store: &dyn Store, query: &TaskQuery) -> Vec<TaskId> {
    let listed = store.task_query(query).await.unwrap();
    listed.iter().map(|l| l.task.id).collect()
}

/// The ids `predicate` selects, in id order.
async fn find(store: &dyn Store, predicate: Predicate) -> Vec<TaskId> {
    run(store, &query(predicate)).await
}

fn test(column: Column, test: Test) -> Predicate {
    Predicate::Test(column, test)
}

fn not(predicate: Predicate) -> Predicate {
    Predicate::Not(Box::new(predicate))
}

fn int(i: i64) -> Value {
    Value::Int(i)
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn time(seconds: i64) -> Value {
    Value::Time(at(seconds))
}

fn state(state: TaskState) -> Value {
    Value::Int(state.code().into())
}

fn asc(column: Column) -> Order {
    Order {
        column,
        descending: false,
    }
}

fn desc(column: Column) -> Order {
    Order {
        column,
        descending: true,
    }
}

async fn integer_columns_compare_and_match_lists_and_set(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let d = dataset(s).await;
    let cases = [
        (
            test(Column::State, Test::Eq(state(TaskState::New))),
            vec![4, 5],
        ),
        (
            test(
                Column::State,
                Test::OneOf(vec![state(TaskState::Succeeded), state(TaskState::Failed)]),
            ),
            vec![1, 2, 6, 7],
        ),
        (
            test(Column::State, Test::Between(int(3), int(4))),
            vec![1, 3, 6, 7],
        ),
        (test(Column::State, Test::Gt(int(3))), vec![1, 2, 6, 7]),
        (test(Column::State, Test::Le(int(3))), vec![3, 4, 5]),
        (test(Column::State, Test::Lt(int(1))), vec![]),
        (test(Column::State, Test::Ge(int(5))), vec![2]),
        (test(Column::StartCount, Test::Set), vec![1, 3]),
        (
            test(Column::StartCount, Test::Eq(int(0))),
            vec![2, 4, 5, 6, 7],
        ),
        (test(Column::DetailsTable, Test::Set), vec![3, 4]),
        (test(Column::DetailsTable, Test::Eq(int(7))), vec![4]),
        (test(Column::DetailsRecord, Test::Eq(int(42))), vec![4]),
        (test(Column::ProgressPercent, Test::Ge(int(40))), vec![1, 3]),
        (
            test(Column::DefinitionTimeOut, Test::Eq(int(60))),
            vec![1, 4, 6],
        ),
        (test(Column::DefinitionTimeOut, Test::Set), vec![1, 4, 6]),
        (
            test(Column::DefinitionId, Test::Eq(int(d.export.into()))),
            vec![2],
        ),
        (test(Column::Id, Test::Lt(int(d.t[3].0.into()))), vec![1, 2]),
        (
            test(
                Column::Id,
                Test::OneOf(vec![
                    int(d.t[2].0.into()),
                    int(d.t[5].0.into()),
                    int(999_999),
                ]),
            ),
            vec![2, 5],
        ),
        (test(Column::Id, Test::OneOf(Vec::new())), vec![]),
        (
            test(Column::RegisteredBy, Test::Eq(int(d.kari.0.into()))),
            vec![2, 5, 7],
        ),
        (test(Column::RegisteredBy, Test::Eq(int(0))), vec![1, 6]),
        (test(Column::RegisteredBy, Test::Set), vec![2, 3, 4, 5, 7]),
        (
            test(Column::UpdatedBy, Test::Eq(int(d.ola.0.into()))),
            vec![2],
        ),
        // Extreme values are just values.
        (
            test(Column::Id, Test::Gt(int(i64::MIN))),
            vec![1, 2, 3, 4, 5, 6, 7],
        ),
        (test(Column::Id, Test::Ge(int(i64::MAX))), vec![]),
    ];
    for (predicate, expected) in cases {
        assert_eq!(
            find(s, predicate.clone()).await,
            d.ids(&expected),
            "{predicate:?}"
        );
    }
}

async fn text_compares_case_insensitively_and_takes_wildcards_literally(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let d = dataset(s).await;
    let serial = s.database_serial().to_string();
    let cases = [
        (test(Column::Description, Test::Eq(text("ALPHA"))), vec![1]),
        (
            test(Column::Description, Test::Begins("aLpHa".into())),
            vec![1, 3, 4],
        ),
        (
            test(Column::Description, Test::Ends("BETA".into())),
            vec![3],
        ),
        (
            test(Column::Description, Test::Contains("A\\P".into())),
            vec![4],
        ),
        // `%` and `_` are characters like any other, not wildcards.
        (
            test(Column::Description, Test::Contains("50%".into())),
            vec![2],
        ),
        (
            test(Column::Description, Test::Contains("done_now".into())),
            vec![2],
        ),
        (test(Column::Description, Test::Begins("%".into())), vec![]),
        (
            test(Column::Description, Test::Contains("_".into())),
            vec![2],
        ),
        (test(Column::Response, Test::Ends("_%".into())), vec![2]),
        // Empty text begins, ends and is contained in every text, but not in NULL.
        (
            test(Column::Description, Test::Contains(String::new())),
            vec![1, 2, 3, 4, 5, 6, 7],
        ),
        (test(Column::Request, Test::Begins(String::new())), vec![1]),
        (test(Column::Description, Test::Set), vec![1, 2, 3, 4, 5, 6]),
        (test(Column::Request, Test::Set), vec![1]),
        (test(Column::Request, Test::Eq(text("REQ-1"))), vec![1]),
        (
            test(Column::ProgressDescription, Test::Contains("ALL".into())),
            vec![1],
        ),
        (
            test(Column::DbTag, Test::Eq(text(&serial))),
            vec![1, 2, 3, 4, 5, 6, 7],
        ),
        // Ordered comparisons fold case too, and compare by code point.
        (
            test(Column::Description, Test::Lt(text("B"))),
            vec![1, 2, 3, 4, 5, 7],
        ),
        (
            test(
                Column::Description,
                Test::Between(text("ALPHA"), text("alpha\\ZZZ")),
            ),
            vec![1, 3, 4],
        ),
        (
            test(Column::Description, Test::Gt(text("alpha beta"))),
            vec![4, 6],
        ),
        (
            test(
                Column::Description,
                Test::OneOf(vec![text("alpha"), text("ALPHA BETA"), text("nothing")]),
            ),
            vec![1, 3],
        ),
        // Only ASCII letters fold, on every backend.
        (
            test(Column::Description, Test::Begins("ÆRLIG".into())),
            vec![6],
        ),
        (
            test(Column::Description, Test::Begins("ærlig".into())),
            vec![],
        ),
        // The definition's columns.
        (
            test(Column::DefinitionName, Test::Eq(text("REPORT"))),
            vec![1, 4, 6],
        ),
        (
            test(Column::DefinitionName, Test::Begins("export_".into())),
            vec![2],
        ),
        (
            test(Column::DefinitionName, Test::Contains("t_d".into())),
            vec![2],
        ),
        (
            test(Column::DefinitionName, Test::Contains("t_".into())),
            vec![2],
        ),
        (
            test(
                Column::DefinitionName,
                Test::OneOf(vec![text("echo"), text("EXPORT_DATA")]),
            ),
            vec![2, 3, 5, 7],
        ),
        (
            test(Column::DefinitionName, Test::Lt(text("F"))),
            vec![2, 3, 5, 7],
        ),
        (
            test(Column::DefinitionDescription, Test::Contains("100%".into())),
            vec![2],
        ),
        (
            test(Column::DefinitionDescription, Test::Set),
            vec![1, 2, 4, 6],
        ),
    ];
    for (predicate, expected) in cases {
        assert_eq!(
            find(s, predicate.clone()).await,
            d.ids(&expected),
            "{predicate:?}"
        );
    }
}

async fn times_compare_and_a_null_time_passes_no_test(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let d = dataset(s).await;
    let cases = [
        (test(Column::LastStarted, Test::Lt(time(150))), vec![3]),
        (test(Column::LastStarted, Test::Ge(time(150))), vec![1]),
        (test(Column::LastStarted, Test::Eq(time(100))), vec![3]),
        (
            test(Column::LastStarted, Test::Between(time(100), time(200))),
            vec![1, 3],
        ),
        (
            test(Column::LastStarted, Test::Between(time(101), time(199))),
            vec![],
        ),
        (test(Column::LastStarted, Test::Set), vec![1, 3]),
        (
            test(Column::LastStarted, Test::OneOf(vec![time(100), time(1)])),
            vec![3],
        ),
        (test(Column::RegisteredDate, Test::Lt(time(10))), vec![6, 7]),
        (
            test(Column::RegisteredDate, Test::Between(time(10), time(30))),
            vec![1, 2, 3],
        ),
        (test(Column::RegisteredDate, Test::Ge(time(40))), vec![4, 5]),
        (test(Column::RegisteredDate, Test::Le(time(5))), vec![6, 7]),
        (test(Column::UpdatedDate, Test::Set), vec![1, 2, 3]),
        (test(Column::UpdatedDate, Test::Gt(time(250))), vec![2]),
        (test(Column::UpdatedDate, Test::Le(time(210))), vec![1, 3]),
        // A time before the epoch is a time like any other.
        (
            test(
                Column::RegisteredDate,
                Test::Gt(Value::Time(
                    chrono::DateTime::UNIX_EPOCH - chrono::Duration::days(400),
                )),
            ),
            vec![1, 2, 3, 4, 5, 6, 7],
        ),
    ];
    for (predicate, expected) in cases {
        assert_eq!(
            find(s, predicate.clone()).await,
            d.ids(&expected),
            "{predicate:?}"
        );
    }
}

async fn negation_is_two_valued_and_connectives_nest(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let d = dataset(s).await;
    let new = || test(Column::State, Test::Eq(state(TaskState::New)));
    let early = || test(Column::LastStarted, Test::Lt(time(150)));
    let cases = [
        (Predicate::All, vec![1, 2, 3, 4, 5, 6, 7]),
        (Predicate::Nothing, vec![]),
        (Predicate::And(Vec::new()), vec![1, 2, 3, 4, 5, 6, 7]),
        (Predicate::Or(Vec::new()), vec![]),
        (not(Predicate::All), vec![]),
        (not(Predicate::Nothing), vec![1, 2, 3, 4, 5, 6, 7]),
        (not(Predicate::Or(Vec::new())), vec![1, 2, 3, 4, 5, 6, 7]),
        (
            Predicate::And(vec![
                new(),
                test(Column::RegisteredBy, Test::Eq(int(d.kari.0.into()))),
            ]),
            vec![5],
        ),
        (
            Predicate::Or(vec![
                test(Column::State, Test::Eq(state(TaskState::Started))),
                test(Column::Description, Test::Ends("ONE".into())),
            ]),
            vec![3, 6],
        ),
        // A NULL column fails the test, so its negation holds.
        (not(early()), vec![1, 2, 4, 5, 6, 7]),
        (
            not(test(Column::Request, Test::Eq(text("req-1")))),
            vec![2, 3, 4, 5, 6, 7],
        ),
        (
            not(test(Column::LastStarted, Test::Set)),
            vec![2, 4, 5, 6, 7],
        ),
        (
            not(test(Column::Response, Test::Contains("%".into()))),
            vec![1, 3, 4, 5, 6, 7],
        ),
        (
            not(test(Column::DefinitionName, Test::Eq(text("echo")))),
            vec![1, 2, 4, 6],
        ),
        (
            not(test(Column::Id, Test::OneOf(Vec::new()))),
            vec![1, 2, 3, 4, 5, 6, 7],
        ),
        (not(Predicate::Or(vec![early(), new()])), vec![1, 2, 6, 7]),
        (
            not(Predicate::And(vec![not(early()), not(new())])),
            vec![3, 4, 5],
        ),
        (not(not(early())), vec![3]),
        (not(not(not(early()))), vec![1, 2, 4, 5, 6, 7]),
        // Nesting: (New or started early) and not Kari's, or Failed.
        (
            Predicate::Or(vec![
                Predicate::And(vec![
                    Predicate::Or(vec![new(), early()]),
                    not(test(Column::RegisteredBy, Test::Eq(int(d.kari.0.into())))),
                ]),
                test(Column::State, Test::Eq(state(TaskState::Failed))),
            ]),
            vec![2, 3, 4],
        ),
        (
            not(Predicate::Or(vec![
                Predicate::And(vec![
                    Predicate::Or(vec![new(), early()]),
                    not(test(Column::RegisteredBy, Test::Eq(int(d.kari.0.into())))),
                ]),
                test(Column::State, Test::Eq(state(TaskState::Failed))),
            ])),
            vec![1, 5, 6, 7],
        ),
    ];
    for (predicate, expected) in cases {
        assert_eq!(
            find(s, predicate.clone()).await,
            d.ids(&expected),
            "{predicate:?}"
        );
    }
}

async fn wide_and_deep_predicates_compile_and_run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let d = dataset(s).await;
    let all = d.ids(&[1, 2, 3, 4, 5, 6, 7]);
    // 300 conditions, as a long `or` filter gives, and far more than SQLite's expression depth.
    for width in [300, 3000] {
        let wide = Predicate::Or(
            (0..width)
                .map(|i| test(Column::Id, Test::Eq(int(i64::from(d.t[1].0) + i))))
                .collect(),
        );
        assert_eq!(find(s, wide.clone()).await, all, "or of {width}");
        assert_eq!(find(s, not(wide)).await, vec![], "not(or of {width})");
        let narrow = Predicate::And(
            (0..width)
                .map(|i| test(Column::Id, Test::Ge(int(i64::from(d.t[1].0) - i))))
                .collect(),
        );
        assert_eq!(find(s, narrow).await, all, "and of {width}");
    }
    let many = test(
        Column::Description,
        Test::OneOf(
            (0..5000)
                .map(|i| text(&format!("value {i}")))
                .chain([text("alpha")])
                .collect(),
        ),
    );
    assert_eq!(find(s, many).await, d.ids(&[1]));

    // 60 levels, alternating connectives and negations, selecting 3.
    let mut deep = test(Column::LastStarted, Test::Lt(time(150)));
    for level in 0..30 {
        deep = if level % 2 == 0 {
            not(Predicate::Or(vec![not(deep), Predicate::Nothing]))
        } else {
            Predicate::And(vec![Predicate::All, deep])
        };
    }
    assert_eq!(find(s, deep.clone()).await, d.ids(&[3]));
    // Past the depth the store compiles, a clear refusal rather than a crash.
    for _ in 0..40 {
        deep = not(not(deep));
    }
    let refused = s.task_query(&query(deep)).await;
    assert!(matches!(refused, Err(StoreError::Config(_))), "{refused:?}");
    // So is a filter with more values than either database binds in one statement.
    let too_many = Predicate::Or(
        (0..70_000)
            .map(|i| test(Column::Id, Test::Eq(int(i))))
            .collect(),
    );
    let refused = s.task_query(&query(too_many)).await;
    assert!(matches!(refused, Err(StoreError::Config(_))), "{refused:?}");
}

async fn owners_restrict_before_the_predicate(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let d = dataset(s).await;
    let owners = |system, all_users, users: Vec<AssociateId>| OwnerFilter {
        system,
        all_users,
        users,
    };
    let cases = [
        (owners(false, false, vec![]), vec![]),
        (owners(true, false, vec![]), vec![1, 6]),
        (owners(false, true, vec![]), vec![2, 3, 4, 5, 7]),
        (owners(false, false, vec![d.kari]), vec![2, 5, 7]),
        (owners(true, false, vec![d.ola]), vec![1, 3, 6]),
        (
            owners(false, false, vec![AssociateId(99), d.ola]),
            vec![3, 4],
        ),
        (owners(false, true, vec![d.kari]), vec![2, 3, 4, 5, 7]),
        (owners(true, true, vec![]), vec![1, 2, 3, 4, 5, 6, 7]),
    ];
    for (owners, expected) in cases {
        let mut q = query(Predicate::All);
        q.owners = owners.clone();
        assert_eq!(run(s, &q).await, d.ids(&expected), "{owners:?}");
        // The predicate applies within the owners, negated or not.
        q.predicate = not(test(Column::State, Test::Eq(state(TaskState::New))));
        let without_new: Vec<usize> = expected
            .into_iter()
            .filter(|n| ![4, 5].contains(n))
            .collect();
        assert_eq!(run(s, &q).await, d.ids(&without_new), "{owners:?}, not New");
    }
}

async fn every_kind_orders_both_ways_with_nulls_placed_and_ids_breaking_ties(
    store: Arc<dyn Store>,
) {
    let s = store.as_ref();
    let d = dataset(s).await;
    let cases = [
        (vec![], vec![1, 2, 3, 4, 5, 6, 7]),
        (vec![desc(Column::Id)], vec![7, 6, 5, 4, 3, 2, 1]),
        (vec![asc(Column::Id)], vec![1, 2, 3, 4, 5, 6, 7]),
        // Ints; ties in id order whichever way the key goes.
        (vec![asc(Column::State)], vec![4, 5, 3, 1, 6, 7, 2]),
        (vec![desc(Column::State)], vec![2, 1, 6, 7, 3, 4, 5]),
        (
            vec![asc(Column::DefinitionTimeOut)],
            vec![2, 3, 5, 7, 1, 4, 6],
        ),
        (
            vec![desc(Column::ProgressPercent)],
            vec![1, 3, 2, 4, 5, 6, 7],
        ),
        (
            vec![asc(Column::State), desc(Column::RegisteredDate)],
            vec![5, 4, 3, 1, 6, 7, 2],
        ),
        // A key repeated, or after the id, changes nothing.
        (
            vec![
                desc(Column::State),
                asc(Column::State),
                desc(Column::Id),
                asc(Column::Description),
            ],
            vec![2, 7, 6, 1, 3, 5, 4],
        ),
        // Times: NULLs first ascending, last descending.
        (vec![asc(Column::LastStarted)], vec![2, 4, 5, 6, 7, 3, 1]),
        (vec![desc(Column::LastStarted)], vec![1, 3, 2, 4, 5, 6, 7]),
        (vec![desc(Column::UpdatedDate)], vec![2, 1, 3, 4, 5, 6, 7]),
        (vec![asc(Column::RegisteredDate)], vec![6, 7, 1, 2, 3, 4, 5]),
        // Text: case-insensitive, by code point.
        (vec![asc(Column::Description)], vec![7, 5, 2, 1, 3, 4, 6]),
        (vec![desc(Column::Description)], vec![6, 4, 3, 1, 2, 5, 7]),
        (vec![asc(Column::DefinitionName)], vec![3, 5, 7, 2, 1, 4, 6]),
        (
            vec![desc(Column::DefinitionName)],
            vec![1, 4, 6, 2, 3, 5, 7],
        ),
        (vec![asc(Column::Request)], vec![2, 3, 4, 5, 6, 7, 1]),
        (vec![desc(Column::Request)], vec![1, 2, 3, 4, 5, 6, 7]),
        (
            vec![asc(Column::ProgressDescription)],
            vec![2, 4, 5, 6, 7, 1, 3],
        ),
        (
            vec![asc(Column::DefinitionDescription), desc(Column::Id)],
            vec![7, 5, 3, 2, 6, 4, 1],
        ),
    ];
    for (order, expected) in cases {
        let mut q = query(Predicate::All);
        q.order = order.clone();
        assert_eq!(run(s, &q).await, d.ids(&expected), "{order:?}");
    }
}

async fn pages_do_not_overlap_and_make_up_the_whole(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let d = dataset(s).await;
    let mut q = query(Predicate::All);
    q.order = vec![asc(Column::DefinitionName)];
    let whole = run(s, &q).await;
    assert_eq!(whole, d.ids(&[3, 5, 7, 2, 1, 4, 6]));
    for size in 1..=4 {
        let mut pages = Vec::new();
        for page in 0.. {
            q.skip = page * size;
            q.limit = Some(size);
            let ids = run(s, &q).await;
            assert!(ids.len() <= usize::try_from(size).unwrap());
            if ids.is_empty() {
                break;
            }
            pages.extend(ids);
        }
        assert_eq!(pages, whole, "pages of {size}");
    }
    let page = |skip, limit| {
        let mut q = q.clone();
        (q.skip, q.limit) = (skip, limit);
        q
    };
    assert_eq!(run(s, &page(5, None)).await, d.ids(&[4, 6]));
    assert_eq!(run(s, &page(0, Some(0))).await, vec![]);
    assert_eq!(run(s, &page(7, Some(10))).await, vec![]);
    assert_eq!(run(s, &page(u64::MAX, None)).await, vec![]);
    assert_eq!(run(s, &page(1, Some(u64::MAX))).await, whole[1..].to_vec());
    assert_eq!(run(s, &page(i64::MAX as u64, Some(1))).await, vec![]);
}

async fn a_value_of_the_wrong_kind_is_a_config_error(store: Arc<dyn Store>) {
    let s = store.as_ref();
    dataset(s).await;
    let wrong = [
        test(Column::State, Test::Eq(text("1"))),
        test(Column::Description, Test::Eq(int(1))),
        test(Column::LastStarted, Test::Lt(int(1))),
        test(Column::StartCount, Test::Gt(time(1))),
        test(Column::State, Test::Begins("1".into())),
        test(Column::LastStarted, Test::Contains("2024".into())),
        test(Column::DefinitionTimeOut, Test::Ends("0".into())),
        test(Column::Id, Test::Between(int(1), text("9"))),
        test(Column::Id, Test::OneOf(vec![int(1), text("2")])),
        // Wherever the test sits, even where nothing could match.
        not(test(Column::DefinitionName, Test::Eq(int(3)))),
        Predicate::And(vec![
            Predicate::Nothing,
            Predicate::Or(vec![test(Column::RegisteredDate, Test::Eq(text("today")))]),
        ]),
    ];
    for predicate in wrong {
        let refused = s.task_query(&query(predicate.clone())).await;
        assert!(
            matches!(refused, Err(StoreError::Config(_))),
            "{predicate:?}: {refused:?}"
        );
    }
    let mut owners_none = query(test(Column::State, Test::Eq(text("x"))));
    owners_none.owners = OwnerFilter::default();
    assert!(matches!(
        s.task_query(&owners_none).await,
        Err(StoreError::Config(_))
    ));
}

async fn a_listed_task_carries_its_definition_and_associate_names(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let d = dataset(s).await;
    let listed = s.task_query(&query(Predicate::All)).await.unwrap();
    assert_eq!(listed.len(), 7);
    for row in &listed {
        let mut task = s.task_get(row.task.id).await.unwrap().unwrap();
        task.parameters = None;
        assert_eq!(
            row.task, task,
            "the task as task_get has it, less its parameters"
        );
    }
    let row = |n: usize| -> &ListedTask { &listed[n - 1] };
    assert!(
        s.task_get(d.t[3])
            .await
            .unwrap()
            .unwrap()
            .parameters
            .is_some()
    );

    let one = row(1);
    assert_eq!(one.task.name, "Report");
    assert_eq!(one.definition_id, d.report);
    assert_eq!(one.definition_description, "Monthly Report");
    assert_eq!(one.definition_timeout, 60);
    assert_eq!(one.updated_by, AssociateId::SYSTEM);
    assert_eq!(
        (
            one.registered_by_name.as_deref(),
            one.updated_by_name.as_deref()
        ),
        (None, None)
    );
    assert_eq!(one.task.state, TaskState::Succeeded);
    assert_eq!(one.task.last_started, Some(at(200)));
    assert_eq!(one.task.response.as_deref(), Some("done"));

    let two = row(2);
    assert_eq!(two.definition_id, d.export);
    assert_eq!(two.definition_description, "Exports 100% of rows");
    assert_eq!(two.definition_timeout, 0);
    assert_eq!(two.updated_by, d.ola);
    assert_eq!(two.registered_by_name.as_deref(), Some("Kari"));
    assert_eq!(two.updated_by_name.as_deref(), Some("ola"));

    let three = row(3);
    assert_eq!(three.task.parameters, None);
    assert_eq!(three.registered_by_name.as_deref(), Some("ola"));
    assert_eq!(three.updated_by_name, None);
    assert_eq!(three.definition_description, "");
    assert_eq!(
        (three.task.progress_percent, three.task.start_count),
        (40, 1)
    );

    let four = row(4);
    assert_eq!(four.task.name, "Report", "the definition's spelling");
    assert_eq!(four.definition_id, d.report);
    assert_eq!(four.registered_by_name, None, "associate 99 has no row");
    assert_eq!((four.task.details_table, four.task.details_record), (7, 42));
}
