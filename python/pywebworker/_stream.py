"""``pool.stream(gen_fn, *args)``: a generator function run in a pool worker, read as an async
iterator of what it yields, as it yields.

The stream takes a worker for itself (as ``pool.acquire()`` does) and sends it ("stream", the
function, its arguments, ``window``): the worker's runner sends ``window`` items, then waits, and
sends as many more as the page has read each time the page says so ("more", n), so no more than
``window`` items are ever unread (back-pressure, on both transports: the worker does not block,
it waits for the next message). Leaving the ``async for`` early sends ("close"): the generator
is closed in the worker (its ``finally`` runs) and the worker goes back to the pool.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from ._tasks import Task, function_source

if TYPE_CHECKING:
    from .pool import WorkerPool


def stream(pool: WorkerPool, gen_fn: Callable[..., Any], args: tuple[Any, ...], window: int) -> AsyncIterator[Any]:
    """Checks what can be checked at once (TypeError, ValueError), then returns the iterator."""
    if type(window) is not int or window < 1:
        raise ValueError(f"window is a number of items from 1, not {window!r}")
    what = function_source(gen_fn)
    if not inspect.isgeneratorfunction(gen_fn):
        raise TypeError(f"stream() runs a generator function (one that yields), and {what[0]}() is not one: "
                        "use submit() for a function that returns")
    task = Task(pool, "stream", what, list(args), window)  # TypeError now for arguments that cannot be sent
    return _items(pool, task, window)


async def _items(pool: WorkerPool, task: Task, window: int) -> AsyncIterator[Any]:
    slot = await pool._take_slot()
    ended = False
    try:
        worker = slot.worker
        assert worker is not None
        task._slot = slot
        worker._send_encoded(task._encoded)
        unacknowledged = 0
        while True:
            try:
                reply = await worker.recv()
            except Exception as e:
                ended = True
                task._fail(e)
                await pool._died(slot, e)
                await task  # raises what ended the stream (WorkerCrashedError...)
                return
            if not (isinstance(reply, tuple) and len(reply) == 3 and reply[0] == task.id):
                continue  # what a task before the stream left
            status, value = reply[1], reply[2]
            if status == "item":
                unacknowledged += 1
                if unacknowledged * 2 >= window:
                    worker.send_message((task.id, "more", unacknowledged, [], None))
                    unacknowledged = 0
                yield value
            elif status == "end":
                ended = True
                task._settle("ok", None)
                return
            else:
                ended = True
                task._settle(status, value)
                await task  # raises the generator's error as TaskError (or TypeError, TaskCancelledError)
                return
    finally:
        if not ended:
            task._settle("ok", None)  # left early by its reader: counted as done
            if slot.worker is not None and slot.worker.state == "running":
                try:
                    slot.worker.send_message((task.id, "close", None, [], None))
                except Exception:
                    pass  # the worker is gone: the pool replaces it
        task._slot = None
        slot.leased = False
        pool._wakeup.set()

