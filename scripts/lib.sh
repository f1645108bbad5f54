# Shared settings for the project's scripts (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NIGHTLY="nightly-2026-05-20"
WASM_BINDGEN_VERSION="0.2.130"
# Outside the clone, so a fresh clone on a machine that built it once does not rebuild it.
CACHE="${PYWEBWORKER_CACHE:-$HOME/.cache/pywebworker}"
WASM_BINDGEN_ROOT="$CACHE/wasm-bindgen-$WASM_BINDGEN_VERSION"
export PATH="$WASM_BINDGEN_ROOT/bin:$HOME/.cargo/bin:$PATH"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMIUM
# Firefox runs the browser suite a second time, driven over WebDriver by geckodriver.
FIREFOX="${FIREFOX:-/usr/bin/firefox-esr}"
GECKODRIVER_VERSION="0.37.1"
GECKODRIVER_ROOT="$CACHE/geckodriver-$GECKODRIVER_VERSION"
GECKODRIVER="${GECKODRIVER:-$GECKODRIVER_ROOT/bin/geckodriver}"
export FIREFOX GECKODRIVER
step() { printf '\n==> %s\n' "$*" >&2; }
