//! The SuperOffice Agents surface for batch tasks: `POST /api/v1/Agents/Batch/{Method}` for the
//! fifteen methods of spec §1.4. Parameters come wrapped in a JSON object (PascalCase or camelCase),
//! or from the query string when the body lacks them; not found is `null` with 200; void methods
//! answer 204; `$select` nulls unselected members. `GET` on a method describes it.

use axum::Extension;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use serde::Serialize;
use sobatch_core::{StateSelector, Task, TaskState, Visibility};
use sobatch_engine::{Caller, StopReply};
use sobatch_store::OwnerFilter;
use sobatch_wire::{CarrierInput, MemberSelection};

use super::body_bytes;
use crate::context::{Reply, RequestContext};
use crate::error::ApiError;
use crate::operation;
use crate::respond;
use crate::state::AppState;

/// The fifteen methods, in the spec's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    GetBatchTaskInfo,
    GetBatchTaskInfosByAssociates,
    StartBatchJob,
    StopBatchJob,
    GetBatchTaskInfosByState,
    UpdateBatchTask,
    GetBatchTaskInfosByNameAndState,
    GetBatchTaskInfosByNameAndAssociates,
    GetBatchTaskInfosByAssociatesAndState,
    DeleteBatchTasks,
    DeleteBatchTask,
    GetAllBatchTaskInfosByName,
    GetAllBatchTaskInfosByNameAndState,
    GetSystemBatchTaskInfosByName,
    GetSystemBatchTaskInfosByNameAndState,
}

/// What `GET` on a method says about it.
struct Description {
    method: Method,
    name: &'static str,
    summary: &'static str,
    parameters: &'static [(&'static str, &'static str)],
    returns: &'static str,
}

const INFO: &str = "BatchTaskInfo";
const INFOS: &str = "BatchTaskInfo[]";

const METHODS: [Description; 15] = [
    Description {
        method: Method::GetBatchTaskInfo,
        name: "GetBatchTaskInfo",
        summary: "Get a single task by id; null when there is none.",
        parameters: &[("Id", "int")],
        returns: INFO,
    },
    Description {
        method: Method::GetBatchTaskInfosByAssociates,
        name: "GetBatchTaskInfosByAssociates",
        summary: "Tasks of the given associates: [] all, 0 system tasks, -1 all user tasks.",
        parameters: &[("AssociateIds", "int[]")],
        returns: INFOS,
    },
    Description {
        method: Method::StartBatchJob,
        name: "StartBatchJob",
        summary: "Start a task described by a BatchTaskInfo; returns its id.",
        parameters: &[("BatchTaskInfo", INFO)],
        returns: "int",
    },
    Description {
        method: Method::StopBatchJob,
        name: "StopBatchJob",
        summary: "Stop a task; true if it was stopped.",
        parameters: &[("Id", "int")],
        returns: "bool",
    },
    Description {
        method: Method::GetBatchTaskInfosByState,
        name: "GetBatchTaskInfosByState",
        summary: "User tasks in a state (All for any state).",
        parameters: &[("State", "BatchTaskState")],
        returns: INFOS,
    },
    Description {
        method: Method::UpdateBatchTask,
        name: "UpdateBatchTask",
        summary: "Write State, Description, Response and Request of a task; null when there is none.",
        parameters: &[("BatchTaskInfo", INFO)],
        returns: INFO,
    },
    Description {
        method: Method::GetBatchTaskInfosByNameAndState,
        name: "GetBatchTaskInfosByNameAndState",
        summary: "User tasks of a name (blank: all names) in a state.",
        parameters: &[("Name", "string"), ("State", "BatchTaskState")],
        returns: INFOS,
    },
    Description {
        method: Method::GetBatchTaskInfosByNameAndAssociates,
        name: "GetBatchTaskInfosByNameAndAssociates",
        summary: "Tasks of a name (blank: all names) and of the given associates.",
        parameters: &[("Name", "string"), ("AssociateIds", "int[]")],
        returns: INFOS,
    },
    Description {
        method: Method::GetBatchTaskInfosByAssociatesAndState,
        name: "GetBatchTaskInfosByAssociatesAndState",
        summary: "Tasks of the given associates in a state.",
        parameters: &[("AssociateIds", "int[]"), ("State", "BatchTaskState")],
        returns: INFOS,
    },
    Description {
        method: Method::DeleteBatchTasks,
        name: "DeleteBatchTasks",
        summary: "Delete tasks; unknown ids are ignored.",
        parameters: &[("BatchTaskIds", "int[]")],
        returns: "void",
    },
    Description {
        method: Method::DeleteBatchTask,
        name: "DeleteBatchTask",
        summary: "Delete a task; an unknown id is ignored.",
        parameters: &[("BatchTaskId", "int")],
        returns: "void",
    },
    Description {
        method: Method::GetAllBatchTaskInfosByName,
        name: "GetAllBatchTaskInfosByName",
        summary: "System and user tasks of a name (blank: all names).",
        parameters: &[("TaskName", "string")],
        returns: INFOS,
    },
    Description {
        method: Method::GetAllBatchTaskInfosByNameAndState,
        name: "GetAllBatchTaskInfosByNameAndState",
        summary: "System and user tasks of a name in a state.",
        parameters: &[("TaskName", "string"), ("State", "BatchTaskState")],
        returns: INFOS,
    },
    Description {
        method: Method::GetSystemBatchTaskInfosByName,
        name: "GetSystemBatchTaskInfosByName",
        summary: "System tasks of a name (blank: all names).",
        parameters: &[("TaskName", "string")],
        returns: INFOS,
    },
    Description {
        method: Method::GetSystemBatchTaskInfosByNameAndState,
        name: "GetSystemBatchTaskInfosByNameAndState",
        summary: "System tasks of a name in a state.",
        parameters: &[("TaskName", "string"), ("State", "BatchTaskState")],
        returns: INFOS,
    },
];

