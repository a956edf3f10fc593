//! The one typed configuration: defaults, then a TOML file, then `SOBATCH_` environment variables
//! (`__` for nesting), then command-line flags (applied by the binary). Unknown keys are refused.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

/// Environment variables with the `SOBATCH_` prefix that are not configuration keys: they belong to
/// the bootstrap and to client commands.
const NOT_CONFIG_VARS: &[&str] = &["ADMIN_PASSWORD", "URL", "USER", "PASSWORD", "LOG"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on. Default `127.0.0.1:8080`.
    pub listen: String,
    /// Database URL. Default `sqlite://sobatch.db`, relative to the working directory.
    pub db: String,
    /// Connections this node keeps to a PostgreSQL database (`db = "postgres://…"`); each request
    /// holds one for a single short transaction. Default 16. Ignored for SQLite.
    pub db_pool_size: usize,
    /// IANA name of the zone dates are rendered in when a request names none. Default `UTC`.
    pub base_zone: String,
    /// A path prefix the SuperOffice surface is also served under, such as `/Cust12345`, since
    /// clients put a customer segment before `/api`. Default empty: the root only.
    pub base_path: String,
    /// The absolute URL clients reach this server at (`https://crm.example.com/Cust12345`), for the
    /// URLs discovery lists. Default empty: taken from `X-Forwarded-Proto`/`X-Forwarded-Host` or
    /// `Host` per request.
    pub public_url: String,
    /// A PEM certificate chain: with `tls_key`, the server speaks HTTPS only. Default: plain HTTP.
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of `tls_cert`.
    pub tls_key: Option<std::path::PathBuf>,
    /// The most rows one answer of the OData list (`GET /api/v1/BatchTask`) holds; a longer result
    /// is cut there and `odata.nextLink` points at the rest. Default 1000.
    pub odata_page_limit: u32,
    pub engine: EngineSection,
    pub auth: AuthSection,
    pub http: HttpSection,
    pub retention: RetentionSection,
    /// Task definitions, as `[[task]]` tables.
    #[serde(rename = "task")]
    pub tasks: Vec<TaskSection>,
}

/// One `[[task]]`: a definition and who runs it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSection {
    /// The definition name tasks select it by (case-insensitive).
    pub name: String,
    /// Who runs it: `command` (an external program) or `remote` (workers that claim its tasks over
    /// `/api/sobatch/v1/worker/…`; `program`, `args`, `env`, `working_dir`, `kill_grace` and
    /// `concurrency` do not apply).
    pub kind: String,
    #[serde(default)]
    pub description: String,
    /// The program to run (kind `command`); started directly, not through a shell.
    pub program: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// Extra environment variables for the program.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The program's working directory. Default: the server's.
    pub working_dir: Option<std::path::PathBuf>,
    /// A run longer than this fails, saying it timed out. Default `0s`: no limit.
    #[serde(default, with = "humantime_serde_compat::optional")]
    pub timeout: Option<Duration>,
    /// How long a stopped program gets between SIGTERM and SIGKILL. Default `5s`.
    #[serde(default, with = "humantime_serde_compat::optional")]
    pub kill_grace: Option<Duration>,
    /// `CanCancel` (default), `CancelWithWarning` or `CannotCancel`, for tasks whose start does
    /// not choose.
    pub cancellation: Option<String>,
    /// How often a task is restarted after the node running it stopped answering. Default −1:
    /// without limit (with exponential backoff between restarts).
    #[serde(default = "unlimited_restarts")]
    pub auto_restart_count: i32,
    /// How many tasks of this definition one node runs at once. Default: as many as it has
    /// workers (`engine.workers`).
    pub concurrency: Option<usize>,
    /// The shortest time between two starts; runs then never overlap. Default `0s`: none.
    #[serde(default, with = "humantime_serde_compat::optional")]
    pub start_interval: Option<Duration>,
    /// The shortest pause between the end of one run and the next start; runs then never
    /// overlap. Default `0s`: none.
    #[serde(default, with = "humantime_serde_compat::optional")]
    pub minimum_sleep_time: Option<Duration>,
    /// Run the body again while a pass asks for another (a command prints `again`). Default false.
    #[serde(default)]
    pub is_multi_pass: bool,
}

