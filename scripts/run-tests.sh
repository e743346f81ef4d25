#!/usr/bin/env bash
# The README's second command (and all that .ci/run does): install what vigil needs, build it
# with warnings as errors, and run the whole test suite: unit and integration tests, the Falco
# conformance suite, the benchmark once in quick mode (CTest label `bench`, so it never rots), the
# console in headless Chromium (label `e2e`; screenshots in build/e2e-screenshots/), the same tests
# but `e2e` under AddressSanitizer+UndefinedBehaviorSanitizer, and a short run of every fuzz
# target over its corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
START=$SECONDS
./scripts/install-deps.sh --tests

passed=0
failed=0
summary=()
# run_stage NAME COMMAND...: runs a stage, records whether it passed. (Inside `if`, bash ignores
# set -e, so each stage function returns its own failures explicitly.)
run_stage() {
  local name=$1
  shift
  echo
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then
    summary+=("PASS  $name ($((SECONDS - t0))s)")
  else
    summary+=("FAIL  $name ($((SECONDS - t0))s)")
    failed_stages=1
  fi
}
failed_stages=0

# count_tests LOG: adds the counts from ctest's closing line ("... N tests failed out of M").
count_tests() {
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1 || true)
  if [ -n "$line" ]; then
    local f t
    f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    t=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
    passed=$((passed + t - f))
    failed=$((failed + f))
  fi
}

# Line tables (-g1) instead of full debug info: failures and sanitizer reports still name file and
# line, and the optimised builds compile about a third faster (serve_test.cc: 34 s → 23 s), which
# keeps the whole run inside CI's budget. (The ASan build is -O0, where -g costs nothing.)
ci_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")
build_and_test() {
  VIGIL_BUILD_DIR=build ./scripts/build.sh -DVIGIL_WERROR=ON "${ci_flags[@]}" || return 1
  ctest --test-dir build --output-on-failure -j 2 --timeout 900 2>&1 | tee build/ctest.log
  return "${PIPESTATUS[0]}"
}
sanitized() {
  VIGIL_BUILD_DIR=build-asan ./scripts/build.sh -DVIGIL_WERROR=ON -DVIGIL_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug -DVIGIL_BUILD_BENCH=OFF || return 1
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 --timeout 1800 -LE 'slow|e2e' 2>&1 |
    tee build-asan/ctest.log
  return "${PIPESTATUS[0]}"
}
fuzz_smoke() {
  CC=clang CXX=clang++ VIGIL_BUILD_DIR=build-fuzz \
    VIGIL_TARGETS="event_decoder_fuzz envelope_fuzz rule_parser_fuzz tail_framing_fuzz controls_snapshot_fuzz controls_policy_fuzz serve_config_fuzz serve_api_body_fuzz serve_query_fuzz intel_list_fuzz baseline_import_fuzz remediation_config_fuzz remediate_integrations_fuzz pg_url_fuzz" ./scripts/build.sh -DVIGIL_FUZZ=ON "${ci_flags[@]}" \
    -DVIGIL_BUILD_TESTS=OFF -DVIGIL_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo || return 1
  ./fuzz/run.sh build-fuzz "${VIGIL_FUZZ_SECONDS:-20}"
}

run_stage "build (warnings as errors) and test" build_and_test
count_tests build/ctest.log
run_stage "ASan+UBSan build and test" sanitized
count_tests build-asan/ctest.log
run_stage "fuzz targets over their corpora" fuzz_smoke

echo
echo "=== summary ($((SECONDS - START))s)"
for line in "${summary[@]}"; do echo "$line"; done
echo "tests: $passed passed, $failed failed"
[ "$failed_stages" -eq 0 ]
