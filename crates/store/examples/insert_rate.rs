//! Measures durable task inserts per second through `SqliteStore` from many concurrent callers, the
//! path a `POST /api/v1/BatchTask` takes. A report, not a test: nothing here asserts a number.
//!
//! ```text
//! cargo run --release -p sobatch-store --example insert_rate -- [TOTAL] [CALLERS] [DIR]
//! ```
//!
//! TOTAL tasks (default 100000) are inserted by CALLERS tokio tasks (default 64), half of them with a
//! parameter dictionary (a blob and a link row each). The database lives in a fresh temporary
//! directory under DIR (default: the system temporary directory); use a disk, not a tmpfs, or the
//! fsyncs cost nothing.

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use sobatch_core::{AssociateId, Parameters, TaskStart};
use sobatch_store::{SqliteStore, Store};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let total: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let callers: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(64)
        .max(1);
    let dir = match args.next() {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    let path = dir.path().join("insert-rate.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);

    let now = chrono::Utc::now();
    let started = Instant::now();
    let mut handles = Vec::with_capacity(callers);
    for caller in 0..callers {
        let store = store.clone();
        let count = total / callers + usize::from(caller < total % callers);
        handles.push(tokio::spawn(async move {
            for n in 0..count {
                let mut start = TaskStart::new("Echo", AssociateId(1));
                start.description = format!("caller {caller} task {n}");
                if n % 2 == 0 {
                    let parameters: Parameters =
                        [("caller", caller.to_string()), ("n", n.to_string())]
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect();
                    start.parameters = Some(parameters);
                }
                store.task_insert(start, now).await?;
            }
            Ok::<_, sobatch_store::StoreError>(())
        }));
    }
    for handle in handles {
        handle.await??;
    }
    let elapsed = started.elapsed();

    let rate = total as f64 / elapsed.as_secs_f64();
    println!(
        "{total} durable inserts from {callers} concurrent callers in {:.2} s: {rate:.0} inserts/s",
        elapsed.as_secs_f64()
    );
    Ok(())
}
