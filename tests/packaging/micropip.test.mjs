// Installing by name from the site's own package index: scripts/build-wheel.sh writes a PEP 503
// simple index beside the wheel (target/wheels/simple/), and micropip, pointed at it with
// index_urls, finds, checks (sha256) and installs pywebworker in real Pyodide in Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withPage } from "../browser/harness.mjs";
import { VERSION } from "./common.mjs";

test('micropip.install("pywebworker", index_urls=[the site\'s index]) installs the wheel, which runs a worker', async () => {
  const r = await withPage({ isolated: true, path: "/tests/browser/pages/pyodide.html" }, async (page) => {
    assert.equal(await page.evaluate(() => window.pyodideReady), true);
    return page.evaluate(async () => {
      const lines = [];
      pyodide.setStdout({ batched: (line) => lines.push(line) });
      await pyodide.runPythonAsync(`
import js, micropip
await micropip.install("pywebworker", index_urls=[js.location.origin + "/target/wheels/simple"])
import pywebworker
from pywebworker.worker import JsWorker
print(pywebworker.__version__)
print(micropip.list()["pywebworker"].version)
worker = JsWorker("self.onmessage = (e) => self.postMessage({'echo': e.data});")
await worker.ready()
worker.send_message("by name")
print((await worker.recv())["echo"])
worker.kill()
`);
      const fetched = performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname);
      return { lines, fetched };
    });
  });
  assert.deepEqual(r.lines, [VERSION, VERSION, "by name"]);
  assert.ok(r.fetched.includes("/target/wheels/simple/pywebworker/"), r.fetched.join(" "));
  assert.ok(r.fetched.includes(`/target/wheels/pywebworker-${VERSION}-py3-none-any.whl`), r.fetched.join(" "));
});
