//! Test support that more than one crate's tests need: a PostgreSQL database of a test's own.
//! Only test suites depend on it.

// Support code fails the test that uses it by panicking, as the test itself would.
#![allow(clippy::expect_used)]

use std::process::{Command, Stdio};

/// A database of its own on the server `SOBATCH_TEST_POSTGRES_URL` names, created with `psql` and
/// dropped (with `FORCE`) when this goes.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    /// `None` when `SOBATCH_TEST_POSTGRES_URL` is unset: the test then has nothing to run on.
    pub fn create(label: &str) -> Option<PgDatabase> {
        let admin_url = std::env::var("SOBATCH_TEST_POSTGRES_URL")
            .ok()
            .filter(|url| !url.is_empty())?;
        let name = format!("sobatch_test_{}_{label}", std::process::id());
        psql(
            &admin_url,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
        psql(&admin_url, &format!("CREATE DATABASE {name}"));
        let url = sobatch_store::url_with_database(&admin_url, &name);
        Some(PgDatabase {
            admin_url,
            name,
            url,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        psql(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, statement: &str) {
    let status = Command::new("psql")
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", statement])
        // Not the NOTICE that a database to drop does not exist.
        .env("PGOPTIONS", "--client-min-messages=warning")
        .stdout(Stdio::null())
        .status()
        .expect("run psql");
    assert!(status.success(), "psql failed: {statement}");
}
