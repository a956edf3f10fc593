//! SQL for the event log (read and pruned here; the triggers of migration 2 write it) and for
//! stored credentials.

use deadpool_postgres::Transaction;
use sobatch_core::{TaskId, Timestamp};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use super::task::{column, execute, query, query_opt};
use crate::credential::{CredentialKind, CredentialNew, CredentialRow};
use crate::event::{EventPosition, EventRow, TaskEvent};
use crate::sqlite::codec::micros;
use crate::{Application, Credential, StoreError};

const EVENT_COLUMNS: &str = "e.xact, e.event_id, e.BatchTask_id, e.at, e.kind, e.state,
    e.progressPercent, e.progressDescription, e.description, d.name, e.associate_id,
    e.by_associate_id, a.name
    FROM batchtask_event e
    LEFT JOIN batchtaskdefinition d ON d.BatchTaskDefinition_id = e.BatchTaskDefinition_id
    LEFT JOIN application a ON a.application_id = e.application_id";

/// Transactions older than every one still running: their events can be read without a later
/// commit slipping in before them.
const HORIZON: &str = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

fn event(row: &Row) -> Result<TaskEvent, StoreError> {
    let int = |index: usize, name: &str| column::<i32>(row, index, name).map(i64::from);
    EventRow {
        xact: column(row, 0, "xact")?,
        id: column(row, 1, "event_id")?,
        task: int(2, "BatchTask_id")?,
        at: column(row, 3, "at")?,
        kind: int(4, "kind")?,
        state: int(5, "state")?,
        progress_percent: column::<Option<i32>>(row, 6, "progressPercent")?.map(i64::from),
        progress_description: column(row, 7, "progressDescription")?,
        description: column(row, 8, "description")?,
        name: column(row, 9, "name")?,
        owner: int(10, "associate_id")?,
        by: int(11, "by_associate_id")?,
        application: column(row, 12, "application")?,
    }
    .into_event()
}

fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Everything at or after the horizon is still to come, so the head sits just before it.
pub(super) async fn event_head(tx: &Transaction<'_>) -> Result<EventPosition, StoreError> {
    let rows = query(tx, &format!("SELECT {HORIZON}"), &[]).await?;
    let horizon: i64 = match rows.first() {
        Some(row) => column(row, 0, "horizon")?,
        None => 0,
    };
    Ok(EventPosition {
        xact: horizon,
        id: 0,
    })
}

pub(super) async fn event_list_after(
    tx: &Transaction<'_>,
    after: EventPosition,
    count: usize,
) -> Result<Vec<TaskEvent>, StoreError> {
    query(
        tx,
        &format!(
            "SELECT {EVENT_COLUMNS}
             WHERE (e.xact, e.event_id) > ($1, $2) AND e.xact < {HORIZON}
             ORDER BY e.xact, e.event_id LIMIT $3"
        ),
        &[&after.xact, &after.id, &limit(count)],
    )
    .await?
    .iter()
    .map(event)
    .collect()
}

/// A task's own events are ordered by id: its row lock serialises the transactions that change
/// it, and each takes its ids after taking the lock.
pub(super) async fn event_list_for_task(
    tx: &Transaction<'_>,
    task: TaskId,
    count: usize,
) -> Result<Vec<TaskEvent>, StoreError> {
    let mut found = query(
        tx,
        &format!(
            "SELECT {EVENT_COLUMNS} WHERE e.BatchTask_id = $1
             ORDER BY e.event_id DESC LIMIT $2"
        ),
        &[&task.0, &limit(count)],
    )
    .await?
    .iter()
    .map(event)
    .collect::<Result<Vec<_>, _>>()?;
    found.reverse();
    Ok(found)
}

pub(super) async fn event_prune(
    tx: &Transaction<'_>,
    before: Timestamp,
    count: usize,
) -> Result<u64, StoreError> {
    execute(
        tx,
        "DELETE FROM batchtask_event WHERE event_id IN (
             SELECT event_id FROM batchtask_event WHERE at < $1
             AND event_id < (SELECT MAX(event_id) FROM batchtask_event)
             ORDER BY event_id LIMIT $2)",
        &[&micros(before), &limit(count)],
    )
    .await
}

