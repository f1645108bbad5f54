// Reading one end of a Link (src/channel/link.rs) from JavaScript: the same code on the page
// (page/) and in workers (worker/), through transport/shared.js.

import { decode } from "../codec.js";
import { readCall } from "../calls.js";
import { DEFAULT_MAX_MESSAGE_BYTES, FLAG_MORE, FLAG_ABORT, TAG, TAG_MASK, STATUS } from "../protocol.js";

/**
 * The value of a frame's payload: decoded, or with `raw` (the Python API, which decodes data
 * itself) a copy of a data frame's bytes. Error and output frames are always decoded; a call
 * frame is `{id, status, value}` (calls.js).
 */
export function payload(raw, tag, u8, at, len) {
  if (raw && tag === TAG.DATA) return u8.slice(at, at + len);
  return tag > TAG.STDERR ? readCall(raw, tag, u8, at, len) : decode(u8, at, len);
}

/** What `PortReader.take` returns when it took a message (statuses are negative). */
export const TAKEN = 1;

/** Views of the wasm memory, renewed when the memory grows (it only grows). */
export class MemoryViews {
  constructor(memory) {
    this.memory = memory;
    this.refresh();
  }

  refresh() {
    const buffer = this.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
  }

  /** Makes sure the views reach `len` bytes at `at`. */
  cover(at, len) {
    if (at + len > this.u8.length) this.refresh();
  }

  /** Makes sure the views are of the memory's current buffer (before waiting on a word). */
  current() {
    if (this.i32.buffer !== this.memory.buffer) this.refresh();
  }
}

/** A reassembly buffer up to this size is kept for the next message in parts and grows by
 * doubling; past it, parts are kept as they come and joined once at the end, so no step of a large
 * message copies more than a part, and the memory it took is given back after it. */
const KEEP_PARTS_BYTES = 1 << 22;

/**
 * Takes whole messages from the incoming ring of a port, decoding them in place. With `raw`, data
 * messages are not decoded: `value` is a copy of their encoded bytes (the Python API decodes them).
 *
 * Every length and flag used here is the one the Rust consumer validated (stored at the port's
 * address by `portPeek`), never read again from the ring, where the peer could change it; and a
 * length is checked against the largest frame again here. A message in parts is reassembled in
 * this thread's own JavaScript memory: nothing is allocated in the shared memory, and a message
 * over `maxBytes` ends the channel (CORRUPT) instead of growing without bound.
 */
export class PortReader {
  constructor(glue, port, views, { raw = false, maxBytes = DEFAULT_MAX_MESSAGE_BYTES, maxFrame }) {
    this.glue = glue;
    this.port = port;
    this.views = views;
    this.raw = raw;
    this.maxBytes = maxBytes;
    this.maxFrame = maxFrame;
    this.tag = 0;
    this.value = undefined;
    /**
     * When set, `take` hands each message's bytes to `sink(u8, at, len)` (a view of shared memory,
     * valid during the call) instead of decoding or copying them, and `value` stays undefined.
     * @type {((u8: Uint8Array, at: number, len: number) => void) | null}
     */
    this.sink = null;
    /** The message in parts received so far (`null`: none pending): a buffer and its length, then
     * (past KEEP_PARTS_BYTES) the parts themselves; `buffer`: kept for the next message. */
    this.parts = null;
    this.partsLength = 0;
    this.slabs = null;
    this.buffer = undefined;
    /** Why the last CORRUPT was returned, when it was this side's check (not the ring's). */
    this.problem = "";
  }

