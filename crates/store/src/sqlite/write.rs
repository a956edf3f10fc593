//! The writer thread: the one connection that writes, fed jobs over a channel, committing every
//! batch of queued jobs as one transaction (group commit) with a savepoint around each job.
//!
//! A job's result is delivered only after the commit that contains it succeeded, so a caller that
//! got `Ok` knows its change is on disk. A job that fails is rolled back to its savepoint and the
//! rest of the batch commits without it.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use sobatch_core::CancellationBehaviour;
use tokio::sync::oneshot;
use tracing::{error, warn};

use crate::StoreError;

/// Most jobs one transaction takes. Bounds the time a caller at the back of a burst waits and the
/// size of the WAL a single commit writes.
const MAX_BATCH: usize = 1000;

/// What the writer knows of a definition. Cached because the writer is the only process-local
/// writer of definitions and every insert needs one; cleared whenever a rollback might have undone
/// a definition it learnt.
#[derive(Debug, Clone, Copy)]
pub(super) struct CachedDefinition {
    pub(super) id: i32,
    pub(super) cancellation: CancellationBehaviour,
}

/// Everything a write job may touch: the write connection (inside the batch's transaction) and the
/// writer's caches.
pub(super) struct WriterState {
    conn: Connection,
    serial: String,
    /// Keyed by the ASCII-lowercased name, the same folding as SQLite's `NOCASE`.
    definitions: HashMap<String, CachedDefinition>,
}

impl WriterState {
    pub(super) fn new(conn: Connection, serial: String) -> WriterState {
        WriterState {
            conn,
            serial,
            definitions: HashMap::new(),
        }
    }

    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(super) fn serial(&self) -> &str {
        &self.serial
    }

    pub(super) fn cached_definition(&self, name: &str) -> Option<CachedDefinition> {
        self.definitions.get(&name.to_ascii_lowercase()).copied()
    }

    pub(super) fn cache_definition(&mut self, name: &str, definition: CachedDefinition) {
        self.definitions
            .insert(name.to_ascii_lowercase(), definition);
    }

    fn exec(&self, sql: &str) -> Result<(), StoreError> {
        self.conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    }

    /// Runs one batch inside one transaction. `Err` means nothing of the batch was committed.
    fn run_batch(&mut self, batch: &mut [Box<dyn Job>]) -> Result<(), StoreError> {
        // IMMEDIATE takes the write lock up front, so a batch never fails half-way to upgrade it.
        self.exec("BEGIN IMMEDIATE")?;
        match self.run_jobs(batch) {
            Ok(()) => Ok(()),
            Err(error) => {
                // The transaction may already be gone (SQLite rolls back on some I/O errors).
                if let Err(rollback) = self.exec("ROLLBACK") {
                    warn!(error = %rollback, "rolling back a failed write batch failed");
                }
                Err(error)
            }
        }
    }

    fn run_jobs(&mut self, batch: &mut [Box<dyn Job>]) -> Result<(), StoreError> {
        // A job alone needs no savepoint: if it fails, the caller's rollback of the whole batch
        // undoes exactly it. Savepoint statements are parsed again at every use, which a quiet
        // node writing one job per batch would otherwise pay twice per write.
        if let [job] = batch {
            if !job.run(self) {
                self.definitions.clear();
                self.exec("ROLLBACK")?;
                return Ok(());
            }
            return self.exec("COMMIT");
        }
        for job in batch.iter_mut() {
            self.exec("SAVEPOINT job")?;
            if job.run(self) {
                self.exec("RELEASE job")?;
            } else {
                self.exec("ROLLBACK TO job")?;
                self.exec("RELEASE job")?;
                // The job may have cached a definition its rollback just removed; the next job
                // of this very batch must not use it.
                self.definitions.clear();
            }
        }
        self.exec("COMMIT")
    }
}

/// A unit of work for the writer; see [`WriterHandle::submit`].
trait Job: Send {
    /// Runs the work against the open transaction and keeps its result; `false` if it failed and
    /// its changes must be rolled back.
    fn run(&mut self, writer: &mut WriterState) -> bool;
    /// Delivers the result once the fate of the transaction is known.
    fn finish(self: Box<Self>, committed: Result<(), &StoreError>);
}

struct Pending<T, F> {
    work: Option<F>,
    outcome: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send,
    F: FnOnce(&mut WriterState) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, writer: &mut WriterState) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        // A panic must cost one job, not the writer thread and every caller after it.
        let outcome = catch_unwind(AssertUnwindSafe(|| work(writer))).unwrap_or_else(|_| {
            error!("a database write job panicked; its changes were rolled back");
            Err(StoreError::Database("the write job panicked".into()))
        });
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn finish(self: Box<Self>, committed: Result<(), &StoreError>) {
        let result = match (self.outcome, committed) {
            // The job's own error says more than the batch's.
            (Some(Err(error)), _) => Err(error),
            (_, Err(error)) => Err(error.clone()),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (None, Ok(())) => Err(StoreError::Database("the write job did not run".into())),
        };
        // The caller may have gone away; the write stands either way.
        let _ = self.reply.send(result);
    }
}

/// The store's side of the writer thread. Dropping it closes the channel; the thread commits what it
/// holds and ends, and the drop waits for that so the database is closed when the store is gone.
pub(super) struct WriterHandle {
    sender: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
}

impl WriterHandle {
    pub(super) fn spawn(state: WriterState) -> Result<WriterHandle, StoreError> {
        let (sender, receiver) = mpsc::channel::<Box<dyn Job>>();
        let thread = std::thread::Builder::new()
            .name("sobatch-sqlite-writer".into())
            .spawn(move || writer_loop(state, &receiver))
            .map_err(|e| StoreError::Database(format!("start the writer thread: {e}")))?;
        Ok(WriterHandle {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// Runs `work` on the writer thread inside a transaction, and returns its result once that
    /// transaction is committed. Dropping the returned future does not cancel the write.
    pub(super) async fn submit<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriterState) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Pending {
            work: Some(work),
            outcome: None,
            reply,
        });
        self.sender
            .as_ref()
            .ok_or(StoreError::WriterGone)?
            .send(job)
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            error!("the database writer thread panicked");
        }
    }
}

fn writer_loop(mut state: WriterState, jobs: &mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    // Blocks for the first job; whatever queued up meanwhile joins the same transaction.
    while let Ok(first) = jobs.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = state.run_batch(&mut batch);
        if let Err(error) = &outcome {
            warn!(%error, jobs = batch.len(), "a database write batch failed");
            // Definitions learnt in this batch were rolled back with it.
            state.definitions.clear();
        }
        let committed = outcome.as_ref().copied();
        for job in batch.drain(..) {
            job.finish(committed);
        }
    }
}
