//! PATCH of a task (spec §4.7, our extension): RFC 6902 JSON Patch or RFC 7396 merge patch,
//! limited to the four members an update may write. Member names in paths match case-insensitively
//! and the leading `/` is optional, as SuperOffice's PATCH allows.

use serde_json::{Map, Value};
use sobatch_core::{StateSelector, Task, TaskUpdate};

/// The members a patch may touch, in their wire spelling.
const UPDATABLE: [&str; 4] = ["State", "Description", "Response", "Request"];

/// Which patch dialect a body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// RFC 6902: an array of operations.
    JsonPatch,
    /// RFC 7396: an object of new values, `null` removing.
    MergePatch,
}

/// Computes the update a patch makes to `task`. `Err` says, for a 400, what is wrong — naming any
/// member outside the four.
pub fn patch_to_update(task: &Task, kind: PatchKind, patch: &Value) -> Result<TaskUpdate, String> {
    let before = updatable_document(task);
    let mut after = before.clone();
    match kind {
        PatchKind::MergePatch => {
            let Value::Object(members) = patch else {
                return Err("a merge patch must be a JSON object".into());
            };
            let mut canonical = Map::new();
            for (name, value) in members {
                canonical.insert(canonical_member(name)?.to_string(), value.clone());
            }
            json_patch::merge(&mut after, &Value::Object(canonical));
        }
        PatchKind::JsonPatch => {
            let Value::Array(operations) = patch else {
                return Err("a JSON Patch must be an array of operations".into());
            };
            let operations = operations
                .iter()
                .map(canonical_operation)
                .collect::<Result<Vec<_>, _>>()?;
            let parsed: json_patch::Patch = serde_json::from_value(Value::Array(operations))
                .map_err(|e| format!("the JSON Patch is not valid: {e}"))?;
            json_patch::patch(&mut after, &parsed)
                .map_err(|e| format!("the JSON Patch cannot be applied: {e}"))?;
        }
    }
    update_between(&before, &after)
}

/// The four updatable members as they are now; Description is never null in storage.
fn updatable_document(task: &Task) -> Value {
    let mut document = Map::new();
    document.insert("State".into(), Value::String(task.state.name().into()));
    document.insert(
        "Description".into(),
        Value::String(task.description.clone()),
    );
    document.insert(
        "Response".into(),
        task.response.clone().map_or(Value::Null, Value::String),
    );
    document.insert(
        "Request".into(),
        task.request.clone().map_or(Value::Null, Value::String),
    );
    Value::Object(document)
}

fn canonical_member(name: &str) -> Result<&'static str, String> {
    let name = name.trim_start_matches('/');
    UPDATABLE
        .into_iter()
        .find(|member| member.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            format!("PATCH may change only State, Description, Response and Request, not {name:?}")
        })
}

