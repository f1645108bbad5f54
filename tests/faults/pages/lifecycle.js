// Lifecycle faults: workers that cannot start (with sends, receives, settles and start pending),
// close() called by the worker in mid-stream, a throwing handler in the worker, a throwing
// onerror on the page, and unhandled rejections in the worker.
import { pw, register, rngOf, now, sleep, track, until, within, isA, errInfo, errText, Failures,
         Sender, Receiver, checkSource } from "./lib.js";

const W = "/tests/faults/pages/workers/";

/** How each kind of worker that cannot start is made. */
const CANNOT_START = {
  "404 script URL": () => pw.JsWorker.fromURL(`${W}no-such-script.js`),
  "404 module script URL": () => pw.JsWorker.fromURL(`${W}no-such-script.mjs`, { type: "module" }),
  "syntax error (source)": () => new pw.JsWorker("self.onmessage = (e) => self.postMessage(e.data);\nlet x = ;"),
  "syntax error (URL)": () => pw.JsWorker.fromURL(`${W}syntax-error.js`),
  "throws at top level (source)": () => new pw.JsWorker('throw new TypeError("thrown at the top level of the script");'),
  "throws at top level (URL)": () => pw.JsWorker.fromURL(`${W}throws.js`),
  "module import fails (source)": () => new pw.JsWorker(`import "${location.origin}${W}no-such-module.mjs";\nself.onmessage = () => {};`, { type: "module" }),
  "module import fails (URL)": () => pw.JsWorker.fromURL(`${W}imports-missing.mjs`, { type: "module" }),
  "module top-level await rejects": () => new pw.JsWorker('await Promise.reject(new RangeError("rejected at the top level"));', { type: "module" }),
};

/** Describes how a tracked wait ended, relative to `t0`. */
function outcome(t, t0, type) {
  return { state: t.state, ms: t.state === "pending" ? null : Math.round(t.at - t0), error: errInfo(t.error),
           typed: t.error !== undefined && isA(t.error, type) };
}

register("cannot-start", async ({ which, capacity = 4096, bound = 3000 }) => {
  const w = CANNOT_START[which]({});
  const t0 = now();
  let sendBefore = null;
  try {
    // Sent before the worker is ready: queued (one larger than the ring, in parts on the shared transport).
    w.send("early");
    w.send({ big: new Uint8Array(3 * capacity) });
  } catch (e) {
    sendBefore = errInfo(e);
  }
  const waits = {
    "start()": track(w.start()),
    "recv() (first)": track(w.recv()),
    "recv() (second)": track(w.recv()),
    "settle()": track(w.settle(60_000)),
    "async iterator next()": track(w[Symbol.asyncIterator]().next()),
  };
  await until(() => Object.values(waits).every((t) => t.state !== "pending"), bound);
  const result = { transport: w.transport, state: w.state, sendBefore, waits: {} };
  for (const [what, t] of Object.entries(waits)) result.waits[what] = outcome(t, t0, "WorkerScriptError");
  try {
    w.send("late");
    result.sendAfter = { threw: false };
  } catch (e) {
    result.sendAfter = { threw: true, error: errInfo(e), typed: isA(e, "WorkerScriptError") };
  }
  const t1 = now();
  const again = track(w.recv());
  await until(() => again.state !== "pending", 1000);
  result.recvAfter = outcome(again, t1, "WorkerScriptError");
  result.errors = w.errors.map(errInfo);
  w.kill();
  return result;
});

// ---- close() by the worker in mid-stream ------------------------------------------------------

const CLOSER = `
// Streams checked messages on "go"; when message number closeAt is due it sends {last} instead and
// calls self.close(). Whatever the page sends is taken and counted (not answered).
let sent = 0;
self.onmessage = (e) => {
  const m = e.data;
  if (!(m && m.cmd === "go")) return;
  const rng = rngOf(m.seed);
  const tick = () => {
    for (let k = 0; k < m.burst; k++) {
      if (sent === m.closeAt) {
        self.postMessage({ last: sent });
        self.close();
        return;
      }
      self.postMessage(makeMessage(rng, sent++, m.max));
    }
    setTimeout(tick, m.every);
  };
  tick();
};`;

