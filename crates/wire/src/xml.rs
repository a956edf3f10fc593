//! XML bodies (spec §4.2, §5 Q20): request carriers read into a [`CarrierInput`], and responses
//! written as namespace-free DataContract-style XML.
//!
//! # Reading
//!
//! A request document is turned into the same member tree a JSON body gives, so every operation
//! binds XML through the getters it already uses, and text such as `<Id>5</Id>` binds wherever a
//! number, boolean or enum name is expected. The rules:
//!
//! * Any root name, and any namespace or prefix on any element: only local names count, and they
//!   match members case-insensitively. Attributes are ignored except one whose local name is `nil`
//!   with the value `true` (or `1`), which makes the element `null`.
//! * The root element's children are the carrier's members.
//! * An element without child elements is a string (`<Description/>` is `""`), except that an
//!   empty `ParameterObject` or `BatchTaskInfo` is an empty object and an empty `AssociateIds` or
//!   `BatchTaskIds` an empty list.
//! * `ParameterObject` holds `StringKeyValuePair` entries with `Key` and `Value` children, read
//!   into string keys, in document order and never case-changed. A leaf child such as
//!   `<args>x</args>` is accepted too, its element name being the key.
//! * An element with child elements is a list when it is a known list member (`AssociateIds`,
//!   `BatchTaskIds`), when its name starts with `ArrayOf`, when it has two or more children that
//!   all share one name, or when its single child is named like a DataContract array item (`int`,
//!   `string`, `long`, …). `BatchTaskInfo` is always an object. Anything else is an object, so a
//!   wrapper with one member (`<BatchTaskInfo><Name>…`) is not mistaken for a list.
//! * Text between child elements (indentation, mixed content) is ignored; a leaf's text is kept
//!   exactly, apart from the line-end normalisation XML itself requires.
//!
//! The body must be UTF-8 (a byte-order mark and an XML declaration are allowed). A DOCTYPE is
//! refused outright, so no entity of the client's can be defined, let alone expanded; only the five
//! predefined entities and character references are resolved. Size, element count and nesting
//! depth are bounded, and the tree is built with an explicit stack, so no body can overflow the
//! stack or panic the reader.
//!
//! # Writing
//!
//! Output is indented by two spaces, one element per line, with an XML declaration, exactly as the
//! samples in `spec/samples/xml/` are written: [`task_xml`] matches `batchtaskinfo.response.xml`,
//! [`tasks_xml`] matches `batchtaskinfo-array.response.xml`, [`int_xml`] matches
//! `post-batchtask.response.xml` and [`bool_xml`] matches `stop.response.xml`, byte for byte.
//! Carrier members come in XSD order (the carrier base's `TableRight` and `FieldProperties` first,
//! then `Id` … `CancellationBehaviour`); nulls are `i:nil="true"`; an empty string is
//! `<Response></Response>` and an empty object `<FieldProperties />`. Carrier documents always
//! declare `xmlns:i` on the root (as the samples do, and as DataContract does); `<int>` and
//! `<boolean>` never need it; error and ad-hoc documents declare it only when they hold a nil.
//!
//! Text is escaped (`&`, `<`, `>`, and a carriage return as `&#xD;` so that it survives the
//! reader's line-end normalisation). Control characters XML 1.0 cannot carry literally are written
//! as character references, which this reader (and .NET's with character checking off) reads
//! back; NUL, which no XML can carry, becomes U+FFFD.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use crate::carrier::{BATCH_TASK_INFO_MEMBERS, BatchTaskInfo, SelectedBatchTaskInfo};
use crate::error::ErrorBody;
use crate::input::{CarrierInput, Node, WireError};

/// The deepest element nesting a request may have; the root is depth 1.
pub const MAX_XML_DEPTH: usize = 32;
/// The largest XML request body read, whatever the server's own body limit.
pub const MAX_XML_BYTES: usize = 8 * 1024 * 1024;
/// The most elements a request body may hold.
pub const MAX_XML_ELEMENTS: usize = 100_000;

const XSI_NAMESPACE_ATTRIBUTE: &str = " xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"";
const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

const PARAMETERS: &str = "ParameterObject";
const PAIR: &str = "StringKeyValuePair";
/// Request members that are lists even when they hold one item, or none.
const LIST_MEMBERS: [&str; 2] = ["AssociateIds", "BatchTaskIds"];
/// Request members that are objects even when all their children share a name, or they have none.
const OBJECT_MEMBERS: [&str; 1] = ["BatchTaskInfo"];
/// The item element names of DataContract's primitive arrays (`ArrayOfint` holds `<int>`), plus
/// the generic `item` [`json_value_xml`] writes.
const ITEM_NAMES: [&str; 16] = [
    "int",
    "long",
    "short",
    "byte",
    "unsignedInt",
    "unsignedLong",
    "unsignedShort",
    "unsignedByte",
    "string",
    "boolean",
    "decimal",
    "double",
    "float",
    "dateTime",
    "guid",
    "item",
];

/// The carrier members in XSD order: the carrier base (`TableRight`, `FieldProperties`, which the
/// JSON writes last) first, then the `BatchTaskInfo` sequence.
fn xml_member_order() -> impl Iterator<Item = &'static str> {
    let (own, base) = BATCH_TASK_INFO_MEMBERS.split_at(BATCH_TASK_INFO_MEMBERS.len() - 2);
    base.iter().chain(own).copied()
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// Parses an XML request body into a carrier whose members are the root element's children.
pub fn carrier_input_from_xml(body: &[u8]) -> Result<CarrierInput, WireError> {
    let root = read_tree(body)?;
    root_members(root).map(CarrierInput::from_members)
}

