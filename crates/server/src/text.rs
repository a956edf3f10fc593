//! The server's texts in the request's language. Stored texts the server wrote itself are resource
//! references (`[SR_SOBATCH_…]`), resolved when a response is written and never changed in storage;
//! when a request names no language, they read in English rather than as raw references.

use sobatch_wire::ErrorBody;
use sobatch_wire::language::{
    Lang, LanguageRequest, ResourceId, localize_or_default, localize_task_or_default,
    needs_localization, reference,
};

/// The language of the server's own texts when a request names none.
const DEFAULT: Lang = Lang::English;

pub fn localize_task(info: &mut sobatch_wire::BatchTaskInfo, language: &LanguageRequest) {
    localize_task_or_default(info, language, DEFAULT);
}

/// One stored text people read, such as a cell of the archive list, in the request's language,
/// as [`localize_task`] shows a task's texts.
pub fn localize_value(text: &str, language: &LanguageRequest) -> String {
    if !needs_localization(text) {
        return text.to_string();
    }
    localize_or_default(text, language, DEFAULT).into_owned()
}

pub fn localize_error(error: &mut ErrorBody, language: &LanguageRequest) {
    for text in [
        Some(&mut error.error_message),
        error.message_detail.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        if let std::borrow::Cow::Owned(localized) = localize_or_default(text, language, DEFAULT) {
            *text = localized;
        }
    }
}

/// A reference to one of the server's texts, for error messages.
pub fn message(id: ResourceId, args: &[&str]) -> String {
    reference(id, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine writes references by name (it cannot depend on the wire crate); every one of
    /// them must be in the resource table, or readers would see the raw reference.
    #[test]
    fn every_reference_the_engine_stores_resolves() {
        use sobatch_engine::text;
        let stored = [
            text::TASK_STOPPED.to_string(),
            text::FAIL_DEFAULT.to_string(),
            text::RESTARTS_EXHAUSTED.to_string(),
            text::SYSTEM_TASK_FORBIDDEN.to_string(),
            text::task_panicked("boom | ] \\ x"),
            text::sleep_progress(1.25, 3.0),
            text::sleep_done(2.5),
            text::task_timed_out(30.0),
        ];
        for reference in stored {
            for language in [
                LanguageRequest::UNTRANSLATED,
                LanguageRequest::new(Lang::German),
            ] {
                let shown = localize_or_default(&reference, &language, DEFAULT);
                assert!(!shown.contains("[SR_"), "{reference} → {shown}");
            }
        }
        let panicked = text::task_panicked("a|b]");
        let shown = localize_or_default(&panicked, &LanguageRequest::UNTRANSLATED, DEFAULT);
        assert!(shown.ends_with("a|b]"), "{shown}");
        let progress = text::sleep_progress(1.25, 3.0);
        let shown = localize_or_default(&progress, &LanguageRequest::new(Lang::German), DEFAULT);
        assert!(shown.contains("1,2") || shown.contains("1,3"), "{shown}");
    }
}
