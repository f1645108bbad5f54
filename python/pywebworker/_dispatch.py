"""How a pool's slots run tasks: each slot keeps a worker (replaced when it dies, recycled after
``max_tasks_per_worker`` tasks) and sends it up to ``pipeline`` queued tasks at once, so the next
task is already in the worker when the one before it ends. The worker runs them in order and
answers in order: the oldest task without an answer is the one running, the only one a timeout or
a cancellation interrupts.

``_Dispatch`` is the part of ``WorkerPool`` (``pywebworker.pool``) that does this; the pool's
start-up, options and public methods are in ``pool.py``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

from ._errors import (PoolClosedError, TaskCancelledError, TaskTimeoutError, WorkerCrashedError, WorkerError,
                      WorkerExitedError, WorkerScriptError)

if TYPE_CHECKING:
    from ._tasks import Task
    from .worker import PyWorker

# The states of a worker that will not run again.
_ENDED = ("killed", "exited", "failed")
# An idle slot checks this often (seconds) that its worker is still alive.
_IDLE_CHECK = 0.25
# A slot whose worker failed to start tries again only while tasks wait, after this many seconds
# times its failures so far, and gives up after _START_TRIES failures in a row: a start that keeps
# failing costs a Pyodide start-up each time. (When every slot has failed, nothing is retried.)
_RETRY_DELAY = 2.0
_START_TRIES = 3


class _Slot:
    """One place in the pool: its current worker (replaced when it dies) and what it runs."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.worker: PyWorker | None = None
        self.ready = False
        self.inflight: deque[Task] = deque()  # sent to the worker, in order; the first one runs
        self.sent = 0  # tasks sent to the current worker
        self.leased = False
        self.interrupted = False  # an interrupt was written to the worker's buffer since the last clear
        self.loop: asyncio.Future[Any] | None = None
        self.starting = False
        self.idle_since = 0.0
        # Starts that failed in a row, the last one's error, and when it may try again.
        self.failures = 0
        self.start_error: Exception | None = None
        self.retry_at = 0.0

    @property
    def task(self) -> Task | None:
        """The task the worker runs now (or is about to begin)."""
        return self.inflight[0] if self.inflight else None


