// Checked messages: a sequence number, a payload of random bytes and its checksum. The same
// functions run on the page (imported) and in the stream worker (their source is prepended to
// workers/stream.js), so both sides check with one definition. Keep them free of imports.

/** A seeded pseudo-random generator (mulberry32): a function giving floats in [0, 1). */
export function rngOf(seed) {
  let a = seed >>> 0;
  return function rng() {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the bytes of `p`. */
export function checksum(p) {
  let h = 0x811c9dc5;
  for (let i = 0; i < p.length; i++) {
    h ^= p[i];
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** Message `s` of a stream: `{s, n, c, p}`, `p` a Uint8Array of min..max random bytes, `c` its checksum. */
export function makeMessage(rng, s, max, min = 0) {
  const n = min + Math.floor(rng() * (max - min + 1));
  const p = new Uint8Array(n);
  let x = (Math.floor(rng() * 4294967296) >>> 0) || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    p[i] = x;
  }
  return { s, n, c: checksum(p), p };
}

/** Whether `m` is message number `expected` of a stream, whole: null when it is, else what is wrong. */
export function checkMessage(m, expected) {
  if (m === null || typeof m !== "object" || typeof m.s !== "number") {
    return `expected message ${expected}, got ${describeValue(m)}`;
  }
  if (m.s !== expected) return `expected message ${expected}, got message ${m.s} (${m.s < expected ? "duplicated or reordered" : "lost"})`;
  if (!(m.p instanceof Uint8Array)) return `message ${m.s}: the payload is ${describeValue(m.p)}, not a Uint8Array`;
  if (m.p.length !== m.n) return `message ${m.s}: ${m.p.length} payload bytes, ${m.n} sent`;
  if (checksum(m.p) !== m.c) return `message ${m.s}: the payload's checksum differs (torn or overwritten)`;
  return null;
}

export function describeValue(v) {
  if (v === null || typeof v !== "object") return `${typeof v} ${String(v).slice(0, 60)}`;
  let keys = "";
  try {
    keys = Object.keys(v).slice(0, 6).join(",");
  } catch { /* a strange object */ }
  return `${Object.prototype.toString.call(v)} {${keys}}`;
}
