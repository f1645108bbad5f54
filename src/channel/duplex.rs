use crate::primitive::{AtomicU32, Ordering};
use crate::ring::{self, AttachError, Consumer, Producer, RecvError, SendError};
use crate::wait::{can_block, Doorbell, Platform, Wait};
use crate::primitive::Padded;
use std::sync::Arc;

/// What both ends of a duplex channel share besides the rings.
#[derive(Debug)]
struct Shared {
    /// `handled[i]`: messages end `i` has finished handling (wrapping).
    handled: [Padded<AtomicU32>; 2],
    /// `settled[i]`: end `i` sleeps here while it waits for the peer's acknowledgements.
    settled: [Padded<Doorbell>; 2],
}

/// One end of a duplex channel: a ring out, a ring in, and acknowledgement counters.
#[derive(Debug)]
pub struct Endpoint {
    tx: Producer,
    rx: Consumer,
    shared: Arc<Shared>,
    side: usize,
    /// Messages sent by this end (wrapping).
    sent: u32,
}

/// A duplex channel whose rings hold `capacity` bytes each.
///
/// ```
/// let (mut page, mut worker) = pywebworker::channel::duplex(1024).unwrap();
/// page.send(0, b"ping", None).unwrap();
/// let mut out = Vec::new();
/// worker.recv(&mut out, None).unwrap();
/// worker.ack(1);
/// assert_eq!(page.unsettled(), 0);
/// ```
///
/// # Errors
/// [`AttachError::BadCapacity`] for a capacity that is not a power of two in range.
pub fn duplex(capacity: u32) -> Result<(Endpoint, Endpoint), AttachError> {
    let (a_tx, b_rx) = ring::ring(capacity)?;
    let (b_tx, a_rx) = ring::ring(capacity)?;
    let shared = Arc::new(Shared {
        handled: [Padded::new(AtomicU32::new(0)), Padded::new(AtomicU32::new(0))],
        settled: [Padded::new(Doorbell::new()), Padded::new(Doorbell::new())],
    });
    let a = Endpoint { tx: a_tx, rx: a_rx, shared: Arc::clone(&shared), side: 0, sent: 0 };
    let b = Endpoint { tx: b_tx, rx: b_rx, shared, side: 1, sent: 0 };
    Ok((a, b))
}

impl Endpoint {
    /// Sends a message (see [`Producer::send`]) and counts it as awaiting acknowledgement.
    ///
    /// # Errors
    /// As [`Producer::send`].
    pub fn send(&mut self, tag: u16, payload: &[u8], timeout_ns: Option<u64>) -> Result<(), SendError> {
        self.tx.send(tag, payload, timeout_ns)?;
        self.sent = self.sent.wrapping_add(1);
        Ok(())
    }

    /// Receives a message (see [`Consumer::recv`]). Call [`ack`](Self::ack) once it is handled.
    ///
    /// # Errors
    /// As [`Consumer::recv`].
    pub fn recv(&mut self, out: &mut Vec<u8>, timeout_ns: Option<u64>) -> Result<u16, RecvError> {
        self.rx.recv(out, timeout_ns)
    }

    /// Receives without waiting (see [`Consumer::try_recv`]).
    ///
    /// # Errors
    /// As [`Consumer::try_recv`].
    pub fn try_recv(&mut self, out: &mut Vec<u8>) -> Result<u16, RecvError> {
        self.rx.try_recv(out)
    }

    /// Acknowledges that `n` more received messages have been handled, waking a peer that settles.
    pub fn ack(&self, n: u32) {
        self.shared.handled[self.side].fetch_add(n, Ordering::Release);
        self.shared.settled[1 - self.side].ring();
    }

    /// Messages this end sent that the peer has not acknowledged yet.
    pub fn unsettled(&self) -> u32 {
        self.sent.wrapping_sub(self.shared.handled[1 - self.side].load(Ordering::Acquire))
    }

    /// Waits until the peer has acknowledged everything sent so far. Returns whether it did
    /// before `timeout_ns` passed.
    ///
    /// # Errors
    /// `WouldBlock` when something is unsettled and this thread may not block.
    pub fn settle(&self, timeout_ns: Option<u64>) -> Result<bool, RecvError> {
        if self.unsettled() == 0 {
            return Ok(true);
        }
        if !can_block() {
            return Err(RecvError::WouldBlock);
        }
        let deadline = timeout_ns.map(|t| Platform::now_ns().saturating_add(t));
        Ok(self.shared.settled[self.side].wait_until(deadline, || self.unsettled() == 0))
    }

    /// The outgoing ring, for writing in place. Count what is sent through it with
    /// [`count_sent`](Self::count_sent).
    pub fn producer(&mut self) -> &mut Producer {
        &mut self.tx
    }

    /// The incoming ring, for reading in place.
    pub fn consumer(&mut self) -> &mut Consumer {
        &mut self.rx
    }

    /// Counts `n` messages sent through [`producer`](Self::producer) as awaiting acknowledgement.
    pub fn count_sent(&mut self, n: u32) {
        self.sent = self.sent.wrapping_add(n);
    }

    /// The doorbell this end sleeps on while it settles (for waiting asynchronously on the page:
    /// announce, check [`unsettled`](Self::unsettled), wait on its sequence word, retire).
    pub fn settle_bell(&self) -> &Doorbell {
        &self.shared.settled[self.side]
    }

    /// Closes both directions from this end.
    pub fn close(&mut self) {
        self.tx.close();
        self.rx.close();
    }
}
