//! Tests that drive the real `sobatch` binary: start-up, user management, graceful stop on SIGTERM,
//! and durability across SIGKILL.

// Tests may panic on unexpected results; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{PASSWORD, Server, runtime, sobatch, start_server, start_server_with, wait_until};
use serde_json::json;

#[test]
fn every_acknowledged_task_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let client = server.client();
    let rt = runtime();
    // Eight clients post until the server dies, keeping every id it acknowledged.
    let posters: Vec<_> = (0..8)
        .map(|worker| {
            let client = client.clone();
            rt.spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0..5_000 {
                    let body = json!({
                        "Name": "Durable",
                        "Description": format!("client {worker} task {i}"),
                        "ParameterObject": {"worker": worker.to_string(), "i": i.to_string()}
                    });
                    match client.task_start(&body).await {
                        Ok(id) => acknowledged.push((id, worker, i)),
                        Err(_) => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    // Let them get going, then kill the server mid-stream.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let count = rt
            .block_on(client.tasks_by_state("New"))
            .map(|t| t.len())
            .unwrap_or(0);
        if count >= 400 || Instant::now() > deadline {
            break;
        }
    }
    server.kill();
    let mut acknowledged = Vec::new();
    for poster in posters {
        acknowledged.extend(rt.block_on(poster).unwrap());
    }
    assert!(
        acknowledged.len() >= 400,
        "only {} acknowledged",
        acknowledged.len()
    );

    let server = start_server(dir.path());
    let client = server.client();
    let stored = rt.block_on(client.tasks_by_state("All")).unwrap();
    let stored_ids: std::collections::HashSet<i64> =
        stored.iter().map(|t| t["Id"].as_i64().unwrap()).collect();
    for (id, worker, i) in &acknowledged {
        assert!(
            stored_ids.contains(&i64::from(*id)),
            "task {id} (client {worker}, #{i}) was acknowledged but lost"
        );
    }
    // Spot-check that content survived too.
    let (id, worker, i) = acknowledged[acknowledged.len() / 2];
    let task = rt.block_on(client.task_get(id)).unwrap().unwrap();
    assert_eq!(task["Description"], format!("client {worker} task {i}"));
    assert_eq!(task["ParameterObject"]["i"], i.to_string());
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn sigterm_stops_the_server_with_exit_code_zero() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let client = server.client();
    let rt = runtime();
    let id = rt
        .block_on(
            client.task_start(&json!({"Name": "Sleep", "ParameterObject": {"Seconds": "0.5"}})),
        )
        .unwrap();
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    assert!(
        dir.path().join("sobatch.db").exists(),
        "the default database file is in the working directory"
    );
    let server = start_server(dir.path());
    let task = rt.block_on(server.client().task_get(id)).unwrap().unwrap();
    assert_ne!(task["State"], "Aquired");
    server.terminate();
}

#[test]
fn user_add_reads_the_password_from_stdin_and_the_user_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("sobatch.db").display());
    let mut child = sobatch()
        .args(["user", "add", "carol", "--password-stdin", "--db", &db])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"carol-pass\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("carol"));

    // Adding her again fails with a clear message.
    let mut again = sobatch()
        .args(["user", "add", "carol", "--password-stdin", "--db", &db])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    again.stdin.take().unwrap().write_all(b"x\n").unwrap();
    let output = again.wait_with_output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));

    // The database already has an associate, so serve creates no admin; carol signs in.
    // The admin password in its environment changes nothing: only an empty database gets one.
    let server = start_server_with(dir.path(), &["--db", &db]);
    let rt = runtime();
    let carol = sobatch_wire::WireClient::new(&format!("http://{}", server.addr))
        .unwrap()
        .with_basic_auth("carol", "carol-pass");
    let id = rt
        .block_on(carol.task_start(&json!({"Name": "Echo"})))
        .unwrap();
    assert!(id > 0);
    let admin = server.client();
    assert!(
        rt.block_on(admin.task_get(id)).is_err(),
        "no admin was created"
    );
    server.terminate();
}

#[test]
fn a_bad_configuration_is_refused_at_start_with_every_problem() {
    let output = sobatch()
        .args(["serve", "--listen", "nowhere"])
        .env("SOBATCH_ENGINE__WORKERS", "0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("listen"), "{stderr}");
    assert!(stderr.contains("engine.workers"), "{stderr}");
}

#[test]
fn a_command_task_killed_with_its_server_is_rescued_and_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sobatch.toml");
    std::fs::write(
        &config,
        r#"
[engine]
lease = "1s"

[[task]]
name = "Slow"
kind = "command"
program = "/bin/sh"
args = ["-c", "echo 'progress 10 working'; sleep 3; echo 'result finished'"]
auto_restart_count = 2
"#,
    )
    .unwrap();
    let config = config.to_string_lossy().to_string();
    let rt = runtime();
    let server = start_server_with(dir.path(), &["--config", &config]);
    let client = server.client();
    let id = rt
        .block_on(client.task_start(&json!({"Name": "Slow"})))
        .unwrap();
    wait_until(&rt, &client, id, |t| t["State"] == "Started");
    server.kill();

    let server = start_server_with(dir.path(), &["--config", &config]);
    let client = server.client();
    let task = wait_until(&rt, &client, id, |t| t["State"] == "Succeeded");
    assert_eq!(task["StartCount"], 2, "{task}");
    assert_eq!(task["Result"], "finished");
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}

/// Runs a client command against `server` and returns (exit code, stdout, stderr).
fn client_command(server: &Server, args: &[&str]) -> (i32, String, String) {
    let output = sobatch()
        .args(args)
        .env("SOBATCH_URL", format!("http://{}", server.addr))
        .env("SOBATCH_USER", "admin")
        .env("SOBATCH_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn client_commands_start_follow_list_show_stop_and_delete_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());

    let (code, out, err) =
        client_command(&server, &["submit", "Echo", "-p", "who=world", "--wait"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Succeeded") && out.contains("world"), "{out}");

    let (code, _, err) = client_command(
        &server,
        &["submit", "Fail", "-p", "Message=disk full", "--wait"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("disk full"), "{err}");

    let (code, out, _) = client_command(&server, &["submit", "Waiting", "--description", "later"]);
    assert_eq!(code, 0);
    let id: i32 = out.trim().parse().unwrap();

    let (code, out, _) = client_command(&server, &["list", "--json"]);
    assert_eq!(code, 0);
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    let (_, out, _) = client_command(&server, &["list", "--state", "New"]);
    assert!(out.starts_with("ID"), "{out}");
    assert!(out.contains("Waiting") && out.contains("later"), "{out}");
    assert!(!out.contains("Echo"), "{out}");

    let (code, out, _) = client_command(&server, &["show", &id.to_string(), "--json"]);
    assert_eq!(code, 0);
    let task: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(task["Description"], "later");

    let (code, out, _) = client_command(&server, &["stop", &id.to_string()]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = client_command(&server, &["stop", &id.to_string()]);
    assert_eq!(code, 1, "already finished: {err}");

    let (code, _, _) = client_command(&server, &["delete", &id.to_string()]);
    assert_eq!(code, 0);
    let (code, _, err) = client_command(&server, &["show", &id.to_string()]);
    assert_eq!(code, 2, "{err}");

    let (code, _, err) = client_command(&server, &["submit", "Echo", "-p", "no-equals-sign"]);
    assert_eq!(code, 2);
    assert!(err.contains("KEY=VALUE"), "{err}");
    server.terminate();

    // Nobody listening: a connection error is exit code 2.
    let output = sobatch()
        .args(["list", "--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
