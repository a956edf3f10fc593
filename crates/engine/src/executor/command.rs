//! The command executor: runs a task as an external program that speaks a small line protocol over
//! its standard streams. This module owns starting the program, feeding it the task's parameters,
//! reading its reports, and making sure that no process it started outlives the task. It does not
//! decide when a run is cancelled (the runner does, on Stop, timeout or shutdown), and it does not
//! own the column limits of the stored texts beyond cutting what it keeps in memory.
//!
//! # Protocol
//!
//! **Start.** The program is started directly, not through a shell, with the configured arguments
//! and working directory, in a process group of its own (its process id is the group id). Its
//! environment is the server's, minus every inherited variable whose name starts with `SOBATCH_`
//! (the server's own settings, which may hold secrets), plus the configured variables, plus:
//!
//! - `SOBATCH_TASK_ID`: the task's id, in decimal;
//! - `SOBATCH_TASK_NAME`: the task's name (which selects its definition);
//! - `SOBATCH_PARAM_<KEY>` for each parameter, where `<KEY>` is the parameter's name with ASCII
//!   letters upper-cased and every other character outside `A-Z`, `0-9` and `_` replaced by one
//!   `_` (`Customer-Id` → `SOBATCH_PARAM_CUSTOMER_ID`). Different names can map to the same
//!   variable (`a.b`, `a-b` and `A_B` all become `SOBATCH_PARAM_A_B`); the parameter that comes
//!   later in the task's order wins. A value containing a NUL character cannot be passed in the
//!   environment and is left out (it is still on standard input).
//!
//! These override configured variables of the same name.
//!
//! **Standard input.** One line: the task's parameters as a JSON object of strings, keys in the
//! task's order (`{}` when there are none), ended by `\n`; then standard input is closed.
//!
//! **Standard output.** Read line by line: `\n` ends a line and a `\r` before it is dropped; bytes
//! that are not UTF-8 become U+FFFD; a line longer than 64 KiB is cut there and the rest of it is
//! discarded. A line that starts with one of these keywords followed by one space is a report:
//!
//! - `progress <percent>` or `progress <percent> <text>`: progress, shown while the task runs.
//!   `<percent>` is a decimal integer, optionally signed, clamped to 0–100. Without `<text>` (or
//!   with an empty one) the previous progress text is kept.
//! - `result <text>`: the task's Result.
//! - `response <text>`: the task's Response.
//! - `file <path>`: the task's FileName.
//! - `again` (the whole line): for a definition with `is_multi_pass`, run the program once more
//!   when this run succeeds; ignored otherwise.
//!
//! Keywords are lower case; the text is the rest of the line exactly as written. A later report
//! replaces an earlier one, and an empty text clears it. Every other line, including a malformed
//! report such as `progress abc`, is log output: it is logged at debug level with the task's id,
//! and the last 20 lines are kept. Result and Response are stored cut to 254 characters, FileName
//! to 260.
//!
//! **Standard error.** Logged at debug level with the task's id; the last 20 lines are kept for a
//! failure's Result.
//!
//! **End.** Exit status 0 ends the task `Succeeded`, with the reported Result, Response and
//! FileName. Any other exit code, or death by a signal, ends it `Failed`; its Result names the
//! cause first, then as many of the last lines of standard error as fit, oldest first, separated by
//! ` | ` (the last lines of log output when standard error was empty), for example
//! `exited with code 3: cannot open input.csv` or `killed by signal SIGSEGV`. A program that cannot
//! be started (not found, not executable, working directory missing) fails the task with
//! `cannot start <program>: <reason>` (`cannot start <program> in <dir>: <reason>` when a working
//! directory is configured).
//!
//! **Stop.** When the task is cancelled (Stop, its definition's timeout, or server shutdown), the
//! whole process group gets `SIGTERM`; whatever is still running when the program has exited or
//! the grace period (`kill_grace`, 5 s by default) is over gets `SIGKILL`. The engine then records
//! the task as stopped, timed out or handed back, whatever the program's exit status. (The engine
//! gives a cancelled executor only a few seconds before it drops it; a longer grace is cut short
//! there, and dropping kills the group as below.)
//!
//! **No leftovers.** Nothing the program started may outlive the task. When the program exits,
//! successfully or not, every process still in its group (a background child it left behind) is
//! killed with `SIGKILL`; output they wrote before is still read, for up to 2 s. If the run itself
//! is dropped, the group is killed as well. A process that leaves the group (`setsid`, `setpgid`)
//! escapes this and is the program's own responsibility.

