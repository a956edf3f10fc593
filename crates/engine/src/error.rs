//! The engine's one error type.

use sobatch_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The request cannot be carried out as given.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
