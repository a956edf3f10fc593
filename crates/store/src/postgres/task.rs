//! SQL for PostgreSQL: associates, definitions, tasks with their parameter blobs and links, the
//! lease columns that fence executors, and the decoding of a row back into a domain value.
//!
//! The statements mirror the SQLite backend's one for one (same columns, same fencing conditions);
//! where they differ it is for concurrency between nodes: claims lock with `FOR UPDATE SKIP LOCKED`,
//! Stop locks the row it decides on, and definitions are created with `ON CONFLICT DO NOTHING`.

use deadpool_postgres::Transaction;
use sobatch_core::{
    Associate, AssociateId, CancellationBehaviour, Definition, DefinitionId, Parameters, Role,
    StateSelector, StopAction, Task, TaskId, TaskStart, TaskState, TaskUpdate, Timestamp,
};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, ToSql};
use tracing::warn;

use crate::sqlite::codec::{corrupt, micros, parameters_from_json, parameters_to_json, timestamp};
use crate::{
    DefinitionConfig, Lease, LeaseCheck, RescuePolicy, Rescued, StopOutcome, StoreError,
    TaskClaimParams, TaskFilter, TaskFinish, TaskProgress, TaskPruneParams, table,
};

pub(super) type Param<'a> = &'a (dyn ToSql + Sync);

pub(super) async fn execute(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[Param<'_>],
) -> Result<u64, StoreError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.execute(&statement, params).await?)
}

pub(super) async fn query(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[Param<'_>],
) -> Result<Vec<Row>, StoreError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query(&statement, params).await?)
}

pub(super) async fn query_opt(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[Param<'_>],
) -> Result<Option<Row>, StoreError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query_opt(&statement, params).await?)
}

/// Reads a column. A value of the wrong type is corruption, not a database failure.
pub(super) fn column<'a, T: FromSql<'a>>(
    row: &'a Row,
    index: usize,
    name: &str,
) -> Result<T, StoreError> {
    row.try_get(index)
        .map_err(|e| corrupt(format!("{name}: {e}")))
}

fn narrow<T: TryFrom<i32>>(value: i32, column: &str) -> Result<T, StoreError> {
    T::try_from(value).map_err(|_| corrupt(format!("{column} {value} is out of range")))
}

fn cancellation(code: i32, what: &str) -> Result<CancellationBehaviour, StoreError> {
    CancellationBehaviour::from_code(code.into()).ok_or_else(|| {
        corrupt(format!(
            "{what}: cancellationBehaviour {code} is not a cancellation behaviour"
        ))
    })
}

// Associates.

pub(super) async fn associate_insert(
    tx: &Transaction<'_>,
    name: &str,
    role: Role,
    password_hash: &str,
    now: Timestamp,
) -> Result<AssociateId, StoreError> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO associate (name, role, password_hash, registered) VALUES ($1, $2, $3, $4)
             RETURNING associate_id",
        )
        .await?;
    match tx
        .query_one(
            &statement,
            &[&name, &role.as_str(), &password_hash, &micros(now)],
        )
        .await
    {
        Ok(row) => Ok(AssociateId(column(&row, 0, "associate_id")?)),
        Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(
            StoreError::Conflict(format!("an associate named {name:?} exists")),
        ),
        Err(error) => Err(error.into()),
    }
}

pub(super) async fn associate_get_by_name(
    tx: &Transaction<'_>,
    name: &str,
) -> Result<Option<Associate>, StoreError> {
    let row = query_opt(
        tx,
        "SELECT associate_id, name, role, password_hash FROM associate
         WHERE lower(name) = lower($1)",
        &[&name],
    )
    .await?;
    row.as_ref().map(associate).transpose()
}

pub(super) async fn associate_get_by_id(
    tx: &Transaction<'_>,
    id: AssociateId,
) -> Result<Option<Associate>, StoreError> {
    let row = query_opt(
        tx,
        "SELECT associate_id, name, role, password_hash FROM associate WHERE associate_id = $1",
        &[&id.0],
    )
    .await?;
    row.as_ref().map(associate).transpose()
}

fn associate(row: &Row) -> Result<Associate, StoreError> {
    let id: i32 = column(row, 0, "associate_id")?;
    let role: String = column(row, 2, "role")?;
    let role = Role::parse(&role)
        .ok_or_else(|| corrupt(format!("associate {id} has the unknown role {role:?}")))?;
    Ok(Associate {
        id: AssociateId(id),
        name: column(row, 1, "name")?,
        role,
        password_hash: column(row, 3, "password_hash")?,
    })
}

pub(super) async fn associate_count(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    let row = query_opt(tx, "SELECT COUNT(*) FROM associate", &[]).await?;
    match row {
        Some(row) => column(&row, 0, "count"),
        None => Ok(0),
    }
}

// Definitions.

pub(super) async fn count_by_state(
    tx: &Transaction<'_>,
) -> Result<Vec<(TaskState, i64)>, StoreError> {
    let rows = query(
        tx,
        "SELECT state, count(*) FROM batchtask GROUP BY state ORDER BY state",
        &[],
    )
    .await?;
    rows.iter()
        .map(|row| {
            let code: i32 = column(row, 0, "state")?;
            let state = TaskState::from_code(code.into())
                .ok_or_else(|| corrupt(format!("state {code} is not a task state")))?;
            Ok((state, column(row, 1, "count")?))
        })
        .collect()
}