use std::collections::VecDeque;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::pin::pin;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use async_trait::async_trait;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use sobatch_core::task::{FILE_NAME_MAX, TEXT_MAX};
use sobatch_core::{Parameters, TaskState, truncate_chars};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::{ChildStderr, ChildStdout, Command};
use tokio::time::Instant;
use tracing::debug;

use super::{Executor, TaskContext, TaskFailure, TaskOutcome};

/// How long a cancelled command has between `SIGTERM` and `SIGKILL` unless its spec says otherwise.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(5);

/// The longest line kept from a command's output, in bytes; the rest of a longer line is dropped.
const LINE_MAX: usize = 64 * 1024;
/// How many of the last output lines, and error lines, are kept for a failure's Result.
const TAIL_LINES: usize = 20;
/// How long output is still read after the program has exited (its pipes may be held open by a
/// process that escaped the group).
const DRAIN_LIMIT: Duration = Duration::from_secs(2);
/// How long to wait for the program to be reaped after `SIGKILL`.
const REAP_LIMIT: Duration = Duration::from_secs(5);
const TAIL_SEPARATOR: &str = " | ";

/// What to run for a task, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// The program: a path, or a name looked up in `PATH`. Started directly, never by a shell.
    pub program: String,
    pub args: Vec<String>,
    /// Added to the server's environment (see the module documentation for what else is set).
    pub env: Vec<(String, String)>,
    /// `None`: the server's working directory.
    pub working_dir: Option<PathBuf>,
    /// How long a cancelled command has between `SIGTERM` and `SIGKILL`.
    pub kill_grace: Duration,
}

impl CommandSpec {
    /// `program` without arguments, extra environment or working directory, with the default grace.
    pub fn new(program: impl Into<String>) -> Self {
        CommandSpec {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            working_dir: None,
            kill_grace: DEFAULT_KILL_GRACE,
        }
    }
}

/// Runs each task as an external program; see the module documentation for the protocol.
pub struct CommandExecutor {
    spec: CommandSpec,
}

impl CommandExecutor {
    pub fn new(spec: CommandSpec) -> Self {
        CommandExecutor { spec }
    }

    pub fn spec(&self) -> &CommandSpec {
        &self.spec
    }

    fn command(&self, ctx: &TaskContext) -> Command {
        let spec = &self.spec;
        let task_id = ctx.task().id.0;
        let mut command = Command::new(&spec.program);
        command
            .args(&spec.args)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &spec.working_dir {
            command.current_dir(dir);
        }
        for (name, _) in std::env::vars_os() {
            if name.as_bytes().starts_with(b"SOBATCH_") {
                command.env_remove(name);
            }
        }
        let mut set = |name: &str, value: &str| {
            // The operating system cannot carry these; spawning would fail on them.
            if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
                debug!(
                    task_id,
                    name, "environment variable left out: it contains NUL or '='"
                );
            } else {
                command.env(name, value);
            }
        };
        for (name, value) in &spec.env {
            set(name, value);
        }
        set("SOBATCH_TASK_ID", &task_id.to_string());
        set("SOBATCH_TASK_NAME", &ctx.task().name);
        for (key, value) in ctx.parameters().into_iter().flat_map(Parameters::iter) {
            set(&parameter_variable(key), value);
        }
        command
    }

    fn spawn_failure(&self, error: &io::Error) -> TaskFailure {
        let program = &self.spec.program;
        TaskFailure::new(match &self.spec.working_dir {
            Some(dir) => format!("cannot start {program} in {}: {error}", dir.display()),
            None => format!("cannot start {program}: {error}"),
        })
    }
}

