#!/usr/bin/env bash
# Builds the pure-Python wheel into target/wheels/: python/ plus the web files of target/dist/
# (run scripts/build-wasm.sh first), staged in target/python so the source tree stays clean. The
# wheel is for Pyodide (Python >= 3.12); the machine's own Python only builds it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
step "Python wheel"
[ -f target/dist/pywebworker.js ] || { echo "error: target/dist is missing; run scripts/build-wasm.sh" >&2; exit 1; }
rm -rf target/python && mkdir -p target/python target/wheels
cp -r python/pyproject.toml python/README.md python/pywebworker target/python/
find target/python -name __pycache__ -prune -exec rm -rf {} +
mkdir -p target/python/pywebworker/_web
cp -r target/dist/* target/python/pywebworker/_web/
rm -f target/wheels/pywebworker-*.whl
python3 -m pip wheel --quiet --no-deps --ignore-requires-python --wheel-dir target/wheels target/python
# Pyodide's micropip, served beside our wheel (loaded by URL: nothing comes from a CDN).
cp "$CACHE/wheels/micropip-0.11.1-py3-none-any.whl" target/wheels/
ls target/wheels/*.whl >&2
