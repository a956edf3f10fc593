//! The dashboard under `/ui/`: sign-in, the task list, a task's page and the definitions, rendered
//! on the server with auto-escaping templates so that every page works without JavaScript. The one
//! script only makes the list live, from the event stream. Nothing is fetched from elsewhere.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sobatch_core::{CancellationBehaviour, Task, TaskState, Timestamp};
use sobatch_store::query::{Column, ListedTask, Order, Predicate, TaskQuery, Test, Value};
use sobatch_store::{TaskEvent, TaskEventKind};

use crate::error::ApiError;
use crate::operation;
use crate::session::{self, Session};
use crate::state::AppState;

/// The largest form the dashboard reads: its forms hold a few short fields.
const FORM_LIMIT: usize = 64 * 1024;
/// Rows on one page of the list.
const PAGE_ROWS: u64 = 50;
/// Events shown in a task's trace.
const TRACE_EVENTS: usize = 500;

const APP_JS: &str = include_str!("../static/app.js");
const APP_CSS: &str = include_str!("../static/app.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui", get(|| async { redirect("/ui/") }))
        .route("/ui/", get(task_list))
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/definitions", get(definition_list))
        .route("/ui/tasks/{id}", get(task_page))
        .route("/ui/tasks/{id}/row", get(task_row))
        .route("/ui/tasks/{id}/stop", post(task_stop))
        .route("/ui/tasks/{id}/delete", post(task_delete))
        .route(
            "/ui/static/app.js",
            get(|| async { asset(APP_JS, "text/javascript") }),
        )
        .route(
            "/ui/static/app.css",
            get(|| async { asset(APP_CSS, "text/css") }),
        )
        .layer(axum::middleware::map_response(security_headers))
}

/// What every page shows around its content.
struct Chrome {
    title: String,
    /// The signed-in associate's name; empty on the sign-in page.
    user: String,
    xsrf: String,
    section: &'static str,
    /// Where forms on the page send the browser back to.
    back: String,
}

impl Chrome {
    fn new(title: impl Into<String>, session: &Session, section: &'static str, back: &str) -> Self {
        Chrome {
            title: title.into(),
            user: session.associate.name.clone(),
            xsrf: session.xsrf.clone(),
            section,
            back: back.to_string(),
        }
    }
}

/// One task as a row of the list (and the head of its page).
struct RowView {
    id: i32,
    name: String,
    description: String,
    state: &'static str,
    state_class: String,
    percent: i16,
    progress_text: String,
    owner: String,
    started: String,
    started_iso: String,
    can_stop: bool,
    warn_stop: bool,
    can_delete: bool,
}

impl RowView {
    fn new(listed: &ListedTask) -> Self {
        let task = &listed.task;
        let running = matches!(
            task.state,
            TaskState::New | TaskState::Aquired | TaskState::Started
        );
        RowView {
            id: task.id.0,
            name: task.name.clone(),
            description: task.description.clone(),
            state: task.state.name(),
            state_class: task.state.name().to_ascii_lowercase(),
            percent: task.progress_percent.clamp(0, 100),
            progress_text: task
                .progress_description
                .as_deref()
                .map(readable)
                .unwrap_or_default(),
            owner: owner_name(task, listed.registered_by_name.as_deref()),
            started: task.last_started.map(show_time).unwrap_or_default(),
            started_iso: task.last_started.map(iso_time).unwrap_or_default(),
            can_stop: running && task.cancellation != CancellationBehaviour::CannotCancel,
            warn_stop: task.cancellation == CancellationBehaviour::CancelWithWarning,
            can_delete: !matches!(task.state, TaskState::Aquired | TaskState::Started),
        }
    }
}

/// The server's own texts (resource references) in English: the dashboard has one language.
fn readable(text: &str) -> String {
    crate::text::localize_value(text, &sobatch_wire::language::LanguageRequest::default())
}

fn owner_name(task: &Task, name: Option<&str>) -> String {
    match name {
        Some(name) => name.to_string(),
        None if task.associate_id.0 == 0 => "system".into(),
        None => format!("#{}", task.associate_id.0),
    }
}

