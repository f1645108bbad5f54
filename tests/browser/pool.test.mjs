// WorkerPool (python/pywebworker/pool.py) with real Pyodide in headless Chromium, on an isolated
// page (shared rings; cancellation through Pyodide's interrupt buffer) and an ordinary one
// (postMessage; cancellation replaces the worker).
import { test } from "node:test";
import assert from "node:assert/strict";
import { runPython } from "./harness.mjs";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  test(`${mode}: a pool starts in the background, reports progress, runs code and functions in order`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.pool import WorkerPool, TaskError
progress = []
pool = WorkerPool(2, on_progress=lambda ready, size: progress.append((ready, size)))
print("at once:", pool.ready_count)
await pool.ready()
print("progress:", progress)
print("code:", await pool.submit("x = sum(range(10))\\nx * 2"))
print("code again:", [await pool.submit("n = 5\\nn + 1") for _ in range(3)], await pool.submit("z = 1;"), await pool.submit("w = 2"))
try:
    await pool.submit("def g(:")
except TaskError as e:
    print("syntax:", e.remote_type)

def square(x):
    return x * x

print("map:", await pool.map(square, range(12)))
try:
    await pool.submit("def f():\\n    return 1 / 0\\nf()")
except TaskError as e:
    print("error:", e.remote_type, e.remote_message, "in f" in e.remote_stack)
try:
    pool.submit(square, object())
except TypeError as e:
    print("TypeError:", "type object" in str(e))
async with pool.acquire() as lease:
    print("lease:", await lease.run("import sys; sys.version_info[0]"), await lease.call(square, 7))
await pool.shutdown()
print("after shutdown:", pool.ready_count)
`, "pool_test.py");
    assert.deepEqual(lines, [
      "at once: 0", "progress: [(1, 2), (2, 2)]", "code: 90", "code again: [6, 6, 6] None None", "syntax: SyntaxError",
      `map: ${JSON.stringify(Array.from({ length: 12 }, (_, i) => i * i)).replaceAll(",", ", ")}`,
      "error: ZeroDivisionError division by zero True", "TypeError: True", "lease: 3 49", "after shutdown: 0",
    ]);
  });

  test(`${mode}: a worker that dies is replaced and its task fails at once; cancellation ${isolated ? "interrupts" : "replaces"}`, async () => {
    const lines = await runPython(isolated, `
import asyncio
from pywebworker.pool import WorkerPool, WorkerCrashedError, TaskCancelledError
pool = WorkerPool(2)
await pool.ready()
doomed = pool.submit("while True: pass")
await asyncio.sleep(0.3)
doomed.worker.kill()  # as a crash would end it
try:
    await doomed
except WorkerCrashedError as e:
    print("crash:", type(e).__name__)
print("replaced:", pool.replaced, "then:", await pool.submit("6 * 7"))
print("exits:", await pool.submit("import js\\njs.close()"))  # the worker ends after its task
for _ in range(100):  # replaced while idle, without a task to find it gone
    if pool.replaced == 2:
        break
    await asyncio.sleep(0.05)
print("replaced while idle:", pool.replaced)
print("after:", [await pool.submit(f"{i} * 10") for i in range(4)])
spin = pool.submit("import time\\nwhile True: time.sleep(0.001)")
await asyncio.sleep(0.5)
spin.cancel()
try:
    await spin
except TaskCancelledError:
    print("cancelled")
print("replaced after cancel:", pool.replaced, "then:", await pool.submit("'still working'"))
await pool.shutdown()
`);
    assert.deepEqual(lines, [
      "crash: WorkerCrashedError", "replaced: 1 then: 42", "exits: None", "replaced while idle: 2", "after: [0, 10, 20, 30]", "cancelled",
      `replaced after cancel: ${isolated ? 2 : 3} then: still working`,
    ]);
  });

  test(`${mode}: the opt-in default pool starts at import when PYWEBWORKER_POOL is set`, async () => {
    const lines = await runPython(isolated, `
import os
os.environ["PYWEBWORKER_POOL"] = "1"
import pywebworker.pool as pool_module
pool = pool_module.default_pool()
print("started at import:", pool is pool_module._default, pool.size)
print("task:", await pool.submit("'warm'"))
await pool.shutdown()
os.environ["PYWEBWORKER_POOL"] = "many"
import importlib
try:
    importlib.reload(pool_module)
except ValueError as e:
    print("ValueError:", e)
`);
    assert.deepEqual(lines, ["started at import: True 1", "task: warm",
      "ValueError: PYWEBWORKER_POOL must be a number of workers, not 'many'"]);
  });

  test(`${mode}: shutdown lets queued tasks finish; a forced one cancels them and fails the running ones`, async () => {
    const lines = await runPython(isolated, `
import asyncio
from pywebworker.pool import WorkerPool, TaskCancelledError, PoolClosedError
pool = WorkerPool(1)
await pool.ready()
tasks = [pool.submit(f"{i} + 100") for i in range(5)]
await pool.shutdown()
print("graceful:", [t.result() for t in tasks])
try:
    pool.submit("1")
except PoolClosedError:
    print("submit after shutdown: PoolClosedError")
pool = WorkerPool(1)
await pool.ready()
running = pool.submit("while True: pass")
queued = [pool.submit("1") for _ in range(3)]
await asyncio.sleep(0.3)
await pool.shutdown(force=True)
for t in [running] + queued:
    try:
        await t
    except (TaskCancelledError, PoolClosedError) as e:
        print(type(e).__name__)
`);
    assert.deepEqual(lines, [
      "graceful: [100, 101, 102, 103, 104]", "submit after shutdown: PoolClosedError",
      "PoolClosedError", "TaskCancelledError", "TaskCancelledError", "TaskCancelledError",
    ]);
  });
}
