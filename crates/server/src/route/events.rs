//! `GET /api/sobatch/v1/events` (ours): the task event log as Server-Sent Events. One event per
//! visible change of a task, in commit order, filtered by name, state and owner; `Last-Event-ID`
//! resumes after a reconnect. Every node reads the same log, so a stream sees what every node of a
//! cluster did.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;
use sobatch_core::{AssociateId, TaskState};
use sobatch_store::{EventPosition, OwnerFilter, TaskEvent};

use sobatch_wire::language::LanguageRequest;

use crate::auth::Presented;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::operation::archive_owners;
use crate::state::AppState;

/// Events read per round trip to the store.
const PAGE: usize = 256;
/// How soon a browser's EventSource reconnects after the connection drops, in milliseconds.
const RETRY_MS: u32 = 2000;

/// Which events a stream passes on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Definition name, compared case-insensitively.
    pub name: Option<String>,
    pub states: Vec<TaskState>,
    pub owner: Option<AssociateId>,
    /// `lastEventId` from the query string, for clients that cannot send `Last-Event-ID`.
    pub last_event_id: Option<String>,
}

impl EventFilter {
    /// Reads `name`, `state` (comma-separated names or numbers) and `owner` (an associate id);
    /// anything else is refused, so that a misspelt filter does not pass every event.
    pub fn parse(query: Option<&str>) -> Result<EventFilter, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("the query string cannot be read: {e}")))?;
        let mut filter = EventFilter::default();
        for (key, value) in pairs {
            let value = value.trim();
            match key.to_ascii_lowercase().as_str() {
                "name" if !value.is_empty() => filter.name = Some(value.to_string()),
                "name" => {}
                "state" => {
                    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        filter.states.push(parse_state(part)?);
                    }
                }
                "owner" => {
                    let id = value
                        .parse::<i32>()
                        .ok()
                        .filter(|id| *id >= 0)
                        .ok_or_else(|| {
                            ApiError::bad_request(format!(
                                "owner {value:?} is not an associate id (0 for the system)"
                            ))
                        })?;
                    filter.owner = Some(AssociateId(id));
                }
                // A client that cannot set headers may name its resume point here.
                "lasteventid" => filter.last_event_id = Some(value.to_string()),
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "{key:?} is not a filter of the event stream; use name, state or owner"
                    )));
                }
            }
        }
        Ok(filter)
    }

    fn passes(&self, event: &TaskEvent, owners: &OwnerFilter) -> bool {
        let visible = if event.owner == AssociateId::SYSTEM {
            owners.system
        } else {
            owners.all_users || owners.users.contains(&event.owner)
        };
        visible
            && self.owner.is_none_or(|owner| owner == event.owner)
            && (self.states.is_empty() || self.states.contains(&event.state))
            && self.name.as_deref().is_none_or(|name| {
                event
                    .name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
    }
}

fn parse_state(text: &str) -> Result<TaskState, ApiError> {
    let by_number = text.parse::<i64>().ok().and_then(TaskState::from_code);
    by_number
        .or_else(|| {
            TaskState::ALL
                .into_iter()
                .find(|s| s.name().eq_ignore_ascii_case(text))
        })
        .filter(|s| *s != TaskState::Unknown)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "state {text:?} is not one of New, Aquired, Started, Succeeded, \
                 SucceededManualCleanup, Failed"
            ))
        })
}

/// The event's `data` line: one JSON object, with the server's own texts (a Sleep's progress,
/// say) in the request's language.
pub fn event_json(event: &TaskEvent, language: &LanguageRequest) -> serde_json::Value {
    let text = |value: &str| crate::text::localize_value(value, language);
    json!({
        "Id": event.task.0,
        "Kind": event.kind.as_str(),
        "Name": event.name,
        "State": event.state.name(),
        "ProgressPercent": event.progress_percent,
        "ProgressDescription": event.progress_description.as_deref().map(text),
        "Description": text(&event.description),
        "AssociateId": event.owner.0,
        "Application": event.application,
        "At": event.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

fn frame(event: &TaskEvent, language: &LanguageRequest) -> String {
    format!(
        "id: {}\nevent: task\ndata: {}\n\n",
        event.position,
        event_json(event, language)
    )
}

/// Where the stream starts: after the event the client names, or at the head.
async fn start_position(
    state: &AppState,
    headers: &HeaderMap,
    from_query: Option<String>,
) -> Result<EventPosition, ApiError> {
    let named = match headers.get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::bad_request("Last-Event-ID is not ASCII"))?
                .to_string(),
        ),
        None => from_query,
    };
    match named.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(text) => text
            .parse()
            .map_err(|e: String| ApiError::bad_request(format!("Last-Event-ID: {e}"))),
        None => Ok(state.engine.store().event_head().await?),
    }
}

struct Reader {
    state: AppState,
    filter: EventFilter,
    owners: OwnerFilter,
    language: LanguageRequest,
    position: EventPosition,
    /// When the last bytes went out, for heartbeats.
    sent: Instant,
    /// The first chunk (the retry hint) is still to be sent.
    opened: bool,
    /// The ticket, token or session the stream was opened with, checked again every heartbeat
    /// interval: a stream ends with its credential (sign-out, revocation, expiry).
    presented: Option<Presented>,
    checked: Instant,
}

