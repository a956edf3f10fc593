//! OData `$filter`: every operator family of spec §1.9 parses and binds, precedence and keywords,
//! each error with its position, the canonical rendering, the limits, and properties: no input
//! panics, generated filters parse to what was generated and survive the canonical rendering, and
//! cut filters fail cleanly.

use proptest::prelude::*;
use sobatch_wire::odata::{
    BATCH_TASK_COLUMNS, ColumnType, Condition, Filter, FilterError, Literal, MAX_DEPTH, MAX_LENGTH,
    Operand, Operator, Period, Value, bind, parse,
};

/// The BatchTasks columns, plus one list and one datetime column, which that list lacks.
const EXTRA_COLUMNS: [(&str, ColumnType); 2] =
    [("Kind", ColumnType::List), ("Stamp", ColumnType::DateTime)];

fn columns() -> impl Iterator<Item = (&'static str, ColumnType)> {
    BATCH_TASK_COLUMNS.into_iter().chain(EXTRA_COLUMNS)
}

/// Matches names case-insensitively, as the server does.
fn lookup(name: &str) -> Option<ColumnType> {
    columns()
        .find(|(column, _)| column.eq_ignore_ascii_case(name))
        .map(|(_, column_type)| column_type)
}

fn check(text: &str) -> Result<Filter, FilterError> {
    let filter = parse(text)?;
    bind(&filter, &lookup)?;
    Ok(filter)
}

fn condition(column: &str, operator: Operator, operand: Operand) -> Filter {
    Filter::Condition(Condition {
        column: column.to_string(),
        operator,
        operand,
        column_position: 0,
        operator_position: 0,
    })
}

fn int(n: i64) -> Value {
    Value {
        literal: Literal::Int(n),
        position: 0,
    }
}

fn text(s: &str) -> Value {
    Value {
        literal: Literal::Text(s.to_string()),
        position: 0,
    }
}

