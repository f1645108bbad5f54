// The worker's side of the shared transport: a receive loop that sleeps without blocking, a
// blocking recv(), and the blocking wait for the answer of a call of the page, which holds aside
// what else arrives (runtime.js is the runtime around it, and the postMessage side).

import { CodecError } from "../codec.js";
import { readCall } from "../calls.js";
import { STATUS, TAG } from "../protocol.js";
import { TAKEN } from "../transport/reader.js";
import { ChannelStatusError } from "../transport/shared.js";
import { dispatch } from "./script.js";

// After its last message a worker polls its ring this long before it sleeps: waking from
// Atomics.waitAsync costs 50-100 us, so a reply that comes soon is taken at once.
const SPIN_MS = 1;
/** At most this many bytes of messages go to Python in one call (a bound on acknowledgement delay). */
const BATCH_BOUND = 1 << 20;
const clock = performance;

/**
 * What the runtime shares with its side of the channel: its state, read when used, and its reports.
 * @typedef {{raw: boolean, batchHandler: Function | null, closing: boolean,
 *   calls: import("./calls.js").WorkerCalls, scratch: import("../frames.js").Scratch,
 *   handleBatch: (batch: Uint8Array) => void, reportError: (e: any) => void,
 *   reportBroken: (e: any) => void, reportReady: () => void}} WorkerHost
 */

/** The error the user's code sees for a status that ends the channel. */
function channelError(e) {
  if (!(e instanceof ChannelStatusError)) return e;
  const err = new Error(e.status === STATUS.CLOSED ? "pywebworker: the page closed this worker's channel"
    : `pywebworker: this worker's channel is unusable: ${e.message}`);
  err.channel = true;
  return err;
}

/** Over the shared rings: a receive loop that sleeps without blocking, and a blocking recv(). */
export class SharedSide {
  /**
   * @param {import("../transport/shared.js").SharedEnd} end
   * @param {WorkerHost} host what the runtime shares with this side (runtime.js)
   */
  constructor(end, host) {
    this.host = host;
    this.end = end;
    this.unacked = 0; // messages taken by recv() and not acknowledged yet
    this.ackTimer = null;
    this.closed = false;
    /** What arrived while a blocking call waited for its answer, in order: `{tag, value}`. */
    this.held = [];
    const reader = end.reader;
    // Sinks of a PyWorker's messages (Python copies them at once): into the batch, or into the
    // reused scratch buffer for recv(); a call frame is read as such.
    this.batchSink = (u8, at, len) => (reader.tag === TAG.DATA ? this.host.scratch.appendFrame(u8, at, len)
      : readCall(true, reader.tag, u8, at, len));
    this.copySink = (u8, at, len) => (reader.tag === TAG.DATA ? this.host.scratch.copy(u8, at, len)
      : readCall(true, reader.tag, u8, at, len));
  }

  sendBytes(tag, bytes) {
    try {
      this.end.sendBlocking(tag, bytes);
    } catch (e) {
      const err = channelError(e);
      if (err.channel) this.host.reportBroken(err); // whether or not the script catches it
      throw err;
    }
  }

  flush() {}

  /** Takes the next whole message into the reader; false when none is waiting. */
  take() {
    const r = this.end.take();
    if (r === TAKEN) return true;
    if (r === STATUS.EMPTY) return false;
    if (r === STATUS.CLOSED) {
      this.closed = true;
      return false;
    }
    throw channelError(new ChannelStatusError(r, this.end.problem()));
  }

  /** Handles every message waiting (those held aside first); returns how many. */
  drain() {
    if (this.host.batchHandler) return this.drainBatch();
    let handled = this.runHeld();
    const reader = this.end.reader;
    let acks = 0;
    // A message from the page that does not decode was not written by the page's encoder: the
    // channel is broken (CodecError ends the loop, reported as that).
    while (!this.host.closing && this.take()) {
      const tag = reader.tag, value = reader.value;
      reader.value = undefined;
      handled++;
      if (tag !== TAG.DATA) {
        this.end.ack(1);
        this.host.calls.onFrame(tag, value);
        continue;
      }
      const pending = dispatch(value);
      if (pending) pending.then(() => this.end.ack(1));
      else acks++;
    }
    if (acks) this.end.ack(acks);
    return handled;
  }

  /** Handles what a blocking call held aside (its call frames are acknowledged already). */
  runHeld() {
    const held = this.held;
    let handled = 0, count = 0;
    while (held.length && !this.host.closing) {
      const { tag, value } = held.shift();
      handled++;
      if (tag === TAG.DATA && this.host.batchHandler) {
        this.host.scratch.appendFrame(value, 0, value.length);
        count++;
        continue;
      }
      if (count) {
        this.host.handleBatch(this.host.scratch.takeStrs());
        this.end.ack(count);
        count = 0;
      }
      if (tag !== TAG.DATA) {
        this.host.calls.onFrame(tag, value);
        continue;
      }
      const pending = dispatch(value);
      if (pending) pending.then(() => this.end.ack(1));
      else this.end.ack(1);
    }
    if (count) {
      this.host.handleBatch(this.host.scratch.takeStrs());
      this.end.ack(count);
    }
    return handled;
  }

