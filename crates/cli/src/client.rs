//! The client commands (`submit`, `list`, `show`, `watch`, `stop`, `delete`): they talk to a
//! running server over HTTP with the wire crate's client, never to the database.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sobatch_wire::{ClientError, EventStream, Method, WireClient};

/// Why a client command failed, and the exit code that says so.
pub enum Failure {
    /// The task ended, but not successfully (exit code 1).
    TaskFailed(String),
    /// Bad usage or the server could not be reached or refused the request (exit code 2).
    Usage(String),
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Failure::Usage(match error {
            ClientError::Status { status, body } => {
                let message = serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|v| v["ErrorMessage"].as_str().map(str::to_string))
                    .unwrap_or(body);
                // The reason is printed as one line of standard error, whatever the body held.
                let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
                format!("the server answered {status}: {message}")
            }
            other => format!("{other}"),
        })
    }
}

/// Where the server is and who we are.
pub struct Connection {
    pub url: String,
    pub user: String,
    pub password: String,
}

impl Connection {
    fn client(&self) -> Result<WireClient, Failure> {
        Ok(WireClient::new(&self.url)
            .map_err(|e| Failure::Usage(format!("bad server URL {:?}: {e}", self.url)))?
            .with_basic_auth(&self.user, &self.password))
    }
}

/// `submit NAME [-p KEY=VALUE]…`: starts a task and prints its id; with `wait`, follows it to its
/// end.
pub async fn submit(
    connection: &Connection,
    name: &str,
    parameters: &[String],
    description: Option<String>,
    system: bool,
    wait: bool,
) -> Result<(), Failure> {
    let mut object = Map::new();
    for pair in parameters {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("parameter {pair:?} is not KEY=VALUE")))?;
        object.insert(key.to_string(), Value::String(value.to_string()));
    }
    let mut body = json!({"Name": name, "IsSystemTask": system});
    if !object.is_empty() {
        body["ParameterObject"] = Value::Object(object);
    }
    if let Some(description) = description {
        body["Description"] = Value::String(description);
    }
    let client = connection.client()?;
    let id = client.task_start(&body).await?;
    if !wait {
        println!("{id}");
        return Ok(());
    }
    eprintln!("started task {id}");
    follow(&client, id).await
}

/// `watch ID`: follows a task to its end, like `submit --wait`.
pub async fn watch(connection: &Connection, id: i32) -> Result<(), Failure> {
    follow(&connection.client()?, id).await
}

/// The cells of a progress display that single-task `follow` and the rows of `watch` share: the
/// bar, the percentage, the state, the time so far and the progress text.
fn progress_cells(percent: i64, state: &str, elapsed: f64, text: &str) -> String {
    let percent = percent.clamp(0, 100);
    let filled = usize::try_from(percent / 5).unwrap_or(0);
    format!(
        "[{}{}] {percent:>3}% {state:<9} {elapsed:>6.1}s {text:<40.40}",
        "#".repeat(filled),
        " ".repeat(20 - filled)
    )
}

