//! The atomics the ring is built from: std's, or loom's under `--cfg loom` so that the loom
//! models in `tests/loom.rs` explore every interleaving of the real code.

#[cfg(not(loom))]
#[allow(unused_imports)] // `fence` is unused on wasm, where every atomic is SeqCst
pub(crate) use core::sync::atomic::{fence, AtomicU32, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, Ordering};

/// Hint to the CPU that we are spinning; under loom, yield so the model can make progress.
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}

/// Orders an earlier store before a later load (the store-then-check of the doorbell protocol).
///
/// On wasm every atomic access is sequentially consistent, so only the compiler must be kept
/// from reordering; elsewhere this is a full SeqCst fence.
#[inline]
pub(crate) fn store_load_fence() {
    #[cfg(all(target_arch = "wasm32", not(loom)))]
    core::sync::atomic::compiler_fence(Ordering::SeqCst);
    #[cfg(not(all(target_arch = "wasm32", not(loom))))]
    fence(Ordering::SeqCst);
}

/// A value on cache lines of its own: aligned to, and a multiple of, 128 bytes, the pair of
/// 64-byte lines that x86's adjacent-line prefetcher moves together. The same on every target:
/// crossbeam's `CachePadded` is 64 bytes on wasm32, yet wasm runs on the same processors, and
/// there two threads writing 64-byte neighbours halved the ring's throughput in some runs.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Padded<T>(T);

impl<T> Padded<T> {
    /// Pads `value`.
    pub const fn new(value: T) -> Self {
        Self(value)
    }
}

impl<T> core::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> core::ops::DerefMut for Padded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}
