// The Python codec (python/pywebworker/_codec.py, run by CPython) and the JavaScript codec write
// and read the same bytes; the Python side keeps Python's types through its own round trips.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Encoder, decode } from "../../js-shim/codec.js";
import { Scratch, TAG, isStrRun, strRunFrames } from "../../js-shim/protocol.js";

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
    lines.push(`${name} ${word === 0 ? "run" : "frames"} ${Buffer.from(batch).toString("hex")}`);
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