fn parsed(text: &str) -> Filter {
    check(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .without_positions()
}

fn assert_all_bind(filters: &[String]) {
    for filter in filters {
        if let Err(error) = check(filter) {
            panic!("{filter}: {error}");
        }
    }
}

// ---- Operator families ----------------------------------------------------------------------

#[test]
fn int_operators_parse_and_bind() {
    let mut filters: Vec<String> = [
        "eq", "=", "ne", "lt", "le", "gt", "ge", "equals", "greater", "less", "unequals",
    ]
    .iter()
    .map(|op| format!("State {op} 3"))
    .collect();
    filters.extend(
        [
            "State between (1,3)",
            "State set",
            "State oneOf (1,2,3)",
            "State oneOf 4",
            "State notOneOf (5)",
            "ProgressPercent ge -1",
            "State=3",
        ]
        .map(String::from),
    );
    assert_all_bind(&filters);
    assert_eq!(
        parsed("State between (1, 3)"),
        condition(
            "State",
            Operator::Between,
            Operand::List(vec![int(1), int(3)])
        )
    );
    assert_eq!(
        parsed("State=3"),
        condition("State", Operator::EqualSign, Operand::Single(int(3)))
    );
    assert_eq!(
        parsed("State set"),
        condition("State", Operator::Set, Operand::Nothing)
    );
}

#[test]
fn string_operators_and_functions_parse_and_bind() {
    let mut filters: Vec<String> = [
        "begins",
        "contains",
        "is",
        "notBegins",
        "notContains",
        "isNot",
        "in",
    ]
    .iter()
    .map(|op| format!("DefinitionName {op} 'Sa'"))
    .collect();
    filters.extend(
        [
            "DefinitionName in ('A','S')",
            "DefinitionName between ('A','S')",
            "startswith(DefinitionName,'Sa')",
            "endswith(Description, 'x')",
            "substringof('foo', Response)",
            "Description contains ''",
        ]
        .map(String::from),
    );
    assert_all_bind(&filters);
    assert_eq!(
        parsed("substringof('it''s',Description)"),
        condition(
            "Description",
            Operator::SubstringOf,
            Operand::Single(text("it's"))
        )
    );
    assert_eq!(
        parsed("DefinitionName in ('A','S')"),
        condition(
            "DefinitionName",
            Operator::In,
            Operand::List(vec![text("A"), text("S")])
        )
    );
}

#[test]
fn date_operators_and_functions_parse_and_bind() {
    let mut filters: Vec<String> = ["before", "date", "after"]
        .iter()
        .map(|op| format!("LastStarted {op} '2024-1-1'"))
        .collect();
    filters.extend(
        [
            "beforeToday",
            "today",
            "afterToday",
            "lastWeek",
            "thisWeek",
            "nextWeek",
            "lastMonth",
            "thisMonth",
            "nextMonth",
            "lastQuarter",
            "thisQuarter",
            "nextQuarter",
            "thisHalf",
            "thisYear",
        ]
        .iter()
        .map(|op| format!("updatedDate {op}")),
    );
    filters.extend(
        [
            "LastStarted between ('2024-1-1','2024-12-31T23:59:59')",
            "registeredDate dateBetween ('2024-01-01', '2024-02-01')",
            "LastStarted after '2024-05-02T08:15:30Z'",
            "this(LastStarted,day)",
            "next(LastStarted,3,week)",
            "previous(LastStarted,0,month)",
            "thisAndNext(LastStarted,2,quarter)",
            "thisAndPrevious(LastStarted,1,half)",
            "thisAndPreviousAndNext(LastStarted,year)",
        ]
        .map(String::from),
    );
    assert_all_bind(&filters);
    assert_eq!(
        parsed("next(LastStarted, 3, week)"),
        condition(
            "LastStarted",
            Operator::Next,
            Operand::Period {
                count: Some(3),
                period: Period::Week
            }
        )
    );
    assert_eq!(
        parsed("LastStarted thisHalf"),
        condition("LastStarted", Operator::ThisHalf, Operand::Nothing)
    );
}

#[test]
fn datetime_associate_list_and_bool_operators_parse_and_bind() {
    assert_all_bind(
        &[
            "Stamp dateTime '2024-1-1T10:00:00'",
            "Stamp beforeTime '2024-01-01T10:00:00'",
            "Stamp afterTime '2024-1-1'",
            "updatedBy associateIsOneOf (1,2)",
            "registeredBy associateIsNotOneOf 3",
            "updatedBy currentAssociate",
            "Kind equals 3",
            "Kind oneOf (1,2)",
            "Kind notOneOf 4",
            "getAllRows set",
            "getAllRows set 1",
            "getNoRows set 0",
        ]
        .map(String::from),
    );
    assert_eq!(
        parsed("updatedBy associateIsOneOf (1,2)"),
        condition(
            "updatedBy",
            Operator::AssociateIsOneOf,
            Operand::List(vec![int(1), int(2)])
        )
    );
    assert_eq!(
        parsed("getAllRows set 1"),
        condition("getAllRows", Operator::Set, Operand::Single(int(1)))
    );
}

#[test]
fn the_spec_examples_parse_and_bind() {
    assert_all_bind(
        &[
            "State eq 3",
            "DefinitionName is 'X'",
            "State oneOf (1,2,3)",
            "Description contains 'foo'",
            "LastStarted after '2024-1-1'",
            "startswith(DefinitionName,'Sa')",
            "DefinitionName between ('A','S')",
        ]
        .map(String::from),
    );
}

// ---- Structure --------------------------------------------------------------------------------

#[test]
fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
    let a = || condition("State", Operator::Eq, Operand::Single(int(1)));
    let b = || condition("State", Operator::Eq, Operand::Single(int(2)));
    let c = || condition("State", Operator::Eq, Operand::Single(int(3)));
    assert_eq!(
        parsed("State eq 1 or State eq 2 and not State eq 3"),
        Filter::Or(vec![
            a(),
            Filter::And(vec![b(), Filter::Not(Box::new(c()))])
        ])
    );
    assert_eq!(
        parsed("not State eq 1 and State eq 2 or State eq 3"),
        Filter::Or(vec![
            Filter::And(vec![Filter::Not(Box::new(a())), b()]),
            c()
        ])
    );
}

#[test]
fn parentheses_group_and_leave_no_trace_when_they_change_nothing() {
    let a = || condition("State", Operator::Eq, Operand::Single(int(1)));
    let b = || condition("State", Operator::Eq, Operand::Single(int(2)));
    let c = || condition("State", Operator::Eq, Operand::Single(int(3)));
    assert_eq!(
        parsed("(State eq 1 or State eq 2) and State eq 3"),
        Filter::And(vec![Filter::Or(vec![a(), b()]), c()])
    );
    assert_eq!(
        parsed("not (State eq 1 and State eq 2)"),
        Filter::Not(Box::new(Filter::And(vec![a(), b()])))
    );
    assert_eq!(parsed("((State eq 1))"), a());
    assert_eq!(
        parsed("State eq 1 and (State eq 2 and State eq 3)"),
        Filter::And(vec![a(), Filter::And(vec![b(), c()])])
    );
    assert_eq!(
        parsed("State eq 1 and State eq 2 and State eq 3"),
        Filter::And(vec![a(), b(), c()])
    );
}

