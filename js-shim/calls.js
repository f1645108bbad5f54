// The frames of calls to exposed functions (their layout is in protocol.js), the same on the
// page and in workers: building one, and reading one back.

import { decode } from "./codec.js";
import { CALL_HEADER, PREFIX, TAG, describeError } from "./protocol.js";

/**
 * A call frame's payload: the header, then `body` (a value's encoded bytes).
 * @param {number} id
 * @param {number} status
 * @param {Uint8Array} body
 */
export function callFrame(id, status, body) {
  const out = new Uint8Array(CALL_HEADER + body.length);
  new DataView(out.buffer).setUint32(0, id, true);
  out[4] = status;
  out.set(body, CALL_HEADER);
  return out;
}

/**
 * A call frame read back: `{id, status, value}`, the value decoded or, with `raw` (its receiver
 * is Python, which decodes it itself), a copy of its encoded bytes. The value of an error result
 * is always decoded. Throws CodecError for a frame too short to hold a header.
 */
export function readCall(raw, tag, u8, at, len) {
  if (len < CALL_HEADER) throw new RangeError(`a call frame of ${len} bytes is shorter than its header`);
  const id = (u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24)) >>> 0;
  const status = u8[at + 4];
  const from = at + CALL_HEADER, n = len - CALL_HEADER;
  // A PAGE frame is always read by the page's JavaScript (page/objects.js).
  const value = raw && tag !== TAG.CANCEL && tag !== TAG.PAGE && status === 0 ? u8.slice(from, from + n) : decode(u8, from, n);
  return { id, status, value };
}

/** The functions to expose: `{name: fn, ...}`, or one function under `name` (default its own). */
export function exposedEntries(fns, name) {
  if (typeof fns === "function") {
    const key = name ?? fns.name;
    if (typeof key !== "string" || key === "") {
      throw new TypeError("expose(fn, name): this function has no name of its own, so give one");
    }
    return [[key, fns]];
  }
  if (fns === null || typeof fns !== "object") {
    throw new TypeError(`expose() takes a function or an object of functions, not ${fns === null ? "null" : typeof fns}`);
  }
  const entries = Object.entries(fns);
  for (const [key, fn] of entries) {
    if (typeof fn !== "function") throw new TypeError(`expose(): ${key} is a ${typeof fn}, not a function`);
  }
  return entries;
}

/** The error for a call of a name nobody exposed: it names it and those exposed. */
export function unknownName(name, names, who) {
  const shown = names.filter((n) => !n.startsWith(PREFIX)); // the package's own, not the user's
  const known = shown.length ? shown.map((n) => JSON.stringify(n)).join(", ") : "none";
  return { name: "LookupError", message: `no function named ${JSON.stringify(name)} is exposed by ${who}; ` +
    `exposed: ${known}`, stack: "" };
}

/**
 * Runs the exposed function a call names (`value`: the call's `[name, args]`), for `who` ("the
 * page", "the worker"): `{status, value}`, the result or the error to answer with.
 * @param {Map<string, Function>} exposed
 * @param {any} value
 * @param {string} who
 */
export async function runExposed(exposed, value, who) {
  const [name, args] = Array.isArray(value) ? value : [];
  const fn = exposed.get(name);
  if (!fn) return { status: 1, value: unknownName(name, [...exposed.keys()], who) };
  try {
    return { status: 0, value: await fn(...(Array.isArray(args) ? args : [])) };
  } catch (e) {
    return { status: 1, value: describeError(e) };
  }
}

/**
 * The encoded value of an answer, `{status, body}`: a result that cannot be sent becomes the
 * TypeError that says so.
 * @param {import("./codec.js").Encoder} encoder
 * @param {number} status
 * @param {any} value
 * @param {string} who
 */
export function encodeAnswer(encoder, status, value, who) {
  try {
    return { status, body: encoder.encode(value) };
  } catch (e) {
    const err = new TypeError(`${who}'s function returned a value that cannot be sent: ${e.message}`);
    return { status: 1, body: encoder.encode(describeError(err)) };
  }
}
