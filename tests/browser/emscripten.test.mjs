// A JsWorker given by URL runs the C program tests/emscripten/checksum.c, compiled by the set-up
// with Debian's emcc into target/emscripten/ as an ES module and as a classic script (each with
// its .wasm beside it): its exported functions answer messages from JavaScript and from Python,
// on an isolated page (shared rings) and on an ordinary one (postMessage).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { ROOT, runPython, suitePage } from "./harness.mjs";

// The worker scripts, by kind; each loads its build of the program.
const KINDS = {
  module: "/tests/emscripten/checksum-worker.mjs",
  classic: "/tests/emscripten/checksum-worker.js",
};

/** Adler-32 as zlib defines it, computed here to check the C program's answers. */
function adler32(bytes) {
  let a = 1, b = 0;
  for (const x of bytes) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** The bytes the tests checksum: 100 000 of them, every value, in no simple pattern. */
const BYTES_CODE = "Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919 + (i >> 8)) & 255)";
const BYTES = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919 + (i >> 8)) & 255);

test("the set-up compiled the program into target/emscripten/, each build with its .wasm beside it", () => {
  for (const file of ["checksum.mjs", "checksum.wasm", "checksum.classic.js", "checksum.classic.wasm"]) {
    assert.ok(existsSync(`${ROOT}/target/emscripten/${file}`), `target/emscripten/${file} exists (bash scripts/setup.sh makes it)`);
  }
});

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  const expected = isolated ? "shared" : "post";

  describe(`an Emscripten program in a JsWorker from JavaScript, ${mode} (${expected} transport)`, () => {
    const { run } = suitePage({ isolated, path: "/tests/browser/pages/jsworker.html" });

    for (const [type, url] of Object.entries(KINDS)) {
      test(`${type} script: the C functions answer a checksum of 100 000 bytes and a string`, async () => {
        const r = await run(async ([url, type, bytesCode]) => {
          const bytes = (0, eval)(bytesCode);
          const worker = pw.JsWorker.fromURL(url, { type });
          await worker.start();
          const errors = [];
          worker.onerror = (e) => errors.push(String(e.message ?? e));
          worker.send({ op: "adler32", data: bytes });
          worker.send({ op: "shout", data: "héllo, wörld" });
          worker.send({ op: "adler32", data: new Uint8Array(0) });
          const answers = [await worker.recv(10_000), await worker.recv(10_000), await worker.recv(10_000)];
          worker.send({ op: "divide" });
          await worker.settle(10_000);
          worker.kill();
          return { answers, transport: worker.transport, errors };
        }, [url, type, BYTES_CODE]);
        assert.equal(r.transport, expected);
        assert.deepEqual(r.answers, [adler32(BYTES), "HéLLO, WöRLD!", 1]);
        assert.equal(r.errors.length, 1, `one error for the unknown op: ${r.errors}`);
        assert.match(r.errors[0], /unknown op divide: send \{op: "adler32"/);
      });
    }
  });

  describe(`an Emscripten program in a JsWorker from Python, ${mode} (${expected} transport)`, () => {
    for (const [type, url] of Object.entries(KINDS)) {
      test(`${type} script: the C functions answer Python's bytes and str`, async () => {
        const lines = await runPython(isolated, `
import zlib
from pywebworker.worker import JsWorker
data = bytes((i * 7919 + (i >> 8)) & 255 for i in range(100_000))
w = JsWorker(url=${JSON.stringify(url)}, type=${JSON.stringify(type)})
w.start()
w.send_message({"op": "adler32", "data": data})
w.send_message({"op": "shout", "data": "snake_case ünïcode"})
total = await w.recv(timeout=10)  # a JavaScript number: beyond 32 bits it arrives as a float
print(w.transport, total == zlib.adler32(data), int(total))
print(await w.recv(timeout=10))
w.kill()
`);
        assert.deepEqual(lines, [`${expected} True ${adler32(BYTES)}`, "SNAKE_CASE üNïCODE!"]);
      });
    }

    test("a JsWorker's type is checked before a worker starts", async () => {
      const lines = await runPython(isolated, `
from pywebworker.worker import JsWorker
try:
    JsWorker(url="/tests/emscripten/checksum-worker.mjs", type="esm")
except ValueError as e:
    print(e)
`);
      assert.deepEqual(lines, ["a worker script's type is 'classic' or 'module', not 'esm'"]);
    });
  });
}
