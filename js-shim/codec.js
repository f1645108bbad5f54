// The message codec: how a value is laid out in a frame's payload. Both transports (shared
// rings and postMessage) carry these bytes, and the Python package writes the same format.
//
// value   := type:u8 body                                    (all integers little-endian)
//   0 null | 1 undefined | 2 false | 3 true
//   4 int32: i32                    (an integral number in the i32 range)
//   5 float64: f64                  (any other number)
//   6 bigint: sign:u8 n:u32 magnitude[n]   (little-endian magnitude; sign 1 = negative;
//             n <= MAX_BIGINT_BYTES)
//   7 string: n:u32 utf8[n]
//   8 bytes: kind:u8 n:u32 raw[n]   (kind: BYTE_KINDS index; the element type is kept)
//   9 list: count:u32 value[count]
//  10 dict: count:u32 (n:u32 utf8[n] value)[count]       (string keys, insertion order)
//  11 tuple: count:u32 value[count]       (written by Python only; read here as an array)
//
// Anything else (functions, symbols, Map, Set, Date, class instances, cycles...) is a TypeError
// naming the type, thrown before anything is sent. Lists and dicts nest at most MAX_DEPTH levels
// (the Python codec's `_MAX_DEPTH`, so that what one side sends the other can read).
//
// `decode` gives a value or throws CodecError, whatever the bytes (they may come from a hostile
// peer), in time linear in their length. The type and kind bytes are protocol.js's VALUE_TYPE
// and BYTE_KINDS.

import { BYTE_KINDS, VALUE_TYPE as T } from "./protocol.js";

const KIND_OF = new Map(BYTE_KINDS.map((name, kind) => [name, kind]));
/** Kind by constructor, for the typed arrays and views this runtime has. */
const KIND_OF_CTOR = new Map(
  BYTE_KINDS.map((name, kind) => [globalThis[name], kind]).filter(([ctor]) => typeof ctor === "function"),
);

const WHAT_FITS = "a message may hold strings, numbers, bigints, booleans, null, undefined, ArrayBuffers, " +
  "typed arrays and DataViews, arrays, and plain objects of these";
/** The deepest nesting of lists and dicts written or read (the top-level container is level 1). */
export const MAX_DEPTH = 512;
/**
 * The largest bigint magnitude written or read, in bytes (16 MiB, 2**27 bits; the Python codec's
 * `_MAX_BIGINT_BYTES`). It bounds the time and memory one value can take to decode, whatever the
 * message's size; a larger one is a TypeError on encode, a CodecError on decode. An engine whose own
 * limit is lower (V8's is 2**30 bits) gives a CodecError for what it cannot hold.
 */
export const MAX_BIGINT_BYTES = 1 << 24;

/** A readable name for the type of `v`, for error messages. */
export function typeName(v) {
  if (v === null) return "null";
  const t = typeof v;
  if (t === "function") return v.name ? `function ${v.name}` : "function";
  if (t !== "object") return t;
  const tag = Object.prototype.toString.call(v).slice(8, -1);
  if (tag !== "Object") return tag;
  const ctor = Object.getPrototypeOf(v)?.constructor;
  return ctor && ctor.name && ctor !== Object ? `instance of ${ctor.name}` : "Object";
}

function unsendable(v, path) {
  const where = path ? ` (at ${path})` : "";
  return new TypeError(`pywebworker cannot send a value of type ${typeName(v)}${where}: ${WHAT_FITS}`);
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });
/** For text known to be ASCII (hexadecimal digits). */
const asciiDecoder = new TextDecoder("utf-8");

/** Encodes values into a reusable scratch buffer. */
export class Encoder {
  constructor(size = 1024) {
    this.buf = new ArrayBuffer(size);
    this.u8 = new Uint8Array(this.buf);
    this.dv = new DataView(this.buf);
    this.at = 0;
  }

  /** Encodes `value`; returns a view of the bytes, valid until the next call. */
  encode(value) {
    const n = this.encodeLength(value); // first: encoding may replace this.u8 with a larger buffer
    return this.u8.subarray(0, n);
  }

  /** Encodes `value` into `this.u8` and returns its length (no view allocated). */
  encodeLength(value) {
    this.at = 0;
    try {
      this.value(value, 0, "");
    } catch (e) {
      // Out of stack (a caller already deep) or of memory (a value of gigabytes).
      if (e instanceof RangeError) {
        throw new TypeError(`pywebworker cannot send this value: encoding it failed with "${e.message}" ` +
          "(it may nest too deep for the stack left here, or be too large)", { cause: e });
      }
      throw e;
    }
    return this.at;
  }

