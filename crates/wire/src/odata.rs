//! OData `$filter` expressions as the SuperOffice archive endpoints take them (spec §1.8, §1.9):
//! the syntax tree, a hand-written parser ([`parse`]), a type check against the columns of a list
//! ([`bind`]), and a canonical rendering (`Display` on [`Filter`]).
//!
//! This module owns what a filter says, not which tasks it matches: turning a bound filter into a
//! query is the store's business, and matching names to columns (case-insensitively or not) is the
//! caller's, passed to [`bind`] as a lookup. The BatchTasks columns of spec §1.8 are here as
//! [`BATCH_TASK_COLUMNS`] for that lookup to use.
//!
//! Input is a client's query string, so nothing here may panic or recurse without bound: filters
//! longer than [`MAX_LENGTH`] characters or nested deeper than [`MAX_DEPTH`] are refused, and the
//! `and`/`or` chains that make up most of a long filter are kept flat rather than nested.

use std::fmt;

mod column;
mod operator;
mod parser;
mod token;

pub use column::{BATCH_TASK_COLUMNS, ColumnType, DateLiteral, bind, date_literal};
pub use operator::{Operator, Period};
pub use parser::parse;

/// The longest filter accepted, in characters. Real filters are a few conditions long; this bounds
/// the work one request can ask for.
pub const MAX_LENGTH: usize = 4096;

/// The deepest nesting accepted: each `(` and each `not` opens one level. It bounds the parser's
/// recursion, and so its stack, whatever the input.
pub const MAX_DEPTH: usize = 32;

/// A parsed `$filter`.
///
/// `And` and `Or` hold two or more operands in the order written, so `a and b and c` is one node
/// rather than a nested chain; an operand that is itself an `And` (or an `Or` inside `Or`) was
/// parenthesised in the text. Parentheses that change nothing leave no trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Condition(Condition),
}

/// One test on one column: `State eq 3`, `LastStarted today`, `startswith(DefinitionName,'Sa')`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The column name as written; matching it is the caller's business.
    pub column: String,
    pub operator: Operator,
    pub operand: Operand,
    /// Character offset of the column name.
    pub column_position: usize,
    /// Character offset of the operator word, or of the function name for a function.
    pub operator_position: usize,
}

impl Condition {
    /// Where the condition starts in the text: the column, or the name of a function.
    pub fn position(&self) -> usize {
        self.column_position.min(self.operator_position)
    }
}

/// What an operator is applied to, besides the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// Unary operators (`today`, `currentAssociate`) and a bare `set`.
    Nothing,
    /// `eq 3`, `contains 'x'`, and the value of `startswith`, `endswith` and `substringof`.
    Single(Value),
    /// `(1,2,3)`: never empty when parsed. Kept apart from `Single` because `oneOf 3` and
    /// `oneOf (3)` are both accepted and rendered back as written.
    List(Vec<Value>),
    /// The arguments of the date period functions: `next(LastStarted,3,day)` has count 3,
    /// `this(LastStarted,week)` none.
    Period { count: Option<u32>, period: Period },
}

/// A literal with the character offset where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub literal: Literal,
    pub position: usize,
}

/// The two kinds of literal the syntax has. Dates are quoted strings; whether a string is a date
/// depends on the column, so [`bind`] decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Int(i64),
    Text(String),
}

/// Why a filter was refused.
///
/// `message` is the whole sentence for the client, position included where there is one
/// (`unknown operator "eqq" at position 6`); `position` repeats the character offset, counted from
/// 0, for callers that point at it. It is never more than the input's length in characters, and
/// equals it when the filter ends too soon.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    pub message: String,
    pub position: usize,
}

impl FilterError {
    /// An error about the text at `position`, which the message names.
    fn at(position: usize, what: impl fmt::Display) -> Self {
        FilterError {
            message: format!("{what} at position {position}"),
            position,
        }
    }

    /// An error about the filter as a whole, or its end, where a position would say nothing.
    fn whole(position: usize, message: impl Into<String>) -> Self {
        FilterError {
            message: message.into(),
            position,
        }
    }
}

impl Filter {
    /// The same filter with every position set to 0, so that two filters that say the same thing
    /// compare equal however they were spaced or spelled.
    pub fn without_positions(mut self) -> Filter {
        self.clear_positions();
        self
    }

    fn clear_positions(&mut self) {
        match self {
            Filter::And(items) | Filter::Or(items) => {
                items.iter_mut().for_each(Filter::clear_positions);
            }
            Filter::Not(inner) => inner.clear_positions(),
            Filter::Condition(condition) => {
                condition.column_position = 0;
                condition.operator_position = 0;
                match &mut condition.operand {
                    Operand::Single(value) => value.position = 0,
                    Operand::List(values) => values.iter_mut().for_each(|v| v.position = 0),
                    Operand::Nothing | Operand::Period { .. } => {}
                }
            }
        }
    }
}

/// The canonical form: keywords and operators in the spelling of spec §1.9, single spaces, lists
/// without spaces, and parentheses only where the tree needs them. Parsing it gives back the same
/// tree, positions aside.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::And(items) => write_joined(f, items, " and ", |item| {
                matches!(item, Filter::And(_) | Filter::Or(_))
            }),
            Filter::Or(items) => {
                write_joined(f, items, " or ", |item| matches!(item, Filter::Or(_)))
            }
            Filter::Not(inner) => {
                f.write_str("not ")?;
                write_operand(f, inner, matches!(**inner, Filter::And(_) | Filter::Or(_)))
            }
            Filter::Condition(condition) => condition.fmt(f),
        }
    }
}

fn write_joined(
    f: &mut fmt::Formatter<'_>,
    items: &[Filter],
    separator: &str,
    needs_parentheses: impl Fn(&Filter) -> bool,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        write_operand(f, item, needs_parentheses(item))?;
    }
    Ok(())
}

fn write_operand(f: &mut fmt::Formatter<'_>, filter: &Filter, parenthesise: bool) -> fmt::Result {
    if parenthesise {
        write!(f, "({filter})")
    } else {
        write!(f, "{filter}")
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let column = &self.column;
        let name = self.operator.name();
        match (&self.operand, self.operator) {
            (Operand::Single(value), Operator::SubstringOf) => {
                write!(f, "{name}({value},{column})")
            }
            (Operand::Single(value), Operator::StartsWith | Operator::EndsWith) => {
                write!(f, "{name}({column},{value})")
            }
            (Operand::Period { count, period }, _) => {
                write!(f, "{name}({column},")?;
                if let Some(count) = count {
                    write!(f, "{count},")?;
                }
                write!(f, "{period})")
            }
            (Operand::Nothing, _) => write!(f, "{column} {name}"),
            (Operand::Single(value), _) => write!(f, "{column} {name} {value}"),
            (Operand::List(values), _) => {
                write!(f, "{column} {name} (")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{value}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.literal.fmt(f)
    }
}

/// A literal as it is written in a filter: numbers bare, text in single quotes with `'` doubled.
impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Text(text) => write!(f, "'{}'", text.replace('\'', "''")),
        }
    }
}
