//! The `SO-TimeZone` header: every documented form, the zone-code table, the date styles of
//! spec §2.9 (the tzoffset sample exactly), daylight-saving edges, and properties of parsing and
//! rendering across the table.

use std::collections::HashSet;

use crate::fixture::{at, sample_task};
use chrono::{DateTime, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use sobatch_wire::timezone::{INCLUDE_TZ_OFFSET, ZONE_CODES, ZONE_IDS};
use sobatch_wire::{
    DateRendering, DateStyle, ResolvedZone, TimeZoneRequest, date_rendering, format_date,
    parse_date, parse_so_timezone, render_task_with_styles, resolve_zone, zone_code_for,
};

fn zone(code: &str, tz: Tz) -> Option<ResolvedZone> {
    Some(ResolvedZone {
        code: code.to_string(),
        tz,
    })
}

fn request(code: &str, tz: Tz, include_offset: bool) -> TimeZoneRequest {
    TimeZoneRequest {
        zone: zone(code, tz),
        include_offset,
    }
}

fn style(zone: Tz, include_offset: bool) -> DateStyle {
    DateStyle {
        zone,
        include_offset,
    }
}

/// The rendering for a raw header value (`None`: no header).
fn rendering(header: Option<&str>, base: Tz) -> DateRendering {
    let request = header.map(parse_so_timezone);
    date_rendering(request.as_ref(), base)
}

// ---- Header forms (spec §4.4) ----

#[test]
fn every_documented_header_form_parses() {
    let cases: [(&str, TimeZoneRequest); 9] = [
        ("NO", request("NO", Tz::Europe__Oslo, false)),
        ("261", request("NO", Tz::Europe__Oslo, false)),
        (
            "US-NY, includeTZOffset",
            request("US-NY", Tz::America__New_York, true),
        ),
        ("UTC,includeTZOffset", request("UTC", Tz::UTC, true)),
        (
            "includeTZOffset",
            TimeZoneRequest {
                zone: None,
                include_offset: true,
            },
        ),
        (
            "  us-ny ,INCLUDETZOFFSET ",
            request("US-NY", Tz::America__New_York, true),
        ),
        (
            "Europe/Oslo",
            request("Europe/Oslo", Tz::Europe__Oslo, false),
        ),
        ("XX-YY", TimeZoneRequest::default()),
        ("", TimeZoneRequest::default()),
    ];
    for (header, expected) in cases {
        assert_eq!(parse_so_timezone(header), expected, "{header:?}");
    }
}

#[test]
fn spacing_case_and_position_do_not_matter() {
    let new_york_with_offsets = request("US-NY", Tz::America__New_York, true);
    for header in [
        "US-NY,includeTZOffset",
        "us-ny, includetzoffset",
        "includeTZOffset, US-NY",
        "\tUs-Ny\t,\tIncludeTzOffset",
        "US-NY,,includeTZOffset,",
        "460, includeTZOffset",
        "America/New_York, includeTZOffset",
    ] {
        let parsed = parse_so_timezone(header);
        assert!(parsed.include_offset, "{header:?}");
        assert_eq!(
            parsed.zone.as_ref().map(|z| z.tz),
            Some(Tz::America__New_York),
            "{header:?}"
        );
    }
    assert_eq!(
        parse_so_timezone("US-NY,includeTZOffset"),
        new_york_with_offsets
    );
    // An IANA name in the wrong case is echoed as the database spells it.
    assert_eq!(
        parse_so_timezone("america/new_york").zone,
        zone("America/New_York", Tz::America__New_York)
    );
    // The flag needs its whole name; near misses are zone names, and unknown ones.
    for header in ["includeTZ", "includeTZOffsets", "include TZ Offset"] {
        assert_eq!(
            parse_so_timezone(header),
            TimeZoneRequest::default(),
            "{header:?}"
        );
    }
    assert_eq!(INCLUDE_TZ_OFFSET, "includeTZOffset");
}

#[test]
fn unknown_and_empty_zones_leave_the_zone_to_the_base() {
    for header in [
        "XX-YY",
        "   ",
        ",",
        " , , ",
        "Mars/Olympus_Mons",
        "999",
        "0",
        "Oslo",
        "NOR",
        "US-",
        "-NY",
        "US NY",
    ] {
        assert_eq!(
            parse_so_timezone(header),
            TimeZoneRequest::default(),
            "{header:?}"
        );
    }
    assert_eq!(
        parse_so_timezone("XX-YY, includeTZOffset"),
        TimeZoneRequest {
            zone: None,
            include_offset: true
        }
    );
    // The first zone element decides; a known zone after an unknown one is not tried.
    assert_eq!(parse_so_timezone("XX-YY, NO").zone, None);
    assert_eq!(
        parse_so_timezone("DK, NO").zone,
        zone("DK", Tz::Europe__Copenhagen)
    );
}

#[test]
fn every_documented_id_names_its_code() {
    let documented = [
        (1, "UTC", Tz::UTC),
        (36, "AU-ACT", Tz::Australia__Sydney),
        (50, "BD", Tz::Asia__Dhaka),
        (114, "CA-QC", Tz::America__Toronto),
        (140, "DK", Tz::Europe__Copenhagen),
        (156, "FR", Tz::Europe__Paris),
        (261, "NO", Tz::Europe__Oslo),
        (425, "US-CA", Tz::America__Los_Angeles),
        (433, "US-HI", Tz::Pacific__Honolulu),
        (460, "US-NY", Tz::America__New_York),
    ];
    assert_eq!(ZONE_IDS.len(), documented.len());
    for (id, code, tz) in documented {
        assert!(ZONE_IDS.contains(&(id, code)), "{id}");
        assert_eq!(resolve_zone(&id.to_string()), zone(code, tz), "{id}");
        assert_eq!(resolve_zone(code), zone(code, tz), "{code}");
    }
    // Undocumented ids are unknown, whatever SuperOffice may number them.
    for id in ["2", "35", "262", "461", "4294967295", "4294967296"] {
        assert_eq!(resolve_zone(id), None, "{id}");
    }
}

#[test]
fn the_documented_offsets_come_out_of_the_iana_database() {
    // so-timezone.md lists each documented zone's standard and daylight offsets in minutes.
    let winter = NaiveDate::from_ymd_opt(2024, 1, 15)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let summer = NaiveDate::from_ymd_opt(2024, 7, 15)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let offset = |tz: Tz, when| tz.offset_from_utc_datetime(&when).fix().local_minus_utc() / 60;
    for (code, standard, daylight) in [
        ("UTC", 0, 0),
        ("BD", 360, 360),
        ("CA-QC", -300, -240),
        ("DK", 60, 120),
        ("FR", 60, 120),
        ("NO", 60, 120),
        ("US-CA", -480, -420),
        ("US-HI", -600, -600),
        ("US-NY", -300, -240),
    ] {
        let tz = resolve_zone(code).unwrap().tz;
        assert_eq!(offset(tz, winter), standard, "{code} in January");
        assert_eq!(offset(tz, summer), daylight, "{code} in July");
    }
    // Southern hemisphere: daylight time in January.
    let canberra = resolve_zone("AU-ACT").unwrap().tz;
    assert_eq!(offset(canberra, summer), 600);
    assert_eq!(offset(canberra, winter), 660);
}

// ---- The table ----

#[test]
fn every_code_is_unique_upper_case_and_maps_to_a_valid_zone() {
    let mut seen = HashSet::new();
    let instant = at("2024-06-01T00:00:00Z");
    for (code, tz) in ZONE_CODES {
        assert!(seen.insert(*code), "{code} twice");
        assert_eq!(code.to_ascii_uppercase(), *code, "{code} is upper-case");
        let (country, region) = code.split_once('-').unwrap_or((code, ""));
        assert!(
            *code == "UTC"
                || (country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())),
            "{code} starts with a country code"
        );
        assert!(
            region
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            "{code}"
        );
        assert!(!code.ends_with('-'), "{code}");
        // The zone is one the IANA database knows by name, and it can convert.
        assert_eq!(tz.name().parse::<Tz>(), Ok(*tz), "{code}");
        let _ = instant.with_timezone(tz);
        // The code resolves to its own entry, in any case.
        assert_eq!(resolve_zone(code), zone(code, *tz), "{code}");
        assert_eq!(
            resolve_zone(&code.to_ascii_lowercase()),
            zone(code, *tz),
            "{code}"
        );
    }
    for (_, code) in ZONE_IDS {
        assert!(seen.contains(code), "documented {code} is in the table");
    }
}