fn unlimited_restarts() -> i32 {
    -1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineSection {
    /// Tasks run at once on this node. Default 8.
    pub workers: usize,
    /// Lease a claim or heartbeat holds. Default `30s`.
    #[serde(with = "humantime_serde_compat")]
    pub lease: Duration,
    /// Fallback poll for work when nothing wakes the dispatcher. Default `1s`.
    #[serde(with = "humantime_serde_compat")]
    pub poll_interval: Duration,
    /// How long shutdown lets running tasks finish. Default `10s`.
    #[serde(with = "humantime_serde_compat")]
    pub shutdown_grace: Duration,
    /// Refuse (400) tasks whose name no executor runs. Default false: they wait in `New`.
    pub reject_unknown_tasks: bool,
    /// This node's name among the nodes sharing a database; leases name it, and logs. Default:
    /// made up per process from its id and start time.
    pub node_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSection {
    /// How long a verified password is remembered, so the hash does not run on every request.
    /// Default `60s`; `0s` turns the cache off.
    #[serde(with = "humantime_serde_compat")]
    pub credential_cache: Duration,
    /// Wrong passwords for one associate name within `failed_login_window` before further
    /// attempts get 429 until the window ends. Default 5; 0 turns it off.
    pub failed_login_limit: u32,
    /// The same for one client address, whatever the names tried. Default 20; 0 turns it off.
    pub failed_login_limit_per_address: u32,
    /// Default `1m`.
    #[serde(with = "humantime_serde_compat")]
    pub failed_login_window: Duration,
    /// How long a dashboard sign-in (its session cookie) lasts. Default `12h`.
    #[serde(with = "humantime_serde_compat")]
    pub session_lifetime: Duration,
    /// How long a ticket (`POST /api/sobatch/v1/tickets`) lasts. Default `8h`.
    #[serde(with = "humantime_serde_compat")]
    pub ticket_lifetime: Duration,
    /// Requests that sign in with `Authorization` must carry `SO-AppToken` naming a registered
    /// application (`sobatch app add`); an unknown token is refused either way. Default false.
    pub require_app_token: bool,
    /// Users may update, stop and delete every user's tasks, not only their own. Default false.
    pub users_manage_all_tasks: bool,
    /// Users see only their own tasks (lists, the event stream, the dashboard, lookups by id);
    /// by default they see every task, as in SuperOffice. Default false.
    pub restrict_users_to_own_tasks: bool,
    /// Bearer JWTs from an identity provider; off until a key is configured.
    pub jwt: JwtSection,
}

/// `[auth.jwt]`: how Bearer JWTs are verified. Exactly one key: `hs256_secret`, or
/// `public_key_pem` (an RSA key means RS256, an EC P-256 key ES256). Tokens signed any other way,
/// or with `alg: none`, are refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JwtSection {
    pub hs256_secret: Option<String>,
    /// The PEM text of the public key.
    pub public_key_pem: Option<String>,
    /// The `iss` a token must carry; unchecked when empty.
    pub issuer: Option<String>,
    /// An `aud` a token must carry; required once a key is set.
    pub audience: Option<String>,
    /// The claim whose text names the associate. Default `sub`.
    pub associate_claim: String,
    /// Clock difference allowed when checking `exp` and `nbf`. Default `30s`.
    #[serde(with = "humantime_serde_compat")]
    pub leeway: Duration,
}

impl Default for JwtSection {
    fn default() -> Self {
        JwtSection {
            hs256_secret: None,
            public_key_pem: None,
            issuer: None,
            audience: None,
            associate_claim: "sub".into(),
            leeway: Duration::from_secs(30),
        }
    }
}

/// How long finished tasks are kept; `"0s"` keeps them for ever. `SucceededManualCleanup` tasks are
/// never removed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSection {
    /// Age at which `Succeeded` tasks are deleted. Default `24h`.
    #[serde(with = "humantime_serde_compat::optional")]
    pub succeeded: Option<Duration>,
    /// Age at which `Failed` tasks are deleted. Default `30d`.
    #[serde(with = "humantime_serde_compat::optional")]
    pub failed: Option<Duration>,
    /// Age at which events of the task event log (the stream's history and each task's trace)
    /// are deleted. Default `7d`.
    #[serde(with = "humantime_serde_compat::optional")]
    pub events: Option<Duration>,
    /// How often retention runs. Default `1m`.
    #[serde(with = "humantime_serde_compat")]
    pub interval: Duration,
}

