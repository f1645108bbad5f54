"""The demo's PyWorkers that use the page (demo/index.html): one draws a picture into the page's
canvas through ``page.document`` (synchronously on a cross-origin isolated page, through
``page.async_`` on an ordinary one) and hears clicks on it; one runs a small calculator whose
``input()`` lines come from the page's input box (``stdin=``) and whose prints go to the page."""

import asyncio
import json
import time

from pywebworker.worker import PyWorker, WorkerError

DRAWER = r'''
import asyncio
from pywebworker.inside import page, expose, transport

W, H, CELL = 320, 200, 4
DEPTH = 48

def colours(y):
    """The colour of each cell of row y of a Mandelbrot set, computed in this worker."""
    out = []
    ci = -1.25 + y * 2.5 / H
    for x in range(0, W, CELL):
        cr = -2.3 + x * 3.5 / W
        zr = zi = 0.0
        n = 0
        while n < DEPTH and zr * zr + zi * zi < 4.0:
            zr, zi = zr * zr - zi * zi + cr, 2 * zr * zi + ci
            n += 1
        out.append("#0b1730" if n == DEPTH else f"hsl({200 + n * 7}, 80%, {25 + n}%)")
    return out

def runs(row):
    """Cells of one colour side by side, as (x, width, colour): one fillRect each."""
    start = 0
    for i in range(1, len(row) + 1):
        if i == len(row) or row[i] != row[start]:
            yield start * CELL, (i - start) * CELL, row[start]
            start = i

clicks = 0

async def on_click(event):
    """Runs in this worker when the canvas is clicked on the page (the event is an awaitable proxy
    on an ordinary page)."""
    global clicks
    clicks += 1
    if transport == "shared":
        page.document.getElementById("draw-status").textContent = (
            f"the worker heard click {clicks} at ({event.offsetX}, {event.offsetY})")
    else:
        status = await page.async_.document.getElementById("draw-status")
        status.textContent = f"the worker heard click {clicks} at ({await event.offsetX}, {await event.offsetY})"

@expose
def draw():
    """Draws with the page's canvas synchronously: each use of a page object waits for the page."""
    canvas = page.document.getElementById("art")
    ctx = canvas.getContext("2d")
    ops = 2
    for y in range(0, H, CELL):
        for x, width, colour in runs(colours(y)):
            ctx.fillStyle = colour
            ctx.fillRect(x, y, width, CELL)
            ops += 2
    canvas.addEventListener("click", on_click)
    page.document.getElementById("draw-status").textContent = "drawn by the worker; click the picture"
    return ops

@expose
async def draw_async():
    """The same through page.async_: assignments are sent in order, calls are awaited per row."""
    doc = page.async_.document
    canvas = await doc.getElementById("art")
    ctx = await canvas.getContext("2d")
    ops = 2
    for y in range(0, H, CELL):
        calls = []
        for x, width, colour in runs(colours(y)):
            ctx.fillStyle = colour
            calls.append(ctx.fillRect(x, y, width, CELL))
            ops += 2
        await asyncio.gather(*calls)
    await canvas.addEventListener("click", on_click)
    (await doc.getElementById("draw-status")).textContent = "drawn by the worker; click the picture"
    return ops
'''

CALCULATOR = r'''
import math
from pywebworker.inside import expose

@expose
def calculator():
    print("A calculator in a PyWorker: input() waits for a line from this page's box.")
    print("Type an expression (math's names work: sqrt(2), pi * 2), or an empty line to stop.")
    answered = 0
    while True:
        try:
            line = input(">>> ")
        except EOFError:
            break
        if not line.strip():
            break
        try:
            print(eval(line, {"__builtins__": {}}, vars(math)))
            answered += 1
        except Exception as e:
            print(f"{type(e).__name__}: {e}")
    print("bye")
    return answered
'''

_drawer: PyWorker | None = None


async def draw() -> str:
    """Starts the drawing worker (kept for clicks) and has it draw; JSON ``{ops, seconds, transport,
    mode}``."""
    global _drawer
    if _drawer is None or _drawer.state not in ("starting", "running"):
        _drawer = PyWorker(DRAWER)
        await asyncio.wait_for(_drawer.ready(), 120)
    shared = _drawer.transport == "shared"
    t0 = time.perf_counter()
    ops = await asyncio.wait_for(_drawer.api.draw() if shared else _drawer.api.draw_async(), 120)
    seconds = time.perf_counter() - t0
    return json.dumps({"ops": ops, "seconds": seconds, "transport": _drawer.transport,
                       "mode": "synchronous (page.document)" if shared else "awaitable (page.async_)"})


async def calculator(read_line, write) -> str:
    """Runs the calculator in a new PyWorker: ``read_line(prompt)`` (a JavaScript function of the
    page, returning a Promise of a line or null) answers its ``input()``, ``write(text)`` shows
    what it prints; JSON ``{answered, error}``."""

    async def stdin(prompt: str):
        write(prompt)
        line = await read_line(prompt)
        if line is not None:
            write(line + "\n")
        return line

    worker = PyWorker(CALCULATOR, stdin=stdin, stdout=lambda text: write(text + "\n"))
    try:
        await asyncio.wait_for(worker.ready(), 120)
        answered = await asyncio.wait_for(worker.api.calculator(), 600)
        return json.dumps({"answered": answered, "error": None})
    except WorkerError as e:
        write(f"{e.remote_type}: {e.remote_message}\n")
        return json.dumps({"answered": 0, "error": f"{e.remote_type}: {e.remote_message}"})
    finally:
        worker.kill()
