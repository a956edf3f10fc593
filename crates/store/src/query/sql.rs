//! The dialect-neutral half of compiling a [`TaskQuery`]: the `WHERE`, `ORDER BY` and paging
//! clauses as SQL text built only from fixed fragments, plus the values to bind, in order. Both
//! backends share it so that a query means the same on each; they differ only in the fragments
//! [`Dialect`] picks, and each adds its own select list and runs the statement.
//!
//! Every clause refers to `batchtask t` joined to `batchtaskdefinition d`, which the select list of
//! each backend must provide.

use crate::StoreError;
use crate::query::{Column, Kind, Order, Predicate, TaskQuery, Test, Value};

/// The end of both backends' select list, after the task's own columns: what only the list shows,
/// and the joins the compiled clauses refer to (`t`, `d`). Associate 0 is the system and has no
/// name, whatever rows exist.
macro_rules! listed_tail {
    () => {
        "COALESCE(t.BatchTaskDefinition_id, 0), COALESCE(d.description, ''), COALESCE(d.timeout, 0),
       t.updated_associate_id, ra.name, ua.name
FROM batchtask t
LEFT JOIN batchtaskdefinition d ON d.BatchTaskDefinition_id = t.BatchTaskDefinition_id
LEFT JOIN associate ra
       ON ra.associate_id = t.registered_associate_id AND t.registered_associate_id <> 0
LEFT JOIN associate ua
       ON ua.associate_id = t.updated_associate_id AND t.updated_associate_id <> 0"
    };
}
pub(crate) use listed_tail;

/// Deeper predicates are refused rather than compiled: the compiler recurses once per level, and
/// the filter parser already stops at 32.
pub(crate) const MAX_DEPTH: usize = 64;

/// More bound values than this are refused alike on every backend, below SQLite's limit (32766)
/// and PostgreSQL's protocol limit (65535). A list counts once, however long.
pub(crate) const MAX_VALUES: usize = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A value to bind, in the shape its placeholder expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
    /// One placeholder for a whole list: a JSON array for SQLite's `json_each`, an array for
    /// PostgreSQL's `ANY`. The statement text then does not depend on the list's length.
    Ints(Vec<i64>),
    Texts(Vec<String>),
    /// `None`: no limit.
    Limit(Option<i64>),
}

/// The clauses that follow the select list, and what their placeholders take.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
}

/// Compiles `query`; a value of the wrong kind for its column, a predicate nested deeper than
/// [`MAX_DEPTH`] or one with more than [`MAX_VALUES`] values is [`StoreError::Config`].
pub(crate) fn compile(query: &TaskQuery, dialect: Dialect) -> Result<Compiled, StoreError> {
    check(&query.predicate)?;
    let mut out = Writer {
        dialect,
        sql: String::with_capacity(256),
        params: Vec::new(),
    };
    out.sql.push_str(" WHERE ");
    if out.owners(&query.owners) {
        out.sql.push_str(" AND ");
    }
    out.predicate(&query.predicate, false);
    out.order(&query.order);
    out.page(query.skip, query.limit);
    if out.params.len() > MAX_VALUES {
        return Err(StoreError::Config(format!(
            "the filter compares more than {MAX_VALUES} values"
        )));
    }
    Ok(Compiled {
        sql: out.sql,
        params: out.params,
    })
}

/// The statements that find, for each test of a definition's column in `predicate` (in the order
/// [`resolve_definitions`] takes them), the ids of the definitions it holds for.
///
/// Definitions are few, so finding them first and testing the task's definition id against the
/// ids found lets the planner see which definitions it is after: against a subquery PostgreSQL
/// cannot tell a name no task has from a common one, and walks every task for it.
pub(crate) fn definition_lookups(
    predicate: &Predicate,
    dialect: Dialect,
) -> Result<Vec<Compiled>, StoreError> {
    check(predicate)?;
    let mut lookups = Vec::new();
    visit_definition_tests(predicate, &mut |expr, column, test| {
        let mut out = Writer {
            dialect,
            sql: String::from(
                "SELECT dq.BatchTaskDefinition_id FROM batchtaskdefinition dq WHERE ",
            ),
            params: Vec::new(),
        };
        out.comparison(expr, column.kind(), test);
        lookups.push(Compiled {
            sql: out.sql,
            params: out.params,
        });
    });
    Ok(lookups)
}

