//! The wait primitive of `src/wait/wasm.rs` inside a real browser worker with shared memory,
//! where neither loom nor Miri reaches. Run by scripts/test.sh through `wasm-bindgen-test-runner`:
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test --target wasm32-unknown-unknown --config .cargo/atomics.toml \
//!   --target-dir target/wasm-test --test 'wasm_*'
//! ```
//!
//! A second thread is a worker started by the test with the same module and memory (see
//! `tests/common/wasm_peer.rs`); it runs one of the `peer_*` functions exported below.

#![cfg(target_arch = "wasm32")]

use pywebworker::wait::{self, Platform, Wait};
use std::sync::atomic::{AtomicU32, Ordering};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[path = "common/wasm_peer.rs"]
mod peer;

use peer::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Second thread: rings `word` (without changing it) until `*done` is set. Returns `[rings,
/// whether this thread could block before it said so]`.
#[wasm_bindgen]
pub fn peer_wake(word: u32, done: u32) -> Vec<f64> {
    let could_block = wait::can_block();
    wait::set_can_block(true);
    // SAFETY: both are AtomicU32s leaked by the test, which outlive this call.
    let (word, done) = unsafe { (&*(word as usize as *const AtomicU32), &*(done as usize as *const AtomicU32)) };
    let t0 = wait::now_ns();
    let mut rings = 0.0;
    while done.load(Ordering::SeqCst) == 0 && ms_since(t0) < 15_000.0 {
        Platform::wake_all(word);
        rings += 1.0;
        block_ms(2);
    }
    vec![rings, f64::from(u8::from(could_block))]
}

// --- the wait primitive (src/wait/wasm.rs) ------------------------------------------------------

#[wasm_bindgen_test]
fn runs_in_a_worker_on_shared_memory() {
    assert!(in_worker(), "the runner must run these tests in a dedicated worker");
    assert_eq!(buffer_tag(&wasm_bindgen::memory()), "[object SharedArrayBuffer]");
}

#[wasm_bindgen_test]
async fn notify_from_another_worker_wakes_a_sleeper() {
    wait::set_can_block(true);
    let word: &'static AtomicU32 = Box::leak(Box::new(AtomicU32::new(7)));
    let done: &'static AtomicU32 = Box::leak(Box::new(AtomicU32::new(0)));
    let peer = start_peer("peer_wake", &[word.as_ptr() as usize as f64, done.as_ptr() as usize as f64]).await;
    let t0 = wait::now_ns();
    // The word never changes: only a notify can end this wait before its 10 s.
    let woken = Platform::wait(word, 7, Some(10_000 * MS));
    let waited = ms_since(t0);
    done.store(1, Ordering::SeqCst);
    let rings = finish(&peer).await;
    assert!(woken, "the wait timed out after {waited} ms although the peer rang {rings:?} times");
    assert!(waited < 9_000.0, "woken only after {waited} ms");
    assert!(rings[0] >= 1.0);
    assert_eq!(rings[1], 0.0, "a new thread starts as \"may not block\" until it says otherwise");
}

#[wasm_bindgen_test]
fn a_wait_with_a_timeout_returns_after_about_that_long() {
    wait::set_can_block(true);
    let word = AtomicU32::new(0);
    for timeout_ms in [20, 100] {
        let t0 = wait::now_ns();
        let woken = Platform::wait(&word, 0, Some(timeout_ms * MS));
        let waited = ms_since(t0);
        assert!(!woken, "nobody rang, so the wait must time out");
        // Not earlier than the timeout (allowing for a coarse clock); later only by scheduling.
        assert!(waited >= timeout_ms as f64 * 0.8, "a wait of {timeout_ms} ms returned after {waited} ms");
        assert!(waited < timeout_ms as f64 + 5_000.0, "a wait of {timeout_ms} ms took {waited} ms");
    }
}

#[wasm_bindgen_test]
fn a_wait_on_a_changed_value_returns_at_once() {
    wait::set_can_block(true);
    let word = AtomicU32::new(1);
    let t0 = wait::now_ns();
    assert!(Platform::wait(&word, 0, Some(10_000 * MS)), "not a time-out: the value differs");
    assert!(Platform::wait(&word, 0, None), "no limit, yet the value differs");
    let waited = ms_since(t0);
    assert!(waited < 5_000.0, "returned only after {waited} ms");
}

#[wasm_bindgen_test]
fn ringing_with_nobody_asleep_is_harmless() {
    let word = AtomicU32::new(3);
    Platform::wake_all(&word);
    assert_eq!(word.load(Ordering::SeqCst), 3, "a notify leaves the word as it was");
    // And a later wait still times out: no wake-up was kept for it.
    wait::set_can_block(true);
    assert!(!Platform::wait(&word, 3, Some(20 * MS)));
}

#[wasm_bindgen_test]
fn the_clock_moves_forward() {
    wait::set_can_block(true);
    let t0 = wait::now_ns();
    block_ms(30);
    let t1 = wait::now_ns();
    assert!(t1 > t0, "{t0} then {t1}");
    assert!(t1 - t0 >= 20 * MS, "30 ms of sleep moved the clock by {} ns", t1 - t0);
}

