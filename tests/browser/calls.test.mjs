// Calls both ways between the page and a JsWorker, in headless browsers, on a cross-origin
// isolated page (shared rings) and an ordinary one (postMessage): the page calls the functions the
// worker exposed (many in flight, errors, unknown names, cancel, a dying worker) and the worker
// calls the page's (awaitable on both transports, blocking on the shared one, with timeouts).
// The same from Python is in calls-python.test.mjs.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { suitePage } from "./harness.mjs";

const PAGE = "/tests/browser/pages/jsworker.html";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  describe(`calls with a JsWorker, ${mode}`, () => {
    const { run } = suitePage({ isolated, path: PAGE });

    test("the page calls the worker's functions: 200 in flight, api and call, sync and async, not in recv()", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(`
          expose({
            add: (a, b) => a + b,
            slow: async (x) => { await new Promise((ok) => setTimeout(ok, x % 5)); return [x, "done"]; },
          });
          self.onmessage = (e) => self.postMessage(["echo", e.data]);`);
        const calls = [];
        for (let i = 0; i < 100; i++) calls.push(worker.api.add(i, 1), worker.call("slow", i));
        worker.send("between");
        const results = await Promise.all(calls);
        const message = await worker.recv(5000);
        const bytes = await worker.api.add(new Uint8Array([1]).length, 2);
        const unread = worker.get_unread_messages().length;
        worker.kill();
        return { results, message, bytes, unread };
      });
      const expected = [];
      for (let i = 0; i < 100; i++) expected.push(i + 1, [i, "done"]);
      assert.deepEqual(r.results, expected);
      assert.deepEqual(r.message, ["echo", "between"]);
      assert.equal(r.bytes, 3);
      assert.equal(r.unread, 0);
    });

    test("a worker's exception is a WorkerError with its type, message and stack; an unknown name lists those exposed", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(`
          function fails(x) { throw new RangeError("bad " + x); }
          expose({ fails, ok: () => 1 });`);
        const out = {};
        try {
          await worker.api.fails(7);
        } catch (e) {
          out.fails = { cls: e instanceof pw.WorkerError, name: e.remoteName, message: e.remoteMessage,
                        stack: e.remoteStack.includes("fails"), text: e.message };
        }
        try {
          await worker.call("nope", 1);
        } catch (e) {
          out.nope = { name: e.remoteName, message: e.remoteMessage };
        }
        out.after = await worker.api.ok();
        worker.kill();
        return out;
      });
      assert.deepEqual(r.fails, { cls: true, name: "RangeError", message: "bad 7", stack: true,
                                  text: "the worker's function fails() raised RangeError: bad 7" });
      assert.deepEqual(r.nope, { name: "LookupError",
                                 message: 'no function named "nope" is exposed by the worker; exposed: "fails", "ok"' });
      assert.equal(r.after, 1);
    });

    test("a worker that dies fails its pending calls at once; an AbortSignal cancels a call", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(`expose({ never: () => new Promise(() => {}), quick: () => "q" });`);
        await worker.start();
        const controller = new AbortController();
        const cancelled = worker.callWith({ signal: controller.signal }, "never").catch((e) => e.name);
        controller.abort();
        const out = { cancelled: await cancelled, quick: await worker.api.quick() };
        const pending = [worker.api.never(), worker.api.never()].map((p) => p.catch((e) => e.name));
        setTimeout(() => worker.kill(), 50);
        out.killed = await Promise.all(pending);
        out.after = await worker.api.quick().catch((e) => e.name);
        const before = new AbortController();
        before.abort();
        const other = new pw.JsWorker(`expose({ quick: () => "q" });`);
        out.preAborted = await other.callWith({ signal: before.signal }, "quick").catch((e) => e.name);
        other.kill();
        return out;
      });
      assert.deepEqual(r, { cancelled: "AbortError", quick: "q", killed: ["WorkerKilledError", "WorkerKilledError"],
                            after: "WorkerKilledError", preAborted: "AbortError" });
    });

    test("the worker calls the page's functions with await callAsync: many in flight, errors, unknown names", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(`
          self.onmessage = async () => {
            const results = await Promise.all(Array.from({ length: 100 }, (_, i) => callAsync("double", i)));
            let error, unknown;
            try { await callAsync("fails"); } catch (e) { error = [e.name, e.remoteName, e.remoteMessage, e.message]; }
            try { await callAsync("missing"); } catch (e) { unknown = e.remoteMessage; }
            self.postMessage({ results, error, unknown, slow: await callAsync("slow", "x") });
          };`);
        worker.expose({ double: (x) => x * 2, fails: () => { throw new TypeError("no"); } });
        worker.expose(async function slow(x) { await new Promise((ok) => setTimeout(ok, 10)); return x + "!"; });
        worker.send(0);
        const reply = await worker.recv(10000);
        worker.kill();
        return reply;
      });
      assert.deepEqual(r.results, Array.from({ length: 100 }, (_, i) => i * 2));
      assert.deepEqual(r.error, ["CallError", "TypeError", "no", "the page's function fails() raised TypeError: no"]);
      assert.equal(r.unknown, 'no function named "missing" is exposed by the page; exposed: "double", "fails", "slow"');
      assert.equal(r.slow, "x!");
    });

    test("a page that does not answer within callTimeout is a CallTimeoutError in the worker", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(`
          self.onmessage = async () => {
            try { await callAsync("hang"); self.postMessage("answered"); }
            catch (e) { self.postMessage([e.name, e.message]); }
          };`, { callTimeout: 100 });
        worker.expose({ hang: () => new Promise(() => {}) });
        worker.send(0);
        const reply = await worker.recv(10000);
        worker.kill();
        return reply;
      });
      assert.equal(r[0], "CallTimeoutError");
      assert.match(r[1], /did not answer the call of hang\(\) within 100 ms/);
    });
  });
}

