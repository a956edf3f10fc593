//! The sobatch HTTP application: the SuperOffice batch routes, authentication, configuration, and
//! [`Application`], which binds a listener (port 0 in tests), starts the engine and serves until
//! told to stop. The binary only parses flags and calls in here.

mod archive;
pub mod auth;
mod conditional;
pub mod config;
mod context;
mod dashboard;
mod error;
mod jwt;
mod negotiate;
mod operation;
mod patch;
mod respond;
mod route;
pub(crate) mod secret;
mod serve;
mod session;
mod state;
mod text;
mod throttle;
mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use sobatch_core::Role;
use sobatch_engine::{
    CommandExecutor, CommandSpec, DefinitionSettings, Engine, Executor, ExecutorRegistry,
    SystemClock,
};
use sobatch_store::{Store, StoreError};
use sobatch_wire::DateStyle;
use tokio::net::TcpListener;

use tracing::{info, warn};

pub use config::{Config, ConfigError};
pub use error::ApiError;

use crate::auth::Authenticator;
use crate::state::AppState;

/// Why the application could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("open database: {0}")]
    Store(#[from] StoreError),
    #[error("bind {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

/// Builds an [`Application`]; programs that embed sobatch register their own executors here.
pub struct ApplicationBuilder {
    config: Config,
    executors: ExecutorRegistry,
    admin_password: Option<String>,
}

impl ApplicationBuilder {
    /// Registers an executor for tasks named `name` (case-insensitive), alongside the built-ins.
    pub fn executor(mut self, name: &str, executor: impl Executor) -> Self {
        self.executors.register(name, executor);
        self
    }

    /// The first administrator's password, used only when the database has no associate yet.
    /// Without it a password is generated and logged once.
    pub fn admin_password(mut self, password: Option<String>) -> Self {
        self.admin_password = password;
        self
    }

    /// Opens the database, creates the first administrator if needed, starts the engine and binds
    /// the listener.
    pub async fn build(self) -> Result<Application, StartError> {
        let config = self.config;
        config.validate()?;
        let store = open_store(&config.db, config.db_pool_size).await?;
        bootstrap_admin(store.as_ref(), self.admin_password).await?;
        let mut executors = self.executors;
        for task in &config.tasks {
            register_task(&mut executors, task);
        }
        let engine = Engine::new(
            store.clone(),
            executors,
            config.engine_config(),
            Arc::new(SystemClock),
        );
        let limits = throttle::Limits {
            per_name: config.auth.failed_login_limit,
            per_address: config.auth.failed_login_limit_per_address,
            window: config.auth.failed_login_window,
        };
        let auth = Authenticator::new(store, config.auth.credential_cache, limits)
            .map_err(StartError::Other)?;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(tls::acceptor(cert, key).map_err(StartError::Other)?),
            _ => None,
        };
        let listener =
            TcpListener::bind(&config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen.clone(),
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen.clone(),
            source,
        })?;
        let state = AppState {
            engine: engine.clone(),
            auth,
            dates: DateStyle {
                zone: config.zone(),
                include_offset: false,
            },
            public_url: config.public_url.clone(),
            secure_cookies: tls.is_some() || config.public_url.starts_with("https://"),
            local_addr: addr,
            odata_page_limit: config.odata_page_limit,
            session_lifetime: config.auth.session_lifetime,
            ticket_lifetime: config.auth.ticket_lifetime,
            require_app_token: config.auth.require_app_token,
            access: operation::Access {
                users_manage_all_tasks: config.auth.users_manage_all_tasks,
                restrict_users_to_own_tasks: config.auth.restrict_users_to_own_tasks,
            },
            jwt: jwt::JwtVerifier::from_config(&config.auth.jwt)
                .map_err(|e| StartError::Other(format!("auth.jwt: {e}")))?,
            event_heartbeat: config.http.event_heartbeat,
            event_poll: config.http.event_poll,
            file_dir: config.http.file_dir.clone(),
            closing: tokio_util::sync::CancellationToken::new(),
        };
        let closing = state.closing.clone();
        engine
            .definitions_sync()
            .await
            .map_err(|e| StartError::Other(format!("record task definitions: {e}")))?;
        engine.start();
        let router = route::router(state, config.http.body_limit);
        info!(
            "listening on {scheme}://{addr}",
            scheme = if tls.is_some() { "https" } else { "http" }
        );
        Ok(Application {
            listener,
            addr,
            router,
            engine,
            base_path: config.base_path.trim_end_matches('/').to_string(),
            closing,
            tls,
            read_limits: serve::ReadLimits {
                header: config.http.header_read_timeout,
                body: config.http.body_read_timeout,
            },
        })
    }
}

