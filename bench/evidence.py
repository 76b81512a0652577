#!/usr/bin/env python3
"""Evidence of what the intrinsic rewards do: trains every variant on each family with several
seeds at one step budget, evaluates each final policy on held-out games (`lantern eval`, a fixed
number of episodes from their start), adds a uniformly random agent on the same games, and
writes docs/results.md with the table (mean over seeds and its 95% Student-t interval) and PNG
charts (final success with intervals; success during training, mean over seeds).

The labels come from the embedded rules backend, a heuristic stand-in for an LLM: this measures
the pipeline and the method's mechanics, not an LLM's judgment.

Runs already finished (their eval.json exists) are not run again, so an interrupted job
continues where it stopped.

Usage: bench/evidence.py [--out DIR] [--seeds N] [--families main,coin,nethack,guard,noisy] [--docs DIR]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LANTERN = os.environ.get("LANTERN_BIN", os.path.join(ROOT, "build", "bin", "lantern"))

# Two-sided 95% quantiles of Student's t, by degrees of freedom.
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}

# Each family: a config, extra settings, a step budget, what eval measures, and its variants
# (name, label, settings). "none" is extrinsic-only; "reward-free" drops the extrinsic reward.
ONI = ["--set", "shaping.intrinsic_coef=0.3"]
FAMILIES = {
    "main": {
        "title": "TextWorld-style custom quests (the main job: configs/train-textworld.toml)",
        "config": "configs/train-textworld.toml",
        "sets": [],
        "metric": "success",
        "variants": [
            ("none", "extrinsic only", ["--set", "reward.model=none", "--set", "shaping.intrinsic_coef=0"]),
            ("retrieval", "ONI retrieval", ["--set", "reward.model=retrieval"]),
            ("classification", "ONI classification (default)", ["--set", "reward.model=classification"]),
            ("ranking", "ONI ranking", ["--set", "reward.model=ranking"]),
            ("bow", "bag-of-words (no LLM)", ["--set", "reward.model=bow"]),
            ("reward-free", "ONI classification, reward-free",
             ["--set", "reward.model=classification", "--set", "shaping.extrinsic_coef=0"]),
            ("classification-ext1", "ONI classification, extrinsic coef 1 (as the first release)",
             ["--set", "reward.model=classification", "--set", "shaping.extrinsic_coef=1"]),
        ],
    },
    "coin": {
        "title": "TextWorld-style coin collector (a chain of 12 rooms with dead ends)",
        "config": "configs/train-textworld.toml",
        "sets": ["--set", "env.textworld.family=coin", "--set", "env.textworld.quest_length=12",
                 "--set", "env.textworld.dead_ends=true", "--set", "env.textworld.max_steps=100",
                 "--set", "train.goal_text=walk to the far room and take the gold coin"],
        "metric": "success",
        "variants": [
            ("none", "extrinsic only", ["--set", "reward.model=none", "--set", "shaping.intrinsic_coef=0"]),
            ("retrieval", "ONI retrieval", ["--set", "reward.model=retrieval"]),
            ("classification", "ONI classification (default)", ["--set", "reward.model=classification"]),
            ("ranking", "ONI ranking", ["--set", "reward.model=ranking"]),
            ("reward-free", "ONI classification, reward-free",
             ["--set", "reward.model=classification", "--set", "shaping.extrinsic_coef=0"]),
        ],
    },
    "nethack": {
        "title": "NetHack Score (real NetHack 3.6.6; configs/train-nethack-score.toml)",
        "config": "configs/train-nethack-score.toml",
        "sets": [],
        "metric": "score",
        "episodes": 50,  # an episode is hundreds of steps of a real game
        "variants": [
            ("none", "extrinsic only", ["--set", "reward.model=none", "--set", "shaping.intrinsic_coef=0"]),
            ("retrieval", "ONI retrieval (default)", ["--set", "reward.model=retrieval"]),
            ("classification", "ONI classification", ["--set", "reward.model=classification"]),
            ("reward-free", "ONI retrieval, reward-free",
             ["--set", "reward.model=retrieval", "--set", "shaping.extrinsic_coef=0"]),
        ],
    },
    # Beyond ONI (docs/learners.md): the reward-hacking guard on a reward that pays for busywork.
    "guard": {
        "title": "Reward hacking: a rules file that also pays for dropping things (main job, count scaling off)",
        "config": "configs/train-textworld.toml",
        "sets": ["--set", "annotator.rules_file=" + os.path.join(ROOT, "bench", "rules-take-drop.toml"),
                 "--set", "shaping.beta=0", "--set", "reward.drift_seconds=1"],
        "progress": 1,
        "metric": "success",
        "intrinsic": True,
        "variants": [
            ("none", "extrinsic only", ["--set", "reward.model=none", "--set", "shaping.intrinsic_coef=0"]),
            ("hackable", "pays take and drop, no guard", ["--set", "shaping.guard=none"]),
            ("clip", "pays take and drop, guard clip", ["--set", "shaping.guard=clip"]),
            ("delta", "pays take and drop, guard delta", ["--set", "shaping.guard=delta"]),
            ("honest", "Lantern's rules, count scaling, no guard",
             ["--set", "annotator.rules_file=", "--set", "shaping.beta=3", "--set", "shaping.guard=none"]),
            ("honest-delta", "Lantern's rules, count scaling, guard delta",
             ["--set", "annotator.rules_file=", "--set", "shaping.beta=3", "--set", "shaping.guard=delta"]),
        ],
    },
    # Beyond ONI: reward-model ensembles against labels an annotator gets wrong (a fixed share of
    # the rules' labels flipped, the same captions every time).
    "noisy": {
        "title": "Noisy labels: a share of the annotator's labels flipped (the main job)",
        "config": "configs/train-textworld.toml",
        "sets": ["--set", "reward.drift_seconds=1"],
        "progress": 1,
        "metric": "success",
        "drift": ["classification-0", "ensemble-0"],
        "variants": [
            ("none", "extrinsic only", ["--set", "reward.model=none", "--set", "shaping.intrinsic_coef=0"]),
            ("classification-0", "classification, clean labels", ["--set", "reward.model=classification"]),
            ("ensemble-0", "ensemble, clean labels", ["--set", "reward.model=ensemble"]),
            ("classification-20", "classification, 20% flipped",
             ["--set", "reward.model=classification", "--set", "annotator.flip_fraction=0.2"]),
            ("ensemble-20", "ensemble, 20% flipped",
             ["--set", "reward.model=ensemble", "--set", "annotator.flip_fraction=0.2"]),
            ("classification-40", "classification, 40% flipped",
             ["--set", "reward.model=classification", "--set", "annotator.flip_fraction=0.4"]),
            ("ensemble-40", "ensemble, 40% flipped",
             ["--set", "reward.model=ensemble", "--set", "annotator.flip_fraction=0.4"]),
        ],
    },
}


def ci(values):
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, T95.get(n - 1, 1.96) * sd / math.sqrt(n)


def run(cmd, log):
    with open(log, "w") as f:
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode


def train_and_eval(family, spec, name, sets, seed, out, steps, episodes):
    episodes = spec.get("episodes", episodes)
    d = os.path.join(out, family, f"{name}-{seed}")
    result = os.path.join(d, "eval.json")
    if os.path.exists(result):
        return json.load(open(result))
    os.makedirs(d, exist_ok=True)
    env = dict(os.environ, HOME=os.path.join(out, "home", family, f"{name}-{seed}"))  # a label store per run
    cmd = [LANTERN, "train", "--config", os.path.join(ROOT, spec["config"]), "--run-dir", os.path.join(d, "run"),
           "--set", f"train.seed={seed}", "--set", f"policy.seed={seed}", "--set", f"reward.seed={seed}",
           "--set", f"train.progress_seconds={spec.get('progress', 5)}"] + spec["sets"] + sets
    if steps:
        cmd += ["--steps", str(steps)]
    started = time.time()
    with open(os.path.join(d, "train.log"), "w") as f:
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env).returncode
    if rc != 0:
        sys.exit(f"evidence: training {family}/{name} seed {seed} failed (exit {rc}); see {d}/train.log")
    ev = subprocess.run([LANTERN, "eval", "--run-dir", os.path.join(d, "run"), "--episodes", str(episodes), "--json"],
                        capture_output=True, text=True)
    if ev.returncode != 0:
        sys.exit(f"evidence: eval of {family}/{name} seed {seed} failed: {ev.stderr}")
    r = json.loads(ev.stdout)
    r["train_seconds"] = time.time() - started
    r["summary"] = json.load(open(os.path.join(d, "run", "summary.json")))
    json.dump(r, open(result, "w"), indent=1)
    print(f"  {family}/{name} seed {seed}: success {100 * r['success']:.1f}%, score {r['score']:.2f}, "
          f"{r['train_seconds']:.0f} s", flush=True)
    return r


def random_baseline(family, out, seed, episodes):
    episodes = FAMILIES[family].get("episodes", episodes)
    d = os.path.join(out, family, f"random-{seed}")
    result = os.path.join(d, "eval.json")
    if os.path.exists(result):
        return json.load(open(result))
    os.makedirs(d, exist_ok=True)
    run_dir = os.path.join(out, family, f"none-{seed}", "run")  # its config: the same env, the same games
    ev = subprocess.run([LANTERN, "eval", "--run-dir", run_dir, "--agent", "random", "--episodes", str(episodes),
                         "--json"], capture_output=True, text=True)
    if ev.returncode != 0:
        sys.exit(f"evidence: random agent on {family} failed: {ev.stderr}")
    r = json.loads(ev.stdout)
    json.dump(r, open(result, "w"), indent=1)
    return r


def curves(family, name, seeds, out, keys=("success_rate", "mean_return")):
    """Two progress keys during training, averaged over seeds at common step marks (a value that
    is missing, such as drift before its second measurement, is left out of the mean)."""
    series = []
    for seed in seeds:
        path = os.path.join(out, family, f"{name}-{seed}", "run", "metrics.jsonl")
        if not os.path.exists(path):
            continue
        pts = [json.loads(l) for l in open(path) if l.strip()]
        series.append([(p["env_steps"], p.get(keys[0]), p.get(keys[1])) for p in pts])
    if not series:
        return []
    end = min(s[-1][0] for s in series)
    marks = [end * k / 40 for k in range(1, 41)]
    rows = []
    for m in marks:
        vals = []
        for s in series:
            before = [p for p in s if p[0] <= m]
            if before:
                vals.append(before[-1])
        a = [v[1] for v in vals if v[1] is not None]
        b = [v[2] for v in vals if v[2] is not None]
        if a and b:
            rows.append((m, sum(a) / len(a), sum(b) / len(b)))
    return rows


def plot(family, spec, rows, curve_data, docs):
    metric = spec["metric"]
    bars = os.path.join(docs, f"{family}-final.dat")
    with open(bars, "w") as f:
        for i, (label, mean, half) in enumerate(rows):
            f.write(f'{i} "{label}" {mean:.4f} {half:.4f}\n')
    ylabel = "success on held-out games (%)" if metric == "success" else "mean in-game score"
    scale = 100 if metric == "success" else 1
    script = f"""
