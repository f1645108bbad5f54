use crate::ring::{self, AttachError, Consumer, Producer, RecvError};
use crate::wait::{can_block, Doorbell, Platform, Wait};
use crate::primitive::Padded;
use std::ptr::NonNull;
use std::sync::Arc;

/// One consumer reading from many producers, one ring per producer, sleeping on one doorbell.
///
/// ```
/// use pywebworker::channel::Inbox;
/// let mut inbox = Inbox::new();
/// let mut a = inbox.add_producer(1024).unwrap();
/// let mut b = inbox.add_producer(1024).unwrap();
/// b.try_send(2, b"from b").unwrap();
/// a.try_send(1, b"from a").unwrap();
/// let mut out = Vec::new();
/// let mut seen = vec![inbox.try_recv(&mut out).unwrap(), inbox.try_recv(&mut out).unwrap()];
/// seen.sort();
/// assert_eq!(seen, vec![(0, 1), (1, 2)]);
/// ```
#[derive(Debug, Default)]
pub struct Inbox {
    bell: Arc<Padded<Doorbell>>,
    /// Indexed by producer number; `None` once that producer closed and was drained.
    rings: Vec<Option<Consumer>>,
    /// Where the next round-robin scan starts, so no producer starves the others.
    next: usize,
}

impl Inbox {
    /// An inbox with no producers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The doorbell every producer of this inbox must ring.
    pub fn doorbell(&self) -> Arc<Padded<Doorbell>> {
        Arc::clone(&self.bell)
    }

    /// Creates a ring of `capacity` bytes for a new producer; returns the producer, whose
    /// messages [`try_recv`](Self::try_recv) reports with its number (0, 1, ... in order).
    ///
    /// # Errors
    /// [`AttachError::BadCapacity`] for a capacity that is not a power of two in range.
    pub fn add_producer(&mut self, capacity: u32) -> Result<Producer, AttachError> {
        let region = ring::alloc(capacity)?;
        // SAFETY: freshly allocated and initialised; each end attached once.
        let (mut producer, consumer) = unsafe { (Producer::attach(region)?, Consumer::attach(region)?) };
        producer.use_doorbell(self.doorbell());
        self.push(consumer);
        Ok(producer)
    }

    /// Adds the reading end of the ring at `region`, whose producer (elsewhere) rings
    /// [`doorbell`](Self::doorbell). Returns the producer's number.
    ///
    /// # Safety
    /// As [`Consumer::attach`].
    ///
    /// # Errors
    /// [`AttachError`] when the region holds no valid ring.
    pub unsafe fn add_ring(&mut self, region: NonNull<u8>) -> Result<usize, AttachError> {
        // SAFETY: forwarded from the caller.
        let consumer = unsafe { Consumer::attach(region)? };
        Ok(self.push(consumer))
    }

    fn push(&mut self, mut consumer: Consumer) -> usize {
        consumer.use_doorbell(self.doorbell());
        self.rings.push(Some(consumer));
        self.rings.len() - 1
    }

    /// Receives one whole message from any producer, without waiting. Returns the producer's
    /// number and the message's tag.
    ///
    /// # Errors
    /// `Empty`; `Closed` once every producer closed and was drained; `Corrupt` if a ring is
    /// corrupt (that ring is dropped from the inbox; the others keep working).
    pub fn try_recv(&mut self, out: &mut Vec<u8>) -> Result<(usize, u16), RecvError> {
        let n = self.rings.len();
        let mut open = 0;
        for i in (0..n).map(|k| (self.next + k) % n) {
            let Some(consumer) = self.rings[i].as_mut() else { continue };
            match consumer.try_recv(out) {
                Ok(tag) => {
                    self.next = (i + 1) % n;
                    return Ok((i, tag));
                }
                Err(RecvError::Empty) => open += 1,
                Err(RecvError::Closed) => self.rings[i] = None,
                Err(e) => {
                    self.rings[i] = None;
                    return Err(e);
                }
            }
        }
        Err(if open == 0 { RecvError::Closed } else { RecvError::Empty })
    }

    /// Receives one whole message from any producer, sleeping while all rings are empty.
    ///
    /// # Errors
    /// As [`try_recv`](Self::try_recv), plus `Timeout` and `WouldBlock` (this thread may not block).
    pub fn recv(&mut self, out: &mut Vec<u8>, timeout_ns: Option<u64>) -> Result<(usize, u16), RecvError> {
        let deadline = timeout_ns.map(|t| Platform::now_ns().saturating_add(t));
        loop {
            match self.try_recv(out) {
                Err(RecvError::Empty) => {}
                other => return other,
            }
            if !can_block() {
                return Err(RecvError::WouldBlock);
            }
            let rings = &self.rings;
            let ready = || rings.iter().flatten().any(|c| c.has_data() || c.is_producer_closed());
            if !self.bell.wait_until(deadline, ready) {
                return Err(RecvError::Timeout);
            }
        }
    }
}
