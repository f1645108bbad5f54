use super::{
    check_frame, frame_size, AttachError, RecvError, RingRef, Side, FLAG_ABORT, FLAG_MORE, FLAG_WRAP, FRAME_ALIGN,
    FRAME_HEADER, LAZY_RELEASE_FRAMES, PRODUCER_CLOSED, TAG_MASK,
};
use crate::primitive::Ordering;
use crate::wait::{Doorbell, Platform, Wait};
use std::ptr::NonNull;

/// The reading end of a ring.
///
/// Frames are read in place ([`peek`](Self::peek) -> [`Frame::release`]) or copied and
/// reassembled into whole messages ([`try_recv`](Self::try_recv), [`recv`](Self::recv)).
#[derive(Debug)]
pub struct Consumer {
    ring: RingRef,
    /// Our position, past any wrap marker already skipped; published on release.
    head: u32,
    /// The producer's position as last read; may be stale (behind), never ahead.
    tail_cache: u32,
    /// The doorbell we sleep on.
    bell: NonNull<Doorbell>,
    /// Fragments of a message not complete yet, and their tag.
    partial: Vec<u8>,
    partial_tag: Option<u16>,
    /// Length of a frame returned by `peek_detached` and not released yet.
    peeked: Option<u32>,
    /// Frames released lazily whose room the producer has not been shown yet.
    unpublished: u32,
    /// Bytes of those frames.
    unpublished_bytes: u32,
    corrupt: bool,
}

// SAFETY: a Consumer is the only reader of its ring; moving it to another thread is fine.
unsafe impl Send for Consumer {}

impl Consumer {
    /// Attaches the reading end to the ring at `region`.
    ///
    /// # Safety
    /// `region` must be a live ring region with no other consumer attached; it stays allocated
    /// until this end is dropped.
    ///
    /// # Errors
    /// [`AttachError`] when the region holds no valid ring header.
    pub unsafe fn attach(region: NonNull<u8>) -> Result<Self, AttachError> {
        // SAFETY: forwarded from the caller.
        let ring = unsafe { RingRef::attach(region)? };
        let head = ring.header().head.load(Ordering::Relaxed);
        let bell = NonNull::from(&*ring.header().data_bell);
        Ok(Self {
            ring,
            head,
            tail_cache: head,
            bell,
            partial: Vec::new(),
            partial_tag: None,
            peeked: None,
            unpublished: 0,
            unpublished_bytes: 0,
            corrupt: false,
        })
    }

    /// The ring's data capacity in bytes.
    pub fn capacity(&self) -> u32 {
        self.ring.capacity
    }

    /// The address of the ring's region (its header), for diagnostics.
    pub fn region(&self) -> NonNull<u8> {
        self.ring.header.cast()
    }

    /// Whether a frame may be waiting. A `false` can be stale the moment it is returned; a
    /// `true` stays true until this end reads. Costs one atomic load.
    pub fn has_data(&self) -> bool {
        self.ring.header().tail.load(Ordering::Acquire) != self.head
    }

    /// Whether the producer closed its end (frames it sent before may still be waiting).
    pub fn is_producer_closed(&self) -> bool {
        self.ring.closed_bits() & PRODUCER_CLOSED != 0
    }

