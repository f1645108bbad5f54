// What differs between the browsers the suite runs in (Chromium; Firefox ESR with
// PYWEBWORKER_BROWSER=firefox), detected at run time, and that pywebworker takes the right path
// for each: Atomics.waitAsync or polling, shared memory on ordinary pages, JSPI for Python's
// synchronous calls, module workers, error stacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BROWSER, runPython, withPage } from "./harness.mjs";

const PAGE = "/tests/browser/pages/jsworker.html";

/** The features the page sees, and what the library chose (a shared-transport echo first). */
function probe() {
  return (async () => {
    const features = {
      crossOriginIsolated: self.crossOriginIsolated,
      sharedArrayBufferGlobal: typeof SharedArrayBuffer === "function",
      waitAsync: typeof Atomics.waitAsync === "function",
      jspi: typeof WebAssembly.Suspending === "function" && typeof WebAssembly.promising === "function",
      webLocks: typeof navigator.locks?.request === "function",
    };
    try {
      const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      features.sharedWasmMemory = Object.prototype.toString.call(m.buffer) === "[object SharedArrayBuffer]";
    } catch {
      features.sharedWasmMemory = false;
    }
    // `import.meta` is a syntax error outside a module.
    const url = URL.createObjectURL(new Blob(["postMessage(typeof import.meta)"], { type: "text/javascript" }));
    features.moduleWorkers = await new Promise((done) => {
      try {
        const w = new Worker(url, { type: "module" });
        w.onmessage = (e) => { w.terminate(); done(e.data === "object"); };
        w.onerror = () => { w.terminate(); done(false); };
      } catch {
        done(false);
      }
    });
    URL.revokeObjectURL(url);
    const worker = new pw.JsWorker(`self.onmessage = (e) => setTimeout(() => self.postMessage(e.data), 20);`);
    await worker.start();
    worker.send("ping");
    const echo = await worker.recv(5000);
    worker.kill();
    const stats = await pw.runtimeStats();
    return { features, echo, transport: worker.transport, wait: stats.wait, userAgent: navigator.userAgent };
  })();
}

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  test(`${mode}: ${BROWSER}'s features are detected at run time and the library's choices follow them`, async () => {
    const r = await withPage({ isolated, path: PAGE }, async (page) => {
      await page.waitForFunction(() => window.pwLoaded === true);
      return page.evaluate(probe);
    });
    console.error(`[${BROWSER}] ${r.userAgent}\n[${BROWSER}] ${mode}: ${JSON.stringify(r.features)}; waits: ${JSON.stringify(r.wait)}`);
    assert.equal(r.features.crossOriginIsolated, isolated);
    assert.equal(r.echo, "ping");
    assert.equal(r.transport, isolated ? "shared" : "post", "the transport follows crossOriginIsolated");
    // Both browsers build shared wasm memory on any page; only an isolated page may send it to a
    // worker, and only there is the SharedArrayBuffer constructor a global.
    assert.equal(r.features.sharedWasmMemory, true);
    assert.equal(r.features.sharedArrayBufferGlobal, isolated);
    assert.equal(r.features.moduleWorkers, true, "pywebworker's workers are module workers");
    assert.equal(r.wait.hasWaitAsync, r.features.waitAsync);
    assert.equal(r.wait.mode, r.features.waitAsync ? "native" : "poll", "Atomics.waitAsync is used exactly when present");
    if (isolated) {
      // The page slept on the shared memory for the delayed echo, the way the mode says.
      assert.ok(r.wait[r.wait.mode] > 0, `the page waited with ${r.wait.mode}: ${JSON.stringify(r.wait)}`);
      assert.equal(r.wait[r.wait.mode === "native" ? "poll" : "native"], 0);
    }
  });
}

