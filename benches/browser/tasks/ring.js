// The pywebworker ring, worker -> worker, from JavaScript: frames written and read in place.
import { percentiles } from "./stats.js";

export function run({ glue, memory }, args) {
  return ROLES[args.role]({ glue, memory }, args);
}

const ROLES = {
  producer({ glue, memory }, { ring, size, count }) {
    const tx = new glue.RingProducer(ring);
    let u8 = new Uint8Array(memory.buffer);
    const msg = new Uint8Array(size);
    for (let i = 0; i < count; i++) {
      let at;
      while ((at = tx.reserve(size)) === -1) tx.flush();
      if (at < 0) throw new Error(`reserve: status ${at}`);
      // A view stays valid for what it covers when the shared memory grows: renew it only then.
      if (at + size > u8.length) u8 = new Uint8Array(memory.buffer);
      msg[0] = i & 255;
      u8.set(msg, at); // copy the whole message, as the baselines do
      tx.commit(1);
      if ((i & 31) === 0) tx.flush();
    }
    tx.flush();
    tx.close();
    tx.free();
    return {};
  },

  consumer({ glue, memory }, { ring, size, count }) {
    const rx = new glue.RingConsumer(ring);
    let u8 = new Uint8Array(memory.buffer);
    let n = 0, t0 = 0;
    while (n < count) {
      const at = rx.peek();
      if (at === -1) { rx.wait(10_000); continue; }
      if (at < 0) throw new Error(`peek: status ${at}`);
      if (n === 0) t0 = performance.now();
      if (at + size > u8.length) u8 = new Uint8Array(memory.buffer);
      if (u8[at] !== (n & 255) || rx.peekLen !== size) throw new Error(`message ${n} is wrong`);
      rx.release();
      n++;
    }
    const seconds = (performance.now() - t0) / 1000;
    rx.free();
    return { seconds, count };
  },

  // The native benchmark's loops, in wasm (target/pkg-bench, feature bench-loops).
  rustProducer({ glue }, { ring, size, count }) {
    glue.benchRingProduce(ring, size, count);
    return {};
  },

  rustConsumer({ glue }, { ring, size, count }) {
    return { seconds: glue.benchRingConsume(ring, size, count), count };
  },

  ping({ glue }, { out, back, rounds, per }) {
    const tx = new glue.RingProducer(out), rx = new glue.RingConsumer(back);
    const msg = new Uint8Array(16);
    const samples = [];
    for (let s = 0; s < rounds; s++) {
      const t0 = performance.now();
      for (let k = 0; k < per; k++) {
        if (tx.trySend(1, msg) !== 0) throw new Error("ping not sent");
        if (rx.recv(10_000) !== 16) throw new Error("pong not received");
      }
      samples.push(performance.now() - t0);
    }
    tx.close();
    tx.free(); rx.free();
    return percentiles(samples, per);
  },

  pong({ glue }, { out, back }) {
    const rx = new glue.RingConsumer(out), tx = new glue.RingProducer(back);
    const msg = new Uint8Array(16);
    while (rx.recv(10_000) === 16) tx.trySend(1, msg);
    rx.free(); tx.free();
    return {};
  },
};
