//! What the tests of the real binary share: starting `sobatch serve` and reading its log, a
//! client for it, and fresh PostgreSQL databases for the cluster tests.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sobatch_wire::WireClient;

pub const PASSWORD: &str = "binary-test-password";

/// The binary, without the `SOBATCH_*` variables of the test's own environment (CI sets some for
/// the test suites, and the server refuses unknown `SOBATCH_` settings).
pub fn sobatch() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sobatch"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SOBATCH_") {
            command.env_remove(name);
        }
    }
    command
}

pub struct Server {
    pub child: Child,
    pub addr: String,
    /// Every line the server has logged so far.
    pub log: Arc<Mutex<Vec<String>>>,
}

/// Starts `sobatch serve` on a free port in `dir` and waits for its "listening on" line.
pub fn start_server(dir: &Path) -> Server {
    start_server_with(dir, &[])
}

pub fn start_server_with(dir: &Path, extra: &[&str]) -> Server {
    start_server_env(dir, extra, &[])
}

/// Starts `sobatch serve` with extra arguments and environment variables.
pub fn start_server_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = sobatch()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .current_dir(dir)
        .env("SOBATCH_ADMIN_PASSWORD", PASSWORD)
        .env("SOBATCH_LOG", "info")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sobatch");
    let stderr = child.stderr.take().expect("stderr piped");
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let lines = log.clone();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(at) = line.find("listening on http://") {
                let addr = line[at + "listening on http://".len()..].trim().to_string();
                let _ = tx.send(addr);
                sent = true;
            }
            lines.lock().unwrap().push(line);
        }
    });
    let addr = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(addr) => addr,
        Err(_) => panic!(
            "the server did not log its address; it logged:\n{}",
            log.lock().unwrap().join("\n")
        ),
    };
    Server { child, addr, log }
}

impl Server {
    pub fn client(&self) -> WireClient {
        WireClient::new(&format!("http://{}", self.addr))
            .unwrap()
            .with_basic_auth("admin", PASSWORD)
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The log lines so far that contain `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        let log = self.log.lock().unwrap();
        log.iter().filter(|l| l.contains(needle)).cloned().collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Polls a task until `done` holds, for at most 60 s.
pub fn wait_until(
    rt: &tokio::runtime::Runtime,
    client: &WireClient,
    id: i32,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let task = rt.block_on(client.task_get(id)).unwrap().unwrap();
        if done(&task) {
            return task;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {task}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
