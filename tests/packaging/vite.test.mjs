// The npm package in an app built by Vite, as its README tells users: `npm pack`'s tarball
// installed in the app's node_modules, Pyodide copied to public/pyodide/, a production build with
// no plugin or configuration for workers or wasm. The build is served with COOP/COEP (shared
// rings) and without (postMessage), and in headless Chromium the app runs a JsWorker echo and a
// PyWorker.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "vite";
import { withPage } from "../browser/harness.mjs";
import { ROOT } from "./common.mjs";

const APP = join(ROOT, "target/vite-app");
const warnings = [];

before(async () => {
  rmSync(APP, { recursive: true, force: true });
  cpSync(join(ROOT, "tests/packaging/vite-app"), APP, { recursive: true });
  const tarball = execFileSync("npm", ["pack", "--pack-destination", APP, "--loglevel=error"],
    { cwd: join(ROOT, "target/npm"), encoding: "utf8" }).trim();
  mkdirSync(join(APP, "node_modules/pywebworker"), { recursive: true });
  execFileSync("tar", ["-xzf", join(APP, tarball), "-C", join(APP, "node_modules/pywebworker"), "--strip-components=1"]);
  cpSync(join(ROOT, "node_modules/pyodide"), join(APP, "public/pyodide"), { recursive: true });
  const logger = {
    info() {}, warnOnce: (m) => warnings.push(m), warn: (m) => warnings.push(m), error: (m) => warnings.push(m),
    clearScreen() {}, hasErrorLogged: () => false, hasWarned: false,
  };
  await build({ root: APP, configFile: false, customLogger: logger });
});

test("vite build succeeds without warnings and copies the wasm, the worker runtime and the Python files", () => {
  assert.deepEqual(warnings, []);
  const assets = readdirSync(join(APP, "dist/assets"));
  for (const asset of [/^pywebworker_bg-.*\.wasm$/, /^runtime-.*\.js$/, /^pywebworker-.*\.js$/, /^inside-.*\.py$/, /^_codec-.*\.py$/]) {
    assert.ok(assets.some((a) => asset.test(a)), `no ${asset} in ${assets.join(", ")}`);
  }
});

for (const isolated of [true, false]) {
  const mode = isolated ? "isolated" : "not isolated";
  test(`${mode}: the built app runs a JsWorker echo and a PyWorker`, async () => {
    await withPage({ isolated, path: "/", root: join(APP, "dist") }, async (page) => {
      await page.waitForFunction("window.appReady === true");
      const js = await page.evaluate(async () => {
        const { reply, transport } = await window.jsEcho({ text: "hi", samples: new Float32Array([1.5, 2.5]) });
        return { text: reply.echo.text, samples: [reply.echo.samples.constructor.name, ...reply.echo.samples], transport };
      });
      assert.deepEqual(js, { text: "hi", samples: ["Float32Array", 1.5, 2.5], transport: isolated ? "shared" : "post" });
      const py = await page.evaluate(() => window.pyEcho([1, 2.5, "three", new Uint8Array([7])]));
      assert.deepEqual(py.reply.types, ["int", "float", "str", "bytes"]);
      assert.deepEqual(py.reply.echo.slice(0, 3), [1, 2.5, "three"]);
      assert.deepEqual(Array.from(py.reply.echo[3]), [7]);
      assert.deepEqual(py.reply.python, [3, 14]);
      assert.equal(py.transport, isolated ? "shared" : "post");
      // What the workers loaded came out of the build.
      const loaded = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname));
      if (isolated) assert.ok(loaded.some((p) => /^\/assets\/pywebworker_bg-.*\.wasm$/.test(p)), loaded.join(" "));
      assert.ok(loaded.some((p) => /^\/assets\/inside-.*\.py$/.test(p)), loaded.join(" "));
    });
  });
}
