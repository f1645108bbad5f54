// Runs the browser benchmarks in one headless Chromium session and prints medians and ratios.
// Writes target/bench/browser.json. Benchmarks are not tests: nothing here asserts a time.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
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
    if (rustLoops) report.paired = await pairedWithNative(page);
    return report;
  } finally {
    await page.close();
    await server.close();
  }
}

/**
 * The ring at 16 B in the browser, driven by the Rust loops and from JavaScript, each run next to
 * a run of the same Rust loop built natively (benches/ring_once.rs), in turns: this machine's
 * speed changes by up to 3x from one second to the next (the native loop alone: 10 and 30 M
 * msg/s in consecutive runs), so each ratio compares runs made moments apart. Returns
 * {size, count, runs: [{native, rust, js}]} in messages/s.
 */
export async function pairedWithNative(page) {
  const size = 16, count = 2_000_000, runs = [];
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const nightly = readFileSync(`${root}/rust-toolchain.toml`, "utf8").match(/channel\s*=\s*"([^"]+)"/)[1];
  const measure = {
    native: async () => JSON.parse(execFileSync("cargo", [`+${nightly}`, "bench", "-q", "--bench", "ring_once", "--", `${size}`, `${count}`, "1"],
      { cwd: root, encoding: "utf8" }).trim().split("\n").pop()).msgPerSec[0],
    rust: () => browserRun("ring (Rust loop)"),
    js: () => browserRun("ring"),
  };
  async function browserRun(name) {
    const r = await page.evaluate(([n, s, c]) => window.runThroughput(n, s, c), [name, size, count]);
    return r.count / r.seconds;
  }
  await measure.native(); // builds it
  const order = Object.keys(measure);
  for (let i = 0; i < Math.max(6, 2 * repeats); i++) {
    const run = {};
    for (let k = 0; k < order.length; k++) {
      const name = order[(i + k) % order.length]; // which goes first turns too
      run[name] = await measure[name]();
    }
    runs.push(run);
  }
  return { size, count, runs };
}

/** Browser / native ratios of the paired runs: {rust: [..], js: [..]}. */
export function pairedRatios(paired) {
  return { rust: paired.runs.map((r) => r.rust / r.native), js: paired.runs.map((r) => r.js / r.native) };
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
  if (report.paired) {
    const ratios = pairedRatios(report.paired);
    const pct = (xs) => `${(100 * median(xs)).toFixed(0)}% (${(100 * Math.min(...xs)).toFixed(0)}..${(100 * Math.max(...xs)).toFixed(0)}%)`;
    console.log(`\nThe ring at ${report.paired.size} B, runs in turns with the native loop (M msg/s, native/Rust loops/from JavaScript): ` +
      report.paired.runs.map((r) => [r.native, r.rust, r.js].map((x) => (x / 1e6).toFixed(1)).join("/")).join(", "));
    console.log(`  browser / native: Rust loops ${pct(ratios.rust)}, from JavaScript ${pct(ratios.js)}`);
  }
  console.log("\nworker <-> worker round trip, 16 B   p50 us   p99 us    vs postMessage");
  for (const t of ["ring", "atomics", "postMessage"]) {
    const r = find("round trip", t, 16);
    const vs = r.median / find("round trip", "postMessage", 16).median;
    console.log(`  ${t.padEnd(12)} ${r.median.toFixed(1).padStart(16)} ${median(r.p99).toFixed(1).padStart(8)} ${vs.toFixed(3).padStart(12)}x`);
  }
}

await standalone(import.meta.url, "browser", { measure, print });
