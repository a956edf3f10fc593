//! The SuperOffice REST routes for one task: `/api/v1/BatchTask` (R2–R7 of the spec).

use axum::Extension;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use sobatch_core::{TaskId, Visibility};
use sobatch_engine::{Caller, Owner, StopReply};
use sobatch_store::TaskFilter;
use sobatch_wire::{BatchTaskInfo, CarrierInput, Segment, parse_int32_segment, render_task};

use crate::error::ApiError;
use crate::respond;
use crate::state::AppState;

/// `POST /api/v1/BatchTask`: a bare BatchTaskInfo in, the new id out as a bare number.
pub async fn batch_task_start(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let input = CarrierInput::from_json(&body_bytes(body)?)?;
    let fields = input.start_fields()?;
    let owner = if fields.is_system_task || fields.associate_id == Some(0) {
        Owner::System
    } else {
        Owner::Caller
    };
    let start = fields.into_task_start(caller.id);
    let id = state.engine.task_start(&caller, owner, start).await?;
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
            let task = if id > 0 {
                state.engine.task_get(TaskId(id)).await?
            } else {
                None
            };
            let task = task.ok_or_else(|| ApiError::task_not_found(id))?;
            Ok(respond::ok(&render_task(&task, &state.dates)))
        }
        Segment::OutOfRange => Err(ApiError::task_not_found(segment)),
        Segment::State(selector) => {
            let filter = TaskFilter {
                owners: Visibility::UserOnly.into(),
                state: selector,
                name: None,
            };
            let tasks = state.engine.task_list(&filter).await?;
            let infos: Vec<BatchTaskInfo> = tasks
                .iter()
                .map(|task| render_task(task, &state.dates))
                .collect();
            Ok(respond::ok(&infos))
        }
        Segment::Invalid => Err(ApiError::bad_request(format!(
            "'{segment}' is not a valid BatchTaskState or task id"
        ))),
    }
}

/// `PUT /api/v1/BatchTask/{Id}`: writes State, Description, Response and Request only.
pub async fn batch_task_update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    segment: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (segment, id) = path_task_id(segment)?;
    let input = CarrierInput::from_json(&body_bytes(body)?)?;
    let fields = input.update_fields()?;
    let task = match id {
        Some(id) => state.engine.task_update(&caller, id, fields.update).await?,
        None => None,
    };
    let task = task.ok_or_else(|| ApiError::task_not_found(segment))?;
    Ok(respond::ok(&render_task(&task, &state.dates)))
}

/// `POST /api/v1/BatchTask/{id}/Stop`: a bare boolean, `true` iff the task was stopped.
pub async fn batch_task_stop(
    State(state): State<AppState>,
    segment: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let (segment, id) = path_task_id(segment)?;
    let reply = match id {
        Some(id) => state.engine.task_stop(id).await?,
        None => StopReply::NotFound,
    };
    match reply {
        StopReply::NotFound => Err(ApiError::task_not_found(segment)),
        StopReply::Stopped(stopped) => Ok(respond::ok(&stopped)),
    }
}

/// `DELETE /api/v1/BatchTask/{batchTaskId}`: 204 whether or not the task existed (idempotent).
pub async fn batch_task_delete(
    State(state): State<AppState>,
    segment: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    if let (_, Some(id)) = path_task_id(segment)? {
        state.engine.task_delete(&[id]).await?;
    }
    Ok(respond::no_content())
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge("the request body is larger than the server accepts".into())
        } else {
            ApiError::bad_request(format!("the request body could not be read: {rejection}"))
        }
    })
}

fn path_segment(segment: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    segment
        .map(|Path(segment)| segment)
        .map_err(|rejection| ApiError::bad_request(format!("bad path: {rejection}")))
}

/// A path id: `Some` for a positive int32, `None` for an integer no task can have (0, negative or
/// too large: the task is simply not found); anything else is a 400.
fn path_task_id(
    segment: Result<Path<String>, PathRejection>,
) -> Result<(String, Option<TaskId>), ApiError> {
    let segment = path_segment(segment)?;
    match parse_int32_segment(&segment) {
        Segment::Id(id) if id > 0 => Ok((segment, Some(TaskId(id)))),
        Segment::Id(_) | Segment::OutOfRange => Ok((segment, None)),
        Segment::State(_) | Segment::Invalid => Err(ApiError::bad_request(format!(
            "'{segment}' is not a valid task id"
        ))),
    }
}
