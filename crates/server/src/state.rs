//! What every handler shares, and how a task is rendered for a response.

use sobatch_core::Task;
use sobatch_engine::Engine;
use sobatch_wire::{BatchTaskInfo, DateStyle, render_task};

use crate::auth::Authenticator;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub auth: Authenticator,
    /// How dates are rendered when a request asks for nothing else.
    pub dates: DateStyle,
    /// The configured public URL, or empty to derive it from each request.
    pub public_url: String,
    /// Clients reach the server over HTTPS (served here, or by a proxy the public URL names), so
    /// cookies are marked `Secure`.
    pub secure_cookies: bool,
    /// Where the server listens; the host of last resort in absolute URLs.
    pub local_addr: std::net::SocketAddr,
    /// The most rows one answer of the OData list holds (`odata_page_limit`).
    pub odata_page_limit: u32,
    /// How long a dashboard sign-in lasts.
    pub session_lifetime: std::time::Duration,
    /// How long a ticket lasts.
    pub ticket_lifetime: std::time::Duration,
    /// Requests that sign in with `Authorization` must name a registered application.
    pub require_app_token: bool,
    /// Who may see and change whose tasks.
    pub access: crate::operation::Access,
    /// Verifies Bearer JWTs, when `[auth.jwt]` configures a key.
    pub jwt: Option<crate::jwt::JwtVerifier>,
    /// The event stream's heartbeat and poll intervals.
    pub event_heartbeat: std::time::Duration,
    pub event_poll: std::time::Duration,
    /// The folder task files are served from.
    pub file_dir: std::path::PathBuf,
    /// Cancelled when the server shuts down, so that endless responses (event streams) end and
    /// let the graceful shutdown finish.
    pub closing: tokio_util::sync::CancellationToken,
}

impl AppState {
    pub fn render(&self, task: &Task) -> BatchTaskInfo {
        render_task(task, &self.dates)
    }
}
