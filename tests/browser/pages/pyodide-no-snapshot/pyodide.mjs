// Pyodide from the npm package without its private memory-snapshot API, as a Pyodide version
// that dropped it would be: what a PyWorker asked for a snapshot does then.
import { loadPyodide as load, version } from "/node_modules/pyodide/pyodide.mjs";

export { version };

export async function loadPyodide(options) {
  const py = await load({ ...options, indexURL: new URL("/node_modules/pyodide/", import.meta.url).href });
  delete py.makeMemorySnapshot;
  return py;
}