register("self-close", async ({ seed, runs = 6, capacity = 4096, bound = 1000 }, log) => {
  const rng = rngOf(seed);
  const failures = new Failures();
  const max = 3 * capacity;
  const ends = [];
  for (let r = 0; r < runs; r++) {
    const closeAt = r === 0 ? 0 : 1 + Math.floor(rng() * 300);
    const label = `run ${r} (close after ${closeAt} messages)`;
    const w = new pw.JsWorker(checkSource() + CLOSER, { capacity, name: `closer-${r}` });
    await within(w.start(), 10_000, "start()");
    const rx = new Receiver(w, { via: "recv" });
    const tx = new Sender(w, { seed: Math.floor(rng() * 2 ** 32), max, burst: 2, every: 4 });
    w.send({ cmd: "go", seed: Math.floor(rng() * 2 ** 32), max, burst: 4, every: 2, closeAt });
    // A settle() pending when the worker is gone: its last message is answered by nobody.
    await until(() => rx.last !== null || rx.ended !== null, 10_000);
    const lastSeen = rx.last?.at ?? rx.lastAt;
    let settled = null;
    if (w.state === "running") {
      try {
        tx.sendOne();
      } catch { /* the page knows already: then send() throws, checked below */ }
      settled = track(w.settle(30_000));
    }
    await until(() => rx.ended !== null && (settled === null || settled.state !== "pending"), bound + 2000);
    tx.stop();
    if (rx.last === null) failures.add("the message sent just before close() did not arrive", `${label}: ${rx.good} of ${closeAt} stream messages arrived`);
    if (rx.good !== closeAt) failures.add("messages sent before close() were lost", `${label}: ${rx.good} of ${closeAt} arrived`);
    for (const p of rx.problems) failures.add("messages sent before close() arrived torn, reordered or duplicated", `${label}: ${p}`);
    if (!rx.ended) {
      failures.add(`recv() still pending ${bound + 2000} ms after the worker closed`, `${label}: state ${w.state}`);
    } else {
      const ms = rx.ended.at - lastSeen;
      ends.push(ms);
      if (!isA(rx.ended.error, "WorkerExitedError")) failures.add("recv() rejected with something other than WorkerExitedError", `${label}: ${errText(rx.ended.error)}`);
      else if (ms > bound) failures.add(`recv() rejected later than ${bound} ms after the worker's last message`, `${label}: ${ms.toFixed(0)} ms`);
    }
    if (settled) {
      if (settled.state === "pending") failures.add("settle() still pending after the worker closed", label);
      else if (settled.state === "resolved") failures.add("settle() resolved though the worker closed before handling the last message", label);
      else if (!isA(settled.error, "WorkerExitedError")) failures.add("settle() rejected with something other than WorkerExitedError", `${label}: ${errText(settled.error)}`);
    }
    if (w.state !== "exited") failures.add("the state is not \"exited\" after the worker closed", `${label}: ${w.state}`);
    try {
      w.send("after");
      failures.add("send() to a worker that closed did not throw", label);
    } catch (e) {
      if (!isA(e, "WorkerExitedError")) failures.add("send() to a worker that closed threw something other than WorkerExitedError", `${label}: ${errText(e)}`);
    }
    log(`${label}: ${rx.good} arrived, last ${rx.last ? "arrived" : "missing"}, recv ended ${rx.ended ? `${errText(rx.ended.error).slice(0, 40)} after ${(rx.ended.at - lastSeen).toFixed(0)} ms` : "never"}, state ${w.state}`);
    w.kill();
  }
  const stats = await pw.runtimeStats();
  return { failures: failures.list(), ends, liveLinks: stats.liveLinks };
});

// ---- Errors in the worker's handlers ----------------------------------------------------------

const THROWER = `
// Echoes what it gets, except: {throw: x} throws a RangeError from the handler; {asyncThrow: x}
// is handled by an async function that throws a TypeError; {reject: x} leaves a promise rejected
// with a SyntaxError unhandled, then answers {after: x}.
self.onmessage = (e) => {
  const m = e.data;
  if (m && m.throw !== undefined) throw new RangeError("the handler failed on " + m.throw);
  if (m && m.asyncThrow !== undefined) {
    return (async () => {
      await null;
      throw new TypeError("the async handler failed on " + m.asyncThrow);
    })();
  }
  if (m && m.reject !== undefined) {
    Promise.reject(new SyntaxError("nobody handles the rejection of " + m.reject));
    self.postMessage({ after: m.reject });
    return;
  }
  self.postMessage(m);
};`;

