//! `/api/sobatch/v1/tickets` and `/api/sobatch/v1/tokens` (ours): issuing and revoking the tickets
//! (`Authorization: SOTicket 7T:…`) and API tokens (`Authorization: Bearer sbt_…`) the server
//! accepts. Each secret is shown once, in the answer that creates it; the store keeps its hash.

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use sobatch_engine::Caller;
use sobatch_store::CredentialKind;

use crate::auth::Presented;
use crate::error::ApiError;
use crate::respond;
use crate::secret::{Issued, issue};
use crate::state::AppState;

/// SuperOffice's tickets start so; clients pass them on as they are.
pub const TICKET_PREFIX: &str = "7T:";
/// Ours, so that a token found in a log or a repository is recognisable for what it is.
pub const TOKEN_PREFIX: &str = "sbt_";
/// The same for application tokens (`SO-AppToken`).
pub const APP_TOKEN_PREFIX: &str = "sba_";

fn issued_json(issued: &Issued, secret_member: &str) -> Value {
    json!({
        "Id": issued.id,
        secret_member: issued.secret,
        "Expires": issued
            .expires
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    })
}

/// `POST /api/sobatch/v1/tickets`: a ticket for the caller, however the caller signed in. It ends
/// no later than the ticket, token or session it was made with, so that a credential about to
/// run out cannot be renewed for ever.
pub async fn ticket_create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    presented: Option<Extension<Presented>>,
) -> Result<Response, ApiError> {
    let mut lifetime = state.ticket_lifetime;
    if let Some(ends) = presented.and_then(|Extension(p)| p.expires) {
        let left = (ends - chrono::Utc::now()).to_std().unwrap_or_default();
        if left.is_zero() {
            return Err(ApiError::Unauthorized(
                "the credential has just expired".into(),
            ));
        }
        lifetime = lifetime.min(left);
    }
    let issued = issue(
        state.engine.store().as_ref(),
        CredentialKind::Ticket,
        caller.id,
        Some(lifetime),
        TICKET_PREFIX,
        None,
    )
    .await?;
    Ok(respond::ok(&issued_json(&issued, "Ticket")))
}

/// `DELETE /api/sobatch/v1/tickets/current`: revokes the ticket this request signed in with.
pub async fn ticket_revoke_current(
    State(state): State<AppState>,
    presented: Option<Extension<Presented>>,
) -> Result<Response, ApiError> {
    let Some(Extension(presented)) = presented.filter(|p| p.kind == CredentialKind::Ticket) else {
        return Err(ApiError::bad_request(
            "this request did not sign in with a ticket (Authorization: SOTicket …), so there is no current ticket to revoke",
        ));
    };
    state
        .engine
        .store()
        .credential_delete(CredentialKind::Ticket, &presented.secret_hash)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only administrators manage API tokens".into(),
        ))
    }
}

/// `POST /api/sobatch/v1/tokens` (administrators): `{"User": "name", "Expires": "30d"}` makes an
/// API token for that associate; without `Expires` it lasts until revoked.
pub async fn token_create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let body = super::body_bytes(body)?;
    let request: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not a JSON object: {e}")))?;
    let member = |name: &str| {
        request
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v)
    };
    let user = member("User")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::bad_request("User (the associate's name) is required"))?;
    let lifetime = match member("Expires") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(parse_lifetime(text)?),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Expires must be a duration such as \"30d\"",
            ));
        }
    };
    let associate = state
        .engine
        .store()
        .associate_get_by_name(user)
        .await?
        .ok_or_else(|| ApiError::bad_request(format!("there is no associate named {user:?}")))?;
    let issued = issue(
        state.engine.store().as_ref(),
        CredentialKind::Token,
        associate.id,
        lifetime,
        TOKEN_PREFIX,
        None,
    )
    .await?;
    let mut answer = issued_json(&issued, "Token");
    answer["User"] = json!(associate.name);
    Ok(respond::json(StatusCode::CREATED, &answer))
}

/// A lifetime as people write one (`30d`, `12h`), more than zero.
pub fn parse_lifetime(text: &str) -> Result<std::time::Duration, ApiError> {
    humantime::parse_duration(text.trim())
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{text:?} is not a lifetime; write one such as \"30d\" or \"12h\""
            ))
        })
}

/// `DELETE /api/sobatch/v1/tokens/{id}` (administrators): revokes a token; 404 if there is none.
pub async fn token_revoke(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let id: i64 = id
        .trim()
        .parse()
        .map_err(|_| ApiError::NotFound(format!("there is no API token {id}")))?;
    if state
        .engine
        .store()
        .credential_delete_by_id(CredentialKind::Token, id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound(format!("there is no API token {id}")))
    }
}
