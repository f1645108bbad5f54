// JsWorker main <-> worker benchmarks in one headless Chromium: the isolated page (shared rings)
// and the ordinary page (batched postMessage), each against raw postMessage and comlink measured
// on the same page. Prints medians and ratios; writes target/bench/jsworker.json. Not a test.
import { openPage } from "../../tests/browser/harness.mjs";
import { median, standalone } from "./common.mjs";

const repeats = Number(process.env.BENCH_REPEATS || 3);

/** Both pages in `browser`: {shared, post} reports with rows of runs. */
export async function measure(browser) {
  const reports = {};
  for (const isolated of [true, false]) {
    const { page, server } = await openPage(browser, { isolated, path: "/benches/browser/jsworker.html" });
    await page.waitForFunction(() => window.benchReady === true);
    reports[isolated ? "shared" : "post"] = await page.evaluate((repeats) => window.runJsWorkerBench({ repeats }), repeats);
    await page.close();
    await server.close();
  }
  for (const report of Object.values(reports)) for (const row of report.rows) row.median = median(row.runs);
  return reports;
}

export function print(reports) {
  const spread = (xs, f) => `${f(Math.min(...xs))}..${f(Math.max(...xs))}`;
  const k = (x) => (x / 1000).toFixed(1);
  console.log(`\n${reports.shared.userAgent}\n(${reports.shared.hardwareConcurrency} cores, median of ${repeats} runs)`);
  for (const [mode, report] of Object.entries(reports)) {
    const find = (impl, scenario, size) => report.rows.find((r) => r.impl === impl && r.scenario === scenario && r.size === size);
    console.log(`\nJsWorker transport: ${mode} (page cross-origin isolated: ${report.crossOriginIsolated})`);
    console.log("  scenario          size     JsWorker k msg/s (spread)      postMessage   +transfer     comlink   vs postMessage  vs comlink");
    for (const scenario of ["main -> worker", "worker -> main"]) {
      for (const size of [16, 256, 1024, 65536, 1 << 20]) {
        const [j, p, t, c] = ["JsWorker", "postMessage", "postMessage+transfer", "comlink"].map((i) => find(i, scenario, size));
        console.log(`  ${scenario.padEnd(16)} ${String(size).padStart(8)} B ${k(j.median).padStart(10)} ${`(${spread(j.runs, k)})`.padEnd(20)}` +
          `${k(p.median).padStart(10)} ${k(t.median).padStart(11)} ${k(c.median).padStart(10)} ${(j.median / p.median).toFixed(2).padStart(12)}x ${(j.median / c.median).toFixed(2).padStart(10)}x`);
      }
    }
    const [j, p, c] = ["JsWorker", "postMessage", "comlink"].map((i) => find(i, "round trip", 16));
    console.log(`  round trip 16 B p50/p99 us: JsWorker ${j.median.toFixed(1)}/${median(j.p99).toFixed(1)}, ` +
      `postMessage ${p.median.toFixed(1)}/${median(p.p99).toFixed(1)}, comlink ${c.median.toFixed(1)}/${median(c.p99).toFixed(1)}` +
      ` -> ${(j.median / p.median).toFixed(3)}x postMessage, ${(j.median / c.median).toFixed(3)}x comlink`);
  }
}

await standalone(import.meta.url, "jsworker", { measure, print });
