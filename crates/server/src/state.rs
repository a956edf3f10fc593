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
    /// Where the server listens; the host of last resort in absolute URLs.
    pub local_addr: std::net::SocketAddr,
    /// The most rows one answer of the OData list holds (`odata_page_limit`).
    pub odata_page_limit: u32,
}

impl AppState {
    pub fn render(&self, task: &Task) -> BatchTaskInfo {
        render_task(task, &self.dates)
    }
}
