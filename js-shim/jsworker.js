// JsWorker: a Web Worker running a JavaScript script, talking to the page through rings in
// shared wasm memory when the page is cross-origin isolated, and through batched postMessage
// otherwise. Same API and message semantics in both modes.

import { Encoder } from "./codec.js";
import { MemoryViews, PortReader, TAKEN, payload } from "./port.js";
import { PREFIX, TAG, STATUS, LINK_CAPACITY, DEFAULT_MAX_MESSAGE_BYTES, BatchWriter, Scratch, forEachFrame, isStrRun, strRunFrames, withBytes } from "./protocol.js";
import { IsolationError, loadShared } from "./threads.js";
import { setWaitMode, waitAsync, waitStats, wakeWaiters } from "./wait.js";

export { IsolationError };

// Reading the `performance` global costs ~0.4 us in Chromium (measured): look it up once.
const clock = performance;
// Where workers load their runtime from, and where the page loads the wasm glue from: next to
// this file unless `configure` says otherwise (a bundle evaluated as a classic script has no
// `import.meta.url`, and configures both).
const settings = { runtimeUrl: null, wait: "auto" };
const runtimeUrl = () => settings.runtimeUrl ?? new URL("./worker-runtime.js", import.meta.url);
const defaultGlueUrl = () => new URL("./pkg/pywebworker.js", import.meta.url);

/**
 * Sets where workers load their runtime from (for example a blob: URL of the bundled runtime),
 * and how the page and the workers started from now on wait on shared memory: `"auto"`
 * (Atomics.waitAsync where the browser has it, else polling) or `"poll"` (always poll).
 * @param {{runtimeUrl?: string | URL, waitAsync?: "auto" | "poll"}} options
 */
export function configure({ runtimeUrl, waitAsync: wait } = {}) {
  if (runtimeUrl !== undefined) settings.runtimeUrl = runtimeUrl;
  if (wait !== undefined) {
    setWaitMode(wait);
    settings.wait = wait;
  }
}
const DEFAULT_SETTLE_TIMEOUT = 10_000;
/** Without the Web Locks API, a killed worker's memory is freed after this long. */
const QUARANTINE_MS = 2000;

/**
 * What a message may hold (anything else is a TypeError naming its type, thrown before sending).
 * @typedef {string | number | bigint | boolean | null | undefined | ArrayBuffer | ArrayBufferView
 *   | Sendable[] | { [key: string]: Sendable }} Sendable
 */

/** @typedef {"created" | "starting" | "running" | "failed" | "killed" | "exited"} WorkerState */

// ---- Errors -----------------------------------------------------------------------------------

/** Base of every error a worker reports; `remote*` describe an exception raised in the worker. */
export class WorkerError extends Error {
  /**
   * @param {string} message
   * @param {{remoteName?: string, remoteMessage?: string, remoteStack?: string}} [remote]
   */
  constructor(message, { remoteName, remoteMessage, remoteStack } = {}) {
    super(message);
    this.name = "WorkerError";
    /** @type {string | undefined} the type of the exception raised in the worker */
    this.remoteName = remoteName;
    /** @type {string | undefined} its message */
    this.remoteMessage = remoteMessage;
    /** @type {string | undefined} its stack trace, as the worker saw it */
    this.remoteStack = remoteStack;
  }
}

/** The worker's script could not be loaded or failed before it was ready. */
export class WorkerScriptError extends WorkerError {
  constructor(...args) {
    super(...args);
    this.name = "WorkerScriptError";
  }
}

/** The worker was killed (by `kill()`), so it cannot send or receive any more. */
export class WorkerKilledError extends WorkerError {
  constructor(message = "the worker was killed: it can no longer send or receive; create a new worker") {
    super(message);
    this.name = "WorkerKilledError";
  }
}

/** The worker stopped on its own (it called close(), or its thread ended). */
export class WorkerExitedError extends WorkerError {
  constructor(message = "the worker stopped (its script called close() or its thread ended); create a new worker") {
    super(message);
    this.name = "WorkerExitedError";
  }
}

/** The worker did not finish handling the messages sent to it in time, or cannot be waited for here. */
export class SettleError extends WorkerError {
  constructor(message) {
    super(message);
    this.name = "SettleError";
  }
}

/**
 * The worker broke the channel's rules (its shared memory was overwritten, it sent a malformed
 * batch or a message over the size limit); that worker cannot be used any more.
 */
export class ChannelCorruptError extends WorkerError {
  /** @param {string} [why] what was found wrong */
  constructor(why = "its shared memory was overwritten") {
    super(`this worker's channel is corrupt (${why}): kill() this worker ` +
      "and start a new one; other workers are not affected");
    this.name = "ChannelCorruptError";
  }
}

/** A worker whose thread is starting may be inside the shared allocator (its wasm thread's stack
 * and TLS are allocated there): `kill()` ends it once that is done, or after this long. */
const KILL_DURING_START_MS = 5000;

// ---- The wasm runtime, loaded once per page ---------------------------------------------------

let runtime = null;
let liveLinks = 0;
/** From this size a message from Python that waits for room is kept as its bytes object. */
const KEEP_PYTHON_BYTES = 4096;
/** From this size an encoded message received by postMessage is a view of its batch, not a copy. */
const VIEW_BYTES = 1 << 16;

/** Where `takeEncoded` gathers messages for Python, which copies them at once (every worker's). */
const encodedScratch = new Scratch();
/** `takeEncoded` stops gathering once it holds this many bytes: the scratch buffer stays small
 * enough to be kept and reused (a fresh one costs its page faults, more than the copy). */
const TAKE_BOUND = 1 << 20;

/**
 * Loads the shared-memory wasm module once (shared transport only).
 * @param {string | URL} [glueUrl]
 * @returns {Promise<{glue: any, module: WebAssembly.Module, memory: WebAssembly.Memory, exports: any}>}
 */
export function loadRuntime(glueUrl) {
  runtime ??= loadShared(new URL(glueUrl ?? defaultGlueUrl(), location.href).href)
    .then(({ glue, module, exports }) => ready(glue, module, exports));
  return runtime;
}

