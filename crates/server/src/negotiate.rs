//! Content negotiation (spec §4.2): which body formats a request may use, and which format its
//! answer takes according to `Accept` with q-values.

use std::cmp::Ordering;

/// How a request body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Xml,
    Form,
    /// `application/json-patch+json`: an RFC 6902 patch (a plain JSON carrier elsewhere than PATCH).
    JsonPatch,
    /// `application/merge-patch+json`: an RFC 7396 merge patch (likewise).
    MergePatch,
}

/// The format of a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyFormat {
    /// JSON, labelled with the media type the client asked for (`application/json` or `text/json`).
    Json(&'static str),
    /// XML, labelled `application/xml` or `text/xml`.
    Xml(&'static str),
}

impl ReplyFormat {
    pub const JSON: ReplyFormat = ReplyFormat::Json("application/json; charset=utf-8");
}

/// Classifies a `Content-Type`; `Err` carries the media type that is not supported (→ 415).
/// A missing or empty header is taken as JSON, which is what every known client sends.
pub fn body_format(content_type: Option<&str>) -> Result<BodyFormat, String> {
    let Some(value) = content_type else {
        return Ok(BodyFormat::Json);
    };
    let media = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "" | "application/json" | "text/json" => Ok(BodyFormat::Json),
        "application/xml" | "text/xml" => Ok(BodyFormat::Xml),
        "application/x-www-form-urlencoded" => Ok(BodyFormat::Form),
        "application/json-patch+json" => Ok(BodyFormat::JsonPatch),
        "application/merge-patch+json" => Ok(BodyFormat::MergePatch),
        _ => Err(media),
    }
}

/// The media types a response can take, in the server's order of preference for ties.
const OFFERS: [(&str, ReplyFormat); 6] = [
    ("application/json", ReplyFormat::JSON),
    ("text/json", ReplyFormat::Json("text/json; charset=utf-8")),
    // The two patch types "produce JSON" (spec §4.2): answered as plain JSON.
    ("application/json-patch+json", ReplyFormat::JSON),
    ("application/merge-patch+json", ReplyFormat::JSON),
    (
        "application/xml",
        ReplyFormat::Xml("application/xml; charset=utf-8"),
    ),
    ("text/xml", ReplyFormat::Xml("text/xml; charset=utf-8")),
];

/// Chooses the response format for an `Accept` header; `None` when nothing offered is acceptable
/// (→ 406). No header, or an unparsable one, means JSON.
pub fn reply_format(accept: Option<&str>) -> Option<ReplyFormat> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(ReplyFormat::JSON);
    };
    let ranges: Vec<(String, f32)> = accept.split(',').filter_map(media_range).collect();
    if ranges.is_empty() {
        return Some(ReplyFormat::JSON);
    }
    let mut best: Option<(f32, u8, usize)> = None;
    for (index, (offer, _)) in OFFERS.iter().enumerate() {
        // The most specific range that matches an offer decides its quality.
        let matched = ranges
            .iter()
            .filter_map(|(range, q)| specificity(range, offer).map(|s| (s, *q)))
            .max_by(|a, b| a.0.cmp(&b.0));
        if let Some((specific, q)) = matched
            && q > 0.0
        {
            let better = match best {
                None => true,
                Some((best_q, best_specific, _)) => match q.partial_cmp(&best_q) {
                    Some(Ordering::Greater) => true,
                    Some(Ordering::Equal) => specific > best_specific,
                    _ => false,
                },
            };
            if better {
                best = Some((q, specific, index));
            }
        }
    }
    best.map(|(_, _, index)| OFFERS[index].1)
}

/// The answer format a `$format` query option names (spec §1.8: `JSON` or `XML`, in any case, or
/// one of the media types the server writes); `None` for anything else.
pub fn format_option(value: &str) -> Option<ReplyFormat> {
    let value = value.trim().to_ascii_lowercase();
    match value.as_str() {
        "json" => Some(ReplyFormat::JSON),
        "xml" => Some(ReplyFormat::Xml("application/xml; charset=utf-8")),
        media => OFFERS
            .iter()
            .find(|(offer, _)| *offer == media)
            .map(|(_, format)| *format),
    }
}

/// The format a query string's `$format` option names, for the answer to follow over `Accept`:
/// the option's name matches in any case and its value must be one [`format_option`] reads. A
/// query without a usable one gives `None`, and `Accept` decides.
pub fn format_from_query(query: Option<&str>) -> Option<ReplyFormat> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("$format"))
        .and_then(|(_, value)| format_option(value))
}

