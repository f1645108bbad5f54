// The worker side of a JsWorker: a module worker that takes the page's init message, attaches
// its end of the channel (shared rings, or batched postMessage), then runs the user's script.
//
// The script sees the familiar worker API, served by the channel instead of native messages:
// `self.onmessage = fn` / `addEventListener("message", fn)` receive `{data}`, and
// `self.postMessage(x)` sends. It also gets `send(x)` and, in shared mode, a blocking
// `recv(timeoutMs)` for code that does not return to the event loop.

import * as wasmGlue from "./pkg/pywebworker.js";
import { CodecError, Encoder } from "./codec.js";
import { MemoryViews, PortReader, TAKEN, payload } from "./port.js";
import { PREFIX, TAG, STATUS, THREAD_STACK, DEFAULT_MAX_MESSAGE_BYTES, BatchWriter, Scratch, forEachFrame, describeError, isStrRun, strRunFrames, withBytes } from "./protocol.js";
import { setWaitMode, waitAsync } from "./wait.js";

// The global scope, looked up once: reading `self` costs ~0.3 us in a worker (measured), more
// than handling a message.
const scope = self;
// `self` is a [Replaceable] getter; an own data property with the same value makes the user's
// `self.postMessage(...)` as cheap as any global read.
Object.defineProperty(globalThis, "self", { value: scope, writable: true, configurable: true, enumerable: true });
const nativePost = self.postMessage.bind(self);
const nativeAddListener = self.addEventListener.bind(self);
const encoder = new Encoder();
// After its last message a worker polls its ring this long before it sleeps: waking from
// Atomics.waitAsync costs 50-100 us, so a reply that comes soon is taken at once.
const SPIN_MS = 1;
const clock = performance;

let transport = null; // set once init arrives
let raw = false; // a PyWorker: data messages stay encoded bytes, decoded by Python
let batchHandler = null; // a PyWorker's Python: takes every waiting message in one call
let ready = false;
let userOnMessage = null;
let boot = null; // {glue, exports, init} of the shared transport, between init and link
const userListeners = [];

/** Sends the page a control message. */
function control(type, fields = {}) {
  nativePost({ type: PREFIX + type, ...fields });
}

function reportReady() {
  if (!ready) {
    ready = true;
    control("ready");
  }
}

/** Reports an error of the user's code to the page, in order with the messages. */
function reportError(e) {
  if (isFatal(e)) {
    reportFatal(e);
    return;
  }
  if (!ready || transport === null) {
    control("failed", { error: describeError(e) });
    return;
  }
  try {
    transport.sendBytes(TAG.ERROR, encoder.encode(describeError(e)));
  } catch (inner) {
    control("failed", { error: describeError(inner) });
  }
}

/** True for an error after which this worker's Pyodide cannot run again: its fatal error
 * handler marks the error it rethrows, and every later call throws "already fatally failed". */
function isFatal(e) {
  return e?.pyodide_fatal_error === true || /Pyodide (has suffered a fatal error|already fatally failed)/.test(String(e?.message ?? e));
}

let crashed = false;

/** A dead interpreter answers nothing more: the page learns it now, as a failure of the worker,
 * instead of waiting for replies forever; then the worker ends. */
function reportFatal(e) {
  if (crashed) return;
  crashed = true;
  try {
    transport?.flush?.(); // the replies sent before the crash go first (postMessage transport)
  } catch {}
  control("failed", { error: describeError(e), fatal: true });
  // The page terminates a failed worker itself; ending here at once could let the page see the
  // thread's end (its Web Lock) before this report, and take the crash for a close().
  setTimeout(() => scope.close(), 1000);
}

// ---- What the user's script sees -------------------------------------------------------------

Object.defineProperty(self, "onmessage", {
  configurable: true,
  get: () => userOnMessage,
  set: (fn) => { userOnMessage = typeof fn === "function" ? fn : null; },
});
self.addEventListener = function (type, fn, options) {
  if (type === "message" && typeof fn === "function") userListeners.push(fn);
  else nativeAddListener(type, fn, options);
};
self.removeEventListener = function (type, fn, options) {
  const i = type === "message" ? userListeners.indexOf(fn) : -1;
  if (i >= 0) userListeners.splice(i, 1);
  else EventTarget.prototype.removeEventListener.call(self, type, fn, options);
};

