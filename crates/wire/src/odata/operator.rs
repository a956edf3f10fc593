//! The operator words of `$filter` (spec §1.9) and the periods of the date functions: how each is
//! spelled, whether it is written infix or as a function, and what shape of operand it takes.
//! Which column types accept which operator, and which literals, is `column`'s business.

use std::fmt;

use super::Operand;

/// Every operator of spec §1.9, infix words and functions alike. Names match case-insensitively;
/// [`Operator::name`] is the spelling of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Eq,
    /// `=`, listed beside `eq` in the spec and kept apart so it renders as written.
    EqualSign,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Set,
    Equals,
    Greater,
    Less,
    Unequals,
    Between,
    Begins,
    Contains,
    Is,
    NotBegins,
    NotContains,
    IsNot,
    In,
    StartsWith,
    EndsWith,
    SubstringOf,
    Before,
    Date,
    After,
    DateBetween,
    BeforeToday,
    Today,
    AfterToday,
    LastWeek,
    ThisWeek,
    NextWeek,
    LastMonth,
    ThisMonth,
    NextMonth,
    LastQuarter,
    ThisQuarter,
    NextQuarter,
    ThisHalf,
    ThisYear,
    This,
    Next,
    Previous,
    ThisAndNext,
    ThisAndPrevious,
    ThisAndPreviousAndNext,
    DateTime,
    BeforeTime,
    AfterTime,
    AssociateIsOneOf,
    AssociateIsNotOneOf,
    CurrentAssociate,
    OneOf,
    NotOneOf,
}

/// How an operator is written and what it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// `LastStarted today`.
    Nothing,
    /// `State eq 3`.
    One,
    /// `getAllRows set` or `getAllRows set 1`.
    OptionalOne,
    /// `State between (1,3)`.
    Pair,
    /// `State oneOf 3` or `State oneOf (1,2,3)`.
    OneOrList,
    /// `startswith(Column,'x')`.
    ColumnValue,
    /// `substringof('x',Column)`: OData puts the value first.
    ValueColumn,
    /// `this(Column,week)`.
    ColumnPeriod,
    /// `next(Column,3,day)`.
    ColumnCountPeriod,
}

impl Form {
    /// What the operator takes, as the end of a sentence that starts with its name.
    fn wants(self) -> &'static str {
        match self {
            Form::Nothing => "takes no value",
            Form::One => "takes one value",
            Form::OptionalOne => "takes at most one value",
            Form::Pair => "takes a list of two values",
            Form::OneOrList => "takes a value or a list of values",
            Form::ColumnValue | Form::ValueColumn => "takes a column and a value",
            Form::ColumnPeriod => "takes a column and a period",
            Form::ColumnCountPeriod => "takes a column, a number and a period",
        }
    }
}

impl Operator {
    pub const ALL: [Operator; 55] = [
        Operator::Eq,
        Operator::EqualSign,
        Operator::Ne,
        Operator::Lt,
        Operator::Le,
        Operator::Gt,
        Operator::Ge,
        Operator::Set,
        Operator::Equals,
        Operator::Greater,
        Operator::Less,
        Operator::Unequals,
        Operator::Between,
        Operator::Begins,
        Operator::Contains,
        Operator::Is,
        Operator::NotBegins,
        Operator::NotContains,
        Operator::IsNot,
        Operator::In,
        Operator::StartsWith,
        Operator::EndsWith,
        Operator::SubstringOf,
        Operator::Before,
        Operator::Date,
        Operator::After,
        Operator::DateBetween,
        Operator::BeforeToday,
        Operator::Today,
        Operator::AfterToday,
        Operator::LastWeek,
        Operator::ThisWeek,
        Operator::NextWeek,
        Operator::LastMonth,
        Operator::ThisMonth,
        Operator::NextMonth,
        Operator::LastQuarter,
        Operator::ThisQuarter,
        Operator::NextQuarter,
        Operator::ThisHalf,
        Operator::ThisYear,
        Operator::This,
        Operator::Next,
        Operator::Previous,
        Operator::ThisAndNext,
        Operator::ThisAndPrevious,
        Operator::ThisAndPreviousAndNext,
        Operator::DateTime,
        Operator::BeforeTime,
        Operator::AfterTime,
        Operator::AssociateIsOneOf,
        Operator::AssociateIsNotOneOf,
        Operator::CurrentAssociate,
        Operator::OneOf,
        Operator::NotOneOf,
    ];

