//! The link bindings of `src/transport/link.rs` inside a real browser worker with shared memory,
//! where neither loom nor Miri reaches. Run by scripts/test.sh through `wasm-bindgen-test-runner`:
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test --target wasm32-unknown-unknown --config .cargo/atomics.toml \
//!   --target-dir target/wasm-test --test 'wasm_*'
//! ```
//!
//! A second thread is a worker started by the test with the same module and memory (see
//! `tests/common/wasm_peer.rs`); it runs one of the `peer_*` functions exported below.

#![cfg(target_arch = "wasm32")]

use pywebworker::transport::*;
use pywebworker::wait;
use std::sync::atomic::{AtomicU32, Ordering};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[path = "common/wasm_peer.rs"]
mod peer;

use peer::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Second thread: waits up to `timeout_ms` for data on `port`, then peeks; with `ack` (not 0),
/// releases the frame and acknowledges one message. Returns `[wait status, ms waited, peek
/// result, peeked length, peeked tag and flags]`.
#[wasm_bindgen]
pub fn peer_wait_data(port: u32, timeout_ms: f64, ack: f64) -> Vec<f64> {
    wait::set_can_block(true);
    let t0 = wait::now_ns();
    let status = port_wait(port, Some(timeout_ms));
    let waited = ms_since(t0);
    let peeked = port_peek(port);
    let [len, meta] = peeked_header(port);
    if ack != 0.0 && peeked > 0 {
        port_release(port, len, meta);
        port_ack(port, 1);
    }
    vec![f64::from(status), waited, f64::from(peeked), f64::from(len), f64::from(meta)]
}

/// Second thread: after `delay_ms`, reads every frame waiting on `port` (the last peek finds the
/// ring empty, which shows the producer the room). Returns `[frames read, last peek status]`.
#[wasm_bindgen]
pub fn peer_drain(port: u32, delay_ms: f64) -> Vec<f64> {
    wait::set_can_block(true);
    block_ms(delay_ms as u64);
    let mut frames = 0.0;
    loop {
        let r = port_peek(port);
        if r < 0 {
            return vec![frames, f64::from(r)];
        }
        let [len, meta] = peeked_header(port);
        assert!(port_release(port, len, meta));
        frames += 1.0;
    }
}

// --- the link bindings (src/transport/link.rs) --------------------------------------------------

/// The `MORE` flag in a frame's tag-and-flags word (bit 16, as `Consumer::peek_detached` says).
const FLAG_MORE: u32 = 1 << 16;

/// `[length, tag and flags]` stored at the port's address by the last `portPeek`.
fn peeked_header(port: u32) -> [u32; 2] {
    // SAFETY: `port` is a live port; `peeked` is its first field (repr(C)), written by this thread.
    unsafe { std::ptr::read_volatile(port as usize as *const [u32; 2]) }
}

/// Reserves, fills and commits one frame; returns 0 or the reserve's status.
fn send_frame(port: u32, tag: u16, payload: &[u8], more: bool) -> i32 {
    let r = port_reserve(port, payload.len() as u32);
    if r < 0 {
        return r;
    }
    // SAFETY: the reserve returned room for `payload.len()` bytes at `r`.
    unsafe { std::ptr::copy_nonoverlapping(payload.as_ptr(), r as usize as *mut u8, payload.len()) };
    assert!(port_commit(port, tag, payload.len() as u32, more));
    0
}

/// Peeks and reads the next frame: `(payload, tag and flags)` or the peek's status.
fn take_frame(port: u32) -> Result<(Vec<u8>, u32), i32> {
    let r = port_peek(port);
    if r < 0 {
        return Err(r);
    }
    let [len, meta] = peeked_header(port);
    // SAFETY: the peek validated `len` bytes of payload at `r`, inside the ring.
    let payload = unsafe { std::slice::from_raw_parts(r as usize as *const u8, len as usize) }.to_vec();
    assert!(port_release(port, len, meta));
    Ok((payload, meta))
}

/// Sends frames of `len` bytes until the ring is full; returns how many went in.
fn fill(port: u32, len: usize) -> u32 {
    let mut n = 0;
    loop {
        match send_frame(port, 1, &vec![0xab; len], false) {
            0 => n += 1,
            status::EMPTY_OR_FULL => return n,
            other => panic!("reserve gave {other} while filling"),
        }
    }
}

/// Reads every waiting frame; returns how many, and checks the ring ends empty.
fn drain(port: u32) -> u32 {
    let mut n = 0;
    loop {
        match take_frame(port) {
            Ok(_) => n += 1,
            Err(status::EMPTY_OR_FULL) => return n,
            Err(other) => panic!("peek gave {other} while draining"),
        }
    }
}