/** Sends `value` to the page (throws TypeError for a value that cannot be sent). */
function send(value) {
  if (transport === null) throw new Error("pywebworker: the channel is not attached yet");
  transport.sendBytes(TAG.DATA, encoder.encode(value));
}
self.postMessage = send;
self.send = send;

/**
 * Receives the next message, blocking this worker until one arrives or `timeoutMs` passes
 * (shared transport only). Returns the value; throws on timeout or when the page closed.
 */
self.recv = function recv(timeoutMs) {
  if (transport === null) throw new Error("pywebworker: the channel is not attached yet");
  return transport.recv(timeoutMs);
};

nativeAddListener("unhandledrejection", (e) => {
  e.preventDefault();
  reportError(e.reason);
});
nativeAddListener("error", (e) => {
  e.preventDefault();
  reportError(e.error ?? new Error(e.message));
});

/** Runs the user's handlers for one message; returns a promise when one of them is async. */
function dispatch(value) {
  const event = { type: "message", data: value, target: scope };
  let pending = userOnMessage ? runHandler(userOnMessage, event) : null;
  if (userListeners.length) {
    for (const fn of userListeners.slice()) {
      const p = runHandler(fn, event);
      if (p) pending = pending ? Promise.all([pending, p]) : p;
    }
  }
  return pending;
}

/** Calls one handler; reports what it throws; returns a promise if it is async. */
function runHandler(fn, event) {
  try {
    const r = fn.call(scope, event);
    if (r && typeof r.then === "function") return Promise.resolve(r).catch(reportError);
  } catch (e) {
    reportError(e);
  }
  return null;
}

// ---- Shared transport: rings in the page's wasm memory ----------------------------------------

/** The error for a message over the channel's limit, thrown before anything of it is sent. */
function tooLarge(n, max) {
  return new RangeError(`pywebworker: a message of ${n} bytes is larger than the ${max} bytes this channel takes ` +
    "(the worker's maxMessageBytes option): send it in smaller pieces, or raise the limit");
}

/** The error for a status that ends the channel (`channel`: not the user's code's error). */
function channelError(status, reader) {
  let e;
  if (status === STATUS.CLOSED) e = new Error("pywebworker: the page closed this worker's channel");
  else if (status === STATUS.CORRUPT) {
    e = new Error(`pywebworker: this worker's channel is unusable: ${reader.problem || "its shared memory is corrupt"}`);
  } else e = new Error(`pywebworker: the channel failed with status ${status}`);
  e.channel = true;
  return e;
}

/** Tells the page that this side of the channel is broken (the page ends the worker). */
function reportBroken(e) {
  control("failed", { corrupt: true, error: describeError(e) });
}

/** A sink that copies a message into the reused scratch buffer (for Python, which copies it again). */
const scratchCopy = (u8, at, len) => scratch.copy(u8, at, len);

class SharedTransport {
  constructor(glue, exports, port, maxBytes) {
    this.glue = glue;
    this.port = port;
    this.views = new MemoryViews(exports.memory);
    this.maxBytes = maxBytes;
    this.reader = new PortReader(glue, port, this.views, raw, maxBytes);
    this.maxFrame = glue.maxFramePayload(glue.portFreeBytes(port));
    this.unacked = 0; // messages taken by recv() and not acknowledged yet
    this.ackTimer = null;
    this.closed = false;
  }

  /**
   * Writes one message, in parts of at most a frame when it is large, waiting (blocking this
   * worker) for room. Only JavaScript copies bytes here: a worker never allocates in the shared
   * memory, so terminating it at any instruction leaves no lock taken there.
   */
  sendBytes(tag, bytes) {
    const g = this.glue, n = bytes.length;
    if (n > this.maxBytes) throw tooLarge(n, this.maxBytes);
    for (let at = 0; ;) {
      const len = Math.min(this.maxFrame, n - at);
      const ptr = g.portReserve(this.port, len);
      if (ptr === STATUS.FULL) {
        g.portFlush(this.port); // the parts written so far: the page reads them and makes room
        const w = g.portWaitSpace(this.port, len, undefined);
        if (w < 0) throw new Error(`pywebworker: waiting for room to send failed with status ${w}`);
        continue;
      }
      if (ptr < 0) throw channelError(ptr, this.reader);
      this.views.cover(ptr, len);
      if (at === 0 && len === n) this.views.u8.set(bytes, ptr);
      else this.views.u8.set(bytes.subarray(at, at + len), ptr);
      at += len;
      const more = at < n;
      g.portCommit(this.port, tag, len, more);
      if (!more) return;
    }
  }

