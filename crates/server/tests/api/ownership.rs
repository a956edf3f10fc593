//! Roles and ownership: users change only their own tasks unless `users_manage_all_tasks`; with
//! `restrict_users_to_own_tasks` they see only their own, in every list, lookup and stream;
//! administrators see and change everything; the worker API is for admins and workers.

use serde_json::{Value, json};
use sobatch_core::Role;
use sobatch_wire::{Method, RawResponse, WireClient};

use crate::helpers::{TestApp, spawn_app_with};

struct People {
    ann: WireClient,
    bob: WireClient,
    ann_id: i32,
}

async fn people(app: &TestApp) -> People {
    let ann_id = app.add_user("ann", false, "ann-pw").await;
    app.add_user("bob", false, "bob-pw").await;
    People {
        ann: app.client_as("ann", "ann-pw"),
        bob: app.client_as("bob", "bob-pw"),
        ann_id,
    }
}

async fn send(client: &WireClient, method: Method, path: &str, body: Option<Value>) -> RawResponse {
    let headers: &[(&str, &str)] = if body.is_some() {
        &[("Content-Type", "application/json")]
    } else {
        &[]
    };
    client
        .send(
            method,
            path,
            headers,
            body.map(|b| b.to_string().into_bytes()),
        )
        .await
        .unwrap()
}

/// Every way to change a task, as `client`, with the status each answered.
async fn changes(client: &WireClient, id: i32) -> Vec<(&'static str, u16)> {
    let task = format!("/api/v1/BatchTask/{id}");
    vec![
        (
            "PUT",
            send(
                client,
                Method::PUT,
                &task,
                Some(json!({"Description": "mine now"})),
            )
            .await
            .status,
        ),
        (
            "PATCH",
            send(
                client,
                Method::PATCH,
                &task,
                Some(json!({"Description": "x"})),
            )
            .await
            .status,
        ),
        (
            "Stop",
            send(client, Method::POST, &format!("{task}/Stop"), None)
                .await
                .status,
        ),
        (
            "StopBatchJob",
            send(
                client,
                Method::POST,
                "/api/v1/Agents/Batch/StopBatchJob",
                Some(json!({"Id": id})),
            )
            .await
            .status,
        ),
        (
            "UpdateBatchTask",
            send(
                client,
                Method::POST,
                "/api/v1/Agents/Batch/UpdateBatchTask",
                Some(json!({"BatchTaskInfo": {"Id": id, "Description": "x"}})),
            )
            .await
            .status,
        ),
        (
            "DeleteBatchTasks",
            send(
                client,
                Method::POST,
                "/api/v1/Agents/Batch/DeleteBatchTasks",
                Some(json!({"BatchTaskIds": [id]})),
            )
            .await
            .status,
        ),
        (
            "DELETE",
            send(client, Method::DELETE, &task, None).await.status,
        ),
    ]
}

#[tokio::test]
async fn users_change_only_their_own_tasks_and_admins_change_any() {
    let app = spawn_app_with(|_| {}).await;
    let p = people(&app).await;
    let anns = p.ann.task_start(&json!({"Name": "Block"})).await.unwrap();
    app.wait_for_state(anns, "Started").await;
    for (how, status) in changes(&p.bob, anns).await {
        assert_eq!(status, 403, "bob: {how}");
    }
    let task = app.get(anns).await;
    assert_eq!(
        (task["State"].as_str(), task["Description"].as_str()),
        (Some("Started"), Some(""))
    );

    // A batch delete that names someone else's task deletes nothing.
    let bobs = p.bob.task_start(&json!({"Name": "Waiting"})).await.unwrap();
    let batch = send(
        &p.bob,
        Method::POST,
        "/api/v1/Agents/Batch/DeleteBatchTasks",
        Some(json!({"BatchTaskIds": [bobs, anns]})),
    )
    .await;
    assert_eq!(batch.status, 403);
    assert!(app.client.task_get(bobs).await.unwrap().is_some());

    // Owners may; so may administrators.
    assert!(p.ann.task_stop(anns).await.unwrap());
    p.bob.task_delete(bobs).await.unwrap();
    let other = p.ann.task_start(&json!({"Name": "Waiting"})).await.unwrap();
    for (how, status) in changes(&app.client, other).await {
        assert!(status < 300, "admin: {how} answered {status}");
    }
    // Unknown tasks stay not-found (404 or false), never 403.
    assert_eq!(
        send(&p.bob, Method::POST, "/api/v1/BatchTask/999999/Stop", None)
            .await
            .status,
        404
    );
    app.shutdown().await;
}

