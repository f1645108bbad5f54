// Deterministic test messages: sizes from a seeded xorshift generator, content derived from the
// sequence number, so the consumer can regenerate and check every byte without shared state.

export function sizes(seed, maxSmall, bigEvery, bigSize) {
  let x = seed >>> 0 || 1;
  let n = 0;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    n++;
    return bigEvery && n % bigEvery === 0 ? bigSize + (x % 1024) : x % (maxSmall + 1);
  };
}

/** Writes message `seq` of `len` bytes into `u8` at `at`: 4-byte sequence number, then pattern. */
export function fill(u8, at, seq, len) {
  for (let i = 0; i < len; i++) u8[at + i] = i < 4 ? (seq >>> (8 * i)) & 255 : (seq * 31 + i) & 255;
}

/** Checks message `seq` of `len` bytes at `at`; returns the first wrong index, or -1. */
export function check(u8, at, seq, len) {
  for (let i = 0; i < len; i++) {
    const want = i < 4 ? (seq >>> (8 * i)) & 255 : (seq * 31 + i) & 255;
    if (u8[at + i] !== want) return i;
  }
  return -1;
}

/** A Uint8Array over the whole shared memory, re-created after the memory grows. */
export function memoryView(memory) {
  let u8 = new Uint8Array(memory.buffer);
  return () => (u8.buffer === memory.buffer ? u8 : (u8 = new Uint8Array(memory.buffer)));
}