/// `query` with each test of a definition's column replaced by a test of the task's definition
/// id against the ids its lookup found (`found`, in the order of [`definition_lookups`]). A task without a definition passes neither the one nor the other, and
/// both negations; so the meaning is unchanged.
pub(crate) fn resolve_definitions(query: &TaskQuery, found: Vec<Vec<i64>>) -> TaskQuery {
    fn replace(predicate: &Predicate, found: &mut std::vec::IntoIter<Vec<i64>>) -> Predicate {
        match predicate {
            Predicate::And(items) => {
                Predicate::And(items.iter().map(|item| replace(item, found)).collect())
            }
            Predicate::Or(items) => {
                Predicate::Or(items.iter().map(|item| replace(item, found)).collect())
            }
            Predicate::Not(inner) => Predicate::Not(Box::new(replace(inner, found))),
            Predicate::Test(column, _) if matches!(target(*column), Target::Definition(_)) => {
                let ids = found.next().unwrap_or_default();
                Predicate::Test(
                    Column::DefinitionId,
                    Test::OneOf(ids.into_iter().map(Value::Int).collect()),
                )
            }
            other => other.clone(),
        }
    }
    TaskQuery {
        predicate: replace(&query.predicate, &mut found.into_iter()),
        ..query.clone()
    }
}

/// Calls `each` for every test of a definition's column, in order. Recursive, but only over a
/// predicate [`check`] has bounded.
fn visit_definition_tests(
    predicate: &Predicate,
    each: &mut impl FnMut(&'static str, Column, &Test),
) {
    match predicate {
        Predicate::All | Predicate::Nothing => {}
        Predicate::And(items) | Predicate::Or(items) => {
            for item in items {
                visit_definition_tests(item, each);
            }
        }
        Predicate::Not(inner) => visit_definition_tests(inner, each),
        Predicate::Test(column, test) => {
            if let Target::Definition(expr) = target(*column) {
                each(expr, *column, test);
            }
        }
    }
}

/// Refuses what cannot be compiled before anything is written, walking the predicate without
/// recursion so that no input can exhaust the stack.
fn check(predicate: &Predicate) -> Result<(), StoreError> {
    let mut pending = vec![(predicate, 1usize)];
    while let Some((node, depth)) = pending.pop() {
        if depth > MAX_DEPTH {
            return Err(StoreError::Config(format!(
                "the filter nests deeper than {MAX_DEPTH} levels"
            )));
        }
        match node {
            Predicate::All | Predicate::Nothing => {}
            Predicate::And(items) | Predicate::Or(items) => {
                pending.extend(items.iter().map(|item| (item, depth + 1)));
            }
            Predicate::Not(inner) => pending.push((inner, depth + 1)),
            Predicate::Test(column, test) => check_test(*column, test)?,
        }
    }
    Ok(())
}

fn check_test(column: Column, test: &Test) -> Result<(), StoreError> {
    let expected = column.kind();
    let values: &[Value] = match test {
        Test::Eq(v) | Test::Lt(v) | Test::Le(v) | Test::Gt(v) | Test::Ge(v) => {
            std::slice::from_ref(v)
        }
        Test::Between(low, high) => {
            check_kind(column, low)?;
            std::slice::from_ref(high)
        }
        Test::OneOf(values) => values,
        Test::Begins(_) | Test::Contains(_) | Test::Ends(_) => {
            if expected != Kind::Text {
                return Err(StoreError::Config(format!(
                    "{column:?} holds {}; only text can begin with, contain or end with text",
                    kind_name(expected)
                )));
            }
            &[]
        }
        Test::Set => &[],
    };
    values
        .iter()
        .try_for_each(|value| check_kind(column, value))
}

fn check_kind(column: Column, value: &Value) -> Result<(), StoreError> {
    let kind = match value {
        Value::Int(_) => Kind::Int,
        Value::Text(_) => Kind::Text,
        Value::Time(_) => Kind::Time,
    };
    let expected = column.kind();
    if kind == expected {
        return Ok(());
    }
    Err(StoreError::Config(format!(
        "{column:?} holds {}; it cannot be compared with {}",
        kind_name(expected),
        kind_name(kind)
    )))
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Int => "integers",
        Kind::Text => "text",
        Kind::Time => "times",
    }
}

