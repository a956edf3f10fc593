//! The task event log's types: what one change of a task looked like, and the position in the log
//! a reader resumes from. The rows are written by the database's triggers, not by Rust code.

use std::fmt;
use std::str::FromStr;

use sobatch_core::{AssociateId, TaskId, TaskState, Timestamp};

/// Where a reader of the log stands: every event up to and including this one has been read.
/// SQLite commits in id order, so `xact` is always 0 there; on PostgreSQL it is the writing
/// transaction's id, which orders events by commit safety (see the migration).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventPosition {
    pub xact: i64,
    pub id: i64,
}

/// Written as `id` on SQLite and `xact.id` on PostgreSQL: the form clients send back in
/// `Last-Event-ID`.
impl fmt::Display for EventPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.xact == 0 {
            write!(f, "{}", self.id)
        } else {
            write!(f, "{}.{}", self.xact, self.id)
        }
    }
}

impl FromStr for EventPosition {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let number = |part: &str| {
            part.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| format!("{text:?} is not an event id"))
        };
        match text.trim().split_once('.') {
            Some((xact, id)) => Ok(EventPosition {
                xact: number(xact)?,
                id: number(id)?,
            }),
            None => Ok(EventPosition {
                xact: 0,
                id: number(text.trim())?,
            }),
        }
    }
}

/// What changed. The numbers are the `kind` column's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskEventKind {
    Created = 1,
    Started = 2,
    Progress = 3,
    StopRequested = 4,
    StateChanged = 5,
    Deleted = 6,
}

impl TaskEventKind {
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            1 => TaskEventKind::Created,
            2 => TaskEventKind::Started,
            3 => TaskEventKind::Progress,
            4 => TaskEventKind::StopRequested,
            5 => TaskEventKind::StateChanged,
            6 => TaskEventKind::Deleted,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaskEventKind::Created => "Created",
            TaskEventKind::Started => "Started",
            TaskEventKind::Progress => "Progress",
            TaskEventKind::StopRequested => "StopRequested",
            TaskEventKind::StateChanged => "StateChanged",
            TaskEventKind::Deleted => "Deleted",
        }
    }
}

/// One change of a task, with the task's values right after it (right before it, for a deletion).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskEvent {
    pub position: EventPosition,
    pub task: TaskId,
    pub kind: TaskEventKind,
    pub at: Timestamp,
    pub state: TaskState,
    pub progress_percent: Option<i16>,
    pub progress_description: Option<String>,
    pub description: String,
    /// The definition's name; `None` if the definition is gone.
    pub name: Option<String>,
    /// The task's owner (0: the system).
    pub owner: AssociateId,
    /// Who made the change, where the row says (0: the system or a worker).
    pub by: AssociateId,
    /// The registered application whose request started the task, by name.
    pub application: Option<String>,
}

/// An event's columns as either backend reads them, checked into a [`TaskEvent`] in one place.
pub(crate) struct EventRow {
    pub xact: i64,
    pub id: i64,
    pub task: i64,
    pub at: i64,
    pub kind: i64,
    pub state: i64,
    pub progress_percent: Option<i64>,
    pub progress_description: Option<String>,
    pub description: String,
    pub name: Option<String>,
    pub owner: i64,
    pub by: i64,
    pub application: Option<String>,
}

impl EventRow {
    pub(crate) fn into_event(self) -> Result<TaskEvent, crate::StoreError> {
        use crate::StoreError::Corrupt;
        let int32 = |value: i64, what: &str| {
            i32::try_from(value).map_err(|_| Corrupt(format!("event {}: {what} {value}", self.id)))
        };
        Ok(TaskEvent {
            position: EventPosition {
                xact: self.xact,
                id: self.id,
            },
            task: TaskId(int32(self.task, "task id")?),
            kind: TaskEventKind::from_code(self.kind)
                .ok_or_else(|| Corrupt(format!("event {}: kind {}", self.id, self.kind)))?,
            at: chrono::DateTime::from_timestamp_micros(self.at)
                .ok_or_else(|| Corrupt(format!("event {}: time {}", self.id, self.at)))?,
            state: TaskState::from_code(self.state)
                .ok_or_else(|| Corrupt(format!("event {}: state {}", self.id, self.state)))?,
            progress_percent: self
                .progress_percent
                .map(|p| {
                    i16::try_from(p)
                        .map_err(|_| Corrupt(format!("event {}: progress {p}", self.id)))
                })
                .transpose()?,
            progress_description: self.progress_description,
            description: self.description,
            name: self.name,
            owner: AssociateId(int32(self.owner, "owner")?),
            by: AssociateId(int32(self.by, "associate")?),
            application: self.application,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_back_what_they_write() {
        for position in [
            EventPosition { xact: 0, id: 0 },
            EventPosition { xact: 0, id: 42 },
            EventPosition { xact: 7781, id: 42 },
        ] {
            assert_eq!(position.to_string().parse::<EventPosition>(), Ok(position));
        }
        for bad in ["", "x", "-1", "1.", ".1", "1.2.3", "99999999999999999999"] {
            assert!(bad.parse::<EventPosition>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn positions_order_by_transaction_then_id() {
        let a = EventPosition { xact: 1, id: 9 };
        let b = EventPosition { xact: 2, id: 3 };
        assert!(a < b);
    }
}
