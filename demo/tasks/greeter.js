// Worker A: sends a few greetings, then a burst of 16-byte messages written in place.
export function run({ glue, memory }, { ring, greetings, burst }) {
  const producer = new glue.RingProducer(ring);
  const enc = new TextEncoder();
  for (const text of greetings) {
    if (producer.send(1, enc.encode(text), 5000) !== 0) throw new Error("greeting not sent");
  }
  let u8 = new Uint8Array(memory.buffer);
  const t0 = performance.now();
  for (let i = 0; i < burst; i++) {
    let at;
    while ((at = producer.reserve(16)) < 0) {
      if (at !== -1) throw new Error(`reserve failed with status ${at}`);
      producer.flush();
    }
    if (u8.buffer !== memory.buffer) u8 = new Uint8Array(memory.buffer);
    u8[at] = i & 255;
    producer.commit(2);
    if ((i & 255) === 0) producer.flush();
  }
  producer.flush();
  producer.close();
  producer.free();
  return { sendSeconds: (performance.now() - t0) / 1000 };
}
