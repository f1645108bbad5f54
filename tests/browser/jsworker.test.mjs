// JsWorker end to end in headless Chromium: the same suite on a cross-origin isolated page
// (shared rings) and on an ordinary page (batched postMessage): the seed's API, values, streams
// and ordering. Errors are in jsworker-errors.test.mjs, what one transport alone does in
// jsworker-modes.test.mjs.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { suitePage } from "./harness.mjs";

const PAGE = "/tests/browser/pages/jsworker.html";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  const expected = isolated ? "shared" : "post";

  describe(`JsWorker, ${mode} (${expected} transport)`, () => {
    const { run } = suitePage({ isolated, path: PAGE });

    test("the seed's Quick Reference: messages, read state, settle, kill", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(ECHO);
        await worker.start();
        worker.send_message("This is the first message");
        await worker.settle();
        const first = worker.get_unread_messages().map((m) => m.read());
        worker.send_message("This is the second message");
        await worker.settle();
        const unread = worker.has_unread_messages();
        const opened = [worker.get_message(0).is_opened(), worker.get_message(1).is_opened()];
        worker.send_message("This is the third message");
        await worker.settle();
        worker._update_messages();
        const third = worker.get_message(2).read();
        worker.kill();
        return { first, unread, opened, third, transport: worker.transport, state: worker.state,
                 stamped: worker.get_message(0).receivedAt > 0 };
      });
      assert.deepEqual(r.first, ["This is the first message"]);
      assert.equal(r.unread, true);
      assert.deepEqual(r.opened, [true, false]);
      assert.equal(r.third, "This is the third message");
      assert.equal(r.transport, expected);
      assert.equal(r.state, "killed");
      assert.ok(r.stamped);
    });

    if (isolated) {
      test("shared only: the synchronous getters settle by themselves, with no await and no sleep", async () => {
        const r = await run(async () => {
          const worker = new pw.JsWorker(ECHO);
          await worker.start();
          const out = [];
          for (let i = 0; i < 50; i++) {
            worker.send_message(`message ${i}`);
            out.push(worker.get_unread_messages().map((m) => m.read()));
          }
          worker.kill();
          return out;
        });
        r.forEach((got, i) => assert.deepEqual(got, [`message ${i}`]));
      });
    } else {
      test("post only: a synchronous getter with answers in flight says to await settle()", async () => {
        const r = await run(async () => {
          const worker = new pw.JsWorker(ECHO);
          await worker.start();
          worker.send_message("x");
          let error;
          try {
            worker.get_unread_messages();
          } catch (e) {
            error = { name: e.name, message: e.message };
          }
          await worker.settle();
          const after = worker.get_unread_messages().map((m) => m.read());
          worker.kill();
          return { error, after };
        });
        assert.equal(r.error.name, "SettleError");
        assert.match(r.error.message, /postMessage transport.*await worker\.settle\(\)/);
        assert.deepEqual(r.after, ["x"], "the message was not lost");
      });

      test("post only: asking for the shared transport on a page that is not isolated is an IsolationError", async () => {
        const r = await run(() => {
          try {
            new pw.JsWorker(ECHO, { transport: "shared" });
          } catch (e) {
            return { name: e.name, message: e.message };
          }
        });
        assert.equal(r.name, "IsolationError");
        assert.match(r.message, /Cross-Origin-Opener-Policy: same-origin/);
      });
    }

    test("synchronous getters before the worker started say to await start()", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(ECHO);
        worker.start();
        worker.send_message("early");
        let error;
        try {
          worker.has_unread_messages();
        } catch (e) {
          error = e.message;
        }
        const echoed = await worker.recv(5000);
        worker.kill();
        return { error, echoed };
      });
      assert.match(r.error, /has not started yet.*await worker\.start\(\)/);
      assert.equal(r.echoed, "early", "a message sent before the worker was ready is delivered");
    });

    test("recvSync() on the page says to await recv() instead", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(ECHO);
        await worker.start();
        let error;
        try {
          worker.recvSync(100);
        } catch (e) {
          error = `${e.name}: ${e.message}`;
        }
        worker.send("still fine");
        const echoed = await worker.recv(5000);
        worker.kill();
        return { error, echoed };
      });
      assert.match(r.error, /^WorkerError: recvSync\(\) (blocks|cannot block).*await worker\.recv\(\)/);
      assert.equal(r.echoed, "still fine");
    });

    test("every kind of value comes back equal, element types kept, 1 MiB included", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(ECHO);
        await worker.start();
        const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 255);
        const values = [
          "text", "é漢🎉", "", 0, -7, 2 ** 40, 1.5, NaN, true, false, null, undefined, 12345678901234567890n,
          new Uint8Array([1, 2]), new Int32Array([-1, 5]), new Float64Array([0.5]), new ArrayBuffer(3),
          [1, [2, ["three"]]], { a: { b: [null, { c: "d" }] } }, big, "s".repeat(300_000),
        ];
        for (const v of values) worker.send(v);
        const back = [];
        for (let i = 0; i < values.length; i++) back.push(await worker.recv(10_000));
        worker.kill();
        const same = values.map((v, i) => {
          const b = back[i];
          if (typeof v === "number" && isNaN(v)) return Number.isNaN(b);
          if (v instanceof ArrayBuffer) return b instanceof ArrayBuffer && b.byteLength === v.byteLength;
          if (ArrayBuffer.isView(v)) {
            return b.constructor === v.constructor && b.length === v.length && b.every((x, j) => x === v[j]);
          }
          return JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x)) ===
            JSON.stringify(b, (_, x) => (typeof x === "bigint" ? `${x}n` : x)) && typeof v === typeof b;
        });
        return same;
      });
      r.forEach((ok, i) => assert.ok(ok, `value ${i} came back different`));
    });

    test("20,000 messages arrive complete and in order, through recv and async iteration", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(ECHO);
        await worker.start();
        const n = 20_000;
        for (let i = 0; i < n; i++) worker.send({ i, pad: "x".repeat(i % 200) });
        let expected = 0, bad = 0;
        for await (const m of worker) {
          if (m.i !== expected || m.pad.length !== expected % 200) bad++;
          if (++expected === n) break;
        }
        worker.kill();
        return { expected, bad };
      });
      assert.equal(r.expected, 20_000);
      assert.equal(r.bad, 0);
    });

    test("a script that sends more than its ring holds while it starts: start() resolves, all arrive in order", async () => {
      const r = await run(async () => {
        // 4 KiB rings; the script's 3,000 messages (about 60 KiB) are sent before it ends.
        const worker = new pw.JsWorker(`for (let i = 0; i < 3000; i++) self.postMessage({ i, pad: "y".repeat(i % 20) });`,
          { capacity: 4096 });
        const started = await Promise.race([worker.start().then(() => "started"),
          new Promise((ok) => setTimeout(() => ok("start() still waiting after 10 s"), 10_000))]);
        const got = [];
        if (started === "started") for (let i = 0; i < 3000; i++) got.push(await worker.recv(10_000));
        worker.kill();
        return { started, inOrder: got.every((m, i) => m.i === i && m.pad.length === i % 20), count: got.length };
      });
      assert.equal(r.started, "started");
      assert.equal(r.count, 3000);
      assert.ok(r.inOrder);
    });

    test("messages recv() took are not kept: a long stream leaves the list short; the getters see the rest", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(ECHO);
        await worker.start();
        const n = 30_000;
        let inOrder = true, longest = 0;
        // Sent in bursts that arrive before recv() asks for them (so each goes through the list).
        for (let i = 0; i < n; i += 1000) {
          for (let k = i; k < i + 1000; k++) worker.send(k);
          await worker.settle();
          for (let k = i; k < i + 1000; k++) if ((await worker.recv()) !== k) inOrder = false;
          longest = Math.max(longest, worker.messages.length);
        }
        for (const x of ["a", "b", "c"]) worker.send(x);
        await worker.settle();
        const first = await worker.recv();
        const kept = worker.get_messages().map((m) => m.data);
        const unread = worker.get_unread_messages().map((m) => m.read());
        const second = worker.get_message(1).data;
        worker.kill();
        return { inOrder, longest, first, kept, unread, second, left: worker.messages.length };
      });
      assert.ok(r.inOrder);
      assert.ok(r.longest <= 2048, `the list held ${r.longest} messages at most`);
      assert.equal(r.first, "a");
      assert.deepEqual(r.kept, ["b", "c"]);
      assert.deepEqual(r.unread, ["b", "c"]);
      assert.equal(r.second, "c");
      assert.equal(r.left, 2);
    });
  });
}