fn show_time(time: Timestamp) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn iso_time(time: Timestamp) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Chrome,
    error: Option<String>,
    next: String,
    username: String,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    page: Chrome,
    states: Vec<&'static str>,
    state: String,
    name: String,
    rows: Vec<RowView>,
    /// Live updates only make sense on the first page, where new tasks appear.
    live: bool,
    newer: Option<String>,
    older: Option<String>,
}

#[derive(Template)]
#[template(path = "row.html")]
struct RowFragment {
    page: Chrome,
    row: RowView,
}

struct TraceView {
    time: String,
    iso: String,
    kind: &'static str,
    state: &'static str,
    progress: String,
    by: String,
    application: String,
}

#[derive(Template)]
#[template(path = "task.html")]
struct TaskPage {
    page: Chrome,
    row: RowView,
    fields: Vec<(&'static str, String)>,
    parameters: Vec<(String, String)>,
    file: Option<String>,
    trace: Vec<TraceView>,
}

struct DefinitionView {
    name: String,
    kind: &'static str,
    runnable: bool,
    description: String,
    timeout: String,
    cancellation: &'static str,
}

#[derive(Template)]
#[template(path = "definitions.html")]
struct DefinitionsPage {
    page: Chrome,
    definitions: Vec<DefinitionView>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Chrome,
    message: String,
}

fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(text) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "render a dashboard page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

fn redirect(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// An error as a page: the status the API would answer with, and its message for 4xx (5xx say
/// nothing internal; `ApiError` logs them).
fn error_page(error: ApiError, session: Option<&Session>) -> Response {
    let text = error.to_string();
    let status = error.into_response().status();
    let message = if status.is_server_error() {
        "Something went wrong on the server; try again shortly.".to_string()
    } else {
        text
    };
    let page = Chrome {
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        user: session
            .map(|s| s.associate.name.clone())
            .unwrap_or_default(),
        xsrf: session.map(|s| s.xsrf.clone()).unwrap_or_default(),
        section: "",
        back: "/ui/".into(),
    };
    html(status, &ErrorPage { page, message })
}

fn asset(text: &'static str, media: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        text,
    )
        .into_response()
}

/// Pages may load only our own script and style, and may not be framed (clickjacking) or sniffed.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The page's path and query, for sending the browser back to it after a sign-in or a form.
fn here(path: &str, query: Option<&str>) -> String {
    match query.filter(|q| !q.is_empty()) {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    }
}

/// Only our own pages are places to send a browser back to; anything else would make the sign-in
/// an open redirect.
fn safe_back(target: Option<&str>) -> String {
    match target {
        Some(t) if t.starts_with("/ui/") && !t.contains("//") && !t.contains('\\') => t.to_string(),
        _ => "/ui/".into(),
    }
}

/// The session of a page request, or the redirect to the sign-in page that comes back here.
async fn page_session(
    state: &AppState,
    headers: &HeaderMap,
    back: &str,
) -> Result<Session, Response> {
    match session::from_cookie(state, headers).await {
        Ok(Some(session)) => Ok(session),
        Ok(None) | Err(ApiError::Unauthorized(_)) => Err(redirect(&format!(
            "/ui/login?next={}",
            sobatch_wire::url::percent_encode(back, b"/")
        ))),
        Err(error) => Err(error_page(error, None)),
    }
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
}

async fn login_page(RawQuery(query): RawQuery) -> Response {
    let query: LoginQuery =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    login_form(
        StatusCode::OK,
        None,
        safe_back(query.next.as_deref()),
        String::new(),
    )
}

fn login_form(
    status: StatusCode,
    error: Option<String>,
    next: String,
    username: String,
) -> Response {
    let page = Chrome {
        title: "Sign in".into(),
        user: String::new(),
        xsrf: String::new(),
        section: "",
        back: next.clone(),
    };
    html(
        status,
        &LoginPage {
            page,
            error,
            next,
            username,
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// Reads a form body within the configured body limit.
async fn form_body<T: serde::de::DeserializeOwned>(request: Request) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(request.into_body(), FORM_LIMIT)
        .await
        .map_err(|error| {
            if crate::serve::is_body_timeout(&error) {
                ApiError::body_timeout()
            } else {
                ApiError::PayloadTooLarge("the form is too large or was cut off".into())
            }
        })?;
    serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| ApiError::bad_request(format!("the form could not be read: {e}")))
}

/// Whether a browser says the form was posted from another site: then the sign-in is refused, so
/// that no other site can sign a visitor in to an account of its choosing. Clients that send
/// neither header (not browsers) are not affected.
fn cross_site(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return site.eq_ignore_ascii_case("cross-site");
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            !origin_host.eq_ignore_ascii_case(host)
        }
        (Some(_), None) => true,
        _ => false,
    }
}

