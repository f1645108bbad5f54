// The JsWorker runtime with the native postMessage kept for the worker's script (a hostile
// script's view of the worker): configure({runtimeUrl}) points a JsWorker here.
import "./native-post.js";
import "/target/dist/worker/runtime.js";
