"""A pool's figures (``PoolStats``, from ``pool.stats()``) and the checks of its options."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PoolStats:
    """What a ``WorkerPool`` holds and has done since it was created.

    ``size``: the pool's slots; ``ready``: workers warm now; ``queued``: tasks waiting for a
    worker; ``running``: tasks sent to a worker and not answered yet (the first of each worker
    runs, the others wait there, see ``pipeline=``); ``done``: tasks that returned a value;
    ``failed``: tasks that ended with another error (``TaskError``, ``WorkerCrashedError``...);
    ``cancelled``; ``timed_out`` (``TaskTimeoutError``); ``replaced``: workers replaced after a
    crash, a cancellation or a timeout; ``recycled``: workers replaced after
    ``max_tasks_per_worker`` tasks; ``stopped_idle``: workers stopped by ``idle_timeout``;
    ``mean_task_time``: seconds from the moment a worker began a task to its answer, over the
    tasks that answered; ``from_snapshot``: workers started from a memory snapshot of Pyodide.
    """

    size: int
    ready: int
    queued: int
    running: int
    done: int
    failed: int
    cancelled: int
    timed_out: int
    replaced: int
    recycled: int
    stopped_idle: int
    mean_task_time: float
    from_snapshot: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def from_snapshot(worker: Any) -> int:
    """1 when the worker says (its ``start_info``) that its Pyodide started from a snapshot."""
    info = getattr(worker, "start_info", None)
    return int(isinstance(info, dict) and info.get("how") == "snapshot")


def check_options(size: int, pipeline: int, max_tasks_per_worker: int | None, max_queue: int | None,
                  idle_timeout: float | None, min_size: int, cancel_grace: float) -> None:
    """ValueError, saying what is allowed, for a pool option out of its range."""
    def whole(name: str, value: Any, least: int) -> None:
        if type(value) is not int or value < least:
            raise ValueError(f"{name} is a whole number from {least}, not {value!r}")

    whole("a pool's size (its number of workers)", size, 1)
    whole("pipeline (tasks sent ahead to each worker)", pipeline, 1)
    whole("min_size (workers idle_timeout keeps)", min_size, 0)
    if max_tasks_per_worker is not None:
        whole("max_tasks_per_worker", max_tasks_per_worker, 1)
    if max_queue is not None:
        whole("max_queue (tasks waiting for a worker)", max_queue, 0)
    for name, value in (("idle_timeout", idle_timeout), ("cancel_grace", cancel_grace)):
        if value is not None and (not isinstance(value, (int, float)) or not value >= 0):
            raise ValueError(f"{name} is a number of seconds from 0, not {value!r}")
