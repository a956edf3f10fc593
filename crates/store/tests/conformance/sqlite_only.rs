//! Tests of what only the SQLite backend has: its file, its migrations, the rows it writes (checked
//! over a second, raw connection), and how it survives rows that were damaged behind its back.

use std::sync::Arc;

use rusqlite::Connection;
use sobatch_core::{TaskId, TaskState};
use sobatch_store::{SqliteStore, Store, StoreError};

use super::backend::temp_database;
use super::{at, insert, parameters, start};

fn raw(path: &std::path::Path) -> Connection {
    Connection::open(path).unwrap()
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn migrating_an_empty_file_creates_the_schema_and_reopening_keeps_the_serial() {
    let (_dir, path) = temp_database();
    let serial = {
        let store = SqliteStore::open(&path).unwrap();
        store.database_serial().to_string()
    };
    let conn = raw(&path);
    assert_eq!(count(&conn, "PRAGMA user_version"), 3);
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    for table in [
        "meta",
        "associate",
        "batchtask",
        "batchtaskdefinition",
        "binaryobject",
        "binaryobjectlink",
        "batchtask_event",
        "credential",
        "application",
    ] {
        let found = count(
            &conn,
            &format!(
                "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = '{table}'"
            ),
        );
        assert_eq!(found, 1, "table {table}");
    }
    drop(conn);

    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.database_serial(), serial);
    drop(reopened);
    assert_eq!(count(&raw(&path), "SELECT COUNT(*) FROM meta"), 1);
}

