//! Conditional requests on single tasks (spec §4.6): `Last-Modified` out, `If-Modified-Since` (→ 304
//! on GET) and `If-Unmodified-Since` (→ 412 on PUT, PATCH, DELETE and Stop) in. A task's
//! last-modified instant is `updated`, or `registered` when it was never updated. HTTP dates have
//! whole seconds, so comparisons are made in whole seconds.

use std::time::{Duration, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use sobatch_core::Task;

use crate::error::ApiError;

fn last_modified_secs(task: &Task) -> i64 {
    task.updated.unwrap_or(task.created).timestamp()
}

/// A header's HTTP date in whole seconds since the epoch; unparsable dates are ignored, as
/// RFC 9110 says they must be.
fn header_secs(headers: &HeaderMap, name: header::HeaderName) -> Option<i64> {
    let text = headers.get(name)?.to_str().ok()?;
    let time = httpdate::parse_http_date(text.trim()).ok()?;
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).ok(),
        Err(before) => i64::try_from(before.duration().as_secs()).ok().map(|s| -s),
    }
}

/// Sets `Last-Modified` on a single-task answer.
pub fn stamp(response: &mut Response, task: &Task) {
    let secs = last_modified_secs(task);
    let Ok(secs) = u64::try_from(secs) else {
        return;
    };
    let when = UNIX_EPOCH + Duration::from_secs(secs);
    if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(when)) {
        response.headers_mut().insert(header::LAST_MODIFIED, value);
    }
}

/// Whether a GET may answer 304: the task has not changed since `If-Modified-Since`.
pub fn not_modified(headers: &HeaderMap, task: &Task) -> bool {
    header_secs(headers, header::IF_MODIFIED_SINCE)
        .is_some_and(|since| last_modified_secs(task) <= since)
}

/// Refuses a change when the task changed after `If-Unmodified-Since`.
pub fn require_unmodified(headers: &HeaderMap, task: &Task) -> Result<(), ApiError> {
    match header_secs(headers, header::IF_UNMODIFIED_SINCE) {
        Some(since) if last_modified_secs(task) > since => {
            Err(ApiError::PreconditionFailed(format!(
                "BatchTask id {} changed after the If-Unmodified-Since date",
                task.id
            )))
        }
        _ => Ok(()),
    }
}

/// Whether the request carries `If-Unmodified-Since` at all (so a handler reads the task first
/// only when it must).
pub fn has_precondition(headers: &HeaderMap) -> bool {
    headers.contains_key(header::IF_UNMODIFIED_SINCE)
}

/// For tests and clients: an HTTP date `seconds` from now.
#[cfg(test)]
fn http_date_in(seconds: i64) -> String {
    let now = std::time::SystemTime::now();
    let when = if seconds >= 0 {
        now + Duration::from_secs(seconds.unsigned_abs())
    } else {
        now - Duration::from_secs(seconds.unsigned_abs())
    };
    httpdate::fmt_http_date(when)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sobatch_core::{AssociateId, TaskId};

    fn task() -> Task {
        Task::new(TaskId(3), "Echo", AssociateId(1), chrono::Utc::now())
    }

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_modified_since_compares_whole_seconds() {
        let task = task();
        assert!(not_modified(
            &headers(header::IF_MODIFIED_SINCE, &http_date_in(60)),
            &task
        ));
        assert!(!not_modified(
            &headers(header::IF_MODIFIED_SINCE, &http_date_in(-60)),
            &task
        ));
        assert!(!not_modified(
            &headers(header::IF_MODIFIED_SINCE, "yesterday"),
            &task
        ));
        assert!(!not_modified(&HeaderMap::new(), &task));
    }

    #[test]
    fn if_unmodified_since_refuses_later_changes() {
        let task = task();
        assert!(
            require_unmodified(
                &headers(header::IF_UNMODIFIED_SINCE, &http_date_in(60)),
                &task
            )
            .is_ok()
        );
        assert!(matches!(
            require_unmodified(
                &headers(header::IF_UNMODIFIED_SINCE, &http_date_in(-60)),
                &task
            ),
            Err(ApiError::PreconditionFailed(_))
        ));
        assert!(
            require_unmodified(&headers(header::IF_UNMODIFIED_SINCE, "garbage"), &task).is_ok()
        );
    }
}