/// One element as read: its local name, whether it is nil, its text and its child elements.
#[derive(Debug)]
struct Element {
    name: String,
    nil: bool,
    text: String,
    children: Vec<Element>,
}

fn read_tree(body: &[u8]) -> Result<Element, WireError> {
    if body.len() > MAX_XML_BYTES {
        return Err(body_error(format!(
            "the XML body is larger than the {MAX_XML_BYTES} bytes allowed"
        )));
    }
    if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        return Err(body_error("the XML body is UTF-16; only UTF-8 is accepted"));
    }
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|error| {
        body_error(format!(
            "the request body is not valid UTF-8 (bad byte at offset {})",
            error.valid_up_to()
        ))
    })?;
    if text.trim_matches(is_xml_space).is_empty() {
        return Err(body_error(
            "the request body is empty; an XML element was expected",
        ));
    }

    let mut reader = Reader::from_str(text);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|error| xml_error(text, reader.error_position(), &error.to_string()))?;
        match event {
            Event::Start(start) | Event::Empty(start) if open.is_empty() && root.is_some() => {
                let name = start.local_name().into_inner().to_string();
                return Err(xml_error(
                    text,
                    at,
                    &format!("<{name}> is a second root element; a document has one"),
                ));
            }
            Event::Start(start) => {
                count_element(&mut elements).map_err(|detail| xml_error(text, at, &detail))?;
                if open.len() >= MAX_XML_DEPTH {
                    return Err(xml_error(
                        text,
                        at,
                        &format!("elements nest deeper than {MAX_XML_DEPTH} levels"),
                    ));
                }
                open.push(begin(&start).map_err(|detail| xml_error(text, at, &detail))?);
            }
            Event::Empty(start) => {
                count_element(&mut elements).map_err(|detail| xml_error(text, at, &detail))?;
                let element = begin(&start).map_err(|detail| xml_error(text, at, &detail))?;
                attach(element, &mut open, &mut root);
            }
            Event::End(end) => {
                // The reader checks that end tags match, so this only fails on a stray end tag the
                // reader let through.
                let element = open.pop().ok_or_else(|| {
                    let name = end.local_name().into_inner().to_string();
                    xml_error(text, at, &format!("</{name}> closes no open element"))
                })?;
                attach(element, &mut open, &mut root);
            }
            Event::Text(content) => {
                append_text(&mut open, &content.xml10_content())
                    .map_err(|detail| xml_error(text, at, &detail))?;
            }
            Event::CData(content) => {
                append_text(&mut open, &content.xml10_content())
                    .map_err(|detail| xml_error(text, at, &detail))?;
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match resolve_xml_entity(&reference) {
                        Some(replacement) => replacement.to_string(),
                        None => {
                            return Err(xml_error(
                                text,
                                at,
                                &format!("&{}; is not a defined entity", &*reference),
                            ));
                        }
                    },
                    Err(error) => return Err(xml_error(text, at, &error.to_string())),
                };
                append_text(&mut open, &resolved).map_err(|detail| xml_error(text, at, &detail))?;
            }
            Event::DocType(_) => {
                return Err(xml_error(
                    text,
                    at,
                    "a DOCTYPE declaration is not allowed in a request body",
                ));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(unclosed) = open.last() {
        return Err(xml_error(
            text,
            text.len() as u64,
            &format!("<{}> is not closed", unclosed.name),
        ));
    }
    root.ok_or_else(|| xml_error(text, text.len() as u64, "there is no root element"))
}

fn count_element(elements: &mut usize) -> Result<(), String> {
    *elements += 1;
    if *elements > MAX_XML_ELEMENTS {
        return Err(format!("more than {MAX_XML_ELEMENTS} elements"));
    }
    Ok(())
}

/// An element from its start tag: the local name and whether an attribute makes it nil.
fn begin(start: &BytesStart<'_>) -> Result<Element, String> {
    let name = start.local_name().into_inner().to_string();
    let mut nil = false;
    let mut attributes = start.attributes();
    // The duplicate check is quadratic in the number of attributes, and duplicates do no harm here.
    attributes.with_checks(false);
    for attribute in attributes {
        let attribute = attribute.map_err(|error| format!("bad attribute on <{name}>: {error}"))?;
        if attribute
            .key
            .local_name()
            .into_inner()
            .eq_ignore_ascii_case("nil")
        {
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|error| format!("bad nil attribute on <{name}>: {error}"))?;
            let value = value.trim_matches(is_xml_space);
            nil = value.eq_ignore_ascii_case("true") || value == "1";
        }
    }
    Ok(Element {
        name,
        nil,
        text: String::new(),
        children: Vec::new(),
    })
}

