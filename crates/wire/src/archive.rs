//! The answer of an OData archive list as SuperOffice writes it (spec §1.8): the
//! `ODataSlimResponse` envelope (`odata.metadata`, `odata.nextLink`, `value`), its rows in Slim and
//! Full mode, `$output` and `$jsonSafe`, and the same answer as XML.
//!
//! What a row holds comes from the caller as [`Cell`]s, already rendered for the request (dates in
//! its zone, texts in its language): this module owns the shape, not the values, and knows nothing
//! of which rows a query selects (the store's business) or how `$filter` reads (`crate::odata`).

use serde_json::{Map, Value};

use crate::xml::json_value_xml;

/// The entity every row of the BatchTasks archive belongs to (spec §1.8: a single entity).
pub const BATCH_TASK_ENTITY: &str = "batchtask";

/// The table right a Full row carries. The list is read-only, so a row grants reading it
/// (`Select`, ETableRight 1), as the documented Full sample does; what else a caller may do to a
/// task is for the task routes to say.
pub const ROW_TABLE_RIGHT_MASK: i64 = 1;

/// The root element of the XML form, named after the answer's documented type.
pub const XML_ROOT: &str = "ODataSlimResponse";

/// One cell of a row, by the restriction type of its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Int(i64),
    Text(String),
    /// A date already rendered for the request (`2024-05-02T08:15:30`, or the empty date).
    Date(String),
    /// A user: the id is the value, the name is what people see (empty for the system).
    Associate {
        id: i32,
        name: String,
    },
}

impl Cell {
    /// Full mode's `RawValue`: the value itself, an associate's id included.
    fn raw(&self) -> Value {
        match self {
            Cell::Int(n) => Value::from(*n),
            Cell::Text(text) | Cell::Date(text) => Value::String(text.clone()),
            Cell::Associate { id, .. } => Value::from(*id),
        }
    }

    /// Slim mode with `$output=Logical`: typed where the type is a JSON one (numbers), the text
    /// people read otherwise (an associate's name, as real Slim rows show initials).
    fn logical(&self) -> Value {
        match self {
            Cell::Int(n) => Value::from(*n),
            Cell::Text(text) | Cell::Date(text) => Value::String(text.clone()),
            Cell::Associate { name, .. } => Value::String(name.clone()),
        }
    }

    /// `DisplayValue`, and Slim mode with `$output=Display`: always text.
    fn display(&self) -> String {
        match self {
            Cell::Int(n) => n.to_string(),
            Cell::Text(text) | Cell::Date(text) => text.clone(),
            Cell::Associate { name, .. } => name.clone(),
        }
    }
}

/// One row: its primary key (the task id) and its cells, keyed by column name as the spec spells
/// it, in the order `$select` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRow {
    pub primary_key: i32,
    pub cells: Vec<(&'static str, Cell)>,
}

/// `$mode`: `Wide` is undocumented and reads as Slim (spec Q19), so it has no variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArchiveMode {
    #[default]
    Slim,
    Full,
}

/// `$output`, which only Slim rows follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArchiveOutput {
    #[default]
    Logical,
    Display,
}

/// How a page is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArchiveShape {
    pub mode: ArchiveMode,
    pub output: ArchiveOutput,
    /// `$jsonSafe`: column keys with characters other than letters, digits and `_` get `_` there.
    pub json_safe: bool,
}

/// One answer of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivePage {
    /// The absolute URL of the list's metadata document.
    pub metadata: String,
    /// The absolute URL of the next page, when the server cut this one short.
    pub next_link: Option<String>,
    pub rows: Vec<ArchiveRow>,
}

/// The page as a JSON value, members in the documented order: the envelope, then each row's
/// `PrimaryKey` (a string in Slim, a number in Full) and `EntityName`, then Slim's cells or Full's
/// hints and `Column` map.
pub fn archive_json(page: &ArchivePage, shape: &ArchiveShape) -> Value {
    let rows = page.rows.iter().map(|row| row_json(row, shape)).collect();
    let mut envelope = Map::new();
    envelope.insert(
        "odata.metadata".into(),
        Value::String(page.metadata.clone()),
    );
    envelope.insert(
        "odata.nextLink".into(),
        page.next_link.clone().map_or(Value::Null, Value::String),
    );
    envelope.insert("value".into(), Value::Array(rows));
    Value::Object(envelope)
}

/// The page as XML: the JSON form under [`XML_ROOT`], written the way the server writes every
/// other ad-hoc object (members as elements, rows as `<item>`, `null` as nil).
pub fn archive_xml(page: &ArchivePage, shape: &ArchiveShape) -> String {
    json_value_xml(XML_ROOT, &archive_json(page, shape))
}

fn row_json(row: &ArchiveRow, shape: &ArchiveShape) -> Value {
    let key = |name: &str| {
        if shape.json_safe {
            json_safe_name(name)
        } else {
            name.to_string()
        }
    };
    let mut out = Map::new();
    match shape.mode {
        ArchiveMode::Slim => {
            out.insert(
                "PrimaryKey".into(),
                Value::String(row.primary_key.to_string()),
            );
            out.insert("EntityName".into(), BATCH_TASK_ENTITY.into());
            for (name, cell) in &row.cells {
                let value = match shape.output {
                    ArchiveOutput::Logical => cell.logical(),
                    ArchiveOutput::Display => Value::String(cell.display()),
                };
                out.insert(key(name), value);
            }
        }
        ArchiveMode::Full => {
            out.insert("PrimaryKey".into(), Value::from(row.primary_key));
            out.insert("EntityName".into(), BATCH_TASK_ENTITY.into());
            out.insert("StyleHint".into(), "".into());
            out.insert("LinkHint".into(), "".into());
            let mut right = Map::new();
            right.insert("Mask".into(), Value::from(ROW_TABLE_RIGHT_MASK));
            right.insert("Reason".into(), "".into());
            out.insert("TableRight".into(), Value::Object(right));
            let mut columns = Map::new();
            for (name, cell) in &row.cells {
                let mut entry = Map::new();
                entry.insert("RawValue".into(), cell.raw());
                entry.insert("DisplayValue".into(), Value::String(cell.display()));
                entry.insert("LinkHint".into(), "".into());
                entry.insert("TooltipHint".into(), "".into());
                columns.insert(key(name), Value::Object(entry));
            }
            out.insert("Column".into(), Value::Object(columns));
        }
    }
    Value::Object(out)
}

/// `name` with every character that is not an ASCII letter, digit or `_` replaced by `_`, so
/// that it can be a JavaScript identifier-like key: `Count(State):Footer` → `Count_State__Footer`.
pub fn json_safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_safe_names_keep_letters_digits_and_underscores_only() {
        assert_eq!(json_safe_name("registeredBy"), "registeredBy");
        assert_eq!(json_safe_name("Count(State):Footer"), "Count_State__Footer");
        assert_eq!(json_safe_name("person/personId"), "person_personId");
        assert_eq!(json_safe_name("a.b"), "a_b");
    }

    #[test]
    fn each_cell_kind_has_its_raw_logical_and_display_value() {
        let associate = Cell::Associate {
            id: 5,
            name: "RJ".into(),
        };
        assert_eq!(associate.raw(), Value::from(5));
        assert_eq!(associate.logical(), Value::from("RJ"));
        assert_eq!(associate.display(), "RJ");
        let state = Cell::Int(3);
        assert_eq!(state.raw(), Value::from(3));
        assert_eq!(state.logical(), Value::from(3));
        assert_eq!(state.display(), "3");
    }
}
