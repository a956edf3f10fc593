//! sobatch's own texts in every supported language, keyed by resource ids, and the reference
//! strings that stand for them in stored values.
//!
//! A reference is written the way SuperOffice writes its resource references, in square brackets,
//! with an optional argument list after a colon:
//!
//! ```text
//! [SR_SOBATCH_TASK_STOPPED]            no arguments
//! [SR_SOBATCH_TASK_TIMED_OUT:30]       one argument, filling {0}
//! [SR_SOBATCH_SLEEP_PROGRESS:2.5|10]   arguments are separated by '|', filling {0}, {1}, …
//! [SR_SOBATCH_TASK_PANICKED:a\|b\]c]   '\' escapes the next character ('\\', '\|', '\]')
//! ```
//!
//! Numbers in arguments are written in the invariant culture (a `.` before the decimals, no
//! grouping) and shown in the request's culture (`2,5` for Norwegian); text arguments are shown as
//! they are. Each resource declares which of its arguments are numbers. A placeholder without an
//! argument stays as written (`{1}`), and surplus arguments are ignored, so an old stored reference
//! still renders after a text gains or loses a placeholder.
//!
//! The engine writes these strings itself (it does not depend on this crate), so the names below
//! are a stored format: never rename one, only add.

use super::Lang;
use super::text::format_number;

/// How a placeholder's argument is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// Shown exactly as written.
    Text,
    /// An invariant-culture number, shown with the culture's decimal separator; anything that is
    /// not such a number is shown as written.
    Number,
}

/// Defines [`ResourceId`] and its table from one list, so that no id can lack a text or a language.
macro_rules! resources {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal [$($kind:ident),*] {
            en: $en:literal,
            nb: $nb:literal,
            sv: $sv:literal,
            da: $da:literal,
            de: $de:literal,
            nl: $nl:literal,
            fr: $fr:literal $(,)?
        }
    )*) => {
        /// One of sobatch's own texts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ResourceId {
            $( $(#[$doc])* $variant, )*
        }

        impl ResourceId {
            /// Every resource, in table order.
            pub const ALL: &'static [ResourceId] = &[$(ResourceId::$variant),*];

            /// The resource's name, `SR_SOBATCH_…`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(ResourceId::$variant => $name,)*
                }
            }

            /// The reference without arguments, `[SR_SOBATCH_…]`.
            pub const fn reference(self) -> &'static str {
                match self {
                    $(ResourceId::$variant => concat!("[", $name, "]"),)*
                }
            }

            /// What each placeholder `{0}`, `{1}`, … takes.
            pub const fn parameters(self) -> &'static [ArgKind] {
                match self {
                    $(ResourceId::$variant => &[$(ArgKind::$kind),*],)*
                }
            }

            /// The text in `lang`, placeholders unfilled.
            pub const fn template(self, lang: Lang) -> &'static str {
                match self {
                    $(ResourceId::$variant => match lang {
                        Lang::English => $en,
                        Lang::Norwegian => $nb,
                        Lang::Swedish => $sv,
                        Lang::Danish => $da,
                        Lang::German => $de,
                        Lang::Dutch => $nl,
                        Lang::French => $fr,
                    },)*
                }
            }
        }
    };
}

