// A small app built by Vite with the npm package as a user installs it: a JsWorker echo and a
// PyWorker, whose Pyodide is served from public/pyodide/ (a copy of the npm package pyodide).
import { JsWorker, PyWorker } from "pywebworker";

window.jsEcho = async (value) => {
  const worker = new JsWorker("self.onmessage = (e) => self.postMessage({ echo: e.data });");
  await worker.start();
  worker.send(value);
  const reply = await worker.recv(20000);
  worker.kill();
  return { reply, transport: worker.transport };
};

window.pyEcho = async (value) => {
  const py = new PyWorker(`
import sys
from pywebworker.inside import send
def onmessage(value):
    send({"echo": value, "types": [type(v).__name__ for v in value], "python": sys.version_info[:2]})
`, { indexURL: new URL("pyodide/", document.baseURI) });
  await py.start();
  py.send(value);
  const reply = await py.recv(60000);
  py.kill();
  return { reply, transport: py.transport };
};

document.getElementById("status").textContent = "ready";
window.appReady = true;
