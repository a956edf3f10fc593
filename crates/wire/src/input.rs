//! Request binding: turns a JSON carrier into the fields an operation uses, the way ASP.NET binds
//! SuperOffice requests: member names match case-insensitively (the npm client sends camelCase, the
//! docs PascalCase), a repeated member's last value wins, and enums are names, numbers or numeric
//! strings.
//!
//! Binding is lazy. The body is parsed as JSON once, but a member is converted only when an
//! operation asks for it, so a member the operation ignores is never validated (spec §1.5 "Ignored
//! members"). That matters because clients send back whole carriers with dates this server cannot
//! read (the npm client's year-0000 empty date, spec §2.9).
//!
//! Also here: the rule that splits `GET /BatchTask/{segment}` into an id or a state (spec §1.3).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use sobatch_core::{
    AssociateId, CancellationBehaviour, Parameters, StateSelector, TaskStart, TaskState, TaskUpdate,
};

/// Why a request body could not be bound. `member` names the carrier member at fault; `None` means
/// the body as a whole (not JSON, not an object).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WireError {
    pub member: Option<String>,
    pub message: String,
}

impl WireError {
    fn body(message: impl Into<String>) -> Self {
        WireError {
            member: None,
            message: message.into(),
        }
    }

    fn member(member: &str, message: impl Into<String>) -> Self {
        WireError {
            member: Some(member.to_string()),
            message: message.into(),
        }
    }
}

/// A request carrier, parsed as JSON but not yet converted.
#[derive(Debug, Clone)]
pub struct CarrierInput {
    /// Members in body order, duplicates kept; lookups take the last match.
    members: Vec<(String, Node)>,
}

/// What StartBatchJob / `POST /BatchTask` reads from a carrier (spec §1.7). Server-owned members
/// (Id, State, dates, counters, progress, Result, DatabaseSerialNumber, rights) are not here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartFields {
    /// Never blank, but not yet trimmed or cut: `TaskStart::normalize` does that.
    pub name: String,
    pub description: String,
    pub request: Option<String>,
    pub response: Option<String>,
    pub context: Option<String>,
    pub file_name: Option<String>,
    pub parameters: Option<Parameters>,
    pub details_table: i16,
    pub details_record: i32,
    pub cancellation: Option<CancellationBehaviour>,
    pub is_system_task: bool,
    pub is_internal_task: bool,
    /// The owner the client asked for; the server decides whether to honour it (only `0`, meaning
    /// a system task, has an effect).
    pub associate_id: Option<i32>,
}

impl StartFields {
    /// The domain request, owned by `owner`. The ownership flags (`is_system_task`,
    /// `associate_id`) are the caller's to weigh before choosing `owner`.
    pub fn into_task_start(self, owner: AssociateId) -> TaskStart {
        TaskStart {
            name: self.name,
            owner,
            parameters: self.parameters,
            details_table: self.details_table,
            details_record: self.details_record,
            description: self.description,
            request: self.request,
            response: self.response,
            context: self.context,
            file_name: self.file_name,
            cancellation: self.cancellation,
            application: None,
        }
    }
}

/// What UpdateBatchTask / `PUT /BatchTask/{Id}` reads from a carrier (spec §1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateFields {
    /// The body's `Id`; REST callers use the path's instead.
    pub id: Option<i32>,
    pub update: TaskUpdate,
}

/// A `GET /BatchTask/{segment}` path segment, already URL-decoded, classified as spec §1.3 says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// An integer that fits int32 (zero and negatives included: they are ids no task has).
    Id(i32),
    /// An integer too large for int32: no task can have it.
    OutOfRange,
    /// A state name, case-insensitive, or `All`. Numbers never select a state here.
    State(StateSelector),
    /// Anything else.
    Invalid,
}

/// Classifies a path segment: `^[+-]?[0-9]+$` is an id (or out of range), a state name is a state,
/// anything else is invalid.
pub fn parse_int32_segment(s: &str) -> Segment {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<i32>() {
            Ok(id) => Segment::Id(id),
            Err(_) => Segment::OutOfRange,
        };
    }
    if s.eq_ignore_ascii_case("All") {
        return Segment::State(StateSelector::All);
    }
    if s.eq_ignore_ascii_case("Acquired") {
        return Segment::State(StateSelector::Only(TaskState::Aquired));
    }
    TaskState::ALL
        .into_iter()
        .find(|state| state.name().eq_ignore_ascii_case(s))
        .map_or(Segment::Invalid, |state| {
            Segment::State(StateSelector::Only(state))
        })
}

impl CarrierInput {
    /// No members at all: what an Agents call without a body binds to (every parameter default).
    pub fn empty() -> CarrierInput {
        CarrierInput {
            members: Vec::new(),
        }
    }

