//! The HTTP routes: the SuperOffice surface (behind authentication) and our own service routes.

mod agents;
mod archive;
mod batch_task;
pub(crate) mod credential;
pub(crate) mod definition;
mod discovery;
mod events;
mod file;
mod worker;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;

use crate::auth::require_caller;
use sobatch_wire::language::ResourceId;

use crate::error::ApiError;
use crate::state::AppState;
use crate::text::message;

/// Literal path segments of the SuperOffice surface. ASP.NET matches routes case-insensitively, so
/// clients send any case; requests are rewritten to this spelling before routing.
const CANONICAL_SEGMENTS: &[&str] = &[
    "api",
    "v1",
    "BatchTask",
    "Stop",
    "Agents",
    "Batch",
    "Archive",
    "BatchTasks",
];

pub fn router(state: AppState, body_limit: usize) -> Router {
    let superoffice = Router::new()
        .route(
            archive::BATCH_TASK_PATH,
            archive::list_at(archive::BATCH_TASK_PATH)
                .post(batch_task::batch_task_start)
                .fallback(method_not_allowed),
        )
        .route(
            archive::ARCHIVE_PATH,
            archive::list_at(archive::ARCHIVE_PATH).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/BatchTask/{segment}",
            get(batch_task::batch_task_get)
                .put(batch_task::batch_task_update)
                .patch(batch_task::batch_task_patch)
                .delete(batch_task::batch_task_delete)
                .fallback(method_not_allowed),
        )
        .route(
            "/api/v1/BatchTask/{id}/Stop",
            post(batch_task::batch_task_stop).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/Agents/Batch/{method}",
            post(agents::agents_batch_invoke)
                .get(agents::agents_batch_describe)
                .fallback(method_not_allowed),
        )
        .route(
            "/api/sobatch/v1/definitions",
            get(definition::definition_list).fallback(method_not_allowed),
        )
        .route(
            "/api/sobatch/v1/tickets",
            post(credential::ticket_create).fallback(method_not_allowed),
        )
        .route(
            "/api/sobatch/v1/tickets/current",
            axum::routing::delete(credential::ticket_revoke_current).fallback(method_not_allowed),
        )
        .route(
            "/api/sobatch/v1/tokens",
            post(credential::token_create).fallback(method_not_allowed),
        )
        .route(
            "/api/sobatch/v1/tokens/{id}",
            axum::routing::delete(credential::token_revoke).fallback(method_not_allowed),
        )
        .route(
            "/api/sobatch/v1/events",
            get(events::event_stream).fallback(method_not_allowed),
        )
        .route(
            "/api/sobatch/v1/tasks/{id}/file",
            get(file::task_file).fallback(method_not_allowed),
        )
        .merge(worker_routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_caller,
        ))
        // Outside authentication, so that a 401 too comes in the request's format and language.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::context::request_context,
        ));
    Router::new()
        .route("/healthz", get(health))
        .route("/api", get(discovery::api_describe))
        .route("/api/v1", get(discovery::api_v1_routes))
        .merge(superoffice)
        .merge(crate::dashboard::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// The remote worker API, for administrators and associates with the `worker` role only.
fn worker_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/sobatch/v1/worker/claim",
            post(worker::worker_claim).fallback(method_not_allowed),
        )
        .route(
            "/api/sobatch/v1/worker/{id}/heartbeat",
            post(worker::worker_heartbeat).fallback(method_not_allowed),
        )
        .route(
            "/api/sobatch/v1/worker/{id}/complete",
            post(worker::worker_complete).fallback(method_not_allowed),
        )
        .route_layer(middleware::from_fn(require_worker_role))
}

async fn require_worker_role(request: Request, next: middleware::Next) -> Response {
    let allowed = request
        .extensions()
        .get::<sobatch_engine::Caller>()
        .is_some_and(|caller| caller.is_admin || caller.is_worker);
    if allowed {
        next.run(request).await
    } else {
        ApiError::Forbidden(
            "the worker API is for administrators and associates with the worker role".into(),
        )
        .into_response()
    }
}

/// Reads a request body, mapping a too-large one to 413, a late one to 408 and other failures
/// to 400.
fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(message(ResourceId::ErrorPayloadTooLarge, &[]))
        } else if crate::serve::is_body_timeout(&rejection) {
            ApiError::body_timeout()
        } else {
            ApiError::bad_request(format!("the request body could not be read: {rejection}"))
        }
    })
}

