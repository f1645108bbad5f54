//! A single-producer/single-consumer ring of variable-length frames in a byte region that
//! neither side owns alone: shared wasm memory between the page and a worker, or a heap block
//! between two native threads.
//!
//! # Layout
//!
//! ```text
//! region = Header (positions, state, doorbells, each on its own cache line) | data (capacity bytes)
//! frame  = [payload length: u32][tag and flags: u32][payload, padded to 8 bytes]
//! ```
//!
//! - Positions (`head`, `tail`) are byte counters that only grow, with wrapping `u32`
//!   arithmetic; the capacity is a power of two, so `position & (capacity - 1)` is the offset.
//!   Each side owns one position and caches the other's, reloading it only when it must.
//! - A frame never straddles the end of the data area: the producer writes a *wrap marker* and
//!   starts at offset 0, so every payload is one contiguous slice, readable in place.
//! - A message larger than one frame can hold ([`max_frame_payload`]) is split into frames
//!   flagged `MORE` and reassembled by [`Consumer::recv`]: any size goes through a fixed ring.
//! - The other side is not trusted. A position, length or flag read from the region that is out
//!   of range makes the reading side fail with `Corrupt` (sticky); it never reads out of bounds,
//!   panics or hangs.
//! - Either side can close; a sleeping peer is woken and sees `Closed` once the frames already
//!   published are consumed. The region is freed by whichever side lets go last.
//!
//! The memory orderings: a side Acquires the other side's position and Releases its own, so a
//! frame's bytes are visible before the position that publishes them. Sleeping and waking go
//! through a [`Doorbell`](crate::wait::Doorbell).

mod consumer;
mod error;
mod producer;

pub use consumer::{Consumer, Frame};
pub use error::{AttachError, RecvError, SendError};
pub use producer::{Producer, WriteGrant};

use crate::primitive::{AtomicU32, Ordering};
use crate::wait::Doorbell;
use crate::primitive::Padded;
use std::alloc::Layout;
use std::ptr::NonNull;

/// Identifies an initialised ring header ("PWW1").
pub const MAGIC: u32 = 0x3157_5750;
/// Bytes in a frame header: payload length, then tag and flags.
pub const FRAME_HEADER: u32 = 8;
/// Frames start on 8-byte boundaries.
pub const FRAME_ALIGN: u32 = 8;
/// Smallest capacity of the data area, in bytes.
pub const MIN_CAPACITY: u32 = 64;
/// Frames a lazy release keeps from the producer before it publishes the consumer's position.
pub const LAZY_RELEASE_FRAMES: u32 = 32;
/// Largest capacity of the data area, in bytes.
pub const MAX_CAPACITY: u32 = 1 << 30;

/// Flag: another frame of the same message follows.
pub(crate) const FLAG_MORE: u32 = 1 << 16;
/// Flag: a wrap marker; the next frame starts at offset 0.
pub(crate) const FLAG_WRAP: u32 = 1 << 17;
/// Flag: the producer gave up on a partly sent message; drop what was reassembled.
pub(crate) const FLAG_ABORT: u32 = 1 << 18;
pub(crate) const TAG_MASK: u32 = 0xffff;
const KNOWN_BITS: u32 = TAG_MASK | FLAG_MORE | FLAG_WRAP | FLAG_ABORT;

/// State bits: a side closed (no more frames / no more reading), a side let go of the region.
pub(crate) const PRODUCER_CLOSED: u32 = 1;
pub(crate) const CONSUMER_CLOSED: u32 = 2;
const PRODUCER_GONE: u32 = 4;
const CONSUMER_GONE: u32 = 8;

/// The start of a ring region. Both sides map it at the same address.
#[repr(C)]
#[derive(Debug)]
pub struct Header {
    magic: Padded<[AtomicU32; 2]>,
    /// The producer's position: every byte before it is published.
    tail: Padded<AtomicU32>,
    /// The consumer's position: every byte before it may be overwritten.
    head: Padded<AtomicU32>,
    /// `PRODUCER_CLOSED | CONSUMER_CLOSED | PRODUCER_GONE | CONSUMER_GONE`.
    state: Padded<AtomicU32>,
    /// The consumer sleeps here while the ring is empty (unless it was given a shared one).
    data_bell: Padded<Doorbell>,
    /// The producer sleeps here while the ring is full.
    space_bell: Padded<Doorbell>,
}

/// Bytes before the data area; a multiple of [`FRAME_ALIGN`].
pub const HEADER_SIZE: usize = std::mem::size_of::<Header>();
const REGION_ALIGN: usize = std::mem::align_of::<Header>();

