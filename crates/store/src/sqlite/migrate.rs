//! Schema migrations for SQLite and the database serial they leave behind.
//!
//! Migrations are numbered SQL files embedded in the binary; `PRAGMA user_version` records how many
//! have been applied. All pending ones and the serial are applied in one transaction, so a database
//! is never left half-migrated, and two processes opening it at once serialise on the write lock.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::StoreError;

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`. Append only: a released file never changes.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_restart_backoff.sql"),
    include_str!("../../migrations/sqlite/0003_events_credentials.sql"),
];

/// The schema version this binary writes.
pub(super) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to date and returns the database serial, creating it on first use.
pub(super) fn migrate(conn: &mut Connection) -> Result<String, StoreError> {
    let failed = |what: &str, e: rusqlite::Error| StoreError::Migration(format!("{what}: {e}"));
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| failed("begin", e))?;
    let current: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| failed("read the schema version", e))?;
    if current < 0 {
        return Err(StoreError::Migration(format!(
            "the database has schema version {current}, which sobatch never writes"
        )));
    }
    if current > LATEST {
        return Err(StoreError::Migration(format!(
            "the database has schema version {current}, newer than the {LATEST} this sobatch knows; \
             use a newer sobatch"
        )));
    }
    for (version, sql) in (1..)
        .zip(MIGRATIONS)
        .skip_while(|(version, _)| *version <= current)
    {
        tx.execute_batch(sql)
            .map_err(|e| failed(&format!("apply migration {version:04}"), e))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(|e| failed("record the schema version", e))?;
    }
    let serial: Option<String> = tx
        .query_row(
            "SELECT databaseSerial FROM meta WHERE meta_id = 1",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| failed("read the database serial", e))?;
    let serial = match serial {
        Some(serial) => serial,
        None => {
            let serial = new_serial()?;
            tx.execute(
                "INSERT INTO meta (meta_id, databaseSerial) VALUES (1, ?1)",
                [&serial],
            )
            .map_err(|e| failed("store the database serial", e))?;
            serial
        }
    };
    tx.commit().map_err(|e| failed("commit", e))?;
    Ok(serial)
}

/// A random 10-digit serial (no leading zero), SuperOffice's shape for `dbTag`.
fn new_serial() -> Result<String, StoreError> {
    let random = getrandom::u64()
        .map_err(|e| StoreError::Migration(format!("generate the database serial: {e}")))?;
    Ok((1_000_000_000 + random % 9_000_000_000).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_has_ten_digits_and_no_leading_zero() {
        for _ in 0..100 {
            let serial = new_serial().unwrap();
            assert_eq!(serial.len(), 10);
            assert!(serial.bytes().all(|b| b.is_ascii_digit()));
            assert_ne!(serial.as_bytes()[0], b'0');
        }
    }
}
