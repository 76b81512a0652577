#!/usr/bin/env python3
"""Any environment trains: three layouts Lantern was not written for, each trained by
`lantern train` as a user would, then evaluated against a uniformly random agent on the same
held-out games (`lantern eval --agent random`).

- grid: docs/examples/grid_world.py, a Python server: a u8[9,9] grid and an f32[2] vector,
  four discrete actions, a sparse goal (the generic network: embedding + convolution, MLP);
- vault: docs/examples/env_server.py --with-array, a Python server: text, an f32[3] array and
  text actions (the generic network: arrays, text, candidate commands scored);
- corridor: the C++ example env of docs/adding-an-environment.md (f32[2], text, 2 actions).

Usage: any_env_trains_test.py LANTERN_BIN SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import time


def run(cmd, env, log):
    with open(log, "w") as f:
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env).returncode


def evaluate(lantern, run_dir, agent):
    out = subprocess.run([lantern, "eval", "--run-dir", run_dir, "--episodes", "200", "--agent", agent, "--json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"FAIL: eval of {run_dir} ({agent}) exited {out.returncode}: {out.stderr}")
    return json.loads(out.stdout)["success"]


def main():
    lantern, source = sys.argv[1:3]
    d = tempfile.mkdtemp(prefix="lantern-any-env-")
    env = dict(os.environ, HOME=d)
    common = ["--set", "train.progress_seconds=5", "--set", "appo.lr=0.001", "--set", "appo.entropy_coef=0.01",
              "--set", "reward.model=none"]
    cases = [
        ("grid", [os.path.join(source, "docs/examples/grid_world.py")], 40000, []),
        ("vault", [os.path.join(source, "docs/examples/env_server.py"), "--with-array"], 30000, []),
        ("corridor", None, 30000, ["--set", "train.env=corridor", "--set", "env.corridor.length=16",
                                   "--set", "env.corridor.max_steps=24"]),
    ]
    failures = []
    for name, server, steps, sets in cases:
        proc = None
        if server:
            endpoint = f"ipc://{d}/{name}.socket"
            proc = subprocess.Popen(["/usr/bin/python3"] + server + ["--bind", endpoint], stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            sets = ["--set", "train.env=external", "--set", f"env.external.endpoint={endpoint}"]
        try:
            run_dir = os.path.join(d, f"{name}-run")
            rc = run([lantern, "train", "--steps", str(steps), "--run-dir", run_dir] + common + sets, env,
                     os.path.join(d, f"{name}.log"))
            if rc != 0:
                raise SystemExit(f"FAIL: training {name} exited {rc}; see {d}/{name}.log")
            summary = json.load(open(os.path.join(run_dir, "summary.json")))
            trained, random = evaluate(lantern, run_dir, "policy"), evaluate(lantern, run_dir, "random")
        finally:
            if proc:
                proc.kill()
                proc.wait()
        print(f"{name}: policy {summary.get('policy_kind', '?')}, {summary['env_steps']} steps: "
              f"success {100 * trained:.1f}% vs random agent {100 * random:.1f}% (200 held-out episodes each)")
        if trained < 0.8 or trained < random + 0.3:
            failures.append(f"{name}: {100 * trained:.1f}% is not well above the random agent's {100 * random:.1f}%")
    if failures:
        raise SystemExit("FAIL: " + "; ".join(failures) + f" (logs in {d})")
    print("PASS any env trains")


if __name__ == "__main__":
    main()
