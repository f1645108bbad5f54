// Evaluated before the JsWorker runtime (workers/forging-runtime.js): keeps the worker's native
// postMessage where a worker script can find it, for scripts that forge the runtime's control
// messages. (The runtime replaces self.postMessage, and postMessage is an own property of the
// worker's global object, not of DedicatedWorkerGlobalScope.prototype, so a script that starts
// after the runtime has no other way to reach it.)
globalThis.nativePostMessage = self.postMessage.bind(self);