fn u32_at(addr: u32) -> u32 {
    // SAFETY: the tests pass addresses of words inside live rings.
    unsafe { (*(addr as usize as *const AtomicU32)).load(Ordering::SeqCst) }
}

fn set_u32_at(addr: u32, value: u32) {
    // SAFETY: as above; this plays a peer that writes shared memory.
    unsafe { (*(addr as usize as *const AtomicU32)).store(value, Ordering::SeqCst) }
}

#[wasm_bindgen_test]
fn blocking_is_declared_per_thread() {
    // Every wasm thread starts as "may not block" (the page's main thread must never block);
    // worker bootstraps declare it. The declaration is what the blocking calls obey.
    wait::set_can_block(false);
    assert!(!wait::can_block());
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    assert_eq!(port_wait(b, Some(10.0)), status::WOULD_BLOCK);
    fill(a, 8);
    assert_eq!(port_wait_space(a, 8, Some(10.0)), status::WOULD_BLOCK);
    assert_eq!(port_settle(a, Some(10.0)), status::WOULD_BLOCK);
    wait::set_can_block(true);
    assert!(wait::can_block());
    assert_eq!(port_wait(b, Some(10.0)), 0, "data is waiting");
    link_free(link);
}

#[wasm_bindgen_test]
fn link_ports_carry_messages_both_ways() {
    assert!(link_new(100).is_err(), "a capacity that is not a power of two");
    assert!(link_new(16).is_err(), "a capacity under the minimum");
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    assert!(a != 0 && b != 0 && a != b);
    assert_eq!(link_port(link, 7), b, "any side but 0 is end 1");
    assert_eq!(a % 4, 0, "the peeked header is read as u32s at the port's address");

    assert!(!port_has_data(b));
    assert_eq!(port_peek(b), status::EMPTY_OR_FULL);
    assert_eq!(send_frame(a, 9, b"hello", false), 0);
    assert!(port_has_data(b));
    assert_eq!(take_frame(b), Ok((b"hello".to_vec(), 9)));
    assert!(!port_release(b, 5, 9), "nothing is peeked any more");
    assert_eq!(port_peek(b), status::EMPTY_OR_FULL);

    assert_eq!(send_frame(b, 0xffff, b"", false), 0, "an empty message with the largest tag");
    assert_eq!(take_frame(a), Ok((Vec::new(), 0xffff)));
    link_free(link);
}

#[wasm_bindgen_test]
fn peek_stores_the_validated_header_at_the_port() {
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    assert_eq!(send_frame(a, 42, &[7; 13], false), 0);
    let payload = port_peek(b);
    assert!(payload > 0);
    assert_eq!(peeked_header(b), [13, 42]);
    // The frame header sits just before the payload, in the ring the peer writes. A peer that
    // changes it after the check changes nothing of what this end goes by.
    let header = payload as u32 - 8;
    assert_eq!((u32_at(header), u32_at(header + 4)), (13, 42));
    set_u32_at(header, 100_000);
    set_u32_at(header + 4, 0xdead_beef);
    assert_eq!(peeked_header(b), [13, 42], "read at the port, not from the ring");
    assert!(port_release(b, 13, 42));
    assert_eq!(port_peek(b), status::EMPTY_OR_FULL, "released by the validated length");
    // The other end's record is its own.
    assert_eq!(send_frame(b, 5, &[1, 2, 3], false), 0);
    assert!(port_peek(a) > 0);
    assert_eq!(peeked_header(a), [3, 5]);
    assert_eq!(peeked_header(b), [13, 42]);
    link_free(link);
}

#[wasm_bindgen_test]
fn a_release_with_values_other_than_the_validated_ones_reports_it() {
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    for (len, meta) in [(14, 42), (12, 42), (13, 42 | (1 << 16)), (13, 42 | (1 << 18)), (13, 43)] {
        assert_eq!(send_frame(a, 42, &[7; 13], false), 0);
        assert!(port_peek(b) > 0);
        // What a peer writing the port's record between the peek and the reader's load would
        // make the reader use: the release says so, and still releases the validated frame.
        set_u32_at(b, len);
        set_u32_at(b + 4, meta);
        assert!(!port_release(b, len, meta), "released with ({len}, {meta:#x})");
        assert_eq!(port_peek(b), status::EMPTY_OR_FULL, "released by the validated length");
    }
    assert_eq!(send_frame(a, 42, &[7; 13], false), 0);
    assert!(port_peek(b) > 0);
    assert!(port_release(b, 13, 42));
    link_free(link);
}

