// The layouts built on the wire constants of protocol.js: the postMessage transport's batches of
// frames, the buffers handed to Python (frames, or a run of short strs), and reading the bytes of
// a Python object in place. The same code on the page and in workers.
import {
  BATCH_FLUSH_BYTES, BATCH_HEADER, SMALL_BATCH_BYTES, SPARE_MAX_BYTES, STR_RUN_MARK, TAG, TAG_MASK, VALUE_TYPE,
} from "./protocol.js";

/**
 * The postMessage transport posts bare ArrayBuffers (cheaper to clone than an object around
 * one): [handled:u32][end:u32] then frames in the ring's layout, many per message:
 * [len:u32][tag:u32][payload, padded to 8 bytes] ... `handled` is how many messages the sender
 * has finished handling (the worker's acknowledgements; 0 from the page); `end` is where the
 * frames end (a transferred buffer can be longer than its batch).
 */
export class BatchWriter {
  constructor() {
    this.buf = new ArrayBuffer(4096);
    this.u8 = new Uint8Array(this.buf);
    this.dv = new DataView(this.buf);
    this.at = BATCH_HEADER;
    /** A buffer received from the other side and free again (see `spare`). */
    this.spareBuf = null;
  }

  /**
   * Keeps `buffer`, a received batch nothing refers to any more, for the next batch that needs
   * more room than this one has: a fresh buffer of a mebibyte costs Chromium about 0.5 ms of
   * page faults to fill, one already filled about 0.03 ms.
   * @param {ArrayBuffer} buffer
   */
  spare(buffer) {
    if (buffer.byteLength >= SMALL_BATCH_BYTES && buffer.byteLength <= SPARE_MAX_BYTES &&
      buffer.byteLength > (this.spareBuf?.byteLength ?? 0)) this.spareBuf = buffer;
  }

  get empty() {
    return this.at === BATCH_HEADER;
  }

  /** Whether the batch is big enough to send now rather than wait for the end of the task. */
  get full() {
    return this.at >= BATCH_FLUSH_BYTES;
  }

  append(tag, bytes) {
    const size = 8 + ((bytes.length + 7) & ~7);
    if (this.at + size > this.buf.byteLength) this.grow(this.at + size);
    this.dv.setUint32(this.at, bytes.length, true);
    this.dv.setUint32(this.at + 4, tag, true);
    this.u8.set(bytes, this.at + 8);
    this.at += size;
  }

  grow(need) {
    const spare = this.spareBuf;
    if (spare !== null && spare.byteLength >= need) this.spareBuf = null;
    const next = spare !== null && spare.byteLength >= need ? spare : new ArrayBuffer(Math.max(this.buf.byteLength * 2, need));
    new Uint8Array(next).set(this.u8.subarray(0, this.at));
    this.buf = next;
    this.u8 = new Uint8Array(next);
    this.dv = new DataView(next);
  }

  /**
   * Takes the frames written so far, stamped with `handled`: `[buffer, transferList]`. A small
   * batch is copied (and this buffer reused); a large one is handed over whole, to be transferred.
   */
  take(handled = 0) {
    const n = this.at;
    this.at = BATCH_HEADER;
    this.dv.setUint32(0, handled, true);
    this.dv.setUint32(4, n, true);
    if (n < SMALL_BATCH_BYTES) return [this.buf.slice(0, n), []];
    const out = this.buf;
    this.buf = new ArrayBuffer(4096);
    this.u8 = new Uint8Array(this.buf);
    this.dv = new DataView(this.buf);
    return [out, [out]];
  }
}

/** Calls `fn(tag, u8, at, len)` for every frame of a batch; returns the batch's `handled`. */
export function forEachFrame(buffer, fn) {
  const dv = new DataView(buffer);
  if (buffer.byteLength < BATCH_HEADER) throw new Error("postMessage batch is truncated");
  const end = dv.getUint32(4, true);
  if (end < BATCH_HEADER || end > buffer.byteLength) throw new Error("postMessage batch is truncated");
  const u8 = new Uint8Array(buffer, 0, end);
  for (let at = BATCH_HEADER; at + 8 <= end;) {
    const len = dv.getUint32(at, true);
    const tag = dv.getUint32(at + 4, true) & TAG_MASK;
    if (at + 8 + len > end) throw new Error("postMessage batch is truncated");
    fn(tag, u8, at + 8, len);
    at += 8 + ((len + 7) & ~7);
  }
  return dv.getUint32(0, true);
}