/** Receives `n` items (values or errors) from `w`, each within `ms`: [{value} | {error}]. */
async function receive(w, n, ms) {
  const out = [];
  for (let i = 0; i < n; i++) {
    try {
      out.push({ value: await w.recv(ms) });
    } catch (e) {
      out.push({ error: e });
      if (isA(e, "SettleError") || w.state !== "running") break;
    }
  }
  return out;
}

const show = (item) => (item.error ? `error ${errText(item.error)} (remote ${item.error.remoteName})` : `value ${JSON.stringify(item.value)}`);

register("throwing-handler", async ({ capacity = 4096 }) => {
  const failures = new Failures();
  const w = new pw.JsWorker(THROWER, { capacity });
  await within(w.start(), 10_000, "start()");
  const sent = [];
  for (let i = 0; i < 60; i++) sent.push(i % 6 === 5 ? { throw: i } : i);
  for (const m of sent) w.send(m);
  const got = await receive(w, sent.length, 3000);
  sent.forEach((m, i) => {
    const item = got[i];
    if (!item) failures.add("an answer or error never came", `item ${i} of ${sent.length}; state ${w.state}`);
    else if (typeof m === "number") {
      if (item.value !== m) failures.add("an echo came out of order or was replaced", `item ${i}: expected ${m}, got ${show(item)}`);
    } else if (!(item.error && isA(item.error, "WorkerError") && item.error.remoteName === "RangeError" &&
                 String(item.error.remoteMessage).includes(`failed on ${m.throw}`))) {
      failures.add("the handler's exception did not arrive in order as a WorkerError with its type and message", `item ${i}: ${show(item)}`);
    }
  });
  const settled = track(w.settle(3000));
  await until(() => settled.state !== "pending", 3500);
  if (settled.state !== "resolved") failures.add("settle() did not resolve after handlers threw", settled.error ? errText(settled.error) : "still pending");
  w.send("still working");
  let last;
  try {
    last = await w.recv(3000);
  } catch (e) {
    last = errText(e);
  }
  if (last !== "still working") failures.add("the worker stopped working after its handler threw", String(last));
  if (w.state !== "running") failures.add("the worker's state changed", w.state);
  w.kill();
  return { failures: failures.list(), errors: got.filter((x) => x.error).length };
});

register("unhandled-rejection", async ({ capacity = 4096 }) => {
  const failures = new Failures();
  const w = new pw.JsWorker(THROWER, { capacity });
  await within(w.start(), 10_000, "start()");
  for (const m of ["x", { reject: 1 }, "y", { asyncThrow: 2 }, "z"]) w.send(m);
  const got = await receive(w, 6, 3000);
  const values = got.filter((x) => !x.error).map((x) => JSON.stringify(x.value));
  const errors = got.filter((x) => x.error).map((x) => x.error);
  if (JSON.stringify(values) !== JSON.stringify(['"x"', '{"after":1}', '"y"', '"z"'])) {
    failures.add("the worker's answers did not all arrive in order", values.join(", "));
  }
  const kinds = errors.map((e) => `${e.name}/${e.remoteName}`).sort();
  if (JSON.stringify(kinds) !== JSON.stringify(["WorkerError/SyntaxError", "WorkerError/TypeError"])) {
    failures.add("the unhandled rejection (SyntaxError) and the async handler's exception (TypeError) did not each arrive once as a WorkerError",
                 got.map(show).join(" | "));
  }
  w.send("still working");
  let last;
  try {
    last = await w.recv(3000);
  } catch (e) {
    last = errText(e);
  }
  if (last !== "still working") failures.add("the worker stopped working after an unhandled rejection", String(last));
  w.kill();
  return { failures: failures.list(), received: got.map(show) };
});

