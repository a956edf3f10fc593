//! The XML codec from outside: the documented samples' shapes, write→read round trips, and no body
//! that makes the reader panic.

use crate::fixture::{at, sample_task};
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use quick_xml::Reader;
use quick_xml::events::Event;
use sobatch_core::{AssociateId, CancellationBehaviour, Parameters, Task, TaskId, TaskState};
use sobatch_wire::xml::{
    int_xml, null_task_xml, selected_task_xml, selected_tasks_xml, task_xml, tasks_xml,
};
use sobatch_wire::{
    CarrierInput, DateStyle, MemberSelection, WireError, carrier_input_from_xml, render_task,
};

fn oslo() -> DateStyle {
    DateStyle {
        zone: Tz::Europe__Oslo,
        include_offset: false,
    }
}

/// The task of `spec/samples/xml/batchtaskinfo-array.response.xml`: new, never started.
fn new_task() -> Task {
    Task {
        id: TaskId(43),
        details_table: 0,
        details_record: 0,
        parameters: None,
        last_started: None,
        created: at("2024-05-02T08:20:02Z"),
        start_count: 0,
        state: TaskState::New,
        response: None,
        request: None,
        progress_description: None,
        progress_percent: 0,
        ..sample_task()
    }
}

/// A document as a list of lines `path=text`, `path nil` or `path empty`, in document order, with
/// whitespace between elements dropped: what "the same structure" means for the samples.
fn structure(document: &str) -> Vec<String> {
    let mut reader = Reader::from_str(document);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut lines = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(start) => {
                let nil = start
                    .attributes()
                    .flatten()
                    .any(|a| a.key.local_name().into_inner() == "nil" && &*a.value == "true");
                path.push(start.local_name().into_inner().to_string());
                assert!(!nil, "a nil element with content");
                text.clear();
            }
            Event::Empty(start) => {
                let nil = start
                    .attributes()
                    .flatten()
                    .any(|a| a.key.local_name().into_inner() == "nil" && &*a.value == "true");
                let name = start.local_name().into_inner();
                let kind = if nil { "nil" } else { "empty" };
                lines.push(format!("{}/{name} {kind}", path.join("/")));
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => text.push_str(match &*r {
                "amp" => "&",
                "lt" => "<",
                "gt" => ">",
                other => panic!("unexpected reference {other}"),
            }),
            Event::End(_) => {
                let joined = path.join("/");
                if text.trim().is_empty() && lines.last().is_some_and(|l| l.starts_with(&joined)) {
                    // A parent: its children are already listed.
                } else {
                    lines.push(format!("{joined}={text}"));
                }
                path.pop();
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    lines
}

/// `member=value` lines under `prefix`, written compactly for the expectations below.
fn lines(prefix: &str, members: &[&str]) -> Vec<String> {
    members
        .iter()
        .map(|member| format!("{prefix}/{member}"))
        .collect()
}

/// The members of `batchtaskinfo.response.xml`, in its order.
const SAMPLE_MEMBERS: [&str; 26] = [
    "TableRight nil",
    "FieldProperties empty",
    "Id=42",
    "Name=SampleBatchPlugin",
    "AssociateId=5",
    "DetailsTable=205",
    "DetailsRecord=1187",
    "IsSystemTask=false",
    "IsInternalTask=false",
    "ParameterObject/StringKeyValuePair/Key=args",
    "ParameterObject/StringKeyValuePair/Value=quarterly-report",
    "ParameterObject/StringKeyValuePair/Key=format",
    "ParameterObject/StringKeyValuePair/Value=pdf",
    "LastStarted=2024-05-02T10:15:31",
    "Created=2024-05-02T10:15:30",
    "StartCount=1",
    "DatabaseSerialNumber=1234567890",
    "Context nil",
    "Result nil",
    "State=Started",
    "Description=Sample Batch Task",
    "Response=",
    "Request=",
    "ProgressDescription=Rendering page 3 of 10",
    "ProgressPercent=30",
    "FileName nil",
];

#[test]
fn a_task_renders_with_the_structure_of_the_documented_sample() {
    let text = task_xml(&render_task(&sample_task(), &oslo()));
    let mut expected = lines("BatchTaskInfo", &SAMPLE_MEMBERS);
    expected.push("BatchTaskInfo/CancellationBehaviour=CanCancel".into());
    assert_eq!(structure(&text), expected, "{text}");
    assert!(text.starts_with(concat!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
        "<BatchTaskInfo xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
        "  <TableRight i:nil=\"true\" />\n  <FieldProperties />\n  <Id>42</Id>\n"
    )));
    assert!(text.contains("  <Response></Response>\n"));
    assert!(text.ends_with(
        "  <CancellationBehaviour>CanCancel</CancellationBehaviour>\n</BatchTaskInfo>\n"
    ));
}

#[test]
fn a_list_renders_with_the_structure_of_the_documented_array_sample() {
    let text = tasks_xml(&[render_task(&new_task(), &oslo())]);
    let expected = lines(
        "ArrayOfBatchTaskInfo/BatchTaskInfo",
        &[
            "TableRight nil",
            "FieldProperties empty",
            "Id=43",
            "Name=SampleBatchPlugin",
            "AssociateId=5",
            "DetailsTable=0",
            "DetailsRecord=0",
            "IsSystemTask=false",
            "IsInternalTask=false",
            "ParameterObject nil",
            "LastStarted=0001-01-01T00:00:00",
            "Created=2024-05-02T10:20:02",
            "StartCount=0",
            "DatabaseSerialNumber=1234567890",
            "Context nil",
            "Result nil",
            "State=New",
            "Description=Sample Batch Task",
            "Response nil",
            "Request nil",
            "ProgressDescription nil",
            "ProgressPercent=0",
            "FileName nil",
            "CancellationBehaviour=CanCancel",
        ],
    );
    assert_eq!(structure(&text), expected, "{text}");
    assert!(text.contains(
        "<ArrayOfBatchTaskInfo xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <BatchTaskInfo>\n    <TableRight i:nil=\"true\" />\n"
    ), "{text}");
    assert_eq!(
        tasks_xml(&[]),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ArrayOfBatchTaskInfo xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" />\n"
    );
}

#[test]
fn a_selection_nils_every_other_member_in_xsd_order() {
    let info = render_task(&sample_task(), &oslo());
    let selected = MemberSelection::parse("name,State,ParameterObject")
        .apply(&info)
        .unwrap();
    let text = selected_task_xml(&selected);
    let structure = structure(&text);
    assert_eq!(structure.len(), 23 + 4, "{text}");
    assert_eq!(structure[0], "BatchTaskInfo/TableRight nil");
    assert_eq!(structure[1], "BatchTaskInfo/FieldProperties nil");
    assert_eq!(structure[2], "BatchTaskInfo/Id nil");
    assert_eq!(structure[3], "BatchTaskInfo/Name=SampleBatchPlugin");
    assert!(structure.contains(&"BatchTaskInfo/State=Started".to_string()));
    assert!(
        structure
            .contains(&"BatchTaskInfo/ParameterObject/StringKeyValuePair/Key=format".to_string())
    );
    assert_eq!(
        structure.last().unwrap(),
        "BatchTaskInfo/CancellationBehaviour nil"
    );

    let everything = MemberSelection::parse(&sobatch_wire::BATCH_TASK_INFO_MEMBERS.join(","))
        .apply(&info)
        .unwrap();
    assert_eq!(
        selected_task_xml(&everything),
        task_xml(&info),
        "selecting every member changes nothing"
    );
    let list = selected_tasks_xml(&[selected.clone(), selected]);
    assert_eq!(list.matches("<BatchTaskInfo>").count(), 2);
    assert!(list.contains("<ArrayOfBatchTaskInfo xmlns:i="));
}

#[test]
fn written_documents_are_well_formed_and_read_back() {
    let info = render_task(&sample_task(), &oslo());
    let carrier = carrier_input_from_xml(task_xml(&info).as_bytes()).unwrap();
    let fields = carrier.start_fields().unwrap();
    assert_eq!(fields.name, "SampleBatchPlugin");
    assert_eq!(fields.details_table, 205);
    assert_eq!(fields.request.as_deref(), Some(""));
    assert_eq!(fields.context, None);
    assert_eq!(carrier.update_fields().unwrap().id, Some(42));
    assert_eq!(
        carrier.update_fields().unwrap().update.state,
        Some(TaskState::Started)
    );
    // A primitive or nil result is not a carrier.
    assert!(carrier_input_from_xml(int_xml(42).as_bytes()).is_err());
    assert!(carrier_input_from_xml(null_task_xml().as_bytes()).is_err());
}

fn task_with(name: String, description: String, parameters: Parameters) -> Task {
    Task {
        id: TaskId(1),
        name,
        associate_id: AssociateId(1),
        details_table: 205,
        details_record: 1,
        parameters: Some(parameters),
        last_started: None,
        created: Utc.timestamp_opt(1_714_637_730, 0).unwrap(),
        updated: None,
        updated_count: 0,
        start_count: 0,
        database_serial: None,
        context: None,
        result: None,
        state: TaskState::New,
        description,
        response: None,
        request: None,
        progress_description: None,
        progress_percent: 0,
        file_name: None,
        cancellation: CancellationBehaviour::CanCancel,
        internal: false,
    }
}

/// Text with the characters XML must escape or would otherwise change: markup, quotes, line ends,
/// tabs, and control characters. NUL is left out: no XML can carry it (it is written as U+FFFD).
fn awkward_text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(
        "(\\PC|[<>&'\"\\r\\n\\t \\x01\\x08\\x1f\\x{{FFFE}}]|\\]\\]>|&amp;|<!\\[CDATA\\[){{0,{max}}}"
    ))
    .unwrap()
}

