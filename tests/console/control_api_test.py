#!/usr/bin/env python3
"""The control API as an operator's tools use it, against a real `lantern train`: the token is
refused when missing or wrong (401, nothing read), and each command's effect is observed on the
run itself (the step counter stops and goes on, a setting changes, a checkpoint is written, the
run stops with its summary).

Usage: control_api_test.py LANTERN_BIN
"""
import os
import sys
import time
import urllib.error
import urllib.request

from harness import Training, call, check, finish, wait_for


def main():
    t = Training(sys.argv[1], "reward.model=retrieval", "shaping.intrinsic_coef=0.3", "train.progress_seconds=0.5",
                 "train.checkpoint_seconds=3600", "reward.drift_seconds=0.3", "shaping.guard=delta",
                 prefix="lantern-control-")
    d, run, url, token_file, token, proc = t.dir, t.run, t.url, t.token_file, t.token, t.proc
    try:
        check(token_file and oct(os.stat(token_file).st_mode & 0o777) == "0o600",
              f"a run without a cluster token makes one, readable by its user only ({token_file})")

        status, body = call(url, "/healthz", raw=True)
        check(status == 200 and body.strip() == "ok", "GET /healthz needs no token")
        for path in ("/api/status", "/api/actors", "/metrics", "/api/captions"):
            status, _ = call(url, path)
            check(status == 401, f"GET {path} without the token: 401")
        status, _ = call(url, "/api/status", token="wrong")
        check(status == 401, "a wrong token: 401")
        wait_for("training", lambda: (call(url, "/api/status", token)[1].get("training", {})
                                                      .get("env_steps", 0) > 2000) and True)
        status, _ = call(url, "/api/pause", method="POST")
        check(status == 401, "POST /api/pause without the token: 401, and the run goes on")
        time.sleep(1)
        s1 = call(url, "/api/status", token)[1]["training"]["env_steps"]
        time.sleep(1.5)
        s2 = call(url, "/api/status", token)[1]["training"]["env_steps"]
        check(s2 > s1, f"the refused pause changed nothing: steps {s1} -> {s2}")

        status, s = call(url, "/api/status", token)
        check(status == 200 and s["run"]["dir"] == run and s["training"]["finite"], "GET /api/status describes the run")
        for key in ("steps_per_second", "mean_return", "success_rate", "policy_version", "policy_lag", "updates_per_second",
                    "policy_loss", "value_loss", "entropy"):
            check(key in s["training"], f"status has training.{key}")
        for key in ("labels_requested", "labels_received", "labels_pending", "labels_given_up", "accuracy", "loss",
                    "snapshot_version", "drift", "drift_probes", "contested", "disagreement"):
            check(key in s["rewards"], f"status has rewards.{key}")
        check(s["rewards"].get("trains") is False, "a lookup table says it fits nothing (rewards.trains)")
        check(s["training"]["guard"] == "delta" and "intrinsic_return" in s["training"],
              f"status has the guard and the intrinsic return per episode ({s['training'].get('guard')})")
        drift = wait_for("a reward drift measured twice", lambda: call(url, "/api/status", token)[1]["rewards"]["drift"]
                         is not None and call(url, "/api/status", token)[1]["rewards"], timeout=60)
        check(0 <= drift["drift"] <= 1 and drift["drift_probes"] > 0 and drift["drift_measurements"] >= 2,
              f"rewards.drift is a distance in [0, 1] on the probe captions ({drift['drift']}, "
              f"{drift['drift_probes']} probes)")
        for key in ("queue_depth", "latency_p50_seconds", "latency_p99_seconds", "errors", "breaker_open",
                    "store_hit_rate"):
            check(key in s["annotator"], f"status has annotator.{key}")
        check(s["nodes"] and s["nodes"][0]["name"] == "local", "status lists the node")

        status, actors = call(url, "/api/actors", token)
        kinds = sorted(a["kind"] for a in actors)
        check(status == 200 and kinds == ["learner", "reward learner", "runner"],
              f"GET /api/actors lists the learners and the runner ({kinds})")
        runner = [a for a in actors if a["kind"] == "runner"][0]
        for key in ("node", "state", "mailbox", "steps_per_second", "rollouts_in_flight", "restarts"):
            check(key in runner, f"an actor row has {key}")

        status, caps = call(url, "/api/captions?n=5", token)
        check(status == 200 and 0 < len(caps) <= 5 and {"caption", "label", "backend", "prompt_version"} <= set(caps[0]),
              f"GET /api/captions gives the latest labels with provenance ({caps[:1]})")
        for bad in ("abc", "0", "201", "9999", "-1", ""):
            status, _ = call(url, f"/api/captions?n={bad}", token)
            check(status == 400, f"n={bad!r} is a 400 (n is 1 to 200, as documented)")

        # pause: the step counter stops; resume: it goes on
        status, r = call(url, "/api/pause", token, "POST")
        check(status == 200 and r["runners_told"] == 1, f"POST /api/pause tells the runner ({r})")
        time.sleep(2)  # rollouts in flight drain
        a = call(url, "/api/status", token)[1]["training"]["env_steps"]
        time.sleep(2)
        b = call(url, "/api/status", token)[1]["training"]["env_steps"]
        check(a == b, f"paused, the step counter stands still ({a} -> {b})")
        paused = [x for x in call(url, "/api/actors", token)[1] if x["kind"] == "runner"][0]["state"]
        check(paused == "paused", "the runner shows as paused")
        status, r = call(url, "/api/pause?node=nosuch", token, "POST")
        check(status == 404, "pausing an unknown node: 404")
        status, r = call(url, "/api/resume", token, "POST")
        check(status == 200, "POST /api/resume")
        time.sleep(2)
        c = call(url, "/api/status", token)[1]["training"]["env_steps"]
        check(c > b, f"resumed, the step counter goes on ({b} -> {c})")

        # a live setting
        status, r = call(url, "/api/set", token, "POST", {"key": "shaping.intrinsic_coef", "value": 0.05})
        check(status == 200, "POST /api/set shaping.intrinsic_coef")
        coef = call(url, "/api/status", token)[1]["training"]["intrinsic_coef"]
        check(abs(coef - 0.05) < 1e-9, f"the learner uses it ({coef})")
        status, r = call(url, "/api/set", token, "POST", {"key": "train.seed", "value": 3})
        check(status == 400 and "cannot change while a run goes on" in r["error"], "a key that is not live: 400")
        status, r = call(url, "/api/set", token, "POST", {"key": "appo.lr", "value": "fast"})
        check(status == 400 and "not a number" in r["error"], "a value that is not a number: 400")
        for key, value in (("shaping.intrinsic_coef", -1), ("appo.lr", 2), ("appo.entropy_coef", -0.5)):
            status, r = call(url, "/api/set", token, "POST", {"key": key, "value": value})
            check(status == 400 and "out of range" in r.get("error", ""),
                  f"{key} = {value} breaks the schema's limits: 400 ({status}, {r})")
        for value in ("0x10", " 0.2", "0.25\u0000junk", "1e38", [[[[0.1]]]], {"v": 1}, True, None):
            key = "appo.entropy_coef" if value == "1e38" else "shaping.intrinsic_coef"
            status, r = call(url, "/api/set", token, "POST", {"key": key, "value": value})
            check(status == 400, f"{key} = {value!r}: 400 ({r})")
        deep = '{"key": "shaping.intrinsic_coef", "value": ' + "[" * 100000 + "]" * 100000 + "}"
        req = urllib.request.Request(url + "/api/set", data=deep.encode(), method="POST",
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        try:
            code = urllib.request.urlopen(req, timeout=30).status
        except urllib.error.HTTPError as e:
            code = e.code
        check(code == 400 and proc.poll() is None, f"a value nested 100,000 deep: 400, and the run lives ({code})")
        coef = call(url, "/api/status", token)[1]["training"]["intrinsic_coef"]
        check(abs(coef - 0.05) < 1e-9, f"a refused value changes nothing ({coef})")
        status, r = call(url, "/api/nosuch", token)
        check(status == 404 and "no such call" in r.get("error", ""), f"an unknown call: 404 in JSON ({r})")
        req = urllib.request.Request(url + "/api/status", headers={"Authorization": "bearer " + token})
        check(urllib.request.urlopen(req, timeout=30).status == 200, "the scheme's name is case-insensitive")

        # checkpoint
        ckpt = os.path.join(run, "checkpoint.bin")
        check(not os.path.exists(ckpt), "no checkpoint yet (checkpoint_seconds is an hour)")
        status, r = call(url, "/api/checkpoint", token, "POST")
        check(status == 200 and os.path.getsize(ckpt) > 0, "POST /api/checkpoint writes the checkpoint")

        status, text = call(url, "/metrics", token, raw=True)
        check(status == 200 and "# TYPE lantern_env_steps_total counter" in text and
              'lantern_runner_env_steps_per_second{actor="runner 0",node="local"}' in text,
              "GET /metrics: Prometheus text with lantern_ names and node and actor labels")
        drift_lines = [x for x in text.splitlines() if x.startswith("lantern_reward_drift ")]
        check("# TYPE lantern_reward_drift gauge" in text and len(drift_lines) == 1 and
              0 <= float(drift_lines[0].split()[1]) <= 1, f"GET /metrics: lantern_reward_drift ({drift_lines})")
        status, r = call(url, "/api/envs", token)
        check(status == 409, "envs commands on a run that is not a cluster head: 409")
        status, hist = call(url, "/api/history", token)
        check(status == 200 and len(hist) > 3 and hist[-1]["env_steps"] >= hist[0]["env_steps"], "GET /api/history")

        status, r = call(url, "/api/stop", token, "POST")
        check(status == 200, "POST /api/stop")
        rc = proc.wait(timeout=120)
        log = open(os.path.join(d, "train.log")).read()
        check(rc == 0 and "== summary" in log and os.path.exists(os.path.join(run, "summary.json")),
              f"the run ends gracefully with its summary (exit {rc})")
        check(not os.path.exists(os.path.join(run, "control.json")), "control.json goes with the run's API")
    finally:
        t.kill()
    finish("control api", d)


if __name__ == "__main__":
    main()
