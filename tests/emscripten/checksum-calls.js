// How both worker scripts answer a message with the program's exported functions: a script
// without imports or exports, so that the classic worker script loads it with importScripts and
// the module imports it for its effect. It defines `self.callProgram(program, message)`:
// {op: "adler32", data: bytes} gives the C function's checksum, {op: "shout", data: text} its string.
self.callProgram = (program, { op, data }) => {
  if (op === "adler32") {
    // Bytes go in through the program's memory: copied into a buffer it allocates.
    const at = program._malloc(data.length);
    program.HEAPU8.set(data, at);
    try {
      return program.ccall("adler32", "number", ["number", "number"], [at, data.length]) >>> 0; // uint32
    } finally {
      program._free(at);
    }
  }
  if (op === "shout") {
    // ccall copies the string in; the C function returns a string it allocated, freed here.
    const at = program.ccall("shout", "number", ["string"], [data]);
    try {
      return program.UTF8ToString(at);
    } finally {
      program._free(at);
    }
  }
  throw new Error(`unknown op ${op}: send {op: "adler32", data: bytes} or {op: "shout", data: text}`);
};
