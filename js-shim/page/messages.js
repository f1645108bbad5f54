// What a worker sent that no waiting call took yet: the seed's message list (read or not), and
// the worker's errors in their place among the messages, so that an error is thrown only once the
// replies sent before it are read.

const clock = performance;

/** A message received from a worker, kept in the worker's message list. */
export class WorkerMessage {
  /** @param {import("./jsworker.js").Sendable} data */
  constructor(data) {
    /** @type {import("./jsworker.js").Sendable} */
    this.data = data;
    this.receivedAt = clock.now();
    this.opened = false;
    /** Taken by a receiving call: dropped from `messages` at the next compaction. */
    this._taken = false;
  }

  /**
   * Marks the message as read and returns its value.
   * @returns {import("./jsworker.js").Sendable}
   */
  read() {
    this.opened = true;
    return this.data;
  }

  /** Whether `read()` was called. */
  is_opened() {
    return this.opened;
  }
}

/** The messages kept for a worker, a cursor at the oldest unread, and errors not thrown yet. */
export class MessageList {
  constructor() {
    /** @type {WorkerMessage[]} (with what receiving calls took still in it until compacted) */
    this.list = [];
    this.cursor = 0;
    this.takenCount = 0; // messages taken by a receiving call and still in `list`
    /** @type {{err: Error, at: number}[]} errors, each before the message at `at` */
    this.errors = [];
  }

  push(value) {
    this.list.push(new WorkerMessage(value));
  }

  /** Keeps `err` to be thrown after the messages that arrived before it. */
  pushError(err) {
    this.errors.push({ err, at: this.list.length });
  }

  /** The messages kept for the seed's getters: those no receiving call took, read or not. */
  get kept() {
    if (this.takenCount) this.compact();
    return this.list;
  }

  /** The oldest unread message, or undefined. */
  nextUnread() {
    const ms = this.list;
    while (this.cursor < ms.length && ms[this.cursor].opened) this.cursor++;
    return ms[this.cursor];
  }

  /**
   * A message a receiving call hands out: read, and no longer kept (like one that arrived while
   * the call was waiting), so a long stream through `recv` holds no memory. The list is compacted
   * once at least half of it, and 1,024 or more, was taken.
   * @param {WorkerMessage} m
   */
  take(m) {
    m._taken = true;
    if (++this.takenCount >= 1024 && this.takenCount * 2 >= this.list.length) this.compact();
    return m.read();
  }

  /** Marks the `n` oldest unread messages read. */
  markRead(n) {
    for (let i = 0; i < n; i++) {
      const m = this.nextUnread();
      if (!m) break;
      this.take(m);
    }
  }

  /** The index up to which messages come before the first error not thrown yet. */
  get readableEnd() {
    return this.errors.length ? this.errors[0].at : this.list.length;
  }

  /**
   * Throws the oldest error no call has taken yet. `inOrder` (the receiving calls): only once the
   * messages that arrived before it are read.
   */
  throwPending(inOrder = false) {
    if (!this.errors.length) return;
    if (inOrder) {
      this.nextUnread();
      if (this.cursor < this.errors[0].at) return;
    }
    throw this.errors.shift().err;
  }

  /** Drops the taken messages, keeping the read cursor and error positions. */
  compact() {
    const ms = this.list, pending = this.errors, cursor = this.cursor;
    let kept = 0, e = 0, newCursor = -1;
    for (let i = 0; i < ms.length; i++) {
      while (e < pending.length && pending[e].at === i) pending[e++].at = kept;
      if (i === cursor) newCursor = kept;
      if (!ms[i]._taken) ms[kept++] = ms[i];
    }
    while (e < pending.length) pending[e++].at = kept;
    ms.length = kept;
    this.cursor = newCursor < 0 ? kept : newCursor;
    this.takenCount = 0;
  }
}