async fn login(State(state): State<AppState>, request: Request) -> Response {
    if cross_site(request.headers()) {
        return error_page(
            ApiError::Forbidden("sign in from this server's own sign-in page".into()),
            None,
        );
    }
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let form: LoginForm = match form_body(request).await {
        Ok(form) => form,
        Err(error) => return error_page(error, None),
    };
    let next = safe_back(form.next.as_deref());
    let name = form.username.trim().to_string();
    match crate::auth::sign_in_check(&state, &name, &form.password, address).await {
        Ok(associate) => match session::sign_in(&state, &associate).await {
            Ok(cookies) => {
                let mut response = redirect(&next);
                for cookie in cookies {
                    response.headers_mut().append(header::SET_COOKIE, cookie);
                }
                response
            }
            Err(error) => error_page(error, None),
        },
        Err(ApiError::TooManyRequests {
            message,
            retry_after,
        }) => {
            let mut response = login_form(StatusCode::TOO_MANY_REQUESTS, Some(message), next, name);
            if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Err(ApiError::Unauthorized(message)) => {
            login_form(StatusCode::UNAUTHORIZED, Some(message), next, name)
        }
        Err(error) => error_page(error, None),
    }
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(rename = "XSRF_TOKEN", default)]
    xsrf: Option<String>,
    back: Option<String>,
}

/// The session of a form post, which must carry the session's XSRF token: in the form, or in the
/// header when a script sends it.
async fn action_session(
    state: &AppState,
    request: Request,
) -> Result<(Session, ActionForm), Response> {
    let headers = request.headers().clone();
    let session = match session::from_cookie(state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) | Err(ApiError::Unauthorized(_)) => return Err(redirect("/ui/login")),
        Err(error) => return Err(error_page(error, None)),
    };
    let form: ActionForm = form_body(request)
        .await
        .map_err(|e| error_page(e, Some(&session)))?;
    let presented = form.xsrf.as_deref().or_else(|| {
        headers
            .get(session::XSRF_HEADER)
            .and_then(|v| v.to_str().ok())
    });
    session::check_xsrf(&session, presented).map_err(|e| error_page(e, Some(&session)))?;
    Ok((session, form))
}

