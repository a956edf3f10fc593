//! `sobatch-bench`: starts the real server on fresh databases and measures what the performance
//! issue asks, side by side with a floor of the same libraries in the same run, and optionally
//! with graphile-worker on the same PostgreSQL. Prints a table and writes JSON.

mod db;
mod floor;
mod load;
mod node;
mod report;
mod scenario;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use db::Backend;
use report::Figure;
use scenario::{Setup, Target};

/// The admin password of every server the bench starts.
pub(crate) const PASSWORD: &str = "bench";

#[derive(Debug, Parser)]
#[command(version, about = "Measure sobatch against the floor and its peers")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Repeat every measurement this many times and report the medians.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Backends to measure: sqlite, postgres, or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Measurements to run, by the letters (a = POST throughput, b = tasks, c = latency,
    /// d = lists over 1,000,000 tasks, e = memory and start-up, measured with a).
    #[arg(long, default_value = "abcd")]
    only: String,
    /// PostgreSQL server for the postgres backend; each measurement gets a database of its own.
    #[arg(
        long,
        env = "SOBATCH_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pg_url: String,
    /// Also run bench/peers/graphile-worker.sh with the same number of tasks.
    #[arg(long)]
    peers: bool,
    /// Smaller counts and shorter loads: a smoke test of the bench itself, not a measurement.
    #[arg(long)]
    quick: bool,
    /// The sobatch binary (default: the one beside this binary).
    #[arg(long)]
    sobatch: Option<PathBuf>,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench/results.json")]
    json: PathBuf,
    /// Extra server settings, as SOBATCH_* environment variables (KEY=VALUE), for experiments.
    #[arg(long = "server-env", value_name = "KEY=VALUE")]
    server_env: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the floor (used by the bench itself).
    #[command(hide = true)]
    Floor {
        #[arg(long)]
        listen: std::net::SocketAddr,
        #[arg(long)]
        db: PathBuf,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Floor { listen, db }) = &cli.command {
        return floor::serve(*listen, db);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let outcome = bench(cli).await;
        db::drop_leftovers().await;
        outcome
    })
}

async fn bench(cli: Cli) -> Result<()> {
    let backends: Vec<Backend> = match cli.backend.as_str() {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![Backend::Postgres],
        "both" => vec![Backend::Sqlite, Backend::Postgres],
        other => anyhow::bail!("--backend must be sqlite, postgres or both, not {other:?}"),
    };
    let env = cli
        .server_env
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .with_context(|| format!("--server-env {pair:?} is not KEY=VALUE"))
        })
        .collect::<Result<Vec<_>>>()?;
    let dir = tempfile::Builder::new().prefix("sobatch-bench").tempdir()?;
    let logs = cli
        .json
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join("logs");
    std::fs::create_dir_all(&logs)?;
    let setup = Setup {
        sobatch: scenario::sobatch_binary(cli.sobatch.as_deref())?,
        dir: dir.path().to_path_buf(),
        logs,
        pg_url: cli.pg_url.clone(),
        quick: cli.quick,
        env,
    };
    let wants = |letter: char| cli.only.contains(letter);
    let mut figures: Vec<Figure> = Vec::new();
    for run in 1..=cli.runs.max(1) {
        eprintln!("run {run} of {}", cli.runs.max(1));
        if wants('a') || wants('e') {
            // The floor and ours, one after the other in each run, so that both meet the same
            // machine.
            let mut targets = vec![Target::Floor];
            targets.extend(backends.iter().map(|b| Target::Sobatch(*b)));
            for target in targets {
                eprintln!("  (a) POST throughput: {target:?}");
                figures.extend(scenario::post_throughput(&setup, target).await?);
            }
        }
        if wants('b') {
            for backend in &backends {
                eprintln!("  (b) worker side: {}", backend.label());
                figures.extend(scenario::worker_side(&setup, *backend).await?);
                eprintln!("  (b) end to end: {}", backend.label());
                figures.extend(scenario::end_to_end(&setup, *backend).await?);
            }
        }
        if wants('c') {
            for backend in &backends {
                eprintln!("  (c) enqueue-to-start: {}", backend.label());
                figures.extend(scenario::enqueue_to_start(&setup, *backend).await?);
            }
        }
    }
    if wants('d') {
        // Filling a million rows takes longer than measuring them: once per backend, with the
        // repetitions inside.
        for backend in &backends {
            eprintln!("  (d) lists over stored tasks: {}", backend.label());
            figures.extend(scenario::large_lists(&setup, *backend).await?);
        }
    }
    if cli.peers {
        eprintln!("  peers: graphile-worker");
        figures.extend(peers(&cli)?);
    }

    let summaries = report::summarise(&figures);
    let verdicts = report::verdicts(&summaries);
    println!("{}", report::table(&summaries, &verdicts));
    if let Some(parent) = cli.json.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let json = serde_json::json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "runs": cli.runs,
        "quick": cli.quick,
        "summaries": summaries,
        "verdicts": verdicts,
    });
    std::fs::write(&cli.json, serde_json::to_string_pretty(&json)?)?;
    eprintln!("wrote {}", cli.json.display());
    Ok(())
}

/// Runs graphile-worker's bench with the same task count and runs, and reads its JSON lines.
fn peers(cli: &Cli) -> Result<Vec<Figure>> {
    let script = std::path::Path::new("bench/peers/graphile-worker.sh");
    if !script.exists() {
        anyhow::bail!(
            "--peers needs {} (run from the repository root)",
            script.display()
        );
    }
    let mut command = std::process::Command::new("bash");
    command
        .arg(script)
        .args(["--url", &cli.pg_url, "--runs", &cli.runs.max(1).to_string()]);
    if cli.quick {
        command.arg("--quick");
    }
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("run the graphile-worker bench")?;
    if !output.status.success() {
        anyhow::bail!("the graphile-worker bench failed ({})", output.status);
    }
    let mut figures = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let config = value["config"].as_str().unwrap_or("default");
        let system = format!("graphile-worker {config}");
        match value["scenario"].as_str() {
            Some("worker_side") => {
                if let Some(rate) = value["per_second"].as_f64() {
                    figures.push(Figure::new(
                        "b",
                        "worker side, stored tasks",
                        &system,
                        "tasks/s",
                        rate,
                    ));
                }
            }
            Some("enqueue_to_start") => {
                for (key, metric) in [
                    ("p50_ms", "enqueue-to-start p50"),
                    ("p99_ms", "enqueue-to-start p99"),
                ] {
                    if let Some(ms) = value[key].as_f64() {
                        figures.push(Figure::new("c", metric, &system, "ms", ms));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(figures)
}
