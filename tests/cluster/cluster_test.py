#!/usr/bin/python3
"""Lantern's cluster as an operator runs it: real `lantern node` processes, real sockets, real
failures (kill -9, a cut link), and assertions on what the head records.

    cluster_test.py LANTERN_BIN SOURCE_DIR loopback|external|netns|tls

loopback  head + two env nodes on 127.0.0.1: a wrong token is refused; kill -9 an env node and
          training goes on; the restarted node rejoins with its old id.
external  an environment server in Python attaches and trains; a server that sends garbage is
          dropped while training goes on; one with another layout is refused; a server that speaks
          CURVE with a `lantern keys` file serves only attaches with that key file; detach works.
hostile   a cluster keyed by `lantern keys`; hostile bytes from peers without the key at the head
          and an annotator node: both stay up with flat memory, training and labels go on; a plain
          or wrongly keyed ZeroMQ client gets nothing from the annotator, the cluster's key gets an
          answer; a wrong token or another key file is refused by the CURVE handshake.
tls       cluster.tls (removed with CAF's OpenSSL module) is refused, naming what replaced it.
netns     three nodes, each in its own network namespace with its own address (root only):
          kill -9 the env node, kill -9 the annotator node (no committed label is lost, and the
          outstanding captions are labelled after it restarts), cut the env node's link for 12 s,
          kill -9 the head and --resume it from its checkpoint.
slow      an env node on a 3 Mbit/s link beside the head's fast runner: the head's memory stays
          flat, and weights reach the slow runner at most once per rollout (root only).
"""
import json
import os
import pathlib
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

BIN, SRC = None, None  # set by main (or by a script that imports this file: bench/cluster_scaling.py)
TOKEN = "test-token-" + str(os.getpid())
WORK = pathlib.Path(tempfile.mkdtemp(prefix="lantern-cluster-"))
PROCS = []

CONFIG = """
[train]
env = "textworld"
runners = 1
envs_per_runner = 8
rollout = 16
steps = 1000000000
progress_seconds = 0.5
checkpoint_seconds = 2.0
[env.textworld]
rooms = 3
objects = 6
quest_length = 2
reward = "sparse"
[policy]
hidden = 32
embed = 16
buckets = 2048
[reward]
model = "classification"
min_labels = 8
[cluster]
heartbeat_ms = 300
connection_timeout_ms = 5000
request_timeout_ms = 8000
rejoin_seconds = 0.5
"""


