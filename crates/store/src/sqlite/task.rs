//! SQL for tasks: `batchtask` with its definition, its parameter blob and link, the lease columns
//! that fence executors, and the decoding of a row back into a [`Task`].
//!
//! State codes and table numbers appear in the SQL as literals rather than bound values, so that the
//! planner sees them when it picks an index; a test checks them against `sobatch-core` and
//! [`crate::table`].

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use sobatch_core::{
    AssociateId, CancellationBehaviour, Definition, DefinitionId, Parameters, StateSelector,
    StopAction, Task, TaskId, TaskStart, TaskState, TaskUpdate, Timestamp,
};
use tracing::warn;

use super::codec::{
    column, corrupt, micros, narrow, parameters_from_json, parameters_to_json, timestamp,
};
use super::write::{CachedDefinition, WriterState};
use crate::{
    DefinitionConfig, Lease, LeaseCheck, RescuePolicy, Rescued, StopOutcome, StoreError,
    TaskClaimParams, TaskFilter, TaskFinish, TaskProgress, TaskPruneParams, table,
};

/// The task columns [`decode`] reads first, in its order, from `batchtask t` joined to
/// `batchtaskdefinition d`; the archive list selects them too.
macro_rules! task_columns {
    () => {
        "t.BatchTask_id, COALESCE(d.name, ''), t.registered_associate_id, t.detailsTable,
       t.detailsRecord, t.lastStarted, t.registered, t.updated, t.updatedCount, t.startCount,
       t.dbTag, t.context, t.result, t.state, t.description, t.response, t.request,
       t.progressDescription, t.progressPercent, t.FileName, t.cancellationBehaviour"
    };
}
pub(super) use task_columns;

/// A task with its definition's name and, when the task owns one, its parameter blob. The blob is
/// read only if a linkType-6 link from this very task vouches for it: a caller may point
/// DetailsTable/DetailsRecord at any blob, and that must not be taken for parameters.
macro_rules! task_select {
    () => {
        concat!(
            "SELECT ",
            task_columns!(),
            ",
       b.BinaryObject_id, b.binaryData, b.isZipped, b.isEncrypted
FROM batchtask t
LEFT JOIN batchtaskdefinition d ON d.BatchTaskDefinition_id = t.BatchTaskDefinition_id
LEFT JOIN binaryobject b ON t.detailsTable = 205 AND b.BinaryObject_id = t.detailsRecord
    AND EXISTS (SELECT 1 FROM binaryobjectlink l
                WHERE l.ownerTable = 243 AND l.ownerRecord = t.BatchTask_id AND l.linkType = 6
                  AND l.binaryObjectId = b.BinaryObject_id)"
        )
    };
}

pub(super) fn decode(row: &Row<'_>) -> Result<Task, StoreError> {
    let id: i64 = column(row, 0, "BatchTask_id")?;
    // Context is added only on failure, so that a good row costs no formatting.
    decode_columns(row, id).map_err(|error| match error {
        StoreError::Corrupt(reason) => corrupt(format!("batchtask {id}: {reason}")),
        other => other,
    })
}

