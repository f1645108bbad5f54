// Page side of the fault suite: the scenarios' registry and the job runner that the Node side
// polls (so that a page that freezes is seen within seconds, not when a long test would have
// ended), checked streams in both directions, and small helpers.
import * as pw from "/target/dist/pywebworker.js";
import { rngOf, checksum, makeMessage, checkMessage, describeValue } from "./check.js";

export { pw, rngOf, makeMessage, checkMessage };

export const now = () => performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- Scenarios and jobs -----------------------------------------------------------------------

const scenarios = Object.create(null);

/** Makes `fn(arg, log)` runnable from Node as `faults.start(name, arg)`. */
export function register(name, fn) {
  scenarios[name] = fn;
}

const jobs = new Map();
let nextJob = 1;

/** Starts scenario `name` in the background; returns the job's id for `poll`. */
export function start(name, arg) {
  const fn = scenarios[name];
  if (!fn) throw new Error(`no scenario named ${name}`);
  const id = nextJob++;
  const job = { done: false, log: [], result: undefined, error: undefined };
  jobs.set(id, job);
  const log = (line) => job.log.push(String(line));
  Promise.resolve()
    .then(() => fn(arg ?? {}, log))
    .then((r) => { job.result = r; job.done = true; }, (e) => { job.error = errInfo(e); job.done = true; });
  return id;
}

/** The job's state: lines logged since the last poll, and its result or error once done. */
export function poll(id) {
  const job = jobs.get(id);
  if (!job) throw new Error(`no job ${id}`);
  const log = job.log.splice(0);
  if (job.done) jobs.delete(id);
  return { done: job.done, result: job.result, error: job.error, log, watchdog: window.watchdog.read() };
}

// ---- Errors and waits -------------------------------------------------------------------------

/** A plain description of an error (or of anything thrown). */
export function errInfo(e) {
  if (e === undefined) return undefined;
  if (e instanceof Error) {
    return { name: e.name, message: e.message, remoteName: e.remoteName, remoteMessage: e.remoteMessage,
             stack: String(e.stack ?? "").split("\n").slice(0, 6).join("\n") };
  }
  return { name: typeof e, message: describeValue(e) };
}

/** `name: message` of an error, for failure messages. */
export const errText = (e) => (e instanceof Error ? `${e.name}: ${e.message}` : `thrown ${describeValue(e)}`);

/** Follows a promise: `state` ("pending", "resolved", "rejected"), `at` (when it ended), `value`, `error`. */
export function track(promise) {
  const t = { state: "pending", at: 0, value: undefined, error: undefined };
  promise.then((v) => { t.state = "resolved"; t.at = now(); t.value = v; },
                (e) => { t.state = "rejected"; t.at = now(); t.error = e; });
  return t;
}

/** Waits until `cond()` is true (polling every few ms) or `ms` passed; returns whether it became true. */
export async function until(cond, ms, step = 5) {
  const end = now() + ms;
  while (!cond()) {
    if (now() >= end) return cond();
    await sleep(step);
  }
  return true;
}

/** Resolves or rejects as `promise` does, or rejects after `ms` with `what` in the message. */
export function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/** Whether `e` is an error of the shim's class `name` (by class, and by name). */
export function isA(e, name) {
  return e instanceof pw[name] && e.name === name;
}

/** Tallies failures by kind: the count and the first few examples of each. */
export class Failures {
  constructor() {
    this.kinds = new Map();
  }

  add(kind, detail) {
    let k = this.kinds.get(kind);
    if (!k) this.kinds.set(kind, (k = { kind, count: 0, examples: [] }));
    k.count++;
    if (k.examples.length < 3) k.examples.push(String(detail).slice(0, 500));
  }

  get size() {
    return this.kinds.size;
  }

  list() {
    return [...this.kinds.values()];
  }
}

/** min / p50 / p95 / max of a list of numbers (ms, rounded to 0.1). */
export function spread(xs) {
  if (!xs.length) return { n: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 10) / 10;
  return { n: s.length, min: at(0), p50: at(0.5), p95: at(0.95), max: Math.round(s[s.length - 1] * 10) / 10 };
}

// ---- Checked streams --------------------------------------------------------------------------

let streamSource = null;

/** Fetches the stream worker's script once (the check functions are prepended to it). */
export async function loadStreamSource() {
  const response = await fetch("/tests/faults/pages/workers/stream.js");
  if (!response.ok) throw new Error(`workers/stream.js: HTTP ${response.status}`);
  const body = await response.text();
  streamSource = [rngOf, checksum, makeMessage, checkMessage, describeValue].map(String).join("\n\n") + "\n\n" + body;
}