#[test]
fn a_database_newer_than_this_binary_is_refused() {
    let (_dir, path) = temp_database();
    drop(SqliteStore::open(&path).unwrap());
    raw(&path).pragma_update(None, "user_version", 99).unwrap();
    let opened = SqliteStore::open(&path);
    assert!(
        matches!(opened, Err(StoreError::Migration(_))),
        "{opened:?}"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
    let (_dir, path) = temp_database();
    std::fs::write(
        &path,
        b"this is not a SQLite database, not even close to one....",
    )
    .unwrap();
    assert!(SqliteStore::open(&path).is_err());
}

#[tokio::test]
async fn parameters_are_stored_as_a_json_blob_linked_to_the_task() {
    let (_dir, path) = temp_database();
    let store = SqliteStore::open(&path).unwrap();
    let mut task = start("Echo", 7);
    task.parameters = Some(parameters(&[("b", "2"), ("a", "1")]));
    let id = store.task_insert(task, at(3)).await.unwrap();

    let conn = raw(&path);
    let (definition, details_table, details_record, db_tag, registered, state): (
        i64,
        i64,
        i64,
        String,
        i64,
        i64,
    ) = conn
        .query_row(
            "SELECT BatchTaskDefinition_id, detailsTable, detailsRecord, dbTag, registered, state
             FROM batchtask WHERE BatchTask_id = ?1",
            [id.0],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(details_table, 205);
    assert_eq!(db_tag, store.database_serial());
    assert_eq!(registered, at(3).timestamp_micros());
    assert_eq!(state, 1);
    let name: String = conn
        .query_row(
            "SELECT name FROM batchtaskdefinition WHERE BatchTaskDefinition_id = ?1",
            [definition],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(name, "Echo");

    let (conceptual, mime, original, stored, zipped, encrypted, data): (
        String,
        String,
        i64,
        i64,
        i64,
        i64,
        Vec<u8>,
    ) = conn
        .query_row(
            "SELECT conceptualType, mimeType, originalSize, blobSize, isZipped, isEncrypted,
                    binaryData
             FROM binaryobject WHERE BinaryObject_id = ?1",
            [details_record],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(conceptual, "BatchTaskParameters");
    assert_eq!(mime, "application/json");
    assert_eq!(data, br#"{"b":"2","a":"1"}"#);
    assert_eq!((original, stored), (17, 17));
    assert_eq!((zipped, encrypted), (0, 0));

    let (owner_table, owner_record, link_type, rank): (i64, i64, i64, i64) = conn
        .query_row(
            "SELECT ownerTable, ownerRecord, linkType, rank FROM binaryobjectlink
             WHERE binaryObjectId = ?1",
            [details_record],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (owner_table, owner_record, link_type, rank),
        (243, i64::from(id.0), 6, 1)
    );
}

#[tokio::test]
async fn delete_removes_the_parameter_blob_and_its_links() {
    let (_dir, path) = temp_database();
    let store = SqliteStore::open(&path).unwrap();
    let mut gone = start("Echo", 1);
    gone.parameters = Some(parameters(&[("x", "1")]));
    let gone = store.task_insert(gone, at(0)).await.unwrap();
    let mut kept = start("Echo", 1);
    kept.parameters = Some(parameters(&[("y", "2")]));
    let kept = store.task_insert(kept, at(0)).await.unwrap();

    assert_eq!(store.task_delete(&[gone]).await.unwrap(), 1);
    let conn = raw(&path);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM binaryobject"), 1);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM binaryobjectlink"), 1);
    assert_eq!(
        count(&conn, "SELECT ownerRecord FROM binaryobjectlink"),
        i64::from(kept.0)
    );
    assert_eq!(
        store.task_get(kept).await.unwrap().unwrap().parameters,
        Some(parameters(&[("y", "2")]))
    );
}

#[tokio::test]
async fn a_corrupt_row_reads_as_corrupt_instead_of_panicking() {
    let damages = [
        "UPDATE batchtask SET state = 42 WHERE BatchTask_id = ?1",
        "UPDATE batchtask SET cancellationBehaviour = 9 WHERE BatchTask_id = ?1",
        "UPDATE batchtask SET registered = 'yesterday' WHERE BatchTask_id = ?1",
        "UPDATE batchtask SET lastStarted = 9223372036854775807 WHERE BatchTask_id = ?1",
        "UPDATE batchtask SET progressPercent = 70000 WHERE BatchTask_id = ?1",
        "UPDATE binaryobject SET binaryData = x'7b2261223a317d' WHERE BinaryObject_id =
             (SELECT detailsRecord FROM batchtask WHERE BatchTask_id = ?1)",
        "UPDATE binaryobject SET isZipped = 1 WHERE BinaryObject_id =
             (SELECT detailsRecord FROM batchtask WHERE BatchTask_id = ?1)",
    ];
    for damage in damages {
        let (_dir, path) = temp_database();
        let store = SqliteStore::open(&path).unwrap();
        let mut task = start("Echo", 1);
        task.parameters = Some(parameters(&[("a", "1")]));
        let id = store.task_insert(task, at(0)).await.unwrap();
        raw(&path).execute(damage, [id.0]).unwrap();

        let got = store.task_get(id).await;
        assert!(
            matches!(got, Err(StoreError::Corrupt(_))),
            "{damage}: {got:?}"
        );
        let listed = store.task_list(&super::all_of(super::everyone())).await;
        assert!(
            matches!(listed, Err(StoreError::Corrupt(_))),
            "{damage}: {listed:?}"
        );
    }
}

#[tokio::test]
async fn a_stop_of_a_task_in_an_unknown_state_is_corrupt() {
    let (_dir, path) = temp_database();
    let store = SqliteStore::open(&path).unwrap();
    let id = insert(&store, "Echo", 1).await;
    raw(&path)
        .execute(
            "UPDATE batchtask SET state = 42 WHERE BatchTask_id = ?1",
            [id.0],
        )
        .unwrap();
    let stopped = store.task_stop(id, "x", at(1)).await;
    assert!(
        matches!(stopped, Err(StoreError::Corrupt(_))),
        "{stopped:?}"
    );
}

#[tokio::test]
async fn a_claim_fails_an_unreadable_task_and_claims_the_others() {
    let (_dir, path) = temp_database();
    let store = SqliteStore::open(&path).unwrap();
    let broken = insert(&store, "Echo", 1).await;
    let fine = insert(&store, "Echo", 1).await;
    raw(&path)
        .execute(
            "UPDATE batchtask SET cancellationBehaviour = 9 WHERE BatchTask_id = ?1",
            [broken.0],
        )
        .unwrap();
    let claimed = crate::claim(&store, &["Echo"], 10, at(1)).await;
    assert_eq!(
        claimed.iter().map(|(t, _)| t.id).collect::<Vec<_>>(),
        vec![fine]
    );
    let state: i64 = raw(&path)
        .query_row(
            "SELECT state FROM batchtask WHERE BatchTask_id = ?1",
            [broken.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(state, i64::from(TaskState::Failed.code()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_inserts_are_in_the_file_after_the_store_is_dropped() {
    let (_dir, path) = temp_database();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let mut handles = Vec::new();
    for writer in 0..20 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..25 {
                store
                    .task_insert(start("Echo", writer), at(0))
                    .await
                    .unwrap();
            }
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    drop(store);

    assert_eq!(count(&raw(&path), "SELECT COUNT(*) FROM batchtask"), 500);
    let reopened = SqliteStore::open(&path).unwrap();
    let task = reopened.task_get(TaskId(500)).await.unwrap().unwrap();
    assert_eq!(task.state, TaskState::New);
    assert!((0..20).contains(&task.associate_id.0));
}

#[test]
fn the_rescue_and_claim_queries_use_their_indexes() {
    let (_dir, path) = temp_database();
    drop(SqliteStore::open(&path).unwrap());
    let conn = raw(&path);
    let plan = |sql: &str| -> String {
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = statement
            .query_map([], |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows.join("\n")
    };
    let rescue = plan(
        "UPDATE batchtask SET state = 1 WHERE state IN (2, 3) AND lease_expires < 5 \
         RETURNING BatchTask_id",
    );
    assert!(rescue.contains("USING INDEX batchtask_state"), "{rescue}");
    let claim = plan(
        "SELECT BatchTask_id FROM batchtask WHERE BatchTaskDefinition_id = 1 AND state = 1 \
         ORDER BY BatchTask_id LIMIT 10",
    );
    assert!(claim.contains("batchtask_definition_state"), "{claim}");
    assert!(
        !claim.contains("TEMP B-TREE"),
        "the claim needs no sort: {claim}"
    );
}

#[tokio::test]
async fn a_version_1_database_is_upgraded_with_its_tasks_kept() {
    let (_dir, path) = temp_database();
    let id = {
        let store = SqliteStore::open(&path).unwrap();
        store
            .task_insert(
                sobatch_core::TaskStart::new("Kept", sobatch_core::AssociateId(1)),
                chrono::Utc::now(),
            )
            .await
            .unwrap()
    };
    // Turn the file back into what version 1 wrote.
    {
        let conn = raw(&path);
        conn.execute_batch(
            "DROP TRIGGER batchtask_event_insert; DROP TRIGGER batchtask_event_update;
             DROP TRIGGER batchtask_event_delete; DROP TABLE batchtask_event;
             DROP TABLE credential; DROP TABLE application;
             ALTER TABLE batchtask DROP COLUMN application_id;
             ALTER TABLE batchtask DROP COLUMN not_before; PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(count(&raw(&path), "PRAGMA user_version"), 3);
    let task = store.task_get(id).await.unwrap().unwrap();
    assert_eq!(task.name, "Kept");
    // The upgraded file records events from now on.
    store.task_delete(&[id]).await.unwrap();
    assert_eq!(store.event_list_for_task(id, 10).await.unwrap().len(), 1);
}
