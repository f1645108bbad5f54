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
``task.cancel()`` and a task's ``timeout=`` raise ``KeyboardInterrupt`` in the task's Python on a
cross-origin isolated page (Pyodide's interrupt buffer) and the worker stays; elsewhere, or when
the task does not stop within ``cancel_grace``, the worker is killed and replaced. Each worker
holds up to ``pipeline`` tasks at once (``_dispatch.py``); ``stream()`` runs a generator
(``_stream.py``), ``executor()`` is a ``concurrent.futures.Executor`` (``_executor.py``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, AsyncIterator, Callable, Iterable

from ._dispatch import _RETRY_DELAY, _Dispatch, _Slot
from ._errors import (PoolClosedError, QueueFullError, TaskCancelledError, TaskError, TaskTimeoutError,
                      WorkerCrashedError, WorkerStartError)
from ._stats import PoolStats, check_options, from_snapshot
from ._tasks import Lease, Task, _Acquire
from ._tasks import function_source as _function_source
from .worker import PyWorker

__all__ = ["WorkerPool", "Task", "Lease", "PoolStats", "TaskError", "TaskCancelledError", "TaskTimeoutError",
           "QueueFullError", "WorkerCrashedError", "WorkerStartError", "PoolClosedError"]


# What every pool worker runs: tasks arrive as (id, kind, what, args, extra) and each answer is
# (id, status, value); a function is defined once from its source, then called; code is compiled
# once per text, not at each task, and answers the value of its last expression. A stream's
# generator sends `extra` items, then `n` more at each ("more", n) the page sends.
_RUNNER = '''
import ast
import traceback
from pywebworker.inside import send

_namespace = {"__name__": "__task__"}
_functions = {}
_codes = {}
_streams = {}

def _compiled(source):
    """The code of its statements and that of its last expression (None when it ends with a
    statement or a semicolon), compiled once per text."""
    codes = _codes.get(source)
    if codes is None:
        tree = ast.parse(source, "<exec>")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(";"):
            last = compile(ast.Expression(tree.body.pop().value), "<exec>", "eval")
        if len(_codes) >= 256:
            _codes.clear()
        codes = _codes[source] = (compile(tree, "<exec>", "exec"), last)
    return codes

def _run_code(source):
    body, last = _compiled(source)
    exec(body, _namespace)
    return None if last is None else eval(last, _namespace)

def _function(what):
    name, source = what
    fn = _functions.get(source)
    if fn is None:
        exec(compile(source, f"<task {name}>", "exec"), _namespace)
        fn = _functions[source] = _namespace[name]
    return fn

def _answer(task_id, status, value):
    try:
        send((task_id, status, value))
    except TypeError as e:  # a value pywebworker cannot send
        send((task_id, "unsendable", str(e)))
        return False
    return True

def _failed(task_id, e):
    if isinstance(e, KeyboardInterrupt):
        send((task_id, "cancelled", None))
    else:
        send((task_id, "error", [type(e).__name__, str(e), traceback.format_exc()]))

def _pump(task_id, n):
    gen = _streams.get(task_id)
    try:
        for _ in range(n if gen is not None else 0):
            if not _answer(task_id, "item", next(gen)):
                del _streams[task_id]
                gen.close()
                return
    except StopIteration:
        del _streams[task_id]
        send((task_id, "end", None))
    except BaseException as e:
        _streams.pop(task_id, None)
        _failed(task_id, e)

def onmessage(task):
    task_id, kind, what, args, extra = task
    if kind == "more":
        return _pump(task_id, what)
    if kind == "close":
        gen = _streams.pop(task_id, None)
        return gen.close() if gen is not None else None
    try:
        if kind == "code":
            result = _run_code(what)
        elif kind == "stream":
            _streams[task_id] = _function(what)(*args)
            return _pump(task_id, extra)
        elif kind == "chunk":
            fn = _function(what)
            result = [fn(*a) for a in args]
        else:
            result = _function(what)(*args, **(extra or {}))
    except BaseException as e:
        return _failed(task_id, e)
    _answer(task_id, "ok", result)
'''


class WorkerPool(_Dispatch):
    """``size`` PyWorkers started in the background (one after another, so that two cores are
    not shared by several Pyodide start-ups), each with ``packages`` loaded and ``env`` set
    before it takes tasks. ``on_progress(ready, size)`` is called as workers become ready.
    The other options (``pipeline``, ``max_tasks_per_worker``, ``max_queue``, ``idle_timeout``,
    ``min_size``, ``cancel_grace``) are described in docs/PYTHON.md."""

    def __init__(self, size: int = 2, *, packages: list[str] | tuple[str, ...] = (), env: dict[str, str] | None = None,
                 index_url: str | None = None, transport: str = "auto",
                 on_progress: Callable[[int, int], Any] | None = None, cancel_grace: float = 2.0, pipeline: int = 16,
                 max_tasks_per_worker: int | None = None, max_queue: int | None = None,
                 idle_timeout: float | None = None, min_size: int = 1) -> None:
        check_options(size, pipeline, max_tasks_per_worker, max_queue, idle_timeout, min_size, cancel_grace)
        self.size = size
        self._options = {"packages": list(packages), "env": dict(env or {}), "index_url": index_url,
                         "transport": transport}
        self._on_progress = on_progress
        self._cancel_grace = cancel_grace
        self._pipeline = pipeline
        self._max_tasks = max_tasks_per_worker
        self._max_queue = max_queue
        self._idle_timeout = idle_timeout
        self._min_size = min(min_size, size)
        self._slots = [_Slot(i) for i in range(size)]
        self._queue: deque[Task] = deque()
        self._wakeup = asyncio.Event()
        self._closed = False
        # Set once no slot has a worker and the last start of every slot failed: from then on
        # tasks fail at once, since nothing would ever run them.
        self._broken = False
        self._all_ready = asyncio.get_event_loop().create_future()
        self._starter = asyncio.ensure_future(self._start_all())
        self._lease_waiters = 0
        self.replaced = 0  # workers replaced after a crash, a cancellation or a timeout
        self.recycled = 0  # workers replaced after max_tasks_per_worker tasks
        self._counts = {"done": 0, "failed": 0, "cancelled": 0, "timed_out": 0}
        self._task_seconds = 0.0
        self._timed_tasks = 0
        self._stopped_idle = 0
        self._from_snapshot = 0

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
            slot.interrupted = False
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
        slot.sent = 0
        slot.idle_since = asyncio.get_event_loop().time()
        self._from_snapshot += from_snapshot(worker)
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

    def submit(self, what: str | Callable[..., Any], *args: Any, timeout: float | None = None) -> Task:
        """Runs ``what`` in a pool worker: Python code (the value of its last expression), or a
        function called with ``args`` (sent as its source: it must be self-contained). Returns a
        Task to await. ``timeout``: seconds the task may run (time in the queue does not count),
        then ``TaskTimeoutError``. TypeError at once for a function or arguments that cannot be
        sent; ``QueueFullError`` when ``max_queue`` tasks wait already; a task of a pool whose
        workers could not start fails at once with ``WorkerStartError``."""
        return self._submit("code" if isinstance(what, str) else "call", what, args, None, timeout)

    def _submit(self, kind: str, what: Any, args: Any, extra: Any, timeout: float | None) -> Task:
        if self._closed:
            raise PoolClosedError("the pool is shut down")
        if self._max_queue is not None and len(self._queue) >= self._max_queue and not self._broken:
            raise QueueFullError(f"the pool's queue is full: {len(self._queue)} tasks wait for a worker "
                                 f"(max_queue={self._max_queue}). Await some tasks before submitting more, "
                                 "or create the pool with a larger max_queue")
        if isinstance(what, str):
            if args:
                raise TypeError("code given as a string takes no arguments")
            task = Task(self, kind, what, [], None, timeout)
        else:
            task = Task(self, kind, _function_source(what), list(args), extra, timeout)
        if self._broken:
            task._fail(self._start_failure())
            return task
        self._queue.append(task)
        self._wakeup.set()
        return task

    async def map(self, fn: Callable[..., Any], iterable: Iterable[Any], *, chunksize: int = 1,
                  timeout: float | None = None) -> list[Any]:
        """``fn`` on every item, in the pool's workers; the results in the items' order.
        ``chunksize`` items travel and run as one task (fewer messages for many small items);
        ``timeout`` applies to each task. With ``max_queue``, waits for room instead of raising."""
        if chunksize < 1:
            raise ValueError(f"chunksize is a number of items from 1, not {chunksize!r}")
        items = list(iterable)
        tasks = []
        for i in range(0, len(items), chunksize):
            while self._max_queue is not None and len(self._queue) >= self._max_queue and not self._closed:
                await asyncio.sleep(0.005)
            if chunksize == 1:
                tasks.append(self._submit("call", fn, [items[i]], None, timeout))
            else:
                tasks.append(self._submit("chunk", fn, [[x] for x in items[i:i + chunksize]], None, timeout))
        if chunksize == 1:
            return [await t for t in tasks]
        return [value for t in tasks for value in await t]

    def stream(self, gen_fn: Callable[..., Any], *args: Any, window: int = 16) -> AsyncIterator[Any]:
        """Runs the generator function ``gen_fn(*args)`` in a worker of its own and is an async
        iterator of what it yields, as it yields. The worker waits when ``window`` items are
        unread; leaving the ``async for`` early stops the generator (its ``finally`` runs)."""
        from ._stream import stream

        return stream(self, gen_fn, args, window)

    def executor(self) -> Any:
        """A ``concurrent.futures.Executor`` running its calls in this pool: for
        ``loop.run_in_executor(ex, fn, *args)``, ``ex.submit`` and ``ex.map``."""
        from ._executor import PoolExecutor

        return PoolExecutor(self)

    def _count(self, error: Exception | None) -> None:
        """A task ended (with ``error``, or None for a value): counted for ``stats()``."""
        if isinstance(error, TaskCancelledError):
            self._counts["cancelled"] += 1
        elif isinstance(error, TaskTimeoutError):
            self._counts["timed_out"] += 1
        else:
            self._counts["failed" if error is not None else "done"] += 1

    def _task_time(self, task: Task) -> None:
        if task._started is not None:
            self._task_seconds += asyncio.get_event_loop().time() - task._started
            self._timed_tasks += 1

    def stats(self) -> PoolStats:
        """What the pool holds and has done so far (``PoolStats``)."""
        return PoolStats(size=self.size, ready=self.ready_count, queued=len(self._queue),
                         running=sum(1 for s in self._slots for t in s.inflight if not t.done()),
                         done=self._counts["done"], failed=self._counts["failed"],
                         cancelled=self._counts["cancelled"], timed_out=self._counts["timed_out"],
                         replaced=self.replaced, recycled=self.recycled, stopped_idle=self._stopped_idle,
                         mean_task_time=self._task_seconds / self._timed_tasks if self._timed_tasks else 0.0,
                         from_snapshot=self._from_snapshot)

    def _retire_idle(self, slot: _Slot) -> bool:
        """Stops the slot's worker when it has been idle for ``idle_timeout`` seconds and more than
        ``min_size`` workers run; it starts again when tasks wait that the others do not take."""
        if self._idle_timeout is None or self._lease_waiters:
            return False
        if asyncio.get_event_loop().time() - slot.idle_since < self._idle_timeout:
            return False
        if sum(1 for s in self._slots if s.worker is not None and s.ready) <= self._min_size:
            return False
        assert slot.worker is not None
        slot.worker.kill()
        slot.worker = None
        slot.ready = False
        self._stopped_idle += 1
        self._progress()
        return True

    # ---- Leases --------------------------------------------------------------------------------

    def acquire(self) -> _Acquire:
        """``async with pool.acquire() as lease``: a warm worker for yourself until the block ends."""
        return _Acquire(self)

    async def _take_slot(self) -> _Slot:
        self._lease_waiters += 1
        try:
            while True:
                if self._closed:
                    raise PoolClosedError("the pool is shut down")
                for slot in self._slots:
                    if slot.ready and not slot.leased and not slot.inflight:
                        slot.leased = True
                        return slot
                if self._broken:
                    raise self._start_failure()
                self._wakeup.set()  # a slot stopped while idle starts again
                await asyncio.sleep(0.005)
        finally:
            self._lease_waiters -= 1

    # ---- Shutdown ------------------------------------------------------------------------------

    async def shutdown(self, *, force: bool = False) -> None:
        """Graceful (default): queued and running tasks finish, then the workers stop. ``force``:
        queued tasks are cancelled, running ones fail with PoolClosedError, workers stop now."""
        if not force:
            while self._queue or any(s.inflight for s in self._slots):
                await asyncio.sleep(0.01)
        self._closed = True
        for task in self._queue:
            task._fail(TaskCancelledError(f"task {task.id} was cancelled: the pool was shut down"))
        self._queue.clear()
        self._wakeup.set()
        for slot in self._slots:
            for i, task in enumerate(slot.inflight):
                task._fail(PoolClosedError("the pool was shut down while the task ran") if i == 0 else
                           TaskCancelledError(f"task {task.id} was cancelled before it began: the pool was shut down"))
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


# The classes defined in the package's private modules are shown under this, their public home
# (PoolStats, a dataclass, keeps its own: its fields are read from the source that defines them).
for _cls in (Task, Lease, TaskError, TaskCancelledError, TaskTimeoutError, QueueFullError, WorkerStartError,
             PoolClosedError):
    _cls.__module__ = __name__
del _cls
