//! Dashboard sessions: the session cookie a sign-in sets, the XSRF token bound to it (spec §4.1),
//! and how a request with the cookie is checked. Sessions live in the store, as hashes, so every
//! node of a cluster accepts them and a sign-out ends them everywhere.

use axum::http::{HeaderMap, HeaderValue, Method, header};
use sobatch_core::Associate;
use sobatch_store::CredentialKind;

use crate::error::ApiError;
use crate::secret::{random_token, secret_hash};
use crate::state::AppState;

/// The cookie that carries the session secret; HttpOnly, so page scripts never see it.
pub const SESSION_COOKIE: &str = "sobatch_session";
/// The cookie that carries the XSRF token, readable by scripts that copy it into the header.
pub const XSRF_COOKIE: &str = "XSRF-TOKEN";
pub const XSRF_HEADER: &str = "x-xsrf-token";

/// A signed-in session, as a request presents it.
#[derive(Debug, Clone)]
pub struct Session {
    pub associate: Associate,
    pub xsrf: String,
    /// The stored hash of the session secret, to end it.
    pub secret_hash: String,
    pub expires: Option<sobatch_core::Timestamp>,
}

/// Starts a session for `associate`; returns the `Set-Cookie` values for both cookies.
pub async fn sign_in(
    state: &AppState,
    associate: &Associate,
) -> Result<[HeaderValue; 2], ApiError> {
    let xsrf = random_token()?;
    let issued = crate::secret::issue(
        state.engine.store().as_ref(),
        CredentialKind::Session,
        associate.id,
        Some(state.session_lifetime),
        "",
        Some(xsrf.clone()),
    )
    .await?;
    let secret = issued.secret;
    let max_age = state.session_lifetime.as_secs();
    Ok([
        cookie(state, SESSION_COOKIE, &secret, max_age, true)?,
        cookie(state, XSRF_COOKIE, &xsrf, max_age, false)?,
    ])
}

/// Ends the session; returns the `Set-Cookie` values that clear both cookies.
pub async fn sign_out(state: &AppState, session: &Session) -> Result<[HeaderValue; 2], ApiError> {
    state
        .engine
        .store()
        .credential_delete(CredentialKind::Session, &session.secret_hash)
        .await?;
    Ok([
        cookie(state, SESSION_COOKIE, "", 0, true)?,
        cookie(state, XSRF_COOKIE, "", 0, false)?,
    ])
}

/// `Secure` when clients reach the server over HTTPS, as far as its configured public URL says;
/// a browser would not send a Secure cookie back over plain HTTP.
fn cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: u64,
    http_only: bool,
) -> Result<HeaderValue, ApiError> {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let http_only = if http_only { "; HttpOnly" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; SameSite=Lax{http_only}{secure}"
    ))
    .map_err(|e| ApiError::Internal(format!("cookie header: {e}")))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// The session the request's cookie names, if it is live. A cookie that names no live session is
/// an error rather than "no session", so that a sign-in that ran out says so.
pub async fn from_cookie(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Session>, ApiError> {
    let Some(secret) = cookie_value(headers, SESSION_COOKIE).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let hash = secret_hash(secret);
    let found = state
        .engine
        .store()
        .credential_find(CredentialKind::Session, &hash, chrono::Utc::now())
        .await?;
    match found {
        Some(credential) => Ok(Some(Session {
            associate: credential.associate,
            xsrf: credential.extra.unwrap_or_default(),
            secret_hash: hash,
            expires: credential.expires,
        })),
        None => Err(ApiError::Unauthorized(
            "the session has ended; sign in again".into(),
        )),
    }
}

/// Whether a request changes state, and so must prove with its XSRF token that a page of ours
/// sent it.
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Checks the token a request presents against the one bound to its session (not merely against
/// the cookie, which a forged request would carry too).
pub fn check_xsrf(session: &Session, presented: Option<&str>) -> Result<(), ApiError> {
    match presented {
        // A session without a token (none is issued so) accepts no token at all.
        Some(token)
            if !session.xsrf.is_empty()
                && crate::auth::same_bytes(token.as_bytes(), session.xsrf.as_bytes()) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::Unauthorized(
            "the X-XSRF-TOKEN does not match the session".into(),
        )),
        None => Err(ApiError::Unauthorized(
            "a request that changes something with a session cookie needs the X-XSRF-TOKEN header"
                .into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Cookie headers are untrusted input: any bytes a header may hold are read without a
        /// panic, and a cookie that is there is found.
        #[test]
        fn any_cookie_header_is_read(noise in "[ -~]{0,80}", value in "[A-Za-z0-9_-]{1,43}") {
            let mut headers = HeaderMap::new();
            if let Ok(noise) = HeaderValue::from_str(&noise) {
                headers.append(header::COOKIE, noise);
            }
            let _ = cookie_value(&headers, SESSION_COOKIE);
            headers.append(
                header::COOKIE,
                HeaderValue::from_str(&format!("{SESSION_COOKIE}={value}")).unwrap(),
            );
            prop_assert!(cookie_value(&headers, SESSION_COOKIE).is_some());
        }
    }

    #[test]
    fn cookies_are_found_among_others_in_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; XSRF-TOKEN=x"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("sobatch_session=abc ;b=2"),
        );
        assert_eq!(cookie_value(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie_value(&headers, XSRF_COOKIE), Some("x"));
        assert_eq!(cookie_value(&headers, "missing"), None);
        assert_eq!(cookie_value(&HeaderMap::new(), SESSION_COOKIE), None);
    }

    #[test]
    fn only_the_bound_token_passes() {
        let session = Session {
            associate: Associate {
                id: sobatch_core::AssociateId(1),
                name: "a".into(),
                role: sobatch_core::Role::User,
                password_hash: String::new(),
            },
            xsrf: "right".into(),
            secret_hash: String::new(),
            expires: None,
        };
        assert!(check_xsrf(&session, Some("right")).is_ok());
        assert!(check_xsrf(&session, Some("wrong")).is_err());
        assert!(check_xsrf(&session, None).is_err());
        assert!(!changes_state(&Method::GET));
        assert!(changes_state(&Method::POST));
        assert!(changes_state(&Method::DELETE));
    }
}
