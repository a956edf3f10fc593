//! The OData archive list, `GET /api/v1/BatchTask` and `GET /api/v1/Archive/BatchTasks` (spec
//! §1.8, §1.9), from outside: each operator family and each query option against a known set of
//! tasks, the Slim and Full shapes of the samples, paging past a configured cap, malformed filters,
//! and the same queries giving the same rows on SQLite and PostgreSQL.
//!
//! Six tasks are seeded, each found again by the first word of its Description:
//!
//! | key | name  | owner  | state     | registered (UTC)     | other                          |
//! |-----|-------|--------|-----------|----------------------|--------------------------------|
//! | d1  | Alpha | admin  | Succeeded | 2024-05-01 21:30     | Request `req-1`, Details 205/7 |
//! | d2  | Alpha | ann    | Failed    | 2024-05-01 22:30     | Description has `50%`          |
//! | d3  | Beta  | system | Succeeded | 2024-05-02 12:00     | Request `req-3`, has `_`       |
//! | d4  | Gamma | ann    | New       | 2023-11-15 10:00     | updated by admin (now)         |
//! | d5  | Echo  | admin  | Succeeded | now (ran: started)   |                                |
//! | d6  | Echo  | ann    | Succeeded | now (ran: started)   |                                |
//!
//! In Oslo (`SO-TimeZone: NO`, UTC+2 in May) d1 was registered on 1 May, d2 and d3 on 2 May; in
//! UTC d1 and d2 on 1 May.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sobatch_core::{AssociateId, TaskStart, TaskState};
use sobatch_server::Config;
use sobatch_wire::{Method, RawResponse, WireClient};

use crate::helpers::{TestApp, spawn_app_with};

const ANN_PASSWORD: &str = "ann-test-password";
const OSLO: (&str, &str) = ("SO-TimeZone", "NO");
const UTC: (&str, &str) = ("SO-TimeZone", "UTC");
const ALL: [&str; 6] = ["d1", "d2", "d3", "d4", "d5", "d6"];

