//! The archive task list (spec §1.8) on SQLite: runs the statement [`crate::query::sql`] compiles,
//! with this backend's select list, and decodes its rows into [`ListedTask`]s.

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};
use sobatch_core::{AssociateId, Task};

use super::codec::{column, narrow};
use super::task::{decode, task_columns};
use crate::StoreError;
use crate::query::sql::{
    Dialect, Param, compile, definition_lookups, listed_tail, resolve_definitions,
};
use crate::query::{ListedTask, TaskQuery};

/// The columns `decode` reads (its parameter blob columns NULL: no column shows parameters, and
/// the blob join would cost a lookup per row), then those only the list shows
/// ([`listed_tail`]).
const SELECT: &str = concat!(
    "SELECT ",
    task_columns!(),
    ",
       NULL, NULL, NULL, NULL,
       ",
    listed_tail!()
);

/// The statement as it will run, with its values.
fn statement(query: &TaskQuery) -> Result<(String, Vec<Value>), StoreError> {
    let compiled = compile(query, Dialect::Sqlite)?;
    let values = compiled
        .params
        .into_iter()
        .map(value)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((format!("{SELECT}{}", compiled.sql), values))
}

pub(super) fn run(conn: &Connection, query: &TaskQuery) -> Result<Vec<ListedTask>, StoreError> {
    let lookups = definition_lookups(&query.predicate, Dialect::Sqlite)?;
    let resolved;
    let query = if lookups.is_empty() {
        query
    } else {
        let mut found = Vec::with_capacity(lookups.len());
        for lookup in lookups {
            let values = lookup
                .params
                .into_iter()
                .map(value)
                .collect::<Result<Vec<_>, _>>()?;
            let mut statement = conn.prepare_cached(&lookup.sql)?;
            let ids = statement
                .query_map(params_from_iter(values.iter()), |row| row.get::<_, i64>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            found.push(ids);
        }
        resolved = resolve_definitions(query, found);
        &resolved
    };
    let (sql, values) = statement(query)?;
    // The cache is an LRU of bounded size, so shapes that come and go cannot grow it; SQLite plans
    // without looking at bound values, so a cached plan is as good as a fresh one.
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(values.iter()))?;
    let mut listed = Vec::new();
    while let Some(row) = rows.next()? {
        listed.push(decode_listed(row)?);
    }
    Ok(listed)
}

fn value(param: Param) -> Result<Value, StoreError> {
    let json = |encoded: serde_json::Result<String>| {
        encoded
            .map(Value::Text)
            .map_err(|e| StoreError::Database(format!("encode a list of values: {e}")))
    };
    Ok(match param {
        Param::Int(i) => Value::Integer(i),
        Param::Text(s) => Value::Text(s),
        Param::Ints(list) => json(serde_json::to_string(&list))?,
        Param::Texts(list) => json(serde_json::to_string(&list))?,
        // SQLite's spelling of no limit.
        Param::Limit(limit) => Value::Integer(limit.unwrap_or(-1)),
    })
}

fn decode_listed(row: &Row<'_>) -> Result<ListedTask, StoreError> {
    let task = decode(row)?;
    let id = task.id;
    listed(row, task).map_err(|error| match error {
        StoreError::Corrupt(reason) => StoreError::Corrupt(format!("batchtask {id}: {reason}")),
        other => other,
    })
}

fn listed(row: &Row<'_>, task: Task) -> Result<ListedTask, StoreError> {
    Ok(ListedTask {
        definition_id: narrow(
            column(row, 25, "BatchTaskDefinition_id")?,
            "BatchTaskDefinition_id",
        )?,
        definition_description: column(row, 26, "definition description")?,
        definition_timeout: narrow(column(row, 27, "definition timeout")?, "definition timeout")?,
        updated_by: AssociateId(narrow(
            column(row, 28, "updated_associate_id")?,
            "updated_associate_id",
        )?),
        registered_by_name: column(row, 29, "registered associate name")?,
        updated_by_name: column(row, 30, "updated associate name")?,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OwnerFilter;
    use crate::query::{Column, Order, Predicate, Test, Value as QueryValue};

    /// SQLite plans without looking at bound values or (unanalysed) table sizes, so the plans of
    /// an empty database are those of a full one.
    fn plan(query: &TaskQuery) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.db");
        drop(crate::SqliteStore::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        let (sql, values) = statement(query).unwrap();
        let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        explain
            .query_map(params_from_iter(values.iter()), |row| {
                row.get::<_, String>(3)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn query(predicate: Predicate) -> TaskQuery {
        TaskQuery {
            owners: OwnerFilter {
                system: true,
                all_users: true,
                users: Vec::new(),
            },
            predicate,
            order: vec![Order {
                column: Column::Id,
                descending: false,
            }],
            skip: 0,
            limit: Some(100),
        }
    }

    #[test]
    fn new_tasks_by_id_walk_the_state_index_in_id_order() {
        let plan = plan(&query(Predicate::Test(
            Column::State,
            Test::Eq(QueryValue::Int(1)),
        )));
        assert!(
            plan[0].contains("USING INDEX batchtask_state (state=?)"),
            "{plan:#?}"
        );
        assert!(
            !plan.iter().any(|step| step.contains("TEMP B-TREE")),
            "{plan:#?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN")),
            "{plan:#?}"
        );
    }

    #[test]
    fn a_definition_name_seeks_its_tasks_by_definition() {
        let plan = plan(&query(Predicate::Test(
            Column::DefinitionName,
            Test::Eq(QueryValue::Text("Report".into())),
        )));
        assert!(
            plan[0].contains("USING INDEX batchtask_definition_state (BatchTaskDefinition_id=?)"),
            "{plan:#?}"
        );
    }
}
