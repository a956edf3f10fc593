//! Tasks the codec tests share: the documented sample task, and the time helper they are built with.

use chrono::{DateTime, Utc};
use sobatch_core::{AssociateId, Task, TaskId, TaskState};

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// The task of `spec/samples/batchtaskinfo.response.json` (and of its XML and time-zone variants).
pub fn sample_task() -> Task {
    Task {
        details_table: 205,
        details_record: 1187,
        parameters: Some(
            [("args", "quarterly-report"), ("format", "pdf")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        last_started: Some(at("2024-05-02T08:15:31Z")),
        start_count: 1,
        database_serial: Some("1234567890".into()),
        state: TaskState::Started,
        description: "Sample Batch Task".into(),
        response: Some(String::new()),
        request: Some(String::new()),
        progress_description: Some("Rendering page 3 of 10".into()),
        progress_percent: 30,
        ..Task::new(
            TaskId(42),
            "SampleBatchPlugin",
            AssociateId(5),
            at("2024-05-02T08:15:30Z"),
        )
    }
}
