//! Language headers, sobatch's resource table, and the translation of references, multi-language
//! values and encoded numbers (spec §4.3).

use std::borrow::Cow;

use proptest::prelude::*;
use sobatch_core::{AssociateId, Task, TaskId, TaskState};
use sobatch_wire::language::{
    ArgKind, format_number, localize_or_default, localize_task, localize_task_or_default,
    multi_language_value, needs_localization, reference, resource, resource_for,
    resource_with_culture, select_multi_language,
};
use sobatch_wire::{
    DateStyle, Lang, LanguageRequest, ResourceId, localize, parse_language_headers, render_task,
};

fn headers(
    accept: Option<&str>,
    so_language: Option<&str>,
    so_culture: Option<&str>,
) -> LanguageRequest {
    parse_language_headers(accept, so_language, so_culture)
}

fn language_of(accept: &str) -> Option<Lang> {
    headers(Some(accept), None, None).language
}

fn in_lang(lang: Lang) -> LanguageRequest {
    LanguageRequest::new(lang)
}

// ---------------------------------------------------------------------------------------------
// Headers

#[test]
fn no_language_header_means_no_translation() {
    assert_eq!(headers(None, None, None), LanguageRequest::UNTRANSLATED);
}

#[test]
fn accept_language_picks_a_single_language_and_its_culture() {
    let request = headers(Some("fr"), None, None);
    assert_eq!(request.language, Some(Lang::French));
    assert_eq!(request.culture, Some(Lang::French));
}

#[test]
fn accept_language_picks_the_highest_q_value() {
    assert_eq!(language_of("de;q=0.5, fr;q=0.9"), Some(Lang::French));
    assert_eq!(language_of("fr,de;q=0.9"), Some(Lang::French));
    assert_eq!(
        language_of("nl;q=0.2, sv;q=0.7, da;q=0.4"),
        Some(Lang::Swedish)
    );
    assert_eq!(language_of("de;Q=0.1, en;q=1"), Some(Lang::English));
}

#[test]
fn accept_language_prefers_the_earlier_language_on_a_tie() {
    assert_eq!(language_of("de, fr"), Some(Lang::German));
    assert_eq!(language_of("fr;q=0.5, de;q=0.5"), Some(Lang::French));
}

#[test]
fn accept_language_skips_unsupported_languages() {
    assert_eq!(language_of("ja, zh;q=0.9, de;q=0.1"), Some(Lang::German));
    assert_eq!(language_of("ja, zh-CN;q=0.9"), None);
}

#[test]
fn a_wildcard_alone_means_no_translation() {
    assert_eq!(language_of("*"), None);
    assert_eq!(language_of("*, ja;q=0.5"), None);
    assert_eq!(language_of("*, de;q=0.1"), Some(Lang::German));
}

#[test]
fn region_subtags_are_reduced_to_the_language() {
    assert_eq!(language_of("nb-NO"), Some(Lang::Norwegian));
    assert_eq!(language_of("nn-no"), Some(Lang::Norwegian));
    assert_eq!(language_of("no"), Some(Lang::Norwegian));
    assert_eq!(language_of("en-US"), Some(Lang::English));
    assert_eq!(language_of("EN_gb"), Some(Lang::English));
    assert_eq!(language_of("sv-FI"), Some(Lang::Swedish));
    assert_eq!(
        language_of("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"),
        Some(Lang::French)
    );
}

#[test]
fn q_zero_and_unreadable_q_values_exclude_an_entry() {
    assert_eq!(language_of("fr;q=0, de;q=0.2"), Some(Lang::German));
    assert_eq!(language_of("fr;q=abc, de;q=0.5"), Some(Lang::German));
    assert_eq!(language_of("fr;q=1.5, de;q=0.5"), Some(Lang::German));
    assert_eq!(language_of("fr;q=NaN"), None);
}

#[test]
fn superoffice_codes_do_not_count_in_accept_language() {
    // A browser sending `sw` means Swahili, not SuperOffice's Swedish.
    assert_eq!(language_of("sw"), None);
    assert_eq!(language_of("ge"), None);
}

#[test]
fn the_documentation_example_with_a_semicolon_list_reads_as_english() {
    assert_eq!(language_of("en-us; en-gb"), Some(Lang::English));
}

#[test]
fn so_language_overrides_accept_language() {
    let request = headers(Some("en-us; en-gb"), Some("nb-no"), None);
    assert_eq!(request.language, Some(Lang::Norwegian));
    assert_eq!(request.culture, Some(Lang::Norwegian));
}

