// A raw worker (new Worker, not a JsWorker) that the fault page hands the runtime's shared wasm
// memory: it writes garbage where the page says, for a while, then answers {op: "done", n}.
// Ops (addresses in bytes):
//   {op: "memory", buffer}                      the memory's SharedArrayBuffer
//   {op: "store", addr, value | from+add, ms}   stores a value (or the word at `from` plus `add`) again and again
//   {op: "or", addr, bits, ms}                  sets bits again and again
//   {op: "flip", addrs, modes, ms}              replaces each word by garbage for a moment, then puts it back
//   {op: "frames", region, field, modes, ms}    the same for the frame headers of the ring at `region`
//   {op: "more", region, ms, maxBytes}          acts as the producer of that ring: frames flagged MORE, endlessly
const TAIL = 128, HEAD = 256, DATA_BELL = 512, HEADER_SIZE = 768;
const FLAG_MORE = 1 << 16, FLAG_WRAP = 1 << 17, FLAG_ABORT = 1 << 18;
let u32 = null;
const pause = new Int32Array(new SharedArrayBuffer(4));
const rest = (ms) => Atomics.wait(pause, 0, 0, ms);

/** Garbage for word value `x` in `mode`. */
function garbage(x, mode) {
  switch (mode) {
    case "len-huge": return 0xfffffff8;
    case "len-plus": return (x + 8) >>> 0;
    case "len-minus": return x >= 8 ? x - 8 : x + 16;
    case "len-zero": return 0;
    case "meta-more": return (x ^ FLAG_MORE) >>> 0;
    case "meta-abort": return (x ^ FLAG_ABORT) >>> 0;
    case "meta-wrap": return (x | FLAG_WRAP) >>> 0;
    case "meta-unknown": return (x | 0x80000000) >>> 0;
    default: throw new Error(`unknown garbage mode ${mode}`);
  }
}

/** Puts garbage in word `i` for a moment (a few microseconds), then the old value back if nobody wrote since. */
function flip(i, mode) {
  const orig = Atomics.load(u32, i);
  const bad = garbage(orig, mode);
  if (bad === orig) return 0;
  Atomics.store(u32, i, bad);
  for (let k = 0; k < 300; k++) if (Atomics.load(u32, i) !== bad) break;
  Atomics.compareExchange(u32, i, bad, orig);
  return 1;
}

function run(m) {
  const end = performance.now() + (m.ms ?? 300);
  let n = 0;
  switch (m.op) {
    case "store":
      while (performance.now() < end) {
        const value = m.from !== undefined ? Atomics.load(u32, m.from >>> 2) + m.add : m.value;
        Atomics.store(u32, m.addr >>> 2, value >>> 0);
        n++;
        rest(0.05);
      }
      return n;
    case "or":
      while (performance.now() < end) {
        Atomics.or(u32, m.addr >>> 2, m.bits);
        n++;
        rest(0.05);
      }
      return n;
    case "flip":
      for (let r = 0; performance.now() < end; r++) {
        for (const addr of m.addrs) n += flip(addr >>> 2, m.modes[r % m.modes.length]);
      }
      return n;
    case "frames": {
      const region = m.region, cap = u32[(region >>> 2) + 1], data = region + HEADER_SIZE;
      for (let r = 0; performance.now() < end; r++) {
        const tail = Atomics.load(u32, (region + TAIL) >>> 2);
        let p = Atomics.load(u32, (region + HEAD) >>> 2);
        for (let steps = 0; p !== tail && steps < 64; steps++) {
          const off = p & (cap - 1), i = (data + off) >>> 2;
          const len = Atomics.load(u32, i), meta = Atomics.load(u32, i + 1);
          if (meta & FLAG_WRAP) {
            p = (p + cap - off) >>> 0;
            continue;
          }
          if (len > cap / 2) break; // already garbage (ours, for a moment): start again
          n += flip(m.field === "len" ? i : i + 1, m.modes[(r + steps) % m.modes.length]);
          p = (p + 8 + ((len + 7) & ~7)) >>> 0;
        }
      }
      return n;
    }
    case "more": {
      // Frames of half the ring, each flagged MORE (tag 0): a message that never ends.
      const region = m.region, cap = u32[(region >>> 2) + 1], data = region + HEADER_SIZE, half = cap / 2;
      let tail = Atomics.load(u32, (region + TAIL) >>> 2), lastHead = -1, stuckSince = performance.now();
      while (performance.now() < end && n < m.maxBytes) {
        const head = Atomics.load(u32, (region + HEAD) >>> 2);
        if (head !== lastHead) {
          lastHead = head;
          stuckSince = performance.now();
        } else if (performance.now() - stuckSince > 2000) {
          break; // the page stopped reading
        }
        if (((tail - head) >>> 0) + half > cap) {
          rest(0.1);
          continue;
        }
        const i = (data + (tail & (cap - 1))) >>> 2;
        Atomics.store(u32, i, half - 8);
        Atomics.store(u32, i + 1, FLAG_MORE);
        tail = (tail + half) >>> 0;
        Atomics.store(u32, (region + TAIL) >>> 2, tail);
        Atomics.add(u32, (region + DATA_BELL) >>> 2, 1);
        Atomics.notify(new Int32Array(u32.buffer), (region + DATA_BELL) >>> 2);
        n += half - 8;
      }
      return n;
    }
    default:
      throw new Error(`unknown op ${m.op}`);
  }
}

onmessage = ({ data: m }) => {
  if (m.op === "memory") {
    u32 = new Uint32Array(m.buffer);
    postMessage({ op: "ready" });
    return;
  }
  try {
    postMessage({ op: "done", n: run(m) });
  } catch (e) {
    postMessage({ op: "error", message: String(e?.message ?? e) });
  }
};