fn decode_columns(row: &Row<'_>, id: i64) -> Result<Task, StoreError> {
    let optional_time = |index: usize, name: &str| -> Result<Option<Timestamp>, StoreError> {
        column::<Option<i64>>(row, index, name)?
            .map(|micros| timestamp(micros, name))
            .transpose()
    };
    // SuperOffice marks these nullable; NULL reads as SuperOffice's default, 0.
    let zero_if_null = |index: usize, name: &str| -> Result<i64, StoreError> {
        Ok(column::<Option<i64>>(row, index, name)?.unwrap_or(0))
    };
    let state_code: i64 = column(row, 13, "state")?;
    let state = TaskState::from_code(state_code)
        .ok_or_else(|| corrupt(format!("state {state_code} is not a task state")))?;
    let cancellation_code: i64 = column(row, 20, "cancellationBehaviour")?;
    let cancellation = CancellationBehaviour::from_code(cancellation_code).ok_or_else(|| {
        corrupt(format!(
            "cancellationBehaviour {cancellation_code} is not a cancellation behaviour"
        ))
    })?;
    let parameters = match column::<Option<i64>>(row, 21, "BinaryObject_id")? {
        None => None,
        Some(blob_id) => {
            let zipped: i64 = column(row, 23, "isZipped")?;
            let encrypted: i64 = column(row, 24, "isEncrypted")?;
            if zipped != 0 || encrypted != 0 {
                return Err(corrupt(format!(
                    "parameter blob {blob_id} is zipped or encrypted"
                )));
            }
            let data: Option<Vec<u8>> = column(row, 22, "binaryData")?;
            let data = data.ok_or_else(|| corrupt(format!("parameter blob {blob_id} is empty")))?;
            Some(parameters_from_json(&data)?)
        }
    };
    let database_serial: String = column(row, 10, "dbTag")?;
    Ok(Task {
        id: TaskId(narrow(id, "BatchTask_id")?),
        name: column(row, 1, "definition name")?,
        associate_id: AssociateId(narrow(
            column(row, 2, "registered_associate_id")?,
            "registered_associate_id",
        )?),
        details_table: narrow(zero_if_null(3, "detailsTable")?, "detailsTable")?,
        details_record: narrow(zero_if_null(4, "detailsRecord")?, "detailsRecord")?,
        parameters,
        last_started: optional_time(5, "lastStarted")?,
        created: timestamp(column(row, 6, "registered")?, "registered")?,
        updated: optional_time(7, "updated")?,
        updated_count: narrow(column(row, 8, "updatedCount")?, "updatedCount")?,
        start_count: narrow(zero_if_null(9, "startCount")?, "startCount")?,
        database_serial: Some(database_serial).filter(|s| !s.is_empty()),
        context: column(row, 11, "context")?,
        result: column(row, 12, "result")?,
        state,
        description: column(row, 14, "description")?,
        response: column(row, 15, "response")?,
        request: column(row, 16, "request")?,
        progress_description: column(row, 17, "progressDescription")?,
        progress_percent: narrow(zero_if_null(18, "progressPercent")?, "progressPercent")?,
        file_name: column(row, 19, "FileName")?,
        cancellation,
        // Internal tasks are never stored.
        internal: false,
    })
}

/// Reads one task on whichever connection the caller holds (a reader, or the writer inside its
/// transaction to return what it just wrote).
pub(super) fn get(conn: &Connection, id: TaskId) -> Result<Option<Task>, StoreError> {
    let mut statement =
        conn.prepare_cached(concat!(task_select!(), " WHERE t.BatchTask_id = ?1"))?;
    let mut rows = statement.query([id.0])?;
    match rows.next()? {
        Some(row) => Ok(Some(decode(row)?)),
        None => Ok(None),
    }
}

pub(super) fn list(conn: &Connection, filter: &TaskFilter) -> Result<Vec<Task>, StoreError> {
    // The query is assembled from fixed fragments so that each filter can use its index; every
    // value is bound.
    let mut values: Vec<Value> = Vec::new();
    let mut conditions: Vec<String> = Vec::new();

    let owners = &filter.owners;
    // Both halves together are every owner, and then no condition lets the planner pick freely.
    if !(owners.system && owners.all_users) {
        let mut alternatives: Vec<&str> = Vec::new();
        if owners.system {
            alternatives.push("t.registered_associate_id = 0");
        }
        if owners.all_users {
            alternatives.push("t.registered_associate_id <> 0");
        }
        if !owners.users.is_empty() {
            alternatives.push("t.registered_associate_id IN (SELECT value FROM json_each(?))");
            let ids: Vec<i32> = owners.users.iter().map(|a| a.0).collect();
            let json = serde_json::to_string(&ids)
                .map_err(|e| StoreError::Database(format!("encode associate ids: {e}")))?;
            values.push(Value::Text(json));
        }
        if alternatives.is_empty() {
            return Ok(Vec::new());
        }
        conditions.push(format!("({})", alternatives.join(" OR ")));
    }
    if let StateSelector::Only(state) = filter.state {
        conditions.push("t.state = ?".into());
        values.push(Value::Integer(state.code().into()));
    }
    if let Some(name) = &filter.name {
        conditions.push(
            "t.BatchTaskDefinition_id = \
             (SELECT BatchTaskDefinition_id FROM batchtaskdefinition WHERE name = ?)"
                .into(),
        );
        values.push(Value::Text(name.clone()));
    }
    let mut sql = String::from(task_select!());
    for (index, condition) in conditions.iter().enumerate() {
        sql.push_str(if index == 0 { " WHERE " } else { " AND " });
        sql.push_str(condition);
    }
    sql.push_str(" ORDER BY t.BatchTask_id");

    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(values.iter()))?;
    let mut tasks = Vec::new();
    while let Some(row) = rows.next()? {
        tasks.push(decode(row)?);
    }
    Ok(tasks)
}

