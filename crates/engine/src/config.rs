//! The engine's settings; the server fills them from its typed configuration.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How many tasks this node runs at once.
    pub workers: usize,
    /// How long a claim or heartbeat holds a task; a node silent for longer loses it to the rescuer.
    pub lease: Duration,
    /// How often the dispatcher looks for work when nothing woke it (tasks made runnable by the
    /// rescuer or by another writer).
    pub poll_interval: Duration,
    /// How long shutdown waits for running tasks before cancelling them.
    pub shutdown_grace: Duration,
    /// Refuse to start tasks whose name no executor runs, instead of keeping them `New`.
    pub reject_unknown_tasks: bool,
    /// How long Stop waits for a running task to end before answering.
    pub stop_wait: Duration,
    /// Fixed node id; `None` picks a random one per process.
    pub node_id: Option<String>,
    /// How long finished tasks are kept.
    pub retention: RetentionConfig,
}

/// Retention of finished tasks (spec Q27). `SucceededManualCleanup` tasks are never removed: their
/// owner cleans them up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionConfig {
    /// `Succeeded` tasks are deleted this long after they finished; `None` keeps them.
    pub succeeded: Option<Duration>,
    /// `Failed` tasks likewise.
    pub failed: Option<Duration>,
    /// Events of the task event log are deleted this long after they happened; `None` keeps them.
    pub events: Option<Duration>,
    /// How often retention runs.
    pub interval: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            succeeded: Some(Duration::from_secs(24 * 3600)),
            failed: Some(Duration::from_secs(30 * 24 * 3600)),
            events: Some(Duration::from_secs(7 * 24 * 3600)),
            interval: Duration::from_secs(60),
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            workers: 8,
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(10),
            reject_unknown_tasks: false,
            stop_wait: Duration::from_secs(2),
            node_id: None,
            retention: RetentionConfig::default(),
        }
    }
}
