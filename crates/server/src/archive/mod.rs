//! The OData archive list "BatchTasks" (spec §1.8, §1.9), behind `GET /api/v1/BatchTask` and
//! `GET /api/v1/Archive/BatchTasks`: its columns, the query options a request gives
//! ([`option`]), `$filter` bound to the store's [`sobatch_store::query::Predicate`] with dates
//! resolved in the request's time zone ([`filter`], [`calendar`]), and the rows rendered for the
//! request ([`row`]).
//!
//! The filtering, ordering and paging themselves are the store's: what leaves here is a
//! [`sobatch_store::query::TaskQuery`] of columns and concrete values, and nothing is filtered in
//! memory. The wire shape of the answer is `sobatch_wire::archive`'s.

pub mod calendar;
pub mod filter;
pub mod option;
pub mod row;

use sobatch_store::query::Column;
use sobatch_wire::odata::{BATCH_TASK_COLUMNS, ColumnType};

/// What a column of the list stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `getAllRows`: a restriction that, set, lets every row through.
    AllRows,
    /// `getNoRows`: a restriction that, set, lets no row through.
    NoRows,
    /// A column the store can test, order by and show.
    Store(Column),
}

/// One column of the list: its name as the spec spells it (and as answers write it), what it
/// stands for, and whether `$orderBy` may name it (the ✓ of spec §1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveColumn {
    pub name: &'static str,
    pub source: Source,
    pub orderable: bool,
}

const fn shown(name: &'static str, column: Column, orderable: bool) -> ArchiveColumn {
    ArchiveColumn {
        name,
        source: Source::Store(column),
        orderable,
    }
}

/// The columns of spec §1.8 in its order, which is also the order of the default `$select`. The
/// restriction types are `sobatch_wire::odata::BATCH_TASK_COLUMNS`'; a test keeps the two lists
/// in step.
pub const COLUMNS: [ArchiveColumn; 21] = [
    ArchiveColumn {
        name: "getAllRows",
        source: Source::AllRows,
        orderable: false,
    },
    ArchiveColumn {
        name: "getNoRows",
        source: Source::NoRows,
        orderable: false,
    },
    shown("DefinitionId", Column::DefinitionId, true),
    shown("DefinitionName", Column::DefinitionName, true),
    shown("DefinitionDescription", Column::DefinitionDescription, true),
    shown("DefinitionTimeOut", Column::DefinitionTimeOut, true),
    shown("Description", Column::Description, true),
    shown("DbTag", Column::DbTag, true),
    shown("State", Column::State, true),
    shown("DetailsTable", Column::DetailsTable, true),
    shown("DetailsRecord", Column::DetailsRecord, true),
    shown("Request", Column::Request, false),
    shown("Response", Column::Response, false),
    shown("StartCount", Column::StartCount, true),
    shown("LastStarted", Column::LastStarted, true),
    shown("ProgressPercent", Column::ProgressPercent, true),
    shown("ProgressDescription", Column::ProgressDescription, false),
    shown("updatedBy", Column::UpdatedBy, true),
    shown("updatedDate", Column::UpdatedDate, true),
    shown("registeredBy", Column::RegisteredBy, true),
    shown("registeredDate", Column::RegisteredDate, true),
];

/// The name `$orderBy` takes for the row's primary key, the task id; it is no column of the list
/// (spec §1.8), but the default order is by it.
pub const PRIMARY_KEY: &str = "PrimaryKey";

/// The column named `name`, in any case: ASP.NET binds OData names case-insensitively, and the
/// spec's own spelling mixes `DefinitionName` with `registeredBy`.
pub fn column_named(name: &str) -> Option<&'static ArchiveColumn> {
    COLUMNS
        .iter()
        .find(|column| column.name.eq_ignore_ascii_case(name))
}

/// The restriction type of the column named `name`, in any case: the lookup `$filter`'s type
/// check runs with.
pub fn column_type(name: &str) -> Option<ColumnType> {
    BATCH_TASK_COLUMNS
        .iter()
        .find(|(column, _)| column.eq_ignore_ascii_case(name))
        .map(|(_, column_type)| *column_type)
}

#[cfg(test)]
mod tests {
    use sobatch_store::query::Kind;

    use super::*;

    #[test]
    fn the_columns_are_the_wire_crates_in_the_same_order() {
        let ours: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        let wire: Vec<&str> = BATCH_TASK_COLUMNS.iter().map(|(name, _)| *name).collect();
        assert_eq!(ours, wire);
    }

    #[test]
    fn each_column_holds_what_its_restriction_type_compares() {
        for (column, (_, column_type)) in COLUMNS.iter().zip(BATCH_TASK_COLUMNS) {
            let fits = match (column.source, column_type) {
                (Source::AllRows | Source::NoRows, ColumnType::Bool) => true,
                (Source::Store(stored), ColumnType::Int | ColumnType::Associate) => {
                    stored.kind() == Kind::Int
                }
                (Source::Store(stored), ColumnType::String) => stored.kind() == Kind::Text,
                (Source::Store(stored), ColumnType::Date) => stored.kind() == Kind::Time,
                _ => false,
            };
            assert!(fits, "{}", column.name);
        }
    }

    #[test]
    fn only_the_spec_s_ticked_columns_can_be_ordered_by() {
        let unordered: Vec<&str> = COLUMNS
            .iter()
            .filter(|c| !c.orderable)
            .map(|c| c.name)
            .collect();
        assert_eq!(
            unordered,
            [
                "getAllRows",
                "getNoRows",
                "Request",
                "Response",
                "ProgressDescription"
            ]
        );
    }

    #[test]
    fn names_match_in_any_case() {
        assert_eq!(
            column_named("REGISTEREDBY").map(|c| c.name),
            Some("registeredBy")
        );
        assert_eq!(column_type("laststarted"), Some(ColumnType::Date));
        assert_eq!(column_named("Name"), None);
    }
}
