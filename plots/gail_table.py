#!/usr/bin/python3
"""Markdown table of GAIL and DAC runs (kinds "gail", "dac") over seeds, for
docs/results.md.

    /usr/bin/python3 plots/gail_table.py RUN.h5... [--bar 0.8]

Reads the /summary attributes `governor analyze` writes (run it first) and the
/series/eval_normalised_return curves.  Runs are grouped by env (/summary env)
and by sweep point (root attribute `group`; for older files the name without
its -seedN part: plots/runfile.py).  Columns: mean +- population std over
seeds of the final normalised return (last deterministic evaluation), the mean
over the last quarter of the evaluations, the oscillation range (max - min over
the last quarter) and std, the env steps to reach 95% of the run's best, the
state Wasserstein distances (last-quarter means); then the first env step at
which the seed-mean curve reaches --bar (default 0.8, governor's bar for GAIL
on hopper within 2M env steps).  DAC runs (/summary updates_to_95) add the
gradient steps to 95% of the best after the env steps, as "env / gradient".

    --per-seed   a second table: per run, final / last-quarter mean / best
                 normalised return and the last-quarter mean D on expert and
                 policy rows (/summary tail_d_expert, tail_d_policy)
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runfile  # noqa: E402


def load(path):
    """(name, group, /summary attributes, eval return (step, value) or None)."""
    r = runfile.load(path)
    ser = r.series.get("eval_normalised_return")
    return r.name, r.group, r.summary, ser


def ms(vals, fmt):
    v = np.array([x for x in vals if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return "n/a"
    return (fmt + " +- " + fmt) % (v.mean(), v.std())


def main(argv):
    bar = 0.8
    per_seed = False
    files = []
    i = 0
    while i < len(argv):
        if argv[i] == "--bar":
            bar = float(argv[i + 1])
            i += 2
            continue
        if argv[i] == "--per-seed":
            per_seed = True
            i += 1
            continue
        files.append(argv[i])
        i += 1
    groups, order = {}, []
    for p in files:
        try:
            name, group, summ, ser = load(p)
        except runfile.BadInput as exc:
            sys.stderr.write("gail_table: %s\n" % exc)
            return 2
        key = (runfile.as_str(summ.get("env", "?")), group)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((summ, ser, name))
    order.sort()
    print("| env | variant | seeds | final norm. return | last-quarter mean | osc. range | "
          "osc. std | steps to 95%% of best | state W1 (per dim) | state W1 (sliced) | "
          "seed-mean curve reaches %.2f at |" % bar)
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for key in order:
        g = groups[key]
        col = lambda k: [float(x[0][k]) if k in x[0] else None for x in g]
        curves = [x[1] for x in g if x[1] is not None]
        reach = "n/a"
        if curves:
            n = min(len(c[0]) for c in curves)
            steps = curves[0][0][:n]
            mean = np.mean([c[1][:n] for c in curves], axis=0)
            hit = np.nonzero(mean >= bar)[0]
            reach = ("%.2fM (max of the mean %.2f)" % (steps[hit[0]] / 1e6, mean.max())
                     if hit.size else "never (max of the mean %.2f)" % mean.max())
        steps95 = [v / 1e6 if v is not None and np.isfinite(v) else None
                   for v in col("steps_to_95")]
        upd95 = [v / 1e6 if v is not None and np.isfinite(v) else None
                 for v in col("updates_to_95")]
        s95 = ms(steps95, "%.2f") + "M"
        if any(v is not None for v in upd95):
            s95 += " / " + ms(upd95, "%.2f") + "M"
        print("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            key[0], key[1], len(g), ms(col("final_normalised_return"), "%.2f"),
            ms(col("tail_normalised_return"), "%.2f"), ms(col("osc_range"), "%.2f"),
            ms(col("osc_std"), "%.3f"), s95,
            ms(col("tail_wd_states"), "%.3f"), ms(col("tail_swd_states"), "%.3f"), reach))
    if per_seed:
        f = lambda d, k: ("%.2f" % float(d[k])) if k in d and np.isfinite(float(d[k])) else "n/a"
        print()
        print("| env | run | final / last-quarter mean / best norm. return | "
              "D expert / policy (last-quarter mean) |")
        print("|---|---|---|---|")
        for key in order:
            for summ, _, name in sorted(groups[key], key=lambda x: x[2]):
                print("| %s | %s | %s / %s / %s | %s / %s |" % (
                    key[0], name, f(summ, "final_normalised_return"),
                    f(summ, "tail_normalised_return"), f(summ, "best_normalised_return"),
                    f(summ, "tail_d_expert"), f(summ, "tail_d_policy")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