#[test]
fn every_iso_country_has_a_code() {
    let countries: Vec<&str> = ZONE_CODES
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| code.len() == 2)
        .collect();
    // ISO 3166-1 has 249 alpha-2 codes.
    assert_eq!(countries.len(), 249);
    for code in [
        "NO", "SE", "DK", "FI", "IS", "DE", "GB", "NL", "FR", "BD", "XK",
    ] {
        if code == "XK" {
            // Kosovo's code is user-assigned, not ISO 3166-1.
            assert!(!countries.contains(&code));
        } else {
            assert!(countries.contains(&code), "{code}");
        }
    }
    // Every region belongs to a country in the table.
    for (code, _) in ZONE_CODES {
        if let Some((country, _)) = code.split_once('-') {
            assert!(countries.contains(&country), "{code}");
        }
    }
}

#[test]
fn multi_zone_countries_get_their_capitals_zone_and_regions_their_own() {
    for (code, tz) in [
        ("US", Tz::America__New_York),
        ("CA", Tz::America__Toronto),
        ("AU", Tz::Australia__Sydney),
        ("BR", Tz::America__Sao_Paulo),
        ("RU", Tz::Europe__Moscow),
        ("MX", Tz::America__Mexico_City),
        ("ID", Tz::Asia__Jakarta),
        ("KZ", Tz::Asia__Almaty),
        ("MN", Tz::Asia__Ulaanbaatar),
        ("CD", Tz::Africa__Kinshasa),
        ("US-NY", Tz::America__New_York),
        ("US-CA", Tz::America__Los_Angeles),
        ("US-HI", Tz::Pacific__Honolulu),
        ("US-AZ", Tz::America__Phoenix),
        ("US-IN", Tz::America__Indiana__Indianapolis),
        ("US-AK", Tz::America__Anchorage),
        ("US-TX", Tz::America__Chicago),
        ("US-CO", Tz::America__Denver),
        ("US-DC", Tz::America__New_York),
        ("CA-QC", Tz::America__Toronto),
        ("CA-ON", Tz::America__Toronto),
        ("CA-BC", Tz::America__Vancouver),
        ("CA-AB", Tz::America__Edmonton),
        ("CA-NL", Tz::America__St_Johns),
        ("CA-SK", Tz::America__Regina),
        ("CA-NT", Tz::America__Edmonton),
        ("AU-ACT", Tz::Australia__Sydney),
        ("AU-NSW", Tz::Australia__Sydney),
        ("AU-VIC", Tz::Australia__Melbourne),
        ("AU-QLD", Tz::Australia__Brisbane),
        ("AU-SA", Tz::Australia__Adelaide),
        ("AU-WA", Tz::Australia__Perth),
        ("AU-TAS", Tz::Australia__Hobart),
        ("AU-NT", Tz::Australia__Darwin),
        ("AR-NQ", Tz::America__Argentina__Salta),
        ("BR-AM", Tz::America__Manaus),
        ("RU-KGD", Tz::Europe__Kaliningrad),
        ("RU-SPE", Tz::Europe__Moscow),
        ("RU-SVE", Tz::Asia__Yekaterinburg),
        ("RU-PRI", Tz::Asia__Vladivostok),
        ("RU-KAM", Tz::Asia__Kamchatka),
        ("MX-BCN", Tz::America__Tijuana),
        ("MX-ROO", Tz::America__Cancun),
        ("ID-BA", Tz::Asia__Makassar),
        ("ID-PA", Tz::Asia__Jayapura),
        ("KZ-27", Tz::Asia__Oral),
        ("MN-043", Tz::Asia__Hovd),
        ("CD-HK", Tz::Africa__Lubumbashi),
        ("CL-MA", Tz::America__Punta_Arenas),
        ("ES-CN", Tz::Atlantic__Canary),
        ("PT-20", Tz::Atlantic__Azores),
        ("NZ-CIT", Tz::Pacific__Chatham),
        ("KI-L", Tz::Pacific__Kiritimati),
    ] {
        assert_eq!(resolve_zone(code).map(|z| z.tz), Some(tz), "{code}");
    }
    let regions = |country: &str| {
        ZONE_CODES
            .iter()
            .filter(|(code, _)| {
                code.strip_prefix(country)
                    .is_some_and(|r| r.starts_with('-'))
            })
            .count()
    };
    assert_eq!(regions("US"), 51, "50 states and DC");
    assert_eq!(regions("CA"), 13);
    assert_eq!(regions("AU"), 8);
    assert_eq!(regions("BR"), 27);
    assert_eq!(regions("MX"), 32);
    assert_eq!(regions("RU"), 83);
    assert_eq!(regions("ID"), 38);
    assert_eq!(regions("KZ"), 20);
    assert_eq!(regions("MN"), 22);
    assert_eq!(regions("CD"), 26);
    assert_eq!(regions("AR"), 24);
}

