//! One test per corrupted field of the shared region: the reading side reports `Corrupt` (or
//! refuses to attach), stays failed, and never reads out of bounds, panics or hangs.
mod common;

use common::{within, MS};
use pywebworker::ring::{self, AttachError, HEADER_SIZE};
use pywebworker::{Consumer, Producer, RecvError, SendError};
use std::ptr::NonNull;

/// Byte offsets in the header; each field is on its own cache lines (`Padded`).
const LINE: usize = std::mem::align_of::<pywebworker::Padded<u8>>();
const MAGIC: usize = 0;
const CAPACITY: usize = 4;
const TAIL: usize = LINE;
const HEAD: usize = 2 * LINE;
const CAP: u32 = 256;

struct Region(NonNull<u8>);

impl Region {
    fn new() -> Self {
        Self(ring::alloc(CAP).unwrap())
    }
    fn poke(&self, offset: usize, value: u32) {
        // SAFETY: inside the region; u32-aligned; no other thread runs.
        unsafe { self.0.as_ptr().add(offset).cast::<u32>().write_volatile(value) }
    }
    fn peek(&self, offset: usize) -> u32 {
        // SAFETY: as above.
        unsafe { self.0.as_ptr().add(offset).cast::<u32>().read_volatile() }
    }
    fn ends(&self) -> (Producer, Consumer) {
        // SAFETY: a live region, each end attached once per test.
        unsafe { (Producer::attach(self.0).unwrap(), Consumer::attach(self.0).unwrap()) }
    }
}

/// The consumer reports `Corrupt` now, again on the next call, and from a timed recv at once.
fn assert_consumer_corrupt(rx: &mut Consumer) {
    let mut out = Vec::new();
    assert_eq!(rx.try_recv(&mut out), Err(RecvError::Corrupt));
    assert_eq!(rx.try_recv(&mut out), Err(RecvError::Corrupt), "corruption is sticky");
    assert_eq!(rx.recv(&mut out, Some(5_000 * MS)), Err(RecvError::Corrupt), "no wait, no timeout");
    assert!(out.is_empty());
}

#[test]
fn a_wrong_magic_number_is_not_attached() {
    let r = Region::new();
    r.poke(MAGIC, 0xdead_beef);
    // SAFETY: the region is live; attach must only read the header.
    assert_eq!(unsafe { Consumer::attach(r.0) }.unwrap_err(), AttachError::NotARing);
    // SAFETY: as above.
    assert_eq!(unsafe { Producer::attach(r.0) }.unwrap_err(), AttachError::NotARing);
    r.poke(MAGIC, ring::MAGIC);
    drop(r.ends());
}

#[test]
fn a_capacity_that_is_not_a_power_of_two_is_not_attached() {
    let r = Region::new();
    for bad in [0, 100, 32, 1 << 31] {
        r.poke(CAPACITY, bad);
        // SAFETY: as above.
        assert_eq!(unsafe { Consumer::attach(r.0) }.unwrap_err(), AttachError::BadCapacity(bad));
    }
    r.poke(CAPACITY, CAP);
    drop(r.ends());
}

#[test]
fn a_tail_more_than_a_capacity_ahead_is_corrupt() {
    let r = Region::new();
    let (_tx, mut rx) = r.ends();
    r.poke(TAIL, CAP + 8);
    assert_consumer_corrupt(&mut rx);
}

#[test]
fn a_tail_behind_the_head_is_corrupt() {
    let r = Region::new();
    let (_tx, mut rx) = r.ends();
    r.poke(TAIL, 0u32.wrapping_sub(8));
    assert_consumer_corrupt(&mut rx);
}

#[test]
fn a_tail_that_is_not_frame_aligned_is_corrupt() {
    let r = Region::new();
    let (_tx, mut rx) = r.ends();
    r.poke(TAIL, 12);
    assert_consumer_corrupt(&mut rx);
}

