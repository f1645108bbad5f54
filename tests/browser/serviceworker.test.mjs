// The service worker for hosts that cannot send headers (js-shim/isolation-sw.js, registered by
// demo/pyodide-sw.html from the page's folder): on a server that sends no COOP/COEP, the Pyodide
// demo (demo/py/python_echo.py) reloads once, is then cross-origin isolated and uses the shared
// rings; the same demo without the service worker uses postMessage. On a lighter page
// (tests/browser/pages/sw-page.html): the headers it gives pages and other responses, and
// responses reached through a redirect.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import { serve } from "../../server-headers/serve.mjs";
import { launchBrowser, ROOT } from "./harness.mjs";

const SW_PAGE = "/demo/pyodide-sw.html?script=python_echo.py";
const PLAIN_PAGE = "/demo/pyodide.html?script=python_echo.py";
const RELOAD_GUARD = "pywebworker-isolation-reload";
const TEST_PAGE = "/tests/browser/pages/sw-page.html";
// Redirects (302) answered by the plain server of `withPlainServer`. The modules' new folder
// differs from the old one, so that imports resolved against the old URL fail; the page's old URL
// is in the service worker's scope, so that the navigation's redirect passes through it.
const MOVED = {
  "/moved/sw-module.mjs": "/tests/browser/pages/sw-module.mjs",
  "/moved/sw-worker.mjs": "/tests/browser/pages/sw-worker.mjs",
  "/tests/browser/pages/sw-moved.html": TEST_PAGE,
};
// Counting the page's loads and seeding sessionStorage before a page's scripts run take
// Playwright's navigation events and init scripts, which the WebDriver Firefox driver lacks.
const skip = process.env.PYWEBWORKER_BROWSER === "firefox"
  && "the reload is watched through Playwright's navigation events, Chromium only; it runs in the Chromium stage";
const skipHeaders = process.env.PYWEBWORKER_BROWSER === "firefox"
  && "the page's response headers come from Playwright's response events, Chromium only; it runs in the Chromium stage";

/**
 * A plain server (no COOP, COEP or CORP headers; the paths of MOVED redirect) and a browser;
 * `fn({url, browser, newPage})`.
 */
async function withPlainServer(fn) {
  const server = await plain(await serve({ root: ROOT, isolated: false }));
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

/**
 * A server in front of `upstream` ({url, close}): without the CORP header serve.mjs always sends
 * (so that only the service worker can add it), and with MOVED's redirects (serve.mjs has none).
 */
function plain(upstream) {
  const proxy = createServer((req, res) => {
    const target = MOVED[new URL(req.url, "http://x").pathname];
    if (target) {
      res.writeHead(302, { Location: target, "Cache-Control": "no-store" }).end();
      return;
    }
    const forward = httpRequest(upstream.url + req.url, { method: req.method, headers: req.headers }, (answer) => {
      const { "cross-origin-resource-policy": _, ...headers } = answer.headers;
      res.writeHead(answer.statusCode, headers);
      answer.pipe(res);
    });
    forward.on("error", (e) => res.destroy(e));
    req.pipe(forward);
  });
  return new Promise((ok, fail) => {
    proxy.once("error", fail);
    proxy.listen(0, "127.0.0.1", () => ok({
      url: `http://127.0.0.1:${proxy.address().port}`,
      close: async () => {
        await new Promise((done) => { proxy.closeAllConnections(); proxy.close(done); });
        await upstream.close();
      },
    }));
  });
}

/** Waits for the demo's `window.demo`, across a reload of the page. */
function demoResult(page, state) {
  return acrossReloads(page, state, () => window.demo, 120_000);
}

/** Waits for `fn()` to be truthy in the page, across its reloads; returns its value. */
async function acrossReloads(page, state, fn, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      const handle = await page.waitForFunction(fn, null, { timeout: Math.max(1, deadline - Date.now()) });
      return await handle.jsonValue();
    } catch (e) {
      // Playwright says the context was destroyed; WebDriver BiDi (Firefox) that the realm or the
      // script went away while the page reloaded.
      if (Date.now() < deadline && /context was destroyed|navigat|realm|discarded|no such/i.test(e.message)) continue;
      throw new Error(`${e.message}; the page's errors and warnings: ${JSON.stringify(state.errors)}`);
    }
  }
}

