//! `spawn_app()` and the waiting helpers the tests share.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use sobatch_engine::{Executor, TaskContext, TaskFailure, TaskOutcome};
use sobatch_server::{Application, Config};
use sobatch_wire::WireClient;
use tokio::sync::oneshot;

pub const ADMIN_PASSWORD: &str = "admin-test-password";

/// The admin's `Authorization: Basic` credentials, for tests that write requests by hand.
pub fn admin_basic_credentials() -> String {
    base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("admin:{ADMIN_PASSWORD}"),
    )
}

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub db_url: String,
    /// Authenticated as `admin`.
    pub client: WireClient,
    stop: Option<oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> WireClient {
        WireClient::new(&self.base_url()).unwrap()
    }

    pub fn client_as(&self, name: &str, password: &str) -> WireClient {
        WireClient::new(&self.base_url())
            .unwrap()
            .with_basic_auth(name, password)
    }

    /// Adds an associate through the library, as `sobatch user add` does.
    pub async fn add_user(&self, name: &str, admin: bool, password: &str) -> i32 {
        sobatch_server::user_add(&self.db_url, name, admin, password)
            .await
            .unwrap()
    }

    /// Shuts the server down and starts a new one on the same database.
    pub async fn restart(mut self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        self.stop_and_wait().await;
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap());
        spawn_in(dir, adjust).await
    }

    /// Asks the server to shut down and waits until it has; the database directory is returned so
    /// a test can look at what was left behind.
    pub async fn shutdown(mut self) -> tempfile::TempDir {
        self.stop_and_wait().await;
        std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap())
    }

    async fn stop_and_wait(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            tokio::time::timeout(Duration::from_secs(30), served)
                .await
                .expect("shutdown within 30 s")
                .unwrap();
        }
    }

    /// Sends any request as the admin, without interpreting the answer.
    pub async fn send(
        &self,
        method: sobatch_wire::Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> sobatch_wire::RawResponse {
        let headers: &[(&str, &str)] = if body.is_some() {
            &[("Content-Type", "application/json")]
        } else {
            &[]
        };
        self.client
            .send(method, path, headers, body.map(<[u8]>::to_vec))
            .await
            .unwrap()
    }

    /// `POST /api/v1/BatchTask` with a body given byte for byte.
    pub async fn post_raw(&self, body: &[u8]) -> sobatch_wire::RawResponse {
        self.send(sobatch_wire::Method::POST, "/api/v1/BatchTask", Some(body))
            .await
    }

    /// Starts a task and returns its id.
    pub async fn start(&self, body: Value) -> i32 {
        self.client.task_start(&body).await.unwrap()
    }

    pub async fn get(&self, id: i32) -> Value {
        self.client
            .task_get(id)
            .await
            .unwrap()
            .expect("task exists")
    }

    /// Polls the task until `done` holds, for at most 20 s.
    pub async fn wait_for(&self, id: i32, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let task = self.get(id).await;
            if done(&task) {
                return task;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "task {id} never reached {what}: {task}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn wait_for_state(&self, id: i32, state: &str) -> Value {
        self.wait_for(id, state, |t| t["State"] == state).await
    }
}

/// A JSON POST with one more header (an `Authorization` or `SO-AppToken`), answered as it came.
pub async fn post_json(
    client: &WireClient,
    path: &str,
    header: (&str, &str),
    body: &str,
) -> sobatch_wire::RawResponse {
    client
        .send(
            sobatch_wire::Method::POST,
            path,
            &[header, ("Content-Type", "application/json")],
            Some(body.as_bytes().to_vec()),
        )
        .await
        .unwrap()
}

pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config {
        listen: "127.0.0.1:0".into(),
        db: format!("sqlite://{}", dir.join("sobatch.db").display()),
        ..Config::default()
    };
    config.engine.workers = 4;
    config.engine.shutdown_grace = Duration::from_secs(5);
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_in(tempfile::tempdir().unwrap(), adjust).await
}

async fn spawn_in(dir: tempfile::TempDir, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = test_config(dir.path());
    adjust(&mut config);
    let db_url = config.db.clone();
    let app = Application::builder(config)
        .admin_password(Some(ADMIN_PASSWORD.into()))
        .executor("Block", Block)
        .executor("Panic", Panic)
        .build()
        .await
        .unwrap();
    let addr = app.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    let client = WireClient::new(&format!("http://{addr}"))
        .unwrap()
        .with_basic_auth("admin", ADMIN_PASSWORD);
    TestApp {
        addr,
        db_url,
        client,
        stop: Some(stop),
        served: Some(served),
        _dir: dir,
    }
}

/// Runs until cancelled, reporting progress once: stands in for long real work.
pub struct Block;

#[async_trait]
impl Executor for Block {
    async fn run(&self, ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        ctx.progress(1, "blocking");
        ctx.cancelled().await;
        Err(TaskFailure::new("block cancelled"))
    }
}

/// Panics, to show a panicking executor fails only its task.
pub struct Panic;

#[async_trait]
impl Executor for Panic {
    async fn run(&self, _ctx: TaskContext) -> Result<TaskOutcome, TaskFailure> {
        panic!("deliberate test panic")
    }
}

pub fn sleep_task(seconds: &str) -> Value {
    json!({"Name": "Sleep", "ParameterObject": {"Seconds": seconds}})
}
