//! The SuperOffice wire formats of sobatch: the `BatchTaskInfo` carrier as it is rendered, the
//! case-insensitive and lazy binding of request carriers, dates as SuperOffice writes and reads them,
//! error bodies, and a typed HTTP client for the CLI and black-box tests.
//!
//! Wire types are not domain types: this crate converts between the two at the edge and never
//! reaches the store or the engine. Its types deliberately never share a name with a domain type.

pub mod archive;
pub mod carrier;
pub mod client;
pub mod date;
pub mod error;
pub mod form;
pub mod input;
pub mod language;
pub mod odata;
pub mod sse;
pub mod timezone;
pub mod url;
pub mod xml;

pub use archive::{
    ArchiveMode, ArchiveOutput, ArchivePage, ArchiveRow, ArchiveShape, Cell, archive_json,
    archive_xml,
};
pub use carrier::{
    BATCH_TASK_INFO_MEMBERS, BatchTaskInfo, MemberSelection, SelectedBatchTaskInfo, render_task,
    render_task_with_styles,
};
pub use client::{ClientError, EventStream, Method, RawResponse, WireClient};
pub use date::{DateStyle, format_date, parse_date};
pub use error::ErrorBody;
pub use form::carrier_input_from_form;
pub use input::{CarrierInput, Segment, StartFields, UpdateFields, WireError, parse_int32_segment};
pub use language::{Lang, LanguageRequest, ResourceId, localize, parse_language_headers};
pub use sse::{SseEvent, SseParser};
pub use timezone::{DateRendering, ResolvedZone, TimeZoneRequest, date_rendering, zone_code_for};
pub use timezone::{parse_so_timezone, resolve_zone};
pub use xml::carrier_input_from_xml;
