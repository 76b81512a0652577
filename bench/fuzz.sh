#!/usr/bin/env bash
# Every fuzz target for longer than CI runs them: executions and crashes per target. Aim: at
# least 10^6 executions each and no crash.
# Usage: bash bench/fuzz.sh [seconds per target, default 120]
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
bash scripts/build-fuzz.sh > /dev/null || exit 1
failed=0
printf "%-18s %14s %8s %s\n" target executions crashes "aim: >= 1,000,000 executions, 0 crashes"
for t in annotator_wire openai_reply external_env rollout config textworld_parser; do
  line=$(bash tests/fuzz/run.sh "$t" "$seconds" 2>&1 | grep "^fuzz $t:" | tail -1)
  execs=$(echo "$line" | grep -oE '[0-9]+ executions' | grep -oE '[0-9]+')
  crashes=$(echo "$line" | grep -oE '[0-9]+ crashes' | grep -oE '[0-9]+')
  printf "%-18s %14s %8s %s\n" "$t" "${execs:-?}" "${crashes:-?}" \
    "$([[ ${execs:-0} -ge 1000000 && ${crashes:-1} -eq 0 ]] && echo met || echo NOT met)"
  [[ ${crashes:-1} -eq 0 ]] || failed=1
done
exit $failed
