//! The type check of `$filter`: which operators each column type takes and which literals fit it
//! (spec §1.9), and the columns of the BatchTasks list (spec §1.8). What a column's values are, and
//! how a name is matched to a column, belong to the caller's lookup.

use std::fmt;
use std::slice;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;
use sobatch_core::Timestamp;

use super::{Condition, Filter, FilterError, Literal, Operand, Operator, Value};
use crate::date::parse_date;

/// The restriction type of a column, which decides the operators and literals it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Int,
    String,
    Date,
    DateTime,
    /// A user id: `updatedBy`, `registeredBy`.
    Associate,
    /// Ids from a list.
    List,
    Bool,
}

/// The columns of `GET /api/v1/BatchTask` (archive "BatchTasks", spec §1.8), spelled as the spec
/// spells them, in its order.
pub const BATCH_TASK_COLUMNS: [(&str, ColumnType); 21] = [
    ("getAllRows", ColumnType::Bool),
    ("getNoRows", ColumnType::Bool),
    ("DefinitionId", ColumnType::Int),
    ("DefinitionName", ColumnType::String),
    ("DefinitionDescription", ColumnType::String),
    ("DefinitionTimeOut", ColumnType::Int),
    ("Description", ColumnType::String),
    ("DbTag", ColumnType::String),
    ("State", ColumnType::Int),
    ("DetailsTable", ColumnType::Int),
    ("DetailsRecord", ColumnType::Int),
    ("Request", ColumnType::String),
    ("Response", ColumnType::String),
    ("StartCount", ColumnType::Int),
    ("LastStarted", ColumnType::Date),
    ("ProgressPercent", ColumnType::Int),
    ("ProgressDescription", ColumnType::String),
    ("updatedBy", ColumnType::Associate),
    ("updatedDate", ColumnType::Date),
    ("registeredBy", ColumnType::Associate),
    ("registeredDate", ColumnType::Date),
];

