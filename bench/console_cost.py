#!/usr/bin/python3
"""What watching a run costs: the same training (config, seed, step budget) with nobody watching
and with the dashboard open in headless Chromium and `lantern console` polling in a terminal
(tmux), side by side in one invocation, in alternating order. Both runs serve the control API;
the difference is the clients. The rate of each run is measured from its own metrics.jsonl over
the same window (from a quarter of the budget to the end, after the clients are attached), and
the ratio watched / unwatched is printed per round and as a median. Everything runs on this
machine, the browser included, so its drawing competes with training for the same cores.

    bench/console_cost.py build/bin/lantern [--clients browser|api] [--rounds 3] [--steps 200000] [--set K=V ...]
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "console"))
from dashboard_test import browser  # noqa: E402  (headless Chromium as the dashboard test opens it)


def rate(run, steps):
    """Steps/s from the run's metrics.jsonl between a quarter of the budget and its end."""
    rows = [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl")) if line.strip()]
    start = next(r for r in rows if r["env_steps"] >= steps / 4)
    end = rows[-1]
    return (end["env_steps"] - start["env_steps"]) / (end["seconds"] - start["seconds"])


def poll(url, token, stop):
    """The dashboard's calls, once a second, without a browser drawing them."""
    import urllib.request
    while not stop.is_set():
        for path in ("/api/status", "/api/actors", "/api/history", "/api/captions?n=15"):
            req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token})
            try:
                urllib.request.urlopen(req, timeout=10).read()
            except OSError:
                pass
        stop.wait(1.0)


def train(lantern, steps, sets, watched, work, name, clients="browser"):
    run = os.path.join(work, name)
    env = dict(os.environ, HOME=work)
    env.pop("LANTERN_CLUSTER_TOKEN", None)
    args = [lantern, "train", "--steps", str(steps), "--run-dir", run, "--control", "127.0.0.1:0",
            "--set", "train.progress_seconds=1", "--set", "train.checkpoint_seconds=3600"]
    for s in sets:
        args += ["--set", s]
    proc = subprocess.Popen(args, stdout=open(run + ".log", "w"), stderr=subprocess.STDOUT, env=env)
    driver, session, stop = None, f"lantern-cost-{os.getpid()}", threading.Event()
    try:
        if watched:
            info = os.path.join(run, "control.json")
            deadline = time.time() + 60
            while not os.path.exists(info) and time.time() < deadline:
                time.sleep(0.1)
            c = json.load(open(info))
            token = open(c["token_file"]).read().strip()
            if clients == "browser":
                driver = browser()
                driver.get(c["url"] + "/#token=" + token)
            elif clients in ("api", "poll"):
                poller = threading.Thread(target=poll, args=(c["url"], token, stop), daemon=True)
                poller.start()
            if clients != "poll":
                subprocess.run(["tmux", "-L", session, "new-session", "-d", "-s", session, "-x", "150", "-y", "45",
                                f"{lantern} console --run-dir {run}"], check=True,
                               env=dict(env, LANG="C.UTF-8", TERM="xterm-256color"))
        rc = proc.wait()
        if rc != 0:
            sys.exit(f"console_cost: training failed (exit {rc}); see {run}.log")
        if watched and driver is not None:
            polled = driver.execute_script("return window.lantern.status !== null")
            if not polled:
                sys.exit("console_cost: the dashboard never showed the run")
    finally:
        stop.set()
        if driver is not None:
            driver.quit()
        subprocess.run(["tmux", "-L", session, "kill-server"], capture_output=True)
        if proc.poll() is None:
            proc.kill()
    return rate(run, steps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lantern")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=200000)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--clients", choices=["browser", "api", "console", "poll"], default="browser",
                    help="browser: the dashboard drawn by Chromium on this machine, and the console; api: the "
                         "dashboard's calls once a second without drawing (a browser on another machine), and the "
                         "console; console: the console alone; poll: the dashboard's calls alone")
    args = ap.parse_args()
    if not shutil.which("tmux") or not os.path.exists("/usr/bin/chromium"):
        sys.exit("console_cost: needs tmux and chromium (scripts/setup.sh installs them)")
    work = tempfile.mkdtemp(prefix="lantern-console-cost-")
    ratios = []
    for i in range(args.rounds):
        order = [False, True] if i % 2 == 0 else [True, False]
        r = {w: train(args.lantern, args.steps, args.set, w, work, f"{i}-{'watched' if w else 'plain'}", args.clients)
             for w in order}
        ratios.append(r[True] / r[False])
        print(json.dumps({"round": i + 1, "plain_steps_per_s": round(r[False], 1),
                          "watched_steps_per_s": round(r[True], 1), "ratio": round(ratios[-1], 3)}), flush=True)
    print(json.dumps({"bench": "console_cost", "clients": args.clients, "rounds": args.rounds, "steps": args.steps,
                      "median_ratio": round(statistics.median(ratios), 3), "target": 0.98}))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