class Proc:
    """A child process with its output in a log file."""

    def __init__(self, name, argv, netns=None, env=None):
        self.name = name
        self.log = WORK / f"{name}.log"
        full = (["ip", "netns", "exec", netns] if netns else []) + argv
        e = dict(os.environ, HOME=str(WORK), LANTERN_CLUSTER_TOKEN=TOKEN)
        e.update(env or {})
        self.p = subprocess.Popen(full, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=e)
        PROCS.append(self)

    def kill9(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def stop(self, timeout=60):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        return self.p.wait(timeout)

    def text(self):
        return self.log.read_text(errors="replace")


def fail(msg):
    print(f"FAIL: {msg}")
    for p in PROCS:
        print(f"----- {p.name} (last 40 lines)")
        print("\n".join(p.text().splitlines()[-40:]))
    raise SystemExit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print(f"ok: {msg}", flush=True)


def wait_until(pred, what, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            print(f"ok: {what}", flush=True)
            return v
        time.sleep(0.2)
    fail(f"timed out ({timeout} s) waiting for: {what}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def progress(run_dir):
    """The head's latest progress record (metrics.jsonl), or {}."""
    f = pathlib.Path(run_dir) / "metrics.jsonl"
    if not f.exists():
        return {}
    lines = [l for l in f.read_text().splitlines() if l.strip()]
    return json.loads(lines[-1]) if lines else {}


def steps_grow(run_dir, by, timeout=60, what="training steps keep increasing"):
    start = progress(run_dir).get("env_steps", 0)
    wait_until(lambda: progress(run_dir).get("env_steps", 0) >= start + by, f"{what} (+{by} from {start})", timeout)


def runners_are(run_dir, n, timeout=60):
    wait_until(lambda: progress(run_dir).get("runners") == n, f"{n} runner(s) act for the learner", timeout)


def lantern(*args, netns=None):
    full = (["ip", "netns", "exec", netns] if netns else []) + [BIN] + list(args)
    r = subprocess.run(full, capture_output=True, text=True, env=dict(os.environ, HOME=str(WORK), LANTERN_CLUSTER_TOKEN=TOKEN))
    return r.returncode, r.stdout + r.stderr


def nodes(addr, netns=None, extra=()):
    """`lantern envs list`, parsed: {name: {"id": "id 1", "roles": ..., "state": "connected", "joins": 2}}."""
    rc, out = lantern("envs", "list", "--head", addr, *extra, netns=netns)
    if rc != 0:
        fail(f"envs list failed: {out}")
    found = {}
    for line in out.splitlines():
        parts = line.strip().split("\t")
        if len(parts) == 5 and parts[1].startswith("id "):
            found[parts[0]] = {"id": parts[1], "roles": parts[2], "state": parts[3].split()[0],
                               "joins": int(parts[4].split()[1])}
    return found


def write_config():
    cfg = WORK / "cluster.toml"
    cfg.write_text(CONFIG)
    return str(cfg)


def head(cfg, listen, run_dir, roles="head,learner,annotator", netns=None, resume=False, extra=()):
    args = [BIN, "node", "--config", cfg, "--roles", roles, "--listen", listen, "--log-level", "debug"]
    args += ["--resume", run_dir] if resume else ["--run-dir", run_dir]
    return Proc("head" + ("-resumed" if resume else ""), args + list(extra), netns)


def member(name, cfg, join, roles="envs", netns=None, extra=()):
    return Proc(name, [BIN, "node", "--config", cfg, "--roles", roles, "--join", join, "--name", name] + list(extra), netns)


# ----------------------------------------------------------------------------------------------

def case_loopback():
    cfg = write_config()
    port = free_port()
    addr = f"127.0.0.1:{port}"
    run = str(WORK / "run")
    h = head(cfg, addr, run)
    e1 = member("e1", cfg, addr)
    e2 = member("e2", cfg, addr)
    runners_are(run, 2)
    steps_grow(run, 2000)

    bad = Proc("intruder", [BIN, "node", "--config", cfg, "--roles", "envs", "--join", addr, "--name", "intruder"],
               env={"LANTERN_CLUSTER_TOKEN": "not-the-token"})
    code = bad.p.wait(30)
    check(code == 2, f"a node with a wrong token exits with code 2 (got {code})")
    check("refused this node" in bad.text() and "wrong cluster token" in bad.text(),
          "and says the head refused it for a wrong cluster token")
    listed = nodes(addr)
    check({"e1", "e2"} <= set(listed) and listed["e1"]["id"] != listed["e2"]["id"],
          "envs list shows both env nodes with their own ids")
    e1_id = listed["e1"]["id"]

    vault_ep = f"ipc://{WORK}/vault.sock"
    Proc("vault", ["/usr/bin/python3", str(SRC / "docs/examples/env_server.py"), "--bind", vault_ep])
    rc, out = lantern("envs", "attach", "--head", addr, "--name", "vault", "--endpoint", vault_ep, "--node", "e1")
    check(rc == 0 and "on node e1" in out, f"envs attach --node e1 makes e1's gateway connect the server ({out.strip()})")
    runners_are(run, 3)
    rc, out = lantern("envs", "attach", "--head", addr, "--name", "x", "--endpoint", vault_ep, "--node", "nobody")
    check(rc == 1 and "no connected node named 'nobody'" in out, "attaching on an unknown node is a clear error")

    twin = Proc("e1-twin", [BIN, "node", "--config", cfg, "--roles", "envs", "--join", addr, "--name", "e1"])
    wait_until(lambda: "is connected; give each node its own --name" in twin.text(),
               "a second node named e1 is told to wait for the name")
    check(progress(run).get("runners") == 3, "and adds no runners")
    twin.kill9()

    e1.kill9()
    runners_are(run, 1, timeout=30)
    steps_grow(run, 2000, what="training goes on after kill -9 of an env node")
    check(nodes(addr)["e1"]["state"] == "lost", "the directory lists e1 as lost")
    check("waiting for node e1" in lantern("envs", "list", "--head", addr)[1], "and its attached env as waiting for it")

    e1 = member("e1", cfg, addr)
    runners_are(run, 3)  # e1's own runner and the vault server attached again, e2's runner
    rc, out = lantern("envs", "detach", "--head", addr, "--name", "vault")
    check(rc == 0 and "from node e1" in out, "envs detach stops the vault runner on e1")
    runners_are(run, 2)
    listed = nodes(addr)["e1"]
    check(listed["state"] == "connected" and listed["id"] == e1_id and listed["joins"] >= 2,
          f"the restarted e1 rejoins with its old {e1_id}")

    code = h.stop()
    check(code == 0 and "== summary" in h.text(), "the head stops on SIGTERM with a summary")
    wait_until(lambda: "lost the head" in e2.text(), "e2 notices that the head is gone", 30)
    for p in (e1, e2):
        check(p.stop(30) == 0, f"{p.name} stops on SIGTERM")


def case_external():
    cfg = write_config()
    port = free_port()
    addr = f"127.0.0.1:{port}"
    run = str(WORK / "run")
    vault_ep = f"ipc://{WORK}/vault.sock"
    Proc("vault", ["/usr/bin/python3", str(SRC / "docs/examples/env_server.py"), "--bind", vault_ep])
    h = head(cfg, addr, run)  # no envs role: every step comes from attached servers
    wait_until(lambda: "head listening" in h.text(), "the head listens")
    rc, out = lantern("envs", "attach", "--head", addr, "--name", "vault", "--endpoint", vault_ep, "--envs", "4")
    check(rc == 0 and "attached 'vault'" in out, f"envs attach connects the Python vault server ({out.strip()})")
    runners_are(run, 1)
    steps_grow(run, 3000, what="the Python env trains")
    wait_until(lambda: progress(run).get("episodes", 0) > 50 and progress(run).get("success_rate", 0) > 0,
               "episodes of the Python env finish, some with the chest opened")

    arr_ep = f"ipc://{WORK}/array.sock"
    Proc("vault-with-array", ["/usr/bin/python3", str(SRC / "docs/examples/env_server.py"), "--bind", arr_ep, "--with-array"])
    rc, out = lantern("envs", "attach", "--head", addr, "--name", "arr", "--endpoint", arr_ep)
    check(rc == 1 and "offers progress f32[3], text, caption, text actions; this run's policy takes text, caption, text actions" in out,
          "a server with another layout is refused with both layouts named")

    bad_ep = f"ipc://{WORK}/bad.sock"
    Proc("bad", ["/usr/bin/python3", str(SRC / "tests/envs/bad_env_server.py"), "--bind", bad_ep, "--mode", "garbage", "--after", "200"])
    rc, out = lantern("envs", "attach", "--head", addr, "--name", "bad", "--endpoint", bad_ep, "--envs", "2")
    check(rc == 0, "a server that will misbehave attaches (its hello is fine)")
    wait_until(lambda: "bad\t" in lantern("envs", "list", "--head", addr)[1]
               and "dropped" in lantern("envs", "list", "--head", addr)[1], "it is dropped once it sends garbage")
    rc, out = lantern("envs", "list", "--head", addr)
    check("garbage answer to step" in out, "envs list says why it was dropped")
    check("system_error" not in out, f"the reason is plain text, not CAF's rendering ({out.strip()})")
    check("garbage answer to step" in h.text(), "the head's log has the error")
    runners_are(run, 1)
    steps_grow(run, 2000, what="training goes on with the vault server")
    rc, out = lantern("envs", "attach", "--head", addr, "--name", "bad", "--endpoint", vault_ep, "--envs", "2")
    check(rc == 0 and "attached 'bad'" in out, f"a dropped env's name can be attached anew, replacing it ({out.strip()})")
    runners_are(run, 2)

    # A server on TCP that speaks CURVE with a `lantern keys` file serves only that key.
    key_file = WORK / "env.key"
    lantern("keys", "--out", str(key_file))
    sealed_ep = f"tcp://127.0.0.1:{free_port()}"
    Proc("sealed", ["/usr/bin/python3", str(SRC / "docs/examples/env_server.py"), "--bind", sealed_ep,
                    "--key-file", str(key_file)])
    wait_until(lambda: "vault env server on" in (WORK / "sealed.log").read_text(), "the CURVE env server listens")
    rc, out = lantern("envs", "attach", "--head", addr, "--name", "sealed", "--endpoint", sealed_ep)
    check(rc == 1 and "external env at " + sealed_ep in out,
          f"attached without the key, the CURVE server gives nothing and the attach fails ({out.strip()[-160:]})")
    other = WORK / "other-env.key"
    lantern("keys", "--out", str(other))
    rc, out = lantern("envs", "attach", "--head", addr, "--name", "sealed", "--endpoint", sealed_ep, "--key-file", str(other))
    check(rc == 1, f"with another key file it fails too ({out.strip()[-120:]})")
    rc, out = lantern("envs", "attach", "--head", addr, "--name", "sealed", "--endpoint", sealed_ep, "--key-file", str(key_file))
    check(rc == 0 and "attached 'sealed'" in out, f"with the key file it attaches ({out.strip()})")
    runners_are(run, 3)
    check("(CURVE)" in lantern("envs", "list", "--head", addr)[1], "envs list shows the link is CURVE")
    steps_grow(run, 2000, what="training goes on with the CURVE env server")
    rc, out = lantern("envs", "detach", "--head", addr, "--name", "sealed")
    check(rc == 0, "the CURVE env server detaches")

    rc, out = lantern("envs", "detach", "--head", addr, "--name", "bad")
    check(rc == 0 and "detached 'bad'" in out, "envs detach stops its runners")
    rc, out = lantern("envs", "detach", "--head", addr, "--name", "vault")
    check(rc == 0 and "detached 'vault'" in out, "envs detach stops its runners")
    runners_are(run, 0)
    rc, out = lantern("envs", "detach", "--head", addr, "--name", "vault")
    check(rc == 1 and "no env named 'vault'" in out, "detaching it again is a clear error")
    check(h.stop() == 0, "the head stops cleanly")


def case_tls():
    """TLS between nodes (CAF's OpenSSL module, which dropped every other link of a node on one
    failed handshake) is gone: a config that turns it on is refused at once, naming the key and
    what replaced it, for a head, a member and an operator command alike."""
    cfg = write_config()
    addr = f"127.0.0.1:{free_port()}"
    tls = ["--set", "cluster.tls=true"]
    for name, argv in (("head", [BIN, "node", "--config", cfg, "--roles", "head,learner", "--listen", addr,
                                 "--run-dir", str(WORK / "run")] + tls),
                       ("member", [BIN, "node", "--config", cfg, "--roles", "envs", "--join", addr, "--name", "m"] + tls)):
        p = Proc(f"tls-{name}", argv)
        code = p.p.wait(60)
        check(code == 2 and "key 'cluster.tls' (--set)" in p.text() and "lantern keys" in p.text()
              and "cluster.key_file" in p.text(), f"a {name} with cluster.tls on is refused with the way forward ({code})")
    rc, out = lantern("envs", "list", "--head", addr, *tls)
    check(rc == 2 and "cluster.key_file" in out, f"envs list with cluster.tls on is refused too ({rc})")


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def blast(port, payloads, hold=0.0, workers=50):
    """Opens one TCP connection per payload, sends it, keeps it open `hold` seconds, closes it."""
    import concurrent.futures
    import random

    def one(data):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                c.sendall(data)
                time.sleep(hold * random.random())
        except OSError:
            pass  # refused or reset: what a hostile peer should get
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, payloads))


def case_hostile():
    """Hostile bytes at the head's --listen port and at an annotator node's service, from peers
    that never had the token: the 32-byte packet that used to kill a head (SIGSEGV in CAF's
    multiplexer), random bytes on 1,000 connections, a ZeroMQ greeting followed by a declared
    256 MB frame, and a CAF header declaring a 256 MB payload. Both stay up, their memory stays
    flat, training goes on, and a node with a wrong token is refused by the CURVE handshake.
    The cluster's key pair comes from `lantern keys` (cluster.key_file); the annotator node's
    ZeroMQ service is a CURVE server too."""
    import os as _os
    import zmq
    key_file = WORK / "cluster.key"
    rc, out = lantern("keys", "--out", str(key_file))
    check(rc == 0 and key_file.stat().st_mode & 0o777 == 0o600, f"lantern keys writes a 0600 key file ({out.strip()})")
    rc, out = lantern("keys", "--out", str(key_file))
    check(rc == 2 and "never overwritten" in out, "lantern keys never overwrites a key file")
    keyed = ["--set", f"cluster.key_file={key_file}"]
    cfg = write_config()
    port = free_port()
    addr = f"127.0.0.1:{port}"
    ann_port = free_port()
    run = str(WORK / "run")
    h = head(cfg, addr, run, roles="head,learner", extra=keyed)
    a = member("annotator", cfg, addr, roles="annotator",
               extra=["--set", f"cluster.annotator_bind=tcp://127.0.0.1:{ann_port}"] + keyed)
    member("e1", cfg, addr, extra=keyed)
    runners_are(run, 1)
    steps_grow(run, 3000, what="the cluster trains over the CURVE tunnel")
    rss = {"head": rss_mb(h.p.pid), "annotator": rss_mb(a.p.pid)}
    print(f"RSS before: head {rss['head']:.0f} MB, annotator {rss['annotator']:.0f} MB", flush=True)

    packet32 = b"\x01" + b"\x00" * 31
    zmtp_greeting = b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"CURVE".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31
    huge_zmtp = zmtp_greeting + b"\x06" + (256 << 20).to_bytes(8, "big")  # a long command frame of 256 MB
    huge_caf = (1).to_bytes(1, "big") + b"\x00" * 3 + (256 << 20).to_bytes(4, "big") + b"\x00" * 24
    for target, p in (("head", port), ("annotator", ann_port)):
        started = time.time()
        blast(p, [packet32] * 50)
        blast(p, [_os.urandom(1 + i % 4096) for i in range(1000)])
        blast(p, [huge_zmtp + _os.urandom(4096)] * 20, hold=2.0)
        blast(p, [huge_caf + _os.urandom(4096)] * 20, hold=2.0)
        print(f"{target}: 1,090 hostile connections in {time.time() - started:.1f} s", flush=True)
        check(h.p.poll() is None and a.p.poll() is None, f"after the attack on the {target}: head and annotator are up")
    steps_grow(run, 3000, what="training goes on after the attacks")
    after = {"head": rss_mb(h.p.pid), "annotator": rss_mb(a.p.pid)}
    print(f"RSS after: head {after['head']:.0f} MB, annotator {after['annotator']:.0f} MB", flush=True)
    for k in rss:
        check(after[k] - rss[k] < 64, f"the {k}'s memory stays flat ({rss[k]:.0f} -> {after[k]:.0f} MB)")
    wait_until(lambda: progress(run).get("labels_received", 0) > 0, "labels come from the annotator node over CURVE")

    # The annotator's service answers even garbage with an error, but only to the cluster's key.
    keys = dict(line.replace('"', "").split(" = ") for line in key_file.read_text().splitlines() if " = " in line)
    def ask(curve):
        ctx = zmq.Context()
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        if curve:
            public, secret = curve
            s.curve_serverkey, s.curve_publickey, s.curve_secretkey = (keys["public"].encode(), public.encode(),
                                                                       secret.encode())
        s.connect(f"tcp://127.0.0.1:{ann_port}")
        s.send(b"not an annotate request")
        got = s.poll(3000)
        s.close()
        ctx.term()
        return got != 0
    stranger = tuple(k.decode() for k in zmq.curve_keypair())
    check(not ask(None), "a plain ZeroMQ client gets nothing from the annotator node")
    check(not ask(stranger), "a CURVE client with a key of its own (and the service's public key) gets nothing")
    check(ask((keys["public"], keys["secret"])), "the cluster's key gets an answer (so the two above could fail)")

    other = WORK / "other.key"
    lantern("keys", "--out", str(other))
    bad = Proc("intruder-key", [BIN, "node", "--config", cfg, "--roles", "envs", "--join", addr, "--name", "ik",
                                "--set", f"cluster.key_file={other}"])
    code = bad.p.wait(60)
    check(code == 2 and "refused this node" in bad.text() and "cluster.key_file" in bad.text(),
          f"a node with the token and another key file is refused by the handshake, exit 2 (got {code})")
    bad = Proc("intruder-token", [BIN, "node", "--config", cfg, "--roles", "envs", "--join", addr, "--name", "it"] + keyed,
               env={"LANTERN_CLUSTER_TOKEN": "not-the-token"})
    code = bad.p.wait(60)
    check(code == 2 and "wrong cluster token" in bad.text(),
          f"a node with the key and a wrong token is refused by the head, exit 2 (got {code}): {bad.text().strip()[-160:]}")
    rc, out = lantern("envs", "list", "--head", addr, *keyed)
    check(rc == 0 and "e1" in out, "envs list through the tunnel")
    check(h.stop() == 0, "the head stops cleanly")


# ----------------------------------------------------------------------------------------------

class Netns:
    """A hub namespace with a bridge, and one namespace per node with a veth into the hub."""

    def __init__(self):
        tag = str(os.getpid() % 100000)
        self.hub = f"lnhub{tag}"
        self.nodes = {}
        self.tag = tag
        self.sh(f"ip netns add {self.hub}")
        self.sh(f"ip -n {self.hub} link add br0 type bridge")
        self.sh(f"ip -n {self.hub} link set br0 up")

    def sh(self, cmd):
        r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"`{cmd}` failed: {r.stderr.strip()}")

    def add(self, short, ip):
        ns, inner, outer = f"ln{short}{self.tag}", f"v{short}{self.tag}", f"h{short}{self.tag}"
        self.sh(f"ip netns add {ns}")
        self.sh(f"ip link add {inner} type veth peer name {outer}")
        self.sh(f"ip link set {inner} netns {ns}")
        self.sh(f"ip link set {outer} netns {self.hub}")
        self.sh(f"ip -n {self.hub} link set {outer} master br0")
        self.sh(f"ip -n {self.hub} link set {outer} up")
        self.sh(f"ip -n {ns} addr add {ip}/24 dev {inner}")
        self.sh(f"ip -n {ns} link set {inner} up")
        self.sh(f"ip -n {ns} link set lo up")
        self.nodes[short] = (ns, outer)
        return ns

    def cut(self, short, down):
        self.sh(f"ip -n {self.hub} link set {self.nodes[short][1]} {'down' if down else 'up'}")

    def limit(self, short, rate):
        """Both directions of a node's link at `rate` (a token bucket, e.g. "3mbit")."""
        ns, outer = self.nodes[short]
        inner = "v" + outer[1:]
        self.sh(f"tc -n {ns} qdisc replace dev {inner} root tbf rate {rate} burst 64kbit latency 2s")
        self.sh(f"tc -n {self.hub} qdisc replace dev {outer} root tbf rate {rate} burst 64kbit latency 2s")

    def close(self):
        for ns, _ in self.nodes.values():
            subprocess.run(f"ip netns pids {ns} | xargs -r kill -9", shell=True)
            subprocess.run(f"ip netns del {ns}", shell=True)
        subprocess.run(f"ip netns del {self.hub}", shell=True)


