#!/usr/bin/python3
"""Compute a set of runs spent: the sum of their /summary wall_seconds (one
core each: the study's runs use run.threads 1), as core-hours.

    /usr/bin/python3 plots/compute.py LABEL RUN.h5...

On an oversubscribed machine wall time overstates CPU time.  wall_seconds
counts a run's time across its resumes (docs/resume.md), but
not the work lost between a run's last checkpoint and a kill, nor, for a run
resumed from a checkpoint written before governor recorded it, the time
before that resume; unfinished runs have no wall_seconds yet.  The line
says how many runs lack it and how many files could not be read.  Exit 0,
2 without arguments.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runfile  # noqa: E402


def main(argv):
    if not argv:
        sys.stderr.write("usage: compute.py LABEL RUN.h5...\n")
        return 2
    label, paths = argv[0], argv[1:]
    total, counted, missing, unreadable = 0.0, 0, 0, 0
    runfile.probe_all(paths)  # one child reads them all (runfile.load remembers)
    for p in paths:
        try:
            r = runfile.load(p)
        except (runfile.BadInput, OSError, KeyError, ValueError) as exc:
            # a file being written may not read back whole: counted apart
            sys.stderr.write("compute: %s: not read (%s)\n" % (p, exc))
            unreadable += 1
            continue
        w = r.number("wall_seconds")
        if w is None:
            w = r.number("seconds")
        if w is None:
            missing += 1
        else:
            total += w
            counted += 1
    print("%-28s %6.2f core-hours over %d runs%s%s" % (
        label, total / 3600.0, counted,
        " (%d without wall_seconds: unfinished)" % missing if missing else "",
        " (%d not readable)" % unreadable if unreadable else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