#[test]
fn zone_codes_echo_documented_codes_then_countries_then_regions() {
    for (tz, code) in [
        (Tz::Europe__Oslo, "NO"),
        (Tz::UTC, "UTC"),
        (Tz::Etc__UTC, "UTC"),
        (Tz::Zulu, "UTC"),
        (Tz::Europe__Copenhagen, "DK"),
        (Tz::Europe__Stockholm, "SE"),
        (Tz::Europe__London, "GB"),
        (Tz::America__New_York, "US-NY"),
        (Tz::America__Los_Angeles, "US-CA"),
        (Tz::America__Toronto, "CA-QC"),
        (Tz::Australia__Sydney, "AU-ACT"),
        (Tz::Europe__Moscow, "RU"),
        (Tz::America__Chicago, "US-IL"),
        (Tz::America__Denver, "US-CO"),
        (Tz::Asia__Yekaterinburg, "RU-SVE"),
        (Tz::Indian__Kerguelen, "TF"),
        (Tz::Arctic__Longyearbyen, "SJ"),
        // Zones no code names are echoed by IANA name.
        (Tz::Europe__Busingen, "Europe/Busingen"),
        (Tz::Etc__GMTPlus5, "Etc/GMT+5"),
    ] {
        assert_eq!(zone_code_for(tz), code, "{}", tz.name());
    }
}

