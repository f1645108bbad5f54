use crate::ring::{self, Consumer, Producer, RecvError, SendError, Side};
use crate::wait;
use std::ptr::NonNull;
use wasm_bindgen::prelude::*;

/// Status codes returned by the non-throwing calls.
pub mod status {
    /// Nothing to read, or no room to write, right now.
    pub const EMPTY_OR_FULL: i32 = -1;
    /// The other end closed (for a consumer: and everything was read).
    pub const CLOSED: i32 = -2;
    /// Shared memory is corrupt; the ring is unusable.
    pub const CORRUPT: i32 = -3;
    /// The frame is larger than one frame can carry.
    pub const TOO_LARGE: i32 = -4;
    /// The time limit passed.
    pub const TIMEOUT: i32 = -5;
    /// This thread may not block (the page's main thread).
    pub const WOULD_BLOCK: i32 = -6;
}

pub(crate) fn send_status(e: SendError) -> i32 {
    match e {
        SendError::Full => status::EMPTY_OR_FULL,
        SendError::Closed => status::CLOSED,
        SendError::Corrupt => status::CORRUPT,
        SendError::TooLarge => status::TOO_LARGE,
        SendError::Timeout => status::TIMEOUT,
        SendError::WouldBlock => status::WOULD_BLOCK,
    }
}

pub(crate) fn recv_status(e: RecvError) -> i32 {
    match e {
        RecvError::Empty => status::EMPTY_OR_FULL,
        RecvError::Closed => status::CLOSED,
        RecvError::Corrupt => status::CORRUPT,
        RecvError::Timeout => status::TIMEOUT,
        RecvError::WouldBlock => status::WOULD_BLOCK,
    }
}

pub(crate) fn timeout_ns(timeout_ms: Option<f64>) -> Option<u64> {
    timeout_ms.filter(|t| t.is_finite() && *t >= 0.0).map(|t| (t * 1e6) as u64)
}

fn region(addr: u32) -> Result<NonNull<u8>, JsError> {
    NonNull::new(addr as usize as *mut u8)
        .ok_or_else(|| JsError::new("ring address is null: pass the value returned by ringNew()"))
}

/// Allocates a ring of `capacity` bytes (a power of two, 64 B to 1 GiB) in shared memory and
/// returns its address, to be sent to the threads that attach its two ends.
#[wasm_bindgen(js_name = ringNew)]
pub fn ring_new(capacity: u32) -> Result<u32, JsError> {
    let region = ring::alloc(capacity).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(region.as_ptr() as usize as u32)
}

/// The largest payload of one frame in a ring of `capacity` bytes.
#[wasm_bindgen(js_name = maxFramePayload)]
pub fn max_frame_payload(capacity: u32) -> u32 {
    ring::max_frame_payload(capacity)
}

/// Closes `side` ("producer" or "consumer") of the ring at `addr` on behalf of a worker that was
/// terminated: its peer wakes and sees the ring closed.
#[wasm_bindgen(js_name = ringAbandon)]
pub fn ring_abandon(addr: u32, side: &str) -> Result<(), JsError> {
    let side = match side {
        "producer" => Side::Producer,
        "consumer" => Side::Consumer,
        other => return Err(JsError::new(&format!("side must be \"producer\" or \"consumer\", not {other:?}"))),
    };
    // SAFETY: the address came from ringNew (JS passes it through); the caller terminated the
    // worker that held this end, so it never runs again.
    unsafe { ring::abandon(region(addr)?, side) }.map_err(|e| JsError::new(&e.to_string()))
}

/// Declares that this thread may block in `Atomics.wait` (worker bootstraps call it). The page's
/// main thread never does, and blocking calls there fail with `WOULD_BLOCK` instead.
#[wasm_bindgen(js_name = setCanBlock)]
pub fn set_can_block(allowed: bool) {
    wait::set_can_block(allowed);
}

/// The writing end of a ring, attached in this thread.
#[wasm_bindgen]
#[repr(align(128))]
pub struct RingProducer {
    inner: Producer,
}

