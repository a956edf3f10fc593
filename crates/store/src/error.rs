//! The store's one error type.

/// What can go wrong below the store boundary. Messages are for logs; callers map variants, not text.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("migrate database: {0}")]
    Migration(String),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("database: {0}")]
    Database(String),
    /// The database cannot be reached now (down, restarting, or every connection busy for too
    /// long); the same request may succeed later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Database(error.to_string())
    }
}