#[wasm_bindgen_test]
fn a_message_in_parts_carries_the_more_flag() {
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    let max = max_frame_payload(256);
    assert_eq!(max, 120);
    assert_eq!(port_reserve(a, max + 1), status::TOO_LARGE);

    // Three parts: a full one, a part committed shorter than reserved, and the last.
    let message: Vec<u8> = (0..200u32).map(|i| i as u8).collect();
    assert_eq!(send_frame(a, 3, &message[..120], true), 0);
    assert_eq!(port_unsettled(a), 0, "a part is not a message yet");
    let r = port_reserve(a, 100);
    assert!(r > 0);
    // SAFETY: 100 bytes were reserved at `r`.
    unsafe { std::ptr::copy_nonoverlapping(message[120..].as_ptr(), r as usize as *mut u8, 50) };
    assert!(!port_commit(a, 3, 101, true), "longer than the reservation");
    assert!(port_commit(a, 3, 50, true));
    assert!(!port_commit(a, 3, 0, false), "nothing is reserved");
    assert_eq!(port_unsettled(a), 0);
    assert_eq!(send_frame(a, 3, &message[170..], false), 0);
    assert_eq!(port_unsettled(a), 1, "the last part counts the message");

    let mut whole = Vec::new();
    let mut metas = Vec::new();
    loop {
        let (part, meta) = take_frame(b).expect("a part");
        whole.extend_from_slice(&part);
        metas.push(meta);
        if meta & FLAG_MORE == 0 {
            break;
        }
    }
    assert_eq!(metas, [3 | FLAG_MORE, 3 | FLAG_MORE, 3]);
    assert_eq!(whole, message);
    assert_eq!(port_peek(b), status::EMPTY_OR_FULL);
    link_free(link);
}

#[wasm_bindgen_test]
fn ack_and_unsettled_count_messages_per_direction() {
    wait::set_can_block(true);
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    assert_eq!(port_settle(a, Some(10.0)), 0, "nothing sent, nothing to settle");
    for i in 0..3u8 {
        assert_eq!(send_frame(a, 1, &[i], false), 0);
    }
    assert_eq!(send_frame(b, 1, &[9], false), 0);
    assert_eq!((port_unsettled(a), port_unsettled(b)), (3, 1));
    let t0 = wait::now_ns();
    assert_eq!(port_settle(a, Some(30.0)), status::TIMEOUT);
    assert!(ms_since(t0) >= 20.0, "a settle of 30 ms gave up after {} ms", ms_since(t0));
    assert_eq!(drain(b), 3);
    assert_eq!(port_unsettled(a), 3, "reading is not handling: only an ack settles");
    port_ack(b, 2);
    assert_eq!(port_unsettled(a), 1);
    port_ack(b, 1);
    assert_eq!(port_unsettled(a), 0);
    assert_eq!(port_settle(a, Some(10.0)), 0);
    assert_eq!(port_unsettled(b), 1, "the other direction is counted apart");
    port_ack(a, 1);
    assert_eq!(port_unsettled(b), 0);
    link_free(link);
}

#[wasm_bindgen_test]
fn wait_space_times_out_when_full_and_returns_at_once_with_room() {
    wait::set_can_block(true);
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    let t0 = wait::now_ns();
    assert_eq!(port_wait_space(a, 120, Some(10_000.0)), 0, "an empty ring has room");
    assert!(ms_since(t0) < 5_000.0);

    assert_eq!(fill(a, 8), 16);
    assert_eq!(port_reserve(a, 8), status::EMPTY_OR_FULL);
    let t0 = wait::now_ns();
    assert_eq!(port_wait_space(a, 8, Some(50.0)), status::TIMEOUT);
    let waited = ms_since(t0);
    assert!(waited >= 40.0, "a wait of 50 ms gave up after {waited} ms");
    assert!(waited < 5_050.0, "a wait of 50 ms took {waited} ms");

    // Room the consumer has freed but not shown yet (a lazy release of one small frame) is not
    // room for the producer.
    assert!(take_frame(b).is_ok());
    assert_eq!(port_wait_space(a, 8, Some(20.0)), status::TIMEOUT);
    assert_eq!(port_begin_space(a, 8).map(|_| port_end_space(a)), Some(()));
    // Finding the ring empty shows it.
    assert_eq!(drain(b), 15);
    assert_eq!(port_wait_space(a, 8, Some(10_000.0)), 0);
    assert_eq!(send_frame(a, 1, &[0; 8], false), 0);
    // Over the largest frame: waiting would not help, so it does not wait.
    assert_eq!(port_wait_space(a, 121, Some(10_000.0)), 0);
    assert_eq!(port_reserve(a, 121), status::TOO_LARGE);
    link_free(link);
}

