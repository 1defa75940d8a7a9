#!/usr/bin/python3
"""The tuning rules of the C-GAIL study (docs/studies/cgail-protocol.md,
"Tuning"), applied to the tuning sweeps' run files.

    /usr/bin/python3 plots/cgail_tune.py RUN.h5... [--tie 0.02] [--md FILE]

Runs are sorted by their group name: a group ending in `-kX` is C-GAIL at
gain X, one ending in `-clcX` is the control at strength X, any other (the
plain `gail` or `dac` arm) is the baseline, shown for reference only.

- **K\\***: each run's score is its tail normalised return (the mean of the
  last quarter of `eval_normalised_return`, the report's `--metric tail`;
  a diverged run scores as in the report: its last evaluation before the
  divergence, 0 without a finite evaluation).  Per gain, the interquartile mean of its
  runs' scores (all tasks pooled).  K\\* is the smallest gain whose IQM is
  within `--tie` (0.02) of the best IQM: a gain that does no better than a
  milder one by more than the tie loses to it.
- **L\\***: each run's hold on D is the mean of the last quarter of its
  `d_expert` and `d_policy` series (the /summary `tail_d_expert`,
  `tail_d_policy` of `governor analyze`, finite points only).  d(K\\*) is the
  mean of those over the runs at K\\*.  L\\* is the strength whose mean over
  its runs of |d_expert - d_expert(K\\*)| + |d_policy - d_policy(K\\*)| is
  smallest.
  Also printed, the protocol's deviation 1: the same distance with each
  run measured against d(K\\*) on its own task ("L\\* task by task").

Unfinished (running, stopped, failed) runs are listed and not used.  The
rule is applied only when every gain (and, for L*, every strength) has all
its runs finished and evaluated, each with as many runs per task as every
other, and, when the grid is given (--gains, --strengths, --runs N), every
value of it has its N runs; otherwise the tables are printed with
"none (why)" and no choice.  Prints Markdown; exit 0, 2 on bad input.

    the C-GAIL protocol on-policy:
    plots/cgail_tune.py --gains 0.3,1,3,10,30 --strengths 0.03,0.1,0.3,1,3 --runs 6 RUN.h5...
"""

import argparse
import math
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402
import rlstats  # noqa: E402
import runfile  # noqa: E402

FINISHED = report.SCORED  # the runs a report scores
GAIN = re.compile(r"(?:^|-)k([0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?)(?=$|-)")
STRENGTH = re.compile(r"(?:^|-)clc([0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?)(?=$|-)")


class TuneRun:
    def __init__(self, run):
        self.run = run
        self.path = run.path
        self.status = run.status
        self.task = report.task_of(run)
        group = re.sub(r"(^|-)(game\.)?env=[^-]*", "", run.group or run.name)
        m, c = GAIN.search(group), STRENGTH.search(group)
        self.role = "gain" if m else "strength" if c else "baseline"
        self.value = float(m.group(1)) if m else float(c.group(1)) if c else None
        self.label = ("k%s" % m.group(1)) if m else ("clc%s" % c.group(1)) if c else \
            (group.rsplit("-", 1)[-1] if "-" in group else group)
        # the report's tail score (--metric tail): None unless finished, a
        # diverged run's last evaluation before the divergence
        self.score = report.Scored(run, "tail", 0.95).score
        self.d_expert = report.tail_mean(run.series.get("d_expert"))
        self.d_policy = report.tail_mean(run.series.get("d_policy"))


def by_value(runs, role):
    out = {}
    for r in runs:
        if r.role == role:
            out.setdefault(r.value, []).append(r)
    return dict(sorted(out.items()))


def fmt(x, nd=3):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else "%.*f" % (nd, x)


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def complete(groups, expect=None, runs=None):
    """None when the rule may be applied to groups ({value: runs}), else why
    not: a value of `expect` without runs, an unfinished run, a finished run
    without the numbers the rule reads, or values (or their tasks) with
    different numbers of runs, or other than `runs`."""
    if not groups:
        return "no runs"
    missing = sorted(set(expect or ()) - set(groups))
    if missing:
        return "no runs yet of %s" % ", ".join("%g" % v for v in missing)
    for v, rs in groups.items():
        left = [r for r in rs if r.status not in FINISHED]
        if left:
            return "%g has %d of %d runs unfinished" % (v, len(left), len(rs))
        bad = [r for r in rs if r.score is None or math.isnan(r.score)]
        if bad:
            return "%g: %s has no evaluations" % (v, os.path.basename(bad[0].path))
    cells = {v: sorted((t, sum(r.task == t for r in rs)) for t in {r.task for r in rs})
             for v, rs in groups.items()}
    if len({tuple(c) for c in cells.values()}) != 1:
        return "the values have different runs per task: " + "; ".join(
            "%g: %s" % (v, ", ".join("%s %d" % tc for tc in c)) for v, c in cells.items())
    n = len(next(iter(groups.values())))
    if runs is not None and n != runs:
        return "%d runs per value, the protocol has %d" % (n, runs)
    return None


