// The Python modules a PyWorker's Pyodide imports are listed in three places (the Python page
// API, the JavaScript page API, and the build that copies them beside the npm package): the
// lists agree, and hold every module of the package that inside.py imports, transitively.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const ROOT = new URL("../../", import.meta.url);
const read = (path) => readFileSync(new URL(path, ROOT), "utf8");

test("the worker-side Python modules: worker.py, page/pyworker.js and build-wasm.sh list the same, and all inside.py needs", () => {
  const python = read("python/pywebworker/worker.py").match(/for name_ in \(([^)]*)\)/)[1].match(/"([^"]+)"/g).map((s) => s.slice(1, -1));
  const js = [...read("js-shim/page/pyworker.js").matchAll(/^ {2}"([\w.]+\.py)": new URL\("\.\.\/python\/\1"/gm)].map((m) => m[1]);
  const build = [...read("scripts/build-wasm.sh").matchAll(/python\/pywebworker\/([\w.]+\.py)/g)].map((m) => m[1]);
  assert.deepEqual(js.sort(), python.slice().sort());
  assert.deepEqual(build.sort(), python.slice().sort());
  const needed = new Set(["__init__.py"]);
  const queue = ["inside.py"];
  while (queue.length) {
    const file = queue.pop();
    if (needed.has(file)) continue;
    needed.add(file);
    for (const m of read(`python/pywebworker/${file}`).matchAll(/^\s*from \.(\w+) import/gm)) queue.push(`${m[1]}.py`);
  }
  assert.deepEqual([...needed].sort(), python.slice().sort());
});
