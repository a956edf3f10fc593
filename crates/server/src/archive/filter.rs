//! `$filter` bound to the store's terms: the wire crate parses and type-checks the text, and this
//! turns each condition into a [`Predicate`] of columns and concrete values. Operator spellings
//! collapse onto the store's few tests, date literals and periods become instants in the request's
//! time zone, and `currentAssociate` becomes the caller's id.
//!
//! Dates (spec §1.9 says what the operators are, not what a date-only literal means; these are
//! ours): a literal without a time names a whole local day, so `date 'd'` is from the day's first
//! instant up to the next day's, `before 'd'` is before the day starts, `after 'd'` from the start
//! of the next day, and `between ('a','b')` from the start of `a` to the end of `b`. A literal with
//! a time is that instant (`before`/`after` exclusive, `between` inclusive); `date` takes the local
//! day it falls on. A wall time the zone's clocks skip is refused.
//!
//! Every error is a [`FilterError`] naming the text at fault and its position; nothing here
//! panics, whatever the parsed tree holds.

use chrono::NaiveDate;
use chrono_tz::Tz;
use sobatch_core::{AssociateId, Timestamp};
use sobatch_store::query::{Column, Kind, Predicate, Test, Value as StoreValue};
use sobatch_wire::odata::{
    Condition, DateLiteral, Filter, FilterError, Literal, Operand, Operator, Period, Value, bind,
    date_literal, parse,
};

use super::calendar::{day_start, next_day, period_days, today, wall_time};
use super::{Source, column_named, column_type};

/// What a filter is evaluated against besides its text.
#[derive(Debug, Clone, Copy)]
pub struct FilterContext {
    /// The request's zone: date literals and periods are its wall time.
    pub zone: Tz,
    /// The moment "today" and the other periods are counted from.
    pub now: Timestamp,
    /// The caller, for `currentAssociate`.
    pub caller: AssociateId,
}

/// Parses, checks and binds a `$filter` text.
pub fn predicate(text: &str, context: &FilterContext) -> Result<Predicate, FilterError> {
    let filter = parse(text)?;
    bind(&filter, &column_type)?;
    convert(&filter, context)
}

/// The parser bounds the nesting (`sobatch_wire::odata::MAX_DEPTH`), and with it this recursion.
fn convert(filter: &Filter, context: &FilterContext) -> Result<Predicate, FilterError> {
    match filter {
        Filter::And(items) => items
            .iter()
            .map(|item| convert(item, context))
            .collect::<Result<_, _>>()
            .map(Predicate::And),
        Filter::Or(items) => items
            .iter()
            .map(|item| convert(item, context))
            .collect::<Result<_, _>>()
            .map(Predicate::Or),
        Filter::Not(inner) => Ok(Predicate::Not(Box::new(convert(inner, context)?))),
        Filter::Condition(condition) => bind_condition(condition, context),
    }
}

/// An error about the text at `position`, worded as the wire crate words its own.
fn error_at(position: usize, what: impl std::fmt::Display) -> FilterError {
    FilterError {
        message: format!("{what} at position {position}"),
        position,
    }
}

/// The type check let through a condition this binding has no meaning for. It cannot happen with
/// the columns as they are, but a column added to one list and not the other must not panic.
fn not_applicable(condition: &Condition) -> FilterError {
    error_at(
        condition.operator_position,
        format!(
            "operator \"{}\" does not apply to the column \"{}\"",
            condition.operator, condition.column
        ),
    )
}

fn bind_condition(
    condition: &Condition,
    context: &FilterContext,
) -> Result<Predicate, FilterError> {
    let Some(column) = column_named(&condition.column) else {
        return Err(error_at(
            condition.column_position,
            format!("unknown column \"{}\"", condition.column),
        ));
    };
    match column.source {
        Source::AllRows | Source::NoRows => restriction(condition, column.source),
        Source::Store(stored) => match stored.kind() {
            Kind::Int => int_condition(condition, stored, context),
            Kind::Text => text_condition(condition, stored),
            Kind::Time => date_condition(condition, stored, context),
        },
    }
}

