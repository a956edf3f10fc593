//! The measurements of the performance issue, (a) to (e), each on a fresh database.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sobatch_core::{AssociateId, TaskId, TaskStart, TaskState};
use sobatch_store::Store;

use crate::db::{Backend, Fresh};
use crate::load::{self, Shape, Until};
use crate::node::{self, Node, Program};
use crate::report::Figure;

/// What every scenario needs to start servers.
pub struct Setup {
    pub sobatch: std::path::PathBuf,
    pub dir: std::path::PathBuf,
    /// Where the servers' logs go; kept after the run for a look at what went wrong.
    pub logs: std::path::PathBuf,
    pub pg_url: String,
    pub quick: bool,
    /// Extra `SOBATCH_*` settings for every sobatch server.
    pub env: Vec<(String, String)>,
}

impl Setup {
    fn duration(&self) -> Duration {
        if self.quick {
            Duration::from_secs(2)
        } else {
            Duration::from_secs(10)
        }
    }

    fn tasks(&self) -> usize {
        if self.quick { 2_000 } else { 20_000 }
    }

    async fn sobatch(&self, db: &Fresh, label: &str) -> Result<Node> {
        node::start(
            Program::Sobatch {
                binary: &self.sobatch,
                db: &db.url,
                env: &self.env,
            },
            &self.logs,
            label,
        )
        .await
    }
}

/// The body of (a): a task as a client would send it, about 1 KB, for a name nothing runs so that
/// only the acknowledged write is measured.
pub fn task_body(name: &str) -> String {
    let filler = "Quarterly pipeline export for the northern sales region, all open sales, \
                  grouped by stage and owner; ";
    let body = serde_json::json!({
        "Name": name,
        "Description": "Nightly export of the sales pipeline (bench)",
        "IsSystemTask": false,
        "ParameterObject": {
            "Region": "north",
            "Format": "xlsx",
            "IncludeArchived": "false",
            "Recipients": "sales-north@example.com;finance@example.com",
            "Query": filler.repeat(6),
            "Columns": "contact,person,sale,amount,probability,stage,owner,registered,updated",
        }
    });
    body.to_string()
}

fn authorization() -> String {
    use base64::Engine as _;
    let credentials = format!("admin:{}", crate::PASSWORD);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

/// (a) and (e): durable POSTs at 64 connections, with the server's memory sampled meanwhile; and
/// start-up and idle memory of the same server before the load.
pub async fn post_throughput(setup: &Setup, target: Target) -> Result<Vec<Figure>> {
    let duration = setup.duration();
    let shape = Shape::post_json(
        "/api/v1/BatchTask",
        task_body("BenchWaiting"),
        &authorization(),
    );
    let (label, db, node) = match target {
        Target::Floor => {
            let path = setup.dir.join(format!("floor-{}.db", std::process::id()));
            let _ = std::fs::remove_file(&path);
            let node = node::start(Program::Floor { db: &path }, &setup.logs, "floor").await?;
            ("floor", None, node)
        }
        Target::Sobatch(backend) => {
            let db = Fresh::create(backend, &setup.dir, &setup.pg_url).await?;
            let node = setup.sobatch(&db, backend.label()).await?;
            (backend.label(), Some(db), node)
        }
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = node.rss()?;
    let start_up = node.start_up;

    let sampling = sample_rss(&node);
    let outcome = load::run(node.addr, shape, 64, Until::Elapsed(duration), 200).await?;
    let peak_rss = sampling.finish(&node)?;
    node.stop()?;
    if let Some(db) = db {
        db.drop_database().await?;
    }
    if outcome.failures > 0 {
        bail!("{label}: {} POSTs failed", outcome.failures);
    }
    let mut figures = vec![
        Figure::new(
            "a",
            "POST /api/v1/BatchTask",
            label,
            "req/s",
            outcome.per_second(),
        ),
        Figure::new("a", "POST p50", label, "ms", outcome.percentile_ms(50.0)),
        Figure::new("a", "POST p99", label, "ms", outcome.percentile_ms(99.0)),
        Figure::new("e", "RSS under load (a)", label, "MB", mb(peak_rss)),
    ];
    if let Target::Sobatch(_) = target {
        figures.push(Figure::new("e", "idle RSS", label, "MB", mb(idle_rss)));
        figures.push(Figure::new(
            "e",
            "start-up to first answer",
            label,
            "ms",
            start_up.as_secs_f64() * 1000.0,
        ));
    }
    Ok(figures)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Samples a node's RSS every 50 ms on a thread while a load runs, keeping the peak.
struct Sampler {
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<u64>,
}

fn sample_rss(node: &Node) -> Sampler {
    let status = format!("/proc/{}/status", node.pid());
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let mut peak = 0;
        loop {
            if let Ok(text) = std::fs::read_to_string(&status)
                && let Some(kib) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|r| r.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kib * 1024);
            }
            if stopped.recv_timeout(Duration::from_millis(50)).is_ok() {
                return peak;
            }
        }
    });
    Sampler { stop, thread }
}