impl Default for RetentionSection {
    fn default() -> Self {
        let defaults = sobatch_engine::RetentionConfig::default();
        RetentionSection {
            succeeded: defaults.succeeded,
            failed: defaults.failed,
            events: defaults.events,
            interval: defaults.interval,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSection {
    /// Largest request body accepted, in bytes. Default 1 MiB.
    pub body_limit: usize,
    /// How often the event stream sends a comment line when nothing happens, so that proxies
    /// keep the connection and clients notice a dead one. Default `15s`.
    #[serde(with = "humantime_serde_compat")]
    pub event_heartbeat: Duration,
    /// How often an idle event stream looks for new events in the database (what other nodes
    /// did; this node's own changes wake it at once). Default `250ms`.
    #[serde(with = "humantime_serde_compat")]
    pub event_poll: Duration,
    /// The folder whose files tasks may offer for download: a task's FileName is served (at
    /// `/api/sobatch/v1/tasks/{id}/file`) only when it names a file inside the task's own
    /// subfolder, `<file_dir>/<task id>/` (a relative FileName is taken from there). Default
    /// `files`, relative to the working directory.
    pub file_dir: std::path::PathBuf,
    /// How long a client has to send a request's line and headers, counted from when the server
    /// is ready for it: a new connection, or the end of the last response on a kept-alive one,
    /// which is therefore closed after this long idle. Default `30s`.
    #[serde(with = "humantime_serde_compat")]
    pub header_read_timeout: Duration,
    /// How long a request's whole body may take to arrive, counted from when its headers did;
    /// past it the request is answered 408. Default `30s`.
    #[serde(with = "humantime_serde_compat")]
    pub body_read_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            db: "sqlite://sobatch.db".into(),
            db_pool_size: sobatch_store::PoolOptions::default().size,
            base_zone: "UTC".into(),
            base_path: String::new(),
            public_url: String::new(),
            tls_cert: None,
            tls_key: None,
            odata_page_limit: 1000,
            engine: EngineSection::default(),
            auth: AuthSection::default(),
            http: HttpSection::default(),
            retention: RetentionSection::default(),
            tasks: Vec::new(),
        }
    }
}

impl Default for EngineSection {
    fn default() -> Self {
        let engine = sobatch_engine::EngineConfig::default();
        EngineSection {
            workers: engine.workers,
            lease: engine.lease,
            poll_interval: engine.poll_interval,
            shutdown_grace: engine.shutdown_grace,
            reject_unknown_tasks: engine.reject_unknown_tasks,
            node_id: None,
        }
    }
}

impl Default for AuthSection {
    fn default() -> Self {
        AuthSection {
            credential_cache: Duration::from_secs(60),
            failed_login_limit: 5,
            failed_login_limit_per_address: 20,
            failed_login_window: Duration::from_secs(60),
            session_lifetime: Duration::from_secs(12 * 3600),
            ticket_lifetime: Duration::from_secs(8 * 3600),
            require_app_token: false,
            users_manage_all_tasks: false,
            restrict_users_to_own_tasks: false,
            jwt: JwtSection::default(),
        }
    }
}

impl Default for HttpSection {
    fn default() -> Self {
        HttpSection {
            body_limit: 1024 * 1024,
            event_heartbeat: Duration::from_secs(15),
            event_poll: Duration::from_millis(250),
            file_dir: "files".into(),
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
        }
    }
}

/// Why configuration could not be loaded; lists every problem found.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  {}", .problems.join("\n  "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl ConfigError {
    fn one(problem: String) -> Self {
        ConfigError {
            problems: vec![problem],
        }
    }
}

