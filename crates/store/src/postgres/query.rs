//! The archive task list (spec §1.8) on PostgreSQL: runs the statement [`crate::query::sql`]
//! compiles, with this backend's select list, and decodes its rows into [`ListedTask`]s.
//!
//! The statement is not prepared and cached like the others. Its text follows the client's filter,
//! so the per-connection cache (unbounded) would grow with every new filter shape; and a named
//! statement run often enough gets a generic plan that cannot see the bound values, which for
//! `state = $1 ORDER BY id LIMIT n` is a walk of the primary key past every finished task. Sent
//! with its parameter types in one round trip instead, it is planned afresh with the actual values.

use sobatch_core::{AssociateId, Task};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Row};

use super::task::{column, decode, task_columns};
use crate::StoreError;
use crate::query::sql::{
    Dialect, Param, compile, definition_lookups, listed_tail, resolve_definitions,
};
use crate::query::{ListedTask, TaskQuery};
use crate::sqlite::codec::corrupt;

/// The columns `decode` reads (its parameter blob columns NULL, typed as it reads them: no column
/// shows parameters, and the blob join would cost a lookup per row), then those only the list
/// shows ([`listed_tail`]).
const SELECT: &str = concat!(
    "SELECT ",
    task_columns!(),
    ",
       NULL::integer, NULL::bytea, NULL::integer, NULL::integer,
       ",
    listed_tail!()
);

/// The statement as it will run, with its values.
fn statement(query: &TaskQuery) -> Result<(String, Vec<Param>), StoreError> {
    let compiled = compile(query, Dialect::Postgres)?;
    Ok((format!("{SELECT}{}", compiled.sql), compiled.params))
}

/// No transaction of its own: the lookups of definitions and the list read separate snapshots,
/// and a definition created between them only makes the list as it was a moment earlier.
pub(super) async fn run(client: &Client, query: &TaskQuery) -> Result<Vec<ListedTask>, StoreError> {
    let lookups = definition_lookups(&query.predicate, Dialect::Postgres)?;
    let resolved;
    let query = if lookups.is_empty() {
        query
    } else {
        let mut found = Vec::with_capacity(lookups.len());
        for lookup in lookups {
            let typed: Vec<(&(dyn ToSql + Sync), Type)> = lookup.params.iter().map(typed).collect();
            let rows = client.query_typed(&lookup.sql, &typed).await?;
            let ids = rows
                .iter()
                .map(|row| column::<i32>(row, 0, "BatchTaskDefinition_id").map(i64::from))
                .collect::<Result<Vec<_>, _>>()?;
            found.push(ids);
        }
        resolved = resolve_definitions(query, found);
        &resolved
    };
    let (sql, params) = statement(query)?;
    let typed: Vec<(&(dyn ToSql + Sync), Type)> = params.iter().map(typed).collect();
    let rows = client.query_typed(&sql, &typed).await?;
    rows.iter().map(decode_listed).collect()
}

fn typed(param: &Param) -> (&(dyn ToSql + Sync), Type) {
    match param {
        Param::Int(i) => (i, Type::INT8),
        Param::Text(s) => (s, Type::TEXT),
        Param::Ints(list) => (list, Type::INT8_ARRAY),
        Param::Texts(list) => (list, Type::TEXT_ARRAY),
        // NULL: no limit.
        Param::Limit(limit) => (limit, Type::INT8),
    }
}

fn decode_listed(row: &Row) -> Result<ListedTask, StoreError> {
    let task = decode(row)?;
    let id = task.id;
    listed(row, task).map_err(|error| match error {
        StoreError::Corrupt(reason) => corrupt(format!("batchtask {id}: {reason}")),
        other => other,
    })
}

fn listed(row: &Row, task: Task) -> Result<ListedTask, StoreError> {
    Ok(ListedTask {
        definition_id: column(row, 25, "BatchTaskDefinition_id")?,
        definition_description: column(row, 26, "definition description")?,
        definition_timeout: column(row, 27, "definition timeout")?,
        updated_by: AssociateId(column(row, 28, "updated_associate_id")?),
        registered_by_name: column(row, 29, "registered associate name")?,
        updated_by_name: column(row, 30, "updated associate name")?,
        task,
    })
}
