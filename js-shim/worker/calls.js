// A worker's side of the calls between it and the page: running the functions it exposed when
// the page calls them, and calling the page's functions, awaitable on both transports and
// blocking on the shared one (the wait in runtime.js's SharedSide holds aside what else arrives).

import { Encoder } from "../codec.js";
import { callFrame, encodeAnswer, exposedEntries, runExposed } from "../calls.js";
import { DEFAULT_CALL_TIMEOUT, SHARED_WORDS, TAG } from "../protocol.js";

const MAX_ID = 0xffffffff;
const clock = performance;
/** Ms the worker waits for the interrupt of a call the page claimed (it writes it right after). */
const INTERRUPT_SENT_MS = 1000;

/** The page's function raised (`remoteName`, `remoteMessage`, `remoteStack` describe it). */
export class CallError extends Error {
  constructor(message, { remoteName, remoteMessage, remoteStack } = {}) {
    super(message);
    this.name = "CallError";
    this.remoteName = remoteName;
    this.remoteMessage = remoteMessage;
    this.remoteStack = remoteStack;
  }
}

/** The page did not answer a call within its timeout. */
export class CallTimeoutError extends CallError {
  constructor(message) {
    super(message);
    this.name = "CallTimeoutError";
  }
}

/** A blocking call on the postMessage transport, which cannot wait without returning to the event loop. */
export class CallIsolationError extends CallError {
  /** @param {string} [what] what blocks, and its awaitable form */
  constructor(what = "a blocking call of the page needs the shared transport, and this page is not cross-origin " +
    "isolated (it uses postMessage): use `await callAsync(...)` (Python: `await call_async(...)`)") {
    super(`${what}, or serve the page ` +
      "with the headers 'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: " +
      "require-corp' (recipes in server-headers/), or register the isolation service worker (isolation-sw.js)");
    this.name = "CallIsolationError";
  }
}

/** What a synchronous use of the page's objects throws on the postMessage transport. */
export const PAGE_NEEDS_ISOLATION = "page.window and page.document are used synchronously only on the shared transport, " +
  "and this page is not cross-origin isolated (it uses postMessage): use their awaitable form, page.async_ in Python " +
  "(`await page.async_.document.title`), page.async in JavaScript";

/** What a call is about, in its errors: the page's function `name`, or a use of a page object. */
function callee(name) {
  return name.startsWith("page object") ? `the use of ${name}` : `the call of ${name}()`;
}

export class WorkerCalls {
  constructor() {
    this.encoder = new Encoder();
    this.next = 1;
    /** The page's functions called and not answered: id -> {name, resolve, reject, timer}. */
    this.pending = new Map();
    /** @type {Map<string, Function>} */
    this.exposed = new Map();
    /** Ms a call of the page waits by default (the page's `callTimeout`). */
    this.timeout = DEFAULT_CALL_TIMEOUT;
    /** Sends one frame: `(tag, bytes)`. */
    this.send = null;
    /** A PyWorker's Python: handles the page's calls `(id, encoded)` and cancels `(id)`. */
    this.python = null;
    /** The page's calls being answered here, by id (a cancelled one is dropped from it). */
    this.running = new Set();
  }

  expose(fns, name) {
    for (const [key, fn] of exposedEntries(fns, name)) this.exposed.set(key, fn);
  }

  /** A frame of a call from the page: its call, the result of this worker's call, or a cancel. */
  onFrame(tag, { id, status, value }) {
    if (tag === TAG.RESULT) {
      this.settle(id, status, value);
    } else if (tag === TAG.CALL) {
      if (this.python) this.python.call(id, value);
      else this.answer(id, value);
    } else if (tag === TAG.CANCEL) {
      if (this.python) this.python.cancel(id);
      else this.running.delete(id);
    }
  }

