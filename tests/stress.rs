//! Many random-size messages across threads through small rings, each checked for sequence and
//! content: no loss, reorder, duplicate or corruption. `PYWEBWORKER_STRESS_MESSAGES` sets the
//! count (10^7 by default; the test command runs it in release mode).
mod common;

use common::{Rng, MS};
use pywebworker::channel::Inbox;
use pywebworker::ring::ring;
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

/// Writes message `seq` of producer `who`: a 12-byte header (who, seq), then content from both.
fn fill(buf: &mut Vec<u8>, who: u32, seq: u64, len: usize) {
    buf.clear();
    buf.extend_from_slice(&who.to_le_bytes());
    buf.extend_from_slice(&seq.to_le_bytes());
    let k = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) as usize ^ who as usize;
    buf.extend((12..len).map(|i| (k.wrapping_add(i * 131) >> 3) as u8));
}

fn check(buf: &[u8], expected: &mut Vec<u8>, rng: &mut Rng, capacity: usize) -> (u32, u64) {
    let who = u32::from_le_bytes(buf[..4].try_into().unwrap());
    let seq = u64::from_le_bytes(buf[4..12].try_into().unwrap());
    fill(expected, who, seq, size(rng, capacity).max(12));
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
        let (_, seq) = check(&out, &mut expected, &mut rng, CAP);
        assert_eq!(seq, want, "lost, duplicated or reordered");
    }
    producer.join().unwrap();
    assert_eq!(rx.recv(&mut out, Some(10_000 * MS)), Err(pywebworker::RecvError::Closed));
}

#[test]
fn three_producers_into_one_inbox_keep_each_producer_s_order() {
    const CAP: usize = 4096;
    let n = count() / 10;
    let mut inbox = Inbox::new();
    let producers: Vec<_> = (0..3u32)
        .map(|who| {
            let mut tx = inbox.add_producer(CAP as u32).unwrap();
            thread::spawn(move || {
                let (mut rng, mut buf) = (Rng(who + 1), Vec::new());
                for seq in 0..n {
                    fill(&mut buf, who, seq, size(&mut rng, CAP).max(12));
                    tx.send(1, &buf, Some(10_000 * MS)).unwrap();
                }
            })
        })
        .collect();
    let mut rngs: Vec<Rng> = (0..3).map(|w| Rng(w + 1)).collect();
    let mut next = [0u64; 3];
    let (mut out, mut expected) = (Vec::new(), Vec::new());
    for _ in 0..3 * n {
        let (ring_no, _) = inbox.recv(&mut out, Some(10_000 * MS)).unwrap();
        let (who, seq) = check(&out, &mut expected, &mut rngs[ring_no], CAP);
        assert_eq!(who as usize, ring_no);
        assert_eq!(seq, next[ring_no]);
        next[ring_no] += 1;
    }
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(inbox.recv(&mut out, Some(10_000 * MS)), Err(pywebworker::RecvError::Closed));
}
