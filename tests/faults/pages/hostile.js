// Hostile workers. On the shared transport: a raw Worker given the runtime's shared memory writes
// garbage into a victim JsWorker's ring headers (positions, closed flags, doorbells), into frame
// headers and the port's peeked length/flags between the peek and the read, or produces a message
// whose MORE flag never ends. On both transports: a worker script that posts forged control
// messages and malformed batches through the native postMessage. The victim must end with
// ChannelCorruptError or stay correct; a bystander JsWorker streams on unaffected; the page never
// freezes and nothing reaches it uncaught (checked on the Node side).
import { pw, register, rngOf, now, sleep, track, until, within, isA, errInfo, errText, Failures,
         streamWorker, Sender, Receiver, finishStream } from "./lib.js";

// The ring header (src/ring/mod.rs, `Header`): 128-byte padded fields, then the data area.
export const RING = { MAGIC: 0, CAPACITY: 4, TAIL: 128, HEAD: 256, STATE: 384, DATA_BELL_SEQ: 512, DATA_BELL_SLEEPERS: 516,
                      SPACE_BELL_SEQ: 640, SPACE_BELL_SLEEPERS: 644, HEADER_SIZE: 768, MAGIC_VALUE: 0x31575750 };
const PRODUCER_CLOSED = 1, CONSUMER_CLOSED = 2;

/** The raw hostile worker, given the memory; `run(op)` resolves with its answer. */
async function hostileWorker(memory) {
  const worker = new Worker("/tests/faults/pages/workers/hostile.js");
  const answers = [];
  let wake = null;
  worker.onmessage = ({ data }) => {
    answers.push(data);
    wake?.();
  };
  worker.onerror = (e) => {
    answers.push({ op: "error", message: e.message });
    wake?.();
  };
  const next = async (ms) => {
    const end = now() + ms;
    while (!answers.length) {
      if (now() > end) throw new Error(`the hostile worker did not answer within ${ms} ms`);
      await new Promise((r) => { wake = r; setTimeout(r, 50); });
    }
    return answers.shift();
  };
  worker.postMessage({ op: "memory", buffer: memory.buffer });
  const ready = await next(10_000);
  if (ready.op !== "ready") throw new Error(`the hostile worker: ${JSON.stringify(ready)}`);
  return {
    async run(op) {
      worker.postMessage(op);
      const a = await next((op.ms ?? 300) + 10_000);
      if (a.op !== "done") throw new Error(`the hostile worker failed: ${a.message}`);
      return a.n;
    },
    terminate: () => worker.terminate(),
  };
}

/** Addresses of a started JsWorker's link: its two ports and its two rings' regions. */
function addresses(glue, memory, w, capacity) {
  const port = w._port, wport = glue.linkPort(w._link, 1);
  const a = { port, wport, in: glue.portIncomingRegion(port), out: glue.portIncomingRegion(wport) };
  const u32 = new Uint32Array(memory.buffer);
  for (const ring of ["in", "out"]) {
    const at = a[ring] >>> 2;
    if (u32[at] !== RING.MAGIC_VALUE || u32[at + 1] !== capacity) {
      throw new Error(`the ${ring} ring at ${a[ring]} has no ring header (magic ${u32[at]}, capacity ${u32[at + 1]}): the layout changed`);
    }
  }
  return a;
}

/**
 * The attacks: each names the hostile worker's op(s) from the addresses. "in" is the ring the
 * victim writes and the page reads; "out" the one the page writes and the victim reads.
 */