resources! {
    /// The Result of a task stopped through StopBatchJob.
    TaskStopped = "SR_SOBATCH_TASK_STOPPED" [] {
        en: "Stopped by request",
        nb: "Stoppet etter forespørsel",
        sv: "Stoppad på begäran",
        da: "Stoppet efter anmodning",
        de: "Auf Anforderung gestoppt",
        nl: "Gestopt op verzoek",
        fr: "Arrêtée sur demande",
    }
    /// The Result of a task that ran past its definition's timeout; {0} is the timeout in seconds.
    TaskTimedOut = "SR_SOBATCH_TASK_TIMED_OUT" [Number] {
        en: "Timed out after {0} s",
        nb: "Tidsavbrudd etter {0} s",
        sv: "Tidsgränsen överskreds efter {0} s",
        da: "Tidsgrænsen blev overskredet efter {0} s",
        de: "Zeitüberschreitung nach {0} s",
        nl: "Time-out na {0} s",
        fr: "Délai dépassé après {0} s",
    }
    /// The Result of a task whose executor panicked; {0} is the panic message.
    TaskPanicked = "SR_SOBATCH_TASK_PANICKED" [Text] {
        en: "The executor panicked: {0}",
        nb: "Utføreren krasjet: {0}",
        sv: "Utföraren kraschade: {0}",
        da: "Udføreren gik ned: {0}",
        de: "Der Ausführer ist abgestürzt: {0}",
        nl: "De uitvoerder is gecrasht: {0}",
        fr: "L'exécuteur a planté : {0}",
    }
    /// The Result of a task handed back to the queue because its node stopped renewing the lease.
    TaskRescued = "SR_SOBATCH_TASK_RESCUED" [] {
        en: "The lease expired; the task was returned to the queue",
        nb: "Reservasjonen utløp; oppgaven ble satt tilbake i køen",
        sv: "Reservationen löpte ut; uppgiften lades tillbaka i kön",
        da: "Reservationen udløb; opgaven blev sat tilbage i køen",
        de: "Die Reservierung ist abgelaufen; die Aufgabe wurde wieder eingereiht",
        nl: "De reservering is verlopen; de taak is teruggezet in de wachtrij",
        fr: "La réservation a expiré ; la tâche a été remise dans la file d'attente",
    }
    /// The Result of a task whose node stopped renewing its lease once its restarts were used up.
    TaskRestartsExhausted = "SR_SOBATCH_TASK_RESTARTS_EXHAUSTED" [] {
        en: "The node running the task stopped answering and no restarts are left",
        nb: "Noden som kjørte oppgaven sluttet å svare, og det er ingen omstarter igjen",
        sv: "Noden som körde uppgiften slutade svara och inga omstarter återstår",
        da: "Noden, der kørte opgaven, holdt op med at svare, og der er ingen genstarter tilbage",
        de: "Der Knoten, der die Aufgabe ausführte, antwortet nicht mehr, und es sind keine Neustarts übrig",
        nl: "Het knooppunt dat de taak uitvoerde reageert niet meer en er zijn geen herstarts meer over",
        fr: "Le nœud qui exécutait la tâche ne répond plus et il ne reste aucun redémarrage",
    }
    /// The built-in Sleep task's ProgressDescription; {0} seconds slept of {1}.
    SleepProgress = "SR_SOBATCH_SLEEP_PROGRESS" [Number, Number] {
        en: "Sleeping {0} of {1} s",
        nb: "Sover {0} av {1} s",
        sv: "Sover {0} av {1} s",
        da: "Sover {0} af {1} s",
        de: "Schlafe {0} von {1} s",
        nl: "Slaapt {0} van {1} s",
        fr: "En pause : {0} sur {1} s",
    }
    /// The built-in Sleep task's Response; {0} is the seconds slept.
    SleepDone = "SR_SOBATCH_SLEEP_DONE" [Number] {
        en: "Slept {0} s",
        nb: "Sov {0} s",
        sv: "Sov {0} s",
        da: "Sov {0} s",
        de: "{0} s geschlafen",
        nl: "{0} s geslapen",
        fr: "Pause de {0} s terminée",
    }
    /// The built-in Fail task's Result when no Message parameter is given.
    FailDefault = "SR_SOBATCH_FAIL_DEFAULT" [] {
        en: "Failed on request",
        nb: "Feilet etter forespørsel",
        sv: "Misslyckades på begäran",
        da: "Fejlede efter anmodning",
        de: "Auf Anforderung fehlgeschlagen",
        nl: "Mislukt op verzoek",
        fr: "Échec sur demande",
    }
    /// State `Unknown` as shown to people.
    StateUnknown = "SR_SOBATCH_STATE_UNKNOWN" [] {
        en: "Unknown",
        nb: "Ukjent",
        sv: "Okänd",
        da: "Ukendt",
        de: "Unbekannt",
        nl: "Onbekend",
        fr: "Inconnu",
    }
    /// State `New` as shown to people.
    StateNew = "SR_SOBATCH_STATE_NEW" [] {
        en: "New",
        nb: "Ny",
        sv: "Ny",
        da: "Ny",
        de: "Neu",
        nl: "Nieuw",
        fr: "Nouveau",
    }
    /// State `Aquired` (SuperOffice's spelling on the wire) as shown to people.
    StateAcquired = "SR_SOBATCH_STATE_ACQUIRED" [] {
        en: "Acquired",
        nb: "Tildelt",
        sv: "Tilldelad",
        da: "Tildelt",
        de: "Zugewiesen",
        nl: "Toegewezen",
        fr: "Attribué",
    }
    /// State `Started` as shown to people.
    StateStarted = "SR_SOBATCH_STATE_STARTED" [] {
        en: "Started",
        nb: "Startet",
        sv: "Startad",
        da: "Startet",
        de: "Gestartet",
        nl: "Gestart",
        fr: "Démarré",
    }
    /// State `Succeeded` as shown to people.
    StateSucceeded = "SR_SOBATCH_STATE_SUCCEEDED" [] {
        en: "Succeeded",
        nb: "Fullført",
        sv: "Lyckades",
        da: "Fuldført",
        de: "Erfolgreich",
        nl: "Geslaagd",
        fr: "Réussi",
    }
    /// State `Failed` as shown to people.
    StateFailed = "SR_SOBATCH_STATE_FAILED" [] {
        en: "Failed",
        nb: "Feilet",
        sv: "Misslyckades",
        da: "Fejlet",
        de: "Fehlgeschlagen",
        nl: "Mislukt",
        fr: "Échoué",
    }
    /// State `SucceededManualCleanup` as shown to people.
    StateSucceededManualCleanup = "SR_SOBATCH_STATE_SUCCEEDED_MANUAL_CLEANUP" [] {
        en: "Succeeded (manual cleanup)",
        nb: "Fullført (manuell opprydding)",
        sv: "Lyckades (manuell rensning)",
        da: "Fuldført (manuel oprydning)",
        de: "Erfolgreich (manuelle Bereinigung)",
        nl: "Geslaagd (handmatig opruimen)",
        fr: "Réussi (nettoyage manuel)",
    }
    /// 404 for a task id; {0} is the id as the request wrote it.
    ErrorTaskNotFound = "SR_SOBATCH_ERROR_TASK_NOT_FOUND" [Text] {
        en: "BatchTask id {0} not found",
        nb: "BatchTask med id {0} ble ikke funnet",
        sv: "BatchTask med id {0} hittades inte",
        da: "BatchTask med id {0} blev ikke fundet",
        de: "BatchTask mit ID {0} wurde nicht gefunden",
        nl: "BatchTask met id {0} is niet gevonden",
        fr: "BatchTask avec l'id {0} introuvable",
    }
    /// 401 without credentials.
    ErrorAuthenticationRequired = "SR_SOBATCH_ERROR_AUTHENTICATION_REQUIRED" [] {
        en: "authentication is required",
        nb: "autentisering er påkrevd",
        sv: "autentisering krävs",
        da: "godkendelse er påkrævet",
        de: "Authentifizierung ist erforderlich",
        nl: "authenticatie is vereist",
        fr: "une authentification est requise",
    }
    /// 401 for a wrong user name or password.
    ErrorWrongCredentials = "SR_SOBATCH_ERROR_WRONG_CREDENTIALS" [] {
        en: "the user name or password is wrong",
        nb: "brukernavnet eller passordet er feil",
        sv: "användarnamnet eller lösenordet är fel",
        da: "brugernavnet eller adgangskoden er forkert",
        de: "der Benutzername oder das Passwort ist falsch",
        nl: "de gebruikersnaam of het wachtwoord is onjuist",
        fr: "le nom d'utilisateur ou le mot de passe est incorrect",
    }
    /// 403 when someone other than an administrator starts a system task.
    ErrorSystemTaskForbidden = "SR_SOBATCH_ERROR_SYSTEM_TASK_FORBIDDEN" [] {
        en: "only administrators may start system tasks",
        nb: "bare administratorer kan starte systemoppgaver",
        sv: "endast administratörer får starta systemuppgifter",
        da: "kun administratorer må starte systemopgaver",
        de: "nur Administratoren dürfen Systemaufgaben starten",
        nl: "alleen beheerders mogen systeemtaken starten",
        fr: "seuls les administrateurs peuvent démarrer des tâches système",
    }
    /// 400 for a body that cannot be read; the server may append the parser's detail.
    ErrorMalformedBody = "SR_SOBATCH_ERROR_MALFORMED_BODY" [] {
        en: "the request body could not be read",
        nb: "innholdet i forespørselen kunne ikke leses",
        sv: "begärans innehåll kunde inte läsas",
        da: "anmodningens indhold kunne ikke læses",
        de: "der Inhalt der Anfrage konnte nicht gelesen werden",
        nl: "de inhoud van het verzoek kon niet worden gelezen",
        fr: "le corps de la requête n'a pas pu être lu",
    }
    /// 400 for a path segment that is neither a state name nor a task id; {0} is the segment.
    ErrorInvalidState = "SR_SOBATCH_ERROR_INVALID_STATE" [Text] {
        en: "'{0}' is not a valid BatchTaskState or task id",
        nb: "'{0}' er ikke en gyldig BatchTaskState eller oppgave-id",
        sv: "'{0}' är inte ett giltigt BatchTaskState eller uppgifts-id",
        da: "'{0}' er ikke en gyldig BatchTaskState eller opgave-id",
        de: "'{0}' ist weder ein gültiger BatchTaskState noch eine gültige Aufgaben-ID",
        nl: "'{0}' is geen geldige BatchTaskState of taak-id",
        fr: "'{0}' n'est ni un BatchTaskState valide ni un id de tâche",
    }
    /// 413 for a body over the configured limit.
    ErrorPayloadTooLarge = "SR_SOBATCH_ERROR_PAYLOAD_TOO_LARGE" [] {
        en: "the request body is larger than the server accepts",
        nb: "innholdet i forespørselen er større enn serveren godtar",
        sv: "begärans innehåll är större än servern accepterar",
        da: "anmodningens indhold er større, end serveren accepterer",
        de: "der Inhalt der Anfrage ist größer, als der Server akzeptiert",
        nl: "de inhoud van het verzoek is groter dan de server accepteert",
        fr: "le corps de la requête dépasse la taille acceptée par le serveur",
    }
    /// 408 for a body that did not arrive within `http.body_read_timeout`.
    ErrorBodyTimeout = "SR_SOBATCH_ERROR_BODY_TIMEOUT" [] {
        en: "the request body did not arrive in time",
        nb: "innholdet i forespørselen kom ikke fram i tide",
        sv: "begärans innehåll kom inte fram i tid",
        da: "anmodningens indhold nåede ikke frem i tide",
        de: "der Inhalt der Anfrage ist nicht rechtzeitig angekommen",
        nl: "de inhoud van het verzoek kwam niet op tijd aan",
        fr: "le corps de la requête n'est pas arrivé à temps",
    }
    /// 405; {0} is the method, {1} the path.
    ErrorMethodNotSupported = "SR_SOBATCH_ERROR_METHOD_NOT_SUPPORTED" [Text, Text] {
        en: "{0} is not supported on {1}",
        nb: "{0} støttes ikke på {1}",
        sv: "{0} stöds inte för {1}",
        da: "{0} understøttes ikke på {1}",
        de: "{0} wird für {1} nicht unterstützt",
        nl: "{0} wordt niet ondersteund op {1}",
        fr: "{0} n'est pas pris en charge sur {1}",
    }
    /// 500; the cause goes to the log only.
    ErrorInternal = "SR_SOBATCH_ERROR_INTERNAL" [] {
        en: "the server could not complete the request; the cause is in its log",
        nb: "serveren kunne ikke fullføre forespørselen; årsaken står i loggen",
        sv: "servern kunde inte slutföra begäran; orsaken finns i loggen",
        da: "serveren kunne ikke fuldføre anmodningen; årsagen står i loggen",
        de: "der Server konnte die Anfrage nicht abschließen; die Ursache steht im Protokoll",
        nl: "de server kon het verzoek niet voltooien; de oorzaak staat in het logboek",
        fr: "le serveur n'a pas pu traiter la requête ; la cause figure dans son journal",
    }
    /// 429 after too many failed sign-ins; `Retry-After` says when to try again.
    ErrorTooManyFailedLogins = "SR_SOBATCH_ERROR_TOO_MANY_FAILED_LOGINS" [] {
        en: "too many failed sign-ins; try again later",
        nb: "for mange mislykkede pålogginger; prøv igjen senere",
        sv: "för många misslyckade inloggningar; försök igen senare",
        da: "for mange mislykkede logins; prøv igen senere",
        de: "zu viele fehlgeschlagene Anmeldungen; bitte später erneut versuchen",
        nl: "te veel mislukte aanmeldingen; probeer het later opnieuw",
        fr: "trop d'échecs de connexion ; réessayez plus tard",
    }
    /// 503 while the database cannot be reached.
    ErrorUnavailable = "SR_SOBATCH_ERROR_UNAVAILABLE" [] {
        en: "the database is unavailable; try again shortly",
        nb: "databasen er utilgjengelig; prøv igjen om litt",
        sv: "databasen är inte tillgänglig; försök igen om en stund",
        da: "databasen er utilgængelig; prøv igen om lidt",
        de: "die Datenbank ist nicht erreichbar; bitte gleich erneut versuchen",
        nl: "de database is niet beschikbaar; probeer het zo opnieuw",
        fr: "la base de données est indisponible ; réessayez dans un instant",
    }
    /// 400 for a query option of the OData archive list that cannot be used; {0} is the option
    /// (`$filter`), {1} what is wrong with it, naming the offending text and its position.
    ErrorInvalidQueryOption = "SR_SOBATCH_ERROR_INVALID_QUERY_OPTION" [Text, Text] {
        en: "the query option {0} is not valid: {1}",
        nb: "spørringsvalget {0} er ugyldig: {1}",
        sv: "frågealternativet {0} är ogiltigt: {1}",
        da: "forespørgselsindstillingen {0} er ugyldig: {1}",
        de: "die Abfrageoption {0} ist ungültig: {1}",
        nl: "de queryoptie {0} is ongeldig: {1}",
        fr: "l'option de requête {0} n'est pas valide : {1}",
    }
}

