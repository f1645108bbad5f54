"""What a PyWorker's script uses to talk to the page (importable inside a PyWorker only).

- ``send(obj)``: sends a value to the page.
- ``recv(timeout=None)``: the next message, blocking this worker without returning to the event
  loop (shared transport; with postMessage, define ``onmessage`` instead).
- ``messages()``: iterates over ``recv()``.
- ``flush()``: sends at once what this worker has sent so far (see below).
- A script that defines ``def onmessage(value): ...`` gets every message as it arrives.
- ``expose(fn, name=None)`` / ``expose({...})``: functions the page calls with
  ``await worker.call(name, *args)`` or ``worker.api.name(*args)``.
- ``call(name, *args)``: calls a function the page exposed (``worker.expose``), blocking until it
  answers (shared transport); ``await call_async(name, *args)`` on either transport.
- ``page.window`` / ``page.document``: the page's objects (shared transport), e.g.
  ``page.document.getElementById("out").textContent = "done"``; ``page.async_`` awaitable.

Messages reach Python in batches (every message waiting, with one call from JavaScript), and what
the handlers send while a batch runs leaves together: when the batch ends, when 256 KiB are
waiting, or (at a send, or after 32 messages handled) once 0.2 ms have passed since the batch
began or its last frames left.
A handler that sends and then computes for long can call ``flush()`` to let the page have it
first. Printed lines forwarded to the page travel in the same stream, in order.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import inspect
import io
import struct
import sys
import time
from typing import Any, Callable, Iterator

import _pywebworker_channel as _channel  # type: ignore[import-not-found]  # registered by the worker runtime

from ._codec import _BYTES, _KIND_BYTES, _STR, CodecError, decode, decode_batch, describe_error, encode, encode_str_run
from ._codec import STDIN_CALL, unknown_name
from ._codec import tagged_bytes_frame_head as _bytes_frame_head
from ._codec import tagged_frame_head as _frame_head
from ._codec import tagged_str_frame_head as _str_frame_head
from ._ffi import js_bytes
from ._page import AsyncPageProxy, Page, PageObjectReleased, PageProxy

__all__ = ["send", "recv", "messages", "flush", "transport", "expose", "call", "call_async", "CallError",
           "CallTimeoutError", "CallIsolationError", "page", "PageProxy", "AsyncPageProxy", "PageObjectReleased"]

transport: str = str(_channel.transport)

# Frame tags (js-shim/protocol.js).
_DATA, _ERROR, _STDOUT, _STDERR = 0, 1, 2, 3
_CALL, _RESULT, _CANCEL, _PAGE = 4, 5, 6, 7
_FLUSH_BYTES = 1 << 18
_FLUSH_SECONDS = 0.0002

# What the handlers send while a batch runs, frame after frame (the batch format of
# js-shim/protocol.js), until _flush sends it with one call.
_out = bytearray()
_put = _out.extend
# Then short strs sent after those frames: they leave as one run when they are ASCII (a few calls
# for all of them; see _codec.encode_str_run).
_run: list[str] = []
_add = _run.append
_RUN_STR = 256  # strs shorter than this go in the run
_RUN_MAX = 1024  # a run this long leaves (a quarter of a mebibyte at most)
_batching = False
_batch_started = 0.0
_last_check = 0.0
# Sends between two reads of the clock (a read costs about 0.4 us in Pyodide): 1 after a read
# that found the sends slow, doubling up to 32 while they come fast.
_check_every = 1
_until_check = 1


def send(obj: Any) -> None:
    """Sends ``obj`` to the page (TypeError, before sending, for a value that cannot be sent)."""
    global _until_check
    if not _batching:
        _channel.send(_DATA, js_bytes(encode(obj)))
        return
    # A reply in a batch. A short str is only put in a list (the run, encoded with a few calls for
    # all of them); a longer str or bytes goes straight into the batch's frames with one head for
    # the frame and the value (what encode would do, without its call: a call costs Pyodide
    # about a sixth of an echo).
    t = type(obj)
    if t is str and len(obj) < _RUN_STR:
        _add(obj)
    else:
        if _run:
            _close_run()
        if t is str:
            b = obj.encode()
            n = len(b)
            _put(_str_frame_head(n + 5, _DATA, _STR, n))
        elif t is bytes:
            b = obj
            n = len(b)
            _put(_bytes_frame_head(n + 6, _DATA, _BYTES, _KIND_BYTES, n))
        else:
            b = encode(obj)
            _put(_frame_head(len(b), _DATA))
        _put(b)
    _until_check -= 1
    if _until_check <= 0 or len(_out) >= _FLUSH_BYTES:
        _check()


def recv(timeout: float | None = None) -> Any:
    """The next message from the page, waiting up to ``timeout`` seconds (None: no limit)."""
    _flush()
    return decode(_channel.recv(None if timeout is None else timeout * 1000).to_bytes())


def messages() -> Iterator[Any]:
    """Every message from the page, as it arrives (blocking between them)."""
    while True:
        yield recv()


def flush() -> None:
    """Sends at once what this worker has sent so far (in a handler, replies otherwise wait for
    the batch of messages being handled to end, 256 KiB, or 0.2 ms)."""
    _flush()


def _emit(tag: int, payload: bytes) -> None:
    """Sends one frame: at once, or with the rest of the batch being handled."""
    global _until_check
    if not _batching:
        _channel.send(tag, js_bytes(payload))
        return
    if _run:
        _close_run()
    _put(_frame_head(len(payload), tag))
    _put(payload)
    _until_check -= 1
    if _until_check <= 0 or len(_out) >= _FLUSH_BYTES:
        _check()


def _check() -> None:
    """Sends the batch's frames if they reach 256 KiB or have waited 0.2 ms, and sets when to
    look at the clock next."""
    global _check_every, _until_check, _last_check
    now = time.perf_counter()
    if len(_out) >= _FLUSH_BYTES or len(_run) >= _RUN_MAX or now - _batch_started >= _FLUSH_SECONDS:
        _flush(now)
    # Sends slower than the clock's limit are each checked; fast ones every 32.
    _check_every = 1 if now - _last_check >= _FLUSH_SECONDS else min(_check_every * 2, 32)
    _until_check = _check_every
    _last_check = now


def _flush(now: float | None = None, urgent: bool = True) -> None:
    """Sends what the handlers wrote, with one call (``urgent``: on the postMessage transport too
    before this task ends; the end of a batch leaves that to the runtime, with its acknowledgement)."""
    global _batch_started
    if _run:
        data = None if _out else encode_str_run(_run)
        if data is None:
            _close_run()
        else:
            _run.clear()
            _channel.send_batch(js_bytes(data), urgent)
    if _out:
        _channel.send_batch(js_bytes(_out), urgent)
        _out.clear()
    _batch_started = time.perf_counter() if now is None else now


def _close_run() -> None:
    """Writes the pending strs as frames after the others."""
    for value in _run:
        b = value.encode()
        _put(_str_frame_head(len(b) + 5, _DATA, _STR, len(b)))
        _put(b)
    _run.clear()


def _report(e: BaseException) -> None:
    """Reports a handler's exception to the page, in order with the messages."""
    _emit(_ERROR, encode(describe_error(e)))


