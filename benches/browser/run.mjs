// Runs the browser benchmarks in one headless Chromium session and prints medians and ratios.
// Writes target/bench/browser.json. Benchmarks are not tests: nothing here asserts a time.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { openPage } from "../../tests/browser/harness.mjs";
import { median, standalone } from "./common.mjs";

const repeats = Number(process.env.BENCH_REPEATS || 3);

/** The ring benchmarks on an isolated page of `browser`; with the Rust loops unless BENCH_RUST_LOOPS=0. */
export async function measure(browser) {
  const rustLoops = process.env.BENCH_RUST_LOOPS !== "0";
  // The native benchmark's loops in wasm (target/pkg-bench): the ring without JavaScript per message.
  if (rustLoops) execFileSync("bash", [fileURLToPath(new URL("../../scripts/build-wasm.sh", import.meta.url)), "--bench-loops"], { stdio: "inherit" });
  const { page, server } = await openPage(browser, { isolated: true, path: "/benches/browser/bench.html" });
  try {
    await page.waitForFunction(() => window.benchReady === true);
    const report = await page.evaluate((o) => window.runBenchmarks(o), { repeats, rustLoops });
    for (const row of report.rows) row.median = median(row.runs);
    return report;
  } finally {
    await page.close();
    await server.close();
  }
}

export function print(report) {
  const spread = (xs) => `${Math.min(...xs).toPrecision(3)}..${Math.max(...xs).toPrecision(3)}`;
  const find = (scenario, transport, size) =>
    report.rows.find((r) => r.scenario === scenario && r.transport === transport && r.size === size);

  console.log(`\n${report.userAgent}\n(cross-origin isolated: ${report.crossOriginIsolated}, ${report.hardwareConcurrency} cores, median of ${repeats} runs)\n`);
  console.log("worker -> worker throughput       M msg/s (spread)          vs ringbuf.js   vs postMessage");
  for (const size of [...new Set(report.rows.filter((r) => r.scenario === "throughput").map((r) => r.size))]) {
    for (const t of ["ring", "ring (Rust loop)", "ringbuf", "postMessage", "postMessage+transfer", "copy"]) {
      const r = find("throughput", t, size);
      if (!r) continue;
      const vsRb = r.median / find("throughput", "ringbuf", size).median;
      const vsPm = r.median / find("throughput", "postMessage", size).median;
      console.log(`  ${String(size).padStart(7)} B  ${t.padEnd(20)} ${(r.median / 1e6).toFixed(3).padStart(8)}  ` +
        `(${spread(r.runs.map((x) => x / 1e6))})`.padEnd(24) + `${vsRb.toFixed(2).padStart(8)}x ${vsPm.toFixed(1).padStart(12)}x`);
    }
  }
  console.log("\nworker <-> worker round trip, 16 B   p50 us   p99 us    vs postMessage");
  for (const t of ["ring", "atomics", "postMessage"]) {
    const r = find("round trip", t, 16);
    const vs = r.median / find("round trip", "postMessage", 16).median;
    console.log(`  ${t.padEnd(12)} ${r.median.toFixed(1).padStart(16)} ${median(r.p99).toFixed(1).padStart(8)} ${vs.toFixed(3).padStart(12)}x`);
  }
}

await standalone(import.meta.url, "browser", { measure, print });
