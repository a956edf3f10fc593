//! The `SO-TimeZone` request header (spec §4.4) and what it does to rendered dates (spec §2.9).
//!
//! A client names a zone by SuperOffice code (`NO`, `US-NY`, `UTC`), by SuperOffice's numeric id
//! (`261`), or, as an extension, by IANA name (`Europe/Oslo`), optionally followed by the flag
//! `includeTZOffset`: `SO-TimeZone: US-NY, includeTZOffset`. The codes live in [`ZONE_CODES`];
//! every offset and daylight-saving rule comes from the IANA database through `chrono-tz`.
//!
//! Output: [`date_rendering`] turns the parsed header into the styles of `LastStarted` and
//! `Created` and the value of the `SO-TimeZone` response header.
//!
//! Input: a date a client sends with `Z` or an offset is an instant; one without a suffix is wall
//! time in the request's zone, the header's zone or else the base zone. Callers read request dates
//! with [`crate::date::parse_date`]`(text, rendering.input_zone())`, never in the base zone alone.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono_tz::{TZ_VARIANTS, Tz};

use crate::date::{DateStyle, is_utc};

mod table;

pub use table::{ZONE_CODES, ZONE_IDS};

/// The flag that asks for offsets on output dates; matched case-insensitively.
pub const INCLUDE_TZ_OFFSET: &str = "includeTZOffset";

/// The longest element worth looking up: IANA names are at most 32 characters, codes far shorter.
const MAX_ZONE_TEXT: usize = 64;

/// A zone a client named, with the name to echo back in the `SO-TimeZone` response header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedZone {
    /// The canonical SuperOffice code (`US-NY` for `us-ny` or `460`), or the IANA name, spelled
    /// as the IANA database spells it, when the client gave one.
    pub code: String,
    pub tz: Tz,
}

/// A parsed `SO-TimeZone` header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimeZoneRequest {
    /// The zone the client asked for; `None` when it named none or one this server does not know,
    /// and the base zone applies.
    pub zone: Option<ResolvedZone>,
    /// Whether output dates carry an offset (`includeTZOffset`).
    pub include_offset: bool,
}

/// Reads an `SO-TimeZone` header value. Never fails and never panics.
///
/// The value is split on `,` and each element trimmed; an element equal to `includeTZOffset` in
/// any case sets the flag, wherever it stands. The first other non-empty element names the zone:
/// a code in any case (`us-ny`), a numeric id (`460`) or an IANA name (`America/New_York`). An
/// element that names no known zone leaves `zone` as `None`, as does a header with only the flag
/// or nothing at all; later elements are not tried.
pub fn parse_so_timezone(header: &str) -> TimeZoneRequest {
    let mut request = TimeZoneRequest::default();
    let mut zone_seen = false;
    for element in header.split(',').map(str::trim) {
        if element.eq_ignore_ascii_case(INCLUDE_TZ_OFFSET) {
            request.include_offset = true;
        } else if !element.is_empty() && !zone_seen {
            zone_seen = true;
            request.zone = resolve_zone(element);
        }
    }
    request
}

/// Looks up one zone name: a SuperOffice code in any case, a documented numeric id, or an IANA
/// name in any case. Codes win over IANA names that look the same (`NZ`, `GB`, `UTC`).
///
/// Also suits configuration, where the base zone may be written either way.
pub fn resolve_zone(text: &str) -> Option<ResolvedZone> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_ZONE_TEXT {
        return None;
    }
    if let Some(&index) = codes_by_name().get(&text.to_ascii_uppercase()) {
        let (code, tz) = ZONE_CODES[index];
        return Some(ResolvedZone {
            code: code.to_string(),
            tz,
        });
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let id: u32 = text.parse().ok()?;
        let (_, code) = ZONE_IDS.iter().find(|(known, _)| *known == id)?;
        return resolve_zone(code);
    }
    let tz = text
        .parse::<Tz>()
        .ok()
        .or_else(|| iana_by_name().get(&text.to_ascii_lowercase()).copied())?;
    Some(ResolvedZone {
        code: tz.name().to_string(),
        tz,
    })
}

/// The SuperOffice code for `tz`, for the `SO-TimeZone` response header when the base zone is in
/// use: `Europe/Oslo` → `NO`, `UTC` → `UTC`, `America/Chicago` → `US-IL`.
///
/// Several codes can share a zone; the one echoed is a documented SuperOffice code if there is
/// one (`America/New_York` → `US-NY`), else the country code (`Europe/Moscow` → `RU`), else the
/// region listed first for the zone. The UTC aliases give `UTC`. A zone no code maps to gives its
/// IANA name, which [`parse_so_timezone`] accepts too.
pub fn zone_code_for(tz: Tz) -> String {
    if is_utc(tz) {
        return "UTC".to_string();
    }
    match codes_by_zone().get(&tz) {
        Some(code) => (*code).to_string(),
        None => tz.name().to_string(),
    }
}