/// Which end of a ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The writing end.
    Producer,
    /// The reading end.
    Consumer,
}

/// Size in bytes of the region holding a ring of `capacity` data bytes.
pub fn region_size(capacity: u32) -> usize {
    HEADER_SIZE + capacity as usize
}

/// The largest payload one frame can carry in a ring of `capacity` bytes. Larger messages are
/// fragmented. Half the ring, so a frame always fits an empty ring even after a wrap marker.
pub fn max_frame_payload(capacity: u32) -> u32 {
    capacity / 2 - FRAME_HEADER
}

/// Bytes a frame with `len` payload bytes occupies in the ring.
#[inline]
pub(crate) fn frame_size(len: u32) -> u32 {
    FRAME_HEADER + len.next_multiple_of(FRAME_ALIGN)
}

fn check_capacity(capacity: u32) -> Result<(), AttachError> {
    if capacity.is_power_of_two() && (MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity) {
        Ok(())
    } else {
        Err(AttachError::BadCapacity(capacity))
    }
}

fn layout(capacity: u32) -> Layout {
    Layout::from_size_align(region_size(capacity), REGION_ALIGN).expect("capacity is checked")
}

/// A ring's region and what both ends cache about it. Copied into each end at attach time, so
/// later corruption of the header's capacity cannot change where an end reads or writes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RingRef {
    pub(crate) header: NonNull<Header>,
    data: NonNull<u8>,
    capacity: u32,
}

// SAFETY: the region is shared memory designed for one producer thread and one consumer thread;
// every shared field is atomic and payload bytes are handed over through Release/Acquire.
unsafe impl Send for RingRef {}

impl RingRef {
    /// # Safety
    /// `region` must point to a live region initialised by [`init`], valid for its whole size.
    unsafe fn attach(region: NonNull<u8>) -> Result<Self, AttachError> {
        let header = region.cast::<Header>();
        // SAFETY: the caller promises the header is live; reading atomics is always sound.
        let h = unsafe { header.as_ref() };
        if h.magic[0].load(Ordering::Acquire) != MAGIC {
            return Err(AttachError::NotARing);
        }
        let capacity = h.magic[1].load(Ordering::Relaxed);
        check_capacity(capacity)?;
        // SAFETY: the data area follows the header inside the same region.
        let data = unsafe { region.add(HEADER_SIZE) };
        Ok(Self { header, data, capacity })
    }

    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the region stays allocated while either end holds a RingRef (see `let_go`).
        unsafe { self.header.as_ref() }
    }

    #[inline]
    pub(crate) fn mask(&self) -> u32 {
        self.capacity - 1
    }

    /// Pointer to the data byte at `offset` (already masked).
    #[inline]
    pub(crate) fn at(&self, offset: u32) -> *mut u8 {
        debug_assert!(offset < self.capacity);
        // SAFETY: offset < capacity keeps the pointer inside the data area.
        unsafe { self.data.as_ptr().add(offset as usize) }
    }

    pub(crate) fn closed_bits(&self) -> u32 {
        self.header().state.load(Ordering::Acquire)
    }

    /// Marks `side` closed and gone; frees the region if the other side is gone too.
    /// Returns whether it freed it.
    fn let_go(&self, side: Side) -> bool {
        let (closed, gone, other_gone) = match side {
            Side::Producer => (PRODUCER_CLOSED, PRODUCER_GONE, CONSUMER_GONE),
            Side::Consumer => (CONSUMER_CLOSED, CONSUMER_GONE, PRODUCER_GONE),
        };
        let h = self.header();
        h.state.fetch_or(closed, Ordering::AcqRel);
        wake_both(h);
        // Once our "gone" bit is set the peer may free the region: touch nothing after it.
        let before = h.state.fetch_or(gone, Ordering::AcqRel);
        if before & other_gone != 0 && before & gone == 0 {
            // SAFETY: both sides are gone and this call was the last to let go, so nobody else
            // can touch the region; it was allocated by `alloc` with this layout.
            unsafe { free(self.header.cast(), self.capacity) };
            true
        } else {
            false
        }
    }
}

fn wake_both(h: &Header) {
    h.data_bell.ring();
    h.space_bell.ring();
}

/// Allocates and initialises a ring region of `capacity` data bytes.
///
/// # Errors
/// [`AttachError::BadCapacity`] unless `capacity` is a power of two in
/// [`MIN_CAPACITY`]`..=`[`MAX_CAPACITY`].
pub fn alloc(capacity: u32) -> Result<NonNull<u8>, AttachError> {
    check_capacity(capacity)?;
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { std::alloc::alloc(layout(capacity)) };
    let Some(region) = NonNull::new(ptr) else { std::alloc::handle_alloc_error(layout(capacity)) };
    // SAFETY: freshly allocated, properly sized and aligned.
    unsafe { init(region, capacity, 0) };
    Ok(region)
}

