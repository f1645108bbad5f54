// One end of the postMessage transport: the same frames as the rings, many per message, in a
// bare ArrayBuffer (see BatchWriter in frames.js). The same class on the page and in the worker;
// they differ only in when a batch leaves (`eager`).

import { BatchWriter, forEachFrame } from "../frames.js";
import { tooLarge } from "./shared.js";

/** A message waits at most this long for others to go with it in one postMessage ("aged"). */
const POST_AFTER_MS = 0.2;

const clock = performance;

/** Sends and receives batches of frames over `postMessage`; counts acknowledgements both ways. */
export class PostEnd {
  /**
   * @param {(buffer: ArrayBuffer, transfer: ArrayBuffer[]) => void} post posts one batch
   * @param {{maxBytes: number, eager: "first" | "aged"}} options `eager`: when a message leaves
   *   without waiting for the end of the task: "first", the first of each task (the page: a lone
   *   request is not delayed); "aged", any once the last post is 0.2 ms old (a worker: a handler
   *   that sends and then computes for long does not hold its messages back)
   */
  constructor(post, { maxBytes, eager }) {
    this.post = post;
    this.maxBytes = maxBytes;
    this.eager = eager;
    this.out = new BatchWriter();
    /** False while the other side cannot take batches yet (a worker still starting). */
    this.open = true;
    /** Messages this side handled (stamped on its batches) and the count last posted. */
    this.handled = 0;
    this.reported = 0;
    /** Data messages sent, and how many of them the other side says it handled. */
    this.sent = 0;
    this.acked = 0;
    this.inTask = false;
    this.postedAt = 0;
    this.endTask = () => {
      this.inTask = false;
      this.flush();
    };
  }

  /**
   * Queues one frame; it leaves with the rest of this task's at the end of the task, or at once
   * when the batch is full or by the `eager` rule. `hold`: a frame of a batch whose last one decides.
   * RangeError (nothing queued) for a message over the limit.
   */
  send(tag, bytes, hold = false) {
    if (bytes.length > this.maxBytes) throw tooLarge(bytes.length, this.maxBytes);
    this.out.append(tag, bytes);
    if (tag === 0) this.sent++;
    if (!this.open) return;
    const now = this.out.full || (!hold && (this.eager === "first" ? !this.inTask : clock.now() - this.postedAt >= POST_AFTER_MS));
    if (now) this.flush();
    if (!this.inTask) {
      this.inTask = true;
      queueMicrotask(this.endTask);
    }
  }

  /** Posts what is queued (and the handled count when it changed). */
  flush() {
    if (!this.open || (this.out.empty && this.handled === this.reported)) return;
    const [frames, transfer] = this.out.take(this.handled);
    this.reported = this.handled;
    this.post(frames, transfer);
    this.postedAt = clock.now();
  }

  /** Posts the handled count at the end of this task (messages handled asynchronously). */
  schedule() {
    if (this.inTask) return;
    this.inTask = true;
    queueMicrotask(this.endTask);
  }

  /**
   * Reads a batch from the other side: `fn(tag, u8, at, len)` per frame, then records the other
   * side's handled count. Throws (what the caller treats as a broken channel) for a batch that does
   * not parse, a frame over the limit, or a handled count that goes back or past what was sent.
   */
  receive(buffer, fn) {
    const max = this.maxBytes;
    const handled = forEachFrame(buffer, (tag, u8, at, len) => {
      if (len > max) throw new Error(`a message of ${len} bytes, over the limit of ${max} (maxMessageBytes)`);
      fn(tag, u8, at, len);
    });
    if (handled < this.acked || handled > this.sent) {
      throw new Error(`it says it handled ${handled} messages, after ${this.acked}, of ${this.sent} sent`);
    }
    this.acked = handled;
  }

  /** Messages sent that the other side has not said it handled. */
  unsettled() {
    return this.sent - this.acked;
  }

  /** Keeps a received batch's buffer, all of whose messages were copied out, for a large batch. */
  spare(buffer) {
    this.out.spare(buffer);
  }
}