#[test]
fn every_echoed_code_reads_back_as_the_same_zone() {
    for (_, tz) in ZONE_CODES {
        let echoed = zone_code_for(*tz);
        assert_eq!(resolve_zone(&echoed).map(|z| z.tz), Some(*tz), "{echoed}");
    }
    for tz in chrono_tz::TZ_VARIANTS {
        let echoed = zone_code_for(tz);
        let back = resolve_zone(&echoed).unwrap().tz;
        // UTC aliases echo `UTC`; links spelled like a code (`GB`, `NZ`) read back as the code's
        // zone, which keeps the same time.
        let same_time = [
            "1980-06-01T00:00:00Z",
            "2000-01-01T00:00:00Z",
            "2024-07-01T00:00:00Z",
        ]
        .into_iter()
        .all(|t| {
            at(t).with_timezone(&back).naive_local() == at(t).with_timezone(&tz).naive_local()
        });
        assert!(back == tz || same_time, "{} echoed as {echoed}", tz.name());
    }
}

// ---- Date styles (spec §2.9) ----

#[test]
fn date_styles_follow_the_spec_table() {
    let base = Tz::Europe__Oslo;
    let cases = [
        // No header: everything in the base zone, no suffix.
        (None, style(base, false), style(base, false), "NO"),
        // A zone: LastStarted converted, Created in UTC, no suffix.
        (
            Some("US-NY"),
            style(Tz::America__New_York, false),
            style(Tz::UTC, false),
            "US-NY",
        ),
        // A zone with offsets: LastStarted with `+HH:MM`, Created in UTC with `Z`.
        (
            Some("US-NY, includeTZOffset"),
            style(Tz::America__New_York, true),
            style(Tz::UTC, true),
            "US-NY",
        ),
        (
            Some("UTC,includeTZOffset"),
            style(Tz::UTC, true),
            style(Tz::UTC, true),
            "UTC",
        ),
        // The flag alone: the base zone, with offsets.
        (
            Some("includeTZOffset"),
            style(base, true),
            style(Tz::UTC, true),
            "NO",
        ),
        // An unknown zone is ignored; its flag is not.
        (Some("XX-YY"), style(base, false), style(base, false), "NO"),
        (
            Some("XX-YY, includeTZOffset"),
            style(base, true),
            style(Tz::UTC, true),
            "NO",
        ),
        (Some(""), style(base, false), style(base, false), "NO"),
        // The base zone named explicitly: converted (to itself), Created in UTC.
        (Some("261"), style(base, false), style(Tz::UTC, false), "NO"),
        (
            Some("Europe/Oslo"),
            style(base, false),
            style(Tz::UTC, false),
            "Europe/Oslo",
        ),
    ];
    for (header, last_started, created, header_value) in cases {
        let got = rendering(header, base);
        assert_eq!(
            got,
            DateRendering {
                last_started,
                created,
                header_value: header_value.to_string(),
            },
            "{header:?}"
        );
        assert_eq!(got.input_zone(), last_started.zone, "{header:?}");
    }
    assert_eq!(rendering(None, Tz::UTC).header_value, "UTC");
    assert_eq!(
        rendering(Some("includeTZOffset"), Tz::UTC).header_value,
        "UTC"
    );
    assert_eq!(rendering(None, Tz::America__Chicago).header_value, "US-IL");
}

