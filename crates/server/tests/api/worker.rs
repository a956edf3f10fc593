//! The remote worker API (`/api/sobatch/v1/worker/…`): claims that long-poll, heartbeats, completion,
//! fencing by lease token, Stop of a remotely run task, and the example Python worker.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sobatch_wire::{Method, RawResponse};

use crate::helpers::{ADMIN_PASSWORD, TestApp, spawn_app_with};

const CLAIM: &str = "/api/sobatch/v1/worker/claim";

/// A remote `[[task]]` as a configuration file would give it, so every other member takes its
/// default.
fn remote_task(name: &str) -> sobatch_server::config::TaskSection {
    toml::from_str(&format!("name = {name:?}\nkind = \"remote\"\n")).unwrap()
}

async fn spawn_with_remote() -> TestApp {
    spawn_app_with(|config| config.tasks.push(remote_task("Greet"))).await
}

async fn post(app: &TestApp, path: &str, body: Value) -> RawResponse {
    app.send(Method::POST, path, Some(body.to_string().as_bytes()))
        .await
}

async fn claim(app: &TestApp, wait: f64) -> RawResponse {
    post(
        app,
        CLAIM,
        json!({"Names": ["Greet"], "Worker": "w1", "WaitSeconds": wait}),
    )
    .await
}

/// Claims the task that must be there, returning its id and lease token.
async fn claimed(app: &TestApp) -> (i32, String) {
    let response = claim(app, 5.0).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let task = response.json().unwrap();
    let token = task["LeaseToken"].as_str().unwrap().to_string();
    (task["Id"].as_i64().unwrap() as i32, token)
}

async fn heartbeat(app: &TestApp, id: i32, token: &str, percent: i64) -> RawResponse {
    post(
        app,
        &format!("/api/sobatch/v1/worker/{id}/heartbeat"),
        json!({"LeaseToken": token, "ProgressPercent": percent, "ProgressDescription": "halfway"}),
    )
    .await
}

async fn complete(app: &TestApp, id: i32, token: &str, state: &str) -> RawResponse {
    post(
        app,
        &format!("/api/sobatch/v1/worker/{id}/complete"),
        json!({"LeaseToken": token, "State": state, "Result": "done",
               "Response": "hello remote", "FileName": "out.txt"}),
    )
    .await
}

#[tokio::test]
async fn a_claim_with_nothing_queued_answers_204_at_once_or_after_its_wait() {
    let app = spawn_with_remote().await;
    let started = Instant::now();
    assert_eq!(claim(&app, 0.0).await.status, 204);
    assert!(started.elapsed() < Duration::from_millis(900));

    let started = Instant::now();
    let response = claim(&app, 1.0).await;
    assert_eq!(response.status, 204, "{}", response.text());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_task_started_while_a_claim_waits_is_handed_to_it_started() {
    // With a poll interval this long, only the wake-up of the start can hand the task over in time.
    let app = spawn_app_with(|config| {
        config.tasks.push(remote_task("Greet"));
        config.engine.poll_interval = Duration::from_secs(30);
    })
    .await;
    let waiting = {
        let client = app.client.clone();
        tokio::spawn(async move {
            let body = json!({"Names": ["greet"], "Worker": "w1", "WaitSeconds": 30});
            let started = Instant::now();
            let response = client
                .send(
                    Method::POST,
                    CLAIM,
                    &[("Content-Type", "application/json")],
                    Some(body.to_string().into_bytes()),
                )
                .await
                .unwrap();
            (response, started.elapsed())
        })
    };
    // The claim is in the server (its first look found nothing) before the task exists.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let id = app
        .start(json!({"Name": "Greet", "ParameterObject": {"Who": "Ada"}}))
        .await;
    let (response, waited) = waiting.await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(waited < Duration::from_secs(5), "handed over in {waited:?}");
    let task = response.json().unwrap();
    assert_eq!(task["Id"], id);
    assert_eq!(task["State"], "Started");
    assert_eq!(task["StartCount"], 1);
    assert_eq!(task["ParameterObject"]["Who"], "Ada");
    assert!(
        task["LeaseToken"]
            .as_str()
            .is_some_and(|t| t.ends_with(".w1"))
    );
    let stored = app.get(id).await;
    assert_eq!(stored["State"], "Started");
    assert_eq!(stored["StartCount"], 1);
    app.shutdown().await;
}

#[tokio::test]
async fn heartbeats_show_progress_and_a_stop_fails_the_task_at_once() {
    let app = spawn_with_remote().await;
    let id = app.start(json!({"Name": "Greet"})).await;
    let (claimed_id, token) = claimed(&app).await;
    assert_eq!(claimed_id, id);

    let response = heartbeat(&app, id, &token, 40).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json().unwrap(), json!({"StopRequested": false}));
    let task = app.get(id).await;
    assert_eq!(task["ProgressPercent"], 40);
    assert_eq!(task["ProgressDescription"], "halfway");

    assert!(app.client.task_stop(id).await.unwrap());
    let task = app.get(id).await;
    assert_eq!(task["State"], "Failed", "failed at once: {task}");
    assert_eq!(heartbeat(&app, id, &token, 60).await.status, 409);
    let response = complete(&app, id, &token, "Succeeded").await;
    assert_eq!(response.status, 409);
    assert_eq!(response.json().unwrap()["ErrorType"], "Conflict");
    assert_eq!(app.get(id).await, task, "nothing changed");
    app.shutdown().await;
}

