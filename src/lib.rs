//! pywebworker: lock-free message rings in shared wasm memory between the browser's main
//! thread and Web Workers.
//!
//! The layers, from the bottom:
//! - [`ring`]: a single-producer/single-consumer ring of variable-length frames over a byte
//!   region it does not own. Everything read from the shared region is validated.
//! - [`wait`]: the sleep/wake primitive (`memory.atomic.wait32/notify` on wasm workers, a
//!   futex natively, loom's primitives under `--cfg loom`) and the [`wait::Doorbell`] built on it.
//! - [`channel`]: the duplex channel with acknowledgement counters, and the [`channel::Link`]
//!   that holds one in a single allocation for the page and a worker.
//! - `transport` (wasm only): the JavaScript-facing handles used by `js-shim/`.
#![cfg_attr(all(target_arch = "wasm32", target_feature = "atomics"), feature(stdarch_wasm_atomic_wait))]
#![warn(missing_docs)]

pub mod channel;
mod primitive;
pub mod ring;
pub mod wait;

#[cfg(target_arch = "wasm32")]
pub mod transport;

pub use primitive::Padded;
pub use ring::{Consumer, Frame, Producer, RecvError, SendError};
