//! The task list of the OData archive (spec §1.8) in the store's own terms: which tasks, in which
//! order, which page. Every backend compiles a [`TaskQuery`] to one parameterised SQL statement
//! (after small lookups that turn tests of a definition's columns into ids); nothing here is
//! text from a client, and nothing is filtered in memory.
//!
//! The server binds a client's `$filter` to this: operator spellings, date periods in the
//! request's time zone and `currentAssociate` are resolved there, so that a query here holds only
//! columns, comparisons and concrete values.
//!
//! Both backends share one compiler (`sql`), so that a query selects and orders the same rows on
//! each. Text folds case for the ASCII letters only, because that is all SQLite's `lower()` folds;
//! PostgreSQL is held to the same rule whatever its locale.

use sobatch_core::{AssociateId, Task, Timestamp};

use crate::OwnerFilter;

pub(crate) mod sql;

/// What a query can test and order by: the BatchTasks columns of spec §1.8, and the task id (the
/// row's `PrimaryKey`). The `Definition…` columns are NULL for a task without a definition;
/// `DefinitionId` is the task's own reference to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Id,
    DefinitionId,
    DefinitionName,
    DefinitionDescription,
    /// The definition's timeout in seconds (0: none).
    DefinitionTimeOut,
    Description,
    DbTag,
    State,
    DetailsTable,
    DetailsRecord,
    Request,
    Response,
    StartCount,
    LastStarted,
    ProgressPercent,
    ProgressDescription,
    UpdatedBy,
    UpdatedDate,
    RegisteredBy,
    RegisteredDate,
}

/// The kind of value a column holds, which decides the values a [`Test`] on it may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    Time,
}

impl Column {
    pub fn kind(self) -> Kind {
        match self {
            Column::DefinitionName
            | Column::DefinitionDescription
            | Column::Description
            | Column::DbTag
            | Column::Request
            | Column::Response
            | Column::ProgressDescription => Kind::Text,
            Column::LastStarted | Column::UpdatedDate | Column::RegisteredDate => Kind::Time,
            Column::Id
            | Column::DefinitionId
            | Column::DefinitionTimeOut
            | Column::State
            | Column::DetailsTable
            | Column::DetailsRecord
            | Column::StartCount
            | Column::ProgressPercent
            | Column::UpdatedBy
            | Column::RegisteredBy => Kind::Int,
        }
    }
}

/// A value a column is compared with. Its kind must be the column's; the store refuses a query
/// that mixes them ([`crate::StoreError::Config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Text(String),
    Time(Timestamp),
}

/// One comparison of a column.
///
/// Text compares case-insensitively (ASCII letters; `Æ` and `æ` differ) and otherwise by code
/// point, and `Begins`, `Contains` and `Ends` take their text literally (`%` and `_` are not
/// wildcards; empty text begins, ends and is contained in every text). A column that is NULL passes no test except by
/// negation: `Not(Test(c, Eq(v)))` holds for a NULL `c`, so every predicate is true or false,
/// never unknown, on every backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    Eq(Value),
    Lt(Value),
    Le(Value),
    Gt(Value),
    Ge(Value),
    /// Both ends included.
    Between(Value, Value),
    /// Equal to any of them; an empty list matches nothing.
    OneOf(Vec<Value>),
    Begins(String),
    Contains(String),
    Ends(String),
    /// Not NULL, and neither 0 nor empty text.
    Set,
}

/// Which tasks a query selects. A predicate nested deeper than 64 levels, or comparing more than
/// 30,000 values (a `OneOf` list counts once), is [`crate::StoreError::Config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    /// Every task (an empty `And`).
    All,
    /// No task (an empty `Or`).
    Nothing,
    And(Vec<Predicate>),
    Or(Vec<Predicate>),
    Not(Box<Predicate>),
    Test(Column, Test),
}

/// One key of the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub column: Column,
    pub descending: bool,
}

/// A page of the task list. Rows come in `order`, then by id ascending, so that pages never
/// overlap; in ascending order NULLs come first, in descending order last, and text orders
/// case-insensitively (as [`Test`] compares it) by code point, the same on every backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskQuery {
    /// Whose tasks may appear at all (the visibility rules of spec §1.6), before the predicate.
    pub owners: OwnerFilter,
    pub predicate: Predicate,
    pub order: Vec<Order>,
    pub skip: u64,
    /// At most this many rows; `None` for all.
    pub limit: Option<u64>,
}

/// A task as the archive list shows it: the task (without its parameters, which no column shows)
/// and what the row's other columns need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTask {
    /// `parameters` is always `None` here.
    pub task: Task,
    pub definition_id: i32,
    pub definition_description: String,
    /// Seconds; 0 when the definition has none.
    pub definition_timeout: i32,
    pub updated_by: AssociateId,
    /// The names of the associates the `registeredBy` and `updatedBy` columns show; `None` for
    /// associate 0 (the system) and for an associate without a row.
    pub registered_by_name: Option<String>,
    pub updated_by_name: Option<String>,
}