#[wasm_bindgen_test]
async fn wait_space_returns_when_the_peer_frees_room() {
    wait::set_can_block(true);
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    let sent = fill(a, 56);
    assert_eq!(port_reserve(a, 56), status::EMPTY_OR_FULL);
    let peer = start_peer("peer_drain", &[b as f64, 100.0]).await;
    let t0 = wait::now_ns();
    let r = port_wait_space(a, 56, Some(10_000.0));
    let waited = ms_since(t0);
    let drained = finish(&peer).await;
    assert_eq!(r, 0, "no room after {waited} ms; the peer read {drained:?}");
    assert!(waited < 9_000.0, "woken only after {waited} ms");
    assert_eq!(drained, [f64::from(sent), f64::from(status::EMPTY_OR_FULL)]);
    assert_eq!(send_frame(a, 1, &[0; 56], false), 0);
    link_free(link);
}

#[wasm_bindgen_test]
async fn a_sleeping_reader_wakes_for_data_and_acknowledges() {
    wait::set_can_block(true);
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    let peer = start_peer("peer_wait_data", &[b as f64, 10_000.0, 1.0]).await;
    sleep_ms(50.0).await;
    assert_eq!(send_frame(a, 77, b"wake up", false), 0);
    let t0 = wait::now_ns();
    let settled = port_settle(a, Some(10_000.0));
    let waited = ms_since(t0);
    let seen = finish(&peer).await;
    assert_eq!(settled, 0, "not settled after {waited} ms; the peer saw {seen:?}");
    assert_eq!(port_unsettled(a), 0);
    let [status, slept, peeked, len, meta] = seen[..] else { panic!("{seen:?}") };
    assert_eq!(status, 0.0, "the peer's wait for data");
    assert!(slept < 9_000.0, "the peer woke only after {slept} ms");
    assert!(peeked > 0.0);
    assert_eq!((len, meta), (7.0, 77.0));
    link_free(link);
}

#[wasm_bindgen_test]
async fn close_wakes_a_sleeping_reader_which_then_peeks_closed() {
    wait::set_can_block(true);
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    let peer = start_peer("peer_wait_data", &[b as f64, 10_000.0, 0.0]).await;
    sleep_ms(50.0).await;
    port_close(a);
    let seen = finish(&peer).await;
    let [status, slept, peeked, ..] = seen[..] else { panic!("{seen:?}") };
    assert_eq!(status, 0.0, "the peer's wait ends when the writer closes: {seen:?}");
    assert!(slept < 9_000.0, "the peer woke only after {slept} ms");
    assert_eq!(peeked, f64::from(status::CLOSED));
    link_free(link);
}

#[wasm_bindgen_test]
fn close_delivers_what_was_sent_then_peek_gives_closed() {
    wait::set_can_block(true);
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    assert_eq!(send_frame(a, 1, b"last words", false), 0);
    assert!(!port_peer_closed(b));
    port_close(a);
    assert!(port_peer_closed(b));
    assert!(!port_peer_closed(a), "b did not close");
    assert_eq!(take_frame(b), Ok((b"last words".to_vec(), 1)), "what was sent still arrives");
    assert_eq!(port_peek(b), status::CLOSED);
    assert_eq!(port_peek(b), status::CLOSED);
    assert_eq!(port_wait(b, Some(10_000.0)), 0, "no sleeping on a closed ring");
    // The close went both ways: a no longer reads, so b cannot write, and waits for nothing.
    assert_eq!(port_reserve(b, 8), status::CLOSED);
    assert_eq!(port_begin_space(b, 8), None);
    assert_eq!(port_wait_space(b, 8, Some(10_000.0)), 0);
    link_free(link);
}

/// The address of the `tail` position in a ring's header, found by watching it move.
fn tail_word(port_in: u32, port_out: u32) -> u32 {
    let region = port_incoming_region(port_in);
    // Padded fields (128 bytes each): the ring's magic and capacity, then the tail.
    let tail = region + 128;
    let before = u32_at(tail);
    assert_eq!(send_frame(port_out, 1, &[0; 8], false), 0);
    assert_eq!(u32_at(tail), before.wrapping_add(16), "the tail is where the header puts it");
    assert_eq!(drain(port_in), 1, "read, and the head published (the ring was found empty)");
    tail
}

