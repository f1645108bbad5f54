//! Channels built from rings.
//!
//! - [`Inbox`]: many producers, one consumer. Each producer has a ring of its own (so every ring
//!   stays single-producer and lock-free), and all of them ring one shared doorbell, so the
//!   consumer sleeps on all its rings at once.
//! - [`duplex`]: two rings, one each way, plus acknowledgement counters: a side can *settle*,
//!   that is wait until the peer has finished handling everything sent to it so far.

mod duplex;
mod inbox;

pub use duplex::{duplex, Endpoint};
pub use inbox::Inbox;
