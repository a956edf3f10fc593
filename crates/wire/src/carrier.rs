//! The `BatchTaskInfo` carrier as responses render it (spec §2.1): PascalCase members in the
//! documented order, every member present, null strings as `null`, enums as their names.
//!
//! Only output lives here. Requests are bound by `input`, which reads members lazily and
//! case-insensitively; a derived `Deserialize` would validate members an operation ignores.

use serde::ser::{Serialize, SerializeMap, Serializer};
use sobatch_core::{Parameters, Task};

use crate::date::{DateStyle, format_date};

/// The members of a rendered [`BatchTaskInfo`], in the order they are written.
pub const BATCH_TASK_INFO_MEMBERS: [&str; 24] = [
    "Id",
    "Name",
    "AssociateId",
    "DetailsTable",
    "DetailsRecord",
    "IsSystemTask",
    "IsInternalTask",
    "ParameterObject",
    "LastStarted",
    "Created",
    "StartCount",
    "DatabaseSerialNumber",
    "Context",
    "Result",
    "State",
    "Description",
    "Response",
    "Request",
    "ProgressDescription",
    "ProgressPercent",
    "FileName",
    "CancellationBehaviour",
    "TableRight",
    "FieldProperties",
];

/// One task as SuperOffice clients expect to read it. Field order is the wire order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchTaskInfo {
    pub id: i32,
    pub name: Option<String>,
    pub associate_id: i32,
    pub details_table: i16,
    pub details_record: i32,
    pub is_system_task: bool,
    pub is_internal_task: bool,
    pub parameter_object: Option<ParameterMap>,
    pub last_started: String,
    pub created: String,
    pub start_count: i32,
    pub database_serial_number: Option<String>,
    pub context: Option<String>,
    pub result: Option<String>,
    /// The state's name, spelled as SuperOffice spells it (`Aquired`).
    pub state: &'static str,
    pub description: Option<String>,
    pub response: Option<String>,
    pub request: Option<String>,
    pub progress_description: Option<String>,
    pub progress_percent: i16,
    pub file_name: Option<String>,
    pub cancellation_behaviour: &'static str,
    /// Always `null`: the npm client splits a present `Mask` as a string and crashes on anything
    /// else, and the documented samples send `null` (spec §2.2).
    /// (`()` serializes as `null`.)
    pub table_right: (),
    /// Always `{}` (spec §2.2).
    pub field_properties: EmptyObject,
}

/// The `ParameterObject` dictionary, rendered as a JSON object in the order it was stored.
///
/// A `serde_json::Map` would sort the keys unless a crate-wide feature says otherwise, and a
/// client that starts a task expects to read its parameters back exactly as it sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterMap(pub Vec<(String, String)>);