/// Hangs a finished element on its parent, or makes it the root.
fn attach(element: Element, open: &mut [Element], root: &mut Option<Element>) {
    match open.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn append_text(open: &mut [Element], content: &str) -> Result<(), String> {
    match open.last_mut() {
        Some(element) => {
            element.text.push_str(content);
            Ok(())
        }
        None if content.trim_matches(is_xml_space).is_empty() => Ok(()),
        None => Err("there is text outside the root element".to_string()),
    }
}

fn root_members(root: Element) -> Result<Vec<(String, Node)>, WireError> {
    if root.nil {
        return Err(body_error(format!(
            "the root element <{}> is nil; an element with members was expected",
            root.name
        )));
    }
    if root.children.is_empty() && !is_blank(&root.text) {
        return Err(body_error(format!(
            "the root element <{}> holds text; an element with member elements was expected",
            root.name
        )));
    }
    Ok(root.children.into_iter().map(member).collect())
}

fn member(element: Element) -> (String, Node) {
    let name = element.name.clone();
    (name, node(element))
}

/// Converts an element to a member value by the rules in the module docs. It never fails: as with
/// JSON, a value of the wrong shape is reported only if an operation binds it. Recursion is
/// bounded by [`MAX_XML_DEPTH`].
fn node(element: Element) -> Node {
    if element.nil {
        return Node::Null;
    }
    let Element {
        name,
        text,
        children,
        ..
    } = element;
    if name.eq_ignore_ascii_case(PARAMETERS) {
        return parameters(text, children);
    }
    if children.is_empty() {
        let blank = is_blank(&text);
        return if blank && is_one_of(&name, &LIST_MEMBERS) {
            Node::Array(Vec::new())
        } else if blank && is_one_of(&name, &OBJECT_MEMBERS) {
            Node::Object(Vec::new())
        } else {
            Node::Str(text)
        };
    }
    if is_list(&name, &children) {
        Node::Array(children.into_iter().map(node).collect())
    } else {
        Node::Object(children.into_iter().map(member).collect())
    }
}

/// Whether an element with child elements is a list (see the module docs).
fn is_list(name: &str, children: &[Element]) -> bool {
    if is_one_of(name, &OBJECT_MEMBERS) {
        return false;
    }
    if is_one_of(name, &LIST_MEMBERS) || starts_with_ignore_case(name, "ArrayOf") {
        return true;
    }
    match children {
        [] => false,
        [only] => is_one_of(&only.name, &ITEM_NAMES),
        [first, rest @ ..] => rest
            .iter()
            .all(|child| child.name.eq_ignore_ascii_case(&first.name)),
    }
}

/// A `ParameterObject`: an object whose keys are the entries' `Key` texts, verbatim. An entry
/// without a usable `Key` makes the whole dictionary [`Node::Invalid`], which binding reports.
fn parameters(text: String, entries: Vec<Element>) -> Node {
    if entries.is_empty() {
        // Text in a dictionary is kept so the binder can say a dictionary was expected.
        return if is_blank(&text) {
            Node::Object(Vec::new())
        } else {
            Node::Str(text)
        };
    }
    let invalid =
        |number: usize, what: &str| Node::Invalid(format!("{PARAMETERS} entry {number} {what}"));
    let mut members = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let number = index + 1;
        if entry.children.is_empty() && !entry.name.eq_ignore_ascii_case(PAIR) {
            // `<args>quarterly-report</args>`: the element name is the key.
            let value = if entry.nil {
                Node::Null
            } else {
                Node::Str(entry.text)
            };
            members.push((entry.name, value));
            continue;
        }
        if entry.nil {
            return invalid(number, "is nil; a Key and a Value were expected");
        }
        let mut key = None;
        let mut value = None;
        for part in entry.children {
            if part.name.eq_ignore_ascii_case("Key") {
                key = Some(part);
            } else if part.name.eq_ignore_ascii_case("Value") {
                value = Some(part);
            }
        }
        let key = match key {
            None => return invalid(number, "has no Key element"),
            Some(key) if key.nil => return invalid(number, "has a nil Key"),
            Some(key) if !key.children.is_empty() => {
                return invalid(number, "has a Key that is not text");
            }
            Some(key) => key.text,
        };
        // A missing Value is null, as DataContract reads it; the binder then names the key.
        members.push((key, value.map_or(Node::Null, node)));
    }
    Node::Object(members)
}

fn body_error(message: impl Into<String>) -> WireError {
    WireError {
        member: None,
        message: message.into(),
    }
}

