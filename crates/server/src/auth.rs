//! Authentication: Basic credentials checked against argon2id hashes, with a short-lived cache of
//! verified credentials so the deliberately slow hash does not run on every request, and
//! throttling of failed attempts; tickets (`SOTicket`) and API tokens (`Bearer`) the server issued,
//! looked up by their hash; and, without `Authorization`, a dashboard session (see `session`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use blake2::{Blake2b512, Digest};
use sobatch_core::Associate;
use sobatch_engine::Caller;
use sobatch_store::{CredentialKind, Store};

use sobatch_wire::language::ResourceId;

use crate::error::ApiError;
use crate::state::AppState;
use crate::text::message;
use crate::throttle::{Limits, LoginThrottle};

/// The cache never grows past this; when full it is cleared, which only costs re-verification.
const CACHE_MAX: usize = 10_000;
/// How many password hashes run at once, whatever the number of requests waiting for one.
const HASHES_AT_ONCE: usize = 2;

/// Hashes a password for storage (argon2id, PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| format!("hash password: {e}"))
}

fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// Generates a password for the first administrator: 24 characters of URL-safe base64.
pub fn generate_password() -> Result<String, String> {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).map_err(|e| format!("read random bytes: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

struct CacheEntry {
    digest: [u8; 64],
    associate: Associate,
    expires: Instant,
}

/// Checks credentials; cheap to clone.
#[derive(Clone)]
pub struct Authenticator {
    store: Arc<dyn Store>,
    ttl: Duration,
    /// A per-process key mixed into cache digests, so the cache holds nothing that could be
    /// checked against a password offline.
    key: [u8; 32],
    cache: Arc<Mutex<HashMap<String, CacheEntry>>>,
    /// One lock per associate name being verified right now.
    gates: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// Caps the password hashes computed at once.
    hashing: Arc<tokio::sync::Semaphore>,
    /// Verifications answered from the cache, for metrics and tests.
    cache_hits: Arc<AtomicU64>,
    throttle: Arc<LoginThrottle>,
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>, ttl: Duration, limits: Limits) -> Result<Self, String> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("read random bytes: {e}"))?;
        Ok(Authenticator {
            store,
            ttl,
            key,
            cache: Arc::new(Mutex::new(HashMap::new())),
            gates: Arc::new(Mutex::new(HashMap::new())),
            hashing: Arc::new(tokio::sync::Semaphore::new(HASHES_AT_ONCE)),
            cache_hits: Arc::new(AtomicU64::new(0)),
            throttle: Arc::new(LoginThrottle::new(limits)),
        })
    }

    /// How many verifications the cache has answered.
    pub fn cache_hits(&self) -> u64 {
        self.cache_hits.load(Ordering::Relaxed)
    }

    fn digest(&self, name: &str, password: &str) -> [u8; 64] {
        let mut hasher = Blake2b512::new();
        hasher.update(self.key);
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(password.as_bytes());
        hasher.finalize().into()
    }

    /// The associate these credentials belong to, or `None` (a failure, counted against the name
    /// and the address); 429 while either is blocked. Credentials verified a moment ago pass from
    /// the cache even while the name is blocked, so that guessing at a name cannot lock out its
    /// owner's running clients.
    pub async fn verify(
        &self,
        name: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<Option<Associate>, ApiError> {
        let key = name.to_lowercase();
        let digest = self.digest(&key, password);
        if let Some(associate) = self.cached(&key, &digest) {
            return Ok(Some(associate));
        }
        self.not_blocked(name, address)?;
        // Many requests with the same credentials arriving at once (a client opening its
        // connection pool) verify once: the rest wait for that and then find the cache filled.
        // Waiting in line also means each guess at a name sees the failures before it.
        let gate = self.gate(&key);
        let answer = {
            let _turn = gate.lock().await;
            match self.cached(&key, &digest) {
                Some(associate) => Ok(Some(associate)),
                None => {
                    let answer = self.verify_uncached(name, password, address).await;
                    if let Ok(Some(associate)) = &answer {
                        self.remember(&key, digest, associate);
                    }
                    answer
                }
            }
        };
        self.release_gate(&key, gate);
        answer
    }

    fn not_blocked(&self, name: &str, address: Option<IpAddr>) -> Result<(), ApiError> {
        throttled(&self.throttle, Some(name), address)
    }

    fn remember(&self, key: &str, digest: [u8; 64], associate: &Associate) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(
                key.to_string(),
                CacheEntry {
                    digest,
                    associate: associate.clone(),
                    expires: Instant::now() + self.ttl,
                },
            );
        }
    }

    fn cached(&self, key: &str, digest: &[u8; 64]) -> Option<Associate> {
        let cache = self.cache.lock().ok()?;
        let entry = cache.get(key)?;
        if same_bytes(&entry.digest, digest) && entry.expires > Instant::now() {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            Some(entry.associate.clone())
        } else {
            None
        }
    }

    /// The lock that serialises verifications of one associate's credentials.
    fn gate(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.gates.lock() {
            Ok(mut gates) => gates.entry(key.to_string()).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }

    /// Forgets a gate nobody else holds, so the map does not grow with every name ever tried.
    fn release_gate(&self, key: &str, gate: Arc<tokio::sync::Mutex<()>>) {
        if let Ok(mut gates) = self.gates.lock()
            && Arc::strong_count(&gate) <= 2
        {
            gates.remove(key);
        }
    }

    /// Checks a password against the store, hashing under a limit on concurrent hashes: each one
    /// takes about 19 MiB and a core for tens of milliseconds. The attempt counts as a failure
    /// from the moment its hash starts, and is forgiven if it succeeds: a client that hangs up
    /// mid-way cannot have guesses checked without their being counted.
    async fn verify_uncached(
        &self,
        name: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<Option<Associate>, ApiError> {
        let associate = self
            .store
            .associate_get_by_name(name)
            .await
            .map_err(ApiError::from)?;
        // Hash anyway for a missing user, so that it takes as long as a wrong password.
        let stored = associate
            .as_ref()
            .map_or(DUMMY_HASH.to_string(), |a| a.password_hash.clone());
        let permit = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(format!("verify password: {e}")))?;
        // Checked again in turn: guesses from one address at many names queue here.
        self.not_blocked(name, address)?;
        self.throttle.failed(Some(name), address);
        let password = password.to_string();
        // The permit goes with the hash, so it is held until the hash is done even if this
        // request is dropped.
        let valid = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify_password(&password, &stored)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("verify password: {e}")))?;
        match associate.filter(|_| valid) {
            Some(associate) => {
                self.throttle.succeeded(name);
                self.throttle.forgive(address);
                Ok(Some(associate))
            }
            None => Ok(None),
        }
    }
}

