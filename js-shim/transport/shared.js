// One end of a worker's link (src/channel/link.rs) in shared wasm memory, driven from JavaScript:
// the same class on the page (which never blocks: it queues what finds no room and waits with
// Atomics.waitAsync) and in the worker (which may block in Atomics.wait).
//
// Sending writes frames in place with portReserve/portCommit, in parts of at most a frame for a
// large message; receiving reads frames in place (PortReader, which reassembles parts in this
// thread's own memory). Nothing here allocates in the shared memory, so a thread terminated at
// any instruction leaves no lock taken there.

import { MemoryViews, PortReader, TAKEN } from "./reader.js";
import { STATUS, TAG } from "../protocol.js";
import { waitAsync, wakeWaiters } from "../wait.js";

export { TAKEN };

/** A sleep for data re-checks at least this often (as the Rust side's sleepers do), so a wake-up
 * lost to a corrupted doorbell delays that end instead of stopping it. */
const SLEEP_SLICE_MS = 50;

/**
 * The ends of this thread that are sleeping, and one timer that wakes them every SLEEP_SLICE_MS
 * while there are any. A timeout on each `Atomics.waitAsync` would do the same, but costs a timer
 * set and cancelled per sleep, a few microseconds on every round trip.
 * @type {Set<SharedEnd>}
 */
const sleepers = new Set();
let slicer = null;

function sliceSleeps() {
  if (sleepers.size === 0) {
    clearInterval(slicer);
    slicer = null;
    return;
  }
  for (const end of sleepers) wakeWaiters(end.views.i32, end.sleepIndex);
}

/** From this size a message from Python that waits for room is kept as its bytes object. */
const KEEP_PYTHON_BYTES = 4096;

/** The error for a message over the channel's limit, thrown before anything of it is sent. */
export function tooLarge(n, max, option = "maxMessageBytes") {
  return new RangeError(`a message of ${n} bytes (encoded) is larger than the ${max} bytes a worker's channel ` +
    `takes: send it in smaller pieces, or raise the worker's ${option} option`);
}

/** A status of the wasm calls that ends the channel (CLOSED, CORRUPT...), as thrown by an end. */
export class ChannelStatusError extends Error {
  constructor(status, problem = "") {
    super(status === STATUS.CLOSED ? "the other side closed the channel"
      : status === STATUS.CORRUPT ? `the channel is corrupt: ${problem || "its shared memory was overwritten"}`
        : `the channel failed with status ${status}`);
    this.name = "ChannelStatusError";
    /** The status code (STATUS in protocol.js). */
    this.status = status;
  }
}

/** One end of a link: send, take, sleep and wake, acknowledgements and settle, close. */
export class SharedEnd {
  /**
   * @param {any} glue the wasm-bindgen glue
   * @param {WebAssembly.Memory} memory the shared memory
   * @param {number} port the address of this end (`linkPort`)
   * @param {{raw?: boolean, maxBytes: number, maxFrame: number}} options
   */
  constructor(glue, memory, port, { raw = false, maxBytes, maxFrame }) {
    this.glue = glue;
    this.port = port;
    this.views = new MemoryViews(memory);
    this.reader = new PortReader(glue, port, this.views, { raw, maxBytes, maxFrame });
    this.maxBytes = maxBytes;
    this.maxFrame = maxFrame;
    /** Messages waiting for room (page): `{bytes, at, owner, start, end}`; `head` is the first not written. */
    this.queue = [];
    this.head = 0;
    this.draining = false;
    /** Set when the end may no longer be used (the worker ended): queued writes stop. */
    this.stopped = false;
    /** The index (in 32-bit words) of the word `sleep` waits on. */
    this.sleepIndex = glue.portSleepWord(port) >>> 2;
  }

  // ---- Sending --------------------------------------------------------------------------------

  /** Whether messages wait for room. */
  get queued() {
    return this.queue.length - this.head;
  }

  /**
   * Writes `src[at, at + n)` as one frame now if nothing waits before it and there is room:
   * 0 when written, FULL when it must wait, or another (negative) status that ends the channel.
   */
  tryFrame(tag, src, at, n) {
    if (n > this.maxFrame || (this.head < this.queue.length && !this.drain())) return STATUS.FULL;
    const g = this.glue;
    const ptr = g.portReserve(this.port, n);
    if (ptr < 0) return ptr;
    this.views.cover(ptr, n);
    const mem = this.views.u8;
    if (n <= 64) for (let i = 0; i < n; i++) mem[ptr + i] = src[at + i];
    else mem.set(src.subarray(at, at + n), ptr);
    g.portCommit(this.port, tag, n, false);
    return 0;
  }