    /// The next frame, read in place. It stays in the ring until [`Frame::release`].
    ///
    /// # Errors
    /// `Empty`, `Closed` (the producer closed and everything was read), `Corrupt`.
    pub fn peek(&mut self) -> Result<Frame<'_>, RecvError> {
        let (len, meta) = self.next_frame()?;
        Ok(Frame { consumer: self, len, meta })
    }

    /// Whether fragments of a message were read by [`try_recv`](Self::try_recv) and its last one
    /// was not yet: the next frames belong to it, so read them with `try_recv`, not `peek`.
    pub fn has_partial(&self) -> bool {
        self.partial_tag.is_some()
    }

    /// Like [`peek`](Self::peek) without borrowing the consumer, for callers across an FFI
    /// boundary: returns the payload's address, length and the frame's tag and flags (`MORE` is
    /// bit 16, `ABORT` bit 18). Read the payload, then call [`release_peeked`](Self::release_peeked).
    ///
    /// # Errors
    /// As [`peek`](Self::peek).
    pub fn peek_detached(&mut self) -> Result<(NonNull<u8>, u32, u32), RecvError> {
        let (len, meta) = self.next_frame()?;
        let payload = payload_at(&self.ring, self.head, len).as_ptr().cast_mut();
        self.peeked = Some(len);
        // SAFETY: a slice's pointer is never null.
        Ok((unsafe { NonNull::new_unchecked(payload) }, len, meta))
    }

    /// Releases the frame returned by [`peek_detached`](Self::peek_detached). Returns `false`
    /// when no frame is peeked.
    pub fn release_peeked(&mut self) -> bool {
        match self.peeked.take() {
            Some(len) => {
                self.advance(frame_size(len));
                true
            }
            None => false,
        }
    }

    /// Releases the frame returned by [`peek_detached`](Self::peek_detached) like
    /// [`release_peeked`](Self::release_peeked), but shows the producer the room only every
    /// [`LAZY_RELEASE_FRAMES`] frames or an eighth of the ring, and whenever the ring is found
    /// empty (so nothing waits on room that is already free). For consumers that read many small
    /// frames in a row.
    pub fn release_peeked_lazily(&mut self) -> bool {
        match self.peeked.take() {
            Some(len) => {
                self.head = self.head.wrapping_add(frame_size(len));
                self.unpublished += 1;
                self.unpublished_bytes += frame_size(len);
                if self.unpublished >= LAZY_RELEASE_FRAMES || self.unpublished_bytes >= self.ring.capacity / 8 {
                    self.publish();
                }
                true
            }
            None => false,
        }
    }

    /// Shows the producer the room freed by lazy releases.
    pub fn publish(&mut self) {
        if self.unpublished > 0 {
            self.unpublished = 0;
            self.unpublished_bytes = 0;
            self.ring.header().head.store(self.head, Ordering::Release);
            self.ring.header().space_bell.ring();
        }
    }

    /// Receives one whole message into `out` (replacing its contents) and returns its tag,
    /// without waiting.
    ///
    /// # Errors
    /// `Empty` (no complete message yet; fragments read so far are kept), `Closed`, `Corrupt`.
    pub fn try_recv(&mut self, out: &mut Vec<u8>) -> Result<u16, RecvError> {
        loop {
            let (len, meta) = self.next_frame()?;
            let ring = self.ring;
            let payload = payload_at(&ring, self.head, len);
            if meta & FLAG_ABORT != 0 {
                self.partial.clear();
                self.partial_tag = None;
                self.advance(frame_size(len));
                continue;
            }
            let tag = (meta & TAG_MASK) as u16;
            if meta & FLAG_MORE == 0 && self.partial_tag.is_none() {
                out.clear();
                out.extend_from_slice(payload);
                self.advance(frame_size(len));
                return Ok(tag);
            }
            self.partial.extend_from_slice(payload);
            self.partial_tag = Some(tag);
            self.advance(frame_size(len));
            if meta & FLAG_MORE == 0 {
                self.partial_tag = None;
                std::mem::swap(out, &mut self.partial);
                self.partial.clear();
                return Ok(tag);
            }
        }
    }

    /// Receives one whole message into `out`, sleeping while the ring is empty, until
    /// `timeout_ns` passes (`None`: no limit).
    ///
    /// # Errors
    /// `Closed`, `Timeout` (fragments read so far are kept for the next call), `WouldBlock`
    /// (nothing is waiting and this thread may not block), `Corrupt`.
    pub fn recv(&mut self, out: &mut Vec<u8>, timeout_ns: Option<u64>) -> Result<u16, RecvError> {
        let deadline = timeout_ns.map(|t| Platform::now_ns().saturating_add(t));
        loop {
            match self.try_recv(out) {
                Err(RecvError::Empty) => self.wait_for_data(deadline)?,
                other => return other,
            }
        }
    }

    /// Sleeps until a frame is published, the producer closes, or the deadline passes.
    ///
    /// # Errors
    /// `Timeout`, `WouldBlock` on a thread that may not block.
    pub fn wait_for_data(&self, deadline_ns: Option<u64>) -> Result<(), RecvError> {
        if !Platform::can_block() {
            return Err(RecvError::WouldBlock);
        }
        let ring = self.ring;
        let head = self.head;
        let ready = || ring.header().tail.load(Ordering::Acquire) != head || ring.closed_bits() & PRODUCER_CLOSED != 0;
        // SAFETY: the doorbell is in the region, which lives while we do.
        if unsafe { self.bell.as_ref() }.wait_until(deadline_ns, ready) {
            Ok(())
        } else {
            Err(RecvError::Timeout)
        }
    }

    /// The doorbell this consumer sleeps on (for waiting asynchronously on the page).
    pub fn doorbell(&self) -> &Doorbell {
        // SAFETY: the doorbell is in the region, which lives while we do.
        unsafe { self.bell.as_ref() }
    }

    /// Closes this end: the producer's next send fails with `Closed`.
    pub fn close(&mut self) {
        self.ring.header().state.fetch_or(super::CONSUMER_CLOSED, Ordering::AcqRel);
        self.ring.header().space_bell.ring();
    }

    /// The next frame's `(length, tag and flags)`, skipping wrap markers; validates everything.
    fn next_frame(&mut self) -> Result<(u32, u32), RecvError> {
        self.peeked = None;
        if self.corrupt {
            return Err(RecvError::Corrupt);
        }
        loop {
            if self.tail_cache == self.head && !self.reload_tail()? {
                self.publish();
                return Err(if self.is_producer_closed() && !self.reload_tail()? {
                    RecvError::Closed
                } else {
                    RecvError::Empty
                });
            }
            let offset = self.head & self.ring.mask();
            let avail = self.tail_cache.wrapping_sub(self.head);
            let p = self.ring.at(offset).cast::<u32>();
            // SAFETY: `avail` is a non-zero multiple of 8 (checked by `reload_tail`) and the offset
            // is 8-aligned, so the 8-byte header is published and inside the data area.
            let (len, meta) = unsafe { (p.read(), p.add(1).read()) };
            let Some((len, meta)) = check_frame(&self.ring, offset, avail, len, meta) else {
                return Err(self.poison());
            };
            if meta & FLAG_WRAP == 0 {
                return Ok((len, meta));
            }
            self.head = self.head.wrapping_add(self.ring.capacity - offset);
        }
    }

    /// Acquire the producer's position. Returns whether there is anything to read.
    fn reload_tail(&mut self) -> Result<bool, RecvError> {
        let tail = self.ring.header().tail.load(Ordering::Acquire);
        let avail = tail.wrapping_sub(self.head);
        if avail > self.ring.capacity || avail % FRAME_ALIGN != 0 {
            return Err(self.poison());
        }
        self.tail_cache = tail;
        Ok(avail != 0)
    }

    fn poison(&mut self) -> RecvError {
        self.corrupt = true;
        RecvError::Corrupt
    }

    fn payload(&self, len: u32) -> &[u8] {
        payload_at(&self.ring, self.head, len)
    }

    /// Releases `size` bytes at our position to the producer.
    fn advance(&mut self, size: u32) {
        debug_assert!(size <= self.tail_cache.wrapping_sub(self.head));
        self.head = self.head.wrapping_add(size);
        self.unpublished = 0;
        self.unpublished_bytes = 0;
        // Release: we are done reading these bytes before the producer may overwrite them.
        self.ring.header().head.store(self.head, Ordering::Release);
        self.ring.header().space_bell.ring();
    }
}

