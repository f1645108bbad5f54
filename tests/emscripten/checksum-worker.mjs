// A JsWorker script of type "module", given by URL, that runs the Emscripten-compiled program
// target/emscripten/checksum.mjs (`emcc -sMODULARIZE -sEXPORT_ES6`): each message
// {op: "adler32", data: bytes} or {op: "shout", data: text} is answered by the C function.
import createChecksum from "../../target/emscripten/checksum.mjs";

// The module finds checksum.wasm beside itself (from its import.meta.url).
const program = await createChecksum();
const adler32 = program.cwrap("adler32", "number", ["number", "number"]);

self.onmessage = ({ data: { op, data } }) => {
  if (op === "adler32") {
    // Bytes go in through the program's memory: copied into a buffer it allocates.
    const at = program._malloc(data.length);
    program.HEAPU8.set(data, at);
    try {
      self.postMessage(adler32(at, data.length) >>> 0);
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
