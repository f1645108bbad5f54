"""A pool of PyWorkers started ahead of time, so that running Python in a worker does not wait
for Pyodide to start (about 2 s a worker).

    from pywebworker.pool import WorkerPool

    pool = WorkerPool(2, packages=["numpy"])     # the workers start in the background
    await pool.ready()                           # optional: wait until all are warm
    task = pool.submit("sum(range(10))")         # code: the value of its last expression
    print(await task)                            # 45
    print(await pool.map(square, [1, 2, 3]))     # a function is sent as its source
    async with pool.acquire() as lease:          # one warm worker for yourself
        print(await lease.run("import sys; sys.version"))
    await pool.shutdown()

A worker that dies (killed, out of memory, a fatal error) is replaced, and its task fails at once
with ``WorkerCrashedError``; one that ends while idle (``close()``) is replaced within 0.25 s.
Every worker tries to start; when none can (a package that does not load, a failing script), the
queued and later tasks and ``ready()`` fail with ``WorkerStartError``, which says why.
``task.cancel()`` raises ``KeyboardInterrupt`` in the task's Python on a cross-origin isolated page
(Pyodide's interrupt buffer) and the worker stays; elsewhere the worker is killed and replaced.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Callable, Iterable

from ._errors import (PoolClosedError, TaskCancelledError, TaskError, WorkerCrashedError, WorkerError,
                      WorkerExitedError, WorkerScriptError, WorkerStartError)
from ._tasks import Lease, Task, _Acquire
from ._tasks import function_source as _function_source
from .worker import PyWorker

__all__ = ["WorkerPool", "Task", "Lease", "TaskError", "TaskCancelledError", "WorkerCrashedError", "WorkerStartError",
           "PoolClosedError"]


# The states of a worker that will not run again.
_ENDED = ("killed", "exited", "failed")
# An idle slot checks this often (seconds) that its worker is still alive.
_IDLE_CHECK = 0.25
# A slot whose worker failed to start tries again only while tasks wait, after this many seconds
# times its failures so far, and gives up after _START_TRIES failures in a row: a start that keeps
# failing costs a Pyodide start-up each time. (When every slot has failed, nothing is retried.)
_RETRY_DELAY = 2.0
_START_TRIES = 3

# What every pool worker runs: tasks arrive as (id, kind, what, args) and the answer is
# (id, status, value); a function is defined once from its source, then called.
_RUNNER = '''
import traceback
from pyodide.code import eval_code
from pywebworker.inside import send

_namespace = {"__name__": "__task__"}
_functions = {}

def onmessage(task):
    task_id, kind, what, args = task
    try:
        if kind == "code":
            result = eval_code(what, _namespace)
        else:
            name, source = what
            fn = _functions.get(source)
            if fn is None:
                exec(compile(source, f"<task {name}>", "exec"), _namespace)
                fn = _functions[source] = _namespace[name]
            result = fn(*args)
        send((task_id, "ok", result))
    except KeyboardInterrupt:
        send((task_id, "cancelled", None))
    except BaseException as e:
        send((task_id, "error", [type(e).__name__, str(e), traceback.format_exc()]))
'''


class _Slot:
    """One place in the pool: its current worker (replaced when it dies) and what it runs."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.worker: PyWorker | None = None
        self.ready = False
        self.task: Task | None = None
        self.leased = False
        self.loop: asyncio.Future[Any] | None = None
        self.starting = False
        # Starts that failed in a row, the last one's error, and when it may try again.
        self.failures = 0
        self.start_error: Exception | None = None
        self.retry_at = 0.0