/// Where a column lives for a test. The definition's columns are tested in a subquery on the task's
/// definition id rather than on the joined row, so that a definition filter can seek
/// `batchtask_definition_state` (a test on the outer-joined row would make SQLite scan every task).
#[derive(Clone, Copy)]
enum Target {
    Task(&'static str),
    Definition(&'static str),
}

fn target(column: Column) -> Target {
    match column {
        Column::Id => Target::Task("t.BatchTask_id"),
        Column::DefinitionId => Target::Task("t.BatchTaskDefinition_id"),
        Column::DefinitionName => Target::Definition("dq.name"),
        Column::DefinitionDescription => Target::Definition("dq.description"),
        Column::DefinitionTimeOut => Target::Definition("dq.timeout"),
        Column::Description => Target::Task("t.description"),
        Column::DbTag => Target::Task("t.dbTag"),
        Column::State => Target::Task("t.state"),
        Column::DetailsTable => Target::Task("t.detailsTable"),
        Column::DetailsRecord => Target::Task("t.detailsRecord"),
        Column::Request => Target::Task("t.request"),
        Column::Response => Target::Task("t.response"),
        Column::StartCount => Target::Task("t.startCount"),
        Column::LastStarted => Target::Task("t.lastStarted"),
        Column::ProgressPercent => Target::Task("t.progressPercent"),
        Column::ProgressDescription => Target::Task("t.progressDescription"),
        Column::UpdatedBy => Target::Task("t.updated_associate_id"),
        Column::UpdatedDate => Target::Task("t.updated"),
        Column::RegisteredBy => Target::Task("t.registered_associate_id"),
        Column::RegisteredDate => Target::Task("t.registered"),
    }
}

/// The column on the joined row, as the order sorts by it, and whether it can be NULL there (the
/// definition's columns can, through the outer join).
fn joined(column: Column) -> (&'static str, bool) {
    match column {
        Column::Id => ("t.BatchTask_id", false),
        Column::DefinitionId => ("t.BatchTaskDefinition_id", true),
        Column::DefinitionName => ("d.name", true),
        Column::DefinitionDescription => ("d.description", true),
        Column::DefinitionTimeOut => ("d.timeout", true),
        Column::Description => ("t.description", false),
        Column::DbTag => ("t.dbTag", false),
        Column::State => ("t.state", false),
        Column::DetailsTable => ("t.detailsTable", true),
        Column::DetailsRecord => ("t.detailsRecord", true),
        Column::Request => ("t.request", true),
        Column::Response => ("t.response", true),
        Column::StartCount => ("t.startCount", true),
        Column::LastStarted => ("t.lastStarted", true),
        Column::ProgressPercent => ("t.progressPercent", true),
        Column::ProgressDescription => ("t.progressDescription", true),
        Column::UpdatedBy => ("t.updated_associate_id", false),
        Column::UpdatedDate => ("t.updated", true),
        Column::RegisteredBy => ("t.registered_associate_id", false),
        Column::RegisteredDate => ("t.registered", false),
    }
}

/// Both backends fold ASCII letters only (SQLite's `lower()` never does more, and PostgreSQL's is
/// held to it by the "C" collation), so folding a bound value here with the same rule is exact.
fn fold(text: &str) -> String {
    text.to_ascii_lowercase()
}

/// The text as a LIKE pattern that matches it literally, with `\` as the escape character.
fn literal_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    for c in fold(text).chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern
}

struct Writer {
    dialect: Dialect,
    sql: String,
    params: Vec<Param>,
}

impl Writer {
    fn bind(&mut self, param: Param) {
        self.params.push(param);
        match self.dialect {
            Dialect::Sqlite => self.sql.push('?'),
            Dialect::Postgres => {
                self.sql.push('$');
                self.sql.push_str(&self.params.len().to_string());
            }
        }
    }

    /// `lower()` of a column, as both backends agree on it: ASCII letters only, and ordered by code
    /// point (SQLite's BINARY; PostgreSQL's "C", whatever the database's locale).
    fn lower(&mut self, expr: &str) {
        self.sql.push_str("lower(");
        self.sql.push_str(expr);
        if self.dialect == Dialect::Postgres {
            self.sql.push_str(" COLLATE \"C\"");
        }
        self.sql.push(')');
    }