pub(super) async fn definition_list(tx: &Transaction<'_>) -> Result<Vec<Definition>, StoreError> {
    let rows = query(
        tx,
        "SELECT BatchTaskDefinition_id, name, description, cancellationBehaviour
         FROM batchtaskdefinition ORDER BY lower(name)",
        &[],
    )
    .await?;
    let mut definitions = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i32 = column(&row, 0, "BatchTaskDefinition_id")?;
        definitions.push(Definition {
            id: DefinitionId(id),
            name: column(&row, 1, "name")?,
            description: column(&row, 2, "description")?,
            cancellation: cancellation(
                column(&row, 3, "cancellationBehaviour")?,
                &format!("batchtaskdefinition {id}"),
            )?,
        });
    }
    Ok(definitions)
}

/// Finds a definition by name (case-insensitively), creating it when `create` says so. Another
/// node may create the same name at the same moment; `ON CONFLICT` makes that harmless.
async fn definition(
    tx: &Transaction<'_>,
    name: &str,
    create: Option<(AssociateId, Timestamp)>,
) -> Result<Option<(i32, CancellationBehaviour)>, StoreError> {
    const FIND: &str = "SELECT BatchTaskDefinition_id, cancellationBehaviour
         FROM batchtaskdefinition WHERE lower(name) = lower($1)";
    let mut found = query_opt(tx, FIND, &[&name]).await?;
    if found.is_none() {
        let Some((owner, now)) = create else {
            return Ok(None);
        };
        // A name nothing has configured yet restarts without limit: until someone says
        // otherwise, a task survives the crash of the node that ran it.
        execute(
            tx,
            "INSERT INTO batchtaskdefinition
                 (name, registered, registered_associate_id, autoRestartCount)
             VALUES ($1, $2, $3, -1)
             ON CONFLICT ((lower(name))) DO NOTHING",
            &[&name, &micros(now), &owner.0],
        )
        .await?;
        found = query_opt(tx, FIND, &[&name]).await?;
    }
    let Some(row) = found else {
        return Err(StoreError::Database(
            "a definition was neither found nor created".into(),
        ));
    };
    let id: i32 = column(&row, 0, "BatchTaskDefinition_id")?;
    let behaviour = cancellation(
        column(&row, 1, "cancellationBehaviour")?,
        &format!("batchtaskdefinition {id}"),
    )?;
    Ok(Some((id, behaviour)))
}

pub(super) async fn definition_configure(
    tx: &Transaction<'_>,
    config: &DefinitionConfig,
    now: Timestamp,
) -> Result<DefinitionId, StoreError> {
    let (id, _) = definition(tx, &config.name, Some((AssociateId::SYSTEM, now)))
        .await?
        .ok_or_else(|| StoreError::Database("the definition was not created".into()))?;
    execute(
        tx,
        "UPDATE batchtaskdefinition SET description = $2, timeout = $3,
             autoRestartCount = $4, cancellationBehaviour = $5, updated = $6,
             updatedCount = updatedCount + 1
         WHERE BatchTaskDefinition_id = $1",
        &[
            &id,
            &config.description,
            &config.timeout_seconds,
            &config.auto_restart_count,
            &config.cancellation.code(),
            &micros(now),
        ],
    )
    .await?;
    Ok(DefinitionId(id))
}

// Tasks.

/// The task columns [`decode`] reads first, in its order, from `batchtask t` joined to
/// `batchtaskdefinition d`; the archive list selects them too.
macro_rules! task_columns {
    () => {
        "t.BatchTask_id, COALESCE(d.name, ''), t.registered_associate_id,
       t.detailsTable, t.detailsRecord, t.lastStarted, t.registered, t.updated, t.updatedCount,
       t.startCount, t.dbTag, t.context, t.result, t.state, t.description, t.response, t.request,
       t.progressDescription, t.progressPercent, t.FileName, t.cancellationBehaviour"
    };
}
pub(super) use task_columns;

/// A task with its definition's name and, when the task owns one, its parameter blob (only if a
/// linkType-6 link from this very task vouches for it, as in the SQLite backend).
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

pub(super) fn decode(row: &Row) -> Result<Task, StoreError> {
    let id: i32 = column(row, 0, "BatchTask_id")?;
    decode_columns(row, id).map_err(|error| match error {
        StoreError::Corrupt(reason) => corrupt(format!("batchtask {id}: {reason}")),
        other => other,
    })
}

