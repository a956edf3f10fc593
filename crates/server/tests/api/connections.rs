//! Connections at the socket: clients that say nothing, or send a request too slowly, lose their
//! connection; a request in flight when the server stops is still answered.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, admin_basic_credentials, spawn_app_with};

/// Far above the limits the tests set, so that only a server that never closes fails.
const PATIENCE: Duration = Duration::from_secs(20);

async fn with_short_limits() -> TestApp {
    spawn_app_with(|config| {
        config.http.header_read_timeout = Duration::from_millis(300);
        config.http.body_read_timeout = Duration::from_millis(300);
    })
    .await
}

/// Everything the server sends until it closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut received)).await;
    match read {
        Ok(Ok(_)) => {}
        // A reset is as closed as a close.
        Ok(Err(error)) => assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset),
        Err(_) => panic!("the server kept the connection open for {PATIENCE:?}"),
    }
    String::from_utf8_lossy(&received).into_owned()
}

fn post_head(content_length: usize) -> String {
    let credentials = admin_basic_credentials();
    format!(
        "POST /api/v1/BatchTask HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {credentials}\r\n\
         Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {content_length}\r\n\r\n"
    )
}

#[tokio::test]
async fn a_client_that_stops_before_the_end_of_its_head_is_disconnected() {
    let app = with_short_limits().await;
    for sent in [&b""[..], b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"] {
        let mut slow = TcpStream::connect(app.addr).await.unwrap();
        slow.write_all(sent).await.unwrap();
        assert_eq!(read_to_close(&mut slow).await, "", "after {sent:?}");
    }
    // Others were served all along.
    assert_eq!(app.client.tasks_by_state("All").await.unwrap().len(), 0);
    app.shutdown().await;
}

#[tokio::test]
async fn a_kept_alive_connection_left_idle_is_closed_after_its_answer() {
    let app = with_short_limits().await;
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{answer}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_with_an_error_body() {
    let app = with_short_limits().await;
    let body = br#"{"Name": "Echo", "Description": "never finished"}"#;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(post_head(body.len()).as_bytes())
        .await
        .unwrap();
    slow.write_all(&body[..10]).await.unwrap();
    let answer = read_to_close(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let json = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let error: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(error["ErrorType"], "RequestTimeout", "{error}");
    assert_eq!(
        error["ErrorMessage"],
        "the request body did not arrive in time"
    );
    assert!(
        app.client.tasks_by_state("All").await.unwrap().is_empty(),
        "nothing was started"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_dashboard_form_that_stops_arriving_is_408() {
    let app = with_short_limits().await;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(
        b"POST /ui/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\nusername=ad",
    )
    .await
    .unwrap();
    let answer = read_to_close(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_request_in_flight_when_the_server_stops_is_answered() {
    let app = spawn_app_with(|config| {
        config.http.body_read_timeout = PATIENCE;
    })
    .await;
    let addr = app.addr;
    let body = br#"{"Name": "Echo", "Description": "sent across the stop"}"#;
    let mut late = TcpStream::connect(addr).await.unwrap();
    late.write_all(post_head(body.len()).as_bytes())
        .await
        .unwrap();
    late.write_all(&body[..10]).await.unwrap();
    // The server is told to stop while the body is still coming.
    let stopping = tokio::spawn(app.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    late.write_all(&body[10..]).await.unwrap();
    let answer = read_to_close(&mut late).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("\r\n\r\n1"), "the new task's id: {answer}");
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("the server stops once it has answered")
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "a stopped server accepts nothing"
    );
}
