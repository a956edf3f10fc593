//! The OData archive answer against the documented samples (`spec/samples/odata/`): Slim, Full and
//! empty pages come out byte-for-byte equal as JSON values, and the XML form carries the same.

use serde_json::{Value, json};
use sobatch_wire::{
    ArchiveMode, ArchiveOutput, ArchivePage, ArchiveRow, ArchiveShape, Cell, archive_json,
    archive_xml,
};

const METADATA: &str = "https://crm.example.com/Cust12345/api/v1/Archive/BatchTasks/$metadata";

/// A sample file when the shared specification is next to the repository, for a second check
/// against the very bytes of the spec.
fn shared_sample(name: &str) -> Option<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/samples/odata")
        .join(name);
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

fn slim_rows() -> Vec<ArchiveRow> {
    let row =
        |id: i32, state: i64, starts: i64, last: &str, percent: i64, registered: &str| ArchiveRow {
            primary_key: id,
            cells: vec![
                ("DefinitionName", Cell::Text("SampleBatchPlugin".into())),
                ("Description", Cell::Text("Sample Batch Task".into())),
                ("State", Cell::Int(state)),
                ("StartCount", Cell::Int(starts)),
                ("LastStarted", Cell::Date(last.into())),
                ("ProgressPercent", Cell::Int(percent)),
                (
                    "registeredBy",
                    Cell::Associate {
                        id: 5,
                        name: "RJ".into(),
                    },
                ),
                ("registeredDate", Cell::Date(registered.into())),
            ],
        };
    vec![
        row(42, 3, 1, "2024-05-02T10:15:31", 30, "2024-05-02T08:15:30"),
        row(43, 1, 0, "0001-01-01T00:00:00", 0, "2024-05-02T08:20:02"),
    ]
}

fn page(rows: Vec<ArchiveRow>) -> ArchivePage {
    ArchivePage {
        metadata: METADATA.into(),
        next_link: None,
        rows,
    }
}

fn slim_sample() -> Value {
    json!({
      "odata.metadata": METADATA,
      "odata.nextLink": null,
      "value": [
        {
          "PrimaryKey": "42", "EntityName": "batchtask",
          "DefinitionName": "SampleBatchPlugin", "Description": "Sample Batch Task",
          "State": 3, "StartCount": 1, "LastStarted": "2024-05-02T10:15:31",
          "ProgressPercent": 30, "registeredBy": "RJ", "registeredDate": "2024-05-02T08:15:30"
        },
        {
          "PrimaryKey": "43", "EntityName": "batchtask",
          "DefinitionName": "SampleBatchPlugin", "Description": "Sample Batch Task",
          "State": 1, "StartCount": 0, "LastStarted": "0001-01-01T00:00:00",
          "ProgressPercent": 0, "registeredBy": "RJ", "registeredDate": "2024-05-02T08:20:02"
        }
      ]
    })
}

#[test]
fn a_slim_page_is_the_documented_slim_sample() {
    let written = archive_json(&page(slim_rows()), &ArchiveShape::default());
    assert_eq!(written, slim_sample());
    // Member order matters to people reading it, if not to clients.
    assert_eq!(
        serde_json::to_string(&written).unwrap(),
        serde_json::to_string(&slim_sample()).unwrap()
    );
    if let Some(shared) = shared_sample("get-batchtask.slim.response.json") {
        assert_eq!(written, shared);
    }
}

#[test]
fn a_full_page_is_the_documented_full_sample() {
    let rows = vec![ArchiveRow {
        primary_key: 42,
        cells: vec![
            ("DefinitionName", Cell::Text("SampleBatchPlugin".into())),
            ("State", Cell::Int(3)),
        ],
    }];
    let shape = ArchiveShape {
        mode: ArchiveMode::Full,
        ..ArchiveShape::default()
    };
    let written = archive_json(&page(rows), &shape);
    let expected = json!({
      "odata.metadata": METADATA,
      "odata.nextLink": null,
      "value": [{
        "PrimaryKey": 42, "EntityName": "batchtask", "StyleHint": "", "LinkHint": "",
        "TableRight": {"Mask": 1, "Reason": ""},
        "Column": {
          "DefinitionName": {"RawValue": "SampleBatchPlugin", "DisplayValue": "SampleBatchPlugin", "LinkHint": "", "TooltipHint": ""},
          "State": {"RawValue": 3, "DisplayValue": "3", "LinkHint": "", "TooltipHint": ""}
        }
      }]
    });
    assert_eq!(written, expected);
    assert_eq!(
        serde_json::to_string(&written).unwrap(),
        serde_json::to_string(&expected).unwrap()
    );
    if let Some(shared) = shared_sample("get-batchtask.full.response.json") {
        assert_eq!(written, shared);
    }
}

