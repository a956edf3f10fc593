//! `application/x-www-form-urlencoded` request bodies (spec §4.2 [R], §5 Q21), read into the same
//! member tree a JSON body gives, so every operation binds a form through the getters it already
//! uses. Every value is a string; the getters accept strings for numbers, booleans and enums.
//!
//! Parameter names:
//!
//! * `Id=5`, `State=Started`: a flat member, matched case-insensitively when bound.
//! * A name given more than once is a list: `AssociateIds=1&AssociateIds=2` binds like `[1, 2]`.
//!   `AssociateIds[]=1` and `AssociateIds[0]=1` (jQuery and MVC styles) are the same thing.
//!   A repeated scalar member such as `Name` therefore fails to bind as a string.
//! * `BatchTaskInfo.Name=Echo` or `BatchTaskInfo[Name]=Echo`: a member of a nested object, to any
//!   depth up to [`MAX_FORM_DEPTH`]; the parts match case-insensitively (`batchtaskinfo.name`).
//! * `ParameterObject.key=value` or `ParameterObject[key]=value`: a parameter entry whose key is the
//!   rest of the name, verbatim: it may hold dots or brackets, and its case is kept.
//!
//! A body may mix flat and dotted names: a bare `POST /api/v1/BatchTask` form is the carrier's own
//! members (`Name=Echo&Description=x&ParameterObject.k=v`). Names and values are percent-decoded
//! with `+` as a space; a `%` not followed by two hex digits is kept as it is, as browsers and
//! ASP.NET do; bytes that do not decode to UTF-8 are refused. Empty names are skipped.
//!
//! Parsed by hand rather than with `serde_urlencoded`, which would replace invalid UTF-8 instead
//! of refusing it, and would need a second pass to keep repeated names in order anyway.

use crate::input::{CarrierInput, Node, WireError};

/// The most parameters a form body may hold (ASP.NET Core's default is 1024; this leaves room for
/// large parameter dictionaries).
pub const MAX_FORM_FIELDS: usize = 4096;
/// The deepest `a.b.c` nesting a parameter name may have.
pub const MAX_FORM_DEPTH: usize = 32;

const PARAMETERS: &str = "ParameterObject";

/// Parses a form body into a carrier (see the module docs for the naming rules).
pub fn carrier_input_from_form(body: &[u8]) -> Result<CarrierInput, WireError> {
    let mut members: Vec<(String, Node)> = Vec::new();
    let mut fields = 0usize;
    for pair in body.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        fields += 1;
        if fields > MAX_FORM_FIELDS {
            return Err(body_error(format!(
                "the form has more than the {MAX_FORM_FIELDS} parameters allowed"
            )));
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let name = decode(name, fields, "name")?;
        if name.is_empty() {
            continue;
        }
        let value = decode(value, fields, "value")?;
        insert(&mut members, &name, &name, value, 1)?;
    }
    Ok(CarrierInput::from_members(members))
}

