#!/usr/bin/env bash
# Builds the pure-Python wheel and the sdist into target/wheels/ with `python -m build`: python/
# plus the web files of target/dist/ (run scripts/build-wasm.sh first) and the licence files,
# staged in target/python so the source tree stays clean. The wheel is for Pyodide
# (Python >= 3.12); the machine's own Python only builds it, offline, with the tools of setup.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
step "Python wheel"
[ -f target/dist/pywebworker.js ] || { echo "error: target/dist is missing; run scripts/build-wasm.sh" >&2; exit 1; }
rm -rf target/python && mkdir -p target/python target/wheels
cp -r python/pyproject.toml python/README.md python/pywebworker LICENSE-MIT LICENSE-APACHE target/python/
find target/python -name __pycache__ -prune -exec rm -rf {} +
mkdir -p target/python/pywebworker/_web
cp -r target/dist/* target/python/pywebworker/_web/
rm -rf target/python/pywebworker/_web/python  # the worker-side modules are the package itself
rm -f target/wheels/pywebworker-*.whl target/wheels/pywebworker-*.tar.gz
"$PY_TOOLS/bin/python" -m build --no-isolation --outdir target/wheels target/python >/dev/null
# Pyodide's micropip, served beside our wheel (loaded by URL: nothing comes from a CDN).
cp "$CACHE/wheels/micropip-0.11.1-py3-none-any.whl" target/wheels/
# sympy and mpmath (setup.sh), the pool's real workload in the tests and the demo.
for wheel in "${WORKLOAD_WHEELS[@]}"; do cp "$CACHE/wheels/$wheel" target/wheels/; done
# A package index of the wheel (PEP 503, static files), so that Pyodide installs it by name:
# `await micropip.install("pywebworker", index_urls=[".../target/wheels/simple"])`.
wheel=$(cd target/wheels && ls pywebworker-*-py3-none-any.whl)
sha=$(sha256sum "target/wheels/$wheel" | cut -d' ' -f1)
rm -rf target/wheels/simple && mkdir -p target/wheels/simple/pywebworker
printf '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>Simple index</title></head>\n<body><a href="pywebworker/">pywebworker</a></body></html>\n' \
  > target/wheels/simple/index.html
printf '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for pywebworker</title></head>\n<body><a href="../../%s#sha256=%s" data-requires-python="&gt;=3.12">%s</a></body></html>\n' \
  "$wheel" "$sha" "$wheel" > target/wheels/simple/pywebworker/index.html
chmod -R a+rX target/wheels
ls target/wheels/*.whl target/wheels/*.tar.gz >&2