/// Compares in time that depends only on the length, so that how long a check takes says nothing
/// about how much of a secret matched.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |differ, (x, y)| differ | (x ^ y)) == 0
}

/// A valid argon2id hash of a random password, used to spend equal time on unknown users.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29iYXRjaGR1bW15c2FsdA$4rXb8mJk2P3x9bCqfVd0mQ3sCwY0fV6f3qJfX0m3vWU";

/// Parses `Authorization: Basic …` into name and password.
pub fn parse_basic(value: &str) -> Result<(String, String), ApiError> {
    let value = value.trim();
    let (scheme, rest) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::Unauthorized("the Authorization header has no scheme".into()))?;
    if !scheme.eq_ignore_ascii_case("Basic") {
        return Err(ApiError::Unauthorized(format!(
            "the {scheme} authorization scheme is not supported; use Basic"
        )));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .map_err(|_| ApiError::Unauthorized("the Basic credentials are not valid base64".into()))?;
    let text = String::from_utf8(decoded)
        .map_err(|_| ApiError::Unauthorized("the Basic credentials are not UTF-8".into()))?;
    let (name, password) = text.split_once(':').ok_or_else(|| {
        ApiError::Unauthorized("the Basic credentials lack a ':' between name and password".into())
    })?;
    Ok((name.to_string(), password.to_string()))
}

