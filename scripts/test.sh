#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (GoogleTest suites, the layering check,
# the command-line tests, real processes, and the fuzz targets for a bounded time) through
# ctest. LANTERN_SANITIZE=1 builds and runs them under AddressSanitizer and
# UndefinedBehaviorSanitizer in build-asan/.
# Usage: bash scripts/test.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/build-fuzz.sh   # the fuzz targets the suite runs (clang's libFuzzer; build-fuzz/)
build_dir=build
if [[ "${LANTERN_SANITIZE:-0}" == "1" ]]; then
  build_dir=build-asan
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
cd "$build_dir"
exec ctest --output-on-failure -j "${LANTERN_JOBS:-2}" "$@"