pub(super) fn count_by_state(conn: &Connection) -> Result<Vec<(TaskState, i64)>, StoreError> {
    let mut statement =
        conn.prepare_cached("SELECT state, count(*) FROM batchtask GROUP BY state ORDER BY state")?;
    let mut rows = statement.query([])?;
    let mut counts = Vec::new();
    while let Some(row) = rows.next()? {
        let code: i64 = column(row, 0, "state")?;
        let state = TaskState::from_code(code)
            .ok_or_else(|| corrupt(format!("state {code} is not a task state")))?;
        counts.push((state, column(row, 1, "count")?));
    }
    Ok(counts)
}

pub(super) fn definition_list(conn: &Connection) -> Result<Vec<Definition>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT BatchTaskDefinition_id, name, description, cancellationBehaviour
         FROM batchtaskdefinition ORDER BY name",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    let mut definitions = Vec::new();
    for row in rows {
        let (id, name, description, code) = row?;
        definitions.push(Definition {
            id: DefinitionId(narrow(id, "BatchTaskDefinition_id")?),
            name,
            description,
            cancellation: CancellationBehaviour::from_code(code).ok_or_else(|| {
                corrupt(format!(
                    "batchtaskdefinition {id}: cancellationBehaviour {code} is not a cancellation \
                     behaviour"
                ))
            })?,
        });
    }
    Ok(definitions)
}

/// Finds a definition by name (case-insensitively), creating it when `create` says so.
fn definition(
    w: &mut WriterState,
    name: &str,
    create: Option<(AssociateId, Timestamp)>,
) -> Result<Option<CachedDefinition>, StoreError> {
    if let Some(definition) = w.cached_definition(name) {
        return Ok(Some(definition));
    }
    let conn = w.conn();
    let found = conn
        .prepare_cached(
            "SELECT BatchTaskDefinition_id, cancellationBehaviour \
             FROM batchtaskdefinition WHERE name = ?1",
        )?
        .query_row([name], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
        })
        .optional()?;
    let definition = match (found, create) {
        (Some((id, code)), _) => CachedDefinition {
            id: narrow(id, "BatchTaskDefinition_id")?,
            cancellation: CancellationBehaviour::from_code(code).ok_or_else(|| {
                corrupt(format!(
                    "batchtaskdefinition {id}: cancellationBehaviour {code} is not a cancellation \
                     behaviour"
                ))
            })?,
        },
        (None, Some((owner, now))) => {
            // A name nothing has configured yet restarts without limit: until someone says
            // otherwise, a task survives the crash of the node that ran it.
            conn.prepare_cached(
                "INSERT INTO batchtaskdefinition \
                 (name, registered, registered_associate_id, autoRestartCount) \
                 VALUES (?1, ?2, ?3, -1)",
            )?
            .execute(params![name, micros(now), owner.0])?;
            CachedDefinition {
                id: narrow(conn.last_insert_rowid(), "BatchTaskDefinition_id")?,
                cancellation: CancellationBehaviour::default(),
            }
        }
        (None, None) => return Ok(None),
    };
    w.cache_definition(name, definition);
    Ok(Some(definition))
}