def select_gain(gains, tie, expect=None, runs=None):
    """(K*, {k: iqm}, why) by the protocol's rule; K* None (why says why)
    when the rule can not be applied yet."""
    iqms = {}
    for k, rs in gains.items():
        s = [r.score for r in rs if r.score is not None and not math.isnan(r.score)]
        iqms[k] = rlstats.iqm(np.asarray(s)) if s else float("nan")
    why = complete(gains, expect, runs)
    if why:
        return None, iqms, why
    best = max(iqms.values())
    return min(k for k, v in iqms.items() if v >= best - tie), iqms, None


def hold(rs):
    """Mean tail d_expert and d_policy over the finished runs of rs."""
    rs = [r for r in rs if r.status in FINISHED]
    de = [r.d_expert for r in rs if not math.isnan(r.d_expert)]
    dp = [r.d_policy for r in rs if not math.isnan(r.d_policy)]
    return (float(np.mean(de)) if de else float("nan"),
            float(np.mean(dp)) if dp else float("nan"))


def select_strength(strengths, target, expect=None, runs=None):
    """(L*, {lambda: mean distance}, why) to the hold target (d_expert,
    d_policy)."""
    dist = {}
    for lam, rs in strengths.items():
        d = [abs(r.d_expert - target[0]) + abs(r.d_policy - target[1]) for r in rs
             if r.status in FINISHED]
        d = [x for x in d if not math.isnan(x)]
        dist[lam] = float(np.mean(d)) if d else float("nan")
    why = complete(strengths, expect, runs)
    if not why and any(math.isnan(v) for v in target):
        why = "C-GAIL's runs at K* have no d_expert or d_policy series"
    if not why and any(math.isnan(v) for v in dist.values()):
        why = "a strength's runs have no d_expert or d_policy series"
    if why:
        return None, dist, why
    return min(dist, key=lambda lam: (dist[lam], lam)), dist, None


def select_strength_by_task(strengths, kruns, expect=None, runs=None):
    """Deviation 1's reading of the L* rule: (lambda, {lambda: mean
    distance}, why) with each run measured against C-GAIL's hold at K* on
    the run's own task, not the hold pooled over tasks."""
    targets = {t: hold([r for r in kruns if r.task == t]) for t in {r.task for r in kruns}}
    dist = {}
    for lam, rs in strengths.items():
        d = [abs(r.d_expert - targets[r.task][0]) + abs(r.d_policy - targets[r.task][1])
             for r in rs if r.status in FINISHED and r.task in targets]
        d = [x for x in d if not math.isnan(x)]
        dist[lam] = float(np.mean(d)) if d else float("nan")
    why = complete(strengths, expect, runs)
    if not why and any(math.isnan(v) for v in dist.values()):
        why = "a strength's runs have no d_expert or d_policy series, or no C-GAIL run at " \
              "K* on their task"
    if why:
        return None, dist, why
    return min(dist, key=lambda lam: (dist[lam], lam)), dist, None


def values(text):
    """'0.3,1,3' -> [0.3, 1.0, 3.0]"""
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("expected numbers separated by commas: %r" % text)


