// WorkerPool benchmark in one headless Chromium, on an isolated page and an ordinary one: the
// first reply of a warm worker (acquire) against a cold PyWorker, that of a PyWorker started from a
// memory snapshot against a cold one and a hand-written Pyodide worker, a replacement after a crash,
// the heap of each kind of start, and small tasks through the pool against a worker per task and a
// hand-written pool. Prints medians and ratios; writes target/bench/pool.json. Not a test.
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
    const snap = median(r.snapshot_ms), hand = median(r.handwritten_ms), again = median(r.replaced_ms);
    const range = (xs, digits = 0) => `${Math.min(...xs).toFixed(digits)}..${Math.max(...xs).toFixed(digits)}`;
    console.log(`  first reply of a new PyWorker: from a snapshot ${snap.toFixed(0)} ms (${range(r.snapshot_ms)}), cold ` +
      `${cold.toFixed(0)} ms (${range(r.cold_ms)}) -> ${((snap / cold) * 100).toFixed(0)}% of a cold start; hand-written ` +
      `Pyodide worker ${hand.toFixed(0)} ms (${range(r.handwritten_ms)}) -> ${((snap / hand) * 100).toFixed(0)}%`);
    console.log(`  replacement after a crash to its first answer: ${again.toFixed(0)} ms (${range(r.replaced_ms)}; ` +
      `${r.replaced} replaced, ${r.replaced_from_snapshot} workers from the snapshot) -> ${((again / cold) * 100).toFixed(0)}% of a cold start`);
    console.log(`  heap of a worker's Pyodide: cold ${mib(median(r.cold_heap))}, from a snapshot ${mib(median(r.snapshot_heap))}`);
    const handRate = median(r.hand_pool_rates);
    console.log(`  ${r.tasks} small tasks: pool ${rate.toFixed(0)} tasks/s (${range(r.pool_rates)}), hand-written pool ` +
      `${handRate.toFixed(0)} tasks/s (${range(r.hand_pool_rates)}) -> ${(rate / handRate).toFixed(1)}x, worker per task ` +
      `${r.cold_rate.toFixed(2)} tasks/s (${r.cold_tasks} tasks) -> ${(rate / r.cold_rate).toFixed(0)}x`);
  }
}

const mib = (bytes) => `${(bytes / (1 << 20)).toFixed(1)} MiB`;

await standalone(import.meta.url, "pool", { measure, print });
