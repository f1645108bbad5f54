// A PyWorker using the page's objects (`from pywebworker.inside import page`), with a Python page
// (real Pyodide, the wheel from micropip): synchronously on a cross-origin isolated page (the DOM
// edited from the worker, values and proxies, new, iteration, an event listener running in the
// worker, release, errors), and through the awaitable `page.async_` on both kinds of page, where
// the ordinary page's synchronous form raises CallIsolationError. Every wait is bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runPython } from "./harness.mjs";

const OPTIONS = { timeout: 300_000 };

const WORKER = `
import asyncio
from pywebworker.inside import page, expose, CallError, CallIsolationError, PageObjectReleased, PageProxy

@expose
def work():
    doc = page.document
    out = doc.getElementById("pyout")
    before = out.textContent
    out.textContent = "done"
    out.dataset.by = "python"
    span = doc.createElement("span")
    span.textContent = "child"
    out.appendChild(span)
    items = doc.querySelectorAll("#pylist li")
    date = page.window.Date.new(86400000)
    return {
        "before": before, "items": [li.textContent for li in items], "len": len(items),
        "second": items[1].textContent, "time": date.getTime(), "iso": date.toISOString(),
        "parsed": page.window.JSON.parse('{"a": [1, 2.5, "x"], "b": null}'), "max": page.window.Math.max(3, 9, 4),
        "proxy": isinstance(out, PageProxy), "repr": repr(out), "location": str(page.window.location)[:4],
        "missing": page.window.noSuchThing,
    }

clicks = []

def on_click(event):
    clicks.append(event.type)
    page.document.getElementById("pylog").textContent = f"{event.type} {len(clicks)} {event.target.id}"

@expose
def listen():
    page.document.getElementById("pyb").addEventListener("click", on_click)

@expose
def unlisten():
    page.document.getElementById("pyb").removeEventListener("click", on_click)

@expose
def count():
    return len(clicks)

@expose
def errors():
    out = {}
    try:
        page.document.body.appendChild(42)
    except CallError as e:
        out["thrown"] = [type(e).__name__, e.remote_type, str(e).split(":")[0]]
    body = page.document.body
    body.release()
    try:
        body.id
    except PageObjectReleased as e:
        out["released"] = str(e)
    els = [page.document.createElement("p") for _ in range(20)]
    del els
    out["after"] = page.document.title
    return out

@expose
async def async_work():
    doc = page.async_.document
    el = await doc.getElementById("pyout")
    out = {"title": await doc.title, "before": await el.textContent}
    el.textContent = "async done"
    date = await page.async_.Date.new(1000)
    out["time"] = await date.getTime()
    out["max"] = await page.async_.Math.max(1, 5)
    nodes = await doc.querySelectorAll("#pylist li")
    out["items"] = [await li.textContent for li in await nodes.list()]
    out["after"] = await el.textContent
    reads = []
    for i in range(5):  # each assignment and call is sent when made: the reads see them in order
        el.title = f"t{i}"
        reads.append(el.getAttribute("title"))
    out["order"] = await asyncio.gather(*reads)
    heard = asyncio.get_running_loop().create_future()
    async def handler(event):  # the event: a PageProxy on the shared transport, else awaitable
        kind = event.type if isinstance(event, PageProxy) else await event.type
        heard.set_result([type(event).__name__, kind])
    button = await doc.getElementById("pyb")
    await button.addEventListener("custom", handler)
    await button.dispatchEvent(await page.async_.Event.new("custom"))
    out["handler"] = await asyncio.wait_for(heard, 10)
    try:
        await doc.title()
    except CallError as e:
        out["not a function"] = e.remote_message
    try:
        out["sync"] = page.document.title
    except CallIsolationError as e:
        out["sync"] = "CallIsolationError: " + str(e)
    return out
`;