    /// The owner restriction, as `task_list` has it; nothing (`false`) when every owner is in, so
    /// that the planner is free to pick any index.
    fn owners(&mut self, owners: &crate::OwnerFilter) -> bool {
        if owners.system && owners.all_users {
            return false;
        }
        let mut alternatives = 0;
        self.sql.push('(');
        if owners.system {
            self.sql.push_str("t.registered_associate_id = 0");
            alternatives += 1;
        }
        if owners.all_users {
            if alternatives > 0 {
                self.sql.push_str(" OR ");
            }
            self.sql.push_str("t.registered_associate_id <> 0");
            alternatives += 1;
        }
        if !owners.users.is_empty() {
            if alternatives > 0 {
                self.sql.push_str(" OR ");
            }
            let ids = owners.users.iter().map(|a| i64::from(a.0)).collect();
            self.sql.push_str("t.registered_associate_id");
            self.member_of(Param::Ints(ids));
            alternatives += 1;
        }
        if alternatives == 0 {
            self.sql.push_str("FALSE");
        }
        self.sql.push(')');
        true
    }

    /// Follows an operand: it is one of the listed values, bound as a single value.
    fn member_of(&mut self, list: Param) {
        match self.dialect {
            Dialect::Sqlite => {
                self.sql.push_str(" IN (SELECT value FROM json_each(");
                self.bind(list);
                self.sql.push_str("))");
            }
            Dialect::Postgres => {
                self.sql.push_str(" = ANY(");
                self.bind(list);
                self.sql.push(')');
            }
        }
    }

    /// Writes `predicate` (negated when `negated`) in negation normal form: NOTs are pushed down to
    /// the tests by De Morgan, so that only a negated test needs to turn NULL into false before
    /// negating it, and a plain test stays a bare comparison an index can serve. A bare test that
    /// is NULL under only ANDs and ORs decides the WHERE exactly as false would.
    fn predicate(&mut self, predicate: &Predicate, negated: bool) {
        match predicate {
            Predicate::All => self.truth(!negated),
            Predicate::Nothing => self.truth(negated),
            Predicate::Not(inner) => self.predicate(inner, !negated),
            Predicate::And(items) => self.connect(items, negated, !negated),
            Predicate::Or(items) => self.connect(items, negated, negated),
            Predicate::Test(column, test) => self.test(*column, test, negated),
        }
    }

    fn truth(&mut self, value: bool) {
        self.sql.push_str(if value { "TRUE" } else { "FALSE" });
    }

    /// Joins `items` with AND (`all`) or OR, grouped as a balanced tree: a long flat chain would
    /// parse into an expression as deep as it is long, and SQLite refuses depths over 1000.
    fn connect(&mut self, items: &[Predicate], negated: bool, all: bool) {
        match items {
            [] => self.truth(all),
            [only] => self.predicate(only, negated),
            _ => {
                let (left, right) = items.split_at(items.len() / 2);
                self.sql.push('(');
                self.connect(left, negated, all);
                self.sql.push_str(if all { " AND " } else { " OR " });
                self.connect(right, negated, all);
                self.sql.push(')');
            }
        }
    }

    fn test(&mut self, column: Column, test: &Test, negated: bool) {
        // An empty list has no NULL case to care about: it matches nothing, whatever the column.
        if let Test::OneOf(values) = test
            && values.is_empty()
        {
            return self.truth(negated);
        }
        let target = target(column);
        let nullable = match target {
            Target::Task(_) => joined(column).1,
            // `IN (subquery)` is NULL when the task has no definition.
            Target::Definition(_) => true,
        };
        // Where the column cannot be NULL, a plain NOT is exact and simpler for the planner.
        if negated {
            self.sql
                .push_str(if nullable { "NOT COALESCE((" } else { "NOT (" });
        }
        match target {
            Target::Task(expr) => self.comparison(expr, column.kind(), test),
            Target::Definition(expr) => {
                self.sql.push_str(
                    "t.BatchTaskDefinition_id IN (SELECT dq.BatchTaskDefinition_id \
                     FROM batchtaskdefinition dq WHERE ",
                );
                self.comparison(expr, column.kind(), test);
                self.sql.push(')');
            }
        }
        if negated {
            self.sql.push_str(if nullable { "), FALSE)" } else { ")" });
        }
    }

