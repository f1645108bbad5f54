// The page's side of one worker: its lifecycle, its transport end (shared rings or postMessage),
// and the delivery of what it sends to a waiting recv(), `onmessage`, or the message list.
// JsWorker (jsworker.js) is the public face over this.

import { Encoder } from "../codec.js";
import { TAKEN } from "../transport/reader.js";
import { ChannelStatusError, SharedEnd } from "../transport/shared.js";
import { PostEnd } from "../transport/post.js";
import { PREFIX, TAG, STATUS, LINK_CAPACITY, DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_MESSAGE_BYTES, SHARED_WORDS } from "../protocol.js";
import { Lifecycle } from "./lifecycle.js";
import { MessageList } from "./messages.js";
import { countLink, loadRuntime, runtimeUrl, waitMode } from "./runtime.js";
import { onControl } from "./control.js";
import { PageCalls } from "./calls.js";
import { ChannelCorruptError, IsolationError, WorkerError, WorkerExitedError, WorkerScriptError } from "./errors.js";

/** Without the Web Locks API, a killed worker's memory is freed after this long. */
const QUARANTINE_MS = 2000;
/** A worker whose thread is starting may be inside the shared allocator (its wasm thread's stack
 * and TLS are allocated there): `kill()` ends it once that is done, or after this long. */
const KILL_DURING_START_MS = 5000;

let serial = 0;

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

/** Calls a user's callback with one argument (no rest parameters: this is on the path of every
 * message); what it throws is the page's to see, and does not stop the caller. */
function callUser(fn, arg) {
  try {
    fn(arg);
  } catch (e) {
    setTimeout(() => { throw e; });
  }
}

