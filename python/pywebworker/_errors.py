"""The exceptions of pywebworker on the page, and how an error thrown by its JavaScript becomes one.

Every worker error is a ``WorkerError``. The JavaScript side throws errors of the same names
(``WorkerKilledError``, ``SettleError``, ...), carrying the worker's own exception when there was
one; ``translate`` turns each into its Python class. The public homes of these classes are
``pywebworker.worker`` (the workers' errors) and ``pywebworker.pool`` (the pool's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyodide.ffi import JsException  # type: ignore[import-not-found]


class WorkerError(Exception):
    """An error of a worker. ``remote_type``, ``remote_message`` and ``remote_stack`` describe
    an exception raised inside the worker, when there was one."""

    def __init__(self, message: str, remote_type: str | None = None, remote_message: str | None = None,
                 remote_stack: str | None = None) -> None:
        super().__init__(message)
        self.remote_type = remote_type
        self.remote_message = remote_message
        self.remote_stack = remote_stack


class WorkerScriptError(WorkerError):
    """The worker's script could not be loaded, or failed before it was ready."""


class ScriptLanguageError(WorkerScriptError, ValueError):
    """A ``PyWorker`` was given JavaScript: it runs Python since pywebworker 0.1.0, and
    ``JsWorker`` runs JavaScript (what ``PyWorker`` did in 0.0.6). Raised by the constructor,
    before any worker starts. A ``ValueError`` (a bad argument) and a ``WorkerScriptError``
    (a script that cannot run), so either ``except`` catches it."""


class WorkerKilledError(WorkerError):
    """The worker was killed: it can no longer send or receive."""


class WorkerExitedError(WorkerError):
    """The worker stopped on its own (its script called ``close()``)."""


class WorkerCrashedError(WorkerError):
    """The worker died under its work: its interpreter suffered a fatal error (Pyodide's stack
    overflow, for one) and cannot run again. Create a new worker; a pool replaces it by itself."""


class SettleError(WorkerError):
    """The worker did not handle the messages sent to it in time, or cannot be waited for here."""


class ChannelCorruptError(WorkerError):
    """The shared memory of the worker's channel was overwritten; that worker is unusable."""


class IsolationError(WorkerError):
    """The shared transport was asked for on a page that is not cross-origin isolated."""


class TaskError(WorkerError):
    """A task raised an exception in its worker (``remote_type``, ``remote_message``,
    ``remote_stack`` describe it)."""


class TaskCancelledError(WorkerError):
    """The task was cancelled (``task.cancel()``, or a forced shutdown)."""


class TaskTimeoutError(WorkerError):
    """A task ran past its ``timeout=``. ``ended_by`` says what ended it: ``"interrupt"``
    (``KeyboardInterrupt`` raised in the task's Python; its worker stays) or ``"kill"`` (its worker
    was killed and replaced: the task did not stop within the pool's ``cancel_grace`` after the
    interrupt, or the page has no interrupt buffer because it is not cross-origin isolated).
    ``timeout`` is the task's timeout in seconds."""

    def __init__(self, message: str, ended_by: str, timeout: float) -> None:
        super().__init__(message)
        self.ended_by = ended_by
        self.timeout = timeout


class QueueFullError(WorkerError):
    """``submit`` found the pool's queue holding ``max_queue`` tasks that wait for a worker."""


class WorkerStartError(WorkerScriptError):
    """The pool's workers could not start: ``remote_type``, ``remote_message`` and
    ``remote_stack`` describe the first worker's start-up error, and ``errors`` holds each
    failed worker's own. A ``WorkerScriptError``, as ``ready()`` raised before."""

    def __init__(self, message: str, errors: list[Exception]) -> None:
        first = errors[0]
        super().__init__(message, getattr(first, "remote_type", None), getattr(first, "remote_message", None),
                         getattr(first, "remote_stack", None))
        self.errors = list(errors)


class PoolClosedError(WorkerError):
    """The pool is shut down."""


# The errors the JavaScript side throws, by name.
_ERRORS: dict[str, type[WorkerError]] = {
    cls.__name__: cls
    for cls in (WorkerError, WorkerScriptError, WorkerKilledError, WorkerExitedError, WorkerCrashedError,
                SettleError, ChannelCorruptError, IsolationError)
}


def translate(e: JsException) -> Exception:
    """The Python error for an error thrown by the JavaScript side: its ``WorkerError`` class,
    ``TypeError`` for a TypeError, ``ValueError`` for a RangeError, ``e`` itself for the rest."""
    err = getattr(e, "js_error", None)
    name = str(getattr(err, "name", "")) if err is not None else ""
    message = str(getattr(err, "message", e)) if err is not None else str(e)
    if name == "TypeError":
        return TypeError(message)
    if name == "RangeError":
        return ValueError(message)
    cls = _ERRORS.get(name)
    if cls is None:
        return e
    def text(attr: str) -> str | None:
        v = getattr(err, attr, None)
        return None if v is None or str(v) == "undefined" else str(v)
    return cls(message, text("remoteName"), text("remoteMessage"), text("remoteStack"))
