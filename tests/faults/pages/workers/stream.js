// The stream worker (a classic JsWorker script; page side: tests/faults/pages/lib.js, which
// prepends check.js's functions). It checks the stream the page sends it and, once told "go",
// streams checked messages back in bursts on a timer, so that both directions stay busy.
// Commands: {cmd: "echo", x} -> {echo: x}; {cmd: "go", seed, min, max, burst, every, flood}
// (payloads of min..max bytes; `burst` messages every `every` ms, or with `flood` as many as go
// in 3 ms, then a timer); {cmd: "stop"};
// {cmd: "report"} -> {report: {received, bad, sent}} (after every message streamed before it).
let expected = 0, received = 0, bad = 0, sent = 0, streaming = null;

function tick() {
  if (!streaming) return;
  const until = streaming.flood ? performance.now() + 3 : 0;
  for (let k = 0; streaming && (k < streaming.burst || performance.now() < until); k++) {
    self.postMessage(makeMessage(streaming.rng, sent++, streaming.max, streaming.min));
  }
  if (streaming) setTimeout(tick, streaming.every);
}

self.onmessage = (e) => {
  const m = e.data;
  if (m !== null && typeof m === "object" && typeof m.cmd === "string") {
    switch (m.cmd) {
      case "echo":
        self.postMessage({ echo: m.x });
        return;
      case "go":
        streaming = { rng: rngOf(m.seed), min: m.min ?? 0, max: m.max, burst: m.burst, every: m.every, flood: m.flood === true };
        tick();
        return;
      case "stop":
        streaming = null;
        return;
      case "report":
        streaming = null;
        self.postMessage({ report: { received, bad, sent } });
        return;
      default:
        self.postMessage({ bad: `unknown command ${m.cmd}` });
        return;
    }
  }
  const problem = checkMessage(m, expected);
  if (problem) {
    bad++;
    self.postMessage({ bad: `worker: ${problem}` });
    if (m && typeof m.s === "number") expected = m.s;
  } else {
    received++;
  }
  expected++;
};
