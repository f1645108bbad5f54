// What a JsWorker's script has as globals, as a module to import (`import { page, call } from
// "pywebworker/inside"`, for worker scripts that a bundler builds): the worker runtime defines the
// globals before it runs the script.

const scope = /** @type {any} */ (globalThis);
if (typeof scope.expose !== "function") {
  throw new Error("pywebworker/inside is imported by the script of a JsWorker (new JsWorker(...) on the page), " +
    "not by the page or a plain Worker");
}

/** The page's objects: `page.window`, `page.document` (synchronous, shared transport), `page.async`. */
export const page = scope.page;
/** Functions the page calls with `worker.call(name, ...)` / `worker.api.name(...)`. */
export const expose = scope.expose;
/** Calls a function the page exposed, blocking until it answers (shared transport). */
export const call = scope.call;
/** Calls a function the page exposed; a promise of its answer (both transports). */
export const callAsync = scope.callAsync;
/** Sends a message to the page. */
export const send = scope.send;
/** The next message, blocking (shared transport). */
export const recv = scope.recv;
