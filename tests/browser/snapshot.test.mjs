// PyWorkers started from a memory snapshot of Pyodide (js-shim/worker/snapshot.js), on an
// isolated page and on an ordinary one: the first worker of a set of settings makes the snapshot,
// later ones (and those of the next page load) start from it and behave as a cold one does; a
// bad cache entry, or a Pyodide without the private API, falls back to a cold start that says why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withPage } from "./harness.mjs";

const WHEEL = "/target/wheels/pywebworker-0.1.0-py3-none-any.whl";
const MICROPIP = "/target/wheels/micropip-0.11.1-py3-none-any.whl";

/** Runs Python on the page (the wheel installed once per page load); returns the printed lines. */
async function py(page, code) {
  const ready = await page.evaluate(() => window.pyodideReady);
  if (ready !== true) throw new Error(`Pyodide did not load: ${ready}`);
  return page.evaluate(async ([code, wheel]) => {
    if (!window.wheelInstalled) {
      await pyodide.runPythonAsync(`import micropip\nawait micropip.install(${JSON.stringify(new URL(wheel, location.href).href)})`);
      window.wheelInstalled = true;
    }
    const lines = [];
    pyodide.setStdout({ batched: (line) => lines.push(line) });
    try {
      await pyodide.runPythonAsync(code);
    } catch (e) {
      lines.push(`raised: ${e.message}`);
    }
    return lines;
  }, [code, WHEEL]);
}

/** Python that starts a PyWorker with `args`, checks what it does, and prints one JSON line. */
const probe = (args) => `
import json
from pywebworker.worker import PyWorker
w = PyWorker("""
import os, random, micropip
from pywebworker.inside import send, transport
def onmessage(value):
    send({"echo": value, "mode": os.environ.get("MODE"), "random": random.random(), "micropip": micropip.__name__,
          "transport": transport})
""", ${args})
await w.ready()
w.send_message([1, b"\\x02"])
reply = await w.recv(timeout=30)
print(json.dumps({"info": w.start_info, "reply": {**reply, "echo": repr(reply["echo"])}}))
w.kill()
`;

const PACKAGES = `packages=["${MICROPIP}"], env={"MODE": "fast"}`;

