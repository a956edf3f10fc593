//! The form codec from outside: no body makes it panic, and encoded values read back exactly.

use proptest::prelude::*;
use sobatch_core::Parameters;
use sobatch_wire::{CarrierInput, WireError, carrier_input_from_form};

/// Percent-encodes `text` as a browser encodes a form field (space as `+`).
fn encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                encoded.push(char::from(byte));
            }
            b' ' => encoded.push('+'),
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

fn check(result: Result<CarrierInput, WireError>) -> Result<(), TestCaseError> {
    let carrier = match result {
        Ok(carrier) => carrier,
        Err(error) => {
            prop_assert!(!error.message.is_empty());
            if let Some(member) = &error.member {
                prop_assert!(error.message.contains(member.as_str()), "{}", error.message);
            }
            return Ok(());
        }
    };
    let mut errors = vec![
        carrier.start_fields().err(),
        carrier.update_fields().err(),
        carrier.int32_list("AssociateIds").err(),
    ];
    if let Ok(Some(inner)) = carrier.nested("BatchTaskInfo") {
        errors.push(inner.start_fields().err());
    }
    for error in errors.into_iter().flatten() {
        prop_assert!(!error.message.is_empty());
        if let Some(member) = &error.member {
            prop_assert!(error.message.contains(member.as_str()), "{}", error.message);
        }
    }
    Ok(())
}

fn formish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        proptest::sample::select(vec![
            "&",
            "=",
            ".",
            "[",
            "]",
            "[]",
            "%",
            "%2",
            "%41",
            "%FF",
            "%C3",
            "+",
            "Name",
            "BatchTaskInfo",
            "ParameterObject",
            "AssociateIds",
            "State",
            "Id",
            "a",
            "[0]",
        ])
        .prop_map(str::to_string),
        "\\PC{0,4}",
    ];
    proptest::collection::vec(token, 0..40).prop_map(|tokens| tokens.concat())
}

proptest! {
    #[test]
    fn reading_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        check(carrier_input_from_form(&body))?;
    }

    #[test]
    fn reading_formish_text_never_panics(text in formish()) {
        check(carrier_input_from_form(text.as_bytes()))?;
    }

    #[test]
    fn encoded_names_descriptions_and_parameters_read_back(
        name in "\\PC{1,12}",
        description in "(\\PC|[&=+%\\r\\n\\t])*",
        pairs in proptest::collection::vec(("(\\PC|[&=+%.\\[\\]])*", "(\\PC|[&=+%\\r\\n])*"), 0..8),
        nested in any::<bool>(),
    ) {
        prop_assume!(!name.trim().is_empty());
        let prefix = if nested { "BatchTaskInfo." } else { "" };
        let mut body = format!(
            "{prefix}Name={}&{prefix}Description={}",
            encode(&name),
            encode(&description)
        );
        for (key, value) in &pairs {
            body.push_str(&format!("&{prefix}ParameterObject.{}={}", encode(key), encode(value)));
        }
        let carrier = carrier_input_from_form(body.as_bytes()).unwrap();
        let carrier = if nested { carrier.nested("batchTaskInfo").unwrap().unwrap() } else { carrier };
        let fields = carrier.start_fields().unwrap();
        prop_assert_eq!(fields.name, name);
        prop_assert_eq!(fields.description, description);
        let expected: Parameters = pairs.into_iter().collect();
        prop_assert_eq!(fields.parameters.unwrap_or_default(), expected);
    }
}
