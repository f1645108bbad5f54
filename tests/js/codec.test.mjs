// Unit tests of the message codec (pure JavaScript; the browser suites run it for real too).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Encoder, decode, CodecError } from "../../js-shim/codec.js";

const enc = new Encoder(8);
const roundTrip = (v) => {
  const bytes = enc.encode(v);
  return decode(bytes.slice(), 0, bytes.length);
};

test("every supported value comes back equal, element types kept", () => {
  const values = [
    null, undefined, true, false, 0, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1.5, -0, NaN, Infinity, 2 ** 53 + 2,
    0n, 1n, -255n, 2n ** 200n, -(2n ** 64n) + 1n, "", "ascii", "é ü 漢字 🎉", "x".repeat(100_000),
    new Uint8Array([1, 2, 3]), new Int16Array([-1, 2]), new Float64Array([1.25, -3]), new BigInt64Array([-5n]),
    new Uint8Array(new ArrayBuffer(16), 4, 8), new ArrayBuffer(5), new DataView(new ArrayBuffer(3)),
    [], [1, "two", [3, [4]]], {}, { a: 1, b: { c: [null, "d"] }, __proto__x: 2 }, { ["__proto__"]: 5 },
  ];
  for (const v of values) {
    const back = roundTrip(v);
    assert.deepEqual(back, v, `round trip of ${String(v).slice(0, 40)}`);
    if (ArrayBuffer.isView(v)) assert.equal(back.constructor, v.constructor);
  }
  assert.ok(Object.is(roundTrip(-0), -0));
  assert.equal(Object.keys(roundTrip({ ["__proto__"]: 5 }))[0], "__proto__");
});

test("unsendable values are a TypeError naming the type and where it is", () => {
  const cases = [
    [() => 1, /type function/], [Symbol("s"), /type symbol/], [new Map(), /type Map/], [new Date(), /type Date/],
    [{ a: [1, new Set()] }, /type Set \(at \.a\[1\]\)/], [new (class Point {})(), /instance of Point/],
  ];
  for (const [v, re] of cases) assert.throws(() => enc.encode(v), (e) => e instanceof TypeError && re.test(e.message));
  const cyclic = { name: "loop" };
  cyclic.self = cyclic;
  assert.throws(() => enc.encode(cyclic), /refers to itself/);
});

test("malformed bytes are a CodecError, never a wrong value", () => {
  const good = enc.encode({ list: [1, 2, "three"] }).slice();
  for (let cut = 0; cut < good.length; cut++) {
    assert.throws(() => decode(good, 0, cut), CodecError, `cut at ${cut}`);
  }
  assert.throws(() => decode(new Uint8Array([99]), 0, 1), /unknown value type 99/);
  assert.throws(() => decode(new Uint8Array([0, 0]), 0, 2), /1 bytes after its value/);
  assert.throws(() => decode(new Uint8Array([9, 255, 255, 255, 255]), 0, 5), /truncated/);
});
