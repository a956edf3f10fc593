//! The query options of the OData list (spec §1.8), read from the raw query string: `$select`,
//! `$filter` (kept as text for [`super::filter`]), `$orderBy`, `$top`, `$skip`, `$mode`,
//! `$output`, `$jsonSafe` and `$format`; `$entities`, `$options` and `$context` are accepted and
//! ignored (spec [R]).
//!
//! Option names match in any case (the docs spell both `$orderBy` and `$orderby`), and so do
//! column names and keywords. Decisions where the spec is silent: an option given twice is a 400,
//! since either reading would be a guess; an unknown `$` option is a 400 too, since a misspelt
//! `$fitler` would otherwise answer every row as if nothing were wrong; parameters without a `$`
//! are not options and are ignored (cache busters and the like); an empty value counts as not
//! given, as URL builders leave empty options in.

use sobatch_store::query::{Column, Order};
use sobatch_wire::{ArchiveMode, ArchiveOutput, ArchiveShape};

use super::{ArchiveColumn, COLUMNS, PRIMARY_KEY, Source, column_named};
use crate::error::ApiError;
use crate::negotiate::format_option;

/// Every option the list knows, as the spec spells them.
const OPTIONS: [&str; 12] = [
    "$filter",
    "$select",
    "$orderBy",
    "$top",
    "$skip",
    "$mode",
    "$output",
    "$jsonSafe",
    "$format",
    "$entities",
    "$options",
    "$context",
];

const FILTER_OPTION: usize = 0;
const SELECT_OPTION: usize = 1;
const ORDER_BY_OPTION: usize = 2;
const TOP_OPTION: usize = 3;
const SKIP_OPTION: usize = 4;
const MODE_OPTION: usize = 5;
const OUTPUT_OPTION: usize = 6;
const JSON_SAFE_OPTION: usize = 7;
const FORMAT_OPTION: usize = 8;

/// What a request's query options ask of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveOptions {
    /// The columns to show, in the order asked for, each once.
    pub select: Vec<&'static ArchiveColumn>,
    /// The `$filter` text as given, for positions in errors to count from its start.
    pub filter: Option<String>,
    pub order: Vec<Order>,
    pub top: Option<u32>,
    pub skip: u32,
    pub shape: ArchiveShape,
    /// The query's parameters, decoded, in the order given: the next page's link repeats them.
    pub parameters: Vec<(String, String)>,
}

/// Reads the options of a query string (`None`: no query at all).
pub fn parse_options(query: Option<&str>) -> Result<ArchiveOptions, ApiError> {
    let parameters: Vec<(String, String)> = match query {
        Some(query) => serde_urlencoded::from_str(query).map_err(|error| {
            ApiError::bad_request(format!("the query string could not be read: {error}"))
        })?,
        None => Vec::new(),
    };
    let mut seen = [false; OPTIONS.len()];
    let mut values: [Option<&str>; OPTIONS.len()] = [None; OPTIONS.len()];
    for (name, value) in &parameters {
        if !name.starts_with('$') {
            continue;
        }
        let Some(index) = OPTIONS
            .iter()
            .position(|option| option.eq_ignore_ascii_case(name))
        else {
            return Err(ApiError::invalid_query_option(
                name,
                &format!(
                    "it is not an option of this list, which takes {}",
                    OPTIONS.join(", ")
                ),
            ));
        };
        if seen[index] {
            return Err(ApiError::invalid_query_option(
                OPTIONS[index],
                "it is given more than once",
            ));
        }
        seen[index] = true;
        values[index] = Some(value.as_str()).filter(|value| !value.trim().is_empty());
    }
    let select = match values[SELECT_OPTION] {
        Some(text) => parse_select(text)?,
        None => Vec::new(),
    };
    let select = if select.is_empty() {
        default_select()
    } else {
        select
    };
    let order = match values[ORDER_BY_OPTION] {
        Some(text) => parse_order(text)?,
        None => Vec::new(),
    };
    let top = values[TOP_OPTION]
        .map(|text| count(OPTIONS[TOP_OPTION], text))
        .transpose()?;
    let skip = values[SKIP_OPTION]
        .map(|text| count(OPTIONS[SKIP_OPTION], text))
        .transpose()?
        .unwrap_or(0);
    let mode = match values[MODE_OPTION].map(keyword).as_deref() {
        None | Some("slim" | "wide") => ArchiveMode::Slim,
        Some("full") => ArchiveMode::Full,
        Some(_) => {
            return Err(not_one_of(
                MODE_OPTION,
                values[MODE_OPTION],
                "Slim, Full or Wide",
            ));
        }
    };
    let output = match values[OUTPUT_OPTION].map(keyword).as_deref() {
        None | Some("logical") => ArchiveOutput::Logical,
        Some("display") => ArchiveOutput::Display,
        Some(_) => {
            return Err(not_one_of(
                OUTPUT_OPTION,
                values[OUTPUT_OPTION],
                "Logical or Display",
            ));
        }
    };
    let json_safe = match values[JSON_SAFE_OPTION].map(keyword).as_deref() {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => {
            return Err(not_one_of(
                JSON_SAFE_OPTION,
                values[JSON_SAFE_OPTION],
                "true or false",
            ));
        }
    };
    // The context middleware already chose the answer's format from it; here it is only checked.
    if let Some(format) = values[FORMAT_OPTION]
        && format_option(format).is_none()
    {
        return Err(not_one_of(FORMAT_OPTION, Some(format), "JSON or XML"));
    }
    Ok(ArchiveOptions {
        select,
        filter: values[FILTER_OPTION].map(str::to_string),
        order,
        top,
        skip,
        shape: ArchiveShape {
            mode,
            output,
            json_safe,
        },
        parameters,
    })
}

