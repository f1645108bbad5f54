// Kills at random points, on both transports: at least 100 kills per transport (200 in all) of
// workers streaming checked messages both ways through 4 KiB rings (messages up to three times
// larger, so the shared transport sends most of them in parts). See pages/kill.js for what is
// checked after each kill.
//
// PYWEBWORKER_FAULT_KILLS sets the number of kills per transport (default 100).
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { Host, SEED, seedFor, assertLag, assertNoPageErrors, describeFailures } from "./faults.mjs";

const KILLS = Number(process.env.PYWEBWORKER_FAULT_KILLS ?? 100);

for (const isolated of [true, false]) {
  const transport = isolated ? "shared" : "post";
  describe(`kills at random points, ${isolated ? "isolated page (shared rings)" : "ordinary page (postMessage)"}`, () => {
    const host = new Host(isolated);
    after(() => host.close());

    test(`${KILLS} kills of streaming workers: pending waits reject with WorkerKilledError within 1 s, ` +
         "new workers start and echo within 3 s, a long-lived stream loses nothing, links are freed", { timeout: 300_000 }, async () => {
      const { result: r, watchdog, pageErrors } = await host.run("kills",
        { seed: seedFor(`kills-${transport}`), kills: KILLS, capacity: 4096 }, { timeout: 280_000 });
      console.log(`[faults ${transport}] kills: ${JSON.stringify({ ...r, failures: r.failures.length })}`);
      assert.equal(r.transport, transport);
      assert.equal(r.kills, KILLS, "every kill took place");
      assert.deepEqual(r.failures, [], `after kills (seed ${SEED}):\n${describeFailures(r.failures)}`);
      assertNoPageErrors(pageErrors);
      assertLag(watchdog);
    });

    if (isolated) {
      // Messages of one to two frames (every one in parts), sent as fast as the ring takes them,
      // so that a kill lands in the middle of writing or reading a message in parts as often as
      // possible. (Such messages once went through portSend, which copied them through the wasm
      // allocator, a lock in the shared memory: a worker killed while it held it froze the page.)
      test(`shared only: ${KILLS} kills of workers sending messages in parts as fast as the ring takes them`, { timeout: 300_000 }, async () => {
        const max = 4096 / 2 - 8; // the largest payload of one frame of a 4 KiB ring
        const { result: r, watchdog, pageErrors } = await host.run("kills", {
          seed: seedFor("kills-in-parts"), kills: KILLS, capacity: 4096,
          victims: { min: max + 1, max: 2 * max - 64, burst: 8, every: 0, flood: true },
        }, { timeout: 280_000 });
        console.log(`[faults ${transport}] kills (messages in parts): ${JSON.stringify({ ...r, failures: r.failures.length })}`);
        assert.equal(r.kills, KILLS, "every kill took place");
        assert.deepEqual(r.failures, [], `after kills (seed ${SEED}):\n${describeFailures(r.failures)}`);
        assertNoPageErrors(pageErrors);
        assertLag(watchdog);
      });
    }
  });
}