const ATTACKS = {
  "in.tail: far ahead of the head": (a) => ({ op: "store", addr: a.in + RING.TAIL, from: a.in + RING.HEAD, add: 3 * 4096 + 8 }),
  "in.tail: misaligned": (a) => ({ op: "store", addr: a.in + RING.TAIL, from: a.in + RING.TAIL, add: 4 }),
  "in.tail: behind the head": (a) => ({ op: "store", addr: a.in + RING.TAIL, from: a.in + RING.HEAD, add: -8 }),
  "in.head: far ahead": (a) => ({ op: "store", addr: a.in + RING.HEAD, from: a.in + RING.TAIL, add: 3 * 4096 + 8 }),
  "in.head: misaligned": (a) => ({ op: "store", addr: a.in + RING.HEAD, from: a.in + RING.HEAD, add: 4 }),
  "in.state: every bit": (a) => ({ op: "store", addr: a.in + RING.STATE, value: 0xffffffff }),
  "in.state: producer closed": (a) => ({ op: "or", addr: a.in + RING.STATE, bits: PRODUCER_CLOSED }),
  "in.state: consumer closed": (a) => ({ op: "or", addr: a.in + RING.STATE, bits: CONSUMER_CLOSED }),
  "in.magic and capacity": (a) => [{ op: "store", addr: a.in + RING.MAGIC, value: 0xdeadbeef, ms: 150 },
                                   { op: "store", addr: a.in + RING.CAPACITY, value: 0xffffffff, ms: 150 }],
  "in data doorbell: sleepers zeroed": (a) => ({ op: "store", addr: a.in + RING.DATA_BELL_SLEEPERS, value: 0, ms: 600 }),
  "in data doorbell: garbage sequence": (a) => ({ op: "store", addr: a.in + RING.DATA_BELL_SEQ, from: a.in + RING.DATA_BELL_SEQ, add: 0x10001 }),
  "in space doorbell: sleepers zeroed": (a) => ({ op: "store", addr: a.in + RING.SPACE_BELL_SLEEPERS, value: 0, ms: 600 }),
  "out.head: far ahead": (a) => ({ op: "store", addr: a.out + RING.HEAD, from: a.out + RING.TAIL, add: 3 * 4096 + 8 }),
  "out.head: misaligned": (a) => ({ op: "store", addr: a.out + RING.HEAD, from: a.out + RING.HEAD, add: 4 }),
  "out.tail: far ahead": (a) => ({ op: "store", addr: a.out + RING.TAIL, from: a.out + RING.HEAD, add: 3 * 4096 + 8 }),
  "out.state: every bit": (a) => ({ op: "store", addr: a.out + RING.STATE, value: 0xffffffff }),
  "out.state: consumer closed": (a) => ({ op: "or", addr: a.out + RING.STATE, bits: CONSUMER_CLOSED }),
  "out space doorbell: sleepers zeroed": (a) => ({ op: "store", addr: a.out + RING.SPACE_BELL_SLEEPERS, value: 0, ms: 600 }),
  "in frame headers: lengths out of range": (a) => ({ op: "frames", region: a.in, field: "len", modes: ["len-huge"], ms: 600 }),
  "in frame headers: plausible wrong lengths": (a) => ({ op: "frames", region: a.in, field: "len", modes: ["len-plus", "len-minus", "len-zero"], ms: 600 }),
  "in frame headers: MORE flag flipped": (a) => ({ op: "frames", region: a.in, field: "meta", modes: ["meta-more"], ms: 600 }),
  "in frame headers: ABORT flag set": (a) => ({ op: "frames", region: a.in, field: "meta", modes: ["meta-abort"], ms: 600 }),
  "in frame headers: WRAP and unknown flag bits": (a) => ({ op: "frames", region: a.in, field: "meta", modes: ["meta-wrap", "meta-unknown"], ms: 600 }),
  "out frame headers: lengths and tag/flags": (a) => [
    { op: "frames", region: a.out, field: "len", modes: ["len-huge", "len-plus", "len-minus", "len-zero"], ms: 300 },
    { op: "frames", region: a.out, field: "meta", modes: ["meta-more", "meta-abort", "meta-wrap", "meta-unknown"], ms: 300 }],
  "page's port: peeked length and tag/flags between peek and read": (a) => ({ op: "flip", addrs: [a.port, a.port + 4],
    modes: ["len-plus", "meta-more", "len-minus", "meta-abort", "len-huge", "meta-unknown"], ms: 600 }),
  "worker's port: peeked length and tag/flags between peek and read": (a) => ({ op: "flip", addrs: [a.wport, a.wport + 4],
    modes: ["len-plus", "meta-more", "len-minus", "meta-abort", "len-huge", "meta-unknown"], ms: 600 }),
};

export const ATTACK_NAMES = Object.keys(ATTACKS);

/** Attacks aimed at messages of one frame: the victim streams payloads of at most 1 KiB. */
const SMALL_MESSAGES = new Set(["in frame headers: ABORT flag set"]);

/**
 * A stream worker that streams both ways; `rx` receives with recv() or onmessage. The page's
 * direction is lighter (payloads up to one ring, a message every 8 ms): what it queues during an
 * attack that slows the channel down stays small, so a slow but correct channel is told apart
 * from a stuck one within the report's bound.
 */
async function streaming(label, capacity, seed, via, max = 3 * capacity) {
  const w = streamWorker({ capacity, name: label });
  await within(w.start(), 10_000, `${label}: start()`);
  const rx = new Receiver(w, { via });
  w.send({ cmd: "go", seed, max, burst: 2, every: 4 });
  const tx = new Sender(w, { seed: (seed ^ 0x7777) >>> 0, max: capacity, burst: 1, every: 8 });
  return { w, rx, tx };
}