/// `spec/samples/batchtaskinfo.response.tzoffset.json` (`SO-TimeZone: NO, includeTZOffset`, base
/// zone NO), compacted, with the order kept.
const TZOFFSET_SAMPLE: &str = concat!(
    r#"{"Id":42,"Name":"SampleBatchPlugin","AssociateId":5,"DetailsTable":205,"#,
    r#""DetailsRecord":1187,"IsSystemTask":false,"IsInternalTask":false,"#,
    r#""ParameterObject":{"args":"quarterly-report","format":"pdf"},"#,
    r#""LastStarted":"2024-05-02T10:15:31+02:00","Created":"2024-05-02T08:15:30Z","#,
    r#""StartCount":1,"DatabaseSerialNumber":"1234567890","Context":null,"Result":null,"#,
    r#""State":"Started","Description":"Sample Batch Task","Response":"","Request":"","#,
    r#""ProgressDescription":"Rendering page 3 of 10","ProgressPercent":30,"FileName":null,"#,
    r#""CancellationBehaviour":"CanCancel","TableRight":null,"FieldProperties":{}}"#
);

fn render_json(header: Option<&str>, base: Tz) -> (String, String) {
    let styles = rendering(header, base);
    let info = render_task_with_styles(&sample_task(), &styles.last_started, &styles.created);
    (serde_json::to_string(&info).unwrap(), styles.header_value)
}

#[test]
fn the_tzoffset_sample_is_reproduced_exactly() {
    let (json, header_value) = render_json(Some("NO, includeTZOffset"), Tz::Europe__Oslo);
    assert_eq!(json, TZOFFSET_SAMPLE);
    assert_eq!(header_value, "NO");
    // The same through the numeric id, and whatever the base zone.
    let (json, _) = render_json(Some("261,INCLUDETZOFFSET"), Tz::America__New_York);
    assert_eq!(json, TZOFFSET_SAMPLE);
}

#[test]
fn the_plain_sample_differs_from_the_tzoffset_sample_only_in_its_dates() {
    let (plain, header_value) = render_json(None, Tz::Europe__Oslo);
    assert_eq!(header_value, "NO");
    let expected = TZOFFSET_SAMPLE
        .replace("2024-05-02T10:15:31+02:00", "2024-05-02T10:15:31")
        .replace("2024-05-02T08:15:30Z", "2024-05-02T10:15:30");
    assert_eq!(plain, expected, "batchtaskinfo.response.json");
    // A zone without the flag: LastStarted in that zone, Created in UTC, neither suffixed.
    let (json, header_value) = render_json(Some("US-NY"), Tz::Europe__Oslo);
    assert_eq!(header_value, "US-NY");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["LastStarted"], "2024-05-02T04:15:31");
    assert_eq!(value["Created"], "2024-05-02T08:15:30");
}

// ---- Daylight-saving edges ----

/// `LastStarted` of the instant `utc` as a response with `header` renders it.
fn last_started(header: &str, base: Tz, utc: &str) -> String {
    format_date(Some(at(utc)), &rendering(Some(header), base).last_started)
}