pub(super) async fn credential_insert(
    tx: &Transaction<'_>,
    credential: &CredentialNew,
    now: Timestamp,
) -> Result<i64, StoreError> {
    execute(
        tx,
        "DELETE FROM credential WHERE expires < $1",
        &[&micros(now)],
    )
    .await?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO credential (kind, secret_hash, associate_id, extra, created, expires)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING credential_id",
        )
        .await?;
    let inserted = tx
        .query_one(
            &statement,
            &[
                &credential.kind.as_str(),
                &credential.secret_hash,
                &credential.associate.0,
                &credential.extra,
                &micros(now),
                &credential.expires.map(micros),
            ],
        )
        .await;
    match inserted {
        Ok(row) => column(&row, 0, "credential_id"),
        Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Err(StoreError::Conflict("that credential exists".into()))
        }
        Err(error) if error.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => Err(
            StoreError::Conflict(format!("there is no associate {}", credential.associate)),
        ),
        Err(error) => Err(error.into()),
    }
}

pub(super) async fn credential_find(
    tx: &Transaction<'_>,
    kind: CredentialKind,
    secret_hash: &str,
    now: Timestamp,
) -> Result<Option<Credential>, StoreError> {
    let Some(row) = query_opt(
        tx,
        "SELECT c.credential_id, c.kind, c.extra, c.created, c.expires,
                a.associate_id, a.name, a.role, a.password_hash
         FROM credential c JOIN associate a ON a.associate_id = c.associate_id
         WHERE c.secret_hash = $1 AND c.kind = $2 AND (c.expires IS NULL OR c.expires >= $3)",
        &[&secret_hash, &kind.as_str(), &micros(now)],
    )
    .await?
    else {
        return Ok(None);
    };
    CredentialRow {
        id: column(&row, 0, "credential_id")?,
        kind: column(&row, 1, "kind")?,
        extra: column(&row, 2, "extra")?,
        created: column(&row, 3, "created")?,
        expires: column(&row, 4, "expires")?,
        associate_id: column::<i32>(&row, 5, "associate_id")?.into(),
        name: column(&row, 6, "name")?,
        role: column(&row, 7, "role")?,
        password_hash: column(&row, 8, "password_hash")?,
    }
    .into_credential()
    .map(Some)
}

pub(super) async fn credential_delete(
    tx: &Transaction<'_>,
    kind: CredentialKind,
    secret_hash: &str,
) -> Result<bool, StoreError> {
    Ok(execute(
        tx,
        "DELETE FROM credential WHERE secret_hash = $1 AND kind = $2",
        &[&secret_hash, &kind.as_str()],
    )
    .await?
        > 0)
}

pub(super) async fn credential_delete_by_id(
    tx: &Transaction<'_>,
    kind: CredentialKind,
    id: i64,
) -> Result<bool, StoreError> {
    Ok(execute(
        tx,
        "DELETE FROM credential WHERE credential_id = $1 AND kind = $2",
        &[&id, &kind.as_str()],
    )
    .await?
        > 0)
}

pub(super) async fn application_insert(
    tx: &Transaction<'_>,
    name: &str,
    secret_hash: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO application (name, secret_hash, registered) VALUES ($1, $2, $3)
             RETURNING application_id",
        )
        .await?;
    match tx
        .query_one(&statement, &[&name, &secret_hash, &micros(now)])
        .await
    {
        Ok(row) => Ok(i64::from(column::<i32>(&row, 0, "application_id")?)),
        Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(
            StoreError::Conflict(format!("an application named {name:?} exists")),
        ),
        Err(error) => Err(error.into()),
    }
}

pub(super) async fn application_find(
    tx: &Transaction<'_>,
    secret_hash: &str,
) -> Result<Option<Application>, StoreError> {
    let Some(row) = query_opt(
        tx,
        "SELECT application_id, name FROM application WHERE secret_hash = $1",
        &[&secret_hash],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Application {
        id: i64::from(column::<i32>(&row, 0, "application_id")?),
        name: column(&row, 1, "name")?,
    }))
}

pub(super) async fn application_delete(
    tx: &Transaction<'_>,
    name: &str,
) -> Result<bool, StoreError> {
    Ok(execute(
        tx,
        "DELETE FROM application WHERE lower(name) = lower($1)",
        &[&name],
    )
    .await?
        > 0)
}
