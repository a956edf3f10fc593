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
/// administrators only, and so are tasks for another associate (an AssociateId that names one).
/// An AssociateId that names nobody here is the server's to set (spec §1.7), and is ignored:
/// clients send back carriers they got from elsewhere.
pub async fn start(
    state: &AppState,
    caller: &Caller,
    carrier: &CarrierInput,
) -> Result<TaskId, ApiError> {
    let fields = carrier.start_fields()?;
    let owner = match fields.associate_id {
        _ if fields.is_system_task => Owner::System,
        Some(0) => Owner::System,
        Some(id) if id > 0 && id != caller.id.0 => {
            let named = AssociateId(id);
            match state.engine.store().associate_get(named).await? {
                Some(_) => Owner::Associate(named),
                None => Owner::Caller,
            }
        }
        _ => Owner::Caller,
    };
    let internal = fields.is_internal_task;
    let mut start = fields.into_task_start(caller.id);
    start.application = caller.application;
    Ok(state
        .engine
        .task_start_as(caller, owner, start, internal)
        .await?)
}

/// Who may see and manage whose tasks (`[auth]` switches; design.md §7).
#[derive(Debug, Clone, Copy, Default)]
pub struct Access {
    /// Users update, stop and delete any user's tasks, not only their own.
    pub users_manage_all_tasks: bool,
    /// Users see only their own tasks in every list, stream and lookup.
    pub restrict_users_to_own_tasks: bool,
}

/// The owners a list may include for `caller`: what was asked, narrowed to the caller's own
/// tasks when users are restricted to them. Administrators see everything asked for.
pub fn visible(state: &AppState, caller: &Caller, asked: OwnerFilter) -> OwnerFilter {
    if caller.is_admin || !state.access.restrict_users_to_own_tasks {
        return asked;
    }
    let own = asked.all_users || asked.users.contains(&caller.id);
    OwnerFilter {
        system: false,
        all_users: false,
        users: if own { vec![caller.id] } else { Vec::new() },
    }
}

fn may_see(state: &AppState, caller: &Caller, task: &Task) -> bool {
    caller.is_admin || !state.access.restrict_users_to_own_tasks || task.associate_id == caller.id
}

/// Refuses (403) a change to a task that is not the caller's, unless the caller is an
/// administrator or users may manage every task.
fn may_manage(state: &AppState, caller: &Caller, task: &Task) -> Result<(), ApiError> {
    let anyones = state.access.users_manage_all_tasks && task.associate_id != AssociateId::SYSTEM;
    if caller.is_admin || anyones || task.associate_id == caller.id {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "task {} belongs to another associate; only its owner or an administrator may change it",
            task.id
        )))
    }
}

/// The task with this id, if the caller may see it; ids no task can have (0, negative) are simply
/// not found, and so are tasks hidden from the caller.
pub async fn get(state: &AppState, caller: &Caller, id: i32) -> Result<Option<Task>, ApiError> {
    let task = match positive(id) {
        Some(id) => state.engine.task_get(id).await?,
        None => None,
    };
    Ok(task.filter(|task| may_see(state, caller, task)))
}

/// A task the caller may change: `None` if it is not there (or hidden), 403 if it is not theirs.
async fn manageable(state: &AppState, caller: &Caller, id: i32) -> Result<Option<Task>, ApiError> {
    let task = get(state, caller, id).await?;
    if let Some(task) = &task {
        may_manage(state, caller, task)?;
    }
    Ok(task)
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    owners: OwnerFilter,
    selector: StateSelector,
    name: Option<String>,
) -> Result<Vec<Task>, ApiError> {
    let filter = TaskFilter {
        owners: visible(state, caller, owners),
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
    match manageable(state, caller, id).await? {
        Some(task) => Ok(state.engine.task_update(caller, task.id, update).await?),
        None => Ok(None),
    }
}

pub async fn stop(state: &AppState, caller: &Caller, id: i32) -> Result<StopReply, ApiError> {
    match manageable(state, caller, id).await? {
        Some(task) => Ok(state.engine.task_stop(task.id).await?),
        None => Ok(StopReply::NotFound),
    }
}

/// Deletes the tasks; unknown ids are ignored (spec Q10: idempotent). If any of them is another
/// associate's that the caller may not manage, nothing is deleted (403).
pub async fn delete(state: &AppState, caller: &Caller, ids: &[i32]) -> Result<(), ApiError> {
    let mut found = Vec::with_capacity(ids.len());
    for &id in ids {
        if let Some(task) = manageable(state, caller, id).await? {
            found.push(task.id);
        }
    }
    if !found.is_empty() {
        state.engine.task_delete(&found).await?;
    }
    Ok(())
}

/// Whose tasks the OData archive list (and the event stream and dashboard, which show the same)
/// shows: every task with a row, system and user tasks alike, as the GetAll… methods do (spec
/// §1.6: R1 lists "all rows of the archive"), unless users are restricted to their own.
/// Internal tasks have no row and never appear.
pub fn archive_owners(state: &AppState, caller: &Caller) -> OwnerFilter {
    visible(state, caller, Visibility::Both.into())
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
