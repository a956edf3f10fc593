//! Per-request conventions of the SuperOffice surface (spec §4): the negotiated body and answer
//! formats, the `SO-TimeZone` date rendering, and the requested language. A middleware works them
//! out once per request; handlers decode bodies and shape answers through [`RequestContext`], and
//! the same middleware turns error bodies into the answer's format and language on the way out.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sobatch_core::Task;
use sobatch_wire::language::{LanguageRequest, parse_language_headers};
use sobatch_wire::timezone::{DateRendering, date_rendering, parse_so_timezone};
use sobatch_wire::{
    ArchivePage, ArchiveShape, BatchTaskInfo, CarrierInput, ErrorBody, SelectedBatchTaskInfo,
    archive_json, archive_xml, render_task_with_styles, xml,
};

use crate::error::ApiError;
use crate::negotiate::{BodyFormat, ReplyFormat, body_format, format_from_query, reply_format};
use crate::respond;
use crate::state::AppState;

/// How this request's bodies are read and its answer written.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub reply: ReplyFormat,
    /// `Err` holds a request media type the server cannot read (→ 415 if there is a body).
    pub body: Result<BodyFormat, String>,
    pub dates: DateRendering,
    pub language: LanguageRequest,
}

/// An answer before it is written in the negotiated format.
pub enum Reply {
    Task(Box<BatchTaskInfo>),
    Tasks(Vec<BatchTaskInfo>),
    SelectedTask(Box<SelectedBatchTaskInfo>),
    SelectedTasks(Vec<SelectedBatchTaskInfo>),
    /// An Agents single-object method found nothing: `null` with 200.
    NullTask,
    Int(i32),
    Bool(bool),
    /// A page of the OData archive list, and how to write it.
    Archive(Box<ArchivePage>, ArchiveShape),
    NoContent,
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl RequestContext {
    fn from_request(
        headers: &HeaderMap,
        query: Option<&str>,
        state: &AppState,
    ) -> Result<RequestContext, ApiError> {
        // `$format` overrides `Accept`, as OData has it (spec §1.8); harmless on routes that do not
        // document it, and it lets an OData client's errors come in the format it asked for.
        let accept = header_text(headers, "accept");
        // An event stream's client accepts only the stream; its errors come as JSON.
        let streaming = accept.is_some_and(|a| a.contains("text/event-stream"));
        let Some(reply) = format_from_query(query)
            .or_else(|| reply_format(accept))
            .or(streaming.then_some(ReplyFormat::JSON))
        else {
            return Err(ApiError::NotAcceptable(
                "none of the media types in Accept can be produced; use application/json or application/xml"
                    .into(),
            ));
        };
        let body = body_format(header_text(headers, "content-type"));
        let zone = header_text(headers, "so-timezone").map(parse_so_timezone);
        let dates = date_rendering(zone.as_ref(), state.dates.zone);
        let language = parse_language_headers(
            header_text(headers, "accept-language"),
            header_text(headers, "so-language"),
            header_text(headers, "so-culture"),
        );
        Ok(RequestContext {
            reply,
            body,
            dates,
            language,
        })
    }

    /// Reads a carrier or parameter object from a body in whatever format it came.
    pub fn carrier(&self, body: &[u8]) -> Result<CarrierInput, ApiError> {
        match &self.body {
            Ok(BodyFormat::Json | BodyFormat::JsonPatch | BodyFormat::MergePatch) => {
                Ok(CarrierInput::from_json(body)?)
            }
            Ok(BodyFormat::Xml) => Ok(xml::carrier_input_from_xml(body)?),
            Ok(BodyFormat::Form) => Ok(sobatch_wire::form::carrier_input_from_form(body)?),
            Err(media) => Err(ApiError::UnsupportedMediaType(format!(
                "request bodies of type {media} are not supported; use application/json, application/xml or application/x-www-form-urlencoded"
            ))),
        }
    }

    /// Like [`RequestContext::carrier`], but an empty body binds every parameter to its default,
    /// as the Agents surface does.
    pub fn parameters(&self, body: &[u8]) -> Result<CarrierInput, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            Ok(CarrierInput::empty())
        } else {
            self.carrier(body)
        }
    }

    /// A task as this request sees it: dates in its zone, texts in its language.
    pub fn render(&self, task: &Task) -> BatchTaskInfo {
        let mut info = render_task_with_styles(task, &self.dates.last_started, &self.dates.created);
        crate::text::localize_task(&mut info, &self.language);
        info
    }

    /// Writes an answer in the negotiated format.
    pub fn reply(&self, reply: Reply) -> Response {
        if let Reply::NoContent = reply {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            return response;
        }
        match self.reply {
            ReplyFormat::Json(media) => match reply {
                Reply::Task(info) => respond::json_as(StatusCode::OK, media, &info),
                Reply::Tasks(infos) => respond::json_as(StatusCode::OK, media, &infos),
                Reply::SelectedTask(info) => respond::json_as(StatusCode::OK, media, &info),
                Reply::SelectedTasks(infos) => respond::json_as(StatusCode::OK, media, &infos),
                Reply::NullTask => {
                    respond::json_as(StatusCode::OK, media, &serde_json::Value::Null)
                }
                Reply::Int(n) => respond::json_as(StatusCode::OK, media, &n),
                Reply::Bool(b) => respond::json_as(StatusCode::OK, media, &b),
                Reply::Archive(page, shape) => {
                    respond::json_as(StatusCode::OK, media, &archive_json(&page, &shape))
                }
                Reply::NoContent => Response::new(Body::empty()),
            },
            ReplyFormat::Xml(media) => {
                let text = match reply {
                    Reply::Task(info) => xml::task_xml(&info),
                    Reply::Tasks(infos) => xml::tasks_xml(&infos),
                    Reply::SelectedTask(info) => xml::selected_task_xml(&info),
                    Reply::SelectedTasks(infos) => xml::selected_tasks_xml(&infos),
                    Reply::NullTask => xml::null_task_xml(),
                    Reply::Int(n) => xml::int_xml(n),
                    Reply::Bool(b) => xml::bool_xml(b),
                    Reply::Archive(page, shape) => archive_xml(&page, &shape),
                    Reply::NoContent => String::new(),
                };
                respond::typed(StatusCode::OK, media, Body::from(text))
            }
        }
    }
}