/// A refusal that says where in the body the problem is, by line and column (in characters).
fn xml_error(text: &str, position: u64, detail: &str) -> WireError {
    let offset = usize::try_from(position)
        .unwrap_or(usize::MAX)
        .min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1);
    // Count characters, not bytes: skip UTF-8 continuation bytes.
    let column = before[line_start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count()
        + 1;
    body_error(format!(
        "the request body is not valid XML at line {line}, column {column}: {detail}"
    ))
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_blank(text: &str) -> bool {
    text.chars().all(is_xml_space)
}

fn is_one_of(name: &str, names: &[&str]) -> bool {
    names.iter().any(|known| known.eq_ignore_ascii_case(name))
}

fn starts_with_ignore_case(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// One task: root `BatchTaskInfo` (`spec/samples/xml/batchtaskinfo.response.xml`).
pub fn task_xml(info: &BatchTaskInfo) -> String {
    document(Namespace::Always, |out| write_task(out, info))
}

/// A list of tasks: root `ArrayOfBatchTaskInfo` (`batchtaskinfo-array.response.xml`).
pub fn tasks_xml(infos: &[BatchTaskInfo]) -> String {
    document(Namespace::Always, |out| {
        out.list("ArrayOfBatchTaskInfo", infos, write_task);
    })
}

/// One task after the Agents `$select`: deselected members are nil.
pub fn selected_task_xml(info: &SelectedBatchTaskInfo) -> String {
    document(Namespace::Always, |out| write_selected(out, info))
}

/// A list of tasks after the Agents `$select`.
pub fn selected_tasks_xml(infos: &[SelectedBatchTaskInfo]) -> String {
    document(Namespace::Always, |out| {
        out.list("ArrayOfBatchTaskInfo", infos, write_selected);
    })
}

/// An int32 result, e.g. a new task id: `<int>42</int>` (`post-batchtask.response.xml`).
pub fn int_xml(value: i32) -> String {
    document(Namespace::Never, |out| out.leaf("int", &value.to_string()))
}

/// A boolean result, e.g. of Stop: `<boolean>true</boolean>` (`stop.response.xml`).
pub fn bool_xml(value: bool) -> String {
    document(Namespace::Never, |out| {
        out.leaf("boolean", bool_text(value))
    })
}

/// The Agents "not found" single result: a nil `BatchTaskInfo`.
pub fn null_task_xml() -> String {
    document(Namespace::Always, |out| out.nil("BatchTaskInfo"))
}

/// An error body: root `Error`, with the members of the JSON error body in the same order
/// (`Message` and `MessageDetail` only when set).
pub fn error_xml(error: &ErrorBody) -> String {
    document(Namespace::IfNil, |out| {
        out.open("Error");
        out.leaf("Error", bool_text(error.error));
        out.leaf("ErrorType", &error.error_type);
        out.leaf("ErrorMessage", &error.error_message);
        out.leaf("ErrorSource", &error.error_source);
        if let Some(message) = &error.message {
            out.leaf("Message", message);
        }
        if let Some(detail) = &error.message_detail {
            out.leaf("MessageDetail", detail);
        }
        out.close("Error");
    })
}

/// Any JSON value as XML under `root`, for small ad-hoc objects such as a method description or
/// the Agents internal-error object: object members become child elements (names that are not
/// valid XML names are encoded as .NET's `XmlConvert.EncodeLocalName` does, `a b` → `a_x0020_b`),
/// array items become repeated `<item>` children, `null` is nil, and a `ParameterObject` member is
/// written as `StringKeyValuePair` entries.
pub fn json_value_xml(root: &str, value: &Value) -> String {
    document(Namespace::IfNil, |out| {
        write_value(out, &xml_name(root), value);
    })
}

/// When a document declares the `i` prefix on its root.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Namespace {
    Always,
    IfNil,
    Never,
}

/// Writes a document: the declaration, then what `write` writes, with `xmlns:i` added to the root
/// tag as `namespace` says.
fn document(namespace: Namespace, write: impl FnOnce(&mut XmlOut)) -> String {
    let mut out = XmlOut::default();
    write(&mut out);
    let XmlOut {
        text: mut body,
        nil,
        ..
    } = out;
    let declare = match namespace {
        Namespace::Always => true,
        Namespace::IfNil => nil,
        Namespace::Never => false,
    };
    // The first `>` ends the root's start tag: names are valid XML names and the only attribute
    // values written are `true`, so nothing before it can contain one.
    if declare && let Some(end) = body.find('>') {
        let at = if body[..end].ends_with(" /") {
            end - 2
        } else {
            end
        };
        body.insert_str(at, XSI_NAMESPACE_ATTRIBUTE);
    }
    let mut document = String::with_capacity(DECLARATION.len() + body.len());
    document.push_str(DECLARATION);
    document.push_str(&body);
    document
}

/// An indenting writer of elements. Names passed in must already be valid XML names.
#[derive(Default)]
struct XmlOut {
    text: String,
    depth: usize,
    /// Whether any element was written as nil, so the root must declare `i`.
    nil: bool,
}

impl XmlOut {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.text.push_str("  ");
        }
    }

    fn open(&mut self, name: &str) {
        self.indent();
        self.text.push('<');
        self.text.push_str(name);
        self.text.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.text.push_str("</");
        self.text.push_str(name);
        self.text.push_str(">\n");
    }

    /// `<name>text</name>`; an empty string is `<name></name>`, as the samples write it.
    fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        self.text.push('<');
        self.text.push_str(name);
        self.text.push('>');
        push_escaped(&mut self.text, text);
        self.text.push_str("</");
        self.text.push_str(name);
        self.text.push_str(">\n");
    }

    fn optional(&mut self, name: &str, text: Option<&str>) {
        match text {
            Some(text) => self.leaf(name, text),
            None => self.nil(name),
        }
    }

    fn nil(&mut self, name: &str) {
        self.indent();
        self.text.push('<');
        self.text.push_str(name);
        self.text.push_str(" i:nil=\"true\" />\n");
        self.nil = true;
    }

    /// An empty object or list: `<name />`.
    fn empty(&mut self, name: &str) {
        self.indent();
        self.text.push('<');
        self.text.push_str(name);
        self.text.push_str(" />\n");
    }

    fn list<T>(&mut self, name: &str, items: &[T], write: fn(&mut XmlOut, &T)) {
        if items.is_empty() {
            self.empty(name);
            return;
        }
        self.open(name);
        for item in items {
            write(self, item);
        }
        self.close(name);
    }

    /// `ParameterObject` as `StringKeyValuePair` entries, in the order given.
    fn pairs<'a>(
        &mut self,
        name: &str,
        pairs: impl ExactSizeIterator<Item = (&'a str, PairValue<'a>)>,
    ) {
        if pairs.len() == 0 {
            self.empty(name);
            return;
        }
        self.open(name);
        for (key, value) in pairs {
            self.open(PAIR);
            self.leaf("Key", key);
            match value {
                PairValue::Text(text) => self.leaf("Value", text),
                PairValue::Json(value) => write_value(self, "Value", value),
            }
            self.close(PAIR);
        }
        self.close(name);
    }
}

