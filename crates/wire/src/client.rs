//! A small typed HTTP/1 client for the REST batch surface, used by the CLI and by black-box tests.
//! It speaks plain HTTP only (no TLS: it talks to a server it started or one on the local network)
//! and reuses connections through hyper-util's pooled client.
//!
//! Typed helpers return JSON values rather than carrier types on purpose: tests assert on what the
//! server actually sent, and a lenient typed read would hide exactly the mistakes they look for.
//! For the same reason the event stream yields events as framed, with their data as text.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde_json::Value;

use crate::sse::{SseEvent, SseParser};

pub use hyper::{HeaderMap, Method};

const JSON: &str = "application/json";
const EVENT_STREAM: &str = "text/event-stream";
const BATCH_TASK: &str = "/api/v1/BatchTask";
const EVENTS: &str = "/api/sobatch/v1/events";

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid base URL: {0}")]
    InvalidUrl(String),
    #[error("invalid request: {0}")]
    Request(String),
    /// The server could not be reached, or the connection failed before a whole response arrived.
    #[error("connect to server: {0}")]
    Connect(String),
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// A typed helper got a status it does not expect (anything but 2xx, and 404 where that
    /// means "no such task").
    #[error("server answered {status}: {body}")]
    Status { status: u16, body: String },
    /// A 2xx response whose body is not what the operation returns.
    #[error("decode response: {0}")]
    Decode(String),
}

/// A response as received, for callers that check statuses and headers themselves.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body as text, with invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A client for one server. Cloning is cheap and clones share the connection pool.
#[derive(Clone)]
pub struct WireClient {
    http: Client<HttpConnector, Full<Bytes>>,
    /// `http://host:port`, without a trailing slash.
    origin: String,
    /// The base URL's path (a mount prefix such as `/Cust12345`), without a trailing slash.
    prefix: String,
    authorization: Option<HeaderValue>,
    timeout: Option<Duration>,
}

impl fmt::Debug for WireClient {
    // Hand-written so the credentials never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireClient")
            .field("base", &format_args!("{}{}", self.origin, self.prefix))
            .field("authenticated", &self.authorization.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl WireClient {
    /// A client for the server at `base_url` (`http://host:port`, optionally with a path prefix
    /// under which the server is mounted). No request is made until one is sent.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        let invalid = |reason: &str| ClientError::InvalidUrl(format!("{base_url}: {reason}"));
        let uri: Uri = base_url
            .trim()
            .parse()
            .map_err(|error| invalid(&format!("{error}")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(invalid(&format!(
                    "the scheme must be http, not {other} (this client has no TLS)"
                )));
            }
            None => return Err(invalid("the URL must start with http://")),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("the URL has no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "credentials do not belong in the URL; use with_basic_auth",
            ));
        }
        if uri.query().is_some() {
            return Err(invalid("a base URL has no query string"));
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(WireClient {
            http,
            origin: format!("http://{authority}"),
            prefix: uri.path().trim_end_matches('/').to_string(),
            authorization: None,
            timeout: None,
        })
    }

    /// Sends `Authorization: Basic …` with every request that does not set its own.
    pub fn with_basic_auth(mut self, user: &str, password: &str) -> Self {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        // Base64 is always a valid header value; `ok()` only keeps this infallible in type.
        self.authorization =
            HeaderValue::try_from(format!("Basic {token}"))
                .ok()
                .map(|mut value| {
                    value.set_sensitive(true);
                    value
                });
        self
    }

    /// Fails a request that has not been answered completely within `timeout`. By default a
    /// request waits as long as the server takes.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends one request to `path` (relative to the base URL, query string allowed) with exactly
    /// the given headers, plus credentials unless `headers` has an `Authorization` of its own.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, ClientError> {
        let request = self.request(method, path, headers, body)?;
        self.within_timeout(self.execute(request)).await
    }

