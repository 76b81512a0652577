#!/usr/bin/env bash
# Lantern's main job on its embedded defaults (no GPU, no LLM server, no network): installs
# what is missing, builds, and plays a batch of generated TextWorld-style games with the random
# agent, ending with a summary. Extra arguments go to `lantern play`.
# Usage: bash scripts/main.sh [--episodes N] [--seed S] ...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec build/bin/lantern play --env textworld --agent random --episodes 100 --show episodes "$@"