def namespaces():
    """A Netns, or exit 77 (skipped) without root and iproute2."""
    if os.geteuid() != 0 or subprocess.run("ip netns list", shell=True, capture_output=True).returncode != 0:
        print("skipped: network namespaces need root and iproute2")
        raise SystemExit(77)
    return Netns()


def labels_in(store):
    con = sqlite3.connect(store)
    try:
        return con.execute("select count(*) from labels").fetchone()[0]
    finally:
        con.close()


def case_netns():
    net = namespaces()
    try:
        head_ns = net.add("h", "10.77.0.1")
        envs_ns = net.add("e", "10.77.0.2")
        ann_ns = net.add("a", "10.77.0.3")
        cfg = write_config()
        addr = "10.77.0.1:7700"
        run = str(WORK / "run")
        store = str(WORK / "annotator-labels.sqlite")
        ann_args = ["--set", "cluster.annotator_bind=tcp://10.77.0.3:7710", "--set", f"annotator.store={store}"]
        h = head(cfg, addr, run, roles="head,learner,envs", netns=head_ns)
        e = member("envs-node", cfg, addr, netns=envs_ns)
        a = member("annotator-node", cfg, addr, roles="annotator", netns=ann_ns, extra=ann_args)
        runners_are(run, 2)
        wait_until(lambda: progress(run).get("labels_received", 0) > 100, "labels come from the annotator node")
        steps_grow(run, 2000, what="a three-node cluster in namespaces trains")
        envs_id = nodes(addr, head_ns)["envs-node"]["id"]

        # 1. kill -9 the env node; it rejoins when restarted.
        e.kill9()
        runners_are(run, 1, timeout=30)
        steps_grow(run, 2000, what="training goes on without the env node")
        e = member("envs-node", cfg, addr, netns=envs_ns)
        runners_are(run, 2)

        # 2. kill -9 the annotator node: training goes on; no committed label is lost; after
        #    its restart, the outstanding captions are labelled.
        a.kill9()
        committed = labels_in(store)
        received = progress(run).get("labels_received", 0)
        steps_grow(run, 3000, what="training goes on while the annotator node is down")
        check(labels_in(store) == committed, f"the store keeps its {committed} committed labels while down")
        a = member("annotator-node", cfg, addr, roles="annotator", netns=ann_ns, extra=ann_args)
        wait_until(lambda: progress(run).get("labels_received", 0) > received + 50,
                   "captions outstanding at the kill are labelled after the restart", 60)
        check(labels_in(store) >= committed, f"no committed label is lost ({labels_in(store)} >= {committed})")
        wait_until(lambda: labels_in(store) > committed,
                   "captions first seen while it was down are labelled and committed after the restart", 60)

        # 3. cut the env node's link for 12 s: the head notices, carries on, and re-admits it.
        net.cut("e", True)
        runners_are(run, 1, timeout=20)
        steps_grow(run, 1000, what="training goes on while the link is cut")
        time.sleep(max(0.0, 12 - 5))
        net.cut("e", False)
        runners_are(run, 2, timeout=40)
        listed = nodes(addr, head_ns)["envs-node"]
        check(listed["state"] == "connected" and listed["id"] == envs_id,
              f"the directory re-admits the env node under its old {envs_id}")

        # 4. kill -9 the head (the learner): --resume continues from its last checkpoint.
        time.sleep(2.5)  # at least one periodic checkpoint
        before = progress(run).get("env_steps", 0)
        h.kill9()
        lines_before = len((pathlib.Path(run) / "metrics.jsonl").read_text().splitlines())
        h = head(cfg, addr, run, roles="head,learner,envs", netns=head_ns, resume=True)
        wait_until(lambda: len((pathlib.Path(run) / "metrics.jsonl").read_text().splitlines()) > lines_before + 2,
                   "the resumed head reports progress")
        first = json.loads((pathlib.Path(run) / "metrics.jsonl").read_text().splitlines()[lines_before])
        check(first["env_steps"] >= before - 20000 and first["env_steps"] > 0,
              f"the resumed run starts from its checkpoint ({first['env_steps']} steps; {before} at the kill)")
        runners_are(run, 2, timeout=40)
        steps_grow(run, 2000, what="the resumed cluster trains with its nodes rejoined")
        check(h.stop() == 0, "the resumed head stops cleanly")
        for p in (e, a):
            p.stop(30)
    finally:
        net.close()