/// How one response renders its dates, and what it says in its `SO-TimeZone` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateRendering {
    /// For base-zone columns such as `LastStarted`.
    pub last_started: DateStyle,
    /// For UTC columns such as `Created`.
    pub created: DateStyle,
    /// The code of the zone `LastStarted` is rendered in: the value of the `SO-TimeZone` response
    /// header.
    pub header_value: String,
}

impl DateRendering {
    /// The zone an unsuffixed request date is wall time in: the header's zone, else the base zone.
    /// Pass it to [`crate::date::parse_date`].
    pub fn input_zone(&self) -> Tz {
        self.last_started.zone
    }
}

/// The date styles of a response (spec §2.9), for the request's `SO-TimeZone` header (`None` when
/// it sent none) and the base zone the server stores base-zone dates in.
///
/// | header                  | `LastStarted`               | `Created`             |
/// |-------------------------|-----------------------------|-----------------------|
/// | none, or no known zone  | base zone, no suffix        | base zone, no suffix  |
/// | `X`                     | zone X, no suffix           | UTC, no suffix        |
/// | `X, includeTZOffset`    | zone X, `+HH:MM`            | UTC, `Z`              |
/// | `includeTZOffset`       | base zone, `+HH:MM`         | UTC, `Z`              |
///
/// A header naming an unknown zone counts as naming none: the zone is ignored, not the header's
/// flag.
pub fn date_rendering(request: Option<&TimeZoneRequest>, base: Tz) -> DateRendering {
    let (zone, include_offset) = match request {
        Some(request) => (request.zone.as_ref(), request.include_offset),
        None => (None, false),
    };
    if zone.is_none() && !include_offset {
        let style = DateStyle {
            zone: base,
            include_offset: false,
        };
        return DateRendering {
            last_started: style,
            created: style,
            header_value: zone_code_for(base),
        };
    }
    let (tz, header_value) = match zone {
        Some(zone) => (zone.tz, zone.code.clone()),
        None => (base, zone_code_for(base)),
    };
    DateRendering {
        last_started: DateStyle {
            zone: tz,
            include_offset,
        },
        created: DateStyle {
            zone: Tz::UTC,
            include_offset,
        },
        header_value,
    }
}

/// Upper-case code → index into [`ZONE_CODES`].
fn codes_by_name() -> &'static HashMap<String, usize> {
    static MAP: OnceLock<HashMap<String, usize>> = OnceLock::new();
    MAP.get_or_init(|| {
        ZONE_CODES
            .iter()
            .enumerate()
            .map(|(index, (code, _))| (code.to_ascii_uppercase(), index))
            .collect()
    })
}

/// Lower-case IANA name → zone, for names in the wrong case.
fn iana_by_name() -> &'static HashMap<String, Tz> {
    static MAP: OnceLock<HashMap<String, Tz>> = OnceLock::new();
    MAP.get_or_init(|| {
        TZ_VARIANTS
            .iter()
            .map(|tz| (tz.name().to_ascii_lowercase(), *tz))
            .collect()
    })
}

/// Zone → the code [`zone_code_for`] echoes for it.
fn codes_by_zone() -> &'static HashMap<Tz, &'static str> {
    static MAP: OnceLock<HashMap<Tz, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| {
        let rank = |code: &str| {
            if ZONE_IDS.iter().any(|(_, documented)| *documented == code) {
                0
            } else if table::BORROWED_ZONES.contains(&code) {
                3
            } else if !code.contains('-') {
                1
            } else {
                2
            }
        };
        let mut best: HashMap<Tz, &'static str> = HashMap::new();
        for (code, tz) in ZONE_CODES {
            let better = best.get(tz).is_none_or(|held| rank(code) < rank(held));
            if better {
                best.insert(*tz, code);
            }
        }
        best
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_zones_are_country_codes_in_the_table() {
        for code in table::BORROWED_ZONES {
            assert!(resolve_zone(code).is_some(), "{code}");
        }
        assert_eq!(zone_code_for(Tz::Indian__Kerguelen), "TF");
        assert_eq!(zone_code_for(Tz::Europe__Oslo), "NO");
    }

    #[test]
    fn overlong_and_odd_elements_resolve_to_nothing() {
        assert_eq!(resolve_zone(&"A".repeat(MAX_ZONE_TEXT + 1)), None);
        assert_eq!(resolve_zone("99999999999999999999"), None);
        assert_eq!(resolve_zone("0"), None);
        assert_eq!(resolve_zone("-261"), None);
        assert_eq!(resolve_zone("Europe/"), None);
    }
}
