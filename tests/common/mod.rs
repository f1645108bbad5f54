//! Helpers shared by the native tests.
#![allow(dead_code)]

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `f` on a thread and fails the test if it does not finish within `secs`: a hang is a
/// failure, not a stuck test run.
pub fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs)).expect("did not finish in time (hang)")
}

/// Message `seq` of `len` bytes: its sequence number, then a pattern derived from it.
pub fn message(seq: u32, len: usize) -> Vec<u8> {
    (0..len).map(|i| if i < 4 { (seq >> (8 * i)) as u8 } else { (seq as usize * 31 + i) as u8 }).collect()
}

/// A small deterministic generator (xorshift32).
pub struct Rng(pub u32);

impl Rng {
    pub fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

pub const MS: u64 = 1_000_000;