fn decode_columns(row: &Row, id: i32) -> Result<Task, StoreError> {
    let optional_time = |index: usize, name: &str| -> Result<Option<Timestamp>, StoreError> {
        column::<Option<i64>>(row, index, name)?
            .map(|micros| timestamp(micros, name))
            .transpose()
    };
    // SuperOffice marks these nullable; NULL reads as SuperOffice's default, 0.
    let zero_if_null = |index: usize, name: &str| -> Result<i32, StoreError> {
        Ok(column::<Option<i32>>(row, index, name)?.unwrap_or(0))
    };
    let state_code: i32 = column(row, 13, "state")?;
    let state = TaskState::from_code(state_code.into())
        .ok_or_else(|| corrupt(format!("state {state_code} is not a task state")))?;
    let cancellation_code: i32 = column(row, 20, "cancellationBehaviour")?;
    let cancellation = cancellation(cancellation_code, "task")?;
    let parameters = match column::<Option<i32>>(row, 21, "BinaryObject_id")? {
        None => None,
        Some(blob_id) => {
            let zipped = zero_if_null(23, "isZipped")?;
            let encrypted = zero_if_null(24, "isEncrypted")?;
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
        id: TaskId(id),
        name: column(row, 1, "definition name")?,
        associate_id: AssociateId(column(row, 2, "registered_associate_id")?),
        details_table: narrow(zero_if_null(3, "detailsTable")?, "detailsTable")?,
        details_record: zero_if_null(4, "detailsRecord")?,
        parameters,
        last_started: optional_time(5, "lastStarted")?,
        created: timestamp(column(row, 6, "registered")?, "registered")?,
        updated: optional_time(7, "updated")?,
        updated_count: column(row, 8, "updatedCount")?,
        start_count: zero_if_null(9, "startCount")?,
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

pub(super) async fn get(tx: &Transaction<'_>, id: TaskId) -> Result<Option<Task>, StoreError> {
    const SQL: &str = concat!(task_select!(), " WHERE t.BatchTask_id = $1");
    match query_opt(tx, SQL, &[&id.0]).await? {
        Some(row) => Ok(Some(decode(&row)?)),
        None => Ok(None),
    }
}

pub(super) async fn list(
    tx: &Transaction<'_>,
    filter: &TaskFilter,
) -> Result<Vec<Task>, StoreError> {
    // Assembled from fixed fragments; every value is bound.
    let mut conditions: Vec<String> = Vec::new();
    let users: Vec<i32> = filter.owners.users.iter().map(|a| a.0).collect();
    let state = match filter.state {
        StateSelector::Only(state) => Some(state.code()),
        StateSelector::All => None,
    };
    let mut params: Vec<Param<'_>> = Vec::new();

    let owners = &filter.owners;
    if !(owners.system && owners.all_users) {
        let mut alternatives: Vec<String> = Vec::new();
        if owners.system {
            alternatives.push("t.registered_associate_id = 0".into());
        }
        if owners.all_users {
            alternatives.push("t.registered_associate_id <> 0".into());
        }
        if !users.is_empty() {
            params.push(&users);
            alternatives.push(format!(
                "t.registered_associate_id = ANY(${})",
                params.len()
            ));
        }
        if alternatives.is_empty() {
            return Ok(Vec::new());
        }
        conditions.push(format!("({})", alternatives.join(" OR ")));
    }
    if let Some(state) = &state {
        params.push(state);
        conditions.push(format!("t.state = ${}", params.len()));
    }
    if let Some(name) = &filter.name {
        params.push(name);
        conditions.push(format!(
            "t.BatchTaskDefinition_id = (SELECT BatchTaskDefinition_id FROM batchtaskdefinition \
             WHERE lower(name) = lower(${}))",
            params.len()
        ));
    }
    let mut sql = String::from(task_select!());
    for (index, condition) in conditions.iter().enumerate() {
        sql.push_str(if index == 0 { " WHERE " } else { " AND " });
        sql.push_str(condition);
    }
    sql.push_str(" ORDER BY t.BatchTask_id");
    query(tx, &sql, &params).await?.iter().map(decode).collect()
}

/// Inserts a `New` task of a name that already has a definition, with its parameter blob and
/// link, in one statement (outside a transaction it commits alone); `None`, having written
/// nothing, when the name has no definition yet.
pub(super) async fn insert_known(
    client: &impl deadpool_postgres::GenericClient,
    serial: &str,
    start: &TaskStart,
    now: Timestamp,
) -> Result<Option<TaskId>, StoreError> {
    let cancellation = start.cancellation.map(|c| c.code());
    let application = application_id(start)?;
    let row = match &start.parameters {
        None => {
            let statement = client
                .prepare_cached(
                    "INSERT INTO batchtask (BatchTaskDefinition_id, description, dbTag, state,
                         detailsTable, detailsRecord, request, response, startCount,
                         progressPercent, registered, registered_associate_id, updatedCount,
                         FileName, context, cancellationBehaviour, application_id)
                     SELECT d.BatchTaskDefinition_id, $2, $3, 1, $4, $5, $6, $7, 0, 0, $8, $9, 0,
                         $10, $11, COALESCE($12, d.cancellationBehaviour), $13
                     FROM batchtaskdefinition d WHERE lower(d.name) = lower($1)
                     RETURNING BatchTask_id",
                )
                .await?;
            client
                .query_opt(
                    &statement,
                    &[
                        &start.name,
                        &start.description,
                        &serial,
                        &i32::from(start.details_table),
                        &start.details_record,
                        &start.request,
                        &start.response,
                        &micros(now),
                        &start.owner.0,
                        &start.file_name,
                        &start.context,
                        &cancellation,
                        &application,
                    ],
                )
                .await?
        }
        Some(parameters) => {
            let json = parameters_to_json(parameters)?;
            let size = i64::try_from(json.len())
                .map_err(|_| StoreError::Database("the parameters are too large".into()))?;
            // The blob is written only when the definition is found, the task row only with the
            // blob, and the link with both: all of it or nothing.
            let statement = client
                .prepare_cached(
                    "WITH d AS (
                         SELECT BatchTaskDefinition_id AS id, cancellationBehaviour AS cancellation
                         FROM batchtaskdefinition WHERE lower(name) = lower($1)
                     ), b AS (
                         INSERT INTO binaryobject (conceptualType, mimeType, originalSize,
                             blobSize, isZipped, isEncrypted, binaryData, registered,
                             registered_associate_id)
                         SELECT 'BatchTaskParameters', 'application/json', $11, $11, 0, 0, $12,
                             $6, $7
                         FROM d
                         RETURNING BinaryObject_id
                     ), t AS (
                         INSERT INTO batchtask (BatchTaskDefinition_id, description, dbTag, state,
                             detailsTable, detailsRecord, request, response, startCount,
                             progressPercent, registered, registered_associate_id, updatedCount,
                             FileName, context, cancellationBehaviour, application_id)
                         SELECT d.id, $2, $3, 1, 205, b.BinaryObject_id, $4, $5, 0, 0, $6, $7, 0,
                             $8, $9, COALESCE($10, d.cancellation), $13
                         FROM d, b
                         RETURNING BatchTask_id
                     ), l AS (
                         INSERT INTO binaryobjectlink (binaryObjectId, ownerTable, ownerRecord,
                             linkType, rank, registered, registered_associate_id)
                         SELECT b.BinaryObject_id, 243, t.BatchTask_id, 6, 1, $6, $7
                         FROM b, t
                     )
                     SELECT BatchTask_id FROM t",
                )
                .await?;
            client
                .query_opt(
                    &statement,
                    &[
                        &start.name,
                        &start.description,
                        &serial,
                        &start.request,
                        &start.response,
                        &micros(now),
                        &start.owner.0,
                        &start.file_name,
                        &start.context,
                        &cancellation,
                        &size,
                        &json,
                        &application,
                    ],
                )
                .await?
        }
    };
    row.map(|row| Ok(TaskId(column(&row, 0, "BatchTask_id")?)))
        .transpose()
}

/// Inserts many tasks in the caller's transaction. Definitions are found (or created) first, one
/// round trip per distinct name; then each step (parameter blobs, task rows, links) is sent
/// pipelined for a chunk of tasks, so a large batch costs a few round trips per chunk rather than
/// several per task. Rows go out in order, so ids ascend with the order of `starts`.
pub(super) async fn insert_many(
    tx: &Transaction<'_>,
    serial: &str,
    starts: Vec<TaskStart>,
    state: TaskState,
    now: Timestamp,
) -> Result<Vec<TaskId>, StoreError> {
    use futures_util::future::try_join_all;
    const PIPELINED: usize = 512;
    let mut definitions: std::collections::HashMap<String, (i32, CancellationBehaviour)> =
        std::collections::HashMap::new();
    let mut found = Vec::with_capacity(starts.len());
    for start in &starts {
        let key = start.name.to_lowercase();
        let definition = match definitions.get(&key) {
            Some(definition) => *definition,
            None => {
                let definition = definition_for_start(tx, start, now).await?;
                definitions.insert(key, definition);
                definition
            }
        };
        found.push(definition);
    }
    let mut ids = Vec::with_capacity(starts.len());
    for (starts, found) in starts.chunks(PIPELINED).zip(found.chunks(PIPELINED)) {
        let blobs = try_join_all(starts.iter().map(|start| blob_for_start(tx, start, now))).await?;
        let rows = starts
            .iter()
            .zip(found)
            .zip(&blobs)
            .map(|((start, found), blob)| insert_row(tx, serial, start, *found, *blob, state, now));
        let chunk_ids = try_join_all(rows).await?;
        let links = starts
            .iter()
            .zip(&blobs)
            .zip(&chunk_ids)
            .map(|((start, blob), id)| link_blob(tx, *blob, *id, start.owner, now));
        try_join_all(links).await?;
        ids.extend(chunk_ids);
    }
    Ok(ids)
}

pub(super) async fn definition_for_start(
    tx: &Transaction<'_>,
    start: &TaskStart,
    now: Timestamp,
) -> Result<(i32, CancellationBehaviour), StoreError> {
    definition(tx, &start.name, Some((start.owner, now)))
        .await?
        .ok_or_else(|| StoreError::Database("a definition was neither found nor created".into()))
}

async fn blob_for_start(
    tx: &Transaction<'_>,
    start: &TaskStart,
    now: Timestamp,
) -> Result<Option<i32>, StoreError> {
    match &start.parameters {
        Some(parameters) => Ok(Some(
            insert_parameter_blob(tx, parameters, start.owner, now).await?,
        )),
        None => Ok(None),
    }
}

async fn insert_row(
    tx: &Transaction<'_>,
    serial: &str,
    start: &TaskStart,
    (definition_id, definition_cancellation): (i32, CancellationBehaviour),
    blob: Option<i32>,
    state: TaskState,
    now: Timestamp,
) -> Result<TaskId, StoreError> {
    let (details_table, details_record) = match blob {
        Some(blob_id) => (i32::from(table::BINARY_OBJECT), blob_id),
        None => (i32::from(start.details_table), start.details_record),
    };
    let cancellation = start.cancellation.unwrap_or(definition_cancellation).code();
    let row = query_opt(
        tx,
        "INSERT INTO batchtask (BatchTaskDefinition_id, description, dbTag, state, detailsTable,
             detailsRecord, request, response, startCount, progressPercent, registered,
             registered_associate_id, updatedCount, FileName, context, cancellationBehaviour,
             application_id)
         VALUES ($1, $2, $3, $13, $4, $5, $6, $7, 0, 0, $8, $9, 0, $10, $11, $12, $14)
         RETURNING BatchTask_id",
        &[
            &definition_id,
            &start.description,
            &serial,
            &details_table,
            &details_record,
            &start.request,
            &start.response,
            &micros(now),
            &start.owner.0,
            &start.file_name,
            &start.context,
            &cancellation,
            &state.code(),
            &application_id(start)?,
        ],
    )
    .await?
    .ok_or_else(|| StoreError::Database("the insert returned no id".into()))?;
    Ok(TaskId(column(&row, 0, "BatchTask_id")?))
}

