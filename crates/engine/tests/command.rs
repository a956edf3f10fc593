//! The command executor driven through a real engine over a real SQLite store: the stdin and
//! environment protocol, progress and outcome lines, failures, Stop with its SIGTERM grace, and no
//! process outliving its task.

// Tests may panic on unexpected results; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sobatch_core::{AssociateId, Parameters, Task, TaskId, TaskStart, TaskState};
use sobatch_engine::executor::{CommandExecutor, CommandSpec};
use sobatch_engine::{
    Caller, DefinitionSettings, Engine, EngineConfig, ExecutorRegistry, Owner, StopReply,
    SystemClock,
};
use sobatch_store::{SqliteStore, Store};
use tokio::time::Instant;

const USER: Caller = Caller {
    id: AssociateId(2),
    is_admin: false,
    is_worker: false,
    application: None,
};

/// Every wait in these tests gives up after this long.
const PATIENCE: Duration = Duration::from_secs(20);

struct Setup {
    engine: Engine,
    store: Arc<dyn Store>,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn start(&self, name: &str, parameters: &[(&str, &str)]) -> TaskId {
        let mut start = TaskStart::new(name, USER.id);
        if !parameters.is_empty() {
            start.parameters = Some(
                parameters
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Parameters>(),
            );
        }
        self.engine
            .task_start(&USER, Owner::Caller, start)
            .await
            .unwrap()
    }

    async fn task(&self, id: TaskId) -> Task {
        self.store.task_get(id).await.unwrap().unwrap()
    }

    async fn wait_until(&self, id: TaskId, what: &str, done: impl Fn(&Task) -> bool) -> Task {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let task = self.task(id).await;
            if done(&task) {
                return task;
            }
            assert!(
                Instant::now() < deadline,
                "task {id} never got {what}: {task:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn wait_state(&self, id: TaskId, state: TaskState) -> Task {
        self.wait_until(id, state.name(), |task| task.state == state)
            .await
    }
}

/// An engine whose definitions are the given commands.
fn setup(commands: Vec<(&str, CommandSpec)>) -> Setup {
    setup_in(tempfile::tempdir().unwrap(), commands)
}

/// The same, keeping its database in `dir`.
fn setup_in(dir: tempfile::TempDir, commands: Vec<(&str, CommandSpec)>) -> Setup {
    let commands = commands
        .into_iter()
        .map(|(name, spec)| (name, spec, None))
        .collect();
    setup_with(dir, EngineConfig::default(), commands)
}

/// An engine with the given settings whose definitions are commands, each with an optional
/// timeout.
fn setup_with(
    dir: tempfile::TempDir,
    config: EngineConfig,
    commands: Vec<(&str, CommandSpec, Option<Duration>)>,
) -> Setup {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("e.db")).unwrap());
    let mut executors = ExecutorRegistry::new();
    for (name, spec, timeout) in commands {
        executors.register_with(
            name,
            CommandExecutor::new(spec),
            DefinitionSettings {
                kind: "command",
                timeout,
                ..DefinitionSettings::default()
            },
        );
    }
    let engine = Engine::new(store.clone(), executors, config, Arc::new(SystemClock));
    engine.start();
    Setup { engine, store, dir }
}

/// `/bin/sh -c script sh args…`: inside the script, `$1`… are `args`.
fn shell(script: &str, args: &[&Path]) -> CommandSpec {
    let mut all = vec!["-c".to_string(), script.to_string(), "sh".to_string()];
    all.extend(args.iter().map(|a| a.display().to_string()));
    CommandSpec {
        args: all,
        ..CommandSpec::new("/bin/sh")
    }
}

/// A pid the command wrote to `file`, once it has.
async fn read_pid(file: &Path) -> i32 {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(pid) = std::fs::read_to_string(file)
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "{} never held a pid",
            file.display()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Gone, or a zombie: dead, waiting only for its new parent (which may not reap) to collect it.
fn is_gone(pid: i32) -> bool {
    let pid_t = nix::unistd::Pid::from_raw(pid);
    if nix::sys::signal::kill(pid_t, None) == Err(nix::errno::Errno::ESRCH) {
        return true;
    }
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
    })
}

