use super::{
    frame_size, max_frame_payload, AttachError, RingRef, SendError, Side, CONSUMER_CLOSED, FLAG_ABORT, FLAG_MORE,
    FLAG_WRAP, FRAME_ALIGN, FRAME_HEADER, TAG_MASK,
};
use crate::primitive::Ordering;
use crate::wait::{Doorbell, Platform, Wait};
use std::ptr::NonNull;

/// The writing end of a ring.
///
/// Frames are written in place ([`reserve`](Self::reserve) -> [`WriteGrant::commit`]) or copied
/// ([`try_send`](Self::try_send), [`send`](Self::send)). A commit makes the frame visible to a
/// consumer that is polling; [`flush`](Self::flush) also wakes a sleeping one, so a burst of
/// frames costs one wake-up.
#[derive(Debug)]
pub struct Producer {
    ring: RingRef,
    /// Our position; the published tail equals it after every commit.
    tail: u32,
    /// The consumer's position as last read; may be stale (behind), never ahead.
    head_cache: u32,
    /// The doorbell the consumer sleeps on.
    bell: NonNull<Doorbell>,
    /// A fragmented message was given up half-way: an abort frame must go first.
    abort_pending: bool,
    /// Length of a frame reserved by `reserve_detached` and not committed yet.
    reserved: Option<u32>,
    /// Fragments of a message were committed with `commit_part` and its last one was not:
    /// dropping this end now must abort the message.
    in_message: bool,
    corrupt: bool,
}

// SAFETY: a Producer is the only writer of its ring; moving it to another thread is fine.
unsafe impl Send for Producer {}

impl Producer {
    /// Attaches the writing end to the ring at `region`.
    ///
    /// # Safety
    /// `region` must be a live ring region (from [`super::alloc`], shared or not) with no other
    /// producer attached; it stays allocated until this end is dropped.
    ///
    /// # Errors
    /// [`AttachError`] when the region holds no valid ring header.
    pub unsafe fn attach(region: NonNull<u8>) -> Result<Self, AttachError> {
        // SAFETY: forwarded from the caller.
        let ring = unsafe { RingRef::attach(region)? };
        let tail = ring.header().tail.load(Ordering::Relaxed);
        let bell = NonNull::from(&*ring.header().data_bell);
        Ok(Self {
            ring,
            tail,
            head_cache: tail,
            bell,
            abort_pending: false,
            reserved: None,
            in_message: false,
            corrupt: false,
        })
    }

    /// The ring's data capacity in bytes.
    pub fn capacity(&self) -> u32 {
        self.ring.capacity
    }

    /// Bytes that can be written without waiting. May be stale: the consumer frees more at any time.
    pub fn free_bytes(&self) -> u32 {
        self.ring.capacity - self.tail.wrapping_sub(self.head_cache)
    }

    /// Whether a frame of `len` payload bytes can be reserved now (reads the consumer's position
    /// afresh if needed), or the ring cannot be written any more (closed or corrupt, or `len` is
    /// over the largest frame): then waiting would not help. "Can be reserved" counts the wrap
    /// marker a frame that does not fit before the end of the region needs, exactly as
    /// [`reserve`](Self::reserve) does, so a caller that waits until this is true and then
    /// reserves never finds the ring full.
    pub fn has_room_or_done(&mut self, len: u32) -> bool {
        if len > max_frame_payload(self.ring.capacity) {
            return true;
        }
        let needed = self.bytes_needed(len);
        if self.free_bytes() >= needed {
            return true;
        }
        self.reload_head().is_err() || self.free_bytes() >= needed || self.is_closed()
    }

    /// Bytes a frame of `len` payload bytes takes at the current tail, with the wrap marker
    /// before it when it does not fit before the end of the region.
    fn bytes_needed(&self, len: u32) -> u32 {
        let size = frame_size(len);
        let to_end = self.ring.capacity - (self.tail & self.ring.mask());
        if size > to_end { to_end + size } else { size }
    }

    /// The doorbell the consumer rings when it frees room (for waiting asynchronously on the
    /// page: announce, check [`has_room_or_done`](Self::has_room_or_done), wait on its sequence
    /// word, retire).
    pub fn space_bell(&self) -> &Doorbell {
        &self.ring.header().space_bell
    }

    /// Whether the consumer closed its end.
    pub fn is_closed(&self) -> bool {
        self.ring.closed_bits() & CONSUMER_CLOSED != 0
    }