/// Every method's name and one-line summary, for discovery.
pub fn method_summaries() -> impl Iterator<Item = (&'static str, &'static str)> {
    METHODS.iter().map(|d| (d.name, d.summary))
}

/// Method names match case-insensitively, as ASP.NET routing does.
fn describe(name: &str) -> Result<&'static Description, ApiError> {
    METHODS
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| ApiError::NotFound(format!("the Batch agent has no method {name:?}")))
}

/// `POST /api/v1/Agents/Batch/{Method}`.
pub async fn agents_batch_invoke(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let method = describe(&name)?.method;
    let query = parse_query(query.as_deref())?;
    let selection = query
        .iter()
        .rev()
        .find(|(key, _)| key.eq_ignore_ascii_case("$select"))
        .map(|(_, value)| MemberSelection::parse(value));
    let params = context.parameters(&body_bytes(body)?)?.with_query(&query);
    let reply = Answer {
        context: &context,
        selection: selection.as_ref(),
    };
    let caller = &caller;

    match method {
        Method::GetBatchTaskInfo => {
            let id = params.int32("Id")?.unwrap_or(0);
            reply.one(operation::get(&state, caller, id).await?)
        }
        Method::StartBatchJob => {
            let carrier = params
                .nested("BatchTaskInfo")?
                // A bare carrier (an XML body whose root is <BatchTaskInfo>) stands for itself.
                .unwrap_or_else(|| params.clone());
            let id = operation::start(&state, caller, &carrier).await?;
            Ok(context.reply(Reply::Int(id.0)))
        }
        Method::StopBatchJob => {
            let id = params.int32("Id")?.unwrap_or(0);
            let stopped = match operation::stop(&state, caller, id).await? {
                StopReply::NotFound => false,
                StopReply::Stopped(stopped) => stopped,
            };
            Ok(context.reply(Reply::Bool(stopped)))
        }
        Method::UpdateBatchTask => {
            let carrier = params
                .nested("BatchTaskInfo")?
                // A bare carrier (an XML body whose root is <BatchTaskInfo>) stands for itself.
                .unwrap_or_else(|| params.clone());
            let fields = carrier.update_fields()?;
            let id = fields.id.unwrap_or(0);
            reply.one(operation::update(&state, caller, id, fields.update).await?)
        }
        Method::DeleteBatchTasks => {
            let ids = params.int32_list("BatchTaskIds")?.unwrap_or_default();
            operation::delete(&state, caller, &ids).await?;
            Ok(context.reply(Reply::NoContent))
        }
        Method::DeleteBatchTask => {
            let id = params.int32("BatchTaskId")?.unwrap_or(0);
            operation::delete(&state, caller, &[id]).await?;
            Ok(context.reply(Reply::NoContent))
        }
        list_method => {
            let query = ListQuery::bind(list_method, &params)?;
            reply
                .many(operation::list(&state, caller, query.owners, query.state, query.name).await?)
        }
    }
}

/// The filters of the twelve list methods, bound from their parameters (spec §1.6).
struct ListQuery {
    owners: OwnerFilter,
    state: StateSelector,
    name: Option<String>,
}