#[test]
fn new_york_spring_forward() {
    // 2024-03-10: at 02:00 EST clocks went to 03:00 EDT (07:00Z); 02:00-02:59 never happened.
    let base = Tz::Europe__Oslo;
    for (utc, plain, offset) in [
        (
            "2024-03-10T06:59:59Z",
            "2024-03-10T01:59:59",
            "2024-03-10T01:59:59-05:00",
        ),
        (
            "2024-03-10T07:00:00Z",
            "2024-03-10T03:00:00",
            "2024-03-10T03:00:00-04:00",
        ),
        (
            "2024-03-10T07:30:00Z",
            "2024-03-10T03:30:00",
            "2024-03-10T03:30:00-04:00",
        ),
    ] {
        assert_eq!(last_started("US-NY", base, utc), plain, "{utc}");
        assert_eq!(
            last_started("US-NY, includeTZOffset", base, utc),
            offset,
            "{utc}"
        );
        assert_eq!(parse_date(offset, Tz::UTC), Some(at(utc)), "{offset}");
        assert_eq!(
            parse_date(plain, Tz::America__New_York),
            Some(at(utc)),
            "{plain}"
        );
    }
    // A client's wall time in the skipped hour is read with the offset before the gap.
    let zone = rendering(Some("US-NY"), base).input_zone();
    assert_eq!(
        parse_date("2024-03-10T02:30:00", zone),
        Some(at("2024-03-10T07:30:00Z"))
    );
}

#[test]
fn new_york_fall_back() {
    // 2024-11-03: at 02:00 EDT clocks went back to 01:00 EST (06:00Z); 01:00-01:59 happened twice.
    let base = Tz::Europe__Oslo;
    let first = "2024-11-03T05:30:00Z";
    let second = "2024-11-03T06:30:00Z";
    assert_eq!(last_started("US-NY", base, first), "2024-11-03T01:30:00");
    assert_eq!(last_started("US-NY", base, second), "2024-11-03T01:30:00");
    let first_text = last_started("US-NY, includeTZOffset", base, first);
    let second_text = last_started("US-NY, includeTZOffset", base, second);
    assert_eq!(first_text, "2024-11-03T01:30:00-04:00");
    assert_eq!(second_text, "2024-11-03T01:30:00-05:00");
    // With offsets both instants survive; without, the repeated wall time is read as standard
    // time, as .NET reads it.
    assert_eq!(parse_date(&first_text, Tz::UTC), Some(at(first)));
    assert_eq!(parse_date(&second_text, Tz::UTC), Some(at(second)));
    assert_eq!(
        parse_date("2024-11-03T01:30:00", Tz::America__New_York),
        Some(at(second))
    );
    // Created stays in UTC either way.
    let styles = rendering(Some("US-NY, includeTZOffset"), base);
    assert_eq!(
        format_date(Some(at(first)), &styles.created),
        "2024-11-03T05:30:00Z"
    );
}

#[test]
fn oslo_spring_forward_and_fall_back() {
    // 2024-03-31: 02:00 CET became 03:00 CEST (01:00Z). 2024-10-27: 03:00 CEST became 02:00 CET
    // (01:00Z), so 02:00-02:59 happened twice.
    let base = Tz::Europe__Oslo;
    for (header, utc, expected) in [
        ("NO", "2024-03-31T00:59:59Z", "2024-03-31T01:59:59"),
        ("NO", "2024-03-31T01:00:00Z", "2024-03-31T03:00:00"),
        (
            "NO, includeTZOffset",
            "2024-03-31T00:59:59Z",
            "2024-03-31T01:59:59+01:00",
        ),
        (
            "NO, includeTZOffset",
            "2024-03-31T01:00:00Z",
            "2024-03-31T03:00:00+02:00",
        ),
        ("NO", "2024-10-27T00:30:00Z", "2024-10-27T02:30:00"),
        ("NO", "2024-10-27T01:30:00Z", "2024-10-27T02:30:00"),
        (
            "NO, includeTZOffset",
            "2024-10-27T00:30:00Z",
            "2024-10-27T02:30:00+02:00",
        ),
        (
            "NO, includeTZOffset",
            "2024-10-27T01:30:00Z",
            "2024-10-27T02:30:00+01:00",
        ),
        // The flag alone renders in the base zone.
        (
            "includeTZOffset",
            "2024-10-27T00:30:00Z",
            "2024-10-27T02:30:00+02:00",
        ),
        (
            "includeTZOffset",
            "2024-10-27T01:30:00Z",
            "2024-10-27T02:30:00+01:00",
        ),
    ] {
        assert_eq!(last_started(header, base, utc), expected, "{header} {utc}");
        assert_eq!(
            last_started(header, Tz::America__New_York, utc),
            if header == "includeTZOffset" {
                format_date(Some(at(utc)), &style(Tz::America__New_York, true))
            } else {
                expected.to_string()
            },
            "the base zone matters only without a zone: {header} {utc}"
        );
        if expected.len() > 19 {
            assert_eq!(parse_date(expected, Tz::UTC), Some(at(utc)), "{expected}");
        }
    }
    // Without a header the base zone's wall time is written, the same as with `NO`.
    let plain = rendering(None, base);
    assert_eq!(
        format_date(Some(at("2024-03-31T01:00:00Z")), &plain.last_started),
        "2024-03-31T03:00:00"
    );
    // Wall times a client sends: the skipped 02:30 moves forward, the repeated 02:30 is standard.
    assert_eq!(
        parse_date("2024-03-31T02:30:00", plain.input_zone()),
        Some(at("2024-03-31T01:30:00Z"))
    );
    assert_eq!(
        parse_date("2024-10-27T02:30:00", plain.input_zone()),
        Some(at("2024-10-27T01:30:00Z"))
    );
}

