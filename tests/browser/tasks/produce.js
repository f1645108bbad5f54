import { sizes, fill, memoryView } from "./messages.js";

// Sends `count` checked messages of random sizes; small ones are written in place, large ones
// are copied and fragmented by the ring. Closes the ring at the end.
export function run({ glue, memory }, { ring, capacity, count, seed, maxSmall, bigEvery, bigSize }) {
  const producer = new glue.RingProducer(ring);
  const view = memoryView(memory);
  const nextSize = sizes(seed, maxSmall, bigEvery, bigSize);
  const maxFrame = glue.maxFramePayload(capacity);
  let scratch = new Uint8Array(0);
  for (let seq = 0; seq < count; seq++) {
    const len = Math.max(4, nextSize());
    const at = len <= maxFrame ? producer.reserve(len) : -1;
    if (at > 0) {
      fill(view(), at, seq, len);
      producer.commit(1);
      if ((seq & 63) === 0) producer.flush();
      continue;
    }
    if (scratch.length < len) scratch = new Uint8Array(len);
    fill(scratch, 0, seq, len);
    const status = producer.send(1, scratch.subarray(0, len), 10_000);
    if (status !== 0) throw new Error(`send of message ${seq} failed with status ${status}`);
  }
  producer.flush();
  producer.close();
  producer.free();
  return { sent: count };
}
