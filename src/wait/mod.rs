//! Sleep and wake on a 32-bit word in shared memory, and the [`Doorbell`] built on it.
//!
//! The primitive is a futex: [`Wait::wait`] sleeps while a word still holds an expected value,
//! [`Wait::wake_all`] wakes everyone sleeping on it. The platform picks the implementation:
//!
//! | build | implementation |
//! |---|---|
//! | wasm32 with `+atomics` | `memory.atomic.wait32` / `memory.atomic.notify` (workers only) |
//! | native Linux | the `futex(2)` system call |
//! | other native targets | a polite spin (tests and benchmarks only) |
//! | `--cfg loom` | a futex model over loom's `Mutex` and `Condvar` |
//!
//! The browser's main thread must never block: [`can_block`] is false there, and the blocking
//! operations of the rings refuse to run instead of freezing the page.

mod doorbell;
pub use doorbell::Doorbell;

#[cfg(loom)]
#[path = "loom.rs"]
mod sys;
#[cfg(all(not(loom), target_arch = "wasm32"))]
#[path = "wasm.rs"]
mod sys;
#[cfg(all(not(loom), not(target_arch = "wasm32")))]
#[path = "native.rs"]
mod sys;

pub use sys::Platform;

use crate::primitive::AtomicU32;

/// A futex-like sleep/wake primitive on one 32-bit word.
pub trait Wait {
    /// Sleeps while `word` holds `expected`, for at most `timeout_ns` nanoseconds (`None`: no
    /// limit). Returns `false` only when the time ran out; spurious wake-ups return `true`, so
    /// callers re-check their condition.
    fn wait(word: &AtomicU32, expected: u32, timeout_ns: Option<u64>) -> bool;
    /// Wakes every thread sleeping on `word`.
    fn wake_all(word: &AtomicU32);
    /// Whether the calling thread may block (false on the browser's main thread).
    fn can_block() -> bool;
    /// A monotonic clock in nanoseconds, for deadlines.
    fn now_ns() -> u64;
}

/// Whether the calling thread may block in [`Wait::wait`].
pub fn can_block() -> bool {
    Platform::can_block()
}

/// The clock deadlines are measured on, in nanoseconds.
pub fn now_ns() -> u64 {
    Platform::now_ns()
}

/// Declares whether the calling thread may block. Worker bootstraps call it with `true`; on
/// wasm every thread starts as "may not block", because the main thread must never block.
pub fn set_can_block(allowed: bool) {
    sys::set_can_block(allowed);
}
