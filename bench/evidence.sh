#!/usr/bin/env bash
# Evidence of learning: trains extrinsic-only, retrieval, classification, ranking (and the
# bag-of-words baseline) on the sparse TextWorld-style family of configs/train-textworld.toml,
# with several seeds, at one fixed step budget; evaluates each final policy; prints the success
# rates side by side and writes a bar chart. The labels come from the embedded rules backend
# (a heuristic stand-in for an LLM), so this measures the pipeline, not an LLM's judgment.
# Usage: bash bench/evidence.sh [steps per run] [seeds] [output dir]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100000}
seeds=${2:-3}
out=${3:-runs/evidence-$(date +%Y%m%d-%H%M%S)}
bin=build/bin/lantern
mkdir -p "$out"
export HOME="$out/home"   # a label store of its own: no labels from earlier runs
printf "variant\tseed\tsuccess\treturn\n" > "$out/results.tsv"
for variant in none retrieval classification ranking bow; do
  coef=0.3
  [[ $variant == none ]] && coef=0.0
  for seed in $(seq 1 "$seeds"); do
    run="$out/$variant-$seed"
    "$bin" train --config configs/train-textworld.toml --steps "$steps" --run-dir "$run" \
      --set reward.model="$variant" --set shaping.intrinsic_coef="$coef" --set train.seed="$seed" \
      --set policy.seed="$seed" --set train.progress_seconds=10 > "$run.log" 2>&1
    line=$("$bin" eval --run-dir "$run" --episodes 200)
    success=$(echo "$line" | sed -E 's/.*success ([0-9.]+)%.*/\1/')
    ret=$(echo "$line" | sed -E 's/.*mean return ([-0-9.]+).*/\1/')
    printf "%s\t%s\t%s\t%s\n" "$variant" "$seed" "$success" "$ret" >> "$out/results.tsv"
    echo "$variant seed $seed: success $success%, return $ret"
  done
done
awk -F'\t' 'NR > 1 { n[$1]++; s[$1] += $3; ss[$1] += $3 * $3; order[$1] = NR }
  END { printf "\n%-16s %8s %8s %s\n", "variant", "success", "sd", "(% of 200 eval episodes, mean over seeds)";
        for (v in n) { m = s[v] / n[v]; sd = sqrt(ss[v] / n[v] - m * m); printf "%-16s %7.1f%% %7.1f\n", v, m, (sd > 0 ? sd : 0) } }' \
  "$out/results.tsv" | tee "$out/table.txt"
awk -F'\t' 'NR > 1 { n[$1]++; s[$1] += $3 } END { for (v in n) printf "%s\t%.2f\n", v, s[v] / n[v] }' \
  "$out/results.tsv" > "$out/means.tsv"
gnuplot <<GP
set terminal pngcairo size 900,500 font 'sans,11'
set output '$out/evidence.png'
set title 'Success rate after $steps steps (sparse TextWorld-style quests, $seeds seeds)'
set style data histograms
set style fill solid 0.7 border -1
set boxwidth 0.6
set ylabel 'success (%)'
set yrange [0:100]
set grid ytics
plot '$out/means.tsv' using 2:xtic(1) notitle
GP
echo "results: $out/results.tsv, $out/table.txt, $out/evidence.png"
