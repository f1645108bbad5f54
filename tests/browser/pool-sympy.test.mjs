// A real workload for the pool, on an isolated page (shared rings) and an ordinary one
// (postMessage): Python on the page creates WorkerPool(2, packages=[sympy and mpmath wheels from
// PyPI, served by the project's server]) and runs pool.map over sympy and mpmath work (factoring,
// simplification, integration, mpmath numerics; demo/py/sympy_work.py, which the demo page runs
// too), then does the same work with the same wheels in the page's own Pyodide. The results must
// agree item by item, and a few are checked against known answers; stats() counts the tasks.
// The times of both are printed, not asserted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { BROWSER, ROOT, runPython } from "./harness.mjs";

const OPTIONS = { timeout: 600_000 };

// Answers known independently of sympy's own output on either side.
const KNOWN = {
  "x**4 + 4": "(x**2 - 2*x + 2)*(x**2 + 2*x + 2)",
  "x**12 - 1": "(x - 1)*(x + 1)*(x**2 + 1)*(x**2 - x + 1)*(x**2 + x + 1)*(x**4 - x**2 + 1)",
  "6*x**4 - x**3 - 32*x**2 + 5*x + 10": "(2*x + 1)*(3*x - 2)*(x**2 - 5)",
  "sin(x)**2 + cos(x)**2": "1",
  "gamma(x + 1)/gamma(x)": "x",
  "cos(x)**4 - sin(x)**4": "cos(2*x)",
  "exp(x)*sin(x)": "exp(x)*sin(x)/2 - exp(x)*cos(x)/2",
  "zeta(3)": "1.202056903159594285399738",
  "findroot(lambda t: cos(t) - t, 1)": "0.7390851332151606416553121",
  "nsum(lambda k: 1/k**2, [1, inf])": "1.644934066848226436472415",
};

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  test(`${mode}: pool.map over sympy work with packages=[sympy, mpmath wheels] equals the same work on the page`, OPTIONS, async () => {
    const work = await readFile(join(ROOT, "demo/py/sympy_work.py"), "utf8");
    const lines = await runPython(isolated, `
import json
# The workload as a module of its own, so that its function's source can be found and sent.
with open("/home/pyodide/sympy_work.py", "w") as f:
    f.write(${JSON.stringify(work)})
import sympy_work
print("result: " + json.dumps(await sympy_work.compare(2)))
`, "pool_sympy.py");
    const line = lines.find((l) => l.startsWith("result: "));
    assert.ok(line, `the Python printed:\n${lines.join("\n")}`);
    const { pool, page, seconds, stats, items, size } = JSON.parse(line.slice("result: ".length));

    assert.equal(pool.length, items.length);
    assert.equal(page.length, items.length);
    for (let i = 0; i < items.length; i++) {
      assert.equal(pool[i], page[i], `item ${i} ${JSON.stringify(items[i])}: the pool and the page agree`);
      const known = KNOWN[items[i][1]];
      if (known !== undefined) assert.equal(pool[i], known, `item ${i} ${JSON.stringify(items[i])}: the known answer`);
    }
    assert.equal(Object.keys(KNOWN).filter((k) => items.some((it) => it[1] === k)).length, Object.keys(KNOWN).length,
      "every known answer names an item");

    assert.equal(stats.done_by_map, items.length, JSON.stringify(stats));
    assert.deepEqual([stats.failed, stats.timed_out, stats.replaced, stats.queued, stats.running],
      [0, 0, 0, 0, 0], JSON.stringify(stats));
    assert.equal(stats.size, size);
    // packages= are loaded after the restore, so the workers with wheels start from a snapshot too.
    assert.equal(stats.from_snapshot, size, JSON.stringify(stats));

    const s = (v) => `${v.toFixed(2)} s`;
    console.log(`[${BROWSER}, ${mode}] ${items.length} sympy/mpmath items: pool.map on ${size} workers ${s(seconds.pool_map)} ` +
      `(pool start ${s(seconds.pool_start)}, import in each worker ${s(seconds.pool_import)}, ` +
      `${stats.from_snapshot} of ${size} from a snapshot) against ${s(seconds.page)} on the page ` +
      `(loading and importing there ${s(seconds.page_import)})`);
  });
}