/// Polls a task and draws its progress until it ends: a bar on a terminal, plain lines otherwise.
async fn follow(client: &WireClient, id: i32) -> Result<(), Failure> {
    let started = Instant::now();
    let terminal = std::io::stdout().is_terminal();
    let mut last_line = String::new();
    loop {
        let task = client
            .task_get(id)
            .await?
            .ok_or_else(|| Failure::TaskFailed(format!("task {id} no longer exists")))?;
        let state = task["State"].as_str().unwrap_or("Unknown").to_string();
        let percent = task["ProgressPercent"].as_i64().unwrap_or(0).clamp(0, 100);
        let text = task["ProgressDescription"].as_str().unwrap_or("");
        let elapsed = started.elapsed().as_secs_f64();
        let line = if terminal {
            format!(
                "\r{}",
                progress_cells(percent, state.as_str(), elapsed, text)
            )
        } else {
            format!("{state} {percent}% {text}")
        };
        if line != last_line {
            if terminal {
                print!("{line}");
                let _ = std::io::stdout().flush();
            } else {
                println!("{line}");
            }
            last_line = line;
        }
        match state.as_str() {
            "Succeeded" | "SucceededManualCleanup" => {
                if terminal {
                    println!();
                }
                let response = task["Response"].as_str().unwrap_or("");
                println!("task {id} {state} after {elapsed:.1}s {response}");
                return Ok(());
            }
            "Failed" => {
                if terminal {
                    println!();
                }
                let result = task["Result"].as_str().unwrap_or("no reason given");
                return Err(Failure::TaskFailed(format!("task {id} failed: {result}")));
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// How many reconnections `watch` tries in a row before it gives up.
const RECONNECT_ATTEMPTS: u32 = 5;
/// The wait before the first reconnection unless the server asked for another with `retry`; it
/// doubles with each failed attempt, up to `RECONNECT_DELAY_MAX`.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);
const RECONNECT_DELAY_MAX: Duration = Duration::from_secs(8);
/// A connection that delivered an event, or stayed up this long (two heartbeats), worked: the
/// next loss starts counting attempts afresh. One that drops at once counts as a failed attempt,
/// so a server that accepts and hangs up does not keep `watch` busy forever.
const STABLE_CONNECTION: Duration = Duration::from_secs(30);
/// How often the live view is redrawn between events, so that elapsed times move.
const REDRAW_EVERY: Duration = Duration::from_millis(200);
/// How long looking up why a task failed may hold up the events behind it.
const REASON_LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// `watch [--name N] [--state S]`: follows every task the filters select through the server's
/// event stream until interrupted, as a live view on a terminal and one line per event otherwise.
/// A lost connection is resumed after the last event seen.
pub async fn watch_all(
    connection: &Connection,
    name: Option<&str>,
    state: Option<&str>,
) -> Result<(), Failure> {
    let interrupted = interrupt()?;
    tokio::pin!(interrupted);
    let client = connection.client()?;
    let lookup = client.clone().with_timeout(REASON_LOOKUP_TIMEOUT);
    let mut query = Vec::new();
    if let Some(name) = name {
        query.push(("name", name));
    }
    if let Some(state) = state {
        query.push(("state", state));
    }
    let mut stream = tokio::select! {
        () = &mut interrupted => return Ok(()),
        opened = client.events(&query, None) => opened?,
    };
    // Events start from the moment of connection, so saying when that is tells the user (and a
    // script) from when on nothing is missed.
    eprintln!("watching task events; Ctrl-C to stop");
    let mut view = std::io::stdout().is_terminal().then(LiveView::default);
    let mut redraw = tokio::time::interval(REDRAW_EVERY);
    redraw.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut resume = Resume::default();
    loop {
        let next = tokio::select! {
            () = &mut interrupted => {
                // Tasks that ended since the last frame still get their line.
                if let Some(view) = &mut view {
                    let _ = emit(&view.frame(Instant::now()));
                }
                return Ok(());
            }
            // The live view is drawn at this pace rather than per event, so that a burst of
            // events costs one frame.
            _ = redraw.tick(), if view.is_some() => {
                if let Some(view) = &mut view
                    && view.is_due()
                    && emit(&view.frame(Instant::now())).is_err()
                {
                    return Ok(());
                }
                continue;
            }
            next = stream.next() => next,
        };
        let event = match next {
            Ok(Some(event)) => event,
            lost => {
                let reason = match lost {
                    Err(error) => error.to_string(),
                    _ => "the server ended the event stream".to_string(),
                };
                let back = reconnect(&client, &query, stream, reason, &mut resume, &mut view);
                stream = tokio::select! {
                    () = &mut interrupted => return Ok(()),
                    back = back => back?,
                };
                continue;
            }
        };
        resume.delivered = true;
        if event.event != "task" {
            continue;
        }
        let Some(mut task) = TaskEvent::parse(&event.data) else {
            continue;
        };
        if task.state == "Failed" && task.kind != "Deleted" && task.reason.is_none() {
            task.reason = failure_reason(&lookup, task.id).await;
        }
        match &mut view {
            Some(view) => view.apply(task, Instant::now()),
            // Standard output is gone (`watch | head`, say): there is no one left to watch for.
            None => {
                if emit(&format!("{}\n", plain_line(&task))).is_err() {
                    return Ok(());
                }
            }
        }
    }
}

/// What `watch` keeps across connections to resume and to count failed attempts.
struct Resume {
    last_event_id: Option<String>,
    failed_attempts: u32,
    connected_at: Instant,
    delivered: bool,
}

impl Default for Resume {
    fn default() -> Self {
        Resume {
            last_event_id: None,
            failed_attempts: 0,
            connected_at: Instant::now(),
            delivered: false,
        }
    }
}

/// Gets the event stream back after `lost` ended, resuming after its last event, with doubling
/// waits between attempts; gives up after `RECONNECT_ATTEMPTS` in a row, or at once when the
/// server refuses the request itself.
async fn reconnect(
    client: &WireClient,
    query: &[(&str, &str)],
    lost: EventStream,
    mut reason: String,
    resume: &mut Resume,
    view: &mut Option<LiveView>,
) -> Result<EventStream, Failure> {
    if resume.delivered || resume.connected_at.elapsed() >= STABLE_CONNECTION {
        resume.failed_attempts = 0;
    }
    if let Some(id) = lost.last_event_id() {
        resume.last_event_id = Some(id.to_string());
    }
    let mut delay = lost
        .retry()
        .unwrap_or(RECONNECT_DELAY)
        .min(RECONNECT_DELAY_MAX);
    drop(lost);
    loop {
        if resume.failed_attempts >= RECONNECT_ATTEMPTS {
            return Err(Failure::Usage(format!(
                "lost the event stream and gave up after {RECONNECT_ATTEMPTS} attempts to \
                 reconnect: {}",
                one_line(&reason)
            )));
        }
        resume.failed_attempts += 1;
        let what = if resume.failed_attempts == 1 {
            "connection lost"
        } else {
            "reconnection failed"
        };
        let notice = format!(
            "{what} ({}); reconnecting, attempt {} of {RECONNECT_ATTEMPTS}",
            one_line(&reason),
            resume.failed_attempts
        );
        match view {
            Some(view) => {
                view.notice = Some(notice);
                let _ = emit(&view.frame(Instant::now()));
            }
            None => eprintln!("{notice}"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(RECONNECT_DELAY_MAX);
        match client.events(query, resume.last_event_id.as_deref()).await {
            Ok(stream) => {
                resume.connected_at = Instant::now();
                resume.delivered = false;
                if let Some(view) = view {
                    view.notice = None;
                    let _ = emit(&view.frame(Instant::now()));
                }
                return Ok(stream);
            }
            // A refusal (bad credentials, a filter the server rejects) will not change by
            // asking again; only throttling and timeouts might.
            Err(ClientError::Status { status, body })
                if (400..500).contains(&status) && status != 408 && status != 429 =>
            {
                return Err(ClientError::Status { status, body }.into());
            }
            Err(error) => reason = error.to_string(),
        }
    }
}

/// Resolves on Ctrl-C. The handler is installed when this is called, before the first
/// connection, so an interrupt at any moment ends `watch` with exit code 0.
#[cfg(unix)]
fn interrupt() -> Result<impl Future<Output = ()>, Failure> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupts = signal(SignalKind::interrupt())
        .map_err(|e| Failure::Usage(format!("listen for Ctrl-C: {e}")))?;
    Ok(async move {
        let _ = interrupts.recv().await;
    })
}

#[cfg(not(unix))]
fn interrupt() -> Result<impl Future<Output = ()>, Failure> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Writes to standard output at once, since the live view does not end its lines where a line
/// buffer would flush.
fn emit(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Why a task failed, from the task itself, since events do not carry it.
async fn failure_reason(client: &WireClient, id: i64) -> Option<String> {
    let task = client.task_get(i32::try_from(id).ok()?).await.ok()??;
    task["Result"]
        .as_str()
        .filter(|reason| !reason.is_empty())
        .map(one_line)
}

/// Server texts shown in one line of a display: line breaks and other control characters
/// would break the layout.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The data of one `task` event, as `watch` needs it.
#[derive(Debug, Clone, PartialEq)]
struct TaskEvent {
    id: i64,
    kind: String,
    name: String,
    state: String,
    percent: Option<i64>,
    text: Option<String>,
    /// Why the task failed, when it did and that is known.
    reason: Option<String>,
}

impl TaskEvent {
    /// `None` for data without a task id, which the view could not place.
    fn parse(data: &str) -> Option<TaskEvent> {
        let value: Value = serde_json::from_str(data).ok()?;
        let text = |key: &str| value[key].as_str().map(one_line);
        Some(TaskEvent {
            id: value["Id"].as_i64()?,
            kind: text("Kind").unwrap_or_default(),
            name: text("Name").unwrap_or_default(),
            state: text("State").unwrap_or_default(),
            percent: value["ProgressPercent"].as_i64(),
            text: text("ProgressDescription").filter(|t| !t.is_empty()),
            reason: text("Result").filter(|r| !r.is_empty()),
        })
    }

    fn has_ended(&self) -> bool {
        self.kind == "Deleted"
            || matches!(
                self.state.as_str(),
                "Succeeded" | "SucceededManualCleanup" | "Failed"
            )
    }
}

/// One event as a line for a pipe: `12 Sleep Started 40% 4 of 10 s`.
fn plain_line(task: &TaskEvent) -> String {
    let mut line = format!("{} {}", task.id, task.name);
    if task.kind == "Deleted" {
        line.push_str(" deleted");
        return line;
    }
    line.push(' ');
    line.push_str(&task.state);
    if let Some(percent) = task.percent {
        line.push_str(&format!(" {percent}%"));
    }
    if let Some(text) = &task.text {
        line.push(' ');
        line.push_str(text);
    }
    if task.kind == "StopRequested" {
        line.push_str(" (stop requested)");
    }
    if let Some(reason) = &task.reason {
        line.push_str(": ");
        line.push_str(reason);
    }
    line
}

/// The terminal display of `watch`: a live area of one row per active task, redrawn in place,
/// above which the line of each task that ends is printed once.
#[derive(Default)]
struct LiveView {
    rows: BTreeMap<i64, LiveRow>,
    /// Lines of tasks that ended since the last frame, to print above the live area for good.
    ended: Vec<String>,
    /// A line under the rows about the connection, while it is being restored.
    notice: Option<String>,
    /// How many lines the live area took when it was last drawn.
    drawn: usize,
}

struct LiveRow {
    name: String,
    state: String,
    percent: i64,
    text: String,
    first_seen: Instant,
}

impl LiveView {
    fn apply(&mut self, task: TaskEvent, now: Instant) {
        if task.has_ended() {
            let after = self
                .rows
                .remove(&task.id)
                .map(|row| format!(" after {:.1}s", (now - row.first_seen).as_secs_f64()))
                .unwrap_or_default();
            let TaskEvent {
                id, name, state, ..
            } = &task;
            self.ended.push(if task.kind == "Deleted" {
                format!("task {id} {name} deleted{after}")
            } else if task.state == "Failed" {
                let reason = task.reason.as_deref().unwrap_or("no reason given");
                format!("task {id} {name} Failed{after}: {reason}")
            } else {
                format!("task {id} {name} {state}{after}")
            });
            return;
        }
        let row = self.rows.entry(task.id).or_insert_with(|| LiveRow {
            name: String::new(),
            state: String::new(),
            percent: 0,
            text: String::new(),
            first_seen: now,
        });
        row.name = task.name;
        row.state = task.state;
        // Events that say nothing of progress (a state change, a stop request) keep the last.
        if let Some(percent) = task.percent {
            row.percent = percent;
        }
        if let Some(text) = task.text {
            row.text = text;
        }
    }

    /// Whether a frame would change the screen: rows whose time moves, lines of ended tasks to
    /// print, or a live area to clear.
    fn is_due(&self) -> bool {
        !self.rows.is_empty() || !self.ended.is_empty() || self.drawn > 0
    }

    /// What brings the terminal up to date: back to the top of the previous live area, the lines
    /// of ended tasks, then the live area again.
    fn frame(&mut self, now: Instant) -> String {
        let mut out = String::new();
        if self.drawn > 0 {
            out.push_str(&format!("\x1b[{}F", self.drawn));
        }
        out.push_str("\x1b[J");
        for line in self.ended.drain(..) {
            out.push_str(&line);
            out.push('\n');
        }
        // With wrapping off, a row wider than the terminal is cut instead of folded, so the live
        // area stays exactly as many lines as the next frame moves back over.
        out.push_str("\x1b[?7l");
        for (id, row) in &self.rows {
            let elapsed = (now - row.first_seen).as_secs_f64();
            let cells = progress_cells(row.percent, &row.state, elapsed, &row.text);
            out.push_str(&format!(
                "{id:>5} {:<12.12} {}\n",
                row.name,
                cells.trim_end()
            ));
        }
        if let Some(notice) = &self.notice {
            out.push_str(notice);
            out.push('\n');
        }
        out.push_str("\x1b[?7h");
        self.drawn = self.rows.len() + usize::from(self.notice.is_some());
        out
    }
}

/// `list [--state S] [--name N] [--json]`: system and user tasks, by id.
pub async fn list(
    connection: &Connection,
    state: &str,
    name: Option<String>,
    as_json: bool,
) -> Result<(), Failure> {
    let client = connection.client()?;
    let body = json!({"TaskName": name, "State": state});
    let response = client
        .send(
            Method::POST,
            "/api/v1/Agents/Batch/GetAllBatchTaskInfosByNameAndState",
            &[("Content-Type", "application/json")],
            Some(body.to_string().into_bytes()),
        )
        .await?;
    if response.status != 200 {
        return Err(ClientError::Status {
            status: response.status,
            body: response.text(),
        }
        .into());
    }
    let tasks = response
        .json()
        .map_err(|e| Failure::Usage(format!("the server's answer is not JSON: {e}")))?;
    if as_json {
        println!("{tasks}");
        return Ok(());
    }
    let rows: Vec<[String; 6]> = tasks
        .as_array()
        .map(|tasks| tasks.iter().map(row).collect())
        .unwrap_or_default();
    print_table(
        &["ID", "NAME", "STATE", "PROGRESS", "OWNER", "DESCRIPTION"],
        &rows,
    );
    Ok(())
}

fn row(task: &Value) -> [String; 6] {
    let text = |key: &str| match &task[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    [
        text("Id"),
        text("Name"),
        text("State"),
        format!("{}%", text("ProgressPercent")),
        text("AssociateId"),
        text("Description"),
    ]
}

/// Columns padded to their widest cell.
fn print_table(headers: &[&str; 6], rows: &[[String; 6]]) {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(headers.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// `show ID [--json]`.
pub async fn show(connection: &Connection, id: i32, as_json: bool) -> Result<(), Failure> {
    let task = connection
        .client()?
        .task_get(id)
        .await?
        .ok_or_else(|| Failure::Usage(format!("there is no task {id}")))?;
    if as_json {
        println!("{task}");
        return Ok(());
    }
    if let Value::Object(members) = &task {
        let width = members.keys().map(|k| k.len()).max().unwrap_or(0);
        for (key, value) in members {
            let shown = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            println!("{key:<width$}  {shown}");
        }
    }
    Ok(())
}

/// `stop ID`: prints whether the task was stopped; exit code 1 when it was not.
pub async fn stop(connection: &Connection, id: i32) -> Result<(), Failure> {
    if connection.client()?.task_stop(id).await? {
        println!("task {id} stopped");
        Ok(())
    } else {
        Err(Failure::TaskFailed(format!(
            "task {id} was not stopped: it has finished or cannot be cancelled"
        )))
    }
}

/// `delete ID…`.
pub async fn delete(connection: &Connection, ids: &[i32]) -> Result<(), Failure> {
    let client = connection.client()?;
    for &id in ids {
        client.task_delete(id).await?;
        println!("task {id} deleted");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(data: Value) -> TaskEvent {
        TaskEvent::parse(&data.to_string()).unwrap()
    }

    fn sleep_event(kind: &str, state: &str, percent: Value, text: Value) -> TaskEvent {
        event(json!({
            "Id": 12, "Kind": kind, "Name": "Sleep", "State": state,
            "ProgressPercent": percent, "ProgressDescription": text,
            "Description": "", "AssociateId": 1, "At": "2026-11-29T15:00:00.123Z"
        }))
    }

    #[test]
    fn the_bar_has_twenty_cells_of_five_percent() {
        let cells = progress_cells(40, "Started", 3.06, "4 of 10 s");
        assert!(cells.starts_with("[########            ]  40% Started      3.1s 4 of 10 s"));
        assert!(
            progress_cells(250, "Started", 0.0, "")
                .starts_with(&format!("[{}] 100%", "#".repeat(20)))
        );
        assert!(
            progress_cells(-3, "New", 0.0, "").starts_with(&format!("[{}]   0%", " ".repeat(20)))
        );
    }

    #[test]
    fn a_plain_line_says_id_name_state_progress_and_why_a_task_failed() {
        let progress = sleep_event("Progress", "Started", json!(40), json!("4 of 10 s"));
        assert_eq!(plain_line(&progress), "12 Sleep Started 40% 4 of 10 s");
        let created = sleep_event("Created", "New", Value::Null, Value::Null);
        assert_eq!(plain_line(&created), "12 Sleep New");
        let stop = sleep_event("StopRequested", "Started", json!(50), Value::Null);
        assert_eq!(plain_line(&stop), "12 Sleep Started 50% (stop requested)");
        let deleted = sleep_event("Deleted", "Succeeded", json!(100), json!("x"));
        assert_eq!(plain_line(&deleted), "12 Sleep deleted");
        let mut failed = sleep_event("StateChanged", "Failed", Value::Null, json!("a\nb"));
        failed.reason = Some("sleep cancelled".to_string());
        assert_eq!(plain_line(&failed), "12 Sleep Failed a b: sleep cancelled");
    }

    #[test]
    fn event_data_without_a_task_id_is_not_a_task_event() {
        assert_eq!(TaskEvent::parse(r#"{"Kind": "Created"}"#), None);
        assert_eq!(TaskEvent::parse("not json"), None);
    }

    #[test]
    fn the_live_view_keeps_a_row_per_active_task_and_prints_ended_ones_once() {
        let start = Instant::now();
        let mut view = LiveView::default();
        view.apply(
            sleep_event("Started", "Started", json!(0), json!("0 of 10 s")),
            start,
        );
        let mut other = sleep_event("Created", "New", Value::Null, Value::Null);
        other.id = 13;
        view.apply(other, start);
        let frame = view.frame(start + Duration::from_secs(1));
        assert!(frame.starts_with("\x1b[J\x1b[?7l"), "{frame:?}");
        assert!(
            frame.contains(
                "   12 Sleep        [                    ]   0% Started      1.0s 0 of 10 s\n"
            ),
            "{frame:?}"
        );
        assert!(frame.contains("   13 Sleep        ["), "{frame:?}");
        assert!(frame.ends_with("\x1b[?7h"), "{frame:?}");
        assert_eq!(view.drawn, 2);

        // A state change without progress keeps the last progress shown.
        view.apply(
            sleep_event("Progress", "Started", json!(40), json!("4 of 10 s")),
            start,
        );
        view.apply(
            sleep_event("StopRequested", "Started", Value::Null, Value::Null),
            start,
        );
        let frame = view.frame(start + Duration::from_secs(2));
        assert!(frame.starts_with("\x1b[2F\x1b[J"), "{frame:?}");
        assert!(
            frame.contains("[########            ]  40% Started      2.0s 4 of 10 s"),
            "{frame:?}"
        );

        view.apply(
            sleep_event("StateChanged", "Succeeded", json!(100), Value::Null),
            start + Duration::from_millis(3100),
        );
        let frame = view.frame(start + Duration::from_secs(4));
        assert!(
            frame.starts_with("\x1b[2F\x1b[Jtask 12 Sleep Succeeded after 3.1s\n\x1b[?7l"),
            "{frame:?}"
        );
        assert!(!frame.contains("   12 "), "{frame:?}");
        assert_eq!(view.drawn, 1);
        let frame = view.frame(start + Duration::from_secs(5));
        assert!(!frame.contains("task 12"), "printed once: {frame:?}");

        let mut failed = sleep_event("StateChanged", "Failed", Value::Null, Value::Null);
        failed.id = 13;
        failed.name = "Fail".to_string();
        view.apply(failed, start + Duration::from_secs(5));
        assert!(
            view.frame(start)
                .contains("task 13 Fail Failed after 5.0s: no reason given\n")
        );
        assert!(view.rows.is_empty());
        assert_eq!(view.drawn, 0);

        // A task first seen as it ends has no elapsed time to show.
        let mut seen_late = sleep_event("StateChanged", "Failed", Value::Null, Value::Null);
        seen_late.id = 14;
        seen_late.reason = Some("disk full".to_string());
        view.apply(seen_late, start);
        assert_eq!(
            view.frame(start),
            "\x1b[Jtask 14 Sleep Failed: disk full\n\x1b[?7l\x1b[?7h"
        );
    }
}
