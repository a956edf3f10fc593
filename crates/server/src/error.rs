//! `ApiError`, the HTTP boundary's one error type, and the one place errors become responses.
//! 5xx bodies reveal nothing internal; the cause is logged once, here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sobatch_engine::EngineError;
use sobatch_wire::{ErrorBody, WireError};

use crate::respond;

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

    pub fn task_not_found(id: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!("BatchTask id {id} not found"))
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

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Forbidden(message) => ApiError::Forbidden(message),
            EngineError::Invalid(message) => ApiError::bad_request(message),
            EngineError::Store(error) => ApiError::Internal(error.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
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
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::new(
                        "InternalServerError",
                        "the server could not complete the request; the cause is in its log",
                        SOURCE,
                    ),
                )
            }
        };
        let mut response = respond::json(status, &body);
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"sobatch\", charset=\"UTF-8\""),
            );
        }
        response
    }
}