/// `getAllRows set` lets every row through and `getNoRows set` none. A restriction set to 0 is
/// not in force, so it restricts nothing either way.
fn restriction(condition: &Condition, source: Source) -> Result<Predicate, FilterError> {
    if condition.operator != Operator::Set {
        return Err(not_applicable(condition));
    }
    let in_force = match &condition.operand {
        Operand::Nothing => true,
        Operand::Single(value) => int(value)? != 0,
        Operand::List(_) | Operand::Period { .. } => return Err(not_applicable(condition)),
    };
    Ok(match source {
        Source::NoRows if in_force => Predicate::Nothing,
        Source::AllRows | Source::NoRows | Source::Store(_) => Predicate::All,
    })
}

fn not(predicate: Predicate) -> Predicate {
    Predicate::Not(Box::new(predicate))
}

/// Int columns, and the associate columns, which hold associate ids.
fn int_condition(
    condition: &Condition,
    column: Column,
    context: &FilterContext,
) -> Result<Predicate, FilterError> {
    use Operator as Op;
    let test = |test: Test| Ok(Predicate::Test(column, test));
    let one = || single(condition).and_then(int).map(StoreValue::Int);
    let many = || -> Result<Vec<StoreValue>, FilterError> {
        values(condition)?
            .iter()
            .map(|value| int(value).map(StoreValue::Int))
            .collect()
    };
    match condition.operator {
        Op::Eq | Op::EqualSign | Op::Equals => test(Test::Eq(one()?)),
        Op::Ne | Op::Unequals => Ok(not(Predicate::Test(column, Test::Eq(one()?)))),
        Op::Lt | Op::Less => test(Test::Lt(one()?)),
        Op::Le => test(Test::Le(one()?)),
        Op::Gt | Op::Greater => test(Test::Gt(one()?)),
        Op::Ge => test(Test::Ge(one()?)),
        Op::Between => {
            let (low, high) = pair(condition)?;
            test(Test::Between(
                StoreValue::Int(int(low)?),
                StoreValue::Int(int(high)?),
            ))
        }
        Op::Set => test(Test::Set),
        Op::OneOf | Op::AssociateIsOneOf => test(Test::OneOf(many()?)),
        Op::NotOneOf | Op::AssociateIsNotOneOf => {
            Ok(not(Predicate::Test(column, Test::OneOf(many()?))))
        }
        Op::CurrentAssociate => test(Test::Eq(StoreValue::Int(i64::from(context.caller.0)))),
        _ => Err(not_applicable(condition)),
    }
}

fn text_condition(condition: &Condition, column: Column) -> Result<Predicate, FilterError> {
    use Operator as Op;
    let test = |test: Test| Ok(Predicate::Test(column, test));
    let one = || single(condition).and_then(text);
    match condition.operator {
        Op::Is => test(Test::Eq(StoreValue::Text(one()?))),
        Op::IsNot => Ok(not(Predicate::Test(
            column,
            Test::Eq(StoreValue::Text(one()?)),
        ))),
        Op::Begins | Op::StartsWith => test(Test::Begins(one()?)),
        Op::NotBegins => Ok(not(Predicate::Test(column, Test::Begins(one()?)))),
        Op::Contains | Op::SubstringOf => test(Test::Contains(one()?)),
        Op::NotContains => Ok(not(Predicate::Test(column, Test::Contains(one()?)))),
        Op::EndsWith => test(Test::Ends(one()?)),
        Op::In => {
            let texts = values(condition)?
                .iter()
                .map(|value| text(value).map(StoreValue::Text))
                .collect::<Result<_, _>>()?;
            test(Test::OneOf(texts))
        }
        Op::Between => {
            let (low, high) = pair(condition)?;
            test(Test::Between(
                StoreValue::Text(text(low)?),
                StoreValue::Text(text(high)?),
            ))
        }
        _ => Err(not_applicable(condition)),
    }
}

/// A half-open range of instants, `[from, to)`, as a predicate on `column`.
fn instants(column: Column, from: Timestamp, to: Timestamp) -> Predicate {
    Predicate::And(vec![
        Predicate::Test(column, Test::Ge(StoreValue::Time(from))),
        Predicate::Test(column, Test::Lt(StoreValue::Time(to))),
    ])
}