/** Starts a worker and has it echo once (the page still creates and uses workers). */
async function echoes(capacity) {
  const w = new pw.JsWorker("self.onmessage = (e) => self.postMessage(e.data);", { capacity });
  try {
    await within(w.start(), 5000, "a new worker's start()");
    w.send("ping");
    const back = await w.recv(5000);
    if (back !== "ping") throw new Error(`a new worker echoed ${JSON.stringify(back)}`);
    return null;
  } catch (e) {
    return errText(e);
  } finally {
    w.kill();
  }
}

register("hostile-memory", async ({ seed, attack, capacity = 4096, reportMs = 30_000 }, log) => {
  const failures = new Failures();
  const rt = await pw.loadRuntime();
  const rng = rngOf(seed);
  const bystander = await streaming("bystander", capacity, Math.floor(rng() * 2 ** 32), "onmessage");
  const victim = await streaming("victim", capacity, Math.floor(rng() * 2 ** 32), "recv", SMALL_MESSAGES.has(attack) ? 1024 : 3 * capacity);
  const { w, rx, tx } = victim;
  const errors = [];
  w.onerror = (e) => errors.push(e);
  if (!(await until(() => rx.good >= 3 || rx.ended !== null, 5000))) throw new Error("the victim's stream did not begin");
  const hostile = await hostileWorker(rt.memory);
  const addrs = addresses(rt.glue, rt.memory, w, capacity);
  // A settle() pending over the attack (it must end, whatever the outcome).
  tx.sendOne();
  const settled = track(w.settle(60_000));
  const goodBefore = rx.good;
  let ops = ATTACKS[attack](addrs);
  if (!Array.isArray(ops)) ops = [ops];
  let writes = 0;
  for (const op of ops) writes += await hostile.run(op);
  const tEnd = now();
  // The page's stream stops with the attack: what it queued is bounded, however slow the channel got.
  tx.stop();
  // Afterwards: either the victim's channel ended with ChannelCorruptError, or its stream goes on.
  await until(() => rx.ended !== null || (rx.good > goodBefore + 5 && now() - tEnd > 300), 3000);
  const result = { attack, writes, state: w.state, receivedBefore: goodBefore, receivedAfter: rx.good - goodBefore };
  let outcome;
  if (rx.ended || w.state !== "running") {
    await until(() => rx.ended !== null && settled.state !== "pending", 1000);
    const e = rx.ended?.error ?? errors[0];
    result.error = errInfo(e);
    if (rx.ended && isA(rx.ended.error, "ChannelCorruptError") && w.state === "failed") outcome = "ChannelCorruptError";
    else failures.add("the victim ended, not with ChannelCorruptError", `state ${w.state}; recv() ${rx.ended ? `rejected with ${errText(rx.ended.error)}` : "still pending"}; onerror got ${errors.map(errText).join(", ") || "nothing"}`);
    // A settle() may have resolved on its own before the channel ended (the worker handled everything).
    const endedAt = rx.ended?.at ?? now();
    if (w.state === "running") { /* not ended: the failure above says what happened instead */ }
    else if (settled.state === "pending") failures.add("settle() still pending after the victim's channel ended", `state ${w.state}`);
    else if (settled.state === "resolved" && settled.at >= endedAt) failures.add("settle() resolved after the victim's channel ended", `state ${w.state}; resolved ${(settled.at - endedAt).toFixed(1)} ms after recv() rejected`);
    else if (settled.state === "rejected" && !isA(settled.error, "ChannelCorruptError")) failures.add("settle() rejected with something other than ChannelCorruptError", errText(settled.error));
  } else {
    outcome = "stayed up";
    const t0 = now();
    for (const p of await finishStream(w, rx, tx, "victim", reportMs)) failures.add("the victim stayed up but its stream was damaged", p);
    result.reportMs = Math.round(now() - t0);
    await until(() => settled.state !== "pending", 3000);
    if (settled.state !== "resolved") failures.add("settle() did not resolve on a victim that stayed correct", settled.error ? errText(settled.error) : "pending");
  }
  for (const p of rx.problems) failures.add("wrong data was delivered from the victim", p);
  for (const e of errors) if (!isA(e, "ChannelCorruptError")) failures.add("the victim reported an error other than ChannelCorruptError", errText(e));
  if (outcome === "stayed up") outcome = failures.size ? "stayed up, stream damaged" : "stayed correct";
  result.outcome = outcome ?? "neither";
  w.kill();
  hostile.terminate();
  for (const p of await finishStream(bystander.w, bystander.rx, bystander.tx, "the bystander")) failures.add("the bystander's stream was damaged", p);
  bystander.w.kill();
  const fresh = await echoes(capacity);
  if (fresh) failures.add("the page could not start and use a new worker after the attack", fresh);
  log(`${attack}: ${result.outcome}; ${writes} hostile writes; victim state ${w.state}; ${failures.size ? "failures" : "ok"}`);
  return { ...result, failures: failures.list() };
});