/// The application id as the column holds it.
fn application_id(start: &TaskStart) -> Result<Option<i32>, StoreError> {
    start
        .application
        .map(|id| {
            i32::try_from(id)
                .map_err(|_| StoreError::Config(format!("application id {id} is out of range")))
        })
        .transpose()
}

async fn link_blob(
    tx: &Transaction<'_>,
    blob: Option<i32>,
    id: TaskId,
    owner: AssociateId,
    now: Timestamp,
) -> Result<(), StoreError> {
    if let Some(blob_id) = blob {
        execute(
            tx,
            "INSERT INTO binaryobjectlink (binaryObjectId, ownerTable, ownerRecord, linkType, rank,
                 registered, registered_associate_id)
             VALUES ($1, 243, $2, 6, 1, $3, $4)",
            &[&blob_id, &id.0, &micros(now), &owner.0],
        )
        .await?;
    }
    Ok(())
}

async fn insert_parameter_blob(
    tx: &Transaction<'_>,
    parameters: &Parameters,
    owner: AssociateId,
    now: Timestamp,
) -> Result<i32, StoreError> {
    let json = parameters_to_json(parameters)?;
    let size = i64::try_from(json.len())
        .map_err(|_| StoreError::Database("the parameters are too large".into()))?;
    let row = query_opt(
        tx,
        "INSERT INTO binaryobject (conceptualType, mimeType, originalSize, blobSize, isZipped,
             isEncrypted, binaryData, registered, registered_associate_id)
         VALUES ('BatchTaskParameters', 'application/json', $1, $1, 0, 0, $2, $3, $4)
         RETURNING BinaryObject_id",
        &[&size, &json, &micros(now), &owner.0],
    )
    .await?
    .ok_or_else(|| StoreError::Database("the insert returned no id".into()))?;
    column(&row, 0, "BinaryObject_id")
}

