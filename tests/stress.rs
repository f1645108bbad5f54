//! Many random-size messages across threads through small rings, each checked for sequence and
//! content: no loss, reorder, duplicate or corruption; and a duplex channel busy both ways at
//! once, whose acknowledgements settle every message. `PYWEBWORKER_STRESS_MESSAGES` sets the
//! count (10^7 by default; the test command runs it in release mode).
mod common;

use common::{Rng, MS};
use pywebworker::channel::{duplex, Endpoint};
use pywebworker::ring::ring;
use pywebworker::{RecvError, SendError};
use std::thread;

fn count() -> u64 {
    let default = if cfg!(miri) { 200 } else { 10_000_000 };
    std::env::var("PYWEBWORKER_STRESS_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Mostly small messages, sometimes three times the ring (fragmented).
fn size(rng: &mut Rng, capacity: usize) -> usize {
    let x = rng.next() as usize;
    if x % 4096 == 0 {
        capacity * 3 - x % 100
    } else {
        8 + x % 200
    }
}

/// A size that always fits in one frame of a 4 KiB ring, for sends that never wait.
fn small_size(rng: &mut Rng) -> usize {
    12 + rng.next() as usize % 200
}

/// Writes message `seq` of producer `who`: a 12-byte header (who, seq), then content from both.
fn fill(buf: &mut Vec<u8>, who: u32, seq: u64, len: usize) {
    buf.clear();
    buf.extend_from_slice(&who.to_le_bytes());
    buf.extend_from_slice(&seq.to_le_bytes());
    let k = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) as usize ^ who as usize;
    buf.extend((12..len).map(|i| (k.wrapping_add(i * 131) >> 3) as u8));
}

/// Checks a received message against message `seq` of `len` bytes of its producer; returns
/// (producer, seq).
fn check(buf: &[u8], expected: &mut Vec<u8>, len: usize) -> (u32, u64) {
    let who = u32::from_le_bytes(buf[..4].try_into().unwrap());
    let seq = u64::from_le_bytes(buf[4..12].try_into().unwrap());
    fill(expected, who, seq, len);
    assert!(buf == expected.as_slice(), "message {seq} of producer {who} is corrupt or out of order");
    (who, seq)
}

#[test]
fn ten_million_random_size_messages_cross_threads_intact_and_in_order() {
    const CAP: usize = 4096;
    let n = count();
    let (mut tx, mut rx) = ring(CAP as u32).unwrap();
    let producer = thread::spawn(move || {
        let (mut rng, mut buf) = (Rng(0x1234_5678), Vec::new());
        for seq in 0..n {
            fill(&mut buf, 0, seq, size(&mut rng, CAP).max(12));
            tx.send(1, &buf, Some(10_000 * MS)).unwrap();
        }
    });
    let (mut rng, mut out, mut expected) = (Rng(0x1234_5678), Vec::new(), Vec::new());
    for want in 0..n {
        rx.recv(&mut out, Some(10_000 * MS)).unwrap();
        let (_, seq) = check(&out, &mut expected, size(&mut rng, CAP).max(12));
        assert_eq!(seq, want, "lost, duplicated or reordered");
    }
    producer.join().unwrap();
    assert_eq!(rx.recv(&mut out, Some(10_000 * MS)), Err(RecvError::Closed));
}

/// One end of a duplex stress run: sends `n` messages and takes `n` from the peer without
/// blocking (two ends blocked on full rings would wait for each other for ever), acknowledges
/// what it took in batches, as the worker runtime does, then settles while the peer may still be
/// receiving.
fn run_side(mut end: Endpoint, who: u32, n: u64) -> Endpoint {
    let (mut send_rng, mut recv_rng) = (Rng(who + 1), Rng(2 - who));
    let (mut buf, mut out, mut expected) = (Vec::new(), Vec::new(), Vec::new());
    let (mut sent, mut taken) = (0, 0);
    fill(&mut buf, who, 0, small_size(&mut send_rng));
    while sent < n || taken < n {
        let mut progress = false;
        while sent < n {
            match end.producer().try_send(1, &buf) {
                Ok(()) => {}
                Err(SendError::Full) => break,
                Err(e) => panic!("side {who}: send failed: {e:?}"),
            }
            end.count_sent(1);
            sent += 1;
            fill(&mut buf, who, sent, small_size(&mut send_rng));
            progress = true;
        }
        let mut batch = 0;
        while taken < n {
            match end.try_recv(&mut out) {
                Ok(_) => {}
                Err(RecvError::Empty) => break,
                Err(e) => panic!("side {who}: receive failed: {e:?}"),
            }
            let (from, seq) = check(&out, &mut expected, small_size(&mut recv_rng));
            assert_eq!((from, seq), (1 - who, taken), "lost, duplicated or reordered");
            (taken, batch) = (taken + 1, batch + 1);
        }
        if batch > 0 {
            end.ack(batch);
            progress = true;
        }
        if !progress {
            thread::yield_now();
        }
    }
    assert_eq!(end.settle(Some(10_000 * MS)), Ok(true), "side {who}: the peer acknowledged every message");
    assert_eq!(end.unsettled(), 0);
    end
}

#[test]
fn both_ends_of_a_duplex_send_and_receive_at_once_and_settle_every_message() {
    let n = count() / 10;
    let (a, b) = duplex(4096).unwrap();
    let peer = thread::spawn(move || run_side(b, 1, n));
    let mut a = run_side(a, 0, n);
    drop(peer.join().unwrap());
    let mut out = Vec::new();
    assert_eq!(a.recv(&mut out, Some(10_000 * MS)), Err(RecvError::Closed));
}