/**
 * Sets up the runtime synchronously from the wasm-bindgen glue module and the compiled wasm
 * module (`new WebAssembly.Module(bytes)`), for code that cannot await (Python at import time).
 * @param {any} glue the glue module (`pkg/pywebworker.js`)
 * @param {WebAssembly.Module} module
 */
export function useRuntimeSync(glue, module) {
  if (runtime) throw new Error("pywebworker's runtime is already loaded on this thread");
  const exports = glue.initSync({ module });
  const rt = ready(glue, module, exports);
  runtime = Promise.resolve(rt);
  return rt;
}

function ready(glue, module, exports) {
  // Inside a worker this thread may block (JsWorker.recvSync); the page's main thread never does.
  if (typeof WorkerGlobalScope !== "undefined" && globalThis instanceof WorkerGlobalScope) glue.setCanBlock(true);
  return { glue, module, memory: exports.memory, exports };
}

/**
 * Figures for tests and monitoring: wasm memory size, links not freed yet, and how this thread
 * waits on shared memory (`wait.mode`: "native" Atomics.waitAsync or "poll"; waits of each kind).
 * @returns {Promise<{memoryBytes: number, liveLinks: number, wait: {mode: "native" | "poll", native: number, poll: number, hasWaitAsync: boolean}}>}
 */
export async function runtimeStats() {
  const rt = runtime ? await runtime : null;
  return { memoryBytes: rt ? rt.memory.buffer.byteLength : 0, liveLinks, wait: waitStats() };
}

// ---- Messages ---------------------------------------------------------------------------------

/** A message received from a worker, kept in the worker's message list. */
export class WorkerMessage {
  /** @param {Sendable} data */
  constructor(data) {
    /** @type {Sendable} */
    this.data = data;
    this.receivedAt = clock.now();
    this.opened = false;
    /** Taken by a receiving call: dropped from `messages` at the next compaction. */
    this._taken = false;
  }

  /**
   * Marks the message as read and returns its value.
   * @returns {Sendable}
   */
  read() {
    this.opened = true;
    return this.data;
  }

  /** Whether `read()` was called. */
  is_opened() {
    return this.opened;
  }
}

function pickTransport(requested) {
  const isolated = globalThis.crossOriginIsolated === true;
  if (requested === "auto" || requested === undefined) return isolated ? "shared" : "post";
  if (requested === "shared") {
    if (!isolated) throw new IsolationError();
    return "shared";
  }
  if (requested === "post") return "post";
  throw new TypeError(`transport must be "auto", "shared" or "post", not ${JSON.stringify(requested)}`);
}

function deadlineAfter(ms) {
  return ms === undefined || ms === null || ms === Infinity ? Infinity : clock.now() + ms;
}

let serial = 0;

/**
 * A Web Worker running JavaScript.
 *
 * `script` is the script's source text, or a `URL` to load it from. Inside the worker the script
 * uses `self.onmessage = (e) => ...` and `self.postMessage(x)` as usual, plus `send(x)` and (shared
 * transport) a blocking `recv(timeoutMs)`.
 */
