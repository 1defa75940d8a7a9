#!/usr/bin/python3
"""plots/cgail_tune.py, the C-GAIL study's tuning rules, on synthetic run
files whose answers are worked out by hand below.

Gains k0.3, k1, k3 on two tasks x two seeds, tail scores (last quarter of an
8-point curve = its last 2 points, both set to the score):
  k0.3: 0.80 0.90 0.90 1.00 -> IQM (drop 1 of 4 each side) 0.900
  k1:   0.70 0.91 0.92 1.00 -> IQM 0.915
  k3:   0.93 0.93 0.93 0.93 -> IQM 0.930 (the best)
Within 0.02 of 0.930 are k1 (0.915) and k3: K* = 1, the smaller.  With a
tie margin of 0.01 only k3 is within: K* = 3.
Hold on D (last-quarter means): k1's runs d_expert 0.6, d_policy 0.4.
  clc0.1: (0.70, 0.30) -> distance 0.20
  clc1:   (0.62, 0.41) and (0.58, 0.39) -> 0.03 each -> 0.03  => L* = 1
  clc10:  (0.50, 0.50) -> 0.20
A diverged k3 run whose curve is NaN after its first point scores that point
(the report's rule); a running run makes the grid incomplete: no choice.
"""

import os
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TUNE = os.path.join(ROOT, "plots", "cgail_tune.py")
STR = h5py.string_dtype("utf-8")

GAINS = {"k0.3": [0.80, 0.90, 0.90, 1.00], "k1": [0.70, 0.91, 0.92, 1.00],
         "k3": [0.93, 0.93, 0.93, 0.93]}
HOLD = {"k0.3": [(0.7, 0.3)] * 4, "k1": [(0.6, 0.4)] * 4, "k3": [(0.5, 0.5)] * 4,
        "clc0.1": [(0.70, 0.30)] * 4, "clc1": [(0.62, 0.41), (0.58, 0.39)] * 2,
        "clc10": [(0.5, 0.5)] * 4, "gail": [(0.9, 0.1)] * 4}
TASKS = ["hopper", "halfcheetah"]


def write(path, sweep, arm, task, seed, score, hold, status="completed", curve=None):
    steps = np.arange(1, 9, dtype=np.float64) * 25000
    if curve is None:
        curve = np.concatenate([np.linspace(0, 0.5, 6), [score, score]])
    with h5py.File(path, "w") as f:
        f.attrs["version"] = "0.1.0"
        f.attrs.create("kind", "gail", dtype=STR)
        f.attrs.create("name", "%s-%s-seed=%d-env=%s" % (sweep, arm, seed, task), dtype=STR)
        f.attrs.create("group", "%s-%s-env=%s" % (sweep, arm, task), dtype=STR)
        f.attrs.create("axes", "seed=%d,game.env=%s" % (seed, task), dtype=STR)
        f.attrs.create("status", status, dtype=STR)
        f.attrs["seed"] = np.uint64(seed)
        f.create_dataset("config", data="game: {kind: gail, env: %s}\n" % task, dtype=STR)
        f.create_group("summary").attrs.create("env", task, dtype=STR)
        for name, val in (("eval_normalised_return", curve),
                          ("d_expert", np.concatenate([np.full(6, 0.99), [hold[0]] * 2])),
                          ("d_policy", np.concatenate([np.full(6, 0.01), [hold[1]] * 2]))):
            g = f.create_group("series/" + name)
            g["step"] = steps
            g["value"] = np.asarray(val, dtype=np.float64)