/// `type/subtype;q=0.5` → (lower-cased range, quality); a malformed quality counts as 1.
fn media_range(part: &str) -> Option<(String, f32)> {
    let mut pieces = part.split(';');
    let range = pieces.next()?.trim().to_ascii_lowercase();
    if range.is_empty() {
        return None;
    }
    let mut quality = 1.0f32;
    for parameter in pieces {
        if let Some((name, value)) = parameter.split_once('=')
            && name.trim().eq_ignore_ascii_case("q")
        {
            quality = value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| q.is_finite())
                .unwrap_or(1.0);
        }
    }
    Some((range, quality.clamp(0.0, 1.0)))
}

/// How specifically `range` matches `offer`: 2 exact, 1 `type/*`, 0 `*/*`; `None` if it does not.
fn specificity(range: &str, offer: &str) -> Option<u8> {
    if range == offer {
        return Some(2);
    }
    if range == "*/*" || range == "*" {
        return Some(0);
    }
    let (range_type, range_sub) = range.split_once('/')?;
    let (offer_type, _) = offer.split_once('/')?;
    (range_sub == "*" && range_type == offer_type).then_some(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn is_xml(format: Option<ReplyFormat>) -> bool {
        matches!(format, Some(ReplyFormat::Xml(_)))
    }

    fn media(format: Option<ReplyFormat>) -> Option<&'static str> {
        match format? {
            ReplyFormat::Json(media) | ReplyFormat::Xml(media) => Some(media),
        }
    }

    #[test]
    fn accept_picks_by_quality_then_specificity() {
        assert_eq!(reply_format(None), Some(ReplyFormat::JSON));
        assert_eq!(reply_format(Some("*/*")), Some(ReplyFormat::JSON));
        assert_eq!(
            reply_format(Some("application/json; charset=utf-8")),
            Some(ReplyFormat::JSON)
        );
        assert!(is_xml(reply_format(Some("application/xml"))));
        assert_eq!(
            media(reply_format(Some("text/xml"))),
            Some("text/xml; charset=utf-8")
        );
        assert_eq!(
            media(reply_format(Some("text/json"))),
            Some("text/json; charset=utf-8")
        );
        assert!(is_xml(reply_format(Some(
            "application/json;q=0.4, application/xml;q=0.9"
        ))));
        assert_eq!(
            reply_format(Some("application/xml;q=0.5, */*")),
            Some(ReplyFormat::JSON)
        );
        assert!(reply_format(Some("text/*")).is_some());
        assert_eq!(
            reply_format(Some("application/merge-patch+json")),
            Some(ReplyFormat::JSON)
        );
        assert_eq!(reply_format(Some("image/png")), None);
        assert_eq!(reply_format(Some("application/json;q=0")), None);
        assert_eq!(reply_format(Some("*/*;q=0")), None);
    }

    #[test]
    fn content_types_are_classified_with_or_without_charset() {
        assert_eq!(body_format(None), Ok(BodyFormat::Json));
        assert_eq!(
            body_format(Some("application/json; charset=utf-8")),
            Ok(BodyFormat::Json)
        );
        assert_eq!(body_format(Some("TEXT/XML")), Ok(BodyFormat::Xml));
        assert_eq!(
            body_format(Some("application/x-www-form-urlencoded")),
            Ok(BodyFormat::Form)
        );
        assert_eq!(
            body_format(Some("application/json-patch+json")),
            Ok(BodyFormat::JsonPatch)
        );
        assert_eq!(
            body_format(Some("text/plain")),
            Err("text/plain".to_string())
        );
    }

    #[test]
    fn the_format_option_names_json_or_xml_in_any_case() {
        assert_eq!(format_option("JSON"), Some(ReplyFormat::JSON));
        assert!(is_xml(format_option("xml")));
        assert!(is_xml(format_option("application/xml")));
        assert_eq!(
            media(format_option("text/json")),
            Some("text/json; charset=utf-8")
        );
        assert_eq!(format_option("atom"), None);
        assert!(is_xml(format_from_query(Some("$top=1&%24FORMAT=Xml"))));
        assert_eq!(format_from_query(Some("$format=csv")), None);
        assert_eq!(format_from_query(None), None);
    }

    proptest! {
        #[test]
        fn any_accept_header_is_answered_without_panicking(accept in "\\PC{0,80}") {
            let _ = reply_format(Some(&accept));
            let _ = body_format(Some(&accept));
        }
    }
}
