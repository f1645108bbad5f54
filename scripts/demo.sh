#!/usr/bin/env bash
# Sets everything up, builds, and runs the demo in headless Chromium.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build-wasm.sh"
bash "$ROOT/scripts/build-wheel.sh"
step "demo: the Quick Reference in Pyodide, then two workers on one ring"
node "$ROOT/demo/run.mjs"