class Tune(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.files = []
        for arm in list(GAINS) + ["gail", "clc0.1", "clc1", "clc10"]:
            self.files += self.write_arm(arm, HOLD[arm])

    def write_arm(self, arm, holds):
        """The arm's four runs (two tasks x seeds 100, 101), holds[i] the
        i-th run's hold on D; returns their paths."""
        sweep = "tune-gail" if arm in GAINS else "tune-clc"
        paths = []
        for i, (task, seed) in enumerate([(t, s) for t in TASKS for s in (100, 101)]):
            p = os.path.join(self.dir.name, "%s-%s-%s-%d.h5" % (sweep, arm, task, seed))
            write(p, sweep, arm, task, seed, GAINS[arm][i] if arm in GAINS else 0.5, holds[i])
            paths.append(p)
        return paths

    def tearDown(self):
        self.dir.cleanup()

    def run_tune(self, files, *opts):
        r = subprocess.run(["/usr/bin/python3", TUNE] + list(opts) + files,
                           capture_output=True, text=True)
        return r.returncode, r.stdout, r.stderr

    def test_rules(self):
        rc, out, err = self.run_tune(self.files)
        self.assertEqual(rc, 0, err)
        self.assertIn("K\\* = 1 ", out)
        self.assertIn("L\\* = 1 ", out)
        self.assertRegex(out, r"\| k0\.3 \|[^\n]*\| 4 of 4 \| 0\.900 \|")
        self.assertRegex(out, r"\| k1 \|[^\n]*\| 0\.915 \| \*\*K")
        self.assertRegex(out, r"\| k3 \|[^\n]*\| 0\.930 \|")
        self.assertRegex(out, r"\| clc0\.1 \| 0\.700 \| 0\.300 \| 0\.200 \|")
        self.assertRegex(out, r"\| clc1 \| 0\.600 \| 0\.400 \| 0\.030 \| \*\*L")
        self.assertIn("gail (reference)", out)

    def test_task_by_task_reading(self):
        # C-GAIL at k1 holds hopper at (0.55, 0.45), halfcheetah at (0.65,
        # 0.35): pooled (0.6, 0.4).  clc1 holds both at (0.6, 0.4): pooled
        # distance 0, task by task 0.1.  clc0.1 holds each task where k1
        # does: pooled 0.1, task by task 0.  clc10 at (0.5, 0.5): 0.2 and
        # (0.1 + 0.3) / 2 = 0.2.  Pooled L* = 1, task by task 0.1.
        hold = {"k1": [(0.55, 0.45)] * 2 + [(0.65, 0.35)] * 2,
                "clc1": [(0.6, 0.4)] * 4, "clc0.1": [(0.55, 0.45)] * 2 + [(0.65, 0.35)] * 2}
        for arm, hs in hold.items():
            self.write_arm(arm, hs)  # over the setUp files of the same names
        rc, out, err = self.run_tune(self.files)
        self.assertEqual(rc, 0, err)
        self.assertIn("L\\* = 1 ", out)
        self.assertIn("L\\* task by task = 0.1 ", out)
        self.assertRegex(out, r"\| clc0\.1 \|[^\n]*\| 0\.100 \|  \| 0\.000 \(the least\) \|")
        self.assertRegex(out, r"\| clc1 \|[^\n]*\| 0\.000 \| \*\*L\\\*\*\* \| 0\.100 \|")
        self.assertRegex(out, r"\| clc10 \|[^\n]*\| 0\.200 \|  \| 0\.200 \|")

    def test_tie_margin(self):
        rc, out, _ = self.run_tune(self.files, "--tie", "0.01")
        self.assertEqual(rc, 0)
        self.assertIn("K\\* = 3 ", out)
        # C-GAIL at k3 holds D at (0.5, 0.5): clc10 is the match
        self.assertIn("L\\* = 10 ", out)

    def test_diverged_scores_up_to_divergence(self):
        p = [f for f in self.files if "-k3-hopper-100" in f][0]
        curve = np.array([0.2, 0.4, 0.6] + [np.nan] * 5)
        write(p, "tune-gail", "k3", "hopper", 100, 0, (0.5, 0.5), status="diverged",
              curve=curve)
        rc, out, _ = self.run_tune(self.files)
        self.assertEqual(rc, 0)
        # finite points 0.2 0.4 0.6: last quarter (1 point) 0.6; k3 is now
        # 0.6 0.93 0.93 0.93 -> IQM 0.93, still the best
        self.assertRegex(out, r"\| k3 \|[^\n]*0\.60[^\n]*\| 0\.930 \|")
        self.assertIn("K\\* = 1 ", out)

    def test_incomplete_grid_chooses_nothing(self):
        p = [f for f in self.files if "-k1-halfcheetah-101" in f][0]
        write(p, "tune-gail", "k1", "halfcheetah", 101, 0.9, (0.6, 0.4), status="running")
        rc, out, _ = self.run_tune(self.files)
        self.assertEqual(rc, 0)
        self.assertIn("K\\* = none (1 has 1 of 4 runs unfinished)", out)
        self.assertIn("L\\* = none (no K* yet)", out)
        self.assertIn("Not finished, not used", out)
        # the table's hold is that of finished runs only: clc1's running run
        # at (0.9, 0.1) is left out, its three others (0.62, 0.41), (0.58,
        # 0.39), (0.62, 0.41) give (0.607, 0.403); with it, (0.68, 0.328)
        p = [f for f in self.files if "-clc1-halfcheetah-101" in f][0]
        write(p, "tune-clc", "clc1", "halfcheetah", 101, 0.5, (0.9, 0.1), status="running")
        rc, out, _ = self.run_tune(self.files)
        self.assertRegex(out, r"\| clc1 \| 0\.607 \| 0\.403 \|")
        # a grid value whose runs have not all started counts the grid's runs
        gone = [f for f in self.files if "-k3-halfcheetah-" in f]
        rc, out, _ = self.run_tune([f for f in self.files if f not in gone], "--runs", "4")
        self.assertRegex(out, r"\| k3 \|[^\n]*\| 2 of 4 \|")

    def test_grid(self):
        # the protocol's grid holds k10 too: no choice until its runs are there
        rc, out, _ = self.run_tune(self.files, "--gains", "0.3,1,3,10", "--runs", "4")
        self.assertEqual(rc, 0)
        self.assertIn("K\\* = none (no runs yet of 10)", out)
        rc, out, _ = self.run_tune(self.files, "--gains", "0.3,1,3", "--runs", "6")
        self.assertIn("K\\* = none (4 runs per value, the protocol has 6)", out)
        rc, out, _ = self.run_tune(self.files, "--gains", "0.3,1,3", "--strengths", "0.1,1,10,30",
                                   "--runs", "4")
        self.assertIn("K\\* = 1 ", out)
        self.assertIn("L\\* = none (no runs yet of 30)", out)
        # a value missing a task's runs is not comparable with the others
        gone = [f for f in self.files if "-k3-halfcheetah-" in f]
        rc, out, _ = self.run_tune([f for f in self.files if f not in gone])
        self.assertIn("K\\* = none (the values have different runs per task", out)
        self.assertEqual(self.run_tune(self.files, "--gains", "a,b")[0], 2)

    def test_finished_without_evaluations(self):
        p = [f for f in self.files if "-k1-hopper-100" in f][0]
        with h5py.File(p, "a") as f:
            del f["series/eval_normalised_return"]
        rc, out, _ = self.run_tune(self.files)
        self.assertEqual(rc, 0)
        self.assertIn("has no evaluations)", out)

    def test_bad_input(self):
        bad = os.path.join(self.dir.name, "not.h5")
        with open(bad, "w") as f:
            f.write("no")
        self.assertEqual(self.run_tune([bad])[0], 2)
        only_base = [f for f in self.files if "-gail-" in os.path.basename(f)
                     and "tune-clc" in f]
        rc, _, err = self.run_tune(only_base)
        self.assertEqual(rc, 2)
        self.assertIn("no run of a C-GAIL gain", err)


if __name__ == "__main__":
    unittest.main()
