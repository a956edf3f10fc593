//! Response helpers: SuperOffice clients expect `application/json; charset=utf-8`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

const JSON: &str = "application/json; charset=utf-8";

pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    json_as(status, JSON, value)
}

/// `value` as JSON labelled `media` (`application/json` or `text/json`, with charset).
pub fn json_as<T: Serialize + ?Sized>(
    status: StatusCode,
    media: &'static str,
    value: &T,
) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => typed(status, media, Body::from(bytes)),
        Err(error) => {
            tracing::error!(%error, "serialize response failed");
            typed(
                StatusCode::INTERNAL_SERVER_ERROR,
                JSON,
                Body::from(
                    r#"{"Error":true,"ErrorType":"InternalServerError","ErrorMessage":"the response could not be written","ErrorSource":"sobatch"}"#,
                ),
            )
        }
    }
}

/// A body with its status and `Content-Type`.
pub fn typed(status: StatusCode, media: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    response
}

pub fn ok<T: Serialize + ?Sized>(value: &T) -> Response {
    json(StatusCode::OK, value)
}
