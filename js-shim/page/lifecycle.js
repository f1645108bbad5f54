// A worker's lifecycle on the page: created -> starting -> running, then one of the end states
// exited, killed or failed. Every pending wait on the worker is registered here, and the way to an
// end state rejects them all with the error that says why, so that no wait outlives its worker.

/** @typedef {"created" | "starting" | "running" | "failed" | "killed" | "exited"} WorkerState */

const ENDS = new Set(["killed", "exited", "failed"]);

export class Lifecycle {
  constructor() {
    /** @type {WorkerState} */
    this.state = "created";
    /** Why the worker ended (set with the end state). @type {Error | null} */
    this.error = null;
    /** @type {Set<{reject: (e: Error) => void}>} */
    this.waits = new Set();
  }

  /** Whether the worker reached an end state. */
  get ended() {
    return ENDS.has(this.state);
  }

  /**
   * A wait that ends with `resolve`/`reject` given to `begin`, with `onTimeout()`'s error after
   * `timeoutMs` (none for undefined or Infinity), or with the end error when the worker ends first.
   * `cancel` runs whenever the wait ends other than by `resolve` / `reject` (to forget it).
   * @template T
   * @param {(resolve: (v: T) => void, reject: (e: Error) => void) => void} begin
   * @param {{timeoutMs?: number, onTimeout?: () => Error, cancel?: () => void}} [options]
   * @returns {Promise<T>}
   */
  wait(begin, { timeoutMs, onTimeout, cancel } = {}) {
    if (this.ended) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      let timer = null;
      const entry = {
        reject: (e) => {
          finish();
          cancel?.();
          reject(e);
        },
      };
      const finish = () => {
        this.waits.delete(entry);
        if (timer !== null) clearTimeout(timer);
      };
      this.waits.add(entry);
      if (timeoutMs !== undefined && timeoutMs !== null && timeoutMs !== Infinity) {
        timer = setTimeout(() => entry.reject(onTimeout ? onTimeout() : new Error(`timed out after ${timeoutMs} ms`)),
          Math.max(0, timeoutMs));
      }
      begin((v) => {
        finish();
        resolve(v);
      }, (e) => {
        finish();
        reject(e);
      });
    });
  }

  /** Moves to `state`. */
  enter(state) {
    if (!this.ended) this.state = state;
  }

  /**
   * Moves to the end state `state` and rejects every pending wait with `error`; false (and nothing
   * done) when the worker had ended already.
   * @param {"killed" | "exited" | "failed"} state
   * @param {Error} error
   */
  end(state, error) {
    if (this.ended) return false;
    this.state = state;
    this.error = error;
    for (const w of [...this.waits]) w.reject(error);
    this.waits.clear();
    return true;
  }
}