#[test]
fn a_head_ahead_of_the_tail_fails_the_producer_with_corrupt() {
    let r = Region::new();
    let (mut tx, _rx) = r.ends();
    // Ahead of any tail this producer reaches before it reloads the head.
    r.poke(HEAD, 64 * CAP);
    // The producer reloads the head only when its cached view runs out of room.
    let mut result = Ok(());
    for _ in 0..64 {
        result = tx.try_send(1, &[0; 24]);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(SendError::Corrupt));
    assert_eq!(tx.try_send(1, b"x"), Err(SendError::Corrupt), "corruption is sticky");
    assert_eq!(within(10, move || tx.send(1, b"x", None)), Err(SendError::Corrupt));
}

#[test]
fn a_misaligned_head_fails_the_producer_with_corrupt() {
    let r = Region::new();
    let (mut tx, _rx) = r.ends();
    while tx.try_send(1, &[0; 24]).is_ok() {}
    r.poke(HEAD, 4);
    assert_eq!(tx.try_send(1, &[0; 24]), Err(SendError::Corrupt));
}

/// Publishes one frame whose header is then overwritten with `len` and `meta`.
fn corrupt_frame(len: u32, meta: u32) -> (Region, Producer, Consumer) {
    let r = Region::new();
    let (mut tx, rx) = r.ends();
    tx.try_send(1, &[7; 16]).unwrap();
    r.poke(HEADER_SIZE, len);
    r.poke(HEADER_SIZE + 4, meta);
    (r, tx, rx)
}

#[test]
fn a_frame_length_over_the_largest_payload_is_corrupt() {
    let (_r, _tx, mut rx) = corrupt_frame(ring::max_frame_payload(CAP) + 8, 1);
    assert_consumer_corrupt(&mut rx);
}

#[test]
fn a_frame_length_beyond_the_published_bytes_is_corrupt() {
    let (_r, _tx, mut rx) = corrupt_frame(64, 1);
    assert_consumer_corrupt(&mut rx);
}

#[test]
fn a_huge_frame_length_is_corrupt_not_an_out_of_bounds_read() {
    let (_r, _tx, mut rx) = corrupt_frame(u32::MAX, 1);
    assert_consumer_corrupt(&mut rx);
}

#[test]
fn unknown_flag_bits_are_corrupt() {
    let (_r, _tx, mut rx) = corrupt_frame(16, 1 | 1 << 24);
    assert_consumer_corrupt(&mut rx);
}

#[test]
fn an_abort_frame_that_carries_bytes_or_more_parts_is_corrupt() {
    let (_r, _tx, mut rx) = corrupt_frame(16, 1 | 1 << 18);
    assert_consumer_corrupt(&mut rx);
    let (_r, _tx, mut rx) = corrupt_frame(0, 1 | 1 << 18 | 1 << 16);
    assert_consumer_corrupt(&mut rx);
}

#[test]
fn a_wrap_marker_at_offset_zero_is_corrupt() {
    let (_r, _tx, mut rx) = corrupt_frame(0, 1 << 17);
    assert_consumer_corrupt(&mut rx);
}

#[test]
fn a_wrap_marker_past_the_published_bytes_is_corrupt() {
    let r = Region::new();
    let (mut tx, mut rx) = r.ends();
    let mut out = Vec::new();
    // Move both positions to offset 64, then publish one small frame there and mark it a wrap.
    tx.try_send(1, &[0; 56]).unwrap();
    rx.try_recv(&mut out).unwrap();
    tx.try_send(1, &[0; 8]).unwrap();
    r.poke(HEADER_SIZE + 64 + 4, 1 << 17);
    assert_consumer_corrupt(&mut rx);
}

#[test]
fn a_corrupt_payload_is_delivered_as_bytes_not_an_error() {
    // Payload bytes are the user's: the ring validates structure, not content.
    let (r, _tx, mut rx) = corrupt_frame(16, 1);
    r.poke(HEADER_SIZE + 8, 0xffff_ffff);
    let mut out = Vec::new();
    assert_eq!(rx.try_recv(&mut out), Ok(1));
    assert_eq!(&out[..4], &[0xff; 4]);
    assert_eq!(r.peek(HEADER_SIZE), 16);
}
