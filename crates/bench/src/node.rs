//! Servers under test as child processes: `sobatch serve` on a fresh database, or the floor. A
//! child process, so that its memory is its own to read and its start-up is a real one.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::load::{self, Shape};

static SEQUENCE: AtomicUsize = AtomicUsize::new(0);

/// How long a server may take to answer its first request before the bench gives up.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A running server; killed when dropped.
pub struct Node {
    child: Child,
    pub addr: SocketAddr,
    /// From spawning the process to its first answered request.
    pub start_up: Duration,
    pub log: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in bytes.
    pub fn rss(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .context("no VmRSS in /proc/PID/status")?;
        Ok(kib * 1024)
    }

    /// Stops the server with SIGTERM and waits for it, so that its database is closed cleanly.
    pub fn stop(mut self) -> Result<()> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("the server did not stop within 15 s of SIGTERM")
    }
}

/// What to start.
pub enum Program<'a> {
    Sobatch {
        binary: &'a Path,
        db: &'a str,
        /// `KEY=VALUE` settings passed as `SOBATCH_*` environment variables.
        env: &'a [(String, String)],
    },
    Floor {
        db: &'a Path,
    },
}

pub async fn start(program: Program<'_>, log_dir: &Path, label: &str) -> Result<Node> {
    let addr = free_port()?;
    let log = log_dir.join(format!(
        "{label}-{}.log",
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    let log_file = std::fs::File::create(&log)?;
    let mut command = match program {
        Program::Sobatch { binary, db, env } => {
            let mut command = Command::new(binary);
            command
                .args(["serve", "--listen", &addr.to_string(), "--db", db])
                .env("SOBATCH_ADMIN_PASSWORD", crate::PASSWORD)
                .env("RUST_LOG", "warn");
            for (key, value) in env {
                command.env(key, value);
            }
            command
        }
        Program::Floor { db } => {
            let mut command = Command::new(std::env::current_exe()?);
            command.args(["floor", "--listen", &addr.to_string(), "--db"]);
            command.arg(db);
            command
        }
    };
    let spawned = Instant::now();
    let child = command
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .spawn()
        .with_context(|| format!("start {label}"))?;
    let mut node = Node {
        child,
        addr,
        start_up: Duration::ZERO,
        log,
    };
    let health = Shape {
        authorization: None,
        ..Shape::get("/healthz", "")
    };
    loop {
        if let Ok((200, _)) = load::once(addr, &health).await {
            node.start_up = spawned.elapsed();
            return Ok(node);
        }
        if let Some(status) = node.child.try_wait()? {
            bail!(
                "{label} exited with {status} before answering; its log: {}",
                node.log.display()
            );
        }
        if spawned.elapsed() > START_LIMIT {
            bail!("{label} did not answer within {START_LIMIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A loopback port nothing listens on now.
fn free_port() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}