impl ColumnType {
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Int => "int",
            ColumnType::String => "string",
            ColumnType::Date => "date",
            ColumnType::DateTime => "datetime",
            ColumnType::Associate => "associate",
            ColumnType::List => "list",
            ColumnType::Bool => "bool",
        }
    }

    /// Whether a column of this type takes `operator`: the table of spec §1.9, plus `oneOf` and
    /// `notOneOf` on int columns, which the spec's own example `State oneOf (1,2,3)` uses.
    pub fn allows(self, operator: Operator) -> bool {
        use Operator as Op;
        match self {
            ColumnType::Int => matches!(
                operator,
                Op::Eq
                    | Op::EqualSign
                    | Op::Ne
                    | Op::Le
                    | Op::Lt
                    | Op::Gt
                    | Op::Ge
                    | Op::Set
                    | Op::Equals
                    | Op::Greater
                    | Op::Less
                    | Op::Unequals
                    | Op::Between
                    | Op::OneOf
                    | Op::NotOneOf
            ),
            ColumnType::String => matches!(
                operator,
                Op::Begins
                    | Op::Between
                    | Op::Contains
                    | Op::Is
                    | Op::NotBegins
                    | Op::NotContains
                    | Op::IsNot
                    | Op::In
                    | Op::SubstringOf
                    | Op::StartsWith
                    | Op::EndsWith
            ),
            ColumnType::Date => matches!(
                operator,
                Op::Before
                    | Op::Date
                    | Op::After
                    | Op::Between
                    | Op::DateBetween
                    | Op::BeforeToday
                    | Op::Today
                    | Op::AfterToday
                    | Op::LastWeek
                    | Op::ThisWeek
                    | Op::NextWeek
                    | Op::LastMonth
                    | Op::ThisMonth
                    | Op::NextMonth
                    | Op::LastQuarter
                    | Op::ThisQuarter
                    | Op::NextQuarter
                    | Op::ThisHalf
                    | Op::ThisYear
                    | Op::This
                    | Op::Next
                    | Op::Previous
                    | Op::ThisAndNext
                    | Op::ThisAndPrevious
                    | Op::ThisAndPreviousAndNext
            ),
            ColumnType::DateTime => {
                matches!(operator, Op::DateTime | Op::BeforeTime | Op::AfterTime)
            }
            ColumnType::Associate => matches!(
                operator,
                Op::AssociateIsOneOf | Op::AssociateIsNotOneOf | Op::CurrentAssociate
            ),
            ColumnType::List => matches!(operator, Op::Equals | Op::OneOf | Op::NotOneOf),
            ColumnType::Bool => operator == Op::Set,
        }
    }

    /// What a literal for this type must be, for messages: `"abc" is not a whole number`.
    fn wants(self) -> &'static str {
        match self {
            ColumnType::Int | ColumnType::List => "a whole number",
            ColumnType::String => "a quoted string",
            ColumnType::Date | ColumnType::DateTime => "a date",
            ColumnType::Associate => "an associate id",
            ColumnType::Bool => "0 or 1",
        }
    }

    fn fits(self, literal: &Literal) -> bool {
        match (self, literal) {
            (ColumnType::Int | ColumnType::List | ColumnType::Associate, Literal::Int(_)) => true,
            (ColumnType::String, Literal::Text(_)) => true,
            (ColumnType::Date | ColumnType::DateTime, Literal::Text(text)) => is_date(text),
            (ColumnType::Bool, Literal::Int(n)) => matches!(n, 0 | 1),
            _ => false,
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Checks every condition of `filter` against the columns `columns` knows: the column exists, its
/// type takes the operator, and each literal fits the type. Reports the first problem in the order
/// the conditions were written.
///
/// `columns` gets each name as written; a caller that matches names case-insensitively does so
/// inside it.
pub fn bind(
    filter: &Filter,
    columns: &dyn Fn(&str) -> Option<ColumnType>,
) -> Result<(), FilterError> {
    match filter {
        Filter::And(items) | Filter::Or(items) => {
            items.iter().try_for_each(|item| bind(item, columns))
        }
        Filter::Not(inner) => bind(inner, columns),
        Filter::Condition(condition) => bind_condition(condition, columns),
    }
}

fn bind_condition(
    condition: &Condition,
    columns: &dyn Fn(&str) -> Option<ColumnType>,
) -> Result<(), FilterError> {
    let Condition {
        column, operator, ..
    } = condition;
    let Some(column_type) = columns(column) else {
        return Err(FilterError::at(
            condition.column_position,
            format!("unknown column \"{column}\""),
        ));
    };
    if !column_type.allows(*operator) {
        return Err(FilterError::at(
            condition.operator_position,
            format!(
                "operator \"{operator}\" does not apply to the {column_type} column \"{column}\""
            ),
        ));
    }
    if let Some(problem) = operator.operand_problem(&condition.operand) {
        return Err(FilterError::at(
            condition.operator_position,
            format!("operator \"{operator}\" {problem}"),
        ));
    }
    let values: &[Value] = match &condition.operand {
        Operand::Single(value) => slice::from_ref(value),
        Operand::List(values) => values,
        Operand::Nothing | Operand::Period { .. } => &[],
    };
    // On an int column `set` asks whether there is a value at all; only bool columns give it one.
    if let (ColumnType::Int, Operator::Set, Some(value)) = (column_type, operator, values.first()) {
        return Err(FilterError::at(
            value.position,
            format!("operator \"set\" takes no value for the int column \"{column}\""),
        ));
    }
    for value in values {
        if !column_type.fits(&value.literal) {
            let shown = match &value.literal {
                Literal::Int(n) => n.to_string(),
                Literal::Text(text) => format!("\"{text}\""),
            };
            return Err(FilterError::at(
                value.position,
                format!("{shown} is not {} for \"{column}\"", column_type.wants()),
            ));
        }
    }
    Ok(())
}

/// What a date literal of a filter says, before a time zone gives it an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateLiteral {
    /// A whole day, `'2024-1-1'`.
    Day(NaiveDate),
    /// Wall time without an offset, `'2024-1-1 8:05'`: an instant only in some zone.
    WallTime(NaiveDateTime),
    /// A time with `Z` or an offset, `'2024-05-02T08:15:30Z'`: the same instant in every zone.
    Instant(Timestamp),
}

/// Reads a date a filter may compare with: `YYYY-M-D` as the spec's examples write it,
/// optionally followed by `T` or a space and `H:MM` or `H:MM:SS`, or anything
/// [`crate::date::parse_date`] reads (full width, with a fraction or an offset). Year 0 and
/// earlier are refused, as .NET cannot hold them. [`bind`] accepts exactly the texts this reads.
pub fn date_literal(text: &str) -> Option<DateLiteral> {
    if let Some(short) = short_date(text) {
        return Some(short);
    }
    let parsed = parse_date(text, Tz::UTC)?;
    // `parse_date` reads 19 fixed-width characters of wall time, then a fraction of digits, then
    // the suffix: a `Z`, `+` or `-` after them can only be the offset.
    let suffixed = text
        .trim()
        .get(19..)
        .is_some_and(|rest| rest.contains(['Z', 'z', '+', '-']));
    Some(if suffixed {
        DateLiteral::Instant(parsed)
    } else {
        DateLiteral::WallTime(parsed.naive_utc())
    })
}

fn is_date(text: &str) -> bool {
    date_literal(text).is_some()
}

fn short_date(text: &str) -> Option<DateLiteral> {
    let (date, time) = match text.split_once(['T', 't', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let (Some(year), Some(month), Some(day)) =
        (number(year, 4, 4), number(month, 1, 2), number(day, 1, 2))
    else {
        return None;
    };
    let date = i32::try_from(year)
        .ok()
        .and_then(|year| NaiveDate::from_ymd_opt(year, month, day))?;
    if date.year() < 1 {
        return None;
    }
    match time {
        None => Some(DateLiteral::Day(date)),
        Some(time) => short_time(time).map(|time| DateLiteral::WallTime(date.and_time(time))),
    }
}

fn short_time(text: &str) -> Option<NaiveTime> {
    let mut parts = text.split(':');
    let (Some(hour), Some(minute), second, None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let second = match second {
        Some(second) => number(second, 2, 2),
        None => Some(0),
    };
    let (Some(hour), Some(minute), Some(second)) =
        (number(hour, 1, 2), number(minute, 2, 2), second)
    else {
        return None;
    };
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// The value of `text` if it is `min` to `max` ASCII digits.
fn number(text: &str, min: usize, max: usize) -> Option<u32> {
    if !(min..=max).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_full_dates_are_dates() {
        for text in [
            "2024-1-1",
            "2024-01-01",
            "2024-12-31T23:59:59",
            "2024-2-29 8:05",
            "2024-02-29T08:05:00",
            "2024-05-02T08:15:30.2468781",
            "2024-05-02T08:15:30Z",
            "2024-05-02T08:15:30+02:00",
            "0001-01-01T00:00:00",
        ] {
            assert!(is_date(text), "{text}");
        }
    }

    #[test]
    fn impossible_and_malformed_dates_are_not() {
        for text in [
            "",
            "2024",
            "2024-1",
            "24-1-1",
            "2024-13-1",
            "2023-2-29",
            "2024-1-1-1",
            "2024-001-1",
            "2024-1-1T",
            "2024-1-1T25:00",
            "2024-1-1T10:60",
            "2024-1-1T10:5",
            "0000-1-1",
            "+2024-1-1",
            " 2024-1-1",
            "yesterday",
        ] {
            assert!(!is_date(text), "{text}");
        }
    }

    #[test]
    fn date_literals_say_whether_they_are_a_day_a_wall_time_or_an_instant() {
        let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(date_literal("2024-2-29"), Some(DateLiteral::Day(day)));
        assert_eq!(
            date_literal("2024-2-29 8:05"),
            Some(DateLiteral::WallTime(day.and_hms_opt(8, 5, 0).unwrap()))
        );
        assert_eq!(
            date_literal("2024-02-29T08:05:00.5"),
            Some(DateLiteral::WallTime(
                day.and_hms_milli_opt(8, 5, 0, 500).unwrap()
            ))
        );
        assert_eq!(
            date_literal("2024-02-29T08:05:00+02:00"),
            Some(DateLiteral::Instant(
                day.and_hms_opt(6, 5, 0).unwrap().and_utc()
            ))
        );
        assert_eq!(
            date_literal("2024-02-29T08:05:00.25Z"),
            Some(DateLiteral::Instant(
                day.and_hms_milli_opt(8, 5, 0, 250).unwrap().and_utc()
            ))
        );
        assert_eq!(date_literal("2024-02-30"), None);
    }

    #[test]
    fn the_batch_task_columns_have_distinct_names() {
        let mut names: Vec<String> = BATCH_TASK_COLUMNS
            .iter()
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), BATCH_TASK_COLUMNS.len());
    }

    #[test]
    fn every_operator_applies_to_some_column_type() {
        let types = [
            ColumnType::Int,
            ColumnType::String,
            ColumnType::Date,
            ColumnType::DateTime,
            ColumnType::Associate,
            ColumnType::List,
            ColumnType::Bool,
        ];
        for operator in Operator::ALL {
            assert!(
                types.iter().any(|t| t.allows(operator)),
                "{operator} applies to nothing"
            );
        }
    }
}
