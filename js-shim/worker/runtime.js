// The worker side of a JsWorker: a module worker that takes the page's init message, attaches
// its end of the channel (shared rings, or batched postMessage: the same transport ends as the
// page's, js-shim/transport/), then runs the user's script, and receives its messages.
//
// The script sees the familiar worker API, served by the channel instead of native messages
// (script.js): `self.onmessage = fn` / `addEventListener("message", fn)` receive `{data}`, and
// `self.postMessage(x)` sends. It also gets `send(x)` and, in shared mode, a blocking
// `recv(timeoutMs)` for code that does not return to the event loop; `expose({...})` for the
// page's calls, and `call(name, ...args)` (blocking, shared mode) / `callAsync(name, ...args)`
// to call the functions the page exposed (calls.js).

import * as wasmGlue from "../pkg/pywebworker.js";
import { Encoder } from "../codec.js";
import { Scratch, isStrRun, strRunFrames } from "../frames.js";
import { PREFIX, TAG, THREAD_STACK, DEFAULT_MAX_MESSAGE_BYTES, describeError } from "../protocol.js";
import { payload } from "../transport/reader.js";
import { readCall } from "../calls.js";
import { CallIsolationError, PAGE_NEEDS_ISOLATION, WorkerCalls } from "./calls.js";
import { SharedEnd } from "../transport/shared.js";
import { SharedSide } from "./shared-side.js";
import { PostEnd } from "../transport/post.js";
import { setWaitMode } from "../wait.js";
import { makePage } from "./page.js";
import { isFatal, loadPython, startInfo } from "./python.js";
import { dispatch, exposeScope, nativeAddListener, nativeClose, nativePost, runScript, scope } from "./script.js";

const encoder = new Encoder();
/** The calls between this worker and the page. */
const calls = new WorkerCalls();
calls.send = (tag, bytes) => {
  if (side === null) throw new Error("pywebworker: the channel is not attached yet");
  side.sendBytes(tag, bytes);
};

/** @type {SharedSide | PostSide | null} set once the channel is attached */
let side = null;
let raw = false; // a PyWorker: data messages stay encoded bytes, decoded by Python
let batchHandler = null; // a PyWorker's Python: takes every waiting message in one call
let ready = false;
let crashed = false;
let closing = false; // the script called close(): no message is handled after it
let boot = null; // {glue, exports, init} of the shared transport, between init and link

/** Sends the page a control message. */
function control(type, fields = {}) {
  nativePost({ type: PREFIX + type, ...fields });
}

function reportReady() {
  if (!ready) {
    ready = true;
    control("ready", startInfo ? { start: startInfo } : {});
  }
}

/** Reports an error of the user's code to the page, in order with the messages. */
function reportError(e) {
  if (isFatal(e)) {
    reportFatal(e);
    return;
  }
  if (!ready || side === null) {
    control("failed", { error: describeError(e) });
    return;
  }
  try {
    side.sendBytes(TAG.ERROR, encoder.encode(describeError(e)));
  } catch (inner) {
    if (inner?.channel) reportBroken(inner);
    else control("failed", { error: describeError(inner) });
  }
}

/** A dead interpreter answers nothing more: the page learns it now, as a failure of the worker,
 * instead of waiting for replies forever; then the worker ends. */
function reportFatal(e) {
  if (crashed) return;
  crashed = true;
  try {
    side?.flush(); // the replies sent before the crash go first (postMessage transport)
  } catch {}
  control("failed", { error: describeError(e), fatal: true });
  // The page terminates a failed worker itself; ending here at once could let the page see the
  // thread's end (its Web Lock) before this report, and take the crash for a close().
  setTimeout(() => scope.close(), 1000);
}

let broken = false;

/** Tells the page, once, that this side of the channel is broken (the page ends the worker). */
function reportBroken(e) {
  if (broken) return;
  broken = true;
  control("failed", { corrupt: true, error: describeError(e) });
}

// ---- What the user's script calls --------------------------------------------------------------

/** Sends `value` to the page (throws TypeError for a value that cannot be sent). */
function send(value) {
  if (side === null) throw new Error("pywebworker: the channel is not attached yet");
  side.sendBytes(TAG.DATA, encoder.encode(value));
}

// As a worker's native close() discards the messages queued for it, this one handles no message
// after it: the page sees them unsettled and the worker's end (WorkerExitedError).
function close() {
  closing = true;
  side?.flush();
  nativeClose();
}

/**
 * Receives the next message, blocking this worker until one arrives or `timeoutMs` passes
 * (shared transport only). Returns the value; throws on timeout or when the page closed.
 */
function recv(timeoutMs) {
  if (side === null) throw new Error("pywebworker: the channel is not attached yet");
  return side.recv(timeoutMs);
}

/** Exposes functions to the page's `worker.call(name, ...)` / `worker.api.name(...)`. */
function expose(fns, name) {
  calls.expose(fns, name);
}

/** Calls the page's exposed function `name`, blocking until it answers (shared transport). */
function call(name, ...args) {
  if (side === null) throw new Error("pywebworker: the channel is not attached yet");
  return side.callSync(name, args);
}

/** Calls the page's exposed function `name`; resolves with its answer (both transports). */
function callAsync(name, ...args) {
  return calls.callAsync(name, args);
}