#[async_trait]
impl Executor for CommandExecutor {
    async fn run(&self, ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        let task_id = ctx.task().id.0;
        if ctx.is_cancelled() {
            return Err(TaskFailure::new("cancelled before the command started"));
        }
        let mut child = self
            .command(&ctx)
            .spawn()
            .map_err(|error| self.spawn_failure(&error))?;
        // `id()` is `None` only once the child has been reaped, which cannot have happened yet.
        let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) else {
            return Err(TaskFailure::new("the command's process id is unknown"));
        };
        // From here on, however this function ends (even by being dropped), the group is killed.
        let mut group = ProcessGroup::new(pid);
        debug!(task_id, program = %self.spec.program, pid, "command started");

        let input = parameters_json(ctx.parameters());
        let stdin = child.stdin.take();
        // Written alongside reading, so that a program that does not read its input (and so
        // leaves a large one stuck in the pipe) cannot stall the run.
        let mut feed = pin!(async move {
            if let Some(mut stdin) = stdin {
                // A program may exit, or close its input, without reading it: that is its business.
                let _ = stdin.write_all(input.as_bytes()).await;
            }
            // Dropping `stdin` here closes it.
        });
        let mut fed = false;
        let mut output = Output::new(child.stdout.take(), child.stderr.take());
        let mut reports = Reports::default();
        let mut kill_at: Option<Instant> = None;

        let exited = loop {
            tokio::select! {
                status = child.wait() => break Some(status),
                () = ctx.cancelled(), if kill_at.is_none() => {
                    debug!(task_id, pid, "cancelled; sending SIGTERM to the command's group");
                    group.signal(Signal::SIGTERM);
                    kill_at = Some(Instant::now() + self.spec.kill_grace);
                }
                () = sleep_until_some(kill_at) => break None,
                line = output.next_line(), if output.is_open() => {
                    if let Some((stream, line)) = line {
                        reports.take(&ctx, stream, line);
                    }
                }
                () = &mut feed, if !fed => fed = true,
            }
        };

        // The program has exited or its grace is over: nothing of its group may go on.
        group.kill();
        let status = match exited {
            Some(status) => status,
            None => {
                debug!(
                    task_id,
                    pid, "grace over; the command's group was sent SIGKILL"
                );
                match tokio::time::timeout(REAP_LIMIT, child.wait()).await {
                    Ok(status) => status,
                    Err(_) => Err(io::Error::other("it did not end after SIGKILL")),
                }
            }
        };
        let drain = async {
            while let Some((stream, line)) = output.next_line().await {
                reports.take(&ctx, stream, line);
            }
        };
        if tokio::time::timeout(DRAIN_LIMIT, drain).await.is_err() {
            debug!(
                task_id,
                "output still open after the command's group was killed"
            );
        }

        let cause = match &status {
            Ok(status) => describe(*status),
            Err(error) => format!("cannot wait for the command: {error}"),
        };
        debug!(task_id, pid, cause, "command ended");
        if kill_at.is_some() {
            // The runner replaces this with "stopped" or "timed out" as the case may be.
            return Err(TaskFailure::new(format!("cancelled; {cause}")));
        }
        match status {
            Ok(status) if status.success() => Ok(reports.into_outcome()),
            _ => Err(TaskFailure::new(reports.failure(&cause))),
        }
    }
}

/// A command's process group, killed when this is dropped unless [`ProcessGroup::kill`] ran.
struct ProcessGroup {
    id: Pid,
    live: bool,
}

impl ProcessGroup {
    fn new(id: i32) -> Self {
        ProcessGroup {
            id: Pid::from_raw(id),
            live: true,
        }
    }

