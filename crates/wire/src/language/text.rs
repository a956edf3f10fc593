//! Translation of strings inside responses: sobatch's `[SR_SOBATCH_…]` references, SuperOffice
//! multi-language values, and SuperOffice's encoded numbers.
//!
//! The multi-language format, as SuperOffice documents it, is a run of entries `LL:"text"`
//! separated by `;` (a trailing `;` is allowed): `US:"Location and size";GE:"Position und
//! Größe";NO:"Posisjon og størrelse"`. `LL` is one of SuperOffice's two-letter language codes (US,
//! NO, SW, DA, GE, NL, FR, FI, IT, SP, PL, RU, CN, CZ, JP, …; not ISO 639). The colon and the
//! semicolon are literal, and the text may not contain a double quote: the format has no escape.
//! A value may stand inside other text, and a text may hold several values as long as something
//! else separates them. If a string does not follow these rules SuperOffice leaves it as it is,
//! and so do we: one malformed value leaves every multi-language value of that string untouched.
//!
//! Which entry is shown: the requested language's; else English (`US`), SuperOffice's default
//! language; else the first. An empty entry counts as missing. (The public material does not say
//! what SuperOffice shows for a missing language; never showing an empty string is our choice.)
//!
//! Encoded values are SuperOffice's way to put culture-sensitive data in server text: `[I:123]`
//! (integer), `[F:123.4]` (decimal) and `[M:123.45]` (money) are shown in the request's culture.
//! Dates (`[D:…]`, `[DT:…]`) are left alone because their invariant form is not documented.

use std::borrow::Cow;

use super::resource::{ResourceId, fill};
use super::{Lang, LanguageRequest};
use crate::carrier::BatchTaskInfo;

/// Whether `text` may hold anything [`localize`] would change: a `[` (references, encoded values)
/// or `:"` (multi-language values). Cheap, for the fields of every task in every response.
pub fn needs_localization(text: &str) -> bool {
    text.contains('[') || text.contains(":\"")
}

/// `text` as the request wants to read it: references to sobatch's texts and multi-language values
/// in the requested language, encoded numbers in its culture. Unknown references are left as they
/// are. Without a language (spec §4.3: absent `Accept-Language`, or `SO-Language: x`) the text is
/// returned untranslated.
pub fn localize<'a>(text: &'a str, request: &LanguageRequest) -> Cow<'a, str> {
    match request.language {
        None => Cow::Borrowed(text),
        Some(language) => {
            let culture = request.culture.unwrap_or(language);
            render(text, Scope::Everything, language, culture)
        }
    }
}

/// Like [`localize`], except that without a language sobatch's own references are still shown, in
/// `default`; multi-language values and encoded numbers then stay as stored, as SuperOffice
/// returns them. For a server that does not want clients to see its internal reference strings.
pub fn localize_or_default<'a>(
    text: &'a str,
    request: &LanguageRequest,
    default: Lang,
) -> Cow<'a, str> {
    match request.language {
        Some(_) => localize(text, request),
        None => render(text, Scope::OwnReferences, default, default),
    }
}

/// Applies [`localize`] to the four fields a task's executor or client writes for people
/// (Description, ProgressDescription, Response, Result), and only to those that need it.
pub fn localize_task(info: &mut BatchTaskInfo, request: &LanguageRequest) {
    if request.language.is_some() {
        for field in task_text_fields(info) {
            localize_field(field, |text| localize(text, request));
        }
    }
}

/// Applies [`localize_or_default`] to the same four fields as [`localize_task`].
pub fn localize_task_or_default(
    info: &mut BatchTaskInfo,
    request: &LanguageRequest,
    default: Lang,
) {
    for field in task_text_fields(info) {
        localize_field(field, |text| localize_or_default(text, request, default));
    }
}

fn task_text_fields(info: &mut BatchTaskInfo) -> [&mut Option<String>; 4] {
    [
        &mut info.description,
        &mut info.progress_description,
        &mut info.response,
        &mut info.result,
    ]
}

fn localize_field(field: &mut Option<String>, translate: impl Fn(&str) -> Cow<'_, str>) {
    let Some(text) = field.as_deref() else {
        return;
    };
    if !needs_localization(text) {
        return;
    }
    if let Cow::Owned(translated) = translate(text) {
        *field = Some(translated);
    }
}

/// An invariant-culture number (`-12.5`, `30`) written for `culture` (`-12,5`); anything else as
/// it is. Digits are kept as written: no rounding, no grouping.
pub fn format_number(invariant: &str, culture: Lang) -> Cow<'_, str> {
    if !is_invariant_number(invariant) || !invariant.contains('.') {
        return Cow::Borrowed(invariant);
    }
    let separator = culture.decimal_separator();
    if separator == '.' {
        Cow::Borrowed(invariant)
    } else {
        Cow::Owned(invariant.replace('.', &separator.to_string()))
    }
}

