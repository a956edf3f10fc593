//! Languages as SuperOffice clients ask for them (spec §4.3): the `Accept-Language`, `SO-Language`
//! and `SO-Culture` headers, sobatch's own texts in seven languages, and the translation of
//! `[SR_…]` resource references and multi-language values inside response strings.
//!
//! Everything here is a pure function of its input: rendering a task never changes what is stored.
//! The store keeps references such as `[SR_SOBATCH_TASK_STOPPED]`; a response shows them in the
//! language the request asked for. This module owns no HTTP types, so the server decides where the
//! headers come from, and the engine, which must not depend on this crate, writes the reference
//! strings documented in [`resource`] as plain constants.
//!
//! Header rules:
//!
//! * `Accept-Language` is a list with optional q-values; the supported language with the highest q
//!   wins (the earlier one on a tie). Region subtags are dropped (`nb-NO` is Norwegian, `en-US`
//!   English). `*` and unsupported languages choose nothing. Only ISO 639 codes count here: a
//!   browser that sends `sw` means Swahili, not SuperOffice's code for Swedish.
//! * `SO-Language` overrides `Accept-Language`. `*`, `x`, `-` and an empty value mean "no
//!   translation" even when `Accept-Language` names a language (the npm client sends an empty value
//!   in its do-not-parse mode). Besides ISO codes it also takes SuperOffice's own language codes
//!   (`US`, `NO`, `SW`, `DA`, `GE`, `NL`, `FR`). A value naming no supported language leaves the
//!   choice to `Accept-Language`.
//! * `SO-Culture` chooses how numbers inside strings are written; it defaults to the language and
//!   is ignored when there is no language.

mod resource;
mod text;

pub use resource::{ArgKind, ResourceId, reference, resource, resource_for, resource_with_culture};
pub use text::{
    format_number, localize, localize_or_default, localize_task, localize_task_or_default,
    multi_language_value, needs_localization, select_multi_language,
};

/// A language sobatch can translate into, and a culture it can format numbers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    English,
    /// Bokmål and Nynorsk alike: SuperOffice has one Norwegian.
    Norwegian,
    Swedish,
    Danish,
    German,
    Dutch,
    French,
}

impl Lang {
    /// Every supported language, English first.
    pub const ALL: [Lang; 7] = [
        Lang::English,
        Lang::Norwegian,
        Lang::Swedish,
        Lang::Danish,
        Lang::German,
        Lang::Dutch,
        Lang::French,
    ];

    /// The language of an ISO 639-1 tag, with or without a region (`de`, `nb-NO`, `en_us`);
    /// case-insensitive.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        let lang = match primary.to_ascii_lowercase().as_str() {
            "en" => Lang::English,
            "nb" | "nn" | "no" => Lang::Norwegian,
            "sv" => Lang::Swedish,
            "da" => Lang::Danish,
            "de" => Lang::German,
            "nl" => Lang::Dutch,
            "fr" => Lang::French,
            _ => return None,
        };
        Some(lang)
    }

    /// The language of one of SuperOffice's two-letter language codes (`US`, `NO`, `SW`, `DA`,
    /// `GE`, `NL`, `FR`), also accepting the ISO-looking spellings people write in multi-language
    /// values (`EN`, `NB`, `SE`, `SV`, `DK`, `DE`); case-insensitive.
    pub fn from_superoffice_code(code: &str) -> Option<Lang> {
        let lang = match code.trim().to_ascii_uppercase().as_str() {
            "US" | "EN" => Lang::English,
            "NO" | "NB" => Lang::Norwegian,
            "SW" | "SE" | "SV" => Lang::Swedish,
            "DA" | "DK" => Lang::Danish,
            "GE" | "DE" => Lang::German,
            "NL" => Lang::Dutch,
            "FR" => Lang::French,
            _ => return None,
        };
        Some(lang)
    }

    /// The ISO 639-1 code (`nb` for Norwegian).
    pub const fn iso_code(self) -> &'static str {
        match self {
            Lang::English => "en",
            Lang::Norwegian => "nb",
            Lang::Swedish => "sv",
            Lang::Danish => "da",
            Lang::German => "de",
            Lang::Dutch => "nl",
            Lang::French => "fr",
        }
    }

    /// SuperOffice's code, as used in multi-language values (`US:"…";NO:"…"`).
    pub const fn superoffice_code(self) -> &'static str {
        match self {
            Lang::English => "US",
            Lang::Norwegian => "NO",
            Lang::Swedish => "SW",
            Lang::Danish => "DA",
            Lang::German => "GE",
            Lang::Dutch => "NL",
            Lang::French => "FR",
        }
    }

    /// The decimal separator of the language's main culture.
    pub const fn decimal_separator(self) -> char {
        match self {
            Lang::English => '.',
            _ => ',',
        }
    }

    /// A tag as `SO-Language` and `SO-Culture` may spell it: ISO first, then SuperOffice's codes.
    fn from_superoffice_header(tag: &str) -> Option<Lang> {
        Lang::from_tag(tag).or_else(|| Lang::from_superoffice_code(tag))
    }
}

