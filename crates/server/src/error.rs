//! `ApiError`, the HTTP boundary's one error type, and the one place errors become responses.
//! 5xx bodies reveal nothing internal; the cause is logged once, here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sobatch_engine::EngineError;
use sobatch_wire::odata::FilterError;
use sobatch_wire::{ErrorBody, WireError};

use sobatch_wire::language::ResourceId;

use crate::respond;
use crate::text::message;

const SOURCE: &str = "sobatch";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed; `error_type` names the category as SuperOffice would.
    #[error("{message}")]
    BadRequest {
        error_type: &'static str,
        message: String,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body did not arrive within `http.body_read_timeout`.
    #[error("{0}")]
    RequestTimeout(String),
    /// `Accept` names nothing the server can write.
    #[error("{0}")]
    NotAcceptable(String),
    /// The body's `Content-Type` is not one the server reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// `If-Unmodified-Since` and the task changed after it.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The route exists, the method does not.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The request names state that is no longer so, such as a remote worker's lost lease.
    #[error("{0}")]
    Conflict(String),
    /// Too many failed sign-ins; try again after `retry_after` seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// The database cannot be reached now; the text goes to the log only.
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected; the text goes to the log only.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            error_type: "ArgumentException",
            message: message.into(),
        }
    }

    /// A query option of the OData list that cannot be used: `option` as the spec spells it
    /// (`$filter`), `detail` naming the offending text and, where there is one, its position.
    pub fn invalid_query_option(option: &str, detail: &str) -> Self {
        ApiError::bad_request(message(
            ResourceId::ErrorInvalidQueryOption,
            &[option, detail],
        ))
    }

    /// 408: the body did not arrive within `http.body_read_timeout`.
    pub fn body_timeout() -> Self {
        ApiError::RequestTimeout(message(ResourceId::ErrorBodyTimeout, &[]))
    }

    pub fn task_not_found(id: impl std::fmt::Display) -> Self {
        ApiError::NotFound(message(ResourceId::ErrorTaskNotFound, &[&id.to_string()]))
    }
}

impl From<WireError> for ApiError {
    fn from(error: WireError) -> Self {
        ApiError::BadRequest {
            error_type: if error.member.is_some() {
                "ArgumentException"
            } else {
                "SerializationException"
            },
            message: error.message,
        }
    }
}

/// A `$filter` that cannot be read or run. The wire crate's messages name the offending text and
/// its position, except those about the filter as a whole or its end ("the filter ends too
/// soon"): those get the position appended, so that every answer says where.
impl From<FilterError> for ApiError {
    fn from(error: FilterError) -> Self {
        let detail = if error.message.contains(" at position ") {
            error.message
        } else {
            format!("{} at position {}", error.message, error.position)
        };
        ApiError::invalid_query_option("$filter", &detail)
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Forbidden(message) => ApiError::Forbidden(message),
            EngineError::Invalid(message) => ApiError::bad_request(message),
            EngineError::Store(error @ sobatch_store::StoreError::Unavailable(_)) => {
                ApiError::Unavailable(error.to_string())
            }
            EngineError::Store(error) => ApiError::Internal(error.to_string()),
        }
    }
}

