#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and UBSan into
# build-fuzz/ (a build of their own: the main build uses g++). A second run is incremental.
# Usage: bash scripts/build-fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [[ ! -f build-fuzz/CMakeCache.txt ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DLANTERN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLANTERN_BUILD_TESTS=OFF -DLANTERN_BUILD_BENCH=OFF > /dev/null
fi
cmake --build build-fuzz -j "${LANTERN_JOBS:-2}"
