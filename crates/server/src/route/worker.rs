//! The remote worker routes (ours): `POST /api/sobatch/v1/worker/claim`, `…/worker/{id}/heartbeat`
//! and `…/worker/{id}/complete`, through which programs in any language run the tasks of `remote`
//! definitions. Bodies and answers are JSON with PascalCase members (read case-insensitively, as
//! the SuperOffice surface reads its carriers). Any authenticated associate may call them; roles
//! come later. The operations themselves live in the engine.

use axum::Extension;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Map, Value};
use sobatch_core::{TaskId, TaskState};
use sobatch_engine::{RemoteLease, RemoteOutcome};
use sobatch_store::TaskProgress;

use super::body_bytes;
use crate::context::{Reply, RequestContext};
use crate::error::ApiError;
use crate::respond;
use crate::state::AppState;

/// The answer to a heartbeat that still holds its lease.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct HeartbeatReply {
    stop_requested: bool,
}

/// `POST /api/sobatch/v1/worker/claim` with `{"Names": [...], "Worker": "id", "WaitSeconds": n}`:
/// 200 with the claimed (and already started) task plus its `LeaseToken`, or 204 when nothing was
/// claimable within `WaitSeconds` (default 0, at most 60).
pub async fn worker_claim(
    State(state): State<AppState>,
    Extension(context): Extension<RequestContext>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_object(&body_bytes(body)?)?;
    let names = match member(&body, "Names") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ApiError::bad_request("Names must be an array of strings"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(ApiError::bad_request("Names must be an array of strings")),
    };
    let worker = required_string(&body, "Worker")?;
    let wait = match member(&body, "WaitSeconds") {
        None | Some(Value::Null) => 0.0,
        Some(value) => value
            .as_f64()
            .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
            .ok_or_else(|| ApiError::bad_request("WaitSeconds must be a number of at least 0"))?,
    };
    // Capped before conversion so that a huge number cannot overflow a Duration.
    let wait =
        std::time::Duration::from_secs_f64(wait.min(sobatch_engine::REMOTE_WAIT_MAX.as_secs_f64()));
    let Some((task, lease)) = state.engine.remote_claim(&names, &worker, wait).await? else {
        return Ok(context.reply(Reply::NoContent));
    };
    let token = RemoteLease::from_lease(&lease)
        .ok_or_else(|| ApiError::Internal(format!("remote claim got lease of {}", lease.owner)))?
        .encode();
    let mut rendered = serde_json::to_value(context.render(&task))
        .map_err(|e| ApiError::Internal(format!("serialize claimed task: {e}")))?;
    if let Value::Object(members) = &mut rendered {
        members.insert("LeaseToken".into(), Value::String(token));
    }
    Ok(respond::ok(&rendered))
}

/// `POST /api/sobatch/v1/worker/{id}/heartbeat` with `{"LeaseToken", "ProgressPercent",
/// "ProgressDescription"}`: extends the lease, writes the progress given, and answers
/// `{"StopRequested": bool}`; 409 if the lease is no longer held.
pub async fn worker_heartbeat(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = task_id(&id)?;
    let body = json_object(&body_bytes(body)?)?;
    let lease = lease_token(&body)?;
    let percent = match member(&body, "ProgressPercent") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_i64()
                .and_then(|p| i16::try_from(p).ok())
                .ok_or_else(|| ApiError::bad_request("ProgressPercent must be an integer"))?,
        ),
    };
    let progress = TaskProgress {
        percent,
        description: optional_string(&body, "ProgressDescription")?,
    };
    match state.engine.remote_heartbeat(id, &lease, progress).await? {
        Some(stop_requested) => Ok(respond::ok(&HeartbeatReply { stop_requested })),
        None => Err(lease_lost(id)),
    }
}

/// `POST /api/sobatch/v1/worker/{id}/complete` with `{"LeaseToken", "State", "Result",
/// "Response", "FileName"}`: ends the task and answers 200 with it as it now is; 400 for a
/// `State` other than Succeeded, SucceededManualCleanup or Failed; 409 if the lease is no longer
/// held.
pub async fn worker_complete(
    State(state): State<AppState>,
    Extension(context): Extension<RequestContext>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = task_id(&id)?;
    let body = json_object(&body_bytes(body)?)?;
    let lease = lease_token(&body)?;
    let state_name = match member(&body, "State") {
        Some(Value::String(name)) => name.clone(),
        Some(Value::Number(code)) => code.to_string(),
        _ => {
            return Err(ApiError::bad_request(
                "State must name the task's final state",
            ));
        }
    };
    let task_state = parse_state(&state_name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "State {state_name:?} is not Succeeded, SucceededManualCleanup or Failed"
        ))
    })?;
    let outcome = RemoteOutcome {
        state: task_state,
        result: optional_string(&body, "Result")?,
        response: optional_string(&body, "Response")?,
        file_name: optional_string(&body, "FileName")?,
    };
    if !state.engine.remote_complete(id, &lease, outcome).await? {
        return Err(lease_lost(id));
    }
    match state.engine.task_get(id).await? {
        Some(task) => Ok(context.reply(Reply::Task(Box::new(context.render(&task))))),
        // Deleted between the completion and the read: the completion still counted.
        None => Ok(context.reply(Reply::NoContent)),
    }
}

fn lease_lost(id: TaskId) -> ApiError {
    ApiError::Conflict(format!(
        "the lease on task {id} is not held: it expired, the task was stopped or finished, or the token is not this task's"
    ))
}

fn task_id(text: &str) -> Result<TaskId, ApiError> {
    text.parse::<i32>()
        .map(TaskId)
        .map_err(|_| ApiError::bad_request(format!("{text:?} is not a task id")))
}

/// A token the server could not have handed out is a conflict too, not a bad request: to the
/// worker it means the same thing as an expired one, and it changes nothing.
fn lease_token(body: &Map<String, Value>) -> Result<RemoteLease, ApiError> {
    let text = required_string(body, "LeaseToken")?;
    RemoteLease::decode(&text)
        .ok_or_else(|| ApiError::Conflict(format!("{text:?} is not a lease token of this server")))
}

/// A final state by name (case-insensitive) or numeric code.
fn parse_state(text: &str) -> Option<TaskState> {
    let text = text.trim();
    TaskState::ALL
        .into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(text))
        .or_else(|| text.parse::<i64>().ok().and_then(TaskState::from_code))
        .filter(|s| s.is_terminal())
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(members)) => Ok(members),
        Ok(_) => Err(ApiError::bad_request("the body must be a JSON object")),
        Err(error) => Err(ApiError::bad_request(format!(
            "the body is not valid JSON: {error}"
        ))),
    }
}

/// A member by name, ignoring ASCII case.
fn member<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

fn required_string(body: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    optional_string(body, name)?.ok_or_else(|| ApiError::bad_request(format!("{name} is required")))
}

fn optional_string(body: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match member(body, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::bad_request(format!("{name} must be a string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_final_states_complete_a_task() {
        assert_eq!(parse_state("succeeded"), Some(TaskState::Succeeded));
        assert_eq!(parse_state("5"), Some(TaskState::Failed));
        assert_eq!(
            parse_state("SucceededManualCleanup"),
            Some(TaskState::SucceededManualCleanup)
        );
        assert_eq!(parse_state("Started"), None);
        assert_eq!(parse_state("Done"), None);
    }
}
