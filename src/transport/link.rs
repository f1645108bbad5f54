//! Bindings over [`Link`]: one worker's duplex channel, addressed by pointer so that the page
//! and the worker each drive their own end with plain function calls (no per-thread objects that
//! a terminated worker would leak).

use super::shared::{recv_status, send_status, status, timeout_ns};
use crate::channel::{Link, Port};
use crate::wait;
use wasm_bindgen::prelude::*;

fn port<'a>(addr: u32) -> &'a mut Port {
    // SAFETY: the shim passes addresses from `linkPort` of a live link, and each end is driven by
    // one thread only (the page for end 0, the worker for end 1).
    unsafe { &mut *(addr as usize as *mut Port) }
}

/// Allocates a link whose two rings hold `capacity` bytes each; returns its address.
#[wasm_bindgen(js_name = linkNew)]
pub fn link_new(capacity: u32) -> Result<u32, JsError> {
    let link = Link::new(capacity).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(Box::into_raw(link) as usize as u32)
}

/// The address of end `side` of the link at `link` (0: the page's, 1: the worker's).
#[wasm_bindgen(js_name = linkPort)]
pub fn link_port(link: u32, side: u32) -> u32 {
    // SAFETY: `link` came from linkNew and is live.
    unsafe { &*(link as usize as *const Link) }.port_ptr(side) as usize as u32
}

/// Frees the link at `link`: call it once no thread can use either end any more (the worker
/// finished or is known to be terminated).
#[wasm_bindgen(js_name = linkFree)]
pub fn link_free(link: u32) {
    // SAFETY: the shim calls this once per link, after the worker's thread is gone.
    unsafe { Link::free(link as usize as *mut Link) };
}

/// Reserves `len` bytes for a frame; returns the payload's address or a negative status.
#[wasm_bindgen(js_name = portReserve)]
pub fn port_reserve(p: u32, len: u32) -> i32 {
    match port(p).endpoint.producer().reserve_detached(len) {
        Ok(ptr) => ptr.as_ptr() as usize as i32,
        Err(e) => send_status(e),
    }
}

/// Publishes the first `len` bytes of the reserved frame with `tag`; `more` when further parts
/// of the same message follow. A message's last part counts it as sent (for settling) and wakes
/// the peer if it sleeps.
#[wasm_bindgen(js_name = portCommit)]
pub fn port_commit(p: u32, tag: u16, len: u32, more: bool) -> bool {
    let port = port(p);
    let ok = port.endpoint.producer().commit_part(tag, len, more);
    if ok && !more {
        port.endpoint.count_sent(1);
        port.endpoint.producer().flush();
    }
    ok
}

/// Wakes the peer if it sleeps waiting for data.
#[wasm_bindgen(js_name = portFlush)]
pub fn port_flush(p: u32) {
    port(p).endpoint.producer().flush();
}

/// Begins an asynchronous wait for room: the value for `Atomics.waitAsync` on the word at
/// `portSpaceWord`, or `undefined` when a frame of `len` payload bytes can be reserved now (or
/// the ring is closed or corrupt, or `len` is over the largest frame: the next reserve reports
/// it). Pair with `portEndSpace`.
#[wasm_bindgen(js_name = portBeginSpace)]
pub fn port_begin_space(p: u32, len: u32) -> Option<i32> {
    let tx = port(p).endpoint.producer();
    let seen = tx.space_bell().announce();
    if tx.has_room_or_done(len) {
        tx.space_bell().retire();
        return None;
    }
    Some(seen as i32)
}

/// Ends a wait begun with `portBeginSpace`.
#[wasm_bindgen(js_name = portEndSpace)]
pub fn port_end_space(p: u32) {
    port(p).endpoint.producer().space_bell().retire();
}

/// Address of the word to wait on for room.
#[wasm_bindgen(js_name = portSpaceWord)]
pub fn port_space_word(p: u32) -> u32 {
    port(p).endpoint.producer().space_bell().seq_word().as_ptr() as usize as u32
}

/// Sleeps until a frame of `len` payload bytes can be reserved (or the ring is closed or
/// corrupt: the next reserve reports it), workers only: 0, TIMEOUT or WOULD_BLOCK.
#[wasm_bindgen(js_name = portWaitSpace)]
pub fn port_wait_space(p: u32, len: u32, timeout_ms: Option<f64>) -> i32 {
    if !wait::can_block() {
        return status::WOULD_BLOCK;
    }
    let deadline = timeout_ns(timeout_ms).map(|t| wait::now_ns().saturating_add(t));
    let tx = port(p).endpoint.producer();
    let bell: *const crate::wait::Doorbell = tx.space_bell();
    // SAFETY: the doorbell is in the ring's header, which lives as long as the link; `ready`
    // only updates the producer's cached position, never the bell.
    if unsafe { &*bell }.wait_until(deadline, || tx.has_room_or_done(len)) {
        0
    } else {
        status::TIMEOUT
    }
}

/// Free bytes in the outgoing ring (may be stale).
#[wasm_bindgen(js_name = portFreeBytes)]
pub fn port_free_bytes(p: u32) -> u32 {
    port(p).endpoint.producer().free_bytes()
}

