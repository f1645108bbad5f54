//! The ring loop the native benchmarks share (`ring`, criterion; `ring_once`, single runs).
use std::thread;

/// Ring capacity of the native benchmarks (the browser benchmark's rings for these sizes too).
pub const CAPACITY: usize = 1 << 20;

/// Moves `count` messages of `size` bytes from this thread to a new one through a ring; the
/// consumer copies each message out.
pub fn pywebworker_ring(size: usize, count: usize) {
    let (mut tx, mut rx) = pywebworker::ring::ring(CAPACITY as u32).unwrap();
    let msg = vec![7u8; size];
    let consumer = thread::spawn(move || {
        let mut out = Vec::with_capacity(size);
        for _ in 0..count {
            rx.recv(&mut out, None).unwrap();
            assert_eq!(out.len(), size);
        }
    });
    for _ in 0..count {
        tx.send(1, &msg, None).unwrap();
    }
    consumer.join().unwrap();
}