fn is_invariant_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// A multi-language value holding `entries`, as SuperOffice stores one:
/// `US:"Car";NO:"Bil"`. The format cannot carry a double quote, so each `"` in a text becomes `'`.
pub fn multi_language_value(entries: &[(Lang, &str)]) -> String {
    let mut out = String::new();
    for (i, (lang, text)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(lang.superoffice_code());
        out.push_str(":\"");
        out.push_str(&text.replace('"', "'"));
        out.push('"');
    }
    out
}

/// The entry a multi-language value shows for `lang` (with the fallbacks described in the module
/// documentation), if `value` is exactly one well-formed multi-language value.
pub fn select_multi_language(value: &str, lang: Lang) -> Option<&str> {
    if !starts_entry(value.as_bytes(), 0) {
        return None;
    }
    match parse_block(value, 0) {
        Ok((end, entries)) if end == value.len() => Some(choose(&entries, lang)),
        _ => None,
    }
}

/// What a rendering pass resolves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// References, multi-language values and encoded numbers.
    Everything,
    /// sobatch's own references only.
    OwnReferences,
}

/// A part of the rendered text.
enum Piece<'a> {
    /// Text kept as it is.
    Kept(&'a str),
    /// A reference or encoded value, rendered.
    Rendered(String),
    /// A multi-language value: its original text and its entries.
    Multi {
        original: &'a str,
        entries: Vec<(&'a str, &'a str)>,
    },
}

fn render(text: &str, scope: Scope, language: Lang, culture: Lang) -> Cow<'_, str> {
    if !needs_localization(text) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut kept_from = 0;
    let mut malformed_multi = false;
    let mut i = 0;
    // Every position inspected holds an ASCII byte, so each slice below lands on a char boundary.
    while i < bytes.len() {
        if bytes[i] == b'[' {
            match bracket(text, i, scope, language, culture) {
                Bracket::Rendered(end, rendered) => {
                    pieces.push(Piece::Kept(&text[kept_from..i]));
                    pieces.push(Piece::Rendered(rendered));
                    kept_from = end;
                    i = end;
                }
                // Skipping an unknown reference keeps its arguments from being read as text.
                Bracket::Unknown(end) => i = end,
                Bracket::NotOne => i += 1,
            }
        } else if scope == Scope::Everything && starts_entry(bytes, i) {
            match parse_block(text, i) {
                Ok((end, entries)) => {
                    pieces.push(Piece::Kept(&text[kept_from..i]));
                    pieces.push(Piece::Multi {
                        original: &text[i..end],
                        entries,
                    });
                    kept_from = end;
                    i = end;
                }
                Err(()) => {
                    malformed_multi = true;
                    i += 1;
                }
            }
        } else {
            i += 1;
        }
    }
    let changes = pieces.iter().any(|piece| match piece {
        Piece::Kept(_) => false,
        Piece::Rendered(_) => true,
        Piece::Multi { .. } => !malformed_multi,
    });
    if !changes {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 32);
    for piece in pieces {
        match piece {
            Piece::Kept(kept) => out.push_str(kept),
            Piece::Rendered(rendered) => out.push_str(&rendered),
            Piece::Multi { original, .. } if malformed_multi => out.push_str(original),
            Piece::Multi { entries, .. } => {
                // A chosen entry holds no quote, hence no further multi-language value, so this
                // recursion is one level deep; it resolves references written inside entries.
                let chosen = choose(&entries, language);
                out.push_str(&render(chosen, scope, language, culture));
            }
        }
    }
    out.push_str(&text[kept_from..]);
    Cow::Owned(out)
}

/// What a `[` starts.
enum Bracket {
    /// A known reference or an encoded value, ending before the given index.
    Rendered(usize, String),
    /// A well-formed reference to a resource this table does not have, ending before the index.
    Unknown(usize),
    /// Nothing this module reads.
    NotOne,
}

fn bracket(text: &str, open: usize, scope: Scope, language: Lang, culture: Lang) -> Bracket {
    let body = &text[open + 1..];
    if body.starts_with("SR_") {
        return reference_at(body, open + 1, language, culture);
    }
    if scope == Scope::Everything {
        for marker in ["I:", "F:", "M:"] {
            let Some(rest) = body.strip_prefix(marker) else {
                continue;
            };
            let Some(close) = rest.find(']') else {
                return Bracket::NotOne;
            };
            let number = &rest[..close];
            if !is_invariant_number(number) || (marker == "I:" && number.contains('.')) {
                return Bracket::NotOne;
            }
            let end = open + 1 + marker.len() + close + 1;
            return Bracket::Rendered(end, format_number(number, culture).into_owned());
        }
    }
    Bracket::NotOne
}

