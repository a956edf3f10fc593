//! A program that embeds sobatch and adds its own task kind, written in Rust: `WordCount` counts
//! the words of its `Text` parameter, reporting progress and honouring Stop.
//!
//! Run it with `cargo run --release -p sobatch-server --example embedded`, then start a task:
//! `curl -u admin:example -H 'Content-Type: application/json'
//!  -d '{"Name": "WordCount", "ParameterObject": {"Text": "one two three"}}'
//!  http://127.0.0.1:8080/api/v1/BatchTask`

use async_trait::async_trait;
use sobatch_engine::{Executor, TaskContext, TaskFailure, TaskOutcome};
use sobatch_server::{Application, Config};

/// Counts words, one "step" per word, so that progress and cancellation have something to show.
struct WordCount;

#[async_trait]
impl Executor for WordCount {
    async fn run(&self, ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        let text = ctx
            .parameter("Text")
            .ok_or_else(|| TaskFailure::new("parameter Text is required"))?
            .to_string();
        let words: Vec<&str> = text.split_whitespace().collect();
        for (done, word) in words.iter().enumerate() {
            if ctx.is_cancelled() {
                return Err(TaskFailure::new("stopped while counting"));
            }
            let percent = i16::try_from(done * 100 / words.len().max(1)).unwrap_or(100);
            ctx.progress(percent, format!("counting {word:?}"));
            tokio::task::yield_now().await;
        }
        Ok(TaskOutcome::succeeded()
            .with_response(words.len().to_string())
            .with_result(format!("{} words", words.len())))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load(None, std::env::vars())?;
    let app = Application::builder(config)
        .admin_password(Some(
            std::env::var("SOBATCH_ADMIN_PASSWORD").unwrap_or_else(|_| "example".into()),
        ))
        .executor("WordCount", WordCount)
        .build()
        .await?;
    println!("listening on http://{}", app.local_addr());
    app.run_until(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
