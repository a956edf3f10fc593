//! Graceful shutdown: running tasks finish within the grace period; the rest are handed back.

use serde_json::json;

use crate::helpers::{sleep_task, spawn_app, spawn_app_with};

async fn reopen(db_url: &str, id: i32) -> sobatch_core::Task {
    let store = sobatch_store::open(db_url).unwrap();
    store
        .task_get(sobatch_core::TaskId(id))
        .await
        .unwrap()
        .expect("task kept")
}

#[tokio::test]
async fn a_task_that_ends_within_the_grace_period_finishes() {
    let app = spawn_app().await;
    let id = app.start(sleep_task("0.5")).await;
    app.wait_for_state(id, "Started").await;
    let db_url = app.db_url.clone();
    let _dir = app.shutdown().await;
    let task = reopen(&db_url, id).await;
    assert_eq!(task.state, sobatch_core::TaskState::Succeeded);
}

#[tokio::test]
async fn a_task_still_running_after_the_grace_period_is_handed_back() {
    let app = spawn_app_with(|config| {
        config.engine.shutdown_grace = std::time::Duration::from_millis(200);
    })
    .await;
    let id = app.start(json!({"Name": "Block"})).await;
    app.wait_for_state(id, "Started").await;
    let db_url = app.db_url.clone();
    let _dir = app.shutdown().await;
    let task = reopen(&db_url, id).await;
    assert_eq!(task.state, sobatch_core::TaskState::New);
    assert_eq!(task.start_count, 1);
}

#[tokio::test]
async fn a_restarted_server_runs_what_was_handed_back() {
    let app = spawn_app_with(|config| {
        config.engine.shutdown_grace = std::time::Duration::from_millis(100);
    })
    .await;
    let id = app.start(sleep_task("30")).await;
    app.wait_for_state(id, "Started").await;
    let app = app.restart(|_| {}).await;
    let task = app.wait_for_state(id, "Started").await;
    assert_eq!(task["StartCount"], 2, "started again after the restart");
    assert!(app.client.task_stop(id).await.unwrap());
    app.wait_for_state(id, "Failed").await;
    app.shutdown().await;
}
