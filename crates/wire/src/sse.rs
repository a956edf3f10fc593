//! Server-Sent Events framing (the `text/event-stream` format of the WHATWG HTML standard) read
//! incrementally: byte chunks go in as they arrive, complete events come out. It owns only the
//! framing; what an event's data means, and how a connection is made or resumed, belong to callers.
//!
//! Chunk boundaries never change the result: a line, a CRLF pair or a UTF-8 sequence may be split
//! anywhere. Memory is bounded: an event whose buffered text would exceed the limit is skipped
//! whole (and counted) rather than buffered, so a misbehaving server cannot grow it without end.

use std::time::Duration;

/// The default bound on one event's buffered text.
pub const DEFAULT_EVENT_LIMIT: usize = 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The last event id the stream set, at or before this event, as the standard defines it: an
    /// event without an `id` line carries its predecessor's. `None` when no id was set (or it was
    /// set to the empty string, which the standard treats as no id).
    pub id: Option<String>,
    /// The `event` field, `message` when the event had none.
    pub event: String,
    /// The `data` lines joined by `\n`.
    pub data: String,
}

/// The incremental parser. One parser reads one connection's stream; a reconnection starts a new
/// one (carrying the last id over is the caller's business).
#[derive(Debug, Clone)]
pub struct SseParser {
    limit: usize,
    /// The bytes of the line being read. They are decoded only once the line is complete, since
    /// line terminators never occur inside a UTF-8 sequence and a split sequence thus stays whole.
    line: Vec<u8>,
    /// The line being read outgrew the limit: its bytes are dropped up to its end.
    discarding_line: bool,
    /// The previous byte was CR, so an LF right after it ends nothing.
    after_cr: bool,
    /// No line has ended yet, so a byte-order mark may still open the stream.
    at_start: bool,
    data: String,
    /// Whether any `data` line was seen; an event without one is not dispatched.
    has_data: bool,
    event: String,
    /// The current event outgrew the limit and will be skipped at its end.
    oversized: bool,
    last_id: Option<String>,
    retry: Option<Duration>,
    skipped: u64,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new()
    }
}

impl SseParser {
    /// A parser that skips events of more than [`DEFAULT_EVENT_LIMIT`] bytes.
    pub fn new() -> Self {
        SseParser::with_limit(DEFAULT_EVENT_LIMIT)
    }