pub(super) fn insert(
    w: &mut WriterState,
    start: TaskStart,
    state: TaskState,
    now: Timestamp,
) -> Result<TaskId, StoreError> {
    let Some(definition) = definition(w, &start.name, Some((start.owner, now)))? else {
        return Err(StoreError::Database(
            "a definition was neither found nor created".into(),
        ));
    };
    let conn = w.conn();
    let blob = match &start.parameters {
        Some(parameters) => Some(insert_parameter_blob(conn, parameters, start.owner, now)?),
        None => None,
    };
    let (details_table, details_record) = match blob {
        Some(blob_id) => (i64::from(table::BINARY_OBJECT), blob_id),
        None => (
            i64::from(start.details_table),
            i64::from(start.details_record),
        ),
    };
    let cancellation = start.cancellation.unwrap_or(definition.cancellation);
    conn.prepare_cached(
        "INSERT INTO batchtask (BatchTaskDefinition_id, description, dbTag, state, detailsTable,
             detailsRecord, request, response, startCount, progressPercent, registered,
             registered_associate_id, updatedCount, FileName, context, cancellationBehaviour,
             application_id)
         VALUES (?1, ?2, ?3, ?13, ?4, ?5, ?6, ?7, 0, 0, ?8, ?9, 0, ?10, ?11, ?12, ?14)",
    )?
    .execute(params![
        definition.id,
        start.description,
        w.serial(),
        details_table,
        details_record,
        start.request,
        start.response,
        micros(now),
        start.owner.0,
        start.file_name,
        start.context,
        cancellation.code(),
        state.code(),
        start.application,
    ])?;
    let id =
        TaskId(i32::try_from(conn.last_insert_rowid()).map_err(|_| {
            StoreError::Database("task ids have run out of the int32 range".into())
        })?);
    if let Some(blob_id) = blob {
        conn.prepare_cached(
            "INSERT INTO binaryobjectlink (binaryObjectId, ownerTable, ownerRecord, linkType, rank,
                 registered, registered_associate_id)
             VALUES (?1, 243, ?2, 6, 1, ?3, ?4)",
        )?
        .execute(params![blob_id, id.0, micros(now), start.owner.0])?;
    }
    Ok(id)
}

fn insert_parameter_blob(
    conn: &Connection,
    parameters: &Parameters,
    owner: AssociateId,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let json = parameters_to_json(parameters)?;
    let size = i64::try_from(json.len())
        .map_err(|_| StoreError::Database("the parameters are too large".into()))?;
    conn.prepare_cached(
        "INSERT INTO binaryobject (conceptualType, mimeType, originalSize, blobSize, isZipped,
             isEncrypted, binaryData, registered, registered_associate_id)
         VALUES ('BatchTaskParameters', 'application/json', ?1, ?1, 0, 0, ?2, ?3, ?4)",
    )?
    .execute(params![size, json, micros(now), owner.0])?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn update(
    conn: &Connection,
    id: TaskId,
    update: &TaskUpdate,
    by: AssociateId,
    now: Timestamp,
) -> Result<Option<Task>, StoreError> {
    // `Some(value)` of a non-nullable member is never NULL, so COALESCE keeps the column exactly
    // when the member is absent; the nullable ones need an explicit flag.
    let changed = conn
        .prepare_cached(
            "UPDATE batchtask SET
                 description = COALESCE(?2, description),
                 state = COALESCE(?3, state),
                 response = CASE WHEN ?4 THEN ?5 ELSE response END,
                 request = CASE WHEN ?6 THEN ?7 ELSE request END,
                 updated = ?8, updated_associate_id = ?9, updatedCount = updatedCount + 1
             WHERE BatchTask_id = ?1",
        )?
        .execute(params![
            id.0,
            update.description,
            update.state.map(TaskState::code),
            update.response.is_some(),
            update.response.clone().flatten(),
            update.request.is_some(),
            update.request.clone().flatten(),
            micros(now),
            by.0,
        ])?;
    if changed == 0 {
        return Ok(None);
    }
    get(conn, id)
}