    fn signal(&self, signal: Signal) {
        if self.live {
            // ESRCH (nobody left in the group) is the normal case at the end; nothing else is
            // possible for a group we created.
            let _ = killpg(self.id, signal);
        }
    }

    /// Kills whatever is left of the group, once. A group id is not reused while any member is
    /// alive; once the group is empty, ESRCH is the answer. (Only between the leader's reaping and
    /// this call could an emptied group's id be reused, which takes a wrap of the pid space.)
    fn kill(&mut self) {
        self.signal(Signal::SIGKILL);
        self.live = false;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The task's parameters as one line of JSON, keys in stored order.
fn parameters_json(parameters: Option<&Parameters>) -> String {
    let object: serde_json::Map<String, serde_json::Value> = parameters
        .into_iter()
        .flat_map(Parameters::iter)
        .map(|(key, value)| {
            (
                key.to_string(),
                serde_json::Value::String(value.to_string()),
            )
        })
        .collect();
    let mut line = serde_json::Value::Object(object).to_string();
    line.push('\n');
    line
}

/// `SOBATCH_PARAM_` and the key, upper-cased, with anything outside `A-Z0-9_` made `_`.
fn parameter_variable(key: &str) -> String {
    let mut name = String::from("SOBATCH_PARAM_");
    name.extend(key.chars().map(|c| {
        let c = c.to_ascii_uppercase();
        if c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' {
            c
        } else {
            '_'
        }
    }));
    name
}

fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        format!("exited with code {code}")
    } else if let Some(number) = status.signal() {
        match Signal::try_from(number) {
            Ok(signal) => format!("killed by signal {}", signal.as_str()),
            Err(_) => format!("killed by signal {number}"),
        }
    } else {
        format!("ended: {status}")
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A line of standard output, read as the protocol.
#[derive(Debug, PartialEq, Eq)]
enum Report<'a> {
    Progress {
        percent: i16,
        text: Option<&'a str>,
    },
    /// `again`: for a multi-pass definition, run the program once more after this pass.
    Again,
    Result(&'a str),
    Response(&'a str),
    File(&'a str),
    Log,
}

fn parse(line: &str) -> Report<'_> {
    if line == "again" {
        return Report::Again;
    }
    let Some((keyword, rest)) = line.split_once(' ') else {
        return Report::Log;
    };
    match keyword {
        "progress" => {
            let (number, text) = match rest.split_once(' ') {
                Some((number, text)) => (number, Some(text).filter(|t| !t.is_empty())),
                None => (rest, None),
            };
            match parse_percent(number) {
                Some(percent) => Report::Progress { percent, text },
                None => Report::Log,
            }
        }
        "result" => Report::Result(rest),
        "response" => Report::Response(rest),
        "file" => Report::File(rest),
        _ => Report::Log,
    }
}

/// A decimal integer, optionally signed, clamped to 0–100; `None` for anything else.
fn parse_percent(text: &str) -> Option<i16> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if negative {
        return Some(0);
    }
    // Only too many digits make parsing fail, and they are above 100 whatever they are.
    let value = digits.parse::<u64>().unwrap_or(u64::MAX).min(100);
    Some(i16::try_from(value).unwrap_or(100))
}

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Out,
    Err,
}

/// What the command reported so far.
#[derive(Default)]
struct Reports {
    result: Option<String>,
    response: Option<String>,
    file_name: Option<String>,
    progress_text: String,
    /// An `again` line was printed.
    again: bool,
    log: Tail,
    errors: Tail,
}

