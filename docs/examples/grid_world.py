#!/usr/bin/python3
"""A Lantern environment server in Python: a grid world with a sparse goal (protocol v1).

A 9x9 room (walls around a 7x7 floor), the agent and a goal placed at random each episode.
Four discrete actions (north, east, south, west); +1 and the end of the episode on reaching
the goal, nothing otherwise; Lantern cuts an episode after 16 steps (the spec's limit). The
observation is two arrays: the room as a u8[9,9] grid of ids (0 floor, 1 wall, 2 agent, 3 goal)
and the goal's offset from the agent as f32[2]. A caption says what the step did.

    /usr/bin/python3 docs/examples/grid_world.py --bind tcp://127.0.0.1:7801
    lantern train --set train.env=external --set env.external.endpoint=tcp://127.0.0.1:7801

Needs only Debian's python3-zmq. Each connecting socket gets its own game.
"""
import argparse
import json
import random
import struct
import sys

import zmq

SIZE = 9
SPEC = {
    "name": "grid-world",
    "description": "reach the goal in a 9x9 room (a Python example server)",
    "layout": {
        "arrays": [{"name": "grid", "dtype": "u8", "shape": [SIZE, SIZE]},
                   {"name": "offset", "dtype": "f32", "shape": [2]}],
        "text": False, "caption": True, "actions": "discrete", "num_actions": 4,
    },
    "action_names": ["north", "east", "south", "west"],
    "max_episode_steps": 16,
}
MOVES = [(-1, 0), (0, 1), (1, 0), (0, -1)]  # (row, column) per action


class Grid:
    def __init__(self):
        self.reset(0)

    def reset(self, seed):
        rng = random.Random(seed)
        cells = [(r, c) for r in range(1, SIZE - 1) for c in range(1, SIZE - 1)]
        self.agent, self.goal = rng.sample(cells, 2)
        self.score = 0.0
        return self.obs("You wake up in a bare room.", 0.0, False)

    def step(self, action):
        dr, dc = MOVES[action]
        r, c = self.agent[0] + dr, self.agent[1] + dc
        if r in (0, SIZE - 1) or c in (0, SIZE - 1):
            return self.obs("You bump into the wall.", 0.0, False)
        before = abs(self.goal[0] - self.agent[0]) + abs(self.goal[1] - self.agent[1])
        self.agent = (r, c)
        if self.agent == self.goal:
            self.score = 1.0
            return self.obs("You reach the goal!", 1.0, True)
        after = abs(self.goal[0] - r) + abs(self.goal[1] - c)
        closer = "closer to" if after < before else "farther from"
        return self.obs(f"You step {SPEC['action_names'][action]}, {closer} the goal.", 0.0, False)

    def obs(self, caption, reward, won):
        grid = bytearray(SIZE * SIZE)
        for i in range(SIZE):
            for j in range(SIZE):
                if i in (0, SIZE - 1) or j in (0, SIZE - 1):
                    grid[i * SIZE + j] = 1
        grid[self.goal[0] * SIZE + self.goal[1]] = 3
        grid[self.agent[0] * SIZE + self.agent[1]] = 2
        offset = struct.pack("<2f", (self.goal[0] - self.agent[0]) / (SIZE - 2),
                             (self.goal[1] - self.agent[1]) / (SIZE - 2))
        # score: the episode's score so far (here 1 once the goal is reached).
        header = {"type": "obs", "caption": caption, "reward": reward, "terminated": won, "success": won,
                  "score": self.score}
        return [json.dumps(header).encode(), bytes(grid), offset]


def handle(games, who, request):
    kind = request.get("type")
    if kind == "hello":
        if request.get("version") != 1:
            return [json.dumps({"type": "error", "message": "this server speaks version 1"}).encode()]
        games[who] = Grid()
        return [json.dumps({"type": "hello", "version": 1, "spec": SPEC}).encode()]
    if kind == "close":
        games.pop(who, None)
        return None
    game = games.get(who)
    if game is None:
        return [json.dumps({"type": "error", "message": "say hello first"}).encode()]
    if kind == "reset":
        return game.reset(int(request["seed"]))
    if kind == "step":
        action = int(request["action"])
        if not 0 <= action < 4:
            return [json.dumps({"type": "error", "message": f"no action {action}"}).encode()]
        return game.step(action)
    return [json.dumps({"type": "error", "message": f"unknown request type {kind!r}"}).encode()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bind", default="tcp://127.0.0.1:7801")
    args = ap.parse_args()
    sock = zmq.Context().socket(zmq.ROUTER)
    sock.bind(args.bind)
    print(f"grid world env server on {sock.getsockopt(zmq.LAST_ENDPOINT).decode()}", flush=True)
    games = {}
    while True:
        who, _empty, body = sock.recv_multipart()[:3]
        try:
            reply = handle(games, who, json.loads(body))
        except (ValueError, KeyError, TypeError) as e:
            reply = [json.dumps({"type": "error", "message": f"bad request: {e}"}).encode()]
        if reply is not None:
            sock.send_multipart([who, b""] + reply)


if __name__ == "__main__":
    sys.exit(main())
