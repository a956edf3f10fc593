//! What nodes sharing one database tell each other: the signals a [`Membership`] delivers and the
//! leadership it holds. A store that serves one node (SQLite) has no membership; that node leads.

use std::time::Duration;

use sobatch_core::TaskId;
use tokio::sync::{mpsc, watch};

/// A notice from another node, or from the store about the notices themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// Tasks became claimable somewhere: look for work now rather than at the next poll.
    Work,
    /// Stop was requested for a task the node `lease_owner` runs; that node must cancel it.
    Stop { task: TaskId, lease_owner: String },
    /// The connection that carries signals was lost and is back; notices sent meanwhile are gone,
    /// so look for work and stopped tasks as if every signal had fired.
    Resync,
}

/// How a node joins the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinParams {
    /// This node's id; the same string it claims leases under.
    pub node_id: String,
    /// How often a node that does not lead tries to take the lead, and how soon after losing its
    /// connection it tries to connect again.
    pub retry: Duration,
}

/// This node's place among the nodes sharing the database, for as long as it is held: dropping it
/// leaves (and gives up the lead).
#[derive(Debug)]
pub struct Membership {
    pub signals: mpsc::Receiver<Signal>,
    /// Whether this node leads maintenance (rescue, retention) now.
    pub leader: watch::Receiver<bool>,
}