    /// Reserves room for a frame of `len` payload bytes, to be filled in place and committed.
    ///
    /// ```
    /// let (mut tx, mut rx) = pywebworker::ring::ring(256).unwrap();
    /// let mut grant = tx.reserve(3).unwrap();
    /// grant.payload().copy_from_slice(b"abc");
    /// grant.commit(1);
    /// tx.flush();
    /// assert_eq!(rx.peek().unwrap().payload(), b"abc");
    /// ```
    ///
    /// # Errors
    /// `Full` (no room now), `Closed`, `TooLarge` (more than [`max_frame_payload`]), `Corrupt`.
    pub fn reserve(&mut self, len: u32) -> Result<WriteGrant<'_>, SendError> {
        self.check_usable()?;
        if self.abort_pending {
            self.write_abort()?;
        }
        self.reserve_frame(len).map(|payload| WriteGrant { producer: self, payload, len })
    }

    /// Reserves room like [`reserve`](Self::reserve) without borrowing the producer, for callers
    /// across an FFI boundary: fill the returned payload, then [`commit_reserved`](Self::commit_reserved).
    /// A later reserve replaces an uncommitted one.
    ///
    /// # Errors
    /// As [`reserve`](Self::reserve).
    pub fn reserve_detached(&mut self, len: u32) -> Result<NonNull<u8>, SendError> {
        let grant = self.reserve(len)?;
        let p = grant.payload;
        self.reserved = Some(len);
        Ok(p)
    }

    /// Publishes the frame reserved by [`reserve_detached`](Self::reserve_detached) with `tag`.
    /// Returns `false` (and publishes nothing) when nothing is reserved.
    pub fn commit_reserved(&mut self, tag: u16) -> bool {
        match self.reserved {
            Some(len) => self.commit_part(tag, len, false),
            None => false,
        }
    }

    /// Publishes the first `len` bytes of the frame reserved by
    /// [`reserve_detached`](Self::reserve_detached) (at most the reserved length) as one part of
    /// a message: `more` says that further parts follow. A message written in parts and given up
    /// half-way (this end dropped) is aborted, so the consumer never sees it. Returns `false` (and
    /// publishes nothing) when nothing is reserved or `len` is longer than the reservation.
    pub fn commit_part(&mut self, tag: u16, len: u32, more: bool) -> bool {
        match self.reserved {
            Some(reserved) if len <= reserved => {
                self.reserved = None;
                self.commit_frame(len, u32::from(tag) | if more { FLAG_MORE } else { 0 });
                self.in_message = more;
                true
            }
            _ => false,
        }
    }

    /// Copies `payload` into one frame and publishes it, without waiting and without fragmenting.
    ///
    /// # Errors
    /// As [`reserve`](Self::reserve).
    pub fn try_send(&mut self, tag: u16, payload: &[u8]) -> Result<(), SendError> {
        let len = u32::try_from(payload.len()).map_err(|_| SendError::TooLarge)?;
        let mut grant = self.reserve(len)?;
        grant.payload().copy_from_slice(payload);
        grant.commit(tag);
        self.flush();
        Ok(())
    }

    /// Sends a message of any size, splitting it into frames as needed and waiting for room
    /// while the ring is full, until `timeout_ns` passes (`None`: no limit).
    ///
    /// # Errors
    /// `Closed`, `Timeout` (nothing of the message will be delivered), `WouldBlock` (the ring is
    /// full and this thread may not block), `Corrupt`.
    pub fn send(&mut self, tag: u16, payload: &[u8], timeout_ns: Option<u64>) -> Result<(), SendError> {
        let deadline = timeout_ns.map(|t| Platform::now_ns().saturating_add(t));
        let max = max_frame_payload(self.ring.capacity) as usize;
        let (mut rest, mut first) = (payload, true);
        loop {
            let (chunk, tail) = rest.split_at(rest.len().min(max));
            let more = if tail.is_empty() { 0 } else { FLAG_MORE };
            if let Err(e) = self.send_frame(tag, chunk, more, deadline) {
                self.abort_pending |= !first;
                return Err(e);
            }
            if tail.is_empty() {
                return Ok(());
            }
            (rest, first) = (tail, false);
        }
    }

    /// Closes this end: the consumer reads what was sent, then gets `Closed`.
    pub fn close(&mut self) {
        self.ring.header().state.fetch_or(super::PRODUCER_CLOSED, Ordering::AcqRel);
        self.ring_bell();
    }

    /// Wakes the consumer if it sleeps. Call after a burst of commits.
    #[inline]
    pub fn flush(&self) {
        self.ring_bell();
    }

    fn ring_bell(&self) {
        // SAFETY: the doorbell is in the region, which lives while we do.
        unsafe { self.bell.as_ref() }.ring();
    }

    fn send_frame(&mut self, tag: u16, chunk: &[u8], flags: u32, deadline: Option<u64>) -> Result<(), SendError> {
        loop {
            match self.reserve(chunk.len() as u32) {
                Ok(mut grant) => {
                    grant.payload().copy_from_slice(chunk);
                    grant.commit_with_flags(tag, flags);
                    self.flush();
                    return Ok(());
                }
                Err(SendError::Full) => self.wait_for_room(frame_size(chunk.len() as u32) * 2, deadline)?,
                Err(e) => return Err(e),
            }
        }
    }

    /// Sleeps until `need` bytes are free, the consumer closes, or the deadline passes.
    fn wait_for_room(&mut self, need: u32, deadline: Option<u64>) -> Result<(), SendError> {
        if !Platform::can_block() {
            return Err(SendError::WouldBlock);
        }
        let ring = self.ring;
        let tail = self.tail;
        let need = need.min(ring.capacity);
        let ready = || {
            let used = tail.wrapping_sub(ring.header().head.load(Ordering::Acquire));
            used > ring.capacity || ring.capacity - used >= need || ring.closed_bits() & CONSUMER_CLOSED != 0
        };
        if ring.header().space_bell.wait_until(deadline, ready) {
            Ok(())
        } else {
            Err(SendError::Timeout)
        }
    }

    fn check_usable(&self) -> Result<(), SendError> {
        if self.corrupt {
            Err(SendError::Corrupt)
        } else if self.is_closed() {
            Err(SendError::Closed)
        } else {
            Ok(())
        }
    }

    fn write_abort(&mut self) -> Result<(), SendError> {
        self.reserve_frame(0)?;
        self.commit_frame(0, FLAG_ABORT);
        self.abort_pending = false;
        Ok(())
    }

    /// Makes room for a frame (writing a wrap marker if needed); returns where its payload goes.
    fn reserve_frame(&mut self, len: u32) -> Result<NonNull<u8>, SendError> {
        self.reserved = None;
        if len > max_frame_payload(self.ring.capacity) {
            return Err(SendError::TooLarge);
        }
        let size = frame_size(len);
        let offset = self.tail & self.ring.mask();
        let to_end = self.ring.capacity - offset;
        let needed = self.bytes_needed(len);
        if self.free_bytes() < needed {
            self.reload_head()?;
            if self.free_bytes() < needed {
                return Err(SendError::Full);
            }
        }
        if size > to_end {
            self.write_header(offset, 0, FLAG_WRAP);
            self.tail = self.tail.wrapping_add(to_end);
        }
        let start = self.tail & self.ring.mask();
        debug_assert!(start + size <= self.ring.capacity);
        // SAFETY: the frame (header and payload) lies inside the data area, checked above.
        Ok(unsafe { NonNull::new_unchecked(self.ring.at(start).add(FRAME_HEADER as usize)) })
    }

    /// Acquire the consumer's position: the bytes before it are no longer read.
    fn reload_head(&mut self) -> Result<(), SendError> {
        let head = self.ring.header().head.load(Ordering::Acquire);
        let used = self.tail.wrapping_sub(head);
        if used > self.ring.capacity || head % FRAME_ALIGN != 0 {
            self.corrupt = true;
            return Err(SendError::Corrupt);
        }
        self.head_cache = head;
        Ok(())
    }

    fn write_header(&self, offset: u32, len: u32, meta: u32) {
        debug_assert!(offset % FRAME_ALIGN == 0 && offset + FRAME_HEADER <= self.ring.capacity);
        let p = self.ring.at(offset).cast::<u32>();
        // SAFETY: offset is 8-aligned and leaves room for the 8-byte header inside the data area,
        // which the consumer does not read until we publish the tail past it.
        unsafe {
            p.write(len);
            p.add(1).write(meta);
        }
    }

    /// Writes the header of the frame reserved at the current tail and publishes it.
    fn commit_frame(&mut self, len: u32, meta: u32) {
        let offset = self.tail & self.ring.mask();
        self.write_header(offset, len, meta);
        self.tail = self.tail.wrapping_add(frame_size(len));
        // Release: the frame's bytes are visible before the position that publishes them.
        self.ring.header().tail.store(self.tail, Ordering::Release);
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        if self.abort_pending || self.in_message {
            // Best effort: with no room left the consumer still sees `Closed`, never the torn message.
            let _ = self.write_abort();
        }
        self.ring_bell();
        self.ring.let_go(Side::Producer);
    }
}

