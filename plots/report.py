#!/usr/bin/python3
"""A study's report from its run files: Markdown tables, PNG figures and one
self-contained HTML page (docs/report.md).

    /usr/bin/python3 plots/report.py RUN.h5... --out DIR [--baseline ARM]
        [--metric final|tail|auc] [--threshold 0.95] [--reps N] [--seed S]
        [--noise FROZEN.h5...] [--title TEXT]
    (or: governor report RUN.h5... --out DIR ...)

Runs are grouped by task (the run's environment: /summary `env`, else the
`game.env` axis) and arm (the run's group with the task removed).  Scores
are normalised returns, (R - R_random) / (R_expert - R_random), of the
deterministic evaluations: `final` the last evaluation, `tail` the mean of
the last quarter of them, `auc` the mean of all of them (the area under the
learning curve, which rewards getting there sooner).  What counts (docs/report.md):

- completed runs: their score;
- diverged runs: the score of their last evaluation before they diverged
  (0, the random policy's level, if none), held over the rest of the run's
  budget for `auc`; their oscillation range and state distance are
  unbounded, the worst there is: divergence is an outcome of the method,
  not missing data;
- failed, interrupted, preempted and still-running runs: not scored; counted and listed.

Statistics (plots/rlstats.py): interquartile mean with stratified-bootstrap
95% intervals per task and over tasks, probability of improvement of each
arm over the baseline, paired per-seed differences where both arms share
seeds, the same where lower is better (the oscillation range, the sliced W1
distance of states to the expert's: P(arm lower than baseline)),
performance profiles, steps to `threshold` of the expert's level
(environment steps and gradient steps; median with an interval, runs that
never got there counted as never), and the oscillation range of the last
quarter of the evaluation curve next to the evaluation-noise floor measured
on frozen policies (--noise: the files `governor evaluate` writes, whose
evaluations all score one frozen policy).

Exit 0 on success, 2 on bad input.
"""

import argparse
import base64
import hashlib
import html
import math
import os
import re
import sys
import tempfile
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rlstats  # noqa: E402
import runfile  # noqa: E402

# `governor report` sets GV_PROG, so that its usage and errors name it
PROG = os.environ.get("GV_PROG") or "report"

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as exc:
    sys.stderr.write("%s: %s (run with /usr/bin/python3)\n" % (PROG, exc))
    sys.exit(2)

SCORED = ("completed", "diverged")
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442"]


# ------------------------------------------------------------------ runs


