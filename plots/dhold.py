#!/usr/bin/python3
"""Where a study's arms held the discriminator: per task and arm, the mean
over runs of each run's last-quarter mean of D on expert rows and on policy
rows (/summary `tail_d_expert`, `tail_d_policy`, which gail and dac runs
write), as one Markdown table.

    /usr/bin/python3 plots/dhold.py RUN.h5... [--baseline ARM] [--digits N]

Runs are grouped into tasks and arms as `governor report` groups them
(plots/report.py), the baseline's column first (default: gail, if there is
such an arm).  The table is descriptive: it says how far a controller moved
D, next to where the baseline held it; no verdict of a study rests on it.
Only completed runs with a finite D count (a diverged run's D says where it
blew up); the line under the table names, per arm, the runs left out and
why.  Exit 0 on success, 2 on bad input.
"""

import argparse
import collections
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402
import runfile  # noqa: E402

KEYS = ("tail_d_expert", "tail_d_policy")
KINDS = ("gail", "dac")


class Row:
    def __init__(self, run):
        self.run = run
        self.task = report.task_of(run)
        self.arm = report.arm_of(run, self.task)
        self.d = [runfile.as_float(run.summary.get(k)) for k in KEYS]
        # why the row is not averaged ("" when it is)
        if run.status != "completed":
            self.out = run.status
        elif not all(v is not None and math.isfinite(v) for v in self.d):
            self.out = "completed without a finite D"
        else:
            self.out = ""


def table(rows, arms, digits):
    """The Markdown table, tasks down, arms across ("-": no run to average)."""
    tasks = sorted({r.task for r in rows})
    lines = ["| task | " + " | ".join(arms) + " |", "|---" * (len(arms) + 1) + "|"]
    for t in tasks:
        cells = []
        for a in arms:
            g = [r.d for r in rows if r.task == t and r.arm == a and not r.out]
            if not g:
                cells.append("-")
                continue
            e, p = (sum(d[i] for d in g) / len(g) for i in range(len(KEYS)))
            cells.append("%.*f / %.*f" % (digits, e, digits, p))
        lines.append("| %s | %s |" % (t, " | ".join(cells)))
    return lines


def input_error(rows):
    """Why these runs can not make the table (without the program's name), or None."""
    for r in rows:
        if r.run.kind not in KINDS:
            return ("%s: a run of kind '%s'; D is held by the discriminator of runs of kind %s"
                    % (r.run.path, r.run.kind or "?", " or ".join(KINDS)))
    # a seed without one, or given twice: the report's own check of its groups
    why = report.inputs_error([r.run for r in rows], [])
    if why:
        return why
    for r in rows:
        missing = [k for k, v in zip(KEYS, r.d) if v is None]
        if r.run.status == "completed" and missing:
            return ("%s: /summary has no numeric %s (a completed gail or dac run writes "
                    "both; `governor analyze %s` writes /summary again)"
                    % (r.run.path, " or ".join(missing), r.run.path))
    return None


def main(argv):
    ap = argparse.ArgumentParser(prog="dhold", description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", metavar="RUN.h5")
    ap.add_argument("--baseline", metavar="ARM",
                    help="the arm whose column comes first (default gail, if there is one)")
    ap.add_argument("--digits", type=int, default=3, choices=range(1, 7), metavar="N",
                    help="decimals in the table (1-6, default 3)")
    a = ap.parse_args(argv)
    try:
        runs = runfile.load_all(a.runs)
    except runfile.BadInput as exc:
        sys.stderr.write("dhold: %s\n" % exc)
        return 2
    rows = [Row(r) for r in runs]
    report.strip_common_prefix(rows)
    why = input_error(rows)
    if why:
        sys.stderr.write("dhold: %s\n" % why)
        return 2
    names = sorted({r.arm for r in rows})
    base = a.baseline if a.baseline is not None else ("gail" if "gail" in names else None)
    if base is not None and base not in names:
        sys.stderr.write("dhold: --baseline %s: no such arm (arms: %s)\n"
                         % (base, ", ".join(names)))
        return 2
    done = sum(1 for r in rows if not r.out)
    if not done:
        sys.stderr.write("dhold: no completed run with a finite D among the %d given (only "
                         "those are averaged)\n" % len(rows))
        return 2
    arms = sorted(names, key=lambda x: (x != base, x))
    left = collections.Counter((r.arm, r.out) for r in rows if r.out)
    out = ", ".join("%s %d %s" % (arm, n, why) for (arm, why), n in sorted(left.items()))
    print("\n".join(table(rows, arms, a.digits)))
    print()
    print("Mean over runs of last-quarter D on expert rows / on policy rows; %d completed "
          "run%s%s." % (done, "" if done == 1 else "s",
                        "; left out: " + out if out else ", none left out"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
