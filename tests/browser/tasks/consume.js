import { sizes, check, memoryView } from "./messages.js";

// Receives and checks `count` messages (blocking recv), then expects the ring to be closed.
export function run({ glue, memory }, { ring, count, seed, maxSmall, bigEvery, bigSize }) {
  const consumer = new glue.RingConsumer(ring);
  const view = memoryView(memory);
  const nextSize = sizes(seed, maxSmall, bigEvery, bigSize);
  let bytes = 0;
  for (let seq = 0; seq < count; seq++) {
    const want = Math.max(4, nextSize());
    const len = consumer.recv(10_000);
    if (len < 0) throw new Error(`recv of message ${seq} failed with status ${len}`);
    if (len !== want) throw new Error(`message ${seq}: length ${len}, expected ${want}`);
    const bad = check(view(), consumer.messagePtr, seq, len);
    if (bad >= 0) throw new Error(`message ${seq}: wrong byte at ${bad}`);
    bytes += len;
  }
  const after = consumer.recv(10_000);
  consumer.free();
  return { received: count, bytes, afterLast: after };
}