class WorkerPool:
    """``size`` PyWorkers started in the background (one after another, so that two cores are
    not shared by several Pyodide start-ups), each with ``packages`` loaded and ``env`` set
    before it takes tasks. ``on_progress(ready, size)`` is called as workers become ready."""

    def __init__(self, size: int = 2, *, packages: list[str] | tuple[str, ...] = (), env: dict[str, str] | None = None,
                 index_url: str | None = None, transport: str = "auto",
                 on_progress: Callable[[int, int], Any] | None = None, cancel_grace: float = 2.0) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self.size = size
        self._options = {"packages": list(packages), "env": dict(env or {}), "index_url": index_url,
                         "transport": transport}
        self._on_progress = on_progress
        self._cancel_grace = cancel_grace
        self._slots = [_Slot(i) for i in range(size)]
        self._queue: deque[Task] = deque()
        self._wakeup = asyncio.Event()
        self._closed = False
        # Set once no slot has a worker and the last start of every slot failed: from then on
        # tasks fail at once, since nothing would ever run them.
        self._broken = False
        self._all_ready = asyncio.get_event_loop().create_future()
        self._starter = asyncio.ensure_future(self._start_all())
        self.replaced = 0  # workers replaced after a crash or a cancellation

    # ---- Start-up ------------------------------------------------------------------------------

    async def _start_all(self) -> None:
        for slot in self._slots:
            if self._closed:
                return
            try:
                await self._start(slot)
            except Exception:
                pass  # kept on the slot; the next slots try all the same
            else:
                self._progress()
            # A slot whose start failed gets a loop too: it tries again while tasks wait.
            slot.loop = asyncio.ensure_future(self._serve(slot))
        if self._all_ready.done():
            return
        if any(s.failures for s in self._slots):
            self._all_ready.set_exception(self._start_failure())
            self._all_ready.exception()  # retrieved: ready() is optional, tasks get the error anyway
        else:
            self._all_ready.set_result(None)

    async def _start(self, slot: _Slot) -> None:
        slot.ready = False
        slot.starting = True
        try:
            worker = PyWorker(_RUNNER, **self._options)
            slot.worker = worker
            await worker.ready()
        except BaseException as e:
            slot.starting = False
            if isinstance(e, Exception) and not self._closed:
                slot.failures += 1
                slot.start_error = e
                slot.retry_at = asyncio.get_event_loop().time() + _RETRY_DELAY * slot.failures
                self._check_broken()
            raise
        slot.starting = False
        slot.failures = 0
        slot.start_error = None
        slot.ready = True

    def _check_broken(self) -> None:
        """Fails the queued tasks when no slot has a worker or is starting one and the last start
        of each failed: nothing would ever run them."""
        if self._broken or self._closed or any(s.ready or s.starting or not s.failures for s in self._slots):
            return
        self._broken = True
        queued = list(self._queue)
        self._queue.clear()
        for task in queued:
            task._fail(self._start_failure())
        if not self._all_ready.done():
            self._all_ready.set_exception(self._start_failure())
            self._all_ready.exception()
        self._wakeup.set()

    def _start_failure(self) -> WorkerStartError:
        """A new WorkerStartError (each task gets its own) saying why the workers could not start."""
        errors = [s.start_error for s in self._slots if s.failures and s.start_error is not None]
        reasons = "; ".join(dict.fromkeys(str(e) for e in errors))  # each different reason once
        if self._broken:
            message = (f"none of the pool's {self.size} workers could start, so no task can run: {reasons}. "
                       "Fix the cause (the pool's packages=, env= or index_url=, or what serves them) and create a new pool")
        else:
            message = (f"{len(errors)} of the pool's {self.size} workers could not start (the others run the tasks): "
                       f"{reasons}")
        error = WorkerStartError(message, errors)
        error.__cause__ = errors[0]
        return error

    def _progress(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.ready_count, self.size)

    @property
    def ready_count(self) -> int:
        """How many workers are warm."""
        return sum(1 for s in self._slots if s.ready)

    async def ready(self) -> None:
        """Waits until every worker has tried to start. Raises ``WorkerStartError`` when one could
        not (if others did, they still run the tasks)."""
        await asyncio.shield(self._all_ready)

    # ---- Tasks ---------------------------------------------------------------------------------

    def submit(self, what: str | Callable[..., Any], *args: Any) -> Task:
        """Runs ``what`` in a pool worker: Python code (the value of its last expression), or a
        function called with ``args`` (sent as its source: it must be self-contained). Returns a
        Task to await. TypeError at once for arguments that cannot be sent; a task of a pool whose
        workers could not start fails at once with ``WorkerStartError``."""
        if self._closed:
            raise PoolClosedError("the pool is shut down")
        if isinstance(what, str):
            if args:
                raise TypeError("code given as a string takes no arguments")
            task = Task(self, "code", what, ())
        else:
            task = Task(self, "call", _function_source(what), args)
        if self._broken:
            task._fail(self._start_failure())
            return task
        self._queue.append(task)
        self._wakeup.set()
        return task

    async def map(self, fn: Callable[..., Any], iterable: Iterable[Any]) -> list[Any]:
        """``fn`` on every item, in the pool's workers; the results in the items' order."""
        tasks = [self.submit(fn, item) for item in iterable]
        return [await t for t in tasks]

    async def _idle(self) -> None:
        self._wakeup.clear()
        try:
            await asyncio.wait_for(self._wakeup.wait(), _IDLE_CHECK)
        except asyncio.TimeoutError:
            pass

    async def _serve(self, slot: _Slot) -> None:
        """A slot's loop: keeps a worker (or tries to), takes queued tasks one at a time and runs them."""
        loop = asyncio.get_event_loop()
        while not self._closed and not self._broken:
            if slot.leased:
                await self._idle()
                continue
            if slot.failures:
                if slot.failures >= _START_TRIES:
                    return  # given up on; the other slots run the tasks
                # Tried again only when there is work, once the first starts are over (they go
                # one after another), and after a delay that grows with each failure.
                if self._queue and self._starter.done() and loop.time() >= slot.retry_at:
                    try:
                        await self._start(slot)
                    except Exception:
                        pass  # kept on the slot
                    else:
                        self._progress()
                    continue
                await self._idle()
                continue
            worker = slot.worker
            if worker is None or worker.state in _ENDED:
                # A worker that ended while idle (it called close(), or was killed) is replaced
                # now, not when the next task finds it gone.
                try:
                    await self._replace(slot)
                except Exception:
                    pass  # kept on the slot: it tries again while tasks wait, or the pool fails them
                continue
            if not self._queue:
                await self._idle()
                continue
            task = self._queue.popleft()
            await self._run_on(slot, task)

    async def _run_on(self, slot: _Slot, task: Task) -> None:
        """Runs one task on a slot's worker until it settles; replaces the worker if it died."""
        worker = slot.worker
        assert worker is not None
        slot.task = task
        task._slot = slot
        try:
            worker._js.clearInterrupt()  # an interrupt meant for an earlier task that had ended
            worker.send_message(task._message)
            while not task.done():
                try:
                    reply = await worker.recv()
                except WorkerScriptError:
                    raise
                except WorkerError as e:
                    if worker.state in ("running", "starting"):
                        continue  # a stray report (an interrupt that came after its task): keep waiting
                    raise
                if isinstance(reply, tuple) and len(reply) == 3 and reply[0] == task.id:
                    task._settle(reply[1], reply[2])
        except Exception as e:  # whatever it is, the task ends with an error instead of waiting
            if not task.done():
                if isinstance(e, WorkerExitedError) and not task._retried and not task._cancelled:
                    # The worker ended itself (close()) after its last task, before taking this
                    # one: it runs on the replacement.
                    task._retried = True
                    self._queue.appendleft(task)
                    self._wakeup.set()
                elif self._closed:
                    task._fail(PoolClosedError("the pool was shut down while the task ran"))
                elif task._cancelled:
                    task._fail(TaskCancelledError(f"task {task.id} was cancelled"))
                else:
                    task._fail(WorkerCrashedError(f"the worker running task {task.id} died ({e}); it was replaced",
                                                  getattr(e, "remote_type", None), getattr(e, "remote_message", None),
                                                  getattr(e, "remote_stack", None)))
            if not self._closed:
                try:
                    await self._replace(slot)
                except Exception:
                    pass  # kept on the slot: it tries again while tasks wait, or the pool fails them
        finally:
            slot.task = None
            task._slot = None

    async def _run_leased(self, slot: _Slot, task: Task) -> Any:
        await self._run_on(slot, task)
        return await task

    async def _replace(self, slot: _Slot) -> None:
        old = slot.worker
        if old is not None and old.state not in _ENDED:
            old.kill()
        self.replaced += 1
        slot.ready = False
        self._progress()
        await self._start(slot)
        self._progress()

    def _cancel(self, task: Task) -> None:
        if task in self._queue:
            self._queue.remove(task)
            task._fail(TaskCancelledError(f"task {task.id} was cancelled before it ran"))
            return
        slot = task._slot
        if slot is None or slot.worker is None:
            task._fail(TaskCancelledError(f"task {task.id} was cancelled"))
            return
        task._cancelled = True
        worker = slot.worker
        if worker.interrupt():
            # KeyboardInterrupt in the task; a task stuck outside Python gets its worker replaced.
            asyncio.get_event_loop().call_later(self._cancel_grace, self._kill_if_running, slot, task)
        else:
            worker.kill()  # the slot's loop sees the death and replaces the worker

    def _kill_if_running(self, slot: _Slot, task: Task) -> None:
        if slot.task is task and not task.done() and slot.worker is not None:
            slot.worker.kill()

    # ---- Leases --------------------------------------------------------------------------------

    def acquire(self) -> _Acquire:
        """``async with pool.acquire() as lease``: a warm worker for yourself until the block ends."""
        return _Acquire(self)

    async def _take_slot(self) -> _Slot:
        while True:
            if self._closed:
                raise PoolClosedError("the pool is shut down")
            for slot in self._slots:
                if slot.ready and not slot.leased and slot.task is None:
                    slot.leased = True
                    return slot
            if self._broken:
                raise self._start_failure()
            await asyncio.sleep(0.005)

    # ---- Shutdown ------------------------------------------------------------------------------

    async def shutdown(self, *, force: bool = False) -> None:
        """Graceful (default): queued and running tasks finish, then the workers stop. ``force``:
        queued tasks are cancelled, running ones fail with PoolClosedError, workers stop now."""
        if not force:
            while self._queue or any(s.task is not None for s in self._slots):
                await asyncio.sleep(0.01)
        self._closed = True
        for task in self._queue:
            task._fail(TaskCancelledError(f"task {task.id} was cancelled: the pool was shut down"))
        self._queue.clear()
        self._wakeup.set()
        for slot in self._slots:
            if slot.task is not None:
                slot.task._fail(PoolClosedError("the pool was shut down while the task ran"))
            if slot.worker is not None:
                slot.worker.kill()
            slot.ready = False
        self._starter.cancel()
        if not self._all_ready.done():
            self._all_ready.set_exception(PoolClosedError("the pool was shut down before it was ready"))
            self._all_ready.exception()  # retrieved: no "never retrieved" warning

    async def __aenter__(self) -> WorkerPool:
        await self.ready()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown(force=exc[0] is not None)


_default: WorkerPool | None = None


def default_pool(size: int | None = None, **options: Any) -> WorkerPool:
    """The page's shared pool, created (and started) by the first call."""
    global _default
    if _default is None or _default._closed:
        _default = WorkerPool(size or 2, **options)
    return _default


def _start_at_import() -> None:
    """Opt-in: ``os.environ["PYWEBWORKER_POOL"] = "2"`` before ``import pywebworker.pool`` starts the
    default pool of that size at import, so its workers warm up while the page does other work."""
    import os

    size = os.environ.get("PYWEBWORKER_POOL", "")
    if size:
        if not size.isdigit() or int(size) < 1:
            raise ValueError(f"PYWEBWORKER_POOL must be a number of workers, not {size!r}")
        default_pool(int(size))


_start_at_import()


# The classes defined in the package's private modules are shown under this, their public home.
for _cls in (Task, Lease, TaskError, TaskCancelledError, WorkerStartError, PoolClosedError):
    _cls.__module__ = __name__
del _cls
