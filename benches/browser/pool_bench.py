"""WorkerPool benchmark, run by Pyodide on the page (benches/browser/pool.mjs); returns JSON.

- first reply: `acquire()` of a warm worker to its first answer, against creating a cold PyWorker
  (`snapshot=False`) and waiting for its first answer, and against a new PyWorker started from a
  memory snapshot (made by a first one, not counted), in turns with the cold ones;
- the first reply of the hand-written way (a ``js.Worker`` that loads Pyodide itself, echoes.py);
- a replacement after a crash: a pool of 1 whose task takes its interpreter down, from the failed
  task to the answer of the next task (run by the replacement, started from the snapshot);
- memory: the wasm heap of a worker started cold and of one started from the snapshot;
- throughput: small tasks through a pool of 2, against a worker per task (each task starts its own
  PyWorker, as without a pool; measured on a few tasks, since each costs a Pyodide start-up) and
  against a hand-written pool (two ``js.Worker`` running Pyodide, ``postMessage``, one task in
  flight per worker, as workerpool and piscina do by default).
"""

import json
import time

import asyncio
import collections

import js
from echoes import INDEX_URL, Handwritten, object_
from pyodide.ffi import create_proxy, to_js

from pywebworker.pool import WorkerPool, WorkerCrashedError
from pywebworker.worker import PyWorker

REPEATS = int(globals().get("REPEATS", 3))
TASKS = int(globals().get("TASKS", 1000))
COLD_TASKS = int(globals().get("COLD_TASKS", 3))


# The heap of the worker's Pyodide (its wasm memory), in bytes.
HEAP = "import pyodide_js\nsend(pyodide_js._module.HEAPU8.length)"


async def first_reply(snapshot=False, how="cold", heaps=None):
    t0 = time.perf_counter()
    w = PyWorker("from pywebworker.inside import send\ndef onmessage(v):\n    exec(v) if v.startswith('import') else send(eval(v))",
                 snapshot=snapshot)
    w.send_message("1 + 1")
    assert await w.recv() == 2
    ms = (time.perf_counter() - t0) * 1000
    assert w.start_info["how"] == how, w.start_info
    if heaps is not None:
        w.send_message(HEAP)
        heaps.append(await w.recv())
    w.kill()
    return ms


async def handwritten_first_reply():
    t0 = time.perf_counter()
    w = Handwritten()
    await w.ready()
    w.send(2)
    assert await w.recv() == 2
    ms = (time.perf_counter() - t0) * 1000
    w.kill()
    return ms


# A stack overflow through C (eval): a RangeError that Pyodide takes as a fatal error.
OVERFLOW = """
import sys
sys.setrecursionlimit(10**7)
def f(n):
    return eval("f(n + 1)", {"f": f, "n": n})
f(0)
"""


async def replacements():
    """Per crash: from the failed task to the answer of the next one, run by the replacement."""
    pool = WorkerPool(1)
    assert await pool.submit("1 + 1") == 2
    times = []
    for _ in range(REPEATS):
        try:
            await pool.submit(OVERFLOW)
        except WorkerCrashedError:
            pass
        t0 = time.perf_counter()
        assert await pool.submit("6 * 7") == 42
        times.append((time.perf_counter() - t0) * 1000)
    stats = pool.stats()
    await pool.shutdown()
    return times, stats.replaced, stats.from_snapshot


TASK_WORKER = """
const { loadPyodide } = await import(%r + "pyodide.mjs");
const py = await loadPyodide({ indexURL: %r });
py.runPython(`
import js
from pyodide.code import eval_code
from pyodide.ffi import to_js

namespace = {}

def onmessage(event):
    task_id, code = event.data.to_py()
    js.postMessage(to_js([task_id, eval_code(code, namespace)]))

js.onmessage = onmessage
`);
postMessage("ready");
""" % (INDEX_URL, INDEX_URL)