  /**
   * Takes the next whole message into `tag` / `value`: returns TAKEN, or the status that stopped
   * it (EMPTY, CLOSED, CORRUPT). A payload that does not decode throws CodecError (released).
   */
  take() {
    const g = this.glue, port = this.port, v = this.views;
    for (;;) {
      const ptr = g.portPeek(port);
      if (ptr < 0) {
        if (ptr === STATUS.CLOSED) this.dropParts(); // a message cut short is never delivered
        return ptr;
      }
      const head = port >>> 2;
      // Read once; the release confirms they are the values the peek validated.
      const len = v.u32[head], meta = v.u32[head + 1];
      if (len > this.maxFrame) return this.corrupt(`a frame of ${len} bytes, over the largest of ${this.maxFrame}`);
      v.cover(ptr, len);
      if (this.parts === null && (meta & (FLAG_MORE | FLAG_ABORT)) === 0) {
        this.tag = meta & TAG_MASK;
        let value, failure = null;
        try {
          value = this.sink ? this.sink(v.u8, ptr, len) : payload(this.raw, this.tag, v.u8, ptr, len);
        } catch (e) {
          failure = e;
        }
        // Released either way; a payload read with values other than the validated ones is the
        // overwrite's fault, not the sender's encoding.
        if (!g.portRelease(port, len, meta)) return this.changed();
        if (failure !== null) throw failure;
        this.value = value;
        return TAKEN;
      }
      if (meta & FLAG_ABORT) {
        // The sender gave the message in parts up half-way: what arrived of it goes nowhere.
        this.dropParts();
        if (!g.portRelease(port, len, meta)) return this.changed();
        continue;
      }
      if (this.parts === null) {
        this.parts = this.buffer ?? new Uint8Array(Math.min(Math.max(len * 4, 1 << 16), KEEP_PARTS_BYTES));
        this.partsLength = 0;
        this.tag = meta & TAG_MASK;
      }
      const total = this.partsLength + len;
      if (total > this.maxBytes) {
        g.portRelease(port, len, meta);
        this.dropParts();
        return this.corrupt(`a message of more than ${this.maxBytes} bytes, the most this channel takes ` +
          "(the maxMessageBytes option)");
      }
      this.append(v.u8.subarray(ptr, ptr + len), total);
      if (!g.portRelease(port, len, meta)) {
        this.dropParts();
        return this.changed();
      }
      if (meta & FLAG_MORE) continue;
      const whole = this.whole(total);
      this.value = this.sink ? this.sink(whole, 0, total) : payload(this.raw, this.tag, whole, 0, total);
      return TAKEN;
    }
  }

  /** Adds one part (a view of shared memory), `total` bytes long with it. */
  append(part, total) {
    if (this.slabs === null && total > this.parts.length) {
      if (total <= KEEP_PARTS_BYTES) {
        const bigger = new Uint8Array(Math.min(Math.max(this.parts.length * 2, total), KEEP_PARTS_BYTES));
        bigger.set(this.parts.subarray(0, this.partsLength));
        this.parts = bigger;
      } else {
        this.slabs = [this.parts.slice(0, this.partsLength)];
      }
    }
    if (this.slabs === null) this.parts.set(part, this.partsLength);
    else this.slabs.push(part.slice());
    this.partsLength = total;
  }

  /** The message whose parts all arrived, `total` bytes (a view of a buffer the next message reuses). */
  whole(total) {
    let out = this.parts;
    if (this.slabs !== null) {
      out = new Uint8Array(total);
      let at = 0;
      for (const slab of this.slabs) {
        out.set(slab, at);
        at += slab.length;
      }
    } else {
      this.buffer = out; // at most KEEP_PARTS_BYTES: kept for the next message in parts
    }
    this.parts = null;
    this.slabs = null;
    return out;
  }

  dropParts() {
    this.parts = null;
    this.slabs = null;
  }

  /** The frame's length or flags in the port changed between the peek and this side's read: what
   * was read from it goes nowhere (a sink's copy is dropped by the caller on CORRUPT). */
  changed() {
    return this.corrupt("a frame's length or flags changed after they were checked (the shared memory was overwritten)");
  }

  corrupt(why) {
    this.problem = why;
    return STATUS.CORRUPT;
  }
}
