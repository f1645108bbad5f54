// The globals of a JsWorker's script (classic or module), which the worker runtime
// (worker/runtime.js) defines before the script runs. A script in TypeScript declares them with
// `import type {} from "pywebworker/worker";`. The only declarations written by hand: the rest
// are generated from the shim's JSDoc.
import type { Sendable } from "./pywebworker.js";

/** What `call` and `callAsync` throw: `name` says which (runtime's worker/calls.js classes). */
export interface CallError extends Error {
  /** CallError: the page's function threw; CallTimeoutError: no answer in time;
   * CallIsolationError: a blocking `call` on a page that is not cross-origin isolated. */
  name: "CallError" | "CallTimeoutError" | "CallIsolationError";
  /** The page's exception (undefined for an error of the call itself). */
  remoteName?: string;
  remoteMessage?: string;
  remoteStack?: string;
}

declare global {
  /** Sends `value` to the page (TypeError, before sending, for a value that cannot be sent). */
  function send(value: Sendable): void;
  /** The next message, blocking this worker until one arrives or `timeoutMs` passes (shared transport). */
  function recv(timeoutMs?: number): Sendable;
  /** Ends the worker; no message is handled after it. */
  function close(): void;
  /** Exposes functions to the page's `worker.call(name, ...args)` / `worker.api.name(...args)`:
   * `{name: fn, ...}`, or one function under `name` (default: its own name). */
  function expose(fns: Record<string, Function> | Function, name?: string): void;
  /** Calls the page's exposed function `name`, blocking until it answers (shared transport);
   * throws a CallError. */
  function call(name: string, ...args: Sendable[]): Sendable;
  /** Calls the page's exposed function `name` (both transports); rejects with a CallError. */
  function callAsync(name: string, ...args: Sendable[]): Promise<Sendable>;
  /** The page's objects: `window` and `document` used synchronously (shared transport), `async`
   * their awaitable form (both transports), `release(proxy)` lets the page forget one. */
  var page: {
    window: any;
    document: any;
    async: any;
    release(proxy: object): void;
  };
}
