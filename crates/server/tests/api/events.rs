//! `GET /api/sobatch/v1/events`: each change of a task as a Server-Sent Event, in order, filtered,
//! resumable with `Last-Event-ID`, kept alive by comment lines, ended by shutdown, and fed by
//! every node of a cluster.

use std::time::Duration;

use serde_json::{Value, json};
use sobatch_wire::sse::SseEvent;
use sobatch_wire::{EventStream, WireClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{ADMIN_PASSWORD, TestApp, admin_basic_credentials, spawn_app, spawn_app_with};

/// The next task event's data, within 20 s.
async fn next(stream: &mut EventStream) -> (String, Value) {
    let event: SseEvent = tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .expect("an event within 20 s")
        .unwrap()
        .expect("the stream goes on");
    assert_eq!(event.event, "task");
    (
        event.id.unwrap(),
        serde_json::from_str(&event.data).unwrap(),
    )
}

/// Events until one satisfies `last`, that one included.
async fn until(stream: &mut EventStream, last: impl Fn(&Value) -> bool) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    loop {
        let event = next(stream).await;
        let done = last(&event.1);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

/// The events of one run of task `id`, checked to go from Created through Started and Progress to
/// its end.
async fn a_whole_run(stream: &mut EventStream, id: i32) -> Vec<(String, Value)> {
    let events = until(stream, ended(id)).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|(_, e)| e["Kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"Created"), "{kinds:?}");
    assert!(kinds.contains(&"Started"), "{kinds:?}");
    assert!(kinds.contains(&"Progress"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"StateChanged"), "{kinds:?}");
    events
}

fn ended(id: i32) -> impl Fn(&Value) -> bool {
    move |e| e["Id"] == id && (e["State"] == "Succeeded" || e["State"] == "Failed")
}

#[tokio::test]
async fn the_stream_carries_each_change_of_a_task_in_order() {
    let app = spawn_app().await;
    let mut stream = app.client.events(&[], None).await.unwrap();
    let id = app
        .start(
            json!({"Name": "Sleep", "Description": "nap", "ParameterObject": {"Seconds": "0.6"}}),
        )
        .await;
    let events = a_whole_run(&mut stream, id).await;
    let (_, last) = events.last().unwrap();
    assert_eq!(last["State"], "Succeeded");
    assert_eq!(last["Name"], "Sleep");
    assert_eq!(last["Description"], "nap");
    assert_eq!(last["AssociateId"], app.get(id).await["AssociateId"]);
    assert!(last["At"].as_str().unwrap().ends_with('Z'));
    let progress = events
        .iter()
        .map(|(_, e)| e)
        .filter(|e| e["Kind"] == "Progress")
        .max_by_key(|e| e["ProgressPercent"].as_i64())
        .unwrap();
    assert!(
        progress["ProgressPercent"].as_i64().unwrap() > 0,
        "{progress}"
    );
    let text = progress["ProgressDescription"].as_str().unwrap();
    assert!(
        !text.starts_with("[SR_"),
        "the server's texts are readable: {text}"
    );
    // Ids are distinct and every event names the task.
    let mut ids: Vec<&String> = events.iter().map(|(id, _)| id).collect();
    ids.dedup();
    assert_eq!(ids.len(), events.len());
    assert!(events.iter().all(|(_, e)| e["Id"] == id));

    // Deleting is an event too.
    app.client.task_delete(id).await.unwrap();
    let (_, deleted) = next(&mut stream).await;
    assert_eq!(
        (deleted["Id"].as_i64(), deleted["Kind"].as_str()),
        (Some(id.into()), Some("Deleted"))
    );
    app.shutdown().await;
}

#[tokio::test]
async fn filters_select_by_name_state_and_owner_and_bad_ones_are_refused() {
    let app = spawn_app().await;
    let ann = app.add_user("ann", false, "pw").await;
    let as_ann = app.client_as("ann", "pw");
    let mut failed_sleeps = app
        .client
        .events(&[("name", "SLEEP"), ("state", "Failed,Succeeded")], None)
        .await
        .unwrap();
    let mut anns = app
        .client
        .events(&[("owner", &ann.to_string())], None)
        .await
        .unwrap();
    app.start(json!({"Name": "Echo"})).await;
    let sleep = app
        .start(json!({"Name": "Sleep", "ParameterObject": {"Seconds": "0.1"}}))
        .await;
    let hers = as_ann.task_start(&json!({"Name": "Echo"})).await.unwrap();

    let (_, first) = next(&mut failed_sleeps).await;
    assert_eq!(
        (first["Id"].as_i64(), first["State"].as_str()),
        (Some(sleep.into()), Some("Succeeded"))
    );
    let (_, first) = next(&mut anns).await;
    assert_eq!(
        (first["Id"].as_i64(), first["Kind"].as_str()),
        (Some(hers.into()), Some("Created"))
    );
    assert_eq!(first["AssociateId"], ann);
    let rest = until(&mut anns, ended(hers)).await;
    assert!(rest.iter().all(|(_, e)| e["Id"] == hers));

    for bad in [
        "/api/sobatch/v1/events?nmae=Sleep",
        "/api/sobatch/v1/events?state=Running",
        "/api/sobatch/v1/events?owner=-4",
        "/api/sobatch/v1/events?state=%ff%fe",
    ] {
        let response = app.send(sobatch_wire::Method::GET, bad, None).await;
        assert_eq!(response.status, 400, "{bad}");
        assert_eq!(response.json().unwrap()["Error"], true, "{bad}");
    }
    let response = app
        .client
        .send(
            sobatch_wire::Method::GET,
            "/api/sobatch/v1/events",
            &[("Last-Event-ID", "not-an-id")],
            None,
        )
        .await
        .unwrap();
    assert_eq!(response.status, 400);
    let anonymous = app.anonymous().events(&[], None).await.err().unwrap();
    assert!(
        matches!(
            anonymous,
            sobatch_wire::ClientError::Status { status: 401, .. }
        ),
        "{anonymous:?}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn last_event_id_resumes_right_after_the_last_event_seen() {
    let app = spawn_app().await;
    let mut stream = app.client.events(&[], None).await.unwrap();
    let first = app.start(json!({"Name": "Echo"})).await;
    let seen = until(&mut stream, ended(first)).await;
    let (resume_at, _) = seen.first().unwrap().clone();
    drop(stream);

    let second = app.start(json!({"Name": "Echo"})).await;
    app.wait_for_state(second, "Succeeded").await;
    let mut resumed = app.client.events(&[], Some(&resume_at)).await.unwrap();
    // Everything after the first event comes again, in the same order, then what was missed.
    let again = until(&mut resumed, ended(second)).await;
    let expected: Vec<&Value> = seen[1..].iter().map(|(_, e)| e).collect();
    let got: Vec<&Value> = again[..expected.len()].iter().map(|(_, e)| e).collect();
    assert_eq!(got, expected);
    assert!(
        again[expected.len()..]
            .iter()
            .all(|(_, e)| e["Id"] == second)
    );
    assert_eq!(again[expected.len()].1["Kind"], "Created");
    app.shutdown().await;
}

/// Sends a GET by hand and returns what arrived within `wait`: the stream never ends by itself.
async fn raw_get(app: &TestApp, path: &str, headers: &str, wait: Duration) -> String {
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n{headers}\r\n",
        app.addr
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let _ = tokio::time::timeout(wait, async {
        let mut buffer = [0u8; 4096];
        loop {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn idle_streams_send_heartbeat_comments_and_shutdown_ends_them() {
    let app = spawn_app_with(|config| {
        config.http.event_heartbeat = Duration::from_millis(100);
    })
    .await;
    let basic = format!("Authorization: Basic {}\r\n", admin_basic_credentials());
    let text = raw_get(
        &app,
        "/api/sobatch/v1/events",
        &basic,
        Duration::from_millis(700),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{text}"
    );
    assert!(text.contains("retry: "), "{text}");
    assert!(text.matches(": keep-alive").count() >= 3, "{text}");

    // A stream left open does not hold the server up when it shuts down.
    let mut open = app.client.events(&[], None).await.unwrap();
    let shutdown = tokio::time::timeout(Duration::from_secs(10), app.shutdown()).await;
    assert!(shutdown.is_ok(), "shutdown waited for an open event stream");
    let end = tokio::time::timeout(Duration::from_secs(5), open.next())
        .await
        .unwrap();
    assert!(!matches!(end, Ok(Some(_))), "{end:?}");
}

#[tokio::test]
async fn a_stream_on_one_node_sees_what_another_node_did_on_postgresql() {
    let Some(database) = sobatch_testing::PgDatabase::create("events") else {
        eprintln!("SOBATCH_TEST_POSTGRES_URL is not set: no second node to watch");
        return;
    };
    // Only the second node runs tasks named Elsewhere; the first one only watches.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runner.toml");
    std::fs::write(
        &file,
        "[[task]]\nname = \"Elsewhere\"\nkind = \"command\"\nprogram = \"/bin/sh\"\n\
         args = [\"-c\", \"echo progress 50 half way; sleep 0.3\"]\n",
    )
    .unwrap();
    let tasks = sobatch_server::Config::load(Some(&file), []).unwrap().tasks;
    let url = database.url.clone();
    let watcher = spawn_app_with(|config| config.db = url).await;
    let url = database.url.clone();
    let runner = spawn_app_with(move |config| {
        config.db = url;
        config.tasks = tasks;
    })
    .await;
    let mut stream = watcher
        .client
        .events(&[("name", "elsewhere")], None)
        .await
        .unwrap();
    let remote = WireClient::new(&runner.base_url())
        .unwrap()
        .with_basic_auth("admin", ADMIN_PASSWORD);
    let id = remote
        .task_start(&json!({"Name": "Elsewhere"}))
        .await
        .unwrap();
    let events = a_whole_run(&mut stream, id).await;
    assert_eq!(events.last().unwrap().1["State"], "Succeeded");
    // Positions carry the writing transaction on PostgreSQL.
    assert!(events.iter().all(|(id, _)| id.contains('.')));
    drop(stream);
    runner.shutdown().await;
    watcher.shutdown().await;
}
