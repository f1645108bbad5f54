// The Python package in real Pyodide (npm package), installed with micropip from the wheel the
// set-up builds — on an isolated page and on an ordinary one: what the wheel carries, the Quick
// Reference flows, and the check of a script's language. The rest of the Python API is in
// pyodide-worker.test.mjs, its errors in pyodide-errors.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { runPython, withPage } from "./harness.mjs";

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  test(`${mode}: micropip installs the wheel offline and it carries the shim and the wasm module`, async () => {
    const r = await withPage({ isolated, path: "/tests/browser/pages/pyodide.html" }, async (page) => {
      const ready = await page.evaluate(() => window.pyodideReady);
      assert.equal(ready, true, `Pyodide and micropip load: ${ready}`);
      return page.evaluate(async () => {
        const wheel = new URL("/target/wheels/pywebworker-0.1.0-py3-none-any.whl", location.href).href;
        const out = await pyodide.runPythonAsync(`
import json, micropip
await micropip.install(${JSON.stringify(wheel)})
import pywebworker
from pywebworker import _web
wasm = _web.read("pkg/pywebworker_bg.wasm")
try:
    _web.read("missing.js")
    missing = "no error"
except FileNotFoundError as e:
    missing = str(e)
json.dumps({"version": pywebworker.__version__, "names": _web.names(), "wasm_magic": list(wasm[:4]),
            "wasm_size": len(wasm), "missing": missing})
`);
        return JSON.parse(out);
      });
    });
    assert.equal(r.version, "0.1.0");
    for (const name of ["pywebworker.js", "page/jsworker.js", "worker/runtime.js", "worker-runtime.bundle.js", "codec.js", "pkg/pywebworker.js",
      "pkg/pywebworker_bg.wasm"]) {
      assert.ok(r.names.includes(name), `the wheel carries ${name}`);
    }
    assert.deepEqual(r.wasm_magic, [0, 0x61, 0x73, 0x6d], "the wasm module is intact");
    assert.ok(r.wasm_size > 10_000);
    assert.match(r.missing, /carries no web file 'missing\.js'/);
  });
}