  room(n) {
    const need = this.at + n;
    if (need <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < need) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(this.u8.subarray(0, this.at));
    this.buf = next;
    this.u8 = new Uint8Array(next);
    this.dv = new DataView(next);
  }

  byte(b) {
    this.room(1);
    this.u8[this.at++] = b;
  }

  u32(n) {
    this.room(4);
    this.dv.setUint32(this.at, n, true);
    this.at += 4;
  }

  string(s) {
    // Room for the worst case (3 bytes per UTF-16 unit) plus the length, then the real length.
    this.room(5 + s.length * 3);
    const start = this.at + 4;
    let n;
    if (s.length < 32) {
      n = 0;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) { n = -1; break; }
        this.u8[start + i] = c;
        n++;
      }
      if (n < 0) n = textEncoder.encodeInto(s, this.u8.subarray(start)).written;
    } else {
      n = textEncoder.encodeInto(s, this.u8.subarray(start)).written;
    }
    this.dv.setUint32(this.at, n, true);
    this.at = start + n;
  }

  value(v, depth, path) {
    switch (typeof v) {
      case "string":
        this.byte(T.STRING);
        this.string(v);
        return;
      case "number":
        if ((v | 0) === v && !Object.is(v, -0)) {
          this.room(5);
          this.u8[this.at] = T.INT;
          this.dv.setInt32(this.at + 1, v, true);
          this.at += 5;
        } else {
          this.room(9);
          this.u8[this.at] = T.FLOAT;
          this.dv.setFloat64(this.at + 1, v, true);
          this.at += 9;
        }
        return;
      case "boolean":
        this.byte(v ? T.TRUE : T.FALSE);
        return;
      case "undefined":
        this.byte(T.UNDEFINED);
        return;
      case "bigint":
        this.bigint(v);
        return;
      case "object":
        if (v === null) {
          this.byte(T.NULL);
          return;
        }
        if (depth >= MAX_DEPTH) {
          throw new TypeError(`pywebworker cannot send this value (at ${path}): it nests deeper than ${MAX_DEPTH} ` +
            "levels or refers to itself");
        }
        if (Array.isArray(v)) {
          this.byte(T.LIST);
          this.u32(v.length);
          for (let i = 0; i < v.length; i++) this.value(v[i], depth + 1, path + "[" + i + "]");
          return;
        }
        if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || isSharedBuffer(v)) {
          this.bytes(v, path);
          return;
        }
        {
          const proto = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) throw unsendable(v, path);
          const keys = Object.keys(v);
          this.byte(T.DICT);
          this.u32(keys.length);
          for (const k of keys) {
            this.string(k);
            this.value(v[k], depth + 1, path + "." + k);
          }
        }
        return;
      default:
        throw unsendable(v, path);
    }
  }

  bigint(v) {
    const negative = v < 0n;
    const m = negative ? -v : v;
    if (m < SMALL_BIGINT) {
      // Up to 8 bytes from two 32-bit halves: cheaper than making a string.
      const lo = Number(m & 0xffffffffn), hi = Number(m >> 32n);
      const n = hi !== 0 ? 4 + byteLength(hi) : byteLength(lo);
      this.room(14);
      this.u8[this.at] = T.BIGINT;
      this.u8[this.at + 1] = negative ? 1 : 0;
      this.dv.setUint32(this.at + 2, n, true);
      this.dv.setUint32(this.at + 6, lo, true);
      this.dv.setUint32(this.at + 10, hi, true); // bytes past n are overwritten by what follows
      this.at += 6 + n;
      return;
    }
    // Shifting a bigint copies it, so a byte at a time is quadratic (a mebibyte: minutes). Its
    // hexadecimal digits come in linear time, two to a byte, most significant first.
    const hex = m.toString(16);
    const n = (hex.length + 1) >> 1;
    if (n > MAX_BIGINT_BYTES) {
      throw new TypeError(`pywebworker cannot send a bigint of ${n} bytes: at most ${MAX_BIGINT_BYTES} ` +
        "(send its bytes, or its digits as a string)");
    }
    this.room(6 + n);
    const u8 = this.u8, at = this.at + 6;
    u8[this.at] = T.BIGINT;
    u8[this.at + 1] = negative ? 1 : 0;
    this.dv.setUint32(this.at + 2, n, true);
    let c = hex.length - 1;
    for (let i = 0; i < n; i++, c -= 2) {
      const lo = HEX_VALUE[hex.charCodeAt(c)];
      u8[at + i] = c > 0 ? (HEX_VALUE[hex.charCodeAt(c - 1)] << 4) | lo : lo;
    }
    this.at = at + n;
  }

  bytes(v, path) {
    const view = ArrayBuffer.isView(v);
    const kind = view ? KIND_OF_CTOR.get(v.constructor) : KIND_OF.get("ArrayBuffer");
    if (kind === undefined || (!view && !(v instanceof ArrayBuffer))) throw unsendable(v, path);
    const n = v.byteLength;
    this.room(6 + n);
    this.u8[this.at] = T.BYTES;
    this.u8[this.at + 1] = kind;
    this.dv.setUint32(this.at + 2, n, true);
    this.at += 6;
    if (kind === 1 && n <= 64) {
      // Small Uint8Arrays: a loop is cheaper than a temporary view.
      for (let i = 0; i < n; i++) this.u8[this.at + i] = v[i];
    } else {
      this.u8.set(view ? new Uint8Array(v.buffer, v.byteOffset, n) : new Uint8Array(v), this.at);
    }
    this.at += n;
  }
}

