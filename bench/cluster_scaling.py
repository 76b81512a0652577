#!/usr/bin/python3
"""Training steps per second with 1, 2 and 3 env nodes, each in its own network namespace
(root only): a head with the learners and no runners of its own, and k env nodes of one runner
each, joined over veth links. Each configuration trains for --seconds; the rate is measured over
its second half. Printed as JSON lines, with the ratio to one env node.

    sudo bench/cluster_scaling.py build/bin/lantern [--seconds 30]
"""
import argparse
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "cluster"))
import cluster_test as c  # noqa: E402  (the test harness: processes, namespaces, progress)


def rate(run, seconds):
    time.sleep(seconds / 2)
    a, t0 = c.progress(run).get("env_steps", 0), time.time()
    time.sleep(seconds / 2)
    return (c.progress(run).get("env_steps", 0) - a) / (time.time() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lantern")
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    c.BIN, c.SRC = str(pathlib.Path(args.lantern).resolve()), pathlib.Path(__file__).resolve().parents[1]
    results = {}
    for k in (1, 2, 3):
        net = c.Netns()
        try:
            head_ns = net.add("h", "10.77.0.1")
            cfg = c.write_config()
            run = str(c.WORK / f"run{k}")
            c.head(cfg, "10.77.0.1:7700", run, roles="head,learner,annotator", netns=head_ns)
            for i in range(k):
                ns = net.add(f"e{i}", f"10.77.0.{10 + i}")
                c.member(f"envs-{i}", cfg, "10.77.0.1:7700", netns=ns)
            c.runners_are(run, k, timeout=60)
            results[k] = rate(run, args.seconds)
        finally:
            c.stop_all()
            c.PROCS.clear()
            net.close()
        print(json.dumps({"name": "train_steps_per_s", "env_nodes": k, "value": round(results[k]),
                          "unit": "steps/s", "ratio_to_one_node": round(results[k] / results[1], 3)}), flush=True)


if __name__ == "__main__":
    main()
