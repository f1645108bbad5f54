// The pool's task options and its other ways in (python/pywebworker/pool.py, _dispatch.py,
// _stream.py, _executor.py) with real Pyodide, on an isolated page (shared rings; timeouts and
// cancellations interrupt through Pyodide's interrupt buffer) and an ordinary one (postMessage;
// they kill and replace the worker):
//   1. submit(timeout=): TaskTimeoutError saying what ended the task; max_queue and QueueFullError;
//      max_tasks_per_worker; functions, arguments and results that cannot be sent; stats();
//   2. pipelining: tasks sent ahead to a worker, in order, and run again when the worker dies;
//   3. stream(): items as they come, back-pressure, leaving early closes the generator, errors;
//   4. executor(): run_in_executor, submit, map with chunksize; idle_timeout with min_size.
// Every wait in the Python is bounded: a hang fails its test instead of hanging it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runPython } from "./harness.mjs";

const OPTIONS = { timeout: 400_000 };

/** The value printed after `label: `, or undefined. */
function field(lines, label) {
  const line = lines.findLast((l) => l.startsWith(`${label}: `));
  return line === undefined ? undefined : line.slice(label.length + 2);
}

/** Asserts each `label: value` of `expected`, showing everything printed when one differs. */
function assertFields(lines, expected) {
  for (const [label, value] of Object.entries(expected)) {
    const got = field(lines, label);
    const ok = value instanceof RegExp ? value.test(got ?? "") : got === value;
    assert.ok(ok, `${label}: expected ${value}, got ${got}\nthe Python printed:\n${lines.join("\n")}`);
  }
}