export class JsWorker {
  /**
   * @param {string | URL} script source text, or the URL of the script
   * @param {object} [options]
   * @param {"auto" | "shared" | "post"} [options.transport] "auto" (default): shared rings when
   *   the page is cross-origin isolated, batched postMessage otherwise
   * @param {"classic" | "module"} [options.type] how the script is evaluated (default "classic")
   * @param {string} [options.name] the worker's name (shown in developer tools)
   * @param {number} [options.settleTimeout] ms the synchronous getters wait for the worker
   * @param {string | URL} [options.glueUrl] where the wasm glue is (default: next to this file)
   * @param {number} [options.capacity] bytes per ring (a power of two; shared transport)
   * @param {number} [options.maxMessageBytes] the largest message either side may send (default
   *   256 MiB): a larger one is refused with a RangeError before anything is sent, and a worker
   *   that sends one anyway ends with ChannelCorruptError
   * @param {(event: {data: Sendable, target: JsWorker}) => void} [options.onmessage]
   * @param {(error: WorkerError) => void} [options.onerror]
   * @param {boolean} [options.raw] data messages travel as their encoded bytes: `send` is replaced
   *   by `sendEncoded(bytes)` and received values are Uint8Arrays of the codec's format (the Python
   *   API encodes and decodes on its side, so Python types survive)
   * @param {"console" | ((line: string) => void)} [options.stdout] a PyWorker's printed lines:
   *   to the page's console, or to a function (default: the worker's own console)
   * @param {"console" | ((line: string) => void)} [options.stderr] the same for standard error
   */
  constructor(script, options = {}) {
    if (script instanceof URL) {
      this.script = { url: script.href };
    } else if (typeof script === "string") {
      this.script = { source: script };
    } else {
      throw new TypeError(`a worker script is a source string or a URL, not ${script === null ? "null" : typeof script}`);
    }
    this.script.type = options.type ?? "classic";
    // A PyWorker: {indexURL, files, packages, env, repl} for Pyodide in the worker.
    if (options.python) {
      const forward = { stdout: options.stdout !== undefined, stderr: options.stderr !== undefined };
      this.script.python = { ...options.python, forward };
      // Pyodide's interrupt buffer: writing 2 raises KeyboardInterrupt in the worker's Python.
      // Shared memory, so only on a cross-origin isolated page (whatever the transport).
      if (globalThis.crossOriginIsolated === true) {
        this._interrupt = new Int32Array(new SharedArrayBuffer(4));
        this.script.python.interruptBuffer = this._interrupt;
      }
    }
    this._raw = options.raw === true;
    this.script.name = options.name ?? `pywebworker-${++serial}`;
    /** @type {"shared" | "post"} how this worker's messages travel */
    this.transport = pickTransport(options.transport);
    this.options = options;
    this.settleTimeout = options.settleTimeout ?? DEFAULT_SETTLE_TIMEOUT;
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > 2 ** 31) {
      throw new RangeError(`maxMessageBytes is a whole number of bytes from 1 to 2**31, not ${String(max)}`);
    }
    /** The largest message either side may send. */
    this.maxMessageBytes = max;
    /** @type {WorkerState} */
    this.state = "created";
    /** @type {WorkerMessage[]} (`messages`, with what receiving calls took still in it until compacted) */
    this._messages = [];
    /** @type {WorkerError[]} every error the worker reported */
    this.errors = [];
    /** @type {((event: {data: Sendable, target: JsWorker}) => void) | null} */
    this.onmessage = options.onmessage ?? null;
    /** @type {((error: WorkerError) => void) | null} */
    this.onerror = options.onerror ?? null;
    /**
     * Called once (and cleared first) when a message or an error arrives for the receiving calls,
     * or the worker ends: how the Python API waits without a JavaScript promise.
     * @type {(() => void) | null}
     */
    this.onarrival = null;
    this._encoder = new Encoder();
    this._readCursor = 0;
    this._takenCount = 0; // messages taken by a receiving call and still in `messages`
    this._waiters = []; // pending recv(): {resolve, reject, timer}
    this._settlers = []; // pending async settle in post mode: {resolve, reject, timer}
    this._pendingErrors = [];
    this._sent = 0;
    this._handled = 0; // post mode: acknowledged by the worker
    this._lock = `pywebworker:${Date.now().toString(36)}:${Math.random().toString(36).slice(2)}`;
    this._started = null;
    // Shared mode.
    this._rt = null;
    this._link = 0;
    this._port = 0;
    this._linked = false; // the worker was given its end of the link
    this._thread = null; // {tls, stack, stackSize} of the worker's wasm thread
    this._outQueue = []; // messages waiting for room in the ring: {bytes, at}
    this._outHead = 0; // index of the first one not written yet
    this._draining = false;
    // Post mode.
    this._batch = new BatchWriter();
    this._burst = false;
    this._endBurst = () => {
      this._burst = false;
      this._flushBatch();
    };
  }

  /**
   * A worker running the script at `url` (a string resolved against the page, or a URL).
   * @param {string | URL} url
   * @param {ConstructorParameters<typeof JsWorker>[1]} [options]
   */
  static fromURL(url, options) {
    return new JsWorker(new URL(url, location.href), options);
  }

  /**
   * Starts the worker; resolves once its script has run (or blocks in `recv`). Idempotent.
   * @returns {Promise<void>}
   */
  start() {
    if (!this._started) {
      this._started = this._start();
      this._started.catch(() => {}); // a caller that does not await still sees the error later
    }
    return this._started;
  }

  async _start() {
    if (this.state !== "created") throw this._deadError();
    this.state = "starting";
    const init = { type: PREFIX + "init", transport: this.transport, lock: this._lock, script: this.script,
      wait: settings.wait, maxMessageBytes: this.maxMessageBytes };
    if (this.transport === "shared") {
      const rt = (this._rt = await loadRuntime(this.options.glueUrl));
      if (this.state !== "starting") throw this._deadError();
      this._link = rt.glue.linkNew(this.options.capacity ?? LINK_CAPACITY);
      liveLinks++;
      this._port = rt.glue.linkPort(this._link, 0);
      this._maxFrame = rt.glue.maxFramePayload(this.options.capacity ?? LINK_CAPACITY);
      this._mem = new MemoryViews(rt.memory);
      this._reader = new PortReader(rt.glue, this._port, this._mem, this._raw, this.maxMessageBytes);
      Object.assign(init, { module: rt.module, memory: rt.memory });
    }
    const ready = new Promise((resolve, reject) => (this._readyHooks = { resolve, reject }));
    this._worker = new Worker(runtimeUrl(), { type: "module", name: this.script.name });
    this._worker.onmessage = (e) => this._onControl(e.data);
    this._worker.onerror = (e) => {
      e.preventDefault?.();
      this._fail(new WorkerScriptError(`the worker could not start: ${e.message || "its runtime failed to load"}`));
    };
    try {
      this._worker.postMessage(init);
      this._initPosted = true;
    } catch (e) {
      this._worker.terminate();
      this.state = "failed";
      this._release();
      throw e && e.name === "DataCloneError" ? new IsolationError() : e;
    }
    this._drainOut();
    await ready;
  }

  _onControl(data) {
    try {
      this._control(data);
    } catch (e) {
      // What the worker posted natively is untrusted: a malformed batch or control message ends
      // this worker alone, and nothing of it reaches the page's error handlers.
      this._corrupt(`it posted a malformed message: ${e?.message ?? e}`);
    }
  }

  _control(data) {
    if (data instanceof ArrayBuffer) {
      // A postMessage batch from the worker (a script may send while it starts, as in shared mode).
      // On the shared transport nothing comes this way: a script posting natively is ignored.
      if (this.transport !== "post" || (this.state !== "running" && this.state !== "starting")) return;
      this._onBatch(data);
      return;
    }
    if (!data || typeof data.type !== "string" || !data.type.startsWith(PREFIX)) return;
    switch (data.type.slice(PREFIX.length)) {
      case "thread":
        // Sent once by the runtime before the user's script runs; a later one is forged.
        if (this._threadSeen || this.state !== "starting") return;
        this._threadSeen = true;
        if (Number.isInteger(data.tls) && Number.isInteger(data.stack) && Number.isInteger(data.stackSize)) {
          this._thread = { tls: data.tls, stack: data.stack, stackSize: data.stackSize };
        }
        if (data.locked === true) this._watchDeath();
        if (this.transport === "shared") {
          this._worker.postMessage({ type: PREFIX + "link", port: this._rt.glue.linkPort(this._link, 1) });
          this._linked = true;
          // What the script sends while it starts is read at once: a script that sends more than
          // the ring holds before it ends would otherwise wait for room that never comes.
          this._pumpLoop();
        }
        break;
      case "ready":
        if (this.state !== "starting") return;
        this.state = "running";
        if (this.transport !== "shared") this._flushBatch();
        this._readyHooks.resolve();
        break;
      case "failed": {
        const error = data.error !== null && typeof data.error === "object" ? data.error : {};
        const name = String(error.name ?? "Error"), message = String(error.message ?? "");
        const stack = String(error.stack ?? "");
        if (data.corrupt === true) {
          this._corrupt(`the worker found its side of the channel broken: ${message}`);
          break;
        }
        if (data.fatal === true) {
          // Its interpreter cannot run again: what waits for it fails now, with the error Python
          // maps to WorkerCrashedError (a pool replaces such a worker).
          const err = new WorkerError(`the worker's Python suffered a fatal error (${name}: ${message}) and cannot ` +
            "run again; create a new worker", { remoteName: name, remoteMessage: message, remoteStack: stack });
          err.name = "WorkerCrashedError";
          this._fail(err);
          break;
        }
        const what = this.state === "starting" ? "failed to start" : "failed";
        this._fail(new WorkerScriptError(`the worker's script ${what}: ${name}: ${message}`,
          { remoteName: name, remoteMessage: message, remoteStack: stack }));
        break;
      }
    }
  }

  /** Delivers a postMessage batch from the worker; throws (ending the worker) when it is malformed. */
  _onBatch(data) {
    // The batch's buffer was transferred to this page and nothing writes to it: a large encoded
    // message is a view of it rather than a copy (a new buffer of a mebibyte costs Chromium
    // about 0.6 ms to allocate and fill).
    let viewed = false;
    const max = this.maxMessageBytes;
    const handled = forEachFrame(data, (tag, u8, at, len) => {
      if (len > max) throw new Error(`a message of ${len} bytes, over the limit of ${max} (maxMessageBytes)`);
      if (this._raw && tag === TAG.DATA && len >= VIEW_BYTES) {
        viewed = true;
        this._deliver(tag, u8.subarray(at, at + len));
      } else {
        this._deliver(tag, payload(this._raw, tag, u8, at, len));
      }
    });
    // The worker counts what it handled; a count that goes back or past what was sent is forged.
    if (handled < this._handled || handled > this._sent) {
      throw new Error(`it says it handled ${handled} messages, after ${this._handled}, of ${this._sent} sent`);
    }
    this._handled = handled;
    // Every message was copied out: the buffer can carry this page's next large batch.
    if (!viewed) this._batch.spare(data);
    this._checkSettled();
  }

  // ---- Sending --------------------------------------------------------------------------------

  /**
   * Sends `value` to the worker. Throws TypeError (before sending anything) for a value that cannot be sent.
   * @param {Sendable} value
   */
  send(value) {
    if (this._dead()) throw this._deadError();
    const enc = this._encoder;
    const n = enc.encodeLength(value); // first: encoding may move enc.u8 to a larger buffer
    this._sendFrame(enc.u8, 0, n);
  }

  /**
   * Sends a message already encoded in the codec's format (`js-shim/codec.js`): the Python API's
   * way to send, which keeps Python's types. A Uint8Array is copied before this returns; a Python
   * `bytes` object (immutable) may be kept instead, and read when there is room.
   * @param {Uint8Array | import("./protocol.js").PythonBytes} bytes
   */
  sendEncoded(bytes) {
    if (this._dead()) throw this._deadError();
    withBytes(bytes, (u8, owner) => this._sendFrame(u8, 0, u8.length, owner));
  }

  /**
   * Sends several encoded messages at once, `[len:u32 LE][bytes]` after one another: the Python
   * API's way to send a burst with one call. Returns how many were sent. Kept like `sendEncoded`'s.
   * A batch whose first word is 0 is a run of ASCII strs instead (`strRunFrames` in protocol.js).
   * @param {Uint8Array | import("./protocol.js").PythonBytes} batch
   */
  sendEncodedBatch(batch) {
    if (this._dead()) throw this._deadError();
    return withBytes(batch, (u8, owner) => this._sendEncodedBatch(u8, owner));
  }

  _sendEncodedBatch(batch, owner = null) {
    if (isStrRun(batch)) {
      batch = strRunFrames(batch, false);
      owner = null;
    }
    const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    // Checked whole first: a batch that cannot go sends nothing.
    for (let at = 0; at + 4 <= batch.length;) {
      const n = dv.getUint32(at, true);
      if (at + 4 + n > batch.length) throw new RangeError(`a batch of ${batch.length} bytes is truncated at ${at}`);
      this._checkSize(n);
      at += 4 + n;
    }
    let at = 0, count = 0;
    while (at + 4 <= batch.length) {
      const n = dv.getUint32(at, true);
      this._sendFrame(batch, at + 4, n, owner);
      at += 4 + n;
      count++;
    }
    return count;
  }

  /**
   * Raw mode: marks the `consumed` oldest unread messages read, then returns the encoded bytes of
   * the messages still unread, oldest first, up to about a mebibyte (at least one message),
   * `[len:u32 LE][bytes]` after one another, without marking them (the Python API decodes them
   * with one call and marks what it used the next time), or
   * undefined when none is unread. Throws like `recv` does. The bytes are a view of a buffer the
   * next call reuses: copy them before calling again.
   * @param {number} [consumed]
   * @returns {Uint8Array | undefined}
   */
  takeEncoded(consumed = 0) {
    return this._takeEncoded(consumed, false);
  }

  /**
   * `takeEncoded` for the Python API: a batch of short ASCII strs comes in the layout of
   * `Scratch.takeStrs` (protocol.js), which Python decodes with a few calls.
   * @param {number} [consumed]
   * @returns {Uint8Array | undefined}
   */
  takeBatch(consumed = 0) {
    return this._takeEncoded(consumed, true);
  }

  _takeEncoded(consumed, strs) {
    this.markRead(consumed);
    this._throwPending(true);
    // Python polls here without returning to the event loop: sends waiting for room go now.
    if (this._outHead < this._outQueue.length) this._drainOut();
    this._pump();
    this._throwPending(true);
    // Up to the first error not thrown yet: it is thrown once these are read.
    const end = this._pendingErrors.length ? this._pendingErrors[0].at : this._messages.length;
    for (let i = this._readCursor; i < end && encodedScratch.length < TAKE_BOUND; i++) {
      const m = this._messages[i];
      if (!m.opened) encodedScratch.appendFrame(m.data, 0, m.data.length);
    }
    if (encodedScratch.length === 0) {
      if (this._dead()) throw this._deadError();
      return undefined;
    }
    return strs ? encodedScratch.takeStrs() : encodedScratch.take();
  }

  /**
   * Marks the `n` oldest unread messages read.
   * @param {number} n
   */
  markRead(n) {
    for (let i = 0; i < n; i++) {
      const m = this._nextUnread();
      if (!m) break;
      this._takeMessage(m);
    }
  }

  /**
   * The messages kept for the seed's getters: those no `recv()` (or `onmessage`) took, read or not.
   * @type {WorkerMessage[]}
   */
  get messages() {
    if (this._takenCount) this._compact();
    return this._messages;
  }

  /**
   * A message a receiving call hands out: read, and no longer kept in `messages` (like one that
   * arrived while the call was waiting), so a long stream through `recv` holds no memory. The
   * list is compacted once at least half of it, and 1,024 or more, was taken.
   * @param {WorkerMessage} m
   */
  _takeMessage(m) {
    m._taken = true;
    if (++this._takenCount >= 1024 && this._takenCount * 2 >= this._messages.length) this._compact();
    return m.read();
  }

  /** Drops the taken messages from `messages`, keeping the read cursor and error positions. */
  _compact() {
    const ms = this._messages, pending = this._pendingErrors, cursor = this._readCursor;
    let kept = 0, e = 0, newCursor = -1;
    for (let i = 0; i < ms.length; i++) {
      while (e < pending.length && pending[e].at === i) pending[e++].at = kept;
      if (i === cursor) newCursor = kept;
      if (!ms[i]._taken) ms[kept++] = ms[i];
    }
    while (e < pending.length) pending[e++].at = kept;
    ms.length = kept;
    this._readCursor = newCursor < 0 ? kept : newCursor;
    this._takenCount = 0;
  }

  /**
   * Sends `n` bytes of `src` from `at` as one data message. `owner`: the Python bytes object `src`
   * views, kept instead of a copy when the message has to wait for room.
   */
  _sendFrame(src, at, n, owner = null) {
    this._checkSize(n);
    this._sent++;
    // Order is kept: a message goes straight to the ring only when nothing is queued before it.
    if (this._port && n <= this._maxFrame && (this._outQueue.length === this._outHead || this._drainOut())) {
      const ptr = this._rt.glue.portReserve(this._port, n);
      if (ptr > 0) {
        this._mem.cover(ptr, n);
        const mem = this._mem.u8;
        if (n <= 64) for (let i = 0; i < n; i++) mem[ptr + i] = src[at + i];
        else mem.set(src.subarray(at, at + n), ptr);
        this._rt.glue.portCommit(this._port, TAG.DATA, n, false);
        return;
      }
      if (ptr !== STATUS.FULL) throw this._statusError(ptr);
    }
    const bytes = src.subarray(at, at + n);
    if (this.transport === "post") {
      this._batch.append(TAG.DATA, bytes);
      if (this.state === "running") {
        // The first send of a task goes at once (a lone request is not delayed); the rest of a
        // burst is coalesced into one postMessage at the end of the task, or every megabyte.
        if (this._batch.full || !this._burst) this._flushBatch();
        if (!this._burst) {
          this._burst = true;
          queueMicrotask(this._endBurst);
        }
      }
      return;
    }
    let done = 0;
    if (this._port && n > this._maxFrame && (this._outQueue.length === this._outHead || this._drainOut())) {
      // Larger than a frame, nothing waits before it: the parts that fit go now, only the rest
      // waits (a message of one frame was tried above: the ring is full or something waits).
      const item = { bytes, at: 0, owner: null };
      if (this._writeParts(item)) return;
      done = item.at;
    }
    // What waits is a copy or, for a large message from Python, the bytes object itself (immutable:
    // read again when there is room; a small one is cheaper to copy than to read through Pyodide).
    this._outQueue.push(owner && n >= KEEP_PYTHON_BYTES
      ? { bytes: null, at: done, owner: owner.copy(), start: at, end: at + n }
      : { bytes: bytes.slice(done), at: 0, owner: null });
    this._scheduleDrain();
  }

  /** Refuses a message over the size limit, before anything of it is sent. */
  _checkSize(n) {
    if (n > this.maxMessageBytes) {
      throw new RangeError(`a message of ${n} bytes (encoded) is larger than the ${this.maxMessageBytes} bytes a ` +
        "worker's channel takes: send it in smaller pieces, or raise the worker's maxMessageBytes option");
    }
  }

  /**
   * The seed's name for `send`.
   * @param {Sendable} value
   */
  send_message(value) {
    this.send(value);
  }

  /**
   * Writes what is left of one message from `item.at`, in parts of at most a frame, while there is
   * room; true when its last part went (a message in parts is never interleaved with another).
   * @param {{bytes: Uint8Array | null, at: number, owner: import("./protocol.js").PythonBytes | null,
   *   start?: number, end?: number}} item
   */
  _writeParts(item) {
    if (item.owner) {
      // A Python bytes object: its memory is read for this call only (Pyodide's heap may move).
      const buffer = item.owner.getBuffer("u8");
      let done;
      try {
        item.bytes = buffer.data.subarray(item.start, item.end);
        done = this._writeFrom(item);
      } finally {
        item.bytes = null;
        buffer.release();
      }
      if (done) {
        item.owner.destroy();
        item.owner = null;
      }
      return done;
    }
    return this._writeFrom(item);
  }

  _writeFrom(item) {
    const g = this._rt.glue;
    for (;;) {
      const n = Math.min(this._maxFrame, item.bytes.length - item.at);
      const ptr = g.portReserve(this._port, n);
      if (ptr === STATUS.FULL) {
        g.portFlush(this._port);
        return false;
      }
      if (ptr < 0) throw this._statusError(ptr);
      this._mem.cover(ptr, n);
      this._mem.u8.set(item.bytes.subarray(item.at, item.at + n), ptr);
      item.at += n;
      const more = item.at < item.bytes.length;
      g.portCommit(this._port, TAG.DATA, n, more);
      if (!more) return true;
    }
  }

  /** Writes queued messages (in parts when large) while there is room; true when all went. */
  _drainOut() {
    if (!this._port || this.state === "killed") return this._outQueue.length === this._outHead;
    while (this._outHead < this._outQueue.length) {
      if (!this._writeParts(this._outQueue[this._outHead])) return false;
      this._outQueue[this._outHead++] = undefined;
    }
    // Each message's last commit already woke the worker.
    this._outQueue.length = 0;
    this._outHead = 0;
    return true;
  }

  /** Writes the queued messages as room appears, waiting for it without blocking the page. */
  _scheduleDrain() {
    if (this._draining) return;
    this._draining = true;
    queueMicrotask(async () => {
      const g = this._rt?.glue;
      try {
        while (this._port && this._outHead < this._outQueue.length && !this._dead()) {
          if (this._drainOut()) break;
          const item = this._outQueue[this._outHead];
          const length = item.owner ? item.end - item.start : item.bytes.length;
          // portBeginSpace answers "room" exactly when the next part can be reserved; should it
          // ever answer so while the write still finds no room, the loop waits a timer's turn
          // instead of spinning on the page's thread.
          const seen = g.portBeginSpace(this._port, Math.min(this._maxFrame, length - item.at));
          if (seen === undefined) {
            if (!this._drainOut()) await new Promise((resolve) => setTimeout(resolve, 1));
            continue;
          }
          try {
            this._mem.current();
            const r = waitAsync(this._mem.i32, g.portSpaceWord(this._port) >>> 2, seen, 100);
            if (r.async) await r.value;
          } finally {
            if (this._port) g.portEndSpace(this._port);
          }
        }
      } catch (e) {
        this._raise(e);
      } finally {
        this._draining = false;
      }
    });
  }

  _dead() {
    return this.state === "killed" || this.state === "exited" || this.state === "failed";
  }

  _flushBatch() {
    if (this._batch.empty || this.state !== "running") return;
    const [frames, transfer] = this._batch.take();
    this._worker.postMessage(frames, transfer);
  }

  // ---- Receiving ------------------------------------------------------------------------------

  /** Moves every whole message waiting in the ring to its destination (shared mode). */
  _pump() {
    if (!this._port || this.state === "killed") return;
    const reader = this._reader;
    for (;;) {
      let r;
      try {
        r = reader.take();
      } catch (e) {
        this._corrupt(`a message from it does not decode: ${e?.message ?? e}`);
        return;
      }
      if (r !== TAKEN) {
        if (r !== STATUS.EMPTY && r !== STATUS.CLOSED) this._corrupt(reader.problem || undefined);
        return;
      }
      this._deliver(reader.tag, reader.value);
    }
  }

  async _pumpLoop() {
    const g = this._rt.glue;
    const alive = () => this.state === "running" || this.state === "starting";
    while (alive()) {
      this._pump();
      if (!alive()) return;
      const seen = g.portBeginSleep(this._port);
      if (seen === undefined) {
        if (g.portPeerClosed(this._port)) {
          this._pump();
          return;
        }
        continue;
      }
      try {
        this._mem.current();
        const r = waitAsync(this._mem.i32, g.portSleepWord(this._port) >>> 2, seen);
        if (r.async) await r.value;
      } finally {
        if (alive()) g.portEndSleep(this._port);
      }
    }
  }

  _deliver(tag, value) {
    if (tag === TAG.STDOUT || tag === TAG.STDERR) {
      this._output(tag === TAG.STDOUT ? this.options.stdout : this.options.stderr, tag, value);
      return;
    }
    if (tag === TAG.ERROR) {
      const { name, message, stack } = value ?? {};
      const err = new WorkerError(`the worker raised ${name}: ${message}`,
        { remoteName: name, remoteMessage: message, remoteStack: stack });
      this._raise(err);
      return;
    }
    const waiter = this._waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(value);
    } else if (this.onmessage) {
      try {
        this.onmessage({ data: value, target: this });
      } catch (e) {
        setTimeout(() => { throw e; });
      }
    } else {
      this._messages.push(new WorkerMessage(value));
      if (this.onarrival) this._arrived();
    }
  }

  _arrived() {
    const hook = this.onarrival;
    this.onarrival = null;
    try {
      hook?.();
    } catch (e) {
      setTimeout(() => { throw e; });
    }
  }

  /** A line a PyWorker printed, to where the `stdout` / `stderr` option says. */
  _output(to, tag, line) {
    if (typeof to === "function") {
      try {
        to(line);
      } catch (e) {
        setTimeout(() => { throw e; });
      }
    } else if (tag === TAG.STDOUT) {
      console.log(`[${this.script.name}] ${line}`);
    } else {
      console.error(`[${this.script.name}] ${line}`);
    }
  }

  /** Hands an error to a waiting `recv`, the `onerror` callback, or the next call that can throw it. */
  _raise(err) {
    this.errors.push(err);
    const waiter = this._waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    } else if (this.onerror) {
      try {
        this.onerror(err);
      } catch (e) {
        // The handler's own error is the page's to see; this worker's waits and pump go on.
        setTimeout(() => { throw e; });
      }
    } else {
      this._pendingErrors.push({ err, at: this._messages.length });
      if (this.onarrival) this._arrived();
    }
  }

  /**
   * Throws the oldest error no call has taken yet. `inOrder` (the receiving calls): only once the
   * messages that arrived before it are read, so an error comes after the replies sent before it.
   */
  _throwPending(inOrder = false) {
    if (!this._pendingErrors.length) return;
    if (inOrder) {
      this._nextUnread();
      if (this._readCursor < this._pendingErrors[0].at) return;
    }
    throw this._pendingErrors.shift().err;
  }

  /**
   * The next message's value: the oldest unread message, or the next to arrive. Rejects with the
   * worker's error when one comes first, and when the worker is killed or stops.
   * @param {number} [timeoutMs]
   * @returns {Promise<Sendable>}
   */
  recv(timeoutMs) {
    try {
      this._throwPending(true);
      const unread = this._nextUnread();
      if (unread) return Promise.resolve(this._takeMessage(unread));
      this._pump();
      this._throwPending(true);
      const arrived = this._nextUnread();
      if (arrived) return Promise.resolve(this._takeMessage(arrived));
      if (this.state === "killed" || this.state === "exited" || this.state === "failed") throw this._deadError();
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.state === "created") this.start().catch(() => {});
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, timer: null };
      if (timeoutMs !== undefined && timeoutMs !== null && timeoutMs !== Infinity) {
        waiter.timer = setTimeout(() => {
          this._waiters.splice(this._waiters.indexOf(waiter), 1);
          reject(new SettleError(`no message from the worker within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this._waiters.push(waiter);
    });
  }

  /**
   * Like `recv`, but blocks this thread until a message arrives or `timeoutMs` passes: for code
   * running inside a worker (a worker that starts workers of its own) on the shared transport.
   * The page's main thread cannot block; there, and with postMessage, use `await recv()`.
   * @param {number} [timeoutMs]
   * @returns {Sendable}
   */
  recvSync(timeoutMs) {
    this._throwPending(true);
    const unread = this._nextUnread();
    if (unread) return this._takeMessage(unread);
    if (this._dead()) throw this._deadError();
    if (this.transport !== "shared" || this.state !== "running") {
      throw new WorkerError("recvSync() blocks, which needs a running worker on the shared transport and a thread " +
        "that may block (inside a worker): use `await worker.recv()` here");
    }
    const deadline = deadlineAfter(timeoutMs);
    for (;;) {
      this._pump();
      this._throwPending(true);
      const arrived = this._nextUnread();
      if (arrived) return this._takeMessage(arrived);
      if (this._dead()) throw this._deadError();
      const left = deadline - clock.now();
      if (left <= 0) throw new SettleError(`no message from the worker within ${timeoutMs} ms`);
      const status = this._rt.glue.portWait(this._port, left === Infinity ? undefined : left);
      if (status === STATUS.WOULD_BLOCK) {
        throw new WorkerError("recvSync() cannot block on this thread (the page's main thread): use `await worker.recv()`");
      }
      if (this._rt.glue.portPeerClosed(this._port) && !this._rt.glue.portHasData(this._port)) {
        this._pump();
        const last = this._nextUnread();
        if (last) return this._takeMessage(last);
        throw new WorkerExitedError();
      }
    }
  }

  async *[Symbol.asyncIterator]() {
    for (;;) {
      try {
        yield await this.recv();
      } catch (e) {
        if (e instanceof WorkerExitedError || e instanceof WorkerKilledError) return;
        throw e;
      }
    }
  }

  _nextUnread() {
    while (this._readCursor < this._messages.length && this._messages[this._readCursor].opened) this._readCursor++;
    return this._messages[this._readCursor];
  }

  // ---- Settling -------------------------------------------------------------------------------

  _unsettled() {
    if (this.transport === "post") return this._sent - this._handled;
    // Messages still queued for room in the ring are not counted by the ring yet.
    const queued = this._outQueue.length - this._outHead;
    return this._port ? this._rt.glue.portUnsettled(this._port) + queued : this._sent;
  }

  /**
   * Waits, without blocking the page, until the worker has handled every message sent so far
   * and its replies are in `messages` (or delivered to `recv`/`onmessage`).
   * @param {number} [timeoutMs]
   * @returns {Promise<void>}
   */
  async settle(timeoutMs = this.settleTimeout) {
    const deadline = deadlineAfter(timeoutMs);
    if (this.state === "created") await this.start();
    else if (this.state === "starting") await this._started;
    if (this.transport === "post") {
      this._flushBatch();
      if (this._unsettled() === 0 || this.state !== "running") return this._throwPending();
      await new Promise((resolve, reject) => {
        const s = { resolve, reject, timer: null };
        if (deadline !== Infinity) {
          s.timer = setTimeout(() => {
            this._settlers.splice(this._settlers.indexOf(s), 1);
            reject(this._settleTimeout(timeoutMs));
          }, Math.max(0, deadline - clock.now()));
        }
        this._settlers.push(s);
      });
      return this._throwPending();
    }
    const g = this._rt.glue;
    for (;;) {
      this._drainOut();
      // Acknowledged before pumping: replies written before the acknowledgement are then in the
      // ring and this pump takes them (a reply in parts may still be arriving after an earlier one).
      const done = this.state !== "running" || this._unsettled() === 0;
      this._pump();
      if (done) return this._throwPending();
      const left = deadline - clock.now();
      if (left <= 0) throw this._settleTimeout(timeoutMs);
      const seen = g.portBeginSettle(this._port);
      if (seen === undefined) continue;
      try {
        this._mem.current();
        const r = waitAsync(this._mem.i32, g.portSettleWord(this._port) >>> 2, seen, Math.min(left, 10));
        if (r.async) await r.value;
      } finally {
        if (this.state === "running") g.portEndSettle(this._port);
      }
    }
  }

  _checkSettled() {
    if (this._unsettled() !== 0) return;
    for (const s of this._settlers.splice(0)) {
      clearTimeout(s.timer);
      s.resolve();
    }
  }

  _settleTimeout(ms) {
    return new SettleError(`the worker did not handle ${this._unsettled()} of the messages sent to it within ${ms} ms`);
  }

  /**
   * Synchronous settle for the seed's getters: in shared mode spins (bounded by `settleTimeout`)
   * until the worker has handled everything sent; with postMessage it cannot wait on the page.
   */
  _settleSync() {
    this._throwPending();
    if (this._unsettled() === 0 || this.state === "killed" || this.state === "exited" || this.state === "failed") {
      this._pump();
      return;
    }
    if (this.state !== "running") {
      throw new SettleError("the worker has not started yet, and it cannot start while the page waits for it: " +
        "`await worker.start()` (or `await worker.settle()`) before calling this synchronously");
    }
    if (this.transport === "post") {
      throw new SettleError("this worker uses the postMessage transport (the page is not cross-origin isolated), " +
        "whose answers arrive only when the page returns to its event loop: `await worker.settle()` before " +
        "calling this, or use `await worker.recv()`");
    }
    const deadline = clock.now() + this.settleTimeout;
    for (let i = 0; ; i++) {
      this._drainOut();
      this._pump();
      if (this._unsettled() === 0 || this.state !== "running") break;
      if ((i & 255) === 0 && clock.now() > deadline) throw this._settleTimeout(this.settleTimeout);
    }
    this._pump();
    this._throwPending();
  }

  // ---- The seed's message list ----------------------------------------------------------------

  /**
   * Settles, then returns the messages not read yet (read them with `message.read()`).
   * @returns {WorkerMessage[]}
   */
  get_unread_messages() {
    this._settleSync();
    return this.messages.filter((m) => !m.opened);
  }

  /** Settles, then says whether any message is unread. */
  has_unread_messages() {
    this._settleSync();
    return this._nextUnread() !== undefined;
  }

  /**
   * Settles, then returns message `i` (in arrival order).
   * @param {number} i
   * @returns {WorkerMessage}
   */
  get_message(i) {
    this._settleSync();
    if (!Number.isInteger(i) || i < 0 || i >= this.messages.length) {
      throw new RangeError(`no message ${i}: ${this.messages.length} message(s) are kept (those no recv() took)`);
    }
    return this.messages[i];
  }

  /**
   * Settles, then returns every message kept: received, and not taken by `recv()` or `onmessage`.
   * @returns {WorkerMessage[]}
   */
  get_messages() {
    this._settleSync();
    return this.messages.slice();
  }

  /** Legacy (kept from the seed): settles and updates `messages`. Prefer the getters or `recv`. */
  _update_messages() {
    this._settleSync();
  }

  // ---- Ending ---------------------------------------------------------------------------------

  /**
   * A PyWorker: raises KeyboardInterrupt in the Python code the worker is running (at its next
   * bytecode). Returns false where that is impossible (a page that is not cross-origin isolated
   * has no shared memory for Pyodide's interrupt buffer; `kill()` is what remains there).
   * @returns {boolean}
   */
  interrupt() {
    if (!this._interrupt || this._dead()) return false;
    Atomics.store(this._interrupt, 0, 2);
    return true;
  }

  /** Withdraws an `interrupt()` the worker's Python has not seen yet. */
  clearInterrupt() {
    if (this._interrupt) Atomics.store(this._interrupt, 0, 0);
  }

  /**
   * Stops the worker at once. Whole messages it sent before are kept in `messages`; a message it
   * was writing is dropped, never delivered torn. Pending `recv` calls reject with WorkerKilledError.
   */
  kill() {
    if (this.state === "killed" || this.state === "exited") return;
    if (this.state === "running") this._pump();
    const wasLinked = this._linked;
    this.state = "killed";
    this._terminate();
    this._readyHooks?.reject(new WorkerKilledError("the worker was killed before it was ready"));
    this._rejectAll(new WorkerKilledError());
    if (this._port) {
      this._wake();
      if (!wasLinked) this._freeLink();
      else if (!navigator.locks) setTimeout(() => this._release(), QUARANTINE_MS);
    }
  }

  _rejectAll(err) {
    // Messages that waited for room go nowhere now; Python objects held for them are let go.
    for (let i = this._outHead; i < this._outQueue.length; i++) this._outQueue[i]?.owner?.destroy();
    this._outQueue.length = 0;
    this._outHead = 0;
    if (this.onarrival) this._arrived();
    for (const w of this._waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    for (const s of this._settlers.splice(0)) {
      clearTimeout(s.timer);
      s.reject(err);
    }
  }

  _fail(err) {
    if (this.state === "killed" || this.state === "exited" || this.state === "failed") return;
    this.state = "failed";
    this._startError = err;
    this._terminate();
    this._readyHooks?.reject(err);
    this._raise(err);
    this._rejectAll(err);
    if (this._port) {
      this._wake();
      if (!this._linked) this._freeLink();
      else if (!navigator.locks) setTimeout(() => this._release(), QUARANTINE_MS);
    }
  }

  /**
   * Terminates the worker's thread, except while it may be inside the shared allocator: from the
   * init message until its "thread" message, a shared-transport worker allocates its wasm
   * thread's stack and TLS there, and a thread stopped in the middle would leave the allocator's
   * lock taken for every thread. Then it is terminated once it reports, or after a bound.
   */
  _terminate() {
    const worker = this._worker;
    if (!worker) return;
    if (this.transport !== "shared" || this._threadSeen || !this._initPosted) {
      worker.terminate();
      return;
    }
    const timer = setTimeout(() => worker.terminate(), KILL_DURING_START_MS);
    worker.onmessage = ({ data }) => {
      if (data?.type !== PREFIX + "thread") return;
      clearTimeout(timer);
      worker.terminate();
      // Its thread's stack and TLS are freed once the thread cannot run any more.
      if (Number.isInteger(data.tls) && Number.isInteger(data.stack) && Number.isInteger(data.stackSize)) {
        this._thread = { tls: data.tls, stack: data.stack, stackSize: data.stackSize };
        if (data.locked === true && navigator.locks) this._watchDeath();
        else setTimeout(() => this._release(), QUARANTINE_MS);
      }
    };
  }

  /** The error for a failed ring write (CORRUPT also ends this worker). */
  _statusError(code) {
    if (code === STATUS.CORRUPT) {
      this._corrupt();
      return new ChannelCorruptError();
    }
    if (code === STATUS.CLOSED) return new WorkerExitedError("the worker closed its channel: it receives nothing more");
    return new WorkerError(`writing to the worker's channel failed with status ${code}`);
  }

  /** @param {string} [why] */
  _corrupt(why) {
    this._fail(new ChannelCorruptError(why));
  }

  _deadError() {
    if (this.state === "killed") return new WorkerKilledError();
    if (this.state === "exited") return new WorkerExitedError();
    if (this.state === "failed") return this._startError ?? new WorkerError("the worker failed");
    return new WorkerError(`the worker is ${this.state}`);
  }

  /** Wakes the page's own waits on this link so they see the new state. */
  _wake() {
    const g = this._rt.glue;
    const i32 = this._mem.i32;
    wakeWaiters(i32, g.portSleepWord(this._port) >>> 2);
    wakeWaiters(i32, g.portSettleWord(this._port) >>> 2);
    wakeWaiters(i32, g.portSpaceWord(this._port) >>> 2);
  }

  /** Learns when the worker's thread is gone (its lock is released), then frees its memory. */
  _watchDeath() {
    navigator.locks.request(this._lock, () => {
      if (this.state === "running" || this.state === "starting") {
        this._pump();
        this.state = "exited";
        this._readyHooks?.reject(new WorkerExitedError("the worker stopped before it was ready"));
        this._rejectAll(new WorkerExitedError());
      }
      this._release();
    });
  }

  /** Frees the worker's thread memory and the link, once its thread cannot run any more. */
  _release() {
    if (this._thread && this._rt) {
      const { tls, stack, stackSize } = this._thread;
      this._thread = null;
      this._rt.exports.__wbindgen_thread_destroy(tls, stack, stackSize);
    }
    this._freeLink();
  }

  _freeLink() {
    if (!this._link) return;
    this._rt.glue.linkFree(this._link);
    this._link = 0;
    this._port = 0;
    liveLinks--;
  }
}
