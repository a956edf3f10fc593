//! Discovery (spec §4.9): `GET /api` says what this server is, as JSON or HTML; `GET /api/v1` maps
//! the absolute URL of every route to its methods and what they do.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::MountedUnder;
use super::agents;
use crate::respond;
use crate::state::AppState;

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The date of this version, as `NetServerDate` reports it.
const RELEASE_DATE: &str = "2026-11-29";

/// A JSON object whose members keep the order they were added in (a `serde_json` map would sort
/// them).
struct Ordered(Vec<(String, serde_json::Value)>);

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// The absolute base of this server as the client reached it: a configured public URL, else the
/// forwarded or direct scheme and host, plus the base path the request came in under.
pub(super) fn public_base(
    state: &AppState,
    headers: &HeaderMap,
    mounted: Option<&MountedUnder>,
) -> String {
    if !state.public_url.is_empty() {
        return state.public_url.trim_end_matches('/').to_string();
    }
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let scheme = first("x-forwarded-proto")
        .filter(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"))
        .unwrap_or_else(|| "http".into())
        .to_ascii_lowercase();
    let host = first("x-forwarded-host")
        .or_else(|| first(header::HOST.as_str()))
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        })
        .unwrap_or_else(|| state.local_addr.to_string());
    let prefix = mounted.map(|m| m.0.as_str()).unwrap_or("");
    format!("{scheme}://{host}{prefix}")
}

/// `GET /api`.
pub async fn api_describe(State(state): State<AppState>, request: Request) -> Response {
    let base = public_base(&state, request.headers(), request.extensions().get());
    let facts: Vec<(&str, String)> = vec![
        ("v1", format!("{base}/api/v1")),
        ("Version", "v1".into()),
        ("NetServerVersion", VERSION.into()),
        ("NetServerAssembly", VERSION.into()),
        ("NetServerDate", RELEASE_DATE.into()),
        ("NetServerLabel", format!("sobatch_{VERSION}")),
        (
            "NetServer",
            format!("sobatch {VERSION}, a SuperOffice-compatible batch task server"),
        ),
        ("Services", "Services88".into()),
        ("ServicesCurrent", "Services88".into()),
    ];
    if prefers_html(request.headers()) {
        return html(&facts);
    }
    let body = Ordered(
        facts
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
            .collect(),
    );
    respond::ok(&body)
}

/// `GET /api/v1`.
pub async fn api_v1_routes(State(state): State<AppState>, request: Request) -> Response {
    let base = public_base(&state, request.headers(), request.extensions().get());
    let mut routes: Vec<(String, Vec<(&'static str, String)>)> = vec![
        (
            "/api/v1/BatchTask".into(),
            vec![
                (
                    "GET",
                    "List batch tasks as the OData archive BatchTasks ($select, $filter, $orderBy, $top, $skip, $mode)."
                        .into(),
                ),
                (
                    "POST",
                    "Start a batch job from a BatchTaskInfo; returns the new id.".into(),
                ),
            ],
        ),
        (
            "/api/v1/Archive/BatchTasks".into(),
            vec![(
                "GET",
                "The OData archive BatchTasks, as GET /api/v1/BatchTask.".into(),
            )],
        ),
        (
            "/api/v1/BatchTask/{id}".into(),
            vec![
                ("GET", "Get one BatchTaskInfo by id.".into()),
                (
                    "PATCH",
                    "Patch State, Description, Response and Request (JSON Patch or merge patch)."
                        .into(),
                ),
            ],
        ),
        (
            "/api/v1/BatchTask/{state}".into(),
            vec![(
                "GET",
                "Get user BatchTaskInfos in a BatchTaskState; system tasks excluded.".into(),
            )],
        ),
        (
            "/api/v1/BatchTask/{Id}".into(),
            vec![(
                "PUT",
                "Update State, Description, Response and Request of a batch task.".into(),
            )],
        ),
        (
            "/api/v1/BatchTask/{id}/Stop".into(),
            vec![(
                "POST",
                "Stop a batch job; returns true when stopped.".into(),
            )],
        ),
        (
            "/api/v1/BatchTask/{batchTaskId}".into(),
            vec![("DELETE", "Delete a batch task.".into())],
        ),
    ];
    for (name, summary) in agents::method_summaries() {
        routes.push((
            format!("/api/v1/Agents/Batch/{name}"),
            vec![("POST", summary.to_string())],
        ));
    }
    let body = Ordered(
        routes
            .into_iter()
            .map(|(path, methods)| {
                let methods = methods
                    .into_iter()
                    .map(|(method, text)| (method.to_string(), serde_json::Value::String(text)))
                    .collect();
                (format!("{base}{path}"), serde_json::Value::Object(methods))
            })
            .collect(),
    );
    respond::ok(&body)
}

/// HTML when the client asks for it over JSON (a browser), JSON otherwise.
fn prefers_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let quality = |wanted: &str| {
        accept
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let range = pieces.next()?.trim().to_ascii_lowercase();
                let q = pieces
                    .filter_map(|p| p.split_once('='))
                    .find(|(n, _)| n.trim().eq_ignore_ascii_case("q"))
                    .and_then(|(_, v)| v.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (range == wanted).then_some(q)
            })
            .fold(0.0f32, f32::max)
    };
    quality("text/html") > quality("application/json").max(quality("text/json"))
}

fn html(facts: &[(&str, String)]) -> Response {
    let rows: String = facts
        .iter()
        .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v)))
        .collect();
    let page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>sobatch API</title></head>\
         <body><h1>sobatch API</h1><table>{rows}</table></body></html>"
    );
    let mut response = page.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}
