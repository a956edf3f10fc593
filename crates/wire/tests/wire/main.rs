//! The one integration-test binary of sobatch-wire: property tests of the codecs (JSON, XML and
//! form bodies), and the typed client against a minimal HTTP/1 server.

// Helpers outside `#[test]` functions are test code too: an unwrap that fails is a failed test, as
// clippy.toml already allows inside the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod archive;
mod client;
mod fixture;
mod form;
mod language;
mod odata;
mod property;
mod timezone;
mod xml;
