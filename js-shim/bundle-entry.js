// Entry of target/dist/pywebworker.iife.js: the whole page side (shim and wasm-bindgen glue) as
// one classic script that defines `globalThis.pywebworker`, for code that cannot `await import()`
// (Python at import time). Set it up with `pywebworker.useRuntimeSync(pywebworker.glue,
// new WebAssembly.Module(wasmBytes))` and `pywebworker.configure({runtimeUrl})`, where
// `runtimeUrl` serves target/dist/worker-runtime.bundle.js (a blob: URL will do).
import * as glue from "./pkg/pywebworker.js";

export * from "./pywebworker.js";
export { glue };