const SETUP = `
import asyncio, js
from pywebworker.worker import PyWorker
js.document.body.insertAdjacentHTML("beforeend", '<div id="pyout">before</div><ul id="pylist"><li>a</li><li>b</li></ul>'
                                    '<button id="pyb">b</button><div id="pylog"></div>')
js.document.title = "page objects"
w = PyWorker(${JSON.stringify(WORKER)})
await asyncio.wait_for(w.ready(), 120)

async def until(check, seconds=10):
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
`;

test("isolated: a PyWorker edits the page's DOM synchronously; values and proxies, new, iteration; an event listener runs in the worker; release and errors", OPTIONS, async () => {
  const lines = await runPython(true, `${SETUP}
print("work:", await asyncio.wait_for(w.api.work(), 30))
el = js.document.getElementById("pyout")
print("dom:", el.firstChild.textContent, el.dataset.by, el.querySelector("span").textContent)
log = js.document.getElementById("pylog")
button = js.document.getElementById("pyb")
await asyncio.wait_for(w.api.listen(), 30)
await asyncio.wait_for(w.api.listen(), 30)
button.click()
await until(lambda: log.textContent == "click 1 pyb")
print("first click:", log.textContent)
button.click()
await until(lambda: log.textContent == "click 2 pyb")
print("second click:", log.textContent)
await asyncio.wait_for(w.api.unlisten(), 30)
button.click()
await asyncio.sleep(0.2)
print("clicks:", await asyncio.wait_for(w.api.count(), 30))
print("errors:", await asyncio.wait_for(w.api.errors(), 30))
w.kill()
`);
  const expect = (label) => lines.find((l) => l.startsWith(`${label}: `))?.slice(label.length + 2);
  const all = `\nthe Python printed:\n${lines.join("\n")}`;
  assert.equal(expect("work"), "{'before': 'before', 'items': ['a', 'b'], 'len': 2, 'second': 'b', 'time': 86400000, " +
    "'iso': '1970-01-02T00:00:00.000Z', 'parsed': {'a': [1, 2.5, 'x'], 'b': None}, 'max': 9, 'proxy': True, " +
    "'repr': '<page HTMLDivElement>', 'location': 'http', 'missing': None}", all);
  assert.equal(expect("dom"), "done python child", all);
  assert.equal(expect("first click"), "click 1 pyb", all);
  assert.equal(expect("second click"), "click 2 pyb", all);
  assert.equal(expect("clicks"), "2", all);
  assert.equal(expect("errors"), "{'thrown': ['CallError', 'TypeError', 'the use of page object appendChild raised TypeError'], " +
    "'released': \"this proxy of the page's HTMLBodyElement was released: get it again from page.window or page.document\", " +
    "'after': 'page objects'}", all);
});

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  test(`${mode}: a PyWorker uses the page's objects through await page.async_`, OPTIONS, async () => {
    const lines = await runPython(isolated, `${SETUP}
out = await asyncio.wait_for(w.api.async_work(), 30)
sync = out.pop("sync")
print("async:", out)
print("sync:", sync)
print("dom:", js.document.getElementById("pyout").textContent)
w.kill()
`);
    const expect = (label) => lines.find((l) => l.startsWith(`${label}: `))?.slice(label.length + 2);
    const all = `\nthe Python printed:\n${lines.join("\n")}`;
    assert.equal(expect("async"), "{'title': 'page objects', 'before': 'before', 'time': 1000, 'max': 5, 'items': ['a', 'b'], " +
      `'after': 'async done', 'order': ['t0', 't1', 't2', 't3', 't4'], 'handler': ['${isolated ? "PageProxy" : "AsyncPageProxy"}', 'custom'], 'not a function': 'document.title is a string, not a function'}`, all);
    assert.equal(expect("dom"), "async done", all);
    if (isolated) assert.equal(expect("sync"), "page objects", all);
    else assert.match(expect("sync") ?? "", /^CallIsolationError: page.window and page.document are used synchronously only on the shared transport.*page\.async_/, all);
  });
}
