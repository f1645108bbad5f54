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
# A virtual environment of the Python packaging tools: the wheel and the sdist (build, flit_core),
# their check (twine) and the Python API reference (pdoc).
PY_TOOLS="$CACHE/py-tools"
PY_TOOLS_PINS="build==1.6.1 flit_core==3.12.0 twine==7.0.0 pdoc==16.0.0"
# Pure-Python wheels from PyPI that the pool's sympy test and the demo load in workers (packages=),
# downloaded by setup.sh and served beside the project's wheel by build-wheel.sh.
WORKLOAD_WHEELS=("sympy-1.14.0-py3-none-any.whl" "mpmath-1.3.0-py3-none-any.whl")
step() { printf '\n==> %s\n' "$*" >&2; }
