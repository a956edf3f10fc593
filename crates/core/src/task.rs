//! Batch tasks: identity, the SuperOffice state machine, the Stop rules, and the validated shapes of
//! "start a task" and "update a task".
//!
//! The state machine (spec §2.5, design §4):
//!
//! ```text
//! start ──► New ──claim──► Aquired ──run──► Started ──► Succeeded | SucceededManualCleanup | Failed
//!            ▲                                  │
//!            └──────── rescue (lease expired) ◄─┘
//! Stop: New/Aquired/Unknown → Failed at once; Started → cancellation signal → Failed when it stops.
//! ```

use std::fmt;

use crate::{AssociateId, Parameters, Timestamp, truncate_chars};

/// Longest Description, Request, Response, Result and ProgressDescription the columns hold.
pub const TEXT_MAX: usize = 254;
/// Longest FileName.
pub const FILE_NAME_MAX: usize = 260;
/// Longest definition name.
pub const NAME_MAX: usize = 254;

/// A task id; SuperOffice ids are int32 and positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub i32);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A storable task state, numbered as in the `batchtask.state` column. `All` is not a state but a
/// query wildcard: see [`StateSelector`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    Unknown = 0,
    New = 1,
    /// Claimed by a worker, not yet running. Spelled as SuperOffice spells it.
    Aquired = 2,
    Started = 3,
    Succeeded = 4,
    Failed = 5,
    SucceededManualCleanup = 6,
}

impl TaskState {
    pub const ALL: [TaskState; 7] = [
        TaskState::Unknown,
        TaskState::New,
        TaskState::Aquired,
        TaskState::Started,
        TaskState::Succeeded,
        TaskState::Failed,
        TaskState::SucceededManualCleanup,
    ];

    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn from_code(code: i64) -> Option<TaskState> {
        TaskState::ALL
            .into_iter()
            .find(|s| i64::from(s.code()) == code)
    }

    /// The wire name, exactly as SuperOffice emits it.
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Unknown => "Unknown",
            TaskState::New => "New",
            TaskState::Aquired => "Aquired",
            TaskState::Started => "Started",
            TaskState::Succeeded => "Succeeded",
            TaskState::Failed => "Failed",
            TaskState::SucceededManualCleanup => "SucceededManualCleanup",
        }
    }

    /// A finished task: nothing runs it any more and Stop has nothing to do.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Succeeded | TaskState::Failed | TaskState::SucceededManualCleanup
        )
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a by-state query asks for: one state, or `All` (99999).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateSelector {
    All,
    Only(TaskState),
}

impl StateSelector {
    /// The wire code of `All`.
    pub const ALL_CODE: i64 = 99_999;

    /// Parses a state name as clients send it: case-insensitive, `Acquired` accepted as an alias
    /// of the SuperOffice spelling, and numeric codes as strings.
    pub fn parse(text: &str) -> Option<StateSelector> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("All") {
            return Some(StateSelector::All);
        }
        if text.eq_ignore_ascii_case("Acquired") {
            return Some(StateSelector::Only(TaskState::Aquired));
        }
        if let Some(state) = TaskState::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text))
        {
            return Some(StateSelector::Only(state));
        }
        text.parse::<i64>().ok().and_then(StateSelector::from_code)
    }

    pub fn from_code(code: i64) -> Option<StateSelector> {
        if code == Self::ALL_CODE {
            Some(StateSelector::All)
        } else {
            TaskState::from_code(code).map(StateSelector::Only)
        }
    }

    pub fn matches(self, state: TaskState) -> bool {
        match self {
            StateSelector::All => true,
            StateSelector::Only(wanted) => wanted == state,
        }
    }
}

/// Whether Stop may end a task (spec §2.6). Numbered as the wire enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CancellationBehaviour {
    #[default]
    CanCancel = 0,
    /// Stoppable; clients show a warning first. The server treats it as `CanCancel`.
    CancelWithWarning = 1,
    CannotCancel = 2,
}

impl CancellationBehaviour {
    pub const ALL: [CancellationBehaviour; 3] = [
        CancellationBehaviour::CanCancel,
        CancellationBehaviour::CancelWithWarning,
        CancellationBehaviour::CannotCancel,
    ];

    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|c| i64::from(c.code()) == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            CancellationBehaviour::CanCancel => "CanCancel",
            CancellationBehaviour::CancelWithWarning => "CancelWithWarning",
            CancellationBehaviour::CannotCancel => "CannotCancel",
        }
    }

    /// Case-insensitive name, or a numeric code as a string.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(text))
            .or_else(|| text.parse::<i64>().ok().and_then(Self::from_code))
    }
}