// ---- Properties ----

/// Header values made of the pieces real headers are made of, in any order and case.
fn header_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        proptest::sample::select(ZONE_CODES.iter().map(|(code, _)| *code).collect::<Vec<_>>())
            .prop_map(str::to_string),
        proptest::sample::select(vec![
            "includeTZOffset",
            "INCLUDETZOFFSET",
            ",",
            ", ",
            " ",
            "\t",
            "261",
            "0",
            "4294967296",
            "Europe/Oslo",
            "europe/OSLO",
            "Etc/GMT-14",
            "-",
            "/",
            "ø",
            "\u{0}",
            "",
        ])
        .prop_map(str::to_string),
        "\\PC{0,8}",
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

/// Instants from 1975 to 2100 in whole .NET ticks: late enough that every zone's offset is whole
/// minutes, as RFC 3339 writes them.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (157_766_400i64..4_102_444_800, 0u32..10_000_000)
        .prop_map(|(seconds, ticks)| Utc.timestamp_opt(seconds, ticks * 100).unwrap())
}

/// Zones an offset-suffixed date is read in; the suffix must win.
const READ_ZONES: [Tz; 3] = [Tz::UTC, Tz::Europe__Oslo, Tz::Pacific__Kiritimati];

proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(text in any::<String>()) {
        let parsed = parse_so_timezone(&text);
        let _ = date_rendering(Some(&parsed), Tz::Europe__Oslo);
    }

    #[test]
    fn parsing_header_soup_never_panics(text in header_soup()) {
        let parsed = parse_so_timezone(&text);
        if let Some(zone) = &parsed.zone {
            // Whatever was named is echoed as something that names the same zone again.
            prop_assert_eq!(resolve_zone(&zone.code).map(|z| z.tz), Some(zone.tz));
        }
        let expected_flag = text
            .split(',')
            .any(|e| e.trim().eq_ignore_ascii_case(INCLUDE_TZ_OFFSET));
        prop_assert_eq!(parsed.include_offset, expected_flag);
    }

    #[test]
    fn dates_with_offsets_read_back_as_the_same_instant(
        index in 0..ZONE_CODES.len(),
        t in instant(),
        read_in in proptest::sample::select(READ_ZONES.to_vec()),
    ) {
        let (code, tz) = ZONE_CODES[index];
        let styles = rendering(Some(&format!("{code}, includeTZOffset")), Tz::Europe__Oslo);
        prop_assert_eq!(styles.last_started.zone, tz);
        prop_assert_eq!(&styles.header_value, code);
        let text = format_date(Some(t), &styles.last_started);
        prop_assert_eq!(parse_date(&text, read_in), Some(t), "{} {}", code, text);
        let created = format_date(Some(t), &styles.created);
        prop_assert!(created.ends_with('Z'));
        prop_assert_eq!(parse_date(&created, read_in), Some(t));
    }

    #[test]
    fn unsuffixed_dates_read_back_in_the_request_zone_as_the_same_wall_time(
        index in 0..ZONE_CODES.len(),
        t in instant(),
    ) {
        let (code, _) = ZONE_CODES[index];
        let styles = rendering(Some(code), Tz::Europe__Oslo);
        let text = format_date(Some(t), &styles.last_started);
        let back = parse_date(&text, styles.input_zone());
        prop_assert!(back.is_some(), "{} {}", code, text);
        // Exact unless the wall time happened twice, when it is read as standard time.
        prop_assert_eq!(&format_date(back, &styles.last_started), &text);
        let gap = back.map(|b| (b - t).num_seconds().abs()).unwrap_or_default();
        prop_assert!(gap < 86_400, "{} {} off by {}s", code, text, gap);
    }
}