register("throwing-onerror", async ({ capacity = 4096 }) => {
  const failures = new Failures();
  const w = new pw.JsWorker(THROWER, { capacity });
  await within(w.start(), 10_000, "start()");
  let calls = 0;
  w.onerror = () => {
    calls++;
    throw new Error(`the page's onerror handler throws (call ${calls})`);
  };
  // A: messages and errors while nothing waits: the errors go to onerror, which throws.
  for (const m of ["a", { throw: 1 }, "b", { throw: 2 }, "c"]) w.send(m);
  const settledA = track(w.settle(3000));
  await until(() => settledA.state !== "pending", 3500);
  if (settledA.state !== "resolved") failures.add("A: settle() did not resolve while onerror threw", settledA.error ? errText(settledA.error) : "still pending");
  await until(() => calls >= 2, 2000);
  if (calls !== 2) failures.add("A: onerror was not called once per error", `${calls} calls for 2 errors`);
  const a = await receive(w, 3, 2000);
  if (a.map(show).join(" | ") !== ['value "a"', 'value "b"', 'value "c"'].join(" | ")) {
    failures.add("A: the messages around the errors were not all kept in order", a.map(show).join(" | "));
  }
  // B: receives pending before the worker's messages arrive: they settle, the error goes to one.
  const waits = [track(w.recv()), track(w.recv()), track(w.recv())];
  await sleep(20);
  for (const m of ["d", { throw: 3 }, "e", "f"]) w.send(m);
  await until(() => waits.every((t) => t.state !== "pending"), 2000);
  const b = waits.map((t) => (t.state === "pending" ? "pending" : t.state === "resolved" ? `value ${JSON.stringify(t.value)}` : `error ${t.error.name}/${t.error.remoteName}`));
  if (b.join(" | ") !== ['value "d"', "error WorkerError/RangeError", 'value "e"'].join(" | ")) {
    failures.add("B: recv() calls pending after onerror threw did not settle with the worker's next messages and error", b.join(" | "));
  }
  const f = track(w.recv());
  await until(() => f.state !== "pending", 2000);
  if (f.value !== "f") failures.add("B: a later message did not arrive", f.state === "rejected" ? errText(f.error) : f.state);
  // C: messages through onmessage while onerror keeps throwing.
  const c = [];
  w.onmessage = ({ data }) => c.push(data);
  for (const m of ["g", { throw: 4 }, "h", "i"]) w.send(m);
  await until(() => c.length >= 3, 2000);
  if (c.join(",") !== "g,h,i") failures.add("C: the worker's messages stopped arriving at onmessage after onerror threw", `got ${JSON.stringify(c)}`);
  await until(() => calls >= 3, 1000);
  if (calls !== 3) failures.add("C: onerror was not called for the error", `${calls} calls for 3 errors`);
  if (w.state !== "running") failures.add("the worker's state changed", w.state);
  w.kill();
  return { failures: failures.list(), calls };
});

// ---- A worker busy outside its handlers -------------------------------------------------------

const BUSY = `
// {busyLater: ms}: answers {busy: ms}, then, from a timer (after its handler returned and the
// message was acknowledged), computes for ms milliseconds without reading. Anything else: echoed,
// a {big} message as its length.
self.onmessage = (e) => {
  const m = e.data;
  if (m && m.busyLater) {
    self.postMessage({ busy: m.busyLater });
    setTimeout(() => {
      const end = performance.now() + m.busyLater;
      while (performance.now() < end) { /* computing */ }
    }, 0);
    return;
  }
  self.postMessage(m && m.big ? { big: m.big.length } : m);
};`;

register("busy-worker-settle", async ({ capacity = 4096, busyMs = 1500 }) => {
  const failures = new Failures();
  const w = new pw.JsWorker(BUSY, { capacity });
  await within(w.start(), 10_000, "start()");
  w.send({ busyLater: busyMs });
  const busy = await w.recv(5000);
  if (busy?.busy !== busyMs) failures.add("the worker did not answer before computing", JSON.stringify(busy));
  await sleep(50); // the worker computes now, everything sent so far acknowledged
  window.watchdog.reset();
  // Larger than the ring: its first parts go, the rest waits for room while the worker computes.
  w.send({ big: new Uint8Array(3 * capacity) });
  const t0 = now();
  const settled = track(w.settle(10_000));
  await until(() => settled.state !== "pending", 10_000);
  const lag = window.watchdog.read().max;
  if (settled.state !== "resolved") failures.add("settle() did not resolve once the worker was idle again", settled.error ? errText(settled.error) : "pending");
  let big;
  try {
    big = await w.recv(5000);
  } catch (e) {
    big = errText(e);
  }
  if (big?.big !== 3 * capacity) failures.add("the large message did not arrive whole", JSON.stringify(big));
  w.kill();
  return { failures: failures.list(), settleMs: settled.at ? Math.round(settled.at - t0) : null, lagDuringSettle: Math.round(lag) };
});
