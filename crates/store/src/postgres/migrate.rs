//! Schema migrations for PostgreSQL and the database serial they leave behind.
//!
//! Migrations are numbered SQL files embedded in the binary; `schema_migration` records which have
//! been applied. All pending ones and the serial are applied in one transaction that first takes a
//! transaction-scoped advisory lock, so several nodes starting at once against an empty database
//! apply them exactly once: the others wait, then find nothing left to do.

use tokio_postgres::Client;

use crate::StoreError;

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`. Append only: a released file never changes.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_events_credentials.sql"),
];

/// The advisory lock key migrations serialise on ("sobatch" in ASCII, as a number).
const MIGRATION_LOCK: i64 = 0x0073_6f62_6174_6368;

fn failed(what: &str, error: tokio_postgres::Error) -> StoreError {
    StoreError::Migration(format!("{what}: {error}"))
}

/// Brings the schema up to date and returns the database serial, creating it on first use.
pub(super) async fn migrate(client: &mut Client) -> Result<String, StoreError> {
    let tx = client.transaction().await.map_err(|e| failed("begin", e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| failed("take the migration lock", e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migration (
             version integer PRIMARY KEY,
             applied timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(|e| failed("create the migration table", e))?;
    let current: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migration",
            &[],
        )
        .await
        .map_err(|e| failed("read the schema version", e))?
        .get(0);
    let latest = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
    if current > latest {
        return Err(StoreError::Migration(format!(
            "the database has schema version {current}, newer than this build's {latest}"
        )));
    }
    for (version, sql) in (1..)
        .zip(MIGRATIONS.iter())
        .skip_while(|(v, _)| *v <= current)
    {
        tx.batch_execute(sql)
            .await
            .map_err(|e| failed(&format!("apply migration {version:04}"), e))?;
        tx.execute(
            "INSERT INTO schema_migration (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(|e| failed("record the schema version", e))?;
    }
    let serial: Option<String> = tx
        .query_opt("SELECT databaseSerial FROM meta WHERE meta_id = 1", &[])
        .await
        .map_err(|e| failed("read the database serial", e))?
        .map(|row| row.get(0));
    let serial = match serial {
        Some(serial) => serial,
        None => {
            let serial = new_serial()?;
            tx.execute(
                "INSERT INTO meta (meta_id, databaseSerial) VALUES (1, $1)",
                &[&serial],
            )
            .await
            .map_err(|e| failed("store the database serial", e))?;
            serial
        }
    };
    tx.commit().await.map_err(|e| failed("commit", e))?;
    Ok(serial)
}

/// A random 10-digit serial (no leading zero), SuperOffice's shape for `dbTag`.
fn new_serial() -> Result<String, StoreError> {
    let random = getrandom::u64()
        .map_err(|e| StoreError::Migration(format!("generate the database serial: {e}")))?;
    Ok((1_000_000_000 + random % 9_000_000_000).to_string())
}
