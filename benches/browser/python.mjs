// Python echo benchmark: Pyodide on the page <-> Pyodide in a worker, PyWorker against the
// hand-written js.Worker + postMessage + create_proxy way, in one headless Chromium, on an isolated
// page (shared rings) and an ordinary one (batched postMessage). Prints medians and ratios;
// writes target/bench/python.json. Not a test.
import { measurePython, median, standalone } from "./common.mjs";

const params = {
  REPEATS: Number(process.env.BENCH_REPEATS || 3),
  COUNT: Number(process.env.BENCH_COUNT || 4000),
  ROUNDS: Number(process.env.BENCH_ROUNDS || 1000),
  WARMUP: Number(process.env.BENCH_WARMUP || 100_000),
};

/** Both pages in `browser`: {"isolated", "not isolated"} reports. */
export function measure(browser) {
  return measurePython(browser, "/benches/browser/python_echo.py", params);
}

export function print(reports) {
  const k = (x) => (x / 1000).toFixed(1);
  const spread = (xs) => `${k(Math.min(...xs))}..${k(Math.max(...xs))}`;
  const first = Object.values(reports)[0];
  console.log(`\n${first.userAgent}\nmedian of ${params.REPEATS} runs; up to ${first.count} echoes per run (64 MiB at most), ${first.window} in flight; ` +
    `${first.rounds} round trips per run`);
  for (const [page, r] of Object.entries(reports)) {
    const ours = r.pywebworker, base = r.handwritten;
    console.log(`\nPage ${page}: PyWorker transport ${ours.transport}; worker start ${ours.start_ms.toFixed(0)} ms ` +
      `(hand-written ${base.start_ms.toFixed(0)} ms)`);
    console.log("  payload        PyWorker k echoes/s (spread)   hand-written k echoes/s (spread)   ratio");
    for (const name of Object.keys(ours.throughput)) {
      const a = ours.throughput[name], b = base.throughput[name];
      console.log(`  ${name.padEnd(13)} ${k(median(a)).padStart(9)} (${spread(a)})`.padEnd(47) +
        `${k(median(b)).padStart(9)} (${spread(b)})`.padEnd(36) + `${(median(a) / median(b)).toFixed(2)}x`);
    }
    const p50 = (runs) => median(runs.map((x) => x[0])), p99 = (runs) => median(runs.map((x) => x[1]));
    const a = ours.rt["16 B str"], b = base.rt["16 B str"];
    console.log(`  round trip 16 B str p50/p99 us: PyWorker ${p50(a).toFixed(1)}/${p99(a).toFixed(1)}, ` +
      `hand-written ${p50(b).toFixed(1)}/${p99(b).toFixed(1)} -> ${(p50(a) / p50(b)).toFixed(3)}x`);
  }
}

await standalone(import.meta.url, "python", { measure, print });