impl ListQuery {
    fn bind(method: Method, params: &CarrierInput) -> Result<ListQuery, ApiError> {
        // An absent State binds to the enum's default, Unknown, not All (spec Q6).
        let state = || -> Result<StateSelector, ApiError> {
            Ok(params
                .state_selector("State")?
                .unwrap_or(StateSelector::Only(TaskState::Unknown)))
        };
        let associates = || -> Result<OwnerFilter, ApiError> {
            Ok(operation::owners_from_associate_ids(
                params.int32_list("AssociateIds")?,
            ))
        };
        let all = StateSelector::All;
        let (owners, state, name) = match method {
            Method::GetBatchTaskInfosByAssociates => (associates()?, all, None),
            Method::GetBatchTaskInfosByState => (Visibility::UserOnly.into(), state()?, None),
            Method::GetBatchTaskInfosByNameAndState => (
                Visibility::UserOnly.into(),
                state()?,
                params.string("Name")?,
            ),
            Method::GetBatchTaskInfosByNameAndAssociates => {
                (associates()?, all, params.string("Name")?)
            }
            Method::GetBatchTaskInfosByAssociatesAndState => (associates()?, state()?, None),
            Method::GetAllBatchTaskInfosByName => {
                (Visibility::Both.into(), all, params.string("TaskName")?)
            }
            Method::GetAllBatchTaskInfosByNameAndState => (
                Visibility::Both.into(),
                state()?,
                params.string("TaskName")?,
            ),
            Method::GetSystemBatchTaskInfosByName => (
                Visibility::SystemOnly.into(),
                all,
                params.string("TaskName")?,
            ),
            Method::GetSystemBatchTaskInfosByNameAndState => (
                Visibility::SystemOnly.into(),
                state()?,
                params.string("TaskName")?,
            ),
            other => {
                return Err(ApiError::Internal(format!(
                    "{other:?} is not a list method"
                )));
            }
        };
        Ok(ListQuery {
            owners,
            state,
            name,
        })
    }
}

/// Shapes results with the request's format, zone, language and `$select`.
struct Answer<'a> {
    context: &'a RequestContext,
    selection: Option<&'a MemberSelection>,
}

impl Answer<'_> {
    /// One task, or `null` with 200 when there is none.
    fn one(&self, task: Option<Task>) -> Result<Response, ApiError> {
        let Some(task) = task else {
            return Ok(self.context.reply(Reply::NullTask));
        };
        let info = self.context.render(&task);
        Ok(self.context.reply(match self.selection {
            Some(selection) => Reply::SelectedTask(Box::new(select(selection, &info)?)),
            None => Reply::Task(Box::new(info)),
        }))
    }

    fn many(&self, tasks: Vec<Task>) -> Result<Response, ApiError> {
        let infos = tasks.iter().map(|task| self.context.render(task));
        Ok(self.context.reply(match self.selection {
            Some(selection) => Reply::SelectedTasks(
                infos
                    .map(|info| select(selection, &info))
                    .collect::<Result<_, _>>()?,
            ),
            None => Reply::Tasks(infos.collect()),
        }))
    }
}

fn select(
    selection: &MemberSelection,
    info: &sobatch_wire::BatchTaskInfo,
) -> Result<sobatch_wire::SelectedBatchTaskInfo, ApiError> {
    selection
        .apply(info)
        .map_err(|e| ApiError::Internal(format!("select members: {e}")))
}

/// `GET /api/v1/Agents/Batch/{Method}`: describes the method; never invokes it.
pub async fn agents_batch_describe(Path(name): Path<String>) -> Result<Response, ApiError> {
    let description = describe(&name)?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct MethodDescription<'a> {
        agent: &'static str,
        method: &'static str,
        description: &'static str,
        invoke: String,
        parameters: Vec<Parameter<'a>>,
        returns: &'static str,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Parameter<'a> {
        name: &'a str,
        r#type: &'a str,
    }
    Ok(respond::ok(&MethodDescription {
        agent: "Batch",
        method: description.name,
        description: description.summary,
        invoke: format!(
            "POST /api/v1/Agents/Batch/{} with a JSON object of the parameters",
            description.name
        ),
        parameters: description
            .parameters
            .iter()
            .map(|(name, kind)| Parameter { name, r#type: kind })
            .collect(),
        returns: description.returns,
    }))
}

fn parse_query(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    match query {
        None => Ok(Vec::new()),
        Some(query) => serde_urlencoded::from_str(query)
            .map_err(|e| ApiError::bad_request(format!("the query string is malformed: {e}"))),
    }
}
