// Workers that cannot start (a 404 script URL, a syntax error, a script that throws at its top
// level, a module whose import fails), on both transports, with sends made before the start and
// start(), two recv(), settle() and the async iterator pending: each wait must end with a
// WorkerScriptError within 3 s, and so must every later call.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { Host, assertLag, assertNoPageErrors } from "./faults.mjs";

const CASES = [
  "404 script URL", "404 module script URL", "syntax error (source)", "syntax error (URL)",
  "throws at top level (source)", "throws at top level (URL)", "module import fails (source)",
  "module import fails (URL)", "module top-level await rejects",
];
const BOUND = 3000;

for (const isolated of [true, false]) {
  const transport = isolated ? "shared" : "post";
  describe(`workers that cannot start, ${isolated ? "isolated page (shared rings)" : "ordinary page (postMessage)"}`, () => {
    const host = new Host(isolated);
    after(() => host.close());

    for (const which of CASES) {
      test(`${which}: every pending wait ends with WorkerScriptError within ${BOUND / 1000} s`, { timeout: 60_000 }, async () => {
        const { result: r, watchdog, pageErrors } = await host.run("cannot-start", { which, bound: BOUND }, { timeout: 30_000 });
        const brief = Object.entries(r.waits).map(([what, w]) => `${what} ${w.state} ${w.ms ?? "-"} ms ${w.error?.name ?? ""}`).join("; ");
        console.log(`[faults ${transport}] ${which}: ${brief}; start(): ${r.waits["start()"].error?.message}`);
        assert.equal(r.transport, transport);
        assert.equal(r.sendBefore, null, "send() before the start queues the message");
        for (const [what, w] of Object.entries(r.waits)) {
          assert.notEqual(w.state, "pending", `${what} still pending after ${BOUND} ms`);
          assert.equal(w.state, "rejected", `${what} ${w.state} instead of rejecting`);
          assert.ok(w.typed, `${what} rejected with ${w.error?.name}: ${w.error?.message}, not a WorkerScriptError`);
          assert.ok(w.ms <= BOUND, `${what} took ${w.ms} ms`);
        }
        assert.equal(r.state, "failed");
        assert.ok(r.sendAfter.threw && r.sendAfter.typed, `send() after the failure: ${JSON.stringify(r.sendAfter)}`);
        assert.equal(r.recvAfter.state, "rejected", `recv() after the failure: ${JSON.stringify(r.recvAfter)}`);
        assert.ok(r.recvAfter.typed, `recv() after the failure rejected with ${r.recvAfter.error?.name}`);
        if (which.startsWith("throws at top level")) {
          assert.equal(r.waits["start()"].error.remoteName, "TypeError", "the script's exception keeps its type");
          assert.match(r.waits["start()"].error.message, /thrown at the top level/);
        }
        if (which.startsWith("syntax error")) assert.equal(r.waits["start()"].error.remoteName, "SyntaxError");
        if (which.startsWith("404")) assert.match(r.waits["start()"].error.message, /404|not found|fetch|load/i);
        assertNoPageErrors(pageErrors);
        assertLag(watchdog);
      });
    }
  });
}