set terminal pngcairo size 1100,600 font 'sans,10'
set output '{docs}/{family}-final.png'
set title "{spec['title']}: after training (mean over seeds, 95% CI)"
set style fill solid 0.6 border -1
set boxwidth 0.6
set ylabel '{ylabel}'
set yrange [0:*]
set grid ytics
set xtics rotate by 25 right
set bmargin 12
set lmargin 14
plot '{bars}' using 1:($3*{scale}):xtic(2) with boxes notitle lc rgb '#4c72b0', \\
     '' using 1:($3*{scale}):($4*{scale}) with yerrorbars notitle lc rgb 'black' pt 0
"""
    lines = []
    for name, label, data in curve_data:
        if not data:
            continue
        path = os.path.join(docs, f"{family}-{name}-curve.dat")
        with open(path, "w") as f:
            for m, s, r in data:
                f.write(f"{m} {s * 100:.3f} {r:.4f}\n")
        col = 2 if metric == "success" else 3
        title = label.replace("'", "''")  # gnuplot's single-quoted strings double a quote
        lines.append(f"'{path}' using 1:{col} with lines lw 2 title '{title}'")
    if lines:
        script += f"""
set output '{docs}/{family}-curves.png'
set title "{spec['title']}: during training (last 100 episodes, mean over seeds)"
set xlabel 'environment steps'
set ylabel '{"training success (%)" if metric == "success" else "training return"}'
set xtics norotate
unset bmargin
unset lmargin
set autoscale xfixmax
set key inside right center opaque box
set yrange [*:*]
plot {', '.join(lines)}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    for name, _, _ in curve_data:
        p = os.path.join(docs, f"{family}-{name}-curve.dat")
        if os.path.exists(p):
            os.remove(p)
    os.remove(bars)


