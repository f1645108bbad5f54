// What a worker posts natively to the page: the runtime's control messages ("thread", "ready",
// "failed") and, on the postMessage transport, batches of messages. All of it is untrusted: a
// malformed batch or control message ends that worker alone (ChannelCorruptError), and nothing of
// it reaches the page's error handlers.

import { payload } from "../transport/reader.js";
import { PREFIX, TAG } from "../protocol.js";
import { WorkerCrashedError, WorkerScriptError } from "./errors.js";

/** From this size an encoded message received by postMessage is a view of its batch, not a copy. */
const VIEW_BYTES = 1 << 16;

/**
 * Handles what the worker of `ch` (a WorkerChannel) posted natively.
 * @param {import("./channel.js").WorkerChannel} ch
 * @param {any} data
 */
export function onControl(ch, data) {
  try {
    control(ch, data);
  } catch (e) {
    ch._corrupt(`it posted a malformed message: ${e?.message ?? e}`);
  }
}

function control(ch, data) {
  if (data instanceof ArrayBuffer) {
    // A batch of the postMessage transport (a script may send while it starts). On the shared
    // transport nothing comes this way: a script posting natively is ignored.
    if (ch._post && (ch.state === "running" || ch.state === "starting")) receiveBatch(ch, data);
    return;
  }
  if (!data || typeof data.type !== "string" || !data.type.startsWith(PREFIX)) return;
  switch (data.type.slice(PREFIX.length)) {
    case "thread":
      // Sent once by the runtime before the user's script runs; a later one is forged.
      if (ch._threadSeen || ch.state !== "starting") return;
      ch._threadSeen = true;
      ch._noteThread(data);
      if (data.locked === true) ch._watchDeath();
      if (ch._end) {
        ch._worker.postMessage({ type: PREFIX + "link", port: ch._rt.glue.linkPort(ch._link, 1) });
        ch._linked = true;
        // What the script sends while it starts is read at once: a script that sends more than
        // the ring holds before it ends would otherwise wait for room that never comes.
        ch._pumpLoop();
      }
      break;
    case "ready":
      if (ch.state !== "starting") return;
      ch.startInfo = startInfo(data.start);
      ch._life.enter("running");
      if (ch._post) {
        ch._post.open = true;
        ch._post.flush();
      }
      ch._onReady();
      break;
    case "failed":
      failed(ch, data);
      break;
  }
}

/** A PyWorker's report of how its Pyodide started (worker/snapshot.js), kept to its known fields. */
function startInfo(start) {
  if (start === undefined) return null;
  if (start === null || typeof start !== "object" || (start.how !== "snapshot" && start.how !== "cold") ||
    !Number.isFinite(start.ms) || (start.reason !== null && typeof start.reason !== "string")) {
    throw new Error("a start report that the runtime does not write");
  }
  const info = { how: start.how, ms: start.ms, reason: start.reason };
  if (start.how === "snapshot") {
    info.made = start.made === true;
    info.key = String(start.key);
    info.bytes = Number(start.bytes);
  }
  return info;
}

/** The runtime reports an error that ends the worker. */
function failed(ch, data) {
  // The runtime describes the error it reports (describeError in protocol.js); anything else was
  // not written by it.
  const error = data.error;
  if (error === null || typeof error !== "object" || typeof error.name !== "string" ||
    typeof error.message !== "string" || (error.stack !== undefined && typeof error.stack !== "string")) {
    throw new Error("a failure report that the runtime does not write");
  }
  const { name, message } = error;
  const remote = { remoteName: name, remoteMessage: message, remoteStack: error.stack ?? "" };
  if (data.corrupt === true) {
    ch._corrupt(`the worker found its side of the channel broken: ${message}`);
  } else if (data.fatal === true) {
    // Its interpreter cannot run again: what waits for it fails now (a pool replaces it).
    ch._fail(new WorkerCrashedError(`the worker's Python suffered a fatal error (${name}: ${message}) and ` +
      "cannot run again; create a new worker", remote));
  } else {
    const what = ch.state === "starting" ? "failed to start" : "failed";
    ch._fail(new WorkerScriptError(`the worker's script ${what}: ${name}: ${message}`, remote));
  }
}

/** Delivers a postMessage batch from the worker; throws (ending the worker) when it is malformed. */
function receiveBatch(ch, data) {
  // The batch's buffer was transferred to this page and nothing writes to it: a large encoded
  // message is a view of it rather than a copy (a new buffer of a mebibyte costs Chromium about
  // 0.6 ms to allocate and fill).
  let viewed = false;
  const raw = ch._raw;
  ch._post.receive(data, (tag, u8, at, len) => {
    if (raw && tag === TAG.DATA && len >= VIEW_BYTES) {
      viewed = true;
      ch._deliver(tag, u8.subarray(at, at + len));
    } else {
      ch._deliver(tag, payload(raw, tag, u8, at, len));
    }
  });
  // Every message was copied out: the buffer can carry this page's next large batch.
  if (!viewed) ch._post.spare(data);
  ch._checkSettled();
}