pub(super) fn stop(
    conn: &Connection,
    id: TaskId,
    result: &str,
    now: Timestamp,
) -> Result<StopOutcome, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT state, cancellationBehaviour, lease_owner FROM batchtask \
             WHERE BatchTask_id = ?1",
        )?
        .query_row([id.0], |row| {
            Ok((
                column::<i64>(row, 0, "state"),
                column::<i64>(row, 1, "cancellationBehaviour"),
                column::<Option<String>>(row, 2, "lease_owner"),
            ))
        })
        .optional()?;
    let Some((state, cancellation, lease_owner)) = row else {
        return Ok(StopOutcome::NotFound);
    };
    let (state, cancellation, lease_owner) = (state?, cancellation?, lease_owner?);
    let state = TaskState::from_code(state)
        .ok_or_else(|| corrupt(format!("batchtask {id}: state {state} is not a task state")))?;
    let cancellation = CancellationBehaviour::from_code(cancellation).ok_or_else(|| {
        corrupt(format!(
            "batchtask {id}: cancellationBehaviour {cancellation} is not a cancellation behaviour"
        ))
    })?;
    match StopAction::decide(state, cancellation) {
        StopAction::Refuse => Ok(StopOutcome::Refused),
        StopAction::FailNow => {
            conn.prepare_cached(
                "UPDATE batchtask SET state = 5, result = ?2, lease_owner = NULL,
                     lease_token = NULL, lease_expires = NULL, stop_requested = 0, updated = ?3
                 WHERE BatchTask_id = ?1",
            )?
            .execute(params![id.0, result, micros(now)])?;
            Ok(StopOutcome::Failed)
        }
        StopAction::CancelRunning => {
            conn.prepare_cached("UPDATE batchtask SET stop_requested = 1 WHERE BatchTask_id = ?1")?
                .execute([id.0])?;
            Ok(StopOutcome::Requested { lease_owner })
        }
    }
}

pub(super) fn fail_running(
    conn: &Connection,
    id: TaskId,
    result: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE batchtask SET state = 5, result = ?2, lease_owner = NULL,
                 lease_token = NULL, lease_expires = NULL, stop_requested = 0, updated = ?3
             WHERE BatchTask_id = ?1 AND state IN (2, 3)",
        )?
        .execute(params![id.0, result, micros(now)])?;
    Ok(changed > 0)
}

pub(super) fn delete(conn: &Connection, ids: &[TaskId]) -> Result<u64, StoreError> {
    let mut deleted = 0;
    for id in ids {
        // Only blobs this task owns through a linkType-6 link go with it: a DetailsRecord the
        // caller chose may point at a blob that belongs to something else.
        let blobs = conn
            .prepare_cached(
                "SELECT binaryObjectId FROM binaryobjectlink
                 WHERE ownerTable = 243 AND ownerRecord = ?1 AND linkType = 6",
            )?
            .query_map([id.0], |row| row.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        conn.prepare_cached(
            "DELETE FROM binaryobjectlink WHERE ownerTable = 243 AND ownerRecord = ?1",
        )?
        .execute([id.0])?;
        for blob in blobs {
            // A blob some other owner still links to stays.
            conn.prepare_cached(
                "DELETE FROM binaryobject WHERE BinaryObject_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM binaryobjectlink WHERE binaryObjectId = ?1)",
            )?
            .execute([blob])?;
        }
        let removed = conn
            .prepare_cached("DELETE FROM batchtask WHERE BatchTask_id = ?1")?
            .execute([id.0])?;
        deleted += removed as u64;
    }
    Ok(deleted)
}

/// Advances `batchtask`'s AUTOINCREMENT counter, which SQLite keeps in `sqlite_sequence`, and
/// returns the id it passed over: the next stored task gets a higher one.
pub(super) fn id_reserve(conn: &Connection) -> Result<TaskId, StoreError> {
    conn.prepare_cached(
        "INSERT INTO sqlite_sequence (name, seq)
         SELECT 'batchtask', COALESCE(MAX(BatchTask_id), 0) FROM batchtask
         WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'batchtask')",
    )?
    .execute([])?;
    let id: i64 = conn
        .prepare_cached(
            "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'batchtask' RETURNING seq",
        )?
        .query_row([], |row| row.get(0))?;
    Ok(TaskId(narrow(id, "BatchTask_id")?))
}

