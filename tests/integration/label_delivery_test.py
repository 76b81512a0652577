#!/usr/bin/env python3
"""Every label delivered, through a kill -9 of the annotator.

`lantern train` asks a separate `lantern annotator serve` process (an OpenAI-compatible test
server behind it). Mid-run the annotator is killed with SIGKILL and restarted 3 s later on the
same port and store. At the end, every caption the trainer asked about is labelled or counted
as given up (none pending), captions were asked again after the outage, and the labels the
trainer received equal the labels in the store.

Usage: label_delivery_test.py LANTERN_BIN FAKE_LLM_SERVER SOURCE_DIR
"""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(what, predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"FAIL: timed out waiting for {what}")


def last_progress(path):
    try:
        with open(path) as f:
            lines = [l for l in f if l.strip()]
        return json.loads(lines[-1]) if lines else None
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def main():
    lantern, fake_llm, source = sys.argv[1:4]
    d = tempfile.mkdtemp(prefix="lantern-labels-")
    env = dict(os.environ, HOME=d)
    port_file = os.path.join(d, "llm-port")
    llm = subprocess.Popen([fake_llm, port_file, "20", "Progress.\nAnswer: yes"])
    wait_for("the LLM server", lambda: os.path.exists(port_file), 10)
    llm_url = f"http://127.0.0.1:{open(port_file).read().strip()}/v1"
    store = os.path.join(d, "labels.sqlite")
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    serve = [lantern, "annotator", "serve", "--bind", endpoint, "--set", "annotator.backend=openai",
             "--set", "annotator.openai.model=m", "--set", f"annotator.openai.base_url={llm_url}",
             "--set", f"annotator.store={store}"]
    annotator_log = open(os.path.join(d, "annotator.log"), "w")
    annotator = subprocess.Popen(serve, stdout=annotator_log, stderr=subprocess.STDOUT, env=env)
    run = os.path.join(d, "run")
    train = subprocess.Popen(
        [lantern, "train", "--config", os.path.join(source, "configs/train-textworld.toml"), "--steps", "200000",
         "--run-dir", run, "--set", f"annotator.connect={endpoint}", "--set", "env.textworld.games=40",
         "--set", "train.progress_seconds=0.5", "--set", "train.label_deadline_ms=5000",
         "--set", "train.label_backoff_ms=1000", "--set", "train.label_backoff_max_ms=4000",
         # Deadlines this short also pass when the machine is merely busy (the suite runs two tests
         # at once): enough asks that only a caption the annotator never labels is given up.
         "--set", "train.label_attempts=30",
         "--set", "train.label_drain_seconds=90"],
        stdout=open(os.path.join(d, "train.log"), "w"), stderr=subprocess.STDOUT, env=env)
    try:
        metrics = os.path.join(run, "metrics.jsonl")
        before = wait_for("labels before the kill",
                          lambda: (p := last_progress(metrics)) and p["labels_received"] >= 50 and p, 120)
        annotator.send_signal(signal.SIGKILL)
        annotator.wait()
        print(f"killed the annotator at {before['env_steps']} steps, {before['labels_received']} labels received")
        time.sleep(3)
        annotator = subprocess.Popen(serve, stdout=annotator_log, stderr=subprocess.STDOUT, env=env)
        print("restarted it")
        rc = train.wait(timeout=400)
        if rc != 0:
            raise SystemExit(f"FAIL: lantern train exited {rc}; see {d}/train.log")
        summary = json.load(open(os.path.join(run, "summary.json")))
        asked, got = summary["labels_requested"], summary["labels_received"]
        given_up, pending = summary["labels_given_up"], summary["labels_pending"]
        retries = summary["labels_retries"]
        db = sqlite3.connect(store)
        stored = db.execute("SELECT COUNT(*) FROM labels WHERE domain = 'textworld'").fetchone()[0]
        print(f"requested {asked}, received {got}, given up {given_up}, pending {pending}, asked again {retries} "
              f"({summary['labels_unanswered']} answers without a label, {summary['labels_lost']} asks lost), "
              f"stored {stored}")
        failures = []
        if pending != 0:
            failures.append(f"{pending} captions still pending")
        if asked != got + given_up:
            failures.append(f"requested {asked} != received {got} + given up {given_up}")
        if given_up != 0:
            failures.append(f"{given_up} captions given up after a 3 s outage")
        if retries == 0:
            failures.append("nothing was asked again: the kill was not felt")
        if got <= before["labels_received"]:
            failures.append("no label arrived after the restart")
        if stored != got:
            failures.append(f"the store holds {stored} labels, the trainer received {got}")
        if failures:
            raise SystemExit("FAIL: " + "; ".join(failures) + f" (logs in {d})")
        print("PASS label delivery")
    finally:
        for p in (train, annotator, llm):
            if p.poll() is None:
                p.kill()
                p.wait()


if __name__ == "__main__":
    main()
