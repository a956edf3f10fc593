//! SQL for the event log (read and pruned here; the triggers of migration 3 write it) and for
//! stored credentials.

use rusqlite::{Connection, OptionalExtension, params};
use sobatch_core::{TaskId, Timestamp};

use super::codec::{column, micros};
use crate::credential::{CredentialKind, CredentialNew, CredentialRow};
use crate::event::{EventPosition, EventRow, TaskEvent};
use crate::{Application, Credential, StoreError};

const EVENT_COLUMNS: &str = "e.event_id, e.BatchTask_id, e.at, e.kind, e.state, e.progressPercent,
    e.progressDescription, e.description, d.name, e.associate_id, e.by_associate_id, a.name
    FROM batchtask_event e
    LEFT JOIN batchtaskdefinition d ON d.BatchTaskDefinition_id = e.BatchTaskDefinition_id
    LEFT JOIN application a ON a.application_id = e.application_id";

fn event(row: &rusqlite::Row<'_>) -> Result<TaskEvent, StoreError> {
    EventRow {
        xact: 0,
        id: column(row, 0, "event_id")?,
        task: column(row, 1, "BatchTask_id")?,
        at: column(row, 2, "at")?,
        kind: column(row, 3, "kind")?,
        state: column(row, 4, "state")?,
        progress_percent: column(row, 5, "progressPercent")?,
        progress_description: column(row, 6, "progressDescription")?,
        description: column(row, 7, "description")?,
        name: column(row, 8, "name")?,
        owner: column(row, 9, "associate_id")?,
        by: column(row, 10, "by_associate_id")?,
        application: column(row, 11, "application")?,
    }
    .into_event()
}

fn events(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<TaskEvent>, StoreError> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut found = Vec::new();
    while let Some(row) = rows.next()? {
        found.push(event(row)?);
    }
    Ok(found)
}

pub(super) fn event_head(conn: &Connection) -> Result<EventPosition, StoreError> {
    let id: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(event_id), 0) FROM batchtask_event")?
        .query_row([], |row| row.get(0))?;
    Ok(EventPosition { xact: 0, id })
}

pub(super) fn event_list_after(
    conn: &Connection,
    after: EventPosition,
    limit: usize,
) -> Result<Vec<TaskEvent>, StoreError> {
    events(
        conn,
        &format!("SELECT {EVENT_COLUMNS} WHERE e.event_id > ?1 ORDER BY e.event_id LIMIT ?2"),
        params![after.id, i64::try_from(limit).unwrap_or(i64::MAX)],
    )
}

pub(super) fn event_list_for_task(
    conn: &Connection,
    task: TaskId,
    limit: usize,
) -> Result<Vec<TaskEvent>, StoreError> {
    let mut found = events(
        conn,
        &format!(
            "SELECT {EVENT_COLUMNS} WHERE e.BatchTask_id = ?1 ORDER BY e.event_id DESC LIMIT ?2"
        ),
        params![task.0, i64::try_from(limit).unwrap_or(i64::MAX)],
    )?;
    found.reverse();
    Ok(found)
}

/// Events are appended in time order, so the oldest are the lowest ids: find where the kept ones
/// begin, then delete below it. Both steps touch only what goes. The newest event always stays,
/// since new ids count on from the largest one left.
pub(super) fn event_prune(
    conn: &Connection,
    before: Timestamp,
    limit: usize,
) -> Result<u64, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let last: Option<i64> = conn
        .prepare_cached(
            "SELECT MAX(event_id) FROM (SELECT event_id, at FROM batchtask_event
             ORDER BY event_id LIMIT ?2) WHERE at < ?1
             AND event_id < (SELECT MAX(event_id) FROM batchtask_event)",
        )?
        .query_row(params![micros(before), limit], |row| row.get(0))?;
    let Some(last) = last else { return Ok(0) };
    let deleted = conn
        .prepare_cached("DELETE FROM batchtask_event WHERE event_id <= ?1 AND at < ?2")?
        .execute(params![last, micros(before)])?;
    Ok(deleted as u64)
}

pub(super) fn credential_insert(
    conn: &Connection,
    credential: &CredentialNew,
    now: Timestamp,
) -> Result<i64, StoreError> {
    conn.prepare_cached("DELETE FROM credential WHERE expires < ?1")?
        .execute([micros(now)])?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO credential (kind, secret_hash, associate_id, extra, created, expires)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            credential.kind.as_str(),
            credential.secret_hash,
            credential.associate.0,
            credential.extra,
            micros(now),
            credential.expires.map(micros)
        ]);
    match inserted {
        Ok(_) => Ok(conn.last_insert_rowid()),
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            Err(StoreError::Conflict("that credential exists".into()))
        }
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
        {
            Err(StoreError::Conflict(format!(
                "there is no associate {}",
                credential.associate
            )))
        }
        Err(error) => Err(error.into()),
    }
}

pub(super) fn credential_find(
    conn: &Connection,
    kind: CredentialKind,
    secret_hash: &str,
    now: Timestamp,
) -> Result<Option<Credential>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT c.credential_id, c.kind, c.extra, c.created, c.expires,
                    a.associate_id, a.name, a.role, a.password_hash
             FROM credential c JOIN associate a ON a.associate_id = c.associate_id
             WHERE c.secret_hash = ?1 AND c.kind = ?2 AND (c.expires IS NULL OR c.expires >= ?3)",
        )?
        .query_row(params![secret_hash, kind.as_str(), micros(now)], |row| {
            Ok(CredentialRow {
                id: row.get(0)?,
                kind: row.get(1)?,
                extra: row.get(2)?,
                created: row.get(3)?,
                expires: row.get(4)?,
                associate_id: row.get(5)?,
                name: row.get(6)?,
                role: row.get(7)?,
                password_hash: row.get(8)?,
            })
        })
        .optional()?;
    row.map(CredentialRow::into_credential).transpose()
}

pub(super) fn credential_delete(
    conn: &Connection,
    kind: CredentialKind,
    secret_hash: &str,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM credential WHERE secret_hash = ?1 AND kind = ?2")?
        .execute(params![secret_hash, kind.as_str()])?
        > 0)
}

pub(super) fn credential_delete_by_id(
    conn: &Connection,
    kind: CredentialKind,
    id: i64,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM credential WHERE credential_id = ?1 AND kind = ?2")?
        .execute(params![id, kind.as_str()])?
        > 0)
}

pub(super) fn application_insert(
    conn: &Connection,
    name: &str,
    secret_hash: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO application (name, secret_hash, registered) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![name, secret_hash, micros(now)]);
    match inserted {
        Ok(_) => Ok(conn.last_insert_rowid()),
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            Err(StoreError::Conflict(format!(
                "an application named {name:?} exists"
            )))
        }
        Err(error) => Err(error.into()),
    }
}

pub(super) fn application_find(
    conn: &Connection,
    secret_hash: &str,
) -> Result<Option<Application>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT application_id, name FROM application WHERE secret_hash = ?1")?
        .query_row([secret_hash], |row| {
            Ok(Application {
                id: row.get(0)?,
                name: row.get(1)?,
            })
        })
        .optional()?)
}

pub(super) fn application_delete(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM application WHERE name = ?1")?
        .execute([name])?
        > 0)
}