test("isolated: with polling instead of Atomics.waitAsync (browsers without it), both sides still wait, wake and settle", async () => {
  const r = await withPage({ isolated: true, path: PAGE }, async (page) => {
    await page.waitForFunction(() => window.pwLoaded === true);
    return page.evaluate(async () => {
      pw.configure({ waitAsync: "poll" });
      const before = (await pw.runtimeStats()).wait;
      const worker = new pw.JsWorker(`
        self.onmessage = async (e) => {
          if (e.data === "stats") {
            const { waitStats } = await import(location.origin + "/target/dist/wait.js");
            self.postMessage(waitStats());
          } else if (e.data?.later) {
            setTimeout(() => self.postMessage("late " + e.data.later), e.data.later);
          } else {
            self.postMessage(e.data);
          }
        };`);
      await worker.start();
      const out = {};
      // The seed's flow: settle by spinning, then the list API.
      worker.send_message("first");
      out.first = worker.get_unread_messages().map((m) => m.read());
      // Replies that come later: the page sleeps (polling) in recv, the worker between messages.
      out.late = [];
      for (const ms of [5, 40, 120]) {
        await new Promise((done) => setTimeout(done, 20));
        worker.send({ later: ms });
        out.late.push(await worker.recv(5000));
      }
      // A burst round trip, with the page waiting for room and for replies.
      const n = 5000;
      const big = new Uint8Array(200_000).fill(7);
      for (let i = 0; i < n; i++) worker.send(i % 1000 === 0 ? big : i);
      let ok = 0;
      for (let i = 0; i < n; i++) {
        const v = await worker.recv(10_000);
        if (i % 1000 === 0 ? v.length === big.length && v[199_999] === 7 : v === i) ok++;
      }
      out.ok = ok;
      worker.send("stats");
      out.workerWait = await worker.recv(5000);
      // kill() wakes a recv that is waiting (a polled wait has no notify to end it).
      const pending = worker.recv(60_000).then(() => "no error", (e) => e.name);
      await new Promise((done) => setTimeout(done, 30));
      const killedAt = performance.now();
      worker.kill();
      out.pending = await pending;
      out.wokeInMs = performance.now() - killedAt;
      out.pageWait = (await pw.runtimeStats()).wait;
      out.before = before;
      pw.configure({ waitAsync: "auto" });
      out.after = (await pw.runtimeStats()).wait.mode;
      return out;
    });
  });
  assert.deepEqual(r.first, ["first"]);
  assert.deepEqual(r.late, ["late 5", "late 40", "late 120"]);
  assert.equal(r.ok, 5000);
  assert.equal(r.pending, "WorkerKilledError");
  assert.ok(r.wokeInMs < 1000, `kill woke the polled recv after ${r.wokeInMs} ms`);
  assert.equal(r.pageWait.mode, "poll");
  assert.ok(r.pageWait.poll > r.before.poll, `the page polled: ${JSON.stringify(r.pageWait)}`);
  assert.equal(r.pageWait.native, r.before.native, "no Atomics.waitAsync on the page once polling was chosen");
  assert.equal(r.workerWait.mode, "poll", "the worker follows the page's configuration");
  assert.ok(r.workerWait.poll > 0, `the worker polled between messages: ${JSON.stringify(r.workerWait)}`);
  assert.equal(r.workerWait.native, 0);
  assert.equal(r.after, r.pageWait.hasWaitAsync ? "native" : "poll", `"auto" goes back to what the browser has`);
});

test("an exception's remote stack starts with its type and message in every browser", async () => {
  const r = await withPage({ isolated: false, path: PAGE }, async (page) => {
    await page.waitForFunction(() => window.pwLoaded === true);
    return page.evaluate(async () => {
      const native = new Error("probe").stack.startsWith("Error: probe");
      const worker = new pw.JsWorker(`self.onmessage = (e) => { throw new TypeError("bad " + e.data); };`);
      await worker.start();
      worker.send("input");
      let stack;
      try {
        await worker.recv(5000);
      } catch (e) {
        stack = e.remoteStack;
      }
      worker.kill();
      return { native, stack };
    });
  });
  console.error(`[${BROWSER}] Error.stack starts with "Name: message": ${r.native}`);
  const lines = r.stack.split("\n");
  assert.equal(lines[0], "TypeError: bad input");
  assert.ok(lines.length > 1 && /pywebworker|onmessage/.test(lines.slice(1).join("\n")), `the frames follow: ${r.stack}`);
  assert.equal(lines.filter((l) => l === "TypeError: bad input").length, 1, "the head line is not doubled");
});

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  test(`${mode}: Python's start() blocks exactly where the browser has JSPI; await ready() works everywhere`, async () => {
    const lines = await runPython(isolated, `
import js
from pyodide.ffi import can_run_sync
from pywebworker.worker import JsWorker
jspi = js.eval("typeof WebAssembly.Suspending === 'function'")
print("jspi", jspi, "can_run_sync", can_run_sync())
w = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
w.start()
print("after start()", w.state)
await w.ready()
w.send_message("hi")
print("recv", await w.recv())
w.kill()
`);
    const jspi = lines[0]?.startsWith("jspi True");
    console.error(`[${BROWSER}] ${mode}: ${lines[0]}`);
    assert.match(lines[0], jspi ? /^jspi True can_run_sync True$/ : /^jspi False can_run_sync False$/);
    // With JSPI start() returned once the script ran; without, it started in the background.
    assert.equal(lines[1], jspi ? "after start() running" : "after start() starting");
    assert.equal(lines[2], "recv hi");
    assert.equal(lines.length, 3, lines.join("\n"));
  });
}
