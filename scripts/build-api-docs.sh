#!/usr/bin/env bash
# Builds the API reference from the docstrings and the type declarations (run scripts/build-wasm.sh
# first): the Python API with pdoc into target/api/python/, the JavaScript API with typedoc (from
# the declarations in target/dist/types/) into target/api/javascript/. Any warning fails the build.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
step "API reference"
[ -f target/dist/types/pywebworker.d.ts ] || { echo "error: target/dist is missing; run scripts/build-wasm.sh" >&2; exit 1; }
rm -rf target/api && mkdir -p target/api
"$PY_TOOLS/bin/python" scripts/api/pdoc_build.py python target/api/python
node_modules/.bin/typedoc --options scripts/api/typedoc.json
echo "target/api: python/index.html, javascript/index.html" >&2