impl Reports {
    fn take(&mut self, ctx: &TaskContext, stream: Stream, line: String) {
        let task_id = ctx.task().id.0;
        if stream == Stream::Err {
            debug!(task_id, stream = "stderr", line = %line, "command output");
            self.errors.push(line);
            return;
        }
        let text = |text: &str, max: usize| {
            let mut text = text.to_string();
            truncate_chars(&mut text, max);
            Some(text).filter(|t| !t.is_empty())
        };
        match parse(&line) {
            Report::Progress { percent, text } => {
                if let Some(text) = text {
                    self.progress_text = text.to_string();
                    truncate_chars(&mut self.progress_text, TEXT_MAX);
                }
                ctx.progress(percent, self.progress_text.clone());
            }
            Report::Again => self.again = true,
            Report::Result(rest) => self.result = text(rest, TEXT_MAX),
            Report::Response(rest) => self.response = text(rest, TEXT_MAX),
            Report::File(rest) => self.file_name = text(rest, FILE_NAME_MAX),
            Report::Log => {
                debug!(task_id, stream = "stdout", line = %line, "command output");
                self.log.push(line);
            }
        }
    }

    fn into_outcome(self) -> TaskOutcome {
        TaskOutcome {
            state: TaskState::Succeeded,
            another_pass: self.again,
            result: self.result,
            response: self.response,
            file_name: self.file_name,
        }
    }

    /// `cause`, then the last error lines (or log lines when there were none) that fit in a Result.
    fn failure(&self, cause: &str) -> String {
        let tail = if self.errors.has_text() {
            &self.errors
        } else {
            &self.log
        };
        let mut budget = TEXT_MAX.saturating_sub(cause.chars().count() + 2);
        let mut chosen: Vec<&str> = Vec::new();
        for line in tail.lines.iter().rev().map(|l| l.trim()) {
            if line.is_empty() {
                continue;
            }
            let separator = if chosen.is_empty() {
                0
            } else {
                TAIL_SEPARATOR.len()
            };
            let needed = line.chars().count() + separator;
            // The last line goes in even when it is too long: the runner cuts the end off.
            if !chosen.is_empty() && needed > budget {
                break;
            }
            budget = budget.saturating_sub(needed);
            chosen.push(line);
        }
        if chosen.is_empty() {
            return cause.to_string();
        }
        chosen.reverse();
        format!("{cause}: {}", chosen.join(TAIL_SEPARATOR))
    }
}

/// The last [`TAIL_LINES`] lines of a stream, each cut to what a Result could show.
#[derive(Default)]
struct Tail {
    lines: VecDeque<String>,
}

impl Tail {
    fn push(&mut self, mut line: String) {
        truncate_chars(&mut line, TEXT_MAX);
        if self.lines.len() == TAIL_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    fn has_text(&self) -> bool {
        self.lines.iter().any(|line| !line.trim().is_empty())
    }
}

/// The command's standard output and error, read as lines from whichever has one.
struct Output {
    stdout: Option<LineReader<ChildStdout>>,
    stderr: Option<LineReader<ChildStderr>>,
}

impl Output {
    fn new(stdout: Option<ChildStdout>, stderr: Option<ChildStderr>) -> Self {
        Output {
            stdout: stdout.map(LineReader::new),
            stderr: stderr.map(LineReader::new),
        }
    }

    fn is_open(&self) -> bool {
        self.stdout.is_some() || self.stderr.is_some()
    }

    /// The next line from either stream; `None` once both are at their end. Cancel-safe: a line
    /// half read stays in its reader.
    async fn next_line(&mut self) -> Option<(Stream, String)> {
        loop {
            let (stream, read) = tokio::select! {
                read = next_from(&mut self.stdout), if self.stdout.is_some() => (Stream::Out, read),
                read = next_from(&mut self.stderr), if self.stderr.is_some() => (Stream::Err, read),
                else => return None,
            };
            match read {
                Ok(Some(line)) => return Some((stream, line)),
                // A read error ends the stream as the end of the file does.
                Ok(None) | Err(_) => match stream {
                    Stream::Out => self.stdout = None,
                    Stream::Err => self.stderr = None,
                },
            }
        }
    }
}

async fn next_from<R: AsyncRead + Unpin>(
    reader: &mut Option<LineReader<R>>,
) -> io::Result<Option<String>> {
    match reader {
        Some(reader) => reader.next_line().await,
        None => Ok(None),
    }
}

/// Reads lines of at most [`LINE_MAX`] bytes, decoding them lossily, whatever the input holds.
struct LineReader<R> {
    reader: BufReader<R>,
    line: Vec<u8>,
    /// Bytes of the current line were seen (some may have been dropped as over the limit).
    started: bool,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    fn new(inner: R) -> Self {
        LineReader {
            reader: BufReader::new(inner),
            line: Vec::new(),
            started: false,
        }
    }

