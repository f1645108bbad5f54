// What the page and a worker agree on: control-message types, frame tags and flags, the type and
// kind bytes of the value format, status codes of the wasm calls, sizes, and how an error
// travels. The layouts built from these are in frames.js (batches, runs of strs) and codec.js
// (values). Rust's and Python's values are checked against these by tests/js/wire.test.mjs.

export const PREFIX = "pywebworker:";

/**
 * Frame tags: a message, an error report, a line a PyWorker's Python printed (stdout, stderr),
 * and the calls of exposed functions, either way: a call, its result, and the caller's cancel.
 * A CALL, RESULT or CANCEL frame is `[id:u32 LE][status:u8]` then one value of the codec:
 * CALL `[name, args]` (status 0); RESULT the returned value (status 0) or the error
 * `{name, message, stack}` (status 1); CANCEL null. Ids are the caller's, per direction.
 * A PAGE frame is a worker's operation on the page's objects, laid out as a CALL (its value
 * `[op, handle, path, args, drops]`, see PAGE_OP) and answered by a RESULT in the same ids.
 */
export const TAG = { DATA: 0, ERROR: 1, STDOUT: 2, STDERR: 3, CALL: 4, RESULT: 5, CANCEL: 6, PAGE: 7 };

/** Bytes before the value in a CALL, RESULT or CANCEL frame. */
export const CALL_HEADER = 5;

/** The name under which a PyWorker's page answers its `input()` and `sys.stdin` (the `stdin` option). */
export const STDIN_CALL = "pywebworker:stdin";

/**
 * The operations of a PAGE frame `[op, handle, path, args, drops]` on the page's object `handle`
 * followed along `path` (keys): read it, write `args[0]` to it, call it (with the object before
 * its last key as `this`), `new` it, list its elements (`Array.from`), delete it, or `String()`
 * it. `drops`: handles the worker no longer uses, released first. Values cross as PAGE_KIND
 * pairs: `[VALUE, v]`, `[OBJECT | FUNCTION, handle, description]` (an object of the page that the
 * codec cannot carry), `[WORKER_FUNCTION, id]` (a worker's function, callable on the page), and
 * from the worker `[PATH, handle, path]` (what is at `path` from `handle`). A GET that reads a
 * function from an object answers `[FUNCTION, null, description]`: the worker calls it by its path,
 * so that a method call takes no handle.
 */
export const PAGE_OP = { GET: 0, SET: 1, CALL: 2, NEW: 3, LIST: 4, DELETE: 5, STR: 6 };
export const PAGE_KIND = { VALUE: 0, OBJECT: 1, FUNCTION: 2, WORKER_FUNCTION: 3, PATH: 4 };
/** The handles of the page's `globalThis` and `document`, which are never released. */
export const PAGE_WINDOW = 0, PAGE_DOCUMENT = 1;
/** The names under which the page calls a worker's function it was given, and drops it. */
export const FUNCTION_CALL = "pywebworker:function", FUNCTION_DROP = "pywebworker:function-drop";

/** Ms a worker's call of a function the page exposed waits for its answer unless told otherwise. */
export const DEFAULT_CALL_TIMEOUT = 30_000;

/**
 * A PyWorker's shared words on a cross-origin isolated page (an Int32Array the page and the
 * worker both hold). Word 0 is Pyodide's interrupt buffer (2: KeyboardInterrupt at the next
 * bytecode). RUNNING: the id of the page's call whose function the worker's Python runs
 * synchronously (0: none); the page cancelling that call claims it (sets it to 0), writes the
 * interrupt, then sets SENT to 1, and the worker withdraws the interrupt once the function ends.
 */
export const SHARED_WORDS = { INTERRUPT: 0, RUNNING: 1, SENT: 2, COUNT: 3 };

/** Frame flags in the word after a frame's length (see src/ring). */
export const FLAG_MORE = 1 << 16;
export const FLAG_ABORT = 1 << 18;
export const TAG_MASK = 0xffff;

/** The type byte that starts each value of the message format (codec.js describes the bodies). */
export const VALUE_TYPE = {
  NULL: 0, UNDEFINED: 1, FALSE: 2, TRUE: 3, INT: 4, FLOAT: 5, BIGINT: 6, STRING: 7, BYTES: 8, LIST: 9, DICT: 10, TUPLE: 11,
};

/** The element types kept for bytes, by kind number (the kind byte after `VALUE_TYPE.BYTES`).
 * Python's bytes / bytearray / memoryview use 13-15. */
export const BYTE_KINDS = [
  "ArrayBuffer", "Uint8Array", "Int8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
  "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "DataView",
  "bytes", "bytearray", "memoryview",
];

/** Status codes returned by the wasm calls (src/transport/shared.rs). */
export const STATUS = { EMPTY: -1, FULL: -1, CLOSED: -2, CORRUPT: -3, TOO_LARGE: -4, TIMEOUT: -5, WOULD_BLOCK: -6 };

/** The largest message a channel carries unless the `maxMessageBytes` option says otherwise:
 * larger ones are refused before sending, and a peer that sends one anyway ends its channel. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1 << 28;

/** A postMessage batch is sent at once when it reaches this size, else at the end of the task. */
export const BATCH_FLUSH_BYTES = 1 << 20;
/** Smaller batches are copied out of a reused buffer; larger ones are transferred. */
export const SMALL_BATCH_BYTES = 1 << 16;
/** A received batch's buffer up to this size can be written into again by the receiver's own batches. */
export const SPARE_MAX_BYTES = 1 << 23;

/** Bytes before the first frame of a postMessage batch. */
export const BATCH_HEADER = 8;

/** Bytes per ring in a worker's link. */
export const LINK_CAPACITY = 1 << 18;

/** Stack of a worker's wasm thread (a multiple of 64 KiB; the Rust side needs little). */
export const THREAD_STACK = 1 << 17;

/**
 * The first word of a run of strs (Python's `_codec.STR_RUN`) where a batch of frames has its
 * first frame's length: no frame has this length (no batch is that large), so an empty first
 * frame, which a raw sender can write, is never taken for a run.
 */
export const STR_RUN_MARK = 0xffffffff;

/** A plain description of an error, for sending it to the other side. */
export function describeError(e) {
  if (e instanceof Error && e.constructor.name === "PythonError" && typeof e.type === "string") {
    // Pyodide's PythonError: the message is the traceback, whose last line is "Type: message".
    const last = e.message.trimEnd().split("\n").pop() ?? "";
    const message = last.startsWith(e.type) ? last.slice(e.type.length).replace(/^: ?/, "") : last;
    return { name: e.type, message, stack: e.message };
  }
  if (e instanceof Error) {
    // V8 starts a stack with "Name: message"; SpiderMonkey and JavaScriptCore list only the
    // frames. The stack starts with that line in every browser.
    const head = e.message ? `${e.name}: ${e.message}` : e.name;
    let stack = typeof e.stack === "string" ? e.stack : "";
    if (!stack.startsWith(head)) stack = stack ? `${head}\n${stack}` : head;
    return { name: e.name, message: e.message, stack };
  }
  let text;
  try {
    text = String(e);
  } catch {
    text = Object.prototype.toString.call(e);
  }
  return { name: "Error", message: `a value that is not an Error was thrown: ${text}`, stack: "" };
}
