#!/usr/bin/env bash
# Lantern's main job on its embedded defaults (no GPU, no LLM server, no network): installs
# what is missing, builds, and trains a policy on a sparse-reward TextWorld-style quest family
# with an intrinsic reward learned online from the annotator's labels (the embedded rules
# backend); ends with a summary and a plot in the run directory. Extra arguments go to
# `lantern train` (for example --steps 50000 or --set reward.model=ranking).
# Usage: bash scripts/main.sh [lantern train arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec build/bin/lantern train --config configs/train-textworld.toml "$@"