/**
 * A buffer reused for the bytes handed to Python, which copies them at once (`to_bytes()`): a fresh
 * ArrayBuffer of a mebibyte or more is a fresh mapping of memory in Chromium, about 0.6 ms per MiB
 * to allocate and fill against 0.04 ms to copy into memory already in use. Holds
 * `[len:u32 LE][bytes]...` frames (`appendFrame`) or one run of bytes (`copy`); what `take` and
 * `copy` return is a view valid until the next call that writes.
 */
export class Scratch {
  constructor() {
    this.reset(SCRATCH_START);
    /** Appends `u8[at, at + len)` as one `[len][bytes]` frame (a bound method, for sinks). */
    this.appendFrame = (u8, at, len) => {
      const p = this.room(4 + len);
      this.dv.setUint32(p, len, true);
      this.u8.set(len === u8.length && at === 0 ? u8 : u8.subarray(at, at + len), p + 4);
    };
  }

  reset(size) {
    this.u8 = new Uint8Array(size);
    this.dv = new DataView(this.u8.buffer);
    this.length = 0;
  }

  /** Makes room for `n` more bytes and counts them written; returns where they go. */
  room(n) {
    const at = this.length;
    if (at + n > this.u8.length) {
      const old = this.u8.subarray(0, at);
      this.reset(Math.max(this.u8.length * 2, at + n));
      this.u8.set(old);
    }
    this.length = at + n;
    return at;
  }

  /** The frames appended since the last take; the buffer is kept unless it grew past 16 MiB. */
  take() {
    const out = this.u8.subarray(0, this.length);
    if (this.u8.length > SCRATCH_KEEP) this.reset(SCRATCH_START);
    this.length = 0;
    return out;
  }

  /**
   * Like `take`, except when every frame is a short str of the codec (at most STR_RUN_MAX bytes,
   * all ASCII) and there are at least STR_RUN_MIN: then the strs themselves, `[STR_RUN_MARK:u32][count:u32]`
   * and their bytes with the byte 0xFF between two (the first word tells the two layouts apart). Python's
   * `decode_batch` makes all the strs with two calls, where a frame at a time costs it about
   * 0.5 us each.
   */
  takeStrs() {
    const n = this.length, u8 = this.u8, dv = this.dv;
    let count = 0;
    for (let at = 0; at < n;) {
      const len = dv.getUint32(at, true);
      if (len < 5 || len > STR_RUN_MAX + 5 || u8[at + 4] !== VALUE_TYPE.STRING || at + 4 + len > n || dv.getUint32(at + 5, true) !== len - 5) return this.take();
      for (let i = at + 9, end = at + 4 + len; i < end; i++) if (u8[i] > 0x7f) return this.take();
      count++;
      at += 4 + len;
    }
    if (count < STR_RUN_MIN) return this.take();
    const size = 8 + (n - 9 * count) + (count - 1); // each frame is 4 + 5 + its str's bytes
    if (this.runs === undefined || this.runs.length < size || this.runs.length > Math.max(SCRATCH_KEEP, size)) {
      this.runs = new Uint8Array(Math.max(SCRATCH_START, size));
    }
    const out = this.runs, odv = new DataView(out.buffer);
    odv.setUint32(0, STR_RUN_MARK, true);
    odv.setUint32(4, count, true);
    let p = 8;
    for (let at = 0; at < n;) {
      const len = dv.getUint32(at, true);
      if (at > 0) out[p++] = 0xff; // by frame, not by `p`: the first str may be empty
      out.set(u8.subarray(at + 9, at + 4 + len), p);
      p += len - 5;
      at += 4 + len;
    }
    this.take();
    return out.subarray(0, size);
  }

  /** A copy of `u8[at, at + len)` in this buffer (what was appended and not taken is dropped). */
  copy(u8, at, len) {
    this.length = 0;
    this.room(len);
    this.u8.set(u8.subarray(at, at + len));
    return this.take();
  }
}

