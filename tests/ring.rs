//! Behaviour of one ring: framing, wrap, fragmentation, back-pressure, close and abandon.
mod common;

use common::{message, within, MS};
use pywebworker::ring::{self, max_frame_payload, ring, ring_starting_at, Side};
use pywebworker::{Consumer, Producer, RecvError, SendError};
use std::thread;
use std::time::Duration;

#[test]
fn one_message_round_trips_with_its_tag() {
    let (mut tx, mut rx) = ring(256).unwrap();
    tx.try_send(42, b"hello").unwrap();
    let mut out = Vec::new();
    assert_eq!(rx.try_recv(&mut out), Ok(42));
    assert_eq!(out, b"hello");
    assert_eq!(rx.try_recv(&mut out), Err(RecvError::Empty));
}

#[test]
fn empty_message_round_trips() {
    let (mut tx, mut rx) = ring(64).unwrap();
    tx.send(1, b"", None).unwrap();
    let mut out = vec![9];
    assert_eq!(rx.try_recv(&mut out), Ok(1));
    assert!(out.is_empty());
}

#[test]
fn in_place_frames_keep_order_and_content_across_a_burst() {
    let (mut tx, mut rx) = ring(1024).unwrap();
    for i in 0..10u8 {
        let mut g = tx.reserve(u32::from(i) + 1).unwrap();
        g.payload().fill(i);
        g.commit(u16::from(i));
    }
    tx.flush();
    for i in 0..10u8 {
        let f = rx.peek().unwrap();
        assert_eq!(f.tag(), u16::from(i));
        assert_eq!(f.payload(), vec![i; usize::from(i) + 1].as_slice());
        f.release();
    }
    assert!(matches!(rx.peek(), Err(RecvError::Empty)));
}

#[test]
fn a_peeked_frame_stays_until_released() {
    let (mut tx, mut rx) = ring(256).unwrap();
    tx.try_send(1, b"once").unwrap();
    assert_eq!(rx.peek().unwrap().payload(), b"once");
    assert_eq!(rx.peek().unwrap().payload(), b"once");
    rx.peek().unwrap().release();
    assert!(matches!(rx.peek(), Err(RecvError::Empty)));
}

#[test]
fn frames_wrap_with_a_marker_and_payloads_stay_contiguous() {
    let (mut tx, mut rx) = ring(256).unwrap();
    let mut out = Vec::new();
    // 40-byte frames (32 payload + 8 header) do not divide 256: every lap ends with a wrap marker.
    for seq in 0..100 {
        let m = message(seq, 32);
        tx.try_send(3, &m).unwrap();
        assert_eq!(rx.try_recv(&mut out), Ok(3));
        assert_eq!(out, m, "message {seq}");
    }
}

#[test]
fn position_counters_wrap_past_u32_max() {
    let (mut tx, mut rx) = ring_starting_at(128, u32::MAX - 63).unwrap();
    let mut out = Vec::new();
    for seq in 0..64 {
        let m = message(seq, (seq as usize * 7) % 56);
        tx.try_send(5, &m).unwrap();
        assert_eq!(rx.try_recv(&mut out), Ok(5));
        assert_eq!(out, m, "message {seq}");
    }
}

#[test]
fn messages_larger_than_the_ring_are_fragmented_and_reassembled() {
    let (mut tx, mut rx) = ring(4096).unwrap();
    let big = message(7, if cfg!(miri) { 20_000 } else { 1 << 20 });
    let expected = big.clone();
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        let tag = rx.recv(&mut out, Some(10_000 * MS)).unwrap();
        (tag, out)
    });
    tx.send(9, &big, Some(10_000 * MS)).unwrap();
    let (tag, out) = reader.join().unwrap();
    assert_eq!(tag, 9);
    assert_eq!(out.len(), expected.len());
    assert!(out == expected);
}

#[test]
fn reserve_refuses_a_frame_larger_than_half_the_ring() {
    let (mut tx, _rx) = ring(256).unwrap();
    assert_eq!(max_frame_payload(256), 120);
    assert!(tx.reserve(120).is_ok());
    assert!(matches!(tx.reserve(121), Err(SendError::TooLarge)));
}

#[test]
fn try_send_on_a_full_ring_reports_full_and_loses_nothing() {
    let (mut tx, mut rx) = ring(256).unwrap();
    let mut sent = 0u32;
    while tx.try_send(1, &message(sent, 24)).is_ok() {
        sent += 1;
    }
    assert_eq!(tx.try_send(1, b"x"), Err(SendError::Full));
    assert!(sent >= 7);
    let mut out = Vec::new();
    for seq in 0..sent {
        rx.try_recv(&mut out).unwrap();
        assert_eq!(out, message(seq, 24));
    }
    tx.try_send(1, b"room again").unwrap();
}