/** The page's objects (worker/page.js). */
const page = makePage({
  sync(name, op) {
    if (side === null) throw new Error("pywebworker: the channel is not attached yet");
    return side.callSync(name, op, undefined, undefined, TAG.PAGE);
  },
  async: (name, op) => calls.callAsync(name, op, undefined, undefined, TAG.PAGE),
  expose: (fns) => calls.expose(fns),
  synchronous: () => side instanceof SharedSide,
});

exposeScope({ send, close, recv, expose, call, callAsync, page }, reportError);

// ---- A PyWorker's messages in batches ---------------------------------------------------------

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
 * see `strRunFrames`); `now`: posted at once on the postMessage transport (else with what the end
 * of the task sends). */
function sendBatch(batch, now) {
  if (isStrRun(batch)) batch = strRunFrames(batch, true);
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  for (let at = 0; at + 8 <= batch.length;) {
    const n = dv.getUint32(at, true);
    side.sendBytes(dv.getUint32(at + 4, true), batch.subarray(at + 8, at + 8 + n), true);
    at += 8 + n;
  }
  if (now) side.flush();
}

// ---- The worker's side of each transport -------------------------------------------------------

/** What the shared side (shared-side.js) reads of this runtime, and how it reports. */
const host = {
  get raw() { return raw; },
  get batchHandler() { return batchHandler; },
  get closing() { return closing; },
  calls, scratch, handleBatch, reportError, reportBroken, reportReady,
};

/** Over postMessage: batches in, each message handled and counted; batches out at the end of a task. */
class PostSide {
  /** @param {PostEnd} end */
  constructor(end) {
    this.end = end;
  }

  /** `hold`: a frame of a batch from Python, whose last frame decides when the batch leaves. */
  sendBytes(tag, bytes, hold = false) {
    this.end.send(tag, bytes, hold);
  }

  flush() {
    this.end.flush();
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
    const end = this.end;
    if (batchHandler) {
      let count = 0;
      end.receive(frames, (tag, u8, at, len) => {
        if (closing) return;
        if (tag === TAG.DATA) {
          scratch.appendFrame(u8, at, len);
          count++;
          return;
        }
        // A call goes after the messages before it, and before those after it.
        if (count) {
          handleBatch(scratch.takeStrs());
          end.handled += count;
          count = 0;
        }
        calls.onFrame(tag, readCall(true, tag, u8, at, len));
      });
      // Copied out: the buffer can carry this worker's next large batch of replies.
      end.spare(frames);
      if (count) handleBatch(scratch.takeStrs());
      end.handled += count;
      end.flush();
      return;
    }
    // A message that does not decode was not written by the page's encoder: the channel is
    // broken (the throw reaches onBatch).
    end.receive(frames, (tag, u8, at, len) => {
      if (closing) return;
      if (tag !== TAG.DATA) {
        calls.onFrame(tag, payload(raw, tag, u8, at, len));
        return;
      }
      const pending = dispatch(payload(raw, tag, u8, at, len));
      if (pending) {
        pending.then(() => {
          end.handled++;
          end.schedule();
        });
      } else {
        end.handled++;
      }
    });
    // Every message was decoded into values of its own: the buffer can carry the next large batch.
    end.spare(frames);
    end.flush();
  }

  callSync(name, args, timeoutMs, body, tag) {
    throw new CallIsolationError(tag === TAG.PAGE ? PAGE_NEEDS_ISOLATION : undefined);
  }

  recv() {
    throw new Error(
      "pywebworker: a blocking recv() needs the shared transport, and this page is not cross-origin isolated " +
        "(it uses postMessage). Use self.onmessage, or serve the page with COOP/COEP headers (see server-headers/).",
    );
  }
}

// ---- Start-up ---------------------------------------------------------------------------------

async function loadScript(script) {
  if (script.python) {
    batchHandler = await loadPython(script, {
      transport: side instanceof SharedSide ? "shared" : "post",
      send: (tag, u8) => side.sendBytes(tag, u8),
      sendBatch,
      recv: (timeoutMs) => self.recv(timeoutMs),
      calls,
      callSync: (name, body, timeoutMs, tag) => side.callSync(name, undefined, timeoutMs, body, tag),
    });
    return;
  }
  await runScript(script);
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
    side?.onBatch?.(data);
    return;
  }
  if (!data || typeof data.type !== "string" || !data.type.startsWith(PREFIX)) return;
  if (data.type === PREFIX + "link") {
    if (!boot || side !== null) return;
    const { glue, exports, init } = boot;
    side = new SharedSide(new SharedEnd(glue, exports.memory, data.port,
      { raw, maxBytes: init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, maxFrame: init.maxFrame }), host);
    await start(init);
    return;
  }
  if (data.type !== PREFIX + "init" || boot || side) return;
  const init = data;
  raw = init.script.python !== undefined;
  if (init.callTimeout !== undefined) calls.timeout = init.callTimeout;
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
  side = new PostSide(new PostEnd(nativePost, { maxBytes: init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, eager: "aged" }));
  await start(init);
});

async function start(init) {
  try {
    await loadScript(init.script);
  } catch (e) {
    if (isFatal(e)) reportFatal(e);
    else control("failed", { error: describeError(e) });
    return;
  }
  reportReady();
  if (side instanceof SharedSide) side.run();
}
