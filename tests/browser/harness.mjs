// Headless Chromium (Debian's, never a downloaded one) driven by playwright-core, or headless
// Firefox ESR through geckodriver (webdriver.mjs) when PYWEBWORKER_BROWSER=firefox, against pages
// served by server-headers/serve.mjs with or without cross-origin isolation.
import { before, after } from "node:test";
import { chromium } from "playwright-core";
import { fileURLToPath } from "node:url";
import { serve } from "../../server-headers/serve.mjs";
import { launchFirefox } from "./webdriver.mjs";

export { freePort } from "./webdriver.mjs";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];

/** "firefox" or "chromium" (the default), from the environment variable PYWEBWORKER_BROWSER. */
export const BROWSER = process.env.PYWEBWORKER_BROWSER === "firefox" ? "firefox" : "chromium";

export function launchBrowser() {
  if (BROWSER === "firefox") return launchFirefox();
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/**
 * True for the error Playwright reports when the page's renderer process died (not a JavaScript
 * error: the browser itself crashed, as Chromium does now and then with Pyodide's JSPI stack
 * switching; pyodide/pyodide#5702 and #6106).
 */
export function isRendererCrash(e) {
  return /Target crashed|Page crashed/.test(String(e?.message ?? e));
}

/** Opens `path` on a fresh server of `root` (isolated or not); page console output goes to stderr. */
export async function openPage(browser, { isolated = true, path, root = ROOT }) {
  const server = await serve({ root, isolated });
  const page = await browser.newPage();
  page.on("console", (m) => process.stderr.write(`[page] ${m.text()}\n`));
  page.on("pageerror", (e) => process.stderr.write(`[page error] ${e.message}\n`));
  await page.goto(server.url + path);
  return { page, server };
}

/**
 * A page of its own for the tests of one `describe` block: a browser is launched and `path` opened
 * before them (and `ready`, an expression the page makes true once loaded, waited for), both closed
 * after. Returns `run(fn, arg)`, which evaluates `fn(arg)` in the page.
 */
export function suitePage({ isolated, path, ready = "window.pwLoaded === true" }) {
  let browser, page, server;
  before(async () => {
    browser = await launchBrowser();
    ({ page, server } = await openPage(browser, { isolated, path }));
    await page.waitForFunction(ready);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return { run: (fn, arg) => page.evaluate(fn, arg) };
}

/**
 * Runs `fn(page)` on a page of its own and closes everything afterwards, whatever happens.
 * When the renderer process crashes (the browser's fault, never an assertion or a JavaScript
 * error, which fail at once), the crash is printed and `fn` runs once more in a new browser; a
 * second crash fails the test. The page's console lines before the crash are in the log already.
 */
export async function withPage(opts, fn) {
  try {
    return await withPageOnce(opts, fn);
  } catch (e) {
    if (!isRendererCrash(e)) throw e;
    process.stderr.write(`[harness] the renderer crashed (${e.message.split("\n")[0].trim()}); ` +
      "running the test's page once more in a new browser\n");
    return withPageOnce(opts, fn);
  }
}

async function withPageOnce(opts, fn) {
  const browser = await launchBrowser();
  let server;
  try {
    const opened = await openPage(browser, opts);
    server = opened.server;
    return await fn(opened.page);
  } finally {
    await browser.close();
    if (server) await server.close();
  }
}

/**
 * Runs Python in Pyodide on a fresh page (tests/browser/pages/pyodide.html) with the project's
 * wheel installed by micropip; returns the lines it printed (an exception as "raised: ...").
 * A `filename` lets `inspect.getsource` find the functions the code defines.
 */
export async function runPython(isolated, code, filename = "<exec>") {
  return withPage({ isolated, path: "/tests/browser/pages/pyodide.html" }, async (page) => {
    const ready = await page.evaluate(() => window.pyodideReady);
    if (ready !== true) throw new Error(`Pyodide did not load: ${ready}`);
    return page.evaluate(async ([code, filename]) => {
      const wheel = new URL("/target/wheels/pywebworker-0.1.0-py3-none-any.whl", location.href).href;
      await pyodide.runPythonAsync(`import micropip\nawait micropip.install(${JSON.stringify(wheel)})`);
      const lines = [];
      pyodide.setStdout({ batched: (line) => lines.push(line) });
      try {
        await pyodide.runPythonAsync(code, { filename });
      } catch (e) {
        lines.push(`raised: ${e.message}`);
      }
      return lines;
    }, [code, filename]);
  });
}
