// The Python package in real Pyodide (npm package), installed with micropip from the wheel the
// set-up builds — on an isolated page and on an ordinary one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { runPython, withPage } from "./harness.mjs";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  test(`${mode}: micropip installs the wheel offline and it carries the shim and the wasm module`, async () => {
    const r = await withPage({ isolated, path: "/tests/browser/pages/pyodide.html" }, async (page) => {
      const ready = await page.evaluate(() => window.pyodideReady);
      assert.equal(ready, true, `Pyodide and micropip load: ${ready}`);
      return page.evaluate(async () => {
        const wheel = new URL("/target/wheels/pywebworker-0.1.0-py3-none-any.whl", location.href).href;
        const out = await pyodide.runPythonAsync(`
import json, micropip
await micropip.install(${JSON.stringify(wheel)})
import pywebworker
from pywebworker import _web
wasm = _web.read("pkg/pywebworker_bg.wasm")
try:
    _web.read("missing.js")
    missing = "no error"
except FileNotFoundError as e:
    missing = str(e)
json.dumps({"version": pywebworker.__version__, "names": _web.names(), "wasm_magic": list(wasm[:4]),
            "wasm_size": len(wasm), "missing": missing})
`);
        return JSON.parse(out);
      });
    });
    assert.equal(r.version, "0.1.0");
    for (const name of ["pywebworker.js", "page/jsworker.js", "worker/runtime.js", "worker-runtime.bundle.js", "codec.js", "pkg/pywebworker.js",
      "pkg/pywebworker_bg.wasm"]) {
      assert.ok(r.names.includes(name), `the wheel carries ${name}`);
    }
    assert.deepEqual(r.wasm_magic, [0, 0x61, 0x73, 0x6d], "the wasm module is intact");
    assert.ok(r.wasm_size > 10_000);
    assert.match(r.missing, /carries no web file 'missing\.js'/);
  });
}