/// Percent-decodes one name or value, `+` being a space.
fn decode(raw: &[u8], number: usize, what: &str) -> Result<String, WireError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some((&first, tail)) = rest.split_first() {
        match (first, tail) {
            (b'+', _) => {
                bytes.push(b' ');
                rest = tail;
            }
            (b'%', [high, low, after @ ..])
                if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() =>
            {
                bytes.push(hex_value(*high) << 4 | hex_value(*low));
                rest = after;
            }
            (other, _) => {
                bytes.push(other);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).map_err(|error| {
        body_error(format!(
            "the {what} of form parameter {number} is not valid UTF-8 once percent-decoded \
             (bad byte at offset {})",
            error.utf8_error().valid_up_to()
        ))
    })
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

/// Adds `value` under `name` (the part of `full` still to place) to `members`.
fn insert(
    members: &mut Vec<(String, Node)>,
    full: &str,
    name: &str,
    value: String,
    depth: usize,
) -> Result<(), WireError> {
    if depth > MAX_FORM_DEPTH {
        return Err(member_error(
            full,
            format!("{} nests deeper than {MAX_FORM_DEPTH} levels", shown(full)),
        ));
    }
    let split = name.find(['.', '[']).unwrap_or(name.len());
    let (head, rest) = name.split_at(split);
    if head.is_empty() {
        // `.x` or `[x]` with nothing before it names no member: ignored, like an empty name.
        return Ok(());
    }
    if rest.is_empty() || rest == "[]" || is_index(rest) {
        return add_value(members, head, full, value);
    }
    if head.eq_ignore_ascii_case(PARAMETERS) {
        let key = rest
            .strip_prefix('.')
            .or_else(|| rest.strip_prefix('[').and_then(|key| key.strip_suffix(']')))
            .ok_or_else(|| {
                member_error(
                    full,
                    format!(
                        "{} must be {PARAMETERS}.key or {PARAMETERS}[key]",
                        shown(full)
                    ),
                )
            })?;
        let entries = object_member(members, head, full)?;
        // A repeated key is kept twice; binding keeps its first position and last value.
        entries.push((key.to_string(), Node::Str(value)));
        return Ok(());
    }
    let inner = match rest.strip_prefix('.') {
        Some(after_dot) => after_dot.to_string(),
        None => {
            // `[part]` followed by whatever comes next: `a[b][c]` → `b[c]`, `a[b].c` → `b.c`.
            let close = rest
                .find(']')
                .ok_or_else(|| member_error(full, format!("{} has an unclosed [", shown(full))))?;
            format!("{}{}", &rest[1..close], &rest[close + 1..])
        }
    };
    let entries = object_member(members, head, full)?;
    insert(entries, full, &inner, value, depth + 1)
}

/// `[3]`: an index, which only orders list items and so is dropped.
fn is_index(rest: &str) -> bool {
    rest.strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Adds a value to member `head`: a new string, or one more item of a list.
fn add_value(
    members: &mut Vec<(String, Node)>,
    head: &str,
    full: &str,
    value: String,
) -> Result<(), WireError> {
    match members
        .iter_mut()
        .rev()
        .find(|(name, _)| name.eq_ignore_ascii_case(head))
    {
        None => members.push((head.to_string(), Node::Str(value))),
        Some((_, Node::Array(items))) => items.push(Node::Str(value)),
        Some((_, node @ Node::Str(_))) => {
            let first = std::mem::replace(node, Node::Null);
            *node = Node::Array(vec![first, Node::Str(value)]);
        }
        Some(_) => {
            return Err(member_error(
                full,
                format!(
                    "{} is given both as a value and with dotted members",
                    shown(full)
                ),
            ));
        }
    }
    Ok(())
}

/// The object in member `head`, created if absent.
fn object_member<'a>(
    members: &'a mut Vec<(String, Node)>,
    head: &str,
    full: &str,
) -> Result<&'a mut Vec<(String, Node)>, WireError> {
    let index = match members
        .iter()
        .rposition(|(name, _)| name.eq_ignore_ascii_case(head))
    {
        Some(index) => index,
        None => {
            members.push((head.to_string(), Node::Object(Vec::new())));
            members.len() - 1
        }
    };
    match members.get_mut(index) {
        Some((_, Node::Object(entries))) => Ok(entries),
        _ => Err(member_error(
            full,
            format!(
                "{} is given both as a value and with dotted members",
                shown(full)
            ),
        )),
    }
}

fn body_error(message: String) -> WireError {
    WireError {
        member: None,
        message,
    }
}

/// An error about parameter `member`, whose name the message is expected to contain.
fn member_error(member: &str, message: String) -> WireError {
    WireError {
        member: Some(shown(member)),
        message,
    }
}

/// A parameter name for a message, cut to a sensible length: the member of an error and its
/// message use the same cut name, so the message still names the member.
fn shown(name: &str) -> String {
    const MAX: usize = 128;
    let mut shown: String = name.chars().take(MAX).collect();
    if name.chars().nth(MAX).is_some() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use sobatch_core::{CancellationBehaviour, StateSelector, TaskState};

    fn read(text: &str) -> CarrierInput {
        carrier_input_from_form(text.as_bytes()).unwrap()
    }

    #[test]
    fn a_bare_post_form_is_the_carriers_own_members() {
        let fields = read(
            "Name=Echo&Description=two+words%21&ParameterObject.k=v&parameterobject%5BOdd.Key%5D=a%26b\
             &IsSystemTask=TRUE&DetailsRecord=17&CancellationBehaviour=cannotcancel",
        )
        .start_fields()
        .unwrap();
        assert_eq!(fields.name, "Echo");
        assert_eq!(fields.description, "two words!");
        assert!(fields.is_system_task);
        assert_eq!(fields.details_record, 17);
        assert_eq!(
            fields.cancellation,
            Some(CancellationBehaviour::CannotCancel)
        );
        assert_eq!(
            fields.parameters.unwrap().iter().collect::<Vec<_>>(),
            vec![("k", "v"), ("Odd.Key", "a&b")]
        );
    }

    #[test]
    fn flat_agents_parameters_and_repeated_names_bind() {
        let carrier = read(
            "Id=5&State=Started&AssociateIds=1&associateids=2&BatchTaskIds[]=3&BatchTaskIds[]=4&Ids[0]=8&Ids[1]=9",
        );
        assert_eq!(carrier.int32("id").unwrap(), Some(5));
        assert_eq!(
            carrier.state_selector("State").unwrap(),
            Some(StateSelector::Only(TaskState::Started))
        );
        assert_eq!(
            carrier.int32_list("AssociateIds").unwrap(),
            Some(vec![1, 2])
        );
        assert_eq!(
            carrier.int32_list("BatchTaskIds").unwrap(),
            Some(vec![3, 4])
        );
        assert_eq!(carrier.int32_list("Ids").unwrap(), Some(vec![8, 9]));
        let error = read("Name=a&Name=b").start_fields().unwrap_err();
        assert_eq!(error.message, "Name must be a string, not an array");
    }

    #[test]
    fn dotted_and_bracketed_names_nest() {
        let carrier = read(
            "batchtaskinfo.name=Echo&BatchTaskInfo[Description]=d&BATCHTASKINFO.ParameterObject.a.b=1\
             &BatchTaskInfo[ParameterObject][x]=2&BatchTaskInfo.Id=42&Outer[Inner].Leaf=z",
        );
        let inner = carrier.nested("BatchTaskInfo").unwrap().unwrap();
        let fields = inner.start_fields().unwrap();
        assert_eq!(fields.name, "Echo");
        assert_eq!(fields.description, "d");
        assert_eq!(
            fields.parameters.unwrap().iter().collect::<Vec<_>>(),
            vec![("a.b", "1"), ("x", "2")]
        );
        assert_eq!(inner.update_fields().unwrap().id, Some(42));
        let leaf = carrier
            .nested("outer")
            .unwrap()
            .unwrap()
            .nested("inner")
            .unwrap()
            .unwrap();
        assert_eq!(leaf.string("leaf").unwrap().as_deref(), Some("z"));
    }

    #[test]
    fn decoding_keeps_stray_percents_and_refuses_invalid_utf8() {
        let carrier = read("a=100%&b=%zz&c=%E2%9C%93&d&=skipped&&e=%2B+");
        assert_eq!(carrier.string("a").unwrap().as_deref(), Some("100%"));
        assert_eq!(carrier.string("b").unwrap().as_deref(), Some("%zz"));
        assert_eq!(carrier.string("c").unwrap().as_deref(), Some("✓"));
        assert_eq!(carrier.string("d").unwrap().as_deref(), Some(""));
        assert_eq!(carrier.string("e").unwrap().as_deref(), Some("+ "));
        assert!(!carrier.has(""));
        for body in [&b"a=%FF"[..], b"%C3%28=x", b"a=\xFF"] {
            let error = carrier_input_from_form(body).unwrap_err();
            assert_eq!(error.member, None);
            assert!(error.message.contains("UTF-8"), "{error}");
        }
    }

    #[test]
    fn an_empty_form_is_an_empty_carrier() {
        assert!(read("").update_fields().unwrap().update.is_empty());
        assert!(
            read("&&")
                .start_fields()
                .unwrap_err()
                .message
                .contains("Name is required")
        );
    }

    #[test]
    fn conflicting_and_malformed_names_are_refused_with_the_name() {
        for (body, member) in [
            ("BatchTaskInfo=x&BatchTaskInfo.Name=y", "BatchTaskInfo.Name"),
            ("BatchTaskInfo.Name=y&BatchTaskInfo=x", "BatchTaskInfo"),
            ("ParameterObject[k=v", "ParameterObject[k"),
            ("a[b=v", "a[b"),
        ] {
            let error = carrier_input_from_form(body.as_bytes()).unwrap_err();
            assert_eq!(error.member.as_deref(), Some(member), "{body}");
            assert!(error.message.contains(member), "{body}: {error}");
        }
        let deep = format!("a{}=1", ".a".repeat(MAX_FORM_DEPTH));
        let error = carrier_input_from_form(deep.as_bytes()).unwrap_err();
        assert!(error.message.contains("nests deeper"), "{error}");
        let fits = format!("a{}=1", ".a".repeat(MAX_FORM_DEPTH - 1));
        assert!(carrier_input_from_form(fits.as_bytes()).is_ok());
        let many = "a=1&".repeat(MAX_FORM_FIELDS + 1);
        assert!(carrier_input_from_form(many.as_bytes()).is_err());
    }

    #[test]
    fn a_parameter_value_with_separators_survives_when_encoded() {
        let fields = read("Name=E&ParameterObject%5Bq%5D=a%3Db%26c%3Dd")
            .start_fields()
            .unwrap();
        assert_eq!(
            fields.parameters.unwrap().iter().collect::<Vec<_>>(),
            vec![("q", "a=b&c=d")]
        );
    }
}