/// Binds a body every way an operation might; an error must say what was wrong.
fn bind_everything(result: Result<CarrierInput, WireError>) -> Result<(), TestCaseError> {
    let carrier = match result {
        Ok(carrier) => carrier,
        Err(error) => {
            prop_assert!(!error.message.is_empty());
            return Ok(());
        }
    };
    let mut errors = vec![
        carrier.start_fields().err(),
        carrier.update_fields().err(),
        carrier.int32_list("AssociateIds").err(),
        carrier.state_selector("State").err(),
    ];
    match carrier.nested("BatchTaskInfo") {
        Ok(Some(inner)) => {
            errors.push(inner.start_fields().err());
            errors.push(inner.update_fields().err());
        }
        Ok(None) => {}
        Err(error) => errors.push(Some(error)),
    }
    for error in errors.into_iter().flatten() {
        prop_assert!(!error.message.is_empty());
        if let Some(member) = &error.member {
            prop_assert!(
                error.message.contains(member.as_str()),
                "{} does not name {member}",
                error.message
            );
        }
    }
    Ok(())
}

/// Fragments that make XML-ish soup: tags of carrier members, markup, entities, and noise.
fn xmlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        proptest::sample::select(vec![
            "<",
            ">",
            "</",
            "/>",
            "<BatchTaskInfo>",
            "</BatchTaskInfo>",
            "<Name>",
            "</Name>",
            "<ParameterObject>",
            "</ParameterObject>",
            "<StringKeyValuePair>",
            "</StringKeyValuePair>",
            "<Key>",
            "</Key>",
            "<Value>",
            "</Value>",
            "<AssociateIds>",
            "</AssociateIds>",
            "<int>",
            "</int>",
            "<a:State xmlns:a=\"u\">",
            "</a:State>",
            " i:nil=\"true\"",
            "<Value i:nil=\"true\"/>",
            "&amp;",
            "&#x41;",
            "&#0;",
            "&bogus;",
            "&",
            "<![CDATA[",
            "]]>",
            "<!--",
            "-->",
            "<?xml version=\"1.0\"?>",
            "<!DOCTYPE x [<!ENTITY e \"e\">]>",
            "<?pi?>",
            "\u{FEFF}",
            "\r\n",
            " ",
            "Started",
            "42",
            "-1",
            "true",
        ])
        .prop_map(str::to_string),
        "\\PC{0,6}",
    ];
    proptest::collection::vec(token, 0..40).prop_map(|tokens| tokens.concat())
}

