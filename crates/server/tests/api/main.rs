//! Black-box tests of the HTTP API: each test starts a server in-process on port 0 with its own
//! database file and talks to it as a client would.

// Tests may panic on unexpected results; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agents;
mod auth;
mod bad_input;
mod batch_task;
mod connections;
mod conventions;
mod credentials;
mod dashboard;
mod definitions;
mod engine;
mod events;
mod helpers;
mod internal;
mod jwt;
mod odata;
mod ownership;
mod shutdown;
mod tls;
mod worker;
