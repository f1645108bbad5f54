// Calls between the page and a JsWorker, both ways, in one headless Chromium: the worker's calls
// of the page's function (blocking `call` against coincident's synchronous proxy, and awaited
// `callAsync` against comlink) and the page's calls of the worker's (`worker.api`, against
// comlink), on the isolated page and on the ordinary one; and a PyWorker's calls of the page's
// function (benches/browser/calls_python.py, the wheel built). Writes target/bench/calls.json. Not a test.
import { openPage } from "../../tests/browser/harness.mjs";
import { measurePython, median, standalone } from "./common.mjs";

const repeats = Number(process.env.BENCH_REPEATS || 3);
const counts = { rounds: 4000, calls: 20_000, sequential: 4000, comlinkCalls: 4000 };

/** Both pages in `browser`: {isolated, "not isolated"} reports with rows of runs. */
export async function measure(browser) {
  const reports = {};
  for (const isolated of [true, false]) {
    const { page, server } = await openPage(browser, { isolated, path: "/benches/browser/calls.html" });
    try {
      await page.waitForFunction(() => window.benchReady === true);
      reports[isolated ? "isolated" : "not isolated"] = await page.evaluate((o) => window.runCallsBench(o), { repeats, counts });
    } finally {
      await page.close();
      await server.close();
    }
  }
  const python = await measurePython(browser, "/benches/browser/calls_python.py", { REPEATS: repeats, ROUNDS: 2000 });
  for (const [page, report] of Object.entries(python)) reports[page].rows.push(...report.rows);
  for (const report of Object.values(reports)) for (const row of report.rows) row.median = median(row.runs);
  return reports;
}

/** The implementations of the worker -> page rows, in the order of the tables. */
export const CALLERS = ["call()", "callAsync()", "coincident", "comlink", "PyWorker call()", "PyWorker call_async()"];

/** A row of one page's report. */
export const find = (report, impl, scenario, payload = "number") =>
  report?.rows.find((r) => r.impl === impl && r.scenario === scenario && r.payload === payload);

/** The ratios the targets are about: {sync, throughput} (ours / theirs), from the isolated page. */
export function ratios(reports) {
  const iso = reports?.isolated;
  return {
    sync: find(iso, "call()", "worker -> page")?.median / find(iso, "coincident", "worker -> page")?.median,
    throughput: find(iso, "worker.api", "page -> worker, 100 in flight")?.median / find(iso, "comlink", "page -> worker, 100 in flight")?.median,
  };
}

export function print(reports) {
  const spread = (xs, f) => `${f(Math.min(...xs))}..${f(Math.max(...xs))}`;
  const u = (x) => x.toFixed(1), k = (x) => (x / 1000).toFixed(1);
  const first = Object.values(reports)[0];
  console.log(`\n${first.userAgent}\n(${first.hardwareConcurrency} cores, median of ${repeats} runs)`);
  for (const [page, report] of Object.entries(reports)) {
    console.log(`\nCalls, page ${page} (crossOriginIsolated: ${report.crossOriginIsolated})`);
    console.log("  worker -> page round trip       payload      p50 us (spread)          p99 us   vs coincident  vs comlink");
    for (const payload of ["number", "short str"]) {
      const co = find(report, "coincident", "worker -> page", payload), cl = find(report, "comlink", "worker -> page", payload);
      for (const impl of CALLERS) {
        const r = find(report, impl, "worker -> page", payload);
        if (!r) continue;
        console.log(`  ${impl.padEnd(30)} ${payload.padEnd(10)} ${u(r.median).padStart(8)} ${`(${spread(r.runs, u)})`.padEnd(20)}` +
          `${u(median(r.p99)).padStart(8)} ${co ? `${(r.median / co.median).toFixed(3)}x` : "-"}`.padEnd(14) +
          ` ${(r.median / cl.median).toFixed(3).padStart(12)}x`);
      }
    }
    console.log("  page -> worker calls                       k calls/s (spread)      vs comlink");
    for (const sc of ["page -> worker, 100 in flight", "page -> worker, one at a time"]) {
      const cl = find(report, "comlink", sc);
      for (const impl of ["worker.api", "comlink"]) {
        const r = find(report, impl, sc);
        console.log(`  ${sc.padEnd(30)} ${impl.padEnd(11)} ${k(r.median).padStart(8)} ${`(${spread(r.runs, k)})`.padEnd(20)}` +
          ` ${(r.median / cl.median).toFixed(2).padStart(8)}x`);
      }
    }
  }
  const { sync, throughput } = ratios(reports);
  console.log(`\nsync call round trip / coincident: ${sync.toFixed(3)}x (target <= 0.25x); ` +
    `api calls/s / comlink: ${throughput.toFixed(2)}x (target >= 10x)`);
}

await standalone(import.meta.url, "calls", { measure, print });
