//! Tasks really run: built-in executors, progress, results, waiting names, panics.

use serde_json::{Value, json};

use crate::helpers::{sleep_task, spawn_app, spawn_app_with};

#[tokio::test]
async fn echo_succeeds_with_its_parameters_as_the_response() {
    let app = spawn_app().await;
    // A raw body: `json!` would sort the keys, and the order is what is under test.
    let response = app
        .post_raw(br#"{"Name": "Echo", "ParameterObject": {"b": "2", "a": "1"}}"#)
        .await;
    let id: i32 = response.text().parse().unwrap();
    let task = app.wait_for_state(id, "Succeeded").await;
    assert_eq!(task["Response"], r#"{"b":"2","a":"1"}"#);
    assert_eq!(task["StartCount"], 1);
    assert_ne!(task["LastStarted"], "0001-01-01T00:00:00");
    assert_eq!(task["ProgressPercent"], 100);
    app.shutdown().await;
}

#[tokio::test]
async fn names_match_executors_case_insensitively() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "echo"})).await;
    app.wait_for_state(id, "Succeeded").await;
    app.shutdown().await;
}

#[tokio::test]
async fn fail_ends_failed_with_its_message_as_the_result() {
    let app = spawn_app().await;
    let id = app
        .start(json!({"Name": "Fail", "ParameterObject": {"Message": "disk full"}}))
        .await;
    let task = app.wait_for_state(id, "Failed").await;
    assert_eq!(task["Result"], "disk full");
    assert_eq!(task["StartCount"], 1);
    app.shutdown().await;
}

#[tokio::test]
async fn sleep_progress_is_visible_while_it_runs() {
    let app = spawn_app().await;
    let id = app.start(sleep_task("2")).await;
    let mut percents = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let task = app.get(id).await;
        match task["State"].as_str().unwrap() {
            "Started" => {
                let percent = task["ProgressPercent"].as_i64().unwrap();
                if percents.last() != Some(&percent) {
                    percents.push(percent);
                }
                if let Some(description) = task["ProgressDescription"].as_str() {
                    assert!(description.starts_with("Sleeping"), "{description}");
                }
            }
            "Succeeded" => break,
            "New" | "Aquired" => {}
            other => panic!("unexpected state {other}: {task}"),
        }
        assert!(tokio::time::Instant::now() < deadline, "never finished");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(percents.len() >= 3, "progress seen: {percents:?}");
    assert!(
        percents.windows(2).all(|w| w[0] < w[1]),
        "not rising: {percents:?}"
    );
    assert!(percents.iter().any(|&p| p > 0 && p < 100), "{percents:?}");
    let task = app.get(id).await;
    assert_eq!(task["ProgressPercent"], 100);
    assert_eq!(task["Response"], "Slept 2 s");
    app.shutdown().await;
}

#[tokio::test]
async fn a_bad_sleep_parameter_fails_the_task_with_a_reason() {
    let app = spawn_app().await;
    let id = app.start(sleep_task("soon")).await;
    let task = app.wait_for_state(id, "Failed").await;
    assert!(
        task["Result"].as_str().unwrap().contains("Seconds"),
        "{task}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_name_without_executor_waits_in_new_while_others_run() {
    let app = spawn_app().await;
    let waiting = app.start(json!({"Name": "NobodyRunsThis"})).await;
    let echo = app.start(json!({"Name": "Echo"})).await;
    app.wait_for_state(echo, "Succeeded").await;
    let task = app.get(waiting).await;
    assert_eq!(task["State"], "New");
    assert_eq!(task["StartCount"], 0);
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_names_are_refused_when_configured() {
    let app = spawn_app_with(|config| config.engine.reject_unknown_tasks = true).await;
    let error = app
        .client
        .task_start(&json!({"Name": "NobodyRunsThis"}))
        .await
        .unwrap_err();
    assert!(
        matches!(error, sobatch_wire::ClientError::Status { status: 400, .. }),
        "{error:?}"
    );
    app.start(json!({"Name": "Echo"})).await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_panicking_executor_fails_its_task_and_the_server_goes_on() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "Panic"})).await;
    let task = app.wait_for_state(id, "Failed").await;
    assert!(
        task["Result"]
            .as_str()
            .unwrap()
            .contains("deliberate test panic"),
        "{task}"
    );
    let echo = app.start(json!({"Name": "Echo"})).await;
    app.wait_for_state(echo, "Succeeded").await;
    app.shutdown().await;
}

#[tokio::test]
async fn many_tasks_all_run_with_limited_workers() {
    let app = spawn_app_with(|config| config.engine.workers = 2).await;
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(
            app.start(json!({"Name": "Echo", "ParameterObject": {"i": i.to_string()}}))
                .await,
        );
    }
    for id in ids {
        let task: Value = app.wait_for_state(id, "Succeeded").await;
        assert_eq!(task["StartCount"], 1, "ran exactly once");
    }
    app.shutdown().await;
}