/** Opens the light test page and waits until the service worker isolated it (one reload). */
async function isolatedTestPage(page, state, url) {
  await page.goto(url + TEST_PAGE);
  const result = await acrossReloads(page, state, () => window.swPage, 30_000);
  assert.deepEqual(result, { isolation: "isolated", isolated: true }, "the test page is isolated by the service worker");
}

test("service worker: on a server without headers the demo reloads once, then is isolated and uses the shared transport", { skip }, async () => {
  await withPlainServer(async ({ url, newPage }) => {
    const direct = await fetch(url + "/demo/pyodide-sw.html");
    await direct.text();
    assert.deepEqual(["opener", "embedder", "resource"].map((kind) => direct.headers.get(`cross-origin-${kind}-policy`)),
      [null, null, null], "the server itself sends no COOP, COEP or CORP");

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

test("service worker: a page it serves gets COOP and COEP but no CORP; other responses get all three", { skip: skipHeaders }, async () => {
  await withPlainServer(async ({ url, newPage }) => {
    const { page, state } = await newPage();
    const documents = [];  // the main frame's navigation responses, as the page received them
    page.on("response", (response) => {
      if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) documents.push(response);
    });
    await isolatedTestPage(page, state, url);
    assert.equal(documents.length, 2, "the first load and the reload");
    assert.equal(documents[0].fromServiceWorker(), false, "the first load comes from the server");
    const last = documents[1];
    assert.equal(last.fromServiceWorker(), true, "the reload comes from the service worker");
    const headers = await last.allHeaders();
    assert.deepEqual(
      [headers["cross-origin-opener-policy"], headers["cross-origin-embedder-policy"], headers["cross-origin-resource-policy"]],
      ["same-origin", "require-corp", undefined],
      "the page gets COOP and COEP, no CORP");

    const module = await page.evaluate(async () => {
      const response = await fetch("sw-sibling.mjs");
      return ["opener", "embedder", "resource"].map((kind) => response.headers.get(`cross-origin-${kind}-policy`));
    });
    assert.deepEqual(module, ["same-origin", "require-corp", "cross-origin"], "a subresource gets all three");
  });
});

test("service worker: responses reached through a redirect keep their final URL (module scripts, workers, fetch, navigations)", async () => {
  await withPlainServer(async ({ url, newPage }) => {
    const { page, state } = await newPage();
    await isolatedTestPage(page, state, url);
    const final = `${url}/tests/browser/pages/sw-module.mjs`;
    const seen = await page.evaluate(async () => {
      const module = await import("/moved/sw-module.mjs").then(
        (m) => ({ url: m.url, sibling: m.sibling }), (e) => ({ error: String(e) }));
      const worker = await new Promise((resolve) => {
        const w = new Worker("/moved/sw-worker.mjs", { type: "module" });
        w.onmessage = (e) => { resolve(e.data); w.terminate(); };
        w.onerror = (e) => { resolve({ error: e.message ?? "error event" }); w.terminate(); };
      });
      const get = await fetch("/moved/sw-module.mjs");
      const post = await fetch("/moved/sw-module.mjs", { method: "POST", body: "x" });
      return {
        module,
        worker,
        get: { url: get.url, redirected: get.redirected, corp: get.headers.get("cross-origin-resource-policy") },
        post: { url: post.url, redirected: post.redirected, status: post.status },
      };
    });
    assert.deepEqual(seen.module, { url: final, sibling: "sw-sibling.mjs" },
      "the module imports its sibling relative to its final URL, and import.meta.url is that URL");
    assert.deepEqual(seen.worker, { location: `${url}/tests/browser/pages/sw-worker.mjs`, sibling: "sw-sibling.mjs", isolated: true },
      "a module worker reached through a redirect starts at its final URL, isolated");
    assert.deepEqual(seen.get, { url: final, redirected: true, corp: "cross-origin" },
      "fetch() of a GET sees the redirect, and the final response gets the headers");
    assert.deepEqual(seen.post, { url: final, redirected: true, status: 200 }, "fetch() of a POST sees the redirect");

    // A navigation's redirect reaches the service worker (its old URL is in scope) and is passed on.
    await page.goto(url + "/tests/browser/pages/sw-moved.html");
    const moved = await acrossReloads(page, state, () => window.swPage && {
      ...window.swPage, path: location.pathname, controlled: navigator.serviceWorker.controller !== null,
    }, 30_000);
    assert.deepEqual(moved, { isolation: "isolated", isolated: true, path: "/tests/browser/pages/sw-page.html", controlled: true },
      "the redirected navigation arrives at the final page, isolated");
  });
});