impl From<&Parameters> for ParameterMap {
    fn from(parameters: &Parameters) -> Self {
        ParameterMap(
            parameters
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

impl Serialize for ParameterMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// An empty JSON object: the carrier's `FieldProperties`. Field rights are not modelled because
/// the batch surface grants a caller all of a task or none of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EmptyObject;

impl Serialize for EmptyObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

/// Renders `task` with every date in `dates`.
///
/// SuperOffice renders `Created` (a UTC column) in UTC when the request names a time zone, and
/// `LastStarted` in that zone; a caller that honours `SO-TimeZone` uses
/// [`render_task_with_styles`] for that.
pub fn render_task(task: &Task, dates: &DateStyle) -> BatchTaskInfo {
    render_task_with_styles(task, dates, dates)
}

/// Renders `task` with `LastStarted` in `last_started` and `Created` in `created`.
pub fn render_task_with_styles(
    task: &Task,
    last_started: &DateStyle,
    created: &DateStyle,
) -> BatchTaskInfo {
    BatchTaskInfo {
        id: task.id.0,
        name: Some(task.name.clone()),
        associate_id: task.associate_id.0,
        details_table: task.details_table,
        details_record: task.details_record,
        is_system_task: task.is_system(),
        is_internal_task: task.internal,
        parameter_object: task.parameters.as_ref().map(ParameterMap::from),
        last_started: format_date(task.last_started, last_started),
        created: format_date(Some(task.created), created),
        start_count: task.start_count,
        database_serial_number: task.database_serial.clone(),
        context: task.context.clone(),
        result: task.result.clone(),
        state: task.state.name(),
        description: Some(task.description.clone()),
        response: task.response.clone(),
        request: task.request.clone(),
        progress_description: task.progress_description.clone(),
        progress_percent: task.progress_percent,
        file_name: task.file_name.clone(),
        cancellation_behaviour: task.cancellation.name(),
        table_right: (),
        field_properties: EmptyObject,
    }
}

/// The `$select` query option of the Agents surface: the members to keep; every other member of
/// a result is written as `null` (spec §1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSelection {
    /// Indexes into [`BATCH_TASK_INFO_MEMBERS`] of the members kept.
    keep: Vec<usize>,
}

impl MemberSelection {
    /// Parses `a,b,c`; names match case-insensitively, and names no carrier has are ignored.
    pub fn parse(text: &str) -> MemberSelection {
        let keep = text
            .split(',')
            .map(str::trim)
            .filter_map(|name| {
                BATCH_TASK_INFO_MEMBERS
                    .iter()
                    .position(|member| member.eq_ignore_ascii_case(name))
            })
            .collect();
        MemberSelection { keep }
    }

    /// `info` with the unselected members nulled, in the usual member order.
    pub fn apply(&self, info: &BatchTaskInfo) -> Result<SelectedBatchTaskInfo, serde_json::Error> {
        let serde_json::Value::Object(mut all) = serde_json::to_value(info)? else {
            return Ok(SelectedBatchTaskInfo(Vec::new()));
        };
        let members = BATCH_TASK_INFO_MEMBERS
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let value = if self.keep.contains(&index) {
                    all.remove(*name).unwrap_or(serde_json::Value::Null)
                } else {
                    serde_json::Value::Null
                };
                (*name, value)
            })
            .collect();
        Ok(SelectedBatchTaskInfo(members))
    }
}

/// A carrier after `$select`: the members in wire order, some of them `null`.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedBatchTaskInfo(Vec<(&'static str, serde_json::Value)>);

