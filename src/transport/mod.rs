//! The JavaScript-facing side of the shared-memory transport (wasm only).
//!
//! `js-shim/` drives these handles. Ring regions live in the module's shared memory; their
//! addresses cross to workers in `postMessage`, and each thread attaches its own end.
//! Hot paths return numbers instead of throwing, so that a loop in JavaScript pays no
//! exception cost; failures that end a ring throw an `Error` whose message says what to do.

mod link;
mod shared;
pub use link::*;
pub use shared::*;
