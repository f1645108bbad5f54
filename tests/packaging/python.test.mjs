// The Python package as PyPI would take it: the wheel and the sdist of scripts/build-wheel.sh
// (`python -m build`), checked by twine, with the licence files, the README as the long
// description, the project's URLs, and the same version as the crate and the npm package.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, PYTHON, VERSION, crateVersion, run, archiveNames } from "./common.mjs";

const wheel = join(ROOT, `target/wheels/pywebworker-${VERSION}-py3-none-any.whl`);
const sdist = join(ROOT, `target/wheels/pywebworker-${VERSION}.tar.gz`);

test("the crate and the Python package state the same version", () => {
  assert.match(VERSION, /^\d+\.\d+\.\d+$/);
  assert.equal(crateVersion(), VERSION);
});

test("twine check --strict passes on the wheel and the sdist", () => {
  const out = run(PYTHON, ["-m", "twine", "check", "--strict", wheel, sdist], { env: { ...process.env, NO_COLOR: "1" } });
  assert.equal((out.match(/PASSED/g) ?? []).length, 2, out);
  assert.doesNotMatch(out, /WARNING|FAILED|ERROR/, out);
});

test("the wheel holds the package, its web files and both licences; its metadata is PyPI's", () => {
  const names = archiveNames(wheel);
  for (const name of ["pywebworker/__init__.py", "pywebworker/worker.py", "pywebworker/inside.py",
    "pywebworker/pool.py", "pywebworker/py.typed", "pywebworker/_web/pywebworker.iife.js",
    "pywebworker/_web/worker-runtime.bundle.js", "pywebworker/_web/pkg/pywebworker_bg.wasm",
    `pywebworker-${VERSION}.dist-info/licenses/LICENSE-MIT`,
    `pywebworker-${VERSION}.dist-info/licenses/LICENSE-APACHE`]) {
    assert.ok(names.includes(name), `${name} is not in the wheel`);
  }
  assert.deepEqual(names.filter((n) => /__pycache__|\.pyc$/.test(n)), []);
  const meta = run(PYTHON, ["-c",
    "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.read(sys.argv[2]).decode())",
    wheel, `pywebworker-${VERSION}.dist-info/METADATA`]);
  assert.match(meta, new RegExp(`^Version: ${VERSION.replaceAll(".", "\\.")}$`, "m"));
  assert.match(meta, /^License-Expression: MIT OR Apache-2\.0$/m);
  assert.match(meta, /^Requires-Python: >=3\.12$/m);
  assert.match(meta, /^Description-Content-Type: text\/markdown$/m);
  assert.match(meta, /^Project-URL: Source, https:\/\/github\.com\//m);
  assert.match(meta, /^Classifier: Framework :: Pyodide$/m);
  // The long description is the package's README.
  const readme = readFileSync(join(ROOT, "python/README.md"), "utf8");
  assert.ok(meta.includes(readme.trim()), "the README is not the long description");
});

test("the sdist holds the sources, the built web files, the README and both licences", () => {
  const names = archiveNames(sdist);
  const base = `pywebworker-${VERSION}`;
  for (const name of ["pyproject.toml", "README.md", "LICENSE-MIT", "LICENSE-APACHE", "PKG-INFO",
    "pywebworker/worker.py", "pywebworker/_web/pkg/pywebworker_bg.wasm"]) {
    assert.ok(names.includes(`${base}/${name}`), `${name} is not in the sdist`);
  }
});

test("every manifest of the repository states the same licence", () => {
  const read = (p) => readFileSync(join(ROOT, p), "utf8");
  assert.match(read("Cargo.toml"), /^license = "MIT OR Apache-2\.0"$/m);
  assert.match(read("python/pyproject.toml"), /^license = "MIT OR Apache-2\.0"$/m);
  assert.match(read("LICENSE-MIT"), /^MIT License/);
  assert.match(read("LICENSE-APACHE"), /Apache License\s+Version 2\.0, January 2004/);
});