impl SelectedBatchTaskInfo {
    /// The members in wire order, deselected ones as `null`, for renderers other than JSON.
    pub fn members(&self) -> &[(&'static str, serde_json::Value)] {
        &self.0
    }
}

impl Serialize for SelectedBatchTaskInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_selection_nulls_every_other_member_and_keeps_the_order() {
        let info = render_task(&sample_task(), &DateStyle::utc());
        let selected = MemberSelection::parse(" name ,STATE,nonsense")
            .apply(&info)
            .unwrap();
        let text = serde_json::to_string(&selected).unwrap();
        assert!(
            text.starts_with(r#"{"Id":null,"Name":"SampleBatchPlugin","AssociateId":null"#),
            "{text}"
        );
        assert!(text.contains(r#""State":"Started""#), "{text}");
        assert!(
            text.ends_with(r#""TableRight":null,"FieldProperties":null}"#),
            "{text}"
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value.as_object().unwrap().len(),
            BATCH_TASK_INFO_MEMBERS.len()
        );
    }

    use chrono::{DateTime, Utc};
    use chrono_tz::Tz;
    use sobatch_core::{AssociateId, CancellationBehaviour, TaskId, TaskState};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// The task of `spec/samples/batchtaskinfo.response.json`.
    fn sample_task() -> Task {
        Task {
            id: TaskId(42),
            name: "SampleBatchPlugin".into(),
            associate_id: AssociateId(5),
            details_table: 205,
            details_record: 1187,
            parameters: Some(
                [("args", "quarterly-report"), ("format", "pdf")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            last_started: Some(at("2024-05-02T08:15:31Z")),
            created: at("2024-05-02T08:15:30Z"),
            updated: None,
            updated_count: 0,
            start_count: 1,
            database_serial: Some("1234567890".into()),
            context: None,
            result: None,
            state: TaskState::Started,
            description: "Sample Batch Task".into(),
            response: Some(String::new()),
            request: Some(String::new()),
            progress_description: Some("Rendering page 3 of 10".into()),
            progress_percent: 30,
            file_name: None,
            cancellation: CancellationBehaviour::CanCancel,
            internal: false,
        }
    }

    /// `spec/samples/batchtaskinfo.response.json`, compacted, with the order kept.
    const SAMPLE: &str = concat!(
        r#"{"Id":42,"Name":"SampleBatchPlugin","AssociateId":5,"DetailsTable":205,"#,
        r#""DetailsRecord":1187,"IsSystemTask":false,"IsInternalTask":false,"#,
        r#""ParameterObject":{"args":"quarterly-report","format":"pdf"},"#,
        r#""LastStarted":"2024-05-02T10:15:31","Created":"2024-05-02T10:15:30","StartCount":1,"#,
        r#""DatabaseSerialNumber":"1234567890","Context":null,"Result":null,"State":"Started","#,
        r#""Description":"Sample Batch Task","Response":"","Request":"","#,
        r#""ProgressDescription":"Rendering page 3 of 10","ProgressPercent":30,"FileName":null,"#,
        r#""CancellationBehaviour":"CanCancel","TableRight":null,"FieldProperties":{}}"#
    );

    fn oslo(include_offset: bool) -> DateStyle {
        DateStyle {
            zone: Tz::Europe__Oslo,
            include_offset,
        }
    }

    #[test]
    fn a_task_renders_exactly_as_the_documented_sample() {
        let info = render_task(&sample_task(), &oslo(false));
        assert_eq!(serde_json::to_string(&info).unwrap(), SAMPLE);
    }

    #[test]
    fn with_an_offset_last_started_keeps_the_zone_and_created_is_utc() {
        let info = render_task_with_styles(
            &sample_task(),
            &oslo(true),
            &DateStyle {
                zone: Tz::UTC,
                include_offset: true,
            },
        );
        assert_eq!(info.last_started, "2024-05-02T10:15:31+02:00");
        assert_eq!(info.created, "2024-05-02T08:15:30Z");
    }

    #[test]
    fn a_new_system_task_without_parameters_renders_nulls_and_the_empty_date() {
        let mut task = sample_task();
        task.associate_id = AssociateId::SYSTEM;
        task.parameters = None;
        task.last_started = None;
        task.state = TaskState::Aquired;
        task.database_serial = None;
        task.response = None;
        task.request = None;
        task.progress_percent = i16::MAX;
        task.cancellation = CancellationBehaviour::CancelWithWarning;
        let value = serde_json::to_value(render_task(&task, &DateStyle::utc())).unwrap();
        assert_eq!(value["IsSystemTask"], true);
        assert_eq!(value["IsInternalTask"], false);
        assert_eq!(value["ParameterObject"], serde_json::Value::Null);
        assert_eq!(value["LastStarted"], "0001-01-01T00:00:00");
        assert_eq!(value["State"], "Aquired");
        assert_eq!(value["ProgressPercent"], 32767);
        assert_eq!(value["CancellationBehaviour"], "CancelWithWarning");
        for member in ["DatabaseSerialNumber", "Response", "Request", "TableRight"] {
            assert!(value[member].is_null(), "{member}");
        }
        assert_eq!(value["FieldProperties"], serde_json::json!({}));
        assert_eq!(value.as_object().unwrap().len(), 24, "every member present");
    }

    #[test]
    fn parameters_render_in_stored_order_with_odd_keys_untouched() {
        let mut task = sample_task();
        task.parameters = Some(
            [
                ("z", "1"),
                ("A", "2"),
                ("ключ", "värde"),
                ("", "empty key"),
                ("a", "\"q\""),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        );
        let text = serde_json::to_string(&render_task(&task, &DateStyle::utc())).unwrap();
        assert!(
            text.contains(
                r#""ParameterObject":{"z":"1","A":"2","ключ":"värde","":"empty key","a":"\"q\""}"#
            ),
            "{text}"
        );
    }
}
