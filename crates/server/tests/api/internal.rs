//! Internal tasks (`IsInternalTask`): kept in the accepting node's memory, never in the database.

use serde_json::json;
use sobatch_core::{StateSelector, TaskId};
use sobatch_store::{OwnerFilter, TaskFilter};

use crate::helpers::spawn_app;

async fn stored_ids(app: &crate::helpers::TestApp) -> Vec<i32> {
    let store = sobatch_store::open(&app.db_url).unwrap();
    let filter = TaskFilter {
        owners: OwnerFilter {
            system: true,
            all_users: true,
            users: Vec::new(),
        },
        state: StateSelector::All,
        name: None,
    };
    store
        .task_list(&filter)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id.0)
        .collect()
}

#[tokio::test]
async fn an_internal_task_runs_in_memory_and_leaves_no_row() {
    let app = spawn_app().await;
    let stored = app.start(json!({"Name": "Waiting"})).await;
    let id = app
        .start(json!({"Name": "Block", "IsInternalTask": true, "Description": "in memory"}))
        .await;
    assert!(id > stored, "ids come from the same sequence");
    let task = app.wait_for_state(id, "Started").await;
    assert_eq!(task["IsInternalTask"], true);
    assert_eq!(task["Description"], "in memory");
    assert_eq!(task["StartCount"], 1);

    // Not in any list, not in the database.
    let all = app.client.tasks_by_state("All").await.unwrap();
    assert!(all.iter().all(|t| t["Id"] != id));
    assert_eq!(stored_ids(&app).await, vec![stored]);
    let store = sobatch_store::open(&app.db_url).unwrap();
    assert_eq!(store.task_get(TaskId(id)).await.unwrap(), None);

    // Stop ends it, and an ended internal task is dropped.
    assert!(app.client.task_stop(id).await.unwrap());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.client.task_get(id).await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "never dropped");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let next = app.start(json!({"Name": "Waiting"})).await;
    assert!(next > id);
    assert_eq!(stored_ids(&app).await, vec![stored, next]);
    app.shutdown().await;
}

#[tokio::test]
async fn an_internal_task_needs_an_executor_on_the_node() {
    let app = spawn_app().await;
    let error = app
        .client
        .task_start(&json!({"Name": "NobodyRunsThis", "IsInternalTask": true}))
        .await
        .unwrap_err();
    assert!(
        matches!(error, sobatch_wire::ClientError::Status { status: 400, .. }),
        "{error:?}"
    );
    // An internal Echo runs to its end and is gone; nothing was stored.
    let id = app
        .start(json!({"Name": "Echo", "IsInternalTask": true}))
        .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.client.task_get(id).await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "never dropped");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(stored_ids(&app).await.is_empty());
    app.shutdown().await;
}
