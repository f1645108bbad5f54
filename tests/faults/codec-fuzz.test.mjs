// Fault tests of the message codecs (js-shim/codec.js here, python/pywebworker/_codec.py in
// CPython through codec_fuzz_helper.py): whatever bytes arrive, from a corrupt memory or a hostile
// peer, decoding gives a value or a CodecError, nothing else, in bounded time; and the str runs
// between JavaScript and Python (js-shim/frames.js) are never confused with a batch of frames.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Encoder, decode, CodecError, MAX_DEPTH, MAX_BIGINT_BYTES } from "../../js-shim/codec.js";
import { Scratch, isStrRun, strRunFrames } from "../../js-shim/frames.js";
import { STR_RUN_MARK } from "../../js-shim/protocol.js";

const codecUrl = new URL("../../js-shim/codec.js", import.meta.url).href;
const helper = fileURLToPath(new URL("./codec_fuzz_helper.py", import.meta.url));
/** Runs a mode of the Python helper; a hang shows as a timeout, not as a test that never ends. */
const python = (args, input = "", timeout = 120_000) =>
  execFileSync("python3", [helper, ...args], { input, encoding: "utf8", timeout, maxBuffer: 1 << 26 });
const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString("hex");
const fromHex = (h) => new Uint8Array(Buffer.from(h, "hex"));

/** The longest one decode may take (generous: a malformed message is refused in microseconds). */
const DECODE_BOUND_MS = 1000;
const FUZZ_CASES = 120_000;
const PYTHON_FUZZ_CASES = 100_000;

/** A seeded generator (mulberry32), so that a failure names a case that can be run again. */
function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (xs) => xs[next.int(xs.length)];
  return next;
}

function jsCorpus() {
  const values = [
    null, undefined, true, false, 0, -1, 7, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1.5, -0, NaN, Infinity, -1e308,
    0n, -1n, 2n ** 63n, -(2n ** 64n), 2n ** 200n, -(2n ** 1000n) - 12345n, "", "ascii", "héllo 漢字 🎉",
    "x".repeat(70), "é".repeat(40), "\u{10ffff}\u0000", new ArrayBuffer(3), new Uint8Array([0, 1, 255]),
    new Int8Array([-1, 2]), new Uint8ClampedArray([9]), new Int16Array([-3, 4]), new Uint16Array([65535]),
    new Int32Array([-5]), new Uint32Array([7, 8]), new Float32Array([1.5]), new Float64Array([2.25, -0]),
    new BigInt64Array([-5n]), new BigUint64Array([2n ** 64n - 1n]), new DataView(new ArrayBuffer(2)),
    new Uint8Array(200).fill(7), [], [1, "two", [3.5, null, [true, [new Uint8Array([1])]]]], {},
    { k: "v", n: { m: [null, 1, 2n ** 40n] } }, { ["__proto__"]: 1, "été": [1, 2], "": { "": "" } },
  ];
  let nested = { leaf: "deep" };
  for (let i = 0; i < 20; i++) nested = i % 2 ? [nested] : { n: nested };
  values.push(nested, values.slice());
  const enc = new Encoder();
  return values.map((v) => enc.encode(v).slice());
}

/** Python's corpus (tuples, bytes / bytearray / memoryview kinds, its big ints), as it writes them. */
const pythonCorpus = () => python(["corpus"]).trim().split("\n").map(fromHex);

const LENGTH_AT = new Map([[6, 2], [7, 1], [8, 2], [9, 1], [10, 1], [11, 1]]); // a type's u32 length or count
const HUGE = [0xffffffff, 0x7fffffff, 0x80000000, 0x01000000, 0x00ffffff, MAX_BIGINT_BYTES + 1, 65536];

