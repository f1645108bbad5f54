"""Python echo benchmark, run by Pyodide on the page (benches/browser/python.mjs): Pyodide on the
page <-> Pyodide in a worker, through PyWorker and through the hand-written way (a ``js.Worker``
whose own Pyodide echoes with ``postMessage``, ``create_proxy`` onmessage handlers on both
sides; benches/browser/echoes.py), in the same page. Returns a JSON report; not a test."""

import json
import time

import js
from echoes import Handwritten, Ours

REPEATS = int(globals().get("REPEATS", 3))
COUNT = int(globals().get("COUNT", 4000))  # echoes per throughput run
WINDOW = 500  # messages in flight: sent, then received, before the next window
ROUNDS = int(globals().get("ROUNDS", 1000))  # round trips per latency run
WARMUP = int(globals().get("WARMUP", 100_000))  # echoes before the first measured run, for each worker

PAYLOADS = {
    "16 B str": "0123456789abcdef",
    "small dict": {"id": 7, "op": "add", "args": [1.5, 2, "x"]},
    **{f"{label} bytes": bytes(range(256)) * (n // 256) or bytes(n)
       for label, n in (("16 B", 16), ("256 B", 256), ("1 KiB", 1024), ("64 KiB", 65536), ("1 MiB", 1 << 20))},
}


def count_for(payload):
    """Echoes per throughput run: fewer for large payloads, so each run moves at most 64 MiB."""
    size = len(payload) if isinstance(payload, bytes) else 16
    return max(20, min(COUNT, (64 << 20) // max(size, 1) // 2))


async def throughput(w, payload, count):
    window = min(WINDOW, count)
    t0 = time.perf_counter()
    for _ in range(0, count, window):
        for _ in range(window):
            w.send(payload)
        for _ in range(window):
            await w.recv()
    return count / (time.perf_counter() - t0)


async def round_trips(w, payload, rounds):
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        w.send(payload)
        await w.recv()
        times.append((time.perf_counter() - t0) * 1e6)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99)]


async def start(make):
    """A started, checked and warmed-up echo worker, and its start time in ms."""
    w = make()
    t0 = time.perf_counter()
    await w.ready()
    start_ms = (time.perf_counter() - t0) * 1000
    back = []
    for payload in PAYLOADS.values():  # warm-up, and a check that the echo is right
        w.send(payload)
        back.append(await w.recv())
    assert back == list(PAYLOADS.values()), back
    # Warm-up, not counted, in runs like the measured ones: V8 compiles Pyodide's hot wasm functions
    # with its optimizing tier only after they have run a while, in the page's Pyodide and again in
    # each worker's (a PyWorker echoes 60-150 k 16 B str/s before, 250-320 k after); and the first
    # runs after one long one were slow for a while (pauses on both threads of this 2-core machine).
    for _ in range(max(1, WARMUP // COUNT)):
        await throughput(w, PAYLOADS["16 B str"], COUNT)
    return w, {"start_ms": start_ms, "throughput": {}, "rt": {}}


async def main():
    # Both workers run side by side and take turns, payload by payload, so that each ratio compares
    # runs made seconds apart (this machine's speed changes by up to a half from one minute to the
    # next). Each turn starts with a run that is not counted: a run that follows the other
    # worker's, or a pause, is often a third as fast (V8's work in the background after the other
    # worker's run takes a core), for either way of echoing.
    impls = {"pywebworker": Ours, "handwritten": Handwritten}
    workers, out = {}, {}
    for name, make in impls.items():
        workers[name], out[name] = await start(make)
    for i, (payload_name, payload) in enumerate(PAYLOADS.items()):
        for name in list(workers)[:: 1 if i % 2 == 0 else -1]:  # which goes first turns too
            w = workers[name]
            await throughput(w, payload, count_for(payload))
            out[name]["throughput"][payload_name] = [await throughput(w, payload, count_for(payload)) for _ in range(REPEATS)]
    for name, w in workers.items():
        await round_trips(w, PAYLOADS["16 B str"], ROUNDS // 4)
        out[name]["rt"]["16 B str"] = [await round_trips(w, PAYLOADS["16 B str"], ROUNDS) for _ in range(REPEATS)]
    for w in workers.values():
        w.kill()
    out["pywebworker"]["transport"] = "shared" if js.crossOriginIsolated else "post"
    return json.dumps({**out, "crossOriginIsolated": bool(js.crossOriginIsolated), "userAgent": str(js.navigator.userAgent),
                       "count": COUNT, "window": WINDOW, "rounds": ROUNDS, "repeats": REPEATS,
                       "warmup": WARMUP})

await main()