pub(super) async fn id_reserve(tx: &Transaction<'_>) -> Result<TaskId, StoreError> {
    let row = query_opt(
        tx,
        "SELECT nextval(pg_get_serial_sequence('batchtask', 'batchtask_id'))",
        &[],
    )
    .await?
    .ok_or_else(|| StoreError::Database("nextval returned nothing".into()))?;
    let id: i64 = column(&row, 0, "nextval")?;
    let id = i32::try_from(id)
        .map_err(|_| StoreError::Database("task ids have run out of the int32 range".into()))?;
    Ok(TaskId(id))
}

pub(super) async fn update(
    tx: &Transaction<'_>,
    id: TaskId,
    update: &TaskUpdate,
    by: AssociateId,
    now: Timestamp,
) -> Result<Option<Task>, StoreError> {
    let response = update.response.clone().flatten();
    let request = update.request.clone().flatten();
    let changed = execute(
        tx,
        "UPDATE batchtask SET
             description = COALESCE($2, description),
             state = COALESCE($3, state),
             response = CASE WHEN $4 THEN $5 ELSE response END,
             request = CASE WHEN $6 THEN $7 ELSE request END,
             updated = $8, updated_associate_id = $9, updatedCount = updatedCount + 1
         WHERE BatchTask_id = $1",
        &[
            &id.0,
            &update.description,
            &update.state.map(TaskState::code),
            &update.response.is_some(),
            &response,
            &update.request.is_some(),
            &request,
            &micros(now),
            &by.0,
        ],
    )
    .await?;
    if changed == 0 {
        return Ok(None);
    }
    get(tx, id).await
}

pub(super) async fn stop(
    tx: &Transaction<'_>,
    id: TaskId,
    result: &str,
    now: Timestamp,
) -> Result<StopOutcome, StoreError> {
    // FOR UPDATE: a claim or finish on another node waits until this decision is committed.
    let Some(row) = query_opt(
        tx,
        "SELECT state, cancellationBehaviour, lease_owner FROM batchtask
         WHERE BatchTask_id = $1 FOR UPDATE",
        &[&id.0],
    )
    .await?
    else {
        return Ok(StopOutcome::NotFound);
    };
    let state: i32 = column(&row, 0, "state")?;
    let state = TaskState::from_code(state.into())
        .ok_or_else(|| corrupt(format!("batchtask {id}: state {state} is not a task state")))?;
    let behaviour = cancellation(
        column(&row, 1, "cancellationBehaviour")?,
        &format!("batchtask {id}"),
    )?;
    let lease_owner: Option<String> = column(&row, 2, "lease_owner")?;
    match StopAction::decide(state, behaviour) {
        StopAction::Refuse => Ok(StopOutcome::Refused),
        StopAction::FailNow => {
            execute(
                tx,
                "UPDATE batchtask SET state = 5, result = $2, lease_owner = NULL,
                     lease_token = NULL, lease_expires = NULL, stop_requested = 0, updated = $3
                 WHERE BatchTask_id = $1",
                &[&id.0, &result, &micros(now)],
            )
            .await?;
            Ok(StopOutcome::Failed)
        }
        StopAction::CancelRunning => {
            execute(
                tx,
                "UPDATE batchtask SET stop_requested = 1 WHERE BatchTask_id = $1",
                &[&id.0],
            )
            .await?;
            // Delivered on commit to every listening node, so the one running the task cancels it
            // now rather than at its next heartbeat.
            if let Some(owner) = &lease_owner {
                let payload = format!("{id} {owner}");
                execute(
                    tx,
                    "SELECT pg_notify($1, $2)",
                    &[&super::cluster::STOP_CHANNEL, &payload],
                )
                .await?;
            }
            Ok(StopOutcome::Requested { lease_owner })
        }
    }
}