impl Reader {
    /// The next chunk to send: matching events, a heartbeat, or `None` when the server closes.
    /// A failed read is reported in a comment and retried, so that a database restart does not
    /// end every open stream.
    async fn next(&mut self) -> Option<Bytes> {
        if !self.opened {
            self.opened = true;
            self.sent = Instant::now();
            return Some(Bytes::from(format!("retry: {RETRY_MS}\n: connected\n\n")));
        }
        loop {
            if self.state.closing.is_cancelled() || !self.credential_holds().await {
                return None;
            }
            match self
                .state
                .engine
                .store()
                .event_list_after(self.position, PAGE)
                .await
            {
                Ok(events) if !events.is_empty() => {
                    let mut chunk = String::new();
                    for event in &events {
                        if self.filter.passes(event, &self.owners) {
                            chunk.push_str(&frame(event, &self.language));
                        }
                    }
                    if let Some(last) = events.last() {
                        self.position = last.position;
                    }
                    if !chunk.is_empty() {
                        self.sent = Instant::now();
                        return Some(Bytes::from(chunk));
                    }
                    // A long run of events this stream filters out: let others run between pages.
                    tokio::task::yield_now().await;
                    continue;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "event stream: reading the event log failed");
                }
            }
            if self.sent.elapsed() >= self.state.event_heartbeat {
                self.sent = Instant::now();
                return Some(Bytes::from_static(b": keep-alive\n\n"));
            }
            let wait = self
                .state
                .event_poll
                .min(
                    self.state
                        .event_heartbeat
                        .saturating_sub(self.sent.elapsed()),
                )
                .max(Duration::from_millis(1));
            tokio::select! {
                () = self.state.closing.cancelled() => return None,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

impl Reader {
    async fn credential_holds(&mut self) -> bool {
        let Some(presented) = &self.presented else {
            return true;
        };
        let now = chrono::Utc::now();
        if presented.expires.is_some_and(|ends| ends <= now) {
            return false;
        }
        if self.checked.elapsed() < self.state.event_heartbeat {
            return true;
        }
        self.checked = Instant::now();
        match self
            .state
            .engine
            .store()
            .credential_find(presented.kind, &presented.secret_hash, now)
            .await
        {
            Ok(found) => found.is_some(),
            // The database is away for a moment: the credential stands until it can be read.
            Err(_) => true,
        }
    }
}

pub async fn event_stream(
    State(state): State<AppState>,
    Extension(caller): Extension<sobatch_engine::Caller>,
    presented: Option<Extension<Presented>>,
    Extension(context): Extension<RequestContext>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let filter = EventFilter::parse(query.as_deref())?;
    let position = start_position(&state, &headers, filter.last_event_id.clone()).await?;
    let owners = archive_owners(&state, &caller);
    let reader = Reader {
        state,
        filter,
        owners,
        language: context.language,
        position,
        sent: Instant::now(),
        opened: false,
        presented: presented.map(|Extension(p)| p),
        checked: Instant::now(),
    };
    let stream = futures_util::stream::unfold(reader, |mut reader| async move {
        reader
            .next()
            .await
            .map(|chunk| (Ok::<Bytes, std::convert::Infallible>(chunk), reader))
    });
    let mut response = (StatusCode::OK, Body::from_stream(stream)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Reverse proxies that buffer responses would hold the stream back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a client puts in the query string or Last-Event-ID, the answer is a filter or
        /// a 400 naming the problem, never a panic.
        #[test]
        fn any_query_is_a_filter_or_a_bad_request(query in "[a-zA-Z=&,%0-9 ._-]{0,60}") {
            if let Err(error) = EventFilter::parse(Some(&query)) {
                let refused = matches!(error, ApiError::BadRequest { .. });
                prop_assert!(refused, "{:?}", error);
            }
        }

        #[test]
        fn any_event_id_parses_or_is_refused(text in "\\PC{0,30}") {
            if let Ok(position) = text.parse::<EventPosition>() {
                prop_assert_eq!(position.to_string().parse::<EventPosition>(), Ok(position));
            }
        }
    }

    #[test]
    fn filters_read_names_states_and_owners_and_refuse_the_rest() {
        let filter = EventFilter::parse(Some("name=Sleep&state=Started,5&owner=3")).unwrap();
        assert_eq!(filter.name.as_deref(), Some("Sleep"));
        assert_eq!(filter.states, vec![TaskState::Started, TaskState::Failed]);
        assert_eq!(filter.owner, Some(AssociateId(3)));
        assert_eq!(EventFilter::parse(None).unwrap(), EventFilter::default());
        assert_eq!(
            EventFilter::parse(Some("State=failed&NAME="))
                .unwrap()
                .states,
            vec![TaskState::Failed]
        );
        for bad in [
            "nmae=Sleep",
            "state=Running",
            "state=0",
            "owner=-1",
            "owner=x",
            "state=%ff",
        ] {
            assert!(EventFilter::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
