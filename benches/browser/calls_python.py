# A PyWorker's calls of the page's `echo` (benches/browser/calls.mjs): round trips of the blocking
# inside.call (the shared transport: the isolated page only) and of the awaited call_async,
# timed in the worker in groups of 20. Run on benches/browser/python.html with REPEATS and ROUNDS.
import asyncio
import json

import js
from pywebworker.worker import PyWorker

WORKER = """
import time
from pywebworker.inside import call, call_async, expose

PER = 20

def percentiles(samples):
    us = sorted(samples)
    return [us[len(us) // 2], us[min(len(us) - 1, int(0.99 * len(us)))]]

@expose
def sync_loop(x, rounds):
    for _ in range(200):
        call("echo", x)
    samples = []
    for _ in range(rounds // PER):
        t0 = time.perf_counter()
        for _ in range(PER):
            call("echo", x)
        samples.append((time.perf_counter() - t0) * 1e6 / PER)
    return percentiles(samples)

@expose
async def async_loop(x, rounds):
    for _ in range(200):
        await call_async("echo", x)
    samples = []
    for _ in range(rounds // PER):
        t0 = time.perf_counter()
        for _ in range(PER):
            await call_async("echo", x)
        samples.append((time.perf_counter() - t0) * 1e6 / PER)
    return percentiles(samples)
"""


async def main():
    w = PyWorker(WORKER, call_timeout=60)
    await asyncio.wait_for(w.ready(), 120)
    w.expose(lambda x: x, name="echo")
    loops = {"call()": w.api.sync_loop, "call_async()": w.api.async_loop} if js.crossOriginIsolated else {"call_async()": w.api.async_loop}
    rows = []
    for payload, x in (("number", 42), ("short str", "hello, page")):
        for impl, loop in loops.items():
            await asyncio.wait_for(loop(x, ROUNDS // 4), 120)  # not counted: the interpreter's warm-up
            runs = [await asyncio.wait_for(loop(x, ROUNDS), 120) for _ in range(REPEATS)]
            rows.append({"impl": f"PyWorker {impl}", "scenario": "worker -> page", "payload": payload,
                         "runs": [r[0] for r in runs], "p99": [r[1] for r in runs]})
    w.kill()
    return json.dumps({"rows": rows})

await main()