/// What a request asked for: the language to translate into and the culture to format numbers
/// in. No language means no translation; the culture is `None` exactly when the language is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LanguageRequest {
    pub language: Option<Lang>,
    pub culture: Option<Lang>,
}

impl LanguageRequest {
    /// A request that wants text as it is stored.
    pub const UNTRANSLATED: LanguageRequest = LanguageRequest {
        language: None,
        culture: None,
    };

    /// A request for `language`, formatted in the same language's culture.
    pub const fn new(language: Lang) -> Self {
        LanguageRequest {
            language: Some(language),
            culture: Some(language),
        }
    }

    /// The culture to format in: the one asked for, else the language's own.
    pub fn culture_or_language(&self) -> Option<Lang> {
        self.language
            .map(|language| self.culture.unwrap_or(language))
    }
}

/// Reads the three language headers of a request (each `None` when absent). Never fails: anything
/// it does not understand counts as not asking for that language.
pub fn parse_language_headers(
    accept_language: Option<&str>,
    so_language: Option<&str>,
    so_culture: Option<&str>,
) -> LanguageRequest {
    let from_accept = || accept_language.and_then(|value| best_of(value, Lang::from_tag));
    let language = match so_language.map(str::trim) {
        Some(value) if cancels_translation(value) => None,
        Some(value) => best_of(value, Lang::from_superoffice_header).or_else(from_accept),
        None => from_accept(),
    };
    let Some(language) = language else {
        return LanguageRequest::UNTRANSLATED;
    };
    let culture = so_culture
        .and_then(|value| best_of(value, Lang::from_superoffice_header))
        .unwrap_or(language);
    LanguageRequest {
        language: Some(language),
        culture: Some(culture),
    }
}

/// `SO-Language` values that switch translation off (SuperOffice documents `*` and `x`; the npm
/// client's README adds `-` and its code sends an empty value).
fn cancels_translation(value: &str) -> bool {
    matches!(value, "" | "*" | "x" | "X" | "-")
}

/// The supported language with the highest q-value in a header list such as
/// `fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5`, the earliest on a tie.
///
/// An entry whose q-value is not a number from 0 to 1 is skipped, as is one with q=0 (which means
/// "not this one"). Parameters other than `q` are ignored, which also makes the `en-us; en-gb`
/// spelling of SuperOffice's own documentation read as English.
fn best_of(value: &str, recognize: fn(&str) -> Option<Lang>) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let mut quality = 1.0_f32;
        let mut acceptable = true;
        for parameter in parts {
            let Some((name, q)) = parameter.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("q") {
                match q.trim().parse::<f32>() {
                    Ok(q) if (0.0..=1.0).contains(&q) => quality = q,
                    _ => acceptable = false,
                }
            }
        }
        if !acceptable || quality <= 0.0 || tag == "*" {
            continue;
        }
        let Some(lang) = recognize(tag) else {
            continue;
        };
        if best.is_none_or(|(best_quality, _)| quality > best_quality) {
            best = Some((quality, lang));
        }
    }
    best.map(|(_, lang)| lang)
}
