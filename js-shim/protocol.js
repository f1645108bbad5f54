// What the page and a worker agree on: control-message types, frame tags and flags, status
// codes of the wasm calls, and the batch layout of the postMessage transport.

export const PREFIX = "pywebworker:";

/** Frame tags. */
export const TAG = { DATA: 0, ERROR: 1 };

/** Frame flags in the word after a frame's length (see src/ring). */
export const FLAG_MORE = 1 << 16;
export const FLAG_ABORT = 1 << 18;
export const TAG_MASK = 0xffff;

/** Status codes returned by the wasm calls (src/transport/shared.rs). */
export const STATUS = { EMPTY: -1, FULL: -1, CLOSED: -2, CORRUPT: -3, TOO_LARGE: -4, TIMEOUT: -5, WOULD_BLOCK: -6, PARTIAL: -7 };

/** Bytes per ring in a worker's link. */
export const LINK_CAPACITY = 1 << 18;

/** Stack of a worker's wasm thread (a multiple of 64 KiB; the Rust side needs little). */
export const THREAD_STACK = 1 << 17;

/**
 * The postMessage transport carries frames in the ring's layout, many per message:
 * [len:u32][tag:u32][payload, padded to 8 bytes] ... Appending is amortised O(1).
 */
export class BatchWriter {
  constructor() {
    this.reset();
  }

  reset() {
    this.buf = null;
    this.at = 0;
  }

  get empty() {
    return this.at === 0;
  }

  append(tag, bytes) {
    const size = 8 + ((bytes.length + 7) & ~7);
    if (this.buf === null) {
      this.buf = new ArrayBuffer(Math.max(4096, size));
    } else if (this.at + size > this.buf.byteLength) {
      const next = new ArrayBuffer(Math.max(this.buf.byteLength * 2, this.at + size));
      new Uint8Array(next).set(new Uint8Array(this.buf, 0, this.at));
      this.buf = next;
    }
    const dv = new DataView(this.buf);
    dv.setUint32(this.at, bytes.length, true);
    dv.setUint32(this.at + 4, tag, true);
    new Uint8Array(this.buf).set(bytes, this.at + 8);
    this.at += size;
  }

  /** Takes the frames written so far (a trimmed ArrayBuffer to transfer) and starts afresh. */
  take() {
    const out = this.buf.byteLength === this.at ? this.buf : this.buf.slice(0, this.at);
    this.reset();
    return out;
  }
}

/** Calls `fn(tag, u8, at, len)` for every frame of a batch. */
export function forEachFrame(buffer, fn) {
  const u8 = new Uint8Array(buffer);
  const dv = new DataView(buffer);
  for (let at = 0; at + 8 <= u8.length;) {
    const len = dv.getUint32(at, true);
    const tag = dv.getUint32(at + 4, true) & TAG_MASK;
    if (at + 8 + len > u8.length) throw new Error("postMessage batch is truncated");
    fn(tag, u8, at + 8, len);
    at += 8 + ((len + 7) & ~7);
  }
}

/** A plain description of an error, for sending it to the other side. */
export function describeError(e) {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack ?? "" };
  let text;
  try {
    text = String(e);
  } catch {
    text = Object.prototype.toString.call(e);
  }
  return { name: "Error", message: `a value that is not an Error was thrown: ${text}`, stack: "" };
}
