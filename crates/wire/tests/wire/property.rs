//! Properties of the codecs: no input makes binding panic, parameters survive binding and rendering
//! exactly, and dates survive formatting and parsing in any zone.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use serde_json::{Value, json};
use sobatch_core::{AssociateId, Parameters, Task, TaskId, TaskState};
use sobatch_wire::{
    BATCH_TASK_INFO_MEMBERS, CarrierInput, DateStyle, format_date, parse_date, render_task,
};

const ZONES: [Tz; 7] = [
    Tz::UTC,
    Tz::Europe__Oslo,
    Tz::America__New_York,
    Tz::Asia__Kolkata,
    Tz::Australia__Lord_Howe,
    Tz::Pacific__Chatham,
    Tz::America__St_Johns,
];

/// A member name in random ASCII case, as camelCase and PascalCase clients send them.
fn member_name() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(&BATCH_TASK_INFO_MEMBERS[..]),
        any::<u32>(),
    )
        .prop_map(|(name, mask)| {
            name.chars()
                .enumerate()
                .map(|(i, c)| {
                    if mask & (1 << (i % 32)) != 0 {
                        c.to_ascii_lowercase()
                    } else {
                        c.to_ascii_uppercase()
                    }
                })
                .collect()
        })
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        (-40_000i64..40_000).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        proptest::sample::select(vec![
            "All",
            "aquired",
            "Acquired",
            "99999",
            "7",
            "3",
            "true",
            "FALSE",
            "CannotCancel",
            "2147483648",
            "-32769",
            " 12 ",
            "",
            "0000-12-31T23:06:32.000Z",
        ])
        .prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(("\\PC{0,6}", inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A carrier-like body: member names in any case, values of any type.
fn carrier_body() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        (prop_oneof![member_name(), "\\PC{0,8}"], json_value()),
        0..12,
    )
    .prop_map(|members| {
        let object: serde_json::Map<String, Value> = members.into_iter().collect();
        serde_json::to_vec(&Value::Object(object)).unwrap()
    })
}

/// Binds `body` both ways; an error must name what was wrong.
fn bind_everything(body: &[u8]) -> Result<(), TestCaseError> {
    let Ok(carrier) = CarrierInput::from_json(body) else {
        return Ok(());
    };
    for result in [
        carrier.start_fields().map(drop),
        carrier.update_fields().map(drop),
    ] {
        if let Err(error) = result {
            prop_assert!(!error.message.is_empty());
            if let Some(member) = &error.member {
                prop_assert!(
                    error.message.contains(member.as_str()),
                    "{} does not name {member}",
                    error.message
                );
            }
        }
    }
    Ok(())
}

fn task_with(parameters: Option<Parameters>) -> Task {
    Task {
        details_table: 205,
        details_record: 1,
        parameters,
        ..Task::new(
            TaskId(1),
            "Echo",
            AssociateId(1),
            Utc.timestamp_opt(1_714_637_730, 0).unwrap(),
        )
    }
}