const SCRATCH_START = 1 << 16;
const SCRATCH_KEEP = 1 << 24;
/** Where `strRunFrames` writes (reused: its result is valid until the next call). */
let runFrames = new Uint8Array(SCRATCH_START);

/**
 * The strs of a run (`[STR_RUN_MARK:u32][count:u32]` and their ASCII bytes with 0xFF between two, the layout
 * of `Scratch.takeStrs`, which Python's senders write too) as frames of the codec's str:
 * `[len:u32]` (`tagged`: then `[tag:u32]`, TAG.DATA) `[7][n:u32][bytes]` each. A view that the
 * next call reuses. RangeError for a run that is not one.
 * @param {Uint8Array} run
 * @param {boolean} tagged
 */
export function strRunFrames(run, tagged) {
  const count = run.length >= 8 ? new DataView(run.buffer, run.byteOffset, 8).getUint32(4, true) : -1;
  if (count < 1) throw new RangeError(`a run of strs of ${run.length} bytes holds none`);
  const head = tagged ? 8 : 4;
  const size = count * (head + 5) + (run.length - 8 - (count - 1));
  if (size < count * (head + 5)) throw new RangeError(`a run of ${count} strs in ${run.length} bytes`);
  if (runFrames.length < size || runFrames.length > Math.max(SCRATCH_KEEP, size)) runFrames = new Uint8Array(Math.max(SCRATCH_START, size));
  const out = runFrames, odv = new DataView(out.buffer);
  let start = 8, p = 0, i = 0;
  for (let at = 8; at <= run.length; at++) {
    const b = at < run.length ? run[at] : 0xff;
    if (b < 0x80) continue;
    if (b !== 0xff || i === count) throw new RangeError(`a run of strs that is not one (byte ${b} at ${at}, str ${i} of ${count})`);
    const n = at - start;
    odv.setUint32(p, 5 + n, true);
    if (tagged) odv.setUint32(p + 4, TAG.DATA, true);
    out[p + head] = VALUE_TYPE.STRING;
    odv.setUint32(p + head + 1, n, true);
    out.set(run.subarray(start, at), p + head + 5);
    p += head + 5 + n;
    start = at + 1;
    i++;
  }
  if (i !== count) throw new RangeError(`a run of ${count} strs that holds ${i}`);
  return out.subarray(0, p);
}


/** Whether `u8` starts with the word of a run of strs (`STR_RUN_MARK`). */
export const isStrRun = (u8) => u8.length >= 4 && u8[0] === 0xff && u8[1] === 0xff && u8[2] === 0xff && u8[3] === 0xff;

/** The longest str `takeStrs` gathers, and the fewest strs it makes a run of (a few frames cost
 * Python less than the calls a run takes: round trips stay as quick). */
const STR_RUN_MAX = 1024;
const STR_RUN_MIN = 4;

/**
 * A Python object with the buffer protocol as Pyodide hands it to JavaScript (a PyProxy).
 * @typedef {{type: string, getBuffer(type: string): {data: Uint8Array, release(): void}, copy(): PythonBytes,
 *   destroy(): void}} PythonBytes
 */

/**
 * Calls `fn` with the bytes of `x`: a Uint8Array, or a Python bytes object handed over by Pyodide
 * as a PyProxy, read in place through Python's buffer protocol and released after `fn` returns
 * (`fn` must copy what it keeps; `owner`, given for a Python `bytes` object, which is immutable, may
 * be kept with `owner.copy()` and read again later). Converting with `to_js` instead copies a mebibyte in about 0.8 ms.
 * @template T
 * @param {Uint8Array | PythonBytes} x
 * @param {(bytes: Uint8Array, owner: PythonBytes | null) => T} fn
 * @returns {T}
 */
export function withBytes(x, fn) {
  if (x instanceof Uint8Array) return fn(x, null);
  if (x !== null && typeof x === "object" && typeof x.getBuffer === "function") {
    const buffer = x.getBuffer("u8");
    try {
      return fn(buffer.data, x.type === "bytes" ? x : null); // immutable, so it may be kept
    } finally {
      buffer.release();
    }
  }
  throw new TypeError("expected a Uint8Array (or Python bytes) of encoded messages");
}