/** Bigints below this are written from two 32-bit halves. */
const SMALL_BIGINT = 1n << 64n;
/** The value of each lower-case hexadecimal digit by its character code. */
const HEX_VALUE = new Uint8Array(128);
for (let d = 0; d < 16; d++) HEX_VALUE[d.toString(16).charCodeAt(0)] = d;
/** The character codes of the two hexadecimal digits of each byte: byte b at 2b and 2b + 1. */
const HEX_DIGITS = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const digits = b.toString(16).padStart(2, "0");
  HEX_DIGITS[2 * b] = digits.charCodeAt(0);
  HEX_DIGITS[2 * b + 1] = digits.charCodeAt(1);
}

/** The bytes a u32 needs (0 for 0). */
const byteLength = (x) => (x >= 0x1000000 ? 4 : x >= 0x10000 ? 3 : x >= 0x100 ? 2 : x > 0 ? 1 : 0);

function isSharedBuffer(v) {
  return typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer;
}

/** Thrown when bytes do not hold a well-formed value (corrupt memory, or a foreign writer). */
export class CodecError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = "CodecError";
  }
}

let scratch = new Uint8Array(256);

let cachedView = null;

/** A DataView of the whole buffer under `u8`, kept while the same buffer is decoded from. */
function dataViewOf(u8) {
  if (cachedView === null || cachedView.buffer !== u8.buffer || cachedView.byteLength !== u8.buffer.byteLength) {
    cachedView = new DataView(u8.buffer);
  }
  return cachedView;
}

/** Decodes one value from `len` bytes at `at` in `u8` (any buffer, shared or not). */
export function decode(u8, at, len) {
  const d = decoder;
  if (u8.byteOffset !== 0) {
    at += u8.byteOffset;
    u8 = new Uint8Array(u8.buffer);
  }
  d.u8 = u8;
  d.dv = dataViewOf(u8);
  d.at = at;
  d.end = at + len;
  let v;
  try {
    v = d.value(0);
  } catch (e) {
    // The stack left to a deeply nested caller, or the memory left, can be less than a message
    // within the limits needs: that message cannot be read here, which is what CodecError says.
    if (e instanceof RangeError) throw new CodecError(`a message of ${len} bytes cannot be decoded here: ${e.message}`, { cause: e });
    throw e;
  }
  if (d.at !== at + len) throw new CodecError(`message has ${at + len - d.at} bytes after its value`);
  return v;
}

class Decoder {
  constructor() {
    this.u8 = null;
    this.dv = null;
    this.at = 0;
    this.end = 0;
  }

  need(n) {
    if (this.at + n > this.end) throw new CodecError("message is truncated");
  }

  u32() {
    this.need(4);
    const n = this.dv.getUint32(this.at, true);
    this.at += 4;
    return n;
  }

