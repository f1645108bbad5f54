// Sleeps in a blocking recv until a message arrives; reports what came and how long it slept.
export function run({ glue, memory }, { ring, timeoutMs }) {
  const consumer = new glue.RingConsumer(ring);
  const t0 = performance.now();
  const len = consumer.recv(timeoutMs);
  const waitedMs = performance.now() - t0;
  const text = len >= 0 ? new TextDecoder().decode(consumer.message()) : null;
  const tag = consumer.tag;
  consumer.free();
  return { status: len, text, tag, waitedMs };
}
