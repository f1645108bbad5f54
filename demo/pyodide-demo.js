// Runs demo/py/<script> (?script=..., default quick_reference.py) in real Pyodide (npm package)
// with micropip (PyPI) and the pywebworker wheel, all from this server; then sets `window.demo`
// to {printed: [lines], ...extra} or {error, ...extra}. Used by pyodide.html and pyodide-sw.html.
import { loadPyodide } from "/node_modules/pyodide/pyodide.mjs";

export async function runDemo(extra = {}) {
  try {
    const pyodide = await loadPyodide({ indexURL: "/node_modules/pyodide/" });
    await pyodide.loadPackage("/target/wheels/micropip-0.11.1-py3-none-any.whl");
    const wheel = new URL("/target/wheels/pywebworker-0.1.0-py3-none-any.whl", location.href).href;
    await pyodide.runPythonAsync(`import micropip\nawait micropip.install(${JSON.stringify(wheel)})`);
    const printed = [];
    pyodide.setStdout({ batched: (line) => printed.push(line) });
    const script = new URLSearchParams(location.search).get("script") ?? "quick_reference.py";
    const code = await (await fetch(`/demo/py/${script}`)).text();
    await pyodide.runPythonAsync(code);
    window.demo = { printed, ...extra };
  } catch (e) {
    window.demo = { error: `${e.name}: ${e.message}`, ...extra };
  }
}
