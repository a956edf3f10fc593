//! Fresh databases for each measurement, and the store the bench fills and watches them through.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use sobatch_store::Store;

/// Which backend a measurement runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A database that exists for one measurement: a file in the bench's directory, or a database of
/// its own on the PostgreSQL server, dropped with it.
pub struct Fresh {
    pub url: String,
    postgres: Option<(String, String)>,
    _file: Option<PathBuf>,
}

static SEQUENCE: AtomicUsize = AtomicUsize::new(0);

/// PostgreSQL databases created and not yet dropped, as (server URL, name): a measurement that
/// fails half-way leaves its database here for [`drop_leftovers`].
static CREATED: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// Drops every database a measurement created and did not drop itself; run at the end, whether
/// the bench succeeded or not.
pub async fn drop_leftovers() {
    let leftovers = CREATED
        .lock()
        .map(|mut created| std::mem::take(&mut *created))
        .unwrap_or_default();
    for (pg_url, name) in leftovers {
        if let Err(error) = drop_named(&pg_url, &name).await {
            eprintln!("could not drop database {name}: {error:#}");
        }
    }
}

async fn drop_named(pg_url: &str, name: &str) -> Result<()> {
    let admin = admin(pg_url).await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    Ok(())
}

impl Fresh {
    pub async fn create(backend: Backend, dir: &std::path::Path, pg_url: &str) -> Result<Fresh> {
        let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        match backend {
            Backend::Sqlite => {
                let path = dir.join(format!("bench-{n}.db"));
                Ok(Fresh {
                    url: format!("sqlite://{}", path.display()),
                    postgres: None,
                    _file: Some(path),
                })
            }
            Backend::Postgres => {
                let name = format!("sobatch_bench_{}_{n}", std::process::id());
                let admin = admin(pg_url).await?;
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .with_context(|| format!("create database {name} on {pg_url}"))?;
                if let Ok(mut created) = CREATED.lock() {
                    created.push((pg_url.to_string(), name.clone()));
                }
                Ok(Fresh {
                    url: sobatch_store::url_with_database(pg_url, &name),
                    postgres: Some((pg_url.to_string(), name)),
                    _file: None,
                })
            }
        }
    }

    /// Opens the store on this database (creating its schema).
    pub async fn store(&self) -> Result<Arc<dyn Store>> {
        let url = self.url.clone();
        tokio::task::spawn_blocking(move || sobatch_store::open(&url))
            .await?
            .with_context(|| format!("open {}", self.url))
    }

    /// Gathers PostgreSQL's planner statistics, as an operator does after a bulk load (and as
    /// autovacuum would, later): a database measured right after a million inserts would
    /// otherwise be planned blind. Nothing to do for SQLite.
    pub async fn analyze(&self) -> Result<()> {
        if self.postgres.is_some() {
            let client = admin(&self.url).await?;
            client.batch_execute("ANALYZE").await?;
        }
        Ok(())
    }

    /// Drops a PostgreSQL database; a file goes with the bench's directory.
    pub async fn drop_database(self) -> Result<()> {
        if let Some((pg_url, name)) = &self.postgres {
            drop_named(pg_url, name).await?;
            if let Ok(mut created) = CREATED.lock() {
                created.retain(|(_, created)| created != name);
            }
        }
        Ok(())
    }
}

async fn admin(url: &str) -> Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connect to {url}"))?;
    tokio::spawn(connection);
    Ok(client)
}