/// Middleware for the SuperOffice routes: every request must authenticate; the caller is put in the
/// request's extensions for handlers.
pub async fn require_caller(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    // The socket's peer, never a forwarding header a client could make up.
    let address = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let application = match application(&state, request.headers(), authorization.is_some()).await {
        Ok(application) => application,
        Err(error) => return error.into_response(),
    };
    let caller = match authorization {
        Some(authorization) => authenticate(&state, authorization, address).await,
        None => session_caller(&state, request.method(), request.headers()).await,
    };
    match caller {
        Ok((mut caller, presented)) => {
            caller.application = application.map(|a| a.id);
            request.extensions_mut().insert(caller);
            if let Some(presented) = presented {
                request.extensions_mut().insert(presented);
            }
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

/// The partner application a request names in `SO-AppToken`. A token that names no registered
/// application is refused whether or not tokens are required; with `auth.require_app_token`, a
/// request that signs in with `Authorization` must carry one (the dashboard's own session
/// requests need none: the dashboard is this server's own application).
async fn application(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    with_authorization: bool,
) -> Result<Option<sobatch_store::Application>, ApiError> {
    let Some(value) = headers.get("so-apptoken") else {
        if state.require_app_token && with_authorization {
            return Err(ApiError::Unauthorized(
                "this server requires the SO-AppToken header: the token of a registered application"
                    .into(),
            ));
        }
        return Ok(None);
    };
    let token = value.to_str().map(str::trim).unwrap_or("");
    let found = if token.is_empty() {
        None
    } else {
        state
            .engine
            .store()
            .application_find(&crate::secret::secret_hash(token))
            .await?
    };
    found.map(Some).ok_or_else(|| {
        ApiError::Unauthorized(
            "the SO-AppToken header does not name a registered application".into(),
        )
    })
}

/// A request without `Authorization` may carry a dashboard session; one that changes something
/// must also carry the session's XSRF token in its header.
async fn session_caller(
    state: &AppState,
    method: &axum::http::Method,
    headers: &axum::http::HeaderMap,
) -> Result<(Caller, Option<Presented>), ApiError> {
    let Some(session) = crate::session::from_cookie(state, headers).await? else {
        return Err(ApiError::Unauthorized(message(
            ResourceId::ErrorAuthenticationRequired,
            &[],
        )));
    };
    if crate::session::changes_state(method) {
        let presented = headers
            .get(crate::session::XSRF_HEADER)
            .and_then(|v| v.to_str().ok());
        crate::session::check_xsrf(&session, presented)?;
    }
    let presented = Presented {
        kind: CredentialKind::Session,
        secret_hash: session.secret_hash,
        expires: session.expires,
    };
    Ok((caller_of(&session.associate), Some(presented)))
}

/// Checks a name and password for a sign-in, with the same throttling as Basic credentials.
pub async fn sign_in_check(
    state: &AppState,
    name: &str,
    password: &str,
    address: Option<std::net::IpAddr>,
) -> Result<Associate, ApiError> {
    state
        .auth
        .verify(name, password, address)
        .await?
        .ok_or_else(|| ApiError::Unauthorized(message(ResourceId::ErrorWrongCredentials, &[])))
}

fn throttled(
    throttle: &LoginThrottle,
    name: Option<&str>,
    address: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    match throttle.blocked(name, address) {
        Some(wait) => Err(ApiError::TooManyRequests {
            message: message(ResourceId::ErrorTooManyFailedLogins, &[]),
            retry_after: wait.as_secs().max(1),
        }),
        None => Ok(()),
    }
}

/// The credential a request presented, when it was one the server issued: routes that act on
/// the credential itself (revoking the current ticket) read it from the request's extensions.
#[derive(Debug, Clone)]
pub struct Presented {
    pub kind: CredentialKind,
    pub secret_hash: String,
    /// When it ends: what it leads to (a ticket made with it) ends no later.
    pub expires: Option<sobatch_core::Timestamp>,
}

/// Reads `Authorization`: `Basic`, `SOTicket` or `Bearer`, the scheme name in any case (clients
/// write `SOTicket`, `SoTicket` and `SOTICKET`).
async fn authenticate(
    state: &AppState,
    header: axum::http::HeaderValue,
    address: Option<std::net::IpAddr>,
) -> Result<(Caller, Option<Presented>), ApiError> {
    let value = header
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not ASCII".into()))?;
    let (scheme, rest) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| ApiError::Unauthorized("the Authorization header has no scheme".into()))?;
    let kind = if scheme.eq_ignore_ascii_case("Basic") {
        let (name, password) = parse_basic(value)?;
        let associate = sign_in_check(state, &name, &password, address).await?;
        return Ok((caller_of(&associate), None));
    } else if scheme.eq_ignore_ascii_case("SOTicket") {
        CredentialKind::Ticket
    } else if scheme.eq_ignore_ascii_case("Bearer") {
        CredentialKind::Token
    } else {
        return Err(ApiError::Unauthorized(format!(
            "the {scheme} authorization scheme is not supported; use Basic, SOTicket or Bearer"
        )));
    };
    let secret = rest.trim();
    let throttle = &state.auth.throttle;
    throttled(throttle, None, address)?;
    if kind == CredentialKind::Token
        && let Some(verifier) = &state.jwt
        && crate::jwt::looks_like_jwt(secret)
    {
        return match jwt_associate(state, verifier, secret).await {
            Ok(associate) => Ok((caller_of(&associate), None)),
            Err(error) => {
                throttle.failed(None, address);
                Err(error)
            }
        };
    }
    let secret_hash = crate::secret::secret_hash(secret);
    let found = if secret.is_empty() {
        None
    } else {
        state
            .engine
            .store()
            .credential_find(kind, &secret_hash, chrono::Utc::now())
            .await?
    };
    match found {
        Some(credential) => Ok((
            caller_of(&credential.associate),
            Some(Presented {
                kind,
                secret_hash,
                expires: credential.expires,
            }),
        )),
        None => {
            throttle.failed(None, address);
            let what = match kind {
                CredentialKind::Ticket => "the ticket",
                _ => "the bearer token",
            };
            Err(ApiError::Unauthorized(format!(
                "{what} is not valid: unknown, expired or revoked"
            )))
        }
    }
}

/// The associate a JWT names, once it verifies.
async fn jwt_associate(
    state: &AppState,
    verifier: &crate::jwt::JwtVerifier,
    token: &str,
) -> Result<Associate, ApiError> {
    let name = verifier
        .associate_name(token)
        .map_err(ApiError::Unauthorized)?;
    state
        .engine
        .store()
        .associate_get_by_name(&name)
        .await?
        .ok_or_else(|| {
            ApiError::Unauthorized(format!(
                "the bearer token names {name:?}, who is not an associate here"
            ))
        })
}

pub fn caller_of(associate: &Associate) -> Caller {
    Caller {
        id: associate.id,
        is_admin: associate.is_admin(),
        is_worker: associate.role == sobatch_core::Role::Worker,
        application: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("s3cret").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &hash));
        assert!(!verify_password("S3cret", &hash));
        assert!(!verify_password("s3cret", "not a hash"));
    }

    #[test]
    fn basic_credentials_parse_with_any_scheme_case_and_colons_in_passwords() {
        let value = format!(
            "basic {}",
            base64::engine::general_purpose::STANDARD.encode("admin:a:b")
        );
        assert_eq!(
            parse_basic(&value).unwrap(),
            ("admin".to_string(), "a:b".to_string())
        );
        assert!(parse_basic("Bearer abc").is_err());
        assert!(parse_basic("Basic %%%").is_err());
        assert!(parse_basic("Basic").is_err());
    }

    async fn authenticator(ttl: Duration) -> (Authenticator, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(sobatch_store::SqliteStore::open(&dir.path().join("a.db")).unwrap());
        let hash = hash_password("pw").unwrap();
        store
            .associate_insert("Ann", sobatch_core::Role::User, &hash, chrono::Utc::now())
            .await
            .unwrap();
        let limits = Limits {
            per_name: 5,
            per_address: 20,
            window: Duration::from_secs(60),
        };
        (Authenticator::new(store, ttl, limits).unwrap(), dir)
    }

    #[tokio::test]
    async fn a_verified_password_is_answered_from_the_cache_and_a_wrong_one_never_is() {
        let (auth, _dir) = authenticator(Duration::from_secs(60)).await;
        assert!(auth.verify("ann", "pw", None).await.unwrap().is_some());
        assert_eq!(auth.cache_hits(), 0);
        assert!(auth.verify("ANN", "pw", None).await.unwrap().is_some());
        assert_eq!(auth.cache_hits(), 1);
        assert!(auth.verify("ann", "wrong", None).await.unwrap().is_none());
        assert!(auth.verify("nobody", "pw", None).await.unwrap().is_none());
        assert_eq!(auth.cache_hits(), 1);
    }

    #[tokio::test]
    async fn concurrent_requests_with_the_same_credentials_hash_once() {
        let (auth, _dir) = authenticator(Duration::from_secs(60)).await;
        let tries: Vec<_> = (0..32)
            .map(|_| {
                let auth = auth.clone();
                tokio::spawn(async move { auth.verify("ann", "pw", None).await })
            })
            .collect();
        for attempt in tries {
            assert!(attempt.await.unwrap().unwrap().is_some());
        }
        assert_eq!(
            auth.cache_hits(),
            31,
            "one verification, the rest from the cache"
        );
        assert!(auth.gates.lock().unwrap().is_empty(), "gates are released");
    }

    #[tokio::test]
    async fn a_zero_lifetime_turns_the_cache_off() {
        let (auth, _dir) = authenticator(Duration::ZERO).await;
        assert!(auth.verify("ann", "pw", None).await.unwrap().is_some());
        assert!(auth.verify("ann", "pw", None).await.unwrap().is_some());
        assert_eq!(auth.cache_hits(), 0);
    }

    #[test]
    fn byte_comparison_is_exact() {
        assert!(same_bytes(b"", b""));
        assert!(same_bytes(b"secret", b"secret"));
        assert!(!same_bytes(b"secret", b"secreT"));
        assert!(!same_bytes(b"secret", b"secrets"));
        assert!(!same_bytes(b"Secret", b"secret"));
    }

    #[test]
    fn the_dummy_hash_is_well_formed() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn generated_passwords_differ() {
        let a = generate_password().unwrap();
        assert_eq!(a.len(), 24);
        assert_ne!(a, generate_password().unwrap());
    }
}