#[test]
fn so_language_cancels_translation_with_a_star_x_dash_or_empty_value() {
    for cancel in ["*", "x", "X", "-", "", "  "] {
        let request = headers(Some("en"), Some(cancel), Some("de"));
        assert_eq!(
            request,
            LanguageRequest::UNTRANSLATED,
            "SO-Language: {cancel:?}"
        );
    }
}

#[test]
fn the_npm_client_do_not_parse_mode_means_no_translation() {
    // `Accept-Language: ` (empty), no SO-Language, no SO-Culture.
    assert_eq!(headers(Some(""), None, None), LanguageRequest::UNTRANSLATED);
    // A per-request `languageCode: ""`: both empty.
    assert_eq!(
        headers(Some(""), Some(""), None),
        LanguageRequest::UNTRANSLATED
    );
}

#[test]
fn so_language_takes_superoffice_language_codes() {
    assert_eq!(headers(None, Some("GE"), None).language, Some(Lang::German));
    assert_eq!(
        headers(None, Some("SW"), None).language,
        Some(Lang::Swedish)
    );
    assert_eq!(
        headers(None, Some("us"), None).language,
        Some(Lang::English)
    );
    assert_eq!(
        headers(None, Some("NO"), None).language,
        Some(Lang::Norwegian)
    );
}

#[test]
fn an_unsupported_so_language_leaves_the_choice_to_accept_language() {
    assert_eq!(
        headers(Some("da"), Some("ja"), None).language,
        Some(Lang::Danish)
    );
    assert_eq!(headers(None, Some("ja"), None).language, None);
}

#[test]
fn so_culture_chooses_the_culture_of_a_translated_request() {
    let request = headers(Some("en-us; en-gb"), Some("nb-no"), Some("sv"));
    assert_eq!(request.language, Some(Lang::Norwegian));
    assert_eq!(request.culture, Some(Lang::Swedish));
    assert_eq!(
        headers(Some("en"), None, Some("de-DE")).culture,
        Some(Lang::German)
    );
}

#[test]
fn so_culture_defaults_to_the_language() {
    assert_eq!(headers(Some("de"), None, None).culture, Some(Lang::German));
    assert_eq!(
        headers(Some("de"), None, Some("")).culture,
        Some(Lang::German)
    );
    assert_eq!(
        headers(Some("de"), None, Some("tlh")).culture,
        Some(Lang::German)
    );
}

#[test]
fn so_culture_is_ignored_without_a_language() {
    assert_eq!(
        headers(None, None, Some("sv")),
        LanguageRequest::UNTRANSLATED
    );
    assert_eq!(
        headers(Some("en"), Some("x"), Some("sv")),
        LanguageRequest::UNTRANSLATED
    );
}

// ---------------------------------------------------------------------------------------------
// The resource table

fn placeholders(template: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').expect("an unclosed placeholder");
        found.push(
            after[..close]
                .parse::<usize>()
                .expect("a numbered placeholder"),
        );
        rest = &after[close + 1..];
    }
    found.sort_unstable();
    found.dedup();
    found
}

#[test]
fn every_resource_has_a_text_in_every_language_with_its_declared_placeholders() {
    assert!(ResourceId::ALL.len() >= 22);
    for &id in ResourceId::ALL {
        let declared: Vec<usize> = (0..id.parameters().len()).collect();
        for lang in Lang::ALL {
            let template = id.template(lang);
            assert!(!template.trim().is_empty(), "{id:?} in {lang:?}");
            assert!(
                !template.contains('"'),
                "{id:?} in {lang:?} must fit a multi-language value"
            );
            assert_eq!(placeholders(template), declared, "{id:?} in {lang:?}");
            let args: Vec<String> = (0..declared.len()).map(|i| format!("{}", i + 7)).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let text = resource(id, lang, &args);
            assert!(
                !text.contains('{'),
                "{id:?} in {lang:?} left a placeholder: {text}"
            );
        }
    }
}

#[test]
fn translations_differ_from_english_where_a_language_has_its_own_words() {
    for &id in ResourceId::ALL {
        let english = id.template(Lang::English);
        let translated = Lang::ALL[1..]
            .iter()
            .filter(|lang| id.template(**lang) != english)
            .count();
        assert!(translated >= 5, "{id:?} looks untranslated");
    }
}

