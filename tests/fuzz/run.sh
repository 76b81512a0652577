#!/usr/bin/env bash
# Runs one fuzz target for a bounded time from its checked-in seed corpus (copied: the repo's
# corpus is not written to) and prints the executions and crashes. Exit 0: no crash; 1: a crash
# (the input is kept in the work dir and named); 77: the fuzz build is missing.
# Usage: tests/fuzz/run.sh TARGET SECONDS [BUILD_FUZZ_DIR]
set -uo pipefail
target=$1
seconds=$2
here="$(cd "$(dirname "$0")" && pwd)"
build=${3:-$here/../../build-fuzz}
bin="$build/bin/fuzz_$target"
if [[ ! -x "$bin" ]]; then
  echo "fuzz $target: $bin is missing (bash scripts/build-fuzz.sh builds it)"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/lantern-fuzz-$target-XXXXXX")
cp -r "$here/corpus/$target" "$work/corpus"
mkdir -p "$work/crashes"
# ASan's default quarantine grows RSS under a long run; 2 GB is far above what a decoder needs.
"$bin" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -artifact_prefix="$work/crashes/" \
  "$work/corpus" > "$work/log" 2>&1
status=$?
execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$work/log" | grep -oE '[0-9]+$' || echo 0)
crashes=$(find "$work/crashes" -type f | wc -l)
echo "fuzz $target: $execs executions in ${seconds} s, $crashes crashes"
if [[ $status -ne 0 || $crashes -ne 0 ]]; then
  grep -E "ERROR|SUMMARY|#[0-9]+ 0x" "$work/log" | head -30
  echo "fuzz $target: FAILED (exit $status); inputs in $work/crashes, log $work/log"
  exit 1
fi
rm -rf "$work"
exit 0
