"""``pool.executor()``: a ``concurrent.futures.Executor`` whose calls run in the pool's workers.

Pyodide has no threads, so a future's ``result()`` cannot block the way it does elsewhere: it
waits with ``run_sync`` where Python can suspend (JSPI, code run by ``runPythonAsync``) and
otherwise raises ``RuntimeError`` saying to ``await asyncio.wrap_future(future)``. Pyodide's event
loop runs ``run_in_executor`` calls on the page whatever the executor; ``executor()`` makes the
running loop send the calls given this executor to the pool instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ._errors import PoolClosedError

if TYPE_CHECKING:
    from ._tasks import Task
    from .pool import WorkerPool


class PoolFuture(concurrent.futures.Future):  # type: ignore[type-arg]
    """The future of a call submitted to a ``PoolExecutor``: settled with its task."""

    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task
        task._future.add_done_callback(self._copy)

    def _copy(self, source: asyncio.Future[Any]) -> None:
        if self.done():
            return
        if source.cancelled():
            super().cancel()
            self.set_running_or_notify_cancel()
        elif source.exception() is not None:
            self.set_exception(source.exception())
        else:
            self.set_result(source.result())

    def cancel(self) -> bool:
        if self.done():
            return False
        self._task.cancel()
        return super().cancel()

    def _wait(self, timeout: float | None) -> None:
        if self.done():
            return
        from pyodide.ffi import can_run_sync, run_sync  # type: ignore[import-not-found]

        if not can_run_sync():
            raise RuntimeError("this future's result() cannot wait here: Pyodide has no threads to block, and this "
                               "Python cannot suspend (no JSPI, or not run by runPythonAsync). Await it instead: "
                               "await asyncio.wrap_future(future)")
        run_sync(asyncio.wait([self._task._future], timeout=timeout))
        if not self.done():
            raise concurrent.futures.TimeoutError(f"the call did not end within {timeout} s")

    def result(self, timeout: float | None = None) -> Any:
        self._wait(timeout)
        return super().result(0)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._wait(timeout)
        return super().exception(0)


class PoolExecutor(concurrent.futures.Executor):
    """Runs calls in a ``WorkerPool``'s workers (a function travels as its source, as with
    ``pool.submit``). ``shutdown()`` stops taking calls; the pool itself stays."""

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self._shut = False
        self._futures: list[PoolFuture] = []  # not done yet, for shutdown(cancel_futures=True)
        _route_run_in_executor(asyncio.get_event_loop())

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> PoolFuture:
        if self._shut:
            raise PoolClosedError("this executor is shut down")
        return self._keep(PoolFuture(self._pool._submit("call", fn, args, kwargs or None, None)))

    def _keep(self, future: PoolFuture) -> PoolFuture:
        self._futures = [f for f in self._futures if not f.done()]
        self._futures.append(future)
        return future

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: float | None = None,
            chunksize: int = 1) -> Iterator[Any]:
        """As ``Executor.map``: ``chunksize`` calls travel and run as one task. Its results are read
        with ``result()``, which waits where Python can suspend; elsewhere use ``pool.map``."""
        if chunksize < 1:
            raise ValueError(f"chunksize is a number of calls from 1, not {chunksize!r}")
        calls = [list(a) for a in zip(*iterables)]
        if self._shut:
            raise PoolClosedError("this executor is shut down")
        futures = [self._keep(PoolFuture(self._pool._submit("chunk", fn, calls[i:i + chunksize], None, None)))
                   for i in range(0, len(calls), chunksize)]

        def results() -> Iterator[Any]:
            for future in futures:
                yield from future.result(timeout)

        return results()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shut = True
        if cancel_futures:
            for future in self._futures:
                future.cancel()
        self._futures.clear()


def _route_run_in_executor(loop: asyncio.AbstractEventLoop) -> None:
    """Makes ``loop.run_in_executor(executor, fn, *args)`` submit to a PoolExecutor (Pyodide's loop
    would call ``fn`` on the page); other executors are left to the loop as before."""
    original = loop.run_in_executor
    if getattr(original, "_pywebworker", False):
        return

    @functools.wraps(original)
    def run_in_executor(executor: Any, func: Callable[..., Any], *args: Any) -> Any:
        if isinstance(executor, PoolExecutor):
            return asyncio.wrap_future(executor.submit(func, *args), loop=loop)
        return original(executor, func, *args)

    run_in_executor._pywebworker = True  # type: ignore[attr-defined]
    loop.run_in_executor = run_in_executor  # type: ignore[method-assign]