fn date_condition(
    condition: &Condition,
    column: Column,
    context: &FilterContext,
) -> Result<Predicate, FilterError> {
    use Operator as Op;
    let zone = context.zone;
    let test = |test: Test| Ok(Predicate::Test(column, test));
    let time = StoreValue::Time;
    let local_today = today(context.now, zone);
    // The unary periods and the period functions: whole periods around today.
    let around = |period: Period, first: i64, last: i64| {
        periods(condition, column, zone, local_today, period, first, last)
    };
    match condition.operator {
        Op::Date => {
            let value = single(condition)?;
            let day = local_day(value, zone)?;
            day_range(column, value.position, day, day, zone)
        }
        Op::Before => {
            let value = single(condition)?;
            match date(value)? {
                DateLiteral::Day(day) => test(Test::Lt(time(start_of(day, zone, value)?))),
                moment => test(Test::Lt(time(instant(moment, zone, value)?))),
            }
        }
        Op::After => {
            let value = single(condition)?;
            match date(value)? {
                DateLiteral::Day(day) => {
                    let next = next_day(day).ok_or_else(|| out_of_range(value))?;
                    test(Test::Ge(time(start_of(next, zone, value)?)))
                }
                moment => test(Test::Gt(time(instant(moment, zone, value)?))),
            }
        }
        Op::Between | Op::DateBetween => {
            let (low, high) = pair(condition)?;
            let from = match date(low)? {
                DateLiteral::Day(day) => start_of(day, zone, low)?,
                moment => instant(moment, zone, low)?,
            };
            let upper = match date(high)? {
                DateLiteral::Day(day) => {
                    let next = next_day(day).ok_or_else(|| out_of_range(high))?;
                    Test::Lt(time(start_of(next, zone, high)?))
                }
                moment => Test::Le(time(instant(moment, zone, high)?)),
            };
            Ok(Predicate::And(vec![
                Predicate::Test(column, Test::Ge(time(from))),
                Predicate::Test(column, upper),
            ]))
        }
        Op::BeforeToday => test(Test::Lt(time(start_of_today(
            condition,
            local_today,
            zone,
        )?))),
        Op::Today => around(Period::Day, 0, 0),
        Op::AfterToday => {
            let tomorrow = next_day(local_today).ok_or_else(|| period_out_of_range(condition))?;
            let start = day_start(tomorrow, zone).ok_or_else(|| period_out_of_range(condition))?;
            test(Test::Ge(time(start)))
        }
        Op::LastWeek => around(Period::Week, -1, -1),
        Op::ThisWeek => around(Period::Week, 0, 0),
        Op::NextWeek => around(Period::Week, 1, 1),
        Op::LastMonth => around(Period::Month, -1, -1),
        Op::ThisMonth => around(Period::Month, 0, 0),
        Op::NextMonth => around(Period::Month, 1, 1),
        Op::LastQuarter => around(Period::Quarter, -1, -1),
        Op::ThisQuarter => around(Period::Quarter, 0, 0),
        Op::NextQuarter => around(Period::Quarter, 1, 1),
        Op::ThisHalf => around(Period::Half, 0, 0),
        Op::ThisYear => around(Period::Year, 0, 0),
        Op::This
        | Op::Next
        | Op::Previous
        | Op::ThisAndNext
        | Op::ThisAndPrevious
        | Op::ThisAndPreviousAndNext => {
            let Operand::Period { count, period } = condition.operand else {
                return Err(not_applicable(condition));
            };
            let n = i64::from(count.unwrap_or(1));
            // `next` and `previous` leave the current period out: `thisAndNext` exists to add it.
            let (first, last) = match condition.operator {
                Op::Next => (1, n),
                Op::Previous => (-n, -1),
                Op::ThisAndNext => (0, n),
                Op::ThisAndPrevious => (-n, 0),
                Op::ThisAndPreviousAndNext => (-1, 1),
                _ => (0, 0),
            };
            if first > last {
                // `next(col,0,day)`: no period at all.
                return Ok(Predicate::Nothing);
            }
            around(period, first, last)
        }
        _ => Err(not_applicable(condition)),
    }
}

/// The periods `first` to `last` around today, as a range of instants.
fn periods(
    condition: &Condition,
    column: Column,
    zone: Tz,
    today: NaiveDate,
    period: Period,
    first: i64,
    last: i64,
) -> Result<Predicate, FilterError> {
    let (start, end) =
        period_days(today, period, first, last).ok_or_else(|| period_out_of_range(condition))?;
    let from = day_start(start, zone).ok_or_else(|| period_out_of_range(condition))?;
    let to = day_start(end, zone).ok_or_else(|| period_out_of_range(condition))?;
    Ok(instants(column, from, to))
}

