// Reading one end of a Link (src/channel/link.rs) from JavaScript: the same code on the page
// (jsworker.js) and in workers (worker-runtime.js).

import { decode } from "./codec.js";
import { FLAG_MORE, FLAG_ABORT, TAG, TAG_MASK, STATUS } from "./protocol.js";

/**
 * The value of a frame's payload: decoded, or with `raw` (the Python API, which decodes data
 * itself) a copy of a data frame's bytes. Error and output frames are always decoded.
 */
export function payload(raw, tag, u8, at, len) {
  return raw && tag === TAG.DATA ? u8.slice(at, at + len) : decode(u8, at, len);
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

/**
 * Takes whole messages from the incoming ring of a port, decoding them in place. With `raw`, data
 * messages are not decoded: `value` is a copy of their encoded bytes (the Python API decodes them).
 */
export class PortReader {
  constructor(glue, port, views, raw = false) {
    this.glue = glue;
    this.port = port;
    this.views = views;
    this.raw = raw;
    this.tag = 0;
    this.value = undefined;
    /**
     * When set, `take` hands each message's bytes to `sink(u8, at, len)` (a view of shared memory,
     * valid during the call) instead of decoding or copying them, and `value` stays undefined.
     * @type {((u8: Uint8Array, at: number, len: number) => void) | null}
     */
    this.sink = null;
  }

  /**
   * Takes the next whole message into `tag` / `value`: returns TAKEN, or the status that stopped
   * it (EMPTY, CLOSED, CORRUPT). A payload that does not decode throws CodecError (released).
   */
  take() {
    const g = this.glue, port = this.port, v = this.views;
    const ptr = g.portPeek(port);
    if (ptr < 0 && ptr !== STATUS.PARTIAL) return ptr;
    v.cover(ptr, 0);
    const len = ptr > 0 ? v.u32[(ptr >>> 2) - 2] : 0;
    const meta = ptr > 0 ? v.u32[(ptr >>> 2) - 1] : FLAG_MORE;
    if (meta & (FLAG_MORE | FLAG_ABORT)) {
      // Arrives in parts (or a half-read message is pending): reassembled in Rust.
      const n = g.portTryRecv(port);
      if (n < 0) return n;
      const at = g.portMessage(port);
      v.cover(at, n);
      this.tag = g.portTag(port);
      this.value = this.sink ? this.sink(v.u8, at, n) : payload(this.raw, this.tag, v.u8, at, n);
      return TAKEN;
    }
    v.cover(ptr, len);
    this.tag = meta & TAG_MASK;
    try {
      this.value = this.sink ? this.sink(v.u8, ptr, len) : payload(this.raw, this.tag, v.u8, ptr, len);
    } finally {
      g.portRelease(port);
    }
    return TAKEN;
  }
}