fn keyword(text: &str) -> String {
    text.trim().to_ascii_lowercase()
}

fn not_one_of(index: usize, value: Option<&str>, allowed: &str) -> ApiError {
    ApiError::invalid_query_option(
        OPTIONS[index],
        &format!("\"{}\" is not {allowed}", value.unwrap_or_default()),
    )
}

/// Every column that can be shown, in the spec's order: the `$select` of a request without one.
pub fn default_select() -> Vec<&'static ArchiveColumn> {
    COLUMNS
        .iter()
        .filter(|column| matches!(column.source, Source::Store(_)))
        .collect()
}

/// `$top` and `$skip`: an int32 that is not negative.
fn count(option: &str, text: &str) -> Result<u32, ApiError> {
    text.trim()
        .parse::<i32>()
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            ApiError::invalid_query_option(
                option,
                &format!(
                    "\"{}\" is not a whole number from 0 to {}",
                    text.trim(),
                    i32::MAX
                ),
            )
        })
}

/// The comma-separated items of `text`, trimmed, each with the character offset it starts at;
/// empty items are left out.
fn items(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut offset = 0;
    for piece in text.split(',') {
        let leading = piece.chars().take_while(|c| c.is_whitespace()).count();
        let item = piece.trim();
        if !item.is_empty() {
            found.push((offset + leading, item));
        }
        offset += piece.chars().count() + 1;
    }
    found
}

fn parse_select(text: &str) -> Result<Vec<&'static ArchiveColumn>, ApiError> {
    let mut select: Vec<&'static ArchiveColumn> = Vec::new();
    for (position, name) in items(text) {
        let Some(column) = column_named(name) else {
            return Err(ApiError::invalid_query_option(
                OPTIONS[SELECT_OPTION],
                &format!("unknown column \"{name}\" at position {position}"),
            ));
        };
        if !matches!(column.source, Source::Store(_)) {
            return Err(ApiError::invalid_query_option(
                OPTIONS[SELECT_OPTION],
                &format!(
                    "\"{}\" is a restriction for $filter, not a column to show, at position {position}",
                    column.name
                ),
            ));
        }
        // An answer row is an object: a column asked for twice is shown once.
        if !select.iter().any(|chosen| chosen.name == column.name) {
            select.push(column);
        }
    }
    Ok(select)
}