#[test]
fn keywords_operators_functions_and_periods_match_in_any_case() {
    let filter = check(
        "STATE EQ 1 AND NOT description CONTAINS 'x' Or StartsWith(DefinitionName,'a') \
         oR THIS(LastStarted, WEEK) and LastStarted ThisYear and NEXT(LastStarted,1,Day)",
    )
    .unwrap();
    assert_eq!(
        filter.to_string(),
        "STATE eq 1 and not description contains 'x' or startswith(DefinitionName,'a') \
         or this(LastStarted,week) and LastStarted thisYear and next(LastStarted,1,day)"
    );
}

#[test]
fn positions_are_character_offsets_of_what_they_name() {
    let filter = parse("Description is 'ÆØÅ' and  State  oneOf (1, 22)").unwrap();
    let Filter::And(items) = filter else {
        panic!("not an and")
    };
    let Filter::Condition(first) = &items[0] else {
        panic!("not a condition")
    };
    assert_eq!((first.column_position, first.operator_position), (0, 12));
    let Filter::Condition(second) = &items[1] else {
        panic!("not a condition")
    };
    assert_eq!((second.column_position, second.operator_position), (26, 33));
    let Operand::List(values) = &second.operand else {
        panic!("not a list")
    };
    let positions: Vec<usize> = values.iter().map(|v| v.position).collect();
    assert_eq!(positions, vec![40, 43]);
    assert_eq!(second.position(), 26);
}

#[test]
fn the_canonical_rendering_spells_operators_as_the_spec_does() {
    let filter = parse(
        "state  NOTBEGINS 'a' and ( Kind ONEOF(1 ,2) or not not getAllRows SET ) \
         and substringOF( 'q''' , Request )",
    )
    .unwrap();
    assert_eq!(
        filter.to_string(),
        "state notBegins 'a' and (Kind oneOf (1,2) or not not getAllRows set) \
         and substringof('q''',Request)"
    );
}

// ---- Errors -----------------------------------------------------------------------------------