    /// A parser that skips any event whose buffered text (data, event type and the line being
    /// read) would exceed `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        SseParser {
            limit,
            line: Vec::new(),
            discarding_line: false,
            after_cr: false,
            at_start: true,
            data: String::new(),
            has_data: false,
            event: String::new(),
            oversized: false,
            last_id: None,
            retry: None,
            skipped: 0,
        }
    }

    /// Reads the next chunk of the stream and returns the events it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if rest[0] == b'\n' {
                    rest = &rest[1..];
                    continue;
                }
            }
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(at) => {
                    self.append(&rest[..at]);
                    self.after_cr = rest[at] == b'\r';
                    rest = &rest[at + 1..];
                    if let Some(event) = self.end_line() {
                        events.push(event);
                    }
                }
                None => {
                    self.append(rest);
                    rest = &[];
                }
            }
        }
        events
    }

    /// The id to resume from (`Last-Event-ID`), if the stream has set one.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// The reconnection delay the stream asked for with its latest valid `retry` line.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// How many events were skipped for exceeding the limit.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    fn buffered(&self) -> usize {
        self.line.len() + self.data.len() + self.event.len()
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.discarding_line || bytes.is_empty() {
            return;
        }
        if self.buffered() + bytes.len() > self.limit {
            // Whether this happens depends only on the line's total length, never on where the
            // chunks were cut, so splitting the stream differently skips the same events.
            self.discarding_line = true;
            self.oversized = true;
            self.line = Vec::new();
            self.data = String::new();
            self.event = String::new();
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    fn end_line(&mut self) -> Option<SseEvent> {
        let mut bytes = std::mem::take(&mut self.line);
        let discarded = std::mem::replace(&mut self.discarding_line, false);
        if std::mem::replace(&mut self.at_start, false) && bytes.starts_with(BOM) {
            bytes.drain(..BOM.len());
        }
        if discarded {
            return None;
        }
        if bytes.is_empty() {
            return self.dispatch();
        }
        let line = String::from_utf8_lossy(&bytes);
        let (field, value) = match line.split_once(':') {
            Some(("", _)) => return None,
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" if !self.oversized => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" if !self.oversized => {
                self.event.clear();
                self.event.push_str(value);
            }
            // The id of a skipped event still counts: resuming after it must not replay it.
            "id" if !value.contains('\0') => {
                self.last_id = (!value.is_empty()).then(|| value.to_string());
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // More digits than a u64 holds means "a very long time", not "ignore".
                let millis = value.parse().unwrap_or(u64::MAX);
                self.retry = Some(Duration::from_millis(millis));
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let data = std::mem::take(&mut self.data);
        let event = std::mem::take(&mut self.event);
        let has_data = std::mem::replace(&mut self.has_data, false);
        if std::mem::replace(&mut self.oversized, false) {
            self.skipped += 1;
            return None;
        }
        if !has_data {
            return None;
        }
        Some(SseEvent {
            id: self.last_id.clone(),
            event: if event.is_empty() {
                "message".to_string()
            } else {
                event
            },
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(stream: &[u8]) -> Vec<SseEvent> {
        SseParser::new().feed(stream)
    }

    fn event(id: Option<&str>, event: &str, data: &str) -> SseEvent {
        SseEvent {
            id: id.map(str::to_string),
            event: event.to_string(),
            data: data.to_string(),
        }
    }

    #[test]
    fn a_task_event_is_read_with_its_id_type_and_data() {
        let events = parse(b"id: 7\nevent: task\ndata: {\"Id\": 12}\n\n");
        assert_eq!(events, [event(Some("7"), "task", "{\"Id\": 12}")]);
    }

    #[test]
    fn data_lines_are_joined_with_newlines() {
        let events = parse(b"data: one\ndata:two\ndata\ndata:  four\n\n");
        assert_eq!(events, [event(None, "message", "one\ntwo\n\n four")]);
    }

    #[test]
    fn crlf_lf_and_cr_all_end_lines() {
        let expected = [event(Some("1"), "task", "a"), event(Some("2"), "task", "b")];
        let lines = [
            "id: 1",
            "event: task",
            "data: a",
            "",
            "id: 2",
            "event: task",
            "data: b",
            "",
            "",
        ];
        for ending in ["\r\n", "\n", "\r"] {
            let text = lines.join(ending);
            assert_eq!(parse(text.as_bytes()), expected, "{ending:?}");
        }
        // A CR then an LF in the next chunk is one line ending, not two (which would dispatch).
        let mut parser = SseParser::new();
        assert!(parser.feed(b"data: x\r").is_empty());
        assert!(parser.feed(b"\ndata: y\r").is_empty());
        assert_eq!(parser.feed(b"\r"), [event(None, "message", "x\ny")]);
    }

    #[test]
    fn comments_and_unknown_fields_are_ignored() {
        let events = parse(b": heartbeat\n\n:\nfoo: bar\ndata: x\n: inside\n\n");
        assert_eq!(events, [event(None, "message", "x")]);
    }

    #[test]
    fn only_one_leading_space_is_removed_from_a_value() {
        assert_eq!(parse(b"data:  x \n\n")[0].data, " x ");
        assert_eq!(parse(b"data:x\n\n")[0].data, "x");
        assert_eq!(parse(b"data: a: b\n\n")[0].data, "a: b");
    }

    #[test]
    fn an_event_without_data_is_not_dispatched_but_its_id_is_kept() {
        let mut parser = SseParser::new();
        assert!(parser.feed(b"id: 3\nevent: task\n\n").is_empty());
        assert_eq!(parser.last_event_id(), Some("3"));
        // The type does not leak into the next event; the id does, as the standard says.
        assert_eq!(
            parser.feed(b"data: x\n\n"),
            [event(Some("3"), "message", "x")]
        );
        // An empty id clears it; an id with NUL is ignored.
        assert!(parser.feed(b"id\n\n").is_empty());
        assert_eq!(parser.last_event_id(), None);
        assert!(parser.feed(b"id: 5\nid: a\0b\n\n").is_empty());
        assert_eq!(parser.last_event_id(), Some("5"));
    }

    #[test]
    fn retry_sets_the_reconnection_delay_only_when_it_is_all_digits() {
        let mut parser = SseParser::new();
        assert_eq!(parser.retry(), None);
        parser.feed(b"retry: 2500\n");
        assert_eq!(parser.retry(), Some(Duration::from_millis(2500)));
        parser.feed(b"retry: 10s\nretry: -1\nretry:\nretry: 1 0\n");
        assert_eq!(parser.retry(), Some(Duration::from_millis(2500)));
        parser.feed(b"retry: 99999999999999999999999\n");
        assert_eq!(parser.retry(), Some(Duration::from_millis(u64::MAX)));
    }

    #[test]
    fn an_incomplete_event_at_the_end_is_not_dispatched() {
        assert!(parse(b"data: x\n").is_empty());
        assert!(parse(b"data: x").is_empty());
    }

    #[test]
    fn a_byte_order_mark_is_dropped_only_at_the_start() {
        let mut parser = SseParser::new();
        assert!(parser.feed(b"\xEF\xBB").is_empty());
        assert_eq!(
            parser.feed(b"\xBFdata: x\n\n"),
            [event(None, "message", "x")]
        );
        // Later, the same bytes are an unknown field name.
        assert!(parser.feed(b"\xEF\xBB\xBFdata: y\n\n").is_empty());
    }

    #[test]
    fn utf8_split_across_chunks_is_decoded_whole() {
        let text = "data: ø🙂\n\n".as_bytes();
        for cut in 0..text.len() {
            let mut parser = SseParser::new();
            let mut events = parser.feed(&text[..cut]);
            events.extend(parser.feed(&text[cut..]));
            assert_eq!(events, [event(None, "message", "ø🙂")], "cut at {cut}");
        }
        assert_eq!(parse(b"data: a\xFFb\n\n")[0].data, "a\u{FFFD}b");
    }

    #[test]
    fn an_event_over_the_limit_is_skipped_and_the_stream_goes_on() {
        let mut parser = SseParser::with_limit(32);
        let big = format!("id: 1\ndata: {}\n\nid: 2\ndata: small\n\n", "x".repeat(100));
        assert_eq!(
            parser.feed(big.as_bytes()),
            [event(Some("2"), "message", "small")]
        );
        assert_eq!(parser.skipped(), 1);
        // Many lines that are each small but together too much are skipped the same way.
        let many = format!("{}\ndata: after\n\n", "data: 0123456789\n".repeat(5));
        assert_eq!(
            parser.feed(many.as_bytes()),
            [event(Some("2"), "message", "after")]
        );
        assert_eq!(parser.skipped(), 2);
        // A long line never grows the buffer, however it arrives.
        let mut parser = SseParser::with_limit(32);
        for _ in 0..1_000 {
            parser.feed(&[b'y'; 1_000]);
            assert!(parser.line.capacity() <= 64);
        }
        assert!(parser.feed(b"\n\ndata: ok\n\n").len() == 1);
    }

    mod property {
        use super::super::*;
        use proptest::prelude::*;

        /// Lines that look like an event stream, in every line-ending style, with multi-byte text
        /// and byte-order marks in awkward places.
        fn stream() -> impl Strategy<Value = Vec<u8>> {
            let line = prop_oneof![
                Just(String::new()),
                Just(": heartbeat".to_string()),
                "[a-z]{0,3}".prop_map(|v| format!("id: {v}")),
                "(task|message|)".prop_map(|v| format!("event: {v}")),
                "[ -~øé🙂]{0,12}".prop_map(|v| format!("data:{v}")),
                "[0-9a-z]{0,4}".prop_map(|v| format!("retry: {v}")),
                Just("data".to_string()),
                Just("\u{FEFF}data: bom".to_string()),
            ];
            let ending = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
            prop::collection::vec((line, ending), 0..40).prop_map(|lines| {
                lines
                    .into_iter()
                    .flat_map(|(line, ending)| [line, ending.to_string()])
                    .collect::<String>()
                    .into_bytes()
            })
        }

        fn in_pieces(parser: &mut SseParser, bytes: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut events = Vec::new();
            let mut from = 0;
            for cut in cuts.into_iter().chain([bytes.len()]) {
                events.extend(parser.feed(&bytes[from..cut]));
                from = cut;
            }
            events
        }

        proptest! {
            #[test]
            fn splitting_the_stream_anywhere_yields_the_same_events(
                bytes in stream(),
                cuts in prop::collection::vec(any::<usize>(), 0..20),
                limit in prop_oneof![Just(DEFAULT_EVENT_LIMIT), 8usize..64],
            ) {
                let mut whole = SseParser::with_limit(limit);
                let expected = whole.feed(&bytes);
                let mut split = SseParser::with_limit(limit);
                let events = in_pieces(&mut split, &bytes, &cuts);
                prop_assert_eq!(events, expected);
                prop_assert_eq!(split.last_event_id(), whole.last_event_id());
                prop_assert_eq!(split.retry(), whole.retry());
                prop_assert_eq!(split.skipped(), whole.skipped());
            }

            #[test]
            fn byte_at_a_time_is_the_same_as_all_at_once(bytes in stream()) {
                let expected = SseParser::new().feed(&bytes);
                let mut parser = SseParser::new();
                let events: Vec<SseEvent> =
                    bytes.iter().flat_map(|b| parser.feed(std::slice::from_ref(b))).collect();
                prop_assert_eq!(events, expected);
            }

            #[test]
            fn arbitrary_bytes_never_panic_and_stay_within_the_limit(
                chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..20),
                limit in 0usize..256,
            ) {
                let mut parser = SseParser::with_limit(limit);
                for chunk in &chunks {
                    for event in parser.feed(chunk) {
                        prop_assert!(event.data.len() <= limit);
                    }
                    prop_assert!(parser.buffered() <= limit);
                }
            }
        }
    }
}
