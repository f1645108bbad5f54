// A burst larger than the rings, from Python through the wheel installed by micropip, in headless
// Chromium (and Firefox): 3,000 messages of mixed sizes (a few bytes to 70 KB, strs and bytes) sent
// with send_message, then read with the seed's getters. The page's drain of what waits for room
// must yield while the worker sends back; nothing is lost or reordered. Also the size limit from
// Python (max_message_bytes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { runPython } from "../browser/harness.mjs";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  test(`${mode}: a burst of 3,000 mixed messages up to 70 KB from Python arrives whole and in order`, async () => {
    const lines = await runPython(isolated, `
import random
from pywebworker.worker import JsWorker
worker = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
await worker.ready()
rng = random.Random(15)
sent = []
for i in range(3000):
    n = rng.choice((3, 40, 900, 5000, 70000))
    value = ("s%d-" % i) * (n // 6 + 1) if i % 2 else bytes([i % 256]) * n
    sent.append(value)
    worker.send_message(value)
if ${isolated ? "True" : "False"}:  # the synchronous getters settle by themselves on the shared transport
    got = [m.read() for m in worker.get_unread_messages()]
else:
    got = [await worker.recv(30) for _ in sent]
print("count:", len(got), "equal:", got == sent)
small = JsWorker("self.onmessage = (e) => self.postMessage(e.data);", max_message_bytes=1000)
try:
    small.send_message(b"x" * 2000)
except ValueError as e:
    print("ValueError:", "larger than the 1000 bytes" in str(e))
small.send_message(b"y" * 500)
print("after:", len(await small.recv()))
small.kill()
worker.kill()
`);
    assert.deepEqual(lines, ["count: 3000 equal: True", "ValueError: True", "after: 500"]);
  });
}
