// pywebworker for JavaScript: workers that talk through shared-memory rings when the page is
// cross-origin isolated, and through batched postMessage otherwise.
export { JsWorker } from "./page/jsworker.js";
export { PyWorker } from "./page/pyworker.js";
export { WorkerMessage } from "./page/messages.js";
export {
  WorkerError, WorkerScriptError, WorkerKilledError, WorkerExitedError, WorkerCrashedError, SettleError,
  ChannelCorruptError, IsolationError,
} from "./page/errors.js";
export { loadRuntime, useRuntimeSync, configure, runtimeStats } from "./page/runtime.js";
export { CodecError, typeName } from "./codec.js";
/** @typedef {import("./page/jsworker.js").Sendable} Sendable */
/** @typedef {import("./page/jsworker.js").WorkerState} WorkerState */
