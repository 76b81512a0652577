#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh), then configures and builds Lantern into build/
# (build-asan/ with LANTERN_SANITIZE=1). A second run is incremental.
# Usage: bash scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ "${LANTERN_SANITIZE:-0}" == "1" ]]; then
  build_dir=build-asan
  cmake_args+=(-DLANTERN_SANITIZE=ON)
fi
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$build_dir" "${cmake_args[@]}"
fi
# Two jobs: the machine has two cores, and a LibTorch translation unit needs ~1.5 GB to compile.
cmake --build "$build_dir" -j "${LANTERN_JOBS:-2}"
