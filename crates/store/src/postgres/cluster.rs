//! The PostgreSQL side of a [`Membership`]: one connection per node, outside the pool, that
//! `LISTEN`s for signals, sends the node's coalesced work notices, and holds the leader's session
//! advisory lock for as long as it lives. A node that dies closes it, which frees the lock for the
//! next node that asks.

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;
use tokio_postgres::{AsyncMessage, NoTls, Notification};
use tracing::{info, warn};

use crate::StoreError;
use crate::cluster::{JoinParams, Membership, Signal};

/// Tasks became claimable; the payload is the id of the node that says so.
pub(super) const WORK_CHANNEL: &str = "sobatch_work";
/// A Stop was requested; the payload is `<task id> <lease owner>`.
pub(super) const STOP_CHANNEL: &str = "sobatch_stop";
/// The session advisory lock the leader holds ("sobLEAD" in ASCII, as a number); distinct from the
/// migration lock, which shares its key space.
const LEADER_LOCK: i64 = 0x0073_6f62_4c45_4144;
/// Signals waiting for the engine; work notices beyond this are dropped, since one is enough.
const SIGNAL_BACKLOG: usize = 1024;

pub(super) fn join(
    config: tokio_postgres::Config,
    announce: Arc<Notify>,
    params: JoinParams,
) -> Membership {
    let (signals_tx, signals) = mpsc::channel(SIGNAL_BACKLOG);
    let (leader_tx, leader) = watch::channel(false);
    tokio::spawn(async move {
        let link = Link {
            config,
            announce,
            params,
            signals: signals_tx,
            leader: leader_tx,
        };
        link.run().await;
    });
    Membership { signals, leader }
}

struct Link {
    config: tokio_postgres::Config,
    announce: Arc<Notify>,
    params: JoinParams,
    signals: mpsc::Sender<Signal>,
    leader: watch::Sender<bool>,
}

/// Why a session ended without an error.
struct Left;

impl Link {
    /// Keeps a session open until the membership is dropped, reconnecting after every loss.
    async fn run(self) {
        loop {
            match self.session().await {
                Ok(Left) => return,
                Err(error) => {
                    if self.leader.send_replace(false) {
                        warn!(%error, "lost the cluster connection, and with it the lead; reconnecting");
                    } else {
                        warn!(%error, "lost the cluster connection; reconnecting");
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.params.retry) => {}
                () = self.signals.closed() => return,
            }
        }
    }

    async fn session(&self) -> Result<Left, StoreError> {
        let (client, mut connection) = self.config.connect(NoTls).await?;
        let (notes_tx, mut notes) = mpsc::unbounded_channel::<Notification>();
        // Drives the connection and hands notifications over; it ends when the connection does
        // (the client dropped, or the server gone), which closes `notes`.
        tokio::spawn(async move {
            while let Some(Ok(message)) =
                std::future::poll_fn(|cx| connection.poll_message(cx)).await
            {
                if let AsyncMessage::Notification(note) = message
                    && notes_tx.send(note).is_err()
                {
                    return;
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {WORK_CHANNEL}; LISTEN {STOP_CHANNEL}"))
            .await?;
        // Whatever was sent before this LISTEN, while no connection listened, is lost.
        if self.signals.send(Signal::Resync).await.is_err() {
            return Ok(Left);
        }
        let notify = client.prepare("SELECT pg_notify($1, $2)").await?;
        let mut leading = false;
        let mut next_try = Instant::now();
        loop {
            tokio::select! {
                note = notes.recv() => {
                    let Some(note) = note else {
                        return Err(StoreError::Unavailable("the cluster connection closed".into()));
                    };
                    let Some(signal) = decode(&note, &self.params.node_id) else {
                        continue;
                    };
                    let delivered = match signal {
                        // One pending work notice is as good as many.
                        Signal::Work => !matches!(
                            self.signals.try_send(signal),
                            Err(mpsc::error::TrySendError::Closed(_))
                        ),
                        signal => self.signals.send(signal).await.is_ok(),
                    };
                    if !delivered {
                        return Ok(Left);
                    }
                }
                () = self.announce.notified() => {
                    client.execute(&notify, &[&WORK_CHANNEL, &self.params.node_id]).await?;
                }
                () = tokio::time::sleep_until(next_try), if !leading => {
                    leading = client
                        .query_one("SELECT pg_try_advisory_lock($1)", &[&LEADER_LOCK])
                        .await?
                        .try_get(0)?;
                    if leading {
                        info!(node_id = %self.params.node_id, "this node now leads maintenance");
                        self.leader.send_replace(true);
                    }
                    next_try = Instant::now() + self.params.retry;
                }
                () = self.signals.closed() => return Ok(Left),
            }
        }
    }
}

/// The signal a notification carries; `None` for our own work notices and anything malformed.
fn decode(note: &Notification, node_id: &str) -> Option<Signal> {
    match note.channel() {
        WORK_CHANNEL if note.payload() != node_id => Some(Signal::Work),
        STOP_CHANNEL => {
            let (task, lease_owner) = note.payload().split_once(' ')?;
            Some(Signal::Stop {
                task: sobatch_core::TaskId(task.parse().ok()?),
                lease_owner: lease_owner.to_string(),
            })
        }
        _ => None,
    }
}
