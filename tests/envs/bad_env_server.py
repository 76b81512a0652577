#!/usr/bin/python3
"""A misbehaving environment server for Lantern's tests: the vault example, until it is not.

    bad_env_server.py --bind ENDPOINT --mode garbage|hang|crash|version|short-array|batch|no-limit [--after N]

It answers hello (except in mode version) and the first N steps like the example, then: garbage
sends bytes that are not JSON; hang stops answering; crash exits at once (like kill -9);
short-array sends an array frame of the wrong size; version answers hello with version 99.
Two modes are well-behaved but tell the test something: batch reads every request already
waiting before it answers any, and puts their number in each step's caption ("batch of 8");
no-limit announces max_episode_steps 5 but never truncates an episode itself.
"""
import argparse
import json
import os
import pathlib
import sys
import time

import zmq

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "docs" / "examples"))
import env_server  # noqa: E402  (the example server's game and request handling)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--mode", required=True,
                    choices=["garbage", "hang", "crash", "version", "short-array", "batch", "no-limit"])
    ap.add_argument("--after", type=int, default=0, help="steps answered properly first")
    args = ap.parse_args()
    sock = zmq.Context().socket(zmq.ROUTER)
    sock.bind(args.bind)
    if args.mode == "no-limit":
        env_server.SPEC["max_episode_steps"] = 5
    games, steps = {}, 0
    waiting = []
    while True:
        if not waiting:
            waiting.append(sock.recv_multipart())
            while args.mode == "batch" and sock.poll(20):  # whatever else is on its way
                waiting.append(sock.recv_multipart())
        batch = sum(1 for m in waiting if json.loads(m[2]).get("type") == "step")
        who, _empty, body = waiting.pop(0)[:3]
        request = json.loads(body)
        if request.get("type") == "hello" and args.mode == "version":
            sock.send_multipart([who, b"", json.dumps({"type": "hello", "version": 99, "spec": {}}).encode()])
            continue
        with_array = args.mode == "short-array"
        reply = env_server.handle(games, who, request, with_array)
        if request.get("type") == "step":
            steps += 1
            if steps > args.after:
                if args.mode == "garbage":
                    reply = [b"\x00\x01 this is not json"]
                elif args.mode == "hang":
                    time.sleep(3600)
                elif args.mode == "crash":
                    os._exit(9)
                elif args.mode == "short-array":
                    reply = reply[:1] + [b"\x00\x00"]
            if args.mode == "batch":
                header = json.loads(reply[0])
                header["caption"] = f"batch of {batch}"
                reply = [json.dumps(header).encode()] + reply[1:]
            if args.mode == "no-limit":
                header = json.loads(reply[0])
                header["truncated"] = False
                reply = [json.dumps(header).encode()] + reply[1:]
        if reply is not None:
            sock.send_multipart([who, b""] + reply)


if __name__ == "__main__":
    sys.exit(main())