    /// A carrier from members that another body format (XML, a form) has already parsed.
    pub(crate) fn from_members(members: Vec<(String, Node)>) -> CarrierInput {
        CarrierInput { members }
    }

    /// Adds query-string parameters for the members the body does not have (the body wins, as
    /// the Agents surface documents). A name given several times becomes a list, so
    /// `AssociateIds=1&AssociateIds=2` binds like `[1, 2]`. Names starting with `$` are query
    /// options, not parameters, and are skipped.
    pub fn with_query(mut self, pairs: &[(String, String)]) -> CarrierInput {
        let mut added: Vec<(String, Node)> = Vec::new();
        for (name, value) in pairs {
            if name.starts_with('$') || self.has(name) {
                continue;
            }
            match added
                .iter_mut()
                .find(|(existing, _)| existing.eq_ignore_ascii_case(name))
            {
                Some((_, Node::Array(items))) => items.push(Node::Str(value.clone())),
                Some((_, node)) => {
                    let first = std::mem::replace(node, Node::Null);
                    *node = Node::Array(vec![first, Node::Str(value.clone())]);
                }
                None => added.push((name.clone(), Node::Str(value.clone()))),
            }
        }
        self.members.extend(added);
        self
    }

    /// Parses a request body that must be one JSON object (a UTF-8 byte-order mark is allowed).
    pub fn from_json(body: &[u8]) -> Result<CarrierInput, WireError> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let text = std::str::from_utf8(body).map_err(|error| {
            WireError::body(format!(
                "the request body is not valid UTF-8 (bad byte at offset {})",
                error.valid_up_to()
            ))
        })?;
        if text.trim().is_empty() {
            return Err(WireError::body(
                "the request body is empty; a JSON object was expected",
            ));
        }
        let node: Node = serde_json::from_str(text).map_err(|error| {
            WireError::body(format!("the request body is not valid JSON: {error}"))
        })?;
        match node {
            Node::Object(members) => Ok(CarrierInput { members }),
            other => Err(WireError::body(format!(
                "the request body must be a JSON object, not {}",
                other.kind()
            ))),
        }
    }

    /// The object in member `name`, for wrapped requests such as the Agents
    /// `{"batchTaskInfo": {…}}`. Absent or `null` is `None`.
    pub fn nested(&self, name: &str) -> Result<Option<CarrierInput>, WireError> {
        match self.get(name) {
            None | Some(Node::Null) => Ok(None),
            Some(Node::Object(members)) => Ok(Some(CarrierInput {
                members: members.clone(),
            })),
            Some(other) => Err(WireError::member(
                name,
                format!("{name} must be an object, not {}", other.kind()),
            )),
        }
    }

    /// Whether the body has member `name` at all (with any value, `null` included).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn start_fields(&self) -> Result<StartFields, WireError> {
        let name = self
            .string("Name")?
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| {
                WireError::member("Name", "Name is required: it selects the task definition")
            })?;
        let details_table = self
            .int_in_range("DetailsTable", i16::MIN.into(), i16::MAX.into())?
            .and_then(|value| i16::try_from(value).ok())
            .unwrap_or(0);
        Ok(StartFields {
            name,
            description: self.string("Description")?.unwrap_or_default(),
            request: self.string("Request")?,
            response: self.string("Response")?,
            context: self.string("Context")?,
            file_name: self.string("FileName")?,
            parameters: self.parameters("ParameterObject")?,
            details_table,
            details_record: self.int32("DetailsRecord")?.unwrap_or(0),
            cancellation: self.cancellation("CancellationBehaviour")?,
            is_system_task: self.boolean("IsSystemTask")?.unwrap_or(false),
            is_internal_task: self.boolean("IsInternalTask")?.unwrap_or(false),
            associate_id: self.int32("AssociateId")?,
        })
    }

    pub fn update_fields(&self) -> Result<UpdateFields, WireError> {
        let description = self
            .get("Description")
            .map(|_| self.string("Description").map(Option::unwrap_or_default))
            .transpose()?;
        Ok(UpdateFields {
            id: self.int32("Id")?,
            update: TaskUpdate {
                state: self.task_state("State")?,
                description,
                response: self.nullable_string("Response")?,
                request: self.nullable_string("Request")?,
            },
        })
    }

    /// A string member; `null` and absent are `None`. Other JSON types are an error.
    pub fn string(&self, name: &str) -> Result<Option<String>, WireError> {
        match self.get(name) {
            None | Some(Node::Null) => Ok(None),
            Some(Node::Str(text)) => Ok(Some(text.clone())),
            Some(other) => Err(WireError::member(
                name,
                format!("{name} must be a string, not {}", other.kind()),
            )),
        }
    }

    /// An int32 member from a JSON integer or an integer string; `null` and absent are `None`.
    pub fn int32(&self, name: &str) -> Result<Option<i32>, WireError> {
        Ok(self
            .int_in_range(name, i32::MIN.into(), i32::MAX.into())?
            .and_then(|value| i32::try_from(value).ok()))
    }

    /// A boolean member from `true`/`false` or the strings `"true"`/`"false"` in any case.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, WireError> {
        match self.get(name) {
            None | Some(Node::Null) => Ok(None),
            Some(Node::Bool(value)) => Ok(Some(*value)),
            Some(Node::Str(text)) if text.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Node::Str(text)) if text.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(WireError::member(
                name,
                format!("{name} must be true or false, not {}", other.describe()),
            )),
        }
    }

    /// A list of int32s (the Agents `AssociateIds`, `BatchTaskIds`); `null` and absent are `None`.
    pub fn int32_list(&self, name: &str) -> Result<Option<Vec<i32>>, WireError> {
        match self.get(name) {
            None | Some(Node::Null) => Ok(None),
            // A lone value, as a query string or a form gives one: `5` or `"5,7"`.
            Some(Node::Str(text)) => text
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| {
                    part.parse::<i32>().map_err(|_| {
                        WireError::member(
                            name,
                            format!("{name} must hold whole numbers, not {}", quoted(part)),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(node @ (Node::Int(_) | Node::UInt(_) | Node::Float(_))) => {
                let value = whole_number(node, name, i32::MIN.into(), i32::MAX.into())?
                    .and_then(|value| i32::try_from(value).ok());
                Ok(value.map(|value| vec![value]))
            }
            Some(Node::Array(items)) => items
                .iter()
                .map(|item| {
                    whole_number(item, name, i32::MIN.into(), i32::MAX.into())?
                        .and_then(|value| i32::try_from(value).ok())
                        .ok_or_else(|| {
                            WireError::member(
                                name,
                                format!("{name} must hold whole numbers, not null"),
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(WireError::member(
                name,
                format!(
                    "{name} must be a list of whole numbers, not {}",
                    other.kind()
                ),
            )),
        }
    }

    /// A state selector (`All` allowed), by name, number or numeric string.
    pub fn state_selector(&self, name: &str) -> Result<Option<StateSelector>, WireError> {
        self.enumeration(
            name,
            "BatchTaskState",
            StateSelector::parse,
            StateSelector::from_code,
        )
    }

    /// A storable state: like [`CarrierInput::state_selector`] but `All` is refused, since no task
    /// can be in it.
    pub fn task_state(&self, name: &str) -> Result<Option<TaskState>, WireError> {
        match self.state_selector(name)? {
            None => Ok(None),
            Some(StateSelector::Only(state)) => Ok(Some(state)),
            Some(StateSelector::All) => Err(WireError::member(
                name,
                format!("{name} cannot be All: it selects tasks in any state, no task is in it"),
            )),
        }
    }

    fn cancellation(&self, name: &str) -> Result<Option<CancellationBehaviour>, WireError> {
        self.enumeration(
            name,
            "CancellationBehaviour",
            CancellationBehaviour::parse,
            CancellationBehaviour::from_code,
        )
    }

    /// An enum member as clients send it: a name (parsed by `parse`, which decides about case and
    /// aliases), a number, or `null` for absent.
    fn enumeration<T>(
        &self,
        name: &str,
        type_name: &str,
        parse: impl Fn(&str) -> Option<T>,
        from_code: impl Fn(i64) -> Option<T>,
    ) -> Result<Option<T>, WireError> {
        let invalid =
            |shown: String| WireError::member(name, format!("{shown} is not a valid {type_name}"));
        match self.get(name) {
            None | Some(Node::Null) => Ok(None),
            Some(Node::Str(text)) => parse(text).map(Some).ok_or_else(|| invalid(quoted(text))),
            Some(node @ (Node::Int(_) | Node::UInt(_) | Node::Float(_))) => {
                let code = whole_number(node, name, i64::MIN.into(), i64::MAX.into())?;
                code.and_then(|code| i64::try_from(code).ok())
                    .and_then(from_code)
                    .map(Some)
                    .ok_or_else(|| invalid(node.describe()))
            }
            Some(other) => Err(WireError::member(
                name,
                format!("{name} must be a {type_name} name, not {}", other.kind()),
            )),
        }
    }

    /// `None` when absent, `Some(None)` for `null`, `Some(Some(text))` for a string.
    fn nullable_string(&self, name: &str) -> Result<Option<Option<String>>, WireError> {
        if self.has(name) {
            self.string(name).map(Some)
        } else {
            Ok(None)
        }
    }

    fn parameters(&self, name: &str) -> Result<Option<Parameters>, WireError> {
        match self.get(name) {
            None | Some(Node::Null) => Ok(None),
            Some(Node::Invalid(message)) => Err(WireError::member(name, message.clone())),
            Some(Node::Object(entries)) => {
                let mut parameters = Parameters::new();
                for (key, value) in entries {
                    match value {
                        Node::Str(text) => parameters.insert(key.clone(), text.clone()),
                        other => {
                            return Err(WireError::member(
                                name,
                                format!(
                                    "{name} value for key {} must be a string, not {}",
                                    quoted(key),
                                    other.kind()
                                ),
                            ));
                        }
                    }
                }
                Ok(Some(parameters))
            }
            Some(other) => Err(WireError::member(
                name,
                format!(
                    "{name} must be an object of string values, not {}",
                    other.kind()
                ),
            )),
        }
    }

    fn int_in_range(&self, name: &str, min: i128, max: i128) -> Result<Option<i128>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(node) => whole_number(node, name, min, max),
        }
    }

    /// The last member whose name matches `name` ignoring ASCII case.
    fn get(&self, name: &str) -> Option<&Node> {
        self.members
            .iter()
            .rev()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }
}

/// Reads a whole number in `min..=max` from a JSON number or an integer string. `null` is `None`.
fn whole_number(node: &Node, name: &str, min: i128, max: i128) -> Result<Option<i128>, WireError> {
    let value = match node {
        Node::Null => return Ok(None),
        Node::Int(value) => Some(i128::from(*value)),
        Node::UInt(value) => Some(i128::from(*value)),
        Node::Float(value) if value.is_finite() && value.fract() == 0.0 => {
            // Anything beyond i128 is out of every range asked for here.
            (value.abs() < 1e38).then_some(*value as i128)
        }
        Node::Str(text) => {
            let trimmed = text.trim();
            let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(WireError::member(
                    name,
                    format!("{name} must be a whole number, not {}", node.describe()),
                ));
            }
            trimmed.parse::<i128>().ok()
        }
        other => {
            return Err(WireError::member(
                name,
                format!("{name} must be a whole number, not {}", other.describe()),
            ));
        }
    };
    match value {
        Some(value) if (min..=max).contains(&value) => Ok(Some(value)),
        _ => Err(WireError::member(
            name,
            format!(
                "{name} must be a whole number from {min} to {max}, not {}",
                node.describe()
            ),
        )),
    }
}

/// `"text"`, cut to a length fit for an error message, with control characters escaped.
fn quoted(text: &str) -> String {
    const MAX: usize = 64;
    let mut shown: String = text.chars().take(MAX).collect();
    if text.chars().nth(MAX).is_some() {
        shown.push('…');
    }
    format!("\"{}\"", shown.escape_debug())
}

/// A parsed JSON value that keeps object members in body order, duplicates included.
/// `serde_json::Value` would sort keys (and drop duplicates) unless a crate-wide feature is on, and
/// `ParameterObject` must come back in the order it was sent.
///
/// The XML and form readers build this tree directly, so every body format binds through the same
/// getters; those readers only ever produce `Null`, `Str`, `Array`, `Object` and `Invalid`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
    /// A value another body format could not give a shape to, with the reason (an XML dictionary
    /// entry without a `Key`). Like any other bad value it is reported only when an operation
    /// binds the member.
    Invalid(String),
}

impl Node {
    /// The JSON type with an article, for messages: "a number", "an object".
    fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Int(_) | Node::UInt(_) | Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
            Node::Invalid(_) => "a malformed value",
        }
    }

    /// A scalar's value as it was sent, or the kind of a compound value, for messages.
    fn describe(&self) -> String {
        match self {
            Node::Bool(value) => value.to_string(),
            Node::Int(value) => value.to_string(),
            Node::UInt(value) => value.to_string(),
            Node::Float(value) => value.to_string(),
            Node::Str(text) => quoted(text),
            other => other.kind().to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Int(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Node, E> {
        Ok(Node::UInt(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Node, E> {
        Ok(Node::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Node, E> {
        Ok(Node::Str(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Node, E> {
        Ok(Node::Str(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Node>()? {
            members.push((key, value));
        }
        Ok(Node::Object(members))
    }
}

#[cfg(test)]
mod tests {

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn query_parameters_fill_in_what_the_body_lacks_and_repeat_into_lists() {
        let input = CarrierInput::from_json(br#"{"Id": 5}"#)
            .unwrap()
            .with_query(&pairs(&[
                ("id", "9"),
                ("State", "New"),
                ("AssociateIds", "1"),
                ("associateIds", "2"),
                ("$select", "Id"),
            ]));
        assert_eq!(input.int32("Id").unwrap(), Some(5));
        assert_eq!(
            input.state_selector("state").unwrap(),
            Some(StateSelector::Only(TaskState::New))
        );
        assert_eq!(input.int32_list("AssociateIds").unwrap(), Some(vec![1, 2]));
        assert!(!input.has("$select"));
    }

    #[test]
    fn a_lone_value_binds_as_a_one_element_or_comma_separated_list() {
        let input = CarrierInput::empty().with_query(&pairs(&[("Ids", "3, 4"), ("One", "7")]));
        assert_eq!(input.int32_list("Ids").unwrap(), Some(vec![3, 4]));
        assert_eq!(input.int32_list("One").unwrap(), Some(vec![7]));
        let input = CarrierInput::from_json(br#"{"N": 8, "Bad": "1,x"}"#).unwrap();
        assert_eq!(input.int32_list("N").unwrap(), Some(vec![8]));
        assert!(input.int32_list("Bad").unwrap_err().message.contains("Bad"));
        assert_eq!(CarrierInput::empty().int32_list("N").unwrap(), None);
    }

    use super::*;

    fn input(text: &str) -> CarrierInput {
        CarrierInput::from_json(text.as_bytes()).unwrap()
    }

    fn start_error(text: &str) -> WireError {
        input(text).start_fields().unwrap_err()
    }

    fn update_error(text: &str) -> WireError {
        input(text).update_fields().unwrap_err()
    }

    #[test]
    fn bodies_that_are_not_one_json_object_are_refused_with_a_reason() {
        for (body, needle) in [
            (&b""[..], "empty"),
            (b"  \n", "empty"),
            (b"null", "not null"),
            (b"[]", "not an array"),
            (b"42", "not a number"),
            (b"\"x\"", "not a string"),
            (b"true", "not a boolean"),
            (br#"{"Name": "Echo""#, "not valid JSON"),
            (br#"{"Name": "Echo"} {}"#, "not valid JSON"),
            (b"{\xff}", "UTF-8"),
            (b"{\"Name\": \"\xc3\x28\"}", "UTF-8"),
        ] {
            let error = CarrierInput::from_json(body).unwrap_err();
            assert_eq!(error.member, None);
            assert!(error.message.contains(needle), "{body:?}: {error}");
        }
    }

    #[test]
    fn a_byte_order_mark_and_surrounding_whitespace_are_allowed() {
        let carrier = CarrierInput::from_json(b"\xEF\xBB\xBF {\"Name\": \"Echo\"}\n").unwrap();
        assert_eq!(carrier.start_fields().unwrap().name, "Echo");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let body = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(CarrierInput::from_json(body.as_bytes()).is_err());
    }

    #[test]
    fn member_names_match_in_any_case_and_the_last_duplicate_wins() {
        let fields = input(
            r#"{"name": "First", "NAME": "Echo", "description": "d", "parameterObject": {"K": "v"},
                "ISSYSTEMTASK": true, "detailsTable": 7, "DetailsRecord": "9"}"#,
        )
        .start_fields()
        .unwrap();
        assert_eq!(fields.name, "Echo");
        assert_eq!(fields.description, "d");
        assert_eq!(
            fields.parameters.unwrap().iter().collect::<Vec<_>>(),
            vec![("K", "v")],
            "parameter keys are data and keep their case"
        );
        assert!(fields.is_system_task);
        assert_eq!((fields.details_table, fields.details_record), (7, 9));
    }

    #[test]
    fn the_documented_post_sample_binds() {
        let fields = input(
            r#"{"Name": "SampleBatchPlugin", "Description": "Sample Batch Task",
                "IsSystemTask": false, "IsInternalTask": false,
                "ParameterObject": {"args": "quarterly-report", "format": "pdf"},
                "Request": "", "CancellationBehaviour": "CanCancel"}"#,
        )
        .start_fields()
        .unwrap();
        let start = fields.into_task_start(AssociateId(5));
        assert_eq!(start.name, "SampleBatchPlugin");
        assert_eq!(start.owner, AssociateId(5));
        assert_eq!(start.description, "Sample Batch Task");
        assert_eq!(start.request.as_deref(), Some(""));
        assert_eq!(start.response, None);
        assert_eq!(start.cancellation, Some(CancellationBehaviour::CanCancel));
        let parameters = start.parameters.unwrap();
        assert_eq!(
            parameters.iter().collect::<Vec<_>>(),
            vec![("args", "quarterly-report"), ("format", "pdf")]
        );
    }

    #[test]
    fn the_seed_sample_starts_and_its_server_owned_members_are_ignored() {
        let fields = input(
            r#"{
                "Id": 300, "Name": "Kling, Wisoky and Rohan", "AssociateId": 727,
                "DetailsTable": 862, "DetailsRecord": 119,
                "IsSystemTask": false, "IsInternalTask": false,
                "ParameterObject": {"ParameterObject1": "eius", "ParameterObject2": "dolorem"},
                "LastStarted": "0000-12-31T23:06:32.000Z",
                "Created": "1998-02-07T18:34:37.2468781+01:00",
                "StartCount": 619, "DatabaseSerialNumber": "917846",
                "Context": "voluptas", "Result": "nihil", "State": "All",
                "Description": "Robust multi-state utilisation",
                "Response": "ut", "Request": "qui",
                "ProgressDescription": "Devolved optimal orchestration",
                "ProgressPercent": 587, "FileName": "Hahn-Lind",
                "CancellationBehaviour": "CanCancel",
                "TableRight": {"Mask": 15, "Reason": 7}, "FieldProperties": "odd"
            }"#,
        )
        .start_fields()
        .unwrap();
        assert_eq!(fields.name, "Kling, Wisoky and Rohan");
        assert_eq!(fields.associate_id, Some(727));
        assert_eq!((fields.details_table, fields.details_record), (862, 119));
        assert_eq!(fields.context.as_deref(), Some("voluptas"));
        assert_eq!(fields.file_name.as_deref(), Some("Hahn-Lind"));
        assert_eq!(fields.parameters.unwrap().len(), 2);
    }

    #[test]
    fn server_owned_members_are_ignored_whatever_their_type() {
        let fields = input(
            r#"{"Name": "Echo", "Id": "x", "State": [1], "Created": 5, "LastStarted": {},
                "StartCount": 1e300, "ProgressPercent": -99999999999999999999,
                "ProgressDescription": 3, "Result": true, "DatabaseSerialNumber": [],
                "TableRight": "none", "FieldProperties": null}"#,
        )
        .start_fields()
        .unwrap();
        assert_eq!(fields.name, "Echo");
    }

    #[test]
    fn a_missing_null_or_blank_name_is_required() {
        for body in [
            r#"{}"#,
            r#"{"Name": null}"#,
            r#"{"Name": ""}"#,
            r#"{"name": " \t "}"#,
        ] {
            let error = start_error(body);
            assert_eq!(error.member.as_deref(), Some("Name"), "{body}");
            assert!(
                error.message.contains("Name is required"),
                "{body}: {error}"
            );
        }
        let error = start_error(r#"{"Name": 5}"#);
        assert_eq!(error.message, "Name must be a string, not a number");
    }

    #[test]
    fn absent_and_null_optional_members_take_their_defaults() {
        let fields = input(
            r#"{"Name": "Echo", "Description": null, "Request": null, "ParameterObject": null,
                "DetailsTable": null, "CancellationBehaviour": null, "IsSystemTask": null}"#,
        )
        .start_fields()
        .unwrap();
        assert_eq!(
            fields,
            StartFields {
                name: "Echo".into(),
                description: String::new(),
                request: None,
                response: None,
                context: None,
                file_name: None,
                parameters: None,
                details_table: 0,
                details_record: 0,
                cancellation: None,
                is_system_task: false,
                is_internal_task: false,
                associate_id: None,
            }
        );
    }

    #[test]
    fn wrong_types_in_used_members_name_the_member() {
        for (body, member, message) in [
            (
                r#"{"Name": "E", "Description": {"a": 1}}"#,
                "Description",
                "Description must be a string, not an object",
            ),
            (
                r#"{"Name": "E", "FileName": 3}"#,
                "FileName",
                "FileName must be a string, not a number",
            ),
            (
                r#"{"Name": "E", "Context": false}"#,
                "Context",
                "Context must be a string, not a boolean",
            ),
            (
                r#"{"Name": "E", "IsSystemTask": "maybe"}"#,
                "IsSystemTask",
                r#"IsSystemTask must be true or false, not "maybe""#,
            ),
            (
                r#"{"Name": "E", "IsInternalTask": 1}"#,
                "IsInternalTask",
                "IsInternalTask must be true or false, not 1",
            ),
            (
                r#"{"Name": "E", "DetailsTable": 40000}"#,
                "DetailsTable",
                "DetailsTable must be a whole number from -32768 to 32767, not 40000",
            ),
            (
                r#"{"Name": "E", "DetailsRecord": 4294967296}"#,
                "DetailsRecord",
                "DetailsRecord must be a whole number from -2147483648 to 2147483647, not 4294967296",
            ),
            (
                r#"{"Name": "E", "DetailsRecord": "99999999999999999999999999999999999999999"}"#,
                "DetailsRecord",
                "DetailsRecord must be a whole number from -2147483648 to 2147483647, not \"99999999999999999999999999999999999999999\"",
            ),
            (
                r#"{"Name": "E", "DetailsRecord": 1.5}"#,
                "DetailsRecord",
                "DetailsRecord must be a whole number, not 1.5",
            ),
            (
                r#"{"Name": "E", "DetailsRecord": "12abc"}"#,
                "DetailsRecord",
                r#"DetailsRecord must be a whole number, not "12abc""#,
            ),
            (
                r#"{"Name": "E", "AssociateId": [1]}"#,
                "AssociateId",
                "AssociateId must be a whole number, not an array",
            ),
            (
                r#"{"Name": "E", "CancellationBehaviour": "Never"}"#,
                "CancellationBehaviour",
                r#""Never" is not a valid CancellationBehaviour"#,
            ),
            (
                r#"{"Name": "E", "CancellationBehaviour": 3}"#,
                "CancellationBehaviour",
                "3 is not a valid CancellationBehaviour",
            ),
            (
                r#"{"Name": "E", "ParameterObject": {"a": "1", "n": 5}}"#,
                "ParameterObject",
                r#"ParameterObject value for key "n" must be a string, not a number"#,
            ),
            (
                r#"{"Name": "E", "ParameterObject": {"n": null}}"#,
                "ParameterObject",
                r#"ParameterObject value for key "n" must be a string, not null"#,
            ),
            (
                r#"{"Name": "E", "ParameterObject": {"n": {"deep": "x"}}}"#,
                "ParameterObject",
                r#"ParameterObject value for key "n" must be a string, not an object"#,
            ),
            (
                r#"{"Name": "E", "ParameterObject": ["a"]}"#,
                "ParameterObject",
                "ParameterObject must be an object of string values, not an array",
            ),
        ] {
            let error = start_error(body);
            assert_eq!(error.member.as_deref(), Some(member), "{body}");
            assert_eq!(error.message, message, "{body}");
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn loose_scalar_forms_are_accepted_where_dotnet_accepts_them() {
        let fields = input(
            r#"{"Name": "E", "IsSystemTask": "TRUE", "IsInternalTask": " false ",
                "DetailsTable": "-32768", "DetailsRecord": 2147483647.0, "AssociateId": "+0",
                "CancellationBehaviour": "cannotcancel"}"#,
        )
        .start_fields()
        .unwrap();
        assert!(fields.is_system_task);
        assert!(!fields.is_internal_task);
        assert_eq!(fields.details_table, i16::MIN);
        assert_eq!(fields.details_record, i32::MAX);
        assert_eq!(fields.associate_id, Some(0));
        assert_eq!(
            fields.cancellation,
            Some(CancellationBehaviour::CannotCancel)
        );
        for (text, expected) in [
            (r#""1""#, CancellationBehaviour::CancelWithWarning),
            ("2", CancellationBehaviour::CannotCancel),
            (r#""CANCANCEL""#, CancellationBehaviour::CanCancel),
        ] {
            let body = format!(r#"{{"Name": "E", "CancellationBehaviour": {text}}}"#);
            assert_eq!(
                input(&body).start_fields().unwrap().cancellation,
                Some(expected),
                "{text}"
            );
        }
    }

    #[test]
    fn a_repeated_parameter_key_keeps_its_first_position_and_last_value() {
        let fields = input(r#"{"Name": "E", "ParameterObject": {"b": "1", "a": "2", "b": "3"}}"#)
            .start_fields()
            .unwrap();
        assert_eq!(
            fields.parameters.unwrap().iter().collect::<Vec<_>>(),
            vec![("b", "3"), ("a", "2")]
        );
    }

    #[test]
    fn an_update_reads_only_its_four_members_and_the_id() {
        let fields = input(
            r#"{"tableRight": null, "fieldProperties": {}, "id": 42, "name": 17,
                "associateId": "x", "detailsTable": 99999999, "isSystemTask": "maybe",
                "parameterObject": {"a": 1}, "lastStarted": "0000-12-31T23:06:32.000Z",
                "created": "garbage", "startCount": [], "databaseSerialNumber": 5,
                "context": null, "result": null, "state": "Succeeded",
                "description": "Sample Batch Task", "response": "Report written", "request": "",
                "progressDescription": {}, "progressPercent": 587, "fileName": null,
                "cancellationBehaviour": "Never"}"#,
        )
        .update_fields()
        .unwrap();
        assert_eq!(fields.id, Some(42));
        assert_eq!(
            fields.update,
            TaskUpdate {
                state: Some(TaskState::Succeeded),
                description: Some("Sample Batch Task".into()),
                response: Some(Some("Report written".into())),
                request: Some(Some(String::new())),
            }
        );
    }

    #[test]
    fn an_update_tells_absent_from_null() {
        let fields = input(r#"{"Description": null, "Response": null}"#)
            .update_fields()
            .unwrap();
        assert_eq!(fields.id, None);
        assert_eq!(
            fields.update,
            TaskUpdate {
                state: None,
                description: Some(String::new()),
                response: Some(None),
                request: None,
            }
        );
        assert!(input("{}").update_fields().unwrap().update.is_empty());
        assert_eq!(
            input(r#"{"State": null}"#)
                .update_fields()
                .unwrap()
                .update
                .state,
            None
        );
    }

    #[test]
    fn update_states_are_names_numbers_or_numeric_strings_but_never_all() {
        for (text, expected) in [
            (r#""started""#, TaskState::Started),
            (r#""Acquired""#, TaskState::Aquired),
            (r#""AQUIRED""#, TaskState::Aquired),
            ("0", TaskState::Unknown),
            ("6", TaskState::SucceededManualCleanup),
            (r#""5""#, TaskState::Failed),
        ] {
            let body = format!(r#"{{"State": {text}}}"#);
            assert_eq!(
                input(&body).update_fields().unwrap().update.state,
                Some(expected),
                "{text}"
            );
        }
        for (text, needle) in [
            (r#""All""#, "cannot be All"),
            ("99999", "cannot be All"),
            (r#""99999""#, "cannot be All"),
            ("7", "7 is not a valid BatchTaskState"),
            ("-1", "-1 is not a valid BatchTaskState"),
            ("2.5", "State must be a whole number, not 2.5"),
            ("18446744073709551615", "State must be a whole number from"),
            (
                r#""Finished""#,
                r#""Finished" is not a valid BatchTaskState"#,
            ),
            ("true", "State must be a BatchTaskState name, not a boolean"),
        ] {
            let error = update_error(&format!(r#"{{"State": {text}}}"#));
            assert_eq!(error.member.as_deref(), Some("State"), "{text}");
            assert!(error.message.contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn update_members_of_the_wrong_type_are_refused() {
        let error = update_error(r#"{"Description": 5}"#);
        assert_eq!(error.member.as_deref(), Some("Description"));
        let error = update_error(r#"{"Request": []}"#);
        assert_eq!(error.member.as_deref(), Some("Request"));
        let error = update_error(r#"{"Id": "abc"}"#);
        assert_eq!(error.member.as_deref(), Some("Id"));
        let error = update_error(r#"{"Id": 2147483648}"#);
        assert_eq!(error.member.as_deref(), Some("Id"));
        assert_eq!(
            input(r#"{"Id": "17"}"#).update_fields().unwrap().id,
            Some(17)
        );
    }

    #[test]
    fn wrapped_agents_carriers_and_lists_bind_too() {
        let outer = input(
            r#"{"batchTaskInfo": {"name": "Echo"}, "associateIds": [0, -1, "7"], "Id": null}"#,
        );
        let inner = outer.nested("BatchTaskInfo").unwrap().unwrap();
        assert_eq!(inner.start_fields().unwrap().name, "Echo");
        assert_eq!(
            outer.int32_list("AssociateIds").unwrap(),
            Some(vec![0, -1, 7])
        );
        assert!(outer.has("id"));
        assert!(!outer.has("State"));
        assert_eq!(outer.nested("Missing").unwrap().map(|_| ()), None);
        assert!(
            input(r#"{"batchTaskInfo": 5}"#)
                .nested("BatchTaskInfo")
                .is_err()
        );
        assert!(input(r#"{"ids": [1, null]}"#).int32_list("Ids").is_err());
        assert!(input(r#"{"ids": {}}"#).int32_list("Ids").is_err());
        assert_eq!(
            input(r#"{"state": "all"}"#)
                .state_selector("State")
                .unwrap(),
            Some(StateSelector::All)
        );
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(10_000);
        let error = start_error(&format!(r#"{{"Name": "E", "IsSystemTask": "{long}"}}"#));
        assert!(error.message.len() < 200, "{}", error.message);
        assert!(error.message.contains('…'));
    }

    #[test]
    fn path_segments_are_ids_states_or_invalid() {
        for (segment, expected) in [
            ("4", Segment::Id(4)),
            ("+4", Segment::Id(4)),
            ("-4", Segment::Id(-4)),
            ("0004", Segment::Id(4)),
            ("0", Segment::Id(0)),
            ("2147483647", Segment::Id(i32::MAX)),
            ("-2147483648", Segment::Id(i32::MIN)),
            ("2147483648", Segment::OutOfRange),
            ("99999999999999999999999999", Segment::OutOfRange),
            ("-2147483649", Segment::OutOfRange),
            ("All", Segment::State(StateSelector::All)),
            ("all", Segment::State(StateSelector::All)),
            (
                "Aquired",
                Segment::State(StateSelector::Only(TaskState::Aquired)),
            ),
            (
                "ACQUIRED",
                Segment::State(StateSelector::Only(TaskState::Aquired)),
            ),
            (
                "succeededmanualcleanup",
                Segment::State(StateSelector::Only(TaskState::SucceededManualCleanup)),
            ),
            ("Finished", Segment::Invalid),
            ("12abc", Segment::Invalid),
            ("", Segment::Invalid),
            ("+", Segment::Invalid),
            ("-", Segment::Invalid),
            ("1 ", Segment::Invalid),
            (" New", Segment::Invalid),
            ("99999", Segment::Id(99_999)),
            ("$metadata", Segment::Invalid),
            ("٣", Segment::Invalid),
            ("\u{0}", Segment::Invalid),
        ] {
            assert_eq!(parse_int32_segment(segment), expected, "{segment:?}");
        }
    }
}