pub(super) fn prune(conn: &Connection, params: &TaskPruneParams) -> Result<u64, StoreError> {
    let limit = i64::try_from(params.limit).unwrap_or(i64::MAX);
    // A state whose cut-off is absent gets one no row can be older than.
    let never = i64::MIN;
    let ids = conn
        .prepare_cached(
            "SELECT BatchTask_id FROM batchtask
             WHERE (state = 4 AND COALESCE(updated, registered) < ?1)
                OR (state = 5 AND COALESCE(updated, registered) < ?2)
             ORDER BY BatchTask_id LIMIT ?3",
        )?
        .query_map(
            params![
                params.succeeded_before.map_or(never, micros),
                params.failed_before.map_or(never, micros),
                limit
            ],
            |row| row.get::<_, i64>(0),
        )?
        .map(|id| Ok(TaskId(narrow(id?, "BatchTask_id")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    delete(conn, &ids)
}

pub(super) fn claim_available(
    w: &mut WriterState,
    claim: &TaskClaimParams,
) -> Result<Vec<(Task, Lease)>, StoreError> {
    let lease_for = chrono::Duration::from_std(claim.lease_for)
        .map_err(|_| StoreError::Config("the lease duration is out of range".into()))?;
    let expires = claim
        .now
        .checked_add_signed(lease_for)
        .ok_or_else(|| StoreError::Config("the lease would expire out of range".into()))?;

    let mut definitions = Vec::with_capacity(claim.names.len());
    for name in &claim.names {
        if let Some(definition) = definition(w, name, None)? {
            definitions.push(definition.id);
        }
    }
    definitions.sort_unstable();
    definitions.dedup();

    // One ordered index seek per definition, then a merge: cheap however many New tasks of
    // other names wait, which a single `IN (...) ORDER BY id` would have to sort through.
    let conn = w.conn();
    let limit = i64::try_from(claim.limit).unwrap_or(i64::MAX);
    let mut ids: Vec<i64> = Vec::new();
    {
        let mut statement = conn.prepare_cached(
            "SELECT BatchTask_id FROM batchtask
             WHERE BatchTaskDefinition_id = ?1 AND state = 1
               AND (not_before IS NULL OR not_before <= ?3)
             ORDER BY BatchTask_id LIMIT ?2",
        )?;
        let now = micros(claim.now);
        for definition in definitions {
            let found = statement.query_map(params![definition, limit, now], |row| row.get(0))?;
            for id in found {
                ids.push(id?);
            }
        }
    }
    ids.sort_unstable();
    ids.truncate(claim.limit);

    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let token = lease_token()?;
        if claim.start {
            conn.prepare_cached(
                "UPDATE batchtask SET state = 3, lease_owner = ?2, lease_token = ?3,
                     lease_expires = ?4, stop_requested = 0,
                     startCount = COALESCE(startCount, 0) + 1, lastStarted = ?5, updated = ?5
                 WHERE BatchTask_id = ?1 AND state = 1",
            )?
            .execute(params![
                id,
                claim.owner,
                token,
                micros(expires),
                micros(claim.now)
            ])?;
        } else {
            conn.prepare_cached(
                "UPDATE batchtask SET state = 2, lease_owner = ?2, lease_token = ?3,
                     lease_expires = ?4, stop_requested = 0
                 WHERE BatchTask_id = ?1 AND state = 1",
            )?
            .execute(params![id, claim.owner, token, micros(expires)])?;
        }
        let id = TaskId(narrow(id, "BatchTask_id")?);
        match get(conn, id) {
            Ok(Some(task)) => claimed.push((
                task,
                Lease {
                    owner: claim.owner.clone(),
                    token,
                    expires,
                },
            )),
            Ok(None) => {}
            // One unreadable row must not jam the queue for every task behind it: it fails,
            // saying why, and the claim goes on.
            Err(StoreError::Corrupt(reason)) => {
                warn!(task_id = id.0, %reason, "failing a task whose row cannot be read");
                conn.prepare_cached(
                    "UPDATE batchtask SET state = 5, result = ?2, lease_owner = NULL,
                         lease_token = NULL, lease_expires = NULL
                     WHERE BatchTask_id = ?1",
                )?
                .execute(params![id.0, "The stored task could not be read"])?;
            }
            Err(error) => return Err(error),
        }
    }
    Ok(claimed)
}

/// A fresh fencing token; random so that a lease never matches one handed out before.
fn lease_token() -> Result<i64, StoreError> {
    let random = getrandom::u64()
        .map_err(|e| StoreError::Database(format!("generate a lease token: {e}")))?;
    Ok(i64::from_ne_bytes(random.to_ne_bytes()))
}

pub(super) fn mark_started(
    conn: &Connection,
    id: TaskId,
    lease: &Lease,
    now: Timestamp,
) -> Result<Option<Task>, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE batchtask SET state = 3, startCount = COALESCE(startCount, 0) + 1,
                 lastStarted = ?4, lease_expires = ?5, updated = ?4
             WHERE BatchTask_id = ?1 AND state = 2 AND lease_owner = ?2 AND lease_token = ?3
               AND stop_requested = 0",
        )?
        .execute(params![
            id.0,
            lease.owner,
            lease.token,
            micros(now),
            micros(lease.expires)
        ])?;
    if changed == 0 {
        return Ok(None);
    }
    get(conn, id)
}