/// A bound, running-engine server, ready to serve.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    router: axum::Router,
    engine: Engine,
    base_path: String,
    closing: tokio_util::sync::CancellationToken,
    tls: Option<tokio_rustls::TlsAcceptor>,
    read_limits: serve::ReadLimits,
}

impl Application {
    pub fn builder(config: Config) -> ApplicationBuilder {
        ApplicationBuilder {
            config,
            executors: ExecutorRegistry::with_builtins(),
            admin_password: None,
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Serves until `shutdown` resolves; then stops accepting connections, lets running tasks
    /// finish within the grace period, hands the rest back, and returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let router = self.router;
        let base_path = self.base_path;
        let service = tower::util::MapRequestLayer::new(move |request| {
            route::canonicalize_path(route::strip_base_path(request, &base_path))
        });
        // The path rewrite runs before routing, so the router is wrapped whole.
        let app = axum::Router::new().fallback_service(tower::Layer::layer(&service, router));
        let stop = tokio_util::sync::CancellationToken::new();
        let stop_for_server = stop.clone();
        let limits = self.read_limits;
        let server = async move {
            match self.tls {
                Some(acceptor) => {
                    let listener = tls::TlsListener::new(self.listener, acceptor)?;
                    serve::serve(listener, app, limits, stop_for_server).await;
                }
                None => serve::serve(self.listener, app, limits, stop_for_server).await,
            }
            Ok::<(), std::io::Error>(())
        };
        let engine = self.engine;
        let closing = self.closing;
        let watcher = async move {
            shutdown.await;
            info!("shutting down");
            closing.cancel();
            stop.cancel();
            engine.shutdown().await;
        };
        let (served, ()) = tokio::join!(server, watcher);
        served.map_err(|e| StartError::Other(format!("serve: {e}")))?;
        info!("stopped");
        Ok(())
    }
}

/// Registers a `[[task]]` of the configuration (validated: kind `command` with a program, or
/// kind `remote`).
fn register_task(executors: &mut ExecutorRegistry, task: &config::TaskSection) {
    let settings = DefinitionSettings {
        kind: "command",
        description: task.description.clone(),
        timeout: task.timeout,
        cancellation: task
            .cancellation
            .as_deref()
            .and_then(sobatch_core::CancellationBehaviour::parse),
        auto_restart_count: task.auto_restart_count,
        cancel_grace: None,
        concurrency: task.concurrency,
        start_interval: task.start_interval,
        minimum_sleep_time: task.minimum_sleep_time,
        is_multi_pass: task.is_multi_pass,
    };
    if task.kind == "remote" {
        // Remote workers run it; the engine only needs its settings, to list and sync them.
        let settings = DefinitionSettings {
            kind: "remote",
            ..settings
        };
        executors.register_remote(task.name.trim(), settings);
        return;
    }
    let mut spec = CommandSpec::new(task.program.clone().unwrap_or_default());
    spec.args = task.args.clone();
    spec.env = task
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    spec.working_dir = task.working_dir.clone();
    if let Some(grace) = task.kill_grace {
        spec.kill_grace = grace;
    }
    let settings = DefinitionSettings {
        // The program gets its SIGTERM-to-SIGKILL grace before the engine gives up on the run.
        cancel_grace: Some(spec.kill_grace + std::time::Duration::from_secs(2)),
        ..settings
    };
    executors.register_with(task.name.trim(), CommandExecutor::new(spec), settings);
}

async fn open_store(url: &str, pool_size: usize) -> Result<Arc<dyn Store>, StartError> {
    let url = url.to_string();
    let pool = sobatch_store::PoolOptions { size: pool_size };
    tokio::task::spawn_blocking(move || sobatch_store::open_with(&url, pool))
        .await
        .map_err(|e| StartError::Other(format!("open database: {e}")))?
        .map_err(StartError::from)
}

/// On an empty database, creates the associate `admin` with the given password, or a generated one
/// that is logged exactly once.
async fn bootstrap_admin(store: &dyn Store, password: Option<String>) -> Result<(), StartError> {
    if store.associate_count().await? > 0 {
        return Ok(());
    }
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(password) => (password, false),
        None => (auth::generate_password().map_err(StartError::Other)?, true),
    };
    let hash = hash_blocking(password.clone()).await?;
    match store
        .associate_insert("admin", Role::Admin, &hash, chrono::Utc::now())
        .await
    {
        Ok(_) => {}
        // Another node created it first.
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(error) => return Err(error.into()),
    }
    if generated {
        warn!(
            "created associate admin with generated password {password} (shown once; set SOBATCH_ADMIN_PASSWORD to choose it)"
        );
    } else {
        info!("created associate admin with the password from SOBATCH_ADMIN_PASSWORD");
    }
    Ok(())
}