pub(super) async fn fail_running(
    tx: &Transaction<'_>,
    id: TaskId,
    result: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let changed = execute(
        tx,
        "UPDATE batchtask SET state = 5, result = $2, lease_owner = NULL,
             lease_token = NULL, lease_expires = NULL, stop_requested = 0, updated = $3
         WHERE BatchTask_id = $1 AND state IN (2, 3)",
        &[&id.0, &result, &micros(now)],
    )
    .await?;
    Ok(changed > 0)
}

pub(super) async fn delete(tx: &Transaction<'_>, ids: &[TaskId]) -> Result<u64, StoreError> {
    let ids: Vec<i32> = ids.iter().map(|id| id.0).collect();
    // Only blobs these tasks own through a linkType-6 link go with them, and only when no other
    // owner still links to them.
    let blobs: Vec<i32> = query(
        tx,
        "SELECT binaryObjectId FROM binaryobjectlink
         WHERE ownerTable = 243 AND ownerRecord = ANY($1) AND linkType = 6",
        &[&ids],
    )
    .await?
    .iter()
    .map(|row| column(row, 0, "binaryObjectId"))
    .collect::<Result<_, _>>()?;
    execute(
        tx,
        "DELETE FROM binaryobjectlink WHERE ownerTable = 243 AND ownerRecord = ANY($1)",
        &[&ids],
    )
    .await?;
    if !blobs.is_empty() {
        execute(
            tx,
            "DELETE FROM binaryobject b WHERE b.BinaryObject_id = ANY($1)
             AND NOT EXISTS (SELECT 1 FROM binaryobjectlink l
                             WHERE l.binaryObjectId = b.BinaryObject_id)",
            &[&blobs],
        )
        .await?;
    }
    execute(
        tx,
        "DELETE FROM batchtask WHERE BatchTask_id = ANY($1)",
        &[&ids],
    )
    .await
}

pub(super) async fn prune(
    tx: &Transaction<'_>,
    params: &TaskPruneParams,
) -> Result<u64, StoreError> {
    let limit = i64::try_from(params.limit).unwrap_or(i64::MAX);
    // A state whose cut-off is absent gets one no row can be older than.
    let never = i64::MIN;
    let ids: Vec<TaskId> = query(
        tx,
        "SELECT BatchTask_id FROM batchtask
         WHERE (state = 4 AND COALESCE(updated, registered) < $1)
            OR (state = 5 AND COALESCE(updated, registered) < $2)
         ORDER BY BatchTask_id LIMIT $3
         FOR UPDATE SKIP LOCKED",
        &[
            &params.succeeded_before.map_or(never, micros),
            &params.failed_before.map_or(never, micros),
            &limit,
        ],
    )
    .await?
    .iter()
    .map(|row| column(row, 0, "BatchTask_id").map(TaskId))
    .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(0);
    }
    delete(tx, &ids).await
}