#[test]
fn syntax_errors_name_the_token_and_its_position() {
    let cases: &[(&str, &str, usize)] = &[
        ("State eqq 3", "unknown operator \"eqq\" at position 6", 6),
        (
            "State eq and",
            "expected a value after \"eq\" at position 9",
            9,
        ),
        ("State eq", "the filter ends where a value was expected", 8),
        (
            "State eq 1 and Name is 'abc",
            "unterminated string starting at position 23",
            23,
        ),
        ("not)", "unexpected \")\" at position 3", 3),
        ("State eq 1)", "unexpected \")\" at position 10", 10),
        (
            "State eq 1 State eq 2",
            "unexpected \"State\" at position 11",
            11,
        ),
        ("State", "the filter ends where an operator was expected", 5),
        (
            "State 3",
            "expected an operator after \"State\" at position 6",
            6,
        ),
        ("and State eq 1", "unexpected \"and\" at position 0", 0),
        (
            "State eq 1 and",
            "the filter ends where a condition was expected",
            14,
        ),
        ("(State eq 1", "unclosed \"(\" at position 0", 0),
        (
            "State oneOf (1,2",
            "the filter ends where \",\" or \")\" was expected",
            16,
        ),
        (
            "State oneOf (1 2)",
            "expected \",\" or \")\" after \"1\" at position 15",
            15,
        ),
        (
            "State oneOf ()",
            "expected a value after \"(\" at position 13",
            13,
        ),
        (
            "State between (1,2,3)",
            "operator \"between\" takes a list of two values at position 14",
            14,
        ),
        (
            "State between 1",
            "operator \"between\" takes a list of two values at position 14",
            14,
        ),
        (
            "State eq (1,2)",
            "operator \"eq\" takes one value at position 9",
            9,
        ),
        (
            "getAllRows set (1)",
            "operator \"set\" takes at most one value at position 15",
            15,
        ),
        (
            "LastStarted today 1",
            "operator \"today\" takes no value at position 18",
            18,
        ),
        (
            "frobnicate(State,1)",
            "unknown function \"frobnicate\" at position 0",
            0,
        ),
        (
            "this(LastStarted,fortnight)",
            "unknown period \"fortnight\" at position 17",
            17,
        ),
        (
            "next(LastStarted,week)",
            "expected a number of periods after \",\" at position 17",
            17,
        ),
        (
            "next(LastStarted,-1,week)",
            "\"-1\" is not a number of periods at position 17",
            17,
        ),
        (
            "startswith('Sa',DefinitionName)",
            "expected a column name after \"(\" at position 11",
            11,
        ),
        (
            "startswith(DefinitionName 'Sa')",
            "expected \",\" after \"DefinitionName\" at position 26",
            26,
        ),
        (
            "startswith(DefinitionName,'Sa'",
            "the filter ends where \")\" was expected",
            30,
        ),
        (
            "State eq 1.5",
            "\"1.5\" is not a whole number at position 9",
            9,
        ),
        ("State < 3", "unexpected \"<\" at position 6", 6),
        ("", "the filter is empty", 0),
        ("   ", "the filter is empty", 0),
    ];
    for &(input, message, position) in cases {
        let error = parse(input).unwrap_err();
        assert_eq!(
            (error.message.as_str(), error.position),
            (message, position),
            "{input}"
        );
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn type_errors_name_the_column_operator_or_value_and_its_position() {
    let cases: &[(&str, &str, usize)] = &[
        ("Stat eq 1", "unknown column \"Stat\" at position 0", 0),
        (
            "State contains 'x'",
            "operator \"contains\" does not apply to the int column \"State\" at position 6",
            6,
        ),
        (
            "State eq 'abc'",
            "\"abc\" is not a whole number for \"State\" at position 9",
            9,
        ),
        (
            "State oneOf (1,'2')",
            "\"2\" is not a whole number for \"State\" at position 15",
            15,
        ),
        (
            "Description is 5",
            "5 is not a quoted string for \"Description\" at position 15",
            15,
        ),
        (
            "LastStarted after '2024-13-1'",
            "\"2024-13-1\" is not a date for \"LastStarted\" at position 18",
            18,
        ),
        (
            "LastStarted before 20240101",
            "20240101 is not a date for \"LastStarted\" at position 19",
            19,
        ),
        (
            "LastStarted between ('2024-1-1','soon')",
            "\"soon\" is not a date for \"LastStarted\" at position 32",
            32,
        ),
        (
            "updatedBy associateIsOneOf ('me')",
            "\"me\" is not an associate id for \"updatedBy\" at position 28",
            28,
        ),
        (
            "getAllRows set 2",
            "2 is not 0 or 1 for \"getAllRows\" at position 15",
            15,
        ),
        (
            "State set 1",
            "operator \"set\" takes no value for the int column \"State\" at position 10",
            10,
        ),
        (
            "DefinitionName in (1)",
            "1 is not a quoted string for \"DefinitionName\" at position 19",
            19,
        ),
        (
            "State in (1)",
            "operator \"in\" does not apply to the int column \"State\" at position 6",
            6,
        ),
        (
            "this(State,week)",
            "operator \"this\" does not apply to the int column \"State\" at position 0",
            0,
        ),
        (
            "startswith(State,'1')",
            "operator \"startswith\" does not apply to the int column \"State\" at position 0",
            0,
        ),
        (
            "LastStarted dateTime '2024-1-1'",
            "operator \"dateTime\" does not apply to the date column \"LastStarted\" at position 12",
            12,
        ),
        (
            "Kind contains 'x'",
            "operator \"contains\" does not apply to the list column \"Kind\" at position 5",
            5,
        ),
        (
            "State eq 1 and (Description is 'x' or Nope today)",
            "unknown column \"Nope\" at position 38",
            38,
        ),
    ];
    for &(input, message, position) in cases {
        let error = check(input).unwrap_err();
        assert_eq!(
            (error.message.as_str(), error.position),
            (message, position),
            "{input}"
        );
    }
}

#[test]
fn binding_a_hand_built_filter_checks_the_operand_shape_too() {
    let filter = condition("State", Operator::Between, Operand::List(vec![int(1)]));
    assert_eq!(
        bind(&filter, &lookup).unwrap_err().message,
        "operator \"between\" takes a list of two values at position 0"
    );
}

#[test]
fn a_filter_longer_than_the_limit_is_refused_before_it_is_read() {
    let just_fits = format!("Description is '{}'", "x".repeat(MAX_LENGTH - 17));
    assert_eq!(just_fits.chars().count(), MAX_LENGTH);
    assert!(check(&just_fits).is_ok());

    let too_long = format!("Description is '{}'", "x".repeat(MAX_LENGTH - 16));
    let error = parse(&too_long).unwrap_err();
    assert_eq!(error.message, "the filter is longer than 4096 characters");
    assert_eq!(error.position, MAX_LENGTH);

    let huge = "(".repeat(10_000_000);
    assert_eq!(parse(&huge).unwrap_err().position, MAX_LENGTH);
}

#[test]
fn nesting_deeper_than_the_limit_is_refused_without_overflowing_the_stack() {
    let fits = format!(
        "{}State eq 1{}",
        "(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    assert!(check(&fits).is_ok());

    let error = parse(&"(".repeat(MAX_LENGTH)).unwrap_err();
    assert_eq!(
        error.message,
        "the filter nests deeper than 32 levels at position 32"
    );
    assert_eq!(error.position, MAX_DEPTH);

    let nots = format!("{}State eq 1", "not ".repeat(MAX_DEPTH + 1));
    let error = parse(&nots).unwrap_err();
    assert_eq!(error.position, 4 * MAX_DEPTH);
    assert!(error.message.starts_with("the filter nests deeper"));

    let not_parens = format!("{}State eq 1", "not(".repeat(1000));
    assert!(parse(&not_parens).is_err());
}

// ---- Properties -------------------------------------------------------------------------------

/// Deterministic choices for the noisy renderer, so a proptest seed decides every space and case.
struct Noise(u64);

impl Noise {
    fn pick(&mut self, n: usize) -> usize {
        // splitmix64: enough spread for choosing among a handful of spellings.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.pick(one_in) == 0
    }

    /// Whitespace where the grammar needs some.
    fn gap(&mut self) -> &'static str {
        [" ", " ", " ", "  ", "\t", "\n", " \r\n "][self.pick(7)]
    }

    /// Whitespace, or none, where the grammar needs none.
    fn space(&mut self) -> &'static str {
        ["", "", "", " ", "  ", "\t"][self.pick(6)]
    }

    fn case(&mut self, word: &str) -> String {
        match self.pick(4) {
            0 => word.to_ascii_lowercase(),
            1 => word.to_ascii_uppercase(),
            2 => word.to_string(),
            _ => word
                .chars()
                .map(|c| {
                    if self.chance(2) {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect(),
        }
    }
}

/// How the test itself understands each operator's operand, independently of the crate.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Nothing,
    One,
    Pair,
    OneOrList,
    Function,
    Period,
    CountPeriod,
}

fn shape(operator: Operator) -> Shape {
    use Operator as Op;
    match operator {
        Op::Between | Op::DateBetween => Shape::Pair,
        Op::In | Op::OneOf | Op::NotOneOf | Op::AssociateIsOneOf | Op::AssociateIsNotOneOf => {
            Shape::OneOrList
        }
        Op::StartsWith | Op::EndsWith | Op::SubstringOf => Shape::Function,
        Op::This | Op::ThisAndPreviousAndNext => Shape::Period,
        Op::Next | Op::Previous | Op::ThisAndNext | Op::ThisAndPrevious => Shape::CountPeriod,
        Op::BeforeToday
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
        | Op::CurrentAssociate => Shape::Nothing,
        _ => Shape::One,
    }
}

fn date_text() -> impl Strategy<Value = String> {
    (
        1i32..=9999,
        1u32..=12,
        1u32..=28,
        any::<bool>(),
        proptest::option::of((0u32..24, 0u32..60, 0u32..60)),
    )
        .prop_map(|(y, m, d, pad, time)| {
            let date = if pad {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m}-{d}")
            };
            match time {
                Some((h, min, s)) => format!("{date}T{h:02}:{min:02}:{s:02}"),
                None => date,
            }
        })
}

/// A literal that fits `column_type`.
fn literal(column_type: ColumnType) -> BoxedStrategy<Literal> {
    match column_type {
        ColumnType::Int | ColumnType::List | ColumnType::Associate => prop_oneof![
            any::<i64>().prop_map(Literal::Int),
            (-5i64..100).prop_map(Literal::Int),
        ]
        .boxed(),
        ColumnType::String => prop_oneof![
            "\\PC{0,10}".prop_map(Literal::Text),
            "[a-z' ]{0,6}".prop_map(Literal::Text),
        ]
        .boxed(),
        ColumnType::Date | ColumnType::DateTime => date_text().prop_map(Literal::Text).boxed(),
        ColumnType::Bool => (0i64..=1).prop_map(Literal::Int).boxed(),
    }
}

fn values(column_type: ColumnType, count: std::ops::Range<usize>) -> BoxedStrategy<Vec<Value>> {
    proptest::collection::vec(literal(column_type), count)
        .prop_map(|literals| {
            literals
                .into_iter()
                .map(|literal| Value {
                    literal,
                    position: 0,
                })
                .collect()
        })
        .boxed()
}

fn operand(column_type: ColumnType, operator: Operator) -> BoxedStrategy<Operand> {
    let single = || {
        literal(column_type)
            .prop_map(|literal| {
                Operand::Single(Value {
                    literal,
                    position: 0,
                })
            })
            .boxed()
    };
    let period = || proptest::sample::select(&Period::ALL[..]);
    match (shape(operator), column_type, operator) {
        (Shape::One, ColumnType::Int, Operator::Set) => Just(Operand::Nothing).boxed(),
        (Shape::One, ColumnType::Bool, Operator::Set) => {
            prop_oneof![Just(Operand::Nothing), single()].boxed()
        }
        (Shape::Nothing, ..) => Just(Operand::Nothing).boxed(),
        (Shape::One | Shape::Function, ..) => single(),
        (Shape::Pair, ..) => values(column_type, 2..3).prop_map(Operand::List).boxed(),
        (Shape::OneOrList, ..) => {
            prop_oneof![single(), values(column_type, 1..5).prop_map(Operand::List)].boxed()
        }
        (Shape::Period, ..) => period()
            .prop_map(|period| Operand::Period {
                count: None,
                period,
            })
            .boxed(),
        (Shape::CountPeriod, ..) => (0u32..1000, period())
            .prop_map(|(count, period)| Operand::Period {
                count: Some(count),
                period,
            })
            .boxed(),
    }
}

/// A condition that binds: a known column in random case, an operator its type takes, and an
/// operand that fits.
fn generated_condition() -> impl Strategy<Value = Filter> {
    let all: Vec<(&'static str, ColumnType)> = columns().collect();
    (proptest::sample::select(all), any::<u64>())
        .prop_flat_map(|((column, column_type), case)| {
            let operators: Vec<Operator> = Operator::ALL
                .into_iter()
                .filter(|op| column_type.allows(*op))
                .collect();
            let column = Noise(case).case(column);
            (
                Just(column),
                proptest::sample::select(operators)
                    .prop_flat_map(move |op| (Just(op), operand(column_type, op))),
            )
        })
        .prop_map(|(column, (operator, operand))| condition(&column, operator, operand))
}

fn generated_filter() -> impl Strategy<Value = Filter> {
    generated_condition().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Filter::Or),
            inner.prop_map(|filter| Filter::Not(Box::new(filter))),
        ]
    })
}

