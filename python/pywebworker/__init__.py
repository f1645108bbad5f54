"""pywebworker: Web Workers for Pyodide over lock-free rings in shared wasm memory."""

__version__ = "0.1.0"
