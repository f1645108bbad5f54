// A PyWorker's Pyodide started from a memory snapshot of an initialised interpreter, kept in the
// origin's Cache Storage and keyed by the settings that shape it; every failure falls back to a
// normal (cold) start and says why.
//
// Pyodide's snapshot API is private (`_makeSnapshot`, `makeMemorySnapshot`, `_loadSnapshot`), so
// it is used with the Pyodide versions it was checked with only. A snapshot holds the interpreter
// with the package's worker-side helpers imported; it does not hold the file system, packages
// loaded by `loadPackage` (they are loaded after the restore, as in a cold start), the channel
// module or the interrupt buffer (set up after the restore by python.js).

/** The Pyodide versions whose private snapshot API this file was written against. */
export const SNAPSHOT_PYODIDE = ["314.0.7"];
/** Changes when what a snapshot holds changes: old entries then no longer match. */
const FORMAT = 1;
const CACHE = "pywebworker-snapshots";
/** At most this many snapshots (30 MiB or more each) are kept; the oldest go first. */
const KEEP = 4;
/** Pyodide's snapshot header: the magic number in its first four bytes, the build id at 16-48. */
const MAGIC = 1886286592;
const CACHE_MS = 15_000;
const RESTORE_MS = 60_000;
/** What the snapshot's interpreter imports besides the package's own helpers (inside.py's needs). */
const PRELOAD = "import contextlib, io, struct, time, traceback\n" +
  "import pywebworker, pywebworker._codec, pywebworker._ffi\n";

/** Milliseconds since `t0`, rounded. */
const since = (t0) => Math.round(performance.now() - t0);

/** `promise`, or an error naming `what` once `ms` have passed. */
function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The hex SHA-256 of a string. */
async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The build id written in a snapshot's header (hex), or null when its magic number is wrong. */
export function headerBuildId(bytes) {
  if (bytes.byteLength < 48) return null;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, 12);
  if (words[0] !== MAGIC) return null;
  return Array.from(words.subarray(4, 12), (w) => w.toString(16).padStart(8, "0")).join("");
}

/** Writes the package's worker-side modules into Pyodide's site-packages. */
export function writeFiles(py, files) {
  const site = py.runPython("import site; site.getsitepackages()[0]");
  py.FS.mkdirTree(`${site}/pywebworker`);
  for (const [file, text] of Object.entries(files)) py.FS.writeFile(`${site}/pywebworker/${file}`, text);
}

/**
 * Pyodide for a PyWorker: from a snapshot when `python.snapshot` asks for it and it works, else
 * started cold. Returns the instance and `info`, what the page shows as the worker's start info:
 * `{how: "snapshot" | "cold", ms, reason, made, key, bytes}`.
 * @param {{indexURL: string, env?: object, files: object, snapshot?: boolean}} python
 */