class _Dispatch:
    """The slots' loops of a WorkerPool: sending tasks, reading answers, deadlines, replacements."""

    # Set by WorkerPool.__init__.
    _slots: list[_Slot]
    _queue: deque[Task]
    _wakeup: asyncio.Event
    _closed: bool
    _broken: bool
    _starter: asyncio.Future[Any]
    _pipeline: int
    _max_tasks: int | None
    _cancel_grace: float
    _lease_waiters: int
    replaced: int
    recycled: int

    async def _start(self, slot: _Slot) -> None:
        raise NotImplementedError

    def _progress(self) -> None:
        raise NotImplementedError

    def _retire_idle(self, slot: _Slot) -> bool:
        raise NotImplementedError

    def _wants_workers(self) -> bool:
        """True when a lease waits, or queued tasks that no warm worker has room for."""
        return bool(self._lease_waiters) or bool(self._queue) and not any(
            s.ready and not s.leased and len(s.inflight) < self._pipeline for s in self._slots)

    async def _idle(self) -> None:
        self._wakeup.clear()
        try:
            await asyncio.wait_for(self._wakeup.wait(), _IDLE_CHECK)
        except asyncio.TimeoutError:
            pass

    async def _serve(self, slot: _Slot) -> None:
        """A slot's loop: keeps a worker (or tries to), sends it queued tasks and reads its answers."""
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
                    await self._replace(slot, count=False)
                    continue
                await self._idle()
                continue
            worker = slot.worker
            if worker is None or worker.state in _ENDED:
                if worker is None and not slot.ready and not self._wants_workers():
                    await self._idle()  # stopped while idle (idle_timeout): started again for work
                    continue
                # A worker that ended while idle (it called close(), or was killed) is replaced
                # now, not when the next task finds it gone.
                await self._replace(slot, count=worker is not None)
                continue
            if not slot.inflight and self._max_tasks is not None and slot.sent >= self._max_tasks:
                await self._replace(slot, count=False)  # recycled: a fresh worker for the next tasks
                self.recycled += 1
                continue
            self._send_queued(slot)
            if slot.inflight:
                await self._receive(slot)
                slot.idle_since = loop.time()
            elif not self._retire_idle(slot):
                await self._idle()

    def _send_queued(self, slot: _Slot) -> None:
        """Sends queued tasks to the slot's worker, up to ``pipeline`` in flight, and no more than
        this slot's share of the queue (the other slots that have room take the rest). A worker
        that still holds more than half of ``pipeline`` gets nothing yet: tasks leave in groups
        (one message for several on the postMessage transport), not one at each answer."""
        if len(slot.inflight) > self._pipeline // 2:
            return
        room = self._pipeline - len(slot.inflight)
        if self._max_tasks is not None:
            room = min(room, self._max_tasks - slot.sent)
        if room <= 0 or not self._queue:
            return
        takers = sum(1 for s in self._slots if s.ready and not s.leased and not s.failures
                     and len(s.inflight) < self._pipeline) or 1
        for _ in range(min(room, -(-len(self._queue) // takers))):
            if not self._queue:
                break
            self._send(slot, self._queue.popleft())

    def _send(self, slot: _Slot, task: Task) -> None:
        worker = slot.worker
        assert worker is not None
        task._slot = slot
        slot.inflight.append(task)
        slot.sent += 1
        if len(slot.inflight) == 1:
            self._begin(slot, task)
        try:
            worker._send_encoded(task._encoded)
        except Exception:
            pass  # the worker is gone: _receive sees it and replaces it

    def _begin(self, slot: _Slot, task: Task) -> None:
        """The task is the first without an answer: its worker runs it now; its deadline starts."""
        assert slot.worker is not None
        if slot.interrupted:  # an interrupt meant for an earlier task that had ended
            slot.interrupted = False
            slot.worker._js.clearInterrupt()
        loop = asyncio.get_event_loop()
        task._started = loop.time()
        if task.timeout is not None and not task.done():
            task._deadline = loop.call_later(task.timeout, self._past_deadline, slot, task)

    async def _receive(self, slot: _Slot) -> None:
        """Reads the next answer of the slot's worker and settles its task; handles its death."""
        worker = slot.worker
        assert worker is not None
        try:
            reply = await worker.recv()
        except WorkerScriptError as e:
            await self._died(slot, e)
            return
        except WorkerError as e:
            if worker.state in ("running", "starting"):
                return  # a stray report (an interrupt that came after its task): keep waiting
            await self._died(slot, e)
            return
        except Exception as e:  # whatever it is, the tasks end with an error instead of waiting
            await self._died(slot, e)
            return
        if not (isinstance(reply, tuple) and len(reply) == 3) or not slot.inflight:
            return
        task = slot.inflight[0]
        if reply[0] != task.id:
            return  # what a stream that was closed still sent
        slot.inflight.popleft()
        self._end(task)
        status, value = reply[1], reply[2]
        if task._timed_out or task._cancelled:
            worker._js.clearInterrupt()  # the task may have ended before it saw the interrupt
        if status == "cancelled" and task._timed_out:
            task._fail(TaskTimeoutError(f"task {task.id} ran past its timeout of {task.timeout:g} s: KeyboardInterrupt "
                                        "was raised in it and ended it; its worker stays", "interrupt",
                                        task.timeout or 0.0))
        elif status == "cancelled" and not task._cancelled and not task._retried:
            # An interrupt meant for the task before it, which ended first: it runs again.
            task._retried = True
            task._slot = None
            self._queue.appendleft(task)
        else:
            task._pool._task_time(task)
            task._settle(status, value)
        if slot.inflight:
            self._begin(slot, slot.inflight[0])

    def _end(self, task: Task) -> None:
        task._slot = None
        if task._deadline is not None:
            task._deadline.cancel()
            task._deadline = None

    async def _died(self, slot: _Slot, error: Exception) -> None:
        """The slot's worker died: its running task fails (or runs again, for a worker that ended
        itself before it), the tasks sent behind it never began and go back to the queue's front."""
        tasks = list(slot.inflight)
        slot.inflight.clear()
        for task in tasks:
            self._end(task)
        for task in reversed(tasks[1:]):
            if not task.done():
                self._queue.appendleft(task)
        if tasks and not tasks[0].done():
            task = tasks[0]
            if isinstance(error, WorkerExitedError) and not (task._retried or task._cancelled or task._timed_out):
                # The worker ended itself (close()) after its last task, before taking this one:
                # it runs on the replacement.
                task._retried = True
                self._queue.appendleft(task)
            elif self._closed:
                task._fail(PoolClosedError("the pool was shut down while the task ran"))
            elif task._timed_out:
                task._fail(TaskTimeoutError(f"task {task.id} ran past its timeout of {task.timeout:g} s and its worker "
                                            f"was killed and replaced: {task._kill_reason}", "kill",
                                            task.timeout or 0.0))
            elif task._cancelled:
                task._fail(TaskCancelledError(f"task {task.id} was cancelled"))
            else:
                task._fail(WorkerCrashedError(f"the worker running task {task.id} died ({error}); it was replaced",
                                              getattr(error, "remote_type", None),
                                              getattr(error, "remote_message", None),
                                              getattr(error, "remote_stack", None)))
        self._wakeup.set()
        if not self._closed:
            await self._replace(slot)

    async def _replace(self, slot: _Slot, *, count: bool = True) -> None:
        """Starts a new worker in the slot, killing the old one if it still runs."""
        old = slot.worker
        if old is not None and old.state not in _ENDED:
            old.kill()
        if count:
            self.replaced += 1
        slot.ready = False
        self._progress()
        try:
            await self._start(slot)
        except Exception:
            return  # kept on the slot: it tries again while tasks wait, or the pool fails them
        self._progress()

    # ---- Deadlines and cancellation ------------------------------------------------------------

    def _past_deadline(self, slot: _Slot, task: Task) -> None:
        if task.done() or slot.task is not task:
            return
        task._timed_out = True
        self._interrupt(slot, task)

    def _cancel(self, task: Task) -> None:
        if task in self._queue:
            self._queue.remove(task)
            task._fail(TaskCancelledError(f"task {task.id} was cancelled before it ran"))
            return
        slot = task._slot
        if slot is None or slot.worker is None:
            task._fail(TaskCancelledError(f"task {task.id} was cancelled"))
            return
        if slot.task is not task:
            # Sent to the worker behind the task it runs: the worker runs it, its answer is dropped.
            task._fail(TaskCancelledError(f"task {task.id} was cancelled before it began"))
            return
        task._cancelled = True
        self._interrupt(slot, task)

    def _interrupt(self, slot: _Slot, task: Task) -> None:
        """KeyboardInterrupt in the running task; its worker is killed (and replaced) when the page
        has no interrupt buffer, or when the task has not stopped within ``cancel_grace`` seconds."""
        worker = slot.worker
        assert worker is not None
        if worker.interrupt():
            slot.interrupted = True
            task._kill_reason = (f"it did not stop within {self._cancel_grace:g} s (the pool's cancel_grace) "
                                 "of the KeyboardInterrupt raised in it")
            asyncio.get_event_loop().call_later(self._cancel_grace, self._kill_if_running, slot, task)
        else:
            task._kill_reason = ("this page is not cross-origin isolated, so there is no interrupt buffer to raise "
                                 "KeyboardInterrupt in it")
            worker.kill()  # the slot's loop sees the death and replaces the worker

    def _kill_if_running(self, slot: _Slot, task: Task) -> None:
        if slot.task is task and not task.done() and slot.worker is not None:
            slot.worker.kill()

    async def _run_leased(self, slot: _Slot, task: Task) -> Any:
        """Runs a task on a leased slot's worker (nothing else runs there)."""
        self._send(slot, task)
        while slot.inflight:
            await self._receive(slot)
        return await task