/// What Stop does to a task in a given state (spec §1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopAction {
    /// Nothing changes and Stop answers `false`.
    Refuse,
    /// The task never ran: it becomes `Failed` at once.
    FailNow,
    /// The task is running: its executor is asked to stop, and it ends `Failed` when it has.
    CancelRunning,
}

impl StopAction {
    pub fn decide(state: TaskState, cancellation: CancellationBehaviour) -> StopAction {
        if cancellation == CancellationBehaviour::CannotCancel || state.is_terminal() {
            return StopAction::Refuse;
        }
        match state {
            TaskState::Unknown | TaskState::New | TaskState::Aquired => StopAction::FailNow,
            TaskState::Started => StopAction::CancelRunning,
            TaskState::Succeeded | TaskState::Failed | TaskState::SucceededManualCleanup => {
                StopAction::Refuse
            }
        }
    }
}

/// A task as stored, with its definition's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub name: String,
    pub associate_id: AssociateId,
    pub details_table: i16,
    pub details_record: i32,
    pub parameters: Option<Parameters>,
    pub last_started: Option<Timestamp>,
    pub created: Timestamp,
    pub updated: Option<Timestamp>,
    pub updated_count: i32,
    pub start_count: i32,
    pub database_serial: Option<String>,
    pub context: Option<String>,
    pub result: Option<String>,
    pub state: TaskState,
    pub description: String,
    pub response: Option<String>,
    pub request: Option<String>,
    pub progress_description: Option<String>,
    pub progress_percent: i16,
    pub file_name: Option<String>,
    pub cancellation: CancellationBehaviour,
    /// Kept only in the memory of the node that accepted it: no row, no trace (spec §2.7).
    pub internal: bool,
}

impl Task {
    /// A task of `name` owned by `owner`, created at `created`, in state `New` with every other
    /// member empty: the starting point for tasks built outside the store (internal tasks, tests).
    pub fn new(
        id: TaskId,
        name: impl Into<String>,
        owner: AssociateId,
        created: Timestamp,
    ) -> Task {
        Task {
            id,
            name: name.into(),
            associate_id: owner,
            details_table: 0,
            details_record: 0,
            parameters: None,
            last_started: None,
            created,
            updated: None,
            updated_count: 0,
            start_count: 0,
            database_serial: None,
            context: None,
            result: None,
            state: TaskState::New,
            description: String::new(),
            response: None,
            request: None,
            progress_description: None,
            progress_percent: 0,
            file_name: None,
            cancellation: CancellationBehaviour::CanCancel,
            internal: false,
        }
    }

    pub fn is_system(&self) -> bool {
        self.associate_id == AssociateId::SYSTEM
    }
}

/// Which owners a list includes (spec §1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    UserOnly,
    SystemOnly,
    Both,
}

/// A validated request to create a task: what the caller may choose. Server-owned fields (id, state,
/// dates, counters, progress) are not here, so they cannot be taken from a client by mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStart {
    pub name: String,
    pub owner: AssociateId,
    pub parameters: Option<Parameters>,
    /// Honoured only when there are no parameters, which otherwise own the link (spec §1.7).
    pub details_table: i16,
    pub details_record: i32,
    pub description: String,
    pub request: Option<String>,
    pub response: Option<String>,
    pub context: Option<String>,
    pub file_name: Option<String>,
    /// `None`: take the definition's default.
    pub cancellation: Option<CancellationBehaviour>,
    /// The registered application (`SO-AppToken`) whose request starts it, by id; its events
    /// name it.
    pub application: Option<i64>,
}

impl TaskStart {
    /// A task of `name` owned by `owner` with every optional field empty.
    pub fn new(name: impl Into<String>, owner: AssociateId) -> Self {
        TaskStart {
            name: name.into(),
            owner,
            parameters: None,
            details_table: 0,
            details_record: 0,
            description: String::new(),
            request: None,
            response: None,
            context: None,
            file_name: None,
            cancellation: None,
            application: None,
        }
    }

