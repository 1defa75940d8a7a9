#!/usr/bin/python3
"""`governor export RUN.h5... --csv DIR` on short real runs of two kinds.

A dirac sweep (2 seeds x 2 values of controllers.0.rho1: group, seed and
axis columns) and a onestep run (per-action series) are exported together;
every value of series.csv and summary.csv must read back to the run files'
numbers bit for bit (h5py), with the run's group, seed, axis and the series'
unit attribute on each row.  Then bad input: missing and non-run files, an
output that is an input, a folder that is a file, an existing CSV without
--overwrite: exit 2, and nothing written over.

Usage: export_test.py PATH/TO/governor
"""

import csv
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL " + what)


def run(gv, *args):
    return subprocess.run([gv] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def same(csv_text, want):
    got = float(csv_text)
    return (math.isnan(got) and math.isnan(want)) or \
        np.float64(got).tobytes() == np.float64(want).tobytes()


def main():
    gv = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="gv-export-")
    sweep = os.path.join(tmp, "sw.yaml")
    with open(sweep, "w") as f:
        f.write("name: sw\nout: %s\nseed: [1, 2]\ngame: {kind: dirac, loss: wgan}\n"
                "scheme: {kind: altgd, h: 0.1, steps: 200}\n"
                "controllers: [{kind: bmc_update, rho1: [0.01, 0.1], rho2: 0.01, beta: 1}]\n"
                "run: {every: 10}\n" % os.path.join(tmp, "sw"))
    r = run(gv, "sweep", sweep)
    check(r.returncode == 0, "sweep exit %d: %s" % (r.returncode, r.stderr))
    one = os.path.join(tmp, "onestep.h5")
    r = run(gv, "run", "configs/onestep/cgail.yaml", "--set", "scheme.steps=300", "--out", one)
    check(r.returncode in (0, 1), "onestep run exit %d: %s" % (r.returncode, r.stderr))
    runs = sorted(os.path.join(tmp, "sw", p) for p in os.listdir(os.path.join(tmp, "sw"))
                  if p.endswith(".h5")) + [one]
    check(len(runs) == 5, "expected 4 sweep files and one onestep file, got %d" % len(runs))

    out = os.path.join(tmp, "csv")
    r = run(gv, "export", *runs, "--csv", out)
    check(r.returncode == 0, "export exit %d: %s" % (r.returncode, r.stderr))
    with open(os.path.join(out, "series.csv")) as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(out, "summary.csv")) as f:
        summ = list(csv.DictReader(f))
    check(rows and list(rows[0])[:4] == ["run", "group", "seed", "status"],
          "series.csv header %s" % (list(rows[0]) if rows else None))
    check("controllers.0.rho1" in rows[0], "no axis column controllers.0.rho1")

    n_points = n_summary = 0
    for path in runs:
        with h5py.File(path, "r") as f:
            name = text(f.attrs["name"])
            group = text(f.attrs["group"])
            seed = str(int(f.attrs["seed"]))
            axes = dict(kv.split("=", 1) for kv in text(f.attrs["axes"]).split(";") if kv)
            mine = [x for x in rows if x["run"] == name]
            for x in mine:
                check(x["group"] == group and x["seed"] == seed,
                      "%s: group/seed %s %s, file %s %s" % (name, x["group"], x["seed"], group,
                                                          seed))
                check(x["controllers.0.rho1"] == axes.get("controllers.0.rho1", ""),
                      "%s: axis %r, file %r" % (name, x["controllers.0.rho1"], axes))
            for sname, g in f["series"].items():
                step, value = g["step"][()], g["value"][()]
                got = [x for x in mine if x["series"] == sname]
                check(len(got) == len(step), "%s/%s: %d rows for %d points"
                      % (name, sname, len(got), len(step)))
                for x, s, v in zip(got, step, value):
                    if int(x["step"]) != int(s) or not same(x["value"], v):
                        check(False, "%s/%s step %s: csv %s %s" % (name, sname, s, x["step"],
                                                                  x["value"]))
                        break
                check(all(x["unit"] == text(g.attrs["unit"]) for x in got),
                      "%s/%s: unit column differs from the attribute" % (name, sname))
                n_points += len(step)
            smine = {x["key"]: x["value"] for x in summ if x["run"] == name}
            for key, v in f["summary"].attrs.items():
                n_summary += 1
                a = np.asarray(v)
                if key not in smine:
                    check(False, "%s: summary key %s missing" % (name, key))
                elif a.dtype.kind == "f" and a.size == 1:
                    check(same(smine[key], float(a.ravel()[0])), "%s: summary %s: %s vs %r"
                          % (name, key, smine[key], v))
                elif a.dtype.kind in "iu" and a.size == 1:
                    check(int(smine[key]) == int(a.ravel()[0]), "%s: summary %s" % (name, key))
    check(len(rows) == n_points, "series.csv has %d rows, the files %d points"
          % (len(rows), n_points))
    check(len(summ) == n_summary, "summary.csv has %d rows, the files %d attributes"
          % (len(summ), n_summary))

    # bad input: exit 2, and nothing written over
    junk = os.path.join(tmp, "junk.h5")
    with open(junk, "w") as f:
        f.write("not hdf5\n")
    plain = os.path.join(tmp, "plain.h5")
    with h5py.File(plain, "w") as f:
        f["x"] = np.arange(3)
    afile = os.path.join(tmp, "afile")
    with open(afile, "w") as f:
        f.write("x\n")
    evil = os.path.join(tmp, "evil")
    os.mkdir(evil)
    os.symlink(runs[0], os.path.join(evil, "series.csv"))
    before = open(runs[0], "rb").read()
    for args, what in [
            ([os.path.join(tmp, "missing.h5"), "--csv", os.path.join(tmp, "o1")], "no such file"),
            ([junk, "--csv", os.path.join(tmp, "o2")], "not an HDF5 file"),
            ([plain, "--csv", os.path.join(tmp, "o3")], "not a governor run file"),
            ([runs[0], "--csv", evil], "is an input"),
            ([runs[0], "--csv", afile], "not a folder"),
            ([runs[0], "--csv", os.path.join(tmp, "no", "such", "dir")], "not a folder"),
            ([runs[0], "--csv", out], "exists"),
            ([runs[0], "--csv"], "usage"),
            ([runs[0], "--csv", out, "--bogus"], "unexpected argument")]:
        r = run(gv, "export", *args)
        check(r.returncode == 2 and what in r.stderr,
              "export %s: exit %d, stderr %r (want 2 and %r)" % (args, r.returncode, r.stderr,
                                                                  what))
    check(open(runs[0], "rb").read() == before, "a refused export changed an input")
    check(not os.path.exists(os.path.join(tmp, "o2")) and
          not os.path.exists(os.path.join(tmp, "o3")), "a refused export created its folder")
    r = run(gv, "export", runs[0], "--csv", out, "--overwrite")
    check(r.returncode == 0, "--overwrite: exit %d %s" % (r.returncode, r.stderr))
    r = run(gv, "export")
    check(r.returncode == 2 and "--out POLICY.h5" in r.stderr, "policy export usage kept")

    print("%s: %d points, %d summary values compared" % ("FAIL" if FAILS else "ok", n_points,
                                                         n_summary))
    if not FAILS:
        subprocess.run(["rm", "-rf", tmp])
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