#[test]
fn a_blocking_send_waits_for_room_then_completes() {
    let (mut tx, mut rx) = ring(256).unwrap();
    while tx.try_send(1, &[0; 24]).is_ok() {}
    let reader = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        let mut out = Vec::new();
        let mut n = 0;
        while rx.recv(&mut out, Some(5_000 * MS)).is_ok() {
            n += 1;
        }
        n
    });
    within(10, move || {
        tx.send(2, b"after the wait", Some(5_000 * MS)).unwrap();
        drop(tx);
    });
    assert!(reader.join().unwrap() >= 8);
}

#[test]
fn producer_close_lets_the_consumer_drain_then_reports_closed() {
    let (mut tx, mut rx) = ring(256).unwrap();
    tx.try_send(1, b"a").unwrap();
    tx.try_send(2, b"b").unwrap();
    tx.close();
    let mut out = Vec::new();
    assert_eq!(rx.try_recv(&mut out), Ok(1));
    assert_eq!(rx.try_recv(&mut out), Ok(2));
    assert_eq!(rx.try_recv(&mut out), Err(RecvError::Closed));
    assert_eq!(rx.recv(&mut out, None), Err(RecvError::Closed));
}

#[test]
fn consumer_close_makes_sends_fail_with_closed() {
    let (mut tx, mut rx) = ring(256).unwrap();
    rx.close();
    assert_eq!(tx.try_send(1, b"x"), Err(SendError::Closed));
    assert_eq!(tx.send(1, b"x", None), Err(SendError::Closed));
    assert!(tx.is_closed());
}

#[test]
fn a_producer_blocked_on_a_full_ring_is_woken_by_consumer_close() {
    let (mut tx, mut rx) = ring(256).unwrap();
    while tx.try_send(1, &[0; 24]).is_ok() {}
    let closer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        rx.close();
        rx
    });
    let r = within(10, move || tx.send(1, &[0; 24], None));
    assert_eq!(r, Err(SendError::Closed));
    drop(closer.join().unwrap());
}

#[test]
fn a_consumer_blocked_in_recv_is_woken_by_producer_close() {
    let (mut tx, mut rx) = ring(256).unwrap();
    let waiter = thread::spawn(move || within(10, move || rx.recv(&mut Vec::new(), None)));
    thread::sleep(Duration::from_millis(100));
    tx.close();
    assert_eq!(waiter.join().unwrap(), Err(RecvError::Closed));
}

#[test]
fn a_consumer_blocked_in_recv_is_woken_by_producer_drop() {
    let (tx, mut rx) = ring(256).unwrap();
    let waiter = thread::spawn(move || within(10, move || rx.recv(&mut Vec::new(), None)));
    thread::sleep(Duration::from_millis(100));
    drop(tx);
    assert_eq!(waiter.join().unwrap(), Err(RecvError::Closed));
}

#[test]
fn a_sleeping_consumer_is_woken_by_a_send() {
    let (mut tx, mut rx) = ring(256).unwrap();
    let waiter = thread::spawn(move || {
        within(10, move || {
            let mut out = Vec::new();
            rx.recv(&mut out, None).map(|tag| (tag, out))
        })
    });
    thread::sleep(Duration::from_millis(100));
    tx.try_send(4, b"wake").unwrap();
    assert_eq!(waiter.join().unwrap(), Ok((4, b"wake".to_vec())));
}

#[test]
fn recv_with_a_timeout_on_an_empty_ring_times_out() {
    let (_tx, mut rx) = ring(256).unwrap();
    let r = within(10, move || rx.recv(&mut Vec::new(), Some(20 * MS)));
    assert_eq!(r, Err(RecvError::Timeout));
}

#[test]
fn a_send_that_times_out_half_way_is_never_delivered_torn() {
    let (mut tx, mut rx) = ring(256).unwrap();
    // 1000 bytes need 9 frames; nobody reads, so the send gives up after the first ones.
    assert_eq!(tx.send(1, &message(1, 1000), Some(20 * MS)), Err(SendError::Timeout));
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        let mut out = Vec::new();
        while let Ok(tag) = rx.recv(&mut out, Some(5_000 * MS)) {
            got.push((tag, out.clone()));
        }
        got
    });
    tx.send(2, &message(2, 1000), Some(5_000 * MS)).unwrap();
    tx.send(3, b"small", Some(5_000 * MS)).unwrap();
    drop(tx);
    let got = reader.join().unwrap();
    assert_eq!(got, vec![(2, message(2, 1000)), (3, b"small".to_vec())]);
}

#[test]
fn a_producer_dropped_half_way_through_a_message_delivers_no_torn_message() {
    let (mut tx, mut rx) = ring(256).unwrap();
    tx.try_send(1, b"whole").unwrap();
    assert_eq!(tx.send(2, &message(2, 1000), Some(10 * MS)), Err(SendError::Timeout));
    drop(tx);
    let mut out = Vec::new();
    assert_eq!(rx.try_recv(&mut out), Ok(1));
    assert_eq!(out, b"whole");
    // What follows is fragments of the abandoned message: they never surface as a message.
    assert_eq!(rx.try_recv(&mut out), Err(RecvError::Closed));
}

