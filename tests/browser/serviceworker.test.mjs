// The service worker for hosts that cannot send headers (js-shim/isolation-sw.js, registered by
// demo/pyodide-sw.html from the page's folder): on a server that sends no COOP/COEP, the Pyodide
// demo (demo/py/python_echo.py) reloads once, is then cross-origin isolated and uses the shared
// rings; the same demo without the service worker uses postMessage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../server-headers/serve.mjs";
import { launchBrowser, ROOT } from "./harness.mjs";

const SW_PAGE = "/demo/pyodide-sw.html?script=python_echo.py";
const PLAIN_PAGE = "/demo/pyodide.html?script=python_echo.py";
const RELOAD_GUARD = "pywebworker-isolation-reload";
// Counting the page's loads and seeding sessionStorage before a page's scripts run take
// Playwright's navigation events and init scripts, which the WebDriver Firefox driver lacks.
const skip = process.env.PYWEBWORKER_BROWSER === "firefox"
  && "the reload is watched through Playwright's navigation events, Chromium only; it runs in the Chromium stage";

/** A plain server (no isolation headers) and a browser; `fn({url, browser, newPage})`. */
async function withPlainServer(fn) {
  const server = await serve({ root: ROOT, isolated: false });
  const browser = await launchBrowser();
  try {
    const newPage = async () => {
      const page = await browser.newPage();  // a context of its own: no service worker registered yet
      const state = { loads: 0, errors: [] };  // loads: documents committed in the tab
      page.on("framenavigated", (frame) => { if (frame === page.mainFrame()) state.loads++; });
      page.on("console", (m) => {
        process.stderr.write(`[page] ${m.text()}\n`);
        if (m.type() === "error" || m.type() === "warning") state.errors.push(m.text());
      });
      page.on("pageerror", (e) => process.stderr.write(`[page error] ${e.message}\n`));
      return { page, state };
    };
    return await fn({ url: server.url, browser, newPage });
  } finally {
    await browser.close();
    await server.close();
  }
}

/** Waits for the demo's `window.demo`, across a reload of the page. */
async function demoResult(page, state) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const handle = await page.waitForFunction(() => window.demo, null, { timeout: Math.max(1, deadline - Date.now()) });
      return await handle.jsonValue();
    } catch (e) {
      if (Date.now() < deadline && /context was destroyed|navigat/i.test(e.message)) continue;
      throw new Error(`${e.message}; the page's errors and warnings: ${JSON.stringify(state.errors)}`);
    }
  }
}

test("service worker: on a server without headers the demo reloads once, then is isolated and uses the shared transport", { skip }, async () => {
  await withPlainServer(async ({ url, newPage }) => {
    const direct = await fetch(url + "/demo/pyodide-sw.html");
    await direct.text();
    assert.equal(direct.headers.get("cross-origin-embedder-policy"), null, "the server itself sends no COEP");

    const { page, state } = await newPage();
    await page.goto(url + SW_PAGE, { waitUntil: "commit" });  // the page reloads itself soon
    const result = await demoResult(page, state);
    assert.equal(result.error, undefined, `the demo ran: ${result.error}`);
    assert.equal(state.loads, 2, "the page loaded twice: the first load, and one reload through the service worker");
    assert.equal(result.isolation, "isolated");
    const seen = await page.evaluate(async () => {
      const response = await fetch("/demo/py/python_echo.py");
      return {
        isolated: window.crossOriginIsolated,
        controller: navigator.serviceWorker.controller?.scriptURL ?? null,
        guard: sessionStorage.getItem("pywebworker-isolation-reload"),
        coop: response.headers.get("cross-origin-opener-policy"),
        coep: response.headers.get("cross-origin-embedder-policy"),
        corp: response.headers.get("cross-origin-resource-policy"),
      };
    });
    assert.equal(seen.isolated, true, "crossOriginIsolated");
    assert.equal(seen.controller, `${url}/demo/isolation-sw.js`, "the service worker controls the page");
    assert.equal(seen.guard, null, "the reload guard is cleared once the page is isolated");
    assert.deepEqual([seen.coop, seen.coep, seen.corp], ["same-origin", "require-corp", "cross-origin"],
      "the service worker adds the headers to same-origin responses");
    assert.equal(result.printed[0], "['This is the first message']");
    assert.equal(result.printed.at(-1), "transport: shared");

    // Later visits go through the service worker from the start: isolated without a reload.
    state.loads = 0;
    await page.goto(url + "/demo/pyodide-sw.html?script=none");
    assert.equal(await page.evaluate(() => window.pywebworkerIsolation), "isolated");
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
    assert.equal(state.loads, 1, "no reload on a later visit");
  });
});

test("service worker: without it the same demo on the same server is not isolated and uses postMessage", { skip }, async () => {
  await withPlainServer(async ({ url, newPage }) => {
    const { page, state } = await newPage();
    await page.goto(url + PLAIN_PAGE);
    const result = await demoResult(page, state);
    assert.equal(result.error, undefined, `the demo ran: ${result.error}`);
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), false, "crossOriginIsolated");
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller), null, "no service worker");
    assert.equal(state.loads, 1);
    assert.equal(result.printed[0], "['This is the first message']");
    assert.equal(result.printed.at(-1), "transport: post");
  });
});

test("service worker: a tab whose reload did not isolate the page is not reloaded again", { skip }, async () => {
  await withPlainServer(async ({ url, newPage }) => {
    const { page, state } = await newPage();
    // As if the snippet had already reloaded this tab once and the page were still not isolated.
    await page.addInitScript((key) => sessionStorage.setItem(key, "1"), RELOAD_GUARD);
    await page.goto(url + "/demo/pyodide-sw.html?script=none");
    assert.equal(await page.evaluate(() => window.pywebworkerIsolation), "failed");
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), false);
    assert.equal(state.loads, 1, "no second reload");
    assert.ok(state.errors.some((text) => /still not cross-origin isolated after a reload/.test(text)),
      `it says why: ${JSON.stringify(state.errors)}`);
  });
});
