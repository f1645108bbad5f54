// The demo page (demo/index.html) clicked through by Playwright in headless Chromium, on a cross-origin
// isolated page and an ordinary one: Python typed into the page runs in a PyWorker and its reply
// shows; an exception comes back as an error and the worker goes on; the live throughput chart
// draws PyWorker and plain postMessage side by side; sympy work in a pool of two workers shows its
// results, the same as on the page, and the times of both. Screenshots go to target/screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, launchBrowser, openPage } from "./harness.mjs";

const skip = process.env.PYWEBWORKER_BROWSER === "firefox"
  && "the demo page is clicked through by Playwright, which drives Chromium only; it runs in the Chromium stage";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "ordinary";
  test(`demo page on an ${mode} page: run Python in a PyWorker, see the transport, chart throughput, sympy in a pool against the page, a worker drawing into the page and a calculator's input()`, { skip }, async () => {
    const browser = await launchBrowser();
    let server;
    try {
      const opened = await openPage(browser, { isolated, path: "/demo/" });
      server = opened.server;
      const page = opened.page;
      await page.waitForFunction(() => window.demoState?.ready || window.demoState?.error, null, { timeout: 120_000 });
      assert.equal(await page.evaluate(() => window.demoState.error), null);

      // The transport and why.
      const expected = isolated ? "shared" : "post";
      assert.equal(await page.textContent("#transport"), expected);
      assert.match(await page.textContent("#reason"), isolated ? /cross-origin isolated: .*shared memory/ : /not cross-origin isolated/);

      // Python typed into the page runs in the worker; the reply is what it printed.
      await page.fill("#code", "import sys\nx = sum(range(10))\nprint('in worker:', x, 'main' in sys.modules)");
      await page.click("#run");
      await page.waitForSelector("#replies li:nth-child(1)");
      assert.equal(await page.textContent("#replies li:nth-child(1) pre"), "in worker: 45 False");
      assert.match(await page.textContent("#replies li:nth-child(1) .meta"), new RegExp(`via ${expected}$`));

      // An exception comes back as an error; the worker keeps its state and goes on.
      await page.fill("#code", "1 / 0");
      await page.click("#run");
      await page.waitForSelector("#replies li.error");
      assert.match(await page.textContent("#replies li.error pre"), /ZeroDivisionError: division by zero/);
      await page.fill("#code", "print(x * 2)");
      await page.click("#run");
      await page.waitForFunction(() => window.demoState.runs.length === 3);
      assert.equal(await page.textContent("#replies li:nth-child(1) pre"), "90");

      // On an isolated page the fallback can be chosen: a new worker, on postMessage.
      if (isolated) {
        await page.selectOption("#transport-choice", "post");
        assert.equal(await page.textContent("#transport"), "post");
        await page.fill("#code", "print('fallback')");
        await page.click("#run");
        await page.waitForFunction(() => window.demoState.runs.length === 4);
        const run = await page.evaluate(() => window.demoState.runs[3]);
        assert.deepEqual([run.ok, run.reply, run.transport], [true, "fallback\n", "post"]);
        await page.selectOption("#transport-choice", "auto");
      }

      // Live throughput, PyWorker then plain postMessage; every echo came back unchanged.
      assert.equal(await page.isChecked("#compare"), true);
      await page.click("#measure");
      await page.waitForFunction(() => window.demoState.measures.length === 2 || window.demoState.error, null, { timeout: 60_000 });
      const { measures, series, error } = await page.evaluate(() => window.demoState);
      assert.equal(error, null);
      assert.deepEqual(measures.map((m) => [m.kind, m.transport]), [["pywebworker", expected], ["postMessage", "postMessage"]]);
      for (const m of measures) {
        assert.equal(m.wrong, 0, `${m.kind}: every echo equals what was sent`);
        assert.ok(m.messages >= 100 && m.rate > 0 && m.seconds >= 2, JSON.stringify(m));
        assert.ok(series[m.kind].length >= 2, `${m.kind}: the chart has points`);
      }
      assert.match(await page.textContent("#rates"), /pywebworker \((shared|post)\): [\d,]+ echoes\/s · postMessage .* · ratio [\d.]+x/);
      // The chart was drawn: the canvas has pixels of both series' colours.
      const colours = await page.evaluate(() => {
        const c = document.getElementById("chart");
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        const seen = { blue: 0, orange: 0 };
        for (let i = 0; i < d.length; i += 4) {
          if (d[i] === 0x2b && d[i + 1] === 0x5e && d[i + 2] === 0xa7) seen.blue++;
          if (d[i] === 0xd9 && d[i + 1] === 0x82 && d[i + 2] === 0x2b) seen.orange++;
        }
        return seen;
      });
      assert.ok(colours.blue > 50 && colours.orange > 50, JSON.stringify(colours));

      // sympy work (demo/py/sympy_work.py) in a pool with the wheels from PyPI, then on the page:
      // every row shows the pool's result and that the page's is the same; the times are shown.
      await page.click("#sympy");
      await page.waitForFunction(() => window.demoState.sympy || window.demoState.error, null, { timeout: 240_000 });
      assert.equal(await page.evaluate(() => window.demoState.error), null);
      const sympy = await page.evaluate(() => window.demoState.sympy);
      assert.ok(sympy.items.length >= 10, JSON.stringify(sympy.items));
      assert.deepEqual(sympy.pool, sympy.page);
      assert.equal(sympy.stats.done_by_map, sympy.items.length, JSON.stringify(sympy.stats));
      const rows = await page.$$eval("#sympy-table tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
      assert.equal(rows.length, sympy.items.length + 1);
      assert.deepEqual(rows[1], ["factor", "x**4 + 4", "(x**2 - 2*x + 2)*(x**2 + 2*x + 2)", "same"]);
      assert.ok(rows.slice(1).every((r) => r[3] === "same"), JSON.stringify(rows));
      assert.match(await page.textContent("#sympy-times"),
        /^\d+ items: pool\.map on 2 workers [\d.]+ s, on this page [\d.]+ s \(once: pool start [\d.]+ s, /);
      console.log(`[${mode}] ${sympy.summary}`);

      // A PyWorker draws into the page's canvas through the page's objects, then hears clicks on it.
      await page.click("#draw");
      await page.waitForFunction(() => window.demoState.drawn || window.demoState.error, null, { timeout: 120_000 });
      assert.equal(await page.evaluate(() => window.demoState.error), null);
      const drawn = await page.evaluate(() => window.demoState.drawn);
      assert.equal(drawn.transport, expected);
      assert.match(drawn.mode, isolated ? /page\.document/ : /page\.async_/);
      assert.ok(drawn.ops > 1000, JSON.stringify(drawn));
      const painted = await page.evaluate(() => {
        const c = document.getElementById("art");
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        const colours = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) colours.add(`${d[i]},${d[i + 1]},${d[i + 2]},${d[i + 3]}`);
        return colours.size;
      });
      assert.ok(painted > 10, `the canvas shows ${painted} colours`);
      assert.equal(await page.textContent("#draw-status"), "drawn by the worker; click the picture");
      await page.click("#art", { position: { x: 30, y: 40 } });
      await page.waitForFunction(() => document.getElementById("draw-status").textContent.includes("click 1"), null, { timeout: 30_000 });
      assert.equal(await page.textContent("#draw-status"), "the worker heard click 1 at (30, 40)");

      // A calculator in a PyWorker whose input() lines come from the box; isolated pages only.
      await page.click("#calc");
      if (isolated) {
        for (const line of ["2 ** 10", "sqrt(16) + pi * 0", "1 / 0", ""]) {
          await page.waitForSelector("#console-line:not([disabled])", { timeout: 60_000 });
          await page.fill("#console-line", line);
          await page.press("#console-line", "Enter");
        }
      }
      await page.waitForFunction(() => window.demoState.calculator || window.demoState.error, null, { timeout: 120_000 });
      const { calculator, console: transcript } = await page.evaluate(() => window.demoState);
      if (isolated) {
        assert.deepEqual(calculator, { answered: 2, error: null });
        assert.match(transcript, />>> 2 \*\* 10\n1024\n>>> sqrt\(16\) \+ pi \* 0\n4\.0\n>>> 1 \/ 0\nZeroDivisionError: division by zero\n>>> \nbye\n$/);
      } else {
        assert.match(calculator.error, /^CallIsolationError: input\(\) and sys.stdin wait for the page, which needs the shared transport/);
        assert.match(transcript, /CallIsolationError/);
      }

      const dir = join(ROOT, "target", "screenshots");
      await mkdir(dir, { recursive: true });
      await page.screenshot({ path: join(dir, `demo-${mode}.png`), fullPage: true });
    } finally {
      await browser.close();
      if (server) await server.close();
    }
  });
}