  /**
   * Sends one data message without blocking (the page): at once when there is room, else in part
   * and the rest queued, written as room appears (`onError` gets what ends the channel then).
   * `owner`: the Python bytes object `src` views, kept instead of a copy when it has to wait.
   */
  sendQueued(src, at, n, owner, onError, tag = TAG.DATA) {
    const s = this.tryFrame(tag, src, at, n);
    if (s === 0) return;
    if (s !== STATUS.FULL) throw new ChannelStatusError(s);
    const bytes = src.subarray(at, at + n);
    let done = 0;
    if (n > this.maxFrame && (this.head === this.queue.length || this.drain())) {
      // Nothing waits before it: the parts that fit go now, only the rest waits.
      const item = { bytes, at: 0, owner: null, tag };
      const r = this.writeParts(item);
      if (r === true) return;
      if (r !== false) throw new ChannelStatusError(r);
      done = item.at;
    }
    // What waits is a copy or, for a large message from Python, the bytes object itself (immutable:
    // read again when there is room; a small one is cheaper to copy than to read through Pyodide).
    this.queue.push(owner && n >= KEEP_PYTHON_BYTES
      ? { bytes: null, at: done, owner: owner.copy(), start: at, end: at + n, tag }
      : { bytes: bytes.slice(done), at: 0, owner: null, tag });
    this.scheduleDrain(onError);
  }

  /**
   * Writes what is left of one message from `item.at`, in parts of at most a frame, while there is
   * room: true when its last part went, false when the ring is full, or a status that ends the
   * channel. A message in parts is never interleaved with another.
   */
  writeParts(item) {
    if (!item.owner) return this.writeFrom(item, item.tag);
    // A Python bytes object: its memory is read for this call only (Pyodide's heap may move).
    const buffer = item.owner.getBuffer("u8");
    let done;
    try {
      item.bytes = buffer.data.subarray(item.start, item.end);
      done = this.writeFrom(item, item.tag);
    } finally {
      item.bytes = null;
      buffer.release();
    }
    if (done === true) {
      item.owner.destroy();
      item.owner = null;
    }
    return done;
  }

  writeFrom(item, tag = TAG.DATA) {
    const g = this.glue, bytes = item.bytes;
    for (;;) {
      const n = Math.min(this.maxFrame, bytes.length - item.at);
      const ptr = g.portReserve(this.port, n);
      if (ptr === STATUS.FULL) {
        g.portFlush(this.port); // the parts written so far: the reader takes them and makes room
        return false;
      }
      if (ptr < 0) return ptr;
      this.views.cover(ptr, n);
      this.views.u8.set(item.at === 0 && n === bytes.length ? bytes : bytes.subarray(item.at, item.at + n), ptr);
      item.at += n;
      const more = item.at < bytes.length;
      g.portCommit(this.port, tag, n, more);
      if (!more) return true;
    }
  }

  /** Writes queued messages while there is room; true when all went (a status ends the channel). */
  drain() {
    if (this.stopped) return this.head === this.queue.length;
    while (this.head < this.queue.length) {
      const r = this.writeParts(this.queue[this.head]);
      if (r !== true) {
        if (r !== false) throw new ChannelStatusError(r);
        return false;
      }
      this.queue[this.head++] = undefined;
    }
    // Each message's last commit already woke the reader.
    this.queue.length = 0;
    this.head = 0;
    return true;
  }

  /** Writes the queued messages as room appears, waiting for it without blocking this thread. */
  scheduleDrain(onError) {
    if (this.draining) return;
    this.draining = true;
    queueMicrotask(async () => {
      try {
        while (!this.stopped && this.head < this.queue.length) {
          if (this.drain()) break;
          const item = this.queue[this.head];
          const length = item.owner ? item.end - item.start : item.bytes.length;
          // "Room" is answered exactly when the next part can be reserved; should it ever be
          // answered while the write still finds none, the loop waits a timer's turn instead of
          // spinning on this thread.
          if (!(await this.waitRoom(Math.min(this.maxFrame, length - item.at), 100)) && !this.drain()) {
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        }
      } catch (e) {
        onError(e);
      } finally {
        this.draining = false;
      }
    });
  }

  /** Drops what waits for room (the worker ended); Python objects held for it are let go. */
  dropQueued() {
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]?.owner?.destroy();
    this.queue.length = 0;
    this.head = 0;
  }

  /**
   * Sends one message, blocking this thread (a worker) while the ring is full. Throws RangeError
   * for a message over the limit (before anything is sent), or the status that ends the channel.
   */
  sendBlocking(tag, bytes) {
    const n = bytes.length;
    if (n > this.maxBytes) throw tooLarge(n, this.maxBytes);
    if (n <= this.maxFrame && this.tryFrame(tag, bytes, 0, n) === 0) return;
    const item = { bytes, at: 0 };
    for (;;) {
      const r = this.writeFrom(item, tag);
      if (r === true) return;
      if (r !== false) throw new ChannelStatusError(r);
      const w = this.glue.portWaitSpace(this.port, Math.min(this.maxFrame, n - item.at), undefined);
      if (w < 0) throw new ChannelStatusError(w);
    }
  }

