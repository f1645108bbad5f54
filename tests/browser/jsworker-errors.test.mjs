// JsWorker errors end to end, on an isolated page (shared rings) and an ordinary one
// (postMessage): unsendable values, scripts that fail, exceptions and rejections in the worker,
// killed and exited workers. Each error says what happened and leaves other workers intact.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { suitePage } from "./harness.mjs";

const PAGE = "/tests/browser/pages/jsworker.html";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  const expected = isolated ? "shared" : "post";

  describe(`JsWorker errors, ${mode} (${expected} transport)`, () => {
    const { run } = suitePage({ isolated, path: PAGE });

    test("an unsendable value is a TypeError naming its type; nothing is sent and the worker goes on", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(ECHO);
        await worker.start();
        const errors = [];
        for (const v of [new Map(), () => 1, { ok: 1, bad: [Symbol("s")] }]) {
          try {
            worker.send(v);
          } catch (e) {
            errors.push(`${e.name}: ${e.message}`);
          }
        }
        worker.send("after");
        const echoed = await worker.recv(5000);
        await worker.settle();
        const count = worker.messages.length;
        worker.kill();
        return { errors, echoed, count };
      });
      assert.equal(r.errors.length, 3);
      assert.match(r.errors[0], /^TypeError: .*type Map/);
      assert.match(r.errors[1], /^TypeError: .*type function/);
      assert.match(r.errors[2], /^TypeError: .*type symbol \(at \.bad\[0\]\)/);
      assert.equal(r.echoed, "after");
      assert.equal(r.count, 0, "nothing else came back");
    });

    test("a script with a syntax error fails to start with its SyntaxError; other workers are intact", async () => {
      const r = await run(async () => {
        const good = new pw.JsWorker(ECHO);
        await good.start();
        good.send("queued before");
        const bad = new pw.JsWorker("self.onmessage = function ( {");
        let error;
        try {
          await bad.start();
        } catch (e) {
          error = { name: e.name, message: e.message, remote: e.remoteName, state: bad.state };
        }
        let sendError;
        try {
          bad.send("x");
        } catch (e) {
          sendError = e.name;
        }
        good.send("sent after");
        const echoed = [await good.recv(5000), await good.recv(5000)];
        good.kill();
        return { error, sendError, echoed };
      });
      assert.equal(r.error.name, "WorkerScriptError");
      assert.equal(r.error.remote, "SyntaxError");
      assert.match(r.error.message, /failed to start: SyntaxError: /);
      assert.equal(r.error.state, "failed");
      assert.equal(r.sendError, "WorkerScriptError");
      assert.deepEqual(r.echoed, ["queued before", "sent after"]);
    });

    test("an exception in the worker's handler reaches the page with its type, message and stack", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(`
          self.onmessage = (e) => {
            if (e.data === "boom") throw new RangeError("handler exploded on " + e.data);
            self.postMessage(e.data);
          };`);
        await worker.start();
        worker.send("boom");
        let error;
        try {
          await worker.recv(5000);
        } catch (e) {
          error = { name: e.name, remoteName: e.remoteName, message: e.message, stack: e.remoteStack };
        }
        worker.send("still alive");
        const echoed = await worker.recv(5000);
        worker.kill();
        return { error, echoed };
      });
      assert.equal(r.error.name, "WorkerError");
      assert.equal(r.error.remoteName, "RangeError");
      assert.match(r.error.message, /RangeError: handler exploded on boom/);
      assert.match(r.error.stack, /handler exploded/);
      assert.equal(r.echoed, "still alive");
    });

    test("an error reaches onerror when one is set, and a getter throws it otherwise", async () => {
      const r = await run(async () => {
        const seen = [];
        const worker = new pw.JsWorker(`self.onmessage = (e) => { throw new Error("bad " + e.data); };`,
          { onerror: (e) => seen.push(e.remoteMessage) });
        await worker.start();
        worker.send(1);
        await worker.settle();
        worker.onerror = null;
        worker.send(2);
        let thrown;
        try {
          await worker.settle();
          worker.get_unread_messages();
        } catch (e) {
          thrown = e.remoteMessage;
        }
        worker.kill();
        return { seen, thrown };
      });
      assert.deepEqual(r.seen, ["bad 1"]);
      assert.equal(r.thrown, "bad 2");
    });

    test("an unhandled rejection in the worker reaches the page", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(`
          self.onmessage = (e) => { Promise.reject(new TypeError("nobody caught " + e.data)); };`);
        await worker.start();
        worker.send("this");
        try {
          await worker.recv(5000);
        } catch (e) {
          worker.kill();
          return { name: e.remoteName, message: e.message };
        }
      });
      assert.equal(r.name, "TypeError");
      assert.match(r.message, /nobody caught this/);
    });

    test("an error comes after the replies the worker sent before it, whatever has already arrived", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(`
          self.onmessage = (e) => { self.postMessage("first " + e.data); throw new RangeError("then " + e.data); };`);
        await worker.start();
        worker.send("a");
        worker.send("b");
        while (worker.errors.length < 2) await new Promise((ok) => setTimeout(ok, 5)); // all four have arrived
        const seen = [];
        for (let i = 0; i < 4; i++) {
          try {
            seen.push(await worker.recv(5000));
          } catch (e) {
            seen.push(`${e.remoteName}: ${e.remoteMessage}`);
          }
        }
        worker.kill();
        return seen;
      });
      assert.deepEqual(r, ["first a", "RangeError: then a", "first b", "RangeError: then b"]);
    });

    test("a handler that sends and then computes for long: each message arrives as it is sent", async () => {
      // Frames sent in one task leave together (one postMessage on the post transport), but not
      // later than 0.2 ms after the last ones: "b" does not wait for the handler to end.
      const r = await run(async () => {
        const worker = new pw.JsWorker(`
          const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
          self.onmessage = () => { self.postMessage("a"); busy(400); self.postMessage("b"); busy(400); self.postMessage("c"); };`);
        await worker.start();
        worker.send("go");
        const at = {};
        for (let i = 0; i < 3; i++) {
          const v = await worker.recv(5000);
          at[v] = performance.now();
        }
        worker.kill();
        return [Object.keys(at), at.b - at.a > 250, at.c - at.b > 250];
      });
      assert.deepEqual(r, [["a", "b", "c"], true, true]);
    });

    test("a script URL that answers 404 fails with the status; a good URL works", async () => {
      const r = await run(async () => {
        const missing = pw.JsWorker.fromURL("/tests/browser/tasks/no-such-script.js");
        let error;
        try {
          await missing.start();
        } catch (e) {
          error = `${e.name}: ${e.message}`;
        }
        const good = pw.JsWorker.fromURL("/tests/browser/tasks/echo-upper.js");
        await good.start();
        good.send("from a url");
        const echoed = await good.recv(5000);
        good.kill();
        return { error, echoed };
      });
      assert.match(r.error, /^WorkerScriptError: .*no-such-script\.js answered 404/);
      assert.equal(r.echoed, "FROM A URL");
    });

    test("a classic script's importScripts resolves against its URL; a missing one fails start() naming it", async () => {
      const r = await run(async () => {
        const good = pw.JsWorker.fromURL("/tests/browser/tasks/import-scripts.js");
        await good.start();
        good.send("imported");
        const answer = await good.recv(5000);
        good.kill();
        const bad = new pw.JsWorker(`importScripts("${location.origin}/tests/browser/tasks/no-such-lib.js");`);
        const error = await bad.start().then(() => "started", (e) => `${e.name}: ${e.message}`);
        let typeError;
        try {
          new pw.JsWorker(ECHO, { type: "esm" });
        } catch (e) {
          typeError = `${e.name}: ${e.message}`;
        }
        return { answer, error, typeError, origin: location.origin };
      });
      assert.deepEqual(r.answer, { shouted: "IMPORTED!", scriptURL: `${r.origin}/tests/browser/tasks/import-scripts.js` });
      assert.match(r.error, /^WorkerScriptError: .*importScripts: .*no-such-lib\.js answered 404.*check the URL/);
      assert.equal(r.typeError, `TypeError: a worker script's type is "classic" or "module", not "esm"`);
    });

    test("sending to a killed worker, and recv on a worker that gets killed, raise WorkerKilledError", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker("self.onmessage = () => {};");
        await worker.start();
        const pending = worker.recv().then(() => "resolved", (e) => e.name);
        const other = new pw.JsWorker(ECHO);
        await other.start();
        other.send("queued");
        setTimeout(() => worker.kill(), 50);
        const woken = await pending;
        let sendError;
        try {
          worker.send("too late");
        } catch (e) {
          sendError = `${e.name}: ${e.message}`;
        }
        const recvError = await worker.recv().then(() => "resolved", (e) => e.name);
        const echoed = await other.recv(5000);
        other.kill();
        return { woken, sendError, recvError, echoed };
      });
      assert.equal(r.woken, "WorkerKilledError");
      assert.match(r.sendError, /^WorkerKilledError: the worker was killed/);
      assert.equal(r.recvError, "WorkerKilledError");
      assert.equal(r.echoed, "queued", "another worker's queued message is intact");
    });

    test("a worker that closes itself ends recv with WorkerExitedError", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(`self.onmessage = (e) => { self.postMessage("bye " + e.data); self.close(); };`);
        await worker.start();
        worker.send("now");
        const bye = await worker.recv(5000);
        const next = await worker.recv(10_000).then(() => "resolved", (e) => e.name);
        return { bye, next, state: worker.state };
      });
      assert.equal(r.bye, "bye now");
      assert.equal(r.next, "WorkerExitedError");
      assert.equal(r.state, "exited");
    });

    test("kill() while the worker writes large messages: every delivered message is whole", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(`
          self.onmessage = () => {
            for (let k = 0; ; k++) {
              const m = new Uint32Array(100_000).fill(k);
              m[0] = k;
              self.postMessage(m);
              if (k > 1000) break;
            }
          };`);
        await worker.start();
        worker.send("go");
        const first = await worker.recv(10_000);
        await new Promise((ok) => setTimeout(ok, 30));
        worker.kill();
        const got = [first, ...worker.messages.map((m) => m.data)];
        const whole = got.every((m, i) => m.length === 100_000 && m[0] === i && m.every((x) => x === i));
        return { count: got.length, whole };
      });
      assert.ok(r.count >= 1);
      assert.ok(r.whole, `all ${r.count} delivered messages are whole and in order`);
    });
  });
}
