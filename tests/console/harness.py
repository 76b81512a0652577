"""What the console tests share: a real `lantern train` with its control API, calls to the API,
checks that are counted and reported, and waits with a deadline."""
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

FAILED = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        FAILED.append(what)
    return ok


def finish(name, logs):
    if FAILED:
        raise SystemExit(f"FAIL: {len(FAILED)} checks (logs in {logs})")
    print(f"PASS {name}")


def call(url, path, token=None, method="GET", body=None, raw=False):
    """(HTTP status, parsed JSON or text) of one API call."""
    data = None if body is None else json.dumps(body).encode()
    if method == "POST" and data is None:
        data = b"{}"
    req = urllib.request.Request(url + path, data=data, method=method)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            text = res.read().decode()
            return res.status, (text if raw else json.loads(text))
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text


def wait_for(what, predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"FAIL: timed out waiting for {what}")


class Training:
    """A `lantern train` with --control on a free port, in a fresh temporary directory."""

    def __init__(self, lantern, *settings, prefix="lantern-console-", env=None):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.run = os.path.join(self.dir, "run")
        self.log = os.path.join(self.dir, "train.log")
        self.env = dict(os.environ, HOME=self.dir)
        self.env.pop("LANTERN_CLUSTER_TOKEN", None)
        self.env.update(env or {})
        args = [lantern, "train", "--steps", "5000000", "--run-dir", self.run, "--control", "127.0.0.1:0"]
        for s in settings:
            args += ["--set", s]
        self.proc = subprocess.Popen(args, stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env=self.env)
        info_path = os.path.join(self.run, "control.json")
        info = wait_for("control.json", lambda: os.path.exists(info_path) and json.load(open(info_path)))
        self.url = info["url"]
        self.token_file = info["token_file"]
        self.token = open(self.token_file).read().strip()

    def api(self, path, method="GET", body=None, raw=False):
        return call(self.url, path, self.token, method, body, raw)

    def status(self):
        return self.api("/api/status")[1]

    def steps(self):
        """The run's env steps; 0 until the learners first answer (the status is then an error)."""
        return self.status().get("training", {}).get("env_steps", 0)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
