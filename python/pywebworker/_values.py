"""How Python values cross to JavaScript and back, on the page and inside a PyWorker."""

from __future__ import annotations

from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import JsProxy, to_js  # type: ignore[import-not-found]


def _check(value: Any, path: str = "value", depth: int = 0) -> None:
    """Raises TypeError naming the type (and where it is) for a value that cannot be sent."""
    if depth > 512:
        raise TypeError(f"pywebworker cannot send this value (at {path}): it nests too deep or refers to itself")
    if value is None or isinstance(value, (str, bytes, bytearray, memoryview, bool, int, float)):
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]", depth + 1)
        return
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                raise TypeError(f"pywebworker cannot send a dict with a key of type {type(k).__name__} "
                                f"(at {path}): keys must be str")
            _check(item, f"{path}[{k!r}]", depth + 1)
        return
    raise TypeError(f"pywebworker cannot send a value of type {type(value).__name__} (at {path}): a message "
                    "may hold str, bytes, bytearray, memoryview, int, float, bool, None, list, tuple and "
                    "dict with str keys")


def _to_js(value: Any) -> Any:
    _check(value)
    if isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    return to_js(value, dict_converter=js.Object.fromEntries, create_pyproxies=False)


def _to_py(value: Any) -> Any:
    """The Python value of a received JavaScript value: typed arrays and ArrayBuffers become
    bytes, arrays lists, plain objects dicts, bigints ints (recursively)."""
    if not isinstance(value, JsProxy):
        return value
    if js.ArrayBuffer.isView(value):
        return js.Uint8Array.new(value.buffer, value.byteOffset, value.byteLength).to_bytes()
    if value.constructor == js.ArrayBuffer:
        return js.Uint8Array.new(value).to_bytes()
    if js.Array.isArray(value):
        return [_to_py(item) for item in value]
    if value.typeof == "bigint":
        return int(js.String(value))
    return {str(k): _to_py(js.Reflect.get(value, k)) for k in js.Object.keys(value)}