#[test]
fn abandoning_a_terminated_producer_wakes_the_consumer_with_closed() {
    let region = ring::alloc(256).unwrap();
    // SAFETY: a fresh region; each end attached once.
    let (tx, mut rx) = unsafe { (Producer::attach(region).unwrap(), Consumer::attach(region).unwrap()) };
    // A terminated worker never runs its destructor.
    std::mem::forget(tx);
    let waiter = thread::spawn(move || within(10, move || rx.recv(&mut Vec::new(), None)));
    thread::sleep(Duration::from_millis(100));
    // SAFETY: the producer will never run again.
    unsafe { ring::abandon(region, Side::Producer).unwrap() };
    assert_eq!(waiter.join().unwrap(), Err(RecvError::Closed));
}

#[test]
fn abandoning_a_terminated_consumer_fails_the_producers_sends() {
    let region = ring::alloc(256).unwrap();
    // SAFETY: a fresh region; each end attached once.
    let (mut tx, rx) = unsafe { (Producer::attach(region).unwrap(), Consumer::attach(region).unwrap()) };
    std::mem::forget(rx);
    // SAFETY: the consumer will never run again.
    unsafe { ring::abandon(region, Side::Consumer).unwrap() };
    assert_eq!(tx.try_send(1, b"x"), Err(SendError::Closed));
}

#[test]
fn creating_and_dropping_many_rings_frees_their_regions() {
    // Run under Miri, a leaked region fails the test run; natively this checks that the
    // last end to let go frees the region, in either order.
    for i in 0..if cfg!(miri) { 50 } else { 100_000 } {
        let (tx, rx) = ring(1024).unwrap();
        if i % 2 == 0 {
            drop(tx);
            drop(rx);
        } else {
            drop(rx);
            drop(tx);
        }
    }
}

#[test]
fn bad_capacities_are_refused_with_a_clear_error() {
    for cap in [0, 63, 100, 3000, u32::MAX] {
        let e = ring(cap).unwrap_err();
        assert!(e.to_string().contains("power of two"), "{e}");
    }
}

#[test]
fn lazy_release_shows_room_in_batches_and_when_empty() {
    // 8 KiB: an eighth of the ring is 64 frames, so the frame count decides. A first frame, read
    // at once, moves the consumer to 3600 so that the ring then ends exactly at its end and a
    // frame never needs a wrap marker: room is free bytes, nothing else.
    let (mut tx, mut rx) = pywebworker::ring::ring(8192).unwrap();
    tx.try_send(1, &[0; 3592]).unwrap();
    rx.peek_detached().unwrap();
    assert!(rx.release_peeked());
    for i in 0..40u8 {
        tx.try_send(1, &[i]).unwrap();
    }
    tx.try_send(1, &[0; 3944]).unwrap();
    assert!(tx.has_room_or_done(3592), "3600 bytes are free");
    for i in 0..31u8 {
        let (p, len, _) = rx.peek_detached().unwrap();
        // SAFETY: the peeked payload is `len` readable bytes until released.
        assert_eq!(unsafe { std::slice::from_raw_parts(p.as_ptr(), len as usize) }, [i]);
        assert!(rx.release_peeked_lazily());
    }
    assert!(!tx.has_room_or_done(3608), "31 lazy releases are not shown yet");
    rx.peek_detached().unwrap();
    rx.release_peeked_lazily();
    assert!(tx.has_room_or_done(4088), "the 32nd shows all of them");
    while rx.peek_detached().is_ok() {
        rx.release_peeked_lazily();
    }
    tx.try_send(1, &[0; 4088]).unwrap();
    assert!(tx.has_room_or_done(4088), "finding the ring empty shows the rest");
}

#[test]
fn room_for_a_frame_counts_its_wrap_marker() {
    // A frame that does not fit before the end of the region needs the bytes up to the end too:
    // free bytes alone would say "room" where reserve says "full".
    let (mut tx, mut rx) = pywebworker::ring::ring(1024).unwrap();
    tx.try_send(1, &[0; 248]).unwrap(); // 256 bytes
    tx.try_send(1, &[0; 504]).unwrap(); // 512 bytes: the tail is 256 bytes before the end
    rx.peek_detached().unwrap();
    assert!(rx.release_peeked()); // 512 bytes free in all, 256 of them before the end
    assert!(!tx.has_room_or_done(296), "304 bytes are free, but not in one piece");
    assert!(tx.reserve(296).is_err());
    assert!(tx.has_room_or_done(248), "256 bytes fit before the end");
    assert!(tx.has_room_or_done(5000), "a frame over the largest is an error, not a wait");
}