register("hostile-more", async ({ seed, capacity = 1 << 20, seconds = 30 }, log) => {
  const failures = new Failures();
  const rt = await pw.loadRuntime();
  const before = await pw.runtimeStats();
  const bystander = await streaming("bystander", 4096, seed >>> 0, "onmessage");
  // The victim sends nothing: the hostile worker is the only producer of the ring the page reads.
  const w = new pw.JsWorker("self.onmessage = () => {};", { capacity, name: "victim" });
  await within(w.start(), 10_000, "the victim's start()");
  const received = track(w.recv());
  const hostile = await hostileWorker(rt.memory);
  const addrs = addresses(rt.glue, rt.memory, w, capacity);
  const t0 = now();
  const bytes = await hostile.run({ op: "more", region: addrs.in, ms: seconds * 1000, maxBytes: 2 ** 31 });
  const ms = now() - t0;
  await until(() => received.state !== "pending", 2000);
  const after = await pw.runtimeStats();
  const result = { bytes, ms: Math.round(ms), state: w.state, maxMessageBytes: w.maxMessageBytes,
                   memoryBytes: { before: before.memoryBytes, after: after.memoryBytes } };
  if (received.state === "pending") failures.add("recv() still pending after an endless message", `${(bytes / 2 ** 20).toFixed(0)} MiB taken in ${(ms / 1000).toFixed(1)} s; state ${w.state}`);
  else if (received.state === "resolved") failures.add("an endless message was delivered", JSON.stringify(received.value)?.slice(0, 100));
  else if (!isA(received.error, "ChannelCorruptError")) failures.add("an endless message ended with something other than ChannelCorruptError", errText(received.error));
  result.error = errInfo(received.error);
  w.kill();
  hostile.terminate();
  for (const p of await finishStream(bystander.w, bystander.rx, bystander.tx, "the bystander")) failures.add("the bystander's stream was damaged", p);
  bystander.w.kill();
  // Memory is given back: links of 1 MiB rings can still be made, several times over.
  for (let i = 0; i < 4; i++) {
    const fresh = await echoes(1 << 20);
    if (fresh) {
      failures.add("the page could not start and use a new worker after the endless message", fresh);
      break;
    }
  }
  log(`endless MORE frames: ${(bytes / 2 ** 20).toFixed(0)} MiB in ${(ms / 1000).toFixed(1)} s; victim ${w.state}`);
  return { ...result, failures: failures.list() };
});

// ---- Forged control messages and malformed batches (both transports) --------------------------

const FORGER = `
// Echoes what it gets; {forge: what} first posts a forged control message or batch through the
// native postMessage (the runtime replaces self.postMessage; workers/forging-runtime.js kept the
// native one), then answers {forged: what}.
const post = (x) => globalThis.nativePostMessage(x);
function batch(words, bytes = []) {
  const b = new ArrayBuffer(words.length * 4 + bytes.length);
  const dv = new DataView(b);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  new Uint8Array(b, words.length * 4).set(bytes);
  return b;
}
const FORGED = {
  "ready": () => post({ type: "pywebworker:ready" }),
  "failed, error null": () => post({ type: "pywebworker:failed", error: null }),
  "failed, error missing": () => post({ type: "pywebworker:failed" }),
  "failed, error a number": () => post({ type: "pywebworker:failed", error: 42 }),
  "failed, error of strange fields": () => post({ type: "pywebworker:failed", error: { name: [1, 2], message: { a: 1 }, stack: 7 } }),
  "thread, with wild pointers": () => post({ type: "pywebworker:thread", tls: 8, stack: 16, stackSize: 2 ** 30, locked: true }),
  "an unknown control type": () => post({ type: "pywebworker:nonsense", x: 1 }),
  "not a control message": () => { post("a bare string"); post(null); post(new Uint8Array(8)); post({ type: 5 }); },
  "batch: truncated header": () => post(new ArrayBuffer(3)),
  "batch: end past the buffer": () => post(batch([0, 1 << 20])),
  "batch: end inside the header": () => post(batch([0, 4])),
  "batch: frame length past the end": () => post(batch([0, 24, 1000, 0, 0, 0])),
  "batch: huge handled count": () => post(batch([0xfffffff0, 8])),
  "batch: frame that does not decode": () => post(batch([0, 24, 4, 0, 0xeeeeeeee, 0])),
  "batch: unknown tag": () => post(batch([0, 24, 1, 77, 0, 0], [])),
  "batch: error frame that does not decode": () => post(batch([0, 24, 4, 1, 0xeeeeeeee, 0])),
};
self.onmessage = (e) => {
  const m = e.data;
  if (m && typeof m.forge === "string") {
    FORGED[m.forge]();
    self.postMessage({ forged: m.forge });
    return;
  }
  self.postMessage(m);
};`;

