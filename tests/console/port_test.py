#!/usr/bin/env python3
"""Two runs on one machine and the control API's port. A port the user chose that is taken is a
clear error (exit 2) and is never shared: before, a second run bound the same port and the kernel
split the requests between two runs with different tokens. A run left on the default port
(control.listen, 127.0.0.1:7780) while another holds it takes a free port, says so, and writes
where in control.json, which `lantern console --run-dir` and the API clients read; so does a
resumed run whose saved config holds the default.

Usage: port_test.py LANTERN_BIN
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

from harness import call, check, finish, wait_for

DEFAULT = 7780


def hold(port, seconds=120, reuseport=False):
    """A listening socket on 127.0.0.1:port (waits while some other test's run holds it);
    reuseport: with SO_REUSEPORT, as a server that shares its port would hold it."""
    deadline = time.time() + seconds
    while True:
        s = socket.socket()
        if reuseport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
            return s
        except OSError:
            s.close()
            if time.time() > deadline:
                raise SystemExit(f"FAIL: port {port} stayed busy for {seconds} s")
            time.sleep(0.5)


def main():
    lantern = sys.argv[1]
    d = tempfile.mkdtemp(prefix="lantern-ports-")
    env = dict(os.environ, HOME=d)
    env.pop("LANTERN_CLUSTER_TOKEN", None)
    train = [lantern, "train", "--steps", "5000000"]

    taken = hold(0, reuseport=True)  # a sharing holder: the old control API bound the port too
    port = taken.getsockname()[1]
    for how in (["--control", f"127.0.0.1:{port}"], ["--set", f"control.listen=127.0.0.1:{port}"]):
        try:
            r = subprocess.run(train + ["--run-dir", os.path.join(d, "chosen")] + how, capture_output=True,
                               text=True, env=env, timeout=30)
        except subprocess.TimeoutExpired:  # it bound the taken port too, and trains
            r = subprocess.CompletedProcess([], -1, "", "still running: it shares the taken port")
        check(r.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in r.stderr,
              f"{' '.join(how)} on a taken port: exit 2 and the reason ({r.returncode}, {r.stderr.strip()[-120:]})")
    taken.close()

    blocker = hold(DEFAULT)
    run = os.path.join(d, "second")
    proc = subprocess.Popen(train + ["--run-dir", run], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            text=True)
    try:
        info_path = os.path.join(run, "control.json")
        info = wait_for("control.json", lambda: os.path.exists(info_path) and os.path.getsize(info_path) > 0
                        and json.load(open(info_path)), timeout=60)
        url = info["url"]
        check(not url.endswith(f":{DEFAULT}"), f"the default port taken: the run listens elsewhere ({url})")
        token = open(info["token_file"]).read().strip()
        status = wait_for("the status", lambda: (lambda s: s[0] == 200 and s)(call(url, "/api/status", token)),
                          timeout=60)
        check(status[1]["run"]["dir"] == run, "control.json leads to this run's API, with its token")
        wrong = os.path.join(d, "wrong.token")
        open(wrong, "w").write("not-the-token\n")
        r = subprocess.run([lantern, "console", "--run-dir", run, "--token-file", wrong], capture_output=True,
                           text=True, env=env, timeout=30)
        check(url.replace("http://", "") in r.stderr, f"lantern console --run-dir finds the port: the run there refuses a wrong token ({r.stderr.strip()})")
    finally:
        proc.kill()
        out = proc.communicate()[0]
        blocker.close()
    check(f"127.0.0.1:{DEFAULT} is in use" in out and "takes a free port" in out, "the run says why it moved")

    # A resumed run reads every key from its saved config, control.listen included: the default
    # recorded there is still a default (CI once failed here when another test held the port).
    blocker = hold(DEFAULT)
    try:
        short = os.path.join(d, "short")
        first = subprocess.run([lantern, "train", "--steps", "600", "--run-dir", short], capture_output=True,
                               text=True, env=env, timeout=120)
        check(first.returncode == 0, f"a short run beside a taken default port ends well ({first.returncode})")
        again = subprocess.run([lantern, "train", "--resume", short, "--steps", "1200"], capture_output=True,
                               text=True, env=env, timeout=120)
        check(again.returncode == 0 and "(resumed)" in again.stdout and "takes a free port" in again.stdout,
              f"--resume beside a taken default port takes a free port ({again.returncode}, {again.stderr.strip()[-160:]})")
    finally:
        blocker.close()
    finish("control ports", d)


if __name__ == "__main__":
    main()
