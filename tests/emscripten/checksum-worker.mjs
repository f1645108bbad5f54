// A JsWorker script of type "module", given by URL, that runs the Emscripten-compiled program
// target/emscripten/checksum.mjs (`emcc -sMODULARIZE -sEXPORT_ES6`): each message is answered by
// the C function it names (checksum-calls.js).
import createChecksum from "../../target/emscripten/checksum.mjs";
import "./checksum-calls.js";

// The module finds checksum.wasm beside itself (from its import.meta.url).
const program = await createChecksum();

self.onmessage = (e) => self.postMessage(self.callProgram(program, e.data));
