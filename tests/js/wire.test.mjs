// The wire constants are defined once per language: Rust (src/ring, src/transport), JavaScript
// (js-shim/protocol.js) and Python (python/pywebworker). This reads each
// definition from its source and checks that the three agree, so that a change in one place
// without the others fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  BYTE_KINDS, CALL_HEADER, FLAG_ABORT, FUNCTION_CALL, FUNCTION_DROP, PAGE_DOCUMENT, PAGE_KIND, PAGE_OP, PAGE_WINDOW, STDIN_CALL, FLAG_MORE, STATUS, STR_RUN_MARK, TAG, TAG_MASK, VALUE_TYPE,
} from "../../js-shim/protocol.js";

const root = new URL("../../", import.meta.url);
const source = (path) => readFileSync(new URL(path, root), "utf8");

/** The value of `const NAME: u32 = <expr>;` in Rust source (numbers, shifts and hex). */
function rustConst(text, name) {
  const m = text.match(new RegExp(`const ${name}: [iu]\\d+ = ([^;]+);`));
  assert.ok(m, `Rust defines ${name}`);
  return Number(Function(`return (${m[1].replaceAll("_", "")});`)());
}

/** The value of `NAME = <expr>` at the start of a line of Python source. */
function pythonConst(text, name) {
  const m = text.match(new RegExp(`^${name}(?:: [\\w\\[\\], ]+)? = (.+)$`, "m"));
  assert.ok(m, `Python defines ${name}`);
  return m[1].trim();
}

test("frame flags and the tag mask: Rust's src/ring/mod.rs and protocol.js agree", () => {
  const ring = source("src/ring/mod.rs");
  assert.equal(rustConst(ring, "FLAG_MORE"), FLAG_MORE);
  assert.equal(rustConst(ring, "FLAG_ABORT"), FLAG_ABORT);
  assert.equal(rustConst(ring, "TAG_MASK"), TAG_MASK);
});

test("status codes: Rust's src/transport/shared.rs and protocol.js agree", () => {
  const shared = source("src/transport/shared.rs");
  assert.equal(rustConst(shared, "EMPTY_OR_FULL"), STATUS.EMPTY);
  assert.equal(rustConst(shared, "EMPTY_OR_FULL"), STATUS.FULL);
  for (const [rust, js] of [["CLOSED", "CLOSED"], ["CORRUPT", "CORRUPT"], ["TOO_LARGE", "TOO_LARGE"],
    ["TIMEOUT", "TIMEOUT"], ["WOULD_BLOCK", "WOULD_BLOCK"]]) {
    assert.equal(rustConst(shared, rust), STATUS[js], rust);
  }
  // Every status Rust returns has its name in protocol.js.
  const rustNames = [...shared.matchAll(/pub const (\w+): i32/g)].map((m) => m[1]);
  assert.deepEqual(rustNames.sort(), ["CLOSED", "CORRUPT", "EMPTY_OR_FULL", "TIMEOUT", "TOO_LARGE", "WOULD_BLOCK"]);
});

test("frame tags: Python's inside.py and protocol.js agree", () => {
  const inside = source("python/pywebworker/inside.py");
  const m = inside.match(/^_DATA, _ERROR, _STDOUT, _STDERR = (\d+), (\d+), (\d+), (\d+)$/m);
  assert.ok(m, "inside.py defines the four tags");
  assert.deepEqual(m.slice(1).map(Number), [TAG.DATA, TAG.ERROR, TAG.STDOUT, TAG.STDERR]);
  const c = inside.match(/^_CALL, _RESULT, _CANCEL, _PAGE = (\d+), (\d+), (\d+), (\d+)$/m);
  assert.ok(c, "inside.py defines the four tags of calls");
  assert.deepEqual(c.slice(1).map(Number), [TAG.CALL, TAG.RESULT, TAG.CANCEL, TAG.PAGE]);
  // The header of a call frame, packed by Python as "<IB" (id, status).
  assert.equal(CALL_HEADER, 5);
  assert.match(inside, /struct\.pack\("<IB", call_id, status\)/);
});

