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