impl Config {
    /// Defaults, overlaid by `file` (if given) and then by `SOBATCH_*` variables from `env`.
    /// Values are checked by [`Config::validate`], which runs after flags are applied.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError::one(format!("read config file {}: {e}", path.display()))
                })?;
                text.parse::<toml::Table>().map_err(|e| {
                    ConfigError::one(format!("parse config file {}: {e}", path.display()))
                })?
            }
            None => toml::Table::new(),
        };
        let mut env_vars: BTreeMap<String, String> = BTreeMap::new();
        for (key, value) in env {
            if let Some(name) = key.strip_prefix("SOBATCH_")
                && !NOT_CONFIG_VARS.contains(&name)
            {
                env_vars.insert(name.to_string(), value);
            }
        }
        for (name, value) in env_vars {
            let path: Vec<String> = name.split("__").map(|p| p.to_lowercase()).collect();
            insert_path(&mut table, &path, env_value(&value)).map_err(|e| {
                ConfigError::one(format!("environment variable SOBATCH_{name}: {e}"))
            })?;
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::one(e.message().to_string()))?;
        Ok(config)
    }

    /// Reports every problem at once, so a start-up fails with the whole list.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if self.listen_addr().is_err() {
            problems.push(format!(
                "listen: {:?} is not an address such as 127.0.0.1:8080",
                self.listen
            ));
        }
        if self.db.trim().is_empty() {
            problems.push("db: must name a database, e.g. sqlite://sobatch.db".into());
        }
        if self.base_zone.parse::<chrono_tz::Tz>().is_err() {
            problems.push(format!(
                "base_zone: {:?} is not an IANA time zone name such as UTC or Europe/Oslo",
                self.base_zone
            ));
        }
        let base = self.base_path.trim_end_matches('/');
        if !base.is_empty()
            && (!base.starts_with('/')
                || base.contains(['?', '#', ' '])
                || base.split('/').skip(1).any(str::is_empty))
        {
            problems.push(format!(
                "base_path: {:?} must be empty or a path such as /Cust12345",
                self.base_path
            ));
        }
        let absolute =
            self.public_url.starts_with("http://") || self.public_url.starts_with("https://");
        if !self.public_url.is_empty() && !absolute {
            problems.push(format!(
                "public_url: {:?} must be an absolute http(s) URL",
                self.public_url
            ));
        }
        // An answer holds at most this many rows plus one to learn whether more follow, and the
        // next page's `$skip` is an int32.
        if self.odata_page_limit == 0 || self.odata_page_limit > i32::MAX.unsigned_abs() {
            problems.push(format!(
                "odata_page_limit: {} must be from 1 to {}",
                self.odata_page_limit,
                i32::MAX
            ));
        }
        if self.auth.failed_login_window.is_zero() {
            problems.push("auth.failed_login_window: must be more than 0s".into());
        }
        if self.db_pool_size == 0 {
            problems.push("db_pool_size: must be at least 1".into());
        }
        if let Some(node_id) = &self.engine.node_id
            && (node_id.is_empty()
                || node_id.len() > 64
                || !node_id.chars().all(|c| c.is_ascii_graphic()))
        {
            problems.push(format!(
                "engine.node_id: {node_id:?} must be 1 to 64 visible ASCII characters without spaces"
            ));
        }
        if self.engine.workers == 0 {
            problems.push("engine.workers: must be at least 1".into());
        }
        if self.engine.lease < Duration::from_millis(300) {
            problems.push("engine.lease: must be at least 300ms".into());
        }
        if self.engine.poll_interval.is_zero() {
            problems.push("engine.poll_interval: must be more than 0s".into());
        }
        let mut names: Vec<String> = Vec::new();
        for (index, task) in self.tasks.iter().enumerate() {
            let at = format!("task[{index}] ({:?})", task.name);
            let name = task.name.trim();
            if name.is_empty() {
                problems.push(format!("{at}: name must not be empty"));
            } else if names.contains(&name.to_lowercase()) {
                problems.push(format!("{at}: a task named {name:?} is already defined"));
            } else {
                names.push(name.to_lowercase());
            }
            match task.kind.as_str() {
                "command" => {
                    if task.program.as_deref().is_none_or(|p| p.trim().is_empty()) {
                        problems.push(format!("{at}: kind \"command\" needs a program"));
                    }
                }
                "remote" => {}
                other => problems.push(format!(
                    "{at}: kind {other:?} is not supported; use \"command\" or \"remote\""
                )),
            }
            if task.concurrency == Some(0) {
                problems.push(format!("{at}: concurrency must be at least 1"));
            }
            if task.auto_restart_count < -1 {
                problems.push(format!(
                    "{at}: auto_restart_count must be -1 (no limit) or more"
                ));
            }
            if let Some(cancellation) = &task.cancellation
                && sobatch_core::CancellationBehaviour::parse(cancellation).is_none()
            {
                problems.push(format!(
                    "{at}: cancellation {cancellation:?} is not CanCancel, CancelWithWarning or CannotCancel"
                ));
            }
        }
        if self.retention.interval.is_zero() {
            problems.push("retention.interval: must be more than 0s".into());
        }
        if self.http.body_limit < 1024 {
            problems.push("http.body_limit: must be at least 1024 bytes".into());
        }
        if self.http.event_heartbeat.is_zero() || self.http.event_poll.is_zero() {
            problems.push("http.event_heartbeat and http.event_poll: must be more than 0s".into());
        }
        if self.http.header_read_timeout.is_zero() || self.http.body_read_timeout.is_zero() {
            problems.push(
                "http.header_read_timeout and http.body_read_timeout: must be more than 0s".into(),
            );
        }
        if let Err(problem) = crate::jwt::JwtVerifier::from_config(&self.auth.jwt) {
            problems.push(format!("auth.jwt: {problem}"));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            problems.push("tls_cert and tls_key: set both for HTTPS, or neither".into());
        }
        if self.auth.session_lifetime.is_zero() || self.auth.ticket_lifetime.is_zero() {
            problems.push(
                "auth.session_lifetime and auth.ticket_lifetime: must be more than 0s".into(),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems })
        }
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, std::net::AddrParseError> {
        self.listen.parse()
    }

    pub fn zone(&self) -> chrono_tz::Tz {
        self.base_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    pub fn engine_config(&self) -> sobatch_engine::EngineConfig {
        sobatch_engine::EngineConfig {
            workers: self.engine.workers,
            lease: self.engine.lease,
            poll_interval: self.engine.poll_interval,
            shutdown_grace: self.engine.shutdown_grace,
            reject_unknown_tasks: self.engine.reject_unknown_tasks,
            node_id: self.engine.node_id.clone(),
            retention: sobatch_engine::RetentionConfig {
                succeeded: self.retention.succeeded,
                failed: self.retention.failed,
                events: self.retention.events,
                interval: self.retention.interval,
            },
            ..sobatch_engine::EngineConfig::default()
        }
    }
}

