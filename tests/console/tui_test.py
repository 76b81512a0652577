#!/usr/bin/env python3
"""`lantern console` as an operator uses it, in a real terminal (tmux) against a real `lantern
train`: the screen shows the run, the learners, the actors and the latest labels; each key's
effect is observed on the run through the control API (p pauses the runners and the step counter
stands still, r resumes it, i sets the intrinsic coefficient, c writes a checkpoint, q quits); a
wrong token is refused with exit status 1.

Usage: tui_test.py LANTERN_BIN
"""
import os
import shutil
import subprocess
import sys
import time

from harness import Training, check, finish, wait_for


def main():
    lantern = sys.argv[1]
    if not shutil.which("tmux"):
        print("tmux is not installed (scripts/setup.sh installs it)")
        sys.exit(77)
    t = Training(lantern, "reward.model=retrieval", "shaping.intrinsic_coef=0.3", "train.progress_seconds=0.5",
                 "train.checkpoint_seconds=3600", "reward.drift_seconds=0.3", prefix="lantern-tui-")
    session = f"lantern-tui-{os.getpid()}"
    tmux_env = dict(t.env, LANG="C.UTF-8", TERM="xterm-256color")
    tmux = ["tmux", "-L", session]

    def screen():
        return subprocess.run(tmux + ["capture-pane", "-p", "-t", session], capture_output=True, text=True,
                              env=tmux_env).stdout

    def keys(*k):
        subprocess.run(tmux + ["send-keys", "-t", session, *k], check=True, env=tmux_env)

    def runner_state():
        return [a for a in t.api("/api/actors")[1] if a["kind"] == "runner"][0]["state"]

    try:
        bad = os.path.join(t.dir, "bad.token")
        open(bad, "w").write("not-the-token\n")
        r = subprocess.run([lantern, "console", "--run-dir", t.run, "--token-file", bad], capture_output=True,
                           text=True, env=t.env, timeout=30)
        check(r.returncode == 1 and "refused the token" in r.stderr,
              f"a wrong token: exit 1, 'refused the token' ({r.returncode}, {r.stderr.strip()})")

        subprocess.run(tmux + ["new-session", "-d", "-s", session, "-x", "150", "-y", "45",
                               f"{lantern} console --run-dir {t.run}; echo console-exited=$?; sleep 30"],
                       check=True, env=tmux_env)
        wait_for("training", lambda: t.steps() > 3000 and t.api("/api/captions?n=1")[1])
        text = wait_for("the console's screen", lambda: "RECENT LABELS" in screen() and '"' in
                        screen().split("RECENT LABELS")[1] and screen(), timeout=30)
        print(text)
        check(t.run in text and "[running]" in text, "the header names the run directory and says it is running")
        check("steps/s" in text and "policy v" in text and "return" in text, "training: steps/s, policy version, return")
        check("labels" in text and "pending" in text and "retrieval" in text, "the reward learner: its model and labels")
        check("latency p50" in text and "queue" in text, "the annotator: queue and latency")
        drift_line = [x for x in text.splitlines() if x.startswith("drift")]
        check(drift_line and "probe captions" in drift_line[0] and "guard none" in drift_line[0],
              f"the reward drift, its probes and the guard ({drift_line})")
        check("local" in text.split("NODES")[1], "the node is listed")
        rows = text.split("ACTORS")[1].split("RECENT LABELS")[0]
        check("runner 0" in rows and "reward learner" in rows and "policy learner" in rows,
              "one row per actor: the runner and both learners")
        check(any(c in text for c in "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"),
              "sparklines drawn in block characters (UTF-8 terminal)")

        keys("p")
        wait_for("the pause", lambda: runner_state() == "paused", timeout=20)
        time.sleep(2)  # rollouts in flight drain
        a = t.steps()
        time.sleep(2)
        b = t.steps()
        check(a == b, f"p: the runner pauses and the step counter stands still ({a} -> {b})")
        check(wait_for("[paused]", lambda: "[paused]" in screen(), timeout=10), "the header says [paused]")
        keys("r")
        wait_for("the resume", lambda: runner_state() != "paused", timeout=20)
        time.sleep(2)
        c = t.steps()
        check(c > b, f"r: the step counter goes on ({b} -> {c})")

        keys("i")
        wait_for("the prompt", lambda: "intrinsic coefficient (empty: keep it):" in screen(), timeout=10)
        keys("0.07", "Enter")
        coef = wait_for("the new coefficient", lambda: abs(t.status()["training"]["intrinsic_coef"] - 0.07) < 1e-9
                        and t.status()["training"]["intrinsic_coef"], timeout=10)
        check(abs(coef - 0.07) < 1e-9, f"i 0.07: the learner's intrinsic coefficient is {coef}")
        check(wait_for("the message", lambda: "shaping.intrinsic_coef = 0.07" in screen(), timeout=10) is not None,
              "the console confirms the setting")
        keys("i")
        wait_for("the prompt", lambda: "intrinsic coefficient (empty: keep it):" in screen(), timeout=10)
        keys("lots", "Enter")
        msg = wait_for("the refusal", lambda: "not a number" in screen() and screen(), timeout=10)
        check("not a number" in msg and abs(t.status()["training"]["intrinsic_coef"] - 0.07) < 1e-9,
              "a value that is not a number is refused on screen and changes nothing")
        keys("i")
        wait_for("the prompt", lambda: "intrinsic coefficient (empty: keep it):" in screen(), timeout=10)
        keys("Enter")
        check(wait_for("the message", lambda: "unchanged" in screen(), timeout=10) is not None
              and abs(t.status()["training"]["intrinsic_coef"] - 0.07) < 1e-9,
              "an empty answer keeps the coefficient")

        ckpt = os.path.join(t.run, "checkpoint.bin")
        check(not os.path.exists(ckpt), "no checkpoint before c (checkpoint_seconds is an hour)")
        keys("c")
        wait_for("the checkpoint", lambda: os.path.exists(ckpt) and os.path.getsize(ckpt) > 0, timeout=60)
        check(wait_for("the message", lambda: "checkpoint written" in screen(), timeout=30) is not None,
              "c writes the checkpoint and says so")

        keys("q")
        out = wait_for("the console to quit", lambda: "console-exited=" in screen() and screen(), timeout=10)
        check("console-exited=0" in out, "q quits with status 0")
        check(t.proc.poll() is None, "quitting the console leaves the run going")
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True, env=tmux_env)
        t.kill()
    finish("console tui", t.dir)


if __name__ == "__main__":
    main()
