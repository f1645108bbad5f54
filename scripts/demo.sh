#!/usr/bin/env bash
# Sets everything up, builds, and runs the demo in headless Chromium.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build-wasm.sh"
step "demo: two workers talking through a ring in shared memory"
node "$ROOT/demo/run.mjs"