pub(super) async fn claim_available(
    tx: &Transaction<'_>,
    claim: &TaskClaimParams,
) -> Result<Vec<(Task, Lease)>, StoreError> {
    let lease_for = chrono::Duration::from_std(claim.lease_for)
        .map_err(|_| StoreError::Config("the lease duration is out of range".into()))?;
    let expires = claim
        .now
        .checked_add_signed(lease_for)
        .ok_or_else(|| StoreError::Config("the lease would expire out of range".into()))?;
    let names: Vec<String> = claim.names.iter().map(|n| n.to_lowercase()).collect();
    let limit = i64::try_from(claim.limit).unwrap_or(i64::MAX);
    // SKIP LOCKED: nodes claiming at once each take different tasks instead of queueing on the
    // same rows.
    let ids: Vec<i32> = query(
        tx,
        "SELECT t.BatchTask_id FROM batchtask t
         WHERE t.state = 1
           AND t.BatchTaskDefinition_id IN (SELECT BatchTaskDefinition_id FROM batchtaskdefinition
                                            WHERE lower(name) = ANY($1))
           AND (t.not_before IS NULL OR t.not_before <= $2)
         ORDER BY t.BatchTask_id LIMIT $3
         FOR UPDATE OF t SKIP LOCKED",
        &[&names, &micros(claim.now), &limit],
    )
    .await?
    .iter()
    .map(|row| column(row, 0, "BatchTask_id"))
    .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }

    // The whole batch in three statements, whatever its size: one update, one read.
    let tokens: Vec<i64> = ids
        .iter()
        .map(|_| lease_token())
        .collect::<Result<_, _>>()?;
    let sql = if claim.start {
        "UPDATE batchtask t SET state = 3, lease_owner = $3, lease_token = v.token,
             lease_expires = $4, stop_requested = 0,
             startCount = COALESCE(t.startCount, 0) + 1, lastStarted = $5, updated = $5
         FROM unnest($1::integer[], $2::bigint[]) AS v(id, token)
         WHERE t.BatchTask_id = v.id AND t.state = 1"
    } else {
        "UPDATE batchtask t SET state = 2, lease_owner = $3, lease_token = v.token,
             lease_expires = $4, stop_requested = 0
         FROM unnest($1::integer[], $2::bigint[]) AS v(id, token)
         WHERE t.BatchTask_id = v.id AND t.state = 1"
    };
    let (expires_at, now) = (micros(expires), micros(claim.now));
    let params: [Param<'_>; 5] = [&ids, &tokens, &claim.owner, &expires_at, &now];
    let used = if claim.start { 5 } else { 4 };
    execute(tx, sql, &params[..used]).await?;
    const READ: &str = concat!(
        task_select!(),
        " WHERE t.BatchTask_id = ANY($1) ORDER BY t.BatchTask_id"
    );
    let rows = query(tx, READ, &[&ids]).await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i32 = column(&row, 0, "BatchTask_id")?;
        let token = ids
            .iter()
            .position(|&claimed| claimed == id)
            .map(|at| tokens[at])
            .ok_or_else(|| corrupt(format!("batchtask {id} was read but not claimed")))?;
        match decode(&row) {
            Ok(task) => claimed.push((
                task,
                Lease {
                    owner: claim.owner.clone(),
                    token,
                    expires,
                },
            )),
            // One unreadable row must not jam the queue for every task behind it.
            Err(StoreError::Corrupt(reason)) => {
                warn!(task_id = id, %reason, "failing a task whose row cannot be read");
                execute(
                    tx,
                    "UPDATE batchtask SET state = 5, result = $2, lease_owner = NULL,
                         lease_token = NULL, lease_expires = NULL
                     WHERE BatchTask_id = $1",
                    &[&id, &"The stored task could not be read"],
                )
                .await?;
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

pub(super) async fn mark_started(
    tx: &Transaction<'_>,
    id: TaskId,
    lease: &Lease,
    now: Timestamp,
) -> Result<Option<Task>, StoreError> {
    let changed = execute(
        tx,
        "UPDATE batchtask SET state = 3, startCount = COALESCE(startCount, 0) + 1,
             lastStarted = $4, lease_expires = $5, updated = $4
         WHERE BatchTask_id = $1 AND state = 2 AND lease_owner = $2 AND lease_token = $3
           AND stop_requested = 0",
        &[
            &id.0,
            &lease.owner,
            &lease.token,
            &micros(now),
            &micros(lease.expires),
        ],
    )
    .await?;
    if changed == 0 {
        return Ok(None);
    }
    get(tx, id).await
}

pub(super) async fn heartbeat(
    tx: &Transaction<'_>,
    id: TaskId,
    lease: &Lease,
    progress: &TaskProgress,
    now: Timestamp,
) -> Result<LeaseCheck, StoreError> {
    let percent = progress.percent.map(|p| i32::from(p.max(0)));
    let row = query_opt(
        tx,
        "UPDATE batchtask SET lease_expires = $4,
             progressPercent = COALESCE($5, progressPercent),
             progressDescription = COALESCE($6, progressDescription),
             updated = $7, updatedCount = updatedCount + 1
         WHERE BatchTask_id = $1 AND state IN (2, 3) AND lease_owner = $2 AND lease_token = $3
         RETURNING stop_requested",
        &[
            &id.0,
            &lease.owner,
            &lease.token,
            &micros(lease.expires),
            &percent,
            &progress.description,
            &micros(now),
        ],
    )
    .await?;
    Ok(match row {
        Some(row) => LeaseCheck::Held {
            stop_requested: column::<i32>(&row, 0, "stop_requested")? != 0,
        },
        None => LeaseCheck::Lost,
    })
}

pub(super) async fn finish(
    tx: &Transaction<'_>,
    id: TaskId,
    lease: &Lease,
    finish: &TaskFinish,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let percent = finish.progress_percent.map(|p| i32::from(p.max(0)));
    let changed = execute(
        tx,
        "UPDATE batchtask SET state = $4, result = $5, response = COALESCE($6, response),
             progressPercent = COALESCE($7, progressPercent),
             progressDescription = COALESCE($8, progressDescription),
             FileName = COALESCE($9, FileName),
             lease_owner = NULL, lease_token = NULL, lease_expires = NULL, updated = $10
         WHERE BatchTask_id = $1 AND state IN (2, 3) AND lease_owner = $2 AND lease_token = $3",
        &[
            &id.0,
            &lease.owner,
            &lease.token,
            &finish.state.code(),
            &finish.result,
            &finish.response,
            &percent,
            &finish.progress_description,
            &finish.file_name,
            &micros(now),
        ],
    )
    .await?;
    Ok(changed > 0)
}

/// Ends many tasks with one statement (so one transaction): each row is matched by id and
/// fenced by its own lease, exactly as [`finish`] does one.
pub(super) async fn finish_many(
    client: &deadpool_postgres::Client,
    ends: &[crate::TaskEnd],
) -> Result<Vec<bool>, StoreError> {
    let ids: Vec<i32> = ends.iter().map(|e| e.id.0).collect();
    let owners: Vec<&str> = ends.iter().map(|e| e.lease.owner.as_str()).collect();
    let tokens: Vec<i64> = ends.iter().map(|e| e.lease.token).collect();
    let states: Vec<i32> = ends.iter().map(|e| e.finish.state.code()).collect();
    let results: Vec<Option<&str>> = ends.iter().map(|e| e.finish.result.as_deref()).collect();
    let responses: Vec<Option<&str>> = ends.iter().map(|e| e.finish.response.as_deref()).collect();
    let percents: Vec<Option<i32>> = ends
        .iter()
        .map(|e| e.finish.progress_percent.map(|p| i32::from(p.max(0))))
        .collect();
    let descriptions: Vec<Option<&str>> = ends
        .iter()
        .map(|e| e.finish.progress_description.as_deref())
        .collect();
    let files: Vec<Option<&str>> = ends.iter().map(|e| e.finish.file_name.as_deref()).collect();
    let nows: Vec<i64> = ends.iter().map(|e| micros(e.now)).collect();
    let statement = client
        .prepare_cached(
            "UPDATE batchtask t SET state = u.state, result = u.result,
                 response = COALESCE(u.response, t.response),
                 progressPercent = COALESCE(u.percent, t.progressPercent),
                 progressDescription = COALESCE(u.description, t.progressDescription),
                 FileName = COALESCE(u.file, t.FileName),
                 lease_owner = NULL, lease_token = NULL, lease_expires = NULL, updated = u.now
             FROM unnest($1::integer[], $2::text[], $3::bigint[], $4::integer[], $5::text[],
                         $6::text[], $7::integer[], $8::text[], $9::text[], $10::bigint[])
                  AS u(id, owner, token, state, result, response, percent, description, file,
                       now)
             WHERE t.BatchTask_id = u.id AND t.state IN (2, 3) AND t.lease_owner = u.owner
               AND t.lease_token = u.token
             RETURNING t.BatchTask_id",
        )
        .await?;
    let rows = client
        .query(
            &statement,
            &[
                &ids,
                &owners,
                &tokens,
                &states,
                &results,
                &responses,
                &percents,
                &descriptions,
                &files,
                &nows,
            ],
        )
        .await?;
    let mut written = std::collections::HashSet::with_capacity(rows.len());
    for row in &rows {
        written.insert(column::<i32>(row, 0, "BatchTask_id")?);
    }
    Ok(ids.iter().map(|id| written.contains(id)).collect())
}

pub(super) async fn release(
    tx: &Transaction<'_>,
    id: TaskId,
    lease: &Lease,
    stopped_result: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let changed = execute(
        tx,
        "UPDATE batchtask SET
             state = CASE WHEN stop_requested <> 0 THEN 5 ELSE 1 END,
             result = CASE WHEN stop_requested <> 0 THEN $4 ELSE result END,
             lease_owner = NULL, lease_token = NULL, lease_expires = NULL,
             stop_requested = 0, updated = $5
         WHERE BatchTask_id = $1 AND state IN (2, 3) AND lease_owner = $2 AND lease_token = $3",
        &[
            &id.0,
            &lease.owner,
            &lease.token,
            &stopped_result,
            &micros(now),
        ],
    )
    .await?;
    Ok(changed > 0)
}

pub(super) async fn rescue_expired(
    tx: &Transaction<'_>,
    policy: &RescuePolicy,
    now: Timestamp,
) -> Result<Vec<Rescued>, StoreError> {
    let rows = query(
        tx,
        "SELECT t.BatchTask_id, COALESCE(t.startCount, 0), t.stop_requested <> 0,
                COALESCE(d.autoRestartCount, -1)
         FROM batchtask t
         LEFT JOIN batchtaskdefinition d ON d.BatchTaskDefinition_id = t.BatchTaskDefinition_id
         WHERE t.state IN (2, 3) AND t.lease_expires < $1
         ORDER BY t.BatchTask_id
         FOR UPDATE OF t SKIP LOCKED",
        &[&micros(now)],
    )
    .await?;
    let mut rescued = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i32 = column(&row, 0, "BatchTask_id")?;
        let start_count: i32 = column(&row, 1, "startCount")?;
        let stop_requested: bool = column(&row, 2, "stop_requested")?;
        let auto_restart_count: i32 = column(&row, 3, "autoRestartCount")?;
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
            (
                TaskState::New,
                None,
                crate::sqlite::restart_at(policy, start_count.into(), now)?,
            )
        } else {
            (
                TaskState::Failed,
                Some(policy.exhausted_result.as_str()),
                None,
            )
        };
        execute(
            tx,
            "UPDATE batchtask SET state = $2, result = COALESCE($3, result), not_before = $4,
                 lease_owner = NULL, lease_token = NULL, lease_expires = NULL,
                 stop_requested = 0, updated = $5
             WHERE BatchTask_id = $1",
            &[
                &id,
                &state.code(),
                &result,
                &not_before.map(micros),
                &micros(now),
            ],
        )
        .await?;
        rescued.push(Rescued {
            id: TaskId(id),
            state,
        });
    }
    Ok(rescued)
}
