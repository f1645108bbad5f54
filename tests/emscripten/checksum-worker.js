// A classic JsWorker script, given by URL, that runs the Emscripten-compiled program
// target/emscripten/checksum.classic.js (`emcc -sMODULARIZE`): each message is answered by the
// C function it names (checksum-calls.js).
importScripts("../../target/emscripten/checksum.classic.js", "checksum-calls.js"); // createChecksum, callProgram

// A classic program looks for its .wasm beside the worker's runtime: locateFile points it beside
// the program, resolved against this script's URL.
const programDir = new URL("../../target/emscripten/", self.scriptURL);
const ready = createChecksum({ locateFile: (file) => new URL(file, programDir).href });

// Messages that arrive while the program loads wait for it: a handler's promise counts as the
// message being handled once it settles.
self.onmessage = async (e) => self.postMessage(self.callProgram(await ready, e.data));