def tail_mean(series):
    """The mean of the last quarter (at least one point) of a series' finite
    values, NaN without any: the tail_* figures of `governor analyze`."""
    if series is None:
        return float("nan")
    v = series.value[np.isfinite(series.value)]
    return float(np.mean(v[-max(1, v.size // 4):])) if v.size else float("nan")


def planned_evals(run):
    """How many evaluations the run's budget holds (run.steps // run.eval_every
    of its config), None when its config does not say."""
    num = r"([0-9.]+(?:[eE][+-]?[0-9]+)?)\s*$"  # as written: 300000, 3e5, 2.5e4
    m_steps = re.search(r"^run:\s*\n(?:[ \t]+.*\n)*?[ \t]+steps:\s*" + num, run.config or "",
                        re.M)
    m_every = re.search(r"^run:\s*\n(?:[ \t]+.*\n)*?[ \t]+eval_every:\s*" + num,
                        run.config or "", re.M)
    try:
        steps, every = float(m_steps.group(1)), float(m_every.group(1))
    except (AttributeError, ValueError):
        return None
    if not (math.isfinite(steps) and math.isfinite(every)) or every < 1 or steps < 1:
        return None
    return max(1, int(steps) // int(every))


def run_note(run):
    """What a reader of the provenance table should know about a run: why it
    failed (its last /log line saying so), and resumes (by another build: --force)."""
    out = []
    if run.status == "failed" and run.log:
        why = [l for l in run.log if "failed" in l] or run.log
        out.append(why[-1][:160])
    n = sum(1 for l in run.log if l.startswith("resumed at step"))
    if n:
        out.append("resumed %d time%s" % (n, "" if n == 1 else "s"))
    if any("resumed with --force" in l and "written by governor" in l for l in run.log):
        out.append("resumed by another build (--force)")
    if any("resumed with --force" in l and "OpenBLAS kernel" in l for l in run.log):
        out.append("resumed under another OpenBLAS kernel (--force)")
    return "; ".join(out)


def score_note(s):
    """run_note, and why a run that could be scored was not."""
    note = run_note(s.run)
    if s.score is None and s.status in SCORED:
        note = "; ".join(x for x in ("not scored: no finite evaluation", note) if x)
    return note


def task_of(run):
    env = runfile.as_str(run.summary.get("env"))
    if env:
        return env
    for k, v in run.axes.items():
        if k.endswith("env"):
            return v
    m = re.search(r"env:\s*([A-Za-z0-9_]+)", run.config or "")
    return m.group(1) if m else "(task)"


def arm_of(run, task):
    g = run.group or run.name
    g = re.sub(r"(^|[-_])(game\.)?env=?" + re.escape(task) + r"(?=$|[-_])", "", g)
    g = re.sub(r"(^|[-_])" + re.escape(task) + r"(?=$|[-_])", "", g)
    return g.strip("-_") or "(arm)"


class Scored:
    """One run's numbers for the report."""

    def __init__(self, run, metric, threshold):
        self.run = run
        self.task = task_of(run)
        self.arm = arm_of(run, self.task)
        self.seed = run.seed
        self.status = run.status
        ev = run.series.get("eval_normalised_return")
        self.steps = ev.step if ev is not None else np.empty(0)
        self.curve = ev.value if ev is not None else np.empty(0)
        diverged = self.status == "diverged"
        # a non-finite evaluation is no score: left out (a diverged run's
        # last points; in a completed run it would sort as the best score)
        if self.curve.size:
            ok = np.isfinite(self.curve)
            self.steps, self.curve = self.steps[ok], self.curve[ok]
        self.score = None
        if self.status in SCORED:
            if self.curve.size == 0:
                self.score = 0.0 if diverged else None
            elif diverged and metric == "auc":
                # the last evaluation held over the rest of the budget
                n = max(planned_evals(run) or self.curve.size, self.curve.size)
                self.score = float((np.sum(self.curve) + (n - self.curve.size) *
                                    self.curve[-1]) / n)
            elif diverged:
                self.score = float(self.curve[-1])
            elif metric == "tail":
                q = max(1, self.curve.size // 4)
                self.score = float(np.mean(self.curve[-q:]))
            elif metric == "auc":
                self.score = float(np.mean(self.curve))
            else:
                self.score = float(self.curve[-1])
        up = run.series.get("updates")
        self.reach_env = rlstats.first_reach(self.steps, self.curve, threshold)
        # gradient steps: the `updates` series (DAC, TD3); runs without it
        # (GAIL on PPO, a fixed number of gradient steps per rollout) have none
        self.has_updates = up is not None and up.step.size > 0
        self.reach_grad = float("inf") if self.has_updates else float("nan")
        if math.isfinite(self.reach_env) and self.has_updates:
            self.reach_grad = float(np.interp(self.reach_env, up.step, up.value))
        q = max(2, self.curve.size // 4)
        self.osc = rlstats.oscillation_range(self.curve[-q:]) if self.curve.size >= 2 and \
            self.status in SCORED else float("nan")
        self.osc_points = min(q, self.curve.size)
        # the mean of the last quarter of the sliced W1 of states (the
        # /summary tail_swd_states of `governor analyze`)
        self.swd = tail_mean(run.series.get("swd_states")) if self.status in SCORED \
            else float("nan")
        if diverged:
            # a run that blew up neither settled nor stayed near the expert:
            # the worst value of both, whatever its curve did before
            self.osc = self.swd = float("inf")
        cfg = run.config or ""
        self.config_hash = hashlib.sha256(cfg.encode()).hexdigest()[:12]


def strip_common_prefix(scored):
    """Arms of one sweep share its name: `cmp-gail`, `cmp-cgail` -> `gail`,
    `cgail` (cut at a '-' so that no arm is left empty)."""
    names = sorted({s.arm for s in scored})
    if len(names) < 2:
        return
    pre = os.path.commonprefix(names)
    cut = pre.rfind("-") + 1
    if cut <= 0 or any(len(n) <= cut for n in names):
        return
    for s in scored:
        s.arm = s.arm[cut:]


# Measures where lower is better (C2 and C3 of docs/studies/cgail-protocol.md):
# (attribute of Scored, label).  The score itself is higher-is-better.
LOWER = [("osc", "oscillation range (last quarter of the evaluations)"),
         ("swd", "sliced W1 of states to the expert's (last-quarter mean of swd_states)")]


def measure(scored, task, arm, attr):
    """The scored runs of (task, arm) with a value of attr: finite, or
    unbounded for a diverged run (the worst, where lower is better)."""
    out = []
    for s in scored:
        v = getattr(s, attr)
        if s.task == task and s.arm == arm and v is not None and s.status in SCORED and \
                (math.isfinite(v) or (s.status == "diverged" and v == math.inf)):
            out.append(s)
    return out


def compare(scored, tasks, arm, base, attr, lower, reps, seed):
    """P(arm better than base) on attr over tasks ((p, lo, hi), None when a
    task lacks runs of either arm), the paired mean difference arm - base
    over the seeds both have, as text, and the verdict (rlstats.verdict)."""
    xs = [measure(scored, u, arm, attr) for u in tasks]
    ys = [measure(scored, u, base, attr) for u in tasks]
    if not all(xs) or not all(ys):
        return None, "n/a", "n/a"
    p = rlstats.prob_improvement([[getattr(s, attr) for s in x] for x in xs],
                                 [[getattr(s, attr) for s in y] for y in ys], reps=reps,
                                 seed=seed, lower_is_better=lower)
    pairs_x, pairs_y, unbounded = [], [], 0
    for x, y in zip(xs, ys):
        xa = {s.seed: getattr(s, attr) for s in x}
        yb = {s.seed: getattr(s, attr) for s in y}
        common = sorted(set(xa) & set(yb))
        # a pair with a diverged run's unbounded value has no finite difference
        unbounded += sum(1 for k in common if math.isinf(xa[k]) or math.isinf(yb[k]))
        common = [k for k in common if math.isfinite(xa[k]) and math.isfinite(yb[k])]
        if common:
            pairs_x.append([xa[k] for k in common])
            pairs_y.append([yb[k] for k in common])
    # the protocol's verdict, with the seeds per arm and task it rests on
    why = rlstats.verdict(p, min(min(len(x), len(y)) for x, y in zip(xs, ys)))[1]
    left = "; %d with a diverged run left out" % unbounded if unbounded else ""
    if not pairs_x:
        return p, ("no pair with two finite values%s" % left) if unbounded else \
            "no shared seeds", why
    d = rlstats.paired_difference(pairs_x, pairs_y, reps=reps, seed=seed)
    return p, "%s (%d pairs%s)" % (fmt_ci(d), sum(len(x) for x in pairs_x), left), why


def by(items, *keys):
    out = {}
    for it in items:
        out.setdefault(tuple(getattr(it, k) for k in keys), []).append(it)
    return out


# ------------------------------------------------------------------ formatting


def fmt(x, nd=2):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, float) and math.isinf(x):
        return "never"
    if abs(x) >= 1e4:
        return "%.3gM" % (x / 1e6) if abs(x) >= 1e5 else "%.0fk" % (x / 1e3)
    return "%.*f" % (nd, x)


def fmt_lower(x, nd=3):
    """A value where lower is better: a diverged run's is unbounded."""
    return "unbounded (diverged)" if isinstance(x, float) and x == math.inf else fmt(x, nd)


def fmt_ci(t, nd=2):
    p, lo, hi = t
    return "%s [%s, %s]" % (fmt(p, nd), fmt(lo, nd), fmt(hi, nd))


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def html_table(head, rows):
    h = "".join("<th>%s</th>" % html.escape(str(c)) for c in head)
    b = "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % html.escape(str(c)) for c in r)
                for r in rows)
    return "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (h, b)


# ------------------------------------------------------------------ figures


def curve_grid(curves, n=120):
    """The grid a mean curve is drawn on: the steps every run reached.

    Runs of one arm need not end at the same count: against gradient steps
    (DAC updates at each episode's end, and not before its buffer fills)
    the seeds of one arm end up to about a thousand updates apart. A grid
    over the union of the runs would end on points that only one run
    reaches, and the "mean over n runs" there would be that run alone.
    Runs with no step in common (none in a study) fall back to the union."""
    lo_x = max(c[0][0] for c in curves)
    hi_x = min(c[0][-1] for c in curves)
    if lo_x > hi_x:
        lo_x = min(c[0][0] for c in curves)
        hi_x = max(c[0][-1] for c in curves)
    return np.linspace(lo_x, hi_x, n)


def band(curves, steps_grid, reps, seed):
    """Mean and 95% bootstrap band over runs of curves interpolated on a grid."""
    m = np.array([np.interp(steps_grid, s, v, left=np.nan, right=np.nan) for s, v in curves])
    # a grid point no run reached stays NaN (not drawn)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _band(m, reps, seed)


def _band(m, reps, seed):
    mean = np.nanmean(m, axis=0)
    rng = np.random.default_rng(seed)
    n = m.shape[0]
    if n < 2:
        return mean, mean, mean
    idx = rng.integers(0, n, size=(min(reps, 2000), n))
    boot = np.nanmean(m[idx], axis=1)
    return mean, np.nanpercentile(boot, 2.5, axis=0), np.nanpercentile(boot, 97.5, axis=0)


CURVE_COLS = 8


def arm_colours(arms):
    """One colour per arm: the colour-blind-safe palette for up to eight,
    else evenly spaced hues, so that no two arms share a colour."""
    if len(arms) <= len(PALETTE):
        return {a: PALETTE[i] for i, a in enumerate(arms)}
    cmap = plt.get_cmap("turbo")
    return {a: cmap(i / (len(arms) - 1)) for i, a in enumerate(arms)}


def fig_curves(scored, tasks, arms, colour, reps, seed, path):
    # at most CURVE_COLS tasks side by side (a figure's pixels are bounded):
    # more go into further pairs of rows
    cols = min(len(tasks), CURVE_COLS)
    bands = -(-len(tasks) // cols)
    fig, axes = plt.subplots(2 * bands, cols, figsize=(4.6 * cols, 7.2 * bands),
                             squeeze=False)
    for j in range(len(tasks), bands * cols):
        for row in (0, 1):
            axes[2 * (j // cols) + row][j % cols].axis("off")
    for j, task in enumerate(tasks):
        for row, xkey in enumerate(("env", "grad")):
            ax = axes[2 * (j // cols) + row][j % cols]
            drawn = 0
            for arm in arms:
                runs = [s for s in scored if s.task == task and s.arm == arm and s.curve.size
                        and s.status in SCORED]
                if not runs:
                    continue
                curves, apart = [], 0
                for s in runs:
                    x = s.steps
                    if xkey == "grad":
                        up = s.run.series.get("updates")
                        if up is None or not up.step.size:
                            continue
                        x = np.interp(s.steps, up.step, up.value)
                    if s.status == "diverged":
                        # drawn apart, up to its divergence, never in the band
                        ax.plot(x, s.curve, color=colour[arm], lw=0.8, ls="--", alpha=0.8)
                        ax.plot(x[-1:], s.curve[-1:], "x", color=colour[arm], ms=7)
                        apart += 1
                        continue
                    curves.append((x, s.curve))
                drawn += apart + len(curves)
                if not curves:
                    continue
                grid = curve_grid(curves)
                mean, lo, hi = band(curves, grid, reps, seed)
                label = "%s (n=%d)" % (arm, len(curves))
                if apart:
                    label += " + %d diverged (x)" % apart
                ax.plot(grid, mean, color=colour[arm], lw=1.8, label=label)
                ax.fill_between(grid, lo, hi, color=colour[arm], alpha=0.18, lw=0)
            if not drawn and xkey == "grad":
                ax.text(0.5, 0.5, "no run logs an updates series\n(GAIL on PPO: a fixed number "
                        "of gradient\nsteps per rollout)", ha="center", va="center",
                        transform=ax.transAxes, fontsize=9, color="0.3")
            ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
            ax.ticklabel_format(style="sci", axis="x", scilimits=(0, 0))
            ax.set_xlabel("environment steps" if xkey == "env" else "gradient steps")
            ax.set_ylabel("normalised return")
            ax.set_title("%s: against %s" % (task, "env steps" if xkey == "env" else
                                              "gradient steps"), fontsize=10)
            ax.grid(alpha=0.3)
            if row == 0:
                many = len(arms) > len(PALETTE)
                ax.legend(fontsize=6 if many else 8, ncol=2 if many else 1, loc="lower right")
    fig.suptitle("Mean normalised return with 95%% bootstrap band%sover seeds" %
                 (" " if cols > 1 else "\n"), fontsize=11)  # one panel: two lines
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_profiles(scored, tasks, arms, colour, reps, seed, path):
    taus = np.linspace(-0.1, 1.2, 66)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for arm in arms:
        per = [[s.score for s in scored if s.task == t and s.arm == arm and s.score is not None]
               for t in tasks]
        if any(len(p) == 0 for p in per):
            continue
        p, lo, hi = rlstats.performance_profile(per, taus, reps=reps, seed=seed)
        ax.plot(taus, p, color=colour[arm], lw=1.8, label=arm)
        ax.fill_between(taus, lo, hi, color=colour[arm], alpha=0.18, lw=0)
    ax.set_xlabel("normalised return tau")
    ax.set_ylabel("fraction of runs with score > tau")
    ax.set_title("Performance profiles over %d task(s), 95%% bands" % len(tasks), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_forest(rows, xlabel, title, path, ref=None):
    """rows: [(label, (p, lo, hi))]"""
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(rows) + 1.4))
    for i, (label, (p, lo, hi)) in enumerate(rows):
        y = len(rows) - 1 - i
        ax.plot([lo, hi], [y, y], color="#0072B2", lw=2.2)
        ax.plot([p], [y], "o", color="#0072B2")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows][::-1], fontsize=8)
    if ref is not None:
        ax.axvline(ref, color="0.4", ls=":", lw=1)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ------------------------------------------------------------------ the report


# the kinds with eval_normalised_return: gail and dac know their expert's
# and a random policy's return; an rl run (PPO, TD3 on the task's reward)
# logs its return unnormalised, so the report would have nothing to score
SCORED_KINDS = ("gail", "dac")


def option_error(a):
    """What is wrong with the options report.py and study.py share (--reps,
    --threshold, --seed, --out), or None."""
    if a.reps < 100 or not math.isfinite(a.threshold):
        return "--reps must be >= 100 and --threshold finite"
    if not 0 <= a.seed < 2 ** 63:
        return "--seed %d: allowed 0 .. 2^63 - 1" % a.seed
    if not a.out:
        return "--out: empty (allowed: a folder)"
    if os.path.exists(a.out) and not os.path.isdir(a.out):
        return "--out %s: exists and is not a folder" % a.out
    return None


def noise_error(r):
    """Why r can not be a --noise file, or None."""
    # a noise file must be repeated evaluations of one frozen policy: a run
    # file there would pass its learning curve off as evaluation noise, and a
    # frozen rl policy's file (no normalised return) would be dropped unsaid
    if r.kind != "evaluate":
        why = "a run of kind '%s', not the frozen-policy file `governor evaluate` writes" % (
            r.kind or "?")
    elif r.series.get("eval_normalised_return") is None:
        why = "no eval_normalised_return (its policy came from a run of kind '%s')" % (
            runfile.as_str(r.attr("source_kind")) or "?")
    elif np.isfinite(r.series["eval_normalised_return"].value).sum() < 2:
        why = "fewer than 2 finite evaluations: no range to measure"
    else:
        return None
    return "--noise %s: %s; --noise takes `governor evaluate` files of gail and dac runs" % (
        r.path, why)


def scored_runs(runs, metric, threshold):
    """(scored, tasks, arms): each run's numbers, its sweep's common prefix
    cut from the arms (arms in first-seen order)."""
    scored = [Scored(r, metric, threshold) for r in runs]
    strip_common_prefix(scored)
    tasks = sorted({s.task for s in scored})
    arms = []
    for s in scored:
        if s.arm not in arms:
            arms.append(s.arm)
    return scored, tasks, arms


def inputs_error(runs, noise):
    """Why these runs and noise files can not make a report (the message,
    without the program's name), or None.  plots/study.py asks it for every
    block before it writes anything (the arms named are checked by the
    caller, on the arms it has scored)."""
    for r in noise:
        why = noise_error(r)
        if why:
            return why
    # a run of another kind has no evaluation return: its page would be empty
    # tables that look like a comparison
    other = [r for r in runs if r.kind not in SCORED_KINDS]
    if other:
        why = ("it logs its return unnormalised, with no expert to score against; "
               "governor plot shows its curves" if other[0].kind == "rl" else
               "--noise takes `governor evaluate` files; for the others: governor analyze, "
               "governor plot")
        return ("%s: a run of kind '%s'; the report scores runs by their normalised "
                "evaluation return (kinds %s; %s)" % (other[0].path, other[0].kind or "?",
                                                     ", ".join(SCORED_KINDS), why))
    # one run per task, arm and seed: a file given twice (a glob repeated, a
    # copy beside the original) would count as two seeds and pair with itself
    seen = {}
    for r in runs:
        if r.seed is None:
            return "%s: no seed (no root attribute seed, none in its name)" % r.path
        task = task_of(r)
        key = (task, arm_of(r, task), r.seed)
        if key in seen:
            return ("%s and %s are both seed %s of arm %s on task %s (one run given twice, "
                    "or two runs the report cannot tell apart); give each run once"
                    % (seen[key], r.path, r.seed, key[1], task))
        seen[key] = r.path
    tasks = {task_of(r) for r in runs}
    for r in noise:
        if task_of(r) not in tasks:
            return ("--noise %s: a frozen policy of task %s, which no run has (tasks: %s)"
                    % (r.path, task_of(r), ", ".join(sorted(tasks))))
    return None


def make_out(path):
    """Creates the output folder; why it can not be written, or None."""
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        return "--out %s: can not write there (%s)" % (path, exc.strerror or exc)
    return None


def build(args, loaded=None):
    """loaded: (runs, noise), the files of args.runs and args.noise already
    read (plots/study.py reads each once for its four reports)."""
    try:
        runs, noise = loaded or (runfile.load_all(args.runs),
                                 runfile.load_all(args.noise) if args.noise else [])
    except runfile.BadInput as exc:
        sys.stderr.write("%s: %s\n" % (PROG, exc))
        return 2
    why = inputs_error(runs, noise)
    if why:
        sys.stderr.write("%s: %s\n" % (PROG, why))
        return 2
    scored, tasks, arms = scored_runs(runs, args.metric, args.threshold)
    if args.baseline and args.baseline not in arms:
        sys.stderr.write("%s: --baseline %s: no such arm (arms: %s)\n"
                         % (PROG, args.baseline, ", ".join(arms)))
        return 2
    base = args.baseline or arms[0]
    arms = [base] + [x for x in arms if x != base]  # the baseline first, in every table
    colour = arm_colours(arms)
    why = make_out(args.out)
    if why:
        sys.stderr.write("%s: %s\n" % (PROG, why))
        return 2
    R, S = args.reps, args.seed
    md, body = [], []

    def section(title, text_md, text_html):
        md.append("## %s\n\n%s\n" % (title, text_md))
        body.append("<h2>%s</h2>%s" % (html.escape(title), text_html))

    # what was run and what counts
    # runfile.STATUSES, in the table's order
    columns = ("completed", "diverged", "failed", "interrupted", "preempted", "running")
    cnt_head = ["task", "arm", "runs"] + list(columns) + ["scored"]
    cnt_rows = []
    for t in tasks:
        for a in arms:
            g = [s for s in scored if s.task == t and s.arm == a]
            if not g:
                continue
            st = [s.status for s in g]
            cnt_rows.append([t, a, len(g)] + [st.count(k) for k in columns] +
                            [sum(s.score is not None for s in g)])
    note = ("Diverged runs score their last evaluation before divergence (0 if none; "
            "with the auc metric, held over the rest of the run's budget); "
            "failed, interrupted, preempted and running runs are not scored. Metric: %s normalised "
            "return; %d bootstrap replicates, seed %d." % (args.metric, R, S))
    section("Runs", md_table(cnt_head, cnt_rows) + "\n\n" + note,
            html_table(cnt_head, cnt_rows) + "<p>%s</p>" % html.escape(note))

    # IQM per task and arm, and over tasks
    iqm_head = ["task"] + arms
    iqm_rows, forest = [], []
    for t in tasks:
        row = [t]
        for a in arms:
            sc = [s.score for s in scored if s.task == t and s.arm == a and s.score is not None]
            if sc:
                ci = rlstats.interval([sc], "iqm", reps=R, seed=S)
                row.append("%s (n=%d)" % (fmt_ci(ci), len(sc)))
            else:
                row.append("n/a")
        iqm_rows.append(row)
    agg = ["all tasks"]
    for a in arms:
        per = [[s.score for s in scored if s.task == t and s.arm == a and s.score is not None]
               for t in tasks]
        if all(per):
            ci = rlstats.interval(per, "iqm", reps=R, seed=S)
            agg.append(fmt_ci(ci))
            forest.append((a, ci))
        else:
            agg.append("n/a (a task has no scored run)")
    iqm_rows.append(agg)
    fig_forest(forest, "IQM of normalised return", "IQM over tasks, 95% stratified bootstrap",
               os.path.join(args.out, "iqm.png"))
    section("Interquartile mean of normalised return, 95% intervals",
            md_table(iqm_head, iqm_rows) + "\n\n![IQM](iqm.png)",
            html_table(iqm_head, iqm_rows) + img(args.out, "iqm.png"))

    # probability of improvement and paired differences
    pi_head = ["arm", "task", "P(arm > %s)" % base, "paired mean difference (seeds)",
               "verdict"]
    pi_rows, pi_forest = [], []
    for a in arms:
        if a == base:
            continue

        for t in tasks + ["all tasks"]:
            tt = tasks if t == "all tasks" else [t]
            p, pd_txt, why = compare(scored, tt, a, base, "score", False, R, S)
            pi_rows.append([a, t, fmt_ci(p) if p else "n/a", pd_txt, why])
            if p and t == "all tasks":
                pi_forest.append((a, p))
    if pi_forest:
        fig_forest(pi_forest, "probability of improvement over %s" % base,
                   "P(arm > %s), 95%% stratified bootstrap" % base,
                   os.path.join(args.out, "improvement.png"), ref=0.5)
    v_note = ("Verdict: 'better' when the 95% interval of P lies above 0.5, 'worse' when it "
              "lies below; otherwise 'undecided', with the values of P the interval rules out "
              "and the seeds per arm and task that would shrink its half-width (taken to fall "
              "as 1/sqrt(seeds)) below the estimate's distance from 0.5. An undecided "
              "comparison is not evidence of no effect.")
    section("Against the baseline (%s)" % base,
            md_table(pi_head, pi_rows) + "\n\n" + v_note +
            ("\n\n![improvement](improvement.png)" if pi_forest else ""),
            html_table(pi_head, pi_rows) + "<p>%s</p>" % html.escape(v_note) +
            (img(args.out, "improvement.png") if pi_forest else ""))

    # steps to threshold
    st_head = ["task", "arm", "reached", "median env steps", "median gradient steps"]
    st_rows = []
    for t in tasks:
        for a in arms:
            # the scored runs (a completed run with no evaluation is not
            # one: it did not fail to get there, it was never measured)
            g = [s for s in scored if s.task == t and s.arm == a and s.score is not None]
            if not g:
                continue
            e = rlstats.median_interval([[s.reach_env for s in g]], reps=R, seed=S)
            gu = [s for s in g if s.has_updates]
            q = fmt_ci(rlstats.median_interval([[s.reach_grad for s in gu]], reps=R, seed=S)) \
                if gu else "n/a (no updates series: PPO takes a fixed number per rollout, " \
                "so its gradient steps rank as its env steps do)"
            if gu and len(gu) < len(g):
                q += " (%d of %d runs log updates)" % (len(gu), len(g))
            st_rows.append([t, a, "%d of %d" % (sum(math.isfinite(s.reach_env) for s in g),
                                                len(g)), fmt_ci(e), q])
    section("Steps to %g of the expert's level" % args.threshold,
            md_table(st_head, st_rows) + "\n\nMedians with 95% bootstrap intervals; 'never' "
            "where half the runs or more never got there.",
            html_table(st_head, st_rows))

    # oscillation against the noise floor
    floors = {}  # task: one array of repeated evaluations per frozen policy
    for r in noise:
        ev = r.series.get("eval_normalised_return")
        if ev is not None and np.isfinite(ev.value).sum() >= 2:
            floors.setdefault(task_of(r), []).append(ev.value[np.isfinite(ev.value)])
    os_head = ["task", "arm", "oscillation range, last quarter (median over runs)",
               "noise floor: median [95th pct] of the range of as many frozen evaluations"]
    os_rows = []
    for t in tasks:
        for a in arms:
            g = measure(scored, t, a, "osc")
            if not g:
                continue
            done = [s for s in g if s.status != "diverged"]
            k = int(np.median([s.osc_points for s in done])) if done else 0
            fl = "not measured"
            if not done:
                fl = "n/a (every run diverged)"
            elif k < 2:
                fl = "n/a (fewer than 2 points in the last quarter)"
            elif t in floors:
                m, p95 = rlstats.noise_floor(floors[t], k, reps=R, seed=S)
                fl = "%s [%s] (k=%d, %d polic%s, %d evaluations)" % (
                    fmt(m), fmt(p95), k, len(floors[t]), "y" if len(floors[t]) == 1 else "ies",
                    sum(len(e) for e in floors[t]))
            div = sum(s.status == "diverged" for s in g)
            os_rows.append([t, a, fmt_lower(float(np.median([s.osc for s in g])), 2) +
                            (" (%d diverged: unbounded)" % div if div else ""), fl])
    os_note = ("The floor: ranges of k distinct evaluations of one frozen policy at a time "
               "(a policy picked at random per draw, its start states re-drawn each time), so "
               "the spread between policies does not enter it. A run evaluates every policy "
               "from the same start states, so a policy that stopped changing draws a flat "
               "curve; a range well above the floor is the policy's own oscillation, one "
               "inside it cannot be told apart from the evaluation's noise, and a range below "
               "it is possible (docs/report.md, 'What the floor measures').")
    section("Oscillation", md_table(os_head, os_rows) + "\n\n" + os_note,
            html_table(os_head, os_rows) + "<p>%s</p>" % html.escape(os_note))

    # where lower is better: oscillation and the distance to the expert's states
    lo_head = ["measure", "arm", "task", "median (n)", "%s median (n)" % base,
               "P(arm lower than %s)" % base, "paired mean difference (seeds)", "verdict"]
    lo_rows, lo_forest = [], []
    for attr, label in LOWER:
        for a in arms:
            if a == base:
                continue
            for t in tasks + ["all tasks"]:
                tt = tasks if t == "all tasks" else [t]
                med = []
                for arm in (a, base):
                    v = [getattr(x, attr) for u in tt for x in measure(scored, u, arm, attr)]
                    med.append("%s (%d)" % (fmt_lower(float(np.median(v))), len(v)) if v else
                               "n/a (0)")
                p, pd_txt, why = compare(scored, tt, a, base, attr, True, R, S)
                lo_rows.append([label, a, t] + med + [fmt_ci(p) if p else "n/a", pd_txt, why])
                if p and t == "all tasks":
                    lo_forest.append(("%s: %s" % (a, attr), p))
    lo_note = ("P(arm lower than %s): the probability that a run of the arm has the smaller "
               "value (ties count half), with its 95%% stratified-bootstrap interval; above "
               "0.5 favours the arm. A diverged run's value is unbounded, the worst (it neither "
               "settled nor stayed near the expert), and its pairs are left out of the paired "
               "differences; runs without the series are left out (n)." % base)
    if lo_forest:
        fig_forest(lo_forest, "P(arm lower than %s)" % base,
                   "Lower is better (osc: oscillation range, swd: state distance)",
                   os.path.join(args.out, "lower.png"), ref=0.5)
    section("Where lower is better (against %s)" % base,
            md_table(lo_head, lo_rows) + "\n\n" + lo_note +
            ("\n\n![lower is better](lower.png)" if lo_forest else ""),
            html_table(lo_head, lo_rows) + "<p>%s</p>" % html.escape(lo_note) +
            (img(args.out, "lower.png") if lo_forest else ""))

    # figures
    fig_curves(scored, tasks, arms, colour, R, S, os.path.join(args.out, "curves.png"))
    fig_profiles(scored, tasks, arms, colour, R, S, os.path.join(args.out, "profiles.png"))
    section("Curves and profiles", "![curves](curves.png)\n\n![profiles](profiles.png)",
            img(args.out, "curves.png") + img(args.out, "profiles.png"))

    # provenance
    prov_head = ["run", "task", "arm", "seed", "status", "score", "config sha256", "commit",
                 "BLAS kernel", "note"]
    prov_rows = [[os.path.basename(s.run.path), s.task, s.arm, s.seed, s.status,
                  fmt(s.score, 3), s.config_hash, s.run.text("git_commit") or "?",
                  s.run.text("blas_core") or "?", score_note(s)] for s in scored]
    cmd = "/usr/bin/python3 plots/report.py " + " ".join(args.argv)
    section("How this was made", "```sh\n%s\n```\n\n%s" % (cmd, md_table(prov_head, prov_rows)),
            "<pre>%s</pre>%s" % (html.escape(cmd), html_table(prov_head, prov_rows)))

    title = args.title or "governor report: %s" % ", ".join(arms)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write("# %s\n\n%s" % (title, "\n".join(md)))
    with open(os.path.join(args.out, "report.html"), "w") as f:
        f.write(PAGE % {"title": html.escape(title), "body": "\n".join(body)})
    print("wrote %s/report.md, report.html, iqm.png, curves.png, profiles.png%s%s" %
          (args.out, ", improvement.png" if pi_forest else "",
           ", lower.png" if lo_forest else ""))
    return 0


def img(out, name):
    with open(os.path.join(out, name), "rb") as f:
        data = base64.b64encode(f.read()).decode()
    return '<p><img alt="%s" src="data:image/png;base64,%s"></p>' % (html.escape(name), data)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%(title)s</title>
<style>
body { font-family: sans-serif; max-width: 1200px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
th { background: #eef; }
img { max-width: 100%%; }
pre { background: #f4f4f4; padding: 0.6em; overflow-x: auto; }
</style></head>
<body><h1>%(title)s</h1>
%(body)s
</body></html>
"""


def main(argv=None, loaded=None):
    ap = argparse.ArgumentParser(prog=PROG if os.environ.get("GV_PROG") else None,
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--baseline", default=None)
    ap.add_argument("--metric", choices=("final", "tail", "auc"), default="final")
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--reps", type=int, default=rlstats.REPS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--noise", nargs="*", default=[])
    ap.add_argument("--title", default=None)
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    # the command as given (study.py calls main with its own arguments)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    why = option_error(args)
    if why:
        sys.stderr.write("%s: %s\n" % (PROG, why))
        return 2
    return build(args, loaded)


if __name__ == "__main__":
    sys.exit(main())