    /// Trims the name and cuts over-long texts to their column sizes (spec Q14: tolerant).
    /// Returns `Err` with a message when the start cannot be accepted at all.
    pub fn normalize(mut self) -> Result<TaskStart, String> {
        let trimmed = self.name.trim();
        if trimmed.is_empty() {
            return Err("Name is required: it selects the task definition".to_string());
        }
        if trimmed.len() != self.name.len() {
            self.name = trimmed.to_string();
        }
        truncate_chars(&mut self.name, NAME_MAX);
        truncate_chars(&mut self.description, TEXT_MAX);
        for text in [&mut self.request, &mut self.response]
            .into_iter()
            .flatten()
        {
            truncate_chars(text, TEXT_MAX);
        }
        if let Some(file_name) = &mut self.file_name {
            truncate_chars(file_name, FILE_NAME_MAX);
        }
        if self.parameters.is_some() {
            self.details_table = 0;
            self.details_record = 0;
        }
        Ok(self)
    }
}

/// The four members an update may write (spec §1.7). `None` leaves a member unchanged; for the
/// nullable ones `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskUpdate {
    pub state: Option<TaskState>,
    pub description: Option<String>,
    pub response: Option<Option<String>>,
    pub request: Option<Option<String>>,
}

impl TaskUpdate {
    pub fn normalize(mut self) -> TaskUpdate {
        if let Some(text) = &mut self.description {
            truncate_chars(text, TEXT_MAX);
        }
        for text in [&mut self.response, &mut self.request]
            .into_iter()
            .flatten()
            .flatten()
        {
            truncate_chars(text, TEXT_MAX);
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        *self == TaskUpdate::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_parse_case_insensitively_with_the_acquired_alias() {
        assert_eq!(
            StateSelector::parse("aquired"),
            Some(StateSelector::Only(TaskState::Aquired))
        );
        assert_eq!(
            StateSelector::parse("ACQUIRED"),
            Some(StateSelector::Only(TaskState::Aquired))
        );
        assert_eq!(StateSelector::parse("all"), Some(StateSelector::All));
        assert_eq!(StateSelector::parse("99999"), Some(StateSelector::All));
        assert_eq!(
            StateSelector::parse("3"),
            Some(StateSelector::Only(TaskState::Started))
        );
        assert_eq!(StateSelector::parse("Finished"), None);
        assert_eq!(StateSelector::parse("7"), None);
    }

    #[test]
    fn every_state_round_trips_through_its_code_and_name() {
        for state in TaskState::ALL {
            assert_eq!(TaskState::from_code(state.code().into()), Some(state));
            assert_eq!(
                StateSelector::parse(state.name()),
                Some(StateSelector::Only(state))
            );
        }
    }

    #[test]
    fn stop_follows_the_spec_table() {
        use CancellationBehaviour::*;
        use TaskState::*;
        for c in [CanCancel, CancelWithWarning] {
            assert_eq!(StopAction::decide(New, c), StopAction::FailNow);
            assert_eq!(StopAction::decide(Aquired, c), StopAction::FailNow);
            assert_eq!(StopAction::decide(Unknown, c), StopAction::FailNow);
            assert_eq!(StopAction::decide(Started, c), StopAction::CancelRunning);
            for done in [Succeeded, Failed, SucceededManualCleanup] {
                assert_eq!(StopAction::decide(done, c), StopAction::Refuse);
            }
        }
        for state in TaskState::ALL {
            assert_eq!(StopAction::decide(state, CannotCancel), StopAction::Refuse);
        }
    }

    #[test]
    fn a_blank_name_is_refused_and_long_texts_are_cut() {
        assert!(TaskStart::new("  ", AssociateId(1)).normalize().is_err());
        let mut start = TaskStart::new(" Echo ", AssociateId(1));
        start.description = "x".repeat(300);
        start.file_name = Some("f".repeat(300));
        let start = start.normalize().unwrap();
        assert_eq!(start.name, "Echo");
        assert_eq!(start.description.len(), TEXT_MAX);
        assert_eq!(start.file_name.map(|f| f.len()), Some(FILE_NAME_MAX));
    }

    #[test]
    fn parameters_take_over_the_details_link() {
        let mut start = TaskStart::new("Echo", AssociateId(1));
        start.details_table = 7;
        start.details_record = 9;
        start.parameters = Some(Parameters::new());
        let start = start.normalize().unwrap();
        assert_eq!((start.details_table, start.details_record), (0, 0));
    }
}
