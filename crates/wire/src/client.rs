//! A small typed HTTP/1 client for the REST batch surface, used by the CLI and by black-box tests.
//! It speaks plain HTTP only (no TLS: it talks to a server it started or one on the local network)
//! and reuses connections through hyper-util's pooled client.
//!
//! Typed helpers return JSON values rather than carrier types on purpose: tests assert on what the
//! server actually sent, and a lenient typed read would hide exactly the mistakes they look for.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde_json::Value;

pub use hyper::{HeaderMap, Method};

const JSON: &str = "application/json";
const BATCH_TASK: &str = "/api/v1/BatchTask";

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
        match self.timeout {
            Some(limit) => tokio::time::timeout(limit, self.execute(request))
                .await
                .map_err(|_| ClientError::Timeout(limit))?,
            None => self.execute(request).await,
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
        let response = self
            .http
            .request(request)
            .await
            .map_err(|error| ClientError::Connect(error_chain(&error)))?;
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

    fn url(&self, path: &str) -> Result<Uri, ClientError> {
        let slash = if path.starts_with('/') { "" } else { "/" };
        let text = format!("{}{}{slash}{path}", self.origin, self.prefix);
        text.parse()
            .map_err(|error| ClientError::Request(format!("{path:?} is not a valid path: {error}")))
    }
}

fn success(response: RawResponse) -> Result<RawResponse, ClientError> {
    if response.is_success() {
        Ok(response)
    } else {
        Err(ClientError::Status {
            status: response.status,
            body: response.text(),
        })
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

    #[test]
    fn state_names_are_percent_encoded() {
        assert_eq!(encode_segment("All"), "All");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment("ø"), "%C3%B8");
    }
}
