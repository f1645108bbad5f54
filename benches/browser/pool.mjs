// WorkerPool benchmark in one headless Chromium, on an isolated page and an ordinary one: the
// first reply of a warm worker (acquire) against a cold PyWorker, that of a PyWorker started from a
// memory snapshot against a cold one, and small tasks through the pool against a worker per task. Prints medians and ratios; writes target/bench/pool.json. Not a test.
import { measurePython, median, standalone } from "./common.mjs";

const params = {
  REPEATS: Number(process.env.BENCH_REPEATS || 3),
  TASKS: Number(process.env.BENCH_TASKS || 1000),
  COLD_TASKS: Number(process.env.BENCH_COLD_TASKS || 3),
};

/** Both pages in `browser`: {"isolated", "not isolated"} reports. */
export function measure(browser) {
  return measurePython(browser, "/benches/browser/pool_bench.py", params);
}

export function print(reports) {
  console.log(`\n${Object.values(reports)[0].userAgent}\nmedian of ${params.REPEATS} runs (warm first reply: of ${params.REPEATS * 5})`);
  for (const [page, r] of Object.entries(reports)) {
    const warm = median(r.warm_ms), cold = median(r.cold_ms);
    const rate = median(r.pool_rates);
    console.log(`\nPage ${page}: pool of 2 ready in ${r.pool_start_ms.toFixed(0)} ms`);
    console.log(`  first reply: warm (acquire) ${warm.toFixed(2)} ms, cold PyWorker ${cold.toFixed(0)} ms -> ` +
      `${((warm / cold) * 100).toFixed(3)}% of a cold start`);
    const snap = median(r.snapshot_ms);
    console.log(`  first reply of a new PyWorker: from a snapshot ${snap.toFixed(0)} ms, cold ${cold.toFixed(0)} ms -> ` +
      `${((snap / cold) * 100).toFixed(0)}% of a cold start`);
    console.log(`  ${r.tasks} small tasks: pool ${rate.toFixed(0)} tasks/s (${Math.min(...r.pool_rates).toFixed(0)}..` +
      `${Math.max(...r.pool_rates).toFixed(0)}), worker per task ${r.cold_rate.toFixed(2)} tasks/s ` +
      `(${r.cold_tasks} tasks) -> ${(rate / r.cold_rate).toFixed(0)}x`);
  }
}

await standalone(import.meta.url, "pool", { measure, print });