def number(x, why):
    return ("%g" % x) if x is not None else "none (%s)" % why


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", metavar="RUN.h5")
    ap.add_argument("--tie", type=float, default=0.02)
    ap.add_argument("--md", metavar="FILE", help="also write the Markdown to FILE")
    ap.add_argument("--gains", type=values, default=None,
                    help="the grid of gains: no choice until each has its runs")
    ap.add_argument("--strengths", type=values, default=None,
                    help="the grid of strengths, likewise")
    ap.add_argument("--runs", type=int, default=None, dest="per_value",
                    help="finished runs each value of the grids must have")
    try:
        a = ap.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    runs = []
    runfile.probe_all([p for p in a.runs if os.path.isfile(p)])  # one child for all
    for p in a.runs:
        try:
            runs.append(TuneRun(runfile.load(p)))
        except (OSError, KeyError, ValueError, runfile.BadInput) as exc:
            sys.stderr.write("cgail_tune: %s: not a readable run file (%s)\n" % (p, exc))
            return 2
    gains, strengths = by_value(runs, "gain"), by_value(runs, "strength")
    if not gains:
        sys.stderr.write("cgail_tune: no run of a C-GAIL gain (a group ending in -kX) among "
                         "the %d files\n" % len(runs))
        return 2
    tasks = sorted({r.task for r in runs})
    out = []
    kstar, iqms, kwhy = select_gain(gains, a.tie, a.gains, a.per_value)
    out.append("### C-GAIL's gain: tail normalised return per run, IQM per gain\n")
    rows = []
    for k, rs in gains.items():
        per = []
        for t in tasks:
            v = [fmt(r.score, 2) for r in sorted(rs, key=lambda r: r.run.seed or 0)
                 if r.task == t and r.score is not None]
            per.append(", ".join(v) or "-")
        fin = sum(r.status in FINISHED for r in rs)
        # of the grid's runs when it is given: a run not started has no file
        rows.append(["k%g" % k] + per + ["%d of %d" % (fin, max(len(rs), a.per_value or 0)),
                                         fmt(iqms[k]),
                                         "**K\\***" if k == kstar else ""])
    base = [r for r in runs if r.role == "baseline"]
    for lab in sorted({r.label for r in base}):
        rs = [r for r in base if r.label == lab]
        per = [", ".join(fmt(r.score, 2) for r in sorted(rs, key=lambda r: r.run.seed or 0)
                         if r.task == t and r.score is not None) or "-" for t in tasks]
        s = [r.score for r in rs if r.score is not None and not math.isnan(r.score)]
        rows.append([lab + " (reference)"] + per + ["%d of %d" % (
            sum(r.status in FINISHED for r in rs), len(rs)), fmt(
            rlstats.iqm(np.asarray(s)) if s else float("nan")), ""])
    out.append(table(["arm"] + ["%s (by seed)" % t for t in tasks] + ["finished runs", "IQM", ""], rows))
    out.append("\nK\\* = %s (rule: the smallest gain within %g of the best IQM)\n"
               % (number(kstar, kwhy), a.tie))
    if strengths or a.strengths:
        target = hold(gains[kstar]) if kstar is not None else (float("nan"), float("nan"))
        none = (None, {lam: float("nan") for lam in strengths}, "no K* yet")
        lstar, dist, lwhy = select_strength(strengths, target, a.strengths, a.per_value) \
            if kstar is not None else none
        ltask, dtask, twhy = select_strength_by_task(strengths, gains[kstar], a.strengths,
                                                     a.per_value) \
            if kstar is not None else none
        out.append("### The control's strength: hold on D, last-quarter means\n")
        rows = []
        if kstar is not None:
            rows.append(["k%g (C-GAIL at K\\*)" % kstar, fmt(target[0]), fmt(target[1]), "", "",
                         ""])
        for lam, rs in strengths.items():
            de, dp = hold(rs)
            rows.append(["clc%g" % lam, fmt(de), fmt(dp), fmt(dist[lam]),
                         "**L\\***" if lam == lstar else "", fmt(dtask[lam]) +
                         (" (the least)" if lam == ltask else "")])
        for lab in sorted({r.label for r in base}):
            de, dp = hold([r for r in base if r.label == lab])
            rows.append([lab + " (reference)", fmt(de), fmt(dp), "", "", ""])
        out.append(table(["arm", "d_expert", "d_policy",
                          "distance to C-GAIL's hold (mean over runs)", "",
                          "the same, task by task (deviation 1)"],
                         rows))
        out.append("\nL\\* = %s (rule: the smallest mean over its runs of |d_expert - d_expert(K\\*)| + "
                   "|d_policy - d_policy(K\\*)|, d(K\\*) the mean over C-GAIL's runs at K\\*)\n"
                   % number(lstar, lwhy))
        out.append("L\\* task by task = %s (deviation 1: each run against C-GAIL's hold at K\\* "
                   "on its own task; where it differs from L\\*, the block gets a secondary "
                   "arm control-task at this strength)\n" % number(ltask, twhy))
    left = [r for r in runs if r.status not in FINISHED]
    if left:
        out.append("Not finished, not used: " + ", ".join(
            "%s (%s)" % (os.path.basename(r.path), r.status or "no status") for r in left))
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if a.md:
        with open(a.md, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
