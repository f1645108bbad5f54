// Waiting, without blocking the thread, for a 32-bit word of shared memory to change: the page's
// main thread (and a worker between messages) sleeps this way on a link's doorbells.
//
// `Atomics.waitAsync` does it where the browser has it (Chromium; Firefox from 145, so Firefox
// ESR 153 but not ESR 140 and older; Safari from 16.4). Elsewhere the word is polled: on a
// MessageChannel tick (tens of microseconds) for the first millisecond, so a quick reply is
// taken at once, then on timers backing off to 8 ms. The choice is made once per thread at load;
// `setWaitMode("poll")` forces the fallback (tests).
//
// Same contract as `Atomics.waitAsync`: `{async: false, value: "not-equal" | "timed-out"}` at once,
// or `{async: true, value: Promise<"ok" | "timed-out">}`. A polled wait also ends ("ok") when the
// word changes without a notify, which callers treat as a wake-up anyway (they re-check).

const nativeWaitAsync = typeof Atomics.waitAsync === "function" ? Atomics.waitAsync : null;
const clock = performance;
/** Polling on MessageChannel ticks lasts this long, then timers take over. */
const FAST_MS = 1;
/** The longest timer between two polls. */
const SLOW_MS = 8;

let mode = nativeWaitAsync ? "native" : "poll";
const counts = { native: 0, poll: 0 };
/** The waits being polled on this thread: {index, resolve}. */
const polling = new Set();

/**
 * Chooses how this thread waits: `"auto"` (Atomics.waitAsync when the browser has it, else
 * polling) or `"poll"` (always poll).
 * @param {"auto" | "poll"} wanted
 */
export function setWaitMode(wanted) {
  if (wanted !== "auto" && wanted !== "poll") throw new TypeError(`wait mode must be "auto" or "poll", not ${String(wanted)}`);
  mode = wanted === "poll" || !nativeWaitAsync ? "poll" : "native";
}

/**
 * How this thread waits, and how many waits went to sleep each way so far.
 * @returns {{mode: "native" | "poll", native: number, poll: number, hasWaitAsync: boolean}}
 */
export function waitStats() {
  return { mode, native: counts.native, poll: counts.poll, hasWaitAsync: nativeWaitAsync !== null };
}

/**
 * Waits until `i32[index]` is no longer `expected` (or, natively, a notify), or `timeoutMs` passed.
 * @param {Int32Array} i32 a view of shared memory
 * @param {number} index
 * @param {number} expected
 * @param {number} [timeoutMs] Infinity when left out
 * @returns {{async: false, value: "not-equal" | "timed-out"} | {async: true, value: Promise<"ok" | "timed-out">}}
 */
export function waitAsync(i32, index, expected, timeoutMs = Infinity) {
  if (mode === "native") {
    const r = nativeWaitAsync(i32, index, expected, timeoutMs);
    if (r.async) counts.native++;
    return r;
  }
  if (Atomics.load(i32, index) !== expected) return { async: false, value: "not-equal" };
  const limit = Number.isNaN(timeoutMs) ? Infinity : Math.max(0, timeoutMs);
  if (limit === 0) return { async: false, value: "timed-out" };
  counts.poll++;
  const value = new Promise((resolve) => {
    const start = clock.now();
    let delay = 1;
    let timer = null;
    const entry = {
      index,
      resolve: (outcome) => {
        polling.delete(entry);
        if (timer !== null) clearTimeout(timer);
        timer = null;
        entry.done = true;
        resolve(outcome);
      },
      done: false,
    };
    polling.add(entry);
    const check = () => {
      timer = null;
      if (entry.done) return;
      if (Atomics.load(i32, index) !== expected) return entry.resolve("ok");
      const waited = clock.now() - start;
      if (waited >= limit) return entry.resolve("timed-out");
      if (waited < FAST_MS) {
        tick(check);
      } else {
        timer = setTimeout(check, Math.min(delay, limit - waited));
        delay = Math.min(delay * 2, SLOW_MS);
      }
    };
    tick(check);
  });
  return { async: true, value };
}

/**
 * Wakes this thread's waits on `i32[index]` even though the word did not change (the page's
 * waits after a kill): `Atomics.notify`, and the same for the polled waits.
 * @param {Int32Array} i32
 * @param {number} index
 */
export function wakeWaiters(i32, index) {
  Atomics.notify(i32, index);
  for (const entry of polling) if (entry.index === index) entry.resolve("ok");
}

// One MessageChannel per thread runs the queued polls on the next task, without the 4 ms clamp
// of nested timers.
let channel = null;
let queue = [];
function tick(fn) {
  if (channel === null) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const run = queue;
      queue = [];
      for (const f of run) f();
    };
  }
  queue.push(fn);
  if (queue.length === 1) channel.port2.postMessage(null);
}