    /// The comparison itself; NULL when the column is, and otherwise true or false.
    fn comparison(&mut self, expr: &str, kind: Kind, test: &Test) {
        let text = kind == Kind::Text;
        let operand = |w: &mut Writer| {
            if text {
                w.lower(expr);
            } else {
                w.sql.push_str(expr);
            }
        };
        let compare = |w: &mut Writer, op: &str, value: &Value| {
            operand(w);
            w.sql.push_str(op);
            w.bind(param(value));
        };
        match test {
            Test::Eq(v) => compare(self, " = ", v),
            Test::Lt(v) => compare(self, " < ", v),
            Test::Le(v) => compare(self, " <= ", v),
            Test::Gt(v) => compare(self, " > ", v),
            Test::Ge(v) => compare(self, " >= ", v),
            Test::Between(low, high) => {
                compare(self, " BETWEEN ", low);
                self.sql.push_str(" AND ");
                self.bind(param(high));
            }
            Test::OneOf(values) => {
                operand(self);
                self.member_of(list(values, text));
            }
            Test::Begins(s) => self.like(expr, format!("{}%", literal_pattern(s))),
            Test::Contains(s) => self.like(expr, format!("%{}%", literal_pattern(s))),
            Test::Ends(s) => self.like(expr, format!("%{}", literal_pattern(s))),
            Test::Set => {
                self.sql.push_str(expr);
                self.sql.push_str(if text { " <> ''" } else { " <> 0" });
            }
        }
    }

    fn like(&mut self, expr: &str, pattern: String) {
        self.lower(expr);
        self.sql.push_str(" LIKE ");
        self.bind(Param::Text(pattern));
        self.sql.push_str(" ESCAPE '\\'");
    }

    /// The order keys, then the id: rows never tie, so pages never overlap. Keys after the id, or
    /// repeating an earlier column, could not change the order and are left out.
    fn order(&mut self, order: &[Order]) {
        self.sql.push_str(" ORDER BY ");
        let mut seen: Vec<Column> = Vec::with_capacity(order.len());
        for key in order {
            if seen.contains(&key.column) {
                continue;
            }
            seen.push(key.column);
            if seen.len() > 1 {
                self.sql.push_str(", ");
            }
            let (expr, nullable) = joined(key.column);
            if key.column.kind() == Kind::Text {
                self.lower(expr);
            } else {
                self.sql.push_str(expr);
            }
            // NULLS is spelled only where a NULL can occur: PostgreSQL would not walk an index in
            // an order that names it, even for a column that is never NULL.
            self.sql.push_str(match (key.descending, nullable) {
                (false, false) => " ASC",
                (true, false) => " DESC",
                (false, true) => " ASC NULLS FIRST",
                (true, true) => " DESC NULLS LAST",
            });
            if key.column == Column::Id {
                return;
            }
        }
        if !seen.is_empty() {
            self.sql.push_str(", ");
        }
        self.sql.push_str("t.BatchTask_id ASC");
    }

