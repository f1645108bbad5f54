// The harness itself: a renderer crash (Chromium's own failure, which Pyodide's JSPI stack
// switching provokes now and then) runs the test's page once more in a new browser; anything
// else, and a second crash, fails the test as before. The crash is provoked through the DevTools
// protocol, so these run in Chromium only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BROWSER, isRendererCrash, withPage } from "./harness.mjs";

const skip = BROWSER === "firefox" && "the crash is provoked through Chromium's DevTools protocol";
const PAGE = { isolated: true, path: "/tests/browser/pages/jsworker.html" };

/** Kills the page's renderer process; resolves never (the evaluation fails with the crash). */
async function crash(page) {
  const session = await page.context().newCDPSession(page);
  session.send("Page.crash").catch(() => {});
  await page.evaluate(() => new Promise(() => {}));
}

test("harness: a page whose renderer crashed once runs again in a new browser", { skip }, async () => {
  let attempts = 0;
  const result = await withPage(PAGE, async (page) => {
    attempts++;
    if (attempts === 1) await crash(page);
    return page.evaluate(() => self.crossOriginIsolated);
  });
  assert.equal(attempts, 2);
  assert.equal(result, true);
});

test("harness: a second crash, or any other error, fails the test", { skip }, async () => {
  let attempts = 0;
  await assert.rejects(withPage(PAGE, async (page) => {
    attempts++;
    await crash(page);
  }), (e) => isRendererCrash(e));
  assert.equal(attempts, 2);

  attempts = 0;
  await assert.rejects(withPage(PAGE, async (page) => {
    attempts++;
    await page.evaluate(() => { throw new Error("a page error"); });
  }), /a page error/);
  assert.equal(attempts, 1);
});