  // ---- Receiving ------------------------------------------------------------------------------

  /** Takes the next whole message into `reader.tag` / `reader.value`: TAKEN, or a status
   * (EMPTY, CLOSED, CORRUPT: `problem()` says why). A payload that does not decode throws CodecError. */
  take() {
    return this.reader.take();
  }

  /** Why the last CORRUPT was returned, when this side's check found it (not the ring's). */
  problem() {
    return this.reader.problem;
  }

  /** Whether a frame may be waiting (one atomic load). */
  hasData() {
    return this.glue.portHasData(this.port);
  }

  /** Whether the peer closed its side (what it sent may still be waiting). */
  peerClosed() {
    return this.glue.portPeerClosed(this.port);
  }

  /**
   * Waits without blocking this thread until a frame may be waiting, the peer closed, the end is
   * stopped, or `SLEEP_SLICE_MS` pass (so a wake-up lost to a corrupted doorbell delays this side
   * instead of stopping it): resolves at once when a frame is waiting already.
   */
  async sleep() {
    const g = this.glue;
    const seen = g.portBeginSleep(this.port);
    if (seen === undefined) return;
    try {
      this.views.current();
      const r = waitAsync(this.views.i32, this.sleepIndex, seen);
      if (r.async) {
        sleepers.add(this);
        slicer ??= setInterval(sliceSleeps, SLEEP_SLICE_MS);
        await r.value;
      }
    } finally {
      sleepers.delete(this);
      if (!this.stopped) g.portEndSleep(this.port);
    }
  }

  /** Blocks this thread (a worker) until a frame may be waiting, or `ms` passes. */
  wait(ms) {
    return this.glue.portWait(this.port, ms === Infinity ? undefined : ms);
  }

  /** Waits without blocking until a frame of `len` payload bytes fits, or `ms`; false on timeout. */
  async waitRoom(len, ms) {
    const g = this.glue;
    const seen = g.portBeginSpace(this.port, len);
    if (seen === undefined) return true;
    try {
      this.views.current();
      const r = waitAsync(this.views.i32, g.portSpaceWord(this.port) >>> 2, seen, ms);
      return (r.async ? await r.value : r.value) !== "timed-out";
    } finally {
      if (!this.stopped) g.portEndSpace(this.port);
    }
  }

  // ---- Acknowledgements -----------------------------------------------------------------------

  /** Acknowledges `n` more messages handled. */
  ack(n) {
    this.glue.portAck(this.port, n);
  }

  /** Messages sent that the peer has not acknowledged yet, those waiting for room included. */
  unsettled() {
    return this.glue.portUnsettled(this.port) + this.queued;
  }

  /**
   * Waits without blocking, at most `ms`, until the peer may have made progress: an
   * acknowledgement, or room for what waits to be written. Always gives the event loop a turn:
   * when every message in the ring is acknowledged and others still wait for room, the room is
   * what to wait for, and when neither can be waited on, a timer's turn.
   */
  async waitProgress(ms) {
    const g = this.glue;
    let begin, word, end;
    if (this.head < this.queue.length) {
      const item = this.queue[this.head];
      const len = Math.min(this.maxFrame, (item.owner ? item.end - item.start : item.bytes.length) - item.at);
      [begin, word, end] = [() => g.portBeginSpace(this.port, len), g.portSpaceWord(this.port), () => g.portEndSpace(this.port)];
    } else {
      [begin, word, end] = [() => g.portBeginSettle(this.port), g.portSettleWord(this.port), () => g.portEndSettle(this.port)];
    }
    const seen = begin();
    if (seen === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      return;
    }
    try {
      this.views.current();
      const r = waitAsync(this.views.i32, word >>> 2, seen, ms);
      if (r.async) await r.value;
      else await new Promise((resolve) => setTimeout(resolve, 0));
    } finally {
      if (!this.stopped) end();
    }
  }

  // ---- Ending ---------------------------------------------------------------------------------

  /** Stops the end (the worker ended) and wakes this thread's waits on it so they see that. */
  stop() {
    this.stopped = true;
    const g = this.glue, i32 = this.views.i32;
    wakeWaiters(i32, this.sleepIndex);
    wakeWaiters(i32, g.portSettleWord(this.port) >>> 2);
    wakeWaiters(i32, g.portSpaceWord(this.port) >>> 2);
  }
}