/// Writes a fresh header for a ring of `capacity` bytes whose positions start at `start`.
/// A `start` near `u32::MAX` makes the position counters wrap early (tests use it).
///
/// # Safety
/// `region` must be valid for writes of [`region_size`]`(capacity)` bytes, aligned like
/// [`Header`], and not in use by anyone.
pub unsafe fn init(region: NonNull<u8>, capacity: u32, start: u32) {
    debug_assert!(check_capacity(capacity).is_ok());
    debug_assert!(start % FRAME_ALIGN == 0);
    let header = Header {
        magic: Padded::new([AtomicU32::new(MAGIC), AtomicU32::new(capacity)]),
        tail: Padded::new(AtomicU32::new(start)),
        head: Padded::new(AtomicU32::new(start)),
        state: Padded::new(AtomicU32::new(0)),
        data_bell: Padded::new(Doorbell::new()),
        space_bell: Padded::new(Doorbell::new()),
    };
    // SAFETY: the caller promises the region is valid, aligned and unused.
    unsafe { region.cast::<Header>().as_ptr().write(header) };
}

/// # Safety
/// Nobody may use the region afterwards; it must come from [`alloc`] with this capacity.
unsafe fn free(region: NonNull<u8>, capacity: u32) {
    // SAFETY: the header was written by `init`; drop it in place (loom's atomics need it).
    unsafe { std::ptr::drop_in_place(region.cast::<Header>().as_ptr()) };
    // SAFETY: allocated by `alloc` with the same layout.
    unsafe { std::alloc::dealloc(region.as_ptr(), layout(capacity)) };
}

/// A new ring of `capacity` bytes, as its two ends. The region is freed when both are dropped.
///
/// ```
/// let (mut tx, mut rx) = pywebworker::ring::ring(1024).unwrap();
/// tx.try_send(7, b"hello").unwrap();
/// let mut out = Vec::new();
/// assert_eq!(rx.try_recv(&mut out), Ok(7));
/// assert_eq!(out, b"hello");
/// ```
///
/// # Errors
/// [`AttachError::BadCapacity`] for a capacity that is not a power of two in range.
pub fn ring(capacity: u32) -> Result<(Producer, Consumer), AttachError> {
    ring_starting_at(capacity, 0)
}

/// Like [`ring`], with both positions starting at `start` (a multiple of 8), so that tests reach
/// the wrap-around of the position counters quickly.
///
/// # Errors
/// As [`ring`].
#[doc(hidden)]
pub fn ring_starting_at(capacity: u32, start: u32) -> Result<(Producer, Consumer), AttachError> {
    let region = alloc(capacity)?;
    // SAFETY: just allocated; re-initialise with the requested start position.
    unsafe { init(region, capacity, start) };
    // SAFETY: initialised above, attached once per side.
    unsafe { Ok((Producer::attach(region)?, Consumer::attach(region)?)) }
}

/// Closes `side` of the ring at `region` on behalf of an end that can no longer do it itself
/// (a worker that was terminated): its peer is woken and sees `Closed`, and the region is freed
/// once the peer lets go too. Calling it for an end that already let go does nothing.
///
/// # Safety
/// `region` must be a live ring region, and the end on `side` must never run again.
pub unsafe fn abandon(region: NonNull<u8>, side: Side) -> Result<(), AttachError> {
    // SAFETY: forwarded from the caller.
    let ring = unsafe { RingRef::attach(region)? };
    ring.let_go(side);
    Ok(())
}

/// Validates a frame header read at `offset` with `avail` published bytes from there on.
/// Returns `(payload length, tag and flags)`, or `None` when anything is out of range.
#[inline]
pub(crate) fn check_frame(ring: &RingRef, offset: u32, avail: u32, len: u32, meta: u32) -> Option<(u32, u32)> {
    if meta & !KNOWN_BITS != 0 {
        return None;
    }
    let to_end = ring.capacity - offset;
    if meta & FLAG_WRAP != 0 {
        // A wrap marker at offset 0 would skip a whole ring.
        return (offset != 0 && to_end <= avail).then_some((0, meta));
    }
    if len > max_frame_payload(ring.capacity) {
        return None;
    }
    // An abort frame gives up the message in parts before it: it carries nothing itself.
    if meta & FLAG_ABORT != 0 && (len != 0 || meta & FLAG_MORE != 0) {
        return None;
    }
    let size = frame_size(len);
    (size <= avail && size <= to_end).then_some((len, meta))
}
