#!/usr/bin/env bash
# Builds the shared-memory wasm module and its JavaScript glue into target/pkg/, and checks that
# the memory really is shared (without the link arguments it silently is not).
# With --bench-loops: the same module with the benchmark's Rust loops (feature bench-loops) into
# target/pkg-bench/, for benches/report.mjs; nothing else.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
if [ "${1:-}" = "--bench-loops" ]; then
  step "shared-memory wasm build with the benchmark loops"
  cargo "+$NIGHTLY" build --lib --release --target wasm32-unknown-unknown --features bench-loops \
    --config .cargo/atomics.toml --target-dir target/wasm-bench
  wasm-bindgen --target web --out-dir target/pkg-bench target/wasm-bench/wasm32-unknown-unknown/release/pywebworker.wasm
  exit 0
fi
step "shared-memory wasm build"
cargo "+$NIGHTLY" build --lib --release --target wasm32-unknown-unknown \
  --config .cargo/atomics.toml --target-dir target/wasm
wasm="target/wasm/wasm32-unknown-unknown/release/pywebworker.wasm"
wasm-bindgen --target web --out-dir target/pkg "$wasm"

if ! wasm-objdump -x -j Import target/pkg/pywebworker_bg.wasm | grep -q 'memory\[0\].*shared'; then
  echo "error: target/pkg/pywebworker_bg.wasm imports no shared memory; check .cargo/atomics.toml" >&2
  exit 1
fi
if ! grep -q 'shared: *true' target/pkg/pywebworker.js; then
  echo "error: the glue in target/pkg/pywebworker.js does not create a shared WebAssembly.Memory" >&2
  exit 1
fi
echo "target/pkg: shared-memory module ($(stat -c %s target/pkg/pywebworker_bg.wasm) bytes)" >&2

# target/dist: what a web page loads — the JavaScript shim with the wasm module beside it.
rm -rf target/dist && mkdir -p target/dist/pkg
cp -r js-shim/. target/dist/
cp target/pkg/pywebworker.js target/pkg/pywebworker_bg.wasm target/pkg/*.d.ts target/dist/pkg/
# The Python modules a PyWorker started from JavaScript imports in its Pyodide.
mkdir -p target/dist/python
cp python/pywebworker/__init__.py python/pywebworker/_codec.py python/pywebworker/_ffi.py \
  python/pywebworker/_page.py python/pywebworker/inside.py target/dist/python/
echo "target/dist: JavaScript entry point target/dist/pywebworker.js" >&2

# TypeScript declarations generated from the shim's JSDoc.
node_modules/.bin/tsc --allowJs --declaration --emitDeclarationOnly --target es2022 --module es2022 \
  --moduleResolution bundler --outDir target/dist/types js-shim/pywebworker.js
echo "target/dist/types: TypeScript declarations" >&2

# Bundles for code that cannot import modules by URL (the Python package): the page side as one
# classic script, the worker runtime as one self-contained module.
# (`import.meta` is empty in the classic bundle, which is configured explicitly instead.)
node_modules/.bin/esbuild target/dist/bundle-entry.js --bundle --format=iife --global-name=pywebworker \
  --log-override:empty-import-meta=silent \
  --log-level=warning --outfile=target/dist/pywebworker.iife.js
node_modules/.bin/esbuild target/dist/worker/runtime.js --bundle --format=esm --log-level=warning \
  --outfile=target/dist/worker-runtime.bundle.js
rm target/dist/bundle-entry.js
echo "target/dist: pywebworker.iife.js, worker-runtime.bundle.js" >&2
