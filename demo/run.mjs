// Runs the demo pages in headless Chromium and prints what the workers sent back: the original
// Quick Reference in Python (real Pyodide, the wheel installed with micropip), then the same flow
// with a Python echo script in a PyWorker, each on an isolated page (shared rings) and an
// ordinary page (postMessage); then two workers streaming through a ring; then the demo page's
// sympy work in a pool of two workers against the same work on the page; a worker drawing into
// the page, and a calculator whose input() the page answers.
import { launchBrowser, openPage } from "../tests/browser/harness.mjs";

const browser = await launchBrowser();
let failed = false;
try {
  for (const [script, what] of [["quick_reference.py", "Quick Reference"], ["python_echo.py", "The same with a PyWorker"]]) {
    for (const isolated of [true, false]) {
      const { page, server } = await openPage(browser, { isolated, path: `/demo/pyodide.html?script=${script}` });
      const result = await page.waitForFunction(() => window.demo, null, { timeout: 120_000 }).then((h) => h.jsonValue());
      await page.close();
      await server.close();
      console.log(`\n${what} (demo/py/${script}) in Pyodide, page ${isolated ? "cross-origin isolated" : "not isolated"}:`);
      if (result.error) {
        console.error(`  failed: ${result.error}`);
        failed = true;
        continue;
      }
      for (const line of result.printed) console.log(`  ${line}`);
    }
  }

  const { page, server } = await openPage(browser, { isolated: true, path: "/demo/ring.html" });
  const result = await page.waitForFunction(() => window.demo).then((h) => h.jsonValue());
  await server.close();
  if (result.error) {
    console.error(result.error);
    failed = true;
  } else {
    console.log(`\nTwo workers, one ring (transport: ${result.transport}); worker B received from worker A:`);
    for (const text of result.received) console.log(`  ${JSON.stringify(text)}`);
    console.log(`  then ${result.count.toLocaleString("en")} checked 16-byte messages in ${result.seconds.toFixed(3)} s: ` +
      `${(result.rate / 1e6).toFixed(2)} M messages/s worker -> worker`);
  }

  const demo = await openPage(browser, { isolated: true, path: "/demo/" });
  await demo.page.waitForFunction(() => window.demoState?.ready || window.demoState?.error, null, { timeout: 120_000 });
  if (!(await demo.page.evaluate(() => window.demoState.error))) {
    await demo.page.evaluate(() => document.getElementById("sympy").click()); // Firefox's driver has no click()
    await demo.page.waitForFunction(() => window.demoState.sympy || window.demoState.error, null, { timeout: 240_000 });
  }
  let { sympy, error } = await demo.page.evaluate(() => window.demoState);
  if (!error) {
    // A worker draws into the page, then a calculator's input() is answered by the page's box.
    await demo.page.evaluate(() => document.getElementById("draw").click());
    await demo.page.waitForFunction(() => window.demoState.drawn || window.demoState.error, null, { timeout: 120_000 });
    await demo.page.evaluate(() => document.getElementById("calc").click());
    for (const line of ["2 ** 100", "sqrt(2) * sqrt(8)", ""]) {
      await demo.page.waitForFunction(() => !document.getElementById("console-line").disabled || window.demoState.error,
        null, { timeout: 60_000 });
      await demo.page.evaluate((text) => {
        const box = document.getElementById("console-line");
        box.value = text;
        box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
      }, line);
    }
    await demo.page.waitForFunction(() => window.demoState.calculator || window.demoState.error, null, { timeout: 60_000 });
  }
  const state = await demo.page.evaluate(() => window.demoState);
  error = state.error;
  await demo.server.close();
  if (!error) {
    const { drawn, console: transcript } = state;
    console.log(`\nA PyWorker drew the demo page's picture: ${drawn.ops.toLocaleString("en")} uses of page objects in ` +
      `${drawn.seconds.toFixed(2)} s, ${drawn.mode}, via ${drawn.transport}`);
    console.log("A calculator in a PyWorker, its input() answered by the page:");
    for (const line of transcript.trimEnd().split("\n")) console.log(`  ${line}`);
  }
  if (error) {
    console.error(`\nsympy in a pool: failed: ${error}`);
    failed = true;
  } else {
    console.log("\nsympy and mpmath (wheels from PyPI) in a pool of two workers, page cross-origin isolated:");
    sympy.items.forEach(([kind, expr], i) => console.log(`  ${kind}(${expr}) = ${sympy.pool[i]}` +
      (sympy.pool[i] === sympy.page[i] ? "" : `  DIFFERS on the page: ${sympy.page[i]}`)));
    console.log(`  ${sympy.summary}`);
    if (sympy.items.some((_, i) => sympy.pool[i] !== sympy.page[i])) failed = true;
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