  /** Takes the next whole message into `this.reader.value`; false when none is waiting. */
  take() {
    const r = this.reader.take();
    if (r === TAKEN) return true;
    if (r === STATUS.EMPTY) return false;
    if (r === STATUS.CLOSED) {
      this.closed = true;
      return false;
    }
    throw channelError(r, this.reader);
  }

  /** Handles every message waiting; returns how many. */
  drain() {
    if (batchHandler) return this.drainBatch();
    let handled = 0;
    for (;;) {
      try {
        if (!this.take()) break;
      } catch (e) {
        // One message that does not decode is reported and counted; the others go on.
        if (!(e instanceof CodecError)) throw e;
        reportError(e);
        handled++;
        continue;
      }
      const pending = dispatch(this.reader.value);
      this.reader.value = undefined;
      if (pending) pending.then(() => this.glue.portAck(this.port, 1));
      else handled++;
    }
    if (handled) this.glue.portAck(this.port, handled);
    return handled;
  }

  /**
   * A PyWorker's drain: every waiting message (up to a bound) to Python in one call, copied from
   * the ring straight into the batch.
   */
  drainBatch() {
    let count = 0;
    this.reader.sink = scratch.appendFrame;
    try {
      while (scratch.length < BATCH_BOUND && this.take()) count++;
    } catch (e) {
      scratch.take(); // what was gathered goes nowhere: the channel is unusable
      throw e;
    } finally {
      this.reader.sink = null;
    }
    if (count) {
      handleBatch(scratch.takeStrs());
      this.glue.portAck(this.port, count);
    }
    return count;
  }

  /** The receive loop for handler-style scripts: drain, spin a little, then sleep without blocking. */
  async run() {
    const g = this.glue;
    while (!this.closed) {
      try {
        if (this.drain() > 0) continue;
      } catch (e) {
        if (e.channel) reportBroken(e);
        else reportError(e);
        return;
      }
      if (this.closed) break;
      // A short spin keeps round trips fast; then sleep until the page rings.
      let arrived = false;
      for (let i = 1, until = clock.now() + SPIN_MS; ; i++) {
        if (g.portHasData(this.port)) {
          arrived = true;
          break;
        }
        if ((i & 255) === 0 && clock.now() > until) break;
      }
      if (arrived) continue;
      const seen = g.portBeginSleep(this.port);
      if (seen === undefined) continue;
      try {
        this.views.current();
        const r = waitAsync(this.views.i32, g.portSleepWord(this.port) >>> 2, seen);
        if (r.async) await r.value;
      } finally {
        g.portEndSleep(this.port);
      }
    }
  }

  recv(timeoutMs) {
    reportReady();
    this.ackTaken();
    const g = this.glue, reader = this.reader;
    const deadline = timeoutMs === undefined || timeoutMs === null ? Infinity : clock.now() + timeoutMs;
    // Python copies a message at once: it goes into the reused scratch buffer, not a new one.
    reader.sink = raw ? scratchCopy : null;
    let r;
    try {
      for (;;) {
        r = reader.take();
        if (r !== STATUS.EMPTY) break;
        const left = deadline - clock.now();
        if (left <= 0) throw new Error(`pywebworker: recv timed out after ${timeoutMs} ms`);
        g.portWait(this.port, left === Infinity ? undefined : left);
      }
    } finally {
      reader.sink = null;
    }
    if (r === STATUS.CLOSED) throw new Error("pywebworker: the page closed this worker's channel");
    if (r !== TAKEN) throw channelError(r, reader);
    const value = reader.value;
    reader.value = undefined;
    // Counted as handled when the script asks for the next one or returns to the event loop.
    this.unacked++;
    this.ackTimer ??= setTimeout(() => this.ackTaken(), 0);
    return value;
  }

  ackTaken() {
    if (this.unacked) this.glue.portAck(this.port, this.unacked);
    this.unacked = 0;
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }
}

// ---- postMessage transport: the same frames, batched ------------------------------------------

/** A message waits at most this long for others to go with it in one postMessage (see sendBytes). */
const POST_AFTER_MS = 0.2;