#[tokio::test]
async fn users_may_manage_every_task_when_configured() {
    let app = spawn_app_with(|config| config.auth.users_manage_all_tasks = true).await;
    let p = people(&app).await;
    let anns = p.ann.task_start(&json!({"Name": "Waiting"})).await.unwrap();
    let response = send(
        &p.bob,
        Method::POST,
        &format!("/api/v1/BatchTask/{anns}/Stop"),
        None,
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(app.get(anns).await["State"], "Failed");
    app.shutdown().await;
}

fn ids(response: &RawResponse) -> Vec<i64> {
    let body = response.json().unwrap();
    let rows = body.get("value").cloned().unwrap_or(body);
    rows.as_array()
        .unwrap_or_else(|| panic!("{} {}", response.status, response.text()))
        .iter()
        .map(|t| {
            t.get("Id")
                .and_then(Value::as_i64)
                .or_else(|| t["PrimaryKey"].as_str().and_then(|k| k.parse().ok()))
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn restricted_users_see_only_their_own_tasks_everywhere() {
    let app = spawn_app_with(|config| config.auth.restrict_users_to_own_tasks = true).await;
    let p = people(&app).await;
    let mut stream = p.bob.events(&[], None).await.unwrap();
    let anns = p.ann.task_start(&json!({"Name": "Waiting"})).await.unwrap();
    let system = app
        .start(json!({"Name": "Waiting", "IsSystemTask": true}))
        .await;
    let bobs = p.bob.task_start(&json!({"Name": "Waiting"})).await.unwrap();

    // Lookups of others' tasks are not found; lists leave them out.
    assert!(p.bob.task_get(anns).await.unwrap().is_none());
    assert!(p.bob.task_get(system).await.unwrap().is_none());
    assert!(p.bob.task_get(bobs).await.unwrap().is_some());
    for path in ["/api/v1/BatchTask/New", "/api/v1/BatchTask"] {
        assert_eq!(
            ids(&send(&p.bob, Method::GET, path, None).await),
            vec![i64::from(bobs)],
            "{path}"
        );
    }
    for (method, body) in [
        ("GetAllBatchTaskInfosByName", json!({"Name": "Waiting"})),
        (
            "GetBatchTaskInfosByAssociates",
            json!({"AssociateIds": [p.ann_id, 0]}),
        ),
        ("GetSystemBatchTaskInfosByName", json!({"Name": "Waiting"})),
    ] {
        let response = send(
            &p.bob,
            Method::POST,
            &format!("/api/v1/Agents/Batch/{method}"),
            Some(body),
        )
        .await;
        let found = ids(&response);
        assert!(
            !found.contains(&i64::from(anns)) && !found.contains(&i64::from(system)),
            "{method}: {found:?}"
        );
    }
    // Bob's stream carries only Bob's task.
    let event = tokio::time::timeout(std::time::Duration::from_secs(20), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let data: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(data["Id"], bobs);
    // Administrators still see everything.
    assert!(app.client.task_get(anns).await.unwrap().is_some());
    let all = ids(&send(&app.client, Method::GET, "/api/v1/BatchTask", None).await);
    assert_eq!(all.len(), 3);
    app.shutdown().await;
}

#[tokio::test]
async fn the_worker_api_is_for_administrators_and_workers() {
    let app = spawn_app_with(|_| {}).await;
    app.add_user("ann", false, "ann-pw").await;
    sobatch_server::user_add_with_role(&app.db_url, "robot", Role::Worker, "robot-pw")
        .await
        .unwrap();
    let claim = json!({"Names": ["Nothing"], "Worker": "w1", "WaitSeconds": 0});
    let as_user = send(
        &app.client_as("ann", "ann-pw"),
        Method::POST,
        "/api/sobatch/v1/worker/claim",
        Some(claim.clone()),
    )
    .await;
    assert_eq!(as_user.status, 403);
    assert_eq!(as_user.json().unwrap()["ErrorType"], "Forbidden");
    for client in [app.client_as("robot", "robot-pw"), app.client.clone()] {
        let response = send(
            &client,
            Method::POST,
            "/api/sobatch/v1/worker/claim",
            Some(claim.clone()),
        )
        .await;
        assert_ne!(response.status, 403, "{}", response.text());
        assert!(response.status < 500);
    }
    app.shutdown().await;
}