    /// `GET /api/sobatch/v1/events`: opens the task event stream, filtered by `query` (`name`,
    /// `state`, `owner`), resuming after `last_event_id` when given and otherwise starting with
    /// what happens from now on.
    ///
    /// The timeout, if any, covers only the opening (the answer's head, and the body of an error
    /// answer): the stream itself is meant to stay open for as long as the caller reads it.
    pub async fn events(
        &self,
        query: &[(&str, &str)],
        last_event_id: Option<&str>,
    ) -> Result<EventStream, ClientError> {
        let mut path = EVENTS.to_string();
        for (at, (name, value)) in query.iter().enumerate() {
            path.push(if at == 0 { '?' } else { '&' });
            path.push_str(&crate::url::percent_encode(name, &[]));
            path.push('=');
            // Commas stay as they are: they separate the states of one parameter.
            path.push_str(&crate::url::percent_encode(value, b","));
        }
        let mut headers = vec![(ACCEPT.as_str(), EVENT_STREAM)];
        if let Some(id) = last_event_id {
            headers.push(("Last-Event-ID", id));
        }
        let request = self.request(Method::GET, &path, &headers, None)?;
        let opening = async {
            let response = self.respond(request).await?;
            if response.status().is_success() {
                Ok(response)
            } else {
                Err(status_error(&collect(response).await?))
            }
        };
        let response = self.within_timeout(opening).await?;
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        if !media_type.eq_ignore_ascii_case(EVENT_STREAM) {
            return Err(ClientError::Decode(format!(
                "expected {EVENT_STREAM}, got a {} response of type {content_type:?}",
                response.status().as_u16()
            )));
        }
        Ok(EventStream {
            body: response.into_body(),
            parser: SseParser::new(),
            ready: VecDeque::new(),
            ended: false,
        })
    }

    /// Builds a request as `send` describes it.
    fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<Request<Full<Bytes>>, ClientError> {
        let uri = self.url(path)?;
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|error| ClientError::Request(error.to_string()))?;
        let map = request.headers_mut();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ClientError::Request(format!("{name:?} is not a valid header name"))
            })?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                ClientError::Request(format!("the value of {name} is not a valid header value"))
            })?;
            map.append(name, value);
        }
        if let Some(authorization) = &self.authorization
            && !map.contains_key(AUTHORIZATION)
        {
            map.insert(AUTHORIZATION, authorization.clone());
        }
        Ok(request)
    }

    async fn within_timeout<T>(
        &self,
        work: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        match self.timeout {
            Some(limit) => tokio::time::timeout(limit, work)
                .await
                .map_err(|_| ClientError::Timeout(limit))?,
            None => work.await,
        }
    }

    /// `POST /api/v1/BatchTask`: starts a task and returns its id.
    pub async fn task_start(&self, info: &Value) -> Result<i32, ClientError> {
        let response = self.send_json(Method::POST, BATCH_TASK, Some(info)).await?;
        decode(&success(response)?)
    }

    /// `GET /api/v1/BatchTask/{id}`: the task, or `None` on 404.
    pub async fn task_get(&self, id: i32) -> Result<Option<Value>, ClientError> {
        let path = format!("{BATCH_TASK}/{id}");
        let response = self.send_json(Method::GET, &path, None).await?;
        if response.status == 404 {
            return Ok(None);
        }
        decode(&success(response)?).map(Some)
    }

    /// `GET /api/v1/BatchTask/{state}`: the user tasks in `state` (a name, or `All`).
    pub async fn tasks_by_state(&self, state: &str) -> Result<Vec<Value>, ClientError> {
        let path = format!("{BATCH_TASK}/{}", encode_segment(state));
        let response = self.send_json(Method::GET, &path, None).await?;
        decode(&success(response)?)
    }

    /// `PUT /api/v1/BatchTask/{id}`: writes State, Description, Response and Request from `info`
    /// and returns the task as it is afterwards.
    pub async fn task_update(&self, id: i32, info: &Value) -> Result<Value, ClientError> {
        let path = format!("{BATCH_TASK}/{id}");
        let response = self.send_json(Method::PUT, &path, Some(info)).await?;
        decode(&success(response)?)
    }

    /// `POST /api/v1/BatchTask/{id}/Stop`: whether the task was stopped.
    pub async fn task_stop(&self, id: i32) -> Result<bool, ClientError> {
        let path = format!("{BATCH_TASK}/{id}/Stop");
        let response = self.send_json(Method::POST, &path, None).await?;
        decode(&success(response)?)
    }

    /// `DELETE /api/v1/BatchTask/{id}`.
    pub async fn task_delete(&self, id: i32) -> Result<(), ClientError> {
        let path = format!("{BATCH_TASK}/{id}");
        let response = self.send_json(Method::DELETE, &path, None).await?;
        success(response).map(drop)
    }

    /// Sends `body` as JSON (when given) and asks for JSON back, as the npm client does.
    async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<RawResponse, ClientError> {
        match body {
            Some(body) => {
                let bytes = serde_json::to_vec(body)
                    .map_err(|error| ClientError::Request(format!("encode body: {error}")))?;
                let headers = [(CONTENT_TYPE.as_str(), JSON), (ACCEPT.as_str(), JSON)];
                self.send(method, path, &headers, Some(bytes)).await
            }
            None => {
                self.send(method, path, &[(ACCEPT.as_str(), JSON)], None)
                    .await
            }
        }
    }

    async fn execute(&self, request: Request<Full<Bytes>>) -> Result<RawResponse, ClientError> {
        collect(self.respond(request).await?).await
    }

    /// Sends the request and waits for the answer's head; the body is still to be read.
    async fn respond(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, ClientError> {
        self.http
            .request(request)
            .await
            .map_err(|error| ClientError::Connect(error_chain(&error)))
    }

    fn url(&self, path: &str) -> Result<Uri, ClientError> {
        let slash = if path.starts_with('/') { "" } else { "/" };
        let text = format!("{}{}{slash}{path}", self.origin, self.prefix);
        text.parse()
            .map_err(|error| ClientError::Request(format!("{path:?} is not a valid path: {error}")))
    }
}

