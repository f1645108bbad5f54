"""Calls between the page and a worker, the page's side in Python: ``call`` and ``api`` for the
functions the worker exposed, ``expose`` for the page's functions the worker calls. They travel in
the worker's channel (js-shim/page/calls.js), never among the messages of ``recv()``."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable

import js  # type: ignore[import-not-found]
from pyodide.ffi import JsException, create_proxy, to_js  # type: ignore[import-not-found]

from ._codec import decode, describe_error, encode, unknown_name
from ._errors import translate as _translate

#: Seconds a worker's call of the page's functions waits for the answer unless ``call_timeout=``
#: says otherwise (js-shim/protocol.js's DEFAULT_CALL_TIMEOUT, in ms).
DEFAULT_CALL_TIMEOUT = 30.0


def call_timeout_ms(seconds: float) -> float:
    """The ``callTimeout`` option (ms) for ``call_timeout=`` (seconds)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise ValueError(f"call_timeout is a number of seconds above 0 (math.inf: no limit), not {seconds!r}")
    return seconds * 1000


def stdin_function(stdin: Any) -> Callable[[str], Any]:
    """What answers a PyWorker's ``input(prompt)`` for its ``stdin=`` option: a line, or None at
    the end of input."""
    if stdin is None:
        return lambda prompt: js.prompt(prompt)
    if callable(stdin):
        return stdin
    if isinstance(stdin, (str, bytes)) or not hasattr(stdin, "__iter__"):
        raise TypeError(f"stdin= is a function of the prompt, or an iterable of lines (a list, not a str), not {stdin!r}")
    lines = iter(stdin)
    return lambda prompt: next(lines, None)


class Api:
    """The worker's exposed functions as attributes: ``await worker.api.name(*args)``."""

    def __init__(self, worker: Any) -> None:
        self._worker = worker

    def __getattr__(self, name: str) -> Callable[..., Any]:
        # Called for a name not found yet: the function made is kept as an attribute, so the
        # next access finds it without coming here.
        if name.startswith("__"):
            raise AttributeError(name)
        worker = self._worker

        def call(*args: Any) -> Any:
            return worker.call(name, *args)
        call.__name__ = call.__qualname__ = name
        self.__dict__[name] = call
        return call


class Calls:
    """What JsWorker and PyWorker have for calls (mixed into them by worker.py)."""

    _js: Any
    _flush: Callable[[], None]  # JsWorker's: sends the rest of the current burst

    async def call(self, name: str, *args: Any) -> Any:
        """Calls the function ``name`` the worker exposed (``inside.expose`` in a PyWorker,
        ``expose({...})`` in a JsWorker's script) and returns its result. The worker's exception is
        a ``WorkerError`` (``remote_type``, ``remote_message``, ``remote_stack``; a name the worker
        did not expose is a ``LookupError`` there, naming those it did); a worker that ends fails
        its pending calls at once. Cancelling the awaiting task cancels the call, whose answer
        is dropped: the worker cancels an async function running for it and, on a cross-origin
        isolated page, raises ``KeyboardInterrupt`` in a function running synchronously for it
        (elsewhere that function runs to its end)."""
        if not isinstance(name, str):
            raise TypeError(f"a call's name is a str, not {type(name).__name__}")
        body = to_js(encode([name, list(args)]))
        self._flush()  # the messages sent before it go first
        controller = js.AbortController.new()
        options = to_js({"signal": controller.signal, "body": body}, dict_converter=js.Object.fromEntries)
        try:
            result = await self._js._calls.call(name, None, options)
        except asyncio.CancelledError:
            controller.abort()
            raise
        except JsException as e:
            raise _translate(e) from None
        return decode(result.to_bytes())

    @property
    def api(self) -> Api:
        """The worker's exposed functions as attributes: ``await worker.api.name(*args)`` is
        ``await worker.call("name", *args)``."""
        api = self.__dict__.get("_api")
        if api is None:
            api = self.__dict__["_api"] = Api(self)
        return api

    def expose(self, fns: Any, name: str | None = None) -> Any:
        """Exposes functions of the page to the worker (``call`` / ``call_async`` in
        ``pywebworker.inside``): ``fn`` under ``name`` (default its ``__name__``), or each
        function of a dict under its key. A function may be async; its exception reaches the
        worker as a ``CallError``. Returns ``fns`` (so it works as a decorator)."""
        if isinstance(fns, dict):
            for key, fn in fns.items():
                if not isinstance(key, str) or not callable(fn):
                    raise TypeError(f"expose({{...}}) takes str keys and functions, not {key!r}: {type(fn).__name__}")
            entries = dict(fns)
        elif callable(fns):
            key = name if name is not None else getattr(fns, "__name__", None)
            if not isinstance(key, str) or not key:
                raise TypeError("expose(fn, name): this callable has no __name__, so give a name")
            entries = {key: fns}
        else:
            raise TypeError(f"expose() takes a function or a dict of functions, not {type(fns).__name__}")
        exposed: dict[str, Callable[..., Any]] = self.__dict__.setdefault("_exposed", {})
        if not exposed:
            self._call_proxy = create_proxy(self._on_call)
            self._js._calls.onCallEncoded = self._call_proxy
        exposed.update(entries)
        return fns

    def _answer(self, call_id: int, status: int, value: Any) -> None:
        try:
            body = encode(value)
        except Exception as e:
            status, body = 1, encode(describe_error(TypeError(f"the page's function returned a value that cannot be sent: {e}")))
        self._js._calls.answerEncoded(call_id, status, to_js(body))

    def _on_call(self, call_id: int, body: Any) -> None:
        """The worker called a function of the page: runs it, and answers."""
        exposed = self.__dict__.get("_exposed", {})
        try:
            name, args = decode(body.to_bytes())
            fn = exposed.get(name)
            if fn is None:
                self._answer(call_id, 1, unknown_name(name, exposed, "the page"))
                return
            result = fn(*args)
            if inspect.isawaitable(result):
                asyncio.ensure_future(self._finish(call_id, result))
                return
            self._answer(call_id, 0, result)
        except Exception as e:
            self._answer(call_id, 1, describe_error(e))

    async def _finish(self, call_id: int, awaitable: Any) -> None:
        try:
            result = await awaitable
        except Exception as e:
            self._answer(call_id, 1, describe_error(e))
            return
        self._answer(call_id, 0, result)