impl From<sobatch_store::StoreError> for ApiError {
    fn from(error: sobatch_store::StoreError) -> Self {
        EngineError::Store(error).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut retry_after = None;
        let (status, body) = match self {
            ApiError::BadRequest {
                error_type,
                message,
            } => (
                StatusCode::BAD_REQUEST,
                ErrorBody::new(error_type, message, SOURCE).with_detail(),
            ),
            ApiError::Unauthorized(message) => (
                StatusCode::UNAUTHORIZED,
                ErrorBody::new("Unauthorized", message, SOURCE),
            ),
            ApiError::Forbidden(message) => (
                StatusCode::FORBIDDEN,
                ErrorBody::new("Forbidden", message, SOURCE),
            ),
            ApiError::NotFound(message) => (
                StatusCode::NOT_FOUND,
                ErrorBody::new("SoNotFoundException", message, SOURCE),
            ),
            ApiError::PayloadTooLarge(message) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorBody::new("PayloadTooLarge", message, SOURCE),
            ),
            ApiError::RequestTimeout(message) => (
                StatusCode::REQUEST_TIMEOUT,
                ErrorBody::new("RequestTimeout", message, SOURCE),
            ),
            ApiError::NotAcceptable(message) => (
                StatusCode::NOT_ACCEPTABLE,
                ErrorBody::new("NotAcceptable", message, SOURCE),
            ),
            ApiError::UnsupportedMediaType(message) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorBody::new("UnsupportedMediaType", message, SOURCE),
            ),
            ApiError::PreconditionFailed(message) => (
                StatusCode::PRECONDITION_FAILED,
                ErrorBody::new("PreconditionFailed", message, SOURCE),
            ),
            ApiError::MethodNotAllowed(message) => (
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorBody::new("MethodNotAllowed", message, SOURCE),
            ),
            ApiError::Conflict(message) => (
                StatusCode::CONFLICT,
                ErrorBody::new("Conflict", message, SOURCE),
            ),
            ApiError::TooManyRequests {
                message,
                retry_after: seconds,
            } => {
                retry_after = Some(seconds);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorBody::new("TooManyRequests", message, SOURCE),
                )
            }
            ApiError::Unavailable(cause) => {
                retry_after = Some(1);
                tracing::warn!(error = %cause, "request failed: database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorBody::new(
                        "ServiceUnavailable",
                        message(ResourceId::ErrorUnavailable, &[]),
                        SOURCE,
                    ),
                )
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::new(
                        "InternalServerError",
                        message(ResourceId::ErrorInternal, &[]),
                        SOURCE,
                    ),
                )
            }
        };
        let mut response = respond::json(status, &body);
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            // One challenge per scheme the server accepts (spec §4.1, R).
            for challenge in [
                "Basic realm=\"sobatch\", charset=\"UTF-8\"",
                "SOTicket realm=\"sobatch\"",
                "Bearer realm=\"sobatch\"",
            ] {
                response.headers_mut().append(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(error: ApiError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn an_internal_error_reveals_nothing_of_its_cause() {
        let (status, body) = body_of(ApiError::Internal(
            "database: disk I/O error at /secret/path".into(),
        ))
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["Error"], true);
        assert_eq!(body["ErrorType"], "InternalServerError");
        assert!(!body.to_string().contains("secret"), "{body}");
    }

    #[tokio::test]
    async fn each_status_has_the_superoffice_error_shape() {
        let cases = [
            (ApiError::bad_request("bad"), 400, "ArgumentException"),
            (ApiError::Unauthorized("who".into()), 401, "Unauthorized"),
            (ApiError::Forbidden("no".into()), 403, "Forbidden"),
            (ApiError::task_not_found(9), 404, "SoNotFoundException"),
            (ApiError::Conflict("gone".into()), 409, "Conflict"),
        ];
        for (error, status, error_type) in cases {
            let (actual, body) = body_of(error).await;
            assert_eq!(actual.as_u16(), status);
            assert_eq!(body["ErrorType"], error_type);
            assert_eq!(body["ErrorSource"], "sobatch");
            assert!(body["ErrorMessage"].is_string());
            assert_eq!(body.get("Message").is_some(), status == 400);
        }
    }

    #[test]
    fn store_errors_become_internal_errors() {
        let error: ApiError = EngineError::Store(sobatch_store::StoreError::WriterGone).into();
        assert!(matches!(error, ApiError::Internal(_)));
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_503_that_says_so_and_when_to_retry() {
        let error: ApiError = EngineError::Store(sobatch_store::StoreError::Unavailable(
            "connect to 10.0.0.9:5432: refused".into(),
        ))
        .into();
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["ErrorType"], "ServiceUnavailable");
        assert_eq!(body["ErrorMessage"], "[SR_SOBATCH_ERROR_UNAVAILABLE]");
        assert!(!body.to_string().contains("10.0.0.9"), "{body}");
    }
}
