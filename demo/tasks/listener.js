// Worker B: prints the greetings it receives, then counts and checks the burst.
export function run({ glue, memory }, { ring, greetings, burst }) {
  const consumer = new glue.RingConsumer(ring);
  const dec = new TextDecoder();
  const received = [];
  for (let i = 0; i < greetings; i++) {
    if (consumer.recv(5000) < 0) throw new Error("greeting not received");
    received.push(dec.decode(consumer.message()));
  }
  let u8 = new Uint8Array(memory.buffer);
  let count = 0, t0 = 0;
  for (;;) {
    const at = consumer.peek();
    if (at === -1) {
      if (consumer.wait(5000) !== 0) throw new Error("the greeter went quiet");
      continue;
    }
    if (at === -2) break; // closed: the greeter is done
    if (at < 0) throw new Error(`peek failed with status ${at}`);
    if (count === 0) t0 = performance.now();
    if (u8.buffer !== memory.buffer) u8 = new Uint8Array(memory.buffer);
    if (consumer.peekLen !== 16 || u8[at] !== (count & 255)) throw new Error(`message ${count} is wrong`);
    consumer.release();
    count++;
  }
  const seconds = (performance.now() - t0) / 1000;
  consumer.free();
  return { received, count, seconds };
}