/** The check functions as script text, for other worker scripts made from a source string. */
export function checkSource() {
  return [rngOf, checksum, makeMessage, checkMessage, describeValue].map(String).join("\n\n") + "\n\n";
}

/** A new, not yet started JsWorker running the stream worker. */
export function streamWorker(options = {}) {
  return new pw.JsWorker(streamSource, options);
}

/**
 * Sends a checked stream to `worker` in bursts of `burst` messages every `every` ms (payloads of
 * `min`..`max` random bytes), until `stop()` or until a send throws (kept in `error`).
 */
export class Sender {
  constructor(worker, { seed, min = 0, max, burst = 2, every = 4 }) {
    Object.assign(this, { worker, min, max, burst, every });
    this.rng = rngOf(seed);
    this.sent = 0;
    this.error = null;
    this.running = true;
    this.timer = null;
    this.tick();
  }

  /** Sends the next message of the stream now. */
  sendOne() {
    this.worker.send(makeMessage(this.rng, this.sent, this.max, this.min));
    this.sent++;
  }

  tick() {
    this.timer = null;
    if (!this.running) return;
    try {
      for (let k = 0; k < this.burst; k++) this.sendOne();
    } catch (e) {
      this.error = e;
      this.running = false;
      return;
    }
    this.timer = setTimeout(() => this.tick(), this.every);
  }

  stop() {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Receives what a stream worker sends and checks it: stream messages in order and whole, and the
 * worker's own findings (`{bad}`), its echoes and its report. `via: "recv"` takes them with a
 * loop of `await worker.recv()` (ending at the first rejection, kept in `ended`); `via: "onmessage"`
 * with the worker's onmessage / onerror callbacks.
 */
export class Receiver {
  constructor(worker, { via = "recv" } = {}) {
    this.worker = worker;
    this.expected = 0;
    this.good = 0;
    this.problems = [];
    this.echoes = [];
    this.report = null;
    /** @type {{value: number, at: number} | null} a worker's "last message before close()" */
    this.last = null;
    this.errors = [];
    this.lastAt = 0;
    /** @type {{error: any, at: number} | null} */
    this.ended = null;
    if (via === "recv") {
      this.loop = this.run();
    } else {
      worker.onmessage = ({ data }) => this.take(data);
      worker.onerror = (e) => { this.errors.push(e); };
    }
  }

  async run() {
    for (;;) {
      let v;
      try {
        v = await this.worker.recv();
      } catch (e) {
        this.ended = { error: e, at: now() };
        return;
      }
      this.take(v);
    }
  }

  take(v) {
    this.lastAt = now();
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      if ("bad" in v) {
        this.problems.push(String(v.bad));
        return;
      }
      if ("echo" in v) {
        this.echoes.push(v.echo);
        return;
      }
      if ("report" in v) {
        this.report = v.report;
        return;
      }
      if ("last" in v) {
        this.last = { value: v.last, at: now() };
        return;
      }
    }
    const problem = checkMessage(v, this.expected);
    if (problem) {
      this.problems.push(`page: ${problem}`);
      if (v && typeof v.s === "number") this.expected = v.s;
    } else {
      this.good++;
    }
    this.expected++;
  }
}

/**
 * Ends a long-lived stream and checks it whole: stops the page's sender, asks the worker for its
 * report (which comes after everything it streamed) and compares counts. Returns a list of
 * problems (empty when nothing was lost, reordered, duplicated or torn either way).
 */
export async function finishStream(worker, rx, tx, what, reportMs = 10_000) {
  tx.stop();
  const problems = [];
  if (tx.error) problems.push(`${what}: sending failed: ${errText(tx.error)}`);
  try {
    worker.send({ cmd: "report" });
  } catch (e) {
    problems.push(`${what}: the report could not be asked for: ${errText(e)}`);
    return problems;
  }
  if (!(await until(() => rx.report !== null || rx.ended !== null, reportMs))) {
    problems.push(`${what}: no report from the worker within ${reportMs / 1000} s (state ${worker.state})`);
    return problems;
  }
  if (rx.ended) {
    problems.push(`${what}: the stream ended with ${errText(rx.ended.error)}`);
    return problems;
  }
  const r = rx.report;
  for (const p of rx.problems.slice(0, 5)) problems.push(`${what}: ${p}`);
  for (const e of rx.errors.slice(0, 3)) problems.push(`${what}: error from the worker: ${errText(e)}`);
  if (r.bad) problems.push(`${what}: the worker found ${r.bad} bad message(s) in the page's stream`);
  if (r.received !== tx.sent) problems.push(`${what}: the page sent ${tx.sent} messages, the worker received ${r.received} whole`);
  if (rx.good !== r.sent) problems.push(`${what}: the worker sent ${r.sent} messages, the page received ${rx.good} whole`);
  return problems;
}
