// What the browser benchmark scripts share: run alone (`node benches/browser/X.mjs`, its own
// Chromium) or from benches/report.mjs (one Chromium for all), and their small statistics.
import { mkdir, writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { launchBrowser, openPage, ROOT } from "../../tests/browser/harness.mjs";

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Writes `target/bench/<name>.json`. */
export async function writeReport(name, report) {
  await mkdir(`${ROOT}/target/bench`, { recursive: true });
  await writeFile(`${ROOT}/target/bench/${name}.json`, JSON.stringify(report, null, 2));
  console.log(`\nwrote target/bench/${name}.json`);
}

/**
 * When `moduleUrl` is the script node was started with: measures in a Chromium of its own,
 * prints, and writes the JSON report. (Imported by benches/report.mjs, it does nothing.)
 */
export async function standalone(moduleUrl, name, { measure, print }) {
  if (moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const browser = await launchBrowser();
  let report;
  try {
    report = await measure(browser);
  } finally {
    await browser.close();
  }
  print(report);
  await writeReport(name, report);
}

/**
 * Runs a Python benchmark script (Pyodide on benches/browser/python.html, the wheel installed) on
 * an isolated and an ordinary page of `browser`: {"isolated", "not isolated"} reports.
 */
export async function measurePython(browser, script, params) {
  const reports = {};
  for (const isolated of [true, false]) {
    const { page, server } = await openPage(browser, { isolated, path: "/benches/browser/python.html" });
    await page.waitForFunction(() => window.benchReady === true);
    reports[isolated ? "isolated" : "not isolated"] = await page.evaluate((p) => window.runPythonBench(p), { ...params, script });
    await page.close();
    await server.close();
  }
  return reports;
}
