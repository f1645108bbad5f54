use super::Wait;
use crate::primitive::AtomicU32;
use core::arch::wasm32::{memory_atomic_notify, memory_atomic_wait32};
use core::cell::Cell;

#[cfg(not(target_feature = "atomics"))]
compile_error!(
    "pywebworker needs shared wasm memory: build with scripts/build-wasm.sh \
     (nightly, -Z build-std, +atomics and the shared-memory link arguments)"
);

thread_local! {
    /// Each wasm thread (the page or a worker) has its own; only workers set it.
    static CAN_BLOCK: Cell<bool> = const { Cell::new(false) };
}

pub(super) fn set_can_block(allowed: bool) {
    CAN_BLOCK.with(|c| c.set(allowed));
}

/// `memory.atomic.wait32` / `memory.atomic.notify` on shared wasm memory.
#[derive(Debug)]
pub struct Platform;

impl Wait for Platform {
    fn wait(word: &AtomicU32, expected: u32, timeout_ns: Option<u64>) -> bool {
        debug_assert!(Self::can_block(), "memory.atomic.wait32 would trap on this thread");
        let timeout = timeout_ns.map_or(-1, |t| t.min(i64::MAX as u64) as i64);
        // SAFETY: the word is a live, aligned AtomicU32 in the module's shared memory.
        let r = unsafe { memory_atomic_wait32(word.as_ptr().cast::<i32>(), expected as i32, timeout) };
        r != 2
    }

    fn wake_all(word: &AtomicU32) {
        // SAFETY: as above; notify only uses the address.
        unsafe {
            memory_atomic_notify(word.as_ptr().cast::<i32>(), u32::MAX);
        }
    }

    fn can_block() -> bool {
        CAN_BLOCK.with(Cell::get)
    }

    fn now_ns() -> u64 {
        (js_sys::Date::now() * 1e6) as u64
    }
}