/// Room for one frame's payload, reserved by [`Producer::reserve`]. Dropping it without
/// [`commit`](Self::commit) publishes nothing.
#[derive(Debug)]
pub struct WriteGrant<'a> {
    producer: &'a mut Producer,
    payload: NonNull<u8>,
    len: u32,
}

impl WriteGrant<'_> {
    /// The payload bytes to fill. Their previous content is unspecified.
    pub fn payload(&mut self) -> &mut [u8] {
        // SAFETY: `reserve_frame` checked that `len` bytes after the frame header are inside the
        // data area and not readable by the consumer until the commit.
        unsafe { std::slice::from_raw_parts_mut(self.payload.as_ptr(), self.len as usize) }
    }

    /// Address of the payload (for JavaScript, which fills it through a view of the memory).
    pub fn payload_ptr(&self) -> *mut u8 {
        self.payload.as_ptr()
    }

    /// Publishes the frame with `tag`. Call [`Producer::flush`] to wake a sleeping consumer.
    pub fn commit(self, tag: u16) {
        self.commit_with_flags(tag, 0);
    }

    fn commit_with_flags(self, tag: u16, flags: u32) {
        debug_assert!(flags & TAG_MASK == 0);
        self.producer.commit_frame(self.len, u32::from(tag) | flags);
    }
}