  string() {
    const n = this.u32();
    this.need(n);
    const u8 = this.u8, start = this.at;
    this.at += n;
    if (n < 64) {
      let s = "";
      for (let i = start; i < start + n; i++) {
        const c = u8[i];
        if (c >= 0x80) return utf8(u8, start, n);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8(u8, start, n);
  }

  value(depth) {
    this.need(1);
    const t = this.u8[this.at++];
    switch (t) {
      case T.NULL: return null;
      case T.UNDEFINED: return undefined;
      case T.FALSE: return false;
      case T.TRUE: return true;
      case T.INT: {
        this.need(4);
        const v = this.dv.getInt32(this.at, true);
        this.at += 4;
        return v;
      }
      case T.FLOAT: {
        this.need(8);
        const v = this.dv.getFloat64(this.at, true);
        this.at += 8;
        return v;
      }
      case T.BIGINT: {
        this.need(1);
        const negative = this.u8[this.at++] === 1;
        const n = this.u32();
        this.need(n);
        if (n > MAX_BIGINT_BYTES) throw new CodecError(`a bigint of ${n} bytes (at most ${MAX_BIGINT_BYTES} are read)`);
        const m = n <= 8 ? smallBigint(this.u8, this.at, n) : bigint(this.u8, this.at, n);
        this.at += n;
        return negative ? -m : m;
      }
      case T.STRING: return this.string();
      case T.BYTES: {
        this.need(1);
        const kind = this.u8[this.at++];
        const n = this.u32();
        this.need(n);
        if (kind === 1 && n <= 64) {
          // Small Uint8Arrays live on the JavaScript heap: cheaper than a buffer of their own.
          const out = new Uint8Array(n);
          for (let i = 0; i < n; i++) out[i] = this.u8[this.at + i];
          this.at += n;
          return out;
        }
        const copy = this.u8.slice(this.at, this.at + n).buffer;
        this.at += n;
        return kind === 1 ? new Uint8Array(copy) : view(kind, copy);
      }
      case T.LIST:
      case T.TUPLE: {
        if (depth >= MAX_DEPTH) throw new CodecError(`message nests deeper than ${MAX_DEPTH} levels`);
        const count = this.u32();
        this.need(count);
        const out = new Array(count);
        for (let i = 0; i < count; i++) out[i] = this.value(depth + 1);
        return out;
      }
      case T.DICT: {
        if (depth >= MAX_DEPTH) throw new CodecError(`message nests deeper than ${MAX_DEPTH} levels`);
        const count = this.u32();
        this.need(count);
        const out = {};
        for (let i = 0; i < count; i++) {
          const k = this.string();
          Object.defineProperty(out, k, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      default:
        throw new CodecError(`unknown value type ${t} at byte ${this.at - 1}`);
    }
  }
}

function utf8(u8, start, n) {
  try {
    // TextDecoder refuses views of shared memory: copy out first.
    if (typeof SharedArrayBuffer !== "undefined" && u8.buffer instanceof SharedArrayBuffer || !(u8.buffer instanceof ArrayBuffer)) {
      if (scratch.length < n) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
      scratch.set(u8.subarray(start, start + n));
      return textDecoder.decode(scratch.subarray(0, n));
    }
    return textDecoder.decode(u8.subarray(start, start + n));
  } catch (e) {
    // The fatal decoder's TypeError says only that the data is not UTF-8.
    if (e instanceof TypeError) throw new CodecError(`a string of ${n} bytes is not valid UTF-8`);
    throw e;
  }
}

/** A magnitude of at most 8 bytes, through numbers (exact up to 6 bytes, 48 bits). */
function smallBigint(u8, at, n) {
  if (n <= 6) {
    let x = 0;
    for (let i = n - 1; i >= 0; i--) x = x * 256 + u8[at + i];
    return BigInt(x);
  }
  let hi = 0;
  for (let i = n - 1; i >= 4; i--) hi = hi * 256 + u8[at + i];
  const lo = u8[at] + u8[at + 1] * 0x100 + u8[at + 2] * 0x10000 + u8[at + 3] * 0x1000000;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** A magnitude of any length through its hexadecimal digits, which BigInt() reads in linear time. */
function bigint(u8, at, n) {
  const digits = new Uint8Array(2 * n + 2);
  digits[0] = 0x30; // "0x"
  digits[1] = 0x78;
  for (let i = 0, p = 2 * n; i < n; i++, p -= 2) {
    const b = 2 * u8[at + i];
    digits[p] = HEX_DIGITS[b];
    digits[p + 1] = HEX_DIGITS[b + 1];
  }
  const text = asciiDecoder.decode(digits);
  try {
    return BigInt(text);
  } catch (e) {
    if (e instanceof RangeError) throw new CodecError(`a bigint of ${n} bytes is larger than this JavaScript engine can hold`);
    throw e;
  }
}

function view(kind, buffer) {
  const name = BYTE_KINDS[kind];
  if (name === undefined) throw new CodecError(`unknown bytes kind ${kind}`);
  if (name === "ArrayBuffer") return buffer;
  if (name === "DataView") return new DataView(buffer);
  if (kind >= 13) return new Uint8Array(buffer);
  const Ctor = globalThis[name];
  if (buffer.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) {
    throw new CodecError(`${name} payload of ${buffer.byteLength} bytes is not a whole number of elements`);
  }
  return new Ctor(buffer);
}

const decoder = new Decoder();
