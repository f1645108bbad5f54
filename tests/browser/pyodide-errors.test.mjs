// Errors of the Python API in real Pyodide, on an isolated page and an ordinary one: rejections,
// kills while the worker writes, many workers created and killed, overwritten channel memory, the
// transport= choice. Each says what happened and leaves other workers intact.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runPython } from "./harness.mjs";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  test(`${mode}: Python errors: unhandled rejection, kill while the worker writes, 500 workers created and killed`, async () => {
    const lines = await runPython(isolated, `
import asyncio
from pywebworker.worker import JsWorker, WorkerError, WorkerKilledError
import pywebworker.worker as pw
w = JsWorker("self.onmessage = (e) => { if (e.data === 'boom') Promise.reject(new TypeError('late ' + e.data)); self.postMessage(e.data); };")
await w.ready()
w.send_message("boom")
print("first:", await w.recv(timeout=10))
try:
    await w.recv(timeout=10)
except WorkerError as e:
    print("rejection:", e.remote_type, e.remote_message)
w.send_message("still running")
print("after:", await w.recv(timeout=10))
w.kill()

writer = JsWorker("self.onmessage = () => { for (let i = 0; ; i++) self.postMessage({i, blob: 'x'.repeat(400000)}); };")
bystander = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
await writer.ready(); await bystander.ready()
bystander.send_message("queued")
writer.send_message("go")
got = [await writer.recv(timeout=10) for _ in range(3)]
writer.kill()
got += [m.read() for m in writer.get_unread_messages()]
print("whole and in order:", [g["i"] for g in got[:3]], all(len(g["blob"]) == 400000 for g in got),
      [g["i"] for g in got] == list(range(len(got))))
try:
    writer.send_message("more")
except WorkerKilledError:
    print("send after kill: WorkerKilledError")
print("bystander:", await bystander.recv(timeout=10))
bystander.kill()

from pywebworker.worker import SettleError
twice = JsWorker("self.onmessage = (e) => { if (e.data === 'go') { self.postMessage('a'); self.postMessage('b'); } };")
await twice.ready()
try:
    await twice.recv(timeout=0.2)
except SettleError as e:
    print("timeout:", e)
waiting = [asyncio.ensure_future(twice.recv(timeout=10)) for _ in range(2)]
await asyncio.sleep(0.05)
twice.send_message("go")
print("two waiters:", sorted([await waiting[0], await waiting[1]]))
twice.kill()

for i in range(500):
    worker = JsWorker("self.onmessage = (e) => self.postMessage(e.data + 1);")
    await worker.ready()
    worker.send_message(i)
    assert await worker.recv(timeout=10) == i + 1
    worker.kill()
stats = await pw._runtime().runtimeStats()
for _ in range(100):
    if stats.liveLinks == 0:
        break
    await asyncio.sleep(0.05)
    stats = await pw._runtime().runtimeStats()
print("500 workers, live links:", stats.liveLinks)
`);
    assert.deepEqual(lines, [
      "first: boom", "rejection: TypeError late boom", "after: still running",
      "whole and in order: [0, 1, 2] True True", "send after kill: WorkerKilledError", "bystander: queued",
      "timeout: no message from the worker within 200 ms", "two waiters: ['a', 'b']", "500 workers, live links: 0",
    ]);
  });

  if (isolated) {
    test("isolated, shared only: overwritten channel memory is a ChannelCorruptError in Python; other workers go on", async () => {
      const lines = await runPython(true, `
import js
from pywebworker.worker import JsWorker, ChannelCorruptError
victim = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
other = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
await victim.ready(); await other.ready()
victim.send_message("before")
print("before:", await victim.recv(timeout=10))
other.send_message("queued for the other worker")
rt = victim._js._rt
js.Uint8Array.new(rt.memory.buffer, rt.glue.portIncomingRegion(victim._js._port), 192).fill(0xab)
try:
    await victim.recv(timeout=10)
except ChannelCorruptError as e:
    print("recv:", type(e).__name__, "kill() this worker" in str(e))
try:
    victim.send_message("after")
except ChannelCorruptError:
    print("send: ChannelCorruptError")
print("other:", await other.recv(timeout=10))
other.kill(); victim.kill()
`);
      assert.deepEqual(lines, ["before: before", "recv: ChannelCorruptError True", "send: ChannelCorruptError",
        "other: queued for the other worker"]);
    });
  }

  test(`${mode}: transport= in Python (${isolated ? "shared works" : "shared is an IsolationError"}), and the context manager`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import JsWorker, IsolationError
try:
    w = JsWorker("self.onmessage = (e) => self.postMessage(e.data);", transport="shared")
    print("shared:", w.transport)
    w.kill()
except IsolationError as e:
    print("IsolationError:", "Cross-Origin-Opener-Policy" in str(e))
try:
    JsWorker("", transport="pigeon")
except TypeError as e:
    print("TypeError:", e)
with JsWorker("self.onmessage = (e) => self.postMessage(e.data * 2);", transport="post") as w:
    w.send_message(21)
    print("inside:", w.transport, w.get_unread_messages()[0].read())
print("after:", w.state)
lazy = JsWorker("self.onmessage = (e) => self.postMessage(e.data + 1);")
lazy.send_message(1)
print("not started:", lazy.state, await lazy.recv(timeout=10))
lazy.kill()
`);
    assert.deepEqual(lines, [
      isolated ? "shared: shared" : "IsolationError: True",
      'TypeError: transport must be "auto", "shared" or "post", not "pigeon"',
      "inside: post 42", "after: killed", "not started: created 2",
    ]);
  });
}
