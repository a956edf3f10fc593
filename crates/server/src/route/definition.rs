//! `GET /api/sobatch/v1/definitions` (ours): every task definition — built in, configured, or
//! created lazily by a start whose name nothing runs — and who runs it.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use crate::error::ApiError;
use crate::respond;
use crate::state::AppState;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefinitionInfo {
    /// The `batchtaskdefinition` row, once a task of this name was started.
    pub definition_id: Option<i32>,
    pub name: String,
    /// `built-in`, `command`, `embedded`, or `none` when nothing runs it (its tasks wait in New).
    pub kind: &'static str,
    pub runnable: bool,
    pub description: String,
    pub timeout_seconds: Option<f64>,
    pub cancellation_behaviour: &'static str,
}

pub async fn definition_list(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(respond::ok(&definitions(&state).await?))
}

/// Every definition by name: the stored rows, with what this node's executors say of them.
pub async fn definitions(state: &AppState) -> Result<Vec<DefinitionInfo>, ApiError> {
    let stored = state
        .engine
        .store()
        .definition_list()
        .await
        .map_err(ApiError::from)?;
    let mut by_name: BTreeMap<String, DefinitionInfo> = BTreeMap::new();
    for definition in stored {
        by_name.insert(
            definition.name.to_lowercase(),
            DefinitionInfo {
                definition_id: Some(definition.id.0),
                name: definition.name,
                kind: "none",
                runnable: false,
                description: definition.description,
                timeout_seconds: None,
                cancellation_behaviour: definition.cancellation.name(),
            },
        );
    }
    for (name, settings) in state.engine.executors().definitions() {
        let entry = by_name
            .entry(name.to_lowercase())
            .or_insert_with(|| DefinitionInfo {
                definition_id: None,
                name: name.clone(),
                kind: "none",
                runnable: false,
                description: String::new(),
                timeout_seconds: None,
                cancellation_behaviour: "CanCancel",
            });
        entry.kind = settings.kind;
        entry.runnable = true;
        if !settings.description.is_empty() {
            entry.description = settings.description;
        }
        entry.timeout_seconds = settings.timeout.map(|t| t.as_secs_f64());
        if let Some(cancellation) = settings.cancellation {
            entry.cancellation_behaviour = cancellation.name();
        }
    }
    Ok(by_name.into_values().collect())
}
