// Type-checked against the generated declarations (target/dist/types): the public API as a
// TypeScript user writes it. A wrong type here fails the check.
import { JsWorker, PyWorker, WorkerError, WorkerMessage, type Sendable } from "../../target/dist/types/pywebworker.js";

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
