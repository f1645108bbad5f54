#!/usr/bin/env bash
# Assembles the npm package `pywebworker` in target/npm/ from target/dist/ (run
# scripts/build-wasm.sh first) and the manifest template npm/package.json, whose version is set
# from the Python package's (pywebworker.__version__). The worker runtime in the package is the
# self-contained bundle, so that a bundler that copies it as a file (`new URL(..., import.meta.url)`)
# copies a worker that needs nothing else.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
step "npm package"
[ -f target/dist/worker-runtime.bundle.js ] || { echo "error: target/dist is missing; run scripts/build-wasm.sh" >&2; exit 1; }
rm -rf target/npm && mkdir -p target/npm
cp -r target/dist/. target/npm/
rm -r target/npm/worker target/npm/pywebworker.iife.js
mkdir target/npm/worker
mv target/npm/worker-runtime.bundle.js target/npm/worker/runtime.js
# The module form of a worker script's globals, which imports nothing.
cp target/dist/worker/inside.js target/npm/worker/inside.js
rm target/npm/pkg/*.d.ts  # the glue's own declarations: the package's are in types/
cp npm/README.md LICENSE-MIT LICENSE-APACHE target/npm/
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' python/pywebworker/__init__.py)
node -e '
  const fs = require("fs");
  const { name, ...rest } = JSON.parse(fs.readFileSync("npm/package.json", "utf8"));
  fs.writeFileSync("target/npm/package.json", JSON.stringify({ name, version: process.argv[1], ...rest }, null, 2) + "\n");
' "$version"
echo "target/npm: pywebworker@$version" >&2
