#!/usr/bin/env bash
# Sets everything up, builds, and runs the demo in headless Chromium.
#   --serve [--port N]  instead, serve the interactive demo page (demo/index.html) for a browser:
#                       port N cross-origin isolated (shared rings), port N+1 without the headers
#                       (the postMessage fallback); Ctrl+C stops.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
serve=false port=8000
while [ $# -gt 0 ]; do
  case "$1" in
    --serve) serve=true ;;
    --port) port="$2"; shift ;;
    *) echo "usage: bash scripts/demo.sh [--serve [--port N]]" >&2; exit 2 ;;
  esac
  shift
done
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build-wasm.sh"
bash "$ROOT/scripts/build-wheel.sh"
if $serve; then
  step "demo page: http://127.0.0.1:$port/demo/ (isolated) and http://127.0.0.1:$((port + 1))/demo/ (not isolated)"
  node "$ROOT/server-headers/serve.mjs" --port "$port" &
  node "$ROOT/server-headers/serve.mjs" --port "$((port + 1))" --no-isolation &
  trap 'kill $(jobs -p) 2>/dev/null' EXIT INT TERM
  wait
  exit 0
fi
step "demo: the Quick Reference in Pyodide, then two workers on one ring"
node "$ROOT/demo/run.mjs"