    /// The spelling of spec §1.9, used when rendering and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::EqualSign => "=",
            Operator::Ne => "ne",
            Operator::Lt => "lt",
            Operator::Le => "le",
            Operator::Gt => "gt",
            Operator::Ge => "ge",
            Operator::Set => "set",
            Operator::Equals => "equals",
            Operator::Greater => "greater",
            Operator::Less => "less",
            Operator::Unequals => "unequals",
            Operator::Between => "between",
            Operator::Begins => "begins",
            Operator::Contains => "contains",
            Operator::Is => "is",
            Operator::NotBegins => "notBegins",
            Operator::NotContains => "notContains",
            Operator::IsNot => "isNot",
            Operator::In => "in",
            Operator::StartsWith => "startswith",
            Operator::EndsWith => "endswith",
            Operator::SubstringOf => "substringof",
            Operator::Before => "before",
            Operator::Date => "date",
            Operator::After => "after",
            Operator::DateBetween => "dateBetween",
            Operator::BeforeToday => "beforeToday",
            Operator::Today => "today",
            Operator::AfterToday => "afterToday",
            Operator::LastWeek => "lastWeek",
            Operator::ThisWeek => "thisWeek",
            Operator::NextWeek => "nextWeek",
            Operator::LastMonth => "lastMonth",
            Operator::ThisMonth => "thisMonth",
            Operator::NextMonth => "nextMonth",
            Operator::LastQuarter => "lastQuarter",
            Operator::ThisQuarter => "thisQuarter",
            Operator::NextQuarter => "nextQuarter",
            Operator::ThisHalf => "thisHalf",
            Operator::ThisYear => "thisYear",
            Operator::This => "this",
            Operator::Next => "next",
            Operator::Previous => "previous",
            Operator::ThisAndNext => "thisAndNext",
            Operator::ThisAndPrevious => "thisAndPrevious",
            Operator::ThisAndPreviousAndNext => "thisAndPreviousAndNext",
            Operator::DateTime => "dateTime",
            Operator::BeforeTime => "beforeTime",
            Operator::AfterTime => "afterTime",
            Operator::AssociateIsOneOf => "associateIsOneOf",
            Operator::AssociateIsNotOneOf => "associateIsNotOneOf",
            Operator::CurrentAssociate => "currentAssociate",
            Operator::OneOf => "oneOf",
            Operator::NotOneOf => "notOneOf",
        }
    }

    /// Whether the operator is written as a function, `name(…)`, rather than after a column.
    pub fn is_function(self) -> bool {
        !matches!(
            self.form(),
            Form::Nothing | Form::One | Form::OptionalOne | Form::Pair | Form::OneOrList
        )
    }

    pub(super) fn form(self) -> Form {
        match self {
            Operator::BeforeToday
            | Operator::Today
            | Operator::AfterToday
            | Operator::LastWeek
            | Operator::ThisWeek
            | Operator::NextWeek
            | Operator::LastMonth
            | Operator::ThisMonth
            | Operator::NextMonth
            | Operator::LastQuarter
            | Operator::ThisQuarter
            | Operator::NextQuarter
            | Operator::ThisHalf
            | Operator::ThisYear
            | Operator::CurrentAssociate => Form::Nothing,
            Operator::Set => Form::OptionalOne,
            Operator::Between | Operator::DateBetween => Form::Pair,
            Operator::In
            | Operator::OneOf
            | Operator::NotOneOf
            | Operator::AssociateIsOneOf
            | Operator::AssociateIsNotOneOf => Form::OneOrList,
            Operator::StartsWith | Operator::EndsWith => Form::ColumnValue,
            Operator::SubstringOf => Form::ValueColumn,
            Operator::This | Operator::ThisAndPreviousAndNext => Form::ColumnPeriod,
            Operator::Next
            | Operator::Previous
            | Operator::ThisAndNext
            | Operator::ThisAndPrevious => Form::ColumnCountPeriod,
            Operator::Eq
            | Operator::EqualSign
            | Operator::Ne
            | Operator::Lt
            | Operator::Le
            | Operator::Gt
            | Operator::Ge
            | Operator::Equals
            | Operator::Greater
            | Operator::Less
            | Operator::Unequals
            | Operator::Begins
            | Operator::Contains
            | Operator::Is
            | Operator::NotBegins
            | Operator::NotContains
            | Operator::IsNot
            | Operator::Before
            | Operator::Date
            | Operator::After
            | Operator::DateTime
            | Operator::BeforeTime
            | Operator::AfterTime => Form::One,
        }
    }

    /// The infix operator spelled `word`, in any case.
    pub(super) fn infix(word: &str) -> Option<Operator> {
        Self::named(word, false)
    }

    /// The function spelled `word`, in any case.
    pub(super) fn function(word: &str) -> Option<Operator> {
        Self::named(word, true)
    }

    fn named(word: &str, function: bool) -> Option<Operator> {
        Operator::ALL
            .into_iter()
            .find(|op| op.is_function() == function && op.name().eq_ignore_ascii_case(word))
    }

    /// Why `operand` cannot follow this operator, as the end of a sentence that starts with its
    /// name; `None` when it can. The parser only builds operands that fit, but a tree can be built
    /// by hand, so [`super::bind`] asks again.
    pub(super) fn operand_problem(self, operand: &Operand) -> Option<&'static str> {
        let form = self.form();
        let fits = match (form, operand) {
            (Form::Nothing | Form::OptionalOne, Operand::Nothing) => true,
            (
                Form::One | Form::OptionalOne | Form::OneOrList | Form::ColumnValue,
                Operand::Single(_),
            ) => true,
            (Form::ValueColumn, Operand::Single(_)) => true,
            (Form::Pair, Operand::List(values)) => values.len() == 2,
            (Form::OneOrList, Operand::List(values)) => !values.is_empty(),
            (Form::ColumnPeriod, Operand::Period { count, .. }) => count.is_none(),
            (Form::ColumnCountPeriod, Operand::Period { count, .. }) => count.is_some(),
            _ => false,
        };
        (!fits).then(|| form.wants())
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The period argument of the date functions: `this(LastStarted,week)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Day,
    Week,
    Month,
    Quarter,
    Half,
    Year,
}

impl Period {
    pub const ALL: [Period; 6] = [
        Period::Day,
        Period::Week,
        Period::Month,
        Period::Quarter,
        Period::Half,
        Period::Year,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Half => "half",
            Period::Year => "year",
        }
    }

    /// The period spelled `word`, in any case.
    pub(super) fn named(word: &str) -> Option<Period> {
        Period::ALL
            .into_iter()
            .find(|period| period.name().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_operator_has_its_own_name_and_is_found_by_it_in_any_case() {
        let names: HashSet<String> = Operator::ALL
            .iter()
            .map(|op| op.name().to_ascii_lowercase())
            .collect();
        assert_eq!(names.len(), Operator::ALL.len());
        for op in Operator::ALL {
            let found = if op.is_function() {
                Operator::function(&op.name().to_ascii_uppercase())
            } else {
                Operator::infix(&op.name().to_ascii_uppercase())
            };
            assert_eq!(found, Some(op), "{op}");
        }
    }

    #[test]
    fn functions_are_not_infix_words_and_infix_words_are_not_functions() {
        assert_eq!(Operator::infix("startswith"), None);
        assert_eq!(Operator::infix("this"), None);
        assert_eq!(Operator::function("eq"), None);
        assert_eq!(Operator::function("today"), None);
        assert_eq!(
            Operator::function("thisAndPreviousAndNext"),
            Some(Operator::ThisAndPreviousAndNext)
        );
    }

    #[test]
    fn periods_are_found_in_any_case() {
        for period in Period::ALL {
            assert_eq!(
                Period::named(&period.name().to_ascii_uppercase()),
                Some(period)
            );
        }
        assert_eq!(Period::named("fortnight"), None);
    }
}