/// Reads `SR_NAME]` or `SR_NAME:arg|arg]` at the start of `body`, which begins at `start` in the
/// whole text.
fn reference_at(body: &str, start: usize, language: Lang, culture: Lang) -> Bracket {
    let name_len = body
        .bytes()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        .count();
    let name = &body[..name_len];
    let (args, consumed) = match body.as_bytes().get(name_len) {
        Some(b']') => (Vec::new(), name_len + 1),
        Some(b':') => match arguments(&body[name_len + 1..]) {
            Some((args, used)) => (args, name_len + 1 + used),
            None => return Bracket::NotOne,
        },
        _ => return Bracket::NotOne,
    };
    let end = start + consumed;
    match ResourceId::from_name(name) {
        Some(id) => Bracket::Rendered(end, fill(id, language, culture, &args)),
        None => Bracket::Unknown(end),
    }
}

/// Splits `a|b\|c]…` into its unescaped arguments and the bytes used, through the closing `]`.
fn arguments(text: &str) -> Option<(Vec<String>, usize)> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => current.push(chars.next()?.1),
            '|' => args.push(std::mem::take(&mut current)),
            ']' => {
                args.push(current);
                return Some((args, i + 1));
            }
            _ => current.push(c),
        }
    }
    None
}

/// SuperOffice's language codes, and the ISO-looking spellings people also write, that may start
/// a multi-language entry. Requiring a known code keeps ordinary text such as `OK:"yes"` as it is.
const ENTRY_CODES: [&str; 26] = [
    "US", "NO", "SW", "DA", "GE", "NL", "FR", "FI", "IT", "SP", "PL", "RU", "CN", "CZ", "JP", "UK",
    "KO", "VI", "BR", "CH", "EN", "NB", "SE", "SV", "DK", "DE",
];

/// Whether an entry `LL:"` starts at `i`: a known code, not glued to a preceding word.
fn starts_entry(bytes: &[u8], i: usize) -> bool {
    let Some(head) = bytes.get(i..i + 4) else {
        return false;
    };
    if head[2] != b':' || head[3] != b'"' {
        return false;
    }
    let code = [head[0].to_ascii_uppercase(), head[1].to_ascii_uppercase()];
    if !ENTRY_CODES.iter().any(|known| known.as_bytes() == code) {
        return false;
    }
    match i.checked_sub(1).map(|before| bytes[before]) {
        None => true,
        Some(b) if b.is_ascii() => !(b.is_ascii_alphanumeric() || b == b'_'),
        // A non-ASCII character before the code: look at it whole.
        Some(_) => std::str::from_utf8(&bytes[..i])
            .ok()
            .and_then(|before| before.chars().next_back())
            .is_none_or(|c| !c.is_alphanumeric()),
    }
}

type Entries<'a> = Vec<(&'a str, &'a str)>;

/// Reads the run of entries starting at `start` (where [`starts_entry`] holds). Returns where the
/// run ends (after a trailing `;`, if any) and its entries as (code, text), or `Err` when an entry
/// is unterminated or a closing quote is glued to more text, as a quote inside a text would be.
fn parse_block(text: &str, start: usize) -> Result<(usize, Entries<'_>), ()> {
    let bytes = text.as_bytes();
    let mut entries = Vec::new();
    let mut at = start;
    loop {
        let code = &text[at..at + 2];
        let value_start = at + 4;
        let value_len = text[value_start..].find('"').ok_or(())?;
        let close = value_start + value_len;
        entries.push((code, &text[value_start..close]));
        let after = close + 1;
        match bytes.get(after) {
            None => return Ok((after, entries)),
            Some(b';') => {
                let next = after + 1;
                let spaces = bytes[next..].iter().take_while(|b| **b == b' ').count();
                if starts_entry(bytes, next + spaces) {
                    at = next + spaces;
                } else {
                    return Ok((next, entries));
                }
            }
            Some(b) if b.is_ascii_alphanumeric() || *b == b'"' => return Err(()),
            Some(_) => return Ok((after, entries)),
        }
    }
}

/// The entry to show for `lang`: its own, else English, else the first non-empty one.
fn choose<'a>(entries: &[(&str, &'a str)], lang: Lang) -> &'a str {
    let find = |wanted: Lang| {
        entries
            .iter()
            .find(|(code, value)| {
                !value.is_empty() && Lang::from_superoffice_code(code) == Some(wanted)
            })
            .map(|(_, value)| *value)
    };
    find(lang)
        .or_else(|| find(Lang::English))
        .or_else(|| {
            entries
                .iter()
                .map(|(_, value)| *value)
                .find(|value| !value.is_empty())
        })
        .unwrap_or_default()
}