#[test]
fn resource_names_are_unique_and_round_trip() {
    for &id in ResourceId::ALL {
        assert_eq!(ResourceId::from_name(id.name()), Some(id));
        assert_eq!(id.reference(), format!("[{}]", id.name()));
        assert!(id.name().starts_with("SR_SOBATCH_"));
    }
    assert_eq!(ResourceId::from_name("SR_SOBATCH_NOPE"), None);
}

#[test]
fn the_reference_strings_are_a_stored_format() {
    let expected = [
        (ResourceId::TaskStopped, "[SR_SOBATCH_TASK_STOPPED]"),
        (ResourceId::TaskTimedOut, "[SR_SOBATCH_TASK_TIMED_OUT]"),
        (ResourceId::TaskPanicked, "[SR_SOBATCH_TASK_PANICKED]"),
        (ResourceId::TaskRescued, "[SR_SOBATCH_TASK_RESCUED]"),
        (ResourceId::SleepProgress, "[SR_SOBATCH_SLEEP_PROGRESS]"),
        (ResourceId::SleepDone, "[SR_SOBATCH_SLEEP_DONE]"),
        (ResourceId::FailDefault, "[SR_SOBATCH_FAIL_DEFAULT]"),
        (ResourceId::StateUnknown, "[SR_SOBATCH_STATE_UNKNOWN]"),
        (ResourceId::StateNew, "[SR_SOBATCH_STATE_NEW]"),
        (ResourceId::StateAcquired, "[SR_SOBATCH_STATE_ACQUIRED]"),
        (ResourceId::StateStarted, "[SR_SOBATCH_STATE_STARTED]"),
        (ResourceId::StateSucceeded, "[SR_SOBATCH_STATE_SUCCEEDED]"),
        (ResourceId::StateFailed, "[SR_SOBATCH_STATE_FAILED]"),
        (
            ResourceId::StateSucceededManualCleanup,
            "[SR_SOBATCH_STATE_SUCCEEDED_MANUAL_CLEANUP]",
        ),
        (
            ResourceId::ErrorTaskNotFound,
            "[SR_SOBATCH_ERROR_TASK_NOT_FOUND]",
        ),
        (
            ResourceId::ErrorAuthenticationRequired,
            "[SR_SOBATCH_ERROR_AUTHENTICATION_REQUIRED]",
        ),
        (
            ResourceId::ErrorWrongCredentials,
            "[SR_SOBATCH_ERROR_WRONG_CREDENTIALS]",
        ),
        (
            ResourceId::ErrorSystemTaskForbidden,
            "[SR_SOBATCH_ERROR_SYSTEM_TASK_FORBIDDEN]",
        ),
        (
            ResourceId::ErrorMalformedBody,
            "[SR_SOBATCH_ERROR_MALFORMED_BODY]",
        ),
        (
            ResourceId::ErrorInvalidState,
            "[SR_SOBATCH_ERROR_INVALID_STATE]",
        ),
        (
            ResourceId::ErrorPayloadTooLarge,
            "[SR_SOBATCH_ERROR_PAYLOAD_TOO_LARGE]",
        ),
        (
            ResourceId::ErrorBodyTimeout,
            "[SR_SOBATCH_ERROR_BODY_TIMEOUT]",
        ),
        (
            ResourceId::ErrorMethodNotSupported,
            "[SR_SOBATCH_ERROR_METHOD_NOT_SUPPORTED]",
        ),
        (ResourceId::ErrorInternal, "[SR_SOBATCH_ERROR_INTERNAL]"),
        (
            ResourceId::ErrorUnavailable,
            "[SR_SOBATCH_ERROR_UNAVAILABLE]",
        ),
        (
            ResourceId::ErrorTooManyFailedLogins,
            "[SR_SOBATCH_ERROR_TOO_MANY_FAILED_LOGINS]",
        ),
        (
            ResourceId::TaskRestartsExhausted,
            "[SR_SOBATCH_TASK_RESTARTS_EXHAUSTED]",
        ),
        (
            ResourceId::ErrorInvalidQueryOption,
            "[SR_SOBATCH_ERROR_INVALID_QUERY_OPTION]",
        ),
    ];
    assert_eq!(expected.len(), ResourceId::ALL.len());
    for (id, text) in expected {
        assert_eq!(id.reference(), text);
    }
}

