//! `GET /api/sobatch/v1/definitions`: built-in, embedded and lazily created definitions.

use serde_json::{Value, json};
use sobatch_wire::Method;

use crate::helpers::spawn_app;

#[tokio::test]
async fn definitions_list_who_runs_each_name() {
    let app = spawn_app().await;
    let id = app.start(json!({"Name": "NobodyRunsThis"})).await;
    app.start(json!({"Name": "echo"})).await;
    let response = app
        .send(Method::GET, "/api/sobatch/v1/definitions", None)
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let list: Vec<Value> = serde_json::from_value(response.json().unwrap()).unwrap();
    let find = |name: &str| {
        list.iter()
            .find(|d| {
                d["Name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing from {list:?}"))
    };
    let echo = find("Echo");
    assert_eq!(echo["Kind"], "built-in");
    assert_eq!(echo["Runnable"], true);
    assert!(
        echo["DefinitionId"].as_i64().is_some(),
        "started once, so stored"
    );
    let sleep = find("Sleep");
    assert!(
        sleep["DefinitionId"].as_i64().is_some(),
        "recorded at start-up"
    );
    assert_eq!(find("Block")["Kind"], "embedded");
    let lazy = find("NobodyRunsThis");
    assert_eq!(lazy["Kind"], "none");
    assert_eq!(lazy["Runnable"], false);
    assert_eq!(app.get(id).await["State"], "New");

    let response = app
        .anonymous()
        .send(Method::GET, "/api/sobatch/v1/definitions", &[], None)
        .await
        .unwrap();
    assert_eq!(response.status, 401);
    app.shutdown().await;
}

fn shell_task(name: &str, script: &str) -> sobatch_server::config::TaskSection {
    sobatch_server::config::TaskSection {
        name: name.into(),
        kind: "command".into(),
        description: format!("runs {script}"),
        program: Some("/bin/sh".into()),
        args: vec!["-c".into(), script.into()],
        env: [("GREETING".to_string(), "hello".to_string())].into(),
        working_dir: None,
        timeout: Some(std::time::Duration::from_secs(30)),
        kill_grace: Some(std::time::Duration::from_millis(300)),
        cancellation: Some("CancelWithWarning".into()),
        auto_restart_count: 2,
        concurrency: None,
        start_interval: None,
        minimum_sleep_time: None,
        is_multi_pass: false,
    }
}

#[tokio::test]
async fn a_configured_command_task_runs_and_is_listed() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.tasks.push(shell_task(
            "Greet",
            r#"read params; echo "progress 50 halfway"; echo "response $GREETING $SOBATCH_PARAM_WHO"; echo "result done""#,
        ));
        config.tasks.push(shell_task("Crash", "echo broken >&2; exit 3"));
    })
    .await;
    let id = app
        .start(json!({"Name": "greet", "ParameterObject": {"Who": "world"}}))
        .await;
    let task = app.wait_for_state(id, "Succeeded").await;
    assert_eq!(task["Response"], "hello world");
    assert_eq!(task["Result"], "done");
    assert_eq!(task["CancellationBehaviour"], "CancelWithWarning");

    let id = app.start(json!({"Name": "Crash"})).await;
    let task = app.wait_for_state(id, "Failed").await;
    let result = task["Result"].as_str().unwrap();
    assert!(
        result.contains('3') && result.contains("broken"),
        "{result}"
    );

    let list = app
        .send(Method::GET, "/api/sobatch/v1/definitions", None)
        .await
        .json()
        .unwrap();
    let greet = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["Name"] == "Greet")
        .unwrap()
        .clone();
    assert_eq!(greet["Kind"], "command");
    assert_eq!(greet["TimeoutSeconds"], 30.0);
    assert!(
        greet["DefinitionId"].as_i64().is_some(),
        "recorded at start-up"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_multi_pass_command_runs_until_it_stops_asking_for_another_pass() {
    let dir = tempfile::tempdir().unwrap();
    let counter = dir.path().join("count");
    let script = format!(
        r#"n=$(cat '{0}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{0}'; [ $n -lt 3 ] && echo again; echo "response pass $n""#,
        counter.display()
    );
    let app = crate::helpers::spawn_app_with(|config| {
        let mut task = shell_task("Passes", &script);
        task.is_multi_pass = true;
        config.tasks.push(task);
        let mut once = shell_task("Once", &script.replace("count", "count-once"));
        once.is_multi_pass = false;
        config.tasks.push(once);
    })
    .await;
    let id = app.start(json!({"Name": "Passes"})).await;
    let task = app.wait_for_state(id, "Succeeded").await;
    assert_eq!(task["Response"], "pass 3");
    assert_eq!(task["StartCount"], 1, "passes are one start");
    let id = app.start(json!({"Name": "Once"})).await;
    let task = app.wait_for_state(id, "Succeeded").await;
    assert_eq!(
        task["Response"], "pass 1",
        "again is ignored without is_multi_pass"
    );
    app.shutdown().await;
}
