//! Channels built from rings.
//!
//! - [`Inbox`]: many producers, one consumer. Each producer has a ring of its own (so every ring
//!   stays single-producer and lock-free), and all of them ring one shared doorbell, so the
//!   consumer sleeps on all its rings at once.
//! - [`duplex`]: two rings, one each way, plus acknowledgement counters: a side can *settle*,
//!   that is wait until the peer has finished handling everything sent to it so far.
//! - [`Link`]: a duplex channel in one allocation whose ends are addressed by pointer, for the
//!   page and a worker (the JavaScript shim's unit of one worker's traffic).

mod duplex;
mod inbox;
mod link;

pub use duplex::{duplex, Endpoint};
pub use inbox::Inbox;
pub use link::{Link, Port};