async fn hash_blocking(password: String) -> Result<String, StartError> {
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| StartError::Other(format!("hash password: {e}")))?
        .map_err(StartError::Other)
}

/// `sobatch user add`: adds an associate (an administrator or a user) to the database at `db`.
pub async fn user_add(
    db: &str,
    name: &str,
    admin: bool,
    password: &str,
) -> Result<i32, StartError> {
    let role = if admin { Role::Admin } else { Role::User };
    user_add_with_role(db, name, role, password).await
}

/// `sobatch user add`, with any role (`--worker` gives a remote worker's account).
pub async fn user_add_with_role(
    db: &str,
    name: &str,
    role: Role,
    password: &str,
) -> Result<i32, StartError> {
    let name = name.trim();
    if name.is_empty() || name.contains(':') {
        return Err(StartError::Other(
            "a user name must be non-empty and contain no ':'".into(),
        ));
    }
    if password.is_empty() {
        return Err(StartError::Other("the password must not be empty".into()));
    }
    let store = open_store(db, 1).await?;
    let hash = hash_blocking(password.to_string()).await?;
    match store
        .associate_insert(name, role, &hash, chrono::Utc::now())
        .await
    {
        Ok(id) => Ok(id.0),
        Err(StoreError::Conflict(_)) => Err(StartError::Other(format!(
            "an associate named {name:?} already exists"
        ))),
        Err(error) => Err(error.into()),
    }
}

/// `sobatch token create`: an API token for the associate `user`, lasting `expires` (`30d`) or
/// until revoked; returns its id and the token, which exists nowhere else.
pub async fn token_create(
    db: &str,
    user: &str,
    expires: Option<&str>,
) -> Result<(i64, String), StartError> {
    let lifetime = expires
        .map(route::credential::parse_lifetime)
        .transpose()
        .map_err(|e| StartError::Other(e.to_string()))?;
    let store = open_store(db, 1).await?;
    let associate = store
        .associate_get_by_name(user.trim())
        .await?
        .ok_or_else(|| StartError::Other(format!("there is no associate named {user:?}")))?;
    let issued = secret::issue(
        store.as_ref(),
        sobatch_store::CredentialKind::Token,
        associate.id,
        lifetime,
        route::credential::TOKEN_PREFIX,
        None,
    )
    .await
    .map_err(|e| StartError::Other(e.to_string()))?;
    Ok((issued.id, issued.secret))
}

/// `sobatch app add`: registers an application; returns its id and its `SO-AppToken`, which
/// exists nowhere else.
pub async fn app_add(db: &str, name: &str) -> Result<(i64, String), StartError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StartError::Other("an application needs a name".into()));
    }
    let store = open_store(db, 1).await?;
    let token = format!(
        "{}{}",
        route::credential::APP_TOKEN_PREFIX,
        secret::random_token().map_err(|e| StartError::Other(e.to_string()))?
    );
    match store
        .application_insert(name, &secret::secret_hash(&token), chrono::Utc::now())
        .await
    {
        Ok(id) => Ok((id, token)),
        Err(StoreError::Conflict(message)) => Err(StartError::Other(message)),
        Err(error) => Err(error.into()),
    }
}

/// `sobatch app remove`: unregisters an application; its token stops working.
pub async fn app_remove(db: &str, name: &str) -> Result<(), StartError> {
    let store = open_store(db, 1).await?;
    if store.application_delete(name.trim()).await? {
        Ok(())
    } else {
        Err(StartError::Other(format!(
            "there is no application named {name:?}"
        )))
    }
}

/// `sobatch token revoke`: revokes the API token with this id.
pub async fn token_revoke(db: &str, id: i64) -> Result<(), StartError> {
    let store = open_store(db, 1).await?;
    if store
        .credential_delete_by_id(sobatch_store::CredentialKind::Token, id)
        .await?
    {
        Ok(())
    } else {
        Err(StartError::Other(format!("there is no API token {id}")))
    }
}

/// Opens and migrates the database, for `sobatch migrate`.
pub async fn migrate(db: &str) -> Result<(), StartError> {
    open_store(db, 1).await.map(|_| ())
}
