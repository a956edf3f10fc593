//! What every handler shares.

use sobatch_engine::Engine;
use sobatch_wire::DateStyle;

use crate::auth::Authenticator;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub auth: Authenticator,
    /// How dates are rendered when a request asks for nothing else.
    pub dates: DateStyle,
}
