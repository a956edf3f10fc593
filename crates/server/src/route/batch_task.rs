//! The SuperOffice REST routes for tasks: `/api/v1/BatchTask` (R2–R7 of the spec). Not found is a
//! 404 here; the operations themselves live in [`crate::operation`].

use axum::Extension;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use sobatch_core::Visibility;
use sobatch_engine::{Caller, StopReply};
use sobatch_wire::{BatchTaskInfo, CarrierInput, Segment, parse_int32_segment};

use super::body_bytes;
use crate::error::ApiError;
use crate::operation;
use crate::respond;
use crate::state::AppState;

/// `POST /api/v1/BatchTask`: a bare BatchTaskInfo in, the new id out as a bare number.
pub async fn batch_task_start(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let carrier = CarrierInput::from_json(&body_bytes(body)?)?;
    let id = operation::start(&state, &caller, &carrier).await?;
    Ok(respond::ok(&id.0))
}

/// `GET /api/v1/BatchTask/{id}` or `GET /api/v1/BatchTask/{state}` (spec §1.3): integers are ids,
/// state names list the user tasks in that state.
pub async fn batch_task_get(
    State(state): State<AppState>,
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
            let task = operation::get(&state, id)
                .await?
                .ok_or_else(|| ApiError::task_not_found(id))?;
            Ok(respond::ok(&state.render(&task)))
        }
        Segment::OutOfRange => Err(ApiError::task_not_found(segment)),
        Segment::State(selector) => {
            let tasks =
                operation::list(&state, Visibility::UserOnly.into(), selector, None).await?;
            let infos: Vec<BatchTaskInfo> = tasks.iter().map(|task| state.render(task)).collect();
            Ok(respond::ok(&infos))
        }
        Segment::Invalid => Err(ApiError::bad_request(format!(
            "'{segment}' is not a valid BatchTaskState or task id"
        ))),
    }
}

/// `PUT /api/v1/BatchTask/{Id}`: writes State, Description, Response and Request only; the path
/// id wins over the body's.
pub async fn batch_task_update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    segment: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (segment, id) = path_task_id(segment)?;
    let carrier = CarrierInput::from_json(&body_bytes(body)?)?;
    let fields = carrier.update_fields()?;
    let task = operation::update(&state, &caller, id, fields.update)
        .await?
        .ok_or_else(|| ApiError::task_not_found(segment))?;
    Ok(respond::ok(&state.render(&task)))
}

/// `POST /api/v1/BatchTask/{id}/Stop`: a bare boolean, `true` iff the task was stopped.
pub async fn batch_task_stop(
    State(state): State<AppState>,
    segment: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let (segment, id) = path_task_id(segment)?;
    match operation::stop(&state, id).await? {
        StopReply::NotFound => Err(ApiError::task_not_found(segment)),
        StopReply::Stopped(stopped) => Ok(respond::ok(&stopped)),
    }
}

/// `DELETE /api/v1/BatchTask/{batchTaskId}`: 204 whether or not the task existed (idempotent).
pub async fn batch_task_delete(
    State(state): State<AppState>,
    segment: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let (_, id) = path_task_id(segment)?;
    operation::delete(&state, &[id]).await?;
    Ok(respond::no_content())
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
