//! Bearer JWTs from an identity provider: verified with the one configured key and algorithm
//! (`[auth.jwt]`), with issuer, audience, `exp` and `nbf` checked, and mapped to an associate by a
//! claim. The algorithm comes from the configured key, never from the token, so `alg: none` and
//! algorithm confusion (an HS256 token made with a public key as its secret) are refused.

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::Value;

use crate::config::JwtSection;

/// Checks JWTs against the configured key.
#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    claim: String,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithms", &self.validation.algorithms)
            .field("claim", &self.claim)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// `Ok(None)` when no key is configured (JWTs are then not accepted); `Err` says what is wrong
    /// with the configuration.
    pub fn from_config(config: &JwtSection) -> Result<Option<JwtVerifier>, String> {
        let secret = config.hs256_secret.as_deref().filter(|s| !s.is_empty());
        let pem = config
            .public_key_pem
            .as_deref()
            .filter(|s| !s.trim().is_empty());
        let (key, algorithm) = match (secret, pem) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err("set hs256_secret or public_key_pem, not both".into());
            }
            (Some(secret), None) => {
                if secret.len() < 32 {
                    return Err("hs256_secret must be at least 32 bytes".into());
                }
                let key = DecodingKey::from_secret(secret.as_bytes())
                    .map_err(|_| "hs256_secret cannot be used as a key".to_string())?;
                (key, Algorithm::HS256)
            }
            (None, Some(pem)) => match DecodingKey::from_rsa_pem(pem.as_bytes()) {
                Ok(key) => (key, Algorithm::RS256),
                Err(_) => match DecodingKey::from_ec_pem(pem.as_bytes()) {
                    Ok(key) => (key, Algorithm::ES256),
                    Err(_) => {
                        return Err(
                            "public_key_pem is neither an RSA nor an EC public key in PEM".into(),
                        );
                    }
                },
            },
        };
        if config.associate_claim.trim().is_empty() {
            return Err("associate_claim must name a claim".into());
        }
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = config.leeway.as_secs();
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        match config.issuer.as_deref().filter(|s| !s.is_empty()) {
            Some(issuer) => {
                validation.set_issuer(&[issuer]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        // Without an audience, any token the provider signs for any application would do.
        let audience = config
            .audience
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or("audience must name this server, as the tokens' aud claim does")?;
        validation.set_audience(&[audience]);
        required.push("aud");
        validation.set_required_spec_claims(&required);
        Ok(Some(JwtVerifier {
            key,
            validation,
            claim: config.associate_claim.trim().to_string(),
        }))
    }

    /// The associate's name the token vouches for, or why it is refused (never the token).
    pub fn associate_name(&self, token: &str) -> Result<String, String> {
        let data = decode::<Value>(token, &self.key, &self.validation)
            .map_err(|e| format!("the bearer token is not valid: {}", e.kind_text()))?;
        data.claims
            .get(&self.claim)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("the bearer token has no text claim {:?}", self.claim))
    }
}

/// Whether a bearer token has a JWT's shape (three base64url parts), rather than being one of our
/// opaque tokens.
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("eyJ")
}

trait KindText {
    fn kind_text(&self) -> String;
}

impl KindText for jsonwebtoken::errors::Error {
    /// What went wrong in words that carry nothing of the token.
    fn kind_text(&self) -> String {
        use jsonwebtoken::errors::ErrorKind;
        match self.kind() {
            ErrorKind::ExpiredSignature => "it has expired".into(),
            ErrorKind::ImmatureSignature => "it is not valid yet (nbf)".into(),
            ErrorKind::InvalidIssuer => "it has the wrong issuer".into(),
            ErrorKind::InvalidAudience => "it has the wrong audience".into(),
            ErrorKind::InvalidSignature => "its signature does not verify".into(),
            ErrorKind::InvalidAlgorithm => "it is signed with another algorithm".into(),
            ErrorKind::MissingRequiredClaim(claim) => format!("it lacks the {claim} claim"),
            _ => "it cannot be read".into(),
        }
    }
}