def _handler(repl: bool) -> Callable[[Any], Any]:
    if repl:
        return _repl
    handler = getattr(sys.modules["__main__"], "onmessage", None)
    if handler is None:
        raise RuntimeError("this PyWorker's script defines no onmessage(value) function to receive messages")
    return handler


def _dispatch_batch(batch: Any, repl: bool) -> None:
    """Called by the runtime with every waiting message (``[len:u32][bytes]...``): runs the
    script's ``onmessage`` (or the REPL) on each, reporting each exception, then sends the replies."""
    global _batching, _batch_started
    data = batch.to_bytes()
    handler = _handler(repl)
    _batching = True
    _batch_started = time.perf_counter()
    try:
        # 32 at a time: the replies to the first messages can leave (every 0.2 ms) before the
        # rest of a long batch is decoded.
        for values in decode_batch(data, 32):
            if _out and time.perf_counter() - _batch_started >= _FLUSH_SECONDS:
                _flush()
            for value in values:
                try:
                    if type(value) is CodecError:
                        raise value
                    handler(value)
                except BaseException as e:  # KeyboardInterrupt from interrupt() too: the next message goes on
                    _report(e)
    finally:
        _batching = False
        _flush(urgent=False)


class _Lines(io.TextIOBase):
    """A stream that forwards each printed line to the page (``stdout=`` / ``stderr=``)."""

    def __init__(self, tag: int, name: str) -> None:
        self._tag = tag
        self._pending = ""
        self.name = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            _emit(self._tag, encode(line))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            line, self._pending = self._pending, ""
            _emit(self._tag, encode(line))


