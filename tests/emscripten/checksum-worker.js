// A classic JsWorker script, given by URL, that runs the Emscripten-compiled program
// target/emscripten/checksum.classic.js (`emcc -sMODULARIZE`): each message
// {op: "adler32", data: bytes} or {op: "shout", data: text} is answered by the C function.
importScripts("../../target/emscripten/checksum.classic.js"); // defines createChecksum

// A classic program looks for its .wasm beside the worker's runtime: locateFile points it beside
// the program, resolved against this script's URL.
const programDir = new URL("../../target/emscripten/", self.scriptURL);
const ready = createChecksum({ locateFile: (file) => new URL(file, programDir).href });

// Messages that arrive while the program loads wait for it: a handler's promise counts as the
// message being handled once it settles.
self.onmessage = async ({ data: { op, data } }) => {
  const program = await ready;
  if (op === "adler32") {
    // Bytes go in through the program's memory: copied into a buffer it allocates.
    const at = program._malloc(data.length);
    program.HEAPU8.set(data, at);
    try {
      self.postMessage(program.ccall("adler32", "number", ["number", "number"], [at, data.length]) >>> 0);
    } finally {
      program._free(at);
    }
  } else if (op === "shout") {
    // ccall copies the string in; the C function returns a string it allocated, freed here.
    const at = program.ccall("shout", "number", ["string"], [data]);
    try {
      self.postMessage(program.UTF8ToString(at));
    } finally {
      program._free(at);
    }
  } else {
    throw new Error(`unknown op ${op}: send {op: "adler32", data: bytes} or {op: "shout", data: text}`);
  }
};
