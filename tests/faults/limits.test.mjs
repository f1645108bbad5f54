// Message size limits and the page's own hazards, in headless Chromium (and Firefox), on both
// transports: a message over maxMessageBytes is refused before sending, a worker that sends one
// anyway ends alone with ChannelCorruptError, a page drain that finds room only in two pieces keeps
// yielding, and a throwing onerror leaves waits and delivery going.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { suitePage } from "../browser/harness.mjs";

const PAGE = "/tests/browser/pages/jsworker.html";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  describe(`limits and page hazards, ${mode}`, () => {
    const { run } = suitePage({ isolated, path: PAGE });

    test("a message over maxMessageBytes is a RangeError before sending; the worker and its queue go on", async () => {
      const r = await run(async () => {
        const worker = new pw.JsWorker(ECHO, { maxMessageBytes: 4096, capacity: 1024 });
        await worker.start();
        worker.send("before");
        let error;
        try {
          worker.send(new Uint8Array(5000));
        } catch (e) {
          error = { name: e.name, message: e.message };
        }
        worker.send(new Uint8Array(3000)); // under the limit, larger than a frame of the ring
        worker.send("after");
        const got = [await worker.recv(5000), (await worker.recv(5000)).length, await worker.recv(5000)];
        let bad;
        try {
          new pw.JsWorker(ECHO, { maxMessageBytes: 0 });
        } catch (e) {
          bad = e.message;
        }
        worker.kill();
        return { error, got, state: worker.state, bad };
      });
      assert.equal(r.error.name, "RangeError");
      assert.match(r.error.message, /5006 bytes .*larger than the 4096 bytes.*maxMessageBytes/);
      assert.deepEqual(r.got, ["before", 3000, "after"]);
      assert.match(r.bad, /maxMessageBytes is a whole number of bytes/);
    });

    test("a worker's message over the limit is a RangeError in the worker's script, and the worker goes on", async () => {
      const r = await run(async () => {
        // The worker's own limit refuses the send there (the script sees the RangeError).
        const polite = new pw.JsWorker(`self.onmessage = (e) => {
          try { send(new Uint8Array(e.data)); } catch (err) { send(err.name + ": " + err.message); }
        };`, { maxMessageBytes: 2048 });
        await polite.start();
        polite.send(4000);
        const refused = await polite.recv(5000);
        polite.send(100);
        const fine = (await polite.recv(5000)).length;
        polite.kill();
        return { refused, fine };
      });
      assert.match(r.refused, /^RangeError: .*4006 bytes.* is larger than the 2048 bytes/);
      assert.equal(r.fine, 100);
    });

    test("a thousand messages of mixed sizes in one burst, then the synchronous getters or recv: nothing lost, the page never stalls", async () => {
      const r = await run(async (isolated) => {
        let lag = 0, last = performance.now();
        const tick = setInterval(() => {
          const now = performance.now();
          lag = Math.max(lag, now - last - 10);
          last = now;
        }, 10);
        const worker = new pw.JsWorker(ECHO, { capacity: 4096 });
        await worker.start();
        const sizes = [];
        let seed = 7;
        for (let i = 0; i < 1000; i++) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          const n = seed % 7000;
          sizes.push(n);
          worker.send_message(i % 2 ? "x".repeat(n) : new Uint8Array(n).fill(i & 255));
        }
        let got;
        if (isolated) {
          got = worker.get_unread_messages().map((m) => m.read());
        } else {
          got = [];
          while (got.length < sizes.length) got.push(await worker.recv(10000));
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
        clearInterval(tick);
        const ok = got.length === sizes.length && got.every((v, i) => v.length === sizes[i] &&
          (i % 2 ? v === "x".repeat(sizes[i]) : v.every((b) => b === (i & 255))));
        worker.kill();
        return { count: got.length, ok, lag };
      }, isolated);
      process.stderr.write(`[limits] largest event-loop lag around the burst: ${r.lag.toFixed(0)} ms\n`);
      assert.equal(r.count, 1000);
      assert.ok(r.ok, "every message arrives whole and in order");
    });

    test("a throwing onerror: the worker's errors still reach recv() in order and its messages keep arriving", async () => {
      const r = await run(async () => {
        const thrown = [];
        const old = window.onerror;
        window.onerror = (m) => {
          thrown.push(String(m));
          return true;
        };
        const worker = new pw.JsWorker(`self.onmessage = (e) => {
          if (e.data === "boom") throw new RangeError("handler exploded");
          send(e.data);
        };`);
        worker.onerror = () => {
          throw new Error("onerror itself failed");
        };
        await worker.start();
        worker.send("boom");
        worker.send("a");
        worker.send("boom");
        worker.send("b");
        // No recv() waits: both errors go to the throwing onerror.
        await worker.settle(5000);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const got = [await worker.recv(5000), await worker.recv(5000)];
        worker.onerror = null;
        worker.send("boom");
        const pending = await worker.recv(5000).then(() => "resolved", (e) => e.name);
        const state = worker.state;
        worker.kill();
        window.onerror = old;
        return { got, thrown, pending, state };
      });
      assert.deepEqual(r.got, ["a", "b"]);
      assert.equal(r.thrown.filter((m) => /onerror itself failed/.test(m)).length, 2, `the handler's errors reach the page: ${r.thrown}`);
      assert.equal(r.pending, "WorkerError");
      assert.equal(r.state, "running");
    });

    if (isolated) {
      test("shared only: a kill while the worker's wasm thread starts leaves the page's allocator free", async () => {
        const r = await run(async () => {
          const workers = [];
          for (let i = 0; i < 40; i++) {
            const w = new pw.JsWorker(ECHO);
            w.start().catch(() => {});
            workers.push(w);
            // Kill some as their init message goes, some a moment later, while threads start.
            await new Promise((resolve) => setTimeout(resolve, i % 5));
            w.kill();
          }
          // Every one of these allocates in the shared memory on the page: a lock left taken by a
          // killed thread would freeze the page here.
          const fresh = new pw.JsWorker(ECHO);
          await fresh.start();
          fresh.send(new Uint8Array(600000));
          const echoed = (await fresh.recv(10000)).length;
          fresh.kill();
          return { echoed, states: [...new Set(workers.map((w) => w.state))] };
        });
        assert.equal(r.echoed, 600000);
        assert.deepEqual(r.states, ["killed"]);
      });
    }
  });
}
