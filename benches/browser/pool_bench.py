"""WorkerPool benchmark, run by Pyodide on the page (benches/browser/pool.mjs); returns JSON.

- first reply: `acquire()` of a warm worker to its first answer, against creating a cold PyWorker
  (`snapshot=False`) and waiting for its first answer, and against a new PyWorker started from a
  memory snapshot (made by a first one, not counted), in turns with the cold ones;
- throughput: small tasks through a pool of 2, against a worker per task (each task starts its own
  PyWorker, as without a pool; measured on a few tasks, since each costs a Pyodide start-up).
"""

import json
import time

import js

from pywebworker.pool import WorkerPool
from pywebworker.worker import PyWorker

REPEATS = int(globals().get("REPEATS", 3))
TASKS = int(globals().get("TASKS", 1000))
COLD_TASKS = int(globals().get("COLD_TASKS", 3))


async def first_reply(snapshot=False, how="cold"):
    t0 = time.perf_counter()
    w = PyWorker("from pywebworker.inside import send\ndef onmessage(v):\n    send(eval(v))", snapshot=snapshot)
    w.send_message("1 + 1")
    assert await w.recv() == 2
    ms = (time.perf_counter() - t0) * 1000
    assert w.start_info["how"] == how, w.start_info
    w.kill()
    return ms


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
    pool_rates = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        tasks = [pool.submit("x = 2\nx * x") for _ in range(TASKS)]
        for t in tasks:
            assert await t == 4
        pool_rates.append(TASKS / (time.perf_counter() - t0))
    await pool.shutdown()
    await first_reply(True, "snapshot")  # the snapshot exists from here on (the pool's workers made it)
    cold, snapshot = [], []
    for _ in range(REPEATS):
        cold.append(await first_reply())
        snapshot.append(await first_reply(True, "snapshot"))
    t0 = time.perf_counter()
    for _ in range(COLD_TASKS):
        await first_reply()
    cold_rate = COLD_TASKS / (time.perf_counter() - t0)
    return json.dumps({"crossOriginIsolated": bool(js.crossOriginIsolated), "userAgent": str(js.navigator.userAgent),
                       "pool_start_ms": pool_start_ms, "warm_ms": warm, "cold_ms": cold, "snapshot_ms": snapshot,
                       "pool_rates": pool_rates, "cold_rate": cold_rate, "tasks": TASKS, "cold_tasks": COLD_TASKS, "repeats": REPEATS})

await main()