class HandwrittenPool:
    """Two Workers running Pyodide; a queue of tasks, one in flight per worker."""

    def __init__(self, size=2):
        blob = js.Blob.new(to_js([TASK_WORKER]), object_({"type": "text/javascript"}))
        self.url = js.URL.createObjectURL(blob)
        self.queue = collections.deque()
        self.futures = {}
        self.next_id = 0
        self.idle = []
        self.starting = []
        self.workers = []
        self.proxies = []
        for _ in range(size):
            w = js.Worker.new(self.url, object_({"type": "module"}))
            started = asyncio.get_event_loop().create_future()
            proxy = create_proxy(lambda event, w=w, started=started: self.on_message(w, started, event))
            w.onmessage = proxy
            self.workers.append(w)
            self.proxies.append(proxy)
            self.starting.append(started)

    async def ready(self):
        await asyncio.gather(*self.starting)

    def on_message(self, w, started, event):
        if not started.done():
            started.set_result(None)
        else:
            task_id, result = event.data.to_py()
            self.futures.pop(task_id).set_result(result)
        if self.queue:
            w.postMessage(to_js(self.queue.popleft()))
        else:
            self.idle.append(w)

    def submit(self, code):
        task_id = self.next_id
        self.next_id += 1
        future = asyncio.get_event_loop().create_future()
        self.futures[task_id] = future
        if self.idle:
            self.idle.pop().postMessage(to_js([task_id, code]))
        else:
            self.queue.append([task_id, code])
        return future

    def close(self):
        for w in self.workers:
            w.terminate()
        for p in self.proxies:
            p.destroy()
        js.URL.revokeObjectURL(self.url)


async def pool_rate(pool):
    t0 = time.perf_counter()
    tasks = [pool.submit("x = 2\nx * x") for _ in range(TASKS)]
    for t in tasks:
        assert await t == 4
    return TASKS / (time.perf_counter() - t0)


async def main():
    pool = WorkerPool(2)
    t0 = time.perf_counter()
    await pool.ready()
    pool_start_ms = (time.perf_counter() - t0) * 1000
    warm = []
    for _ in range(REPEATS * 5):
        t0 = time.perf_counter()
        async with pool.acquire() as lease:
            assert await lease.run("1 + 1") == 2
        warm.append((time.perf_counter() - t0) * 1000)
    hand_pool = HandwrittenPool()
    await hand_pool.ready()
    pool_rates, hand_pool_rates = [], []
    for _ in range(REPEATS):  # in turns
        pool_rates.append(await pool_rate(pool))
        hand_pool_rates.append(await pool_rate(hand_pool))
    hand_pool.close()
    await pool.shutdown()
    await first_reply(True, "snapshot")  # the snapshot exists from here on (the pool's workers made it)
    cold, snapshot, handwritten = [], [], []
    cold_heap, snapshot_heap = [], []
    for _ in range(REPEATS):
        cold.append(await first_reply(heaps=cold_heap))
        snapshot.append(await first_reply(True, "snapshot", heaps=snapshot_heap))
        handwritten.append(await handwritten_first_reply())
    replaced_ms, replaced, replaced_from_snapshot = await replacements()
    t0 = time.perf_counter()
    for _ in range(COLD_TASKS):
        await first_reply()
    cold_rate = COLD_TASKS / (time.perf_counter() - t0)
    return json.dumps({"crossOriginIsolated": bool(js.crossOriginIsolated), "userAgent": str(js.navigator.userAgent),
                       "pool_start_ms": pool_start_ms, "warm_ms": warm, "cold_ms": cold, "snapshot_ms": snapshot,
                       "handwritten_ms": handwritten, "replaced_ms": replaced_ms, "replaced": replaced,
                       "replaced_from_snapshot": replaced_from_snapshot, "cold_heap": cold_heap,
                       "snapshot_heap": snapshot_heap, "pool_rates": pool_rates, "hand_pool_rates": hand_pool_rates, "cold_rate": cold_rate, "tasks": TASKS, "cold_tasks": COLD_TASKS, "repeats": REPEATS})

await main()
