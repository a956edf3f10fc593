//! The HTTP routes: the SuperOffice surface (behind authentication) and our own service routes.

mod batch_task;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::auth::require_caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Literal path segments of the SuperOffice surface. ASP.NET matches routes case-insensitively, so
/// clients send any case; requests are rewritten to this spelling before routing.
const CANONICAL_SEGMENTS: &[&str] = &["api", "v1", "BatchTask", "Stop"];

pub fn router(state: AppState, body_limit: usize) -> Router {
    let superoffice = Router::new()
        .route(
            "/api/v1/BatchTask",
            post(batch_task::batch_task_start).fallback(method_not_allowed),
        )
        .route(
            "/api/v1/BatchTask/{segment}",
            get(batch_task::batch_task_get)
                .put(batch_task::batch_task_update)
                .delete(batch_task::batch_task_delete)
                .fallback(method_not_allowed),
        )
        .route(
            "/api/v1/BatchTask/{id}/Stop",
            post(batch_task::batch_task_stop).fallback(method_not_allowed),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_caller,
        ));
    Router::new()
        .route("/healthz", get(health))
        .merge(superoffice)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Rewrites the literal segments of a request path to their canonical case (see
/// [`CANONICAL_SEGMENTS`]); other segments, such as ids and state names, are left alone.
pub fn canonicalize_path(mut request: Request) -> Request {
    let path = request.uri().path();
    let needs_change = path.split('/').any(|segment| {
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
    let mut parts = request.uri().clone().into_parts();
    if let Ok(value) = path_and_query.parse() {
        parts.path_and_query = Some(value);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

async fn health() -> &'static str {
    "ok"
}

async fn not_found(request: Request) -> Response {
    ApiError::NotFound(format!("no route for {}", request.uri().path())).into_response()
}

async fn method_not_allowed(request: Request) -> Response {
    let mut response = ApiError::bad_request(format!(
        "{} is not supported on {}",
        request.method(),
        request.uri().path()
    ))
    .into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
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
    }
}