/// Rewrites an operation's `path` (and `from`) to `/Member` with the canonical spelling.
fn canonical_operation(operation: &Value) -> Result<Value, String> {
    let Value::Object(members) = operation else {
        return Err("each JSON Patch operation must be an object".into());
    };
    let mut out = Map::new();
    for (key, value) in members {
        let key = key.to_ascii_lowercase();
        let value = if key == "path" || key == "from" {
            let Value::String(path) = value else {
                return Err(format!(
                    "the {key} of a JSON Patch operation must be a string"
                ));
            };
            let trimmed = path.trim_start_matches('/');
            if trimmed.contains('/') {
                return Err(format!(
                    "{path:?} points inside a member; only whole members can be patched"
                ));
            }
            Value::String(format!("/{}", canonical_member(trimmed)?))
        } else {
            value.clone()
        };
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

/// The update that turns `before` into `after`; members that did not change are left out.
fn update_between(before: &Value, after: &Value) -> Result<TaskUpdate, String> {
    let get = |document: &Value, member: &str| document.get(member).cloned().unwrap_or(Value::Null);
    let text = |member: &str, value: Value| -> Result<Option<String>, String> {
        match value {
            Value::Null => Ok(None),
            Value::String(text) => Ok(Some(text)),
            other => Err(format!("{member} must be a string or null, not {other}")),
        }
    };
    let mut update = TaskUpdate::default();
    let state = get(after, "State");
    if state != get(before, "State") {
        let parsed = match &state {
            Value::String(name) => StateSelector::parse(name),
            Value::Number(code) => code.as_i64().and_then(StateSelector::from_code),
            _ => None,
        };
        update.state = match parsed {
            Some(StateSelector::Only(state)) => Some(state),
            Some(StateSelector::All) => {
                return Err("State cannot be All: no task is in it".into());
            }
            None => return Err(format!("{state} is not a valid BatchTaskState")),
        };
    }
    let description = get(after, "Description");
    if description != get(before, "Description") {
        update.description = Some(text("Description", description)?.unwrap_or_default());
    }
    let response = get(after, "Response");
    if response != get(before, "Response") {
        update.response = Some(text("Response", response)?);
    }
    let request = get(after, "Request");
    if request != get(before, "Request") {
        update.request = Some(text("Request", request)?);
    }
    Ok(update)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use sobatch_core::{AssociateId, TaskId, TaskState};

    fn task() -> Task {
        Task {
            description: "desc".into(),
            response: Some("resp".into()),
            ..Task::new(TaskId(1), "Echo", AssociateId(1), chrono::Utc::now())
        }
    }

    #[test]
    fn a_json_patch_with_any_path_case_becomes_an_update() {
        let patch = json!([
            {"op": "replace", "path": "/state", "value": "Failed"},
            {"op": "replace", "path": "description", "value": "new"},
            {"op": "remove", "path": "/RESPONSE"},
            {"op": "test", "path": "/Request", "value": null},
        ]);
        let update = patch_to_update(&task(), PatchKind::JsonPatch, &patch).unwrap();
        assert_eq!(update.state, Some(TaskState::Failed));
        assert_eq!(update.description.as_deref(), Some("new"));
        assert_eq!(update.response, Some(None));
        assert_eq!(update.request, None);
    }

    #[test]
    fn copy_and_move_between_updatable_members_work() {
        let patch = json!([{"op": "copy", "from": "/Description", "path": "/Request"}]);
        let update = patch_to_update(&task(), PatchKind::JsonPatch, &patch).unwrap();
        assert_eq!(update.request, Some(Some("desc".into())));
    }

    #[test]
    fn a_merge_patch_sets_and_clears() {
        let patch = json!({"response": null, "Description": null, "state": "Started"});
        let update = patch_to_update(&task(), PatchKind::MergePatch, &patch).unwrap();
        assert_eq!(update.response, Some(None));
        assert_eq!(update.description.as_deref(), Some(""));
        assert_eq!(update.state, Some(TaskState::Started));
    }

    #[test]
    fn a_patch_of_another_member_names_it() {
        for (kind, patch) in [
            (PatchKind::MergePatch, json!({"Name": "x"})),
            (
                PatchKind::JsonPatch,
                json!([{"op": "replace", "path": "/StartCount", "value": 3}]),
            ),
            (
                PatchKind::JsonPatch,
                json!([{"op": "copy", "from": "/Name", "path": "/Request"}]),
            ),
        ] {
            let error = patch_to_update(&task(), kind, &patch).unwrap_err();
            assert!(
                error.contains("Name") || error.contains("StartCount"),
                "{error}"
            );
        }
    }

    #[test]
    fn invalid_patches_are_errors_not_panics() {
        let cases = [
            (PatchKind::JsonPatch, json!({"op": "replace"})),
            (
                PatchKind::JsonPatch,
                json!([{"op": "explode", "path": "/State"}]),
            ),
            (
                PatchKind::JsonPatch,
                json!([{"op": "test", "path": "/State", "value": "Failed"}]),
            ),
            (
                PatchKind::JsonPatch,
                json!([{"op": "replace", "path": "/State/x", "value": 1}]),
            ),
            (PatchKind::MergePatch, json!([1])),
            (PatchKind::MergePatch, json!({"State": "All"})),
            (PatchKind::MergePatch, json!({"State": 42})),
            (PatchKind::MergePatch, json!({"Description": 5})),
        ];
        for (kind, patch) in cases {
            assert!(patch_to_update(&task(), kind, &patch).is_err(), "{patch}");
        }
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "(?i)(/?(state|description|response|request|name))|\\PC{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(
                    "(?i)op|path|from|value|state|description",
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn no_patch_panics(patch in arbitrary_json()) {
            let _ = patch_to_update(&task(), PatchKind::JsonPatch, &patch);
            let _ = patch_to_update(&task(), PatchKind::MergePatch, &patch);
        }
    }
}