impl Sampler {
    fn finish(self, node: &Node) -> Result<u64> {
        let _ = self.stop.send(());
        let peak = self
            .thread
            .join()
            .map_err(|_| anyhow::anyhow!("the RSS sampler panicked"))?;
        Ok(peak.max(node.rss().unwrap_or(0)))
    }
}

/// Which server a scenario loads.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Floor,
    Sobatch(Backend),
}

/// (b) end to end: `Echo` tasks POSTed at 64 connections while the workers run them; the time
/// from the first POST until every one has `Succeeded`.
pub async fn end_to_end(setup: &Setup, backend: Backend) -> Result<Vec<Figure>> {
    let count = setup.tasks();
    let db = Fresh::create(backend, &setup.dir, &setup.pg_url).await?;
    let node = setup
        .sobatch(&db, &format!("{}-e2e", backend.label()))
        .await?;
    let store = db.store().await?;
    let shape = Shape::post_json("/api/v1/BatchTask", r#"{"Name":"Echo"}"#, &authorization());
    let started = Instant::now();
    let outcome = load::run(node.addr, shape, 64, Until::Count(count), 200).await?;
    if outcome.failures > 0 {
        bail!("{}: {} POSTs failed", backend.label(), outcome.failures);
    }
    let posted = started.elapsed();
    wait_succeeded(store.as_ref(), count, nth(count)?).await?;
    let elapsed = started.elapsed();
    drop(store);
    node.stop()?;
    db.drop_database().await?;
    let label = backend.label();
    Ok(vec![
        Figure::new(
            "b",
            "end to end over HTTP",
            label,
            "tasks/s",
            count as f64 / elapsed.as_secs_f64(),
        ),
        Figure::new(
            "b",
            "of which POSTs",
            label,
            "req/s",
            count as f64 / posted.as_secs_f64(),
        ),
    ])
}

/// (b) worker side: the tasks are stored before the server starts; the time from its first
/// answer until every one has `Succeeded`.
pub async fn worker_side(setup: &Setup, backend: Backend) -> Result<Vec<Figure>> {
    let count = setup.tasks();
    let db = Fresh::create(backend, &setup.dir, &setup.pg_url).await?;
    let store = db.store().await?;
    let starts = (0..count)
        .map(|_| TaskStart::new("Echo", AssociateId(1)))
        .collect();
    let ids = store
        .task_insert_many(starts, TaskState::New, chrono::Utc::now())
        .await?;
    let last = *ids.last().context("no tasks were stored")?;
    let node = setup
        .sobatch(&db, &format!("{}-workers", backend.label()))
        .await?;
    let started = Instant::now();
    wait_succeeded(store.as_ref(), count, last).await?;
    let elapsed = started.elapsed();
    drop(store);
    node.stop()?;
    db.drop_database().await?;
    Ok(vec![Figure::new(
        "b",
        "worker side, stored tasks",
        backend.label(),
        "tasks/s",
        count as f64 / elapsed.as_secs_f64(),
    )])
}

/// Waits until `count` tasks have `Succeeded`; fails if any failed or it takes more than two
/// minutes. Tasks run about in id order, so it watches the last one (`last`) with cheap reads by
/// id first, and only then counts: counting every few milliseconds would load the database it
/// measures.
async fn wait_succeeded(store: &dyn Store, count: usize, last: TaskId) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let late = || anyhow::anyhow!("the tasks did not all succeed within 120 s");
    loop {
        match store.task_get(last).await?.map(|t| t.state) {
            Some(TaskState::Succeeded) => break,
            Some(TaskState::Failed) => bail!("task {} failed", last.0),
            _ => {}
        }
        if Instant::now() > deadline {
            return Err(late());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    loop {
        let counts = store.task_count_by_state().await?;
        let of = |state| {
            counts
                .iter()
                .find(|(s, _)| *s == state)
                .map_or(0, |(_, n)| usize::try_from(*n).unwrap_or(0))
        };
        if of(TaskState::Failed) > 0 {
            bail!("{} tasks failed", of(TaskState::Failed));
        }
        if of(TaskState::Succeeded) >= count {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(late());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The id of the `n`th task of a fresh database (ids count from 1).
fn nth(n: usize) -> Result<TaskId> {
    Ok(TaskId(i32::try_from(n)?))
}

/// (c) enqueue-to-start: single tasks at a steady 50 per second with idle workers; for each, the
/// time from sending its POST until the worker marked it started (LastStarted, microseconds).
pub async fn enqueue_to_start(setup: &Setup, backend: Backend) -> Result<Vec<Figure>> {
    let count = if setup.quick { 50 } else { 300 };
    let db = Fresh::create(backend, &setup.dir, &setup.pg_url).await?;
    let node = setup
        .sobatch(&db, &format!("{}-latency", backend.label()))
        .await?;
    let store = db.store().await?;
    let shape = Shape::post_json("/api/v1/BatchTask", r#"{"Name":"Echo"}"#, &authorization());
    // A few first tasks warm the connections and caches; they are not counted.
    load::paced(node.addr, &shape, 5, Duration::from_millis(20)).await?;
    let sent = load::paced(node.addr, &shape, count, Duration::from_millis(20)).await?;
    wait_succeeded(store.as_ref(), count + 5, nth(count + 5)?).await?;
    let mut latencies = Vec::with_capacity(count);
    for (at, body) in sent {
        let id: i32 = std::str::from_utf8(&body)?
            .trim()
            .parse()
            .with_context(|| format!("a POST answered {body:?}, not an id"))?;
        let task = store
            .task_get(TaskId(id))
            .await?
            .with_context(|| format!("task {id} is missing"))?;
        let started = task
            .last_started
            .with_context(|| format!("task {id} never started"))?;
        let micros = (started - at).num_microseconds().unwrap_or(0).max(0);
        latencies.push(u64::try_from(micros).unwrap_or(0));
    }
    latencies.sort_unstable();
    drop(store);
    node.stop()?;
    db.drop_database().await?;
    let ms = |p| load::percentile(&latencies, p) as f64 / 1000.0;
    let label = backend.label();
    Ok(vec![
        Figure::new("c", "enqueue-to-start p50", label, "ms", ms(50.0)),
        Figure::new("c", "enqueue-to-start p99", label, "ms", ms(99.0)),
    ])
}

/// (d) lists over 1,000,000 stored tasks: almost all finished, 100 waiting. `GET
/// /api/v1/BatchTask/New` returns the waiting ones; the OData page asks for 100 by state.
pub async fn large_lists(setup: &Setup, backend: Backend) -> Result<Vec<Figure>> {
    let total = if setup.quick { 100_000 } else { 1_000_000 };
    let waiting = 100;
    let db = Fresh::create(backend, &setup.dir, &setup.pg_url).await?;
    let store = db.store().await?;
    fill(store.as_ref(), total - waiting, waiting).await?;
    drop(store);
    db.analyze().await?;
    let node = setup
        .sobatch(&db, &format!("{}-lists", backend.label()))
        .await?;
    let label = backend.label();
    let requests = if setup.quick { 100 } else { 1_000 };
    let mut figures = Vec::new();
    // The first two are the targets; the definition filters show a rare, a common and an absent
    // name, which a planner without the ids in hand gets wrong one way or the other.
    let lists = [
        (
            "GET /api/v1/BatchTask/New",
            "/api/v1/BatchTask/New",
            waiting,
        ),
        (
            "OData page of 100 by state",
            "/api/v1/BatchTask?$filter=State%20eq%201&$top=100",
            waiting,
        ),
        (
            "OData, rare definition name",
            "/api/v1/BatchTask?$filter=DefinitionName%20is%20'BenchWaiting'&$top=100",
            waiting,
        ),
        (
            "OData, common definition name",
            "/api/v1/BatchTask?$filter=DefinitionName%20is%20'Export'&$top=100",
            100,
        ),
        (
            "OData, absent definition name",
            "/api/v1/BatchTask?$filter=DefinitionName%20is%20'Nothing'&$top=100",
            0,
        ),
    ];
    for (name, path, expected) in lists {
        let shape = Shape::get(path, &authorization());
        let (status, body) = load::once(node.addr, &shape).await?;
        if status != 200 {
            eprintln!("  {label}: {name} answered {status}; not measured");
            continue;
        }
        let rows = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.as_array()
                    .map(Vec::len)
                    .or_else(|| v["value"].as_array().map(Vec::len))
            });
        if rows != Some(expected) {
            bail!("{label}: {name} returned {rows:?} rows, not {expected}");
        }
        let outcome = load::run(node.addr, shape, 1, Until::Count(requests), 200).await?;
        figures.push(Figure::new(
            "d",
            &format!("{name} p50"),
            label,
            "ms",
            outcome.percentile_ms(50.0),
        ));
        figures.push(Figure::new(
            "d",
            &format!("{name} p99"),
            label,
            "ms",
            outcome.percentile_ms(99.0),
        ));
    }
    node.stop()?;
    db.drop_database().await?;
    Ok(figures)
}

/// Stores `finished` tasks (succeeded and failed, system and user, several names) and `waiting`
/// user tasks in `New` of a name nothing runs, in transactions of 10,000.
async fn fill(store: &dyn Store, finished: usize, waiting: usize) -> Result<()> {
    const CHUNK: usize = 10_000;
    let now = chrono::Utc::now();
    let names = ["Export", "Import", "Report", "Cleanup"];
    let mut done = 0;
    while done < finished {
        let size = CHUNK.min(finished - done);
        for state in [TaskState::Succeeded, TaskState::Failed] {
            let starts = (done..done + size)
                .filter(|i| (i % 10 == 0) == (state == TaskState::Failed))
                .map(|i| {
                    let owner = if i % 7 == 0 {
                        AssociateId::SYSTEM
                    } else {
                        AssociateId(1)
                    };
                    let mut start = TaskStart::new(names[i % names.len()], owner);
                    start.description = format!("bench history {i}");
                    start
                })
                .collect();
            store.task_insert_many(starts, state, now).await?;
        }
        done += size;
    }
    let starts = (0..waiting)
        .map(|_| TaskStart::new("BenchWaiting", AssociateId(1)))
        .collect();
    store.task_insert_many(starts, TaskState::New, now).await?;
    Ok(())
}

/// The sobatch binary beside this one.
pub fn sobatch_binary(explicit: Option<&Path>) -> Result<std::path::PathBuf> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => std::env::current_exe()?.with_file_name("sobatch"),
    };
    if !path.exists() {
        bail!(
            "no sobatch binary at {}; build it with `cargo build --release` (or pass --sobatch)",
            path.display()
        );
    }
    Ok(path)
}