  /**
   * A PyWorker's drain: every waiting message (up to a bound) to Python in one call, copied from
   * the ring straight into the batch.
   */
  drainBatch() {
    const handled = this.runHeld();
    const reader = this.end.reader;
    let count = 0, call = null;
    reader.sink = this.batchSink;
    try {
      while (!this.host.closing && this.host.scratch.length < BATCH_BOUND && this.take()) {
        if (reader.tag === TAG.DATA) {
          count++;
          continue;
        }
        // A call goes after the messages before it, and before those after it.
        call = { tag: reader.tag, value: reader.value };
        reader.value = undefined;
        break;
      }
    } catch (e) {
      this.host.scratch.take(); // what was gathered goes nowhere: the channel is unusable
      throw e;
    } finally {
      reader.sink = null;
    }
    if (count) {
      this.host.handleBatch(this.host.scratch.takeStrs());
      this.end.ack(count);
    }
    if (call) {
      this.end.ack(1);
      this.host.calls.onFrame(call.tag, call.value);
      count++;
    }
    return handled + count;
  }

  /** The receive loop for handler-style scripts: drain, spin a little, then sleep without blocking. */
  async run() {
    const end = this.end;
    while (!this.closed && !this.host.closing) {
      try {
        if (this.drain() > 0) continue;
      } catch (e) {
        if (e.channel || e instanceof CodecError) this.host.reportBroken(e);
        else this.host.reportError(e);
        return;
      }
      if (this.closed) break;
      // A short spin keeps round trips fast; then sleep until the page rings.
      let arrived = false;
      for (let i = 1, until = clock.now() + SPIN_MS; ; i++) {
        if (end.hasData()) {
          arrived = true;
          break;
        }
        if ((i & 255) === 0 && clock.now() > until) break;
      }
      if (!arrived) await end.sleep();
    }
  }

  recv(timeoutMs) {
    this.host.reportReady();
    this.ackTaken();
    const end = this.end, reader = end.reader;
    let value;
    while (this.held.length) {
      const h = this.held.shift();
      if (h.tag === TAG.DATA) return this.taken(h.value);
      this.host.calls.onFrame(h.tag, h.value);
    }
    const deadline = timeoutMs === undefined || timeoutMs === null ? Infinity : clock.now() + timeoutMs;
    // Python copies a message at once: it goes into the reused scratch buffer, not a new one.
    reader.sink = this.host.raw ? this.copySink : null;
    let r;
    try {
      for (;;) {
        r = end.take();
        if (r === TAKEN && reader.tag !== TAG.DATA) {
          // The page's call (run now, this worker being busy in recv) or a result.
          const call = reader.value;
          reader.value = undefined;
          end.ack(1);
          this.host.calls.onFrame(reader.tag, call);
          continue;
        }
        if (r !== STATUS.EMPTY) break;
        const left = deadline - clock.now();
        if (left <= 0) throw new Error(`pywebworker: recv timed out after ${timeoutMs} ms`);
        end.wait(left);
      }
    } finally {
      reader.sink = null;
    }
    if (r !== TAKEN) throw channelError(new ChannelStatusError(r, end.problem()));
    value = reader.value;
    reader.value = undefined;
    return this.taken(value);
  }

  /** A message recv() hands out: acknowledged when the script asks for the next one or returns
   * to the event loop. */
  taken(value) {
    this.unacked++;
    this.ackTimer ??= setTimeout(() => this.ackTaken(), 0);
    return value;
  }

  /** The page's function `name` called, this thread blocked until it answers or the timeout. */
  callSync(name, args, timeoutMs, body, tag) {
    return this.host.calls.callSync(name, args, timeoutMs, body, (id, deadline) => this.waitResult(id, deadline), tag);
  }

  /**
   * Blocks until the RESULT of call `id` arrives (`{status, value}`), or null at `deadline`.
   * What else arrives meanwhile is held aside, in order, for the receive loop or recv(): the
   * results of awaited calls are settled at once.
   */
  waitResult(id, deadline) {
    const end = this.end, reader = end.reader, sink = reader.sink;
    reader.sink = null;
    try {
      for (;;) {
        const r = end.take();
        if (r === TAKEN) {
          const tag = reader.tag, value = reader.value;
          reader.value = undefined;
          if (tag !== TAG.DATA) end.ack(1);
          if (tag === TAG.RESULT) {
            if (value.id === id) return value;
            this.host.calls.onFrame(tag, value);
          } else {
            this.held.push({ tag, value });
          }
          continue;
        }
        if (r !== STATUS.EMPTY) throw channelError(new ChannelStatusError(r, end.problem()));
        const left = deadline - clock.now();
        if (left <= 0) return null;
        end.wait(left);
      }
    } finally {
      reader.sink = sink;
      // Held messages are handled once this thread returns to its event loop, even when the
      // receive loop sleeps (they left the ring, which wakes it no more).
      if (this.held.length && !this.heldTimer) {
        this.heldTimer = setTimeout(() => {
          this.heldTimer = null;
          try {
            this.drain();
          } catch (e) {
            if (e.channel || e instanceof CodecError) this.host.reportBroken(e);
            else this.host.reportError(e);
          }
        }, 0);
      }
    }
  }

  ackTaken() {
    if (this.unacked) this.end.ack(this.unacked);
    this.unacked = 0;
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }
}
