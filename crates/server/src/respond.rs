//! Response helpers: SuperOffice clients expect `application/json; charset=utf-8`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

const JSON: &str = "application/json; charset=utf-8";

pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
            response
        }
        Err(error) => {
            tracing::error!(%error, "serialize response failed");
            let mut response = Response::new(Body::from(
                r#"{"Error":true,"ErrorType":"InternalServerError","ErrorMessage":"the response could not be written","ErrorSource":"sobatch"}"#,
            ));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
            response
        }
    }
}

pub fn ok<T: Serialize + ?Sized>(value: &T) -> Response {
    json(StatusCode::OK, value)
}
