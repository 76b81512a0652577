#!/usr/bin/env python3
"""docs/adding-an-environment.md, run as a user would: every ```sh block of the page, in order,
in one bash session (set -e) from a copy-free temp HOME, with `lantern` on the PATH; background
servers are killed at the end. Then checks that each trained policy beats the random agent the
page compares it with.

Usage: adding_an_environment_test.py LANTERN_BIN SOURCE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile


def main():
    lantern, source = sys.argv[1:3]
    page = open(os.path.join(source, "docs/adding-an-environment.md")).read()
    blocks = re.findall(r"```sh\n(.*?)```", page, re.S)
    if len(blocks) < 5:
        raise SystemExit(f"FAIL: expected the page's shell blocks, found {len(blocks)}")
    work = tempfile.mkdtemp(prefix="lantern-adding-env-")
    script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + "\n".join(blocks)
    script = script.replace("runs/", f"{work}/runs/").replace("ipc:///tmp/", f"ipc://{work}/")
    env = dict(os.environ, HOME=work, PATH=os.path.dirname(os.path.abspath(lantern)) + ":" + os.environ["PATH"])
    out = subprocess.run(["bash", "-c", script], cwd=source, env=env, capture_output=True, text=True, timeout=900)
    print(out.stdout[-6000:])
    if out.returncode != 0:
        print(out.stderr[-4000:])
        raise SystemExit(f"FAIL: the page's commands exited {out.returncode}")
    evals = re.findall(r"lantern eval: (\S+), \d+ episodes: .*?success ([0-9.]+)%", out.stdout)
    print("evaluations:", evals)
    success = {}
    for run, value in evals:
        success.setdefault(run, []).append(float(value))
    failures = []
    for name in ("corridor", "grid"):
        trained, random = success[f"{work}/runs/{name}"]
        if trained < 80 or trained < random + 30:
            failures.append(f"{name}: {trained}% against the random agent's {random}%")
    for name in ("corridor-oni", "grid-oni"):
        if success[f"{work}/runs/{name}"][0] < 60:
            failures.append(f"{name} with an intrinsic reward: {success[f'{work}/runs/{name}'][0]}%")
    if failures:
        raise SystemExit("FAIL: " + "; ".join(failures))
    print("PASS adding an environment")


if __name__ == "__main__":
    main()
