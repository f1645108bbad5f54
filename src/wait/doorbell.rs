use super::{Platform, Wait};
use crate::primitive::{spin_hint, store_load_fence, AtomicU32, Ordering};

/// A doorbell one consumer sleeps on and any number of producers ring.
///
/// The protocol is the classic one that avoids the lost wake-up:
///
/// - a producer publishes its data (Release), issues a SeqCst fence, and rings only if someone
///   announced that they sleep — ringing costs nothing when nobody sleeps;
/// - a sleeper announces itself, issues a SeqCst fence, reads the sequence word, checks its
///   condition once more, and only then sleeps on the sequence word.
///
/// The two fences make the store-then-check on both sides sequentially consistent: either the
/// producer sees the announcement, or the sleeper sees the data.
#[repr(C)]
#[derive(Debug)]
pub struct Doorbell {
    /// Incremented by every ring that found a sleeper; sleepers wait on it.
    seq: AtomicU32,
    /// How many threads announced that they are about to sleep or are sleeping.
    sleepers: AtomicU32,
}

impl Default for Doorbell {
    fn default() -> Self {
        Self::new()
    }
}

impl Doorbell {
    /// A doorbell nobody sleeps on.
    pub fn new() -> Self {
        Self { seq: AtomicU32::new(0), sleepers: AtomicU32::new(0) }
    }

    /// Wakes the sleepers, if any. Call after publishing (storing with Release) what they wait for.
    #[inline]
    pub fn ring(&self) {
        store_load_fence();
        if self.sleepers.load(Ordering::Relaxed) != 0 {
            self.seq.fetch_add(1, Ordering::Release);
            Platform::wake_all(&self.seq);
        }
    }

    /// Announces a sleeper and returns the sequence value to sleep on. The caller then checks its
    /// condition once more and, if it still must wait, sleeps on [`seq_word`](Self::seq_word)
    /// while it holds that value (`Atomics.waitAsync` on the page); then calls [`retire`](Self::retire).
    pub fn announce(&self) -> u32 {
        self.sleepers.fetch_add(1, Ordering::Relaxed);
        store_load_fence();
        self.seq.load(Ordering::Acquire)
    }

    /// Ends a sleep begun with [`announce`](Self::announce).
    pub fn retire(&self) {
        self.sleepers.fetch_sub(1, Ordering::Relaxed);
    }

    /// The word sleepers wait on.
    pub fn seq_word(&self) -> &AtomicU32 {
        &self.seq
    }

    /// Waits until `ready()` is true, `deadline_ns` (on [`Wait::now_ns`]'s clock) passes, or
    /// forever with `None`. Spins a little first, then sleeps. Returns whether `ready()` became
    /// true. The caller must have checked that it may block ([`super::can_block`]).
    pub fn wait_until(&self, deadline_ns: Option<u64>, mut ready: impl FnMut() -> bool) -> bool {
        for _ in 0..SPINS {
            if ready() {
                return true;
            }
            spin_hint();
        }
        loop {
            let seen = self.announce();
            if ready() {
                self.retire();
                return true;
            }
            let left = deadline_ns.map(|d| d.saturating_sub(Platform::now_ns()));
            if left == Some(0) {
                self.retire();
                return ready();
            }
            let slice = match (left, MAX_SLICE_NS) {
                (Some(l), Some(m)) if m < l => Some(m),
                (Some(l), _) => Some(l),
                (None, m) => m,
            };
            let woken = Platform::wait(&self.seq, seen, slice);
            self.retire();
            if !woken && slice == left {
                return ready();
            }
        }
    }
}

/// Spins before sleeping: a reply that arrives within tens of microseconds costs no system call
/// (measured in Chromium: round trip p50 18.5 us with 2^10 spins, 1.0 us with 2^14).
#[cfg(not(any(loom, miri)))]
const SPINS: u32 = 1 << 14;
/// Under loom and Miri a spin only multiplies the work of the interpreter or model checker.
#[cfg(any(loom, miri))]
const SPINS: u32 = 1;

/// A sleeper re-checks at least this often, so a wake-up lost to a corrupted doorbell delays a
/// consumer instead of hanging it.
#[cfg(not(loom))]
const MAX_SLICE_NS: Option<u64> = Some(50_000_000);
#[cfg(loom)]
const MAX_SLICE_NS: Option<u64> = None;
