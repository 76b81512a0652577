#!/usr/bin/env python3
"""Fails if a file includes from a layer above its own (ARCHITECTURE.md: includes point down)."""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
# Which top-level folders each folder may include from (besides itself).
ALLOWED = {
    "core": set(),
    "envs": {"core"},
    "annotators": {"core"},
    "learners": {"core"},
    "actors": {"core", "envs", "annotators", "learners"},
    "cluster": {"core", "envs", "annotators", "learners", "actors"},
    "console": {"core", "envs", "annotators", "learners", "actors", "cluster"},
    "apps": {"core", "envs", "annotators", "learners", "actors", "cluster", "console"},
}
TORCH_FREE = {"actors", "cluster", "console", "apps"}  # torch stays behind pimpls
include = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
problems = []
for layer, allowed in ALLOWED.items():
    for path in sorted((ROOT / layer).rglob("*")):
        if path.suffix not in {".hpp", ".cpp", ".h"}:
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = include.match(line)
            if not m:
                continue
            target = m.group(1)
            top = target.split("/")[0]
            if top in ALLOWED and top != layer and top not in allowed:
                problems.append(f"{path.relative_to(ROOT)}:{n}: {layer}/ may not include {target}")
            if layer in TORCH_FREE and path.suffix == ".hpp" and target.startswith("torch/"):
                problems.append(f"{path.relative_to(ROOT)}:{n}: torch header in a header of {layer}/")
for p in problems:
    print(p)
print(f"layering: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