#[test]
fn english_texts_match_what_the_server_and_engine_write_today() {
    let en = |id: ResourceId, args: &[&str]| resource(id, Lang::English, args);
    assert_eq!(en(ResourceId::TaskStopped, &[]), "Stopped by request");
    assert_eq!(
        en(ResourceId::TaskTimedOut, &["30"]),
        "Timed out after 30 s"
    );
    assert_eq!(
        en(ResourceId::SleepProgress, &["0.4", "2"]),
        "Sleeping 0.4 of 2 s"
    );
    assert_eq!(en(ResourceId::SleepDone, &["2"]), "Slept 2 s");
    assert_eq!(
        en(ResourceId::ErrorTaskNotFound, &["99"]),
        "BatchTask id 99 not found"
    );
    assert_eq!(
        en(
            ResourceId::ErrorMethodNotSupported,
            &["PATCH", "/api/v1/BatchTask/1"]
        ),
        "PATCH is not supported on /api/v1/BatchTask/1"
    );
    assert_eq!(
        en(ResourceId::ErrorAuthenticationRequired, &[]),
        "authentication is required"
    );
    assert_eq!(
        en(ResourceId::ErrorWrongCredentials, &[]),
        "the user name or password is wrong"
    );
    assert_eq!(
        en(ResourceId::ErrorSystemTaskForbidden, &[]),
        "only administrators may start system tasks"
    );
    assert_eq!(en(ResourceId::StateAcquired, &[]), "Acquired");
}

#[test]
fn number_arguments_follow_the_culture_and_text_arguments_do_not() {
    assert_eq!(
        resource(ResourceId::SleepProgress, Lang::Norwegian, &["2.5", "10"]),
        "Sover 2,5 av 10 s"
    );
    assert_eq!(
        resource(ResourceId::SleepProgress, Lang::English, &["2.5", "10"]),
        "Sleeping 2.5 of 10 s"
    );
    assert_eq!(
        resource_with_culture(
            ResourceId::SleepProgress,
            Lang::English,
            Lang::German,
            &["2.5", "10"]
        ),
        "Sleeping 2,5 of 10 s"
    );
    assert_eq!(ResourceId::TaskPanicked.parameters(), &[ArgKind::Text]);
    assert_eq!(
        resource(ResourceId::TaskPanicked, Lang::German, &["1.5"]),
        "Der Ausführer ist abgestürzt: 1.5"
    );
}

#[test]
fn missing_arguments_leave_their_placeholder_and_surplus_ones_are_ignored() {
    assert_eq!(
        resource(ResourceId::SleepProgress, Lang::English, &["1"]),
        "Sleeping 1 of {1} s"
    );
    assert_eq!(
        resource(ResourceId::TaskStopped, Lang::English, &["x", "y"]),
        "Stopped by request"
    );
}

#[test]
fn resource_for_uses_the_request_language_or_the_default() {
    let none = LanguageRequest::UNTRANSLATED;
    assert_eq!(
        resource_for(ResourceId::TaskStopped, &none, Lang::English, &[]),
        "Stopped by request"
    );
    let nb_in_en = LanguageRequest {
        language: Some(Lang::Norwegian),
        culture: Some(Lang::English),
    };
    assert_eq!(
        resource_for(ResourceId::SleepDone, &nb_in_en, Lang::English, &["1.5"]),
        "Sov 1.5 s"
    );
}

// ---------------------------------------------------------------------------------------------
// References in text

#[test]
fn a_reference_is_rendered_in_the_requested_language() {
    let text = "[SR_SOBATCH_TASK_STOPPED]";
    assert_eq!(
        localize(text, &in_lang(Lang::English)),
        "Stopped by request"
    );
    assert_eq!(
        localize(text, &in_lang(Lang::Swedish)),
        "Stoppad på begäran"
    );
    assert_eq!(
        localize("Result: [SR_SOBATCH_TASK_STOPPED].", &in_lang(Lang::Dutch)),
        "Result: Gestopt op verzoek."
    );
}

#[test]
fn a_reference_carries_its_arguments() {
    let timed_out = "[SR_SOBATCH_TASK_TIMED_OUT:30]";
    assert_eq!(
        localize(timed_out, &in_lang(Lang::French)),
        "Délai dépassé après 30 s"
    );
    let sleeping = "[SR_SOBATCH_SLEEP_PROGRESS:2.5|10]";
    assert_eq!(
        localize(sleeping, &in_lang(Lang::German)),
        "Schlafe 2,5 von 10 s"
    );
    assert_eq!(
        localize(sleeping, &in_lang(Lang::English)),
        "Sleeping 2.5 of 10 s"
    );
    let swedish_in_english_culture = LanguageRequest {
        language: Some(Lang::Swedish),
        culture: Some(Lang::English),
    };
    assert_eq!(
        localize(sleeping, &swedish_in_english_culture),
        "Sover 2.5 av 10 s"
    );
}

