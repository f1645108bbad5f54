use std::fmt;

/// Why an end could not be attached to a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachError {
    /// The region does not start with a ring header (wrong address, or overwritten).
    NotARing,
    /// The capacity is not a power of two between 64 bytes and 1 GiB.
    BadCapacity(u32),
}

/// Why a message could not be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The ring has no room now (non-blocking calls only). Nothing was sent; try again later.
    Full,
    /// The consumer closed its end (or was terminated). Nothing more can be sent.
    Closed,
    /// The time limit passed before the message was sent. Nothing of it will be delivered.
    Timeout,
    /// The payload is larger than one frame can carry ([`crate::ring::max_frame_payload`]);
    /// only the in-place API has this limit, [`crate::Producer::send`] fragments.
    TooLarge,
    /// This thread may not block (the browser's main thread): use a non-blocking call.
    WouldBlock,
    /// The consumer's position in shared memory is out of range. The ring is unusable.
    Corrupt,
}

/// Why no message was received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvError {
    /// Nothing to read now (non-blocking calls only).
    Empty,
    /// The producer closed its end and every message it sent has been read.
    Closed,
    /// The time limit passed with no complete message. A partly received one is kept.
    Timeout,
    /// This thread may not block (the browser's main thread): use a non-blocking call.
    WouldBlock,
    /// A position, length or flag in shared memory is out of range. The ring is unusable.
    Corrupt,
}

impl fmt::Display for AttachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotARing => {
                f.write_str("no ring header at this address (wrong address, or the header was overwritten)")
            }
            Self::BadCapacity(c) => write!(f, "ring capacity {c} must be a power of two between 64 bytes and 1 GiB"),
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "the ring is full; nothing was sent, try again once the consumer reads",
            Self::Closed => "the receiving end is closed; nothing more can be sent on this ring",
            Self::Timeout => "timed out waiting for room in the ring; the message was not delivered",
            Self::TooLarge => "payload larger than one frame; use send(), which splits large messages",
            Self::WouldBlock => "blocking send is not allowed on the browser's main thread; use try_send",
            Self::Corrupt => {
                "the ring's shared memory is corrupt (consumer position out of range); the ring is unusable"
            }
        })
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "no message is waiting",
            Self::Closed => "the sending end is closed and every message was read",
            Self::Timeout => "timed out waiting for a message",
            Self::WouldBlock => {
                "blocking receive is not allowed on the browser's main thread; use try_recv or an async receive"
            }
            Self::Corrupt => {
                "the ring's shared memory is corrupt (position, length or flags out of range); the ring is unusable"
            }
        })
    }
}

impl std::error::Error for AttachError {}
impl std::error::Error for SendError {}
impl std::error::Error for RecvError {}
