#!/usr/bin/env bash
# Installs whatever is missing, and is quick when everything is there. Both README commands
# run it first; nothing the project needs is installed any other way.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "Rust $NIGHTLY with rust-src, miri and the wasm32 target"
if ! rustup run "$NIGHTLY" rustc --print target-libdir --target wasm32-unknown-unknown >/dev/null 2>&1 \
   || ! rustup component list --toolchain "$NIGHTLY" --installed 2>/dev/null | grep -q '^rust-src' \
   || ! rustup component list --toolchain "$NIGHTLY" --installed 2>/dev/null | grep -q '^miri'; then
  rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src -c miri -t wasm32-unknown-unknown
fi

step "wasm-bindgen CLI $WASM_BINDGEN_VERSION (must equal the crate's version)"
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  echo "building it once into $WASM_BINDGEN_ROOT (about 5 minutes)" >&2
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$WASM_BINDGEN_ROOT"
fi

step "Chromium, chromedriver, Firefox ESR, wabt, nginx, emscripten and python3-venv from Debian"
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
[ -x "$FIREFOX" ] || missing+=(firefox-esr)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v wasm-objdump >/dev/null || missing+=(wabt)
{ command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } || missing+=(nginx)
python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
command -v emcc >/dev/null || missing+=(emscripten)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

step "geckodriver $GECKODRIVER_VERSION (drives Firefox for the browser tests)"
if [ "$("$GECKODRIVER" --version 2>/dev/null | head -n1)" != "geckodriver $GECKODRIVER_VERSION" ]; then
  echo "building it once into $GECKODRIVER_ROOT (about 4 minutes)" >&2
  cargo install geckodriver --locked --version "$GECKODRIVER_VERSION" --root "$GECKODRIVER_ROOT"
fi

step "npm packages from package-lock.json"
stamp="$ROOT/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ]; then
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi

step "micropip for Pyodide, from PyPI"
MICROPIP_WHEEL="micropip-0.11.1-py3-none-any.whl"
if [ ! -f "$CACHE/wheels/$MICROPIP_WHEEL" ]; then
  mkdir -p "$CACHE/wheels"
  python3 -m pip download --quiet --no-deps --python-version 3.14 --only-binary=:all: micropip==0.11.1 \
    -d "$CACHE/wheels"
fi

step "sympy and mpmath for Pyodide, from PyPI (pure-Python wheels: the pool's real workload)"
pins=()
for wheel in "${WORKLOAD_WHEELS[@]}"; do
  [ -f "$CACHE/wheels/$wheel" ] || pins+=("$(cut -d- -f1 <<<"$wheel")==$(cut -d- -f2 <<<"$wheel")")
done
if [ ${#pins[@]} -gt 0 ]; then
  mkdir -p "$CACHE/wheels"
  python3 -m pip download --quiet --no-deps --python-version 3.14 --only-binary=:all: "${pins[@]}" -d "$CACHE/wheels"
fi

step "Python packaging tools (build, twine, pdoc, flit_core) in $PY_TOOLS"
if [ "$(cat "$PY_TOOLS/.versions" 2>/dev/null)" != "$PY_TOOLS_PINS" ]; then
  python3 -m venv "$PY_TOOLS"
  # shellcheck disable=SC2086
  "$PY_TOOLS/bin/pip" install --quiet --disable-pip-version-check $PY_TOOLS_PINS
  echo "$PY_TOOLS_PINS" > "$PY_TOOLS/.versions"
fi

step "The Emscripten test program, compiled into target/emscripten/ as an ES module and a classic script"
# Debian's emcc uses its prebuilt system libraries (a frozen cache) and the acorn of Debian's node
# packages, which an ordinary Node.js finds through NODE_PATH.
src="$ROOT/tests/emscripten/checksum.c"
out="$ROOT/target/emscripten"
EMCC_FLAGS=(-O2 -sMODULARIZE -sENVIRONMENT=worker -sEXPORT_NAME=createChecksum
  -sEXPORTED_FUNCTIONS=_adler32,_shout,_malloc,_free -sEXPORTED_RUNTIME_METHODS=ccall,cwrap,UTF8ToString)
# Compiled again when the source is newer than either build or the flags have changed.
if [ ! "$out/checksum.mjs" -nt "$src" ] || [ ! "$out/checksum.classic.js" -nt "$src" ] \
   || [ "$(cat "$out/flags" 2>/dev/null)" != "${EMCC_FLAGS[*]}" ]; then
  mkdir -p "$out"
  NODE_PATH=/usr/share/nodejs emcc "$src" "${EMCC_FLAGS[@]}" -sEXPORT_ES6 -o "$out/checksum.mjs"
  NODE_PATH=/usr/share/nodejs emcc "$src" "${EMCC_FLAGS[@]}" -o "$out/checksum.classic.js"
  echo "${EMCC_FLAGS[*]}" > "$out/flags"
fi
