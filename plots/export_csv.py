#!/usr/bin/python3
"""Tidy CSV of governor run files (`governor export RUN.h5... --csv DIR`).

    /usr/bin/python3 plots/export_csv.py RUN.h5... --csv DIR [--overwrite]

writes two files into DIR (created if missing, its parent must exist):

  series.csv   one row per run, series and logged step:
               run, group, seed, status, <one column per axis key>, series,
               unit, step, value
  summary.csv  one row per run and /summary key:
               run, group, seed, status, <axis columns>, key, value

run is the root attribute `name`, group and the axis columns come from the
root attributes `group` and `axes` (`key=value;...`, keys as dotted config
paths; "" where a run has no such axis), seed from the root attribute `seed`
(plots/runfile.py documents the fallbacks for older files).  unit is the
series' `unit` attribute ("" in files written before series carried one).
Numbers are written with Python's shortest round-trip repr, so a float read
back is bit-identical to the file's; non-finite values are `nan`, `inf`,
`-inf`.  Existing CSV files are not replaced without --overwrite.

Exit codes: 0 written, 2 bad input (a path that is not a governor run file,
DIR not a folder, DIR's CSV an input, an existing CSV without --overwrite).
"""

import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runfile  # noqa: E402  (exits 2 with a hint when h5py is missing)

import h5py  # noqa: E402
import numpy as np  # noqa: E402

NAMES = ("series.csv", "summary.csv")
FIXED = ("run", "group", "seed", "status", "series", "unit", "step", "value", "key")


def fail(msg):
    sys.stderr.write("governor: export: %s\n" % msg)
    return 2


def number(v):
    """A value as CSV text: ints as ints, floats by shortest round-trip repr."""
    if isinstance(v, (bytes, np.bytes_, str)):
        return runfile.as_str(v)
    a = np.asarray(v)
    if a.size != 1:
        return " ".join(number(x) for x in a.ravel())
    x = a.ravel()[0]
    if np.issubdtype(a.dtype, np.integer) or isinstance(x, (int, np.integer)):
        return str(int(x))
    if np.issubdtype(a.dtype, np.floating):
        return repr(float(x))
    return runfile.as_str(x)


def units(path):
    """{series: unit attribute} of one run file."""
    out = {}
    try:
        with h5py.File(path, "r") as f:
            g = f.get("series")
            if isinstance(g, h5py.Group):
                for name, s in g.items():
                    if not isinstance(s, h5py.Group):  # a damaged link reads as None
                        raise ValueError("/series/%s: not a group" % name)
                    out[name] = runfile.as_str(s.attrs.get("unit")) or ""
    except (OSError, KeyError, RuntimeError, ValueError, TypeError) as exc:
        raise runfile.BadInput("%s: unreadable or malformed run file (%s)" % (path, exc))
    return out


def axis_columns(runs):
    """[(column, axis key)]: every run's axis keys in first-seen order; a key
    that is one of the fixed columns' names becomes `axis.KEY`."""
    cols = []
    for r in runs:
        for k in r.axes:
            if all(k != key for _, key in cols):
                cols.append(("axis." + k if k in FIXED else k, k))
    return cols


def write(path, header, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    os.replace(tmp, path)


def export(runs, out_dir):
    axes = axis_columns(runs)
    head = ["run", "group", "seed", "status"] + [c for c, _ in axes]
    series_rows, summary_rows = [], []
    for r in runs:
        ident = [r.name, r.group, "" if r.seed is None else str(r.seed), r.status] + \
            [r.axes.get(k, "") for _, k in axes]
        unit = units(r.path)
        for name in sorted(r.series):
            s = r.series[name]
            # runfile reads steps as float64; they are int64 in the file
            for step, value in zip(s.step.astype(np.int64), s.value):
                series_rows.append(ident + [name, unit.get(name, ""), str(int(step)),
                                            repr(float(value))])
        for key in sorted(r.summary):
            summary_rows.append(ident + [key, number(r.summary[key])])
    os.makedirs(out_dir, exist_ok=True)  # only once every file has been read
    write(os.path.join(out_dir, NAMES[0]), head + ["series", "unit", "step", "value"],
          series_rows)
    write(os.path.join(out_dir, NAMES[1]), head + ["key", "value"], summary_rows)
    return len(series_rows), len(summary_rows)


def main(argv):
    paths, out_dir, overwrite = [], None, False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--csv" and i + 1 < len(argv):
            out_dir = argv[i + 1]
            i += 1
        elif a == "--csv":
            return fail("--csv needs a folder; usage: governor export RUN.h5... --csv DIR "
                        "[--overwrite]")
        elif a == "--overwrite":
            overwrite = True
        elif a.startswith("-"):
            return fail("unexpected argument '%s' (allowed: RUN.h5... --csv DIR [--overwrite])"
                        % a)
        else:
            paths.append(a)
        i += 1
    if not paths or not out_dir:
        return fail("usage: governor export RUN.h5... --csv DIR [--overwrite]")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        return fail("%s: not a folder (allowed: a folder, created if missing)" % out_dir)
    parent = os.path.dirname(os.path.abspath(out_dir))
    if not os.path.isdir(parent):
        return fail("%s: its parent %s is not a folder" % (out_dir, parent))
    targets = [os.path.join(out_dir, n) for n in NAMES]
    for p in paths:
        for t in targets:
            if os.path.exists(p) and os.path.exists(t) and os.path.samefile(p, t):
                return fail("%s: the output is an input file itself" % t)
    if not overwrite:
        for t in targets:
            if os.path.exists(t):
                return fail("%s exists (allowed: --overwrite to replace it)" % t)
    try:
        runs = runfile.load_all(paths)
    except runfile.BadInput as exc:
        return fail(str(exc))
    try:
        n_series, n_summary = export(runs, out_dir)
    except runfile.BadInput as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail("%s: cannot write (%s)" % (out_dir, exc))
    print("%s: %d series rows, %s: %d summary rows, from %d run file%s" % (
        targets[0], n_series, targets[1], n_summary, len(runs), "" if len(runs) == 1 else "s"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
