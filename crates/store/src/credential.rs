//! Credentials the server issues and keeps only as hashes: what a stored one says, and what
//! creating one takes.

use sobatch_core::{Associate, AssociateId, Timestamp};

/// What a credential is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A dashboard sign-in: a session cookie, with the XSRF token bound to it.
    Session,
    /// A SuperOffice-style ticket (`Authorization: SOTicket 7T:…`), issued to a signed-in caller.
    Ticket,
    /// An API token (`Authorization: Bearer …`), created by an administrator for an associate.
    Token,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::Ticket => "ticket",
            CredentialKind::Token => "token",
        }
    }
}

/// A credential to store. `secret_hash` is the caller's hash of the secret; the secret itself
/// never reaches the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialNew {
    pub kind: CredentialKind,
    pub secret_hash: String,
    pub associate: AssociateId,
    pub extra: Option<String>,
    pub expires: Option<Timestamp>,
}

/// A stored credential that has not expired, with the associate it signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: i64,
    pub kind: CredentialKind,
    pub associate: Associate,
    pub extra: Option<String>,
    pub created: Timestamp,
    pub expires: Option<Timestamp>,
}

impl CredentialKind {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "session" => Some(CredentialKind::Session),
            "ticket" => Some(CredentialKind::Ticket),
            "token" => Some(CredentialKind::Token),
            _ => None,
        }
    }
}

/// A registered partner application, which presents its token in `SO-AppToken`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: i64,
    pub name: String,
}

/// A credential's columns joined with its associate's, as either backend reads them.
pub(crate) struct CredentialRow {
    pub id: i64,
    pub kind: String,
    pub extra: Option<String>,
    pub created: i64,
    pub expires: Option<i64>,
    pub associate_id: i64,
    pub name: String,
    pub role: String,
    pub password_hash: String,
}

impl CredentialRow {
    pub(crate) fn into_credential(self) -> Result<Credential, crate::StoreError> {
        use crate::StoreError::Corrupt;
        let time = |micros: i64| {
            chrono::DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| Corrupt(format!("credential {}: time {micros}", self.id)))
        };
        Ok(Credential {
            id: self.id,
            kind: CredentialKind::parse(&self.kind)
                .ok_or_else(|| Corrupt(format!("credential {}: kind {:?}", self.id, self.kind)))?,
            associate: Associate {
                id: AssociateId(i32::try_from(self.associate_id).map_err(|_| {
                    Corrupt(format!(
                        "credential {}: associate {}",
                        self.id, self.associate_id
                    ))
                })?),
                role: sobatch_core::Role::parse(&self.role).ok_or_else(|| {
                    Corrupt(format!(
                        "associate {} has the unknown role {:?}",
                        self.associate_id, self.role
                    ))
                })?,
                name: self.name,
                password_hash: self.password_hash,
            },
            extra: self.extra,
            created: time(self.created)?,
            expires: self.expires.map(time).transpose()?,
        })
    }
}
