// Type-checked against the generated declarations (target/dist/types): the public API as a
// TypeScript user writes it. A wrong type here fails the check.
import { JsWorker, PyWorker, WorkerError, WorkerMessage, type Sendable } from "../../target/dist/types/pywebworker.js";
import type { CallError } from "../../target/dist/types/worker.js";

export async function example(): Promise<string> {
  const worker = new JsWorker("self.onmessage = (e) => self.postMessage(e.data);", { transport: "auto" });
  await worker.start();
  worker.send({ text: "hi", bytes: new Uint8Array([1]), list: [1, 2n, null] });
  worker.send_message("seed name");
  const reply: Sendable = await worker.recv(1000);
  await worker.settle();
  const unread: WorkerMessage[] = worker.get_unread_messages();
  const first: Sendable = unread[0].read();
  const opened: boolean = worker.get_message(0).is_opened();
  worker.onerror = (e: WorkerError) => console.log(e.remoteName, e.remoteStack);
  const mode: "shared" | "post" = worker.transport;
  worker.kill();
  return `${String(reply)} ${String(first)} ${opened} ${mode} ${worker.state}`;
}

// @ts-expect-error: a Map cannot be sent
new JsWorker("").send(new Map());
// @ts-expect-error: the transport is one of three names
new JsWorker("", { transport: "carrier-pigeon" });

export async function pyExample(): Promise<Sendable> {
  const py = new PyWorker("from pywebworker.inside import send", { indexURL: "/pyodide/", packages: ["numpy"], env: { MODE: "fast" } });
  await py.start();
  py.send([1, 2.5, "three"]);
  return py.recv(60000);
}

// @ts-expect-error: a PyWorker needs indexURL, where Pyodide is served
new PyWorker("print(1)", { packages: [] });

// Calls both ways: the worker's exposed functions, by name, through `api`, and cancelled by an
// AbortSignal; the page's functions exposed to the worker; `callTimeout` for the worker's calls.
export async function calls(): Promise<Sendable[]> {
  const worker = new PyWorker("from pywebworker.inside import expose", { indexURL: "/pyodide/", callTimeout: 5000 });
  worker.expose({ label: (x: string) => `<${x}>`, later: async (n: number) => n + 1 });
  worker.expose((s: string) => s.length, "size");
  const controller = new AbortController();
  const out: Sendable[] = [await worker.call("add", 1, 2), await worker.api.add(3, 4)];
  try {
    out.push(await worker.callWith({ signal: controller.signal }, "spin"));
  } catch (e) {
    if (e instanceof WorkerError) out.push(e.remoteName ?? "", e.remoteMessage ?? "", e.remoteStack ?? "");
  }
  new JsWorker("expose({ add: (a, b) => a + b });", { callTimeout: Infinity });
  return out;
}

// @ts-expect-error: a call's name is a string
new JsWorker("").call(1);
// @ts-expect-error: callTimeout is a number of ms
new JsWorker("", { callTimeout: "soon" });

// A worker's script: the globals the worker runtime defines (types/worker.d.ts).
export async function workerScript(): Promise<Sendable> {
  expose({ add: (a: number, b: number) => a + b, later: async (x: string) => x });
  expose((s: string) => s.length, "size");
  send(recv(1000));
  try {
    return [call("label", "x"), await callAsync("label", 2n)];
  } catch (e) {
    const error = e as CallError;
    if (error.name === "CallTimeoutError" || error.name === "CallIsolationError") return error.message;
    return [error.remoteName ?? null, error.remoteMessage ?? null, error.remoteStack ?? null];
  } finally {
    close();
  }
}

// @ts-expect-error: a worker's call names the page's function with a string
callAsync(1);
// @ts-expect-error: a CallError's name is one of three
const wrongName: CallError["name"] = "TypeError";
