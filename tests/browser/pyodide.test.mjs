// The Python package in real Pyodide (npm package), installed with micropip from the wheel the
// set-up builds — on an isolated page and on an ordinary one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withPage } from "./harness.mjs";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  test(`${mode}: micropip installs the wheel offline and it carries the shim and the wasm module`, async () => {
    const r = await withPage({ isolated, path: "/tests/browser/pages/pyodide.html" }, async (page) => {
      const ready = await page.evaluate(() => window.pyodideReady);
      assert.equal(ready, true, `Pyodide and micropip load: ${ready}`);
      return page.evaluate(async () => {
        const wheel = new URL("/target/wheels/pywebworker-0.1.0-py3-none-any.whl", location.href).href;
        const out = await pyodide.runPythonAsync(`
import json, micropip
await micropip.install(${JSON.stringify(wheel)})
import pywebworker
from pywebworker import _web
wasm = _web.read("pkg/pywebworker_bg.wasm")
try:
    _web.read("missing.js")
    missing = "no error"
except FileNotFoundError as e:
    missing = str(e)
json.dumps({"version": pywebworker.__version__, "names": _web.names(), "wasm_magic": list(wasm[:4]),
            "wasm_size": len(wasm), "missing": missing})
`);
        return JSON.parse(out);
      });
    });
    assert.equal(r.version, "0.1.0");
    for (const name of ["pywebworker.js", "jsworker.js", "worker-runtime.js", "codec.js", "pkg/pywebworker.js",
      "pkg/pywebworker_bg.wasm"]) {
      assert.ok(r.names.includes(name), `the wheel carries ${name}`);
    }
    assert.deepEqual(r.wasm_magic, [0, 0x61, 0x73, 0x6d], "the wasm module is intact");
    assert.ok(r.wasm_size > 10_000);
    assert.match(r.missing, /carries no web file 'missing\.js'/);
  });
}