export const FORGED_NAMES = ["ready", "failed, error null", "failed, error missing", "failed, error a number",
  "failed, error of strange fields", "thread, with wild pointers", "an unknown control type", "not a control message",
  "batch: truncated header", "batch: end past the buffer", "batch: end inside the header", "batch: frame length past the end",
  "batch: huge handled count", "batch: frame that does not decode", "batch: unknown tag", "batch: error frame that does not decode"];

register("forged", async ({ what, capacity = 4096 }) => {
  const failures = new Failures();
  const w = new pw.JsWorker(FORGER, { capacity, name: "forger" });
  pw.configure({ runtimeUrl: new URL("/tests/faults/pages/workers/forging-runtime.js", location.href).href });
  try {
    await within(w.start(), 10_000, "start()");
  } finally {
    pw.configure({ runtimeUrl: null });
  }
  w.send("before");
  const first = await w.recv(5000);
  if (first !== "before") throw new Error(`the forger's first echo was ${JSON.stringify(first)}`);
  const errors = [];
  w.onerror = (e) => errors.push(e);
  // Pending while the forged message arrives: a recv() and a settle().
  const got = track(w.recv());
  w.send({ forge: what });
  w.send("after");
  const settled = track(w.settle(5000));
  await until(() => got.state !== "pending" && settled.state !== "pending", 6000);
  let next = null;
  if (got.state === "resolved" && w.state === "running") {
    next = track(w.recv());
    await until(() => next.state !== "pending", 3000);
  }
  await sleep(100); // anything late (a rejection nobody handles, an error event)
  const result = { what, state: w.state, recv: got.state, recvValue: got.value, recvError: errInfo(got.error),
                   settle: settled.state, settleError: errInfo(settled.error), next: next && { state: next.state, value: next.value, error: errInfo(next.error) },
                   errors: errors.map(errInfo) };
  const ignored = got.state === "resolved" && got.value?.forged === what && next?.state === "resolved" && next.value === "after" &&
                  settled.state === "resolved" && w.state === "running";
  const corrupt = w.state === "failed" && [got, settled, next].every((t) => t === null || t.state !== "pending") &&
                  [got.error, settled.error, next?.error, ...errors].filter((e) => e !== undefined).every((e) => isA(e, "ChannelCorruptError")) &&
                  (got.state === "rejected" || next?.state === "rejected" || settled.state === "rejected");
  result.outcome = ignored ? "ignored" : corrupt ? "ChannelCorruptError" : "neither";
  if (!ignored && !corrupt) {
    const pending = [["recv()", got], ["settle()", settled], ["the next recv()", next]].filter(([, t]) => t?.state === "pending").map(([n]) => n);
    if (pending.length) failures.add("waits still pending after a forged message", `${pending.join(", ")} (state ${w.state})`);
    failures.add("a forged message was neither ignored nor ended the worker with ChannelCorruptError",
      `state ${w.state}; recv() ${got.state} ${got.state === "resolved" ? JSON.stringify(got.value) : errText(got.error ?? "")}; ` +
      `settle() ${settled.state} ${settled.error ? errText(settled.error) : ""}; next recv() ${next ? `${next.state} ${next.state === "resolved" ? JSON.stringify(next.value) : errText(next.error ?? "")}` : "-"}; ` +
      `onerror: ${errors.map(errText).join(", ") || "nothing"}`);
  }
  w.kill();
  // The page is still sound: wait out the killed worker's release (its memory is freed then), then use new workers.
  await sleep(what.startsWith("thread") ? 2500 : 100);
  const fresh = await echoes(capacity);
  if (fresh) failures.add("the page could not start and use a new worker afterwards", fresh);
  const stats = await pw.runtimeStats();
  result.liveLinks = stats.liveLinks;
  return { ...result, failures: failures.list() };
});