struct Seeded {
    app: TestApp,
    ann: WireClient,
    admin_id: i32,
    ann_id: i32,
    /// The task ids of d1 to d6, in that order.
    ids: Vec<i32>,
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// A server whose retention never runs (the seeded history is years old) and which starts no
/// maintenance task of its own, so that the list holds exactly the seeded tasks.
fn quiet(config: &mut Config) {
    config.retention.succeeded = None;
    config.retention.failed = None;
}

async fn seeded() -> Seeded {
    seeded_with(|_| {}).await
}

async fn seeded_with(adjust: impl FnOnce(&mut Config)) -> Seeded {
    let app = spawn_app_with(|config| {
        quiet(config);
        adjust(config);
    })
    .await;
    seed(app).await
}

async fn seed(app: TestApp) -> Seeded {
    let ann_id = app.add_user("ann", false, ANN_PASSWORD).await;
    let ann = app.client_as("ann", ANN_PASSWORD);
    let url = app.db_url.clone();
    let store = tokio::task::spawn_blocking(move || sobatch_store::open(&url))
        .await
        .unwrap()
        .unwrap();
    let admin_id = 1;
    let history = [
        (
            TaskStart {
                description: "d1 monthly report".into(),
                request: Some("req-1".into()),
                details_table: 205,
                details_record: 7,
                ..TaskStart::new("Alpha", AssociateId(admin_id))
            },
            TaskState::Succeeded,
            "2024-05-01T21:30:00Z",
        ),
        (
            TaskStart {
                description: "d2 Monthly REPORT 50%".into(),
                ..TaskStart::new("Alpha", AssociateId(ann_id))
            },
            TaskState::Failed,
            "2024-05-01T22:30:00Z",
        ),
        (
            TaskStart {
                description: "d3 nightly_cleanup".into(),
                request: Some("req-3".into()),
                ..TaskStart::new("Beta", AssociateId(0))
            },
            TaskState::Succeeded,
            "2024-05-02T12:00:00Z",
        ),
        (
            TaskStart {
                description: "d4 o'clock".into(),
                ..TaskStart::new("Gamma", AssociateId(ann_id))
            },
            TaskState::New,
            "2023-11-15T10:00:00Z",
        ),
    ];
    let mut ids = Vec::new();
    for (start, state, registered) in history {
        let inserted = store
            .task_insert_many(vec![start], state, at(registered))
            .await
            .unwrap();
        ids.extend(inserted.into_iter().map(|id| id.0));
    }
    let d5 = app
        .start(json!({"Name": "Echo", "Description": "d5 echo"}))
        .await;
    let d6 = ann
        .task_start(&json!({"Name": "Echo", "Description": "d6 echo"}))
        .await
        .unwrap();
    for id in [d5, d6] {
        app.wait_for_state(id, "Succeeded").await;
    }
    ids.extend([d5, d6]);
    assert_eq!(app.get(d5).await["AssociateId"], admin_id);
    // An update by the admin makes d4 the one task updatedBy names.
    let response = app
        .send(
            Method::PUT,
            &format!("/api/v1/BatchTask/{}", ids[3]),
            Some(br#"{"Description": "d4 o'clock"}"#),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    Seeded {
        app,
        ann,
        admin_id,
        ann_id,
        ids,
    }
}

/// Encodes a query option's value as a client library would.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn query(options: &[(&str, &str)]) -> String {
    options
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn get_as(
    client: &WireClient,
    path: &str,
    options: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> RawResponse {
    let path = if options.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query(options))
    };
    client
        .send(Method::GET, &path, headers, None)
        .await
        .unwrap()
}

async fn list(seeded: &Seeded, options: &[(&str, &str)], headers: &[(&str, &str)]) -> Value {
    list_as(&seeded.app.client, options, headers).await
}

async fn list_as(client: &WireClient, options: &[(&str, &str)], headers: &[(&str, &str)]) -> Value {
    let response = get_as(client, "/api/v1/BatchTask", options, headers).await;
    assert_eq!(response.status, 200, "{options:?}: {}", response.text());
    response.json().unwrap()
}

/// The keys (`d1`…) of the rows an answer holds, in its order.
fn keys_of(answer: &Value) -> Vec<String> {
    answer["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let description = row
                .get("Description")
                .or_else(|| row.pointer("/Column/Description/DisplayValue"))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("no Description in {row}"));
            description
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// The keys of the rows `filter` selects, in id order, for the admin.
async fn filtered(seeded: &Seeded, filter: &str, headers: &[(&str, &str)]) -> Vec<String> {
    let answer = list(
        seeded,
        &[("$filter", filter), ("$select", "Description")],
        headers,
    )
    .await;
    keys_of(&answer)
}

async fn assert_filters(seeded: &Seeded, headers: &[(&str, &str)], cases: &[(&str, &[&str])]) {
    for (filter, expected) in cases {
        assert_eq!(
            filtered(seeded, filter, headers).await,
            *expected,
            "$filter={filter} with {headers:?}"
        );
    }
}

/// Asserts a 400 in SuperOffice's error shape whose message names the option and contains each
/// of `parts`; returns the message.
fn assert_refused(response: &RawResponse, option: &str, parts: &[&str]) -> String {
    assert_eq!(response.status, 400, "{}", response.text());
    let body = response.json().unwrap();
    assert_eq!(body["Error"], true);
    assert_eq!(body["ErrorType"], "ArgumentException");
    let message = body["ErrorMessage"].as_str().unwrap().to_string();
    assert!(message.contains(option), "{message}");
    for part in parts {
        assert!(message.contains(part), "{message} lacks {part}");
    }
    message
}

#[tokio::test]
async fn int_operators_and_their_word_forms_filter_by_number() {
    let seeded = seeded().await;
    assert_filters(
        &seeded,
        &[],
        &[
            ("State eq 5", &["d2"]),
            ("State = 4", &["d1", "d3", "d5", "d6"]),
            ("State equals 1", &["d4"]),
            ("State ne 4", &["d2", "d4"]),
            ("State unequals 4", &["d2", "d4"]),
            ("State lt 4", &["d4"]),
            ("State less 4", &["d4"]),
            ("State le 4", &["d1", "d3", "d4", "d5", "d6"]),
            ("State gt 4", &["d2"]),
            ("State greater 4", &["d2"]),
            ("State ge 5", &["d2"]),
            ("State between (1,4)", &["d1", "d3", "d4", "d5", "d6"]),
            ("State oneOf (1,5)", &["d2", "d4"]),
            ("State oneOf 5", &["d2"]),
            ("State notOneOf (4)", &["d2", "d4"]),
            ("DetailsTable set", &["d1"]),
            ("DetailsRecord eq 7", &["d1"]),
            ("StartCount gt 0", &["d5", "d6"]),
            ("ProgressPercent ge 0", &ALL),
            ("DefinitionTimeOut ge 0", &ALL),
            ("State eq 99999999999", &[]),
            ("State eq -1", &[]),
        ],
    )
    .await;
    // DefinitionId compares the definition's own id, whatever it is.
    let answer = list(
        &seeded,
        &[
            ("$filter", "Description begins 'd1'"),
            ("$select", "DefinitionId"),
        ],
        &[],
    )
    .await;
    let alpha = answer["value"][0]["DefinitionId"].as_i64().unwrap();
    assert_filters(
        &seeded,
        &[],
        &[(&format!("DefinitionId eq {alpha}"), &["d1", "d2"])],
    )
    .await;
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn string_operators_and_functions_compare_text_case_insensitively_and_literally() {
    let seeded = seeded().await;
    let not_d5: &[&str] = &["d1", "d2", "d3", "d4", "d6"];
    assert_filters(
        &seeded,
        &[],
        &[
            ("Description contains 'REPORT'", &["d1", "d2"]),
            ("Description begins 'D1'", &["d1"]),
            ("startswith(Description,'d3')", &["d3"]),
            ("endswith(Description,'50%')", &["d2"]),
            // `%` and `_` are literal, not wildcards.
            ("Description contains '%'", &["d2"]),
            ("Description contains '_'", &["d3"]),
            ("Description contains 'y_c'", &["d3"]),
            ("substringof('o''clock',Description)", &["d4"]),
            ("Description is 'D5 ECHO'", &["d5"]),
            ("Description isNot 'd5 echo'", not_d5),
            ("Description notBegins 'd'", &[]),
            (
                "Description notContains 'report'",
                &["d3", "d4", "d5", "d6"],
            ),
            ("DefinitionName in ('alpha','GAMMA')", &["d1", "d2", "d4"]),
            ("DefinitionName in 'beta'", &["d3"]),
            (
                "DefinitionName between ('Alpha','Beta')",
                &["d1", "d2", "d3"],
            ),
            ("Request is 'req-1'", &["d1"]),
            // A task without a Request passes the negation.
            ("Request isNot 'req-1'", &["d2", "d3", "d4", "d5", "d6"]),
            ("Request contains 'req'", &["d1", "d3"]),
            ("DbTag begins ''", &ALL),
        ],
    )
    .await;
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn date_literals_are_days_and_times_in_the_request_zone() {
    let seeded = seeded().await;
    assert_filters(
        &seeded,
        &[OSLO],
        &[
            ("registeredDate date '2024-5-2'", &["d2", "d3"]),
            ("registeredDate date '2024-05-01'", &["d1"]),
            ("registeredDate date '2024-05-02T23:59:00'", &["d2", "d3"]),
            ("registeredDate before '2024-5-2'", &["d1", "d4"]),
            ("registeredDate after '2024-5-1'", &["d2", "d3", "d5", "d6"]),
            (
                "registeredDate between ('2024-5-1','2024-5-2')",
                &["d1", "d2", "d3"],
            ),
            (
                "registeredDate dateBetween ('2024-5-2','2024-5-2')",
                &["d2", "d3"],
            ),
            (
                "registeredDate after '2024-05-02T00:00:00'",
                &["d2", "d3", "d5", "d6"],
            ),
            (
                "registeredDate before '2024-05-01T22:00:00Z'",
                &["d1", "d4"],
            ),
            (
                "registeredDate between ('2024-5-2 0:30','2024-05-02T14:00:00+02:00')",
                &["d2", "d3"],
            ),
            // Tasks that never started have no LastStarted, which no date test matches.
            ("LastStarted before '9999-12-31'", &["d5", "d6"]),
        ],
    )
    .await;
    assert_filters(
        &seeded,
        &[UTC],
        &[
            ("registeredDate date '2024-5-1'", &["d1", "d2"]),
            ("registeredDate date '2024-5-2'", &["d3"]),
            ("registeredDate before '2024-3-31 2:30'", &["d4"]),
        ],
    )
    .await;
    // Without SO-TimeZone the base zone (UTC here) applies.
    assert_filters(
        &seeded,
        &[],
        &[("registeredDate date '2024-5-1'", &["d1", "d2"])],
    )
    .await;
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn date_periods_count_from_now_in_the_request_zone() {
    let seeded = seeded().await;
    let now: &[&str] = &["d5", "d6"];
    let before: &[&str] = &["d1", "d2", "d3", "d4"];
    for zone in [OSLO, UTC, ("SO-TimeZone", "US-HI")] {
        assert_filters(
            &seeded,
            &[zone],
            &[
                ("registeredDate today", now),
                ("registeredDate beforeToday", before),
                ("registeredDate afterToday", &[]),
                ("registeredDate thisWeek", now),
                ("registeredDate lastWeek", &[]),
                ("registeredDate nextWeek", &[]),
                ("registeredDate thisMonth", now),
                ("registeredDate lastMonth", &[]),
                ("registeredDate nextMonth", &[]),
                ("registeredDate thisQuarter", now),
                ("registeredDate lastQuarter", &[]),
                ("registeredDate nextQuarter", &[]),
                ("registeredDate thisHalf", now),
                ("registeredDate thisYear", now),
                ("this(registeredDate,day)", now),
                ("this(registeredDate,half)", now),
                ("next(registeredDate,3,year)", &[]),
                ("previous(registeredDate,1,day)", &[]),
                ("previous(registeredDate,10,year)", before),
                ("thisAndNext(registeredDate,2,week)", now),
                ("thisAndPrevious(registeredDate,1,month)", now),
                ("thisAndPreviousAndNext(registeredDate,year)", now),
                ("LastStarted today", now),
                ("LastStarted beforeToday", &[]),
                ("updatedDate today", &["d4", "d5", "d6"]),
            ],
        )
        .await;
    }
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn associate_operators_match_ids_and_the_caller() {
    let seeded = seeded().await;
    assert_filters(
        &seeded,
        &[],
        &[
            ("registeredBy currentAssociate", &["d1", "d5"]),
            ("registeredBy associateIsOneOf (0)", &["d3"]),
            (
                &format!("registeredBy associateIsOneOf {}", seeded.ann_id),
                &["d2", "d4", "d6"],
            ),
            (
                &format!("registeredBy associateIsNotOneOf (0,{})", seeded.admin_id),
                &["d2", "d4", "d6"],
            ),
            (
                &format!("updatedBy associateIsOneOf ({})", seeded.admin_id),
                &["d4"],
            ),
            ("updatedBy currentAssociate", &["d4"]),
        ],
    )
    .await;
    let answer = list_as(
        &seeded.ann,
        &[
            ("$filter", "registeredBy currentAssociate"),
            ("$select", "Description,registeredBy"),
        ],
        &[],
    )
    .await;
    assert_eq!(keys_of(&answer), ["d2", "d4", "d6"]);
    assert_eq!(answer["value"][0]["registeredBy"], "ann");
    // Associates show by name; the system has none.
    let answer = list(
        &seeded,
        &[("$select", "Description,registeredBy,updatedBy")],
        &[],
    )
    .await;
    let names: Vec<(&str, &str)> = answer["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["registeredBy"].as_str().unwrap(),
                row["updatedBy"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("admin", ""),
            ("ann", ""),
            ("", ""),
            ("ann", "admin"),
            ("admin", ""),
            ("ann", "")
        ]
    );
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn list_operators_apply_to_id_columns() {
    let seeded = seeded().await;
    assert_filters(
        &seeded,
        &[],
        &[
            ("State oneOf (4,5)", &["d1", "d2", "d3", "d5", "d6"]),
            ("State notOneOf (4,5)", &["d4"]),
            ("State equals 5", &["d2"]),
            ("DetailsTable oneOf (0)", &["d2", "d3", "d4", "d5", "d6"]),
        ],
    )
    .await;
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn the_bool_restrictions_select_all_rows_or_none() {
    let seeded = seeded().await;
    assert_filters(
        &seeded,
        &[],
        &[
            ("getAllRows set", &ALL),
            ("getAllRows set 1", &ALL),
            ("getNoRows set", &[]),
            ("getNoRows set 1", &[]),
            ("getNoRows set 0", &ALL),
            ("getNoRows set or State eq 5", &["d2"]),
            ("getAllRows set and State eq 5", &["d2"]),
            ("GETNOROWS SET", &[]),
        ],
    )
    .await;
    // The empty answer is the documented one.
    let answer = list(&seeded, &[("$filter", "getNoRows set 1")], &[]).await;
    let expected = json!({
        "odata.metadata": format!("http://{}/api/v1/Archive/BatchTasks/$metadata", seeded.app.addr),
        "odata.nextLink": null,
        "value": []
    });
    assert_eq!(answer, expected);
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn and_or_not_and_parentheses_combine_conditions_with_the_usual_precedence() {
    let seeded = seeded().await;
    assert_filters(
        &seeded,
        &[],
        &[
            ("State eq 4 and DefinitionName is 'Alpha'", &["d1"]),
            ("State eq 5 or DefinitionName is 'Beta'", &["d2", "d3"]),
            ("not State eq 4", &["d2", "d4"]),
            ("NOT (State eq 4 or State eq 5)", &["d4"]),
            // `and` binds tighter than `or`.
            (
                "DefinitionName is 'Beta' or DefinitionName is 'Alpha' and State eq 5",
                &["d2", "d3"],
            ),
            (
                "(DefinitionName is 'Beta' or DefinitionName is 'Alpha') and State eq 4",
                &["d1", "d3"],
            ),
            ("not not State eq 1", &["d4"]),
            (
                "State eq 4 AND (Description contains 'echo' Or Request contains 'req')",
                &["d1", "d3", "d5", "d6"],
            ),
            ("((((State eq 1))))", &["d4"]),
        ],
    )
    .await;
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn select_chooses_columns_in_any_case_and_defaults_to_every_column_in_spec_order() {
    let seeded = seeded().await;
    let answer = list(
        &seeded,
        &[
            ("$select", "STATE, definitionname,State"),
            ("$filter", "Description begins 'd1'"),
        ],
        &[],
    )
    .await;
    let row = answer["value"][0].as_object().unwrap();
    let keys: Vec<&str> = row.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["PrimaryKey", "EntityName", "State", "DefinitionName"]
    );
    assert_eq!(row["State"], 4);
    assert_eq!(row["DefinitionName"], "Alpha");

    let answer = list(
        &seeded,
        &[("$filter", "Description begins 'd1'")],
        &[("SO-TimeZone", "NO, includeTZOffset")],
    )
    .await;
    let row = &answer["value"][0];
    let keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "PrimaryKey",
            "EntityName",
            "DefinitionId",
            "DefinitionName",
            "DefinitionDescription",
            "DefinitionTimeOut",
            "Description",
            "DbTag",
            "State",
            "DetailsTable",
            "DetailsRecord",
            "Request",
            "Response",
            "StartCount",
            "LastStarted",
            "ProgressPercent",
            "ProgressDescription",
            "updatedBy",
            "updatedDate",
            "registeredBy",
            "registeredDate",
        ]
    );
    assert_eq!(row["PrimaryKey"], seeded.ids[0].to_string());
    assert_eq!(row["EntityName"], "batchtask");
    assert_eq!(row["Description"], "d1 monthly report");
    assert_eq!(row["Request"], "req-1");
    assert_eq!(row["Response"], "", "a missing text shows as empty");
    assert_eq!(row["DetailsTable"], 205);
    assert_eq!(row["StartCount"], 0);
    assert_eq!(row["LastStarted"], "0001-01-01T00:00:00Z");
    assert_eq!(row["registeredDate"], "2024-05-01T21:30:00Z");
    assert_eq!(row["registeredBy"], "admin");
    assert!(row["DbTag"].as_str().is_some_and(|tag| !tag.is_empty()));

    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &[("$select", "State,Nope")],
        &[],
    )
    .await;
    assert_refused(&response, "$select", &["\"Nope\" at position 6"]);
    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &[("$select", "getAllRows")],
        &[],
    )
    .await;
    assert_refused(&response, "$select", &["getAllRows"]);
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn dates_render_in_the_request_zone_as_the_task_routes_render_them() {
    let seeded = seeded().await;
    let options = [
        ("$select", "Description,LastStarted,registeredDate"),
        ("$filter", "Description is 'd5 echo'"),
    ];
    let answer = list(&seeded, &options, &[OSLO]).await;
    let task = seeded
        .app
        .client
        .send(
            Method::GET,
            &format!("/api/v1/BatchTask/{}", seeded.ids[4]),
            &[OSLO],
            None,
        )
        .await
        .unwrap()
        .json()
        .unwrap();
    let row = &answer["value"][0];
    assert_eq!(row["LastStarted"], task["LastStarted"]);
    assert_eq!(row["registeredDate"], task["Created"]);
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn order_by_sorts_by_orderable_columns_and_refuses_others() {
    let seeded = seeded().await;
    let ordered = |order: &'static str| {
        let seeded = &seeded;
        async move {
            keys_of(
                &list(
                    seeded,
                    &[("$orderBy", order), ("$select", "Description")],
                    &[],
                )
                .await,
            )
        }
    };
    assert_eq!(
        ordered("registeredDate desc").await,
        ["d6", "d5", "d3", "d2", "d1", "d4"]
    );
    assert_eq!(
        ordered("registeredDate").await,
        ["d4", "d1", "d2", "d3", "d5", "d6"]
    );
    assert_eq!(
        ordered("DefinitionName asc, registeredDate DESC").await,
        ["d2", "d1", "d3", "d6", "d5", "d4"]
    );
    // Ties break by id; text orders case-insensitively.
    assert_eq!(
        ordered("State desc").await,
        ["d2", "d1", "d3", "d5", "d6", "d4"]
    );
    assert_eq!(
        ordered("Description desc").await,
        ["d6", "d5", "d4", "d3", "d2", "d1"]
    );
    assert_eq!(
        ordered("PrimaryKey desc").await,
        ["d6", "d5", "d4", "d3", "d2", "d1"]
    );
    // LastStarted: the tasks that never started (NULL) come first ascending.
    assert_eq!(
        ordered("LastStarted, PrimaryKey desc").await,
        ["d4", "d3", "d2", "d1", "d5", "d6"]
    );
    let answer = list(
        &seeded,
        &[("$orderby", "registeredBy"), ("$select", "Description")],
        &[],
    )
    .await;
    assert_eq!(keys_of(&answer).first().map(String::as_str), Some("d3"));
    for (order, part) in [
        ("Request", "\"Request\" cannot be ordered by, at position 0"),
        ("State, ProgressDescription desc", "at position 7"),
        ("Nope", "unknown column \"Nope\""),
        ("State upwards", "asc or desc"),
    ] {
        let response = get_as(
            &seeded.app.client,
            "/api/v1/BatchTask",
            &[("$orderBy", order)],
            &[],
        )
        .await;
        assert_refused(&response, "$orderBy", &[part]);
    }
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn top_and_skip_page_after_filtering_and_ordering() {
    let seeded = seeded().await;
    let page = |top: &'static str, skip: &'static str| {
        let seeded = &seeded;
        async move {
            keys_of(
                &list(
                    seeded,
                    &[
                        ("$select", "Description"),
                        ("$filter", "State eq 4"),
                        ("$orderBy", "PrimaryKey desc"),
                        ("$top", top),
                        ("$skip", skip),
                    ],
                    &[],
                )
                .await,
            )
        }
    };
    assert_eq!(page("2", "0").await, ["d6", "d5"]);
    assert_eq!(page("2", "1").await, ["d5", "d3"]);
    assert_eq!(page("10", "3").await, ["d1"]);
    assert_eq!(page("0", "0").await, Vec::<String>::new());
    assert_eq!(page("1", "4").await, Vec::<String>::new());
    let answer = list(&seeded, &[("$top", "2")], &[]).await;
    assert_eq!(answer["odata.nextLink"], Value::Null);
    for (option, value) in [
        ("$top", "-1"),
        ("$top", "2147483648"),
        ("$skip", "abc"),
        ("$skip", "1.5"),
    ] {
        let response = get_as(
            &seeded.app.client,
            "/api/v1/BatchTask",
            &[(option, value)],
            &[],
        )
        .await;
        assert_refused(&response, option, &[value]);
    }
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn a_page_cut_by_the_configured_cap_links_to_the_rest() {
    let seeded = seeded_with(|config| {
        config.odata_page_limit = 2;
        config.base_path = "/Cust1".into();
    })
    .await;
    let base = format!("http://{}", seeded.app.addr);
    let mut path = "/Cust1/api/v1/BatchTask?$select=Description&$filter=State%20ne%205".to_string();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let response = seeded
            .app
            .client
            .send(Method::GET, &path, &[], None)
            .await
            .unwrap();
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        let answer = response.json().unwrap();
        assert_eq!(
            answer["odata.metadata"],
            format!("{base}/Cust1/api/v1/Archive/BatchTasks/$metadata")
        );
        let rows = keys_of(&answer);
        assert!(rows.len() <= 2);
        seen.extend(rows);
        pages += 1;
        match &answer["odata.nextLink"] {
            Value::String(link) => {
                assert!(
                    link.starts_with(&format!("{base}/Cust1/api/v1/BatchTask?")),
                    "{link}"
                );
                path = link[base.len()..].to_string();
            }
            Value::Null => break,
            other => panic!("nextLink {other}"),
        }
        assert!(pages < 10, "the links never end");
    }
    assert_eq!(seen, ["d1", "d3", "d4", "d5", "d6"]);
    assert_eq!(pages, 3);

    // A `$top` beyond the cap is spread over pages too, and counted down.
    let answer = list(
        &seeded,
        &[("$select", "Description"), ("$top", "3"), ("$skip", "1")],
        &[],
    )
    .await;
    assert_eq!(keys_of(&answer), ["d2", "d3"]);
    let link = answer["odata.nextLink"].as_str().unwrap();
    assert!(
        link.contains("$top=1") && link.contains("$skip=3"),
        "{link}"
    );
    let rest = seeded
        .app
        .client
        .send(Method::GET, &link[base.len()..], &[], None)
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(keys_of(&rest), ["d4"]);
    assert_eq!(rest["odata.nextLink"], Value::Null);
    // A `$top` within the cap needs no link.
    let answer = list(&seeded, &[("$select", "Description"), ("$top", "2")], &[]).await;
    assert_eq!(answer["odata.nextLink"], Value::Null);
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn the_metadata_url_uses_the_configured_public_url() {
    let seeded =
        seeded_with(|config| config.public_url = "https://crm.example.com/Cust12345".into()).await;
    let answer = list(&seeded, &[("$top", "0")], &[]).await;
    assert_eq!(
        answer["odata.metadata"],
        "https://crm.example.com/Cust12345/api/v1/Archive/BatchTasks/$metadata"
    );
    seeded.app.shutdown().await;
}

/// The members of the documented samples' rows (`spec/samples/odata/`).
const SLIM_SAMPLE_KEYS: [&str; 10] = [
    "PrimaryKey",
    "EntityName",
    "DefinitionName",
    "Description",
    "State",
    "StartCount",
    "LastStarted",
    "ProgressPercent",
    "registeredBy",
    "registeredDate",
];
const FULL_SAMPLE_ROW_KEYS: [&str; 6] = [
    "PrimaryKey",
    "EntityName",
    "StyleHint",
    "LinkHint",
    "TableRight",
    "Column",
];
const FULL_SAMPLE_CELL_KEYS: [&str; 4] = ["RawValue", "DisplayValue", "LinkHint", "TooltipHint"];

fn member_names(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn slim_wide_and_full_rows_have_the_shapes_of_the_samples() {
    let seeded = seeded().await;
    let slim_select = "DefinitionName,Description,State,StartCount,LastStarted,ProgressPercent,registeredBy,registeredDate";
    for mode in [None, Some("Slim"), Some("wide"), Some("SLIM")] {
        let mut options = vec![
            ("$select", slim_select),
            ("$filter", "State oneOf (1,3)"),
            ("$orderBy", "registeredDate desc"),
        ];
        if let Some(mode) = mode {
            options.push(("$mode", mode));
        }
        let answer = list(&seeded, &options, &[]).await;
        assert_eq!(
            member_names(&answer),
            ["odata.metadata", "odata.nextLink", "value"]
        );
        let row = &answer["value"][0];
        assert_eq!(member_names(row), SLIM_SAMPLE_KEYS, "{mode:?}");
        assert_eq!(
            row["PrimaryKey"],
            seeded.ids[3].to_string(),
            "a string in Slim"
        );
        assert_eq!(row["EntityName"], "batchtask");
        assert_eq!(row["State"], 1);
        assert_eq!(row["registeredBy"], "ann");
        assert_eq!(row["LastStarted"], "0001-01-01T00:00:00");
    }

    let answer = list(
        &seeded,
        &[
            ("$select", "DefinitionName,State,registeredBy"),
            ("$filter", "Description begins 'd5'"),
            ("$mode", "Full"),
        ],
        &[],
    )
    .await;
    let row = &answer["value"][0];
    assert_eq!(member_names(row), FULL_SAMPLE_ROW_KEYS);
    assert_eq!(row["PrimaryKey"], seeded.ids[4], "a number in Full");
    assert_eq!(row["EntityName"], "batchtask");
    assert_eq!(row["StyleHint"], "");
    assert_eq!(row["TableRight"], json!({"Mask": 1, "Reason": ""}));
    assert_eq!(
        member_names(&row["Column"]),
        ["DefinitionName", "State", "registeredBy"]
    );
    for cell in row["Column"].as_object().unwrap().values() {
        assert_eq!(member_names(cell), FULL_SAMPLE_CELL_KEYS);
    }
    assert_eq!(
        row["Column"]["State"],
        json!({"RawValue": 4, "DisplayValue": "4", "LinkHint": "", "TooltipHint": ""})
    );
    assert_eq!(row["Column"]["registeredBy"]["RawValue"], seeded.admin_id);
    assert_eq!(row["Column"]["registeredBy"]["DisplayValue"], "admin");
    assert_eq!(
        row["Column"]["DefinitionName"]["RawValue"],
        row["Column"]["DefinitionName"]["DisplayValue"]
    );

    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &[("$mode", "Tall")],
        &[],
    )
    .await;
    assert_refused(&response, "$mode", &["Tall"]);
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn output_display_writes_slim_values_as_text() {
    let seeded = seeded().await;
    let options = [
        ("$select", "State,StartCount,registeredBy"),
        ("$filter", "Description begins 'd5'"),
    ];
    let logical = list(&seeded, &options, &[]).await;
    assert_eq!(logical["value"][0]["State"], 4);
    let mut display_options = options.to_vec();
    display_options.push(("$output", "Display"));
    let display = list(&seeded, &display_options, &[]).await;
    let row = &display["value"][0];
    assert_eq!(row["State"], "4");
    assert_eq!(row["StartCount"], "1");
    assert_eq!(row["registeredBy"], "admin");
    let mut logical_options = options.to_vec();
    logical_options.push(("$output", "logical"));
    assert_eq!(list(&seeded, &logical_options, &[]).await, logical);
    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &[("$output", "Fancy")],
        &[],
    )
    .await;
    assert_refused(&response, "$output", &["Fancy"]);
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn format_xml_overrides_accept_and_json_safe_keeps_safe_names() {
    let seeded = seeded().await;
    let options = [
        ("$select", "Description,State"),
        ("$filter", "Description begins 'd1'"),
    ];
    let mut xml_options = options.to_vec();
    xml_options.push(("$format", "XML"));
    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &xml_options,
        &[("Accept", "application/json")],
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let content_type = response.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/xml"),
        "{content_type}"
    );
    let text = response.text();
    assert!(text.starts_with("<?xml"), "{text}");
    assert!(text.contains("<ODataSlimResponse"), "{text}");
    assert!(text.contains("<odata.nextLink i:nil=\"true\" />"), "{text}");
    assert!(
        text.contains("<item>") && text.contains("<Description>d1 monthly report</Description>"),
        "{text}"
    );
    assert!(text.contains("<State>4</State>"), "{text}");

    // Without `$format`, Accept decides; `$format=json` beats an Accept nothing else satisfies.
    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &options,
        &[("Accept", "application/xml")],
    )
    .await;
    assert!(response.text().contains("<ODataSlimResponse"));
    let mut json_options = options.to_vec();
    json_options.push(("$format", "json"));
    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &json_options,
        &[("Accept", "image/png")],
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(keys_of(&response.json().unwrap()), ["d1"]);

    let plain = list(&seeded, &options, &[]).await;
    let mut safe_options = options.to_vec();
    safe_options.push(("$jsonSafe", "true"));
    assert_eq!(list(&seeded, &safe_options, &[]).await, plain);

    for (option, value) in [("$format", "csv"), ("$jsonSafe", "perhaps")] {
        let response = get_as(
            &seeded.app.client,
            "/api/v1/BatchTask",
            &[(option, value)],
            &[],
        )
        .await;
        assert_refused(&response, option, &[value]);
    }
    // A refused filter answers in the format asked for.
    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &[("$filter", "Nope eq 1"), ("$format", "xml")],
        &[],
    )
    .await;
    assert_eq!(response.status, 400);
    assert!(
        response
            .text()
            .contains("<ErrorType>ArgumentException</ErrorType>")
    );
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn option_names_match_in_any_case_ignored_options_are_accepted_and_twice_is_refused() {
    let seeded = seeded().await;
    let expected = list(
        &seeded,
        &[
            ("$filter", "State eq 4"),
            ("$orderBy", "PrimaryKey desc"),
            ("$top", "2"),
            ("$select", "Description"),
        ],
        &[],
    )
    .await;
    assert_eq!(keys_of(&expected), ["d6", "d5"]);
    let shouted = list(
        &seeded,
        &[
            ("$FILTER", "State eq 4"),
            ("$orderby", "PrimaryKey desc"),
            ("$Top", "2"),
            ("$SeLeCt", "Description"),
            ("$entities", "batchtask"),
            ("$options", "GrandTotal=true"),
            ("$context", "anything"),
            ("cachebuster", "12345"),
        ],
        &[],
    )
    .await;
    assert_eq!(shouted, expected);
    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &[("$top", "1"), ("$TOP", "2")],
        &[],
    )
    .await;
    assert_refused(&response, "$top", &["more than once"]);
    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &[("$fitler", "State eq 1")],
        &[],
    )
    .await;
    assert_refused(&response, "$fitler", &["not an option"]);
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn every_caller_sees_system_and_user_tasks_and_never_internal_ones() {
    let seeded = seeded().await;
    let internal = seeded
        .app
        .start(json!({"Name": "Block", "IsInternalTask": true, "Description": "d7 internal"}))
        .await;
    seeded.app.wait_for_state(internal, "Started").await;
    let everything = [("$select", "Description")];
    // Spec §1.6: the archive lists all rows, system tasks included, whoever asks.
    assert_eq!(keys_of(&list(&seeded, &everything, &[]).await), ALL);
    assert_eq!(
        keys_of(&list_as(&seeded.ann, &everything, &[]).await),
        ALL,
        "a user sees the same rows as an administrator"
    );
    let response = seeded
        .app
        .anonymous()
        .send(Method::GET, "/api/v1/BatchTask", &[], None)
        .await
        .unwrap();
    assert_eq!(response.status, 401);
    let stop = seeded
        .app
        .client
        .send(
            Method::POST,
            &format!("/api/v1/BatchTask/{internal}/Stop"),
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(stop.status, 200);
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn the_archive_route_answers_as_the_batch_task_route() {
    let seeded = seeded().await;
    let options = [
        ("$select", "Description,State,registeredBy"),
        ("$filter", "State ne 5"),
        ("$orderBy", "Description desc"),
    ];
    let from_rest = list(&seeded, &options, &[OSLO]).await;
    for path in [
        "/api/v1/Archive/BatchTasks",
        "/API/V1/archive/batchtasks",
        "/api/v1/BATCHTASK",
    ] {
        let response = get_as(&seeded.app.client, path, &options, &[OSLO]).await;
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        assert_eq!(response.json().unwrap(), from_rest, "{path}");
    }
    let response = seeded
        .app
        .client
        .send(Method::POST, "/api/v1/Archive/BatchTasks", &[], None)
        .await
        .unwrap();
    assert_eq!(response.status, 405);
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn malformed_filters_are_400s_naming_the_token_and_its_position() {
    let seeded = seeded().await;
    let deep = format!("{}State eq 1{}", "(".repeat(40), ")".repeat(40));
    let long = format!("State eq 1{}", " or State eq 1".repeat(400));
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "Nope eq 1",
            vec!["unknown column \"Nope\"", "at position 0"],
        ),
        ("State eqq 1", vec!["\"eqq\"", "at position 6"]),
        (
            "State eq 'x'",
            vec!["\"x\" is not a whole number", "at position 9"],
        ),
        ("Description eq 1", vec!["\"eq\"", "at position 12"]),
        ("Description contains 3", vec!["3", "at position 21"]),
        (
            "LastStarted before 'yesterday'",
            vec!["yesterday", "at position 19"],
        ),
        ("State eq", vec!["at position 8"]),
        ("(State eq 1", vec!["unclosed \"(\"", "at position 0"]),
        ("State eq 1)", vec!["\")\"", "at position 10"]),
        ("State eq 1 and", vec!["at position 14"]),
        ("'State' eq 1", vec!["at position 0"]),
        ("getAllRows set 2", vec!["2", "at position 15"]),
        ("registeredBy eq 1", vec!["\"eq\"", "at position 13"]),
        (
            "next(LastStarted,4000000000,year)",
            vec!["beyond", "at position 0"],
        ),
        (&deep, vec!["deeper", "at position 32"]),
        (&long, vec!["longer than 4096", "at position 4096"]),
        ("State eq 1 ; drop table batchtask", vec!["at position 11"]),
        ("Description is 'unterminated", vec!["at position 15"]),
    ];
    for (filter, parts) in &cases {
        let response = get_as(
            &seeded.app.client,
            "/api/v1/BatchTask",
            &[("$filter", filter)],
            &[],
        )
        .await;
        assert_refused(&response, "$filter", parts);
    }
    // A wall time the request's zone skips (Oslo, 31 March 2024, 02:00 → 03:00).
    let response = get_as(
        &seeded.app.client,
        "/api/v1/BatchTask",
        &[("$filter", "registeredDate before '2024-3-31 2:30'")],
        &[OSLO],
    )
    .await;
    assert_refused(
        &response,
        "$filter",
        &["does not exist", "Europe/Oslo", "at position 22"],
    );
    // Whatever bytes come, the answer is a 200 or a 400, never a 5xx.
    for filter in [
        "\u{0}",
        "é eq 1",
        "State eq 1 and not",
        ")(",
        "''''",
        "State between (1)",
        "State between (1,2,3)",
        "this(LastStarted,fortnight)",
        "startswith(Description)",
        "substringof(Description,'x')",
        "State oneOf ()",
        "-",
        "State eq --1",
        "State eq 1e3",
    ] {
        let response = get_as(
            &seeded.app.client,
            "/api/v1/BatchTask",
            &[("$filter", filter)],
            &[],
        )
        .await;
        assert!(
            response.status == 200 || response.status == 400,
            "{filter:?}: {} {}",
            response.status,
            response.text()
        );
    }
    seeded.app.shutdown().await;
}

#[tokio::test]
async fn the_same_queries_give_the_same_rows_on_sqlite_and_postgresql() {
    let Some(database) = sobatch_testing::PgDatabase::create("odata") else {
        eprintln!("SOBATCH_TEST_POSTGRES_URL is not set: nothing to compare SQLite with");
        return;
    };
    let sqlite = seeded().await;
    let url = database.url.clone();
    let postgres = seeded_with(move |config| config.db = url).await;
    let queries: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("$filter", "State ne 4 or DetailsTable set")],
        vec![("$filter", "State between (1,4) and not State oneOf (4)")],
        vec![
            ("$filter", "StartCount greater 0"),
            ("$orderBy", "LastStarted desc"),
        ],
        vec![("$filter", "Description contains 'REPORT'")],
        vec![(
            "$filter",
            "Description contains '%' or Description contains '_'",
        )],
        vec![(
            "$filter",
            "endswith(Description,'echo') or startswith(Description,'D4')",
        )],
        vec![("$filter", "substringof('o''clock',Description)")],
        vec![("$filter", "Request isNot 'req-1'")],
        vec![("$filter", "DefinitionName in ('alpha','GAMMA')")],
        vec![("$filter", "DefinitionName between ('alpha','BETA')")],
        vec![("$filter", "registeredDate date '2024-5-2'")],
        vec![("$filter", "registeredDate between ('2024-5-1','2024-5-2')")],
        vec![("$filter", "registeredDate after '2024-05-02T00:00:00'")],
        vec![(
            "$filter",
            "registeredDate thisYear or registeredDate lastQuarter",
        )],
        vec![("$filter", "LastStarted today")],
        vec![("$filter", "registeredBy associateIsOneOf (0)")],
        vec![("$filter", "registeredBy currentAssociate")],
        vec![("$filter", "updatedBy associateIsNotOneOf (0)")],
        vec![("$filter", "getNoRows set or getAllRows set and State eq 5")],
        vec![("$orderBy", "DefinitionName, registeredDate desc")],
        vec![
            ("$orderBy", "Description desc"),
            ("$top", "3"),
            ("$skip", "1"),
        ],
        vec![("$orderBy", "LastStarted, DbTag desc")],
        vec![("$orderBy", "registeredBy desc, updatedDate")],
    ];
    for options in &queries {
        let mut options = options.clone();
        options.push(("$select", "Description,State,registeredBy,registeredDate"));
        let on_sqlite = list(&sqlite, &options, &[OSLO]).await;
        let on_postgres = list(&postgres, &options, &[OSLO]).await;
        assert_eq!(keys_of(&on_sqlite), keys_of(&on_postgres), "{options:?}");
    }
    // Both seeded the same way, so ids agree too.
    assert_eq!(sqlite.ids, postgres.ids);
    sqlite.app.shutdown().await;
    postgres.app.shutdown().await;
    drop(database);
}
