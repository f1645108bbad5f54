// The errors a page sees from its workers. Every wait on a worker ends with its answer, its
// timeout (SettleError), or one of these when the worker ends.

/** Base of every error a worker reports; `remote*` describe an exception raised in the worker. */
export class WorkerError extends Error {
  /**
   * @param {string} message
   * @param {{remoteName?: string, remoteMessage?: string, remoteStack?: string}} [remote]
   */
  constructor(message, { remoteName, remoteMessage, remoteStack } = {}) {
    super(message);
    this.name = "WorkerError";
    /** @type {string | undefined} the type of the exception raised in the worker */
    this.remoteName = remoteName;
    /** @type {string | undefined} its message */
    this.remoteMessage = remoteMessage;
    /** @type {string | undefined} its stack trace, as the worker saw it */
    this.remoteStack = remoteStack;
  }
}

/** The worker's script could not be loaded or failed before it was ready. */
export class WorkerScriptError extends WorkerError {
  constructor(...args) {
    super(...args);
    this.name = "WorkerScriptError";
  }
}

/** The worker was killed (by `kill()`), so it cannot send or receive any more. */
export class WorkerKilledError extends WorkerError {
  constructor(message = "the worker was killed: it can no longer send or receive; create a new worker") {
    super(message);
    this.name = "WorkerKilledError";
  }
}

/** The worker stopped on its own (it called close(), or its thread ended). */
export class WorkerExitedError extends WorkerError {
  constructor(message = "the worker stopped (its script called close() or its thread ended); create a new worker") {
    super(message);
    this.name = "WorkerExitedError";
  }
}

/** The worker's interpreter failed in a way it cannot run again from (a fatal Pyodide error). */
export class WorkerCrashedError extends WorkerError {
  constructor(...args) {
    super(...args);
    this.name = "WorkerCrashedError";
  }
}

/** The worker did not finish handling the messages sent to it in time, or cannot be waited for here. */
export class SettleError extends WorkerError {
  constructor(message) {
    super(message);
    this.name = "SettleError";
  }
}

/**
 * The worker broke the channel's rules (its shared memory was overwritten, it sent a malformed
 * batch or a message over the size limit); that worker cannot be used any more.
 */
export class ChannelCorruptError extends WorkerError {
  /** @param {string} [why] what was found wrong */
  constructor(why = "its shared memory was overwritten") {
    super(`this worker's channel is corrupt (${why}): kill() this worker ` +
      "and start a new one; other workers are not affected");
    this.name = "ChannelCorruptError";
  }
}

/** Thrown when shared memory cannot reach a worker because the page is not isolated. */
export class IsolationError extends Error {
  constructor() {
    super(
      "this page is not cross-origin isolated (crossOriginIsolated is false), so shared memory " +
        "cannot be sent to a worker. Serve it with the headers 'Cross-Origin-Opener-Policy: " +
        "same-origin' and 'Cross-Origin-Embedder-Policy: require-corp' (recipes in server-headers/), " +
        "or use the postMessage transport."
    );
    this.name = "IsolationError";
  }
}