/// Writes `filter` as a person might: any case, any spacing, redundant parentheses, `not(`.
fn noisy(filter: &Filter, noise: &mut Noise) -> String {
    let wrap = |text: String, noise: &mut Noise, needed: bool| {
        if needed || noise.chance(6) {
            format!("({}{text}{})", noise.space(), noise.space())
        } else {
            text
        }
    };
    match filter {
        Filter::And(items) | Filter::Or(items) => {
            let and = matches!(filter, Filter::And(_));
            let keyword = if and { "and" } else { "or" };
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                let needed =
                    matches!(item, Filter::Or(_)) || (and && matches!(item, Filter::And(_)));
                let part = wrap(noisy(item, noise), noise, needed);
                if i > 0 {
                    out.push_str(separator(out.chars().last(), noise));
                    out.push_str(&noise.case(keyword));
                    out.push_str(separator(part.chars().next(), noise));
                }
                out.push_str(&part);
            }
            out
        }
        Filter::Not(inner) => {
            let needed = matches!(**inner, Filter::And(_) | Filter::Or(_));
            let part = wrap(noisy(inner, noise), noise, needed);
            format!(
                "{}{}{part}",
                noise.case("not"),
                separator(part.chars().next(), noise)
            )
        }
        Filter::Condition(condition) => noisy_condition(condition, noise),
    }
}

