// The user's JavaScript script in its worker: the global scope it sees, whose message handlers
// and `postMessage` are served by the channel instead of native messages, and how it is run (a
// classic script or a module, from source or a URL).

// The global scope, looked up once: reading `self` costs ~0.3 us in a worker (measured), more
// than handling a message.
export const scope = self;
// `self` is a [Replaceable] getter; an own data property with the same value makes the user's
// `self.postMessage(...)` as cheap as any global read.
Object.defineProperty(globalThis, "self", { value: scope, writable: true, configurable: true, enumerable: true });
export const nativePost = self.postMessage.bind(self);
export const nativeClose = self.close.bind(self);
export const nativeAddListener = self.addEventListener.bind(self);

let userOnMessage = null;
const userListeners = [];
/** Where the errors of the user's code go (set by `exposeScope`). */
let reportError = null;

/**
 * Gives the script the familiar worker API over the channel: `self.onmessage = fn` and
 * `addEventListener("message", fn)` receive what `dispatch` delivers; `self.postMessage(x)` and
 * `self.send(x)` are `api.send`, `self.close()` is `api.close`, `self.recv(timeoutMs)` is
 * `api.recv`; `self.expose`, `self.call` and `self.callAsync` are the calls with the page
 * (calls.js), `self.page` its objects (page.js). What a handler throws, an uncaught error and an unhandled rejection go to `onError`.
 * @param {{send: (value: any) => void, close: () => void, recv: (timeoutMs?: number) => any,
 *   expose: (fns: any, name?: string) => void, call: (name: string, ...args: any[]) => any,
 *   callAsync: (name: string, ...args: any[]) => Promise<any>, page: object}} api
 * @param {(e: any) => void} onError
 */
export function exposeScope(api, onError) {
  reportError = onError;
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
  self.postMessage = api.send;
  self.send = api.send;
  self.close = api.close;
  self.recv = api.recv;
  self.expose = api.expose;
  self.call = api.call;
  self.callAsync = api.callAsync;
  self.page = api.page;
  nativeAddListener("unhandledrejection", (e) => {
    e.preventDefault();
    reportError(e.reason);
  });
  nativeAddListener("error", (e) => {
    e.preventDefault();
    reportError(e.error ?? new Error(e.message));
  });
}

/** Runs the user's handlers for one message; returns a promise when one of them is async. */
export function dispatch(value) {
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

/** Runs a JavaScript worker script: a classic script in the global scope, or a module. */
export async function runScript({ source, url, type, name }) {
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
  // A classic script, evaluated in the global scope as a worker's own script would be, with the
  // `importScripts` of a classic worker (a module worker's throws) and its own URL.
  if (url !== undefined) scope.scriptURL = String(url);
  scope.importScripts = classicImportScripts(url ?? scope.location.href);
  (0, eval)(`${source}\n//# sourceURL=${url ?? name}`);
}

/** How long `importScripts` waits for one script. */
const IMPORT_TIMEOUT_MS = 60_000;

/**
 * `importScripts(...urls)` for a classic script: fetches each script synchronously and evaluates it
 * in the global scope, in order, as a classic worker does; relative URLs resolve against `base`
 * (the script's URL). A script that cannot be loaded throws an error naming its URL and the answer.
 */
function classicImportScripts(base) {
  return function importScripts(...urls) {
    for (const u of urls) {
      const url = new URL(String(u), base).href;
      const request = new XMLHttpRequest();
      request.open("GET", url, false);
      request.timeout = IMPORT_TIMEOUT_MS; // a synchronous load in a worker may have one; it ends the wait
      try {
        request.send();
      } catch (e) {
        throw new Error(`importScripts could not fetch ${url}: ${e.message}`);
      }
      if (request.status < 200 || request.status > 299) {
        const answer = `${request.status} ${request.statusText}`.trimEnd();
        throw new Error(`importScripts: ${url} answered ${answer}; check the URL ` +
          "(a relative URL resolves against the worker script's URL)");
      }
      (0, eval)(`${request.responseText}\n//# sourceURL=${url}`);
    }
  };
}

/** The text of the worker script at `url`; an error that names the URL and the answer. */
export async function fetchScript(url) {
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
