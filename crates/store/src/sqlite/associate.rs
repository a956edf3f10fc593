//! SQL for the `associate` table: the users that may call the API and their roles.

use rusqlite::{Connection, OptionalExtension, params};
use sobatch_core::{Associate, AssociateId, Role, Timestamp};

use super::codec::{column, corrupt, micros, narrow};
use crate::StoreError;

pub(super) fn insert(
    conn: &Connection,
    name: &str,
    role: Role,
    password_hash: &str,
    now: Timestamp,
) -> Result<AssociateId, StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO associate (name, role, password_hash, registered) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![name, role.as_str(), password_hash, micros(now)]);
    match inserted {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            return Err(StoreError::Conflict(format!(
                "an associate named {name:?} exists"
            )));
        }
        Err(error) => return Err(error.into()),
    }
    let id = narrow(conn.last_insert_rowid(), "associate_id").map_err(|_| {
        StoreError::Database("associate ids have run out of the int32 range".into())
    })?;
    Ok(AssociateId(id))
}

pub(super) fn get_by_name(conn: &Connection, name: &str) -> Result<Option<Associate>, StoreError> {
    get_where(
        conn,
        "name = ?1",
        rusqlite::types::Value::Text(name.to_string()),
    )
}

pub(super) fn get_by_id(
    conn: &Connection,
    id: AssociateId,
) -> Result<Option<Associate>, StoreError> {
    get_where(
        conn,
        "associate_id = ?1",
        rusqlite::types::Value::Integer(id.0.into()),
    )
}

fn get_where(
    conn: &Connection,
    condition: &str,
    value: rusqlite::types::Value,
) -> Result<Option<Associate>, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT associate_id, name, role, password_hash FROM associate WHERE {condition}"
        ))?
        .query_row([value], |row| {
            Ok((
                column::<i64>(row, 0, "associate_id"),
                column::<String>(row, 1, "name"),
                column::<String>(row, 2, "role"),
                column::<String>(row, 3, "password_hash"),
            ))
        })
        .optional()?;
    let Some((id, name, role, password_hash)) = row else {
        return Ok(None);
    };
    let (id, name, role, password_hash) = (id?, name?, role?, password_hash?);
    let role = Role::parse(&role)
        .ok_or_else(|| corrupt(format!("associate {id} has the unknown role {role:?}")))?;
    Ok(Some(Associate {
        id: AssociateId(narrow(id, "associate_id")?),
        name,
        role,
        password_hash,
    }))
}

pub(super) fn count(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM associate")?
        .query_row([], |row| row.get(0))?)
}
