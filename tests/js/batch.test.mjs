// The postMessage transport's batches (js-shim/frames.js): what BatchWriter writes, forEachFrame
// reads, and a received buffer written into again for the next large batch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BatchWriter, forEachFrame } from "../../js-shim/frames.js";
import { TAG } from "../../js-shim/protocol.js";

const frames = (buffer) => {
  const out = [];
  const handled = forEachFrame(buffer, (tag, u8, at, len) => out.push([tag, Array.from(u8.subarray(at, at + len))]));
  return { handled, out };
};

test("a small batch is a copy; a large one is the writer's buffer, handed over", () => {
  const w = new BatchWriter();
  w.append(TAG.DATA, new Uint8Array([1, 2, 3]));
  w.append(TAG.ERROR, new Uint8Array([]));
  const [small, none] = w.take(7);
  assert.deepEqual(none, []);
  assert.deepEqual(frames(small), { handled: 7, out: [[TAG.DATA, [1, 2, 3]], [TAG.ERROR, []]] });
  w.append(TAG.DATA, new Uint8Array(100_000).fill(5));
  const [large, transfer] = w.take(0);
  assert.deepEqual(transfer, [large]);
  const { out } = frames(large);
  assert.equal(out.length, 1);
  assert.equal(out[0][1].length, 100_000);
  assert.ok(out[0][1].every((b) => b === 5));
  assert.ok(w.empty);
});

test("a spare buffer carries the next batch that needs room, and only the batch's frames are read", () => {
  const w = new BatchWriter();
  // A received buffer longer than the batch the writer will put in it, filled with other bytes.
  const spare = new ArrayBuffer(1 << 20);
  new Uint8Array(spare).fill(0xee);
  w.spare(spare);
  w.append(TAG.DATA, new Uint8Array(70_000).fill(9));
  w.append(TAG.STDOUT, new Uint8Array([4]));
  const [batch, transfer] = w.take(3);
  assert.equal(batch, spare, "the spare buffer was written into instead of a new one");
  assert.deepEqual(transfer, [spare]);
  const { handled, out } = frames(batch);
  assert.equal(handled, 3);
  assert.deepEqual(out.map(([tag, bytes]) => [tag, bytes.length]), [[TAG.DATA, 70_000], [TAG.STDOUT, 1]]);
  assert.deepEqual(out[1][1], [4]);
  // Used once: the next large batch needs a new buffer.
  w.append(TAG.DATA, new Uint8Array(70_000));
  assert.notEqual(w.take(0)[0], spare);
  // Too small to be worth keeping, or too large.
  w.spare(new ArrayBuffer(100));
  w.spare(new ArrayBuffer(64 << 20));
  w.append(TAG.DATA, new Uint8Array(70_000));
  const [fresh] = w.take(0);
  assert.ok(fresh.byteLength < 1 << 20);
});

test("a batch whose end word points past its buffer, or whose frame runs past the end, is refused", () => {
  const w = new BatchWriter();
  w.append(TAG.DATA, new Uint8Array([1, 2, 3, 4, 5]));
  const [batch] = w.take(0);
  const dv = new DataView(batch);
  dv.setUint32(4, batch.byteLength + 8, true);
  assert.throws(() => forEachFrame(batch, () => {}), /truncated/);
  dv.setUint32(4, 4, true);
  assert.throws(() => forEachFrame(batch, () => {}), /truncated/);
  dv.setUint32(4, 8 + 8 + 4, true); // the frame of 5 bytes runs past an end 4 bytes after its head
  assert.throws(() => forEachFrame(batch, () => {}), /truncated/);
  assert.throws(() => forEachFrame(new ArrayBuffer(4), () => {}), /truncated/);
});
