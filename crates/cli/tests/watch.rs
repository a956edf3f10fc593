//! `sobatch watch` without an ID, driven as a child process: it follows tasks through the event
//! stream and prints one line per event when its output is a pipe, stops with exit code 0 on
//! Ctrl-C, and fails with exit code 2 and one line of reason when it cannot start.

// Tests may panic on unexpected results; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use common::{PASSWORD, Server, sobatch, start_server};

/// A running `sobatch watch`, killed if the test ends without stopping it.
struct Watcher {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Watcher {
    fn start(server: &Server, args: &[&str]) -> Watcher {
        let mut child = client(server)
            .arg("watch")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Watcher {
            child,
            stdout,
            stderr,
        }
    }

    /// Every line of standard output up to and including the first that `last` accepts.
    fn stdout_until(&self, last: impl Fn(&str) -> bool) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = next_line(&self.stdout, || format!("watch printed only {seen:#?}"));
            let done = last(&line);
            seen.push(line);
            if done {
                return seen;
            }
        }
    }

    fn interrupt(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit within 10 s of SIGINT");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary with the server's address and the admin's credentials in its environment.
fn client(server: &Server) -> Command {
    let mut command = sobatch();
    command
        .env("SOBATCH_URL", format!("http://{}", server.addr))
        .env("SOBATCH_USER", "admin")
        .env("SOBATCH_PASSWORD", PASSWORD);
    command
}

/// The lines of a child's output as they come, read on a thread of their own.
fn lines(output: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn next_line(lines: &Receiver<String>, context: impl Fn() -> String) -> String {
    match lines.recv_timeout(Duration::from_secs(60)) {
        Ok(line) => line,
        Err(RecvTimeoutError::Timeout) => panic!("no line within 60 s; {}", context()),
        Err(RecvTimeoutError::Disconnected) => panic!("the output ended; {}", context()),
    }
}

/// The percentage of a line `ID NAME STATE PERCENT% …`, if it has one.
fn percent(line: &str) -> Option<i64> {
    line.split(' ').nth(3)?.strip_suffix('%')?.parse().ok()
}

#[test]
fn watch_without_an_id_prints_a_line_per_event_of_the_tasks_it_follows() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let mut watcher = Watcher::start(&server, &["--name", "sleep"]);
    // Events start when the stream opens, which the watcher says on standard error.
    let ready = next_line(&watcher.stderr, || {
        "watch did not say it was watching".into()
    });
    assert!(ready.contains("watching"), "{ready}");

    // A task of another name stays out of the output.
    let output = client(&server).args(["submit", "Echo"]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let echo = String::from_utf8(output.stdout).unwrap().trim().to_string();
    let output = client(&server)
        .args(["submit", "Sleep", "-p", "Seconds=2"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let id = String::from_utf8(output.stdout).unwrap().trim().to_string();

    let prefix = format!("{id} Sleep ");
    let seen = watcher.stdout_until(|line| line.starts_with(&format!("{prefix}Succeeded")));
    assert!(
        seen.iter().all(|line| line.starts_with(&prefix)),
        "only the Sleep task {id}, not the Echo task {echo}: {seen:#?}"
    );
    assert!(
        seen.iter()
            .any(|line| line.starts_with(&format!("{prefix}Started"))),
        "{seen:#?}"
    );
    assert!(
        seen.iter().any(|line| {
            line.starts_with(&format!("{prefix}Started"))
                && percent(line).is_some_and(|p| (1..100).contains(&p))
        }),
        "a progress line: {seen:#?}"
    );

    let status = watcher.interrupt();
    assert_eq!(status.code(), Some(0), "Ctrl-C is the way to stop watching");
}

#[test]
fn watch_that_the_server_refuses_exits_2_with_one_line_of_reason() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    for (args, password, expected) in [
        (&[][..], "not-the-password", "401"),
        (&["--state", "Finished"][..], PASSWORD, "40"),
    ] {
        let output = client(&server)
            .arg("watch")
            .args(args)
            .env("SOBATCH_PASSWORD", password)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn watch_against_a_closed_port_exits_2_with_one_line_on_stderr() {
    // Bind and drop, so the port is (almost certainly) closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let output = sobatch()
        .args(["watch", "--url", &url])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(output.stdout.is_empty());
}
