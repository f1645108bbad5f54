// A JsWorker using the page's objects (`self.page`), in headless browsers: synchronously on a
// cross-origin isolated page (shared rings: the DOM edited from the worker, values and proxies,
// `new`, iteration, functions given to the page as event listeners, release, errors), and through
// the awaitable `page.async` on both kinds of page. The same from Python is in page-python.test.mjs.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { suitePage } from "./harness.mjs";

const PAGE = "/tests/browser/pages/jsworker.html";

/** Resolves when `check()` is true, or after `ms` (then the test's assertion fails). */
const UNTIL = `async (check, ms = 10000) => {
  const end = performance.now() + ms;
  while (!check() && performance.now() < end) await new Promise((ok) => setTimeout(ok, 5));
}`;

describe("a JsWorker uses the page's objects synchronously, isolated", () => {
  const { run } = suitePage({ isolated: true, path: PAGE });

  test("a module script imports page, expose and call from pywebworker/inside", async () => {
    const r = await run(async () => {
      const inside = new URL("/target/dist/worker/inside.js", location.href).href;
      const worker = new pw.JsWorker(`
        import { page, expose, call } from ${JSON.stringify(inside)};
        expose({ title: () => [page.document.title, page === self.page, call("twice", 2)] });`, { type: "module" });
      worker.expose({ twice: (x) => 2 * x });
      const out = await worker.api.title();
      worker.kill();
      let onPage;
      try {
        await import(inside);
      } catch (e) {
        onPage = e.message;
      }
      return { out, onPage };
    });
    assert.deepEqual(r.out, ["pywebworker JsWorker tests", true, 4]);
    assert.match(r.onPage, /is imported by the script of a JsWorker/);
  });

  test("the worker edits the DOM; values arrive as values, other objects as proxies; new, iteration, calls", async () => {
    const r = await run(async () => {
      document.body.insertAdjacentHTML("beforeend",
        '<div id="out">before</div><ul id="list"><li>a</li><li>b</li><li>c</li></ul>');
      const worker = new pw.JsWorker(`
        expose({ work() {
          const doc = page.document;
          const out = doc.getElementById("out");
          const before = out.textContent;
          out.textContent = "done";
          out.dataset.by = "worker";
          const span = doc.createElement("span");
          span.textContent = "child";
          out.appendChild(span);
          const items = [...doc.querySelectorAll("#list li")].map((li) => li.textContent);
          const date = new page.window.Date(86400000);
          return {
            before, items, count: doc.querySelectorAll("li").length,
            title: doc.title, parsed: page.window.JSON.parse('{"a": [1, 2.5, "x"], "b": null}'),
            time: date.getTime(), iso: date.toISOString(), isProxy: typeof out, text: String(page.window.location).startsWith("http"),
            math: page.window.Math.max(3, 9, 4), missing: page.window.noSuchThing,
          };
        } });`);
      const out = await worker.api.work();
      const el = document.getElementById("out");
      const dom = { text: el.firstChild.textContent, by: el.dataset.by, child: el.querySelector("span")?.textContent };
      worker.kill();
      el.remove();
      document.getElementById("list").remove();
      return { out, dom };
    });
    assert.deepEqual(r.dom, { text: "done", by: "worker", child: "child" });
    assert.deepEqual(r.out, {
      before: "before", items: ["a", "b", "c"], count: 3, title: "pywebworker JsWorker tests",
      parsed: { a: [1, 2.5, "x"], b: null }, time: 86400000, iso: "1970-01-02T00:00:00.000Z",
      isProxy: "object", text: true, math: 9, missing: undefined,
    });
  });

  test("a function given to the page runs in the worker: an event listener, removed again; the page keeps one function per worker function", async () => {
    const r = await run(async (until) => {
      until = eval(until);
      document.body.insertAdjacentHTML("beforeend", '<button id="b">b</button><div id="log"></div>');
      const worker = new pw.JsWorker(`
        let clicks = 0;
        function onClick(event) {
          clicks++;
          page.document.getElementById("log").textContent = event.type + " " + clicks + " " + event.target.id;
        }
        expose({
          listen: () => page.document.getElementById("b").addEventListener("click", onClick),
          unlisten: () => page.document.getElementById("b").removeEventListener("click", onClick),
          clicks: () => clicks,
        });`);
      const button = document.getElementById("b"), log = document.getElementById("log");
      await worker.api.listen();
      await worker.api.listen(); // the same function again: still one listener
      button.click();
      await until(() => log.textContent === "click 1 b");
      const first = log.textContent;
      button.click();
      await until(() => log.textContent === "click 2 b");
      const second = log.textContent;
      await worker.api.unlisten();
      button.click();
      await new Promise((ok) => setTimeout(ok, 200));
      const clicks = await worker.api.clicks();
      worker.kill();
      button.remove();
      log.remove();
      return { first, second, clicks };
    }, UNTIL);
    assert.deepEqual(r, { first: "click 1 b", second: "click 2 b", clicks: 2 });
  });

  test("errors: a page exception is a CallError naming the use; a released proxy says so; the page forgets released objects", async () => {
    const r = await run(async () => {
      const worker = new pw.JsWorker(`
        expose({ errors() {
          const out = {};
          try { page.document.body.appendChild(42); } catch (e) { out.thrown = [e.name, e.remoteName, e.message]; }
          try { page.window.JSON.parse("{"); } catch (e) { out.syntax = [e.name, e.remoteName]; }
          const body = page.document.body;
          page.release(body);
          try { body.id; } catch (e) { out.released = [e.name, e.message]; }
          const els = [];
          for (let i = 0; i < 50; i++) els.push(page.document.createElement("p"));
          for (const el of els) page.release(el);
          out.stillWorks = page.document.title;
          return out;
        } });`);
      const out = await worker.api.errors();
      const held = worker._calls.objects.handles.size;
      worker.kill();
      const afterKill = worker._calls.objects.handles.size;
      return { out, held, afterKill };
    });
    assert.deepEqual(r.out.thrown.slice(0, 2), ["CallError", "TypeError"]);
    assert.match(r.out.thrown[2], /^the use of page object appendChild raised TypeError: /);
    assert.deepEqual(r.out.syntax, ["CallError", "SyntaxError"]);
    assert.deepEqual(r.out.released, ["ReferenceError", "this page object was released (page.release()): get it again from page.window or page.document"]);
    assert.equal(r.out.stillWorks, "pywebworker JsWorker tests");
    // window, document, and at most a few proxies not yet collected: the 51 released are gone.
    assert.ok(r.held < 10, `the page holds ${r.held} objects for the worker`);
    assert.equal(r.afterKill, 0);
  });
});

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";

  describe(`a JsWorker uses the page's objects through page.async, ${mode}`, () => {
    const { run } = suitePage({ isolated, path: PAGE });

    test("await page.async...: reads, calls, assignments, new, proxies; the synchronous form needs isolation", async () => {
      const r = await run(async () => {
        document.body.insertAdjacentHTML("beforeend", '<div id="aout">before</div>');
        const worker = new pw.JsWorker(`
          expose({ async work() {
            const doc = page.async.document;
            const out = { title: await doc.title };
            const el = await doc.getElementById("aout");
            out.before = await el.textContent;
            el.textContent = "async done";
            const date = await new page.async.Date(1000);
            out.time = await date.getTime();
            out.max = await page.async.Math.max(1, 5);
            try { out.sync = page.document.title; } catch (e) { out.sync = e.name + ": " + e.message; }
            try { await doc.title(); } catch (e) { out.notFunction = e.remoteMessage; }
            const button = await doc.getElementById("aout");
            const heard = new Promise((resolve) => button.addEventListener("custom",
              async (event) => resolve([typeof event.type, await event.type])));
            await button.dispatchEvent(await new page.async.Event("custom"));
            out.handler = await heard;
            out.after = await el.textContent;
            return out;
          } });`);
        const out = await worker.api.work();
        const text = document.getElementById("aout").textContent;
        worker.kill();
        document.getElementById("aout").remove();
        return { out, text };
      });
      assert.equal(r.text, "async done");
      assert.equal(r.out.title, "pywebworker JsWorker tests");
      assert.equal(r.out.before, "before");
      assert.equal(r.out.after, "async done");
      assert.equal(r.out.time, 1000);
      assert.equal(r.out.max, 5);
      assert.equal(r.out.notFunction, "document.title is a string, not a function");
      // A worker function's page objects: synchronous proxies when isolated, else awaitable paths.
      assert.deepEqual(r.out.handler, [isolated ? "string" : "function", "custom"]);
      if (isolated) assert.equal(r.out.sync, "pywebworker JsWorker tests");
      else assert.match(r.out.sync, /^CallIsolationError: page.window and page.document are used synchronously only on the shared transport.*page\.async.*Cross-Origin-Opener-Policy/);
    });
  });
}
