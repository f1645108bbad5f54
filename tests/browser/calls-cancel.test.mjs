// Cancelling the page's call of a PyWorker's function that runs synchronously, in headless
// browsers with real Pyodide: on a cross-origin isolated page the cancel raises KeyboardInterrupt
// in that function (an AbortSignal from JavaScript, task.cancel() from Python), and only in the
// call that is running; on an ordinary page the function runs to its end and its answer is dropped.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { runPython, suitePage } from "./harness.mjs";

const PAGE = "/tests/browser/pages/jsworker.html";
const OPTIONS = { timeout: 180_000 };

// spin() runs until interrupted; busy() computes for a while and ends. Both say when they start,
// and log() tells what ran to its end and what KeyboardInterrupt stopped.
const SCRIPT = `
import time
from pywebworker.inside import expose, send

log = {"interrupted": [], "finished": []}

@expose
def spin(tag):
    send(["started", tag])
    try:
        while True:
            pass
    except KeyboardInterrupt:
        log["interrupted"].append(tag)
        raise

@expose
def busy(tag, seconds):
    send(["started", tag])
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    log["finished"].append(tag)
    return n

expose({"add": lambda a, b: a + b, "log": lambda: log})
`;

describe("cancelling a PyWorker's synchronous function, isolated (KeyboardInterrupt)", () => {
  const { run } = suitePage({ isolated: true, path: PAGE });

  test("isolated: an AbortSignal raises KeyboardInterrupt in the running spin loop; the calls around it answer", OPTIONS, async () => {
    const r = await run(async (script) => {
      const w = new pw.PyWorker(script, { indexURL: "/node_modules/pyodide/" });
      const before = w.api.add(1, 2);
      const controller = new AbortController();
      const spinning = w.callWith({ signal: controller.signal }, "spin", "a").catch((e) => e.name);
      const after = [w.api.add(3, 4), w.call("add", 5, 6)];
      const started = await w.recv(120_000);
      controller.abort();
      const out = { started, spinning: await spinning, before: await before, after: await Promise.all(after) };
      out.log = await w.api.log();
      out.next = await w.api.add(7, 8);
      w.kill();
      return out;
    }, SCRIPT);
    assert.deepEqual(r, { started: ["started", "a"], spinning: "AbortError", before: 3, after: [7, 11],
      log: { interrupted: ["a"], finished: [] }, next: 15 });
  });

  test("isolated: a cancel of a call not begun interrupts nothing: the running call goes on to its end", OPTIONS, async () => {
    const r = await run(async (script) => {
      const w = new pw.PyWorker(script, { indexURL: "/node_modules/pyodide/" });
      const queued = new AbortController();
      const running = w.api.busy("running", 2);
      const dropped = w.callWith({ signal: queued.signal }, "add", 1, 1).catch((e) => e.name);
      const started = await w.recv(120_000);
      queued.abort();
      const out = { started, dropped: await dropped, running: (await running) > 0 };
      // Then the running call is cancelled: the interrupt is its own, withdrawn after it, and
      // the spin loop after it is interrupted by its own cancel only.
      const spin = new AbortController();
      const spinning = w.callWith({ signal: spin.signal }, "spin", "b").catch((e) => e.name);
      out.second = await w.recv(60_000);
      spin.abort();
      out.spinning = await spinning;
      out.log = await w.api.log();
      out.next = await w.api.add(2, 2);
      w.kill();
      return out;
    }, SCRIPT);
    assert.deepEqual(r, { started: ["started", "running"], dropped: "AbortError", running: true,
      second: ["started", "b"], spinning: "AbortError", log: { interrupted: ["b"], finished: ["running"] }, next: 4 });
  });

  test("isolated: task.cancel() of a Python page's awaiting task raises KeyboardInterrupt in the spin loop", OPTIONS, async () => {
    const lines = await runPython(true, `
import asyncio
from pywebworker.worker import PyWorker
w = PyWorker(${JSON.stringify(SCRIPT)})
await asyncio.wait_for(w.ready(), 120)
task = asyncio.ensure_future(w.api.spin("py"))
others = [asyncio.ensure_future(w.api.add(i, 1)) for i in range(3)]
print("started:", await w.recv(timeout=60))
task.cancel()
try:
    await task
except asyncio.CancelledError:
    print("cancelled:", task.cancelled())
print("others:", await asyncio.wait_for(asyncio.gather(*others), 30))
print("log:", await asyncio.wait_for(w.api.log(), 30))
print("next:", await asyncio.wait_for(w.api.add(20, 22), 30))
w.kill()
`);
    const all = `\nthe Python printed:\n${lines.join("\n")}`;
    assert.deepEqual(lines, ["started: ['started', 'py']", "cancelled: True", "others: [1, 2, 3]",
      "log: {'interrupted': ['py'], 'finished': []}", "next: 42"], all);
  });
});

describe("cancelling a PyWorker's synchronous function, not isolated (postMessage: the answer is dropped)", () => {
  const { run } = suitePage({ isolated: false, path: PAGE });

  test("not isolated: an AbortSignal rejects the call at once; its function runs to its end, and the worker goes on", OPTIONS, async () => {
    const r = await run(async (script) => {
      const w = new pw.PyWorker(script, { indexURL: "/node_modules/pyodide/" });
      const controller = new AbortController();
      const running = w.callWith({ signal: controller.signal }, "busy", "x", 2).catch((e) => e.name);
      const after = w.api.add(1, 2);
      const started = await w.recv(120_000);
      controller.abort();
      const out = { started, running: await running, after: await after };
      out.log = await w.api.log();
      w.kill();
      return out;
    }, SCRIPT);
    assert.deepEqual(r, { started: ["started", "x"], running: "AbortError", after: 3,
      log: { interrupted: [], finished: ["x"] } });
  });
});