/// The days `first` to `last`, both whole.
fn day_range(
    column: Column,
    position: usize,
    first: NaiveDate,
    last: NaiveDate,
    zone: Tz,
) -> Result<Predicate, FilterError> {
    let out_of_range = || error_at(position, "the date is out of range");
    let from = day_start(first, zone).ok_or_else(out_of_range)?;
    let end = next_day(last).ok_or_else(out_of_range)?;
    let to = day_start(end, zone).ok_or_else(out_of_range)?;
    Ok(instants(column, from, to))
}

fn start_of_today(
    condition: &Condition,
    today: NaiveDate,
    zone: Tz,
) -> Result<Timestamp, FilterError> {
    day_start(today, zone).ok_or_else(|| period_out_of_range(condition))
}

fn period_out_of_range(condition: &Condition) -> FilterError {
    error_at(
        condition.operator_position,
        format!(
            "the period of \"{}\" reaches beyond the years 1 to 9999",
            condition.operator
        ),
    )
}

fn out_of_range(value: &Value) -> FilterError {
    error_at(
        value.position,
        format!("the date {} is out of range", value.literal),
    )
}

fn start_of(day: NaiveDate, zone: Tz, value: &Value) -> Result<Timestamp, FilterError> {
    day_start(day, zone).ok_or_else(|| out_of_range(value))
}

/// The instant a literal with a time names in `zone`.
fn instant(literal: DateLiteral, zone: Tz, value: &Value) -> Result<Timestamp, FilterError> {
    match literal {
        DateLiteral::Instant(instant) => Ok(instant),
        DateLiteral::WallTime(wall) => wall_time(wall, zone).ok_or_else(|| {
            error_at(
                value.position,
                format!(
                    "the time {} does not exist in the time zone {} (the clocks skip it)",
                    value.literal,
                    zone.name()
                ),
            )
        }),
        DateLiteral::Day(day) => start_of(day, zone, value),
    }
}

/// The local day a literal names or falls on in `zone`.
fn local_day(value: &Value, zone: Tz) -> Result<NaiveDate, FilterError> {
    Ok(match date(value)? {
        DateLiteral::Day(day) => day,
        DateLiteral::WallTime(wall) => wall.date(),
        DateLiteral::Instant(instant) => instant.with_timezone(&zone).date_naive(),
    })
}

fn single(condition: &Condition) -> Result<&Value, FilterError> {
    match &condition.operand {
        Operand::Single(value) => Ok(value),
        _ => Err(error_at(
            condition.operator_position,
            format!("operator \"{}\" takes one value", condition.operator),
        )),
    }
}

/// One value or a list of them, as `oneOf 3` and `oneOf (3,4)` both give.
fn values(condition: &Condition) -> Result<&[Value], FilterError> {
    match &condition.operand {
        Operand::Single(value) => Ok(std::slice::from_ref(value)),
        Operand::List(values) => Ok(values),
        _ => Err(error_at(
            condition.operator_position,
            format!(
                "operator \"{}\" takes a value or a list of values",
                condition.operator
            ),
        )),
    }
}

fn pair(condition: &Condition) -> Result<(&Value, &Value), FilterError> {
    match &condition.operand {
        Operand::List(values) => match values.as_slice() {
            [low, high] => Ok((low, high)),
            _ => Err(error_at(
                condition.operator_position,
                format!(
                    "operator \"{}\" takes a list of two values",
                    condition.operator
                ),
            )),
        },
        _ => Err(error_at(
            condition.operator_position,
            format!(
                "operator \"{}\" takes a list of two values",
                condition.operator
            ),
        )),
    }
}

fn int(value: &Value) -> Result<i64, FilterError> {
    match &value.literal {
        Literal::Int(n) => Ok(*n),
        Literal::Text(_) => Err(error_at(
            value.position,
            format!("{} is not a whole number", value.literal),
        )),
    }
}

fn text(value: &Value) -> Result<String, FilterError> {
    match &value.literal {
        Literal::Text(text) => Ok(text.clone()),
        Literal::Int(_) => Err(error_at(
            value.position,
            format!("{} is not a quoted string", value.literal),
        )),
    }
}

