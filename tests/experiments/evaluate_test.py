#!/usr/bin/python3
"""`governor evaluate`: a saved policy evaluated N times, the noise floor's
raw material (docs/report.md).

On a short real GAIL run (hopper, 4096 env steps, 3 evaluation episodes):
- repetition 0 at the run's seed is the run's own final evaluation, bit for
  bit (return and normalised return): the same protocol, the same policy;
- the other repetitions use other start states (their returns differ), and
  --seed moves repetition 0 away from the run's evaluation;
- the file is a function of the run file and the seed (two invocations,
  and 1 or 2 threads, give the same bytes of every series and array);
- the output is a run file the report accepts: every series has unit and
  description, group and axes are the source's, /summary env names the
  task; `governor report --noise` prints a floor equal to
  rlstats.noise_floor of its values, not "not measured";
- a short DAC run's frozen policy: repetition 0 is its final evaluation too;
- bad input exits 2 with a message and writes nothing: a run kind without a
  policy, a file that is not a run file, a run killed before it saved its
  policy, an existing --out without --overwrite, a bad option value.

    /usr/bin/python3 tests/experiments/evaluate_test.py build/governor
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "plots"))
import rlstats  # noqa: E402

GOV = None
SHORT = ["--set", "run.steps=4096", "--set", "run.envs=2", "--set", "run.eval_every=1024",
         "--set", "run.eval_episodes=3", "--set", "run.threads=1"]
GROUP = "cmp-game.env=hopper-gail"
AXES = "game.env=hopper"


def gov(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([GOV] + list(args), capture_output=True, text=True, cwd=ROOT, env=e)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def values(path, name):
    with h5py.File(path, "r") as f:
        return f[name][()]


def series(path):
    with h5py.File(path, "r") as f:
        out = {k: (f["series"][k]["step"][()], f["series"][k]["value"][()],
                   dict(f["series"][k].attrs)) for k in f["series"]}
        out["/arrays/returns"] = (None, f["arrays/returns"][()], {})
        return out, dict(f.attrs), dict(f["summary"].attrs)


class Evaluate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gv-evaluate-")
        cls.src = os.path.join(cls.tmp, "gail.h5")
        r = gov("run", "configs/gail/hopper-cgail.yaml", *SHORT, "--out", cls.src)
        assert r.returncode == 0, r.stderr
        # labels as a sweep writes them, so that copying them is observable
        with h5py.File(cls.src, "r+") as f:
            f.attrs["group"] = GROUP
            f.attrs["axes"] = AXES
        cls.frozen = os.path.join(cls.tmp, "frozen.h5")
        cls.r = gov("evaluate", cls.src, "--times", "6", "--out", cls.frozen)
        assert cls.r.returncode == 0, cls.r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def rep0_is_final(self, frozen, src):
        """Repetition 0 of `frozen` is `src`'s last evaluation, bit for bit
        (the return and the normalised return the floor draws)."""
        s, _, summ = series(frozen)
        with h5py.File(src, "r") as f:
            self.assertEqual(s["eval_return_mean"][1][0], f["series/eval_return_mean/value"][-1])
            self.assertEqual(s["eval_normalised_return"][1][0],
                             f["series/eval_normalised_return/value"][-1])
        return s, summ

    def test_repetition_zero_is_the_runs_final_evaluation(self):
        s, summ = self.rep0_is_final(self.frozen, self.src)
        with h5py.File(self.src, "r") as f:
            self.assertEqual(f["summary"].attrs["eval_episodes"], 3)
        self.assertEqual(summ["eval_episodes"], 3)
        self.assertIn("equal", self.r.stdout)
        # the mean of the episodes' returns is the series' point
        ret = s["/arrays/returns"][1]
        self.assertEqual(ret.shape, (6, 3))
        np.testing.assert_allclose(ret.mean(axis=1), s["eval_return_mean"][1], rtol=1e-12)
        self.assertAlmostEqual(summ["mean_over_times"],
                               float(np.mean(s["eval_normalised_return"][1])), places=12)

    def test_dac_run(self):
        # the C-GAIL study's off-policy floor (scripts/study-cgail floor)
        # freezes DAC policies: repetition 0 is a DAC run's final evaluation too
        # (2000 steps: 1000 of them after learning starts; 37 s under ASan)
        src = os.path.join(self.tmp, "dac.h5")
        r = gov("run", "configs/dac/hopper-ref.yaml", "--set", "run.steps=2000",
                "--set", "run.eval_every=1000", "--set", "run.eval_episodes=2", "--out", src)
        self.assertEqual(r.returncode, 0, r.stderr)
        frozen = os.path.join(self.tmp, "dac-frozen.h5")
        e = gov("evaluate", src, "--times", "3", "--out", frozen)
        self.assertEqual(e.returncode, 0, e.stderr)
        s, summ = self.rep0_is_final(frozen, src)
        self.assertEqual(summ["source_kind"], "dac")
        self.assertEqual(s["/arrays/returns"][1].shape, (3, 2))
        self.assertIn("equal", e.stdout)

    def test_repetitions_use_other_start_states(self):
        s, attrs, _ = series(self.frozen)
        v = s["eval_return_mean"][1]
        self.assertEqual(list(s["eval_return_mean"][0]), list(range(6)))
        self.assertEqual(len(set(v.tolist())), 6)
        other = os.path.join(self.tmp, "seed7.h5")
        r = gov("evaluate", self.src, "--times", "2", "--seed", "7", "--out", other)
        self.assertEqual(r.returncode, 0, r.stderr)
        s7, a7, _ = series(other)
        self.assertNotEqual(s7["eval_return_mean"][1][0], v[0])
        self.assertEqual(int(a7["seed"]), 7)
        self.assertNotIn("final evaluation", r.stdout)

    def test_deterministic(self):
        again = os.path.join(self.tmp, "again.h5")
        r = gov("evaluate", self.src, "--times", "6", "--threads", "2", "--out", again)
        self.assertEqual(r.returncode, 0, r.stderr)
        a, _, _ = series(self.frozen)
        b, _, _ = series(again)
        self.assertEqual(sorted(a), sorted(b))
        for k in a:
            self.assertEqual(a[k][1].tobytes(), b[k][1].tobytes(), k)

    def test_a_run_file_the_report_reads(self):
        s, attrs, summ = series(self.frozen)
        self.assertEqual(attrs["kind"], "evaluate")
        self.assertEqual(attrs["status"], "completed")
        self.assertEqual(attrs["analysis"], "none")  # none follows an evaluation
        self.assertEqual(attrs["group"], GROUP)
        self.assertEqual(attrs["axes"], AXES)
        self.assertEqual(summ["env"], "hopper")
        self.assertEqual(summ["source_kind"], "gail")
        self.assertEqual(summ["policy_group"], "policy")
        for name in ("eval_return_mean", "eval_return_std", "eval_normalised_return"):
            self.assertTrue(s[name][2].get("unit"), name)
            self.assertTrue(s[name][2].get("description"), name)
        self.assertEqual(values(self.src, "config"), values(self.frozen, "config"))

    def test_report_draws_the_floor(self):
        out = os.path.join(self.tmp, "report")
        r = gov("report", self.src, "--out", out, "--reps", "200", "--noise", self.frozen)
        self.assertEqual(r.returncode, 0, r.stderr)
        md = read(os.path.join(out, "report.md"))
        self.assertNotIn("not measured", md)
        row = [ln for ln in md.splitlines() if ln.startswith("| hopper |")
               and "evaluations)" in ln]
        self.assertEqual(len(row), 1, md)
        m = re.search(r"\| ([0-9.]+) \[([0-9.]+)\] \(k=(\d+), 1 policy, 6 evaluations\)", row[0])
        self.assertTrue(m, row[0])
        # the source run's 4 or 5 evaluations (4096 steps, one every 1024):
        # its last quarter is the 2-point minimum, the k the floor must draw
        self.assertEqual(m.group(3), "2", row[0])
        vals = values(self.frozen, "series/eval_normalised_return/value")
        med, p95 = rlstats.noise_floor(vals, int(m.group(3)), reps=200, seed=0)
        self.assertEqual(m.group(1), "%.2f" % med)
        self.assertEqual(m.group(2), "%.2f" % p95)

    def test_stopped_run_is_not_compared(self):
        # SIGTERM after the last evaluation: the saved policy is a later one
        # than the run's last evaluation scored, and the command says so
        # instead of calling repetition 0 different from it
        term = os.path.join(self.tmp, "term.h5")
        r = gov("run", "configs/gail/hopper-cgail.yaml", *SHORT, "--set", "run.steps=8192",
                "--set", "run.eval_every=4096", "--out", term,
                env={"GV_TEST_TERM_AT_STEP": "5000"})
        self.assertEqual(r.returncode, 1, r.stderr)
        e = gov("evaluate", term, "--times", "2", "--out", os.path.join(self.tmp, "term-ev.h5"))
        self.assertEqual(e.returncode, 0, e.stderr)
        self.assertIn("scored an earlier policy than the saved one", e.stdout)
        self.assertIn("status preempted", e.stdout)
        self.assertNotIn("DIFFERENT", e.stdout)

    def test_bad_input(self):
        x = os.path.join(self.tmp, "x.h5")
        dirac = os.path.join(self.tmp, "dirac.h5")
        self.assertEqual(gov("run", "configs/dirac/r1.yaml", "--set", "scheme.steps=20",
                             "--out", dirac).returncode, 0)
        killed = os.path.join(self.tmp, "killed.h5")
        k = gov("run", "configs/gail/hopper-cgail.yaml", *SHORT, "--out", killed,
                env={"GV_TEST_KILL_AT_STEP": "2048"})
        self.assertNotEqual(k.returncode, 0)
        cases = [
            ([dirac], "run kind 'dirac' saves no policy"),
            (["configs/dirac/r1.yaml"], "not an HDF5 file"),
            ([killed], "no /policy (status 'running'"),
            ([self.frozen], "run kind 'evaluate' saves no policy"),
            ([self.src, "--times", "0"], "--times expects an integer"),
            ([self.src, "--episodes", "x"], "--episodes expects an integer"),
            ([self.src, "--seed", "-1"], "--seed expects an integer"),
            ([self.src, "--group", "best"], "allowed: policy, policy_best"),
            ([self.src, "--bogus"], "unexpected argument '--bogus'"),
        ]
        for args, msg in cases:
            r = gov("evaluate", *args, "--out", x)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn(msg, r.stderr, args)
            self.assertFalse(os.path.exists(x), args)
        link = os.path.join(self.tmp, "link.h5")
        os.symlink(self.src, link)
        for out in (self.src, link):
            r = gov("evaluate", self.src, "--out", out)
            self.assertEqual(r.returncode, 2)
            self.assertIn("--out is the input file itself", r.stderr)
        r = gov("evaluate", self.src, "--times", "100000", "--episodes", "101", "--out", x)
        self.assertEqual(r.returncode, 2)
        self.assertIn("at most 10000000 episodes", r.stderr)
        self.assertFalse(os.path.exists(x))
        # an existing output is never replaced without --overwrite
        before = read(self.frozen, "rb")
        r = gov("evaluate", self.src, "--times", "2", "--out", self.frozen)
        self.assertEqual(r.returncode, 2)
        self.assertIn("exists", r.stderr)
        self.assertEqual(read(self.frozen, "rb"), before)
        r = gov("evaluate", self.src, "--times", "2", "--group", "policy_best", "--out", x,
                "--overwrite")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(values(x, "series/eval_return_mean/value")), 2)


if __name__ == "__main__":
    GOV = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else \
        os.path.join(ROOT, "build", "governor")
    unittest.main(verbosity=2)
