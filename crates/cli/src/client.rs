//! The client commands (`submit`, `list`, `show`, `watch`, `stop`, `delete`): they talk to a
//! running server over HTTP with the wire crate's client, never to the database.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sobatch_wire::{ClientError, Method, WireClient};

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
            let filled = usize::try_from(percent / 5).unwrap_or(0);
            format!(
                "\r[{}{}] {percent:>3}% {state:<9} {elapsed:>6.1}s {text:<40.40}",
                "#".repeat(filled),
                " ".repeat(20 - filled)
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
