"""The page side of pywebworker's JavaScript shim, as Python reaches it.

``runtime()`` sets the shim up once, synchronously, from the files the wheel carries (a classic
bundle, the wasm module compiled from bytes, the worker runtime behind a ``blob:`` URL): no
``await`` and nothing fetched, so a worker can be created by synchronous Python at import time.
"""

from __future__ import annotations

from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import to_js  # type: ignore[import-not-found]

from . import _web

_api: Any = None


def runtime() -> Any:
    """The shim's page side (``globalThis.pywebworker``), set up by the first call."""
    global _api
    if _api is None:
        from pyodide.code import run_js  # type: ignore[import-not-found]

        if not hasattr(js.globalThis, "pywebworker"):
            run_js(_web.read("pywebworker.iife.js").decode())
        api = js.globalThis.pywebworker
        module = js.WebAssembly.Module.new(to_js(_web.read("pkg/pywebworker_bg.wasm")))
        api.useRuntimeSync(api.glue, module)
        source = _web.read("worker-runtime.bundle.js").decode()
        blob = js.Blob.new(to_js([source]), js_object({"type": "text/javascript"}))
        api.configure(js_object({"runtimeUrl": js.URL.createObjectURL(blob)}))
        _api = api
    return _api


def js_object(d: dict[str, Any]) -> Any:
    """A plain JavaScript object with the entries of ``d``."""
    return to_js(d, dict_converter=js.Object.fromEntries)