#[wasm_bindgen]
impl RingProducer {
    /// Attaches the writing end of the ring at `addr` (from `ringNew`). Attach it once.
    #[wasm_bindgen(constructor)]
    pub fn new(addr: u32) -> Result<RingProducer, JsError> {
        // SAFETY: the address comes from ringNew; the JS shim attaches each end once.
        let inner = unsafe { Producer::attach(region(addr)?) }.map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self { inner })
    }

    /// Reserves a frame of `len` bytes; returns the payload's address in memory (fill it, then
    /// `commit`), or a negative status code.
    pub fn reserve(&mut self, len: u32) -> i32 {
        match self.inner.reserve_detached(len) {
            Ok(p) => p.as_ptr() as usize as i32,
            Err(e) => send_status(e),
        }
    }

    /// Publishes the reserved frame with `tag`. Call `flush` after a burst to wake the consumer.
    pub fn commit(&mut self, tag: u16) -> bool {
        self.inner.commit_reserved(tag)
    }

    /// Wakes the consumer if it sleeps.
    pub fn flush(&self) {
        self.inner.flush();
    }

    /// Copies `bytes` into one frame and publishes it; 0 or a negative status code.
    #[wasm_bindgen(js_name = trySend)]
    pub fn try_send(&mut self, tag: u16, bytes: &[u8]) -> i32 {
        self.inner.try_send(tag, bytes).map_or_else(send_status, |()| 0)
    }

    /// Sends a message of any size, waiting for room (workers only); 0 or a negative status code.
    pub fn send(&mut self, tag: u16, bytes: &[u8], timeout_ms: Option<f64>) -> i32 {
        self.inner.send(tag, bytes, timeout_ns(timeout_ms)).map_or_else(send_status, |()| 0)
    }

    /// Closes this end; the consumer reads what was sent, then sees the ring closed.
    pub fn close(&mut self) {
        self.inner.close();
    }

    /// Bytes free now (may be stale).
    #[wasm_bindgen(getter, js_name = freeBytes)]
    pub fn free_bytes(&self) -> u32 {
        self.inner.free_bytes()
    }
}

/// The reading end of a ring, attached in this thread.
#[wasm_bindgen]
#[repr(align(128))]
pub struct RingConsumer {
    inner: Consumer,
    buf: Vec<u8>,
    len: u32,
    meta: u32,
    tag: u16,
}

#[wasm_bindgen]
impl RingConsumer {
    /// Attaches the reading end of the ring at `addr` (from `ringNew`). Attach it once.
    #[wasm_bindgen(constructor)]
    pub fn new(addr: u32) -> Result<RingConsumer, JsError> {
        // SAFETY: the address comes from ringNew; the JS shim attaches each end once.
        let inner = unsafe { Consumer::attach(region(addr)?) }.map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self { inner, buf: Vec::new(), len: 0, meta: 0, tag: 0 })
    }

    /// Peeks the next frame in place: returns its payload's address (read `peekLen` bytes there,
    /// then `release`), or a negative status code.
    pub fn peek(&mut self) -> i32 {
        match self.inner.peek_detached() {
            Ok((p, len, meta)) => {
                self.len = len;
                self.meta = meta;
                p.as_ptr() as usize as i32
            }
            Err(e) => recv_status(e),
        }
    }

    /// Length of the frame returned by the last `peek`.
    #[wasm_bindgen(getter, js_name = peekLen)]
    pub fn peek_len(&self) -> u32 {
        self.len
    }

    /// Tag and flags of the frame returned by the last `peek` (tag in bits 0-15, more in 16).
    #[wasm_bindgen(getter, js_name = peekMeta)]
    pub fn peek_meta(&self) -> u32 {
        self.meta
    }

    /// Hands the peeked frame back to the producer.
    pub fn release(&mut self) -> bool {
        self.inner.release_peeked()
    }

    /// Receives one whole message without waiting: its length (read it with `message()`, its
    /// tag with `tag`), or a negative status code.
    #[wasm_bindgen(js_name = tryRecv)]
    pub fn try_recv(&mut self) -> i32 {
        let r = self.inner.try_recv(&mut self.buf);
        self.finish(r)
    }

    /// Receives one whole message, sleeping until one arrives (workers only).
    pub fn recv(&mut self, timeout_ms: Option<f64>) -> i32 {
        let r = self.inner.recv(&mut self.buf, timeout_ns(timeout_ms));
        self.finish(r)
    }

    fn finish(&mut self, r: Result<u16, RecvError>) -> i32 {
        match r {
            Ok(tag) => {
                self.tag = tag;
                self.buf.len() as i32
            }
            Err(e) => recv_status(e),
        }
    }

    /// The last message received by `tryRecv`/`recv`, copied into a new `Uint8Array`.
    pub fn message(&self) -> Vec<u8> {
        self.buf.clone()
    }

    /// Address of the last message received (valid until the next receive).
    #[wasm_bindgen(getter, js_name = messagePtr)]
    pub fn message_ptr(&self) -> u32 {
        self.buf.as_ptr() as usize as u32
    }

    /// Tag of the last message received.
    #[wasm_bindgen(getter)]
    pub fn tag(&self) -> u16 {
        self.tag
    }

    /// Sleeps until a frame may be waiting or the producer closed (workers only), without
    /// consuming anything: 0, or TIMEOUT / WOULD_BLOCK. Pair it with `peek` for in-place reads.
    pub fn wait(&self, timeout_ms: Option<f64>) -> i32 {
        let deadline = timeout_ns(timeout_ms).map(|t| crate::wait::now_ns().saturating_add(t));
        self.inner.wait_for_data(deadline).map_or_else(recv_status, |()| 0)
    }

    /// Whether a frame may be waiting (one atomic load).
    #[wasm_bindgen(js_name = hasData)]
    pub fn has_data(&self) -> bool {
        self.inner.has_data()
    }

    /// Begins an asynchronous sleep on the page: returns the value to pass to
    /// `Atomics.waitAsync(new Int32Array(memory.buffer), sleepWord / 4, value)`, or `undefined`
    /// when a frame is already waiting or the producer closed (then do not sleep). Call
    /// `endSleep` after the wait, whatever its outcome.
    #[wasm_bindgen(js_name = beginSleep)]
    pub fn begin_sleep(&self) -> Option<i32> {
        let seen = self.inner.doorbell().announce();
        if self.inner.has_data() || self.inner.is_producer_closed() {
            self.inner.doorbell().retire();
            return None;
        }
        Some(seen as i32)
    }

    /// Ends a sleep begun with `beginSleep`.
    #[wasm_bindgen(js_name = endSleep)]
    pub fn end_sleep(&self) {
        self.inner.doorbell().retire();
    }

    /// Address of the 32-bit word to sleep on.
    #[wasm_bindgen(getter, js_name = sleepWord)]
    pub fn sleep_word(&self) -> u32 {
        self.inner.doorbell().seq_word().as_ptr() as usize as u32
    }

    /// Closes this end; the producer's next send fails with CLOSED.
    pub fn close(&mut self) {
        self.inner.close();
    }
}