impl ResourceId {
    /// The resource named `name` (`SR_SOBATCH_…`, without brackets).
    pub fn from_name(name: &str) -> Option<ResourceId> {
        ResourceId::ALL.iter().copied().find(|id| id.name() == name)
    }
}

/// The text of `id` in `lang`, numbers formatted in the same language's culture. `args` fill the
/// placeholders in order; numbers are given in the invariant culture (`"2.5"`).
pub fn resource(id: ResourceId, lang: Lang, args: &[&str]) -> String {
    resource_with_culture(id, lang, lang, args)
}

/// The text of `id` in `lang`, numbers formatted in `culture`.
pub fn resource_with_culture(id: ResourceId, lang: Lang, culture: Lang, args: &[&str]) -> String {
    fill(id, lang, culture, args)
}

/// The text of `id` for a request: in the language it asked for, else in `default` (the server's
/// own error messages must be readable even when a client asks for no translation).
pub fn resource_for(
    id: ResourceId,
    request: &super::LanguageRequest,
    default: Lang,
    args: &[&str],
) -> String {
    let lang = request.language.unwrap_or(default);
    let culture = request.culture_or_language().unwrap_or(default);
    fill(id, lang, culture, args)
}

/// The reference string that stores `id` with `args`, escaping what the syntax needs escaped:
/// `reference(ResourceId::TaskTimedOut, &["30"])` is `[SR_SOBATCH_TASK_TIMED_OUT:30]`.
pub fn reference(id: ResourceId, args: &[&str]) -> String {
    if args.is_empty() {
        return id.reference().to_string();
    }
    let mut out =
        String::with_capacity(id.name().len() + 3 + args.iter().map(|a| a.len()).sum::<usize>());
    out.push('[');
    out.push_str(id.name());
    out.push(':');
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        for c in arg.chars() {
            if matches!(c, '\\' | '|' | ']') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push(']');
    out
}

/// Fills the template of `id` with `args`, formatting number arguments in `culture`.
pub(super) fn fill<S: AsRef<str>>(id: ResourceId, lang: Lang, culture: Lang, args: &[S]) -> String {
    let template = id.template(lang);
    let kinds = id.parameters();
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let closed = digits > 0 && after.as_bytes().get(digits) == Some(&b'}');
        let index = after[..digits].parse::<usize>().ok();
        match (
            closed,
            index.and_then(|i| args.get(i).map(|arg| (i, arg.as_ref()))),
        ) {
            (true, Some((i, arg))) => {
                match kinds.get(i) {
                    Some(ArgKind::Number) => out.push_str(&format_number(arg, culture)),
                    _ => out.push_str(arg),
                }
                rest = &after[digits + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
