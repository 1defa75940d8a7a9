#!/usr/bin/python3
"""plots/dhold.py, where each arm held D, on synthetic runs whose means are
known: two tasks, arms gail, cgail and control, seeds 0-1, each run's
last-quarter D on expert rows 0.5 + a (arm) + t (task) + s (seed) and on
policy rows one minus that; a diverged control run with D at 0.99 / 0.01
that must be left out; and the refusals of bad input (exit 2)."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
DHOLD = os.path.join(HERE, "..", "..", "plots", "dhold.py")
sys.path.insert(0, HERE)
from test_study import write  # noqa: E402

ARM = {"gail": 0.30, "cgail": 0.20, "control": 0.10}
TASK = {"hopper": 0.0, "halfcheetah": 0.02}
SEED = [0.0, 0.01]


def dhold(*args):
    return subprocess.run(["/usr/bin/python3", DHOLD] + list(args), capture_output=True,
                          text=True)


def set_d(path, d_expert, d_policy):
    with h5py.File(path, "a") as f:
        f["summary"].attrs["tail_d_expert"] = d_expert
        f["summary"].attrs["tail_d_policy"] = d_policy


class DHold(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gv-dhold-")
        cls.runs = []
        for arm in ARM:
            for task in TASK:
                for seed in range(2):
                    p = os.path.join(cls.tmp, "%s-%s-%d.h5" % (arm, task, seed))
                    write(p, "dh", task, arm, seed, 0.9, 0.1)
                    e = 0.5 + ARM[arm] + TASK[task] + SEED[seed]
                    set_d(p, e, 1.0 - e)
                    cls.runs.append(p)
        cls.div = os.path.join(cls.tmp, "control-hopper-2.h5")
        write(cls.div, "dh", "hopper", "control", 2, 0.9, 0.1, status="diverged")
        set_d(cls.div, 0.99, 0.01)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_means(self):
        r = dhold(*(self.runs + [self.div]))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        # the baseline first, then the other arms by name; the diverged
        # control run's 0.99 / 0.01 is not in control's hopper mean
        self.assertEqual(lines[:4], [
            "| task | gail | cgail | control |",
            "|---|---|---|---|",
            "| halfcheetah | 0.825 / 0.175 | 0.725 / 0.275 | 0.625 / 0.375 |",
            "| hopper | 0.805 / 0.195 | 0.705 / 0.295 | 0.605 / 0.395 |"])
        self.assertIn("12 completed runs; left out: 1 diverged.", r.stdout)

    def test_baseline_and_digits(self):
        r = dhold("--baseline", "control", "--digits", "1", *self.runs)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "| task | control | cgail | gail |")
        self.assertEqual(lines[3], "| hopper | 0.6 / 0.4 | 0.7 / 0.3 | 0.8 / 0.2 |")
        self.assertIn("12 completed runs, none left out.", r.stdout)

    def test_refusals(self):
        bare = os.path.join(self.tmp, "bare.h5")  # a completed run without the keys
        write(bare, "dh2", "hopper", "gail", 0, 0.9, 0.1)
        rl = os.path.join(self.tmp, "rl.h5")
        write(rl, "dh3", "hopper", "gail", 0, 0.9, 0.1)
        with h5py.File(rl, "a") as f:
            f.attrs.create("kind", "rl", dtype=h5py.string_dtype("utf-8"))
        text = os.path.join(self.tmp, "note.txt")
        with open(text, "w") as f:
            f.write("not a run\n")
        cases = [([bare], "has no numeric tail_d_expert and tail_d_policy"),
                 ([rl], "a run of kind 'rl'"),
                 ([self.runs[0], self.runs[0]], "one run given twice"),
                 ([text], "not an HDF5 file"),
                 ([self.div], "no completed run among the 1 given")]
        for args, msg in cases:
            r = dhold(*args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertIn(msg, r.stderr)
            self.assertTrue(r.stderr.startswith("dhold: "), r.stderr)
            self.assertEqual(r.stdout, "", args)
        self.assertEqual(dhold("--digits", "9", *self.runs).returncode, 2)


if __name__ == "__main__":
    unittest.main()
