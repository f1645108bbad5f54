// Kills at random points. Victims are stream workers (rings of `capacity` bytes, payloads up to
// three times that, so the shared transport splits most messages into parts) streaming checked
// messages both ways; each is killed a random 0-50 ms after both directions are busy, or (every
// `duringStartEvery`-th) while it is still starting. After each kill every wait that was pending
// on it must reject with WorkerKilledError within `bound` ms, and the next worker must start and
// echo within `echoBound` ms. A long-lived worker streams the whole time and must lose, reorder
// or duplicate nothing; at the end the links of the killed workers must be freed.
import { pw, register, rngOf, now, sleep, track, until, within, isA, errText, Failures, spread,
         streamWorker, Sender, Receiver, finishStream } from "./lib.js";

register("kills", async ({ seed, kills = 100, capacity = 4096, duringStartEvery = 5, bound = 1000, echoBound = 3000,
                          victims = { max: 3 * capacity, burst: 4, every: 2 } }, log) => {
  const rng = rngOf(seed);
  // The long-lived stream: payloads of 0 to three rings, moderate rate (it runs the whole time).
  const stream = { max: 3 * capacity, burst: 2, every: 4 };
  const failures = new Failures();
  const before = await pw.runtimeStats();
  const steady = streamWorker({ capacity, name: "long-lived" });
  await within(steady.start(), 10_000, "the long-lived worker's start()");
  const steadyRx = new Receiver(steady, { via: "onmessage" });
  steady.send({ cmd: "go", seed: (seed ^ 0x5eed) >>> 0, ...stream });
  const steadyTx = new Sender(steady, { seed: (seed ^ 0xbeef) >>> 0, ...stream });
  let steadySeen = 0;

  const startEcho = [], recvEnds = [], victimGood = [];
  let killed = 0, killedStarting = 0, settledFirst = 0;

  /** Starts a stream worker and waits for its echo; the time it took, or null after a failure. */
  async function startAndEcho(label) {
    const t0 = now();
    const w = streamWorker({ capacity, name: label });
    const started = track(w.start());
    w.send({ cmd: "echo", x: label });
    let echo;
    try {
      echo = await w.recv(10_000);
    } catch (e) {
      failures.add("a new worker did not start and echo", `${label}: ${errText(e)} (state ${w.state}, after ${(now() - t0).toFixed(0)} ms)`);
      w.kill();
      return null;
    }
    const ms = now() - t0;
    startEcho.push(ms);
    if (ms > echoBound) failures.add(`a new worker took longer than ${echoBound} ms to start and echo`, `${label}: ${ms.toFixed(0)} ms`);
    if (echo?.echo !== label) failures.add("a new worker's first answer was not its echo", `${label}: ${JSON.stringify(echo)?.slice(0, 200)}`);
    return { w, started };
  }

  /** Checks a wait that was pending when the worker was killed. */
  function checkWait(t, what, label, tKill) {
    if (t.state === "pending") failures.add(`${what} still pending ${bound} ms after kill()`, label);
    else if (t.state === "resolved") failures.add(`${what} resolved after kill() instead of rejecting`, `${label}: resolved ${(t.at - tKill).toFixed(1)} ms after kill() with ${JSON.stringify(t.value) ?? "undefined"}`);
    else if (!isA(t.error, "WorkerKilledError")) failures.add(`${what} rejected with something other than WorkerKilledError`, `${label}: ${errText(t.error)}`);
    else if (t.at - tKill > bound) failures.add(`${what} rejected later than ${bound} ms after kill()`, `${label}: ${(t.at - tKill).toFixed(0)} ms`);
  }

  for (let i = 0; i < kills; i++) {
    const label = `victim-${i}`;
    const wseed = Math.floor(rng() * 2 ** 32) >>> 0;
    const starting = i % duringStartEvery === duringStartEvery - 1;
    let w, started;
    if (starting) {
      w = streamWorker({ capacity, name: label });
      started = track(w.start());
    } else {
      const s = await startAndEcho(label);
      if (!s) continue;
      ({ w, started } = s);
    }
    w.send({ cmd: "go", seed: wseed, ...victims });
    const rx = new Receiver(w, { via: "recv" });
    const tx = new Sender(w, { seed: (wseed ^ 0x1234567) >>> 0, ...victims });
    if (!starting) {
      // Both directions busy: the worker's stream has begun arriving while the page's goes out.
      if (!(await until(() => rx.good > 0 || rx.ended !== null || rx.problems.length > 0, 5000))) {
        failures.add("a victim's stream did not begin within 5 s", `${label} (state ${w.state})`);
      }
    }
    await sleep(rng() * 50);
    // One message sent just now, which the worker cannot have handled: settle() is pending.
    try {
      tx.sendOne();
    } catch (e) {
      failures.add("send() failed on a live worker", `${label}: ${errText(e)}`);
    }
    const settled = track(w.settle(30_000));
    // A worker spinning on its ring may handle that message at once: then settle() resolves before
    // the kill, as it should. Its outcome is known after a few microtasks (no event-loop turn, so
    // the page takes nothing meanwhile); only a settle still pending then must reject.
    for (let i = 0; i < 4; i++) await null;
    const settledBefore = settled.state === "resolved";
    const startPending = started.state === "pending";
    const tKill = now();
    w.kill();
    tx.stop();
    killed++;
    if (startPending) killedStarting++;
    await until(() => rx.ended !== null && settled.state !== "pending" && started.state !== "pending", bound + 100, 2);
    if (!rx.ended) {
      failures.add(`recv() still pending ${bound} ms after kill()`, label);
    } else {
      recvEnds.push(rx.ended.at - tKill);
      if (!isA(rx.ended.error, "WorkerKilledError")) failures.add("recv() rejected with something other than WorkerKilledError", `${label}: ${errText(rx.ended.error)}`);
      else if (rx.ended.at - tKill > bound) failures.add(`recv() rejected later than ${bound} ms after kill()`, `${label}: ${(rx.ended.at - tKill).toFixed(0)} ms`);
    }
    if (settledBefore) settledFirst++;
    else checkWait(settled, "settle()", label, tKill);
    if (startPending) checkWait(started, "start() (killed while starting)", label, tKill);
    for (const p of rx.problems) failures.add("a killed worker's messages arrived torn, lost, reordered or duplicated", `${label}: ${p}`);
    victimGood.push(rx.good);
    if (tx.error && !isA(tx.error, "WorkerKilledError")) failures.add("send() to a live worker threw", `${label}: ${errText(tx.error)}`);
    // The long-lived stream goes on, whole.
    for (const p of steadyRx.problems.slice(steadySeen)) failures.add("the long-lived worker's stream was damaged", `after ${label}: ${p}`);
    for (const e of steadyRx.errors.slice(0)) failures.add("the long-lived worker reported an error", `after ${label}: ${errText(e)}`);
    steadyRx.errors.length = 0;
    steadySeen = steadyRx.problems.length;
    if (steady.state !== "running") {
      failures.add("the long-lived worker stopped", `after ${label}: state ${steady.state}`);
      break;
    }
    if ((i + 1) % 10 === 0) {
      log(`${killed} kills (${killedStarting} while starting); start+echo ${JSON.stringify(spread(startEcho))} ms; ` +
          `long-lived worker: ${steadyRx.good} received, ${steadyTx.sent} sent; failures so far: ${failures.list().map((f) => `${f.kind} x${f.count}`).join("; ") || "none"}`);
    }
  }

  // The page still creates and uses workers.
  const last = await startAndEcho("after-the-kills");
  last?.w.kill();
  // The long-lived stream, whole from start to end.
  const steadyProblems = await finishStream(steady, steadyRx, steadyTx, "the long-lived worker");
  for (const p of steadyProblems) failures.add("the long-lived worker's stream was damaged", p);
  const steadyCounts = { received: steadyRx.good, sent: steadyTx.sent, report: steadyRx.report };
  steady.kill();
  // Memory is given back: every link of a killed worker is freed.
  let after;
  const t0 = now();
  for (;;) {
    after = await pw.runtimeStats();
    if (after.liveLinks <= before.liveLinks || now() - t0 > 6000) break;
    await sleep(50);
  }
  if (after.liveLinks > before.liveLinks) {
    failures.add("links of killed workers were not freed", `liveLinks ${before.liveLinks} before, ${after.liveLinks} 6 s after the last kill`);
  }
  return {
    kills: killed, killedStarting, settledBeforeKill: settledFirst, failures: failures.list(), startEcho: spread(startEcho), recvEnd: spread(recvEnds),
    victimMessages: spread(victimGood), steady: steadyCounts, transport: steady.transport,
    liveLinks: { before: before.liveLinks, after: after.liveLinks, freedAfterMs: Math.round(now() - t0) },
    memoryBytes: { before: before.memoryBytes, after: after.memoryBytes },
  };
});