/// The task event stream of [`WireClient::events`]: the events of one connection as they arrive.
/// Dropping it closes the connection.
#[derive(Debug)]
pub struct EventStream {
    body: Incoming,
    parser: SseParser,
    /// Events of a chunk that completed more than one, not yet handed out.
    ready: VecDeque<SseEvent>,
    ended: bool,
}

impl EventStream {
    /// The next event (heartbeat comments are not events). `Ok(None)` once the server has ended
    /// the stream; an error when the connection broke, after which the stream has ended too.
    ///
    /// Cancel-safe: dropping the future before it completes loses no event, so it can sit in a
    /// `select!` beside a timer or a signal.
    pub async fn next(&mut self) -> Result<Option<SseEvent>, ClientError> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            if self.ended {
                return Ok(None);
            }
            match self.body.frame().await {
                None => self.ended = true,
                Some(Err(error)) => {
                    self.ended = true;
                    return Err(ClientError::Connect(format!(
                        "read event stream: {}",
                        error_chain(&error)
                    )));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.ready.extend(self.parser.feed(&data));
                    }
                }
            }
        }
    }

    /// The id to resume from with `Last-Event-ID` after this connection ends, if the server has
    /// sent one (for an event or not).
    pub fn last_event_id(&self) -> Option<&str> {
        self.parser.last_event_id()
    }

    /// The reconnection delay the server asked for, if it did.
    pub fn retry(&self) -> Option<Duration> {
        self.parser.retry()
    }

    /// How many events were skipped for being too large to buffer.
    pub fn skipped(&self) -> u64 {
        self.parser.skipped()
    }
}

/// Reads the whole body of an answer.
async fn collect(response: Response<Incoming>) -> Result<RawResponse, ClientError> {
    let status = response.status().as_u16();
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|error| {
            ClientError::Connect(format!("read response body: {}", error_chain(&error)))
        })?
        .to_bytes();
    Ok(RawResponse {
        status,
        headers: parts.headers,
        body,
    })
}

fn success(response: RawResponse) -> Result<RawResponse, ClientError> {
    if response.is_success() {
        Ok(response)
    } else {
        Err(status_error(&response))
    }
}

fn status_error(response: &RawResponse) -> ClientError {
    ClientError::Status {
        status: response.status,
        body: response.text(),
    }
}

fn decode<T: serde::de::DeserializeOwned>(response: &RawResponse) -> Result<T, ClientError> {
    serde_json::from_slice(&response.body).map_err(|error| {
        ClientError::Decode(format!(
            "{error} in a {} response: {}",
            response.status,
            response.text()
        ))
    })
}

