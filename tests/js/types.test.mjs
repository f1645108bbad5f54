// The generated TypeScript declarations describe the public API: tests/types/usage.ts must
// type-check against them (strict), including two lines that must be type errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

test("the generated declarations type-check a strict TypeScript user of JsWorker", () => {
  assert.ok(existsSync(`${ROOT}/target/dist/types/pywebworker.d.ts`), "run scripts/build-wasm.sh first");
  const args = ["--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler",
    "--lib", "es2022,dom", "tests/types/usage.ts"];
  try {
    execFileSync(`${ROOT}/node_modules/.bin/tsc`, args, { cwd: ROOT, encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc found type errors:\n${e.stdout}`);
  }
});