/// What may stand between a keyword and the character it touches: nothing beside a parenthesis or
/// a quote, whitespace beside anything that would run into the keyword's letters.
fn separator(touching: Option<char>, noise: &mut Noise) -> &'static str {
    if matches!(touching, Some('(' | ')' | '\'')) {
        noise.space()
    } else {
        noise.gap()
    }
}

fn noisy_value(value: &Value, noise: &mut Noise) -> String {
    match &value.literal {
        Literal::Int(n) if *n >= 0 && noise.chance(5) => format!("00{n}"),
        literal => literal.to_string(),
    }
}

fn noisy_list(values: &[Value], noise: &mut Noise) -> String {
    let mut out = format!("({}", noise.space());
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(&format!("{},{}", noise.space(), noise.space()));
        }
        out.push_str(&noisy_value(value, noise));
    }
    out.push_str(&format!("{})", noise.space()));
    out
}

fn noisy_condition(condition: &Condition, noise: &mut Noise) -> String {
    let column = &condition.column;
    let name = noise.case(condition.operator.name());
    let comma = |noise: &mut Noise| format!("{},{}", noise.space(), noise.space());
    match &condition.operand {
        Operand::Single(value) if shape(condition.operator) == Shape::Function => {
            let value = noisy_value(value, noise);
            let (first, second) = if condition.operator == Operator::SubstringOf {
                (value, column.clone())
            } else {
                (column.clone(), value)
            };
            format!(
                "{name}{}({}{first}{}{second}{})",
                noise.space(),
                noise.space(),
                comma(noise),
                noise.space()
            )
        }
        Operand::Period { count, period } => {
            let count = count.map_or(String::new(), |n| format!("{n}{}", comma(noise)));
            format!(
                "{name}({}{column}{}{count}{}{})",
                noise.space(),
                comma(noise),
                noise.case(period.name()),
                noise.space()
            )
        }
        operand => {
            let before_operator = if condition.operator == Operator::EqualSign {
                noise.space()
            } else {
                noise.gap()
            };
            let operand = match operand {
                Operand::Single(value) => noisy_value(value, noise),
                Operand::List(values) => noisy_list(values, noise),
                Operand::Nothing | Operand::Period { .. } => String::new(),
            };
            let before_operand = if operand.is_empty() {
                ""
            } else if condition.operator == Operator::EqualSign || operand.starts_with(['(', '\''])
            {
                noise.space()
            } else {
                noise.gap()
            };
            format!("{column}{before_operator}{name}{before_operand}{operand}")
        }
    }
}