describe("calls with a JsWorker, isolated only (a blocking call needs the shared transport)", () => {
  const { run } = suitePage({ isolated: true, path: PAGE });

  test("isolated: call() blocks for the page's answer; messages and calls that arrive meanwhile wait, in order", async () => {
    const r = await run(async () => {
      const worker = new pw.JsWorker(`
        expose({ seen: () => log.slice() });
        const log = [];
        self.onmessage = (e) => {
          log.push(e.data);
          if (e.data === "go") log.push(call("ask", 20), call("ask", 1));
        };`);
      let during = null, gotDuring;
      const seenDuring = new Promise((ok) => (gotDuring = ok));
      worker.expose({
        ask: async (ms) => {
          // While the worker waits: a message and a call to it, which it holds until it returns.
          if (during === null) gotDuring((during = worker.call("seen")));
          worker.send(`during ${ms}`);
          await new Promise((ok) => setTimeout(ok, ms));
          return ms * 10;
        },
      });
      await worker.start();
      worker.send("first");
      worker.send("go");
      const seen = await Promise.race([seenDuring,
        new Promise((_, fail) => setTimeout(() => fail(new Error("the call made during call() was not answered")), 10000))]);
      await worker.settle();
      const last = await worker.call("seen");
      worker.kill();
      return { seen, last };
    });
    assert.deepEqual(r.seen, ["first", "go", 200, 10]);
    assert.deepEqual(r.last, ["first", "go", 200, 10, "during 20", "during 1"]);
  });

  test("isolated: a blocking call() the page does not answer in time is a CallTimeoutError, and the worker goes on", async () => {
    const r = await run(async () => {
      const worker = new pw.JsWorker(`
        self.onmessage = (e) => {
          try { call("hang"); self.postMessage("answered"); }
          catch (e) { self.postMessage([e.name, e.message]); }
          self.postMessage(call("ok"));
        };`, { callTimeout: 100 });
      worker.expose({ hang: () => new Promise(() => {}), ok: () => "ok" });
      worker.send(0);
      const replies = [await worker.recv(10000), await worker.recv(10000)];
      worker.kill();
      return replies;
    });
    assert.equal(r[0][0], "CallTimeoutError");
    assert.match(r[0][1], /within 100 ms/);
    assert.equal(r[1], "ok");
  });
});

describe("input() in a PyWorker from a JavaScript page, isolated only (it blocks for the page)", () => {
  const { run } = suitePage({ isolated: true, path: PAGE });

  test("isolated: a PyWorker's input() loop reads the stdin option, a function or an iterable, then EOFError", { timeout: 180_000 }, async () => {
    const r = await run(async () => {
      const script = `
from pywebworker.inside import expose
@expose
def loop():
    lines = []
    while True:
        try:
            lines.append(input(f"{len(lines)}> "))
        except EOFError:
            return lines
`;
      const prompts = [];
      const asked = new pw.PyWorker(script, { indexURL: "/node_modules/pyodide/",
        stdin: async (prompt) => (prompts.push(prompt), prompts.length < 3 ? `line ${prompts.length}` : null) });
      const listed = new pw.PyWorker(script, { indexURL: "/node_modules/pyodide/", stdin: ["x", "y"] });
      const out = { fn: await asked.api.loop(), prompts, iterable: await listed.api.loop() };
      asked.kill();
      listed.kill();
      try {
        new pw.PyWorker(script, { indexURL: "/node_modules/pyodide/", stdin: "not lines" });
      } catch (e) {
        out.bad = [e.name, e.message];
      }
      return out;
    });
    assert.deepEqual(r.fn, ["line 1", "line 2"]);
    assert.deepEqual(r.prompts, ["0> ", "1> ", "2> "]);
    assert.deepEqual(r.iterable, ["x", "y"]);
    assert.equal(r.bad[0], "TypeError");
    assert.match(r.bad[1], /stdin option is a function of the prompt, or an iterable of lines/);
  });
});

describe("calls with a JsWorker, not isolated only (postMessage transport)", () => {
  const { run } = suitePage({ isolated: false, path: PAGE });

  test("not isolated: a blocking call() is a CallIsolationError that says how to isolate the page", async () => {
    const r = await run(async () => {
      const worker = new pw.JsWorker(`
        self.onmessage = () => {
          try { call("ok"); } catch (e) { self.postMessage([e.name, e.message]); }
        };`);
      worker.expose({ ok: () => "ok" });
      worker.send(0);
      const reply = await worker.recv(10000);
      worker.kill();
      return reply;
    });
    assert.equal(r[0], "CallIsolationError");
    assert.match(r[1], /not cross-origin isolated/);
    assert.match(r[1], /Cross-Origin-Opener-Policy: same-origin/);
    assert.match(r[1], /callAsync/);
  });
});
