#!/usr/bin/env bash
# Sets everything up, then runs every test: native (unit, integration, property, stress), loom
# models, Miri, and the browser suite and the fault suite in headless Chromium, then again in
# headless Firefox ESR.
# Ends with one summary line.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set +e
cd "$ROOT"
bash scripts/setup.sh || { echo "set-up failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0 broken=()
log="$ROOT/target/test-logs"; mkdir -p "$log"

# Adds up the counts of `cargo test` result lines in a log.
count_cargo() {
  local p f
  p=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$1" | awk '{s+=$4} END {print s+0}')
  f=$(grep -Eo '; [0-9]+ failed' "$1" | awk '{s+=$2} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f))
}

# Adds up the counts of node's test runner summary in a log (skipped tests count as neither).
count_node() {
  local p f
  p=$(grep -Eo '^# pass [0-9]+' "$1" | awk '{s+=$3} END {print s+0}')
  f=$(grep -Eo '^# fail [0-9]+' "$1" | awk '{s+=$3} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f))
}

# Runs one stage, keeps its log, and notes it when it fails without a failing test (a build error).
stage() {
  local name=$1; shift
  step "$name"
  "$@" 2>&1 | tee "$log/$name.log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || broken+=("$name")
  return 0
}

stage native cargo "+$NIGHTLY" test --release
count_cargo "$log/native.log"

stage loom env RUSTFLAGS="--cfg loom" cargo "+$NIGHTLY" test --release --test loom --target-dir target/loom
count_cargo "$log/loom.log"

stage miri env PROPTEST_CASES=8 PYWEBWORKER_STRESS_MESSAGES=2000 MIRIFLAGS="-Zmiri-disable-isolation" \
  cargo "+$NIGHTLY" miri test --target-dir target/miri --test ring --test corrupt --test model
count_cargo "$log/miri.log"

stage wasm bash scripts/build-wasm.sh
# The wasm-only Rust paths (src/wait/wasm.rs, src/transport/) in a dedicated worker of each
# browser: tests/wasm_*.rs, run by wasm-bindgen's test runner (browser settings in webdriver.json).
# The runner takes the first driver it finds in the environment, so Chromium's run unsets GECKODRIVER.
wasm_worker_tests() {
  env "$@" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner WASM_BINDGEN_TEST_TIMEOUT=300 \
    cargo "+$NIGHTLY" test --target wasm32-unknown-unknown --config .cargo/atomics.toml \
    --target-dir target/wasm-test --test 'wasm_*'
}
stage wasm-worker-chromium wasm_worker_tests -u GECKODRIVER CHROMEDRIVER="$(command -v chromedriver)"
count_cargo "$log/wasm-worker-chromium.log"
stage wasm-worker-firefox wasm_worker_tests GECKODRIVER="$GECKODRIVER"
count_cargo "$log/wasm-worker-firefox.log"

stage wheel bash scripts/build-wheel.sh
stage npm bash scripts/build-npm.sh
if [ -f target/pkg/pywebworker_bg.wasm ] && [[ ! " ${broken[*]} " =~ " wasm " ]]; then
  # The fault suite (tests/faults/) runs in both browsers; its codec fuzzing needs no browser
  # and runs once, with the JavaScript unit tests.
  faults=$(ls tests/faults/*.test.mjs | grep -v '/codec')
  stage browser node --test --test-concurrency=1 tests/js/ tests/packaging/ tests/browser/ tests/faults/
  count_node "$log/browser.log"
  # The same browser tests in headless Firefox ESR, driven through geckodriver.
  # shellcheck disable=SC2086
  stage firefox env PYWEBWORKER_BROWSER=firefox node --test --test-concurrency=1 tests/browser/ $faults
  count_node "$log/firefox.log"
fi

# What failed, near the summary (a CI log may keep only its tail): each failing test's name and the
# first lines of its error, from node's TAP output and cargo's test output.
failures() {
  awk '
    /^ *not ok / { show = 14; print FILENAME ": " $0; next }
    /^test .* FAILED$/ || /panicked at/ { print FILENAME ": " $0; next }
    show > 0 { if ($0 ~ /^ *\.\.\.$/) show = 0; else { print "    " $0; show-- } }
  ' "$@" | grep -v "^.*: *not ok .* # SKIP" | head -n 120
}

echo
if [ ${#broken[@]} -gt 0 ]; then
  echo "failures:"
  (cd "$log" && failures *.log)
  echo "stages that failed: ${broken[*]} (logs in target/test-logs/)"
  # A stage that failed without a failing test (a build error) still fails the run.
  [ "$failed" -gt 0 ] || failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
