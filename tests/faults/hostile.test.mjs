// Hostile workers. Shared transport only: a raw Worker with the runtime's shared memory writes
// garbage into every ring header field of a victim JsWorker in turn, into frame headers and the
// ports' peeked length/flags between the peek and the read, and produces an endless message
// (frames flagged MORE). Both transports: forged control messages and malformed batches posted
// through the worker's native postMessage. Wanted: the victim ends with ChannelCorruptError or
// stays correct, every pending wait ends, a bystander's stream is unaffected, the page neither
// freezes nor sees an uncaught error, and it still creates and uses workers.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { Host, seedFor, assertLag, assertNoPageErrors, describeFailures } from "./faults.mjs";

const ATTACKS = [
  "in.tail: far ahead of the head", "in.tail: misaligned", "in.tail: behind the head", "in.head: far ahead",
  "in.head: misaligned", "in.state: every bit", "in.state: producer closed", "in.state: consumer closed",
  "in.magic and capacity", "in data doorbell: sleepers zeroed", "in data doorbell: garbage sequence",
  "in space doorbell: sleepers zeroed", "out.head: far ahead", "out.head: misaligned", "out.tail: far ahead",
  "out.state: every bit", "out.state: consumer closed", "out space doorbell: sleepers zeroed",
  "in frame headers: lengths out of range", "in frame headers: plausible wrong lengths", "in frame headers: MORE flag flipped",
  "in frame headers: ABORT flag set", "in frame headers: WRAP and unknown flag bits", "out frame headers: lengths and tag/flags",
  "page's port: peeked length and tag/flags between peek and read",
  "worker's port: peeked length and tag/flags between peek and read",
];
const FORGED = ["ready", "failed, error null", "failed, error missing", "failed, error a number",
  "failed, error of strange fields", "thread, with wild pointers", "an unknown control type", "not a control message",
  "batch: truncated header", "batch: end past the buffer", "batch: end inside the header", "batch: frame length past the end",
  "batch: huge handled count", "batch: frame that does not decode", "batch: unknown tag", "batch: error frame that does not decode"];

/**
 * Runs `check` on a result. When the page itself may be damaged (a bystander's stream, a new
 * worker, or the page's event loop), a failure closes it, so that the next test starts on a fresh
 * page; a failure confined to the victim keeps the page (a fresh Firefox costs seconds).
 */
async function verify(host, r, watchdog, check) {
  try {
    await check();
  } catch (e) {
    if (watchdog.max > 1000 || r.failures.some((f) => /bystander|new worker/.test(f.kind))) await host.close();
    throw e;
  }
}

describe("hostile worker writing to the shared memory (shared transport only)", () => {
  const host = new Host(true);
  after(() => host.close());

  for (const attack of ATTACKS) {
    test(`shared only: ${attack}: ChannelCorruptError or still correct; bystander unaffected`, { timeout: 60_000 }, async () => {
      const { result: r, watchdog, pageErrors } = await host.run("hostile-memory", { seed: seedFor(attack), attack, reportMs: 15_000 }, { timeout: 45_000 });
      console.log(`[faults shared] ${attack}: ${r.outcome} (${r.writes} writes; ${r.receivedAfter} received after)${r.error ? `; ${r.error.name}: ${r.error.message}` : ""}`);
      await verify(host, r, watchdog, () => {
        assert.deepEqual(r.failures, [], describeFailures(r.failures));
        assert.ok(r.outcome === "ChannelCorruptError" || r.outcome === "stayed correct", r.outcome);
        assertNoPageErrors(pageErrors);
        assertLag(watchdog);
      });
    });
  }

  test("shared only: endless MORE frames: ChannelCorruptError at the size limit, memory given back, bystander unaffected", { timeout: 120_000 }, async () => {
    const { result: r, watchdog, pageErrors } = await host.run("hostile-more", { seed: seedFor("more") }, { timeout: 100_000 });
    console.log(`[faults shared] endless MORE frames: ${JSON.stringify({ ...r, failures: r.failures.length })}`);
    await verify(host, r, watchdog, () => {
      assert.deepEqual(r.failures, [], describeFailures(r.failures));
      assertNoPageErrors(pageErrors);
      assertLag(watchdog);
    });
  });
});

for (const isolated of [true, false]) {
  const transport = isolated ? "shared" : "post";
  describe(`forged control messages and batches, ${isolated ? "isolated page (shared rings)" : "ordinary page (postMessage)"}`, () => {
    const host = new Host(isolated);
    after(() => host.close());

    for (const what of FORGED) {
      test(`forged ${what}: ignored or ChannelCorruptError; waits settle; nothing uncaught`, { timeout: 60_000 }, async () => {
        const { result: r, watchdog, pageErrors } = await host.run("forged", { what }, { timeout: 45_000 });
        console.log(`[faults ${transport}] forged ${what}: ${r.outcome}; state ${r.state}; recv ${r.recv}; settle ${r.settle}${r.recvError ? `; ${r.recvError.name}: ${r.recvError.message}` : ""}`);
        await verify(host, r, watchdog, () => {
          assert.deepEqual(r.failures, [], describeFailures(r.failures));
          assert.ok(r.outcome === "ignored" || r.outcome === "ChannelCorruptError", r.outcome);
          assertNoPageErrors(pageErrors);
          assertLag(watchdog);
        });
      });
    }
  });
}
