// Calls between the page and one worker, both ways, in the worker's channel (frames of their own
// tags, never seen by recv() or onmessage): the page calling the functions the worker exposed,
// and answering the worker's calls of the functions the page exposed.

import { Encoder } from "../codec.js";
import { callFrame, encodeAnswer, exposedEntries, runExposed } from "../calls.js";
import { SHARED_WORDS, TAG, describeError } from "../protocol.js";
import { WorkerError } from "./errors.js";
import { PageObjects } from "./objects.js";

const MAX_ID = 0xffffffff;

export class PageCalls {
  /** @param {import("./channel.js").WorkerChannel} ch */
  constructor(ch) {
    this.ch = ch;
    this.next = 1;
    /** @type {Map<number, {name: string, resolve: (v: any) => void, reject: (e: Error) => void}>} */
    this.pending = new Map();
    /** @type {Map<string, Function>} what the page exposed to the worker */
    this.exposed = new Map();
    this.encoder = new Encoder();
    /** The Python API's handler of the worker's calls: `(id, encodedCall) => void`. */
    this.onCallEncoded = null;
    /** The page's objects the worker uses (page.window, page.document...), made at its first use. */
    this.objects = null;
  }

  expose(fns, name) {
    for (const [key, fn] of exposedEntries(fns, name)) this.exposed.set(key, fn);
  }

  /**
   * Calls the worker's exposed function `name`; `body` (the Python API): `[name, args]` encoded
   * already, and the result comes back encoded. `signal` cancels the call.
   * @param {string} name
   * @param {any[] | undefined} args
   * @param {{signal?: AbortSignal, body?: Uint8Array}} [options]
   */
  async call(name, args, { signal, body } = {}) {
    if (typeof name !== "string") throw new TypeError(`a call's name is a str, not ${typeof name}`);
    const frameBody = body ?? this.encoder.encode([name, args]);
    const ch = this.ch;
    const frame = callFrame(0, 0, frameBody); // copied out of the encoder's reused buffer
    signal?.throwIfAborted();
    if (ch.state === "created") await ch.start();
    else if (ch.state === "starting") await ch._started;
    if (ch._dead()) throw ch._deadError();
    signal?.throwIfAborted();
    const id = this.next;
    this.next = id === MAX_ID ? 1 : id + 1;
    new DataView(frame.buffer).setUint32(0, id, true);
    let entry, onAbort = null;
    const result = ch._life.wait((resolve, reject) => {
      entry = { name, resolve, reject };
      this.pending.set(id, entry);
    }, { cancel: () => this.pending.delete(id) });
    if (signal) {
      onAbort = () => {
        if (!this.pending.delete(id)) return;
        this.interruptIfRunning(id);
        this.send(TAG.CANCEL, callFrame(id, 0, this.encoder.encode(null)));
        entry.reject(signal.reason ?? new DOMException("the call was aborted", "AbortError"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
    }
    try {
      this.send(TAG.CALL, frame);
    } catch (e) {
      this.pending.delete(id);
      entry.reject(e);
    }
    try {
      return await result;
    } finally {
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Raises KeyboardInterrupt in a PyWorker's function that runs call `id` synchronously (its
   * event loop would see the CANCEL only after it ends): only on a cross-origin isolated page,
   * and only while that call's function runs (protocol.js's SHARED_WORDS).
   */
  interruptIfRunning(id) {
    const words = this.ch._shared;
    if (!words || this.ch._dead()) return;
    if (Atomics.compareExchange(words, SHARED_WORDS.RUNNING, id | 0, 0) !== (id | 0)) return;
    Atomics.store(words, SHARED_WORDS.INTERRUPT, 2);
    Atomics.store(words, SHARED_WORDS.SENT, 1);
    Atomics.notify(words, SHARED_WORDS.SENT);
  }

  send(tag, bytes) {
    const ch = this.ch;
    ch._checkSize(bytes.length);
    if (ch._post) {
      ch._post.send(tag, bytes);
      return;
    }
    try {
      ch._end.sendQueued(bytes, 0, bytes.length, null, ch._onSendError, tag);
    } catch (e) {
      throw ch._sendError(e);
    }
  }

  /** A call frame from the worker: a result of the page's call, or the worker's call. */
  onFrame(tag, { id, status, value }) {
    if (tag === TAG.RESULT) {
      const entry = this.pending.get(id);
      if (!entry) return; // cancelled
      this.pending.delete(id);
      if (status === 0) {
        entry.resolve(value);
        return;
      }
      const { name, message, stack } = value !== null && typeof value === "object" ? value : {};
      entry.reject(new WorkerError(`the worker's function ${entry.name}() raised ${name}: ${message}`,
        { remoteName: name, remoteMessage: message, remoteStack: stack }));
    } else if (tag === TAG.CALL) {
      if (this.onCallEncoded) this.onCallEncoded(id, value);
      else this.answer(id, value);
    } else if (tag === TAG.PAGE) {
      this.runPage(id, value);
    }
    // A CANCEL of the worker's call: the page's functions run to their end; the worker has
    // stopped waiting, and drops the answer.
  }

  /** Runs the function the worker called and sends its answer. */
  async answer(id, value) {
    const r = await runExposed(this.exposed, value, "the page");
    const { status, body } = encodeAnswer(this.encoder, r.status, r.value, "the page");
    this.answerEncoded(id, status, body);
  }

  /** Runs the worker's operation on the page's objects and sends its answer. */
  async runPage(id, value) {
    let status = 0, result;
    try {
      this.objects ??= new PageObjects(this);
      result = await this.objects.run(value);
    } catch (e) {
      status = 1;
      result = describeError(e);
    }
    const answer = encodeAnswer(this.encoder, status, result, "the page");
    this.answerEncoded(id, answer.status, answer.body);
  }

  /** The worker ended. */
  ended() {
    this.objects?.clear();
  }

  /** Sends the answer to the worker's call `id` (the Python API gives it encoded). */
  answerEncoded(id, status, body) {
    if (this.ch._dead()) return;
    try {
      this.send(TAG.RESULT, callFrame(id, status, body));
    } catch (e) {
      if (e instanceof RangeError) this.answerEncoded(id, 1, this.encoder.encode(describeError(e)));
      else throw e;
    }
  }
}