async fn wait_gone(pid: i32) {
    let deadline = Instant::now() + PATIENCE;
    while !is_gone(pid) {
        assert!(Instant::now() < deadline, "process {pid} outlived its task");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn parameters_arrive_on_stdin_as_json_and_in_the_environment() {
    let script = r#"read -r line
printf 'response %s\n' "$line"
echo "result $SOBATCH_TASK_ID|$SOBATCH_TASK_NAME|$SOBATCH_PARAM_CUSTOMER_ID|$SOBATCH_PARAM_NOTE|$GREETING|$(pwd)""#;
    let dir = tempfile::tempdir().unwrap();
    let mut spec = shell(script, &[]);
    spec.env = vec![
        ("GREETING".into(), "hello".into()),
        ("SOBATCH_TASK_ID".into(), "overridden".into()),
    ];
    spec.working_dir = Some(dir.path().to_path_buf());
    let s = setup_in(dir, vec![("Params", spec)]);
    let id = s
        .start(
            "Params",
            &[("Customer-Id", "42"), ("note", "a \"quoted\" é")],
        )
        .await;
    let task = s.wait_state(id, TaskState::Succeeded).await;
    assert_eq!(
        task.response.as_deref(),
        Some(r#"{"Customer-Id":"42","note":"a \"quoted\" é"}"#)
    );
    let cwd = s.dir.path().canonicalize().unwrap();
    assert_eq!(
        task.result.unwrap(),
        format!("{}|Params|42|a \"quoted\" é|hello|{}", id.0, cwd.display())
    );

    // No parameters: an empty object.
    let id = s.start("Params", &[]).await;
    let task = s.wait_state(id, TaskState::Succeeded).await;
    assert_eq!(task.response.as_deref(), Some("{}"));
    s.engine.shutdown().await;
}

#[tokio::test]
async fn progress_lines_show_while_the_command_runs() {
    // The command reports, then waits (bounded) for the test to have seen the report.
    let script = r#"echo 'progress 40 half way'
i=0
while [ ! -e "$1" ]; do
  i=$((i + 1)); [ "$i" -gt 2000 ] && exit 9
  sleep 0.01
done
echo 'progress 90'
echo 'result done'"#;
    let dir = tempfile::tempdir().unwrap();
    let go = dir.path().join("go");
    let s = setup(vec![("Progress", shell(script, &[&go]))]);
    let id = s.start("Progress", &[]).await;
    let task = s
        .wait_until(id, "progress 40", |task| task.progress_percent == 40)
        .await;
    assert_eq!(task.state, TaskState::Started);
    assert_eq!(task.progress_description.as_deref(), Some("half way"));
    std::fs::write(&go, "").unwrap();
    let task = s.wait_state(id, TaskState::Succeeded).await;
    assert_eq!(task.result.as_deref(), Some("done"));
    assert_eq!(task.progress_percent, 100);
    // A percentage without text keeps the previous text.
    assert_eq!(task.progress_description.as_deref(), Some("half way"));
    s.engine.shutdown().await;
}

#[tokio::test]
async fn result_response_and_file_lines_set_the_outcome() {
    let script = r#"echo 'progress abc'
echo 'result first'
echo 'plain log line'
printf '\377\376 not utf-8\n'
head -c 200000 /dev/zero | tr '\0' 'a'; echo
echo 'result done'
echo 'response {"ok":true}'
printf 'file /tmp/out put.csv\r\n'"#;
    let s = setup(vec![("Outcome", shell(script, &[]))]);
    let id = s.start("Outcome", &[]).await;
    let task = s.wait_state(id, TaskState::Succeeded).await;
    assert_eq!(task.result.as_deref(), Some("done"));
    assert_eq!(task.response.as_deref(), Some(r#"{"ok":true}"#));
    assert_eq!(task.file_name.as_deref(), Some("/tmp/out put.csv"));
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_non_zero_exit_fails_with_the_code_and_the_last_stderr_line() {
    let s = setup(vec![
        (
            "Exit",
            shell(
                "echo 'result not kept'; echo first >&2; echo 'cannot open input.csv' >&2; exit 3",
                &[],
            ),
        ),
        ("Signal", shell("echo 'dying' ; kill -KILL $$", &[])),
    ]);
    let id = s.start("Exit", &[]).await;
    let task = s.wait_state(id, TaskState::Failed).await;
    let result = task.result.unwrap();
    assert!(result.starts_with("exited with code 3: "), "{result}");
    assert!(result.ends_with("cannot open input.csv"), "{result}");

    // Without stderr, the last log line is shown.
    let id = s.start("Signal", &[]).await;
    let task = s.wait_state(id, TaskState::Failed).await;
    assert_eq!(
        task.result.as_deref(),
        Some("killed by signal SIGKILL: dying")
    );
    s.engine.shutdown().await;
}

#[tokio::test]
async fn stop_of_a_running_command_ends_it_failed_and_kills_it() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let s = setup(vec![(
        "Long",
        shell("echo $$ > \"$1\"; exec sleep 60", &[&pidfile]),
    )]);
    let id = s.start("Long", &[]).await;
    let pid = read_pid(&pidfile).await;
    assert_eq!(
        s.engine.task_stop(id).await.unwrap(),
        StopReply::Stopped(true)
    );
    let task = s.wait_state(id, TaskState::Failed).await;
    assert_eq!(task.result.as_deref(), Some(sobatch_engine::STOPPED_RESULT));
    wait_gone(pid).await;
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_command_that_ignores_sigterm_is_killed_after_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let grace = Duration::from_millis(300);
    let mut spec = shell("trap '' TERM; echo $$ > \"$1\"; sleep 60", &[&pidfile]);
    spec.kill_grace = grace;
    let s = setup(vec![("Stubborn", spec)]);
    let id = s.start("Stubborn", &[]).await;
    let pid = read_pid(&pidfile).await;
    let stopped_at = Instant::now();
    assert_eq!(
        s.engine.task_stop(id).await.unwrap(),
        StopReply::Stopped(true)
    );
    let task = s.wait_state(id, TaskState::Failed).await;
    assert!(stopped_at.elapsed() >= grace, "killed before the grace");
    assert_eq!(task.result.as_deref(), Some(sobatch_engine::STOPPED_RESULT));
    wait_gone(pid).await;
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_commands_children_die_with_it_when_it_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let s = setup(vec![(
        "Parent",
        shell("sleep 300 & echo $! > \"$1\"; wait", &[&pidfile]),
    )]);
    let id = s.start("Parent", &[]).await;
    let child = read_pid(&pidfile).await;
    assert!(!is_gone(child));
    assert_eq!(
        s.engine.task_stop(id).await.unwrap(),
        StopReply::Stopped(true)
    );
    s.wait_state(id, TaskState::Failed).await;
    wait_gone(child).await;
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_background_child_left_by_a_finished_command_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    // The child also holds stdout open: the run must not wait for it.
    let s = setup(vec![(
        "Leaver",
        shell(
            "sleep 300 & echo $! > \"$1\"; echo 'result left one'",
            &[&pidfile],
        ),
    )]);
    let id = s.start("Leaver", &[]).await;
    let task = s.wait_state(id, TaskState::Succeeded).await;
    assert_eq!(task.result.as_deref(), Some("left one"));
    wait_gone(read_pid(&pidfile).await).await;
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_program_that_cannot_start_fails_the_task_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let not_executable = dir.path().join("script.sh");
    std::fs::write(&not_executable, "#!/bin/sh\necho hi\n").unwrap();
    let s = setup(vec![
        (
            "Missing",
            CommandSpec::new("/nonexistent/sobatch-no-such-program"),
        ),
        (
            "NotExecutable",
            CommandSpec::new(not_executable.display().to_string()),
        ),
    ]);
    let id = s.start("Missing", &[]).await;
    let task = s.wait_state(id, TaskState::Failed).await;
    let result = task.result.unwrap();
    assert!(
        result.starts_with("cannot start /nonexistent/sobatch-no-such-program: "),
        "{result}"
    );
    assert!(result.contains("No such file"), "{result}");

    let id = s.start("NotExecutable", &[]).await;
    let task = s.wait_state(id, TaskState::Failed).await;
    let result = task.result.unwrap();
    assert!(result.starts_with("cannot start "), "{result}");
    assert!(result.contains("Permission denied"), "{result}");
    s.engine.shutdown().await;
}

#[tokio::test]
async fn a_command_past_its_timeout_is_killed_and_fails_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let spec = shell("echo $$ > \"$1\"; exec sleep 60", &[&pidfile]);
    let s = setup_with(
        dir,
        EngineConfig::default(),
        vec![("Slow", spec, Some(Duration::from_millis(300)))],
    );
    let id = s.start("Slow", &[]).await;
    let pid = read_pid(&pidfile).await;
    let task = s.wait_state(id, TaskState::Failed).await;
    assert_eq!(
        task.result.as_deref(),
        Some("[SR_SOBATCH_TASK_TIMED_OUT:0.3]")
    );
    wait_gone(pid).await;
    s.engine.shutdown().await;
}

#[tokio::test]
async fn shutdown_kills_running_commands_and_hands_their_tasks_back() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let spec = shell("sleep 300 & echo $! > \"$1\"; wait", &[&pidfile]);
    let config = EngineConfig {
        shutdown_grace: Duration::from_millis(50),
        ..EngineConfig::default()
    };
    let s = setup_with(dir, config, vec![("Long", spec, None)]);
    let id = s.start("Long", &[]).await;
    let child = read_pid(&pidfile).await;
    s.engine.shutdown().await;
    assert_eq!(s.task(id).await.state, TaskState::New);
    wait_gone(child).await;
}
