use super::{duplex, Endpoint};
use crate::primitive::Padded;
use crate::ring::AttachError;
use std::cell::UnsafeCell;

/// A duplex channel in one allocation whose two ends are used from different threads and
/// addressed by pointer (the JavaScript shim passes addresses to workers).
///
/// The thread that creates a link owns it: it frees it with [`Link::free`] once the thread using
/// the other end can no longer run (a terminated worker's end is simply dropped with the link).
#[derive(Debug)]
pub struct Link {
    /// Padded: the page writes its port on every message and the worker its own.
    ports: [Padded<UnsafeCell<Port>>; 2],
}

// SAFETY: each port is used by one thread at a time (the contract of `Link::port`); everything
// the two ports share is atomic.
unsafe impl Sync for Link {}

/// One end of a [`Link`]: the duplex endpoint, and the length and tag/flags word of the frame
/// peeked last, as validated by the consumer.
///
/// `peeked` comes first (`repr(C)`), so JavaScript reads it at the port's own address instead of
/// reading the frame header again from the ring, where the peer could have changed it since it
/// was checked. `validated` keeps the same two words for the release, which confirms that the
/// values JavaScript used are the ones checked (a peer that can write the shared memory could
/// change `peeked` between the peek and JavaScript's read). A port allocates nothing after [`Link::new`]: a worker that is terminated at any
/// instruction cannot leave the shared allocator locked or a buffer half grown.
#[derive(Debug)]
#[repr(C)]
pub struct Port {
    /// `[length, tag and flags]` of the frame returned by the last peek.
    pub peeked: [u32; 2],
    /// The same two words, compared at the release with the ones the reader used.
    pub validated: [u32; 2],
    /// The rings and acknowledgement counters of this end.
    pub endpoint: Endpoint,
}

impl Link {
    /// Allocates a link whose rings hold `capacity` bytes each.
    ///
    /// # Errors
    /// [`AttachError::BadCapacity`] for a capacity that is not a power of two in range.
    pub fn new(capacity: u32) -> Result<Box<Link>, AttachError> {
        let (a, b) = duplex(capacity)?;
        let port = |endpoint| Padded::new(UnsafeCell::new(Port { peeked: [0; 2], validated: [0; 2], endpoint }));
        Ok(Box::new(Link { ports: [port(a), port(b)] }))
    }

    /// The address of end `side` (0 or 1; anything else is end 1).
    pub fn port_ptr(&self, side: u32) -> *mut Port {
        self.ports[usize::from(side != 0)].get()
    }

    /// Frees a link made by [`Link::new`] and leaked with [`Box::into_raw`].
    ///
    /// # Safety
    /// `link` came from `Box::into_raw(Link::new(..))`, is freed once, and no thread uses either
    /// of its ports any more.
    pub unsafe fn free(link: *mut Link) {
        // SAFETY: forwarded from the caller.
        drop(unsafe { Box::from_raw(link) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_talk_and_settle() {
        let link = Box::into_raw(Link::new(256).unwrap());
        // SAFETY: each port is used by this thread only, one at a time.
        let (a, b) = unsafe { (&mut *(*link).port_ptr(0), &mut *(*link).port_ptr(1)) };
        a.endpoint.send(3, b"hi", None).unwrap();
        assert_eq!(a.endpoint.unsettled(), 1);
        let mut message = Vec::new();
        assert_eq!(b.endpoint.recv(&mut message, None).unwrap(), 3);
        assert_eq!(message, b"hi");
        b.endpoint.ack(1);
        assert_eq!(a.endpoint.unsettled(), 0);
        // SAFETY: made by Link::new, freed once, nobody uses the ports any more.
        unsafe { Link::free(link) };
    }
}
