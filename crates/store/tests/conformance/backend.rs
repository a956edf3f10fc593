//! Fixtures that give each conformance test a fresh, empty store of one backend.

use std::path::PathBuf;
use std::sync::Arc;

use sobatch_store::{SqliteStore, Store};

/// A store for one test, with whatever must outlive it (the temporary directory of a SQLite file).
pub struct Fixture {
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

impl Fixture {
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

/// A fresh SQLite database file in its own temporary directory.
pub async fn sqlite() -> Option<Fixture> {
    let (dir, path) = temp_database();
    let store = SqliteStore::open(&path).expect("open a fresh SQLite store");
    Some(Fixture {
        store: Arc::new(store),
        _dir: Some(dir),
    })
}

/// A temporary directory and the path of a database file inside it that does not exist yet.
pub fn temp_database() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("sobatch.db");
    (dir, path)
}
