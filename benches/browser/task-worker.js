// Bootstrap of a pywebworker module worker: instantiates the page's wasm module on the page's
// shared memory, declares that this thread may block, then runs the requested task module.

const PREFIX = "pywebworker:";

self.onmessage = async ({ data }) => {
  if (!data || data.type !== PREFIX + "init") return;
  self.onmessage = null;
  try {
    const glue = await import(data.glueUrl);
    const exports = await glue.default({ module_or_path: data.module, memory: data.memory });
    glue.setCanBlock(true);
    const task = await import(data.taskUrl);
    self.postMessage({ type: PREFIX + "ready" });
    const ctx = { glue, exports, memory: data.memory };
    const result = await task.run(ctx, data.args);
    self.postMessage({ type: PREFIX + "done", result });
  } catch (e) {
    self.postMessage({ type: PREFIX + "error", message: String(e && e.message || e), stack: e && e.stack });
  }
};