pub(super) fn heartbeat(
    conn: &Connection,
    id: TaskId,
    lease: &Lease,
    progress: &TaskProgress,
    now: Timestamp,
) -> Result<LeaseCheck, StoreError> {
    let stop_requested = conn
        .prepare_cached(
            "UPDATE batchtask SET lease_expires = ?4,
                 progressPercent = COALESCE(?5, progressPercent),
                 progressDescription = COALESCE(?6, progressDescription),
                 updated = ?7, updatedCount = updatedCount + 1
             WHERE BatchTask_id = ?1 AND state IN (2, 3) AND lease_owner = ?2
               AND lease_token = ?3
             RETURNING stop_requested",
        )?
        .query_row(
            params![
                id.0,
                lease.owner,
                lease.token,
                micros(lease.expires),
                progress.percent.map(|p| p.max(0)),
                progress.description,
                micros(now),
            ],
            |row| row.get::<_, i64>(0),
        )
        .optional()?;
    Ok(match stop_requested {
        Some(flag) => LeaseCheck::Held {
            stop_requested: flag != 0,
        },
        None => LeaseCheck::Lost,
    })
}

pub(super) fn finish(
    conn: &Connection,
    id: TaskId,
    lease: &Lease,
    finish: &TaskFinish,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE batchtask SET state = ?4, result = ?5, response = COALESCE(?6, response),
                 progressPercent = COALESCE(?7, progressPercent),
                 progressDescription = COALESCE(?8, progressDescription),
                 FileName = COALESCE(?9, FileName),
                 lease_owner = NULL, lease_token = NULL, lease_expires = NULL, updated = ?10
             WHERE BatchTask_id = ?1 AND state IN (2, 3) AND lease_owner = ?2
               AND lease_token = ?3",
        )?
        .execute(params![
            id.0,
            lease.owner,
            lease.token,
            finish.state.code(),
            finish.result,
            finish.response,
            finish.progress_percent.map(|p| p.max(0)),
            finish.progress_description,
            finish.file_name,
            micros(now),
        ])?;
    Ok(changed > 0)
}

pub(super) fn release(
    conn: &Connection,
    id: TaskId,
    lease: &Lease,
    stopped_result: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE batchtask SET
                 state = CASE WHEN stop_requested <> 0 THEN 5 ELSE 1 END,
                 result = CASE WHEN stop_requested <> 0 THEN ?4 ELSE result END,
                 lease_owner = NULL, lease_token = NULL, lease_expires = NULL,
                 stop_requested = 0, updated = ?5
             WHERE BatchTask_id = ?1 AND state IN (2, 3) AND lease_owner = ?2
               AND lease_token = ?3",
        )?
        .execute(params![
            id.0,
            lease.owner,
            lease.token,
            stopped_result,
            micros(now)
        ])?;
    Ok(changed > 0)
}