/// Peeks the next incoming frame in place: its payload's address, or a negative status. The
/// frame's length and tag/flags word, as validated, are stored at the port's address (`peeked`,
/// the first two `u32` of the port): read them there, never from the ring, which the peer can
/// change after the check. A message in parts arrives as frames with the MORE flag; the caller
/// reassembles it (nothing is allocated here).
#[wasm_bindgen(js_name = portPeek)]
pub fn port_peek(p: u32) -> i32 {
    let port = port(p);
    match port.endpoint.consumer().peek_detached() {
        Ok((ptr, len, meta)) => {
            port.peeked = [len, meta];
            port.validated = [len, meta];
            ptr.as_ptr() as usize as i32
        }
        Err(e) => recv_status(e),
    }
}

/// Whether a frame not read yet may be waiting (one atomic load).
#[wasm_bindgen(js_name = portHasData)]
pub fn port_has_data(p: u32) -> bool {
    port(p).endpoint.consumer().has_data()
}

/// Releases the peeked frame, whose length and tag/flags word the reader used were `len` and
/// `meta`. The producer is shown the room in batches, and whenever this end finds the ring empty
/// (see `Consumer::release_peeked_lazily`). Returns `false` when no frame was peeked or when `len`
/// and `meta` are not the values validated by the peek (the shared memory was overwritten between
/// the peek and the reader's load): the channel is then corrupt, and what was read is to be
/// dropped.
#[wasm_bindgen(js_name = portRelease)]
pub fn port_release(p: u32, len: u32, meta: u32) -> bool {
    let port = port(p);
    let released = port.endpoint.consumer().release_peeked_lazily();
    released && port.validated == [len, meta]
}

/// Sleeps until a frame may be waiting or the peer closed (workers only): 0 or a status.
#[wasm_bindgen(js_name = portWait)]
pub fn port_wait(p: u32, timeout_ms: Option<f64>) -> i32 {
    let deadline = timeout_ns(timeout_ms).map(|t| wait::now_ns().saturating_add(t));
    port(p).endpoint.consumer().wait_for_data(deadline).map_or_else(recv_status, |()| 0)
}

/// Begins an asynchronous sleep for data: the value to pass to `Atomics.waitAsync` on the word
/// at `portSleepWord`, or `undefined` when data is waiting or the peer closed (do not sleep).
/// Call `portEndSleep` after the wait, whatever its outcome.
#[wasm_bindgen(js_name = portBeginSleep)]
pub fn port_begin_sleep(p: u32) -> Option<i32> {
    let rx = port(p).endpoint.consumer();
    let seen = rx.doorbell().announce();
    if rx.has_data() || rx.is_producer_closed() {
        rx.doorbell().retire();
        return None;
    }
    Some(seen as i32)
}

/// Ends a sleep begun with `portBeginSleep`.
#[wasm_bindgen(js_name = portEndSleep)]
pub fn port_end_sleep(p: u32) {
    port(p).endpoint.consumer().doorbell().retire();
}

/// Address of the word to sleep on for data.
#[wasm_bindgen(js_name = portSleepWord)]
pub fn port_sleep_word(p: u32) -> u32 {
    port(p).endpoint.consumer().doorbell().seq_word().as_ptr() as usize as u32
}

/// Acknowledges `n` more handled messages, waking a peer that settles.
#[wasm_bindgen(js_name = portAck)]
pub fn port_ack(p: u32, n: u32) {
    port(p).endpoint.ack(n);
}

/// Messages this end sent that the peer has not acknowledged yet.
#[wasm_bindgen(js_name = portUnsettled)]
pub fn port_unsettled(p: u32) -> u32 {
    port(p).endpoint.unsettled()
}

/// Waits until the peer acknowledged everything sent (workers only): 0, TIMEOUT or WOULD_BLOCK.
#[wasm_bindgen(js_name = portSettle)]
pub fn port_settle(p: u32, timeout_ms: Option<f64>) -> i32 {
    match port(p).endpoint.settle(timeout_ns(timeout_ms)) {
        Ok(true) => 0,
        Ok(false) => status::TIMEOUT,
        Err(e) => recv_status(e),
    }
}

/// Begins an asynchronous wait for acknowledgements: the value for `Atomics.waitAsync` on the
/// word at `portSettleWord`, or `undefined` when everything is settled. Pair with `portEndSettle`.
#[wasm_bindgen(js_name = portBeginSettle)]
pub fn port_begin_settle(p: u32) -> Option<i32> {
    let ep = &port(p).endpoint;
    let seen = ep.settle_bell().announce();
    if ep.unsettled() == 0 {
        ep.settle_bell().retire();
        return None;
    }
    Some(seen as i32)
}

/// Ends a wait begun with `portBeginSettle`.
#[wasm_bindgen(js_name = portEndSettle)]
pub fn port_end_settle(p: u32) {
    port(p).endpoint.settle_bell().retire();
}

/// Address of the word to wait on for acknowledgements.
#[wasm_bindgen(js_name = portSettleWord)]
pub fn port_settle_word(p: u32) -> u32 {
    port(p).endpoint.settle_bell().seq_word().as_ptr() as usize as u32
}

/// Whether the peer closed its outgoing ring (everything it sent may still be waiting).
#[wasm_bindgen(js_name = portPeerClosed)]
pub fn port_peer_closed(p: u32) -> bool {
    port(p).endpoint.consumer().is_producer_closed()
}

/// The address of the incoming ring's region (its header), for diagnostics and tests.
#[wasm_bindgen(js_name = portIncomingRegion)]
pub fn port_incoming_region(p: u32) -> u32 {
    port(p).endpoint.consumer().region().as_ptr() as usize as u32
}

/// Closes both directions from this end; a peer asleep on either ring wakes.
#[wasm_bindgen(js_name = portClose)]
pub fn port_close(p: u32) {
    port(p).endpoint.close();
}