#[test]
fn reference_arguments_escape_bars_brackets_and_backslashes() {
    let message = r"bad | thing ] in \ here";
    let stored = reference(ResourceId::TaskPanicked, &[message]);
    assert_eq!(
        stored,
        r"[SR_SOBATCH_TASK_PANICKED:bad \| thing \] in \\ here]"
    );
    assert_eq!(
        localize(&stored, &in_lang(Lang::English)),
        r"The executor panicked: bad | thing ] in \ here"
    );
    assert_eq!(
        reference(ResourceId::TaskTimedOut, &["30"]),
        "[SR_SOBATCH_TASK_TIMED_OUT:30]"
    );
    assert_eq!(
        reference(ResourceId::TaskStopped, &[]),
        "[SR_SOBATCH_TASK_STOPPED]"
    );
    assert_eq!(
        reference(ResourceId::SleepProgress, &["1.2", "3"]),
        "[SR_SOBATCH_SLEEP_PROGRESS:1.2|3]"
    );
}

#[test]
fn an_argument_may_be_empty() {
    assert_eq!(
        localize("[SR_SOBATCH_TASK_PANICKED:]", &in_lang(Lang::English)),
        "The executor panicked: "
    );
}

#[test]
fn unknown_and_malformed_references_are_left_as_they_are() {
    for text in [
        "[SR_MANDATORY_FIELD_1281]",
        "[SR_SOBATCH_NOPE]",
        "[SR_SOBATCH_NOPE:1|2]",
        "[SR_SOBATCH_TASK_STOPPED",
        "[SR_SOBATCH_TASK_TIMED_OUT:30",
        "[SR_SOBATCH_TASK_TIMED_OUT:3\\]",
        "[sr_sobatch_task_stopped]",
        "[SR_SOBATCH_TASK_STOPPED ]",
        "[current:contact_name]",
        "[",
        "]",
    ] {
        let localized = localize(text, &in_lang(Lang::English));
        assert_eq!(localized, text);
        assert!(matches!(localized, Cow::Borrowed(_)), "{text}");
    }
}

#[test]
fn several_references_and_unknown_ones_mix() {
    let text = "[SR_OTHER] [SR_SOBATCH_STATE_NEW]/[SR_SOBATCH_STATE_FAILED] [SR_OTHER:US:\"x\"]";
    assert_eq!(
        localize(text, &in_lang(Lang::Danish)),
        "[SR_OTHER] Ny/Fejlet [SR_OTHER:US:\"x\"]"
    );
}

#[test]
fn without_a_language_nothing_is_translated() {
    let text = "[SR_SOBATCH_TASK_STOPPED] NO:\"Bil\";US:\"Car\" [F:2.5]";
    let localized = localize(text, &LanguageRequest::UNTRANSLATED);
    assert!(matches!(localized, Cow::Borrowed(t) if t == text));
}

#[test]
fn localize_or_default_renders_only_own_references_without_a_language() {
    let text = "[SR_SOBATCH_TASK_TIMED_OUT:2.5] NO:\"Bil\";US:\"Car\" [F:2.5] [SR_OTHER]";
    assert_eq!(
        localize_or_default(text, &LanguageRequest::UNTRANSLATED, Lang::English),
        "Timed out after 2.5 s NO:\"Bil\";US:\"Car\" [F:2.5] [SR_OTHER]"
    );
    assert_eq!(
        localize_or_default(text, &in_lang(Lang::Norwegian), Lang::English),
        "Tidsavbrudd etter 2,5 s Bil 2,5 [SR_OTHER]"
    );
}

// ---------------------------------------------------------------------------------------------
// Multi-language values

#[test]
fn a_multi_language_value_shows_the_requested_language() {
    let text = "NO:\"Leverandør\";US:\"Supplier\"";
    assert_eq!(localize(text, &in_lang(Lang::English)), "Supplier");
    assert_eq!(localize(text, &in_lang(Lang::Norwegian)), "Leverandør");
}

