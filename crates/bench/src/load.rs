//! The load generator: keep-alive HTTP/1 connections on loopback, each sending one request after
//! another, with every request's latency kept for percentiles.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One kind of request, sent as is by every connection.
#[derive(Debug, Clone)]
pub struct Shape {
    pub method: hyper::Method,
    pub path: String,
    pub body: Option<Bytes>,
    pub authorization: Option<String>,
}

impl Shape {
    pub fn get(path: &str, authorization: &str) -> Shape {
        Shape {
            method: hyper::Method::GET,
            path: path.to_string(),
            body: None,
            authorization: Some(authorization.to_string()),
        }
    }

    pub fn post_json(path: &str, body: impl Into<Bytes>, authorization: &str) -> Shape {
        Shape {
            method: hyper::Method::POST,
            path: path.to_string(),
            body: Some(body.into()),
            authorization: Some(authorization.to_string()),
        }
    }

    fn request(&self, addr: SocketAddr) -> Result<Request<Full<Bytes>>> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .header(hyper::header::HOST, addr.to_string());
        if let Some(authorization) = &self.authorization {
            builder = builder.header(hyper::header::AUTHORIZATION, authorization);
        }
        if self.body.is_some() {
            builder = builder.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        Ok(builder.body(Full::new(self.body.clone().unwrap_or_default()))?)
    }
}

/// When a load run ends.
#[derive(Debug, Clone, Copy)]
pub enum Until {
    Elapsed(Duration),
    /// This many requests in all, shared by the connections.
    Count(usize),
}

/// What a load run saw.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Latencies of the answers with the expected status, in microseconds, sorted.
    pub latencies: Vec<u64>,
    /// Answers with another status, and requests that got no answer.
    pub failures: usize,
    pub elapsed: Duration,
    /// The bodies of the first few successful answers, for callers that want what came back.
    pub bodies: Vec<Bytes>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`th percentile latency in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies, p) as f64 / 1000.0
    }
}

/// The `p`th percentile (nearest rank) of sorted samples; 0 for none.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs `connections` connections against `addr` until `until`, expecting status `expect`.
pub async fn run(
    addr: SocketAddr,
    shape: Shape,
    connections: usize,
    until: Until,
    expect: u16,
) -> Result<Outcome> {
    let started = Instant::now();
    let issued = Arc::new(AtomicUsize::new(0));
    let shape = Arc::new(shape);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..connections.max(1) {
        let shape = shape.clone();
        let issued = issued.clone();
        workers
            .spawn(async move { connection(addr, &shape, until, started, &issued, expect).await });
    }
    let mut outcome = Outcome::default();
    while let Some(joined) = workers.join_next().await {
        let part = joined.context("a load connection panicked")??;
        outcome.latencies.extend(part.latencies);
        outcome.failures += part.failures;
        if outcome.bodies.len() < 4 {
            outcome.bodies.extend(part.bodies);
        }
    }
    outcome.elapsed = started.elapsed();
    outcome.latencies.sort_unstable();
    Ok(outcome)
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connect to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn connection(
    addr: SocketAddr,
    shape: &Shape,
    until: Until,
    started: Instant,
    issued: &AtomicUsize,
    expect: u16,
) -> Result<Outcome> {
    let mut sender = connect(addr).await?;
    let mut outcome = Outcome::default();
    loop {
        match until {
            Until::Elapsed(duration) if started.elapsed() >= duration => break,
            Until::Count(count) if issued.fetch_add(1, Ordering::Relaxed) >= count => break,
            _ => {}
        }
        // A keep-alive connection takes the next request only once it has finished the last.
        if sender.ready().await.is_err() {
            sender = connect(addr).await?;
        }
        let sent = Instant::now();
        let answer = match sender.send_request(shape.request(addr)?).await {
            Ok(response) => {
                let status = response.status().as_u16();
                response
                    .into_body()
                    .collect()
                    .await
                    .map(|body| (status, body.to_bytes()))
                    .ok()
            }
            Err(_) => None,
        };
        match answer {
            Some((status, body)) if status == expect => {
                outcome
                    .latencies
                    .push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
                if outcome.bodies.len() < 4 {
                    outcome.bodies.push(body);
                }
            }
            Some(_) => outcome.failures += 1,
            None => {
                outcome.failures += 1;
                // The server closed the connection: open another, unless it has gone for good.
                sender = connect(addr).await?;
            }
        }
    }
    Ok(outcome)
}

/// One request on a fresh connection: its status and body.
pub async fn once(addr: SocketAddr, shape: &Shape) -> Result<(u16, Bytes)> {
    let mut sender = connect(addr).await?;
    let response = sender.send_request(shape.request(addr)?).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// Sends requests on one connection, one every `every`, and returns each answer's body with the
/// wall-clock time its request was sent.
pub async fn paced(
    addr: SocketAddr,
    shape: &Shape,
    count: usize,
    every: Duration,
) -> Result<Vec<(chrono::DateTime<chrono::Utc>, Bytes)>> {
    let mut sender = connect(addr).await?;
    let mut ticks = tokio::time::interval(every);
    let mut sent = Vec::with_capacity(count);
    for _ in 0..count {
        ticks.tick().await;
        sender.ready().await?;
        let at = chrono::Utc::now();
        let response = sender.send_request(shape.request(addr)?).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        if status != 200 {
            bail!(
                "a paced request answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        sent.push((at, body));
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&samples, 50.0), 50);
        assert_eq!(percentile(&samples, 99.0), 99);
        assert_eq!(percentile(&samples, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }
}
