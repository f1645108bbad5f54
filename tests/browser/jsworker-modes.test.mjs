// What only one transport does, each case named for its mode: blocking recv() and nested
// workers on the shared rings, memory overwritten by a hostile worker, and 500 workers created
// and killed in a row on each transport.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { suitePage } from "./harness.mjs";

const PAGE = "/tests/browser/pages/jsworker.html";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  const expected = isolated ? "shared" : "post";

  describe(`JsWorker, one transport, ${mode} (${expected} transport)`, () => {
    const { run } = suitePage({ isolated, path: PAGE });

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
