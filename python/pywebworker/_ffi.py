"""Bytes handed from Pyodide's Python to JavaScript, on the page and in a PyWorker alike."""

from __future__ import annotations

from typing import Any

from pyodide.ffi import to_js  # type: ignore[import-not-found]

#: From this many bytes, encoded messages are handed over as they are and read by JavaScript in
#: place (Python's buffer protocol) instead of copied by ``to_js``, which copies a mebibyte in
#: about 0.8 ms.
IN_PLACE_BYTES = 4096


def js_bytes(data: bytes | bytearray) -> Any:
    """``data`` for a JavaScript call that takes encoded messages (``withBytes`` in the shim)."""
    return to_js(data) if len(data) < IN_PLACE_BYTES else data
