// The ring from JavaScript without the JsWorker layer, for the ring's benchmarks, its browser
// tests and the demo of two workers on one ring: start module workers that instantiate the same
// wasm module on the same shared memory and run a task module (task-worker.js).
//
// Messages between this file and task-worker.js carry the "pywebworker:" prefix so they
// can share a worker with other postMessage traffic.

import { waitAsync } from "../../js-shim/wait.js";
import { IsolationError } from "../../js-shim/page/errors.js";
import { loadShared } from "../../js-shim/page/runtime.js";

export { IsolationError, loadShared };

const PREFIX = "pywebworker:";

/** Thrown when a worker fails to start or its task throws. */
export class WorkerTaskError extends Error {
  constructor(message, remoteStack) {
    super(message);
    this.name = "WorkerTaskError";
    this.remoteStack = remoteStack;
  }
}

/**
 * Starts a module worker that runs the task module at `taskUrl` (its exported `run(ctx, args)`)
 * with the shared module and memory. Resolves once the worker is ready, with
 * `{worker, done}`: `done` settles with the task's result or a WorkerTaskError.
 */
export async function spawnTask(shared, taskUrl, args = {}) {
  if (!globalThis.crossOriginIsolated) throw new IsolationError();
  const workerUrl = new URL("./task-worker.js", import.meta.url);
  const worker = new Worker(workerUrl, { type: "module", name: String(taskUrl).split("/").pop() });
  let resolveDone, rejectDone;
  const done = new Promise((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  const ready = new Promise((resolve, reject) => {
    worker.onerror = (e) => {
      const err = new WorkerTaskError(`worker failed to load: ${e.message || "script error"}`);
      reject(err);
      rejectDone(err);
    };
    worker.onmessage = ({ data }) => {
      if (typeof data !== "object" || data === null || typeof data.type !== "string") return;
      switch (data.type) {
        case PREFIX + "ready": resolve(); break;
        case PREFIX + "done": resolveDone(data.result); break;
        case PREFIX + "error": {
          const err = new WorkerTaskError(data.message, data.stack);
          reject(err);
          rejectDone(err);
          break;
        }
      }
    };
  });
  done.catch(() => {});
  try {
    worker.postMessage({
      type: PREFIX + "init",
      glueUrl: shared.glueUrl,
      module: shared.module,
      memory: shared.memory,
      taskUrl: new URL(taskUrl, location.href).href,
      args,
    });
  } catch (e) {
    worker.terminate();
    if (e && e.name === "DataCloneError") throw new IsolationError();
    throw e;
  }
  await ready;
  return { worker, done };
}

/**
 * Waits on the page, without blocking it, until `consumer` (a RingConsumer) may have a frame,
 * its producer closed, or `timeoutMs` passed. Waits on the consumer's doorbell (Atomics.waitAsync,
 * or polling where the browser lacks it: wait.js).
 */
export async function waitForData(shared, consumer, timeoutMs = Infinity) {
  const seen = consumer.beginSleep();
  if (seen === undefined) return true;
  try {
    const i32 = new Int32Array(shared.memory.buffer);
    const r = waitAsync(i32, consumer.sleepWord >>> 2, seen, timeoutMs);
    const outcome = r.async ? await r.value : r.value;
    return outcome !== "timed-out";
  } finally {
    consumer.endSleep();
  }
}