// A bounded wait for a condition, shared by the tests' Python.
const PRELUDE = `
import asyncio
async def until(condition, what, bound=60):
    for _ in range(int(bound / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"waited {bound} s for {what}")
`;

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  test(`${mode}: submit(timeout=), max_queue, max_tasks_per_worker, what cannot be sent, stats()`, OPTIONS, async () => {
    const lines = await runPython(isolated, `${PRELUDE}
from pywebworker.pool import WorkerPool, TaskTimeoutError, QueueFullError, TaskError, TaskCancelledError
pool = WorkerPool(1, cancel_grace=0.5, pipeline=1, max_queue=2)
await pool.ready()
try:
    await asyncio.wait_for(pool.submit("while True: pass", timeout=0.3), 60)
except TaskTimeoutError as e:
    print("timeout:", e.ended_by, e.timeout)
    print("timeout message:", e)
print("after timeout:", await pool.submit("6 * 7"))
STUBBORN = "while True:\\n    try:\\n        while True: pass\\n    except KeyboardInterrupt:\\n        pass"
try:
    await asyncio.wait_for(pool.submit(STUBBORN, timeout=0.3), 60)
except TaskTimeoutError as e:
    print("stubborn:", e.ended_by)
    print("stubborn message:", e)
print("after stubborn:", await pool.submit("'fresh'"), pool.replaced)
print("fast with timeout:", await pool.submit("1 + 1", timeout=30))
try:
    pool.submit("1", timeout=0)
except ValueError as e:
    print("timeout 0:", e)

running = pool.submit("while True: pass")
await until(lambda: running.worker is not None, "the task to run")
queued = [pool.submit(f"{i} * 3") for i in range(2)]
try:
    pool.submit("1")
except QueueFullError as e:
    print("full:", e)
print("stats while full:", pool.stats().queued, pool.stats().running)
running.cancel()
print("queued ran:", [await asyncio.wait_for(t, 60) for t in queued])

recycling = WorkerPool(1, max_tasks_per_worker=3)
counts = [await recycling.submit("n = globals().get('n', 0) + 1\\nn") for _ in range(7)]
print("per worker:", counts, recycling.stats().recycled, recycling.replaced)
await recycling.shutdown()

def square(x):
    return x * x

def outer():
    k = 3
    def times_k(x):
        return x * k
    return times_k

def a_set():
    return {1, 2}

for label, call in [("lambda", lambda: pool.submit(lambda x: x, 1)), ("closure", lambda: pool.submit(outer(), 1)),
                    ("builtin", lambda: pool.submit(len, "ab")), ("argument", lambda: pool.submit(square, {1, 2})),
                    ("code with args", lambda: pool.submit("1", 2))]:
    try:
        call()
        print(label + ":", "no error")
    except TypeError as e:
        print(label + ":", e)
try:
    await asyncio.wait_for(pool.submit(a_set), 60)
except TypeError as e:
    print("result:", e)
try:
    await pool.submit("1 / 0")
except TaskError as e:
    print("task error:", e.remote_type)
s = pool.stats()
print("stats:", s.queued, s.running, s.done, s.failed, s.cancelled, s.timed_out, s.replaced, s.mean_task_time > 0,
      s.from_snapshot, sorted(s.as_dict()) == sorted(vars(s)))
await pool.shutdown()
`, "pool_features.py");
    assertFields(lines, {
      timeout: isolated ? "interrupt 0.3" : "kill 0.3",
      "timeout message": isolated ? /ran past its timeout of 0.3 s: KeyboardInterrupt .* its worker stays/
        : /ran past its timeout of 0.3 s and its worker was killed and replaced: this page is not cross-origin isolated/,
      stubborn: "kill",
      "stubborn message": isolated ? /killed and replaced: it did not stop within 0.5 s \(the pool's cancel_grace\)/
        : /killed and replaced: this page is not cross-origin isolated/,
      "after timeout": "42",
      "after stubborn": isolated ? "fresh 1" : "fresh 2",
      "fast with timeout": "2",
      "timeout 0": /timeout is a number of seconds above 0/,
      full: /queue is full: 2 tasks wait for a worker \(max_queue=2\)\. Await some tasks/,
      "stats while full": "2 1",
      "queued ran": "[0, 3]",
      "per worker": "[1, 2, 3, 1, 2, 3, 1] 2 0",
      lambda: /a lambda cannot be sent to a worker.*def/,
      closure: /times_k\(\) cannot be sent to a worker: it uses k of the function that defines it \(a closure\)/,
      builtin: /a task is code \(a str\) or a function defined with def, not <built-in function len>/,
      argument: /argument 1 of square\(\) cannot be sent to a worker: .*type set/,
      "code with args": "code given as a string takes no arguments",
      result: /the value task \d+ returned cannot be sent back to the page: .*set/,
      "task error": "ZeroDivisionError",
      // done: 42, fresh, 2, the two queued; failed: the set, 1 / 0; cancelled: the running one;
      // timed out: two; replaced: ordinary page, the two timeouts and the cancellation.
      stats: `0 0 5 2 1 2 ${isolated ? 1 : 3} True ${isolated ? 2 : 4} True`, // every worker (1 + replaced) from the snapshot
    });
  });

  test(`${mode}: tasks are sent ahead to a worker, in order, and run again when the worker dies`, OPTIONS, async () => {
    const lines = await runPython(isolated, `${PRELUDE}
from pywebworker.pool import WorkerPool, WorkerCrashedError, TaskCancelledError
for depth in (1, 16):
    pool = WorkerPool(1, pipeline=depth)
    await pool.ready()
    blocker = pool.submit("while True: pass")
    tasks = [pool.submit(f"{i} * 2") for i in range(40)]
    await until(lambda: pool.stats().running == depth, "the tasks to be sent")
    await asyncio.sleep(0.2)  # nothing more is sent while the first runs
    s = pool.stats()
    print(f"pipeline {depth}:", s.running, s.queued)
    blocker.cancel()
    try:
        await asyncio.wait_for(blocker, 60)
    except TaskCancelledError:
        pass
    print(f"results {depth}:", [await asyncio.wait_for(t, 60) for t in tasks] == [i * 2 for i in range(40)])
    await pool.shutdown()

pool = WorkerPool(2)
await pool.ready()
doomed = pool.submit("while True: pass")
behind = [pool.submit(f"{i} + 1") for i in range(30)]
await until(lambda: doomed.worker is not None and pool.stats().queued == 0, "the tasks to be sent")
doomed.worker.kill()
try:
    await asyncio.wait_for(doomed, 60)
except WorkerCrashedError:
    print("crashed: WorkerCrashedError")
print("behind:", [await asyncio.wait_for(t, 60) for t in behind] == [i + 1 for i in range(30)])

def double(x):
    return 2 * x

many = await asyncio.wait_for(pool.map(double, range(2000)), 120)
s = pool.stats()
print("many:", many == [2 * i for i in range(2000)], s.done, s.failed, s.cancelled, s.queued, s.running)
chunked = await asyncio.wait_for(pool.map(double, range(1000), chunksize=50), 120)
print("chunked:", chunked == [2 * i for i in range(1000)], pool.stats().done)
await pool.shutdown()
`, "pool_pipeline.py");
    assertFields(lines, {
      "pipeline 1": "1 40",
      "pipeline 16": "16 25",
      "results 1": "True",
      "results 16": "True",
      crashed: "WorkerCrashedError",
      behind: "True",
      many: "True 2030 1 0 0 0",
      chunked: "True 2050",
    });
  });

  test(`${mode}: stream() yields as the generator yields, waits for its reader, and closes the generator when left`, OPTIONS, async () => {
    const lines = await runPython(isolated, `${PRELUDE}
from pywebworker.pool import WorkerPool, TaskError

def count(n):
    global produced, closed
    produced, closed = 0, False
    try:
        i = 0
        while n is None or i < n:
            produced += 1
            yield i
            i += 1
    finally:
        closed = True

def bad():
    yield "first"
    raise ValueError("boom")

def unsendable():
    yield {1, 2}

def square(x):
    return x * x

pool = WorkerPool(1)
await pool.ready()
print("finite:", [x async for x in pool.stream(count, 5)])
print("closed at the end:", await pool.submit("closed"))
got = []
async for x in pool.stream(count, None, window=4):
    got.append(x)
    if len(got) == 2:
        await asyncio.sleep(1)  # the worker waits: no more than the window is sent
        break
print("read:", got)
produced, closed = await asyncio.wait_for(pool.submit("(produced, closed)"), 60)
print("produced at most read + window:", produced <= 6, produced)
print("closed when left:", closed)
got = []
try:
    async for x in pool.stream(bad):
        got.append(x)
except TaskError as e:
    print("error:", got, e.remote_type, e.remote_message)
try:
    async for x in pool.stream(unsendable):
        pass
except TypeError as e:
    print("unsendable item:", e)
try:
    pool.stream(square, 3)
except TypeError as e:
    print("not a generator:", e)
print("then:", await pool.submit("'still here'"), [x async for x in pool.stream(count, 3)])
await pool.shutdown()
`, "pool_stream.py");
    assertFields(lines, {
      finite: "[0, 1, 2, 3, 4]",
      "closed at the end": "True",
      read: "[0, 1]",
      "produced at most read + window": /^True \d+$/,
      "closed when left": "True",
      error: "['first'] ValueError boom",
      "unsendable item": /cannot be sent back to the page: .*set/,
      "not a generator": /stream\(\) runs a generator function .* square\(\) is not one/,
      then: "still here [0, 1, 2]",
    });
  });

  test(`${mode}: executor() for run_in_executor, submit and map; idle_timeout stops workers above min_size`, OPTIONS, async () => {
    const lines = await runPython(isolated, `${PRELUDE}
import concurrent.futures
from pyodide.ffi import can_run_sync
from pywebworker.pool import WorkerPool

def square(x):
    return x * x

def power(x, exp=2):
    return x ** exp

pool = WorkerPool(2)
ex = pool.executor()
print("is an Executor:", isinstance(ex, concurrent.futures.Executor))
loop = asyncio.get_event_loop()
print("run_in_executor:", await asyncio.wait_for(loop.run_in_executor(ex, square, 9), 120))
fut = ex.submit(power, 2, exp=10)
print("wrap_future:", await asyncio.wait_for(asyncio.wrap_future(fut), 60), fut.result())
fut = ex.submit(square, 6)
if can_run_sync():
    print("result():", fut.result(timeout=60))
else:
    try:
        fut.result()
    except RuntimeError as e:
        print("result():", "wrap_future" in str(e))
seen = []
def later():
    f = ex.submit(square, 7)
    try:
        seen.append(("value", f.result()))
    except RuntimeError as e:
        seen.append(("error", "await asyncio.wrap_future(future)" in str(e)))
    seen.append(can_run_sync())
loop.call_soon(later)
await until(lambda: len(seen) == 2, "the callback")
print("in a callback:", seen[0] == ("value", 49) if seen[1] else seen[0] == ("error", True))
if can_run_sync():
    print("map:", list(ex.map(square, range(10), chunksize=3)))
else:
    print("map:", [square(i) for i in range(10)])
print("run_in_executor error:", await asyncio.wait_for(asyncio.gather(loop.run_in_executor(ex, power, "a", 2),
                                                                       return_exceptions=True), 60))
ex.shutdown()
try:
    ex.submit(square, 1)
except Exception as e:
    print("after shutdown:", type(e).__name__)
await pool.shutdown()

pool = WorkerPool(2, idle_timeout=0.5, min_size=1, pipeline=1)
await until(lambda: pool.stats().stopped_idle == 1, "an idle worker to stop", 120)
print("after idle:", pool.ready_count, pool.stats().stopped_idle)
await asyncio.sleep(1)
print("min_size kept:", pool.ready_count)
blocker = pool.submit("while True: pass")
other = pool.submit("'ran beside'")
print("restarted for work:", await asyncio.wait_for(other, 120), pool.ready_count)
blocker.cancel()
await pool.shutdown(force=True)
`, "pool_executor.py");
    assertFields(lines, {
      "is an Executor": "True",
      "run_in_executor": "81",
      "wrap_future": "1024 1024",
      "result()": /^(36|True)$/,
      "in a callback": "True",
      map: "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]",
      "run_in_executor error": /^\[TaskError\(["']the task raised TypeError: unsupported operand/,
      "after idle": "1 1",
      "min_size kept": "1",
      "restarted for work": "ran beside 2",
      "after shutdown": "PoolClosedError",
    });
  });
}