test("the operations on the page's objects: Python's _page.py and protocol.js agree", () => {
  const page = source("python/pywebworker/_page.py");
  const ops = page.match(/^_GET, _SET, _CALL, _NEW, _LIST, _DELETE, _STR = range\((\d+)\)$/m);
  assert.ok(ops, "_page.py defines the operations");
  assert.deepEqual(Object.values(PAGE_OP), [...Array(Number(ops[1])).keys()]);
  assert.deepEqual(Object.keys(PAGE_OP), ["GET", "SET", "CALL", "NEW", "LIST", "DELETE", "STR"]);
  const kinds = page.match(/^_VALUE, _OBJECT, _FUNCTION, _WORKER_FUNCTION, _PATH = range\((\d+)\)$/m);
  assert.ok(kinds, "_page.py defines the kinds of values");
  assert.deepEqual(Object.values(PAGE_KIND), [...Array(Number(kinds[1])).keys()]);
  assert.deepEqual(Object.keys(PAGE_KIND), ["VALUE", "OBJECT", "FUNCTION", "WORKER_FUNCTION", "PATH"]);
  assert.match(page, new RegExp(`^_WINDOW, _DOCUMENT = ${PAGE_WINDOW}, ${PAGE_DOCUMENT}$`, "m"));
  assert.match(page, new RegExp(`^FUNCTION_CALL, FUNCTION_DROP = ${JSON.stringify(FUNCTION_CALL)}, ${JSON.stringify(FUNCTION_DROP)}$`, "m"));
});

test("the name of a PyWorker's stdin calls: Python's _codec.py and protocol.js agree", () => {
  assert.equal(pythonConst(source("python/pywebworker/_codec.py"), "STDIN_CALL"), JSON.stringify(STDIN_CALL));
});

test("the run-of-strs mark and the value type bytes: Python's _codec.py and JavaScript agree", () => {
  const codec = source("python/pywebworker/_codec.py");
  const mark = pythonConst(codec, "STR_RUN");
  const bytes = [...mark.matchAll(/\\x([0-9a-f]{2})/g)].map((x) => parseInt(x[1], 16));
  assert.equal(bytes.length, 4, `STR_RUN is four bytes: ${mark}`);
  assert.equal(Buffer.from(bytes).readUInt32LE(0), STR_RUN_MARK);
  // `_NONE, _UNDEFINED, ... = range(12)`: the type bytes in protocol.js's order.
  const m = codec.match(/^(_NONE(?:, _\w+)*) = range\((\d+)\)$/m);
  assert.ok(m, "_codec.py numbers its value types with range()");
  const names = m[1].split(", ");
  assert.equal(names.length, Number(m[2]));
  const js = { _NONE: "NULL", _STR: "STRING" };
  names.forEach((name, i) => {
    const key = js[name] ?? name.slice(1);
    assert.equal(VALUE_TYPE[key], i, `${name} is ${i} in Python and VALUE_TYPE.${key} is ${VALUE_TYPE[key]} in protocol.js`);
  });
  assert.equal(names.length, Object.keys(VALUE_TYPE).length, "every type of protocol.js is in Python");
});

test("the kind bytes of bytes values: Python's _codec.py and protocol.js agree", () => {
  const codec = source("python/pywebworker/_codec.py");
  // Python's own kinds: `_KIND_BYTES, _KIND_BYTEARRAY, _KIND_MEMORYVIEW = 13, 14, 15`.
  const own = codec.match(/^_KIND_BYTES, _KIND_BYTEARRAY, _KIND_MEMORYVIEW = (\d+), (\d+), (\d+)$/m);
  assert.ok(own, "_codec.py numbers bytes, bytearray and memoryview");
  assert.deepEqual(own.slice(1).map((k) => BYTE_KINDS[Number(k)]), ["bytes", "bytearray", "memoryview"]);
  // The typed arrays Python reads and writes, by struct format: `_FORMAT_OF_KIND = {2: "b", ...}`.
  const formats = codec.match(/^_FORMAT_OF_KIND = \{(.+)\}$/m);
  assert.ok(formats, "_codec.py maps kinds to struct formats");
  const arrayOf = { b: "Int8Array", h: "Int16Array", H: "Uint16Array", i: "Int32Array", I: "Uint32Array",
    f: "Float32Array", d: "Float64Array", q: "BigInt64Array", Q: "BigUint64Array" };
  const pairs = [...formats[1].matchAll(/(\d+): "(\w)"/g)];
  assert.equal(pairs.length, Object.keys(arrayOf).length, "every typed array of Python has a kind");
  for (const [, kind, format] of pairs) {
    assert.equal(BYTE_KINDS[Number(kind)], arrayOf[format], `kind ${kind} (struct format ${format})`);
  }
});
