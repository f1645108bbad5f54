// pywebworker for JavaScript: workers that talk through shared-memory rings when the page is
// cross-origin isolated, and through batched postMessage otherwise.
export {
  JsWorker, WorkerMessage, WorkerError, WorkerScriptError, WorkerKilledError, WorkerExitedError, SettleError,
  ChannelCorruptError, IsolationError, loadRuntime, useRuntimeSync, configure, runtimeStats,
} from "./jsworker.js";
export { CodecError, typeName } from "./codec.js";
/** @typedef {import("./jsworker.js").Sendable} Sendable */
/** @typedef {import("./jsworker.js").WorkerState} WorkerState */