if _channel.forward_stdout:
    sys.stdout = _Lines(_STDOUT, "<stdout>")
if _channel.forward_stderr:
    sys.stderr = _Lines(_STDERR, "<stderr>")

_repl_globals: dict[str, Any] = {"__name__": "__repl__"}


def _repl(code: Any) -> None:
    """The 0.0.8 behaviour of a PyWorker without a script: run each message as Python code and
    answer with what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(str(code), "<message>", "exec"), _repl_globals)
    send(out.getvalue())


# ---- Calls between the page and this worker ----------------------------------------------------


class CallError(Exception):
    """A function of the page raised: ``remote_type``, ``remote_message`` and ``remote_stack``
    describe its error (None for an error of the call itself)."""

    remote_type: str | None = None
    remote_message: str | None = None
    remote_stack: str | None = None


class CallTimeoutError(CallError, TimeoutError):
    """The page did not answer a call within its timeout (``timeout=``, or the worker's
    ``call_timeout=``, 30 seconds by default)."""


class CallIsolationError(CallError):
    """``call()`` blocks, which needs the shared transport: the page is not cross-origin isolated
    (use ``await call_async(...)``, or isolate the page)."""


_CALL_ERRORS = {cls.__name__: cls for cls in (CallError, CallTimeoutError, CallIsolationError)}

_exposed: dict[str, Callable[..., Any]] = {}
_running: dict[int, Any] = {}  # the page's calls of async functions, still running


def expose(fn: Any, name: str | None = None) -> Any:
    """Exposes ``fn`` to the page under ``name`` (default: its ``__name__``), or each function of a
    dict under its key; returns ``fn`` (so it works as a decorator). A function may be async."""
    if isinstance(fn, dict):
        for key, f in fn.items():
            if not isinstance(key, str) or not callable(f):
                raise TypeError(f"expose({{...}}) takes str keys and functions, not {key!r}: {type(f).__name__}")
        _exposed.update(fn)
        return fn
    if not callable(fn):
        raise TypeError(f"expose() takes a function or a dict of functions, not {type(fn).__name__}")
    key = name if name is not None else getattr(fn, "__name__", None)
    if not isinstance(key, str) or not key:
        raise TypeError("expose(fn, name): this callable has no __name__, so give a name")
    _exposed[key] = fn
    return fn


def _answer(call_id: int, status: int, value: Any) -> None:
    """Sends the result of the page's call (an error result: ``describe_error``'s dict)."""
    try:
        body = encode(value)
    except Exception as e:
        status = 1
        body = encode(describe_error(TypeError(f"the worker's function returned a value that cannot be sent: {e}")))
    _emit(_RESULT, struct.pack("<IB", call_id, status) + body)


def _handle_call(call_id: Any, body: Any) -> None:
    """Runs the function the page called (``[name, args]`` encoded) and sends its result."""
    call_id = int(call_id)
    try:
        name, args = decode(body.to_bytes())
        fn = _exposed.get(name)
        if fn is None:
            _answer(call_id, 1, unknown_name(name, _exposed, "the worker"))
            return
        result = fn(*args)
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            _running[call_id] = task
            task.add_done_callback(lambda t: _finish_call(call_id, t))
            return
        _answer(call_id, 0, result)
    except BaseException as e:  # KeyboardInterrupt too: the page learns the call was interrupted
        _answer(call_id, 1, describe_error(e))


def _finish_call(call_id: int, task: Any) -> None:
    if _running.pop(call_id, None) is None or task.cancelled():
        return  # cancelled by the page, which is not waiting any more
    e = task.exception()
    if e is None:
        _answer(call_id, 0, task.result())
    else:
        _answer(call_id, 1, describe_error(e))


def _cancel_call(call_id: Any) -> None:
    """The page cancelled its call: an async function running for it is cancelled."""
    task = _running.pop(int(call_id), None)
    if task is not None:
        task.cancel()


def _timeout_ms(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout is a number of seconds above 0 (or None: the worker's call_timeout), not {timeout!r}")
    return timeout * 1000


def _call_error(e: Exception) -> Exception:
    """The Python exception for what a call of the page threw in JavaScript."""
    err = getattr(e, "js_error", None)
    cls = _CALL_ERRORS.get(str(getattr(err, "name", "")))
    if cls is None:
        return e

    error = cls(str(err.message))
    for name, attr in (("remote_type", "remoteName"), ("remote_message", "remoteMessage"), ("remote_stack", "remoteStack")):
        v = getattr(err, attr, None)
        setattr(error, name, None if v is None else str(v))
    return error


def _call_sync(name: str, body: bytes, timeout_ms: float | None, tag: int = _CALL) -> bytes:
    from pyodide.ffi import JsException  # type: ignore[import-not-found]
    _flush()
    try:
        result = _channel.call_sync(name, js_bytes(body), timeout_ms, tag)
    except JsException as e:
        raise _call_error(e) from None
    return result.to_bytes()


def _call_begin(name: str, body: bytes, timeout_ms: float | None, tag: int = _CALL) -> Any:
    """Sends a call now; returns the JavaScript promise of its answer (for ``_call_end``)."""
    _flush()
    return _channel.call_async(name, js_bytes(body), timeout_ms, tag)


async def _call_end(promise: Any) -> bytes:
    from pyodide.ffi import JsException  # type: ignore[import-not-found]
    try:
        result = await promise
    except JsException as e:
        raise _call_error(e) from None
    return result.to_bytes()


async def _call_async(name: str, body: bytes, timeout_ms: float | None, tag: int = _CALL) -> bytes:
    return await _call_end(_call_begin(name, body, timeout_ms, tag))


def call(name: str, *args: Any, timeout: float | None = None) -> Any:
    """Calls the function ``name`` the page exposed with ``args`` and returns its result, blocking
    this worker until the page answers (shared transport; on a page that is not cross-origin
    isolated it raises ``CallIsolationError``: use ``call_async``). What the page's function
    throws is ``CallError``; no answer within ``timeout`` seconds (default: the worker's
    ``call_timeout=``) is ``CallTimeoutError``. Messages that arrive meanwhile wait, in order."""
    return decode(_call_sync(name, encode([name, list(args)]), _timeout_ms(timeout)))


async def call_async(name: str, *args: Any, timeout: float | None = None) -> Any:
    """``call`` without blocking: awaitable on both transports."""
    return decode(await _call_async(name, encode([name, list(args)]), _timeout_ms(timeout)))


#: The page's objects: ``page.window``, ``page.document`` (synchronous, shared transport) and
#: ``page.async_`` (awaitable, either transport); see _page.py.
page = Page(lambda name, body: _call_sync(name, body, None, _PAGE),
            lambda name, body: _call_begin(name, body, None, _PAGE), _call_end, _exposed, transport == "shared")


# ---- input() and sys.stdin, answered by the page -------------------------------------------------


def _read_line(prompt: str) -> str | None:
    """A line from the page's ``stdin=`` (None at the end of input)."""
    if transport != "shared":
        raise CallIsolationError("input() and sys.stdin wait for the page, which needs the shared transport: this page "
                                 "is not cross-origin isolated. Serve it with the headers 'Cross-Origin-Opener-Policy: "
                                 "same-origin' and 'Cross-Origin-Embedder-Policy: require-corp' (recipes in "
                                 "server-headers/), or register the isolation service worker (isolation-sw.js)")
    line = call(STDIN_CALL, prompt)
    if line is not None and not isinstance(line, str):
        raise TypeError(f"the page's stdin= gave a {type(line).__name__}, not a str (or None: end of input)")
    return line


def _input(prompt: Any = "") -> str:
    """``input()`` in a PyWorker: the page's ``stdin=`` answers; EOFError at the end of input."""
    line = _read_line(str(prompt))
    if line is None:
        raise EOFError("EOF when reading a line (the page's stdin= has no more lines)")
    return line.rstrip("\n")


class _Stdin(io.TextIOBase):
    """``sys.stdin`` in a PyWorker: each line read comes from the page's ``stdin=``."""

    name = "<stdin>"

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:
        line = _read_line("")
        return "" if line is None else line.rstrip("\n") + "\n"

    def read(self, size: int | None = -1) -> str:
        return "".join(iter(self.readline, ""))


builtins.input = _input
sys.stdin = _Stdin()