#[tokio::test]
async fn complete_writes_the_outcome_and_answers_the_finished_task() {
    let app = spawn_with_remote().await;
    let id = app.start(json!({"Name": "Greet"})).await;
    let (_, token) = claimed(&app).await;
    let response = complete(&app, id, &token, "Succeeded").await;
    assert_eq!(response.status, 200, "{}", response.text());
    let answered = response.json().unwrap();
    assert_eq!(answered["State"], "Succeeded");
    let task = app.get(id).await;
    assert_eq!(task["State"], "Succeeded");
    assert_eq!(task["Result"], "done");
    assert_eq!(task["Response"], "hello remote");
    assert_eq!(task["FileName"], "out.txt");
    assert_eq!(task["ProgressPercent"], 100);
    app.shutdown().await;
}

#[tokio::test]
async fn forged_foreign_and_reused_tokens_are_conflicts_that_change_nothing() {
    let app = spawn_with_remote().await;
    let first = app.start(json!({"Name": "Greet"})).await;
    let second = app.start(json!({"Name": "Greet"})).await;
    let (id_a, token_a) = claimed(&app).await;
    let (id_b, token_b) = claimed(&app).await;
    assert_eq!([id_a, id_b], [first, second]);
    let before = app.get(first).await;

    let forged_value = token_a.replace(".w1", ".intruder");
    let forged = [
        "not-a-token",
        "ffffffff.w1",
        forged_value.as_str(),
        token_b.as_str(),
    ];
    for token in forged {
        assert_eq!(
            heartbeat(&app, first, token, 90).await.status,
            409,
            "{token}"
        );
        let response = complete(&app, first, token, "Failed").await;
        assert_eq!(response.status, 409, "{token}: {}", response.text());
    }
    assert_eq!(app.get(first).await, before, "nothing changed");

    assert_eq!(
        complete(&app, first, &token_a, "Succeeded").await.status,
        200
    );
    let done = app.get(first).await;
    assert_eq!(complete(&app, first, &token_a, "Failed").await.status, 409);
    assert_eq!(heartbeat(&app, first, &token_a, 5).await.status, 409);
    assert_eq!(app.get(first).await, done, "a reused token changes nothing");
    app.shutdown().await;
}

#[tokio::test]
async fn complete_with_a_state_that_does_not_end_a_task_is_a_bad_request() {
    let app = spawn_with_remote().await;
    let id = app.start(json!({"Name": "Greet"})).await;
    let (_, token) = claimed(&app).await;
    for state in ["Started", "New", "Finished"] {
        let response = complete(&app, id, &token, state).await;
        assert_eq!(response.status, 400, "{state}: {}", response.text());
    }
    assert_eq!(app.get(id).await["State"], "Started");
    app.shutdown().await;
}

#[tokio::test]
async fn claims_hand_out_only_remote_definitions() {
    let app = spawn_with_remote().await;
    let response = post(
        &app,
        CLAIM,
        json!({"Names": ["Echo", "Greet"], "Worker": "w1", "WaitSeconds": 0}),
    )
    .await;
    assert_eq!(response.status, 400, "{}", response.text());
    assert!(response.text().contains("Echo"), "{}", response.text());

    let echo = app.start(json!({"Name": "Echo"})).await;
    app.wait_for_state(echo, "Succeeded").await;
    assert_eq!(claim(&app, 0.0).await.status, 204);

    let definitions = app
        .send(Method::GET, "/api/sobatch/v1/definitions", None)
        .await
        .json()
        .unwrap();
    let greet = definitions
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["Name"] == "Greet")
        .cloned()
        .unwrap();
    assert_eq!(greet["Kind"], "remote");
    assert!(
        greet["DefinitionId"].as_i64().is_some(),
        "synced at start-up"
    );

    let anonymous = app
        .anonymous()
        .send(
            Method::POST,
            CLAIM,
            &[("Content-Type", "application/json")],
            Some(
                json!({"Names": ["Greet"], "Worker": "w1"})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await
        .unwrap();
    assert_eq!(anonymous.status, 401);
    app.shutdown().await;
}

#[tokio::test]
async fn the_example_python_worker_runs_a_remote_task() {
    let python = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("python3"))
            .find(|candidate| candidate.is_file())
    });
    let Some(python) = python else {
        println!("skipped: python3 is not on PATH");
        return;
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/python-worker/worker.py");
    let app = spawn_with_remote().await;
    let mut child = std::process::Command::new(python)
        .arg(&script)
        .args(["Greet", "--once", "--worker", "py-test", "--wait", "20"])
        .env("SOBATCH_URL", app.base_url())
        .env("SOBATCH_USER", "admin")
        .env("SOBATCH_PASSWORD", ADMIN_PASSWORD)
        .spawn()
        .unwrap();
    let id = app
        .start(json!({"Name": "Greet", "ParameterObject": {"Who": "Grace"}}))
        .await;
    let task = app.wait_for_state(id, "Succeeded").await;
    assert_eq!(task["Response"], "hello Grace");
    assert_eq!(task["Result"], "greeted");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_waiting_claim_answers_204_when_the_server_shuts_down() {
    let app = spawn_with_remote().await;
    let client = app.client.clone();
    let waiting = tokio::spawn(async move {
        let body = json!({"Names": ["Greet"], "Worker": "w1", "WaitSeconds": 60});
        client
            .send(
                Method::POST,
                CLAIM,
                &[("Content-Type", "application/json")],
                Some(body.to_string().into_bytes()),
            )
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    app.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(waiting.await.unwrap().status, 204);
}
