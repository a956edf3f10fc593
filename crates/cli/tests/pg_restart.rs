//! PostgreSQL restarted under load: requests fail with 503 while it is down, the node reconnects by
//! itself, and every task it acknowledged is still there and runs. It restarts the server the
//! whole machine shares, so it runs only when `SOBATCH_TEST_POSTGRES_RESTART` holds the command
//! that does it (CI sets it), and it is the only test in this binary, so nothing else of the
//! suite runs meanwhile.

// Tests may panic on unexpected results; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{runtime, start_server_env};
use serde_json::json;
use sobatch_testing::PgDatabase;
use sobatch_wire::ClientError;

#[test]
fn every_acknowledged_task_survives_a_restart_of_postgresql_under_load() {
    let Some(restart) = std::env::var("SOBATCH_TEST_POSTGRES_RESTART")
        .ok()
        .filter(|c| !c.is_empty())
    else {
        return;
    };
    let Some(db) = PgDatabase::create("restart") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start_server_env(dir.path(), &["--db", &db.url], &[]);
    let client = server.client().with_timeout(Duration::from_secs(30));
    let rt = runtime();

    // Four clients post Echo tasks for 8 s, through the restart in the middle.
    let until = Instant::now() + Duration::from_secs(8);
    let posters: Vec<_> = (0..4)
        .map(|worker| {
            let client = client.clone();
            rt.spawn(async move {
                let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
                let mut i = 0;
                while Instant::now() < until && i < 200_000 {
                    let body = json!({"Name": "Echo", "ParameterObject": {"w": worker.to_string(), "i": i.to_string()}});
                    match client.task_start(&body).await {
                        Ok(id) => acknowledged.push(id),
                        Err(ClientError::Status { status, body }) => {
                            refused.push((status, body));
                            // A client would back off; so does this one.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Err(other) => panic!("not an HTTP answer: {other}"),
                    }
                    i += 1;
                }
                (acknowledged, refused)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let status = Command::new("sh").args(["-c", &restart]).status().unwrap();
    assert!(status.success(), "{restart:?} failed: {status:?}");

    let mut acknowledged = Vec::new();
    let mut refused = Vec::new();
    for poster in posters {
        let (ok, failed) = rt.block_on(poster).unwrap();
        acknowledged.extend(ok);
        refused.extend(failed);
    }
    eprintln!(
        "{} tasks acknowledged, {} requests refused while PostgreSQL restarted",
        acknowledged.len(),
        refused.len()
    );
    for (status, body) in &refused {
        assert_eq!(*status, 503, "{body}");
        assert!(body.contains("ServiceUnavailable"), "{body}");
        assert!(body.contains("the database is unavailable"), "{body}");
    }

    // Every acknowledged task is stored, and the engine, reconnected, runs them all.
    let deadline = Instant::now() + Duration::from_secs(120);
    let expected: HashSet<i32> = acknowledged.iter().copied().collect();
    loop {
        let succeeded: HashSet<i32> = rt
            .block_on(client.tasks_by_state("Succeeded"))
            .unwrap()
            .iter()
            .map(|t| t["Id"].as_i64().unwrap() as i32)
            .collect();
        let missing = expected.difference(&succeeded).count();
        if missing == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} acknowledged tasks did not end Succeeded"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let all = rt.block_on(client.tasks_by_state("All")).unwrap();
    assert!(all.len() >= expected.len());
}
