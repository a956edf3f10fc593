//! Fixtures that give each conformance test a fresh, empty store of one backend.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sobatch_store::{PgStore, SqliteStore, Store};

/// A store for one test, with whatever must outlive it (the temporary directory of a SQLite file).
pub struct Fixture {
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    /// Declared after `store`, so the store is dropped before its database.
    _database: Option<PgDatabase>,
    /// The database's URL, for more nodes on a shared one.
    url: Option<String>,
}

impl Fixture {
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// A store of its own on the same database, as another node would open: `None` for a
    /// backend only one node uses.
    pub async fn another_node(&self) -> Option<Arc<dyn Store>> {
        let url = self.url.as_deref()?;
        let store = PgStore::connect(url, Default::default())
            .await
            .expect("open the shared database again");
        Some(Arc::new(store))
    }
}

/// A fresh SQLite database file in its own temporary directory.
pub async fn sqlite() -> Option<Fixture> {
    let (dir, path) = temp_database();
    let store = SqliteStore::open(&path).expect("open a fresh SQLite store");
    Some(Fixture {
        store: Arc::new(store),
        _dir: Some(dir),
        _database: None,
        url: None,
    })
}

/// The server the PostgreSQL tests run on; unset, they pass vacuously.
const POSTGRES_URL: &str = "SOBATCH_TEST_POSTGRES_URL";

/// A fresh database on the server `SOBATCH_TEST_POSTGRES_URL` names, dropped with the fixture;
/// `None` when the variable is unset.
pub async fn postgres() -> Option<Fixture> {
    let admin_url = std::env::var(POSTGRES_URL)
        .ok()
        .filter(|url| !url.is_empty())?;
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "sobatch_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let admin = admin_client(&admin_url).await;
    // The name is ours (digits and underscores only), so it may be spelled into the statement.
    // Each statement on its own: several in one message would form a transaction, which neither
    // allows. A leftover of an earlier run with the same pid goes first.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop a leftover test database");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    let database = PgDatabase {
        admin_url: admin_url.clone(),
        name: name.clone(),
    };
    let url = sobatch_store::url_with_database(&admin_url, &name);
    let store = PgStore::connect(&url, Default::default())
        .await
        .expect("open a fresh PostgreSQL store");
    Some(Fixture {
        store: Arc::new(store),
        _dir: None,
        _database: Some(database),
        url: Some(url),
    })
}

/// Drops its test database, also when the test failed (a panic unwinds through it).
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and the test's runtime may be shutting down: a thread of its own with
        // a private runtime does the work. FORCE ends pooled connections the store still holds.
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("start a runtime");
            runtime.block_on(async {
                let admin = admin_client(&url).await;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

async fn admin_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to SOBATCH_TEST_POSTGRES_URL");
    tokio::spawn(connection);
    client
}

/// A temporary directory and the path of a database file inside it that does not exist yet.
pub fn temp_database() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("sobatch.db");
    (dir, path)
}