/// Every position in `filter` points at what it names in `text`.
fn positions_point_at_their_tokens(filter: &Filter, text: &[char]) -> Result<(), TestCaseError> {
    let at =
        |position: usize, len: usize| -> String { text.iter().skip(position).take(len).collect() };
    match filter {
        Filter::And(items) | Filter::Or(items) => {
            for item in items {
                positions_point_at_their_tokens(item, text)?;
            }
        }
        Filter::Not(inner) => positions_point_at_their_tokens(inner, text)?,
        Filter::Condition(condition) => {
            let column = &condition.column;
            prop_assert_eq!(
                &at(condition.column_position, column.chars().count()),
                column
            );
            let name = condition.operator.name();
            prop_assert!(at(condition.operator_position, name.len()).eq_ignore_ascii_case(name));
            let values: Vec<&Value> = match &condition.operand {
                Operand::Single(value) => vec![value],
                Operand::List(values) => values.iter().collect(),
                _ => vec![],
            };
            for value in values {
                let first = at(value.position, 1);
                match value.literal {
                    Literal::Int(_) => {
                        prop_assert!(first.starts_with(|c: char| c == '-' || c.is_ascii_digit()));
                    }
                    Literal::Text(_) => prop_assert_eq!(first, "'"),
                }
            }
        }
    }
    Ok(())
}

/// Parses `text`: an error points inside it, and anything parsed binds or fails without panicking
/// and survives the canonical rendering.
fn parse_anything(text: &str) -> Result<(), TestCaseError> {
    let length = text.chars().count();
    match parse(text) {
        Err(error) => {
            prop_assert!(error.position <= length, "{:?} for {:?}", error, text);
            prop_assert!(!error.message.is_empty());
        }
        Ok(filter) => {
            if let Err(error) = bind(&filter, &lookup) {
                prop_assert!(error.position <= length, "{:?} for {:?}", error, text);
            }
            let canonical = filter.to_string();
            let again = parse(&canonical);
            prop_assert!(again.is_ok(), "{:?} from {:?}", again, text);
            if let Ok(again) = again {
                prop_assert_eq!(again.without_positions(), filter.without_positions());
            }
        }
    }
    Ok(())
}

