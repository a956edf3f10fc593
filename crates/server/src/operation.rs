//! The batch operations as both SuperOffice surfaces perform them. REST and Agents differ only in
//! how they bind parameters and how they report "not found" (404 against `null`); everything else
//! is written once, here.

use sobatch_core::{AssociateId, StateSelector, Task, TaskId, TaskUpdate, Visibility};
use sobatch_engine::{Caller, Owner, StopReply};
use sobatch_store::query::{ListedTask, TaskQuery};
use sobatch_store::{OwnerFilter, TaskFilter};
use sobatch_wire::CarrierInput;

use crate::error::ApiError;
use crate::state::AppState;

/// Starts the task a carrier describes; system tasks (`IsSystemTask`, or AssociateId 0) are for
/// administrators only.
pub async fn start(
    state: &AppState,
    caller: &Caller,
    carrier: &CarrierInput,
) -> Result<TaskId, ApiError> {
    let fields = carrier.start_fields()?;
    let owner = if fields.is_system_task || fields.associate_id == Some(0) {
        Owner::System
    } else {
        Owner::Caller
    };
    let internal = fields.is_internal_task;
    let start = fields.into_task_start(caller.id);
    Ok(state
        .engine
        .task_start_as(caller, owner, start, internal)
        .await?)
}

/// The task with this id; ids no task can have (0, negative) are simply not found.
pub async fn get(state: &AppState, id: i32) -> Result<Option<Task>, ApiError> {
    match positive(id) {
        Some(id) => Ok(state.engine.task_get(id).await?),
        None => Ok(None),
    }
}

pub async fn list(
    state: &AppState,
    owners: OwnerFilter,
    selector: StateSelector,
    name: Option<String>,
) -> Result<Vec<Task>, ApiError> {
    let filter = TaskFilter {
        owners,
        state: selector,
        name: name_filter(name),
    };
    Ok(state.engine.task_list(&filter).await?)
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: i32,
    update: TaskUpdate,
) -> Result<Option<Task>, ApiError> {
    match positive(id) {
        Some(id) => Ok(state.engine.task_update(caller, id, update).await?),
        None => Ok(None),
    }
}

pub async fn stop(state: &AppState, id: i32) -> Result<StopReply, ApiError> {
    match positive(id) {
        Some(id) => Ok(state.engine.task_stop(id).await?),
        None => Ok(StopReply::NotFound),
    }
}

/// Deletes the tasks; unknown ids are ignored (spec Q10: idempotent).
pub async fn delete(state: &AppState, ids: &[i32]) -> Result<(), ApiError> {
    let ids: Vec<TaskId> = ids.iter().copied().filter_map(positive).collect();
    if !ids.is_empty() {
        state.engine.task_delete(&ids).await?;
    }
    Ok(())
}

/// Whose tasks the OData archive list shows: every task with a row, system and user tasks alike,
/// to every caller, as the GetAll… methods do (spec §1.6: R1 lists "all rows of the archive", and
/// the table has no role-based access control). Internal tasks have no row and never appear.
pub fn archive_owners() -> OwnerFilter {
    Visibility::Both.into()
}

/// A page of the archive list, filtered, ordered and paged by the store.
pub async fn archive(state: &AppState, query: &TaskQuery) -> Result<Vec<ListedTask>, ApiError> {
    Ok(state.engine.store().task_query(query).await?)
}

/// The associateIds rule of spec §1.6: none or `[]` is everyone, `0` the system, `-1` every user,
/// `n` associate n; several values are a union.
pub fn owners_from_associate_ids(ids: Option<Vec<i32>>) -> OwnerFilter {
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Visibility::Both.into();
    }
    let mut owners = OwnerFilter::default();
    for id in ids {
        match id {
            0 => owners.system = true,
            -1 => owners.all_users = true,
            id if id > 0 => owners.users.push(AssociateId(id)),
            // Other negative ids name nobody.
            _ => {}
        }
    }
    owners
}

/// A blank name means every name (spec §1.6).
fn name_filter(name: Option<String>) -> Option<String> {
    name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty())
}

fn positive(id: i32) -> Option<TaskId> {
    (id > 0).then_some(TaskId(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn associate_ids_follow_the_spec_rule() {
        assert_eq!(owners_from_associate_ids(None), Visibility::Both.into());
        assert_eq!(
            owners_from_associate_ids(Some(vec![])),
            Visibility::Both.into()
        );
        assert_eq!(
            owners_from_associate_ids(Some(vec![0])),
            Visibility::SystemOnly.into()
        );
        assert_eq!(
            owners_from_associate_ids(Some(vec![-1])),
            Visibility::UserOnly.into()
        );
        assert_eq!(
            owners_from_associate_ids(Some(vec![0, 7, 7, -9])),
            OwnerFilter {
                system: true,
                all_users: false,
                users: vec![AssociateId(7), AssociateId(7)],
            }
        );
    }

    #[test]
    fn blank_names_select_every_name() {
        assert_eq!(name_filter(Some("  ".into())), None);
        assert_eq!(name_filter(None), None);
        assert_eq!(name_filter(Some(" Echo ".into())), Some("Echo".into()));
    }
}