  /**
   * Runs `run()`, the synchronous part of a PyWorker's function for the page's call `id`, where
   * the page's cancel of that call raises KeyboardInterrupt (`words`: protocol.js's SHARED_WORDS,
   * absent on a page that is not cross-origin isolated). An interrupt the page wrote for it is
   * withdrawn once it ends, so that it never reaches the Python that runs next.
   */
  runInterruptible(words, id, run) {
    if (!words) return run();
    const outer = Atomics.exchange(words, SHARED_WORDS.RUNNING, id | 0);
    let result, error, failed = false;
    try {
      result = run();
    } catch (e) {
      failed = true;
      error = e;
    }
    if (Atomics.exchange(words, SHARED_WORDS.RUNNING, outer) === (id | 0)) {
      if (failed) throw error;
      return result;
    }
    // The page claimed the call: its interrupt is written, or about to be. What the interrupt
    // raised outside the function has nobody to go to: the page stopped waiting for the call.
    Atomics.wait(words, SHARED_WORDS.SENT, 0, INTERRUPT_SENT_MS);
    Atomics.store(words, SHARED_WORDS.INTERRUPT, 0);
    Atomics.store(words, SHARED_WORDS.SENT, 0);
    return result;
  }

  async answer(id, value) {
    this.running.add(id);
    const r = await runExposed(this.exposed, value, "the worker");
    if (!this.running.delete(id)) return; // cancelled: the page is not waiting
    const { status, body } = encodeAnswer(this.encoder, r.status, r.value, "the worker");
    this.send(TAG.RESULT, callFrame(id, status, body));
  }

  /**
   * Sends a call of the page's function; returns its id. `body`: `[name, args]` encoded already
   * (Python). With `tag` PAGE, an operation on the page's objects (`body` or `args`: the
   * operation; `name` describes it in errors).
   */
  begin(name, args, body, tag = TAG.CALL) {
    if (typeof name !== "string") throw new TypeError(`a call's name is a str, not ${typeof name}`);
    const frame = callFrame(0, 0, body ?? this.encoder.encode(tag === TAG.PAGE ? args : [name, args]));
    const id = this.next;
    this.next = id === MAX_ID ? 1 : id + 1;
    new DataView(frame.buffer).setUint32(0, id, true);
    this.send(tag, frame);
    return id;
  }

  timeoutMs(timeoutMs) {
    const ms = timeoutMs ?? this.timeout;
    if (typeof ms !== "number" || !(ms > 0)) throw new RangeError(`a call's timeout is a number of ms above 0, not ${String(ms)}`);
    return ms;
  }

  timedOut(name, ms) {
    return new CallTimeoutError(`the page did not answer ${callee(name)} within ${ms} ms ` +
      "(the page's callTimeout / call_timeout= option, or this call's timeout)");
  }

  /** Calls the page's function `name`; resolves with its result. */
  callAsync(name, args, timeoutMs, body, tag) {
    try {
      const ms = this.timeoutMs(timeoutMs);
      const id = this.begin(name, args, body, tag);
      return new Promise((resolve, reject) => {
        const timer = ms === Infinity ? null : setTimeout(() => {
          this.pending.delete(id);
          this.cancel(id);
          reject(this.timedOut(name, ms));
        }, ms);
        this.pending.set(id, { name, resolve, reject, timer });
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Calls the page's function `name` and blocks until it answers: `waitResult(id, deadline)`
   * (the shared transport's) returns the RESULT frame's `{status, value}`, or null at the deadline.
   */
  callSync(name, args, timeoutMs, body, waitResult, tag) {
    const ms = this.timeoutMs(timeoutMs);
    const id = this.begin(name, args, body, tag);
    const r = waitResult(id, ms === Infinity ? Infinity : clock.now() + ms);
    if (r === null) {
      this.cancel(id);
      throw this.timedOut(name, ms);
    }
    if (r.status === 0) return r.value;
    throw this.error(name, r.value);
  }

  cancel(id) {
    try {
      this.send(TAG.CANCEL, callFrame(id, 0, this.encoder.encode(null)));
    } catch {} // a channel that ended: the page is not waiting either
  }

  error(name, value) {
    const { name: type, message, stack } = value !== null && typeof value === "object" ? value : {};
    const what = name.startsWith("page object") ? `the use of ${name}` : `the page's function ${name}()`;
    return new CallError(`${what} raised ${type}: ${message}`,
      { remoteName: type, remoteMessage: message, remoteStack: stack });
  }

  /** The answer to an awaited call (one that timed out is gone, and its answer dropped). */
  settle(id, status, value) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (status === 0) entry.resolve(value);
    else entry.reject(this.error(entry.name, value));
  }
}