/// The payload of the frame at position `head`, `len` bytes long, which `check_frame` validated.
fn payload_at(ring: &RingRef, head: u32, len: u32) -> &[u8] {
    let offset = head & ring.mask();
    // SAFETY: `check_frame` verified that the frame lies inside the data area and is published;
    // the producer does not overwrite it until we advance past it.
    unsafe { std::slice::from_raw_parts(ring.at(offset).add(FRAME_HEADER as usize), len as usize) }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.ring.let_go(Side::Consumer);
    }
}

/// One frame, read in place by [`Consumer::peek`].
#[derive(Debug)]
pub struct Frame<'a> {
    consumer: &'a mut Consumer,
    len: u32,
    meta: u32,
}

impl Frame<'_> {
    /// The frame's tag.
    pub fn tag(&self) -> u16 {
        (self.meta & TAG_MASK) as u16
    }

    /// Whether more frames of the same message follow.
    pub fn has_more(&self) -> bool {
        self.meta & FLAG_MORE != 0
    }

    /// Whether this frame cancels a partly sent message.
    pub fn is_abort(&self) -> bool {
        self.meta & FLAG_ABORT != 0
    }

    /// The payload, in place in the ring.
    pub fn payload(&self) -> &[u8] {
        self.consumer.payload(self.len)
    }

    /// Hands the frame's bytes back to the producer.
    pub fn release(self) {
        self.consumer.advance(frame_size(self.len));
    }
}