// The same file the demo runs: the original Quick Reference, with JsWorker for its echo script.
const QUICK_REFERENCE = readFileSync(new URL("../../demo/py/quick_reference.py", import.meta.url), "utf8");
// The demo's same flow with a Python echo script in a PyWorker.
const PYTHON_ECHO = readFileSync(new URL("../../demo/py/python_echo.py", import.meta.url), "utf8");
// The original README's Quick Reference (pywebworker 0.0.6, where PyWorker ran JavaScript), as written.
const SEED_QUICK_REFERENCE = `from pywebworker.worker import PyWorker

# This script will print a message to the console when the worker starts and
# will echo back any messages it receives
script = '''
console.log('worker created');
self.onmessage = function(message){
\tconsole.log('Received: ' + message.data);
\tself.postMessage(message.data);
}
'''

worker = PyWorker(script)
worker.start()

# the script echos back whatever we send, that message should be ready for us
worker.send_message('This is the first message')
messages = worker.get_unread_messages()

# messages have a .read method so the consumer knows what has and has not been processed
print([message.read() for message in messages])

# the message list can be checked for any unread messages using the has_unread_messages method
worker.send_message('This is the second message')
print(worker.has_unread_messages())

# individual messages can be checked to see if they have been read or not
first_message = worker.get_message(0)
second_message = worker.get_message(1)
print(first_message.is_opened())
print(second_message.is_opened())

# this isn't recommended, but if you really need to check for new messages without using has_unread_messages() or
# get_unread_messages(), _update_messages() will update the messages attribute.
# PLEASE NOTE THAT THIS IS A TEMPORARY WAY TO UPDATE THE LIST, THIS WILL BE REMOVED LATER
worker.send_message('This is the third message')
worker._update_messages()
print(worker.get_message(2).read())

# killing the worker stops it *immediately*. Anything in-progress will be stopped, so only use this when it is certain
# the worker is done and no longer needed!
worker.kill()
`;

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  test(`${mode}: the seed's Quick Reference runs unchanged in Python with JsWorker`, async () => {
    const lines = await runPython(isolated, QUICK_REFERENCE);
    assert.deepEqual(lines, [
      "['This is the first message']", "True", "True", "False", "This is the third message",
      `transport: ${isolated ? "shared" : "post"}`,
    ]);
  });

  test(`${mode}: the demo's Quick Reference flow with a Python echo script in a PyWorker`, async () => {
    const lines = await runPython(isolated, PYTHON_ECHO);
    assert.deepEqual(lines, [
      "['This is the first message']", "True", "True", "False", "This is the third message",
      "('tuple', 1.0, b'\\x01', 1180591620717411303424)", `transport: ${isolated ? "shared" : "post"}`,
    ]);
  });

  test(`${mode}: Python errors: unsendable value, syntax error in the script, exception in the worker`, async () => {
    const lines = await runPython(isolated, `
from pywebworker.worker import JsWorker, WorkerScriptError, WorkerError
w = JsWorker("self.onmessage = (e) => { if (e.data === 'boom') throw new RangeError('no ' + e.data); self.postMessage(e.data); };")
w.start()
try:
    w.send_message({"ok": [1, 2], "bad": object()})
except TypeError as e:
    print("TypeError:", e)
try:
    JsWorker("self.onmessage = function ( {").start()
except WorkerScriptError as e:
    print("WorkerScriptError:", e.remote_type)
w.send_message("boom")
try:
    w.get_unread_messages()
except WorkerError as e:
    print("WorkerError:", e.remote_type, e.remote_message)
w.send_message({"still": "alive", "n": 3})
print([m.read() for m in w.get_unread_messages()])
w.kill()
`);
    assert.equal(lines.length, 4, lines.join("\n"));
    assert.match(lines[0], /^TypeError: pywebworker cannot send a value of type object \(at value\['bad'\]\)/);
    assert.equal(lines[1], "WorkerScriptError: SyntaxError");
    assert.equal(lines[2], "WorkerError: RangeError no boom");
    assert.equal(lines[3], "[{'still': 'alive', 'n': 3}]");
  });

  test(`${mode}: the 0.0.6 Quick Reference's PyWorker of a JavaScript script is a ScriptLanguageError at once, naming JsWorker; Python, valid or not, still goes to the worker`, { timeout: 120_000 }, async () => {
    const lines = await runPython(isolated, `
import js
from pyodide.code import run_js
from pywebworker.worker import JsWorker, PyWorker, ScriptLanguageError, WorkerScriptError
run_js("""{
  globalThis.workersMade = 0;
  const NativeWorker = globalThis.Worker;
  globalThis.Worker = class extends NativeWorker {
    constructor(...args) { super(...args); globalThis.workersMade++; }
  };
}""")
try:
    exec(${JSON.stringify(SEED_QUICK_REFERENCE)}, {})
    print("seed: ran")
except ScriptLanguageError as e:
    print("seed:", isinstance(e, ValueError), isinstance(e, WorkerScriptError), e.remote_type)
    print("message:", str(e))
shapes = {
    "arrow": "self.onmessage = (e) => self.postMessage(e.data);",
    "classic": "onmessage = function(e) {\\n  postMessage(e.data * 2);\\n};\\n",
    "listener": "self.addEventListener('message', async (e) => {\\n  const reply = await Promise.resolve(e.data);\\n  self.postMessage(reply);\\n});\\n",
}
for name, source in shapes.items():
    try:
        PyWorker(source)
        print(name + ": accepted")
    except ScriptLanguageError as e:
        print(name + ":", "JsWorker" in str(e))
print("workers made:", js.workersMade)
control = JsWorker("self.onmessage = (e) => self.postMessage(e.data);")
await control.ready()
control.send_message("js")
print("JsWorker:", await control.recv(timeout=10), js.workersMade)
control.kill()

broken = PyWorker("from pywebworker.inside import send\\nSHAPE = 'self.onmessage = (e) => self.postMessage(e.data);'\\ndef onmessage(value:\\n    send(value)\\n")
try:
    await broken.ready()
    print("syntax error: started")
except ScriptLanguageError:
    print("syntax error: refused as JavaScript")
except WorkerScriptError as e:
    print("syntax error:", e.remote_type, "line 3" in (e.remote_stack or ""), "JsWorker" in str(e))
broken.kill()
words = PyWorker("from pywebworker.inside import send\\nJS = 'self.onmessage = (e) => self.postMessage(e.data);'\\nfunction = 'const x = 1;'\\ndef onmessage(value):\\n    send([value, JS, function])\\n")
await words.ready()
words.send_message("py")
print("valid Python:", await words.recv(timeout=30))
words.kill()
`);
    assert.equal(lines[0], "seed: True True None", lines.join("\n"));
    assert.match(lines[1], /^message: PyWorker runs Python since pywebworker 0\.1\.0, and this script is JavaScript \(as Python, line 3: /);
    assert.match(lines[1], /Use JsWorker for a JavaScript script: `from pywebworker\.worker import JsWorker`, then `JsWorker\(script\)`/);
    assert.deepEqual(lines.slice(2), [
      "arrow: True", "classic: True", "listener: True",
      "workers made: 0",
      "JsWorker: js 1",
      "syntax error: SyntaxError True False",
      "valid Python: ['py', 'self.onmessage = (e) => self.postMessage(e.data);', 'const x = 1;']",
    ]);
  });
}
