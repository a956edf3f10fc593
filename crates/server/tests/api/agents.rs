//! The Agents surface, `POST /api/v1/Agents/Batch/{Method}`: all fifteen methods in both the
//! documented PascalCase and the camelCase the npm client sends, with the rules of spec §1.5–§1.6.

use serde_json::{Value, json};
use sobatch_wire::{Method, RawResponse};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// Calls a method with a JSON body as the admin.
async fn call(app: &TestApp, method: &str, body: Value) -> RawResponse {
    app.send(
        Method::POST,
        &format!("/api/v1/Agents/Batch/{method}"),
        Some(body.to_string().as_bytes()),
    )
    .await
}

/// Calls a method and returns its 200 JSON answer.
async fn value(app: &TestApp, method: &str, body: Value) -> Value {
    let response = call(app, method, body.clone()).await;
    assert_eq!(response.status, 200, "{method} {body}: {}", response.text());
    response.json().unwrap()
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|task| task["Id"].as_i64().unwrap())
        .collect()
}

/// Both spellings of a parameter object: PascalCase as documented, camelCase as the npm client.
fn both_casings(pascal: Value) -> [Value; 2] {
    fn camel(value: &Value) -> Value {
        match value {
            Value::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| {
                        let mut chars = k.chars();
                        let key = chars
                            .next()
                            .map(|c| c.to_lowercase().chain(chars).collect())
                            .unwrap_or_default();
                        // Parameter keys are data, not member names: never recased.
                        let value = if k == "ParameterObject" {
                            v.clone()
                        } else {
                            camel(v)
                        };
                        (key, value)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let camel_case = camel(&pascal);
    [pascal, camel_case]
}

/// Tasks of several owners, names and states; returns their ids.
struct Fixture {
    alice: i32,
    /// Alice's task of name Report, waiting in New.
    alice_report: i64,
    /// Admin's task of name Report, waiting in New.
    admin_report: i64,
    /// Admin's Echo task, Succeeded.
    admin_echo: i64,
    /// A system task of name Report, New.
    system_report: i64,
    /// A system Echo task, Succeeded.
    system_echo: i64,
}

async fn fixture(app: &TestApp) -> Fixture {
    let alice = app.add_user("alice", false, "alice-pass").await;
    let alice_client = app.client_as("alice", "alice-pass");
    let alice_report = alice_client
        .task_start(&json!({"Name": "Report"}))
        .await
        .unwrap();
    let admin_report = app.start(json!({"Name": "Report"})).await;
    let admin_echo = app.start(json!({"Name": "Echo"})).await;
    let system_report = app
        .start(json!({"Name": "Report", "IsSystemTask": true}))
        .await;
    let system_echo = app
        .start(json!({"Name": "Echo", "IsSystemTask": true}))
        .await;
    app.wait_for_state(admin_echo, "Succeeded").await;
    app.wait_for_state(system_echo, "Succeeded").await;
    Fixture {
        alice,
        alice_report: alice_report.into(),
        admin_report: admin_report.into(),
        admin_echo: admin_echo.into(),
        system_report: system_report.into(),
        system_echo: system_echo.into(),
    }
}

#[tokio::test]
async fn start_get_update_stop_and_delete_in_both_casings() {
    let app = spawn_app().await;
    for body in both_casings(json!({"BatchTaskInfo": {
        "Name": "Waiting",
        "Description": "via agents",
        "ParameterObject": {"Key": "Value"},
        "CancellationBehaviour": "CanCancel"
    }})) {
        let id = value(&app, "StartBatchJob", body).await.as_i64().unwrap();
        assert!(id > 0);

        for get in both_casings(json!({"Id": id})) {
            let task = value(&app, "GetBatchTaskInfo", get).await;
            assert_eq!(task["Id"], id);
            assert_eq!(task["Name"], "Waiting");
            assert_eq!(task["Description"], "via agents");
            assert_eq!(task["ParameterObject"], json!({"Key": "Value"}));
            assert_eq!(task["State"], "New");
        }

        // The npm client sends back the whole carrier it received, camelCase, with JavaScript
        // dates that may be out of range: only the four updatable members count.
        let mut carrier = value(&app, "GetBatchTaskInfo", json!({"id": id})).await;
        carrier["State"] = json!("Succeeded");
        carrier["Response"] = json!("done");
        carrier["LastStarted"] = json!("0000-12-31T23:06:32.000Z");
        carrier["Created"] = json!("0001-01-01T04:56:02.000Z");
        carrier["Name"] = json!("Renamed");
        for update in both_casings(json!({"BatchTaskInfo": carrier})) {
            let task = value(&app, "UpdateBatchTask", update).await;
            assert_eq!(task["State"], "Succeeded");
            assert_eq!(task["Response"], "done");
            assert_eq!(task["Name"], "Waiting");
        }

        // Finished now, so Stop answers false.
        for stop in both_casings(json!({"Id": id})) {
            assert_eq!(value(&app, "StopBatchJob", stop).await, json!(false));
        }
    }

    let waiting = app.start(json!({"Name": "Waiting"})).await;
    assert_eq!(
        value(&app, "StopBatchJob", json!({"id": waiting})).await,
        json!(true)
    );
    assert_eq!(app.get(waiting).await["State"], "Failed");

    let one = app.start(json!({"Name": "Waiting"})).await;
    let response = call(&app, "DeleteBatchTask", json!({"batchTaskId": one})).await;
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    assert_eq!(
        value(&app, "GetBatchTaskInfo", json!({"Id": one})).await,
        Value::Null
    );

    let a = app.start(json!({"Name": "Waiting"})).await;
    let b = app.start(json!({"Name": "Waiting"})).await;
    for body in both_casings(json!({"BatchTaskIds": [a, b, 999_999]})) {
        assert_eq!(call(&app, "DeleteBatchTasks", body).await.status, 204);
    }
    assert_eq!(app.client.task_get(a).await.unwrap(), None);
    assert_eq!(app.client.task_get(b).await.unwrap(), None);
    app.shutdown().await;
}

#[tokio::test]
async fn not_found_is_null_with_200_or_false_and_void_methods_answer_204() {
    let app = spawn_app().await;
    assert_eq!(
        value(&app, "GetBatchTaskInfo", json!({"Id": 4242})).await,
        Value::Null
    );
    assert_eq!(
        value(&app, "GetBatchTaskInfo", json!({})).await,
        Value::Null
    );
    assert_eq!(
        value(
            &app,
            "UpdateBatchTask",
            json!({"BatchTaskInfo": {"Id": 4242, "State": "New"}})
        )
        .await,
        Value::Null
    );
    assert_eq!(
        value(&app, "StopBatchJob", json!({"Id": 4242})).await,
        json!(false)
    );
    assert_eq!(
        call(&app, "DeleteBatchTask", json!({"BatchTaskId": 4242}))
            .await
            .status,
        204
    );
    assert_eq!(call(&app, "DeleteBatchTasks", json!({})).await.status, 204);
    app.shutdown().await;
}

#[tokio::test]
async fn running_tasks_stop_through_the_agent() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "Block"})).await;
    app.wait_for_state(id, "Started").await;
    assert_eq!(
        value(&app, "StopBatchJob", json!({"Id": id})).await,
        json!(true)
    );
    assert_eq!(
        app.wait_for_state(id, "Failed").await["Result"],
        "Stopped by request"
    );
    let stuck = app
        .start(json!({"Name": "Waiting", "CancellationBehaviour": "CannotCancel"}))
        .await;
    assert_eq!(
        value(&app, "StopBatchJob", json!({"Id": stuck})).await,
        json!(false)
    );
    app.shutdown().await;
}

