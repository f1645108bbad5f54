// The shared-memory ring between real workers in headless Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withPage } from "./harness.mjs";

const PAGE = "/tests/browser/pages/ring.html";

async function ringPage(isolated, fn) {
  return withPage({ isolated, path: PAGE }, async (page) => {
    await page.waitForFunction(() => window.ringTestsReady === true);
    return fn(page);
  });
}

test("isolated: two workers exchange 10^6 checked messages of random sizes, some fragmented", async () => {
  await ringPage(true, async (page) => {
    const count = 1_000_000;
    const r = await page.evaluate((count) => window.ringTests.exchange(
      { count, seed: 12345, maxSmall: 300, bigEvery: 5000, bigSize: 100_000 }), count);
    assert.equal(r.sent, count);
    assert.equal(r.received, count);
    assert.equal(r.afterLast, -2, "after the last message the consumer sees the ring closed");
    assert.ok(r.bytes > count * 150, `moved ${r.bytes} bytes`);
    assert.equal(r.mainWaits, 0);
    console.error(`[ring] 10^6 messages, ${(r.bytes / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(2)} s`);
  });
});

test("isolated: a worker asleep in recv is woken by a send from the main thread", async () => {
  await ringPage(true, async (page) => {
    const r = await page.evaluate(() => window.ringTests.wakeFromMain());
    assert.equal(r.rc, 0, "the main thread's trySend succeeded");
    assert.equal(r.status, 7, "recv returned the message length, not a timeout");
    assert.equal(r.text, "wake up");
    assert.equal(r.tag, 7);
    assert.ok(r.waitedMs >= r.sentAfterMs * 0.9 && r.waitedMs < 5000, `slept ${r.waitedMs} ms`);
  });
});

test("isolated: the main thread hammers sends into a sleeping consumer and never calls Atomics.wait", async () => {
  await ringPage(true, async (page) => {
    const count = 100_000;
    const r = await page.evaluate((count) => window.ringTests.hammerFromMain({ count, pauseEvery: 5000 }), count);
    assert.equal(r.received, count);
    assert.equal(r.afterLast, -2);
    assert.equal(r.mainWaits, 0);
  });
});

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  test(`${mode}: blocking calls on the main thread refuse with WOULD_BLOCK instead of freezing the page`, async () => {
    await ringPage(isolated, async (page) => {
      const r = await page.evaluate(() => window.ringTests.mainThreadNeverBlocks());
      assert.equal(r.emptyTry, -1, "tryRecv on an empty ring: EMPTY");
      assert.equal(r.blocking, -6, "recv on the page: WOULD_BLOCK");
      assert.equal(r.afterSend, 3, "recv returns at once when a message is waiting");
      assert.equal(r.fullTry, -1, "trySend on a full ring: FULL");
      assert.equal(r.blockingSend, -6, "blocking send on a full ring on the page: WOULD_BLOCK");
      assert.equal(r.mainWaits, 0);
    });
  });
}

test("not isolated: starting a shared-memory worker reports the missing isolation clearly", async () => {
  await ringPage(false, async (page) => {
    const r = await page.evaluate(() => window.ringTests.isolation());
    assert.equal(r.spawned, false);
    assert.equal(r.crossOriginIsolated, false);
    assert.equal(r.name, "IsolationError");
    assert.match(r.message, /not cross-origin isolated/);
    assert.match(r.message, /Cross-Origin-Embedder-Policy: require-corp/);
  });
});

test("isolated: the same call starts the worker, which runs on the shared memory", async () => {
  await ringPage(true, async (page) => {
    const r = await page.evaluate(() => window.ringTests.isolation());
    assert.equal(r.crossOriginIsolated, true);
    assert.equal(r.spawned, true);
    assert.equal(r.status, -5, "the worker's recv with a zero timeout reports TIMEOUT on an empty ring");
  });
});