#[test]
fn superoffice_codes_select_their_languages() {
    let text = "US:\"Location and size\";GE:\"Position und Größe\";NO:\"Posisjon og størrelse\";SW:\"Position och storlek\";DA:\"Placering og størrelse\";NL:\"Positie en grootte\";FR:\"Position et taille\"";
    let expected = [
        (Lang::English, "Location and size"),
        (Lang::German, "Position und Größe"),
        (Lang::Norwegian, "Posisjon og størrelse"),
        (Lang::Swedish, "Position och storlek"),
        (Lang::Danish, "Placering og størrelse"),
        (Lang::Dutch, "Positie en grootte"),
        (Lang::French, "Position et taille"),
    ];
    for (lang, shown) in expected {
        assert_eq!(localize(text, &in_lang(lang)), shown, "{lang:?}");
        assert_eq!(select_multi_language(text, lang), Some(shown));
    }
}

#[test]
fn a_trailing_semicolon_belongs_to_the_value() {
    assert_eq!(
        localize("US:\"Legal\";NO:\"Lovlig\";", &in_lang(Lang::Norwegian)),
        "Lovlig"
    );
}

#[test]
fn lower_case_codes_and_iso_spellings_are_read_too() {
    assert_eq!(
        localize("en:\"Car\";de:\"Auto\"", &in_lang(Lang::German)),
        "Auto"
    );
    assert_eq!(
        localize("EN:\"Car\";SE:\"Bil\"", &in_lang(Lang::Swedish)),
        "Bil"
    );
}

#[test]
fn a_missing_language_falls_back_to_english_then_to_the_first_entry() {
    assert_eq!(
        localize("NO:\"Bil\";US:\"Car\"", &in_lang(Lang::French)),
        "Car"
    );
    assert_eq!(
        localize("NO:\"Bil\";GE:\"Auto\"", &in_lang(Lang::French)),
        "Bil"
    );
    assert_eq!(
        localize("IT:\"Macchina\";SP:\"Coche\"", &in_lang(Lang::Dutch)),
        "Macchina"
    );
}

#[test]
fn an_empty_entry_counts_as_missing() {
    assert_eq!(
        localize("US:\"Car\";NO:\"\"", &in_lang(Lang::Norwegian)),
        "Car"
    );
    assert_eq!(localize("US:\"\";NO:\"\"", &in_lang(Lang::Norwegian)), "");
}

#[test]
fn a_multi_language_value_may_stand_inside_other_text() {
    assert_eq!(
        localize(
            "Category: NO:\"Bil\";US:\"Car\" (from list)",
            &in_lang(Lang::English)
        ),
        "Category: Car (from list)"
    );
    assert_eq!(
        localize(
            "NO:\"Bil\";US:\"Car\" and NO:\"Båt\";US:\"Boat\"",
            &in_lang(Lang::Norwegian)
        ),
        "Bil and Båt"
    );
    assert_eq!(
        localize("(US:\"Yes\";NO:\"Ja\")", &in_lang(Lang::Norwegian)),
        "(Ja)"
    );
}

#[test]
fn entries_may_be_separated_by_a_semicolon_and_spaces() {
    assert_eq!(
        localize("US:\"Car\"; NO:\"Bil\"", &in_lang(Lang::Norwegian)),
        "Bil"
    );
}

#[test]
fn an_entry_may_hold_a_reference() {
    let text = "US:\"[SR_SOBATCH_TASK_STOPPED]\";NO:\"Stoppet av bruker\"";
    assert_eq!(
        localize(text, &in_lang(Lang::Danish)),
        "Stoppet efter anmodning"
    );
    assert_eq!(
        localize(text, &in_lang(Lang::Norwegian)),
        "Stoppet av bruker"
    );
}

#[test]
fn quotes_inside_values_make_the_text_malformed_and_it_stays_as_it_is() {
    // SuperOffice's format has no escape for a quote inside a text.
    for text in [
        "US:\"Say \"hi\"\";NO:\"Si \"hei\"\"",
        "US:\"a\"b\";NO:\"c\"",
        "US:\"a\"\"",
        "US:\"a\"NO:\"b\"",
    ] {
        let localized = localize(text, &in_lang(Lang::English));
        assert!(matches!(localized, Cow::Borrowed(t) if t == text), "{text}");
    }
}