/** `data` with one to three random edits of the kinds a corrupt or hostile writer makes. */
function mutate(r, data, corpus) {
  let b = Array.from(data);
  const edits = r.pick([1, 1, 1, 2, 3]);
  for (let e = 0; e < edits; e++) {
    const op = r.int(9);
    if (op === 0 && b.length) { // flip bits
      for (let k = 1 + r.int(3); k > 0; k--) b[r.int(b.length)] ^= 1 << r.int(8);
    } else if (op === 1) { // truncate
      b.length = r.int(b.length + 1);
    } else if (op === 2) { // insert bytes
      b.splice(r.int(b.length + 1), 0, ...Array.from({ length: 1 + r.int(8) }, () => r.int(256)));
    } else if (op === 3 && b.length) { // delete a range
      b.splice(r.int(b.length), 1 + r.int(8));
    } else if (op === 4) { // a length or count set to a huge value, where one is (or anywhere)
      const typed = [];
      for (let p = 0; p < b.length; p++) if (LENGTH_AT.has(b[p])) typed.push(p);
      let p;
      if (typed.length && r() < 0.7) {
        const q = r.pick(typed);
        p = q + LENGTH_AT.get(b[q]);
      } else {
        p = r.int(b.length + 1);
      }
      const n = r() < 0.8 ? r.pick(HUGE) : r.int(2 ** 32);
      b.splice(p, 4, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
    } else if (op === 5 && b.length) { // a type byte (or a kind) changed
      b[r.int(b.length)] = r() < 0.8 ? r.int(16) : r.int(256);
    } else if (op === 6) { // bytes appended
      for (let k = 1 + r.int(8); k > 0; k--) b.push(r.int(256));
    } else if (op === 7) { // the head of one message and the tail of another
      const other = r.pick(corpus);
      b = b.slice(0, r.int(b.length + 1)).concat(Array.from(other.subarray(r.int(other.length + 1))));
    } else if (op === 8 && b.length) { // a range repeated
      const p = r.int(b.length), chunk = b.slice(p, p + 1 + r.int(16));
      for (let k = 1 + r.int(4); k > 0; k--) b.splice(p, 0, ...chunk);
    }
  }
  return Uint8Array.from(b);
}

/** { value } or { error }, and the milliseconds taken; any other exception is the test's failure. */
function outcome(u8, at, len, what) {
  const t0 = performance.now();
  try {
    const value = decode(u8, at, len);
    return { value, ms: performance.now() - t0 };
  } catch (error) {
    const ms = performance.now() - t0;
    if (!(error instanceof CodecError)) {
      assert.fail(`${what}: decode threw ${error?.constructor?.name}: ${error?.message}, not a CodecError`);
    }
    // A RangeError turned into a CodecError means a stack or memory ran out: not for these sizes.
    assert.equal(error.cause, undefined, `${what}: a CodecError caused by ${error.cause}`);
    return { error, ms };
  }
}

test(`JavaScript: ${FUZZ_CASES} mutated encodings decode to a value or a CodecError, each within ${DECODE_BOUND_MS} ms`, () => {
  const corpus = jsCorpus().concat(pythonCorpus());
  const r = random(0x5eed);
  const enc = new Encoder();
  let values = 0, errors = 0, slowest = 0;
  for (let i = 0; i < FUZZ_CASES; i++) {
    const data = mutate(r, r.pick(corpus), corpus);
    const what = `mutation ${i} (${hex(data).slice(0, 200)})`;
    const alone = outcome(data, 0, data.length, what);
    // In place in a larger buffer, bytes of another message around it: the same outcome.
    const pad = 1 + r.int(7), big = new Uint8Array(pad + 2 * data.length + 8);
    for (let k = 0; k < big.length; k++) big[k] = r.int(256);
    big.set(data, pad);
    big.set(data, pad + data.length);
    const inside = outcome(big.subarray(1), pad - 1, data.length, what + " in a batch");
    // In shared memory (strings are copied out before decoding) now and then.
    let shared = alone;
    if (i % 8 === 0) {
      const sab = new Uint8Array(new SharedArrayBuffer(data.length + 4));
      sab.set(data, 4);
      shared = outcome(sab, 4, data.length, what + " in shared memory");
    }
    slowest = Math.max(slowest, alone.ms, inside.ms, shared.ms);
    assert.ok(alone.ms < DECODE_BOUND_MS, `${what} took ${alone.ms} ms`);
    if (alone.error) {
      errors++;
      assert.ok(inside.error && shared.error, `${what}: a value in a batch or in shared memory, a CodecError alone`);
      continue;
    }
    values++;
    assert.deepEqual(inside.value, alone.value, `${what}: another value read in a batch`);
    assert.deepEqual(shared.value, alone.value, `${what}: another value read from shared memory`);
    // What was decoded can be sent on, and comes back the same.
    const again = enc.encode(alone.value);
    assert.deepEqual(decode(again, 0, again.length), alone.value, `${what}: the value does not round-trip`);
  }
  console.log(`JavaScript codec: ${FUZZ_CASES} mutations, ${values} values, ${errors} CodecErrors, slowest ${slowest.toFixed(2)} ms`);
  assert.ok(values > 1000 && errors > 1000, "the mutations reach both outcomes");
});

test(`Python: ${PYTHON_FUZZ_CASES} mutated encodings decode to a value or a CodecError, each within ${DECODE_BOUND_MS} ms`, () => {
  const input = jsCorpus().map(hex).join("\n");
  const result = JSON.parse(python(["fuzz", String(PYTHON_FUZZ_CASES), "1234"], input));
  console.log(`Python codec: ${result.count} mutations, ${result.values} values, ${result.errors} CodecErrors, ` +
    `slowest ${result.slowest_ms} ms`);
  assert.equal(result.count, PYTHON_FUZZ_CASES);
  assert.ok(result.values > 1000 && result.errors > 1000, "the mutations reach both outcomes");
});

test("Python: 20,000 mutated batches give each frame's value or a CodecError in its place, the others kept", () => {
  const input = jsCorpus().map(hex).join("\n");
  const result = JSON.parse(python(["batches", "20000", "99"], input));
  console.log(`Python batches: ${result.count} batches, ${result.frames} frames checked one by one, slowest ${result.slowest_ms} ms`);
  assert.ok(result.frames > 20000);
});

test("Python: a batch of a mebibyte whose every message would read on into the next decodes in linear time", () => {
  // Each frame read past its own end once, each of them again: hours for this batch.
  const result = JSON.parse(python(["spread"], "", 60_000));
  console.log(`Python: ${result.frames} frames that each read on, in ${result.bytes} bytes: ${result.ms} ms`);
  assert.ok(result.ms < 10_000, `${result.ms} ms`);
});

test("deep nesting: 100,000 levels are a CodecError to decode and a TypeError to encode; 512 levels pass", () => {
  const enc = new Encoder();
  const repeat = (unit, n, leaf) => {
    const out = new Uint8Array(unit.length * n + leaf.length);
    for (let i = 0; i < n; i++) out.set(unit, i * unit.length);
    out.set(leaf, unit.length * n);
    return out;
  };
  const list = [9, 1, 0, 0, 0], tuple = [11, 1, 0, 0, 0], dict = [10, 1, 0, 0, 0, 1, 0, 0, 0, 0x6b];
  for (const unit of [list, tuple, dict]) {
    const bytes = repeat(unit, 100_000, [0]);
    const t0 = performance.now();
    assert.throws(() => decode(bytes, 0, bytes.length), (e) => e instanceof CodecError && /nests deeper than 512 levels/.test(e.message));
    assert.ok(performance.now() - t0 < DECODE_BOUND_MS);
  }
  assert.equal(MAX_DEPTH, 512);
  let deep = 0;
  for (let i = 0; i < MAX_DEPTH; i++) deep = [deep];
  const bytes = enc.encode(deep).slice();
  assert.deepEqual(decode(bytes, 0, bytes.length), deep);
  assert.throws(() => enc.encode([deep]), (e) => e instanceof TypeError && /nests deeper than 512 levels/.test(e.message));
  assert.throws(() => enc.encode({ k: deep }), (e) => e instanceof TypeError && /nests deeper than 512 levels/.test(e.message));
  const over = repeat(list, MAX_DEPTH + 1, [0]);
  assert.throws(() => decode(over, 0, over.length), CodecError);
  let huge = 0;
  for (let i = 0; i < 100_000; i++) huge = [huge];
  assert.throws(() => enc.encode(huge), (e) => e instanceof TypeError && /nests deeper than 512 levels/.test(e.message));
  // Python: the same limits, and the same errors.
  const result = JSON.parse(python(["deep"]));
  console.log(`100,000 levels refused by Python in ${JSON.stringify(result)}`);
});

test("with little stack left, 512 levels are a CodecError to decode and a TypeError to encode, not a RangeError", () => {
  // A child whose V8 stack is 100 KiB: enough to start, not for 512 levels of the codec.
  const script = `
    const { Encoder, decode, CodecError } = await import(${JSON.stringify(codecUrl)});
    const out = {};
    let v = 0;
    for (let i = 0; i < 512; i++) v = [v];
    const enc = new Encoder();
    const bytes = new Uint8Array(512 * 5 + 1);
    for (let i = 0; i < 512; i++) bytes[5 * i] = 9, bytes[5 * i + 1] = 1;
    const name = (e) => e.constructor.name + (e.cause ? "<" + e.cause.constructor.name : "") + ": " + e.message;
    try { enc.encode(v); out.encode = "encoded"; } catch (e) { out.encode = name(e); }
    try { decode(bytes, 0, bytes.length); out.decode = "decoded"; } catch (e) { out.decode = name(e); }
    const shallow = enc.encode([[1]]);
    out.shallow = JSON.stringify(decode(shallow, 0, shallow.length));
    console.log(JSON.stringify(out));`;
  const out = JSON.parse(execFileSync(process.execPath, ["--stack-size=100", "--input-type=module", "-e", script], { encoding: "utf8" }));
  assert.equal(out.shallow, "[[1]]");
  assert.match(out.decode, /^CodecError<RangeError: a message of 2561 bytes cannot be decoded here: Maximum call stack/,
    "if 512 levels now fit in 100 KiB of stack, lower --stack-size");
  assert.match(out.encode, /^TypeError<RangeError: pywebworker cannot send this value: .*nest too deep for the stack left here/);
});

test("a bigint of a mebibyte round-trips in both codecs and across them, each way well within 5 s", () => {
  const n = 1 << 20;
  // The same number as the Python helper makes: bytes (7i + 3) mod 256, then 0x81; negative.
  const magnitude = new Uint8Array(n);
  for (let i = 0; i < n - 1; i++) magnitude[i] = (i * 7 + 3) % 256;
  magnitude[n - 1] = 0x81;
  const value = -BigInt("0x" + Buffer.from(magnitude).reverse().toString("hex"));
  const enc = new Encoder();
  let t0 = performance.now();
  const bytes = enc.encode(value).slice();
  const encodeMs = performance.now() - t0;
  t0 = performance.now();
  const back = decode(bytes, 0, bytes.length);
  const decodeMs = performance.now() - t0;
  assert.equal(bytes.length, 6 + n);
  assert.deepEqual(bytes.subarray(6), magnitude, "the magnitude is written little-endian, minimal");
  assert.ok(back === value);
  const py = JSON.parse(python(["bigint"], hex(bytes)));
  assert.equal(py.hex, hex(bytes), "Python writes the same bytes for the same int");
  const fromPython = fromHex(py.hex);
  assert.ok(decode(fromPython, 0, fromPython.length) === value);
  console.log(`a 1 MiB bigint: JavaScript encode ${encodeMs.toFixed(1)} ms, decode ${decodeMs.toFixed(1)} ms; ` +
    `Python encode ${py.encode_ms} ms, decode ${py.decode_ms} ms`);
  for (const ms of [encodeMs, decodeMs, py.encode_ms, py.decode_ms]) assert.ok(ms < 5000, `${ms} ms`);
});

test("bigints up to MAX_BIGINT_BYTES pass; one byte more is a TypeError to encode and a CodecError to decode", () => {
  assert.equal(MAX_BIGINT_BYTES, 1 << 24);
  const enc = new Encoder();
  const top = (1n << BigInt(8 * MAX_BIGINT_BYTES)) - 1n;
  const bytes = enc.encode(-top);
  const t0 = performance.now();
  assert.ok(decode(bytes, 0, bytes.length) === -top);
  console.log(`a bigint of ${MAX_BIGINT_BYTES} bytes decodes in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.throws(() => enc.encode(top + 1n), (e) => e instanceof TypeError && /bigint of 16777217 bytes: at most 16777216/.test(e.message));
  const over = new Uint8Array(6 + MAX_BIGINT_BYTES + 1);
  over[0] = 6;
  new DataView(over.buffer).setUint32(2, MAX_BIGINT_BYTES + 1, true);
  assert.throws(() => decode(over, 0, over.length), (e) => e instanceof CodecError && /at most 16777216/.test(e.message));
  // Only the bytes there are count: a length past the end is truncation, whatever the bound.
  assert.throws(() => decode(over, 0, 100), (e) => e instanceof CodecError && /truncated/.test(e.message));
});

test("an empty message and invalid UTF-8 (in a str, a key, a list; short, long, in shared memory) are CodecErrors", () => {
  assert.throws(() => decode(new Uint8Array(0), 0, 0), CodecError);
  const enc = new Encoder();
  const u32 = (n) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  const invalid = [[0x80], [0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe6, 0xbc], [0xf4, 0x90, 0x80, 0x80],
    [0x6f, 0x6b, 0xfe, ...new Array(80).fill(0x78)], [...new Array(80).fill(0x78), 0xc3]];
  let cases = 0;
  for (const raw of invalid) {
    for (const bytes of [[7, ...u32(raw.length), ...raw], [10, ...u32(1), ...u32(raw.length), ...raw, 0],
      [9, ...u32(1), 7, ...u32(raw.length), ...raw]]) {
      const plain = Uint8Array.from(bytes);
      const shared = new Uint8Array(new SharedArrayBuffer(plain.length));
      shared.set(plain);
      for (const u8 of [plain, shared]) {
        assert.throws(() => decode(u8, 0, u8.length), (e) => e instanceof CodecError && /not valid UTF-8/.test(e.message),
          `${hex(plain)} ${u8 === shared ? "in shared memory" : ""}`);
        cases++;
      }
    }
  }
  // The decoder goes on working afterwards.
  const ok = enc.encode("héllo");
  assert.equal(decode(ok, 0, ok.length), "héllo");
  const result = JSON.parse(python(["malformed"]));
  console.log(`invalid UTF-8: ${cases} cases in JavaScript, ${result.utf8_cases} in Python`);
});

test("a batch for Python whose first frame is empty is frames: that message is a CodecError, the others arrive", () => {
  const enc = new Encoder(), scratch = new Scratch();
  const strs = ["a", "bc", "", "d", "e"];
  const add = (payload) => scratch.appendFrame(payload, 0, payload.length);
  const batches = [];
  add(new Uint8Array(0));
  for (const s of strs) add(enc.encode(s).slice());
  batches.push(scratch.takeStrs().slice());
  for (const s of strs) add(enc.encode(s).slice());
  batches.push(scratch.takeStrs().slice());
  add(new Uint8Array(0));
  batches.push(scratch.takeStrs().slice());
  assert.ok(!isStrRun(batches[0]) && !isStrRun(batches[2]), "a batch with an empty first frame is not a run");
  assert.ok(isStrRun(batches[1]), "five short ASCII strs are a run");
  assert.equal(new DataView(batches[1].buffer).getUint32(0, true), STR_RUN_MARK);
  assert.equal(STR_RUN_MARK, 0xffffffff);
  const got = python(["batch"], batches.map(hex).join("\n")).trim().split("\n").map((line) => JSON.parse(line));
  const reprs = strs.map((s) => `'${s}'`);
  assert.deepEqual(got, [["CodecError", ...reprs], reprs, ["CodecError"]]);
  // From Python's side: a tagged batch ([len][tag][payload]) whose first frame is empty is not a run either.
  const tagged = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 7, 1, 0, 0, 0, 0x78]);
  assert.ok(!isStrRun(tagged));
});

test("a run whose first str is empty keeps every str in its place", () => {
  const enc = new Encoder(), scratch = new Scratch();
  // First a run that leaves 0xFF bytes in the reused run buffer, where a lost separator would
  // otherwise be stood in for by a stale byte.
  const cases = [["abc", "de", "f", "g"], ["", "a", "b", "c"], ["", "", "x", ""], ["", "", "", ""]];
  const batches = [];
  for (const strs of cases) {
    for (const s of strs) {
      const b = enc.encode(s).slice();
      scratch.appendFrame(b, 0, b.length);
    }
    const run = scratch.takeStrs().slice();
    assert.ok(isStrRun(run), JSON.stringify(strs));
    const frames = strRunFrames(run, false), got = [];
    for (let at = 0; at < frames.length;) {
      const n = new DataView(frames.buffer, frames.byteOffset).getUint32(at, true);
      got.push(decode(frames, at + 4, n));
      at += 4 + n;
    }
    assert.deepEqual(got, strs);
    batches.push(run);
  }
  const got = python(["batch"], batches.map(hex).join("\n")).trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(got, cases.map((strs) => strs.map((s) => `'${s}'`)));
});

test("takeStrs: 5,000 random batches become a run only when every frame is a short ASCII str, and expand back", () => {
  const r = random(77), enc = new Encoder(), scratch = new Scratch();
  const pieces = ["", "a", "ok", "x".repeat(1024), "x".repeat(1025), "é", "\u007f", 7, null, [1], new Uint8Array(2)];
  let runs = 0;
  for (let i = 0; i < 5000; i++) {
    const frames = [];
    for (let k = 1 + r.int(8); k > 0; k--) {
      let payload = enc.encode(r() < 0.8 ? r.pick(pieces.slice(0, 4)) : r.pick(pieces)).slice();
      if (r() < 0.05) payload = new Uint8Array(0);
      if (r() < 0.05) payload = mutate(r, payload, [payload]);
      frames.push(payload);
      scratch.appendFrame(payload, 0, payload.length);
    }
    const batch = scratch.takeStrs().slice();
    const shortAscii = (p) => p.length >= 5 && p.length <= 1029 && p[0] === 7 &&
      new DataView(p.buffer).getUint32(1, true) === p.length - 5 && p.subarray(5).every((b) => b < 0x80);
    const expectRun = frames.length >= 4 && frames.every(shortAscii);
    assert.equal(isStrRun(batch), expectRun, `batch ${i}: ${frames.map(hex).join(" ")}`);
    const plain = frames.flatMap((p) => [p.length & 0xff, (p.length >>> 8) & 0xff, (p.length >>> 16) & 0xff, p.length >>> 24, ...p]);
    if (expectRun) {
      runs++;
      assert.deepEqual(strRunFrames(batch, false), Uint8Array.from(plain), `batch ${i}: the run expands to other frames`);
    } else {
      assert.deepEqual(batch, Uint8Array.from(plain), `batch ${i}: frames changed`);
    }
  }
  assert.ok(runs > 500, `${runs} runs`);
});