function checkReply(r, transport) {
  assert.equal(r.reply.echo, "[1, b'\\x02']");
  assert.equal(r.reply.mode, "fast");
  assert.equal(r.reply.micropip, "micropip");
  assert.equal(r.reply.transport, transport);
}

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  const transport = isolated ? "shared" : "post";

  test(`${mode}: the first PyWorker makes a snapshot and starts from it, the next ones (and those after a reload) start from it and behave the same; snapshot=False is cold`, { timeout: 300_000 }, async () => {
    await withPage({ isolated, path: "/tests/browser/pages/pyodide.html" }, async (page) => {
      const runs = [];
      for (const args of [PACKAGES, PACKAGES, `${PACKAGES}, snapshot=False`]) {
        const lines = await py(page, probe(args));
        assert.equal(lines.length, 1, lines.join("\n"));
        runs.push(JSON.parse(lines[0]));
      }
      const [first, second, cold] = runs;
      for (const r of runs) checkReply(r, transport);
      assert.equal(first.info.how, "snapshot", JSON.stringify(first.info));
      assert.equal(first.info.made, true);
      assert.equal(first.info.reason, null);
      assert.ok(first.info.bytes > 20 << 20, `a snapshot of ${first.info.bytes} bytes`);
      assert.equal(second.info.how, "snapshot", JSON.stringify(second.info));
      assert.equal(second.info.made, false);
      assert.equal(second.info.key, first.info.key);
      assert.notEqual(second.reply.random, first.reply.random, "random is seeded afresh after a restore");
      assert.deepEqual(Object.keys(cold.info).sort(), ["how", "ms", "reason"]);
      assert.equal(cold.info.how, "cold");
      assert.equal(cold.info.reason, "snapshot=False");

      // Other settings (here the environment) are another snapshot; a JsWorker has no start info.
      const other = await py(page, `
import json
from pywebworker.worker import PyWorker, JsWorker
w = PyWorker("from pywebworker.inside import send\\nimport os\\nsend(os.environ['MODE'])", env={"MODE": "other"})
await w.ready()
print(await w.recv(timeout=30), json.dumps(w.start_info))
w.kill()
j = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
await j.ready()
print(j._js.startInfo, j.state)
j.kill()
`);
      assert.equal(other.length, 2, other.join("\n"));
      const [value, info] = [other[0].split(" ")[0], JSON.parse(other[0].slice(other[0].indexOf(" ") + 1))];
      assert.equal(value, "other");
      assert.equal(info.how, "snapshot");
      assert.equal(info.made, true);
      assert.notEqual(info.key, first.info.key);
      assert.equal(other[1], "jsnull running");

      // The interrupt buffer is the worker's own, set after the restore (isolated pages only).
      const interrupted = await py(page, `
import asyncio
from pywebworker.worker import PyWorker
w = PyWorker("""
from pywebworker.inside import send
def onmessage(value):
    try:
        while True:
            pass
    except KeyboardInterrupt:
        send("interrupted")
""", ${PACKAGES})
await w.ready()
w.send_message(0)
await asyncio.sleep(0.3)
sent = w.interrupt()
print(w.start_info["how"], w.start_info["made"], sent, await w.recv(timeout=30) if sent else "-")
w.kill()
`);
      assert.deepEqual(interrupted, [isolated ? "snapshot False True interrupted" : "snapshot False False -"]);

      await page.goto(await page.evaluate(() => location.href)); // a new page load, the same browser
      const lines = await py(page, probe(PACKAGES));
      const reloaded = JSON.parse(lines[0]);
      checkReply(reloaded, transport);
      assert.equal(reloaded.info.how, "snapshot", JSON.stringify(reloaded.info));
      assert.equal(reloaded.info.made, false, "the snapshot is kept across page loads");
      assert.equal(reloaded.info.key, first.info.key);
    });
  });

  test(`${mode}: a cached snapshot with a wrong header is dropped and the worker starts cold, saying why; the next worker makes a new one`, { timeout: 300_000 }, async () => {
    await withPage({ isolated, path: "/tests/browser/pages/pyodide.html" }, async (page) => {
      const made = JSON.parse((await py(page, probe(PACKAGES)))[0]);
      assert.equal(made.info.made, true, JSON.stringify(made.info));
      // Overwrites the entry with its own bytes, a header byte changed: `at` 0 is the magic
      // number, 16 the build id. Returns whether the entry is still there after the next start.
      const forge = (at) => page.evaluate(async ([key, at]) => {
        const cache = await caches.open("pywebworker-snapshots");
        const url = (await cache.keys()).map((r) => r.url).find((u) => u.endsWith(key));
        const response = await cache.match(url);
        const bytes = new Uint8Array(await response.arrayBuffer());
        bytes[at] ^= 0xff;
        await cache.put(url, new Response(bytes, { headers: response.headers }));
        return url;
      }, [made.info.key, at]);
      const present = (url) => page.evaluate(async (url) => (await caches.match(url)) !== undefined, url);

      for (const [at, why] of [[0, /wrong magic number/], [16, /made by another Pyodide build/]]) {
        const url = await forge(at);
        const r = JSON.parse((await py(page, probe(PACKAGES)))[0]);
        checkReply(r, transport);
        assert.equal(r.info.how, "cold", JSON.stringify(r.info));
        assert.match(r.info.reason, /^the cached snapshot was dropped: /);
        assert.match(r.info.reason, why);
        assert.equal(await present(url), false, "the bad entry is dropped");
        const again = JSON.parse((await py(page, probe(PACKAGES)))[0]);
        checkReply(again, transport);
        assert.equal(again.info.how, "snapshot", JSON.stringify(again.info));
        assert.equal(again.info.made, true);
        assert.equal(await present(url), true);
      }
    });
  });

  test(`${mode}: a Pyodide without the private snapshot API starts cold and says why`, { timeout: 300_000 }, async () => {
    await withPage({ isolated, path: "/tests/browser/pages/pyodide.html" }, async (page) => {
      const lines = await py(page, probe(`${PACKAGES}, index_url=__import__("js").location.origin + "/tests/browser/pages/pyodide-no-snapshot/"`));
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.doesNotMatch(lines[0], /^raised/);
      const r = JSON.parse(lines[0]);
      checkReply(r, transport);
      assert.equal(r.info.how, "cold", JSON.stringify(r.info));
      assert.match(r.info.reason, /^no snapshot could be made: this Pyodide \(314\.0\.7\) has no makeMemorySnapshot$/);
    });
  });

  test(`${mode}: a pool's workers and its replacements start from the snapshot its first worker made`, { timeout: 300_000 }, async () => {
    await withPage({ isolated, path: "/tests/browser/pages/pyodide.html" }, async (page) => {
      const lines = await py(page, `
import asyncio, json
from pywebworker.pool import WorkerPool
async with WorkerPool(2, env={"MODE": "pool"}) as pool:
    print(await pool.submit("import os\\nos.environ['MODE']"))
    print(json.dumps([s.worker.start_info for s in pool._slots]))
    first = pool._slots[0].worker
    first.kill()
    for _ in range(600):  # the pool replaces a worker that ended while idle
        w = pool._slots[0].worker
        if w is not first and w.state == "running":
            break
        await asyncio.sleep(0.1)
    print(pool.replaced, json.dumps(pool._slots[0].worker.start_info))
`);
      assert.equal(lines.length, 3, lines.join("\n"));
      assert.equal(lines[0], "pool");
      const [a, b] = JSON.parse(lines[1]);
      assert.equal(a.how, "snapshot", JSON.stringify(a));
      assert.equal(a.made, true);
      assert.equal(b.how, "snapshot", JSON.stringify(b));
      assert.equal(b.made, false);
      assert.equal(b.key, a.key);
      const [replaced, info] = [lines[2].split(" ")[0], JSON.parse(lines[2].slice(lines[2].indexOf(" ") + 1))];
      assert.equal(replaced, "1");
      assert.equal(info.how, "snapshot", JSON.stringify(info));
      assert.equal(info.made, false);
      assert.equal(info.key, a.key);
    });
  });
}
