//! Loom models of the sleep/wake, back-pressure, close and wrap paths: every interleaving of the
//! real ring code (atomics swapped for loom's, the futex modelled) on a 64-byte ring whose
//! position counters start just before they wrap.
//!
//! `RUSTFLAGS="--cfg loom" cargo test --release --test loom --target-dir target/loom`
#![cfg(loom)]

use pywebworker::ring::ring_starting_at;
use pywebworker::{RecvError, SendError};

const START: u32 = u32::MAX - 39;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    b.check(f);
}

#[test]
fn a_sleeping_consumer_is_never_left_asleep_by_a_send() {
    model(|| {
        let (mut tx, mut rx) = ring_starting_at(64, START & !7).unwrap();
        let p = loom::thread::spawn(move || {
            tx.try_send(1, b"one").unwrap();
            tx.try_send(2, b"two").unwrap();
            tx
        });
        let mut out = Vec::new();
        assert_eq!(rx.recv(&mut out, None), Ok(1));
        assert_eq!(out, b"one");
        assert_eq!(rx.recv(&mut out, None), Ok(2));
        drop(p.join().unwrap());
    });
}

/// Three messages of `size` bytes through the 64-byte ring, the producer blocking for room.
fn three_messages_of(size: usize) {
    model(move || {
        let (mut tx, mut rx) = ring_starting_at(64, START & !7).unwrap();
        let p = loom::thread::spawn(move || {
            for i in 0..3u8 {
                tx.send(u16::from(i), &vec![i; size], None).unwrap();
            }
        });
        let mut out = Vec::new();
        for i in 0..3u8 {
            assert_eq!(rx.recv(&mut out, None), Ok(u16::from(i)));
            assert_eq!(out, vec![i; size]);
        }
        p.join().unwrap();
    });
}

#[test]
fn a_producer_waiting_for_room_is_woken_by_the_consumer() {
    // 32-byte frames: two fill the ring, the third waits for room.
    three_messages_of(24);
}

#[test]
fn frames_that_wrap_arrive_intact() {
    // 24-byte frames: the third cannot fit before the end and leaves a wrap marker.
    three_messages_of(16);
}

#[test]
fn producer_close_wakes_the_consumer_after_everything_sent() {
    model(|| {
        let (mut tx, mut rx) = ring_starting_at(64, START & !7).unwrap();
        let p = loom::thread::spawn(move || {
            tx.try_send(1, b"last words").unwrap();
            tx.close();
        });
        let mut out = Vec::new();
        assert_eq!(rx.recv(&mut out, None), Ok(1));
        assert_eq!(out, b"last words");
        assert_eq!(rx.recv(&mut out, None), Err(RecvError::Closed));
        p.join().unwrap();
    });
}

#[test]
fn consumer_close_wakes_a_producer_waiting_for_room() {
    model(|| {
        let (mut tx, mut rx) = ring_starting_at(64, START & !7).unwrap();
        let p = loom::thread::spawn(move || {
            let mut result = Ok(());
            for i in 0..3u8 {
                result = tx.send(1, &[i; 24], None);
                if result.is_err() {
                    break;
                }
            }
            result
        });
        rx.close();
        assert_eq!(p.join().unwrap(), Err(SendError::Closed));
    });
}