pub(super) fn rescue_expired(
    conn: &Connection,
    policy: &RescuePolicy,
    now: Timestamp,
) -> Result<Vec<Rescued>, StoreError> {
    let expired: Vec<(i64, i64, bool, i64)> = conn
        .prepare_cached(
            "SELECT t.BatchTask_id, COALESCE(t.startCount, 0), t.stop_requested <> 0,
                    COALESCE(d.autoRestartCount, -1)
             FROM batchtask t
             LEFT JOIN batchtaskdefinition d
                    ON d.BatchTaskDefinition_id = t.BatchTaskDefinition_id
             WHERE t.state IN (2, 3) AND t.lease_expires < ?1
             ORDER BY t.BatchTask_id",
        )?
        .query_map(params![micros(now)], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut rescued = Vec::with_capacity(expired.len());
    for (id, start_count, stop_requested, auto_restart_count) in expired {
        // StartCount counts every entry into Started, so the restarts used so far are one fewer;
        // a task that never started has used none.
        let may_restart = auto_restart_count < 0 || start_count <= auto_restart_count;
        let (state, result, not_before) = if stop_requested {
            (
                TaskState::Failed,
                Some(policy.stopped_result.as_str()),
                None,
            )
        } else if may_restart {
            (TaskState::New, None, restart_at(policy, start_count, now)?)
        } else {
            (
                TaskState::Failed,
                Some(policy.exhausted_result.as_str()),
                None,
            )
        };
        conn.prepare_cached(
            "UPDATE batchtask SET state = ?2, result = COALESCE(?3, result), not_before = ?4,
                 lease_owner = NULL, lease_token = NULL, lease_expires = NULL,
                 stop_requested = 0, updated = ?5
             WHERE BatchTask_id = ?1",
        )?
        .execute(params![
            id,
            state.code(),
            result,
            not_before.map(micros),
            micros(now)
        ])?;
        rescued.push(Rescued {
            id: TaskId(narrow(id, "BatchTask_id")?),
            state,
        });
    }
    Ok(rescued)
}

/// When a rescued task may run again: at once if it never started, else after a backoff that
/// doubles with each start (capped), less a random part of up to half of it.
pub(crate) fn restart_at(
    policy: &RescuePolicy,
    start_count: i64,
    now: Timestamp,
) -> Result<Option<Timestamp>, StoreError> {
    if start_count <= 0 {
        return Ok(None);
    }
    let doublings = u32::try_from((start_count - 1).min(30)).unwrap_or(30);
    let full = policy
        .backoff_base
        .saturating_mul(1u32 << doublings)
        .min(policy.backoff_cap);
    let random = getrandom::u32()
        .map_err(|e| StoreError::Database(format!("draw a backoff jitter: {e}")))?;
    let jitter = full.mul_f64(f64::from(random) / f64::from(u32::MAX) / 2.0);
    let wait = chrono::Duration::from_std(full.saturating_sub(jitter))
        .map_err(|_| StoreError::Config("the restart backoff is out of range".into()))?;
    Ok(now.checked_add_signed(wait))
}

/// Creates or updates a definition with its configured settings, and refreshes the writer's cache.
pub(super) fn definition_configure(
    w: &mut WriterState,
    config: &DefinitionConfig,
    now: Timestamp,
) -> Result<DefinitionId, StoreError> {
    let existing = definition(w, &config.name, Some((AssociateId::SYSTEM, now)))?
        .ok_or_else(|| StoreError::Database("the definition was not created".into()))?;
    w.conn()
        .prepare_cached(
            "UPDATE batchtaskdefinition SET description = ?2, timeout = ?3,
                 autoRestartCount = ?4, cancellationBehaviour = ?5, updated = ?6,
                 updatedCount = updatedCount + 1
             WHERE BatchTaskDefinition_id = ?1",
        )?
        .execute(params![
            existing.id,
            config.description,
            config.timeout_seconds,
            config.auto_restart_count,
            config.cancellation.code(),
            micros(now)
        ])?;
    w.cache_definition(
        &config.name,
        CachedDefinition {
            id: existing.id,
            cancellation: config.cancellation,
        },
    );
    Ok(DefinitionId(existing.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SQL spells these as literals; they must agree with the domain's numbers.
    #[test]
    fn literals_in_the_sql_match_the_domain_numbers() {
        assert_eq!(table::BINARY_OBJECT, 205);
        assert_eq!(table::BATCH_TASK, 243);
        assert_eq!(table::LINK_TYPE_BATCH_TASK, 6);
        assert_eq!(TaskState::New.code(), 1);
        assert_eq!(TaskState::Aquired.code(), 2);
        assert_eq!(TaskState::Started.code(), 3);
        assert_eq!(TaskState::Failed.code(), 5);
    }
}
