"""Workers for Pyodide: ``PyWorker`` runs Python in a worker, ``JsWorker`` runs JavaScript.

Messages travel through rings in shared wasm memory when the page is cross-origin isolated, and
through batched ``postMessage`` otherwise (``worker.transport`` says which). The methods of the
original pywebworker (``start``, ``send_message``, ``get_unread_messages``, ...) keep working;
the getters first *settle*: they wait until the worker has handled everything sent to it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any, Callable, Iterator, Union

import js  # type: ignore[import-not-found]
from pyodide.ffi import JsException, can_run_sync, run_sync, to_js  # type: ignore[import-not-found]

from . import _web
from ._calls import DEFAULT_CALL_TIMEOUT, Calls, stdin_function
from ._calls import call_timeout_ms as _call_timeout
from ._codec import STDIN_CALL, CodecError, decode_batch
from ._errors import (ChannelCorruptError, IsolationError, ScriptLanguageError, SettleError, WorkerCrashedError,
                      WorkerError, WorkerExitedError, WorkerKilledError, WorkerScriptError)
from ._errors import translate as _translate
from ._message import WorkerMessage
from ._script import check_python as _check_python
from ._sending import Sending
from ._shim import runtime as _runtime

__all__ = [
    "PyWorker",
    "JsWorker",
    "WorkerMessage",
    "WorkerError",
    "WorkerScriptError",
    "ScriptLanguageError",
    "WorkerKilledError",
    "WorkerExitedError",
    "WorkerCrashedError",
    "SettleError",
    "ChannelCorruptError",
    "IsolationError",
    "CodecError",
]

#: Where a PyWorker's printed lines go: ``None`` (the worker's own console), ``"console"`` (the
#: page's console, prefixed with the worker's name) or a function called with each line.
Output = Union[None, str, Callable[[str], Any]]

#: Bytes in each ring of a PyWorker (shared transport).
PYWORKER_CAPACITY = 1 << 21

#: Seconds ``recv()`` polls for a reply (shared transport) before it waits on the event loop.
#: Round trips to a quick worker then take tens of microseconds instead of hundreds; set to 0
#: to never keep the page busy while waiting.
RECV_SPIN = 0.0005



class JsWorker(Calls, Sending):
    """A Web Worker running JavaScript: ``script`` is its source, or give ``url=``.

    Inside the worker the script uses ``self.onmessage`` and ``self.postMessage`` as usual.
    ``capacity`` is the bytes of each of the worker's two rings (shared transport; a power of two,
    default 256 KiB): more lets larger bursts travel without waiting for the other side.
    ``max_message_bytes`` is the largest message (encoded) either side may send, 256 MiB by
    default: a larger one raises ``ValueError`` before anything is sent, and a worker that sends
    one anyway ends with ``ChannelCorruptError``. ``type="module"`` imports the script as an ES
    module (its ``import`` statements resolve against ``url=``); the default ``"classic"`` evaluates
    it as a classic worker script, with ``importScripts``. ``call_timeout`` is the seconds the
    worker's calls of the page's functions (``expose``) wait for an answer before they fail there
    (30 by default; ``math.inf``: no limit).
    """

    def __init__(self, script: str | None = None, *, url: str | None = None, transport: str = "auto",
                 settle_timeout: float = 10.0, name: str | None = None, capacity: int | None = None,
                 max_message_bytes: int | None = None, type: str = "classic",
                 call_timeout: float = DEFAULT_CALL_TIMEOUT) -> None:
        if (script is None) == (url is None):
            raise TypeError("give a worker either a script (source text) or url=")
        if type not in ("classic", "module"):
            raise ValueError(f"a worker script's type is 'classic' or 'module', not {type!r}")
        self._create(script, url, {"transport": transport, "settleTimeout": settle_timeout * 1000, "name": name,
                                   "capacity": capacity, "maxMessageBytes": max_message_bytes, "type": type,
                                   "callTimeout": _call_timeout(call_timeout)})

    def _create(self, script: str | None, url: str | None, options: dict[str, Any]) -> None:
        limit = options.get("maxMessageBytes")
        if limit is not None and (type(limit) is not int or limit < 1 or limit > 1 << 31):
            raise ValueError(f"max_message_bytes is a whole number of bytes from 1 to 2**31, not {limit!r}")
        capacity = options.get("capacity")
        if capacity is not None and (type(capacity) is not int or capacity < 64 or capacity > 1 << 30
                                     or capacity & (capacity - 1)):
            raise ValueError(f"capacity is the bytes of a ring: a power of two from 64 to 2**30, not {capacity!r}")
        api = _runtime()
        source = js.URL.new(url, js.location.href) if url is not None else (script or "")
        options["raw"] = True  # messages travel encoded by the Python codec: Python types survive
        js_options = to_js({k: v for k, v in options.items() if v is not None},
                           dict_converter=js.Object.fromEntries)
        try:
            self._js = api.JsWorker.new(source, js_options)
        except JsException as e:
            raise _translate(e) from None
        # Received messages are decoded in batches: the values taken from JavaScript by the last
        # `takeBatch`, and how many of them `recv` has handed out (marked read lazily).
        self._inbox: deque[Any] = deque()
        self._consumed = 0
        self._send_error: Exception | None = None
        self._killed = False
        self._arrivals: list[Any] = []  # futures of the recv() calls waiting
        self._arrival_proxy: Any = None
        shared = str(self._js.transport) == "shared"
        # Shared transport: replies can be polled for without returning to the event loop.
        self._spin = shared and RECV_SPIN > 0
        self._init_sending(shared)
        self._max_message_bytes = int(self._js.maxMessageBytes)

    def _check_size(self, n: int) -> None:
        """Refuses a message over the size limit, before anything of it is sent."""
        if n > self._max_message_bytes:
            raise ValueError(f"a message of {n} bytes (encoded) is larger than the {self._max_message_bytes} bytes a "
                             "worker's channel takes: send it in smaller pieces, or raise max_message_bytes")

    @property
    def transport(self) -> str:
        """``"shared"`` (rings in shared memory) or ``"post"`` (batched postMessage)."""
        return str(self._js.transport)

    @property
    def state(self) -> str:
        """``created``, ``starting``, ``running``, ``failed``, ``killed`` or ``exited``."""
        return str(self._js.state)

    def _wait(self, promise: Any) -> Any:
        try:
            return run_sync(promise)
        except JsException as e:
            raise _translate(e) from None

    def start(self) -> None:
        """Starts the worker. Where Python can wait for JavaScript (``run_sync``), returns once the
        worker's script has run, raising its error if it failed; otherwise it starts in the background."""
        promise = self._js.start()
        if can_run_sync():
            self._wait(promise)

    async def ready(self) -> None:
        """Waits until the worker has started (raises its start-up error)."""
        try:
            await self._js.start()
        except JsException as e:
            raise _translate(e) from None

    def _sync(self) -> None:
        """Before any other call: the burst sent, the messages ``recv`` handed out marked read."""
        if self._send_error is not None:
            e, self._send_error = self._send_error, None
            raise e
        self._flush()
        if self._consumed or self._inbox:
            self._js.markRead(self._consumed)
            self._consumed = 0
            self._inbox.clear()

    def _settle(self) -> None:
        self._sync()
        if can_run_sync() and self.state in ("created", "starting", "running"):
            self._wait(self._js.settle())

    def _call(self, method: str, *args: Any) -> Any:
        self._settle()
        try:
            return getattr(self._js, method)(*args)
        except JsException as e:
            raise _translate(e) from None

    def get_unread_messages(self) -> list[WorkerMessage]:
        """Settles, then returns the messages not read yet."""
        return [WorkerMessage(m) for m in self._call("get_unread_messages")]

    def has_unread_messages(self) -> bool:
        """Settles, then says whether any message is unread."""
        return bool(self._call("has_unread_messages"))

    def get_message(self, i: int) -> WorkerMessage:
        """Settles, then returns message ``i`` (in arrival order); ``IndexError`` when there is no
        message ``i`` (messages that ``recv()`` took are not kept)."""
        try:
            return WorkerMessage(self._call("get_message", i))
        except ValueError as e:  # the page's RangeError
            raise IndexError(str(e)) from None

    def get_messages(self) -> list[WorkerMessage]:
        """Settles, then returns every message kept: received, and not taken by ``recv()``."""
        return [WorkerMessage(m) for m in self._call("get_messages")]

    def _update_messages(self) -> None:
        """Legacy (kept from the original pywebworker): settles and updates the message list."""
        self._call("_update_messages")

    async def recv(self, timeout: float | None = None) -> Any:
        """The next message's value (the oldest unread one, or the next to arrive). Returns without
        a trip through the event loop when a message is already waiting."""
        if self._inbox or self._take() or (self._spin and self._spin_take()):
            self._consumed += 1
            value = self._inbox.popleft()
            if type(value) is CodecError:
                raise value
            return value
        if self.state == "created":
            self._js.start()  # like JsWorker.recv: waiting for a reply starts the worker
        loop = asyncio.get_event_loop()
        deadline = None if timeout is None else loop.time() + timeout
        if self._arrival_proxy is None:
            from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

            self._arrival_proxy = create_proxy(self._on_arrival)
        while True:
            # Woken by a Python future the page's JavaScript resolves when something arrives:
            # cheaper for Pyodide to resume than awaiting a JavaScript promise.
            arrival = loop.create_future()
            self._arrivals.append(arrival)
            self._js.onarrival = self._arrival_proxy
            try:
                if deadline is None:
                    await arrival
                else:
                    await asyncio.wait_for(arrival, max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                raise SettleError(f"no message from the worker within {timeout * 1000:.0f} ms") from None
            finally:
                if arrival in self._arrivals:
                    self._arrivals.remove(arrival)
            if self._inbox or self._take():
                self._consumed += 1
                value = self._inbox.popleft()
                if type(value) is CodecError:
                    raise value
                return value

    def _on_arrival(self) -> None:
        arrivals, self._arrivals = self._arrivals, []
        for arrival in arrivals:
            if not arrival.done():
                arrival.set_result(None)

    def try_recv(self) -> Any:
        """The next message's value if one has arrived; raises ``LookupError`` when none has."""
        if self._inbox or self._take():
            self._consumed += 1
            value = self._inbox.popleft()
            if type(value) is CodecError:
                raise value
            return value
        raise LookupError("no message from the worker has arrived")

    def _spin_take(self) -> bool:
        """Polls for a reply for up to ``RECV_SPIN`` seconds before ``recv`` waits on the event loop:
        a wait there costs Pyodide 60-130 us, more than a quick worker takes to answer."""
        deadline = time.perf_counter() + RECV_SPIN
        while time.perf_counter() < deadline:
            if self._take():
                return True
        return False

    def _take(self) -> bool:
        """Decodes every unread message into the inbox with one call; False when there are none."""
        if self._send_error is not None:
            e, self._send_error = self._send_error, None
            raise e
        self._flush()
        try:
            batch = self._js.takeBatch(self._consumed)
        except JsException as e:
            self._consumed = 0
            raise _translate(e) from None
        self._consumed = 0
        if batch is None:
            return False
        for values in decode_batch(batch.to_bytes()):
            self._inbox.extend(values)
        return True

    def __aiter__(self) -> JsWorker:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.recv()
        except (WorkerExitedError, WorkerKilledError):
            raise StopAsyncIteration from None

    def interrupt(self) -> bool:
        """PyWorker: raises ``KeyboardInterrupt`` in the Python the worker is running. Returns False
        where that cannot be done (a page that is not cross-origin isolated: ``kill()`` remains)."""
        return bool(self._js.interrupt())

    def kill(self) -> None:
        """Stops the worker at once; messages it sent before stay readable."""
        self._out.clear()
        self._run.clear()
        self._send_error = None
        self._killed = True
        self._sync()
        self._js.kill()
        for proxy in (*getattr(self, "_proxies", ()), self._arrival_proxy):
            if proxy is not None and not isinstance(proxy, str):
                proxy.destroy()
        self._proxies: list[Any] = []
        self._arrival_proxy = None
        if not self._tick_pending and self._end_burst_proxy is not None:  # else the pending microtask does it
            self._end_burst_proxy.destroy()
            self._end_burst_proxy = None

    def __enter__(self) -> JsWorker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    def __iter__(self) -> Iterator[WorkerMessage]:
        return iter(self.get_messages())


class PyWorker(JsWorker):
    """A Web Worker running Python in its own Pyodide.

    ``script`` (or ``url=``) is Python source; a ``script`` that is JavaScript instead (what
    ``PyWorker`` ran in pywebworker 0.0.6, and ``JsWorker`` runs now) raises
    ``ScriptLanguageError``, a ``ValueError``, before any worker starts. Inside, ``from pywebworker.inside import send,
    recv, messages`` talks to the page, and a ``def onmessage(value): ...`` receives each message.
    Without a script, each message is Python code and the reply is what it printed (the
    behaviour of pywebworker 0.0.8). The worker's Pyodide comes from the page's own ``indexURL``
    unless ``index_url=`` says otherwise; ``packages=`` are loaded before the script runs. Its
    rings hold 2 MiB each (``capacity=``): a Pyodide costs far more memory than that, and bursts of
    large messages travel without waiting for room. ``snapshot=True`` starts it from a memory
    snapshot of Pyodide kept in the page's Cache Storage (made by the first worker of the same
    settings), falling back to a normal start; ``start_info`` says how it started. The worker's
    ``input()`` and ``sys.stdin`` read from ``stdin=``: a function called with the prompt that
    returns a line (None: end of input, ``EOFError``; it may be async), or an iterable of lines;
    by default the page's ``prompt()``. That needs the shared transport (a cross-origin isolated page).
    """

    def __init__(self, script: str | None = None, *, url: str | None = None, transport: str = "auto",
                 settle_timeout: float = 60.0, name: str | None = None, packages: list[str] | tuple[str, ...] = (),
                 env: dict[str, str] | None = None, index_url: str | None = None, stdout: Output = None,
                 stderr: Output = None, capacity: int = PYWORKER_CAPACITY, max_message_bytes: int | None = None,
                 snapshot: bool = True, call_timeout: float = DEFAULT_CALL_TIMEOUT, stdin: Any = None) -> None:
        if script is not None and url is not None:
            raise TypeError("give a PyWorker a script (Python source) or url=, not both")
        if script is not None:
            _check_python(script)  # JavaScript (PyWorker's language in 0.0.6): ScriptLanguageError now
        if index_url is None:
            import pyodide_js  # type: ignore[import-not-found]

            index_url = str(pyodide_js._api.config.indexURL)
        files = {name_: _web.package_source(name_) for name_ in ("__init__.py", "_codec.py", "_ffi.py", "_page.py", "inside.py")}
        if isinstance(packages, str):
            packages = [packages]
        # Wheel URLs and paths are resolved against the page (the worker's own URL is a blob:).
        wanted = [str(js.URL.new(p, js.location.href).href) if "/" in p or p.endswith(".whl") else p for p in packages]
        python = {"indexURL": index_url, "files": files, "packages": wanted, "env": dict(env or {}),
                  "repl": script is None and url is None, "snapshot": bool(snapshot)}
        self._proxies = [_output(stdout), _output(stderr)]
        self._create(script, url, {"transport": transport, "settleTimeout": settle_timeout * 1000, "name": name,
                                   "capacity": capacity, "maxMessageBytes": max_message_bytes, "python": python,
                                   "stdout": self._proxies[0], "stderr": self._proxies[1],
                                   "callTimeout": _call_timeout(call_timeout)})
        self.expose(stdin_function(stdin), STDIN_CALL)

    @property
    def start_info(self) -> dict[str, Any] | None:
        """How the worker's Pyodide started, once it runs: ``how`` (``"snapshot"`` or ``"cold"``),
        ``ms``, ``reason`` (why not from a snapshot, or None), and from a snapshot ``made``, ``key``, ``bytes``."""
        info = self._js.startInfo
        return None if info is None else info.to_py()


def _output(to: Output) -> Any:
    """The JavaScript form of a ``stdout=`` / ``stderr=`` option."""
    if to is None or to == "console":
        return to
    if not callable(to):
        raise TypeError(f"stdout= and stderr= take None, \"console\" or a function of one str, not {to!r}")
    from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

    return create_proxy(to)


# The classes defined in the package's private modules are shown under this, their public home.
for _cls in (WorkerMessage, WorkerError, WorkerScriptError, ScriptLanguageError, WorkerKilledError, WorkerExitedError,
             WorkerCrashedError, SettleError, ChannelCorruptError, IsolationError):
    _cls.__module__ = __name__
del _cls