class PostTransport {
  constructor(maxBytes) {
    this.maxBytes = maxBytes;
    this.out = new BatchWriter();
    this.handled = 0;
    this.reported = 0;
    this.scheduled = false;
    this.postedAt = 0;
  }

  /** Queues a frame for one postMessage with the rest of this task's, posted when the task ends;
   * at once when the batch is full or the last post is 0.2 ms old (code that sends and then
   * computes for long does not hold its messages back); `hold`: a frame of a batch whose last
   * frame decides. */
  sendBytes(tag, bytes, hold = false) {
    if (bytes.length > this.maxBytes) throw tooLarge(bytes.length, this.maxBytes);
    this.out.append(tag, bytes);
    if (this.out.full || (!hold && clock.now() - this.postedAt >= POST_AFTER_MS)) this.flush();
    else this.schedule();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  flush() {
    this.scheduled = false;
    if (this.out.empty && this.handled === this.reported) return;
    const [frames, transfer] = this.out.take(this.handled);
    this.reported = this.handled;
    nativePost(frames, transfer);
    this.postedAt = clock.now();
  }

  onBatch(frames) {
    try {
      this.deliver(frames);
    } catch (e) {
      // Batches come from the page's own writer: one that does not parse ends the channel.
      reportBroken(e);
    }
  }

  deliver(frames) {
    if (batchHandler) {
      let count = 0;
      forEachFrame(frames, (tag, u8, at, len) => {
        scratch.appendFrame(u8, at, len);
        count++;
      });
      // Copied out: the buffer can carry this worker's next large batch of replies.
      this.out.spare(frames);
      if (count) handleBatch(scratch.takeStrs());
      this.handled += count;
      this.flush();
      return;
    }
    forEachFrame(frames, (tag, u8, at, len) => {
      let value;
      try {
        value = payload(raw, tag, u8, at, len);
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        reportError(e); // this message alone: the rest of the batch is delivered
        this.handled++;
        return;
      }
      const pending = dispatch(value);
      if (pending) {
        pending.then(() => {
          this.handled++;
          this.schedule();
        });
      } else {
        this.handled++;
      }
    });
    // Every message was decoded into values of its own: the buffer can carry the next large batch.
    this.out.spare(frames);
    this.flush();
  }

  recv() {
    throw new Error(
      "pywebworker: a blocking recv() needs the shared transport, and this page is not cross-origin isolated " +
        "(it uses postMessage). Use self.onmessage, or serve the page with COOP/COEP headers (see server-headers/).",
    );
  }
}

// ---- A PyWorker's messages in batches ---------------------------------------------------------

/** At most this many bytes of messages go to Python in one call (a bound on acknowledgement delay). */
const BATCH_BOUND = 1 << 20;

/** Where a PyWorker's messages are gathered for Python, which copies them at once. */
const scratch = new Scratch();

/** Hands messages to Python as one `[len:u32 LE][bytes]...` buffer; Python reports its handlers' errors. */
function handleBatch(batch) {
  try {
    batchHandler(batch);
  } catch (e) {
    reportError(e);
  }
}

/** Sends what Python wrote with one call: `[len:u32 LE][tag:u32 LE][bytes]...` (or a run of strs,
 * see `strRunFrames`); `now`: posted at
 * once on the postMessage transport (else with what the end of the task sends). */
function sendBatch(batch, now) {
  if (isStrRun(batch)) batch = strRunFrames(batch, true);
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  for (let at = 0; at + 8 <= batch.length;) {
    const n = dv.getUint32(at, true);
    transport.sendBytes(dv.getUint32(at + 4, true), batch.subarray(at + 8, at + 8 + n), true);
    at += 8 + n;
  }
  if (now) transport.flush?.();
}

// ---- Start-up ---------------------------------------------------------------------------------

/** Starts Pyodide in this worker and runs a PyWorker's Python script (or its REPL mode). */
async function loadPython({ source, url, name, python }) {
  const { loadPyodide } = await import(python.indexURL + "pyodide.mjs");
  const py = await loadPyodide({ indexURL: python.indexURL, env: python.env ?? {} });
  if (python.interruptBuffer) py.setInterruptBuffer(python.interruptBuffer);
  if (python.packages?.length) await loadPackages(py, python.packages);
  py.registerJsModule("_pywebworker_channel", {
    transport: transport instanceof SharedTransport ? "shared" : "post",
    // Printed lines go to the page, in order with the messages, when it asked for them.
    forward_stdout: python.forward?.stdout === true,
    forward_stderr: python.forward?.stderr === true,
    send: (tag, bytes) => withBytes(bytes, (u8) => transport.sendBytes(tag, u8)),
    send_batch: (batch, now) => withBytes(batch, (u8) => sendBatch(u8, now)),
    recv: (timeoutMs) => self.recv(timeoutMs ?? undefined),
  });
  // The worker-side modules of the package, handed over by the page from its wheel.
  const site = py.runPython("import site; site.getsitepackages()[0]");
  py.FS.mkdirTree(`${site}/pywebworker`);
  for (const [file, text] of Object.entries(python.files)) py.FS.writeFile(`${site}/pywebworker/${file}`, text);
  const inside = py.pyimport("pywebworker.inside");
  const dispatchBatch = inside._dispatch_batch;
  if (python.repl) {
    batchHandler = (batch) => dispatchBatch(batch, true);
    return;
  }
  if (url !== undefined) source = await fetchScript(url);
  try {
    await py.runPythonAsync(source, { filename: url ?? `${name}.py` });
  } finally {
    inside._flush(); // what the script sent while it ran
  }
  if (py.globals.has("onmessage")) batchHandler = (batch) => dispatchBatch(batch, false);
}

/** Loads a PyWorker's `packages` (names from Pyodide's lock file, or wheel URLs); throws what failed. */
async function loadPackages(py, packages) {
  const errors = [];
  await py.loadPackage(packages, { messageCallback: () => {}, errorCallback: (e) => errors.push(String(e)) });
  if (errors.length) throw new Error(`the packages ${JSON.stringify(packages)} did not load: ${errors.join("; ")}`);
}

async function fetchScript(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`could not fetch the worker script ${url}: ${e.message}`);
  }
  if (!response.ok) {
    throw new Error(`the worker script URL ${url} answered ${response.status} ${response.statusText}`.trimEnd());
  }
  return response.text();
}

