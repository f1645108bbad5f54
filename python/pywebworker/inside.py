"""What a PyWorker's script uses to talk to the page (importable inside a PyWorker only).

- ``send(obj)``: sends a value to the page.
- ``recv(timeout=None)``: the next message, blocking this worker without returning to the event
  loop (shared transport; with postMessage, define ``onmessage`` instead).
- ``messages()``: iterates over ``recv()``.
- A script that defines ``def onmessage(value): ...`` gets every message as it arrives.
"""

from __future__ import annotations

import contextlib
import io
import sys
from typing import Any, Iterator

import _pywebworker_channel as _channel  # type: ignore[import-not-found]  # registered by the worker runtime

from pyodide.ffi import to_js  # type: ignore[import-not-found]

from ._codec import decode, encode

__all__ = ["send", "recv", "messages", "transport"]

transport: str = str(_channel.transport)


def send(obj: Any) -> None:
    """Sends ``obj`` to the page (TypeError, before sending, for a value that cannot be sent)."""
    _channel.send(to_js(encode(obj)))


def recv(timeout: float | None = None) -> Any:
    """The next message from the page, waiting up to ``timeout`` seconds (None: no limit)."""
    return _value(_channel.recv(None if timeout is None else timeout * 1000))


def _value(payload: Any) -> Any:
    """The value of a message from the page: its encoded bytes (a Uint8Array), decoded."""
    return decode(payload.to_bytes())


def messages() -> Iterator[Any]:
    """Every message from the page, as it arrives (blocking between them)."""
    while True:
        yield recv()


def _dispatch(payload: Any) -> None:
    """Called by the runtime for each message: the script's ``onmessage``, or the REPL."""
    main = sys.modules["__main__"]
    handler = getattr(main, "onmessage", None)
    if handler is None:
        raise RuntimeError("this PyWorker's script defines no onmessage(value) function to receive messages")
    handler(_value(payload))


_repl_globals: dict[str, Any] = {"__name__": "__repl__"}


def _repl(code: Any) -> None:
    """The 0.0.8 behaviour of a PyWorker without a script: run each message as Python code and
    answer with what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(str(_value(code)), "<message>", "exec"), _repl_globals)
    send(out.getvalue())
