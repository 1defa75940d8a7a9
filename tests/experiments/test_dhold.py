#!/usr/bin/python3
"""plots/dhold.py, where each arm held D, on synthetic runs whose means are
known: two tasks, arms gail, cgail and control, seeds 0-2, each run's
last-quarter D on expert rows 0.5 + a (arm) + t (task) + s (seed) and on
policy rows 0.3 - a + t + 2s (not one minus the first, so that neither is
computed from the other); left out, and named under the table: a diverged
control run with D at 0.99 / 0.01, a completed one whose D is NaN, and an
arm ("noisy") whose only run failed.  Then the refusals of bad input (exit 2)."""

import math
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
SEED = [0.0, 0.01, 0.05]


def dhold(*args):
    return subprocess.run(["/usr/bin/python3", DHOLD] + list(args), capture_output=True,
                          text=True)


def set_d(path, d_expert, d_policy):
    with h5py.File(path, "a") as f:
        f["summary"].attrs["tail_d_expert"] = d_expert
        f["summary"].attrs["tail_d_policy"] = d_policy


def cell(arm, task):
    e = sum(0.5 + ARM[arm] + TASK[task] + s for s in SEED) / len(SEED)
    p = sum(0.3 - ARM[arm] + TASK[task] + 2 * s for s in SEED) / len(SEED)
    return "%.3f / %.3f" % (e, p)


class DHold(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gv-dhold-")
        cls.runs = []
        for arm in ARM:
            for task in TASK:
                for seed in range(len(SEED)):
                    p = os.path.join(cls.tmp, "%s-%s-%d.h5" % (arm, task, seed))
                    write(p, "dh", task, arm, seed, 0.9, 0.1)
                    set_d(p, 0.5 + ARM[arm] + TASK[task] + SEED[seed],
                          0.3 - ARM[arm] + TASK[task] + 2 * SEED[seed])
                    cls.runs.append(p)
        cls.div = os.path.join(cls.tmp, "control-hopper-3.h5")
        write(cls.div, "dh", "hopper", "control", 3, 0.9, 0.1, status="diverged")
        set_d(cls.div, 0.99, 0.01)
        cls.nan = os.path.join(cls.tmp, "control-hopper-4.h5")
        write(cls.nan, "dh", "hopper", "control", 4, 0.9, 0.1)
        set_d(cls.nan, math.nan, math.nan)
        cls.failed = os.path.join(cls.tmp, "noisy-hopper-0.h5")  # no D: not needed
        write(cls.failed, "dh", "hopper", "noisy", 0, 0.9, 0.1, status="failed")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_means(self):
        r = dhold(*(self.runs + [self.div, self.nan, self.failed]))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        # the baseline first, then the other arms by name; the diverged and
        # the NaN control runs are not in control's hopper mean, and the arm
        # with no run to average shows as "-"
        self.assertEqual(lines[:4], [
            "| task | gail | cgail | control | noisy |",
            "|---|---|---|---|---|",
            "| halfcheetah | %s | %s | %s | - |" % (cell("gail", "halfcheetah"),
                                                   cell("cgail", "halfcheetah"),
                                                   cell("control", "halfcheetah")),
            "| hopper | %s | %s | %s | - |" % (cell("gail", "hopper"), cell("cgail", "hopper"),
                                              cell("control", "hopper"))])
        self.assertIn("| hopper | 0.820 / 0.040 |", r.stdout)  # the formula, by hand
        self.assertIn("18 completed runs; left out: control 1 completed without a finite D, "
                      "control 1 diverged, noisy 1 failed.", r.stdout)

    def test_baseline_and_digits(self):
        r = dhold("--baseline", "control", "--digits", "1", *self.runs)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "| task | control | cgail | gail |")
        self.assertEqual(lines[3], "| hopper | 0.6 / 0.2 | 0.7 / 0.1 | 0.8 / 0.0 |")
        self.assertIn("18 completed runs, none left out.", r.stdout)
        one = dhold(self.runs[0])
        self.assertEqual(one.returncode, 0, one.stderr)
        self.assertIn("; 1 completed run, none left out.", one.stdout)

    def test_refusals(self):
        bare = os.path.join(self.tmp, "bare.h5")  # a completed run without tail_d_policy
        write(bare, "dh2", "hopper", "gail", 0, 0.9, 0.1)
        with h5py.File(bare, "a") as f:
            f["summary"].attrs["tail_d_expert"] = 0.7
        rl = os.path.join(self.tmp, "rl.h5")
        write(rl, "dh3", "hopper", "gail", 0, 0.9, 0.1)
        with h5py.File(rl, "a") as f:
            f.attrs.create("kind", "rl", dtype=h5py.string_dtype("utf-8"))
        text = os.path.join(self.tmp, "note.txt")
        with open(text, "w") as f:
            f.write("not a run\n")
        cases = [([bare], "has no numeric tail_d_policy (a completed gail or dac run"),
                 ([rl], "a run of kind 'rl'; D is held by the discriminator of runs of kind "
                        "gail or dac"),
                 ([self.runs[0], self.runs[0]], "are both seed 0 of arm dh-gail on task hopper"),
                 ([text], "not an HDF5 file"),
                 ([self.div, self.nan], "no completed run with a finite D among the 2 given"),
                 (["--baseline", "gial"] + self.runs,
                  "--baseline gial: no such arm (arms: cgail, control, gail)")]
        for args, msg in cases:
            r = dhold(*args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertIn(msg, r.stderr)
            self.assertTrue(r.stderr.startswith("dhold: "), r.stderr)
            self.assertEqual(r.stdout, "", args)
        r = dhold("--digits", "9", *self.runs)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--digits", r.stderr)
        self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    unittest.main()
