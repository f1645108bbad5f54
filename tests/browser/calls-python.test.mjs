// Calls both ways between a Python page (real Pyodide, the wheel from micropip) and a PyWorker,
// on a cross-origin isolated page (shared rings) and an ordinary one (postMessage): the page
// calls what the worker exposed (many in flight, WorkerError with the worker's traceback, unknown
// names, cancelling the awaiting task, a killed worker), the worker calls what the page exposed
// (await call_async everywhere; call() blocking on the shared transport only), and call_timeout=.
// Every wait in the Python is bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runPython } from "./harness.mjs";

const OPTIONS = { timeout: 300_000 };

const WORKER = `
import asyncio
from pywebworker import inside
from pywebworker.inside import expose, call, call_async, send, CallError, CallTimeoutError, CallIsolationError

@expose
def add(a, b):
    return a + b

async def later(x):
    await asyncio.sleep(0.001 * (x % 5))
    return (x, "later")

def fails(x):
    raise KeyError(f"no {x}")

async def forever():
    await asyncio.sleep(3600)

expose({"later": later, "fails": fails, "forever": forever})
expose(lambda: inside.transport, name="transport")

async def ask_page():
    out = {"many": await asyncio.gather(*(call_async("double", i) for i in range(50)))}
    try:
        await call_async("boom")
    except CallError as e:
        out["boom"] = [type(e).__name__, e.remote_type, e.remote_message]
    try:
        await call_async("missing")
    except CallError as e:
        out["missing"] = e.remote_message
    try:
        await call_async("hang", timeout=0.1)
    except CallTimeoutError as e:
        out["timeout"] = str(e)
    try:
        out["sync"] = [call("double", 21), call("double", 4)]
    except CallIsolationError as e:
        out["sync"] = "CallIsolationError: " + str(e)
    return out

expose(ask_page)

def onmessage(value):
    send(["echo", value])
`;

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  test(`${mode}: a PyWorker's exposed functions from Python: many in flight, errors, cancel, and its calls of the page`, OPTIONS, async () => {
    const lines = await runPython(isolated, `
import asyncio
from pywebworker.worker import PyWorker, WorkerError, WorkerKilledError
w = PyWorker(${JSON.stringify(WORKER)}, call_timeout=20)
await asyncio.wait_for(w.ready(), 120)
calls = [w.api.add(i, 1) for i in range(100)] + [w.call("later", i) for i in range(100)]
w.send_message("between")
results = await asyncio.wait_for(asyncio.gather(*calls), 30)
print("many:", results[:100] == [i + 1 for i in range(100)], results[100:] == [(i, "later") for i in range(100)])
print("message:", await w.recv(timeout=10), w.has_unread_messages())
print("transport:", await w.api.transport())
add = w.api.add
print("api kept:", w.api is w.api, w.api.add is add, add.__name__, await add(40, 2))
try:
    await asyncio.wait_for(w.api.fails("x"), 10)
except WorkerError as e:
    print("fails:", e.remote_type, "|", e.remote_message, "|", "in fails" in e.remote_stack, "|", e)
try:
    await asyncio.wait_for(w.call("nope"), 10)
except WorkerError as e:
    print("nope:", e.remote_type, "|", e.remote_message)
task = asyncio.ensure_future(w.api.forever())
await asyncio.sleep(0.2)
task.cancel()
try:
    await task
except asyncio.CancelledError:
    print("cancelled:", task.cancelled())
print("after cancel:", await asyncio.wait_for(w.api.add(2, 3), 10))

async def slow_double(x):
    await asyncio.sleep(0.001)
    return x * 2
def boom():
    raise ValueError("from the page")
async def hang():
    await asyncio.sleep(3600)
w.expose({"double": slow_double, "boom": boom})
w.expose(hang)
out = await asyncio.wait_for(w.api.ask_page(), 60)
print("worker many:", out["many"] == [i * 2 for i in range(50)])
print("worker boom:", out["boom"])
print("worker missing:", out["missing"])
print("worker timeout:", out["timeout"])
print("worker sync:", out["sync"])
pending = [asyncio.ensure_future(w.api.forever()) for _ in range(2)]
await asyncio.sleep(0.1)
w.kill()
for p in pending:
    try:
        await asyncio.wait_for(p, 5)
    except WorkerKilledError as e:
        print("killed:", type(e).__name__)
`);
    const expect = (label) => lines.find((l) => l.startsWith(`${label}: `))?.slice(label.length + 2);
    const all = `\nthe Python printed:\n${lines.join("\n")}`;
    assert.equal(expect("many"), "True True", all);
    assert.equal(expect("message"), "['echo', 'between'] False", all);
    assert.equal(expect("transport"), isolated ? "shared" : "post", all);
    assert.equal(expect("api kept"), "True True add 42", all);
    assert.match(expect("fails") ?? "", /^KeyError \| 'no x' \| True \| the worker's function fails\(\) raised KeyError: 'no x'$/, all);
    assert.equal(expect("nope"), 'LookupError | no function named "nope" is exposed by the worker; exposed: ' +
      '"add", "later", "fails", "forever", "transport", "ask_page"', all);
    assert.equal(expect("cancelled"), "True", all);
    assert.equal(expect("after cancel"), "5", all);
    assert.equal(expect("worker many"), "True", all);
    assert.equal(expect("worker boom"), "['CallError', 'ValueError', 'from the page']", all);
    assert.equal(expect("worker missing"), 'no function named "missing" is exposed by the page; exposed: "double", "boom", "hang"', all);
    assert.match(expect("worker timeout") ?? "", /did not answer the call of hang\(\) within 100 ms/, all);
    if (isolated) assert.equal(expect("worker sync"), "[42, 8]", all);
    else assert.match(expect("worker sync") ?? "", /^CallIsolationError: .*not cross-origin isolated.*call_async/, all);
    assert.deepEqual(lines.filter((l) => l.startsWith("killed: ")), ["killed: WorkerKilledError", "killed: WorkerKilledError"], all);
  });
}

