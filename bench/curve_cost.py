#!/usr/bin/python3
"""What the CURVE tunnel between nodes costs: the head (learner, annotator) and one env node on
loopback, with the cluster tests' config, train with cluster.curve on and off, in alternating
order; each rate is measured over 20 s once the runner acts. Prints each round and the ratio of
the means (curve / direct CAF link).

    bench/curve_cost.py build/bin/lantern [--rounds 3]
"""
import argparse
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
import cluster_test as c  # noqa: E402  (the cluster tests' processes, config and progress)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lantern")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    c.BIN, c.SRC = args.lantern, ROOT
    rates = {"true": [], "false": []}
    try:
        for rnd in range(args.rounds):
            for curve in (("true", "false") if rnd % 2 == 0 else ("false", "true")):
                cfg = c.write_config()
                addr = f"127.0.0.1:{c.free_port()}"
                run = str(c.WORK / f"run-{curve}-{rnd}")
                extra = ["--set", f"cluster.curve={curve}"]
                h = c.head(cfg, addr, run, extra=extra)
                e = c.member(f"e-{curve}-{rnd}", cfg, addr, extra=extra)
                c.runners_are(run, 1)
                time.sleep(5)
                a, t0 = c.progress(run).get("env_steps", 0), time.time()
                time.sleep(20)
                rate = (c.progress(run).get("env_steps", 0) - a) / (time.time() - t0)
                rates[curve].append(rate)
                print(f"round {rnd + 1} cluster.curve={curve}: {rate:.0f} steps/s", flush=True)
                for p in (e, h):
                    p.p.kill()
                    p.p.wait()
    finally:
        c.stop_all()
    mean = {k: sum(v) / len(v) for k, v in rates.items()}
    print(f"curve / direct = {mean['true'] / mean['false']:.2f} "
          f"({mean['true']:.0f} / {mean['false']:.0f} steps/s, {args.rounds} rounds)")


if __name__ == "__main__":
    main()
