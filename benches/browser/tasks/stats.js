// Shared helpers of the benchmark tasks.

/** p50 and p99 of per-round-trip times (microseconds), from samples of `per` round trips each. */
export function percentiles(samplesMs, per) {
  const us = samplesMs.map((ms) => (ms * 1000) / per).sort((a, b) => a - b);
  const at = (q) => us[Math.min(us.length - 1, Math.floor(q * us.length))];
  return { p50_us: at(0.5), p99_us: at(0.99) };
}

/** Waits for the page's "go" so that every worker is running before the clock starts. */
export function waitForGo(i32, index) {
  Atomics.wait(i32, index, 0);
}

/** Times `rounds` calls of `once` in groups of `per`, after `warm` not counted: {p50_us, p99_us}. */
export function timeCalls(once, rounds, per = 20, warm = 200) {
  for (let i = 0; i < warm; i++) once();
  const samples = [];
  for (let r = 0; r < rounds; r += per) {
    const t0 = performance.now();
    for (let i = 0; i < per; i++) once();
    samples.push(performance.now() - t0);
  }
  return percentiles(samples, per);
}

/** timeCalls for a `once` that returns a promise, each awaited before the next. */
export async function timeAwaitedCalls(once, rounds, per = 20, warm = 200) {
  for (let i = 0; i < warm; i++) await once();
  const samples = [];
  for (let r = 0; r < rounds; r += per) {
    const t0 = performance.now();
    for (let i = 0; i < per; i++) await once();
    samples.push(performance.now() - t0);
  }
  return percentiles(samples, per);
}
