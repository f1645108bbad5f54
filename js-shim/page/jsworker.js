// JsWorker: a Web Worker running a JavaScript script, talking to the page through rings in
// shared wasm memory when the page is cross-origin isolated, and through batched postMessage
// otherwise. Same API and message semantics in both modes. The lifecycle, the transport and the
// delivery of messages are WorkerChannel's (channel.js); this is the API over them.

import { Scratch, withBytes, isStrRun, strRunFrames } from "../frames.js";
import { STATUS } from "../protocol.js";
import { WorkerChannel } from "./channel.js";
import { SettleError, WorkerError, WorkerExitedError, WorkerKilledError } from "./errors.js";

const DEFAULT_SETTLE_TIMEOUT = 10_000;

/** Where `takeEncoded` gathers messages for Python, which copies them at once (every worker's). */
const encodedScratch = new Scratch();
/** `takeEncoded` stops gathering once it holds this many bytes: the scratch buffer stays small
 * enough to be kept and reused (a fresh one costs its page faults, more than the copy). */
const TAKE_BOUND = 1 << 20;

const clock = performance;

/**
 * What a message may hold (anything else is a TypeError naming its type, thrown before sending).
 * @typedef {string | number | bigint | boolean | null | undefined | ArrayBuffer | ArrayBufferView
 *   | Sendable[] | { [key: string]: Sendable }} Sendable
 */

/** @typedef {import("./lifecycle.js").WorkerState} WorkerState */

function deadlineAfter(ms) {
  return ms === undefined || ms === null || ms === Infinity ? Infinity : clock.now() + ms;
}

/**
 * A Web Worker running JavaScript.
 *
 * `script` is the script's source text, or a `URL` to load it from. Inside the worker the script
 * uses `self.onmessage = (e) => ...` and `self.postMessage(x)` as usual, plus `send(x)` and (shared
 * transport) a blocking `recv(timeoutMs)`.
 */
export class JsWorker extends WorkerChannel {
  /**
   * @param {string | URL} script source text, or the URL of the script
   * @param {object} [options]
   * @param {"auto" | "shared" | "post"} [options.transport] "auto" (default): shared rings when
   *   the page is cross-origin isolated, batched postMessage otherwise
   * @param {"classic" | "module"} [options.type] how the script is evaluated (default "classic")
   * @param {string} [options.name] the worker's name (shown in developer tools)
   * @param {number} [options.settleTimeout] ms the synchronous getters wait for the worker
   * @param {string | URL} [options.glueUrl] where the wasm glue is (default: next to this package)
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
   * @param {number} [options.callTimeout] ms the worker's calls of the page's functions wait for
   *   an answer before they fail in the worker (default 30,000; Infinity: no limit)
   */
  constructor(script, options = {}) {
    super(script, options);
    /** Ms the synchronous getters wait for the worker. */
    this.settleTimeout = options.settleTimeout ?? DEFAULT_SETTLE_TIMEOUT;
    this._settlers = []; // pending async settles (postMessage transport): resolve functions
  }