/// Largest error body the middleware rewrites; ours are a few hundred bytes.
const ERROR_BODY_MAX: usize = 64 * 1024;

/// The middleware: works out the context, runs the handler, then adds `SO-TimeZone` and writes
/// error bodies in the request's format and language.
pub async fn request_context(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let context =
        match RequestContext::from_request(request.headers(), request.uri().query(), &state) {
            Ok(context) => context,
            Err(error) => return error.into_response(),
        };
    request.extensions_mut().insert(context.clone());
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&context.dates.header_value) {
        response.headers_mut().insert("SO-TimeZone", value);
    }
    if response.status().is_client_error() || response.status().is_server_error() {
        response = rewrite_error(response, &context).await;
    }
    response
}

/// Re-renders one of our JSON error bodies for the request: resources resolved in its language,
/// and XML when it asked for XML.
async fn rewrite_error(response: Response, context: &RequestContext) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_MAX).await else {
        return (parts.status, "").into_response();
    };
    let Ok(mut error) = serde_json::from_slice::<ErrorBody>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    crate::text::localize_error(&mut error, &context.language);
    let (media, text) = match context.reply {
        ReplyFormat::Xml(media) => (media, xml::error_xml(&error).into_bytes()),
        ReplyFormat::Json(media) => (media, serde_json::to_vec(&error).unwrap_or_default()),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    Response::from_parts(parts, Body::from(text))
}
