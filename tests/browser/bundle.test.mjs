// The bundles the Python package loads: the page side as one classic script set up without any
// await (compiled wasm + initSync), workers started from a blob: URL of the runtime bundle.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withPage } from "./harness.mjs";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  test(`${mode}: the classic bundle sets up synchronously and its workers echo from a blob: URL`, async () => {
    const r = await withPage({ isolated, path: "/tests/browser/pages/bundle.html" }, async (page) => {
      assert.equal(await page.evaluate(() => window.bundleReady), true);
      return page.evaluate(async () => {
        const pw = window.pywebworker;
        // Synchronous set-up, as at Python import time.
        const rt = pw.useRuntimeSync(pw.glue, new WebAssembly.Module(files.wasm));
        const blob = URL.createObjectURL(new Blob([files.runtime], { type: "text/javascript" }));
        pw.configure({ runtimeUrl: blob });
        let again;
        try {
          pw.useRuntimeSync(pw.glue, new WebAssembly.Module(files.wasm));
        } catch (e) {
          again = e.message;
        }
        const worker = new pw.JsWorker("self.onmessage = (e) => self.postMessage({ echo: e.data });");
        await worker.start();
        worker.send_message("This is the first message");
        await worker.settle();
        const got = worker.get_unread_messages().map((m) => m.read());
        worker.send(new Float32Array([1.5, 2.5]));
        const floats = await worker.recv(5000);
        worker.kill();
        return { got, floats: [floats.echo.constructor.name, ...floats.echo], transport: worker.transport,
                 shared: rt.memory.buffer.byteLength > 0, again };
      });
    });
    assert.deepEqual(r.got, [{ echo: "This is the first message" }]);
    assert.deepEqual(r.floats, ["Float32Array", 1.5, 2.5]);
    assert.equal(r.transport, isolated ? "shared" : "post");
    assert.ok(r.shared);
    assert.match(r.again, /already loaded/);
  });
}