/// The error and its causes, since hyper's top-level messages ("client error (Connect)") say
/// little on their own.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a state name cannot change
/// the path.
fn encode_segment(segment: &str) -> String {
    crate::url::percent_encode(segment, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_plain_http_with_a_host() {
        assert!(WireClient::new("http://127.0.0.1:8080").is_ok());
        assert!(WireClient::new("http://localhost:8080/Cust12345/").is_ok());
        for bad in [
            "",
            "127.0.0.1:8080",
            "https://example.com",
            "ftp://example.com",
            "http://user:pw@example.com",
            "http://example.com/?a=b",
            "http://exa mple.com",
        ] {
            assert!(
                matches!(WireClient::new(bad), Err(ClientError::InvalidUrl(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn paths_join_the_base_prefix() {
        let client = WireClient::new("http://h:1/Cust12345/").unwrap();
        assert_eq!(
            client.url("/api/v1/BatchTask/4").unwrap().to_string(),
            "http://h:1/Cust12345/api/v1/BatchTask/4"
        );
        assert_eq!(
            client.url("api/v1?x=1").unwrap().to_string(),
            "http://h:1/Cust12345/api/v1?x=1"
        );
        let client = WireClient::new("http://h:1").unwrap();
        assert_eq!(
            client.url("/healthz").unwrap().to_string(),
            "http://h:1/healthz"
        );
        assert!(matches!(client.url("/a b"), Err(ClientError::Request(_))));
    }

    #[test]
    fn debug_output_hides_credentials() {
        let client = WireClient::new("http://h:1")
            .unwrap()
            .with_basic_auth("admin", "secret");
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("YWRtaW4"),
            "{shown}"
        );
        assert!(shown.contains("authenticated: true"), "{shown}");
    }

    mod stream {
        use super::super::*;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::{TcpListener, TcpStream};
        use tokio::sync::mpsc;

        /// One chunk of the fake server's answer body, or a step of its script.
        enum Step {
            /// Sent as one HTTP chunk, so the client sees it arrive on its own.
            Chunk(&'static [u8]),
            /// Waits until the test says the client got what was sent so far, which proves that
            /// events are handed out as they arrive rather than when the body ends.
            Await,
            /// Ends the body properly.
            End,
            /// Closes the connection in the middle of the body.
            Cut,
        }

        /// A server for exactly one request: answers with `head` and then plays `script`, and
        /// reports the request's head it received.
        async fn serve_once(
            head: &'static str,
            script: Vec<Step>,
        ) -> (String, mpsc::Sender<()>, tokio::task::JoinHandle<String>) {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let (go, mut gone) = mpsc::channel(8);
            let served = tokio::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                let request = read_head(&mut stream).await;
                stream.write_all(head.as_bytes()).await.unwrap();
                for step in script {
                    match step {
                        Step::Chunk(bytes) => {
                            let mut chunk = format!("{:x}\r\n", bytes.len()).into_bytes();
                            chunk.extend_from_slice(bytes);
                            chunk.extend_from_slice(b"\r\n");
                            stream.write_all(&chunk).await.unwrap();
                            stream.flush().await.unwrap();
                        }
                        Step::Await => {
                            gone.recv().await.unwrap();
                        }
                        Step::End => stream.write_all(b"0\r\n\r\n").await.unwrap(),
                        Step::Cut => break,
                    }
                }
                request
            });
            (base, go, served)
        }

        async fn read_head(stream: &mut TcpStream) -> String {
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0u8; 1];
                if stream.read(&mut byte).await.unwrap() == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            String::from_utf8(head).unwrap()
        }

        const STREAM_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                                   transfer-encoding: chunked\r\n\r\n";

        fn task_event(id: &str, data: &str) -> SseEvent {
            SseEvent {
                id: Some(id.to_string()),
                event: "task".to_string(),
                data: data.to_string(),
            }
        }

        #[tokio::test]
        async fn events_arrive_as_the_body_streams_across_split_chunks_and_heartbeats() {
            let (base, go, served) = serve_once(
                STREAM_HEAD,
                vec![
                    Step::Chunk(b"retry: 1500\n: heartbeat\n\nid: 1\nevent: ta"),
                    Step::Chunk(b"sk\ndata: {\"Id\": 12, \"Kind\": \"Started\"}\n"),
                    Step::Chunk(b"\n"),
                    Step::Await,
                    Step::Chunk(
                        b": heartbeat\r\n\r\nid: 2\r\nevent: task\r\ndata: {\"Name\": \"\xC3",
                    ),
                    Step::Chunk(b"\xB8\"}\r"),
                    Step::Chunk(b"\n\r\nid: 3\nevent: task\ndata: {}\n\n"),
                    Step::End,
                ],
            )
            .await;
            let client = WireClient::new(&base)
                .unwrap()
                .with_basic_auth("admin", "pw")
                .with_timeout(Duration::from_secs(30));
            let mut stream = client
                .events(
                    &[("name", "Sleep"), ("state", "Started,Failed")],
                    Some("0 a"),
                )
                .await
                .unwrap();
            assert_eq!(
                stream.next().await.unwrap(),
                Some(task_event("1", r#"{"Id": 12, "Kind": "Started"}"#))
            );
            assert_eq!(stream.last_event_id(), Some("1"));
            assert_eq!(stream.retry(), Some(Duration::from_millis(1500)));
            go.send(()).await.unwrap();
            assert_eq!(
                stream.next().await.unwrap(),
                Some(task_event("2", r#"{"Name": "ø"}"#))
            );
            assert_eq!(stream.next().await.unwrap(), Some(task_event("3", "{}")));
            assert_eq!(stream.next().await.unwrap(), None);
            assert_eq!(stream.next().await.unwrap(), None);

            let request = served.await.unwrap();
            let request_line = request.lines().next().unwrap();
            assert_eq!(
                request_line,
                "GET /api/sobatch/v1/events?name=Sleep&state=Started,Failed HTTP/1.1"
            );
            let lower = request.to_ascii_lowercase();
            assert!(lower.contains("accept: text/event-stream\r\n"), "{request}");
            assert!(lower.contains("last-event-id: 0 a\r\n"), "{request}");
            assert!(lower.contains("authorization: basic "), "{request}");
        }

        #[tokio::test]
        async fn a_connection_cut_mid_stream_is_an_error_not_an_end() {
            let (base, _go, _served) = serve_once(
                STREAM_HEAD,
                vec![
                    Step::Chunk(b"id: 9\nevent: task\ndata: {}\n\ndata: half"),
                    Step::Cut,
                ],
            )
            .await;
            let client = WireClient::new(&base).unwrap();
            let mut stream = client.events(&[], None).await.unwrap();
            assert_eq!(stream.next().await.unwrap(), Some(task_event("9", "{}")));
            assert!(matches!(stream.next().await, Err(ClientError::Connect(_))));
            assert_eq!(stream.last_event_id(), Some("9"));
            assert_eq!(stream.next().await.unwrap(), None);
        }

        #[tokio::test]
        async fn the_timeout_covers_the_opening_but_not_the_stream() {
            let (base, go, _served) = serve_once(
                STREAM_HEAD,
                vec![
                    Step::Chunk(b": open\n\n"),
                    Step::Await,
                    Step::Chunk(b"data: late\n\n"),
                    Step::End,
                ],
            )
            .await;
            let limit = Duration::from_millis(50);
            let client = WireClient::new(&base).unwrap().with_timeout(limit);
            let mut stream = client.events(&[], None).await.unwrap();
            // Deliberately longer than the timeout: that is what this test is about.
            tokio::time::sleep(limit * 4).await;
            go.send(()).await.unwrap();
            let event = stream.next().await.unwrap().unwrap();
            assert_eq!((event.id, event.data.as_str()), (None, "late"));
        }

        #[tokio::test]
        async fn an_error_answer_is_a_status_error_with_its_body() {
            let (base, _go, _served) = serve_once(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\
                 content-length: 17\r\n\r\n{\"Error\": true}   ",
                vec![],
            )
            .await;
            let client = WireClient::new(&base).unwrap();
            match client.events(&[("state", "Finished")], None).await {
                Err(ClientError::Status { status, body }) => {
                    assert_eq!(status, 400);
                    assert_eq!(body.trim(), r#"{"Error": true}"#);
                }
                other => panic!("{other:?}"),
            }
        }

        #[tokio::test]
        async fn a_success_that_is_not_an_event_stream_is_a_decode_error() {
            let (base, _go, _served) = serve_once(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 0\r\n\r\n",
                vec![],
            )
            .await;
            let client = WireClient::new(&base).unwrap();
            assert!(matches!(
                client.events(&[], None).await,
                Err(ClientError::Decode(_))
            ));
        }

        #[tokio::test]
        async fn an_unreachable_server_is_a_connect_error() {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            drop(listener);
            let client = WireClient::new(&format!("http://{addr}")).unwrap();
            assert!(matches!(
                client.events(&[], None).await,
                Err(ClientError::Connect(_))
            ));
        }
    }

    #[test]
    fn state_names_are_percent_encoded() {
        assert_eq!(encode_segment("All"), "All");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment("ø"), "%C3%B8");
    }
}
