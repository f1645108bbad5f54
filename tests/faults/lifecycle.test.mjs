// Lifecycle faults on both transports: close() called by the worker in mid-stream, a throwing
// handler in the worker, a throwing onerror handler on the page, an unhandled rejection in the
// worker. See pages/lifecycle.js for what each checks.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { Host, seedFor, assertLag, assertNoPageErrors, describeFailures } from "./faults.mjs";

for (const isolated of [true, false]) {
  const transport = isolated ? "shared" : "post";
  describe(`lifecycle faults, ${isolated ? "isolated page (shared rings)" : "ordinary page (postMessage)"}`, () => {
    const host = new Host(isolated);
    after(() => host.close());

    test("self.close() in mid-stream: what was sent before arrives whole; recv() and settle() end with WorkerExitedError within 1 s",
         { timeout: 120_000 }, async () => {
      const { result: r, watchdog, pageErrors } = await host.run("self-close", { seed: seedFor(`self-close-${transport}`) }, { timeout: 100_000 });
      console.log(`[faults ${transport}] self-close: ${JSON.stringify(r)}`);
      assert.deepEqual(r.failures, [], describeFailures(r.failures));
      assertNoPageErrors(pageErrors);
      assertLag(watchdog);
    });

    test("a throwing handler in the worker: each exception arrives in order as a WorkerError with its type; the worker keeps working",
         { timeout: 60_000 }, async () => {
      const { result: r, watchdog, pageErrors } = await host.run("throwing-handler", {}, { timeout: 40_000 });
      console.log(`[faults ${transport}] throwing handler: ${JSON.stringify(r)}`);
      assert.deepEqual(r.failures, [], describeFailures(r.failures));
      assert.equal(r.errors, 10);
      assertNoPageErrors(pageErrors);
      assertLag(watchdog);
    });

    test("a throwing onerror on the page: pending recv() calls still settle, the worker's messages keep arriving",
         { timeout: 60_000 }, async () => {
      const { result: r, watchdog, pageErrors } = await host.run("throwing-onerror", {}, { timeout: 40_000 });
      console.log(`[faults ${transport}] throwing onerror: ${JSON.stringify(r)}; uncaught on the page: ${JSON.stringify(pageErrors.map((e) => e.message))}`);
      assert.deepEqual(r.failures, [], describeFailures(r.failures));
      // The handler's own exceptions may surface on the page (they are the user's); nothing else may.
      assertNoPageErrors(pageErrors.filter((e) => !/onerror handler throws/.test(e.message)));
      assertLag(watchdog);
    });

    test("a worker computing outside its handlers: settle() while a message larger than the ring waits for room does not block the page",
         { timeout: 60_000 }, async () => {
      const { result: r, watchdog, pageErrors } = await host.run("busy-worker-settle", { busyMs: 1500 }, { timeout: 40_000 });
      console.log(`[faults ${transport}] busy worker, settle(): ${JSON.stringify(r)}`);
      assert.deepEqual(r.failures, [], describeFailures(r.failures));
      assert.ok(r.lagDuringSettle < 200, `the page's event loop was blocked for ${r.lagDuringSettle} ms while settle() waited for the busy worker`);
      assertNoPageErrors(pageErrors);
      assertLag(watchdog);
    });

    test("an unhandled rejection and an async handler's exception in the worker arrive as WorkerErrors; the worker keeps working",
         { timeout: 60_000 }, async () => {
      const { result: r, watchdog, pageErrors } = await host.run("unhandled-rejection", {}, { timeout: 40_000 });
      console.log(`[faults ${transport}] unhandled rejection: ${JSON.stringify(r)}`);
      assert.deepEqual(r.failures, [], describeFailures(r.failures));
      assertNoPageErrors(pageErrors);
      assertLag(watchdog);
    });
  });
}