/// A dictionary value: a stored string, or whatever JSON a `$select`ed carrier holds.
enum PairValue<'a> {
    Text(&'a str),
    Json(&'a Value),
}

fn write_task(out: &mut XmlOut, info: &BatchTaskInfo) {
    out.open("BatchTaskInfo");
    // `TableRight` is always null and `FieldProperties` always empty (spec §2.2, carrier.rs).
    out.nil("TableRight");
    out.empty("FieldProperties");
    out.leaf("Id", &info.id.to_string());
    out.optional("Name", info.name.as_deref());
    out.leaf("AssociateId", &info.associate_id.to_string());
    out.leaf("DetailsTable", &info.details_table.to_string());
    out.leaf("DetailsRecord", &info.details_record.to_string());
    out.leaf("IsSystemTask", bool_text(info.is_system_task));
    out.leaf("IsInternalTask", bool_text(info.is_internal_task));
    match &info.parameter_object {
        Some(parameters) => out.pairs(
            PARAMETERS,
            parameters
                .0
                .iter()
                .map(|(key, value)| (key.as_str(), PairValue::Text(value))),
        ),
        None => out.nil(PARAMETERS),
    }
    out.leaf("LastStarted", &info.last_started);
    out.leaf("Created", &info.created);
    out.leaf("StartCount", &info.start_count.to_string());
    out.optional(
        "DatabaseSerialNumber",
        info.database_serial_number.as_deref(),
    );
    out.optional("Context", info.context.as_deref());
    out.optional("Result", info.result.as_deref());
    out.leaf("State", info.state);
    out.optional("Description", info.description.as_deref());
    out.optional("Response", info.response.as_deref());
    out.optional("Request", info.request.as_deref());
    out.optional("ProgressDescription", info.progress_description.as_deref());
    out.leaf("ProgressPercent", &info.progress_percent.to_string());
    out.optional("FileName", info.file_name.as_deref());
    out.leaf("CancellationBehaviour", info.cancellation_behaviour);
    out.close("BatchTaskInfo");
}

fn write_selected(out: &mut XmlOut, info: &SelectedBatchTaskInfo) {
    out.open("BatchTaskInfo");
    for name in xml_member_order() {
        let value = info
            .members()
            .iter()
            .find(|(member, _)| *member == name)
            .map_or(&Value::Null, |(_, value)| value);
        write_value(out, name, value);
    }
    out.close("BatchTaskInfo");
}

/// Writes `value` as element `name` (already a valid XML name).
fn write_value(out: &mut XmlOut, name: &str, value: &Value) {
    match value {
        Value::Null => out.nil(name),
        Value::Bool(value) => out.leaf(name, bool_text(*value)),
        Value::Number(number) => out.leaf(name, &number.to_string()),
        Value::String(text) => out.leaf(name, text),
        Value::Array(items) => {
            if items.is_empty() {
                out.empty(name);
                return;
            }
            out.open(name);
            for item in items {
                write_value(out, "item", item);
            }
            out.close(name);
        }
        Value::Object(members) if name == PARAMETERS => out.pairs(
            name,
            members
                .iter()
                .map(|(key, value)| (key.as_str(), PairValue::Json(value))),
        ),
        Value::Object(members) => {
            if members.is_empty() {
                out.empty(name);
                return;
            }
            out.open(name);
            for (key, value) in members {
                write_value(out, &xml_name(key), value);
            }
            out.close(name);
        }
    }
}

fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// Appends `text` escaped for element content (see the module docs).
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            // Escaped so that `]]>` never appears in content.
            '>' => out.push_str("&gt;"),
            '\t' | '\n' => out.push(c),
            '\0' => out.push('\u{FFFD}'),
            '\r' | '\u{1}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => {
                out.push_str(&format!("&#x{:X};", u32::from(c)));
            }
            _ => out.push(c),
        }
    }
}

/// `name` as a valid XML local name, encoded as .NET's `XmlConvert.EncodeLocalName` does: each
/// character not allowed where it stands becomes `_xHHHH_` (`_xHHHHHHHH_` beyond the BMP), and an
/// `_` that would read as the start of such an escape becomes `_x005F_`. The empty name is `_`.
pub(crate) fn xml_name(name: &str) -> Cow<'_, str> {
    let chars: Vec<char> = name.chars().collect();
    let needs_escape = |index: usize, c: char| {
        let allowed = if index == 0 {
            is_name_start(c)
        } else {
            is_name_char(c)
        };
        !allowed || (c == '_' && looks_like_escape(&chars[index..]))
    };
    if chars.is_empty() {
        return Cow::Borrowed("_");
    }
    if !chars.iter().enumerate().any(|(i, &c)| needs_escape(i, c)) {
        return Cow::Borrowed(name);
    }
    let mut encoded = String::with_capacity(name.len() + 8);
    for (index, &c) in chars.iter().enumerate() {
        if needs_escape(index, c) {
            let code = u32::from(c);
            if code > 0xFFFF {
                encoded.push_str(&format!("_x{code:08X}_"));
            } else {
                encoded.push_str(&format!("_x{code:04X}_"));
            }
        } else {
            encoded.push(c);
        }
    }
    Cow::Owned(encoded)
}

/// Whether `rest` (starting at an `_`) reads as `_xHHHH_` or `_xHHHHHHHH_`.
fn looks_like_escape(rest: &[char]) -> bool {
    let hex_run = |digits: usize| {
        rest.len() > digits + 2
            && rest[1] == 'x'
            && rest[2..2 + digits].iter().all(char::is_ascii_hexdigit)
            && rest[2 + digits] == '_'
    };
    hex_run(4) || hex_run(8)
}