async fn logout(State(state): State<AppState>, request: Request) -> Response {
    let (session, _) = match action_session(&state, request).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match session::sign_out(&state, &session).await {
        Ok(cookies) => {
            let mut response = redirect("/ui/login");
            for cookie in cookies {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(error) => error_page(error, Some(&session)),
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    page: u64,
}

fn state_named(text: &str) -> Option<TaskState> {
    TaskState::ALL
        .into_iter()
        .filter(|s| *s != TaskState::Unknown)
        .find(|s| s.name().eq_ignore_ascii_case(text))
}

fn list_link(state: &str, name: &str, page: u64) -> String {
    let mut pairs = Vec::new();
    if !state.is_empty() {
        pairs.push(("state", state.to_string()));
    }
    if !name.is_empty() {
        pairs.push(("name", name.to_string()));
    }
    if page > 0 {
        pairs.push(("page", page.to_string()));
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    here("/ui/", Some(&query))
}

async fn task_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let back = here("/ui/", query.as_deref());
    let session = match page_session(&state, &headers, &back).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let mut filter: ListQuery =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    filter.name = filter.name.trim().to_string();
    let selected = state_named(filter.state.trim());
    filter.state = selected.map(|s| s.name().to_string()).unwrap_or_default();
    let mut tests = Vec::new();
    if let Some(selected) = selected {
        tests.push(Predicate::Test(
            Column::State,
            Test::Eq(Value::Int(selected.code().into())),
        ));
    }
    if !filter.name.is_empty() {
        tests.push(Predicate::Test(
            Column::DefinitionName,
            Test::Contains(filter.name.clone()),
        ));
    }
    let caller = crate::auth::caller_of(&session.associate);
    let query = TaskQuery {
        owners: operation::archive_owners(&state, &caller),
        predicate: Predicate::And(tests),
        order: vec![Order {
            column: Column::Id,
            descending: true,
        }],
        skip: filter.page.saturating_mul(PAGE_ROWS),
        // One more than shown, to know whether there is an older page.
        limit: Some(PAGE_ROWS + 1),
    };
    let listed = match operation::archive(&state, &query).await {
        Ok(found) => found,
        Err(error) => return error_page(error, Some(&session)),
    };
    let more = listed.len() as u64 > PAGE_ROWS;
    let rows: Vec<RowView> = listed
        .iter()
        .take(PAGE_ROWS as usize)
        .map(RowView::new)
        .collect();
    let page = Chrome::new("Tasks", &session, "tasks", &back);
    let list = ListPage {
        page,
        states: TaskState::ALL
            .into_iter()
            .filter(|s| *s != TaskState::Unknown)
            .map(TaskState::name)
            .collect(),
        newer: (filter.page > 0).then(|| list_link(&filter.state, &filter.name, filter.page - 1)),
        older: more.then(|| list_link(&filter.state, &filter.name, filter.page + 1)),
        live: filter.page == 0,
        state: filter.state,
        name: filter.name,
        rows,
    };
    html(StatusCode::OK, &list)
}

fn task_id(text: &str) -> Result<i32, ApiError> {
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::task_not_found(text))
}

/// One task with the names its row shows, if the session's associate may see it.
async fn listed_task(state: &AppState, session: &Session, id: i32) -> Result<ListedTask, ApiError> {
    let caller = crate::auth::caller_of(&session.associate);
    let query = TaskQuery {
        owners: operation::archive_owners(state, &caller),
        predicate: Predicate::Test(Column::Id, Test::Eq(Value::Int(id.into()))),
        order: Vec::new(),
        skip: 0,
        limit: Some(1),
    };
    operation::archive(state, &query)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::task_not_found(id))
}

/// `GET /ui/tasks/{id}/row`: the list's row of one task, for the script to insert or replace.
async fn task_row(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let session = match session::from_cookie(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) | Err(ApiError::Unauthorized(_)) => {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Err(error) => return error_page(error, None),
    };
    let back = headers
        .get("x-back")
        .and_then(|v| v.to_str().ok())
        .map(|b| safe_back(Some(b)))
        .unwrap_or_else(|| "/ui/".into());
    let found = match task_id(&id) {
        Ok(id) => listed_task(&state, &session, id).await,
        Err(error) => Err(error),
    };
    match found {
        Ok(listed) => html(
            StatusCode::OK,
            &RowFragment {
                page: Chrome::new("", &session, "tasks", &back),
                row: RowView::new(&listed),
            },
        ),
        Err(error) => error_page(error, Some(&session)),
    }
}

fn trace_view(event: &TaskEvent, names: &std::collections::HashMap<i32, String>) -> TraceView {
    let progress = match (event.progress_percent, &event.progress_description) {
        (Some(p), Some(d)) if !d.is_empty() => format!("{p}% {}", readable(d)),
        (Some(p), _) => format!("{p}%"),
        (None, Some(d)) => readable(d),
        (None, None) => String::new(),
    };
    let by = match event.kind {
        TaskEventKind::Created | TaskEventKind::StopRequested => {
            names.get(&event.by.0).cloned().unwrap_or_else(|| {
                if event.by.0 == 0 {
                    "system".into()
                } else {
                    format!("#{}", event.by.0)
                }
            })
        }
        _ => String::new(),
    };
    TraceView {
        time: event.at.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        iso: iso_time(event.at),
        kind: event.kind.as_str(),
        state: event.state.name(),
        progress,
        by,
        application: event.application.clone().unwrap_or_default(),
    }
}

async fn task_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let back = format!("/ui/tasks/{}", id.trim());
    let session = match page_session(&state, &headers, &safe_back(Some(&back))).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let id = match task_id(&id) {
        Ok(id) => id,
        Err(error) => return error_page(error, Some(&session)),
    };
    let (listed, task, trace) = match tokio::try_join!(
        listed_task(&state, &session, id),
        async { operation::get(&state, &crate::auth::caller_of(&session.associate), id).await },
        async {
            Ok(state
                .engine
                .store()
                .event_list_for_task(sobatch_core::TaskId(id), TRACE_EVENTS)
                .await?)
        }
    ) {
        Ok(found) => found,
        Err(error) => return error_page(error, Some(&session)),
    };
    let task = task.unwrap_or_else(|| listed.task.clone());
    let mut names = std::collections::HashMap::new();
    names.insert(
        task.associate_id.0,
        owner_name(&task, listed.registered_by_name.as_deref()),
    );
    if let Some(name) = &listed.updated_by_name {
        names.insert(listed.updated_by.0, name.clone());
    }
    let optional = |value: &Option<String>| value.clone().unwrap_or_default();
    let time = |value: Option<Timestamp>| {
        value
            .map(|t| format!("{} UTC", show_time(t)))
            .unwrap_or_default()
    };
    let fields = vec![
        ("Id", task.id.0.to_string()),
        ("Name", task.name.clone()),
        ("Description", task.description.clone()),
        ("State", task.state.name().to_string()),
        ("ProgressPercent", task.progress_percent.to_string()),
        (
            "ProgressDescription",
            readable(&optional(&task.progress_description)),
        ),
        ("Result", readable(&optional(&task.result))),
        ("Response", optional(&task.response)),
        ("Request", optional(&task.request)),
        ("Context", optional(&task.context)),
        ("FileName", optional(&task.file_name)),
        ("StartCount", task.start_count.to_string()),
        ("LastStarted", time(task.last_started)),
        ("Created", time(Some(task.created))),
        ("Updated", time(task.updated)),
        ("UpdatedCount", task.updated_count.to_string()),
        (
            "AssociateId",
            format!(
                "{} ({})",
                task.associate_id.0,
                names.get(&task.associate_id.0).cloned().unwrap_or_default()
            ),
        ),
        ("IsSystemTask", (task.associate_id.0 == 0).to_string()),
        (
            "CancellationBehaviour",
            task.cancellation.name().to_string(),
        ),
        ("DetailsTable", task.details_table.to_string()),
        ("DetailsRecord", task.details_record.to_string()),
        ("DbTag", optional(&task.database_serial)),
        (
            "Definition",
            format!(
                "{} ({})",
                listed.definition_id, listed.definition_description
            ),
        ),
    ];
    let parameters = task
        .parameters
        .as_ref()
        .map(|p| {
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let file = task.file_name.clone().filter(|f| !f.trim().is_empty());
    let page = TaskPage {
        page: Chrome::new(format!("Task {id}"), &session, "tasks", &back),
        row: RowView::new(&ListedTask {
            task: task.clone(),
            ..listed.clone()
        }),
        fields,
        parameters,
        file,
        trace: trace.iter().map(|e| trace_view(e, &names)).collect(),
    };
    html(StatusCode::OK, &page)
}

async fn task_action(state: AppState, id: String, request: Request, stop: bool) -> Response {
    let (session, form) = match action_session(&state, request).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let id = match task_id(&id) {
        Ok(id) => id,
        Err(error) => return error_page(error, Some(&session)),
    };
    let caller = crate::auth::caller_of(&session.associate);
    let done = if stop {
        operation::stop(&state, &caller, id).await.map(|_| ())
    } else {
        operation::delete(&state, &caller, &[id]).await
    };
    match done {
        Ok(()) => {
            // A deleted task's page is gone; go to the list instead.
            let back = safe_back(form.back.as_deref());
            if !stop && back.starts_with("/ui/tasks/") {
                redirect("/ui/")
            } else {
                redirect(&back)
            }
        }
        Err(error) => error_page(error, Some(&session)),
    }
}

async fn task_stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    task_action(state, id, request, true).await
}

async fn task_delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    task_action(state, id, request, false).await
}

