// Baselines for main <-> worker: raw postMessage and comlink, in a plain module worker.
import * as Comlink from "/node_modules/comlink/dist/esm/comlink.mjs";
import { timeAwaitedCalls } from "./stats.js";

let count = 0, expected = 0;
const api = {
  take() {
    if (++count === expected) return "done";
    return undefined;
  },
  expect(n) {
    count = 0;
    expected = n;
  },
  echo(x) {
    return x;
  },
  /** Round trips worker -> page: `rounds` awaited calls of the page's `echo` (a comlink proxy). */
  callPage(echo, x, rounds) {
    return timeAwaitedCalls(() => echo(x), rounds);
  },
  async produce(size, n, cb) {
    for (let i = 0; i < n - 1; i++) cb(new Uint8Array(size));
    await cb(new Uint8Array(size));
  },
};

self.addEventListener("message", ({ data }) => {
  if (!data || data.raw === undefined) return;
  const { raw } = data;
  if (raw === "expect") {
    count = 0;
    expected = data.n;
  } else if (raw === "take") {
    if (++count === expected) self.postMessage({ raw: "done" });
  } else if (raw === "echo") {
    self.postMessage({ raw: "echo", x: data.x });
  } else if (raw === "produce") {
    for (let i = 0; i < data.n; i++) {
      const x = new Uint8Array(data.size);
      self.postMessage({ raw: "item", x }, data.transfer ? [x.buffer] : []);
    }
  }
});

// comlink listens on a MessageChannel of its own so the raw messages above stay separate.
self.addEventListener("message", ({ data }) => {
  if (data && data.comlinkPort) Comlink.expose(api, data.comlinkPort);
});