#[test]
fn malformed_multi_language_input_is_left_untouched() {
    for text in [
        "US:\"Car",
        "US:\"Car\";NO:\"Bil",
        "NO:\"Bil\";US:\"Car\" and US:\"unterminated",
    ] {
        let localized = localize(text, &in_lang(Lang::English));
        assert!(matches!(localized, Cow::Borrowed(t) if t == text), "{text}");
    }
    // A malformed value does not stop references from being rendered.
    assert_eq!(
        localize("[SR_SOBATCH_STATE_NEW] US:\"Car", &in_lang(Lang::English)),
        "New US:\"Car"
    );
}

#[test]
fn text_that_only_looks_like_a_value_is_left_alone() {
    for text in [
        "OK:\"yes\"",
        "BONUS:\"x\"",
        "said:\"hi\"",
        "N:\"x\"",
        "NO: \"Bil\"",
        "ÆUS:\"x\"",
    ] {
        let localized = localize(text, &in_lang(Lang::English));
        assert!(matches!(localized, Cow::Borrowed(t) if t == text), "{text}");
    }
}

#[test]
fn multi_language_values_written_here_read_back() {
    let value = multi_language_value(&[(Lang::English, "Car"), (Lang::Norwegian, "Bil \"sport\"")]);
    assert_eq!(value, "US:\"Car\";NO:\"Bil 'sport'\"");
    assert_eq!(
        select_multi_language(&value, Lang::Norwegian),
        Some("Bil 'sport'")
    );
    assert_eq!(select_multi_language("Car", Lang::Norwegian), None);
    assert_eq!(
        select_multi_language("US:\"Car\" more", Lang::Norwegian),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Culture formatting

#[test]
fn numbers_take_the_culture_decimal_separator() {
    for lang in [
        Lang::Norwegian,
        Lang::German,
        Lang::French,
        Lang::Swedish,
        Lang::Danish,
        Lang::Dutch,
    ] {
        assert_eq!(format_number("2.5", lang), "2,5", "{lang:?}");
        assert_eq!(format_number("-0.25", lang), "-0,25", "{lang:?}");
    }
    assert_eq!(format_number("2.5", Lang::English), "2.5");
    assert_eq!(format_number("86400", Lang::German), "86400");
    for not_a_number in ["abc", "1.2.3", "", "-", ".5", "5.", "1e3", "2,5", " 2.5"] {
        assert_eq!(format_number(not_a_number, Lang::German), not_a_number);
    }
}

#[test]
fn encoded_numbers_are_shown_in_the_culture() {
    let request = in_lang(Lang::Norwegian);
    assert_eq!(localize("[F:1234.5]", &request), "1234,5");
    assert_eq!(localize("Total [M:12.50] NOK", &request), "Total 12,50 NOK");
    assert_eq!(localize("[I:42]", &request), "42");
    assert_eq!(localize("[I:4.2]", &request), "[I:4.2]");
    assert_eq!(localize("[F:abc]", &request), "[F:abc]");
    assert_eq!(localize("[D:09.11.2017]", &request), "[D:09.11.2017]");
    assert_eq!(localize("[F:1.5]", &in_lang(Lang::English)), "1.5");
}

// ---------------------------------------------------------------------------------------------
// Tasks

fn task_with(text: &str) -> sobatch_wire::BatchTaskInfo {
    let created = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let task = Task {
        context: Some(text.to_string()),
        result: Some(text.to_string()),
        state: TaskState::Failed,
        description: text.to_string(),
        response: Some(text.to_string()),
        request: Some(text.to_string()),
        progress_description: Some(text.to_string()),
        file_name: Some(text.to_string()),
        ..Task::new(TaskId(7), text, AssociateId(1), created)
    };
    render_task(&task, &DateStyle::default())
}

#[test]
fn localize_task_translates_the_four_people_facing_fields_only() {
    let stored = "[SR_SOBATCH_TASK_STOPPED]";
    let mut info = task_with(stored);
    localize_task(&mut info, &in_lang(Lang::German));
    for field in [
        &info.description,
        &info.progress_description,
        &info.response,
        &info.result,
    ] {
        assert_eq!(field.as_deref(), Some("Auf Anforderung gestoppt"));
    }
    for field in [&info.request, &info.context, &info.file_name, &info.name] {
        assert_eq!(field.as_deref(), Some(stored));
    }
}

#[test]
fn localize_task_leaves_a_task_alone_without_a_language() {
    let mut info = task_with("[SR_SOBATCH_TASK_STOPPED]");
    let before = info.clone();
    localize_task(&mut info, &LanguageRequest::UNTRANSLATED);
    assert_eq!(info, before);
    localize_task_or_default(&mut info, &LanguageRequest::UNTRANSLATED, Lang::English);
    assert_eq!(info.result.as_deref(), Some("Stopped by request"));
    assert_eq!(info.request.as_deref(), Some("[SR_SOBATCH_TASK_STOPPED]"));
}

#[test]
fn localize_task_keeps_null_and_plain_fields() {
    let mut info = task_with("plain text");
    info.description = None;
    let before = info.clone();
    localize_task(&mut info, &in_lang(Lang::French));
    assert_eq!(info, before);
}

// ---------------------------------------------------------------------------------------------
// Properties

/// Text built from the pieces the parsers care about, so that random input reaches their corners.
fn tricky_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "\\PC{0,6}",
        Just("[".to_string()),
        Just("]".to_string()),
        Just("\"".to_string()),
        Just(";".to_string()),
        Just("|".to_string()),
        Just("\\".to_string()),
        Just(":".to_string()),
        Just("US:\"".to_string()),
        Just("NO:\"".to_string()),
        Just("[SR_".to_string()),
        Just("[SR_SOBATCH_TASK_STOPPED]".to_string()),
        Just("[SR_SOBATCH_SLEEP_PROGRESS:".to_string()),
        Just("[F:".to_string()),
        Just("[I:".to_string()),
        Just("2.5".to_string()),
        Just("é".to_string()),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

fn any_request() -> impl Strategy<Value = LanguageRequest> {
    let lang = proptest::option::of(proptest::sample::select(Lang::ALL.to_vec()));
    (lang.clone(), lang).prop_map(|(language, culture)| LanguageRequest { language, culture })
}

proptest! {
    #[test]
    fn parsing_language_headers_never_panics(
        accept in proptest::option::of("\\PC{0,40}"),
        so_language in proptest::option::of("\\PC{0,12}"),
        so_culture in proptest::option::of("\\PC{0,12}"),
    ) {
        let request = parse_language_headers(accept.as_deref(), so_language.as_deref(), so_culture.as_deref());
        prop_assert_eq!(request.language.is_none(), request.culture.is_none());
    }

    #[test]
    fn header_lists_of_tags_and_q_values_never_panic(
        items in proptest::collection::vec(("[a-zA-Z*_-]{0,8}", proptest::option::of("[0-9.a-z-]{0,5}")), 0..6),
    ) {
        let accept = items
            .iter()
            .map(|(tag, q)| match q {
                Some(q) => format!("{tag};q={q}"),
                None => tag.clone(),
            })
            .collect::<Vec<_>>()
            .join(",");
        let _ = parse_language_headers(Some(&accept), Some(&accept), Some(&accept));
    }

    #[test]
    fn localizing_never_panics(text in tricky_text(), request in any_request()) {
        let _ = localize(&text, &request);
        let _ = localize_or_default(&text, &request, Lang::English);
    }

    #[test]
    fn localizing_arbitrary_text_never_panics(text in "\\PC{0,60}", request in any_request()) {
        let _ = localize(&text, &request);
    }

    #[test]
    fn text_without_markers_is_returned_borrowed_and_unchanged(
        text in "[^\\[]{0,60}".prop_filter("no multi-language marker", |t| !t.contains(":\"")),
        request in any_request(),
    ) {
        prop_assert!(!needs_localization(&text));
        let localized = localize(&text, &request);
        prop_assert!(matches!(localized, Cow::Borrowed(t) if t == text));
        let localized = localize_or_default(&text, &request, Lang::English);
        prop_assert!(matches!(localized, Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn any_argument_survives_a_reference(arg in "\\PC{0,30}") {
        let stored = reference(ResourceId::TaskPanicked, &[&arg]);
        let shown = localize(&stored, &in_lang(Lang::English));
        prop_assert_eq!(shown, format!("The executor panicked: {arg}"));
    }

    #[test]
    fn any_multi_language_value_written_here_shows_each_language(
        texts in proptest::collection::vec("[^\"]{1,20}", 7),
    ) {
        let entries: Vec<(Lang, &str)> = Lang::ALL.iter().copied().zip(texts.iter().map(String::as_str)).collect();
        let value = multi_language_value(&entries);
        for (lang, text) in &entries {
            prop_assert_eq!(select_multi_language(&value, *lang), Some(*text));
        }
    }
}