def extra_plot(family, spec, series, docs, what, ylabel, y2label=None):
    """A chart of other progress keys during training: series = [(label, [(steps, y, y2)])]."""
    lines = []
    for i, (label, data) in enumerate(series):
        if not data:
            continue
        path = os.path.join(docs, f"{family}-{what}-{i}.dat")
        with open(path, "w") as f:
            for m, a, b in data:
                f.write(f"{m} {a:.5f} {b:.5f}\n")
        title = label.replace("'", "''")
        lines.append(f"'{path}' using 1:2 with lines lw 2 title '{title}'")
        if y2label:
            lines.append(f"'{path}' using 1:3 axes x1y2 with lines lw 1 dt 2 title '{title}: {y2label}'")
    if not lines:
        return
    script = f"""
set terminal pngcairo size 1100,600 font 'sans,10'
set output '{docs}/{family}-{what}.png'
set title "{spec['title']}: {ylabel} during training (mean over seeds)"
set xlabel 'environment steps'
set ylabel '{ylabel}'
set grid
set key below
"""
    if y2label:
        script += f"set y2label '{y2label}'\nset y2tics\nset ytics nomirror\n"
    script += f"plot {', '.join(lines)}\n"
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    for i in range(len(series)):
        p = os.path.join(docs, f"{family}-{what}-{i}.dat")
        if os.path.exists(p):
            os.remove(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "runs", "evidence"))
    ap.add_argument("--docs", default=os.path.join(ROOT, "docs"))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--families", default="main,coin,nethack")
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--nethack-steps", type=int, default=60000)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting for every run (repeatable), e.g. annotator.rules_file=... of a snapshot")
    args = ap.parse_args()
    seeds = list(range(1, args.seeds + 1))
    charts = os.path.join(args.docs, "results")
    os.makedirs(charts, exist_ok=True)
    sections = []
    for family in args.families.split(","):
        spec = FAMILIES[family]
        steps = args.nethack_steps if family == "nethack" else None
        print(f"{family}: {spec['title']}", flush=True)
        results = {}
        extra = [x for kv in args.set for x in ("--set", kv)]
        for name, label, sets in spec["variants"]:
            results[name] = [train_and_eval(family, spec, name, sets + extra, s, args.out, steps, args.episodes)
                             for s in seeds]
        results["random"] = [random_baseline(family, args.out, s, args.episodes) for s in seeds]
        metric = spec["metric"]
        labels = [("random", "random agent")] + [(n, l) for n, l, _ in spec["variants"]]
        rows, table = [], []
        base = ci([r[metric] for r in results["none"]])[0]
        for name, label in labels:
            vals = [r[metric] for r in results[name]]
            mean, half = ci(vals)
            rets = ci([r["return"] for r in results[name]])
            secs = [r.get("train_seconds", 0) for r in results[name]]
            rows.append((label, mean, half))
            ratio = f"{mean / base:.1f}x" if base > 0 and name not in ("none", "random") else "–"
            if metric == "success":
                cell = f"{100 * mean:.1f}% ± {100 * half:.1f}"
                per_seed = ", ".join(f"{100 * v:.0f}" for v in vals)
            else:
                cell = f"{mean:.1f} ± {half:.1f}"
                per_seed = ", ".join(f"{v:.0f}" for v in vals)
            intrinsic = ""
            if spec.get("intrinsic"):
                ir = ci([r["summary"].get("intrinsic_return", 0.0) for r in results[name] if "summary" in r])
                intrinsic = f" {ir[0]:.2f} ± {ir[1]:.2f} |" if name != "random" else " – |"
            table.append(f"| {label} | {cell} | {ratio} | {rets[0]:.3f} ± {rets[1]:.3f} |{intrinsic} {per_seed} | "
                         f"{(sum(secs) / len(secs)) if secs and secs[0] else 0:.0f} |")
        curve_data = [(n, l, curves(family, n, seeds, args.out)) for n, l, _ in spec["variants"]]
        plot(family, spec, rows, curve_data, charts)
        figures = []
        if spec.get("intrinsic"):
            extra_plot(family, spec, [(l, curves(family, n, seeds, args.out, ("intrinsic_return", "success_rate")))
                                      for n, l, _ in spec["variants"] if n != "none"],
                       charts, "intrinsic", "intrinsic return per episode")
            figures.append(f"![intrinsic]({os.path.relpath(charts, args.docs)}/{family}-intrinsic.png)")
        if spec.get("drift"):
            label_of = {n: l for n, l, _ in spec["variants"]}
            extra_plot(family, spec, [(label_of[n], curves(family, n, seeds, args.out, ("reward_drift", "labels_received")))
                                      for n in spec["drift"]],
                       charts, "drift", "reward drift between snapshots", "labels received")
            figures.append(f"![drift]({os.path.relpath(charts, args.docs)}/{family}-drift.png)")
        budget = steps or json.load(open(os.path.join(args.out, family, "none-1", "run", "summary.json")))["env_steps"]
        head = "success" if metric == "success" else "mean score"
        sections.append("\n".join([
            f"## {spec['title']}", "",
            f"{len(seeds)} seeds per row, {budget:,} environment steps per run, {spec.get('episodes', args.episodes)} evaluation "
            f"episodes per seed on games the run never trained on (`lantern eval`: a fixed number of episodes, each "
            f"from its start; sampled actions). ± is the 95% Student-t interval over seeds.", "",
            f"| variant | {head} (mean ± 95% CI) | vs extrinsic only | return |"
            + (" intrinsic per episode (end of training) |" if spec.get("intrinsic") else "") + " per seed | train s |",
            "|---|---|---|---|" + ("---|" if spec.get("intrinsic") else "") + "---|---|", *table, "",
            f"![final]({os.path.relpath(charts, args.docs)}/{family}-final.png)", "",
            f"![curves]({os.path.relpath(charts, args.docs)}/{family}-curves.png)", "",
            *[x for f in figures for x in (f, "")]]))
    with open(os.path.join(args.out, "sections.md"), "w") as f:
        f.write("\n".join(sections))
    print(f"evidence: tables in {args.out}/sections.md, charts in {charts}")


if __name__ == "__main__":
    main()