/// A random well-formed element tree, with carrier member names and arbitrary ones.
fn element_tree() -> impl Strategy<Value = String> {
    let name = proptest::sample::select(vec![
        "Name",
        "name",
        "Id",
        "State",
        "Description",
        "ParameterObject",
        "StringKeyValuePair",
        "Key",
        "Value",
        "AssociateIds",
        "BatchTaskIds",
        "int",
        "BatchTaskInfo",
        "ArrayOfint",
        "x",
    ]);
    let leaf = (name.clone(), awkward_text(6), any::<u8>()).prop_map(|(name, text, flags)| {
        let mut escaped = String::new();
        for c in text.chars() {
            match c {
                '<' => escaped.push_str("&lt;"),
                '&' => escaped.push_str("&amp;"),
                '\u{1}'..='\u{1f}' if !matches!(c, '\t' | '\n' | '\r') => {
                    escaped.push_str(&format!("&#x{:X};", u32::from(c)));
                }
                _ => escaped.push(c),
            }
        }
        match flags % 4 {
            0 => format!("<{name} i:nil=\"true\"/>"),
            1 => format!("<{name}/>"),
            _ => format!("<{name}>{escaped}</{name}>"),
        }
    });
    leaf.prop_recursive(6, 48, 5, move |inner| {
        (name.clone(), proptest::collection::vec(inner, 0..5)).prop_map(|(name, children)| {
            format!(
                "<p:{name} xmlns:p=\"urn:p\">{}</p:{name}>",
                children.concat()
            )
        })
    })
    .prop_map(|body| {
        format!("<request xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">{body}</request>")
    })
}

proptest! {
    #[test]
    fn reading_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        bind_everything(carrier_input_from_xml(&body))?;
    }

    #[test]
    fn reading_xmlish_text_never_panics(text in xmlish()) {
        bind_everything(carrier_input_from_xml(text.as_bytes()))?;
    }

    #[test]
    fn reading_well_formed_trees_never_panics_and_always_parses(text in element_tree()) {
        let result = carrier_input_from_xml(text.as_bytes());
        prop_assert!(result.is_ok(), "{}: {:?}", text, result.err());
        bind_everything(result)?;
    }

    #[test]
    fn a_rendered_task_reads_back_with_the_same_name_description_and_parameters(
        name in awkward_text(12),
        description in awkward_text(24),
        pairs in proptest::collection::vec((awkward_text(8), awkward_text(16)), 0..8),
    ) {
        // A blank name is refused on start, so give it a visible first character.
        let name = format!("N{name}");
        let parameters: Parameters = pairs.into_iter().collect();
        let task = task_with(name.clone(), description.clone(), parameters.clone());
        let text = task_xml(&render_task(&task, &DateStyle::utc()));
        let fields = carrier_input_from_xml(text.as_bytes())
            .map_err(|error| TestCaseError::fail(format!("{error}\n{text}")))?
            .start_fields()
            .map_err(|error| TestCaseError::fail(format!("{error}\n{text}")))?;
        prop_assert_eq!(fields.name, name);
        prop_assert_eq!(fields.description, description);
        prop_assert_eq!(fields.parameters, Some(parameters));
    }
}