async function loadScript(script) {
  if (script.python) return loadPython(script);
  let { source } = script;
  const { url, type, name } = script;
  if (url !== undefined) {
    const text = await fetchScript(url);
    if (type === "module") return import(url);
    source = text;
  }
  if (type === "module") {
    const blob = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    try {
      return await import(blob);
    } finally {
      URL.revokeObjectURL(blob);
    }
  }
  // A classic script, evaluated in the global scope as a worker's own script would be.
  (0, eval)(`${source}\n//# sourceURL=${url ?? name}`);
}

function holdLock(name) {
  if (!name || !self.navigator?.locks) return Promise.resolve(false);
  return new Promise((granted) => {
    navigator.locks.request(name, () => {
      granted(true);
      return new Promise(() => {}); // held until this worker ends
    });
  });
}

self.onmessage = null;
nativeAddListener("message", async function onInit({ data }) {
  if (data instanceof ArrayBuffer) {
    transport.onBatch(data);
    return;
  }
  if (!data || typeof data.type !== "string" || !data.type.startsWith(PREFIX)) return;
  if (data.type === PREFIX + "link") {
    transport = new SharedTransport(boot.glue, boot.exports, data.port, boot.init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    await start(boot.init);
    return;
  }
  if (data.type !== PREFIX + "init") return;
  const init = data;
  raw = init.script.python !== undefined;
  if (init.wait) setWaitMode(init.wait); // as the page was configured
  const locked = await holdLock(init.lock);
  if (init.transport === "shared") {
    try {
      const glue = wasmGlue;
      const exports = await glue.default({ module_or_path: init.module, memory: init.memory, thread_stack_size: THREAD_STACK });
      glue.setCanBlock(true);
      boot = { glue, exports, init };
      control("thread", { locked, tls: exports.__tls_base.value, stack: exports.__stack_alloc.value, stackSize: THREAD_STACK });
    } catch (e) {
      control("failed", { error: describeError(e) });
    }
    return;
  }
  control("thread", { locked });
  transport = new PostTransport(init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  await start(init);
});

async function start(init) {
  try {
    await loadScript(init.script);
  } catch (e) {
    control("failed", { error: describeError(e) });
    return;
  }
  reportReady();
  if (transport instanceof SharedTransport) transport.run();
}