// The same file the demo runs: the original Quick Reference, with JsWorker for its echo script.
const QUICK_REFERENCE = readFileSync(new URL("../../demo/py/quick_reference.py", import.meta.url), "utf8");
// The demo's same flow with a Python echo script in a PyWorker.
const PYTHON_ECHO = readFileSync(new URL("../../demo/py/python_echo.py", import.meta.url), "utf8");
// The original README's Quick Reference (pywebworker 0.0.6, where PyWorker ran JavaScript), as written.
const SEED_QUICK_REFERENCE = `from pywebworker.worker import PyWorker

# This script will print a message to the console when the worker starts and
# will echo back any messages it receives
script = '''
console.log('worker created');
self.onmessage = function(message){
\tconsole.log('Received: ' + message.data);
\tself.postMessage(message.data);
}
'''

worker = PyWorker(script)
worker.start()

# the script echos back whatever we send, that message should be ready for us
worker.send_message('This is the first message')
messages = worker.get_unread_messages()

# messages have a .read method so the consumer knows what has and has not been processed
print([message.read() for message in messages])

# the message list can be checked for any unread messages using the has_unread_messages method
worker.send_message('This is the second message')
print(worker.has_unread_messages())

# individual messages can be checked to see if they have been read or not
first_message = worker.get_message(0)
second_message = worker.get_message(1)
print(first_message.is_opened())
print(second_message.is_opened())

# this isn't recommended, but if you really need to check for new messages without using has_unread_messages() or
# get_unread_messages(), _update_messages() will update the messages attribute.
# PLEASE NOTE THAT THIS IS A TEMPORARY WAY TO UPDATE THE LIST, THIS WILL BE REMOVED LATER
worker.send_message('This is the third message')
worker._update_messages()
print(worker.get_message(2).read())

# killing the worker stops it *immediately*. Anything in-progress will be stopped, so only use this when it is certain
# the worker is done and no longer needed!
worker.kill()
`;

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  test(`${mode}: the seed's Quick Reference runs unchanged in Python with JsWorker`, async () => {
    const lines = await runPython(isolated, QUICK_REFERENCE);
    assert.deepEqual(lines, [
      "['This is the first message']", "True", "True", "False", "This is the third message",
      `transport: ${isolated ? "shared" : "post"}`,
    ]);
  });

  test(`${mode}: the demo's Quick Reference flow with a Python echo script in a PyWorker`, async () => {
    const lines = await runPython(isolated, PYTHON_ECHO);
    assert.deepEqual(lines, [
      "['This is the first message']", "True", "True", "False", "This is the third message",
      "('tuple', 1.0, b'\\x01', 1180591620717411303424)", `transport: ${isolated ? "shared" : "post"}`,
    ]);
  });

  test(`${mode}: Python errors: unsendable value, syntax error in the script, exception in the worker`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import JsWorker, WorkerScriptError, WorkerError
w = JsWorker("self.onmessage = (e) => { if (e.data === 'boom') throw new RangeError('no ' + e.data); self.postMessage(e.data); };")
w.start()
try:
    w.send_message({"ok": [1, 2], "bad": object()})
except TypeError as e:
    print("TypeError:", e)
try:
    JsWorker("self.onmessage = function ( {").start()
except WorkerScriptError as e:
    print("WorkerScriptError:", e.remote_type)
w.send_message("boom")
try:
    w.get_unread_messages()
except WorkerError as e:
    print("WorkerError:", e.remote_type, e.remote_message)
w.send_message({"still": "alive", "n": 3})
print([m.read() for m in w.get_unread_messages()])
w.kill()
`);
    assert.equal(lines.length, 4, lines.join("\n"));
    assert.match(lines[0], /^TypeError: pywebworker cannot send a value of type object \(at value\['bad'\]\)/);
    assert.equal(lines[1], "WorkerScriptError: SyntaxError");
    assert.equal(lines[2], "WorkerError: RangeError no boom");
    assert.equal(lines[3], "[{'still': 'alive', 'n': 3}]");
  });

  test(`${mode}: the 0.0.6 Quick Reference's PyWorker of a JavaScript script is a ScriptLanguageError at once, naming JsWorker; Python, valid or not, still goes to the worker`, { timeout: 120_000 }, async () => {
    const lines = await runPython(isolated, `
import js
from pyodide.code import run_js
from pywebworker.worker import JsWorker, PyWorker, ScriptLanguageError, WorkerScriptError
run_js("""{
  globalThis.workersMade = 0;
  const NativeWorker = globalThis.Worker;
  globalThis.Worker = class extends NativeWorker {
    constructor(...args) { super(...args); globalThis.workersMade++; }
  };
}""")
try:
    exec(${JSON.stringify(SEED_QUICK_REFERENCE)}, {})
    print("seed: ran")
except ScriptLanguageError as e:
    print("seed:", isinstance(e, ValueError), isinstance(e, WorkerScriptError), e.remote_type)
    print("message:", str(e))
shapes = {
    "arrow": "self.onmessage = (e) => self.postMessage(e.data);",
    "classic": "onmessage = function(e) {\\n  postMessage(e.data * 2);\\n};\\n",
    "listener": "self.addEventListener('message', async (e) => {\\n  const reply = await Promise.resolve(e.data);\\n  self.postMessage(reply);\\n});\\n",
}
for name, source in shapes.items():
    try:
        PyWorker(source)
        print(name + ": accepted")
    except ScriptLanguageError as e:
        print(name + ":", "JsWorker" in str(e))
print("workers made:", js.workersMade)
control = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
await control.ready()
control.send_message("js")
print("JsWorker:", await control.recv(timeout=10), js.workersMade)
control.kill()

broken = PyWorker("from pywebworker.inside import send\\nSHAPE = 'self.onmessage = (e) => self.postMessage(e.data);'\\ndef onmessage(value:\\n    send(value)\\n")
try:
    await broken.ready()
    print("syntax error: started")
except ScriptLanguageError:
    print("syntax error: refused as JavaScript")
except WorkerScriptError as e:
    print("syntax error:", e.remote_type, "line 3" in (e.remote_stack or ""), "JsWorker" in str(e))
broken.kill()
words = PyWorker("from pywebworker.inside import send\\nJS = 'self.onmessage = (e) => self.postMessage(e.data);'\\nfunction = 'const x = 1;'\\ndef onmessage(value):\\n    send([value, JS, function])\\n")
await words.ready()
words.send_message("py")
print("valid Python:", await words.recv(timeout=30))
words.kill()
`);
    assert.equal(lines[0], "seed: True True None", lines.join("\n"));
    assert.match(lines[1], /^message: PyWorker runs Python since pywebworker 0\.1\.0, and this script is JavaScript \(as Python, line 3: /);
    assert.match(lines[1], /Use JsWorker for a JavaScript script: `from pywebworker\.worker import JsWorker`, then `JsWorker\(script\)`/);
    assert.deepEqual(lines.slice(2), [
      "arrow: True", "classic: True", "listener: True",
      "workers made: 0",
      "JsWorker: js 1",
      "syntax error: SyntaxError True False",
      "valid Python: ['py', 'self.onmessage = (e) => self.postMessage(e.data);', 'const x = 1;']",
    ]);
  });

  test(`${mode}: await recv() and async for, ending when the worker closes itself`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import JsWorker
w = JsWorker("self.onmessage = (e) => { for (let i = 0; i < e.data; i++) self.postMessage({i, bytes: new Uint8Array([i])}); self.close(); };")
await w.ready()
w.send_message(4)
first = await w.recv(timeout=5)
print(first["i"], first["bytes"])
print([(v["i"], v["bytes"]) async for v in w])
print(w.state)
`);
    assert.deepEqual(lines, ["0 b'\\x00'", "[(1, b'\\x01'), (2, b'\\x02'), (3, b'\\x03')]", "exited"]);
  });

  test(`${mode}: PyWorker runs Python in its own Pyodide: echo, REPL mode, and a Python exception`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import PyWorker, WorkerError
echo = PyWorker("""
from pywebworker.inside import send, transport
def onmessage(value):
    send({"echo": value, "inside": transport})
""")
echo.start()
echo.send_message(["This is the first message", 2, b"\\x01"])
print([m.read() for m in echo.get_unread_messages()])
repl = PyWorker()
repl.start()
repl.send_message("x = 6 * 7\\nprint(x)")
repl.send_message("print(x + 1)")
print([m.read() for m in repl.get_unread_messages()])
repl.send_message("1 / 0")
try:
    repl.get_unread_messages()
except WorkerError as e:
    print(e.remote_type, "|", e.remote_message, "|", "Traceback" in (e.remote_stack or ""))
repl.send_message("print('still here')")
print([m.read() for m in repl.get_unread_messages()])
echo.kill(); repl.kill()
from pywebworker.worker import WorkerScriptError
try:
    PyWorker("def broken(:\\n    pass").start()
except WorkerScriptError as e:
    print("start:", e.remote_type, "|", "broken" in (e.remote_stack or ""))
`);
    const inside = isolated ? "shared" : "post";
    assert.deepEqual(lines, [
      `[{'echo': ['This is the first message', 2, b'\\x01'], 'inside': '${inside}'}]`,
      "['42\\n', '43\\n']",
      "ZeroDivisionError | division by zero | True",
      "['still here\\n']",
      "start: SyntaxError | True",
    ]);
  });

  test(`${mode}: Python errors: 404 URL, send to a killed worker, recv woken by kill, other workers intact`, async () => {
    const lines = await runPython(isolated, `
import asyncio
from pywebworker.worker import JsWorker, WorkerScriptError, WorkerKilledError
try:
    JsWorker(url="/tests/browser/tasks/no-such-script.js").start()
except WorkerScriptError as e:
    print("404:", "answered 404" in str(e))
quiet = JsWorker("self.onmessage = () => {};")
other = JsWorker(url="/tests/browser/tasks/echo-upper.js")
quiet.start(); other.start()
other.send_message("queued")
pending = asyncio.ensure_future(quiet.recv())
await asyncio.sleep(0.05)
quiet.kill()
try:
    await pending
except WorkerKilledError:
    print("recv woken: WorkerKilledError")
try:
    quiet.send_message("too late")
except WorkerKilledError as e:
    print("send:", str(e).split(":")[0])
print("other:", await other.recv(timeout=5))
other.kill()
`);
    assert.deepEqual(lines, ["404: True", "recv woken: WorkerKilledError", "send: the worker was killed",
      "other: QUEUED"]);
  });

  test(`${mode}: every Python value kind comes back identical through a Python echo`, async () => {
    const lines = await runPython(isolated, `
import math
from pywebworker.worker import PyWorker, JsWorker
values = [None, True, False, 0, -7, 2**31 - 1, -(2**31), 2**31, -(2**100), 10**40, 1.0, -0.0, 2.5, float("inf"),
          "", "héllo 漢字 🎉", "x" * 300_000, b"", b"\\x00\\xff" * 1000, bytearray(b"mutable"), memoryview(b"view"),
          memoryview(bytes(16)).cast("d"), [], [1, [2.0, "3"]], (), (1, ("nested", 2.0)), {}, {"k": (1, [b"v"]), "": None},
          bytes(2_000_000)]

def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, memoryview):
        return a.format == b.format and a.tobytes() == b.tobytes()
    return a == b

echo = PyWorker("from pywebworker.inside import send\\ndef onmessage(value):\\n    send(value)")
echo.start()
for v in values:
    echo.send_message(v)
back = [m.read() for m in echo.get_unread_messages()]
wrong = [f"{v!r:.40} -> {b!r:.40}" for v, b in zip(values, back) if not same(v, b)]
print(len(back), wrong)
# The same through recv(), which decodes every waiting reply in one batch.
for v in values:
    echo.send_message(v)
back = [await echo.recv(timeout=10) for _ in values]
wrong = [f"{v!r:.40} -> {b!r:.40}" for v, b in zip(values, back) if not same(v, b)]
print(len(back), wrong)
echo.send_message(float("nan"))
nan = await echo.recv(timeout=10)
print(type(nan).__name__, math.isnan(nan))
echo.kill()
# Through JavaScript, what JavaScript has no type for changes: tuples become lists, ints beyond
# 32 bits bigints (ints again in Python), whole floats numbers that read back as int, Python's
# bytes kinds Uint8Array (bytes again); typed arrays keep their element type.
js = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
js.start()
for v in [(1, 2), bytearray(b"ba"), 2**40, 1.0, memoryview(bytes(8)).cast("d")]:
    js.send_message(v)
back = [m.read() for m in js.get_unread_messages()]
print(back[:4], back[4].format, back[4].tolist())
js.kill()
`);
    assert.deepEqual(lines, ["29 []", "29 []", "float True", "[[1, 2], b'ba', 1099511627776, 1] d [0.0]"]);
  });

  test(`${mode}: capacity= sizes the rings: a burst larger than a small ring arrives whole; a bad one is a ValueError`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import PyWorker, JsWorker
for bad in (1000, 32, 2**31, "big"):
    try:
        PyWorker(capacity=bad)
        print("no error for", bad)
    except ValueError as e:
        print("ValueError:", e)
w = PyWorker("from pywebworker.inside import send\\ndef onmessage(v):\\n    send(v)", capacity=1 << 12)
await w.ready()
# Each larger than the 4 KiB rings (they travel in parts), 40 in flight, the large ones read in place.
payloads = [bytes([i]) * (3000 + 500 * i) for i in range(40)]
for p in payloads:
    w.send_message(p)
back = [await w.recv(timeout=30) for _ in payloads]
print(back == payloads, w.transport)
# Large messages waiting for room are held as their Python objects (shared transport; postMessage
# batches copy them), and let go when the worker is killed.
import asyncio, tracemalloc
tracemalloc.start()
base = tracemalloc.get_traced_memory()[0]
for _ in range(30):
    w.send_message(bytes(1 << 20))
await asyncio.sleep(0)  # the burst goes to JavaScript
held = tracemalloc.get_traced_memory()[0] - base
w.kill()
left = tracemalloc.get_traced_memory()[0] - base
tracemalloc.stop()
print("held MiB:", held >> 20, "after kill:", left >> 20)
# A script that sends more than its rings hold before it ends: ready() does not wait for room.
import asyncio
w = PyWorker("from pywebworker.inside import send\\nfor i in range(2000):\\n    send(i)", capacity=1 << 12)
await asyncio.wait_for(w.ready(), 20)
print([await w.recv(timeout=10) for _ in range(2000)] == list(range(2000)))
w.kill()
`);
    assert.deepEqual(lines.slice(0, 4), [1000, 32, 2 ** 31, "'big'"].map((v) =>
      `ValueError: capacity is the bytes of a ring: a power of two from 64 to 2**30, not ${v}`));
    assert.equal(lines[4], `True ${isolated ? "shared" : "post"}`);
    assert.equal(lines[5], `held MiB: ${isolated ? 30 : 0} after kill: 0`);
    assert.equal(lines[6], "True");
  });

  test(`${mode}: messages recv() took are not kept: a long stream holds no memory; the getters see the rest`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import PyWorker
w = PyWorker("from pywebworker.inside import send\\ndef onmessage(v):\\n    send(v)")
await w.ready()
in_order, longest = True, 0
for i in range(0, 20000, 1000):
    for k in range(i, i + 1000):
        w.send_message(k)
    for k in range(i, i + 1000):
        in_order = in_order and await w.recv(timeout=10) == k
    longest = max(longest, w._js.messages.length)
print(in_order, longest <= 2048 or longest)
for x in ("a", "b", "c"):
    w.send_message(x)
print(await w.recv(timeout=10))
print([m.data for m in w.get_messages()], [m.read() for m in w.get_unread_messages()], w.get_message(1).data)
w.kill()
`);
    assert.deepEqual(lines, ["True True", "a", "['b', 'c'] ['b', 'c'] c"]);
  });

  test(`${mode}: replies ${isolated ? "wait for the batch to end unless 0.2 ms have passed" : "leave while the handler computes"} or flush() sends them`, async () => {
    // The handler sends, computes for 0.4 s, sends again...: what the page sees as each arrives.
    const lines = await runPython(isolated, `
import time
from pywebworker.worker import PyWorker
w = PyWorker("""
import time
from pywebworker.inside import send, flush
def busy(s):
    end = time.perf_counter() + s
    while time.perf_counter() < end:
        pass
def onmessage(v):
    if v == "flush":
        send("a")
        flush()
        busy(0.4)
    else:
        send("a")
        busy(0.4)
    send("b")
    busy(0.4)
    send("c")
""")
await w.ready()
for how in ("flush", "no flush"):
    w.send_message(how)
    at = {}
    for _ in range(3):
        v = await w.recv(timeout=10)
        at[v] = time.perf_counter()
    print(how, list(at), "b before c:", at["c"] - at["b"] > 0.25, "a before b:", at["b"] - at["a"] > 0.25)
w.kill()
`);
    // With flush(), "a" leaves at once; "b", sent 0.4 s after it, leaves at once too (0.2 ms have
    // passed); "c" leaves when the handler returns. Without flush(), "a" waits for "b" on an
    // isolated page. On an ordinary page the browser coarsens the clock (to 100 us or more, depending
    // on the browser), so a tick between the batch's start and the first send can let "a" leave at
    // once: there only "b" leaving before the handler returns is certain.
    assert.equal(lines.length, 2);
    assert.equal(lines[0], "flush ['a', 'b', 'c'] b before c: True a before b: True");
    if (isolated) assert.equal(lines[1], "no flush ['a', 'b', 'c'] b before c: True a before b: False");
    else assert.match(lines[1], /^no flush \['a', 'b', 'c'\] b before c: True a before b: (True|False)$/);
  });

  test(`${mode}: a PyWorker's printed lines go to a Python callback, in order with its messages`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import PyWorker
got = []
w = PyWorker("""
import sys
from pywebworker.inside import send
print("started")
def onmessage(value):
    print("got", value)
    print("warning:", value, file=sys.stderr)
    send(value * 2)
""", stdout=lambda line: got.append(("out", line)), stderr=lambda line: got.append(("err", line)))
w.start()
w.send_message(21)
got.append(("message", await w.recv(timeout=10)))
print(got)
try:
    PyWorker("pass", stdout=42)
except TypeError as e:
    print("TypeError:", e)
w.kill()
`);
    assert.deepEqual(lines, [
      "[('out', 'started'), ('out', 'got 21'), ('err', 'warning: 21'), ('message', 42)]",
      "TypeError: stdout= and stderr= take None, \"console\" or a function of one str, not 42",
    ]);
  });

  test(`${mode}: PyWorker packages= loads a wheel by URL before the script; a missing one fails start()`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import PyWorker, WorkerScriptError
script = "import micropip\\nfrom pywebworker.inside import send\\nsend(micropip.__name__)"
try:
    PyWorker(script).start()
except WorkerScriptError as e:
    print("without:", e.remote_type)
w = PyWorker(script, packages=["/target/wheels/micropip-0.11.1-py3-none-any.whl"])
w.start()
print("with:", await w.recv(timeout=10))
w.kill()
try:
    PyWorker("pass", packages=["/target/wheels/no-such-1.0-py3-none-any.whl"]).start()
except WorkerScriptError as e:
    print("missing:", "did not load" in str(e), "no-such" in str(e))
`);
    assert.deepEqual(lines, ["without: ModuleNotFoundError", "with: micropip", "missing: True True"]);
  });

  test(`${mode}: Python errors: unhandled rejection, kill while the worker writes, 500 workers created and killed`, async () => {
    const lines = await runPython(isolated, `
import asyncio
from pywebworker.worker import JsWorker, WorkerError, WorkerKilledError
import pywebworker.worker as pw
w = JsWorker("self.onmessage = (e) => { if (e.data === 'boom') Promise.reject(new TypeError('late ' + e.data)); self.postMessage(e.data); };")
await w.ready()
w.send_message("boom")
print("first:", await w.recv(timeout=10))
try:
    await w.recv(timeout=10)
except WorkerError as e:
    print("rejection:", e.remote_type, e.remote_message)
w.send_message("still running")
print("after:", await w.recv(timeout=10))
w.kill()

writer = JsWorker("self.onmessage = () => { for (let i = 0; ; i++) self.postMessage({i, blob: 'x'.repeat(400000)}); };")
bystander = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
await writer.ready(); await bystander.ready()
bystander.send_message("queued")
writer.send_message("go")
got = [await writer.recv(timeout=10) for _ in range(3)]
writer.kill()
got += [m.read() for m in writer.get_unread_messages()]
print("whole and in order:", [g["i"] for g in got[:3]], all(len(g["blob"]) == 400000 for g in got),
      [g["i"] for g in got] == list(range(len(got))))
try:
    writer.send_message("more")
except WorkerKilledError:
    print("send after kill: WorkerKilledError")
print("bystander:", await bystander.recv(timeout=10))
bystander.kill()

from pywebworker.worker import SettleError
twice = JsWorker("self.onmessage = (e) => { if (e.data === 'go') { self.postMessage('a'); self.postMessage('b'); } };")
await twice.ready()
try:
    await twice.recv(timeout=0.2)
except SettleError as e:
    print("timeout:", e)
waiting = [asyncio.ensure_future(twice.recv(timeout=10)) for _ in range(2)]
await asyncio.sleep(0.05)
twice.send_message("go")
print("two waiters:", sorted([await waiting[0], await waiting[1]]))
twice.kill()

for i in range(500):
    worker = JsWorker("self.onmessage = (e) => self.postMessage(e.data + 1);")
    await worker.ready()
    worker.send_message(i)
    assert await worker.recv(timeout=10) == i + 1
    worker.kill()
stats = await pw._runtime().runtimeStats()
for _ in range(100):
    if stats.liveLinks == 0:
        break
    await asyncio.sleep(0.05)
    stats = await pw._runtime().runtimeStats()
print("500 workers, live links:", stats.liveLinks)
`);
    assert.deepEqual(lines, [
      "first: boom", "rejection: TypeError late boom", "after: still running",
      "whole and in order: [0, 1, 2] True True", "send after kill: WorkerKilledError", "bystander: queued",
      "timeout: no message from the worker within 200 ms", "two waiters: ['a', 'b']", "500 workers, live links: 0",
    ]);
  });

  if (isolated) {
    test("isolated, shared only: overwritten channel memory is a ChannelCorruptError in Python; other workers go on", async () => {
      const lines = await runPython(true, `
import js
from pywebworker.worker import JsWorker, ChannelCorruptError
victim = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
other = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
await victim.ready(); await other.ready()
victim.send_message("before")
print("before:", await victim.recv(timeout=10))
other.send_message("queued for the other worker")
rt = victim._js._rt
js.Uint8Array.new(rt.memory.buffer, rt.glue.portIncomingRegion(victim._js._port), 192).fill(0xab)
try:
    await victim.recv(timeout=10)
except ChannelCorruptError as e:
    print("recv:", type(e).__name__, "kill() this worker" in str(e))
try:
    victim.send_message("after")
except ChannelCorruptError:
    print("send: ChannelCorruptError")
print("other:", await other.recv(timeout=10))
other.kill(); victim.kill()
`);
      assert.deepEqual(lines, ["before: before", "recv: ChannelCorruptError True", "send: ChannelCorruptError",
        "other: queued for the other worker"]);
    });
  }

  test(`${mode}: transport= in Python (${isolated ? "shared works" : "shared is an IsolationError"}), and the context manager`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import JsWorker, IsolationError
try:
    w = JsWorker("self.onmessage = (e) => self.postMessage(e.data);", transport="shared")
    print("shared:", w.transport)
    w.kill()
except IsolationError as e:
    print("IsolationError:", "Cross-Origin-Opener-Policy" in str(e))
try:
    JsWorker("", transport="pigeon")
except TypeError as e:
    print("TypeError:", e)
with JsWorker("self.onmessage = (e) => self.postMessage(e.data * 2);", transport="post") as w:
    w.send_message(21)
    print("inside:", w.transport, w.get_unread_messages()[0].read())
print("after:", w.state)
lazy = JsWorker("self.onmessage = (e) => self.postMessage(e.data + 1);")
lazy.send_message(1)
print("not started:", lazy.state, await lazy.recv(timeout=10))
lazy.kill()
`);
    assert.deepEqual(lines, [
      isolated ? "shared: shared" : "IsolationError: True",
      'TypeError: transport must be "auto", "shared" or "post", not "pigeon"',
      "inside: post 42", "after: killed", "not started: created 2",
    ]);
  });

  test(`${mode}: PyWorker from a URL, with environment variables`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import PyWorker
w = PyWorker(url="/tests/browser/tasks/greet.py", env={"GREETING": "bonjour"})
w.start()
w.send_message("Ada")
print(w.get_unread_messages()[0].read())
w.kill()
`);
    assert.deepEqual(lines, ["bonjour, Ada"]);
  });
}