const READER = `
import sys
from pywebworker.inside import expose

@expose
def loop():
    lines = []
    while True:
        try:
            lines.append(input(f"line {len(lines)}? "))
        except EOFError as e:
            return [lines, str(e)]

@expose
def readline():
    return sys.stdin.readline()
`;

test("isolated: input() and sys.stdin in a PyWorker read stdin=: a function, an async function, an iterable, then EOFError", OPTIONS, async () => {
  const lines = await runPython(true, `
import asyncio
from pywebworker.worker import PyWorker
prompts = []
def ask(prompt):
    prompts.append(prompt)
    return None if len(prompts) > 3 else f"f{len(prompts)}"
async def ask_later(prompt):
    await asyncio.sleep(0.01)
    return None if prompt == "line 2? " else prompt.upper()
workers = [PyWorker(${JSON.stringify(READER)}, stdin=s) for s in (ask, ask_later, ["a", "b", "c\\n"])]
await asyncio.wait_for(asyncio.gather(*(w.ready() for w in workers)), 120)
print("function:", await asyncio.wait_for(workers[0].api.loop(), 30), prompts)
print("async:", await asyncio.wait_for(workers[1].api.loop(), 30))
print("iterable:", await asyncio.wait_for(workers[2].api.loop(), 30))
print("readline at the end:", repr(await asyncio.wait_for(workers[2].api.readline(), 30)))
for w in workers:
    w.kill()
`);
  const all = `\nthe Python printed:\n${lines.join("\n")}`;
  const eof = "EOF when reading a line (the page's stdin= has no more lines)";
  assert.ok(lines.includes(`function: [['f1', 'f2', 'f3'], "${eof}"] ['line 0? ', 'line 1? ', 'line 2? ', 'line 3? ']`), all);
  assert.ok(lines.includes(`async: [['LINE 0? ', 'LINE 1? '], "${eof}"]`), all);
  assert.ok(lines.includes(`iterable: [['a', 'b', 'c'], "${eof}"]`), all);
  assert.ok(lines.includes("readline at the end: ''"), all);
});

test("not isolated: input() in a PyWorker raises CallIsolationError, which says it needs cross-origin isolation", OPTIONS, async () => {
  const lines = await runPython(false, `
import asyncio
from pywebworker.worker import PyWorker, WorkerError
w = PyWorker(${JSON.stringify(READER)}, stdin=["a"])
await asyncio.wait_for(w.ready(), 120)
try:
    await asyncio.wait_for(w.api.loop(), 30)
except WorkerError as e:
    print("raised:", e.remote_type, "|", e.remote_message)
w.kill()
`);
  const all = `\nthe Python printed:\n${lines.join("\n")}`;
  const line = lines.find((l) => l.startsWith("raised: ")) ?? "";
  assert.match(line, /^raised: CallIsolationError \| input\(\) and sys.stdin wait for the page, which needs the shared transport/, all);
  assert.match(line, /Cross-Origin-Opener-Policy: same-origin/, all);
});
