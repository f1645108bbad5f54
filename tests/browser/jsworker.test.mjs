// JsWorker end to end in headless Chromium: the same suite on a cross-origin isolated page
// (shared rings) and on an ordinary page (batched postMessage). Tests that only make sense in
// one mode say so in their names.
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

    if (isolated) {
      test("shared only: a worker script can block in recv() and answer with send()", async () => {
        const r = await run(async () => {
          const worker = new pw.JsWorker(`
            for (;;) {
              const m = recv();
              if (m === "stop") break;
              send(m * 2);
            }
            send("stopped");`);
          await worker.start();
          const out = [];
          for (let i = 1; i <= 100; i++) {
            worker.send(i);
            out.push(worker.get_unread_messages().map((m) => m.read())[0]);
          }
          worker.send("stop");
          out.push(await worker.recv(5000));
          worker.kill();
          return out;
        });
        assert.deepEqual(r.slice(0, 100), Array.from({ length: 100 }, (_, i) => (i + 1) * 2));
        assert.equal(r[100], "stopped");
      });

      test("shared only: a worker can start a JsWorker of its own and block in recvSync() for its answers", async () => {
        const r = await run(async () => {
          const outer = new pw.JsWorker(`
            const { JsWorker } = await import("${location.origin}/target/dist/pywebworker.js");
            const inner = new JsWorker("self.onmessage = (e) => self.postMessage(e.data * 3);");
            await inner.start();
            self.onmessage = (e) => {
              inner.send(e.data);
              self.postMessage({ tripled: inner.recvSync(5000), transport: inner.transport });
            };`, { type: "module" });
          await outer.start();
          const out = [];
          for (let i = 1; i <= 5; i++) {
            outer.send(i);
            out.push(await outer.recv(10_000));
          }
          outer.kill();
          return out;
        });
        assert.deepEqual(r.map((x) => x.tripled), [3, 6, 9, 12, 15]);
        assert.equal(r[0].transport, "shared");
      });

      test("shared only: a worker whose channel memory is overwritten fails with ChannelCorruptError; others go on", async () => {
        const r = await run(async () => {
          const victim = new pw.JsWorker(ECHO);
          const other = new pw.JsWorker(ECHO);
          await Promise.all([victim.start(), other.start()]);
          victim.send("before");
          const before = await victim.recv(5000);
          other.send("queued for the other worker");
          // Scribble over the positions at the start of the victim's incoming ring.
          const rt = await pw.loadRuntime();
          const region = rt.glue.portIncomingRegion(victim._port);
          new Uint8Array(rt.memory.buffer, region, 192).fill(0xab);
          const error = await victim.recv(5000).then(() => null, (e) => ({ name: e.name, message: e.message }));
          let sendError;
          try {
            victim.send("after");
          } catch (e) {
            sendError = e.name;
          }
          const echoed = await other.recv(5000);
          other.kill();
          return { before, error, state: victim.state, sendError, echoed };
        });
        assert.equal(r.before, "before");
        assert.equal(r.error.name, "ChannelCorruptError");
        assert.match(r.error.message, /corrupt .*kill\(\) this worker and start a new one; other workers are not affected/);
        assert.equal(r.state, "failed");
        assert.equal(r.sendError, "ChannelCorruptError");
        assert.equal(r.echoed, "queued for the other worker");
      });

      test("shared only: create, use and kill 500 workers; wasm memory stays bounded and links are freed", async () => {
        const r = await run(async () => {
          const sizes = [];
          for (let i = 0; i < 500; i++) {
            const worker = new pw.JsWorker(ECHO);
            await worker.start();
            worker.send(i);
            if ((await worker.recv(5000)) !== i) throw new Error(`worker ${i} answered wrongly`);
            worker.kill();
            if (i % 50 === 49) {
              await new Promise((ok) => setTimeout(ok, 50));
              sizes.push((await pw.runtimeStats()).memoryBytes);
            }
          }
          for (let t = 0; t < 100 && (await pw.runtimeStats()).liveLinks > 0; t++) await new Promise((ok) => setTimeout(ok, 50));
          return { sizes, live: (await pw.runtimeStats()).liveLinks };
        });
        assert.equal(r.live, 0, "every killed worker's link was freed");
        const [first, last] = [r.sizes[0], r.sizes.at(-1)];
        assert.ok(last <= first + 8 * 65536, `memory grew from ${first} to ${last} bytes (${r.sizes.join(", ")})`);
      });
    } else {
      test("post only: a blocking recv() in the worker says it needs the shared transport", async () => {
        const r = await run(async () => {
          const worker = new pw.JsWorker(`self.onmessage = () => { recv(); };`);
          await worker.start();
          worker.send("x");
          return worker.recv(5000).then(() => "resolved", (e) => { worker.kill(); return e.message; });
        });
        assert.match(r, /blocking recv\(\) needs the shared transport.*not cross-origin isolated/);
      });

      test("post only: create, use and kill 500 workers without errors or leftovers", async () => {
        const r = await run(async () => {
          let ok = 0;
          for (let i = 0; i < 500; i++) {
            const worker = new pw.JsWorker(ECHO);
            await worker.start();
            worker.send(i);
            if ((await worker.recv(5000)) === i) ok++;
            worker.kill();
          }
          return { ok, live: (await pw.runtimeStats()).liveLinks };
        });
        assert.equal(r.ok, 500);
        assert.equal(r.live, 0);
      });
    }
  });
}
