//! The secrets the server issues (session cookies, tickets, API tokens) and the hashes the store
//! keeps of them instead.

use base64::Engine as _;
use blake2::{Blake2b512, Digest};

use crate::error::ApiError;

/// 32 random bytes as URL-safe base64: 256 bits, beyond guessing.
pub fn random_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(format!("random bytes: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// What the store keeps of a secret. The secrets are random and long, so a plain hash is enough:
/// there is nothing to guess from it, and a copy of the database signs nobody in.
pub fn secret_hash(secret: &str) -> String {
    let digest = Blake2b512::digest(secret.as_bytes());
    digest.iter().take(32).map(|b| format!("{b:02x}")).collect()
}

/// A credential just stored, and the secret to hand out once.
pub struct Issued {
    pub id: i64,
    pub secret: String,
    pub expires: Option<sobatch_core::Timestamp>,
}

/// Makes a secret (`prefix` then 256 random bits), stores its hash as a credential of `kind` for
/// `associate`, and returns it: the one time it exists outside the caller's hands.
pub async fn issue(
    store: &dyn sobatch_store::Store,
    kind: sobatch_store::CredentialKind,
    associate: sobatch_core::AssociateId,
    lifetime: Option<std::time::Duration>,
    prefix: &str,
    extra: Option<String>,
) -> Result<Issued, ApiError> {
    let secret = format!("{prefix}{}", random_token()?);
    let now = chrono::Utc::now();
    let expires = match lifetime {
        Some(lifetime) => Some(
            chrono::Duration::from_std(lifetime)
                .ok()
                .and_then(|lifetime| now.checked_add_signed(lifetime))
                .ok_or_else(|| ApiError::bad_request("the lifetime is too long"))?,
        ),
        None => None,
    };
    let id = store
        .credential_insert(
            sobatch_store::CredentialNew {
                kind,
                secret_hash: secret_hash(&secret),
                associate,
                extra,
                expires,
            },
            now,
        )
        .await?;
    Ok(Issued {
        id,
        secret,
        expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_differ_and_their_hashes_are_fixed_width() {
        let a = random_token().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token().unwrap());
        assert_eq!(secret_hash(&a).len(), 64);
        assert_eq!(secret_hash(&a), secret_hash(&a));
        assert_ne!(secret_hash(&a), secret_hash("other"));
    }
}
