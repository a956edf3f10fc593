//! The SuperOffice REST routes for tasks: `/api/v1/BatchTask` (R2–R7 of the spec, and PATCH). Not
//! found is a 404 here; the operations themselves live in [`crate::operation`].

use axum::Extension;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sobatch_core::{Task, Visibility};
use sobatch_engine::{Caller, StopReply};
use sobatch_wire::{Segment, parse_int32_segment};

use super::body_bytes;
use sobatch_wire::language::ResourceId;

use crate::conditional;
use crate::context::{Reply, RequestContext};
use crate::error::ApiError;
use crate::negotiate::BodyFormat;
use crate::operation;
use crate::patch::{PatchKind, patch_to_update};
use crate::state::AppState;
use crate::text::message;

/// `POST /api/v1/BatchTask`: a bare BatchTaskInfo in, the new id out as a bare number.
pub async fn batch_task_start(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let carrier = context.carrier(&body_bytes(body)?)?;
    let id = operation::start(&state, &caller, &carrier).await?;
    Ok(context.reply(Reply::Int(id.0)))
}

/// `GET /api/v1/BatchTask/{id}` or `GET /api/v1/BatchTask/{state}` (spec §1.3): integers are ids,
/// state names list the user tasks in that state.
pub async fn batch_task_get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    headers: HeaderMap,
    segment: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let segment = path_segment(segment)?;
    if segment.eq_ignore_ascii_case("$metadata") {
        return Err(ApiError::NotFound(
            "BatchTask has no metadata document".into(),
        ));
    }
    match parse_int32_segment(&segment) {
        Segment::Id(id) => {
            let task = operation::get(&state, &caller, id)
                .await?
                .ok_or_else(|| ApiError::task_not_found(id))?;
            if conditional::not_modified(&headers, &task) {
                let mut response = StatusCode::NOT_MODIFIED.into_response();
                conditional::stamp(&mut response, &task);
                return Ok(response);
            }
            Ok(single(&context, &task))
        }
        Segment::OutOfRange => Err(ApiError::task_not_found(segment)),
        Segment::State(selector) => {
            let tasks =
                operation::list(&state, &caller, Visibility::UserOnly.into(), selector, None)
                    .await?;
            let infos = tasks.iter().map(|task| context.render(task)).collect();
            Ok(context.reply(Reply::Tasks(infos)))
        }
        Segment::Invalid => Err(ApiError::bad_request(message(
            ResourceId::ErrorInvalidState,
            &[&segment],
        ))),
    }
}

/// `PUT /api/v1/BatchTask/{Id}`: writes State, Description, Response and Request only; the path
/// id wins over the body's.
pub async fn batch_task_update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    headers: HeaderMap,
    segment: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (segment, id) = path_task_id(segment)?;
    let carrier = context.carrier(&body_bytes(body)?)?;
    let fields = carrier.update_fields()?;
    precondition(&state, &caller, &headers, id).await?;
    let task = operation::update(&state, &caller, id, fields.update)
        .await?
        .ok_or_else(|| ApiError::task_not_found(segment))?;
    Ok(single(&context, &task))
}

/// `PATCH /api/v1/BatchTask/{id}`: a JSON Patch (array) or merge patch (object) of the four
/// updatable members; `Content-Type` says which, and plain JSON is told apart by its shape.
pub async fn batch_task_patch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    headers: HeaderMap,
    segment: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (segment, id) = path_task_id(segment)?;
    let body = body_bytes(body)?;
    let patch: serde_json::Value = match &context.body {
        Ok(BodyFormat::Json | BodyFormat::JsonPatch | BodyFormat::MergePatch) => {
            serde_json::from_slice(&body)
                .map_err(|e| ApiError::bad_request(format!("the patch is not valid JSON: {e}")))?
        }
        Ok(BodyFormat::Xml | BodyFormat::Form) | Err(_) => {
            return Err(ApiError::UnsupportedMediaType(
                "PATCH takes application/json-patch+json or application/merge-patch+json".into(),
            ));
        }
    };
    let kind = match (&context.body, &patch) {
        (Ok(BodyFormat::JsonPatch), _) | (Ok(BodyFormat::Json), serde_json::Value::Array(_)) => {
            PatchKind::JsonPatch
        }
        _ => PatchKind::MergePatch,
    };
    let task = operation::get(&state, &caller, id)
        .await?
        .ok_or_else(|| ApiError::task_not_found(&segment))?;
    conditional::require_unmodified(&headers, &task)?;
    let update = patch_to_update(&task, kind, &patch).map_err(ApiError::bad_request)?;
    let task = operation::update(&state, &caller, id, update)
        .await?
        .ok_or_else(|| ApiError::task_not_found(segment))?;
    Ok(single(&context, &task))
}

/// `POST /api/v1/BatchTask/{id}/Stop`: a bare boolean, `true` iff the task was stopped.
pub async fn batch_task_stop(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    headers: HeaderMap,
    segment: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let (segment, id) = path_task_id(segment)?;
    precondition(&state, &caller, &headers, id).await?;
    match operation::stop(&state, &caller, id).await? {
        StopReply::NotFound => Err(ApiError::task_not_found(segment)),
        StopReply::Stopped(stopped) => Ok(context.reply(Reply::Bool(stopped))),
    }
}

/// `DELETE /api/v1/BatchTask/{batchTaskId}`: 204 whether or not the task existed (idempotent).
pub async fn batch_task_delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    headers: HeaderMap,
    segment: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let (_, id) = path_task_id(segment)?;
    precondition(&state, &caller, &headers, id).await?;
    operation::delete(&state, &caller, &[id]).await?;
    Ok(context.reply(Reply::NoContent))
}

/// One task with its `Last-Modified`.
fn single(context: &RequestContext, task: &Task) -> Response {
    let mut response = context.reply(Reply::Task(Box::new(context.render(task))));
    conditional::stamp(&mut response, task);
    response
}

/// Checks `If-Unmodified-Since` against the task, reading it only when the header is there. A
/// missing task passes: the operation itself reports it.
async fn precondition(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    id: i32,
) -> Result<(), ApiError> {
    if !conditional::has_precondition(headers) {
        return Ok(());
    }
    match operation::get(state, caller, id).await? {
        Some(task) => conditional::require_unmodified(headers, &task),
        None => Ok(()),
    }
}

fn path_segment(segment: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    segment
        .map(|Path(segment)| segment)
        .map_err(|rejection| ApiError::bad_request(format!("bad path: {rejection}")))
}

/// A path id. An integer that no task can have (0, negative, beyond int32) becomes 0, which the
/// operations treat as not found; anything else is a 400.
fn path_task_id(segment: Result<Path<String>, PathRejection>) -> Result<(String, i32), ApiError> {
    let segment = path_segment(segment)?;
    match parse_int32_segment(&segment) {
        Segment::Id(id) => Ok((segment, id)),
        Segment::OutOfRange => Ok((segment, 0)),
        Segment::State(_) | Segment::Invalid => Err(ApiError::bad_request(format!(
            "'{segment}' is not a valid task id"
        ))),
    }
}
