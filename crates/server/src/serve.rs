//! The connection loop: HTTP/1.1 over a plain or TLS listener, with a limit on how long a client
//! may take to send a request's head (which also ends kept-alive connections left idle) and its
//! body, so that a client that connects and says nothing, or trickles its bytes, cannot hold a
//! connection for ever; and a graceful stop that lets requests in flight finish.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::{Body as _, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;
use tower_http::timeout::DeadlineBody;

/// How long clients may take over a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadLimits {
    pub header: Duration,
    pub body: Duration,
}

/// Serves `app` on `listener` until `stop`; then accepts no more connections, tells each open one
/// to close after its current response, and returns once all have.
pub(crate) async fn serve<L>(
    mut listener: L,
    app: axum::Router,
    limits: ReadLimits,
    stop: CancellationToken,
) where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            app.clone().oneshot(prepare(request, peer, limits.body))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts, resets and malformed requests: the client's doing, not the server's.
                tracing::debug!(%peer, %error, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Gives a request its peer address (for throttling by client) and, if it has a body, the deadline
/// by which that body must have arrived.
fn prepare(
    mut request: hyper::Request<Incoming>,
    peer: SocketAddr,
    body_deadline: Duration,
) -> axum::extract::Request {
    request.extensions_mut().insert(ConnectInfo(peer));
    request.map(|body| {
        if body.is_end_stream() {
            // Most requests have none; they need no timer.
            axum::body::Body::new(body)
        } else {
            axum::body::Body::new(DeadlineBody::new(body_deadline, body))
        }
    })
}

/// Whether a body could not be read because it did not arrive in time.
pub(crate) fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}
