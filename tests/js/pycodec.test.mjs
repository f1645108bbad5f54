// The Python codec (python/pywebworker/_codec.py, run by CPython) and the JavaScript codec write
// and read the same bytes; the Python side keeps Python's types through its own round trips.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Encoder, decode, MAX_DEPTH, MAX_BIGINT_BYTES } from "../../js-shim/codec.js";
import { Scratch, isStrRun, strRunFrames } from "../../js-shim/frames.js";
import { STR_RUN_MARK, TAG } from "../../js-shim/protocol.js";

const helper = fileURLToPath(new URL("./pycodec_helper.py", import.meta.url));
const python = (mode, input) => execFileSync("python3", [helper, mode], { input, encoding: "utf8" });
const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

test("bytes written by Python decode in JavaScript to the matching values", () => {
  const encoded = JSON.parse(python("encode"));
  const expected = {
    none: null, false: false, true: true, zero: 0, i32max: 2 ** 31 - 1, i32min: -(2 ** 31), big: 2n ** 31n,
    bigneg: -(2n ** 100n), float: 1, pi: 3.25, str: "héllo 漢字 🎉", empty: "",
    bytes: new Uint8Array([0, 1, 255]), bytearray: new Uint8Array([97, 98]), memoryview: new Uint8Array([120, 121, 122]),
    doubles: new Float64Array(2), list: [1, "two", [3.5, null]], tuple: [1, 2], dict: { a: 1, b: { c: [true] } },
  };
  assert.deepEqual(Object.keys(encoded), Object.keys(expected));
  for (const [name, hex] of Object.entries(encoded)) {
    const bytes = fromHex(hex);
    const value = decode(bytes, 0, bytes.length);
    assert.deepEqual(value, expected[name], name);
    if (ArrayBuffer.isView(value)) assert.equal(value.constructor, expected[name].constructor, name);
  }
});

test("bytes written by JavaScript decode in Python to the matching values", () => {
  const enc = new Encoder();
  const values = [null, undefined, true, 7, -2.5, 2n ** 70n, "é", new Uint8Array([1, 2]), new Int16Array([-3, 4]),
    new ArrayBuffer(2), [1, [2]], { k: "v", n: { m: null } }];
  const hex = values.map((v) => Buffer.from(enc.encode(v)).toString("hex")).join("\n");
  assert.deepEqual(python("decode", hex).trim().split("\n"), [
    "None", "None", "True", "7", "-2.5", String(2n ** 70n), "'é'", "b'\\x01\\x02'", "[-3, 4]", "b'\\x00\\x00'",
    "[1, [2]]", "{'k': 'v', 'n': {'m': None}}",
  ]);
});

test("the two codecs agree: the same bytes for the same values, the same limits, the same mark of a run of strs", () => {
  const agree = JSON.parse(python("agree"));
  const mark = new Uint8Array(4);
  new DataView(mark.buffer).setUint32(0, STR_RUN_MARK, true);
  assert.equal(agree.str_run, Buffer.from(mark).toString("hex"), "protocol.js STR_RUN_MARK and _codec.STR_RUN");
  assert.equal(agree.max_depth, MAX_DEPTH, "codec.js MAX_DEPTH and _codec._MAX_DEPTH");
  assert.equal(agree.max_bigint_bytes, MAX_BIGINT_BYTES, "codec.js MAX_BIGINT_BYTES and _codec._MAX_BIGINT_BYTES");
  // The JavaScript values of pycodec_helper.py's AGREE, key for key.
  const AGREE = {
    none: null, false: false, true: true, int: 7, neg: -1, i32max: 2 ** 31 - 1, i32min: -(2 ** 31), big31: 2n ** 31n,
    bigneg: -(2n ** 100n), u64max: 2n ** 64n - 1n, big: 3n ** 500n, float: 1.5, negzero: -0, inf: Infinity, tiny: 5e-324,
    empty: "", ascii: "ascii", unicode: "héllo 漢字 🎉", long: "x".repeat(100), accents: "é".repeat(40),
    int8: new Int8Array([-1, 2]), int16: new Int16Array([-3, 4]), uint16: new Uint16Array([65535]),
    int32: new Int32Array([-5]), uint32: new Uint32Array([7, 8]), float32: new Float32Array([1.5]),
    float64: new Float64Array([2.5, -0]), int64: new BigInt64Array([-5n]), uint64: new BigUint64Array([2n ** 64n - 1n]),
    list: [1, "two", [3.5, null]], emptylist: [], dict: { a: 1, "é": { c: [true] }, "": null }, emptydict: {},
  };
  assert.deepEqual(Object.keys(agree.encodings), Object.keys(AGREE));
  const enc = new Encoder();
  for (const [name, value] of Object.entries(AGREE)) {
    assert.equal(Buffer.from(enc.encode(value)).toString("hex"), agree.encodings[name], name);
  }
});