fn date(value: &Value) -> Result<DateLiteral, FilterError> {
    match &value.literal {
        Literal::Text(text) => date_literal(text),
        Literal::Int(_) => None,
    }
    .ok_or_else(|| error_at(value.position, format!("{} is not a date", value.literal)))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    use super::*;

    fn utc(text: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    /// Thursday 2024-05-02, 23:30 in Oslo (21:30 UTC), as a caller with id 7 sees it.
    fn oslo() -> FilterContext {
        FilterContext {
            zone: Tz::Europe__Oslo,
            now: utc("2024-05-02T21:30:00Z"),
            caller: AssociateId(7),
        }
    }

    fn bound(text: &str) -> Predicate {
        predicate(text, &oslo()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn range(column: Column, from: &str, to: &str) -> Predicate {
        instants(column, utc(from), utc(to))
    }

    fn cmp(column: Column, test: Test) -> Predicate {
        Predicate::Test(column, test)
    }

    #[test]
    fn int_operators_and_their_word_forms_collapse_onto_the_same_tests() {
        let eq = cmp(Column::State, Test::Eq(StoreValue::Int(3)));
        for text in ["State eq 3", "State = 3", "State equals 3", "state EQ 3"] {
            assert_eq!(bound(text), eq, "{text}");
        }
        for text in ["State ne 3", "State unequals 3"] {
            assert_eq!(bound(text), not(eq.clone()), "{text}");
        }
        assert_eq!(
            bound("StartCount less 2"),
            cmp(Column::StartCount, Test::Lt(StoreValue::Int(2)))
        );
        assert_eq!(
            bound("StartCount greater 2"),
            cmp(Column::StartCount, Test::Gt(StoreValue::Int(2)))
        );
        assert_eq!(
            bound("ProgressPercent between (10,90)"),
            cmp(
                Column::ProgressPercent,
                Test::Between(StoreValue::Int(10), StoreValue::Int(90))
            )
        );
        assert_eq!(
            bound("DetailsTable set"),
            cmp(Column::DetailsTable, Test::Set)
        );
        assert_eq!(
            bound("State notOneOf (1,2)"),
            not(cmp(
                Column::State,
                Test::OneOf(vec![StoreValue::Int(1), StoreValue::Int(2)])
            ))
        );
    }

    #[test]
    fn string_operators_and_functions_collapse_onto_the_same_tests() {
        let begins = cmp(Column::DefinitionName, Test::Begins("Sa".into()));
        assert_eq!(bound("DefinitionName begins 'Sa'"), begins);
        assert_eq!(bound("startswith(DefinitionName,'Sa')"), begins);
        assert_eq!(bound("DefinitionName notBegins 'Sa'"), not(begins));
        let contains = cmp(Column::Description, Test::Contains("x".into()));
        assert_eq!(bound("substringof('x',Description)"), contains);
        assert_eq!(bound("Description notContains 'x'"), not(contains));
        assert_eq!(
            bound("endswith(Description,'z')"),
            cmp(Column::Description, Test::Ends("z".into()))
        );
        assert_eq!(
            bound("DbTag isNot 'a'"),
            not(cmp(Column::DbTag, Test::Eq(StoreValue::Text("a".into()))))
        );
        assert_eq!(
            bound("DbTag in ('a','b')"),
            cmp(
                Column::DbTag,
                Test::OneOf(vec![
                    StoreValue::Text("a".into()),
                    StoreValue::Text("b".into())
                ])
            )
        );
    }

    #[test]
    fn a_date_only_literal_is_a_whole_local_day() {
        let may_2 = range(
            Column::LastStarted,
            "2024-05-01T22:00:00Z",
            "2024-05-02T22:00:00Z",
        );
        assert_eq!(bound("LastStarted date '2024-5-2'"), may_2);
        assert_eq!(bound("LastStarted date '2024-05-02T13:00:00'"), may_2);
        assert_eq!(
            bound("LastStarted before '2024-5-2'"),
            cmp(
                Column::LastStarted,
                Test::Lt(StoreValue::Time(utc("2024-05-01T22:00:00Z")))
            )
        );
        assert_eq!(
            bound("LastStarted after '2024-5-2'"),
            cmp(
                Column::LastStarted,
                Test::Ge(StoreValue::Time(utc("2024-05-02T22:00:00Z")))
            )
        );
        assert_eq!(
            bound("registeredDate dateBetween ('2024-5-1','2024-5-2')"),
            Predicate::And(vec![
                cmp(
                    Column::RegisteredDate,
                    Test::Ge(StoreValue::Time(utc("2024-04-30T22:00:00Z")))
                ),
                cmp(
                    Column::RegisteredDate,
                    Test::Lt(StoreValue::Time(utc("2024-05-02T22:00:00Z")))
                ),
            ])
        );
    }

    #[test]
    fn a_literal_with_a_time_is_that_instant() {
        assert_eq!(
            bound("LastStarted after '2024-5-2 10:00'"),
            cmp(
                Column::LastStarted,
                Test::Gt(StoreValue::Time(utc("2024-05-02T08:00:00Z")))
            )
        );
        assert_eq!(
            bound("LastStarted before '2024-05-02T10:00:00Z'"),
            cmp(
                Column::LastStarted,
                Test::Lt(StoreValue::Time(utc("2024-05-02T10:00:00Z")))
            )
        );
        assert_eq!(
            bound("updatedDate between ('2024-5-2 10:00','2024-05-02T12:00:00+00:00')"),
            Predicate::And(vec![
                cmp(
                    Column::UpdatedDate,
                    Test::Ge(StoreValue::Time(utc("2024-05-02T08:00:00Z")))
                ),
                cmp(
                    Column::UpdatedDate,
                    Test::Le(StoreValue::Time(utc("2024-05-02T12:00:00Z")))
                ),
            ])
        );
    }

    #[test]
    fn a_wall_time_the_clocks_skip_is_refused_at_its_position() {
        let error = predicate("LastStarted before '2024-3-31 2:30'", &oslo()).unwrap_err();
        assert_eq!(error.position, 19);
        assert!(error.message.contains("does not exist"), "{error}");
        assert!(error.message.contains("'2024-3-31 2:30'"), "{error}");
        assert!(error.message.ends_with("at position 19"), "{error}");
    }

    #[test]
    fn periods_are_counted_from_today_in_the_request_zone() {
        // 23:30 in Oslo: still Thursday 2 May there.
        let today = range(
            Column::LastStarted,
            "2024-05-01T22:00:00Z",
            "2024-05-02T22:00:00Z",
        );
        assert_eq!(bound("LastStarted today"), today);
        assert_eq!(bound("this(LastStarted,day)"), today);
        // In Tokyo it is already Friday 3 May.
        let tokyo = FilterContext {
            zone: Tz::Asia__Tokyo,
            ..oslo()
        };
        assert_eq!(
            predicate("LastStarted today", &tokyo).unwrap(),
            range(
                Column::LastStarted,
                "2024-05-02T15:00:00Z",
                "2024-05-03T15:00:00Z"
            )
        );
        assert_eq!(
            bound("LastStarted thisWeek"),
            range(
                Column::LastStarted,
                "2024-04-28T22:00:00Z",
                "2024-05-05T22:00:00Z"
            )
        );
        assert_eq!(
            bound("LastStarted lastMonth"),
            range(
                Column::LastStarted,
                "2024-03-31T22:00:00Z",
                "2024-04-30T22:00:00Z"
            )
        );
        assert_eq!(
            bound("LastStarted thisQuarter"),
            range(
                Column::LastStarted,
                "2024-03-31T22:00:00Z",
                "2024-06-30T22:00:00Z"
            )
        );
        assert_eq!(
            bound("LastStarted thisHalf"),
            range(
                Column::LastStarted,
                "2023-12-31T23:00:00Z",
                "2024-06-30T22:00:00Z"
            )
        );
        assert_eq!(
            bound("next(LastStarted,2,day)"),
            range(
                Column::LastStarted,
                "2024-05-02T22:00:00Z",
                "2024-05-04T22:00:00Z"
            )
        );
        assert_eq!(
            bound("thisAndPrevious(LastStarted,1,year)"),
            range(
                Column::LastStarted,
                "2022-12-31T23:00:00Z",
                "2024-12-31T23:00:00Z"
            )
        );
        assert_eq!(
            bound("LastStarted beforeToday"),
            cmp(
                Column::LastStarted,
                Test::Lt(StoreValue::Time(utc("2024-05-01T22:00:00Z")))
            )
        );
        assert_eq!(
            bound("LastStarted afterToday"),
            cmp(
                Column::LastStarted,
                Test::Ge(StoreValue::Time(utc("2024-05-02T22:00:00Z")))
            )
        );
        assert_eq!(bound("next(LastStarted,0,week)"), Predicate::Nothing);
    }

    #[test]
    fn a_period_beyond_the_years_dates_have_is_refused_at_its_operator() {
        let error = predicate("next(LastStarted,4000000000,year)", &oslo()).unwrap_err();
        assert_eq!(error.position, 0);
        assert!(error.message.contains("beyond"), "{error}");
    }

    #[test]
    fn associates_restrictions_and_logic() {
        assert_eq!(
            bound("registeredBy currentAssociate"),
            cmp(Column::RegisteredBy, Test::Eq(StoreValue::Int(7)))
        );
        assert_eq!(
            bound("updatedBy associateIsNotOneOf (0,7)"),
            not(cmp(
                Column::UpdatedBy,
                Test::OneOf(vec![StoreValue::Int(0), StoreValue::Int(7)])
            ))
        );
        assert_eq!(bound("getAllRows set"), Predicate::All);
        assert_eq!(bound("getNoRows set 1"), Predicate::Nothing);
        assert_eq!(bound("getNoRows set 0"), Predicate::All);
        assert_eq!(
            bound("not (getNoRows set or State eq 1) and getAllRows set"),
            Predicate::And(vec![
                not(Predicate::Or(vec![
                    Predicate::Nothing,
                    cmp(Column::State, Test::Eq(StoreValue::Int(1))),
                ])),
                Predicate::All,
            ])
        );
    }

    /// Every kind a column holds takes values of that kind only: the store refuses a mix with an
    /// error that would be a 500.
    fn kinds_match(predicate: &Predicate) -> bool {
        let fits = |column: &Column, value: &StoreValue| {
            matches!(
                (column.kind(), value),
                (Kind::Int, StoreValue::Int(_))
                    | (Kind::Text, StoreValue::Text(_))
                    | (Kind::Time, StoreValue::Time(_))
            )
        };
        match predicate {
            Predicate::All | Predicate::Nothing => true,
            Predicate::And(items) | Predicate::Or(items) => items.iter().all(kinds_match),
            Predicate::Not(inner) => kinds_match(inner),
            Predicate::Test(column, test) => match test {
                Test::Eq(v) | Test::Lt(v) | Test::Le(v) | Test::Gt(v) | Test::Ge(v) => {
                    fits(column, v)
                }
                Test::Between(a, b) => fits(column, a) && fits(column, b),
                Test::OneOf(values) => values.iter().all(|v| fits(column, v)),
                Test::Begins(_) | Test::Contains(_) | Test::Ends(_) => column.kind() == Kind::Text,
                Test::Set => true,
            },
        }
    }

    fn filter_words() -> impl Strategy<Value = String> {
        let words = vec![
            "State",
            "LastStarted",
            "registeredBy",
            "Description",
            "getNoRows",
            "getAllRows",
            "eq",
            "between",
            "oneOf",
            "in",
            "date",
            "before",
            "after",
            "today",
            "thisHalf",
            "currentAssociate",
            "associateIsOneOf",
            "set",
            "contains",
            "and",
            "or",
            "not",
            "(",
            ")",
            ",",
            "1",
            "0",
            "-5",
            "'2024-3-31 2:30'",
            "'2024-1-1'",
            "'9999-12-31'",
            "'0001-01-01T00:00:00'",
            "'2024-05-02T08:15:30Z'",
            "'x'",
            "next(LastStarted,",
            "previous(registeredDate,",
            "thisAndPreviousAndNext(updatedDate,",
            "4294967295,",
            "2,",
            "day)",
            "week)",
            "half)",
            "year)",
            "startswith(Description,",
            "'a')",
        ];
        proptest::collection::vec(proptest::sample::select(words), 0..16)
            .prop_map(|words| words.join(" "))
    }

    proptest! {
        /// Whatever a client sends, binding answers a predicate whose values fit their columns, or
        /// an error that points inside the text; it never panics.
        #[test]
        fn any_filter_binds_to_a_well_kinded_predicate_or_an_error_inside_the_text(
            text in prop_oneof![filter_words(), "\\PC{0,80}"],
            seconds in 0i64..253_402_300_799,
            zone in proptest::sample::select(vec![
                Tz::UTC, Tz::Europe__Oslo, Tz::America__Sao_Paulo, Tz::Pacific__Kiritimati,
                Tz::Pacific__Pago_Pago,
            ]),
        ) {
            let context = FilterContext {
                zone,
                now: DateTime::<Utc>::from_timestamp(seconds, 0).unwrap(),
                caller: AssociateId(3),
            };
            match predicate(&text, &context) {
                Ok(bound) => prop_assert!(kinds_match(&bound), "{:?} from {:?}", bound, text),
                Err(error) => {
                    prop_assert!(error.position <= text.chars().count(), "{:?} for {:?}", error, text);
                    prop_assert!(!error.message.is_empty());
                }
            }
        }
    }
}