def lantern_pid(proc):
    """The pid of the lantern process of `proc` (`ip netns exec` may run it as a child)."""
    pid = proc.p.pid
    for _ in range(3):
        if pathlib.Path(f"/proc/{pid}/comm").read_text().strip() == "lantern":
            return pid
        kids = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if not kids:
            break
        pid = int(kids[0])
    return pid


def case_slow():
    """An env node behind a slow link (3 Mbit/s each way; a token bucket on its veth) while the
    head's own runner is fast: the head's memory stays flat and the slow runner gets at most one
    weights message per rollout. The first release broadcast every update's weights to every
    runner, and the head queued them for the slow node without bound."""
    net = namespaces()
    try:
        head_ns = net.add("h", "10.77.0.1")
        envs_ns = net.add("e", "10.77.0.2")
        cfg = write_config()
        addr = "10.77.0.1:7700"
        run = str(WORK / "run")
        h = head(cfg, addr, run, roles="head,learner,envs", netns=head_ns, extra=["--set", "reward.model=none"])
        member("slow-node", cfg, addr, netns=envs_ns)
        runners_are(run, 2)
        net.limit("e", "3mbit")
        steps_grow(run, 3000, what="training goes on with one node on a slow link")
        time.sleep(5)
        pid = lantern_pid(h)
        before, p0 = rss_mb(pid), progress(run)
        time.sleep(40)
        after, p1 = rss_mb(pid), progress(run)
        updates = p1.get("updates", 0) - p0.get("updates", 0)
        print(f"head RSS {before:.0f} -> {after:.0f} MB over 40 s; {updates} updates; weights sent "
              f"{p1.get('weights_sent', 0) - p0.get('weights_sent', 0)}, superseded "
              f"{p1.get('weights_skipped', 0) - p0.get('weights_skipped', 0)}", flush=True)
        check(updates > 100, f"the fast runner keeps the learner busy ({updates} updates in 40 s)")
        check(after - before < 48, f"the head's memory stays flat ({before:.0f} -> {after:.0f} MB)")
        check(p1.get("weights_sent", 0) <= p1.get("updates", 0) + 4,
              f"weights sent ({p1.get('weights_sent')}) are at most one per rollout learnt ({p1.get('updates')}) plus joins")
        check(p1.get("weights_skipped", 0) > 0, "versions superseded before the slow runner's next ack are never sent")
        runners_are(run, 2)
        check(h.stop() == 0, "the head stops cleanly")
    finally:
        stop_all()
        net.close()


def stop_all():
    for p in PROCS:
        if p.p.poll() is None:
            p.p.kill()
            p.p.wait()


if __name__ == "__main__":
    BIN, SRC, CASE = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
    try:
        {"loopback": case_loopback, "external": case_external, "netns": case_netns, "tls": case_tls,
         "hostile": case_hostile, "slow": case_slow}[CASE]()
        print(f"PASS {CASE}")
    finally:
        stop_all()
