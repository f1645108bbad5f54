"""What a pool hands out: a ``Task`` (a submitted piece of work, awaited for its value) and a
``Lease`` (a warm worker for one's own use, from ``async with pool.acquire()``).

Neither runs anything itself: the pool (``pywebworker.pool``) decides where and when a task runs,
settles it with its worker's reply or fails it with the error that ended it, and keeps a leased
worker alive. A task's message is encoded once when the task is made, so what cannot be sent is a
``TypeError`` at ``submit``, before anything is queued.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import textwrap
from typing import TYPE_CHECKING, Any, Callable

from ._codec import encode
from ._errors import TaskCancelledError, TaskError

if TYPE_CHECKING:
    from .pool import WorkerPool, _Slot
    from .worker import PyWorker

_ids = itertools.count(1)


class Task:
    """A submitted task: ``await task`` for its value; ``cancel()``; ``done()``."""

    def __init__(self, pool: WorkerPool, kind: str, what: Any, args: tuple[Any, ...]) -> None:
        self.id = next(_ids)
        self._pool = pool
        self._message = (self.id, kind, what, list(args))
        encode(self._message)  # TypeError now, naming what cannot be sent
        self._future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
        self._slot: _Slot | None = None
        self._cancelled = False
        self._retried = False

    def __await__(self):  # type: ignore[no-untyped-def]
        return self._future.__await__()

    def done(self) -> bool:
        return self._future.done()

    @property
    def worker(self) -> PyWorker | None:
        """The worker running the task now (None while queued or once done)."""
        return self._slot.worker if self._slot is not None else None

    def result(self) -> Any:
        return self._future.result()

    def cancel(self) -> bool:
        """Cancels the task: a queued one never runs; a running one gets KeyboardInterrupt (or its
        worker is replaced). Awaiting it then raises TaskCancelledError. False if already done."""
        if self._future.done():
            return False
        self._pool._cancel(self)
        return True

    def _settle(self, status: str, value: Any) -> None:
        if self._future.done():
            return
        if status == "ok":
            self._future.set_result(value)
        elif status == "cancelled":
            self._future.set_exception(TaskCancelledError(f"task {self.id} was cancelled"))
        else:
            name, message, stack = value
            self._future.set_exception(TaskError(f"the task raised {name}: {message}", name, message, stack))

    def _fail(self, error: Exception) -> None:
        if not self._future.done():
            self._future.set_exception(error)


class Lease:
    """A warm worker taken from the pool with ``async with pool.acquire() as lease``."""

    def __init__(self, pool: WorkerPool, slot: _Slot) -> None:
        self._pool = pool
        self._slot = slot

    @property
    def worker(self) -> PyWorker:
        assert self._slot.worker is not None
        return self._slot.worker

    async def run(self, code: str) -> Any:
        """Runs Python code in this worker; the value of its last expression."""
        return await self._pool._run_leased(self._slot, Task(self._pool, "code", code, ()))

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Calls a function (sent as its source) in this worker."""
        return await self._pool._run_leased(self._slot, Task(self._pool, "call", function_source(fn), args))


def function_source(fn: Callable[..., Any]) -> tuple[str, str]:
    """The name and the source of ``fn``: a function travels to a worker as its source."""
    name = getattr(fn, "__name__", "")
    if not callable(fn) or not name.isidentifier():
        raise TypeError(f"submit() takes code (a str) or a named function, not {fn!r}")
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        raise TypeError(f"the source of {name}() cannot be found, and a function travels to a worker as its "
                        "source: define it in a module or file, or submit code as a string") from None
    return name, source


class _Acquire:
    """``pool.acquire()``: takes a warm worker from the pool on entry and gives it back on exit."""

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self._slot: _Slot | None = None

    async def __aenter__(self) -> Lease:
        self._slot = await self._pool._take_slot()
        return Lease(self._pool, self._slot)

    async def __aexit__(self, *exc: object) -> None:
        if self._slot is not None:
            self._slot.leased = False
            self._pool._wakeup.set()