fn parse_order(text: &str) -> Result<Vec<Order>, ApiError> {
    let invalid =
        |detail: String| ApiError::invalid_query_option(OPTIONS[ORDER_BY_OPTION], &detail);
    let mut order = Vec::new();
    for (position, item) in items(text) {
        let mut words = item.split_whitespace();
        let name = words.next().unwrap_or_default();
        let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => {
                return Err(invalid(format!(
                    "expected asc or desc after \"{name}\" in \"{item}\" at position {position}"
                )));
            }
        };
        if words.next().is_some() {
            return Err(invalid(format!(
                "\"{item}\" is more than a column and a direction at position {position}"
            )));
        }
        let column = if name.eq_ignore_ascii_case(PRIMARY_KEY) {
            Column::Id
        } else {
            match column_named(name) {
                Some(ArchiveColumn {
                    source: Source::Store(column),
                    orderable: true,
                    ..
                }) => *column,
                Some(column) => {
                    return Err(invalid(format!(
                        "the column \"{}\" cannot be ordered by, at position {position}",
                        column.name
                    )));
                }
                None => {
                    return Err(invalid(format!(
                        "unknown column \"{name}\" at position {position}"
                    )));
                }
            }
        };
        order.push(Order { column, descending });
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(query: &str) -> ArchiveOptions {
        parse_options(Some(query)).unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    fn refused(query: &str) -> String {
        match parse_options(Some(query)) {
            Ok(options) => panic!("{query} gave {options:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn without_options_every_column_is_shown_slim_in_id_order() {
        let options = parse_options(None).unwrap();
        assert_eq!(options.select.len(), 19);
        assert_eq!(options.select[0].name, "DefinitionId");
        assert_eq!(options.select[18].name, "registeredDate");
        assert!(options.order.is_empty());
        assert_eq!((options.top, options.skip), (None, 0));
        assert_eq!(options.shape, ArchiveShape::default());
        assert_eq!(options.filter, None);
    }

    #[test]
    fn option_and_column_names_match_in_any_case() {
        let options = options(
            "$SeLeCt=state,%20DEFINITIONNAME,state&$orderby=registeredDATE%20DESC,primarykey&$Top=5&$SKIP=2&$MODE=full&$OutPut=display&$JSONSAFE=TRUE&$Format=xml&$entities=batchtask&$options=x&$context=y&cachebust=1",
        );
        let names: Vec<&str> = options.select.iter().map(|c| c.name).collect();
        assert_eq!(names, ["State", "DefinitionName"]);
        assert_eq!(
            options.order,
            [
                Order {
                    column: Column::RegisteredDate,
                    descending: true
                },
                Order {
                    column: Column::Id,
                    descending: false
                },
            ]
        );
        assert_eq!((options.top, options.skip), (Some(5), 2));
        assert_eq!(
            options.shape,
            ArchiveShape {
                mode: ArchiveMode::Full,
                output: ArchiveOutput::Display,
                json_safe: true
            }
        );
    }

    #[test]
    fn the_filter_is_kept_as_given_and_empty_options_count_as_absent() {
        let options = options("$filter=State+eq+3&$select=&$top=");
        assert_eq!(options.filter.as_deref(), Some("State eq 3"));
        assert_eq!(options.select.len(), 19);
        assert_eq!(options.top, None);
        assert_eq!(options.parameters.len(), 3);
    }

    #[test]
    fn bad_options_are_refused_naming_what_is_wrong() {
        assert!(refused("$fitler=State eq 1").contains("$fitler"));
        let twice = refused("$top=1&$TOP=2");
        assert!(
            twice.contains("$top") && twice.contains("more than once"),
            "{twice}"
        );
        assert!(refused("$top=-1").contains("\"-1\""));
        assert!(refused("$skip=2147483648").contains("2147483648"));
        assert!(refused("$mode=Tall").contains("Tall"));
        assert!(refused("$output=Pretty").contains("Pretty"));
        assert!(refused("$jsonSafe=maybe").contains("maybe"));
        assert!(refused("$format=csv").contains("csv"));
        let select = refused("$select=State, Nope");
        assert!(select.contains("\"Nope\" at position 7"), "{select}");
        assert!(refused("$select=getAllRows").contains("restriction"));
        let order = refused("$orderBy=State,Request desc");
        assert!(
            order.contains("\"Request\" cannot be ordered by, at position 6"),
            "{order}"
        );
        assert!(refused("$orderBy=State sideways").contains("asc or desc"));
        assert!(refused("$orderBy=State asc now").contains("more than"));
        assert!(refused("$orderBy=getNoRows").contains("cannot be ordered"));
    }
}