    fn page(&mut self, skip: u64, limit: Option<u64>) {
        // Beyond i64 there are no rows to skip or to stop at.
        let limit = limit.and_then(|limit| i64::try_from(limit).ok());
        let skip = i64::try_from(skip).unwrap_or(i64::MAX);
        self.sql.push_str(" LIMIT ");
        self.bind(Param::Limit(limit));
        self.sql.push_str(" OFFSET ");
        self.bind(Param::Int(skip));
    }
}

/// A checked value as it is bound: times as microseconds, text folded.
fn param(value: &Value) -> Param {
    match value {
        Value::Int(i) => Param::Int(*i),
        Value::Time(t) => Param::Int(t.timestamp_micros()),
        Value::Text(s) => Param::Text(fold(s)),
    }
}

/// A checked list as it is bound; [`check`] has made sure every value is of the column's kind.
fn list(values: &[Value], text: bool) -> Param {
    let params = values.iter().map(param);
    if text {
        Param::Texts(
            params
                .filter_map(|p| match p {
                    Param::Text(s) => Some(s),
                    _ => None,
                })
                .collect(),
        )
    } else {
        Param::Ints(
            params
                .filter_map(|p| match p {
                    Param::Int(i) => Some(i),
                    _ => None,
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use sobatch_core::AssociateId;

    use super::*;
    use crate::OwnerFilter;

    fn everyone() -> OwnerFilter {
        OwnerFilter {
            system: true,
            all_users: true,
            users: Vec::new(),
        }
    }

    fn query(predicate: Predicate) -> TaskQuery {
        TaskQuery {
            owners: everyone(),
            predicate,
            order: Vec::new(),
            skip: 0,
            limit: None,
        }
    }

    fn test(column: Column, test: Test) -> Predicate {
        Predicate::Test(column, test)
    }

    fn new_tasks() -> TaskQuery {
        TaskQuery {
            order: vec![Order {
                column: Column::Id,
                descending: false,
            }],
            limit: Some(100),
            ..query(test(Column::State, Test::Eq(Value::Int(1))))
        }
    }

    /// The archive's main query must stay a bare comparison on an indexed column, ordered by the
    /// id alone, or neither backend can serve it from `batchtask_state`.
    #[test]
    fn new_tasks_by_id_compile_to_an_indexable_comparison() {
        let sqlite = compile(&new_tasks(), Dialect::Sqlite).unwrap();
        assert_eq!(
            sqlite.sql,
            " WHERE t.state = ? ORDER BY t.BatchTask_id ASC LIMIT ? OFFSET ?"
        );
        assert_eq!(
            sqlite.params,
            vec![Param::Int(1), Param::Limit(Some(100)), Param::Int(0)]
        );
        let postgres = compile(&new_tasks(), Dialect::Postgres).unwrap();
        assert_eq!(
            postgres.sql,
            " WHERE t.state = $1 ORDER BY t.BatchTask_id ASC LIMIT $2 OFFSET $3"
        );
        assert_eq!(postgres.params, sqlite.params);
    }

    #[test]
    fn negation_reaches_the_tests_and_guards_only_nullable_columns() {
        let predicate = Predicate::Not(Box::new(Predicate::Or(vec![
            test(Column::State, Test::Eq(Value::Int(1))),
            test(Column::Request, Test::Contains("x".into())),
        ])));
        let compiled = compile(&query(predicate), Dialect::Postgres).unwrap();
        assert_eq!(
            compiled.sql,
            " WHERE (NOT (t.state = $1) AND NOT COALESCE((lower(t.request COLLATE \"C\") LIKE $2 \
             ESCAPE '\\'), FALSE)) ORDER BY t.BatchTask_id ASC LIMIT $3 OFFSET $4"
        );
        assert_eq!(compiled.params[1], Param::Text("%x%".into()));
    }

    #[test]
    fn definition_columns_are_tested_by_subquery_and_owners_come_first() {
        let mut q = query(test(
            Column::DefinitionName,
            Test::Eq(Value::Text("Rep".into())),
        ));
        q.owners = OwnerFilter {
            system: true,
            all_users: false,
            users: vec![AssociateId(7)],
        };
        let compiled = compile(&q, Dialect::Sqlite).unwrap();
        assert_eq!(
            compiled.sql,
            " WHERE (t.registered_associate_id = 0 OR t.registered_associate_id IN \
             (SELECT value FROM json_each(?))) AND t.BatchTaskDefinition_id IN \
             (SELECT dq.BatchTaskDefinition_id FROM batchtaskdefinition dq WHERE \
             lower(dq.name) = ?) ORDER BY t.BatchTask_id ASC LIMIT ? OFFSET ?"
        );
        assert_eq!(compiled.params[0], Param::Ints(vec![7]));
        assert_eq!(compiled.params[1], Param::Text("rep".into()));
    }

    /// Whatever a value holds, it is bound; the statement is made of the compiler's own text.
    #[test]
    fn no_value_reaches_the_statement_text() {
        let hostile = "x'); DROP TABLE batchtask; --";
        let predicate = Predicate::Or(vec![
            test(Column::Description, Test::Eq(Value::Text(hostile.into()))),
            test(Column::DbTag, Test::Begins(hostile.into())),
            test(
                Column::Request,
                Test::OneOf(vec![Value::Text(hostile.into())]),
            ),
            test(
                Column::DefinitionName,
                Test::Between(Value::Text(hostile.into()), Value::Text(hostile.into())),
            ),
        ]);
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let compiled = compile(&query(predicate.clone()), dialect).unwrap();
            assert!(
                !compiled.sql.to_lowercase().contains("drop"),
                "{}",
                compiled.sql
            );
            assert!(!compiled.sql.contains("x'"), "{}", compiled.sql);
        }
    }

    #[test]
    fn like_patterns_escape_wildcards_and_fold_ascii_only() {
        assert_eq!(literal_pattern(r"50%_a\B"), r"50\%\_a\\b");
        assert_eq!(literal_pattern("ÆØÅ Abc"), "ÆØÅ abc");
    }

    /// A long OR groups into a balanced tree: 3000 tests nest 12 parentheses deep, not 3000.
    #[test]
    fn wide_connectives_nest_logarithmically() {
        let wide = Predicate::Or(
            (0..3000)
                .map(|i| test(Column::Id, Test::Eq(Value::Int(i))))
                .collect(),
        );
        let compiled = compile(&query(wide), Dialect::Sqlite).unwrap();
        let mut depth: i32 = 0;
        let mut deepest = 0;
        for c in compiled.sql.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            deepest = deepest.max(depth);
        }
        assert_eq!(depth, 0);
        assert!(deepest <= 13, "{deepest}");
        assert_eq!(compiled.params.len(), 3002);
    }

    #[test]
    fn too_deep_or_too_many_values_is_refused() {
        let mut deep = Predicate::All;
        for _ in 0..MAX_DEPTH - 1 {
            deep = Predicate::Not(Box::new(deep));
        }
        assert!(compile(&query(deep.clone()), Dialect::Sqlite).is_ok());
        let deeper = Predicate::Not(Box::new(deep));
        assert!(matches!(
            compile(&query(deeper), Dialect::Sqlite),
            Err(StoreError::Config(_))
        ));
        // A chain far deeper than the limit is refused without recursing into it. (Not much deeper:
        // dropping a `Box` chain recurses too, and that is the test's, not the compiler's.)
        let mut chain = Predicate::Nothing;
        for _ in 0..5_000 {
            chain = Predicate::Not(Box::new(chain));
        }
        assert!(matches!(
            compile(&query(chain), Dialect::Postgres),
            Err(StoreError::Config(_))
        ));

        let many = |n: i64| {
            Predicate::Or(
                (0..n)
                    .map(|i| test(Column::Id, Test::Eq(Value::Int(i))))
                    .collect(),
            )
        };
        // Two more for the page.
        let fits = i64::try_from(MAX_VALUES).unwrap() - 2;
        assert!(compile(&query(many(fits)), Dialect::Postgres).is_ok());
        assert!(matches!(
            compile(&query(many(fits + 1)), Dialect::Postgres),
            Err(StoreError::Config(_))
        ));
        let long_list = test(
            Column::Id,
            Test::OneOf((0..100_000).map(Value::Int).collect()),
        );
        assert_eq!(
            compile(&query(long_list), Dialect::Sqlite)
                .unwrap()
                .params
                .len(),
            3
        );
    }

    #[test]
    fn paging_beyond_i64_means_no_limit_and_nothing_left() {
        let mut q = query(Predicate::All);
        q.skip = u64::MAX;
        q.limit = Some(u64::MAX);
        let compiled = compile(&q, Dialect::Sqlite).unwrap();
        assert_eq!(
            compiled.params,
            vec![Param::Limit(None), Param::Int(i64::MAX)]
        );
    }

    #[test]
    fn order_keys_stop_at_the_id_and_name_nulls_only_where_they_occur() {
        let key = |column, descending| Order { column, descending };
        let mut q = query(Predicate::All);
        q.order = vec![
            key(Column::LastStarted, true),
            key(Column::DefinitionName, false),
            key(Column::LastStarted, false),
            key(Column::State, true),
            key(Column::Id, true),
            key(Column::Description, false),
        ];
        let compiled = compile(&q, Dialect::Postgres).unwrap();
        assert_eq!(
            compiled.sql,
            " WHERE TRUE ORDER BY t.lastStarted DESC NULLS LAST, lower(d.name COLLATE \"C\") ASC \
             NULLS FIRST, t.state DESC, t.BatchTask_id DESC LIMIT $1 OFFSET $2"
        );
    }
}
