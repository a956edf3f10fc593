//! The built-in executors, always present: `Echo`, `Sleep` and `Fail`, for demos and tests.

use std::time::Duration;

use async_trait::async_trait;
use sobatch_core::task::TEXT_MAX;
use sobatch_core::truncate_chars;

use crate::text;

use super::{Executor, TaskContext, TaskFailure, TaskOutcome};

/// Succeeds at once; its Response is its parameters as a JSON object.
pub struct Echo;

#[async_trait]
impl Executor for Echo {
    async fn run(&self, ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        // Written by hand rather than through a JSON map, which would sort the keys.
        let members: Vec<String> = ctx
            .parameters()
            .map(|p| {
                p.iter()
                    .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
                    .collect()
            })
            .unwrap_or_default();
        let mut response = format!("{{{}}}", members.join(","));
        truncate_chars(&mut response, TEXT_MAX);
        Ok(TaskOutcome::succeeded().with_response(response))
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// Sleeps for parameter `Seconds` (default 1, fractions allowed, at most a day), reporting
/// progress at least every 250 ms, and stops as soon as it is cancelled.
pub struct Sleep;

const SLEEP_MAX_SECONDS: f64 = 86_400.0;
const SLEEP_REPORT_EVERY: Duration = Duration::from_millis(200);

#[async_trait]
impl Executor for Sleep {
    async fn run(&self, ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        let seconds = match ctx.parameter("Seconds") {
            None => 1.0,
            Some(text) => match text.trim().parse::<f64>() {
                Ok(s) if s.is_finite() && (0.0..=SLEEP_MAX_SECONDS).contains(&s) => s,
                _ => {
                    return Err(TaskFailure::new(format!(
                        "parameter Seconds must be a number from 0 to {SLEEP_MAX_SECONDS}, not {text:?}"
                    )));
                }
            },
        };
        let total = Duration::from_secs_f64(seconds);
        let started = tokio::time::Instant::now();
        ctx.progress(0, text::sleep_progress(0.0, seconds));
        loop {
            let elapsed = started.elapsed();
            if elapsed >= total {
                break;
            }
            let step = SLEEP_REPORT_EVERY.min(total - elapsed);
            tokio::select! {
                () = ctx.cancelled() => return Err(TaskFailure::new("sleep cancelled")),
                () = tokio::time::sleep(step) => {}
            }
            let elapsed = started.elapsed().min(total);
            let percent = if total.is_zero() {
                100
            } else {
                (elapsed.as_secs_f64() / total.as_secs_f64() * 100.0).floor() as i16
            };
            ctx.progress(
                percent,
                text::sleep_progress(elapsed.as_secs_f64(), seconds),
            );
        }
        Ok(TaskOutcome::succeeded().with_response(text::sleep_done(seconds)))
    }
}

/// Fails with parameter `Message` as its Result.
pub struct Fail;

#[async_trait]
impl Executor for Fail {
    async fn run(&self, ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        let message = ctx
            .parameter("Message")
            .unwrap_or(text::FAIL_DEFAULT)
            .to_string();
        Err(TaskFailure::new(message))
    }
}