export class WorkerChannel {
  constructor(script, options = {}) {
    if (script instanceof URL) {
      this.script = { url: script.href };
    } else if (typeof script === "string") {
      this.script = { source: script };
    } else {
      throw new TypeError(`a worker script is a source string or a URL, not ${script === null ? "null" : typeof script}`);
    }
    this.script.type = options.type ?? "classic";
    if (this.script.type !== "classic" && this.script.type !== "module") {
      throw new TypeError(`a worker script's type is "classic" or "module", not ${JSON.stringify(this.script.type)}`);
    }
    // A PyWorker: {indexURL, files, packages, env, repl, snapshot} for Pyodide in the worker.
    if (options.python) {
      const forward = { stdout: options.stdout !== undefined, stderr: options.stderr !== undefined };
      this.script.python = { ...options.python, forward };
      // Pyodide's interrupt buffer (writing 2 raises KeyboardInterrupt in the worker's Python)
      // and the words that let a cancelled call interrupt its function (protocol.js's
      // SHARED_WORDS). Shared memory, so only on a cross-origin isolated page (whatever the transport).
      if (globalThis.crossOriginIsolated === true) {
        this._shared = new Int32Array(new SharedArrayBuffer(4 * SHARED_WORDS.COUNT));
        this._interrupt = this._shared.subarray(SHARED_WORDS.INTERRUPT, SHARED_WORDS.INTERRUPT + 1);
        this.script.python.interruptBuffer = this._interrupt;
        this.script.python.sharedWords = this._shared;
      }
    }
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > 2 ** 31) {
      throw new RangeError(`maxMessageBytes is a whole number of bytes from 1 to 2**31, not ${String(max)}`);
    }
    this._raw = options.raw === true;
    const callTimeout = options.callTimeout ?? DEFAULT_CALL_TIMEOUT;
    if (typeof callTimeout !== "number" || !(callTimeout > 0)) {
      throw new RangeError(`callTimeout is a number of ms above 0 (Infinity: no limit), not ${String(callTimeout)}`);
    }
    /** Ms the worker's calls of the page's functions wait for their answer by default. */
    this.callTimeout = callTimeout;
    this.script.name = options.name ?? `pywebworker-${++serial}`;
    /** @type {"shared" | "post"} how this worker's messages travel */
    this.transport = pickTransport(options.transport);
    this.options = options;
    /** The largest message either side may send. */
    this.maxMessageBytes = max;
    /** @type {import("./errors.js").WorkerError[]} every error the worker reported */
    this.errors = [];
    /**
     * A PyWorker, once running: how its Pyodide started, `{how: "snapshot" | "cold", ms, reason}`
     * (`made`, `key` and `bytes` too from a snapshot); null before, and for a JavaScript worker.
     * @type {{how: "snapshot" | "cold", ms: number, reason: string | null, made?: boolean, key?: string, bytes?: number} | null}
     */
    this.startInfo = null;
    /** @type {((event: {data: any, target: any}) => void) | null} */
    this.onmessage = options.onmessage ?? null;
    /** @type {((error: import("./errors.js").WorkerError) => void) | null} */
    this.onerror = options.onerror ?? null;
    /**
     * Called once (and cleared first) when a message or an error arrives for the receiving calls,
     * or the worker ends: how the Python API waits without a JavaScript promise.
     * @type {(() => void) | null}
     */
    this.onarrival = null;
    this._life = new Lifecycle();
    this._list = new MessageList();
    this._encoder = new Encoder();
    this._waiters = []; // pending recv(): {resolve, reject}, oldest first
    this._calls = new PageCalls(this);
    this._sent = 0;
    this._lock = `pywebworker:${Date.now().toString(36)}:${Math.random().toString(36).slice(2)}`;
    this._started = null;
    this._worker = null;
    // Shared transport: the runtime, the link, this page's end of it.
    this._rt = null;
    this._link = 0;
    this._port = 0;
    /** @type {SharedEnd | null} */
    this._end = null;
    this._linked = false; // the worker was given its end of the link
    this._initPosted = false;
    this._threadSeen = false;
    this._thread = null; // {tls, stack, stackSize} of the worker's wasm thread
    // postMessage transport: batches leave once the worker runs (the first send of a task at once).
    /** @type {PostEnd | null} */
    this._post = this.transport === "post"
      ? new PostEnd((frames, transfer) => this._worker.postMessage(frames, transfer), { maxBytes: max, eager: "first" })
      : null;
    if (this._post) this._post.open = false;
  }

  /** @type {import("./lifecycle.js").WorkerState} */
  get state() {
    return this._life.state;
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
    this._life.enter("starting");
    try {
      await this._launch();
    } catch (e) {
      // Whatever stopped the start (the runtime did not load, a bad capacity...) ends the worker,
      // so that every wait on it ends too.
      this._fail(e);
      throw this._life.error ?? e;
    }
  }

  async _launch() {
    const init = { type: PREFIX + "init", transport: this.transport, lock: this._lock, script: this.script,
      wait: waitMode(), maxMessageBytes: this.maxMessageBytes, callTimeout: this.callTimeout };
    if (this.transport === "shared") {
      const rt = (this._rt = await loadRuntime(this.options.glueUrl));
      if (this.state !== "starting") throw this._deadError();
      const capacity = this.options.capacity ?? LINK_CAPACITY;
      this._link = rt.glue.linkNew(capacity);
      countLink(1);
      this._port = rt.glue.linkPort(this._link, 0);
      init.maxFrame = rt.glue.maxFramePayload(capacity);
      this._end = new SharedEnd(rt.glue, rt.memory, this._port,
        { raw: this._raw, maxBytes: this.maxMessageBytes, maxFrame: init.maxFrame });
      Object.assign(init, { module: rt.module, memory: rt.memory });
    }
    const ready = this._life.wait((resolve) => (this._onReady = resolve));
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
      throw e && e.name === "DataCloneError" ? new IsolationError() : e;
    }
    this._drainSafely();
    await ready;
  }

  // ---- What the worker posts natively (control.js) --------------------------------------------

  _onControl(data) {
    onControl(this, data);
  }

  /** Keeps where the worker's wasm thread has its stack and TLS, to free them after its end. */
  _noteThread(data) {
    if (Number.isInteger(data.tls) && Number.isInteger(data.stack) && Number.isInteger(data.stackSize)) {
      this._thread = { tls: data.tls, stack: data.stack, stackSize: data.stackSize };
    }
  }

  // ---- Sending --------------------------------------------------------------------------------

  /** Refuses a message over the size limit, before anything of it is sent. */
  _checkSize(n) {
    if (n > this.maxMessageBytes) {
      throw new RangeError(`a message of ${n} bytes (encoded) is larger than the ${this.maxMessageBytes} bytes a ` +
        "worker's channel takes: send it in smaller pieces, or raise the worker's maxMessageBytes option");
    }
  }

  /**
   * Sends `n` bytes of `src` from `at` as one data message. `owner`: the Python bytes object `src`
   * views, kept instead of a copy when the message has to wait for room.
   */
  _sendFrame(src, at, n, owner = null) {
    this._checkSize(n);
    this._sent++;
    if (this._post) {
      this._post.send(TAG.DATA, src.subarray(at, at + n));
      return;
    }
    if (this._end === null) {
      // Not started yet: the link does not exist; kept until start() writes it.
      this._pending ??= [];
      this._pending.push(src.slice(at, at + n));
      return;
    }
    try {
      this._end.sendQueued(src, at, n, owner, this._onSendError);
    } catch (e) {
      throw this._sendError(e);
    }
  }

  _onSendError = (e) => this._raise(this._sendError(e));

  /** The error for a failed write: CORRUPT also ends this worker. */
  _sendError(e) {
    if (!(e instanceof ChannelStatusError)) return e;
    if (e.status === STATUS.CORRUPT) {
      this._corrupt(this._end?.problem() || undefined);
      return this._deadError();
    }
    // The runtime never closes its side while the worker lives: a closed side is a broken rule.
    this._corrupt(e.status === STATUS.CLOSED ? "it closed its side of the channel while running"
      : `writing to it failed with status ${e.status}`);
    return this._deadError();
  }

  /** Writes what was sent before the link existed, then what waits for room, as far as it fits. */
  _drainSafely() {
    if (!this._end || this._life.ended) return;
    const early = this._pending;
    this._pending = null;
    try {
      for (const bytes of early ?? []) this._end.sendQueued(bytes, 0, bytes.length, null, this._onSendError);
      this._end.drain();
    } catch (e) {
      this._raise(this._sendError(e));
    }
  }

  // ---- Receiving ------------------------------------------------------------------------------

  /** Moves every whole message waiting in the ring to its destination (shared transport). */
  _pump() {
    const end = this._end;
    if (!end || this.state === "killed") return;
    const reader = end.reader;
    for (;;) {
      let r;
      try {
        r = reader.take();
      } catch (e) {
        this._corrupt(`a message from it does not decode: ${e?.message ?? e}`);
        return;
      }
      if (r !== TAKEN) {
        if (r !== STATUS.EMPTY && r !== STATUS.CLOSED) this._corrupt(end.problem() || undefined);
        return;
      }
      this._deliver(reader.tag, reader.value);
    }
  }

  async _pumpLoop() {
    const end = this._end;
    const alive = () => this.state === "running" || this.state === "starting";
    while (alive()) {
      this._pump();
      if (!alive()) return;
      if (!end.hasData() && end.peerClosed()) {
        // The runtime never closes its side while the worker lives (its end is noticed through
        // its Web Lock): a closed side of a running worker is a broken rule.
        this._pump();
        if (alive()) this._corrupt("it closed its side of the channel while running");
        return;
      }
      await end.sleep();
    }
  }

  _deliver(tag, value) {
    if (tag > TAG.STDERR) {
      this._calls.onFrame(tag, value);
      return;
    }
    if (tag === TAG.STDOUT || tag === TAG.STDERR) {
      this._output(tag === TAG.STDOUT ? this.options.stdout : this.options.stderr, tag, value);
      return;
    }
    if (tag === TAG.ERROR) {
      const { name, message, stack } = value !== null && typeof value === "object" ? value : {};
      this._raise(new WorkerError(`the worker raised ${name}: ${message}`,
        { remoteName: name, remoteMessage: message, remoteStack: stack }));
      return;
    }
    const waiter = this._waiters.shift();
    if (waiter) {
      waiter.resolve(value);
    } else if (this.onmessage) {
      callUser(this.onmessage, { data: value, target: this });
    } else {
      this._list.push(value);
      if (this.onarrival) this._arrived();
    }
  }

  _arrived() {
    const hook = this.onarrival;
    this.onarrival = null;
    try {
      hook?.(); // no argument: Python's hook takes none
    } catch (e) {
      setTimeout(() => { throw e; });
    }
  }

  /** A line a PyWorker printed, to where the `stdout` / `stderr` option says. */
  _output(to, tag, line) {
    if (typeof to === "function") callUser(to, line);
    else if (tag === TAG.STDOUT) console.log(`[${this.script.name}] ${line}`);
    else console.error(`[${this.script.name}] ${line}`);
  }

  /** Hands an error to a waiting `recv`, the `onerror` callback, or the next call that can throw it. */
  _raise(err) {
    this.errors.push(err);
    const waiter = this._waiters.shift();
    if (waiter) {
      waiter.reject(err);
    } else if (this.onerror) {
      callUser(this.onerror, err);
    } else {
      this._list.pushError(err);
      if (this.onarrival) this._arrived();
    }
  }

  /** A registered wait for the next message (the oldest waiting recv gets the next one). */
  _waitMessage(timeoutMs, onTimeout) {
    let entry;
    return this._life.wait((resolve, reject) => {
      entry = { resolve, reject };
      this._waiters.push(entry);
    }, { timeoutMs, onTimeout, cancel: () => {
      const i = this._waiters.indexOf(entry);
      if (i >= 0) this._waiters.splice(i, 1);
    } });
  }

  // ---- Settling -------------------------------------------------------------------------------

  _unsettled() {
    if (this._post) return this._post.unsettled();
    return this._end ? this._end.unsettled() + (this._pending?.length ?? 0) : this._sent;
  }

  _checkSettled() {
    if (this._unsettled() !== 0) return;
    for (const s of this._settlers?.splice(0) ?? []) s();
  }

  // ---- Ending ---------------------------------------------------------------------------------

  _dead() {
    return this._life.ended;
  }

  _deadError() {
    if (this._life.ended) return this._life.error;
    return new WorkerError(`the worker is ${this.state}`);
  }

  /**
   * Ends the worker in `state` with `err`: its thread is terminated, every pending wait rejects
   * with `err`, what waited for room is dropped, and its memory is freed once its thread is gone.
   */
  _finish(state, err) {
    const wasLinked = this._linked;
    if (state === "failed") this._raise(err);
    if (!this._life.end(state, err)) return;
    this._terminate();
    this._calls.ended();
    this._pending = null;
    if (this.onarrival) this._arrived();
    if (this._end) {
      this._end.dropQueued();
      this._end.stop();
      if (!wasLinked) this._freeLink();
      else if (!navigator.locks) setTimeout(() => this._release(), QUARANTINE_MS);
    }
  }

  _fail(err) {
    if (!this._life.ended) this._finish("failed", err);
  }

  /** @param {string} [why] */
  _corrupt(why) {
    this._fail(new ChannelCorruptError(why));
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
      this._noteThread(data);
      if (this._thread) {
        if (data.locked === true && navigator.locks) this._watchDeath();
        else setTimeout(() => this._release(), QUARANTINE_MS);
      }
    };
  }

  /** Learns when the worker's thread is gone (its lock is released), then frees its memory. */
  _watchDeath() {
    navigator.locks.request(this._lock, () => {
      if (this.state === "running" || this.state === "starting") {
        this._pump();
        const err = this.state === "starting"
          ? new WorkerExitedError("the worker stopped before it was ready") : new WorkerExitedError();
        this._finish("exited", err);
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
    this._end = null;
    countLink(-1);
  }
}
