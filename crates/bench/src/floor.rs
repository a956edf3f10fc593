//! The floor: what this machine does with sobatch's libraries and none of its logic. An axum
//! handler parses the task body into a struct and hands the row to one writer thread that
//! group-commits whatever queued (WAL, `synchronous=FULL`), then answers the new id, as sobatch's
//! `POST /api/v1/BatchTask` does. No authentication, no definitions, no parameter blob.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TaskBody {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    parameter_object: BTreeMap<String, String>,
}

struct Row {
    name: String,
    description: String,
    parameters: String,
    answer: oneshot::Sender<Result<i64, String>>,
}

/// Serves the floor on `listen` until the process is killed.
pub fn serve(listen: SocketAddr, db: &Path) -> Result<()> {
    let rows = spawn_writer(db)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let app = axum::Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/api/v1/BatchTask", post(insert))
            .with_state(rows);
        let listener = tokio::net::TcpListener::bind(listen).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

async fn insert(
    State(rows): State<mpsc::UnboundedSender<Row>>,
    body: bytes::Bytes,
) -> Result<String, (StatusCode, String)> {
    let body: TaskBody =
        serde_json::from_slice(&body).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let parameters = serde_json::to_string(&body.parameter_object)
        .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let (answer, answered) = oneshot::channel();
    let row = Row {
        name: body.name,
        description: body.description,
        parameters,
        answer,
    };
    let gone = || (StatusCode::SERVICE_UNAVAILABLE, "writer gone".to_string());
    rows.send(row).map_err(|_| gone())?;
    match answered.await {
        Ok(Ok(id)) => Ok(id.to_string()),
        Ok(Err(error)) => Err((StatusCode::INTERNAL_SERVER_ERROR, error)),
        Err(_) => Err(gone()),
    }
}

fn spawn_writer(db: &Path) -> Result<mpsc::UnboundedSender<Row>> {
    let conn = rusqlite::Connection::open(db).with_context(|| format!("open {}", db.display()))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS task (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             name TEXT NOT NULL,
             description TEXT NOT NULL,
             parameters TEXT NOT NULL,
             state INTEGER NOT NULL,
             registered INTEGER NOT NULL
         );
         CREATE INDEX IF NOT EXISTS task_state ON task (state);",
    )?;
    let (rows, mut queue) = mpsc::unbounded_channel::<Row>();
    std::thread::Builder::new()
        .name("floor-writer".into())
        .spawn(move || {
            let mut conn = conn;
            while let Some(first) = queue.blocking_recv() {
                let mut batch = vec![first];
                while let Ok(more) = queue.try_recv() {
                    batch.push(more);
                }
                let written = write(&mut conn, &batch);
                for (row, result) in batch.into_iter().zip(written) {
                    let _ = row.answer.send(result);
                }
            }
        })?;
    Ok(rows)
}

fn write(conn: &mut rusqlite::Connection, batch: &[Row]) -> Vec<Result<i64, String>> {
    let mut attempt = || -> rusqlite::Result<Vec<i64>> {
        let tx = conn.transaction()?;
        let mut ids = Vec::with_capacity(batch.len());
        {
            let now = chrono::Utc::now().timestamp_micros();
            let mut statement = tx.prepare_cached(
                "INSERT INTO task (name, description, parameters, state, registered)
                 VALUES (?1, ?2, ?3, 1, ?4)",
            )?;
            for row in batch {
                statement.execute(rusqlite::params![
                    row.name,
                    row.description,
                    row.parameters,
                    now
                ])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    };
    match attempt() {
        Ok(ids) => ids.into_iter().map(Ok).collect(),
        Err(error) => batch.iter().map(|_| Err(error.to_string())).collect(),
    }
}