test("Python values come back from the Python codec equal and of the same type", () => {
  assert.match(python("roundtrip"), /^ok \d+/);
});

test("the Python codec: TypeError naming the type and place; malformed bytes are a CodecError", () => {
  assert.equal(python("errors").trim(), "ok");
});

test("the Python codec: a batch of frames decodes with a CodecError in place of a bad one, the others kept", () => {
  assert.equal(python("frames").trim(), "ok");
});

test("a PyWorker's replies in a batch: the str and bytes written without encode() are encode()'s bytes", () => {
  assert.equal(python("replies").trim(), "ok");
});

test("a batch for Python: four or more short ASCII strs come as a run, anything else as frames; both decode the same", () => {
  const enc = new Encoder(), scratch = new Scratch();
  const batches = {
    run: ["abc", "", "0123456789abcdef", "x".repeat(1024)],
    "non-ASCII": ["abc", "é"],
    long: ["abc", "x".repeat(1025)],
    "not-a-str": ["abc", 7],
    few: ["abc", "de", "f"],
  };
  const lines = [];
  for (const [name, values] of Object.entries(batches)) {
    for (const v of values) {
      const b = enc.encode(v);
      scratch.appendFrame(b, 0, b.length);
    }
    const batch = scratch.takeStrs();
    const word = new DataView(batch.buffer, batch.byteOffset).getUint32(0, true);
    lines.push(`${name} ${word === STR_RUN_MARK ? "run" : "frames"} ${Buffer.from(batch).toString("hex")}`);
  }
  assert.equal(scratch.takeStrs().length, 0, "an empty batch stays empty");
  assert.deepEqual(python("batches", lines.join("\n")).trim().split("\n"), [
    `run run ${JSON.stringify(batches.run.map((x) => x.length))}`,
    "non-ASCII frames ['abc', 'é']",
    `long frames ${JSON.stringify([3, 1025])}`,
    "not-a-str frames ['abc', 7]",
    "few frames ['abc', 'de', 'f']",
    "ok",
  ]);
});

test("a run of strs written by Python expands in JavaScript into each str's frame; a bad run is a RangeError", () => {
  const run = fromHex(python("run").trim());
  assert.ok(isStrRun(run));
  const strs = ["a", "", "bc", "x".repeat(255)];
  for (const tagged of [false, true]) {
    const frames = strRunFrames(run, tagged), dv = new DataView(frames.buffer, frames.byteOffset, frames.length);
    const got = [];
    for (let at = 0; at < frames.length;) {
      const n = dv.getUint32(at, true), head = tagged ? 8 : 4;
      if (tagged) assert.equal(dv.getUint32(at + 4, true), TAG.DATA);
      got.push(decode(frames, at + head, n));
      at += head + n;
    }
    assert.deepEqual(got, strs);
  }
  const bad = (edit) => {
    const copy = run.slice();
    edit(new DataView(copy.buffer));
    return copy;
  };
  assert.throws(() => strRunFrames(bad((dv) => dv.setUint32(4, 1000, true)), false), RangeError); // fewer strs
  assert.throws(() => strRunFrames(bad((dv) => dv.setUint32(4, 2, true)), false), RangeError); // more strs
  assert.throws(() => strRunFrames(bad((dv) => dv.setUint8(9, 0x80)), false), RangeError); // not ASCII
  assert.throws(() => strRunFrames(bad((dv) => dv.setUint32(4, 0, true)), false), RangeError); // none
  assert.throws(() => strRunFrames(new Uint8Array(6), false), RangeError);
});
