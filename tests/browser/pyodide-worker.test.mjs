// PyWorker and JsWorker from Python in real Pyodide, with the wheel from micropip, on an isolated
// page and an ordinary one: receiving, Python workers, values, ring sizes, streams, flushing,
// printed lines, packages= and URLs with environment variables. Errors are in
// pyodide-errors.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runPython } from "./harness.mjs";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

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
for i in (2, -1):
    try:
        w.get_message(i)
    except IndexError as e:
        print("IndexError:", e)
w.kill()
`);
    assert.deepEqual(lines, ["True True", "a", "['b', 'c'] ['b', 'c'] c",
      "IndexError: no message 2: 2 message(s) are kept (those no recv() took)",
      "IndexError: no message -1: 2 message(s) are kept (those no recv() took)"]);
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

async def arrivals(how):
    w.send_message(how)
    at = {}
    for _ in range(3):
        v = await w.recv(timeout=10)
        at[v] = time.perf_counter()
    # 0.4 s apart when each leaves as it is sent, together when one waits for the other
    return list(at), at["c"] - at["b"] > 0.1, at["b"] - at["a"] > 0.1

order, b_early, a_early = await arrivals("flush")
print("flush", order, "b before c:", b_early, "a before b:", a_early)
# Whether "a" waits for "b" depends on the worker sending it within 0.2 ms of the batch's start,
# which a busy machine can delay: of several tries, at least one shows it waiting.
tries = [await arrivals("no flush") for _ in range(6)]
print("no flush", all(t[0] == ["a", "b", "c"] for t in tries), "b before c:", all(t[1] for t in tries),
      "a waited for b:", not all(t[2] for t in tries))
w.kill()
`);
    // With flush(), "a" leaves at once; "b", sent 0.4 s after it, leaves at once too (0.2 ms have
    // passed); "c" leaves when the handler returns. Without flush(), "a" waits for "b" on an
    // isolated page when it was sent within 0.2 ms of the batch's start. On an ordinary page the
    // browser coarsens the clock (to 100 us or more, depending on the browser), so a tick between
    // the batch's start and the first send can let "a" leave at once: there only "b" leaving before
    // the handler returns is certain.
    assert.equal(lines.length, 2);
    assert.equal(lines[0], "flush ['a', 'b', 'c'] b before c: True a before b: True");
    if (isolated) assert.equal(lines[1], "no flush True b before c: True a waited for b: True");
    else assert.match(lines[1], /^no flush True b before c: True a waited for b: (True|False)$/);
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
