// Baselines, worker -> worker: postMessage over a MessageChannel (copied, or with the buffer in
// the transfer list), and ringbuf.js over a SharedArrayBuffer (a byte stream: each message is a
// 4-byte length, then the payload); and the ceiling of any copying transport: TypedArray.set.
import { RingBuffer } from "/node_modules/ringbuf.js/dist/index.mjs";
import { percentiles } from "./stats.js";

self.onmessage = ({ data }) => {
  const { kind, role } = data;
  Promise.resolve(ROLES[kind][role](data)).then(
    (result) => self.postMessage({ done: true, result }),
    (e) => self.postMessage({ done: true, error: String(e && e.stack || e) }),
  );
};

const ROLES = {
  // The copy ceiling: one worker copying each message into a 4 MiB buffer with TypedArray.set.
  copy: {
    solo({ size, count }) {
      const msg = new Uint8Array(size), dst = new Uint8Array(Math.max(1 << 22, size));
      let at = 0;
      const t0 = performance.now();
      for (let i = 0; i < count; i++) {
        msg[0] = i & 255;
        if (at + size > dst.length) at = 0;
        dst.set(msg, at);
        at += size;
      }
      return { seconds: (performance.now() - t0) / 1000, count };
    },
  },

  postMessage: {
    producer({ port, size, count, transfer }) {
      for (let i = 0; i < count; i++) {
        const msg = new Uint8Array(size);
        msg[0] = i & 255;
        if (transfer) port.postMessage(msg, [msg.buffer]);
        else port.postMessage(msg);
      }
      return {};
    },
    consumer({ port, size, count }) {
      return new Promise((resolve, reject) => {
        let n = 0, t0 = 0;
        port.onmessage = ({ data }) => {
          if (n === 0) t0 = performance.now();
          if (data[0] !== (n & 255) || data.length !== size) reject(new Error(`message ${n} is wrong`));
          if (++n === count) resolve({ seconds: (performance.now() - t0) / 1000, count });
        };
      });
    },
    ping({ port, rounds, per }) {
      return new Promise((resolve) => {
        const samples = [], msg = new Uint8Array(16);
        let s = 0, k = 0, t0 = performance.now();
        port.onmessage = () => {
          if (++k === per) {
            samples.push(performance.now() - t0);
            k = 0;
            if (++s === rounds) { port.postMessage(null); resolve(percentiles(samples, per)); return; }
            t0 = performance.now();
          }
          port.postMessage(msg);
        };
        port.postMessage(msg);
      });
    },
    pong({ port }) {
      return new Promise((resolve) => {
        port.onmessage = ({ data }) => (data === null ? resolve({}) : port.postMessage(data));
      });
    },
  },

  ringbuf: {
    producer({ sab, size, count }) {
      const rb = new RingBuffer(sab, Uint8Array);
      const msg = new Uint8Array(size + 4);
      new DataView(msg.buffer).setUint32(0, size, true);
      for (let i = 0; i < count; i++) {
        msg[4] = i & 255;
        while (rb.available_write() < msg.length);
        rb.push(msg);
      }
      return {};
    },
    consumer({ sab, size, count }) {
      const rb = new RingBuffer(sab, Uint8Array);
      const head = new Uint8Array(4), body = new Uint8Array(size);
      const dv = new DataView(head.buffer);
      let t0 = 0;
      for (let n = 0; n < count; n++) {
        while (rb.available_read() < 4);
        rb.pop(head);
        const len = dv.getUint32(0, true);
        while (rb.available_read() < len);
        rb.pop(body, len);
        if (n === 0) t0 = performance.now();
        if (body[0] !== (n & 255) || len !== size) throw new Error(`message ${n} is wrong`);
      }
      return { seconds: (performance.now() - t0) / 1000, count };
    },
    // Round trip with bare Atomics.wait/notify on a flag word (no ring): the floor for any
    // shared-memory design that sleeps between messages.
    ping({ flags, rounds, per }) {
      const f = new Int32Array(flags);
      const samples = [];
      for (let s = 0; s < rounds; s++) {
        const t0 = performance.now();
        for (let k = 0; k < per; k++) {
          Atomics.store(f, 0, 1); Atomics.notify(f, 0);
          Atomics.wait(f, 1, 0); Atomics.store(f, 1, 0);
        }
        samples.push(performance.now() - t0);
      }
      Atomics.store(f, 0, -1); Atomics.notify(f, 0);
      return percentiles(samples, per);
    },
    pong({ flags }) {
      const f = new Int32Array(flags);
      for (;;) {
        Atomics.wait(f, 0, 0);
        if (Atomics.load(f, 0) === -1) return {};
        Atomics.store(f, 0, 0);
        Atomics.store(f, 1, 1); Atomics.notify(f, 1);
      }
    },
  },
};