#[wasm_bindgen_test]
fn a_corrupted_tail_position_gives_corrupt() {
    wait::set_can_block(true);
    for bad in [4, 256 + 16 + 8, u32::MAX - 7] {
        let link = link_new(256).unwrap();
        let (a, b) = (link_port(link, 0), link_port(link, 1));
        let tail = tail_word(b, a);
        set_u32_at(tail, bad); // unaligned, further than a ring ahead, behind the reader
        assert!(port_has_data(b), "a moved tail looks like data");
        assert_eq!(port_wait(b, Some(10_000.0)), 0, "a moved tail ends a wait: the peek judges it");
        assert_eq!(port_peek(b), status::CORRUPT, "tail {bad}");
        set_u32_at(tail, 16 + 16);
        assert_eq!(port_peek(b), status::CORRUPT, "corruption is final (tail {bad})");
        // The other direction is a ring of its own and still works.
        assert_eq!(send_frame(b, 2, b"ok", false), 0);
        assert_eq!(take_frame(a), Ok((b"ok".to_vec(), 2)));
        link_free(link);
    }
}

#[wasm_bindgen_test]
fn a_corrupted_head_position_gives_corrupt_to_the_writer() {
    wait::set_can_block(true);
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    let tail = tail_word(b, a);
    let head = tail + 128;
    assert_eq!(u32_at(head), u32_at(tail), "the head follows the tail in the header");
    fill(a, 120);
    set_u32_at(head, 12); // not a frame boundary
    assert_eq!(port_reserve(a, 120), status::CORRUPT);
    assert_eq!(port_begin_space(a, 120), None, "nothing to wait for on a corrupt ring");
    assert_eq!(port_wait_space(a, 120, Some(10_000.0)), 0);
    link_free(link);
}

// --- portBeginSpace answers "room" exactly when a reserve succeeds ------------------------------

/// A link whose positions start at `offset` (frames written and read), holding frames of
/// `frame_len` payload bytes, `count` of them (or as many as fit).
fn link_in_state(offset: u32, frame_len: usize, count: u32) -> (u32, u32, u32) {
    let link = link_new(256).unwrap();
    let (a, b) = (link_port(link, 0), link_port(link, 1));
    for _ in 0..offset / 8 {
        assert_eq!(send_frame(a, 0, &[], false), 0);
    }
    drain(b);
    for _ in 0..count {
        if send_frame(a, 1, &vec![1; frame_len], false) != 0 {
            break;
        }
    }
    (link, a, b)
}

#[wasm_bindgen_test]
fn begin_space_counts_the_wrap_marker() {
    // 128 bytes are free, but only 120 of them before the end of the ring: a frame of 128
    // bytes (120 of payload) needs a wrap marker and 128 bytes after it.
    let (link, a, _) = link_in_state(8, 120, 1);
    let seen = port_begin_space(a, 120);
    assert!(port_free_bytes(a) >= 128, "free bytes: {}", port_free_bytes(a));
    assert!(seen.is_some(), "there is no room for 120 contiguous bytes");
    assert_eq!(seen.map(|s| s as u32), Some(u32_at(port_space_word(a))), "the value to wait on");
    port_end_space(a);
    assert_eq!(port_reserve(a, 120), status::EMPTY_OR_FULL);
    assert_eq!(port_begin_space(a, 112), None, "112 bytes fit before the end");
    assert!(port_reserve(a, 112) > 0);
    link_free(link);
}

#[wasm_bindgen_test]
fn begin_space_says_room_exactly_when_a_reserve_succeeds() {
    // A frame's size depends on its payload length rounded up to 8: both ends of every class,
    // and one over the largest frame.
    let lens: Vec<u32> = std::iter::once(0).chain((0..15).flat_map(|k| [8 * k + 1, 8 * k + 8])).chain([121]).collect();
    let mut checked = 0;
    for offset in (0..256).step_by(8) {
        for frame_len in [0, 8, 24, 56, 120] {
            for count in 0..=(256 / (frame_len as u32 + 8)) {
                for &len in &lens {
                    let (link, a, _) = link_in_state(offset, frame_len, count);
                    let room = port_begin_space(a, len);
                    if room.is_some() {
                        port_end_space(a);
                    }
                    let reserved = port_reserve(a, len);
                    if len > 120 {
                        assert_eq!((room, reserved), (None, status::TOO_LARGE));
                    } else {
                        assert_eq!(
                            room.is_none(),
                            reserved > 0,
                            "offset {offset}, {count} frames of {frame_len}: room for {len}? \
                             portBeginSpace says {room:?}, portReserve {reserved}"
                        );
                        assert!(reserved > 0 || reserved == status::EMPTY_OR_FULL, "reserve gave {reserved}");
                    }
                    link_free(link);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 20_000, "{checked} cases");
}