/// Removes the configured base path (`/Cust12345`) from the front of a request path, so the
/// SuperOffice surface answers both under it and at the root, as clients configured either way
/// expect. The match ignores case, as the rest of the path does.
pub fn strip_base_path(mut request: Request, base_path: &str) -> Request {
    if base_path.is_empty() {
        return request;
    }
    let path = request.uri().path();
    let Some(head) = path.get(..base_path.len()) else {
        return request;
    };
    let rest = &path[base_path.len()..];
    if !head.eq_ignore_ascii_case(base_path) || !(rest.is_empty() || rest.starts_with('/')) {
        return request;
    }
    let mounted = MountedUnder(head.to_string());
    let mut path_and_query = if rest.is_empty() {
        "/".to_string()
    } else {
        rest.to_string()
    };
    if let Some(query) = request.uri().query() {
        path_and_query.push('?');
        path_and_query.push_str(query);
    }
    set_path_and_query(&mut request, &path_and_query);
    request.extensions_mut().insert(mounted);
    request
}

/// The base path a request came in under, as the client spelled it; discovery puts it back into
/// the absolute URLs it lists.
#[derive(Debug, Clone)]
pub struct MountedUnder(pub String);

fn set_path_and_query(request: &mut Request, path_and_query: &str) {
    let mut parts = request.uri().clone().into_parts();
    if let Ok(value) = path_and_query.parse() {
        parts.path_and_query = Some(value);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
}

/// Rewrites the literal segments of a request path to their canonical case (see
/// [`CANONICAL_SEGMENTS`]); other segments, such as ids and state names, are left alone.
pub fn canonicalize_path(mut request: Request) -> Request {
    let path = request.uri().path();
    // Only the SuperOffice surface matches case-insensitively; the dashboard's `/ui/…/stop` is
    // not the API's `Stop`.
    let superoffice = path
        .split('/')
        .nth(1)
        .is_some_and(|first| first.eq_ignore_ascii_case("api"));
    let needs_change = superoffice
        && path.split('/').any(|segment| {
            CANONICAL_SEGMENTS
                .iter()
                .any(|c| segment != *c && segment.eq_ignore_ascii_case(c))
        });
    if !needs_change {
        return request;
    }
    let rewritten: Vec<&str> = path
        .split('/')
        .map(|segment| {
            CANONICAL_SEGMENTS
                .iter()
                .find(|c| segment.eq_ignore_ascii_case(c))
                .copied()
                .unwrap_or(segment)
        })
        .collect();
    let mut path_and_query = rewritten.join("/");
    if let Some(query) = request.uri().query() {
        path_and_query.push('?');
        path_and_query.push_str(query);
    }
    set_path_and_query(&mut request, &path_and_query);
    request
}

async fn health() -> &'static str {
    "ok"
}

async fn not_found(request: Request) -> Response {
    ApiError::NotFound(format!("no route for {}", request.uri().path())).into_response()
}

async fn method_not_allowed(request: Request) -> Response {
    ApiError::MethodNotAllowed(message(
        ResourceId::ErrorMethodNotSupported,
        &[request.method().as_str(), request.uri().path()],
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(uri: &str) -> String {
        let request = Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        canonicalize_path(request).uri().to_string()
    }

    fn strip(uri: &str, base: &str) -> String {
        let request = Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        strip_base_path(request, base).uri().to_string()
    }

    #[test]
    fn the_base_path_is_removed_only_as_a_whole_leading_segment() {
        assert_eq!(
            strip("/Cust12345/api/v1/BatchTask?x=1", "/Cust12345"),
            "/api/v1/BatchTask?x=1"
        );
        assert_eq!(strip("/cust12345/api", "/Cust12345"), "/api");
        assert_eq!(strip("/Cust12345", "/Cust12345"), "/");
        assert_eq!(strip("/Cust123456/api", "/Cust12345"), "/Cust123456/api");
        assert_eq!(
            strip("/api/v1/BatchTask", "/Cust12345"),
            "/api/v1/BatchTask"
        );
        assert_eq!(strip("/api", ""), "/api");
        assert_eq!(strip("/", "/Cust12345"), "/");
    }

    #[test]
    fn literal_segments_take_their_canonical_case_and_others_are_kept() {
        assert_eq!(
            rewrite("/API/V1/batchtask/42/stop"),
            "/api/v1/BatchTask/42/Stop"
        );
        assert_eq!(
            rewrite("/api/v1/batchtask/started?x=1"),
            "/api/v1/BatchTask/started?x=1"
        );
        assert_eq!(rewrite("/api/v1/BatchTask/New"), "/api/v1/BatchTask/New");
        assert_eq!(
            rewrite("/API/v1/archive/BATCHTASKS?$top=1"),
            "/api/v1/Archive/BatchTasks?$top=1"
        );
    }
}