#[test]
fn an_empty_page_is_the_documented_empty_sample() {
    let written = archive_json(&page(Vec::new()), &ArchiveShape::default());
    assert_eq!(
        written,
        json!({"odata.metadata": METADATA, "odata.nextLink": null, "value": []})
    );
    if let Some(shared) = shared_sample("empty.response.json") {
        assert_eq!(written, shared);
    }
}

#[test]
fn display_output_writes_every_slim_cell_as_text_and_full_rows_ignore_it() {
    let shape = ArchiveShape {
        output: ArchiveOutput::Display,
        ..ArchiveShape::default()
    };
    let written = archive_json(&page(slim_rows()), &shape);
    let first = &written["value"][0];
    assert_eq!(first["State"], "3");
    assert_eq!(first["StartCount"], "1");
    assert_eq!(first["registeredBy"], "RJ");
    assert_eq!(first["PrimaryKey"], "42");

    let full = ArchiveShape {
        mode: ArchiveMode::Full,
        output: ArchiveOutput::Display,
        json_safe: false,
    };
    let written = archive_json(&page(slim_rows()), &full);
    let cell = &written["value"][0]["Column"]["registeredBy"];
    assert_eq!(cell["RawValue"], 5, "an associate's raw value is its id");
    assert_eq!(cell["DisplayValue"], "RJ");
}

#[test]
fn json_safe_rewrites_column_keys_but_not_the_envelope() {
    let rows = vec![ArchiveRow {
        primary_key: 1,
        cells: vec![("Count(State):Footer", Cell::Int(2))],
    }];
    for mode in [ArchiveMode::Slim, ArchiveMode::Full] {
        let shape = ArchiveShape {
            mode,
            json_safe: true,
            ..ArchiveShape::default()
        };
        let written = archive_json(&page(rows.clone()), &shape);
        let row = &written["value"][0];
        let cells = if mode == ArchiveMode::Full {
            &row["Column"]
        } else {
            row
        };
        assert!(cells.get("Count_State__Footer").is_some(), "{written}");
        assert!(cells.get("Count(State):Footer").is_none(), "{written}");
        assert!(written.get("odata.metadata").is_some());
    }
}

#[test]
fn the_xml_form_carries_the_envelope_and_the_rows() {
    let mut with_next = page(slim_rows());
    with_next.next_link = Some("http://h/api/v1/BatchTask?$skip=2&x=a&b".into());
    let text = archive_xml(&with_next, &ArchiveShape::default());
    assert!(text.starts_with("<?xml"), "{text}");
    assert!(text.contains("<ODataSlimResponse>"), "{text}");
    assert!(
        text.contains(&format!("<odata.metadata>{METADATA}</odata.metadata>")),
        "{text}"
    );
    assert!(
        text.contains(
            "<odata.nextLink>http://h/api/v1/BatchTask?$skip=2&amp;x=a&amp;b</odata.nextLink>"
        ),
        "{text}"
    );
    assert_eq!(text.matches("<item>").count(), 2, "{text}");
    assert!(text.contains("<PrimaryKey>42</PrimaryKey>"), "{text}");
    assert!(text.contains("<registeredBy>RJ</registeredBy>"), "{text}");

    let empty = archive_xml(&page(Vec::new()), &ArchiveShape::default());
    assert!(
        empty.contains("<odata.nextLink i:nil=\"true\" />"),
        "{empty}"
    );
    assert!(empty.contains("<value />"), "{empty}");
}
