#!/usr/bin/env python3
"""A real Prometheus (Debian's prometheus package) scrapes a training run's /metrics with the
cluster token, and a series is read back through Prometheus's own query API.

Usage: prometheus_test.py LANTERN_BIN
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def query(prom, expr):
    url = f"{prom}/api/v1/query?query={urllib.parse.quote(expr)}"
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    return body["data"]["result"]


def main():
    lantern = sys.argv[1]
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not os.path.exists(binary):
        print("prometheus is not installed (scripts/setup.sh installs it)")
        sys.exit(77)
    d = tempfile.mkdtemp(prefix="lantern-prom-")
    token_file = os.path.join(d, "token")
    open(token_file, "w").write("prometheus-test-token\n")
    env = dict(os.environ, HOME=d, LANTERN_CLUSTER_TOKEN="prometheus-test-token")
    run = os.path.join(d, "run")
    train = subprocess.Popen([lantern, "train", "--steps", "5000000", "--run-dir", run, "--control", "127.0.0.1:0",
                              "--set", "train.progress_seconds=1"], stdout=open(os.path.join(d, "train.log"), "w"),
                             stderr=subprocess.STDOUT, env=env)
    prom = None
    try:
        for _ in range(200):
            if os.path.exists(os.path.join(run, "control.json")):
                break
            time.sleep(0.1)
        target = json.load(open(os.path.join(run, "control.json")))["url"].replace("http://", "")
        port = free_port()
        cfg = os.path.join(d, "prometheus.yml")
        open(cfg, "w").write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: lantern
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {token_file}
    static_configs:
      - targets: ["{target}"]
""")
        prom = subprocess.Popen([binary, f"--config.file={cfg}", f"--storage.tsdb.path={d}/tsdb",
                                 f"--web.listen-address=127.0.0.1:{port}"],
                                stdout=open(os.path.join(d, "prometheus.log"), "w"), stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        found = None
        for _ in range(120):
            time.sleep(0.5)
            try:
                res = query(url, "lantern_env_steps_total")
                up = query(url, 'up{job="lantern"}')
            except OSError:
                continue
            if res and up and float(up[0]["value"][1]) == 1 and float(res[0]["value"][1]) > 0:
                found = res[0]
                break
        if not found:
            raise SystemExit(f"FAIL: Prometheus never read lantern_env_steps_total (logs in {d})")
        print(f"Prometheus read lantern_env_steps_total = {found['value'][1]} from {found['metric']['instance']}")
        runners = query(url, "lantern_runner_env_steps_per_second")
        if not runners or runners[0]["metric"].get("actor") != "runner 0" or runners[0]["metric"].get("node") != "local":
            raise SystemExit(f"FAIL: lantern_runner_env_steps_per_second lacks its labels: {runners}")
        print(f"and lantern_runner_env_steps_per_second{{node=local, actor=runner 0}} = {runners[0]['value'][1]}")
        print("PASS prometheus")
    finally:
        for p in (prom, train):
            if p and p.poll() is None:
                p.kill()
                p.wait()


if __name__ == "__main__":
    main()
