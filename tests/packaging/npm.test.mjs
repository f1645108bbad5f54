// The npm package `pywebworker` as scripts/build-npm.sh assembles it in target/npm: its manifest
// (version, licence, exports), what `npm pack` would put in it (only what users need),
// `npm publish --dry-run`, and its TypeScript declarations as a user's code resolves them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { ROOT, VERSION, run } from "./common.mjs";

const PKG = join(ROOT, "target/npm");
const manifest = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));
const npm = (args) => run("npm", args, { cwd: PKG, env: { ...process.env, npm_config_update_notifier: "false" } });

test("the manifest: name, the Python package's version, the licence, ESM, side effects", () => {
  assert.equal(manifest.name, "pywebworker");
  assert.equal(manifest.version, VERSION);
  assert.equal(manifest.license, "MIT OR Apache-2.0");
  assert.equal(manifest.type, "module");
  assert.equal(manifest.private, undefined);
  assert.deepEqual(manifest.sideEffects, ["./worker/runtime.js", "./isolation-sw.js"]);
  assert.equal(manifest.peerDependenciesMeta.pyodide.optional, true);
  assert.equal(manifest.dependencies, undefined, "the package depends on nothing");
});

test("every target of the exports map is in the package", () => {
  const targets = Object.values(manifest.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)));
  assert.ok(targets.length >= 6);
  for (const target of targets) assert.ok(existsSync(join(PKG, target)), `${target} is missing`);
  assert.equal(manifest.exports["."].default, "./pywebworker.js");
  assert.equal(manifest.exports["."].types, "./types/pywebworker.d.ts");
  assert.equal(manifest.exports["./worker"].default, "./worker/runtime.js");
  assert.equal(manifest.exports["./worker"].types, "./types/worker.d.ts");
  // The worker runtime is self-contained: a bundler copying it as a file copies a whole worker.
  assert.doesNotMatch(readFileSync(join(PKG, "worker/runtime.js"), "utf8"), /^\s*import\s.*from\s/m);
});

test("npm pack --dry-run lists only what users need", () => {
  const [{ files, size }] = JSON.parse(npm(["pack", "--dry-run", "--json", "--loglevel=error"]));
  const paths = files.map((f) => f.path).sort();
  for (const needed of ["package.json", "README.md", "LICENSE-MIT", "LICENSE-APACHE", "pywebworker.js",
    "page/jsworker.js", "page/pyworker.js", "worker/runtime.js", "pkg/pywebworker.js", "pkg/pywebworker_bg.wasm",
    "python/inside.py", "python/_codec.py", "types/pywebworker.d.ts", "types/page/pyworker.d.ts", "types/worker.d.ts", "worker/inside.js",
    "isolation-sw.js"]) {
    assert.ok(paths.includes(needed), `${needed} is not in the package`);
  }
  const allowed = /^(package\.json|README\.md|LICENSE-(MIT|APACHE)|[a-z-]+\.js|(page|transport)\/[a-z]+\.js|worker\/(runtime|inside)\.js|pkg\/pywebworker(\.js|_bg\.wasm)|python\/[_a-z]+\.py|types\/([a-z]+\/)?[a-z]+\.d\.ts)$/;
  assert.deepEqual(paths.filter((p) => !allowed.test(p)), [], "files no user needs");
  // The Python package's bundles and the glue's own declarations are not for npm users.
  for (const extra of ["pywebworker.iife.js", "worker-runtime.bundle.js", "bundle-entry.js", "worker/script.js"]) {
    assert.ok(!paths.includes(extra), `${extra} is in the package`);
  }
  assert.ok(size < 400_000, `the tarball is ${size} bytes`);
  // Every module the package's modules import is in it too.
  const missing = [];
  for (const file of paths.filter((p) => p.endsWith(".js"))) {
    const text = readFileSync(join(PKG, file), "utf8");
    for (const [, spec] of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = posix.normalize(posix.join(posix.dirname(file), spec));
      if (!paths.includes(target)) missing.push(`${file} imports ${spec}`);
    }
  }
  assert.deepEqual(missing, [], "modules the package imports but does not hold");
});

test("npm publish --dry-run passes", () => {
  // It asks the registry about the name, and goes on without an answer: no retries when offline.
  const out = npm(["publish", "--dry-run", "--fetch-retries=0", "--loglevel=notice"]);
  assert.match(out, new RegExp(`\\+ pywebworker@${VERSION.replaceAll(".", "\\.")}`));
});

test("TypeScript code importing the package by name type-checks against its declarations", () => {
  const app = join(ROOT, "target/npm-types-check");
  rmSync(app, { recursive: true, force: true });
  mkdirSync(join(app, "node_modules"), { recursive: true });
  symlinkSync(PKG, join(app, "node_modules/pywebworker"), "dir");
  writeFileSync(join(app, "app.ts"), `
import { JsWorker, PyWorker, WorkerError, configure, type Sendable } from "pywebworker";
export async function echo(): Promise<Sendable> {
  configure({ waitAsync: "auto" });
  const js = new JsWorker("self.onmessage = (e) => self.postMessage(e.data);");
  js.onerror = (e: WorkerError) => console.log(e.remoteName);
  await js.start();
  js.send({ a: new Float32Array([1]) });
  const py = new PyWorker("from pywebworker.inside import send", { indexURL: "/pyodide/" });
  await py.start();
  return [await js.recv(), await py.recv()];
}
// @ts-expect-error: recv takes a number of milliseconds
new JsWorker("").recv("soon");
`);
  // A worker's script in TypeScript: the runtime's globals, declared by "pywebworker/worker".
  writeFileSync(join(app, "worker.ts"), `
import type { CallError } from "pywebworker/worker";
expose({ add: (a: number, b: number) => a + b });
export async function label(): Promise<string> {
  try {
    return String(await callAsync("label", 1));
  } catch (e) {
    return (e as CallError).name;
  }
}
// @ts-expect-error: a call's name is a string
call(1);
`);
  const tsc = join(ROOT, "node_modules/.bin/tsc");
  const out = run(tsc, ["--noEmit", "--strict", "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler",
    "--lib", "es2022,dom", "app.ts", "worker.ts"], { cwd: app });
  assert.equal(out.trim(), "");
});
