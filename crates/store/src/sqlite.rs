//! SQLite backend (placeholder until implemented).
