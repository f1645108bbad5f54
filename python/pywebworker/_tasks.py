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

    def __init__(self, pool: WorkerPool, kind: str, what: Any, args: Any, extra: Any = None,
                 timeout: float | None = None) -> None:
        self.id = next(_ids)
        self._pool = pool
        try:
            self._encoded = encode((self.id, kind, what, args, extra))  # TypeError now, naming what cannot be sent
        except TypeError as e:
            raise _unsendable(what, args, extra, e) from None
        if timeout is not None and not timeout > 0:
            raise ValueError(f"a task's timeout is a number of seconds above 0, not {timeout!r}")
        self.timeout = timeout
        self._future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
        self._slot: _Slot | None = None
        self._cancelled = False  # cancel() asked while it ran
        self._timed_out = False  # its deadline passed while it ran
        self._kill_reason: str | None = None  # why its worker was killed, when it was
        self._retried = False
        self._started: float | None = None  # when its worker began it (the page's clock)
        self._deadline: asyncio.TimerHandle | None = None

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
            self._pool._count(None)
        elif status == "cancelled":
            self._fail(TaskCancelledError(f"task {self.id} was cancelled"))
        elif status == "unsendable":
            self._fail(TypeError(f"the value task {self.id} returned cannot be sent back to the page: {value}. Return "
                                 "what pywebworker can send (str, bytes, numbers, lists, tuples, dicts with str keys...)"))
        else:
            name, message, stack = value
            self._fail(TaskError(f"the task raised {name}: {message}", name, message, stack))

    def _fail(self, error: Exception) -> None:
        if not self._future.done():
            self._future.set_exception(error)
            self._pool._count(error)


def _unsendable(what: Any, args: Any, extra: Any, error: TypeError) -> TypeError:
    """The TypeError for a task whose arguments cannot be sent, naming the argument."""
    name = f"{what[0]}()" if isinstance(what, tuple) else "the task"
    values = [("argument", i + 1, a) for i, a in enumerate(args)] + [
        ("keyword argument", k, v) for k, v in (extra.items() if isinstance(extra, dict) else ())]
    for label, where, value in values:
        try:
            encode(value)
        except TypeError as e:
            return TypeError(f"{label} {where} of {name} cannot be sent to a worker: {e}")
    return TypeError(f"{name} cannot be sent to a worker: {error}")


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
        return await self._pool._run_leased(self._slot, Task(self._pool, "code", code, []))

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Calls a function (sent as its source) in this worker."""
        return await self._pool._run_leased(self._slot, Task(self._pool, "call", function_source(fn), list(args)))


def function_source(fn: Callable[..., Any]) -> tuple[str, str]:
    """The name and the source of ``fn``: a function travels to a worker as its source, so it must
    be a function defined with ``def`` whose source can be found and that uses nothing of the
    function around it. Anything else is a TypeError that says why."""
    if isinstance(fn, str):
        raise TypeError("code given as a string takes no arguments")
    if inspect.ismethod(fn):
        raise TypeError(f"{fn.__qualname__}() is a method: it cannot be sent to a worker without its object. "
                        "Send a function defined with def, and its data as arguments")
    if not inspect.isfunction(fn):
        raise TypeError(f"a task is code (a str) or a function defined with def, not {fn!r}")
    name = fn.__name__
    if name == "<lambda>":
        raise TypeError("a lambda cannot be sent to a worker: a function travels as its source, and a lambda's "
                        "is part of another statement. Define it with def (self-contained, its imports inside)")
    free = fn.__code__.co_freevars
    if free:
        raise TypeError(f"{name}() cannot be sent to a worker: it uses {', '.join(free)} of the function that "
                        "defines it (a closure), and only its source travels. Pass them as arguments")
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
