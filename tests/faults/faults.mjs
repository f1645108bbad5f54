// Shared helpers of the fault-injection suite (tests/faults/*.test.mjs): one browser page per
// transport (cross-origin isolated: shared rings; ordinary: postMessage), scenarios run on the
// page as jobs that Node polls, so that a page that freezes fails its test within seconds
// instead of hanging it, and the page's watchdog (tests/faults/pages/faults.html: a 20 ms
// interval timer measuring how late each tick fires) read after every test.
//
// Environment: PYWEBWORKER_FAULT_SEED (the random seed, printed at the start; set it to replay a
// run), PYWEBWORKER_BROWSER=firefox (Firefox ESR through geckodriver instead of Chromium).
import assert from "node:assert/strict";
import { BROWSER, launchBrowser, openPage } from "../browser/harness.mjs";

export { BROWSER };

/** The seed every scenario's randomness derives from. */
export const SEED = (() => {
  const text = process.env.PYWEBWORKER_FAULT_SEED;
  const seed = text === undefined || text === "" ? 0x5eed2026 : Number(text) >>> 0;
  if (text !== undefined && text !== "" && !Number.isFinite(Number(text))) throw new Error(`PYWEBWORKER_FAULT_SEED must be a number, not ${text}`);
  process.stdout.write(`[faults] seed ${seed} (replay with PYWEBWORKER_FAULT_SEED=${seed}); browser ${BROWSER}\n`);
  return seed;
})();

/** A seed of its own for each scenario, derived from SEED and the scenario's name. */
export function seedFor(name) {
  let h = SEED ^ 0x9e3779b9;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/**
 * The watchdog's limit: no test may keep the page's event loop from running for longer. A page
 * that our code blocks (a loop that spins or drains without yielding) is blocked for seconds or
 * for good; the limit leaves room for a busy 2-core machine, whose scheduler alone has delayed a
 * tick of an idle page by over 200 ms.
 */
export const LAG_LIMIT_MS = 500;

/** How long the page may take to answer a poll before it counts as frozen. */
const ANSWER_MS = 10_000;

const PAGE = "/tests/faults/pages/faults.html";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A frozen page: it did not answer within ANSWER_MS. */
export class PageFrozen extends Error {
  constructor(what) {
    super(`the page did not answer within ${ANSWER_MS / 1000} s (${what}): its event loop is blocked (frozen page)`);
    this.name = "PageFrozen";
  }
}

/** `page.evaluate(fn, arg)`, failing with PageFrozen when the page does not answer in time. */
export async function ask(page, fn, arg, what = "evaluate") {
  let timer;
  const answer = page.evaluate(fn, arg);
  answer.catch(() => {}); // once given up on, its end does not matter
  try {
    return await Promise.race([answer, new Promise((_, fail) => { timer = setTimeout(() => fail(new PageFrozen(what)), ANSWER_MS); })]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The fault page of one kind (isolated or not) in a browser of its own. After a test fails the
 * page may be frozen or in a bad state: `run` then closes everything, and the next test gets a
 * fresh browser and page.
 */
export class Host {
  constructor(isolated) {
    this.isolated = isolated;
    this.mode = isolated ? "isolated, shared transport" : "not isolated, postMessage transport";
    this.browser = null;
    this.page = null;
    this.server = null;
  }

  async open() {
    this.browser = await launchBrowser();
    ({ page: this.page, server: this.server } = await openPage(this.browser, { isolated: this.isolated, path: PAGE }));
    const loaded = await ask(this.page, () => window.faultsLoaded, undefined, "loading the fault page");
    if (loaded !== true) throw new Error(`the fault page did not load: ${loaded}`);
    const isolated = await ask(this.page, () => globalThis.crossOriginIsolated === true);
    assert.equal(isolated, this.isolated, "the page's cross-origin isolation");
    // A fresh page first compiles and tiers up the shim and the wasm module, and a fresh browser
    // warms its caches: the watchdog measures fault handling, not that. One worker, started,
    // used and killed, then a pause.
    const warm = await ask(this.page, async () => {
      const w = new window.pw.JsWorker("self.onmessage = (e) => self.postMessage(e.data);");
      await w.start();
      w.send("warm");
      const back = await w.recv(10_000);
      w.kill();
      await new Promise((r) => setTimeout(r, 300));
      return back;
    }, undefined, "warming the page up");
    assert.equal(warm, "warm", "the warm-up worker's echo");
  }

  async close() {
    const { browser, server } = this;
    this.browser = this.page = this.server = null;
    if (browser) await Promise.race([browser.close().catch(() => {}), sleep(20_000)]);
    if (server) await server.close();
  }

  /**
   * Runs scenario `name` on the page with `arg`; prints what it logs. Resolves to
   * `{result, watchdog, pageErrors}` (watchdog: the page's largest event-loop lag during the run, ms);
   * rejects with the scenario's error, with PageFrozen, or after `timeout` ms.
   */
  async run(name, arg, { timeout = 120_000 } = {}) {
    if (!this.page) await this.open();
    const page = this.page;
    let ok = false;
    try {
      await ask(page, () => { window.watchdog.reset(); window.pageErrors.length = 0; }, undefined, "resetting the watchdog");
      const id = await ask(page, ([n, a]) => window.faults.start(n, a), [name, arg], `starting ${name}`);
      const deadline = Date.now() + timeout;
      let watchdog = { max: 0 };
      for (;;) {
        await sleep(250);
        const state = await ask(page, (i) => window.faults.poll(i), id, `${name} running`);
        watchdog = state.watchdog;
        for (const line of state.log) process.stdout.write(`[faults ${this.isolated ? "shared" : "post"}] ${name}: ${line}\n`);
        if (state.done) {
          const pageErrors = await ask(page, () => window.pageErrors.slice(), undefined, "reading the page's errors");
          process.stdout.write(`[faults ${this.isolated ? "shared" : "post"}] ${name}: largest event-loop lag ${watchdog.max.toFixed(1)} ms ` +
                               `(mean ${watchdog.mean.toFixed(2)} ms over ${watchdog.ticks} ticks)\n`);
          if (state.error) {
            const err = new Error(`scenario ${name} threw ${state.error.name}: ${state.error.message}\n${state.error.stack ?? ""}`);
            err.watchdog = watchdog;
            throw err;
          }
          ok = true;
          return { result: state.result, watchdog, pageErrors };
        }
        if (Date.now() > deadline) {
          throw new Error(`scenario ${name} did not end within ${timeout / 1000} s (the page still answers; largest lag ${watchdog.max.toFixed(0)} ms)`);
        }
      }
    } finally {
      if (!ok) await this.close();
    }
  }
}

/** Asserts the watchdog's largest lag is under `limit` ms (the message says what it measured). */
export function assertLag(watchdog, limit = LAG_LIMIT_MS, why = "") {
  assert.ok(watchdog.max < limit,
    `the page's event loop was blocked for ${watchdog.max.toFixed(0)} ms (limit ${limit} ms${why ? `: ${why}` : ""})`);
}

/** Asserts no error reached the page uncaught (window.onerror, unhandled rejections). */
export function assertNoPageErrors(pageErrors, what = "") {
  assert.deepEqual(pageErrors.map((e) => `${e.kind}: ${e.name ? `${e.name}: ` : ""}${e.message}`), [],
    `errors reached the page uncaught${what ? ` (${what})` : ""}`);
}

/** Formats a scenario's failure tally for an assertion message. */
export function describeFailures(failures) {
  return failures.map((f) => `- ${f.kind} (x${f.count}): ${f.examples.join(" | ")}`).join("\n");
}