#[tokio::test]
async fn list_methods_follow_the_visibility_and_associate_rules() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let user_tasks = vec![f.alice_report, f.admin_report, f.admin_echo];
    let system_tasks = vec![f.system_report, f.system_echo];
    let mut everything = [user_tasks.clone(), system_tasks.clone()].concat();
    everything.sort();

    let cases: Vec<(&str, Value, Vec<i64>)> = vec![
        (
            "GetBatchTaskInfosByAssociates",
            json!({"AssociateIds": []}),
            everything.clone(),
        ),
        (
            "GetBatchTaskInfosByAssociates",
            json!({}),
            everything.clone(),
        ),
        (
            "GetBatchTaskInfosByAssociates",
            json!({"AssociateIds": null}),
            everything.clone(),
        ),
        (
            "GetBatchTaskInfosByAssociates",
            json!({"AssociateIds": [0]}),
            system_tasks.clone(),
        ),
        (
            "GetBatchTaskInfosByAssociates",
            json!({"AssociateIds": [-1]}),
            user_tasks.clone(),
        ),
        (
            "GetBatchTaskInfosByAssociates",
            json!({"AssociateIds": [f.alice]}),
            vec![f.alice_report],
        ),
        (
            "GetBatchTaskInfosByAssociates",
            json!({"AssociateIds": [0, f.alice]}),
            vec![f.alice_report, f.system_report, f.system_echo],
        ),
        (
            "GetBatchTaskInfosByState",
            json!({"State": "New"}),
            vec![f.alice_report, f.admin_report],
        ),
        (
            "GetBatchTaskInfosByState",
            json!({"State": "All"}),
            user_tasks.clone(),
        ),
        (
            "GetBatchTaskInfosByState",
            json!({"State": 4}),
            vec![f.admin_echo],
        ),
        // An absent State is Unknown (0), not All.
        ("GetBatchTaskInfosByState", json!({}), vec![]),
        (
            "GetBatchTaskInfosByNameAndState",
            json!({"Name": "report", "State": "New"}),
            vec![f.alice_report, f.admin_report],
        ),
        (
            "GetBatchTaskInfosByNameAndState",
            json!({"Name": "", "State": "All"}),
            user_tasks.clone(),
        ),
        (
            "GetBatchTaskInfosByNameAndAssociates",
            json!({"Name": "Report", "AssociateIds": [0]}),
            vec![f.system_report],
        ),
        (
            "GetBatchTaskInfosByNameAndAssociates",
            json!({"Name": "Report", "AssociateIds": [-1]}),
            vec![f.alice_report, f.admin_report],
        ),
        (
            "GetBatchTaskInfosByNameAndAssociates",
            json!({"Name": null, "AssociateIds": []}),
            everything.clone(),
        ),
        (
            "GetBatchTaskInfosByAssociatesAndState",
            json!({"AssociateIds": [], "State": "Succeeded"}),
            vec![f.admin_echo, f.system_echo],
        ),
        (
            "GetBatchTaskInfosByAssociatesAndState",
            json!({"AssociateIds": [1], "State": "New"}),
            vec![f.admin_report],
        ),
        (
            "GetAllBatchTaskInfosByName",
            json!({"TaskName": "Echo"}),
            vec![f.admin_echo, f.system_echo],
        ),
        (
            "GetAllBatchTaskInfosByName",
            json!({"TaskName": null}),
            everything.clone(),
        ),
        (
            "GetAllBatchTaskInfosByName",
            json!({"TaskName": "  "}),
            everything.clone(),
        ),
        (
            "GetAllBatchTaskInfosByNameAndState",
            json!({"TaskName": "Report", "State": "New"}),
            vec![f.alice_report, f.admin_report, f.system_report],
        ),
        (
            "GetSystemBatchTaskInfosByName",
            json!({"TaskName": ""}),
            system_tasks.clone(),
        ),
        (
            "GetSystemBatchTaskInfosByName",
            json!({"TaskName": "Echo"}),
            vec![f.system_echo],
        ),
        (
            "GetSystemBatchTaskInfosByNameAndState",
            json!({"TaskName": "Report", "State": "New"}),
            vec![f.system_report],
        ),
        (
            "GetSystemBatchTaskInfosByNameAndState",
            json!({"TaskName": "Report", "State": "Succeeded"}),
            vec![],
        ),
    ];
    for (method, body, expected) in cases {
        for params in both_casings(body.clone()) {
            let list = value(&app, method, params.clone()).await;
            assert_eq!(ids(&list), expected, "{method} {params}");
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn parameters_come_from_the_query_string_when_the_body_lacks_them() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let response = app
        .send(
            Method::POST,
            &format!("/api/v1/Agents/Batch/GetBatchTaskInfo?id={}", f.admin_echo),
            None,
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json().unwrap()["Id"], f.admin_echo);
    // The body wins over the query string.
    let response = app
        .send(
            Method::POST,
            "/api/v1/Agents/Batch/GetBatchTaskInfo?Id=999999",
            Some(format!(r#"{{"Id": {}}}"#, f.admin_report).as_bytes()),
        )
        .await;
    assert_eq!(response.json().unwrap()["Id"], f.admin_report);
    // Repeated names make a list.
    let response = app
        .send(
            Method::POST,
            &format!(
                "/api/v1/Agents/Batch/GetBatchTaskInfosByAssociatesAndState?AssociateIds=0&AssociateIds={}&State=New",
                f.alice
            ),
            None,
        )
        .await;
    assert_eq!(
        ids(&response.json().unwrap()),
        vec![f.alice_report, f.system_report]
    );
    app.shutdown().await;
}

#[tokio::test]
async fn select_nulls_every_member_not_named() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let response = app
        .send(
            Method::POST,
            "/api/v1/Agents/Batch/GetBatchTaskInfo?$select=name,State",
            Some(format!(r#"{{"Id": {}}}"#, f.admin_echo).as_bytes()),
        )
        .await;
    let task = response.json().unwrap();
    assert_eq!(task["Name"], "Echo");
    assert_eq!(task["State"], "Succeeded");
    for member in [
        "Id",
        "AssociateId",
        "StartCount",
        "Created",
        "ParameterObject",
        "TableRight",
    ] {
        assert_eq!(task[member], Value::Null, "{member}");
    }
    assert_eq!(
        task.as_object().unwrap().len(),
        sobatch_wire::BATCH_TASK_INFO_MEMBERS.len()
    );
    let response = app
        .send(
            Method::POST,
            "/api/v1/Agents/Batch/GetAllBatchTaskInfosByName?%24select=Id",
            Some(br#"{"TaskName": "Echo"}"#),
        )
        .await;
    let list = response.json().unwrap();
    assert_eq!(ids(&list), vec![f.admin_echo, f.system_echo]);
    assert!(list.as_array().unwrap().iter().all(|t| t["Name"].is_null()));
    // Primitive results ignore it.
    let response = app
        .send(
            Method::POST,
            "/api/v1/Agents/Batch/StopBatchJob?$select=Id",
            Some(format!(r#"{{"Id": {}}}"#, f.admin_echo).as_bytes()),
        )
        .await;
    assert_eq!(response.text(), "false");
    app.shutdown().await;
}

#[tokio::test]
async fn method_names_match_in_any_case_and_get_describes_without_invoking() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "Waiting"})).await;
    for path in [
        "/api/v1/Agents/Batch/stopbatchjob",
        "/API/V1/AGENTS/BATCH/STOPBATCHJOB",
    ] {
        let response = app.send(Method::GET, path, None).await;
        assert_eq!(response.status, 200, "{path}");
        let description = response.json().unwrap();
        assert_eq!(description["Method"], "StopBatchJob");
        assert_eq!(description["Parameters"][0]["Name"], "Id");
    }
    assert_eq!(app.get(id).await["State"], "New", "GET did not stop it");
    let response = app
        .send(
            Method::POST,
            "/api/v1/agents/batch/stopBatchJob",
            Some(format!(r#"{{"id": {id}}}"#).as_bytes()),
        )
        .await;
    assert_eq!(response.text(), "true");
    let response = call(&app, "NoSuchMethod", json!({})).await;
    assert_eq!(response.status, 404);
    assert_eq!(response.json().unwrap()["Error"], true);
    app.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_are_400_with_the_error_body_and_message_detail() {
    let app = spawn_app().await;
    let cases: Vec<(&str, &[u8])> = vec![
        ("GetBatchTaskInfo", br#"{"Id": "abc"}"#),
        ("GetBatchTaskInfo", br#"{"Id": 1"#),
        ("GetBatchTaskInfo", b"[1]"),
        ("GetBatchTaskInfosByState", br#"{"State": "Finished"}"#),
        ("GetBatchTaskInfosByAssociates", br#"{"AssociateIds": "x"}"#),
        (
            "GetBatchTaskInfosByAssociates",
            br#"{"AssociateIds": [1.5]}"#,
        ),
        ("StartBatchJob", br#"{"BatchTaskInfo": "Echo"}"#),
        (
            "StartBatchJob",
            br#"{"BatchTaskInfo": {"Name": "Echo", "ParameterObject": {"n": 1}}}"#,
        ),
        ("StartBatchJob", br#"{}"#),
        (
            "UpdateBatchTask",
            br#"{"BatchTaskInfo": {"Id": 1, "State": "All"}}"#,
        ),
        ("DeleteBatchTasks", br#"{"BatchTaskIds": [99999999999]}"#),
    ];
    for (method, body) in cases {
        let response = app
            .send(
                Method::POST,
                &format!("/api/v1/Agents/Batch/{method}"),
                Some(body),
            )
            .await;
        assert_eq!(
            response.status,
            400,
            "{method} {}",
            String::from_utf8_lossy(body)
        );
        let error = response.json().unwrap();
        assert_eq!(error["Error"], true);
        assert_eq!(error["Message"], "The request is invalid.");
        assert!(error["MessageDetail"].is_string());
    }
    app.shutdown().await;
}

#[tokio::test]
async fn only_admins_start_system_tasks_through_the_agent() {
    let app = spawn_app().await;
    app.add_user("bob", false, "bob-pass").await;
    let bob = app.client_as("bob", "bob-pass");
    let response = bob
        .send(
            Method::POST,
            "/api/v1/Agents/Batch/StartBatchJob",
            &[("Content-Type", "application/json")],
            Some(br#"{"batchTaskInfo": {"name": "Echo", "isSystemTask": true}}"#.to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 403);
    let response = app
        .anonymous()
        .send(
            Method::POST,
            "/api/v1/Agents/Batch/GetBatchTaskInfo",
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(response.status, 401);
    app.shutdown().await;
}

#[tokio::test]
async fn the_whole_surface_also_answers_under_the_base_path() {
    let app = spawn_app_with(|config| config.base_path = "/Cust12345".into()).await;
    let response = app
        .send(
            Method::POST,
            "/Cust12345/api/v1/Agents/Batch/StartBatchJob",
            Some(br#"{"batchTaskInfo": {"name": "Echo"}}"#),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let id: i32 = response.text().parse().unwrap();
    let response = app
        .send(
            Method::GET,
            &format!("/cust12345/api/v1/BatchTask/{id}"),
            None,
        )
        .await;
    assert_eq!(response.status, 200);
    // Still at the root too.
    assert_eq!(app.get(id).await["Id"], id);
    let response = app
        .send(Method::GET, &format!("/Cust99/api/v1/BatchTask/{id}"), None)
        .await;
    assert_eq!(response.status, 404);
    app.shutdown().await;
}
