//! The typed client against a minimal HTTP/1 server on a bare TcpListener, which records what it
//! was sent and answers from a fixed table.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sobatch_wire::{ClientError, Method, WireClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Log {
    connections: AtomicUsize,
    requests: Mutex<Vec<Seen>>,
}

impl Log {
    fn last(&self) -> Seen {
        self.requests.lock().unwrap().last().cloned().unwrap()
    }
}

/// Serves until the test's runtime ends; returns the base URL and what the server saw.
async fn serve() -> (String, Arc<Log>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Log::default());
    let shared = log.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            shared.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(connection(stream, shared.clone()));
        }
    });
    (format!("http://{addr}"), log)
}

/// Answers requests on one connection until the client closes it (keep-alive).
async fn connection(mut stream: TcpStream, log: Arc<Log>) {
    let mut buffer = Vec::new();
    loop {
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap().split(' ');
        let method = request_line.next().unwrap().to_string();
        let path = request_line.next().unwrap().to_string();
        let headers: Vec<(String, String)> = lines
            .filter(|line| !line.is_empty())
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.trim().to_string(), value.trim().to_string())
            })
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().unwrap());
        while buffer.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buffer[head_end..head_end + length].to_vec();
        buffer.drain(..head_end + length);
        let seen = Seen {
            method,
            path,
            headers,
            body,
        };
        let (status, reply) = answer(&seen);
        log.requests.lock().unwrap().push(seen);
        let reason = match status {
            200 => "OK",
            204 => "No Content",
            404 => "Not Found",
            _ => "Error",
        };
        let mut response = format!("HTTP/1.1 {status} {reason}\r\n");
        if status != 204 {
            response.push_str(&format!(
                "content-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n",
                reply.len()
            ));
        }
        response.push_str("\r\n");
        response.push_str(&reply);
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn answer(seen: &Seen) -> (u16, String) {
    let task = json!({"Id": 42, "Name": "Echo", "State": "New"});
    let path = seen.path.trim_start_matches("/Cust12345");
    match (seen.method.as_str(), path) {
        ("POST", "/api/v1/BatchTask") => (200, "42".into()),
        ("GET", "/api/v1/BatchTask/42") => (200, task.to_string()),
        ("GET", "/api/v1/BatchTask/All") => (200, json!([task, task]).to_string()),
        ("GET", "/api/v1/BatchTask/Odd%2FName") => (200, "[]".into()),
        ("GET", "/api/v1/BatchTask/7") => (200, "not json".into()),
        ("PUT", "/api/v1/BatchTask/42") => (200, String::from_utf8(seen.body.clone()).unwrap()),
        ("POST", "/api/v1/BatchTask/42/Stop") => (200, "true".into()),
        ("DELETE", "/api/v1/BatchTask/42") => (204, String::new()),
        ("GET", "/api/v1/BatchTask/500") => (
            500,
            json!({"Error": true, "ErrorType": "InternalServerError"}).to_string(),
        ),
        _ => (
            404,
            json!({"Error": true, "ErrorType": "SoNotFoundException"}).to_string(),
        ),
    }
}

#[tokio::test]
async fn typed_helpers_send_json_with_credentials_and_read_the_answers() {
    let (base, log) = serve().await;
    let client = WireClient::new(&base)
        .unwrap()
        .with_basic_auth("admin", "secret");

    let id = client.task_start(&json!({"Name": "Echo"})).await.unwrap();
    assert_eq!(id, 42);
    let seen = log.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/api/v1/BatchTask")
    );
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.header("accept"), Some("application/json"));
    assert_eq!(seen.header("authorization"), Some("Basic YWRtaW46c2VjcmV0"));
    assert_eq!(
        serde_json::from_slice::<Value>(&seen.body).unwrap(),
        json!({"Name": "Echo"})
    );

    let task = client.task_get(42).await.unwrap().unwrap();
    assert_eq!(task["Name"], "Echo");
    assert_eq!(client.task_get(404).await.unwrap(), None);

    let tasks = client.tasks_by_state("All").await.unwrap();
    assert_eq!(tasks.len(), 2);
    assert!(client.tasks_by_state("Odd/Name").await.unwrap().is_empty());

    let updated = client
        .task_update(42, &json!({"State": "Failed"}))
        .await
        .unwrap();
    assert_eq!(updated, json!({"State": "Failed"}));
    assert_eq!(log.last().method, "PUT");

    assert!(client.task_stop(42).await.unwrap());
    let seen = log.last();
    assert!(seen.body.is_empty());
    assert_eq!(
        seen.header("content-type"),
        None,
        "no body, no content type"
    );

    client.task_delete(42).await.unwrap();
    assert_eq!(log.last().method, "DELETE");
}

#[tokio::test]
async fn unexpected_statuses_and_bodies_are_typed_errors() {
    let (base, _log) = serve().await;
    let client = WireClient::new(&base).unwrap();
    match client.task_get(500).await.unwrap_err() {
        ClientError::Status { status, body } => {
            assert_eq!(status, 500);
            assert!(body.contains("InternalServerError"), "{body}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.task_delete(404).await.unwrap_err(),
        ClientError::Status { status: 404, .. }
    ));
    assert!(matches!(
        client.task_get(7).await.unwrap_err(),
        ClientError::Decode(_)
    ));
}

#[tokio::test]
async fn raw_requests_carry_exactly_the_given_headers_and_keep_their_own_authorization() {
    let (base, log) = serve().await;
    let client = WireClient::new(&format!("{base}/Cust12345/"))
        .unwrap()
        .with_basic_auth("admin", "secret");
    let response = client
        .send(
            Method::POST,
            "/api/v1/BatchTask",
            &[
                ("Authorization", "Bearer abc"),
                ("SO-TimeZone", "UTC,includeTZOffset"),
            ],
            Some(b"{}".to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert!(response.is_success());
    assert_eq!(response.json().unwrap(), json!(42));
    assert_eq!(response.text(), "42");
    assert_eq!(
        response.headers["content-type"],
        "application/json; charset=utf-8"
    );
    let seen = log.last();
    assert_eq!(seen.path, "/Cust12345/api/v1/BatchTask");
    assert_eq!(seen.header("authorization"), Some("Bearer abc"));
    assert_eq!(seen.header("so-timezone"), Some("UTC,includeTZOffset"));
    assert_eq!(seen.header("content-type"), None);

    let bad = client
        .send(Method::GET, "/x", &[("bad header", "v")], None)
        .await
        .unwrap_err();
    assert!(matches!(bad, ClientError::Request(_)), "{bad:?}");
}

#[tokio::test]
async fn sequential_requests_reuse_one_connection() {
    let (base, log) = serve().await;
    let client = WireClient::new(&base).unwrap();
    for _ in 0..5 {
        client.task_get(42).await.unwrap();
        client.clone().task_stop(42).await.unwrap();
    }
    assert_eq!(log.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error() {
    // Bind and drop, so the port is (almost certainly) closed.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = WireClient::new(&format!("http://{addr}")).unwrap();
    let error = client.task_get(1).await.unwrap_err();
    match &error {
        ClientError::Connect(message) => assert!(!message.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accept and hold connections without ever replying.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let client = WireClient::new(&format!("http://{addr}"))
        .unwrap()
        .with_timeout(std::time::Duration::from_millis(200));
    assert!(matches!(
        client.task_get(1).await.unwrap_err(),
        ClientError::Timeout(_)
    ));
}
