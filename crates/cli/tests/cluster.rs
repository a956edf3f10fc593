//! Several real `sobatch serve` processes on one PostgreSQL database: tasks run once, a killed
//! node's tasks are finished by the others, and a Stop reaches the node that runs the task. Runs
//! when `SOBATCH_TEST_POSTGRES_URL` names a server (CI sets it); without one there is no cluster.

// Tests may panic on unexpected results; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Server, runtime, start_server_env};
use serde_json::{Value, json};
use sobatch_testing::PgDatabase;
use sobatch_wire::WireClient;

/// Starts a node on `db` in a directory of its own.
fn node(dir: &Path, db: &PgDatabase, env: &[(&str, &str)]) -> Server {
    start_server_env(dir, &["--db", &db.url], env)
}

/// Which tasks each node's log says it started, in order: the execution log of the test.
fn starts_by_node(nodes: &[&Server]) -> Vec<Vec<i32>> {
    nodes
        .iter()
        .map(|node| {
            node.log_lines("task started")
                .iter()
                .filter_map(|line| {
                    let at = line.find("task_id=")? + "task_id=".len();
                    let digits: String = line[at..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    digits.parse().ok()
                })
                .collect()
        })
        .collect()
}

/// Polls `client` until every task in `ids` satisfies `done`, for at most `limit`; returns them.
fn wait_all(
    rt: &tokio::runtime::Runtime,
    client: &WireClient,
    ids: &[i32],
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> HashMap<i32, Value> {
    let deadline = Instant::now() + limit;
    loop {
        let tasks: HashMap<i32, Value> = rt
            .block_on(client.tasks_by_state("All"))
            .unwrap()
            .into_iter()
            .map(|t| (t["Id"].as_i64().unwrap() as i32, t))
            .collect();
        let pending: Vec<&i32> = ids
            .iter()
            .filter(|id| !tasks.get(id).is_some_and(&done))
            .collect();
        if pending.is_empty() {
            return tasks;
        }
        assert!(
            Instant::now() < deadline,
            "{} tasks not done in {limit:?}, such as {:?}",
            pending.len(),
            tasks.get(pending[0])
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn succeeded(task: &Value) -> bool {
    task["State"] == "Succeeded"
}

fn sleep_task(seconds: &str, i: usize) -> Value {
    json!({
        "Name": "Sleep",
        "Description": format!("cluster task {i}"),
        "ParameterObject": {"Seconds": seconds}
    })
}

#[test]
fn three_nodes_run_300_tasks_started_through_all_of_them_each_exactly_once() {
    let Some(db) = PgDatabase::create("three") else {
        return;
    };
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    // The first node migrates and creates the admin; the others find both done.
    let first = node(dirs[0].path(), &db, &[]);
    let nodes = [
        first,
        node(dirs[1].path(), &db, &[]),
        node(dirs[2].path(), &db, &[]),
    ];
    let rt = runtime();
    let clients: Vec<WireClient> = nodes.iter().map(Server::client).collect();

    // Three posters, one per node, 100 tasks each, at the same time.
    let posters: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(n, client)| {
            let client = client.clone();
            rt.spawn(async move {
                let mut ids = Vec::new();
                for i in 0..100 {
                    ids.push(
                        client
                            .task_start(&sleep_task("0.05", n * 100 + i))
                            .await
                            .unwrap(),
                    );
                }
                ids
            })
        })
        .collect();
    let ids: Vec<i32> = posters
        .into_iter()
        .flat_map(|p| rt.block_on(p).unwrap())
        .collect();
    assert_eq!(ids.len(), 300);

    let tasks = wait_all(&rt, &clients[1], &ids, Duration::from_secs(120), succeeded);
    for id in &ids {
        assert_eq!(
            tasks[id]["StartCount"], 1,
            "task {id} started more than once"
        );
    }
    let starts = starts_by_node(&nodes.iter().collect::<Vec<_>>());
    let mut runs: BTreeMap<i32, usize> = BTreeMap::new();
    for id in starts.iter().flatten() {
        *runs.entry(*id).or_default() += 1;
    }
    for id in &ids {
        assert_eq!(
            runs.get(id),
            Some(&1),
            "task {id} ran {:?} times",
            runs.get(id)
        );
    }
    let per_node: Vec<usize> = starts.iter().map(Vec::len).collect();
    eprintln!("tasks run per node: {per_node:?}");
    assert!(
        per_node.iter().filter(|&&n| n > 0).count() >= 2,
        "the work should spread over the nodes: {per_node:?}"
    );
}

#[test]
fn the_tasks_of_a_killed_node_are_rescued_and_finished_by_the_others() {
    let Some(db) = PgDatabase::create("kill") else {
        return;
    };
    // A short lease, so that the rescue comes within seconds.
    let env = [
        ("SOBATCH_ENGINE__LEASE", "2s"),
        ("SOBATCH_ENGINE__POLL_INTERVAL", "200ms"),
    ];
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let first = node(dirs[0].path(), &db, &env);
    let mut nodes = vec![
        first,
        node(dirs[1].path(), &db, &env),
        node(dirs[2].path(), &db, &env),
    ];
    let rt = runtime();
    let client = nodes[1].client();
    let ids: Vec<i32> = (0..24)
        .map(|i| rt.block_on(client.task_start(&sleep_task("3", i))).unwrap())
        .collect();

    // Kill the leader once it runs some of them, so that the lead must move as well.
    let deadline = Instant::now() + Duration::from_secs(30);
    let leader = loop {
        let leader = nodes
            .iter()
            .position(|n| !n.log_lines("now leads maintenance").is_empty());
        if let Some(leader) = leader
            && !nodes[leader].log_lines("task started").is_empty()
        {
            break leader;
        }
        assert!(Instant::now() < deadline, "no leader running tasks");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut victim = nodes.remove(leader);
    victim.child.kill().unwrap();
    let killed_at = Instant::now();
    victim.child.wait().unwrap();
    // What it started up to its death: its log's last lines arrive after the kill.
    std::thread::sleep(Duration::from_millis(300));
    let orphaned = starts_by_node(&[&victim]).remove(0);
    eprintln!("killed the leader while it ran tasks {orphaned:?}");

    let survivor = nodes[0].client();
    // Rescue time: until every orphaned task is Started again elsewhere.
    let restarted = wait_all(&rt, &survivor, &orphaned, Duration::from_secs(60), |t| {
        t["StartCount"] == 2
    });
    let rescue = killed_at.elapsed();
    assert!(orphaned.iter().all(|id| restarted[id]["State"] != "New"));
    eprintln!("rescue after SIGKILL with a 2 s lease: {rescue:?}");
    assert!(
        nodes
            .iter()
            .any(|n| !n.log_lines("now leads maintenance").is_empty()),
        "another node took the lead"
    );

    let tasks = wait_all(&rt, &survivor, &ids, Duration::from_secs(60), succeeded);
    // Every task ran to its end once, on a survivor. The victim's log only bounds what it had
    // claimed from below: a claim commits before its log line, and the kill may fall between.
    let survivors: Vec<&Server> = nodes.iter().collect();
    let survivor_starts: Vec<i32> = starts_by_node(&survivors).concat();
    let mut claimed_by_victim = Vec::new();
    for id in &ids {
        let runs = survivor_starts.iter().filter(|&s| s == id).count();
        assert_eq!(runs, 1, "task {id} started {runs} times on the survivors");
        match tasks[id]["StartCount"].as_i64() {
            Some(1) => assert!(!orphaned.contains(id), "task {id}: {}", tasks[id]),
            Some(2) => claimed_by_victim.push(*id),
            _ => panic!("task {id}: {}", tasks[id]),
        }
    }
    eprintln!("the victim had claimed {claimed_by_victim:?}");
    let workers = sobatch_server::Config::default().engine.workers;
    assert!(
        claimed_by_victim.len() <= workers,
        "no more than the victim's {workers} workers"
    );
}

#[test]
fn a_stop_sent_to_one_node_ends_a_task_running_on_another() {
    let Some(db) = PgDatabase::create("stop") else {
        return;
    };
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    // B runs the task: it is the only node when the task starts.
    let b = node(dirs[1].path(), &db, &[]);
    let rt = runtime();
    let id = rt
        .block_on(b.client().task_start(&sleep_task("60", 0)))
        .unwrap();
    common::wait_until(&rt, &b.client(), id, |t| t["State"] == "Started");
    let a = node(dirs[0].path(), &db, &[]);
    assert!(a.log_lines("task started").is_empty());

    let sent = Instant::now();
    assert!(rt.block_on(a.client().task_stop(id)).unwrap());
    let task = common::wait_until(&rt, &a.client(), id, |t| t["State"] == "Failed");
    let latency = sent.elapsed();
    eprintln!("cross-node Stop took {latency:?}");
    assert!(
        task["Result"].as_str().unwrap().contains("Stopped"),
        "{task}"
    );
    assert_eq!(b.log_lines("stop requested through another node").len(), 1);
    // Without the notification, B would see the Stop at its next heartbeat, 10 s after the
    // last one with the default 30 s lease; anything well under that came through the signal.
    assert!(latency < Duration::from_secs(5), "{latency:?}");
}