  /**
   * A worker running the script at `url` (a string resolved against the page, or a URL).
   * @param {string | URL} url
   * @param {ConstructorParameters<typeof JsWorker>[1]} [options]
   */
  static fromURL(url, options) {
    return new JsWorker(new URL(url, location.href), options);
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
   * The seed's name for `send`.
   * @param {Sendable} value
   */
  send_message(value) {
    this.send(value);
  }

  /**
   * Sends a message already encoded in the codec's format (`js-shim/codec.js`): the Python API's
   * way to send, which keeps Python's types. A Uint8Array is copied before this returns; a Python
   * `bytes` object (immutable) may be kept instead, and read when there is room.
   * @param {Uint8Array | import("../frames.js").PythonBytes} bytes
   */
  sendEncoded(bytes) {
    if (this._dead()) throw this._deadError();
    withBytes(bytes, (u8, owner) => this._sendFrame(u8, 0, u8.length, owner));
  }

  /**
   * Sends several encoded messages at once, `[len:u32 LE][bytes]` after one another: the Python
   * API's way to send a burst with one call. Returns how many were sent. Kept like `sendEncoded`'s.
   * A batch that starts with the word of a run of strs is one (`strRunFrames` in frames.js).
   * @param {Uint8Array | import("../frames.js").PythonBytes} batch
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

  // ---- Receiving ------------------------------------------------------------------------------

  /**
   * The next message's value: the oldest unread message, or the next to arrive. Rejects with the
   * worker's error when one comes first, and when the worker is killed or stops.
   * @param {number} [timeoutMs]
   * @returns {Promise<Sendable>}
   */
  recv(timeoutMs) {
    const list = this._list;
    try {
      list.throwPending(true);
      const unread = list.nextUnread();
      if (unread) return Promise.resolve(list.take(unread));
      this._pump();
      list.throwPending(true);
      const arrived = list.nextUnread();
      if (arrived) return Promise.resolve(list.take(arrived));
      if (this._dead()) throw this._deadError();
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.state === "created") this.start().catch(() => {});
    return this._waitMessage(timeoutMs, () => new SettleError(`no message from the worker within ${timeoutMs} ms`));
  }

  /**
   * Like `recv`, but blocks this thread until a message arrives or `timeoutMs` passes: for code
   * running inside a worker (a worker that starts workers of its own) on the shared transport.
   * The page's main thread cannot block; there, and with postMessage, use `await recv()`.
   * @param {number} [timeoutMs]
   * @returns {Sendable}
   */
  recvSync(timeoutMs) {
    const list = this._list;
    list.throwPending(true);
    const unread = list.nextUnread();
    if (unread) return list.take(unread);
    if (this._dead()) throw this._deadError();
    if (this.transport !== "shared" || this.state !== "running") {
      throw new WorkerError("recvSync() blocks, which needs a running worker on the shared transport and a thread " +
        "that may block (inside a worker): use `await worker.recv()` here");
    }
    const deadline = deadlineAfter(timeoutMs);
    for (;;) {
      this._pump();
      list.throwPending(true);
      const arrived = list.nextUnread();
      if (arrived) return list.take(arrived);
      if (this._dead()) throw this._deadError();
      const left = deadline - clock.now();
      if (left <= 0) throw new SettleError(`no message from the worker within ${timeoutMs} ms`);
      if (this._end.wait(left) === STATUS.WOULD_BLOCK) {
        throw new WorkerError("recvSync() cannot block on this thread (the page's main thread): use `await worker.recv()`");
      }
      if (this._end.peerClosed() && !this._end.hasData()) {
        this._pump();
        const last = list.nextUnread();
        if (last) return list.take(last);
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

  /**
   * Raw mode: marks the `consumed` oldest unread messages read, then returns the encoded bytes of
   * the messages still unread, oldest first, up to about a mebibyte (at least one message),
   * `[len:u32 LE][bytes]` after one another, without marking them (the Python API decodes them
   * with one call and marks what it used the next time), or undefined when none is unread.
   * Throws like `recv` does. The bytes are a view of a buffer the next call reuses: copy them
   * before calling again.
   * @param {number} [consumed]
   * @returns {Uint8Array | undefined}
   */
  takeEncoded(consumed = 0) {
    return this._takeEncoded(consumed, false);
  }

  /**
   * `takeEncoded` for the Python API: a batch of short ASCII strs comes in the layout of
   * `Scratch.takeStrs` (frames.js), which Python decodes with a few calls.
   * @param {number} [consumed]
   * @returns {Uint8Array | undefined}
   */
  takeBatch(consumed = 0) {
    return this._takeEncoded(consumed, true);
  }

  _takeEncoded(consumed, strs) {
    const list = this._list;
    list.markRead(consumed);
    list.throwPending(true);
    // Python polls here without returning to the event loop: sends waiting for room go now.
    if (this._end?.queued) this._drainSafely();
    this._pump();
    list.throwPending(true);
    // Up to the first error not thrown yet: it is thrown once these are read.
    const ms = list.list, end = list.readableEnd;
    for (let i = list.cursor; i < end && encodedScratch.length < TAKE_BOUND; i++) {
      const m = ms[i];
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
    this._list.markRead(n);
  }

  /**
   * The messages kept for the seed's getters: those no `recv()` (or `onmessage`) took, read or not.
   * @type {import("./messages.js").WorkerMessage[]}
   */
  get messages() {
    return this._list.kept;
  }

  // ---- Calls ----------------------------------------------------------------------------------

  /**
   * Calls the function `name` the worker exposed (`expose({...})` in its script) with `args`;
   * resolves with what it returned, or rejects with WorkerError (`remoteName`, `remoteMessage`,
   * `remoteStack`: the worker's exception; a name the worker did not expose is a LookupError
   * naming those it did). A worker that ends fails its pending calls at once. Starts the worker.
   * @param {string} name
   * @param {...Sendable} args
   * @returns {Promise<Sendable>}
   */
  call(name, ...args) {
    return this._calls.call(name, args);
  }

  /**
   * `call` with options: `signal`, an AbortSignal that cancels the call (it rejects with the
   * signal's reason; the worker drops its answer, and on a cross-origin isolated page a
   * PyWorker's function running synchronously for it gets KeyboardInterrupt).
   * @param {{signal?: AbortSignal}} options
   * @param {string} name
   * @param {...Sendable} args
   * @returns {Promise<Sendable>}
   */
  callWith({ signal } = {}, name, ...args) {
    return this._calls.call(name, args, { signal });
  }

  /**
   * The worker's exposed functions as methods: `await worker.api.name(...args)` is
   * `await worker.call("name", ...args)`.
   * @type {Record<string, (...args: Sendable[]) => Promise<Sendable>>}
   */
  get api() {
    this._api ??= new Proxy({}, {
      get: (_, name) => (typeof name !== "string" || name === "then" ? undefined
        : (...args) => this._calls.call(name, args)),
    });
    return this._api;
  }

  /**
   * Exposes functions of the page to the worker, which calls them with `call(name, ...args)`
   * (blocking, shared transport) or `await callAsync(name, ...args)`: `{name: fn, ...}`, or one
   * function under `name` (default: its own name). A function may be async; what it throws
   * reaches the worker as its exception.
   * @param {Record<string, Function> | Function} fns
   * @param {string} [name]
   */
  expose(fns, name) {
    this._calls.expose(fns, name);
  }

  // ---- Settling -------------------------------------------------------------------------------

  /**
   * Waits, without blocking the page, until the worker has handled every message sent so far
   * and its replies are in `messages` (or delivered to `recv`/`onmessage`).
   * @param {number} [timeoutMs]
   * @returns {Promise<void>}
   */
  async settle(timeoutMs = this.settleTimeout) {
    const deadline = deadlineAfter(timeoutMs);
    // A settle called on a worker that had ended with nothing unsettled is settled; one called
    // before the worker ended rejects with why it ended.
    const pending = !this._dead();
    if (this.state === "created") await this.start();
    else if (this.state === "starting") await this._started;
    const timeout = () => this._settleTimeout(timeoutMs);
    if (this._post) {
      this._post.flush();
      if (this._dead() && (pending || this._unsettled() !== 0)) throw this._deadError();
      if (this._unsettled() === 0 || this.state !== "running") return this._list.throwPending();
      let entry;
      await this._life.wait((resolve) => this._settlers.push((entry = resolve)), {
        timeoutMs: deadline === Infinity ? undefined : Math.max(0, deadline - clock.now()), onTimeout: timeout,
        cancel: () => this._settlers.splice(this._settlers.indexOf(entry) >>> 0, 1),
      });
      return this._list.throwPending();
    }
    for (;;) {
      this._drainSafely();
      // Acknowledged before pumping: replies written before the acknowledgement are then in the
      // ring and this pump takes them (a reply in parts may still be arriving after an earlier one).
      const done = this.state !== "running" || this._unsettled() === 0;
      this._pump();
      if (done) {
        if (this._dead() && (pending || this._unsettled() !== 0)) throw this._deadError();
        return this._list.throwPending();
      }
      const left = deadline - clock.now();
      if (left <= 0) throw timeout();
      await this._end.waitProgress(Math.min(left, 10));
    }
  }

  _settleTimeout(ms) {
    return new SettleError(`the worker did not handle ${this._unsettled()} of the messages sent to it within ${ms} ms`);
  }

  /**
   * Synchronous settle for the seed's getters: on the shared transport spins (bounded by
   * `settleTimeout`) until the worker has handled everything sent; with postMessage it cannot wait.
   */
  _settleSync() {
    this._list.throwPending();
    if (this._unsettled() === 0 || this._dead()) {
      this._pump();
      return;
    }
    if (this.state !== "running") {
      throw new SettleError("the worker has not started yet, and it cannot start while the page waits for it: " +
        "`await worker.start()` (or `await worker.settle()`) before calling this synchronously");
    }
    if (this._post) {
      throw new SettleError("this worker uses the postMessage transport (the page is not cross-origin isolated), " +
        "whose answers arrive only when the page returns to its event loop: `await worker.settle()` before " +
        "calling this, or use `await worker.recv()`");
    }
    const deadline = clock.now() + this.settleTimeout;
    for (let i = 0; ; i++) {
      this._drainSafely();
      this._pump();
      if (this._unsettled() === 0 || this.state !== "running") break;
      if ((i & 255) === 0 && clock.now() > deadline) throw this._settleTimeout(this.settleTimeout);
    }
    this._pump();
    this._list.throwPending();
  }

  // ---- The seed's message list ----------------------------------------------------------------

  /**
   * Settles, then returns the messages not read yet (read them with `message.read()`).
   * @returns {import("./messages.js").WorkerMessage[]}
   */
  get_unread_messages() {
    this._settleSync();
    return this.messages.filter((m) => !m.opened);
  }

  /** Settles, then says whether any message is unread. */
  has_unread_messages() {
    this._settleSync();
    return this._list.nextUnread() !== undefined;
  }

  /**
   * Settles, then returns message `i` (in arrival order).
   * @param {number} i
   * @returns {import("./messages.js").WorkerMessage}
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
   * @returns {import("./messages.js").WorkerMessage[]}
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
   * was writing is dropped, never delivered torn. Pending waits reject with WorkerKilledError.
   */
  kill() {
    if (this._dead() && this.state !== "failed") return;
    if (this.state === "running") this._pump();
    if (this.state === "failed") {
      // Already ended (its thread is terminated): from now on it reports itself killed.
      this._life.state = "killed";
      this._life.error = new WorkerKilledError();
      return;
    }
    this._finish("killed", this.state === "running" ? new WorkerKilledError()
      : new WorkerKilledError("the worker was killed before it was ready"));
  }

  _checkSettled() {
    if (this._unsettled() !== 0) return;
    for (const resolve of this._settlers.splice(0)) resolve();
  }
}
