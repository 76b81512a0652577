#!/usr/bin/python3
"""A Lantern environment server in Python: the "vault" text game over ZeroMQ (protocol v1).

Lantern connects to this server, says hello, reads the spec, then sends reset and step
requests (docs/external-envs.md). Each connecting socket gets its own game, so one server
serves every env of a runner. Needs only Debian's python3-zmq:

    /usr/bin/python3 docs/examples/env_server.py --bind tcp://127.0.0.1:7800
    lantern envs attach --head 127.0.0.1:7700 --name vault --endpoint tcp://127.0.0.1:7800

With --key-file (a file made by `lantern keys`) the server speaks CURVE and serves only
clients that prove the same key: attach it with `--key-file` naming the same file.

The game: a chest holds a gem; take the key, unlock the chest, open it (+1, the episode ends).
"""
import argparse
import json
import random
import struct
import sys
import threading

import zmq
from zmq.utils import z85

SPEC = {
    "name": "vault",
    "description": "open the chest: take the key, unlock, open (a Python example server)",
    "layout": {"arrays": [], "text": True, "caption": True, "actions": "text", "num_actions": 0},
    "max_episode_steps": 30,
}
COMMANDS = ["look", "wait", "take key", "drop key", "unlock chest", "open chest", "close chest", "sing"]


class Vault:
    """One game. Every reply is the observation after the request."""

    def __init__(self, with_array):
        self.with_array = with_array
        self.rng = random.Random(0)
        self.reset(0)

    def reset(self, seed):
        self.rng = random.Random(seed)
        self.metal = self.rng.choice(["brass", "iron", "silver"])
        self.key = False
        self.unlocked = False
        self.open = False
        self.steps = 0
        return self.obs(f"You are in a vault. A {self.metal} key lies by a locked chest.", "", 0.0, False)

    def step(self, command):
        self.steps += 1
        reward, won = 0.0, False
        if command == "take key":
            caption = "You already have the key." if self.key else f"You take the {self.metal} key."
            self.key = True
        elif command == "drop key":
            caption = f"You drop the {self.metal} key." if self.key else "You have no key."
            self.key = False
        elif command == "unlock chest":
            if self.unlocked:
                caption = "The chest is already unlocked."
            elif self.key:
                caption, self.unlocked = "You unlock the chest.", True
            else:
                caption = "You need a key."
        elif command == "open chest":
            if not self.unlocked:
                caption = "The chest is locked."
            else:
                caption, self.open, reward, won = "You open the chest. A gem glitters inside!", True, 1.0, True
        elif command == "close chest":
            caption = "Nothing to close."
        elif command == "look":
            caption = "You see a chest" + (", unlocked." if self.unlocked else ", locked.")
        else:
            caption = "Time passes." if command == "wait" else "You sing a little song."
        return self.obs(caption, caption, reward, won)

    def obs(self, text, caption, reward, won):
        self.order = COMMANDS[:]
        self.rng.shuffle(self.order)
        header = {
            "type": "obs", "text": text, "caption": caption, "candidates": self.order, "reward": reward,
            "terminated": won, "truncated": not won and self.steps >= SPEC["max_episode_steps"],
            "success": won, "score": reward,
        }
        frames = [json.dumps(header).encode()]
        if self.with_array:  # one f32[3] array: key, unlocked, open (little-endian)
            frames.append(struct.pack("<3f", float(self.key), float(self.unlocked), float(self.open)))
        return frames


def spec(with_array):
    s = json.loads(json.dumps(SPEC))
    if with_array:
        s["layout"]["arrays"] = [{"name": "progress", "dtype": "f32", "shape": [3]}]
    return s


def handle(games, who, request, with_array):
    """Answers one request; returns the frames after the delimiter, or None (no answer)."""
    kind = request.get("type")
    if kind == "hello":
        if request.get("version") != 1:
            return [json.dumps({"type": "error", "message": "this server speaks version 1"}).encode()]
        games[who] = Vault(with_array)
        return [json.dumps({"type": "hello", "version": 1, "spec": spec(with_array)}).encode()]
    if kind == "close":
        games.pop(who, None)
        return None
    game = games.get(who)
    if game is None:
        return [json.dumps({"type": "error", "message": "say hello first"}).encode()]
    if kind == "reset":
        return game.reset(int(request["seed"]))
    if kind == "step":
        command = request.get("command")
        if command is None:  # an index into the candidates of the last observation
            command = game.order[int(request["action"])]
        return game.step(command)
    return [json.dumps({"type": "error", "message": f"unknown request type {kind!r}"}).encode()]


def read_keys(path):
    """The public and secret key of a `lantern keys` file."""
    keys = {}
    for line in open(path):
        if " = " in line and not line.startswith("#"):
            name, value = line.split(" = ", 1)
            keys[name.strip()] = value.strip().strip('"')
    return keys["public"].encode(), keys["secret"].encode()


def admit_only(ctx, public):
    """A ZAP handler: CURVE handshakes succeed only for a client proving `public` (Z85)."""
    allowed = z85.decode(public)
    zap = ctx.socket(zmq.REP)
    zap.bind("inproc://zeromq.zap.01")

    def serve():
        while True:
            version, request_id, _domain, _address, _identity, mechanism, *creds = zap.recv_multipart()
            ok = mechanism == b"CURVE" and creds[:1] == [allowed]
            zap.send_multipart([version, request_id, b"200" if ok else b"400", b"OK" if ok else b"not the key",
                                b"", b""])
    threading.Thread(target=serve, daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bind", default="tcp://127.0.0.1:7800")
    ap.add_argument("--with-array", action="store_true", help="add an f32[3] observation array")
    ap.add_argument("--key-file", help="a `lantern keys` file: speak CURVE, serve only clients with that key")
    args = ap.parse_args()
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    if args.key_file:
        public, secret = read_keys(args.key_file)
        admit_only(ctx, public)
        sock.curve_secretkey, sock.curve_publickey, sock.curve_server = secret, public, True
    sock.bind(args.bind)
    print(f"vault env server on {sock.getsockopt(zmq.LAST_ENDPOINT).decode()}", flush=True)
    games = {}
    while True:
        who, _empty, body = sock.recv_multipart()[:3]
        try:
            request = json.loads(body)
            reply = handle(games, who, request, args.with_array)
        except (ValueError, KeyError, IndexError, TypeError) as e:
            reply = [json.dumps({"type": "error", "message": f"bad request: {e}"}).encode()]
        if reply is not None:
            sock.send_multipart([who, b""] + reply)


if __name__ == "__main__":
    sys.exit(main())