proptest! {
    #[test]
    fn binding_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        bind_everything(&body)?;
    }

    #[test]
    fn binding_arbitrary_text_never_panics(text in "\\PC{0,128}") {
        bind_everything(text.as_bytes())?;
    }

    #[test]
    fn binding_arbitrary_carriers_never_panics(body in carrier_body()) {
        bind_everything(&body)?;
        prop_assert!(CarrierInput::from_json(&body).is_ok(), "every object parses");
    }

    #[test]
    fn binding_any_json_value_never_panics(value in json_value()) {
        let body = serde_json::to_vec(&value).unwrap();
        let parsed = CarrierInput::from_json(&body);
        prop_assert_eq!(parsed.is_ok(), value.is_object());
        bind_everything(&body)?;
    }

    #[test]
    fn parameters_round_trip_through_binding_and_rendering(
        pairs in proptest::collection::vec(("\\PC{0,10}", "\\PC{0,16}"), 0..10),
        ignored in json_value(),
    ) {
        // Written by hand to keep the order: a serde_json::Map would sort the keys.
        let entries: Vec<String> = pairs
            .iter()
            .map(|(k, v)| {
                format!("{}:{}", serde_json::to_string(k).unwrap(), serde_json::to_string(v).unwrap())
            })
            .collect();
        let body = format!(
            r#"{{"Created":{},"name":"Echo","parameterObject":{{{}}}}}"#,
            ignored,
            entries.join(",")
        );
        let fields = CarrierInput::from_json(body.as_bytes()).unwrap().start_fields().unwrap();
        let expected: Parameters = pairs.iter().cloned().collect();
        prop_assert_eq!(fields.parameters.as_ref(), Some(&expected));

        let start = fields.into_task_start(AssociateId(1));
        let rendered = serde_json::to_string(&render_task(&task_with(start.parameters), &DateStyle::utc())).unwrap();
        let expected_text: Vec<String> = expected
            .iter()
            .map(|(k, v)| {
                format!("{}:{}", serde_json::to_string(k).unwrap(), serde_json::to_string(v).unwrap())
            })
            .collect();
        let needle = format!(r#""ParameterObject":{{{}}}"#, expected_text.join(","));
        prop_assert!(rendered.contains(&needle), "{} not in {}", needle, rendered);
    }

    #[test]
    fn dates_with_an_offset_round_trip_in_every_zone(
        seconds in 0i64..4_102_444_800,
        ticks in 0u32..10_000_000,
        zone in proptest::sample::select(&ZONES[..]),
        read_in in proptest::sample::select(&ZONES[..]),
    ) {
        let t = Utc.timestamp_opt(seconds, ticks * 100).unwrap();
        let text = format_date(Some(t), &DateStyle { zone, include_offset: true });
        prop_assert_eq!(parse_date(&text, read_in), Some(t), "{}", text);
    }

    #[test]
    fn unambiguous_wall_times_round_trip_in_their_zone(
        seconds in 0i64..4_102_444_800,
        ticks in 0u32..10_000_000,
        zone in proptest::sample::select(&ZONES[..]),
    ) {
        let t = Utc.timestamp_opt(seconds, ticks * 100).unwrap();
        let text = format_date(Some(t), &DateStyle { zone, include_offset: false });
        let wall = t.with_timezone(&zone).naive_local();
        let parsed = parse_date(&text, zone);
        prop_assert!(parsed.is_some(), "{}", text);
        if zone.from_local_datetime(&wall).single().is_some() {
            prop_assert_eq!(parsed, Some(t), "{}", text);
        } else {
            // Twice-occurring wall time: the standard-time reading is at most the DST shift away.
            let delta = (parsed.unwrap() - t).num_seconds().abs();
            prop_assert!(delta <= 3600, "{} read as {:?}", text, parsed);
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,40}", zone in proptest::sample::select(&ZONES[..])) {
        let _ = parse_date(&text, zone);
    }

    #[test]
    fn parsing_near_date_shaped_text_never_panics(
        text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,10})?(Z|[+-][0-9]{2}:?[0-9]{2})?",
        zone in proptest::sample::select(&ZONES[..]),
    ) {
        if let Some(t) = parse_date(&text, zone) {
            let again = format_date(Some(t), &DateStyle { zone: Tz::UTC, include_offset: true });
            prop_assert_eq!(parse_date(&again, Tz::UTC), Some(t));
        }
    }
}

#[test]
fn the_npm_round_trip_of_an_empty_date_is_ignored_by_start_and_update() {
    let body = json!({
        "Name": "Echo",
        "LastStarted": "0000-12-31T23:06:32.000Z",
        "Created": "0001-01-01T04:56:02.000Z",
        "State": "Started"
    })
    .to_string();
    let carrier = CarrierInput::from_json(body.as_bytes()).unwrap();
    assert_eq!(carrier.start_fields().unwrap().name, "Echo");
    assert_eq!(
        carrier.update_fields().unwrap().update.state,
        Some(TaskState::Started)
    );
    assert_eq!(
        parse_date("0000-12-31T23:06:32.000Z", Tz::Europe__Oslo),
        None
    );
    let _: DateTime<Utc> = parse_date("0001-01-01T04:56:02.000Z", Tz::UTC).unwrap();
}
