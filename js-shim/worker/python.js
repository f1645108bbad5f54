// A PyWorker's start in its worker: Pyodide, its packages, the package's worker-side modules, then
// the user's Python script (or the REPL mode of the pool), and what tells a fatal interpreter
// error apart from an exception of the user's code.

import { withBytes } from "../frames.js";
import { fetchScript } from "./script.js";
import { startPyodide, writeFiles } from "./snapshot.js";

/** How this worker's Pyodide started (snapshot.js), for the page; null until it has. */
export let startInfo = null;

/** True for an error after which this worker's Pyodide cannot run again: its fatal error
 * handler marks the error it rethrows, and every later call throws "already fatally failed". */
export function isFatal(e) {
  return e?.pyodide_fatal_error === true ||
    /Pyodide (has suffered a fatal error|already fatally failed)/.test(String(e?.message ?? e));
}

/**
 * Starts Pyodide in this worker and runs a PyWorker's Python script (or its REPL mode). Returns
 * the function that hands Python a batch of messages (`[len:u32][bytes]...`), or null when the
 * script defines no `onmessage`.
 * @param {{source?: string, url?: string, name: string, python: any}} script
 * @param {{transport: "shared" | "post", send: (tag: number, u8: Uint8Array) => void,
 *   sendBatch: (u8: Uint8Array, now: boolean) => void, recv: (timeoutMs?: number) => any,
 *   calls: import("./calls.js").WorkerCalls,
 *   callSync: (name: string, body: Uint8Array, timeoutMs?: number, tag?: number) => any}} channel
 */
export async function loadPython({ source, url, name, python }, channel) {
  const { py, restored, info } = await startPyodide(python);
  startInfo = info;
  // Every worker started from one snapshot would draw the same random numbers.
  if (restored) py.runPython("import sys\nif 'random' in sys.modules: sys.modules['random'].seed()");
  if (python.interruptBuffer) py.setInterruptBuffer(python.interruptBuffer);
  if (python.packages?.length) await loadPackages(py, python.packages);
  py.registerJsModule("_pywebworker_channel", {
    transport: channel.transport,
    // Printed lines go to the page, in order with the messages, when it asked for them.
    forward_stdout: python.forward?.stdout === true,
    forward_stderr: python.forward?.stderr === true,
    send: (tag, bytes) => withBytes(bytes, (u8) => channel.send(tag, u8)),
    send_batch: (batch, now) => withBytes(batch, (u8) => channel.sendBatch(u8, now)),
    recv: (timeoutMs) => channel.recv(timeoutMs ?? undefined),
    // Calls of the page's functions: `[name, args]` encoded by Python; the result comes back encoded.
    call_sync: (name, body, timeoutMs, tag) =>
      withBytes(body, (u8) => channel.callSync(name, u8, timeoutMs ?? undefined, tag ?? undefined)),
    call_async: (name, body, timeoutMs, tag) =>
      withBytes(body, (u8) => channel.calls.callAsync(name, undefined, timeoutMs ?? undefined, u8, tag ?? undefined)),
  });
  // The worker-side modules of the package, handed over by the page from its wheel.
  writeFiles(py, python.files);
  const inside = py.pyimport("pywebworker.inside");
  const dispatchBatch = inside._dispatch_batch;
  // The page's calls of the functions Python exposed, and their cancels.
  const handleCall = inside._handle_call, cancelCall = inside._cancel_call;
  // A function that runs synchronously never lets the CANCEL through: the page interrupts it.
  const calls = channel.calls, words = python.sharedWords;
  calls.python = {
    call: (id, body) => calls.runInterruptible(words, id, () => handleCall(id, body)),
    cancel: (id) => cancelCall(id),
  };
  if (python.repl) return (batch) => dispatchBatch(batch, true);
  if (url !== undefined) source = await fetchScript(url);
  try {
    await py.runPythonAsync(source, { filename: url ?? `${name}.py` });
  } finally {
    inside._flush(); // what the script sent while it ran
  }
  return py.globals.has("onmessage") ? (batch) => dispatchBatch(batch, false) : null;
}

/** Loads a PyWorker's `packages` (names from Pyodide's lock file, or wheel URLs); throws what failed. */
async function loadPackages(py, packages) {
  const errors = [];
  await py.loadPackage(packages, { messageCallback: () => {}, errorCallback: (e) => errors.push(String(e)) });
  if (errors.length) throw new Error(`the packages ${JSON.stringify(packages)} did not load: ${errors.join("; ")}`);
}
