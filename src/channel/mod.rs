//! Channels built from rings.
//!
//! - [`duplex`]: two rings, one each way, plus acknowledgement counters: a side can *settle*,
//!   that is wait until the peer has finished handling everything sent to it so far.
//! - [`Link`]: a duplex channel in one allocation whose ends are addressed by pointer, for the
//!   page and a worker (the JavaScript shim's unit of one worker's traffic).

mod duplex;
mod link;

pub use duplex::{duplex, Endpoint};
pub use link::{Link, Port};
