//! The error body SuperOffice clients read (spec §4.8): the documented four members, plus the
//! ASP.NET-style `Message`/`MessageDetail` pair on 400s for clients that look for those. Which status
//! goes with which body is the server's decision, not this module's.

use serde::{Deserialize, Serialize};

/// What ASP.NET writes as `Message` for a request it could not bind.
const INVALID_REQUEST: &str = "The request is invalid.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorBody {
    /// Always `true`; the member exists so clients can tell an error object from a carrier.
    pub error: bool,
    /// The exception or category name, e.g. `SoNotFoundException`.
    pub error_type: String,
    pub error_message: String,
    /// The component that failed.
    pub error_source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_detail: Option<String>,
}

impl ErrorBody {
    pub fn new(
        error_type: impl Into<String>,
        message: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        ErrorBody {
            error: true,
            error_type: error_type.into(),
            error_message: message.into(),
            error_source: source.into(),
            message: None,
            message_detail: None,
        }
    }

    /// Adds `Message: "The request is invalid."` and repeats the error message as
    /// `MessageDetail`, as ASP.NET does for a 400.
    pub fn with_detail(mut self) -> Self {
        self.message = Some(INVALID_REQUEST.to_string());
        self.message_detail = Some(self.error_message.clone());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_not_found_body_has_exactly_the_four_documented_members_in_order() {
        let body = ErrorBody::new(
            "SoNotFoundException",
            "BatchTask id 999 not found",
            "SuperOffice.Services.Implementation",
        );
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"Error":true,"ErrorType":"SoNotFoundException","ErrorMessage":"BatchTask id 999 not found","ErrorSource":"SuperOffice.Services.Implementation"}"#
        );
    }

    #[test]
    fn a_bad_request_body_adds_message_and_detail() {
        let body = ErrorBody::new(
            "ArgumentException",
            "'Finished' is not a valid BatchTaskState",
            "BatchTask",
        )
        .with_detail();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({
                "Error": true,
                "ErrorType": "ArgumentException",
                "ErrorMessage": "'Finished' is not a valid BatchTaskState",
                "ErrorSource": "BatchTask",
                "Message": "The request is invalid.",
                "MessageDetail": "'Finished' is not a valid BatchTaskState"
            })
        );
        let text = serde_json::to_string(&body).unwrap();
        assert!(text.find("ErrorSource").unwrap() < text.find("\"Message\"").unwrap());
        let read: ErrorBody = serde_json::from_str(&text).unwrap();
        assert_eq!(read, body);
    }
}
