//! The OData archive list "BatchTasks" (spec §1.8): `GET /api/v1/BatchTask` and its documented
//! twin `GET /api/v1/Archive/BatchTasks`, which answer the same. The handlers read the query
//! options, bind `$filter`, ask the store for one page, and write it with its metadata URL and,
//! when the configured page cap cut it short, the link to the rest.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use sobatch_engine::Caller;
use sobatch_store::query::{Predicate, TaskQuery};
use sobatch_wire::ArchivePage;

use super::MountedUnder;
use super::discovery::public_base;
use crate::archive::filter::{FilterContext, predicate};
use crate::archive::option::{ArchiveOptions, parse_options};
use crate::archive::row::render_row;
use crate::context::{Reply, RequestContext};
use crate::error::ApiError;
use crate::operation;
use crate::state::AppState;

/// The list under the REST route.
pub const BATCH_TASK_PATH: &str = "/api/v1/BatchTask";
/// The list under its archive provider's name.
pub const ARCHIVE_PATH: &str = "/api/v1/Archive/BatchTasks";
/// The metadata document `odata.metadata` names (spec §1.8 [R]); clients do not read it.
const METADATA_PATH: &str = "/api/v1/Archive/BatchTasks/$metadata";

/// `GET` of the list at `path` (`/api/v1/BatchTask` or `/api/v1/Archive/BatchTasks`): both answer
/// alike, but for the route the link to the next page repeats.
pub fn list_at(path: &'static str) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>,
              Extension(caller): Extension<Caller>,
              Extension(context): Extension<RequestContext>,
              mounted: Option<Extension<MountedUnder>>,
              headers: HeaderMap,
              RawQuery(query): RawQuery| async move {
            let request = ListRequest {
                caller: &caller,
                context: &context,
                headers: &headers,
                mounted: mounted.as_ref().map(|Extension(m)| m),
                path,
            };
            archive_list(&state, &request, query.as_deref()).await
        },
    )
}

/// What a list request brings besides its options.
struct ListRequest<'a> {
    caller: &'a Caller,
    context: &'a RequestContext,
    headers: &'a HeaderMap,
    mounted: Option<&'a MountedUnder>,
    /// The route it came in on, which the next page's link repeats.
    path: &'static str,
}

async fn archive_list(
    state: &AppState,
    request: &ListRequest<'_>,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    let options = parse_options(query)?;
    let filter_context = FilterContext {
        // Unsuffixed dates in a request are wall time in its zone (spec §2.9), and so are the
        // days and periods of `$filter`.
        zone: request.context.dates.input_zone(),
        now: chrono::Utc::now(),
        caller: request.caller.id,
    };
    let predicate = match &options.filter {
        Some(text) => predicate(text, &filter_context)?,
        None => Predicate::All,
    };
    // The cap bounds one answer; asking for one row more tells whether the rest needs a link.
    let cap = u64::from(state.odata_page_limit);
    let capped = options.top.is_none_or(|top| u64::from(top) > cap);
    let limit = match options.top {
        Some(top) if !capped => u64::from(top),
        _ => cap.saturating_add(1),
    };
    let query = TaskQuery {
        owners: operation::archive_owners(state, request.caller),
        predicate,
        order: options.order.clone(),
        skip: u64::from(options.skip),
        limit: Some(limit),
    };
    let mut listed = operation::archive(state, &query).await?;
    let truncated = capped && u64::try_from(listed.len()).unwrap_or(u64::MAX) > cap;
    if truncated {
        listed.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
    }
    let base = public_base(state, request.headers, request.mounted);
    let next_link = truncated.then(|| next_link(&base, request.path, &options, cap));
    let rows = listed
        .iter()
        .map(|task| {
            render_row(
                task,
                &options.select,
                &request.context.dates,
                &request.context.language,
            )
        })
        .collect();
    let page = ArchivePage {
        metadata: format!("{base}{METADATA_PATH}"),
        next_link,
        rows,
    };
    Ok(request
        .context
        .reply(Reply::Archive(Box::new(page), options.shape)))
}

/// The absolute URL of the rows after a page the cap cut at `cap` rows: the same query with
/// `$skip` moved past them and `$top`, if given, reduced by them.
fn next_link(base: &str, path: &str, options: &ArchiveOptions, cap: u64) -> String {
    let skip = u64::from(options.skip).saturating_add(cap);
    let top = options.top.map(|top| u64::from(top).saturating_sub(cap));
    let mut parameters: Vec<(&str, String)> = Vec::new();
    let mut skip_written = false;
    for (name, value) in &options.parameters {
        if name.eq_ignore_ascii_case("$skip") {
            parameters.push((name, skip.to_string()));
            skip_written = true;
        } else if name.eq_ignore_ascii_case("$top") {
            if let Some(top) = top {
                parameters.push((name, top.to_string()));
            }
        } else {
            parameters.push((name, value.clone()));
        }
    }
    if !skip_written {
        parameters.push(("$skip", skip.to_string()));
    }
    let query: Vec<String> = parameters
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect();
    format!("{base}{path}?{}", query.join("&"))
}

/// Percent-encodes a query name or value, leaving the characters OData queries are read with
/// (`$`, `'`, `(`, `)`, `,`, `:`) as they are, so the link stays legible.
fn encode(text: &str) -> String {
    sobatch_wire::url::percent_encode(text, b"$'(),:*!")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_moves_skip_and_top_past_the_page_and_keeps_the_rest() {
        let options =
            parse_options(Some("$filter=State%20eq%201&$TOP=25&x=a%26b&$Skip=3")).unwrap();
        assert_eq!(
            next_link("http://h/C1", BATCH_TASK_PATH, &options, 10),
            "http://h/C1/api/v1/BatchTask?$filter=State%20eq%201&$TOP=15&x=a%26b&$Skip=13"
        );
        let options = parse_options(Some("$orderBy=State%20desc")).unwrap();
        assert_eq!(
            next_link("http://h", ARCHIVE_PATH, &options, 1000),
            "http://h/api/v1/Archive/BatchTasks?$orderBy=State%20desc&$skip=1000"
        );
    }

    #[test]
    fn encoding_keeps_odata_punctuation_and_escapes_the_rest() {
        assert_eq!(
            encode("Description contains 'a&b' (é)"),
            "Description%20contains%20'a%26b'%20(%C3%A9)"
        );
    }
}