async fn definition_list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match page_session(&state, &headers, "/ui/definitions").await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let definitions = match crate::route::definition::definitions(&state).await {
        Ok(found) => found,
        Err(error) => return error_page(error, Some(&session)),
    };
    let definitions = definitions
        .into_iter()
        .map(|d| DefinitionView {
            name: d.name,
            kind: d.kind,
            runnable: d.runnable,
            description: d.description,
            timeout: d
                .timeout_seconds
                .map(|s| {
                    humantime::format_duration(std::time::Duration::from_secs_f64(s)).to_string()
                })
                .unwrap_or_else(|| "none".into()),
            cancellation: d.cancellation_behaviour,
        })
        .collect();
    let page = DefinitionsPage {
        page: Chrome::new("Definitions", &session, "definitions", "/ui/definitions"),
        definitions,
    };
    html(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_pages_are_places_to_go_back_to() {
        assert_eq!(safe_back(Some("/ui/?state=Failed")), "/ui/?state=Failed");
        assert_eq!(safe_back(Some("/ui/tasks/3")), "/ui/tasks/3");
        for elsewhere in [
            "https://evil.example/",
            "//evil.example/ui/",
            "/ui//evil",
            "/api/v1/BatchTask",
            "/ui\\evil",
            "",
        ] {
            assert_eq!(safe_back(Some(elsewhere)), "/ui/", "{elsewhere}");
        }
        assert_eq!(safe_back(None), "/ui/");
    }

    #[test]
    fn sign_ins_posted_from_other_sites_are_told_apart() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.insert(*k, HeaderValue::from_static(v));
            }
            map
        };
        assert!(!cross_site(&headers(&[])));
        assert!(!cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!cross_site(&headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(cross_site(&headers(&[("origin", "null"), ("host", "a")])));
    }

    #[test]
    fn list_links_keep_the_filters() {
        assert_eq!(list_link("", "", 0), "/ui/");
        assert_eq!(
            list_link("Failed", "a b&c", 2),
            "/ui/?state=Failed&name=a+b%26c&page=2"
        );
    }

    #[test]
    fn rows_offer_stop_and_delete_as_state_and_cancellation_allow() {
        let mut task = Task::new(
            sobatch_core::TaskId(1),
            "Sleep<script>",
            sobatch_core::AssociateId(0),
            chrono::Utc::now(),
        );
        let listed = |task: &Task| ListedTask {
            task: task.clone(),
            definition_id: 1,
            definition_description: String::new(),
            definition_timeout: 0,
            updated_by: sobatch_core::AssociateId(0),
            registered_by_name: None,
            updated_by_name: None,
        };
        task.state = TaskState::Started;
        let row = RowView::new(&listed(&task));
        assert!(row.can_stop && !row.warn_stop && !row.can_delete);
        assert_eq!(row.owner, "system");
        task.cancellation = CancellationBehaviour::CancelWithWarning;
        let row = RowView::new(&listed(&task));
        assert!(row.can_stop && row.warn_stop);
        task.cancellation = CancellationBehaviour::CannotCancel;
        assert!(!RowView::new(&listed(&task)).can_stop);
        task.state = TaskState::Failed;
        task.cancellation = CancellationBehaviour::CanCancel;
        let row = RowView::new(&listed(&task));
        assert!(!row.can_stop && row.can_delete);

        // Everything a task carries is escaped in the page.
        let fragment = RowFragment {
            page: Chrome {
                title: String::new(),
                user: "u".into(),
                xsrf: "x\"y".into(),
                section: "tasks",
                back: "/ui/".into(),
            },
            row,
        };
        let text = fragment.render().unwrap();
        assert!(!text.contains("<script>"), "{text}");
        assert!(text.contains("Sleep&#60;script&#62;"), "{text}");
        assert!(!text.contains("x\"y"), "{text}");
    }
}