/// An environment value is read as a TOML value when it is one (`8`, `true`, `"x"`), else as a
/// plain string (`127.0.0.1:9000`, `30s`).
fn env_value(text: &str) -> toml::Value {
    format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

fn insert_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    match path {
        [] => Err("empty key".into()),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(inner) => insert_path(inner, rest, value),
                _ => Err(format!("{first} is not a section")),
            }
        }
    }
}

/// Durations as humantime strings (`"30s"`, `"1m 30s"`).
mod humantime_serde_compat {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        humantime::parse_duration(&text).map_err(|e| {
            serde::de::Error::custom(format!("{text:?} is not a duration such as \"30s\": {e}"))
        })
    }

    /// An optional duration where `"0s"` means none.
    pub mod optional {
        use std::time::Duration;

        use serde::Deserializer;

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Duration>, D::Error> {
            let duration = super::deserialize(deserializer)?;
            Ok((!duration.is_zero()).then_some(duration))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8080");
        assert_eq!(config.db, "sqlite://sobatch.db");
        assert_eq!(config.engine.lease, Duration::from_secs(30));
        assert_eq!(config.odata_page_limit, 1000);
        assert_eq!(
            config.retention.succeeded,
            Some(Duration::from_secs(24 * 3600))
        );
        let config = Config::load(
            None,
            env(&[
                ("SOBATCH_RETENTION__FAILED", "0s"),
                ("SOBATCH_RETENTION__SUCCEEDED", "2h"),
            ]),
        )
        .unwrap();
        assert_eq!(config.retention.failed, None, "0s keeps them for ever");
        assert_eq!(config.retention.succeeded, Some(Duration::from_secs(7200)));
    }

    #[test]
    fn environment_overrides_the_file_and_nests_with_double_underscores() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sobatch.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:1\"\n[engine]\nworkers = 2\nlease = \"10s\"\n",
        )
        .unwrap();
        let config = Config::load(
            Some(&file),
            env(&[
                ("SOBATCH_ENGINE__WORKERS", "5"),
                ("SOBATCH_ADMIN_PASSWORD", "secret"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:1");
        assert_eq!(config.engine.workers, 5);
        assert_eq!(config.engine.lease, Duration::from_secs(10));
    }

    #[test]
    fn task_tables_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sobatch.toml");
        std::fs::write(
            &file,
            r#"
[[task]]
name = "Report"
kind = "command"
program = "/usr/bin/env"
args = ["true"]
env = { MODE = "fast" }
timeout = "2m"
cancellation = "CannotCancel"

[[task]]
name = "report"
kind = "ftp"

[[task]]
name = "Inbox"
kind = "remote"
"#,
        )
        .unwrap();
        let config = Config::load(Some(&file), env(&[])).unwrap();
        assert_eq!(config.tasks.len(), 3);
        assert_eq!(config.tasks[0].timeout, Some(Duration::from_secs(120)));
        assert_eq!(config.tasks[0].env["MODE"], "fast");
        let error = config.validate().unwrap_err();
        assert_eq!(error.problems.len(), 2, "{error}");
        let text = error.to_string();
        assert!(
            text.contains("already defined") && text.contains("ftp") && !text.contains("Inbox"),
            "{text}"
        );

        std::fs::write(
            &file,
            "[[task]]\nname = \"X\"\nkind = \"command\"\nprogram = \"x\"\nretries = 3\n",
        )
        .unwrap();
        let error = Config::load(Some(&file), env(&[])).unwrap_err();
        assert!(error.to_string().contains("retries"), "{error}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = Config::load(None, env(&[("SOBATCH_LISTNE", "x")])).unwrap_err();
        assert!(error.to_string().contains("listne"), "{error}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let error = Config::load(
            None,
            env(&[
                ("SOBATCH_LISTEN", "nowhere"),
                ("SOBATCH_BASE_ZONE", "Mars/Olympus"),
                ("SOBATCH_ENGINE__WORKERS", "0"),
                ("SOBATCH_ODATA_PAGE_LIMIT", "0"),
            ]),
        )
        .unwrap()
        .validate()
        .unwrap_err();
        assert_eq!(error.problems.len(), 4, "{error}");
        assert!(error.to_string().contains("odata_page_limit"), "{error}");
    }
}
