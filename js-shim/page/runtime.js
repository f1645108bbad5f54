// The page's side of the wasm runtime: the shared-memory module, loaded once per page, and the
// settings every worker started from now on takes (where the worker runtime is, how to wait).

import { setWaitMode, waitStats } from "../wait.js";

const settings = { runtimeUrl: null, wait: "auto" };

/** Where workers load their runtime from: next to this package unless `configure` says otherwise
 * (a bundle evaluated as a classic script has no `import.meta.url`, and configures it). */
export const runtimeUrl = () => settings.runtimeUrl ?? new URL("../worker/runtime.js", import.meta.url);

/** How workers wait on shared memory, as the page was configured. */
export const waitMode = () => settings.wait;

// Both files are named here (not the wasm by the glue's address), so that bundlers copy both.
const defaultGlueUrl = () => new URL("../pkg/pywebworker.js", import.meta.url);
const defaultWasmUrl = () => new URL("../pkg/pywebworker_bg.wasm", import.meta.url);

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

let runtime = null;
let liveLinks = 0;

/** Counts a link allocated (+1) or freed (-1), for `runtimeStats`. */
export function countLink(delta) {
  liveLinks += delta;
}

/**
 * Loads the shared-memory build: `glueUrl` is the wasm-bindgen glue (pkg/pywebworker.js), and
 * `wasmUrl` the wasm module (by default pywebworker_bg.wasm beside the glue).
 * Returns `{glue, glueUrl, module, memory, exports}`; the module and memory are what workers need.
 * @param {string | URL} glueUrl
 * @param {string | URL} [wasmUrl]
 */
export async function loadShared(glueUrl, wasmUrl = new URL("pywebworker_bg.wasm", new URL(glueUrl, location.href))) {
  const glue = await import(/* @vite-ignore */ String(glueUrl));
  const module = await WebAssembly.compileStreaming(fetch(wasmUrl));
  const exports = await glue.default({ module_or_path: module });
  return { glue, glueUrl: new URL(glueUrl, location.href).href, module, memory: exports.memory, exports };
}

/**
 * Loads the shared-memory wasm module once (shared transport only).
 * @param {string | URL} [glueUrl]
 * @returns {Promise<{glue: any, module: WebAssembly.Module, memory: WebAssembly.Memory, exports: any}>}
 */
export function loadRuntime(glueUrl) {
  runtime ??= (glueUrl === undefined ? loadShared(defaultGlueUrl().href, defaultWasmUrl())
    : loadShared(new URL(glueUrl, location.href).href))
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