fn token_soup() -> impl Strategy<Value = String> {
    let tokens = vec![
        "(",
        ")",
        ",",
        "=",
        "'",
        "''",
        "'x'",
        "1",
        "-1",
        "99999999999999999999",
        "and",
        "or",
        "not",
        "NOT",
        "State",
        "eq",
        "oneOf",
        "between",
        "today",
        "set",
        "this",
        "next",
        "week",
        "startswith",
        "substringof",
        "Description",
        "LastStarted",
        "'2024-1-1'",
        "-",
        "1.5",
    ];
    proptest::collection::vec(
        (
            proptest::sample::select(tokens),
            proptest::sample::select(vec!["", " "]),
        ),
        0..40,
    )
    .prop_map(|parts| parts.into_iter().map(|(t, s)| format!("{t}{s}")).collect())
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        parse_anything(&text)?;
    }

    #[test]
    fn text_made_of_filter_characters_never_panics(text in "[a-zA-Z0-9 '(),=_.-]{0,120}") {
        parse_anything(&text)?;
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        parse_anything(&text)?;
    }

    #[test]
    fn generated_filters_parse_to_what_was_generated_and_survive_rendering(
        filter in generated_filter(),
        seed in any::<u64>(),
    ) {
        let text = noisy(&filter, &mut Noise(seed));
        if text.chars().count() > MAX_LENGTH {
            prop_assert_eq!(parse(&text).unwrap_err().position, MAX_LENGTH);
            return Ok(());
        }
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e} in {text:?}")))?;
        prop_assert_eq!(&parsed.clone().without_positions(), &filter, "{:?}", text);
        positions_point_at_their_tokens(&parsed, &text.chars().collect::<Vec<_>>())?;
        prop_assert!(bind(&parsed, &lookup).is_ok(), "{:?}", bind(&parsed, &lookup));

        let canonical = parsed.to_string();
        let again = parse(&canonical).map_err(|e| TestCaseError::fail(format!("{e} in {canonical:?}")))?;
        prop_assert_eq!(&again.clone().without_positions(), &filter);
        prop_assert_eq!(again.to_string(), canonical);
    }

    #[test]
    fn cutting_a_filter_anywhere_never_panics(filter in generated_filter(), seed in any::<u64>(), cut in any::<prop::sample::Index>()) {
        let text = noisy(&filter, &mut Noise(seed));
        let length = text.chars().count();
        let keep = cut.index(length + 1);
        let truncated: String = text.chars().take(keep).collect();
        parse_anything(&truncated)?;
    }
}

#[test]
fn rendering_parenthesises_only_what_precedence_would_otherwise_regroup() {
    let a = condition("State", Operator::Eq, Operand::Single(int(1)));
    let b = condition(
        "Description",
        Operator::Contains,
        Operand::Single(text("x")),
    );
    let c = condition("LastStarted", Operator::Today, Operand::Nothing);
    let filter = Filter::Or(vec![
        Filter::And(vec![a.clone(), Filter::Not(Box::new(b.clone()))]),
        Filter::Not(Box::new(Filter::Or(vec![b.clone(), c.clone()]))),
        Filter::And(vec![a.clone(), Filter::Or(vec![b, c])]),
        Filter::Or(vec![a.clone(), a]),
    ]);
    assert_eq!(
        filter.to_string(),
        "State eq 1 and not Description contains 'x' \
         or not (Description contains 'x' or LastStarted today) \
         or State eq 1 and (Description contains 'x' or LastStarted today) \
         or (State eq 1 or State eq 1)"
    );
}

#[test]
fn functions_render_in_their_own_argument_order() {
    let cases = [
        (
            condition("Name", Operator::SubstringOf, Operand::Single(text("it's"))),
            "substringof('it''s',Name)",
        ),
        (
            condition("Name", Operator::StartsWith, Operand::Single(text("Sa"))),
            "startswith(Name,'Sa')",
        ),
        (
            condition(
                "LastStarted",
                Operator::ThisAndNext,
                Operand::Period {
                    count: Some(2),
                    period: Period::Quarter,
                },
            ),
            "thisAndNext(LastStarted,2,quarter)",
        ),
        (
            condition(
                "LastStarted",
                Operator::This,
                Operand::Period {
                    count: None,
                    period: Period::Week,
                },
            ),
            "this(LastStarted,week)",
        ),
        (
            condition(
                "State",
                Operator::OneOf,
                Operand::List(vec![int(1), int(-2), int(3)]),
            ),
            "State oneOf (1,-2,3)",
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(filter.to_string(), expected);
    }
}
