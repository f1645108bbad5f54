// PyWorker for pages written in JavaScript: a worker running Python in its own Pyodide, with the
// channel of a JsWorker. Values cross with the same codec as from Python (a JavaScript number
// arrives as an int or a float, an array as a list, a Uint8Array as bytes).

import { JsWorker } from "./jsworker.js";
import { STDIN_CALL } from "../protocol.js";

/** Bytes per ring of a PyWorker: Pyodide costs far more memory, and large messages need no wait. */
const PYWORKER_CAPACITY = 2 * 1024 * 1024;

// The package's Python modules that a PyWorker's Pyodide imports (`pywebworker.inside` and what it
// needs), beside this package in python/. Each URL is written out so that bundlers copy the file.
const PYTHON_FILES = () => ({
  "__init__.py": new URL("../python/__init__.py", import.meta.url),
  "_codec.py": new URL("../python/_codec.py", import.meta.url),
  "_ffi.py": new URL("../python/_ffi.py", import.meta.url),
  "_page.py": new URL("../python/_page.py", import.meta.url),
  "inside.py": new URL("../python/inside.py", import.meta.url),
});

let pythonFiles = null;

/** The text of the Python modules, fetched once per page. */
function loadPythonFiles() {
  pythonFiles ??= Promise.all(Object.entries(PYTHON_FILES()).map(async ([name, url]) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`pywebworker's Python module ${name} did not load from ${url}: HTTP ${response.status}`);
    return [name, await response.text()];
  })).then(Object.fromEntries);
  pythonFiles.catch(() => { pythonFiles = null; });
  return pythonFiles;
}

/**
 * A Web Worker running Python in its own Pyodide.
 *
 * `script` is Python source, or a `URL` to load it from. Inside, `from pywebworker.inside import
 * send, recv, messages` talks to the page, and a `def onmessage(value): ...` receives each
 * message. Pyodide is loaded in the worker from `options.indexURL`, the folder the page serves
 * Pyodide's files from (`pyodide.mjs`, `pyodide.asm.wasm`, `python_stdlib.zip`, ...).
 */
export class PyWorker extends JsWorker {
  /**
   * @param {string | URL} script Python source text, or the URL of the script
   * @param {ConstructorParameters<typeof JsWorker>[1] & {indexURL: string | URL, packages?: string[],
   *   env?: Record<string, string>}} options `indexURL` (required): where Pyodide's files are
   *   served; `packages`: names from Pyodide's lock file, or wheel URLs, loaded before the script
   *   runs; `env`: the environment variables of the worker's Python; the rest as for `JsWorker`
   *   (`capacity` is 2 MiB by default); `stdin`: what the worker's `input()` and `sys.stdin` read, a
   *   function called with the prompt that returns a line (or a promise of one; null or undefined:
   *   end of input), or an iterable of lines; by default the page's `prompt()`
   */
  constructor(script, options) {
    const { indexURL, packages = [], env = {}, stdin, ...rest } = options ?? {};
    const readLine = stdinReader(stdin);
    if (indexURL === undefined || indexURL === null || indexURL === "") {
      throw new TypeError("a PyWorker needs options.indexURL: the URL of the folder that serves Pyodide's files " +
        "(pyodide.mjs and the rest of the npm package pyodide)");
    }
    let base = String(new URL(indexURL, location.href));
    if (!base.endsWith("/")) base += "/";
    const wanted = packages.map((p) => (p.includes("/") || p.endsWith(".whl") ? String(new URL(p, location.href)) : p));
    super(script, { capacity: PYWORKER_CAPACITY, ...rest,
      python: { indexURL: base, files: {}, packages: wanted, env: { ...env }, repl: false } });
    this.expose(readLine, STDIN_CALL);
  }

  /**
   * A worker running the Python script at `url` (a string resolved against the page, or a URL).
   * @param {string | URL} url
   * @param {ConstructorParameters<typeof PyWorker>[1]} options
   */
  static fromURL(url, options) {
    return new PyWorker(new URL(url, location.href), options);
  }

  async _launch() {
    this.script.python.files = await loadPythonFiles();
    if (this.state !== "starting") throw this._deadError();
    return super._launch();
  }
}

/**
 * The page's answer to a PyWorker's `input(prompt)`: a line, or null at the end of input.
 * @param {((prompt: string) => string | null | undefined | Promise<string | null | undefined>) | Iterable<string> | undefined} stdin
 */
function stdinReader(stdin) {
  if (stdin === undefined || stdin === null) return (text) => globalThis.prompt(text);
  if (typeof stdin === "function") return async (text) => (await stdin(text)) ?? null;
  if (typeof stdin === "string" || typeof stdin[Symbol.iterator] !== "function") {
    throw new TypeError("the stdin option is a function of the prompt, or an iterable of lines (an array, not a string)");
  }
  const lines = stdin[Symbol.iterator]();
  return () => {
    const next = lines.next();
    return next.done ? null : String(next.value);
  };
}