export async function startPyodide(python) {
  const t0 = performance.now();
  const mod = await import(python.indexURL + "pyodide.mjs");
  const cold = async (reason) => {
    const py = await mod.loadPyodide({ indexURL: python.indexURL, env: python.env ?? {} });
    return { py, restored: false, info: { how: "cold", ms: since(t0), reason } };
  };
  if (python.snapshot !== true) return cold("snapshot=False");
  if (!SNAPSHOT_PYODIDE.includes(mod.version)) {
    return cold(`Pyodide ${mod.version}: snapshots are used with Pyodide ${SNAPSHOT_PYODIDE.join(", ")} only ` +
      "(the API is private and changes between versions)");
  }
  if (typeof caches === "undefined") return cold("Cache Storage is not available in this worker");
  const settings = { format: FORMAT, pyodide: mod.version, indexURL: python.indexURL, env: python.env ?? {},
    files: await sha256(JSON.stringify(python.files)) };
  const key = await sha256(JSON.stringify(settings));
  const url = new URL(`/.pywebworker-snapshot/${key}`, python.indexURL).href;
  let cache, entry;
  try {
    cache = await bounded(caches.open(CACHE), CACHE_MS, "opening Cache Storage");
    entry = await bounded(readEntry(cache, url), CACHE_MS, "reading the cached snapshot");
  } catch (e) {
    return cold(`the snapshot cache could not be read: ${e.message}`);
  }
  let made = false;
  let bytes = entry?.bytes;
  if (entry && entry.problem) {
    await bounded(cache.delete(url), CACHE_MS, "dropping the cached snapshot").catch(() => {});
    return cold(`the cached snapshot was dropped: ${entry.problem}`);
  }
  if (!bytes) {
    try {
      bytes = await makeSnapshot(mod, python);
    } catch (e) {
      return cold(`no snapshot could be made: ${e.message}`);
    }
    made = true;
  }
  const stored = made ? bounded(storeEntry(cache, url, bytes), CACHE_MS, "storing the snapshot")
    .then(() => null, (e) => e.message) : null;
  let py;
  try {
    py = await bounded(restore(mod, python, bytes), RESTORE_MS, "starting from the snapshot");
  } catch (e) {
    // A snapshot that does not start is not kept for the next workers.
    await stored;
    await bounded(cache.delete(url), CACHE_MS, "dropping the cached snapshot").catch(() => {});
    return cold(`starting from the snapshot failed (${made ? "made here" : "the cached one"}; dropped): ${e.message}`);
  }
  const notStored = await stored;
  return {
    py, restored: true,
    info: { how: "snapshot", ms: since(t0), reason: notStored ? `made here, not stored: ${notStored}` : null,
      made, key, bytes: bytes.byteLength },
  };
}

/** The cached snapshot at `url`: `{bytes}`, `{problem}` when it is unusable, or null when none. */
async function readEntry(cache, url) {
  const response = await cache.match(url);
  if (!response) return null;
  const bytes = new Uint8Array(await response.arrayBuffer());
  const buildId = headerBuildId(bytes);
  if (buildId === null) return { problem: "its header is not a Pyodide snapshot's (wrong magic number)" };
  const expected = response.headers.get("x-pywebworker-build-id");
  if (buildId !== expected) {
    return { problem: `it was made by another Pyodide build (build id ${buildId.slice(0, 12)}..., ` +
      `expected ${String(expected).slice(0, 12)}...)` };
  }
  if (String(bytes.byteLength) !== response.headers.get("x-pywebworker-bytes")) {
    return { problem: `it holds ${bytes.byteLength} bytes, not the ${response.headers.get("x-pywebworker-bytes")} written` };
  }
  return { bytes };
}

async function storeEntry(cache, url, bytes) {
  await cache.put(url, new Response(bytes, { headers: {
    "content-type": "application/octet-stream", "x-pywebworker-build-id": headerBuildId(bytes),
    "x-pywebworker-bytes": String(bytes.byteLength),
  } }));
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - KEEP))) await cache.delete(old);
}

/**
 * Makes a snapshot in an instance of its own, which runs no user code: the interpreter with the
 * package's helpers imported and nothing of JavaScript kept.
 */
async function makeSnapshot(mod, python) {
  const maker = await mod.loadPyodide({ indexURL: python.indexURL, env: python.env ?? {}, _makeSnapshot: true });
  if (typeof maker.makeMemorySnapshot !== "function") {
    throw new Error(`this Pyodide (${mod.version}) has no makeMemorySnapshot`);
  }
  writeFiles(maker, python.files);
  maker.runPython(PRELOAD);
  const bytes = maker.makeMemorySnapshot();
  if (headerBuildId(bytes) === null) throw new Error("Pyodide wrote a snapshot without its header");
  return bytes;
}

/** A new instance from `bytes`; its heap grown first to the snapshot's size (pyodide#6254). */
async function restore(mod, python, bytes) {
  const create = (await import(python.indexURL + "pyodide.asm.mjs")).default;
  const heap = bytes.byteLength - new Uint32Array(bytes.buffer, bytes.byteOffset, 2)[1];
  const createPyodideModule = async (settings) => {
    const module = await create(settings);
    if (module.HEAP8.length < heap && !module._emscripten_resize_heap(heap)) {
      throw new Error(`the heap could not grow to the snapshot's ${heap} bytes`);
    }
    return module;
  };
  return mod.loadPyodide({ indexURL: python.indexURL, env: python.env ?? {}, _loadSnapshot: bytes, createPyodideModule });
}
