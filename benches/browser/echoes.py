"""The two echo workers the Python benchmark and the demo page compare: a PyWorker echo, and the
baseline, what a user writes without pywebworker (a ``js.Worker`` whose own Pyodide echoes with
``postMessage``, ``create_proxy`` onmessage handlers on both sides). Both have the same methods:
``ready``, ``send``, ``recv``, ``kill``. Pyodide comes from the page's own server."""

import asyncio
import collections

import js
from pyodide.ffi import create_proxy, to_js

from pywebworker.worker import PyWorker

INDEX_URL = str(js.location.origin) + "/node_modules/pyodide/"

WORKER = """
const { loadPyodide } = await import(%r + "pyodide.mjs");
const py = await loadPyodide({ indexURL: %r });
py.runPython(`
import js
from pyodide.ffi import JsProxy, create_proxy, to_js

def onmessage(event):
    value = event.data
    if isinstance(value, JsProxy):
        value = value.to_py()
    js.postMessage(to_js(value, dict_converter=js.Object.fromEntries))

js.onmessage = create_proxy(onmessage)
`);
postMessage("ready");
""" % (INDEX_URL, INDEX_URL)


def object_(d):
    return to_js(d, dict_converter=js.Object.fromEntries)


class Handwritten:
    """A Worker running Pyodide, postMessage both ways."""

    def __init__(self):
        self.inbox = collections.deque()
        self.waiter = None
        blob = js.Blob.new(to_js([WORKER]), object_({"type": "text/javascript"}))
        self.url = js.URL.createObjectURL(blob)
        self.worker = js.Worker.new(self.url, object_({"type": "module"}))
        self.proxy = create_proxy(self.on_message)
        self.worker.onmessage = self.proxy

    def on_message(self, event):
        value = event.data
        if hasattr(value, "to_py"):
            value = value.to_py()
        self.inbox.append(value)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def ready(self):
        assert await self.recv() == "ready"

    def send(self, value):
        self.worker.postMessage(to_js(value, dict_converter=js.Object.fromEntries))

    async def recv(self):
        while not self.inbox:
            self.waiter = asyncio.get_event_loop().create_future()
            await self.waiter
        return self.inbox.popleft()

    def kill(self):
        self.worker.terminate()
        self.proxy.destroy()
        js.URL.revokeObjectURL(self.url)


ECHO = "from pywebworker.inside import send\ndef onmessage(value):\n    send(value)\n"


class Ours:
    """A PyWorker whose script sends every message back."""

    def __init__(self, transport="auto"):
        self.worker = PyWorker(ECHO, transport=transport)
        # The PyWorker's own methods, called as a user calls them (a wrapper method would add a
        # Python call and a coroutine to every message).
        self.ready = self.worker.ready
        self.send = self.worker.send_message
        self.recv = self.worker.recv

    def kill(self):
        self.worker.kill()
