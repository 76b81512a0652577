#!/usr/bin/env python3
"""A complete client of Lantern's annotator service (wire format version 1), using python3-zmq.

    /usr/bin/python3 annotator_client.py tcp://127.0.0.1:7710 nethack default "You kill the newt!" ...

Prints one line per caption: the label (or unlabelled/error) and its provenance.
See docs/annotator-protocol.md for the byte layout this implements.
"""
import struct
import sys
import time

import zmq

MAGIC, VERSION = b"LNAN", 1
ANNOTATE, ANNOTATE_REPLY, ERROR_REPLY = 1, 0x81, 0xFF
OUTCOMES = {0: "labelled", 1: "unlabelled", 2: "error"}


def put_str(b):
    return struct.pack("<I", len(b)) + b


def encode_annotate(request_id, deadline_ms, items):
    out = MAGIC + struct.pack("<BBQII", VERSION, ANNOTATE, request_id, deadline_ms, len(items))
    for kind, domain, goal, caption, caption2 in items:
        out += struct.pack("<B", kind)
        for s in (domain, goal, caption, caption2):
            out += put_str(s.encode())
    return out


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def string(self):
        (n,) = self.take("<I")
        s = self.data[self.pos:self.pos + n]
        self.pos += n
        return s.decode(errors="replace")


def decode_reply(data):
    r = Reader(data)
    if r.data[:4] != MAGIC:
        raise ValueError("not an annotator reply")
    r.pos = 4
    version, kind, request_id = r.take("<BBQ")
    if kind == ERROR_REPLY:
        raise ValueError("the service says: " + r.string())
    (count,) = r.take("<I")
    answers = []
    for _ in range(count):
        outcome, value, by_policy = r.take("<BbB")
        backend, model, prompt = r.string(), r.string(), r.string()
        (created_at,) = r.take("<d")
        error = r.string()
        answers.append(dict(outcome=OUTCOMES[outcome], value=value, by_policy=bool(by_policy), backend=backend,
                            model=model, prompt=prompt, created_at=created_at, error=error))
    return request_id, answers


def main():
    endpoint, domain, goal, captions = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    sock = zmq.Context().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    sock.send(encode_annotate(1, 10000, [(0, domain, goal, c, "") for c in captions]))
    if not sock.poll(15000):
        sys.exit("no answer from " + endpoint)
    _, answers = decode_reply(sock.recv())
    for caption, a in zip(captions, answers):
        if a["outcome"] != "labelled":
            print(f"{a['outcome']}  {caption!r}  ({a['error']})")
            continue
        label = "positive" if a["value"] == 1 else "negative"
        print(f"{label}  {caption!r}  [{a['backend']}, {a['model']}, prompt {a['prompt']}, "
              f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(a['created_at']))} UTC]")


if __name__ == "__main__":
    main()