    /// The next line without its `\n` (and `\r`), cut at [`LINE_MAX`] bytes; `None` at the end.
    /// Cancel-safe: what was read of a line is kept here, never in a dropped future.
    async fn next_line(&mut self) -> io::Result<Option<String>> {
        loop {
            let available = self.reader.fill_buf().await?;
            if available.is_empty() {
                if !self.started {
                    return Ok(None);
                }
                return Ok(Some(self.take_line()));
            }
            let (chunk, used, ended) = match available.iter().position(|&b| b == b'\n') {
                Some(index) => (&available[..index], index + 1, true),
                None => (available, available.len(), false),
            };
            let room = LINE_MAX.saturating_sub(self.line.len());
            self.line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.started = true;
            self.reader.consume(used);
            if ended {
                return Ok(Some(self.take_line()));
            }
        }
    }

    fn take_line(&mut self) -> String {
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        let line = String::from_utf8_lossy(&self.line).into_owned();
        self.line.clear();
        self.started = false;
        line
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn protocol_lines_are_parsed_and_anything_else_is_log() {
        assert_eq!(
            parse("progress 40 half way"),
            Report::Progress {
                percent: 40,
                text: Some("half way")
            }
        );
        assert_eq!(
            parse("progress 7"),
            Report::Progress {
                percent: 7,
                text: None
            }
        );
        assert_eq!(
            parse("progress 250 x"),
            Report::Progress {
                percent: 100,
                text: Some("x")
            }
        );
        assert_eq!(
            parse("progress -5 "),
            Report::Progress {
                percent: 0,
                text: None
            }
        );
        assert_eq!(
            parse("progress 99999999999999999999999"),
            Report::Progress {
                percent: 100,
                text: None
            }
        );
        assert_eq!(parse("result  two spaces"), Report::Result(" two spaces"));
        assert_eq!(parse("response {}"), Report::Response("{}"));
        assert_eq!(parse("file /tmp/a b.csv"), Report::File("/tmp/a b.csv"));
        assert_eq!(parse("result "), Report::Result(""));
        for log in [
            "progress abc",
            "progress",
            "progress 4a",
            "progress - x",
            "progress  40",
            "Result x",
            "result",
            "hello world",
            "",
        ] {
            assert_eq!(parse(log), Report::Log, "{log:?}");
        }
    }

    #[test]
    fn parameter_names_become_upper_case_variables() {
        assert_eq!(
            parameter_variable("Customer-Id"),
            "SOBATCH_PARAM_CUSTOMER_ID"
        );
        assert_eq!(parameter_variable("a.b_9"), "SOBATCH_PARAM_A_B_9");
        assert_eq!(parameter_variable("größe"), "SOBATCH_PARAM_GR__E");
    }

    #[test]
    fn parameters_are_one_json_line_in_order() {
        let parameters: Parameters = [("b", "1"), ("a", "x\"\ny")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            parameters_json(Some(&parameters)),
            "{\"b\":\"1\",\"a\":\"x\\\"\\ny\"}\n"
        );
        assert_eq!(parameters_json(None), "{}\n");
    }

    #[test]
    fn a_failure_names_the_cause_first_and_ends_with_the_last_error_lines_that_fit() {
        let mut reports = Reports::default();
        reports.log.push("log only".into());
        assert_eq!(
            reports.failure("exited with code 1"),
            "exited with code 1: log only"
        );
        for n in 0..30 {
            reports
                .errors
                .push(format!("error line {n:02} {}", "x".repeat(40)));
        }
        reports.errors.push("  ".into());
        let text = reports.failure("exited with code 3");
        assert!(text.starts_with("exited with code 3: error line"), "{text}");
        assert!(text.ends_with(&format!("error line 29 {}", "x".repeat(40))));
        assert!(text.chars().count() <= TEXT_MAX, "{text}");
        assert!(text.contains(" | "));
        // One over-long line still shows its start.
        let mut reports = Reports::default();
        reports.errors.push("y".repeat(1000));
        let text = reports.failure("killed by signal SIGKILL");
        assert!(text.starts_with("killed by signal SIGKILL: yyy"));
        assert_eq!(
            Reports::default().failure("exited with code 2"),
            "exited with code 2"
        );
    }

    #[tokio::test]
    async fn lines_are_read_bounded_and_lossily() {
        let mut input = Vec::new();
        input.extend_from_slice(b"one\r\n");
        input.extend(std::iter::repeat_n(b'a', LINE_MAX * 3));
        input.extend_from_slice(b"\n\xff\xfe bad\nlast");
        let mut reader = LineReader::new(&input[..]);
        assert_eq!(reader.next_line().await.unwrap().as_deref(), Some("one"));
        let long = reader.next_line().await.unwrap().unwrap();
        assert_eq!(long.len(), LINE_MAX);
        assert_eq!(
            reader.next_line().await.unwrap().as_deref(),
            Some("\u{fffd}\u{fffd} bad")
        );
        assert_eq!(reader.next_line().await.unwrap().as_deref(), Some("last"));
        assert_eq!(reader.next_line().await.unwrap(), None);
    }

    fn context(cancel: tokio_util::sync::CancellationToken) -> TaskContext {
        let now = chrono::Utc::now();
        let task = sobatch_core::Task {
            id: sobatch_core::TaskId(7),
            name: "Command".into(),
            associate_id: sobatch_core::AssociateId(1),
            details_table: 0,
            details_record: 0,
            parameters: None,
            last_started: Some(now),
            created: now,
            updated: None,
            updated_count: 0,
            start_count: 1,
            database_serial: None,
            context: None,
            result: None,
            state: TaskState::Started,
            description: String::new(),
            response: None,
            request: None,
            progress_description: None,
            progress_percent: 0,
            file_name: None,
            cancellation: sobatch_core::CancellationBehaviour::CanCancel,
            internal: false,
        };
        let (progress, _) = tokio::sync::watch::channel(Default::default());
        TaskContext::new(task, std::sync::Arc::new(progress), cancel)
    }

    /// Gone, or a zombie that only its (new) parent can reap.
    fn is_gone(pid: i32) -> bool {
        if nix::sys::signal::kill(Pid::from_raw(pid), None) == Err(nix::errno::Errno::ESRCH) {
            return true;
        }
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z'))
        })
    }

    #[tokio::test]
    async fn dropping_a_run_kills_the_command_and_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let spec = CommandSpec {
            args: vec![
                "-c".into(),
                "sleep 300 & echo $! > \"$1\"; wait".into(),
                "sh".into(),
                pidfile.display().to_string(),
            ],
            ..CommandSpec::new("/bin/sh")
        };
        let executor = CommandExecutor::new(spec);
        let run = executor.run(context(Default::default()));
        let mut run = Box::pin(run);
        let deadline = Instant::now() + Duration::from_secs(20);
        let child = loop {
            tokio::select! {
                ended = &mut run => panic!("the command ended: {ended:?}"),
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
            if let Some(pid) = std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|text| text.trim().parse::<i32>().ok())
            {
                break pid;
            }
            assert!(Instant::now() < deadline, "the command never wrote its pid");
        };
        drop(run);
        while !is_gone(child) {
            assert!(Instant::now() < deadline, "child {child} outlived the run");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
