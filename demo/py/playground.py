"""The Python behind the demo page (demo/index.html): runs the code typed on the page in a
PyWorker (without a script a PyWorker runs each message as Python and replies with what it
printed), and measures echo throughput live, through a PyWorker and, to compare, through a
plain ``postMessage`` worker (benches/browser/echoes.py), and runs sympy work in a pool against
the same work on the page (demo/py/sympy_work.py); its workers that use the page (drawing,
input()) are in demo/py/page_demo.py."""

import asyncio
import json
import time

import js
from echoes import Handwritten, Ours
from page_demo import calculator, draw  # noqa: F401  (called by the page)

from pywebworker.worker import PyWorker, WorkerError

PAYLOAD = "0123456789abcdef"  # 16 bytes of text per message
WINDOW = 100  # messages in flight before the page reads the replies
TICK = 0.1  # seconds of measuring between two points of the chart

_workers: dict[str, PyWorker] = {}


def transport_reason(transport: str) -> str:
    """Why a worker uses the transport it does, in words for the page."""
    if transport == "shared":
        return "the page is cross-origin isolated: messages cross lock-free rings in shared memory"
    if js.crossOriginIsolated:
        return "postMessage was chosen on the page, which is cross-origin isolated (shared memory is available)"
    return ("the page is not cross-origin isolated (served without COOP/COEP headers), so workers cannot "
            "share memory: messages travel by batched postMessage")


async def run(code: str, transport: str = "auto") -> str:
    """Runs ``code`` in the PyWorker kept for ``transport`` (started on first use); returns JSON:
    ``{ok, reply, ms, transport, reason}``, the reply being what the code printed or the error."""
    worker = _workers.get(transport)
    if worker is None or worker.state not in ("created", "starting", "running"):
        worker = _workers[transport] = PyWorker(transport=transport)
        await worker.ready()
    t0 = time.perf_counter()
    worker.send_message(code)
    try:
        reply, ok = await worker.recv(timeout=60), True
    except WorkerError as e:
        reply, ok = f"{e.remote_type or type(e).__name__}: {e.remote_message or e}", False
    ms = (time.perf_counter() - t0) * 1000
    return json.dumps({"ok": ok, "reply": reply, "ms": ms, "transport": worker.transport,
                       "reason": transport_reason(worker.transport)})


async def measure(kind: str, seconds: float, tick, transport: str = "auto") -> str:
    """Echoes 16-byte strings for ``seconds`` of measuring through ``kind`` ("pywebworker" or
    "postMessage"), calling ``tick(seconds_so_far, messages_per_second)`` every 0.1 s (the pauses
    that let the page draw are not counted); returns JSON ``{kind, transport, messages, seconds,
    rate, wrong}``, ``wrong`` counting replies that differ from what was sent."""
    worker = Ours(transport) if kind == "pywebworker" else Handwritten()
    try:
        await worker.ready()
        busy = window_time = 0.0
        total = window_count = wrong = 0
        while busy < seconds:
            t0 = time.perf_counter()
            for _ in range(WINDOW):
                worker.send(PAYLOAD)
            for _ in range(WINDOW):
                wrong += await worker.recv() != PAYLOAD
            elapsed = time.perf_counter() - t0
            busy += elapsed
            window_time += elapsed
            total += WINDOW
            window_count += WINDOW
            if window_time >= TICK:
                tick(busy, window_count / window_time)
                window_time, window_count = 0.0, 0
                await asyncio.sleep(0.01)
        used = worker.worker.transport if kind == "pywebworker" else "postMessage"
        return json.dumps({"kind": kind, "transport": used, "messages": total, "seconds": busy,
                           "rate": total / busy, "wrong": wrong})
    finally:
        worker.kill()


async def sympy_compare() -> str:
    """sympy and mpmath work done by ``pool.map`` in a pool of two workers, then on this page
    (``sympy_work.compare``), as JSON for the page."""
    from sympy_work import compare

    return json.dumps(await compare(2))