/// The native benchmark's loops (benches/ring.rs), for the browser benchmark: the same Rust code
/// moving the same messages through a ring between two workers, without JavaScript per message.
#[cfg(feature = "bench-loops")]
mod bench_loops {
    use super::*;

    /// Sends `count` messages of `size` bytes (tag 1) into the ring at `addr`, waiting for room,
    /// then closes it.
    #[wasm_bindgen(js_name = benchRingProduce)]
    pub fn bench_ring_produce(addr: u32, size: u32, count: u32) -> Result<(), JsError> {
        // SAFETY: the address comes from ringNew; the benchmark attaches each end once.
        let mut tx = unsafe { Producer::attach(region(addr)?) }.map_err(|e| JsError::new(&e.to_string()))?;
        let msg = vec![7u8; size as usize];
        for _ in 0..count {
            tx.send(1, &msg, None).map_err(|e| JsError::new(&format!("send: {e:?}")))?;
        }
        tx.close();
        Ok(())
    }

    /// Receives `count` messages of `size` bytes from the ring at `addr` (copied out, as the
    /// native benchmark does); returns the seconds from the first message to the last.
    #[wasm_bindgen(js_name = benchRingConsume)]
    pub fn bench_ring_consume(addr: u32, size: u32, count: u32) -> Result<f64, JsError> {
        // SAFETY: as above.
        let mut rx = unsafe { Consumer::attach(region(addr)?) }.map_err(|e| JsError::new(&e.to_string()))?;
        let mut out = Vec::with_capacity(size as usize);
        let mut t0 = 0;
        for i in 0..count {
            rx.recv(&mut out, None).map_err(|e| JsError::new(&format!("recv: {e:?}")))?;
            if i == 0 {
                t0 = crate::wait::now_ns();
            }
            if out.len() != size as usize {
                return Err(JsError::new(&format!("message {i} has {} bytes, not {size}", out.len())));
            }
        }
        Ok((crate::wait::now_ns() - t0) as f64 / 1e9)
    }
}
