#!/usr/bin/python3
"""Where a study's arms held the discriminator: per task and arm, the mean
over runs of each run's last-quarter mean of D on expert rows and on policy
rows (/summary `tail_d_expert`, `tail_d_policy`, which gail and dac runs
write), as one Markdown table.

    /usr/bin/python3 plots/dhold.py RUN.h5... [--baseline ARM] [--digits N]

Runs are grouped into tasks and arms as `governor report` groups them
(plots/report.py), the baseline's column first.  Descriptive, not a measure of docs/studies/cgail-protocol.md:
it says how far a controller moved D, next to where the baseline held it.
Only completed runs count (a diverged run's D says where it blew up); the
line under the table says how many runs of each other status were left out.
Exit 0 on success, 2 on bad input.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402
import runfile  # noqa: E402

KEYS = ("tail_d_expert", "tail_d_policy")


class Row:
    def __init__(self, run):
        self.run = run
        self.task = report.task_of(run)
        self.arm = report.arm_of(run, self.task)
        self.d = [runfile.as_float(run.summary.get(k)) for k in KEYS]


def table(rows, digits, baseline):
    """The Markdown table of completed rows, tasks down, arms across (the
    baseline first, the others in name order)."""
    report.strip_common_prefix(rows)
    done = [r for r in rows if r.run.status == "completed"]
    tasks = sorted({r.task for r in done})
    arms = sorted({r.arm for r in done}, key=lambda a: (a != baseline, a))
    lines = ["| task | " + " | ".join(arms) + " |", "|---" * (len(arms) + 1) + "|"]
    for t in tasks:
        cells = []
        for a in arms:
            g = [r.d for r in done if r.task == t and r.arm == a]
            if not g:
                cells.append("")
                continue
            means = [sum(d[i] for d in g) / len(g) for i in range(len(KEYS))]
            cells.append("%.*f / %.*f" % (digits, means[0], digits, means[1]))
        lines.append("| %s | %s |" % (t, " | ".join(cells)))
    return lines


def main(argv):
    ap = argparse.ArgumentParser(prog="dhold.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", metavar="RUN.h5")
    ap.add_argument("--baseline", default="gail", metavar="ARM",
                    help="the arm whose column comes first (default gail)")
    ap.add_argument("--digits", type=int, default=3, choices=range(1, 7), metavar="N",
                    help="decimals in the table (1-6, default 3)")
    a = ap.parse_args(argv)
    try:
        runs = runfile.load_all(a.runs)
    except runfile.BadInput as exc:
        sys.stderr.write("dhold: %s\n" % exc)
        return 2
    why = report.inputs_error(runs, [])  # kinds gail and dac, each run once
    if why:
        sys.stderr.write("dhold: %s\n" % why)
        return 2
    rows = [Row(r) for r in runs]
    for r in rows:
        if r.run.status == "completed" and any(v is None for v in r.d):
            sys.stderr.write("dhold: %s: /summary has no numeric %s (a completed gail "
                             "or dac run writes both)\n"
                             % (r.run.path, " and ".join(KEYS)))
            return 2
    lines = table(rows, a.digits, a.baseline)
    if len(lines) == 2:
        sys.stderr.write("dhold: no completed run among the %d given\n" % len(rows))
        return 2
    left = {}
    for r in rows:
        if r.run.status != "completed":
            left[r.run.status] = left.get(r.run.status, 0) + 1
    done = len(rows) - sum(left.values())
    out = ", ".join("%d %s" % (n, s) for s, n in sorted(left.items()))
    print("\n".join(lines))
    print()
    print("Mean over runs of last-quarter D on expert rows / on policy rows; %d completed "
          "run%s%s." % (done, "" if done == 1 else "s",
                        "; left out: " + out if out else ", none left out"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