/// XML 1.0 (fifth edition) `NameStartChar`, without the colon: names here are local names.
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 (fifth edition) `NameChar`, without the colon.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use sobatch_core::{CancellationBehaviour, StateSelector, TaskState};

    fn read(text: &str) -> CarrierInput {
        carrier_input_from_xml(text.as_bytes()).unwrap()
    }

    fn refuse(text: &[u8]) -> WireError {
        carrier_input_from_xml(text).unwrap_err()
    }

    #[test]
    fn the_documented_post_sample_binds() {
        let fields = read(concat!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<BatchTaskInfo>\n",
            "  <Name>SampleBatchPlugin</Name>\n  <IsSystemTask>false</IsSystemTask>\n",
            "  <IsInternalTask>false</IsInternalTask>\n  <ParameterObject>\n",
            "    <StringKeyValuePair>\n      <Key>args</Key>\n",
            "      <Value>quarterly-report</Value>\n    </StringKeyValuePair>\n",
            "  </ParameterObject>\n  <Description>Sample Batch Task</Description>\n",
            "  <CancellationBehaviour>CanCancel</CancellationBehaviour>\n</BatchTaskInfo>\n",
        ))
        .start_fields()
        .unwrap();
        assert_eq!(fields.name, "SampleBatchPlugin");
        assert_eq!(fields.description, "Sample Batch Task");
        assert!(!fields.is_system_task);
        assert_eq!(fields.cancellation, Some(CancellationBehaviour::CanCancel));
        assert_eq!(
            fields.parameters.unwrap().iter().collect::<Vec<_>>(),
            vec![("args", "quarterly-report")]
        );
    }

    #[test]
    fn namespaces_prefixes_and_case_do_not_matter_but_keys_keep_their_case() {
        let fields = read(
            r#"<so:request xmlns:so="urn:x" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
                 <so:batchTaskInfo>
                   <so:NAME>Echo</so:NAME>
                   <x:parameterobject xmlns:x="urn:y">
                     <a:stringkeyvaluepair xmlns:a="urn:z"><a:key>MixedKey</a:key><a:value>V</a:value></a:stringkeyvaluepair>
                   </x:parameterobject>
                   <detailsRecord>17</detailsRecord>
                 </so:batchTaskInfo>
               </so:request>"#,
        )
        .nested("BatchTaskInfo")
        .unwrap()
        .unwrap()
        .start_fields()
        .unwrap();
        assert_eq!(fields.name, "Echo");
        assert_eq!(fields.details_record, 17);
        assert_eq!(
            fields.parameters.unwrap().iter().collect::<Vec<_>>(),
            vec![("MixedKey", "V")]
        );
    }

    #[test]
    fn nil_empty_and_text_members_bind_as_null_empty_and_string() {
        let carrier = read(
            r#"<BatchTaskInfo xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
                 <Name>Echo</Name><Description/><Request xsi:nil="true"/>
                 <Response i:nil="false">done</Response><Context>  spaced  </Context>
                 <ParameterObject/></BatchTaskInfo>"#,
        );
        let fields = carrier.start_fields().unwrap();
        assert_eq!(fields.description, "");
        assert_eq!(fields.request, None);
        assert_eq!(fields.response.as_deref(), Some("done"));
        assert_eq!(fields.context.as_deref(), Some("  spaced  "));
        assert_eq!(fields.parameters.map(|p| p.len()), Some(0));
        let update = carrier.update_fields().unwrap().update;
        assert_eq!(update.request, Some(None), "nil is an explicit null");
        assert_eq!(update.description, Some(String::new()));
    }

    #[test]
    fn lists_bind_whether_they_hold_many_one_or_no_items() {
        let carrier = read(
            r#"<r><AssociateIds><int>0</int><int>-1</int><int>7</int></AssociateIds>
                  <BatchTaskIds><long>5</long></BatchTaskIds>
                  <Others><int>9</int></Others>
                  <Ids><Id>1</Id><Id>2</Id></Ids>
                  <None/><Csv>3, 4</Csv><State>started</State></r>"#,
        );
        assert_eq!(
            carrier.int32_list("associateIds").unwrap(),
            Some(vec![0, -1, 7])
        );
        assert_eq!(carrier.int32_list("BatchTaskIds").unwrap(), Some(vec![5]));
        assert_eq!(carrier.int32_list("Others").unwrap(), Some(vec![9]));
        assert_eq!(carrier.int32_list("Ids").unwrap(), Some(vec![1, 2]));
        assert_eq!(carrier.int32_list("None").unwrap(), Some(vec![]));
        assert_eq!(carrier.int32_list("Csv").unwrap(), Some(vec![3, 4]));
        assert_eq!(
            carrier.state_selector("State").unwrap(),
            Some(StateSelector::Only(TaskState::Started))
        );
        let empty = read("<r><AssociateIds/><BatchTaskIds>\n</BatchTaskIds></r>");
        assert_eq!(empty.int32_list("AssociateIds").unwrap(), Some(vec![]));
        assert_eq!(empty.int32_list("BatchTaskIds").unwrap(), Some(vec![]));
    }

    #[test]
    fn a_wrapper_with_one_member_is_an_object_not_a_list() {
        let carrier =
            read("<StartBatchJob><BatchTaskInfo><Name>Echo</Name></BatchTaskInfo></StartBatchJob>");
        let inner = carrier.nested("batchtaskinfo").unwrap().unwrap();
        assert_eq!(inner.start_fields().unwrap().name, "Echo");
        let carrier = read("<r><Wrapper><Name>Echo</Name></Wrapper></r>");
        assert!(carrier.nested("Wrapper").unwrap().is_some());
        // Even repeated members keep BatchTaskInfo an object (the last one wins, as in JSON).
        let carrier = read("<r><BatchTaskInfo><Name>a</Name><Name>b</Name></BatchTaskInfo></r>");
        let inner = carrier.nested("BatchTaskInfo").unwrap().unwrap();
        assert_eq!(inner.start_fields().unwrap().name, "b");
        let carrier = read("<r><BatchTaskInfo/></r>");
        assert!(carrier.nested("BatchTaskInfo").unwrap().is_some());
    }

    #[test]
    fn parameter_entries_keep_order_odd_keys_and_report_nil_values() {
        let fields = read(
            r#"<t><Name>E</Name><ParameterObject>
                 <StringKeyValuePair><Key>b</Key><Value>1</Value></StringKeyValuePair>
                 <KeyValueOfstringstring><Value>2</Value><Key> A key </Key></KeyValueOfstringstring>
                 <StringKeyValuePair><Key></Key><Value/></StringKeyValuePair>
                 <plain>3</plain>
               </ParameterObject></t>"#,
        )
        .start_fields()
        .unwrap();
        assert_eq!(
            fields.parameters.unwrap().iter().collect::<Vec<_>>(),
            vec![("b", "1"), (" A key ", "2"), ("", ""), ("plain", "3")]
        );
        let error = read(
            r#"<t xmlns:i="x"><Name>E</Name><ParameterObject><StringKeyValuePair><Key>k</Key><Value i:nil="true"/></StringKeyValuePair></ParameterObject></t>"#,
        )
        .start_fields()
        .unwrap_err();
        assert_eq!(error.member.as_deref(), Some("ParameterObject"));
        assert!(
            error.message.contains("must be a string, not null"),
            "{error}"
        );
        for (entry, needle) in [
            (
                "<StringKeyValuePair><Value>v</Value></StringKeyValuePair>",
                "has no Key",
            ),
            ("<StringKeyValuePair/>", "has no Key"),
            (r#"<StringKeyValuePair i:nil="true"/>"#, "is nil"),
            (
                r#"<StringKeyValuePair><Key i:nil="true"/></StringKeyValuePair>"#,
                "nil Key",
            ),
            (
                "<StringKeyValuePair><Key><a>1</a></Key></StringKeyValuePair>",
                "not text",
            ),
        ] {
            let body = format!(
                r#"<t xmlns:i="x"><Name>E</Name><ParameterObject>{entry}</ParameterObject></t>"#
            );
            let carrier = read(&body);
            assert!(
                carrier.update_fields().is_ok(),
                "an operation that ignores ParameterObject never sees the problem"
            );
            let error = carrier.start_fields().unwrap_err();
            assert_eq!(error.member.as_deref(), Some("ParameterObject"), "{entry}");
            assert!(error.message.contains(needle), "{entry}: {error}");
        }
    }

    #[test]
    fn entities_character_references_and_cdata_are_text() {
        let fields = read(
            "<t><Name>a &amp; b &lt;c&gt; &#233;&#x1F600; &quot;&apos;</Name>\
             <Description><![CDATA[<raw> & ]]></Description><Request>x\r\ny&#xD;</Request></t>",
        )
        .start_fields()
        .unwrap();
        assert_eq!(fields.name, "a & b <c> é😀 \"'");
        assert_eq!(fields.description, "<raw> & ");
        assert_eq!(fields.request.as_deref(), Some("x\ny\r"));
    }

    #[test]
    fn a_byte_order_mark_comments_and_processing_instructions_are_allowed() {
        let body = b"\xEF\xBB\xBF<?xml version=\"1.0\"?><!-- c --><?pi x?><t><Name>E<!-- c -->cho</Name></t>\n";
        let fields = carrier_input_from_xml(body)
            .unwrap()
            .start_fields()
            .unwrap();
        assert_eq!(fields.name, "Echo");
    }

    #[test]
    fn doctypes_and_undefined_entities_are_refused() {
        let billion_laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<t><Name>&lol2;</Name></t>"#;
        let error = refuse(billion_laughs.as_bytes());
        assert!(error.message.contains("DOCTYPE"), "{error}");
        assert!(error.message.contains("line 2"), "{error}");
        let external = r#"<!DOCTYPE t SYSTEM "file:///etc/passwd"><t/>"#;
        assert!(refuse(external.as_bytes()).message.contains("DOCTYPE"));
        let error = refuse(b"<t><Name>&lol;</Name></t>");
        assert!(
            error.message.contains("&lol; is not a defined entity"),
            "{error}"
        );
        assert!(
            refuse(b"<t><Name>&#0;</Name></t>")
                .message
                .contains("column")
        );
    }

    #[test]
    fn malformed_bodies_say_what_is_wrong_and_where() {
        for (body, needle) in [
            (&b""[..], "empty"),
            (b" \r\n", "empty"),
            (b"\xFF\xFE<\x00t\x00/\x00>\x00", "UTF-16"),
            (b"<t><Name>\xC3\x28</Name></t>", "UTF-8"),
            (b"<t><Name>Echo</t>", "line 1"),
            (b"<t>\n<Name>Echo</Name>\n", "is not closed"),
            (b"<t/><u/>", "second root"),
            (b"text", "outside the root"),
            (b"<!-- only a comment -->", "no root element"),
            (b"<t/>trailing", "outside the root"),
            (b"<t><a b></a></t>", "attribute"),
            (b"<t>\n  <Name>a & b</Name></t>", "line 2"),
            (b"</t>", "line 1"),
            (b"<t i:nil=\"true\"/>", "nil"),
            (b"<int>42</int>", "holds text"),
        ] {
            let error = refuse(body);
            assert_eq!(error.member, None);
            assert!(
                error.message.contains(needle),
                "{:?}: {error}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn an_empty_root_is_an_empty_carrier() {
        let carrier = read("<request/>");
        assert!(!carrier.has("Name"));
        assert!(
            carrier
                .start_fields()
                .unwrap_err()
                .message
                .contains("Name is required")
        );
        assert!(
            read("<request>\n</request>")
                .update_fields()
                .unwrap()
                .update
                .is_empty()
        );
    }

    #[test]
    fn depth_and_element_count_are_bounded() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_XML_DEPTH + 1),
            "</a>".repeat(MAX_XML_DEPTH + 1)
        );
        assert!(refuse(deep.as_bytes()).message.contains("deeper than 32"));
        let fits = format!(
            "{}{}",
            "<a>".repeat(MAX_XML_DEPTH),
            "</a>".repeat(MAX_XML_DEPTH)
        );
        assert!(carrier_input_from_xml(fits.as_bytes()).is_ok());
        let very_deep = "<a>".repeat(1_000_000);
        assert!(carrier_input_from_xml(very_deep.as_bytes()).is_err());
        let many = format!("<t>{}</t>", "<a/>".repeat(MAX_XML_ELEMENTS));
        assert!(refuse(many.as_bytes()).message.contains("more than"));
        let big = vec![b' '; MAX_XML_BYTES + 1];
        assert!(refuse(&big).message.contains("larger than"));
    }

    #[test]
    fn text_is_escaped_and_control_characters_survive_as_references() {
        let mut out = String::new();
        push_escaped(&mut out, "a<b>&c]]>\r\n\t\u{1}\0é");
        assert_eq!(out, "a&lt;b&gt;&amp;c]]&gt;&#xD;\n\t&#x1;\u{FFFD}é");
    }

    #[test]
    fn invalid_names_are_encoded_like_dotnet() {
        for (name, encoded) in [
            ("Name", "Name"),
            ("a b", "a_x0020_b"),
            ("1st", "_x0031_st"),
            ("-x", "_x002D_x"),
            ("x-1.2", "x-1.2"),
            ("ns:local", "ns_x003A_local"),
            ("/api/v1", "_x002F_api_x002F_v1"),
            ("_x0041_", "_x005F_x0041_"),
            ("_x", "_x"),
            ("ключ", "ключ"),
            ("a😀", "a😀"),
            ("\u{1}", "_x0001_"),
            ("", "_"),
        ] {
            assert_eq!(xml_name(name), encoded, "{name:?}");
        }
    }

    #[test]
    fn primitives_nil_and_errors_have_their_documented_roots() {
        assert_eq!(
            int_xml(42),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<int>42</int>\n"
        );
        assert_eq!(
            bool_xml(true),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<boolean>true</boolean>\n"
        );
        assert_eq!(
            null_task_xml(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<BatchTaskInfo i:nil=\"true\" \
             xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" />\n"
        );
        let error = ErrorBody::new("ArgumentException", "'A<B' is not valid", "BatchTask");
        assert_eq!(
            error_xml(&error),
            concat!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error>\n",
                "  <Error>true</Error>\n  <ErrorType>ArgumentException</ErrorType>\n",
                "  <ErrorMessage>'A&lt;B' is not valid</ErrorMessage>\n",
                "  <ErrorSource>BatchTask</ErrorSource>\n</Error>\n"
            )
        );
        let detailed = error_xml(&error.with_detail());
        assert!(detailed.contains(
            "  <ErrorSource>BatchTask</ErrorSource>\n  <Message>The request is invalid.</Message>\n  <MessageDetail>'A&lt;B' is not valid</MessageDetail>\n</Error>"
        ), "{detailed}");
    }

    #[test]
    fn ad_hoc_values_become_elements_items_and_nils() {
        let value = serde_json::json!({
            "https://h/api/v1/Agents/Batch/StopBatchJob": {"POST": "Stops a job"},
            "Items": [1, "two", null, []],
            "Empty": {},
            "ParameterObject": {"k y": "v"},
            "Flag": false
        });
        let text = json_value_xml("Method Description", &value);
        assert!(text.starts_with(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Method_x0020_Description xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
        ), "{text}");
        for needle in [
            "  <Empty />\n",
            "  <Flag>false</Flag>\n",
            "  <Items>\n    <item>1</item>\n    <item>two</item>\n    <item i:nil=\"true\" />\n    <item />\n  </Items>\n",
            "  <ParameterObject>\n    <StringKeyValuePair>\n      <Key>k y</Key>\n      <Value>v</Value>\n",
            "  <https_x003A__x002F__x002F_h_x002F_api_x002F_v1_x002F_Agents_x002F_Batch_x002F_StopBatchJob>\n    <POST>Stops a job</POST>\n",
        ] {
            assert!(text.contains(needle), "{needle}\n{text}");
        }
        assert_eq!(
            json_value_xml("v", &serde_json::json!("a&b")),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<v>a&amp;b</v>\n"
        );
        assert_eq!(
            json_value_xml("v", &serde_json::json!({})),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<v />\n"
        );
        assert!(json_value_xml("v", &Value::Null).contains("<v i:nil=\"true\" xmlns:i="));
    }

    #[test]
    fn written_documents_read_back() {
        let value = serde_json::json!({"Name": "Echo", "AssociateIds": [1, 2], "Note": null});
        let carrier = read(&json_value_xml("request", &value));
        assert_eq!(carrier.string("name").unwrap().as_deref(), Some("Echo"));
        assert_eq!(
            carrier.int32_list("AssociateIds").unwrap(),
            Some(vec![1, 2])
        );
        assert!(carrier.has("Note"));
        assert_eq!(carrier.string("Note").unwrap(), None);
    }
}
