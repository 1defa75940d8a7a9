#!/usr/bin/python3
"""plots/report.py on synthetic run files whose numbers are known.

Two tasks x two arms x four seeds of GAIL-like runs (eval_normalised_return
and updates series, the group/axes/seed/status attributes sweeps write),
plus a diverged run, a failed run and a frozen-policy noise file.  Checks:
the counts table counts every run as what it is; the per-task IQM and its
interval are the ones plots/rlstats.py gives on the hand-listed scores; the
diverged run scores its last finite evaluation; the probability of
improvement of the better arm is 1; steps to 0.95 are read at the first
crossing; the page is self-contained (no external reference) and, where
Debian's chromium is installed, renders headless to a non-blank screenshot
with no console error.

    /usr/bin/python3 tests/experiments/test_report.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "plots"))
import rlstats  # noqa: E402
import report  # noqa: E402
import runfile  # noqa: E402

REPORT = os.path.join(ROOT, "plots", "report.py")
STR = h5py.string_dtype("utf-8")

# final normalised returns per (task, arm), seeds 0..3
SCORES = {
    ("hopper", "gail"): [0.30, 0.50, 0.55, 0.90],
    ("hopper", "cgail"): [0.95, 0.97, 0.99, 1.00],
    ("halfcheetah", "gail"): [0.80, 0.85, 0.90, 0.20],
    ("halfcheetah", "cgail"): [0.91, 0.93, 0.96, 0.98],
}


# the sliced W1 of states (swd_states, lower is better) per (task, arm), seeds 0..3
SWD = {
    ("hopper", "gail"): [0.4, 0.6, 0.8, 1.0],
    ("hopper", "cgail"): [0.3, 0.6, 0.7, 1.2],
    ("halfcheetah", "gail"): [0.5, 0.5, 0.5, 0.5],
    ("halfcheetah", "cgail"): [0.2, 0.2, 0.2, 0.2],
}


def write_run(path, task, arm, seed, final, status="completed", curve=None, swd=None,
              run_block="", kind="gail"):
    steps = np.arange(1, 11, dtype=np.float64) * 1e4
    if curve is None:
        curve = np.linspace(0.0, final, 10)
    with h5py.File(path, "w") as f:
        f.attrs["version"] = "0.1.0"
        f.attrs.create("kind", kind, dtype=STR)
        f.attrs.create("name", "cmp-env=%s-%s-seed=%d" % (task, arm, seed), dtype=STR)
        f.attrs.create("group", "cmp-env=%s-%s" % (task, arm), dtype=STR)
        f.attrs.create("axes", "game.env=%s" % task, dtype=STR)
        f.attrs.create("status", status, dtype=STR)
        f.attrs.create("git_commit", "abc123", dtype=STR)
        f.attrs.create("blas_core", "SkylakeX", dtype=STR)
        f.attrs["seed"] = np.uint64(seed)
        f.create_dataset("config", data="game: {kind: gail, env: %s}\nseed: %d\n%s" %
                         (task, seed, run_block), dtype=STR)
        s = f.create_group("summary")
        s.attrs.create("env", task, dtype=STR)
        g = f.create_group("series/eval_normalised_return")
        g["step"] = steps
        g["value"] = np.asarray(curve, dtype=np.float64)
        u = f.create_group("series/updates")
        u["step"] = steps
        u["value"] = steps * 2.0
        if swd is not None:
            # early points far off; the last quarter (2 of 10 points) at swd
            w = f.create_group("series/swd_states")
            w["step"] = steps
            w["value"] = np.where(np.arange(10) >= 8, swd, 5.0)


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gv-report-")
        cls.paths = []
        for (task, arm), vals in SCORES.items():
            for seed, v in enumerate(vals):
                p = os.path.join(cls.tmp, "%s-%s-%d.h5" % (task, arm, seed))
                write_run(p, task, arm, seed, v, swd=SWD[(task, arm)][seed])
                cls.paths.append(p)
        # seed 4 of hopper/gail diverged after reaching 0.6: scores 0.6
        p = os.path.join(cls.tmp, "hopper-gail-4.h5")
        # (its budget: 10 evaluations, as the resolved config writes it)
        curve = [0.1, 0.3, 0.6] + [np.nan] * 7
        write_run(p, "hopper", "gail", 4, 0.0, status="diverged", curve=curve,
                  run_block="run:\n  steps: 100000\n  envs: 1\n  eval_every: 10000\n")
        cls.paths.append(p)
        # seed 5 of hopper/gail failed: counted, not scored
        p = os.path.join(cls.tmp, "hopper-gail-5.h5")
        write_run(p, "hopper", "gail", 5, 0.9, status="failed")
        with h5py.File(p, "a") as f:  # resumed once, by another build, then failed
            f.create_dataset("log", data=[
                "warning: resumed with --force: the checkpoint was written by governor 0.1.0 "
                "(aaa), this is governor 0.1.0 (bbb)", "resumed at step 5000 from x.h5.ckpt",
                "failed at step 7000: disc: NaN in the input", "analysis: skipped"], dtype=STR)
        cls.paths.append(p)
        # seed 6 of hopper/gail was preempted (SIGTERM): counted, not scored
        p = os.path.join(cls.tmp, "hopper-gail-6.h5")
        write_run(p, "hopper", "gail", 6, 0.9, status="preempted")
        cls.paths.append(p)
        # frozen-policy evaluations for the noise floor
        cls.noise = os.path.join(cls.tmp, "noise-hopper.h5")
        write_run(cls.noise, "hopper", "frozen", 0, 0.0, kind="evaluate",
                  curve=[0.50, 0.52, 0.48, 0.51, 0.49, 0.50, 0.53, 0.47, 0.50, 0.50])
        cls.out = os.path.join(cls.tmp, "out")
        cls.reps = 2000
        r = subprocess.run([sys.executable, REPORT] + cls.paths +
                           ["--out", cls.out, "--baseline", "gail", "--reps", str(cls.reps),
                            "--noise", cls.noise], capture_output=True, text=True)
        cls.rc, cls.err = r.returncode, r.stderr
        if r.returncode:
            raise AssertionError("report.py exit %d: %s" % (r.returncode, r.stderr[-3000:]))
        with open(os.path.join(cls.out, "report.md")) as f:
            cls.md = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def row(self, section, *cells):
        """The first table row of the section whose title starts with
        `section` that starts with cells."""
        parts = [p for p in self.md.split("\n## ") if p.startswith(section)]
        self.assertTrue(parts, "no section %r" % section)
        for line in parts[0].splitlines():
            parts = [c.strip() for c in line.strip("|").split("|")]
            if parts[:len(cells)] == list(cells):
                return parts
        self.fail("no row starting %r in report.md" % (cells,))

    def test_exit(self):
        self.assertEqual(self.rc, 0, self.err)

    def test_counts(self):
        # task, arm, runs, completed, diverged, failed, interrupted, preempted, running, scored
        self.assertEqual(self.row("Runs", "hopper", "gail")[2:10],
                         ["7", "4", "1", "1", "0", "1", "0", "5"])
        self.assertEqual(self.row("Runs", "halfcheetah", "cgail")[2:10],
                         ["4", "4", "0", "0", "0", "0", "0", "4"])

    def test_iqm_per_task(self):
        # hopper/gail scores: the four finals and the diverged run's 0.6
        sc = SCORES[("hopper", "gail")] + [0.6]
        p, lo, hi = rlstats.interval([sc], "iqm", reps=self.reps, seed=0)
        self.assertAlmostEqual(rlstats.iqm(sc), np.mean([0.5, 0.55, 0.6]))
        cell = self.row("Interquartile", "hopper")[1 + ["gail", "cgail"].index("gail")]
        self.assertEqual(cell, "%.2f [%.2f, %.2f] (n=5)" % (p, lo, hi))

    def test_improvement(self):
        # cgail beats gail on every pair of halfcheetah runs? 0.91 > 0.90: yes
        cells = self.row("Against", "cgail", "halfcheetah")
        self.assertTrue(cells[2].startswith("1.00 [1.00, 1.00]"), cells)
        # paired differences: seeds 0..3 shared on halfcheetah
        d = np.mean(np.array(SCORES[("halfcheetah", "cgail")]) -
                    np.array(SCORES[("halfcheetah", "gail")]))
        self.assertTrue(cells[3].startswith("%.2f" % d), cells)
        self.assertIn("(4 pairs)", cells[3])
        # the protocol's verdict: an interval [1, 1] lies above 0.5
        self.assertTrue(cells[4].startswith("better"), cells)
        # hopper: P(cgail > gail) with the seeds per arm that the row rests on
        cells = self.row("Against", "cgail", "hopper")
        p = rlstats.prob_improvement([SCORES[("hopper", "cgail")]],
                                     [SCORES[("hopper", "gail")] + [0.6]], reps=self.reps,
                                     seed=0)
        self.assertEqual(cells[4], rlstats.verdict(p, 4)[1])

    def test_steps_to_threshold(self):
        # cgail on hopper: linspace(0, final, 10) first reaches 0.95 at the last
        # point (step 1e5) for finals >= 0.95 (0.95 reaches at exactly 1e5 too)
        cells = self.row("Steps", "hopper", "cgail")
        self.assertEqual(cells[2], "4 of 4")
        self.assertTrue(cells[3].startswith("0.1M [0.1M, 0.1M]"), cells)
        self.assertTrue(cells[4].startswith("0.2M"), cells)  # gradient steps = 2 x env
        self.assertEqual(self.row("Steps", "hopper", "gail")[2], "0 of 5")

    def test_noise_floor(self):
        self.assertIn("(k=2, 1 policy, 10 evaluations)",
                      self.row("Oscillation", "hopper", "cgail")[3])
        self.assertEqual(self.row("Oscillation", "halfcheetah", "gail")[3], "not measured")

    def test_failed_runs_have_no_oscillation(self):
        # hopper/gail: the four completed runs' last two points of
        # linspace(0, final, 10) span final / 9, the diverged run's range is
        # unbounded; the failed and preempted runs (0.9 / 9 each) are not scored
        osc = [v / 9 for v in SCORES[("hopper", "gail")]] + [np.inf]
        self.assertEqual(self.row("Oscillation", "hopper", "gail")[2],
                         "%.2f (1 diverged: unbounded)" % np.median(osc))

    def test_provenance_note(self):
        # why a run failed (its last /log line), and how it was resumed
        row = self.row("How this was made", "hopper-gail-5.h5")
        self.assertEqual(row[8], "SkylakeX")  # the OpenBLAS kernel
        self.assertEqual(row[9], "failed at step 7000: disc: NaN in the input; resumed 1 time; "
                         "resumed by another build (--force)")
        self.assertEqual(self.row("How this was made", "hopper-gail-0.h5")[9], "")

    def test_diverged_run_scores(self):
        # hopper/gail seed 4: evaluations 0.1, 0.3, 0.6, then it blew up; its
        # budget held 10: tail and final 0.6, auc (0.1 + 0.3 + 0.6 + 7 x 0.6) / 10
        run = runfile.load(os.path.join(self.tmp, "hopper-gail-4.h5"))
        self.assertEqual(report.Scored(run, "tail", 0.95).score, 0.6)
        self.assertEqual(report.Scored(run, "final", 0.95).score, 0.6)
        self.assertAlmostEqual(report.Scored(run, "auc", 0.95).score, 0.52)
        s = report.Scored(run, "tail", 0.95)
        self.assertEqual((s.osc, s.swd), (np.inf, np.inf))
        self.assertEqual(report.planned_evals(run), 10)
        # numbers as a config may write them (the resolved config keeps them)
        class Cfg:
            def __init__(self, text):
                self.config = text
        for steps, every, n in (("1e5", "1e4", 10), ("2e6", "2.5e4", 80), ("300000", "10000", 30)):
            self.assertEqual(report.planned_evals(Cfg(
                "seed: 1\nrun:\n  steps: %s\n  envs: 8\n  eval_every: %s\nout: x.h5\n"
                % (steps, every))), n)
        self.assertIsNone(report.planned_evals(Cfg("game: {kind: gail}\n")))

    def test_lower_is_better_distance(self):
        # hand count of P(cgail's swd < gail's) on hopper, gail's diverged
        # run counting as unbounded: 0.3 beats all 5, 0.6 ties 0.6 and beats
        # 0.8, 1.0 and inf (3.5), 0.7 beats 3, 1.2 beats inf: 12.5 / 20; on
        # halfcheetah every pair: 1
        label = "sliced W1 of states to the expert's (last-quarter mean of swd_states)"
        x = [SWD[("hopper", "cgail")], SWD[("halfcheetah", "cgail")]]
        y = [SWD[("hopper", "gail")] + [np.inf], SWD[("halfcheetah", "gail")]]
        p = rlstats.prob_improvement(x[:1], y[:1], reps=self.reps, seed=0, lower_is_better=True)
        self.assertEqual(p[0], 12.5 / 20)
        cells = self.row("Where lower", label, "cgail", "hopper")
        self.assertEqual(cells[3], "0.650 (4)")       # median of cgail's
        self.assertEqual(cells[4], "0.800 (5)")       # 0.4, 0.6, 0.8, 1.0 and the diverged run
        self.assertEqual(cells[5], "%.2f [%.2f, %.2f]" % p)
        cells = self.row("Where lower", label, "cgail", "halfcheetah")
        self.assertEqual(cells[5], "1.00 [1.00, 1.00]")
        self.assertTrue(cells[6].startswith("-0.30 [-0.30, -0.30] (4 pairs)"), cells)
        # over tasks in the report's order (sorted): halfcheetah, hopper
        p = rlstats.prob_improvement(x[::-1], y[::-1], reps=self.reps, seed=0,
                                     lower_is_better=True)
        self.assertEqual(p[0], (12.5 / 20 + 1) / 2)
        self.assertEqual(self.row("Where lower", label, "cgail", "all tasks")[5],
                         "%.2f [%.2f, %.2f]" % p)

    def test_lower_is_better_oscillation(self):
        # cgail's higher finals give it the larger ranges (final / 9) on
        # halfcheetah on every pair: better on the score, worse on the range
        label = "oscillation range (last quarter of the evaluations)"
        self.assertEqual(self.row("Where lower", label, "cgail", "halfcheetah")[5],
                         "0.00 [0.00, 0.00]")
        self.assertTrue(self.row("Against", "cgail", "halfcheetah")[2].startswith("1.00"))

    def test_self_contained(self):
        with open(os.path.join(self.out, "report.html")) as f:
            page = f.read()
        self.assertIn("data:image/png;base64,", page)
        self.assertNotIn("http://", page)
        self.assertNotIn("https://", page)

    def test_auc_metric(self):
        # each curve is linspace(0, final, 10): its mean is final / 2; the IQM
        # of cgail's hopper finals (0.95, 0.97, 0.99, 1.00) / 2 drops one at
        # each end: (0.485 + 0.495) / 2 = 0.49
        out = os.path.join(self.tmp, "auc")
        r = subprocess.run([sys.executable, REPORT] + self.paths +
                           ["--out", out, "--baseline", "gail", "--reps", "200",
                            "--metric", "auc"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "report.md")) as f:
            md = f.read()
        part = [p for p in md.split("\n## ") if p.startswith("Interquartile")][0]
        row = [l for l in part.splitlines() if l.startswith("| hopper |")][0]
        cells = [c.strip() for c in row.strip("|").split("|")]
        self.assertTrue(cells[2].startswith("0.49 ["), cells)
        self.assertIn("Metric: auc", md)

    def test_curve_grid_is_common_to_the_runs(self):
        # against gradient steps two seeds end apart; the mean's last point
        # must average both runs, not the one that went further
        a = (np.array([1000.0, 150000.0, 299000.0]), np.array([0.1, 0.8, 1.0]))
        b = (np.array([1500.0, 150500.0, 299500.0]), np.array([0.2, 0.6, 0.0]))
        grid = report.curve_grid([a, b])
        self.assertEqual((grid[0], grid[-1], grid.size), (1500.0, 299000.0, 120))
        mean, lo, hi = report.band([a, b], grid, 200, 0)
        self.assertFalse(np.isnan(mean).any())
        want_b = np.interp(299000.0, b[0], b[1])
        self.assertAlmostEqual(mean[-1], (1.0 + want_b) / 2, places=12)
        # runs with no step in common: the union, each point what reaches it
        c = (np.array([400000.0, 500000.0]), np.array([0.5, 0.5]))
        grid = report.curve_grid([a, c])
        self.assertEqual((grid[0], grid[-1]), (1000.0, 500000.0))

    def test_curves_figure_uses_the_common_grid(self):
        # the figure itself: two seeds whose gradient steps end apart; the
        # band is asked for on the steps both reached, in both panels
        def stub(seed, lag):
            steps = np.arange(1, 11, dtype=np.float64) * 1e4
            up = types.SimpleNamespace(step=steps, value=steps - lag)
            return types.SimpleNamespace(
                task="hopper", arm="gail", seed=seed, status="completed", steps=steps,
                curve=np.linspace(0.1, 1.0, 10), run=types.SimpleNamespace(series={"updates": up}))
        grids = []
        band = report.band

        def spy(curves, grid, reps, seed):
            grids.append((grid[0], grid[-1]))
            return band(curves, grid, reps, seed)
        report.band = spy
        try:
            report.fig_curves([stub(0, 1000.0), stub(1, 1900.0)], ["hopper"], ["gail"],
                              {"gail": "C0"}, 50, 0, os.path.join(self.tmp, "c.png"))
        finally:
            report.band = band
        self.assertEqual(grids, [(1e4, 1e5), (1e4 - 1000.0, 1e5 - 1900.0)])

    def test_no_updates_series(self):
        # GAIL on PPO logs no `updates`: gradient steps are n/a, not env steps
        paths = []
        for arm, final in (("gail", 0.96), ("cgail", 0.97)):
            p = os.path.join(self.tmp, "noup-%s.h5" % arm)
            write_run(p, "hopper", arm, 0, final)
            with h5py.File(p, "a") as f:
                del f["series/updates"]
            paths.append(p)
        out = os.path.join(self.tmp, "noup")
        r = subprocess.run([sys.executable, REPORT] + paths +
                           ["--out", out, "--baseline", "gail", "--reps", "200"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "report.md")) as f:
            md = f.read()
        row = [l for l in md.splitlines() if l.startswith("| hopper | cgail | 1 of 1 |")][0]
        self.assertIn("| n/a (no updates series: PPO takes a fixed number per rollout", row)
        self.assertTrue(row.split("|")[4].strip().startswith("0.1M"), row)

    def test_baseline_first(self):
        # the baseline's column comes first whatever order the files came in
        out = os.path.join(self.tmp, "first")
        r = subprocess.run([sys.executable, REPORT] + self.paths +
                           ["--out", out, "--baseline", "cgail", "--reps", "100"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "report.md")) as f:
            self.assertIn("| task | cgail | gail |", f.read())

    def test_bad_baseline(self):
        r = subprocess.run([sys.executable, REPORT, self.paths[0], "--out", self.out,
                            "--baseline", "nope"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no such arm", r.stderr)

    def test_not_a_run(self):
        bad = os.path.join(self.tmp, "bad.h5")
        with open(bad, "w") as f:
            f.write("hello")
        r = subprocess.run([sys.executable, REPORT, bad, "--out", self.out],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)

    def test_bad_options(self):
        afile = os.path.join(self.tmp, "a-file")
        open(afile, "w").close()
        for extra, msg in ((["--seed", "-5"], "--seed -5: allowed"),
                           (["--reps", "10"], "--reps must be >= 100"),
                           (["--out", afile], "exists and is not a folder")):
            r = subprocess.run([sys.executable, REPORT, self.paths[0], "--out", self.out] + extra,
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, (extra, r.stderr))
            self.assertIn(msg, r.stderr)
            self.assertNotIn("Traceback", r.stderr)

    def test_other_kind(self):
        # a Dirac run has no evaluation return, an rl run no normalised one
        # (a completed rl run would be unscored, a diverged one scored 0):
        # refused, not a page of empty tables that looks like a comparison
        for kind, why in (("dirac", "governor analyze"),
                          ("rl", "logs its return unnormalised")):
            other = os.path.join(self.tmp, "%s.h5" % kind)
            shutil.copy(self.paths[0], other)
            with h5py.File(other, "a") as f:
                f.attrs.modify("kind", kind)
            self.refused([self.paths[0], other], "%s.h5: a run of kind '%s'" % (kind, kind),
                         why)

    def test_run_given_twice(self):
        # the same file twice, or a copy of it, would be two seeds of one arm
        copy = os.path.join(self.tmp, "copy-of-first.h5")
        shutil.copy(self.paths[0], copy)
        for twice in (self.paths[0], copy):
            self.refused(self.paths + [twice],
                         "report: %s and %s are both seed 0 of arm" % (self.paths[0], twice))

    def refused(self, files, *msgs, extra=()):
        """report.py FILES --out X EXTRA: exit 2 with every one of msgs, no
        traceback, nothing written."""
        out = os.path.join(self.tmp, "refused-out")
        r = subprocess.run([sys.executable, REPORT] + files + ["--out", out] + list(extra),
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, (msgs, r.stderr))
        for msg in msgs:
            self.assertIn(msg, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertFalse(os.path.exists(out), msgs)

    def test_malformed_run(self):
        # fields of the wrong value, type or shape: exit 2 naming the file,
        # never a traceback (exit 1) or a silently reshaped series
        def attr(k, v):
            def m(f):
                del f.attrs[k]
                f.attrs[k] = v
            return m

        def series(part, data):
            def m(f):
                del f["series/eval_normalised_return/" + part]
                f["series/eval_normalised_return/" + part] = data
            return m
        cases = [
            (attr("status", "zombie"), "status 'zombie' (allowed: running, completed"),
            (attr("seed", np.nan), "root attribute seed nan (allowed: an integer >= 0)"),
            (attr("seed", -5.7), "root attribute seed -5.7 (allowed"),
            (series("step", np.array([b"a", b"b"])), "unreadable or malformed run file"),
            (series("step", np.arange(10.0)[::-1] * 1e4), "step: not steps from 0, never "
             "decreasing"),
            (series("value", np.zeros((5, 2))), "step and value must be 1-D"),
            (lambda f: f["series"].create_dataset("stray", data=[1.0]),
             "/series/stray: not a group"),
        ]
        for i, (mutate, msg) in enumerate(cases):
            bad = os.path.join(self.tmp, "malformed-%d.h5" % i)
            shutil.copy(self.paths[0], bad)
            with h5py.File(bad, "a") as f:
                mutate(f)
            self.refused([bad, self.paths[1]], "%s: %s" % (bad, msg) if i < 3 else msg)

    def test_unwritable_out(self):
        for out in ("/proc/gv-report", os.path.join(self.paths[0], "sub")):
            r = subprocess.run([sys.executable, REPORT] + self.paths[:2] + ["--out", out],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("--out %s: can not write there" % out, r.stderr)
            self.assertNotIn("Traceback", r.stderr)

    def test_noise_of_another_task(self):
        other = os.path.join(self.tmp, "noise-walker.h5")
        write_run(other, "walker2d", "frozen", 0, 0.0, kind="evaluate",
                  curve=[0.5, 0.52, 0.48, 0.51, 0.49, 0.5, 0.53, 0.47, 0.5, 0.5])
        self.refused(self.paths, "--noise %s: a frozen policy of task walker2d, which no run "
                     "has" % other, extra=("--noise", other))

    def test_completed_run_without_a_finite_evaluation(self):
        # not scored (a NaN would sort as the best score), not "never
        # reached", and the provenance table says why
        p = os.path.join(self.tmp, "nan", "hopper-cgail-9.h5")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        write_run(p, "hopper", "cgail", 9, 0.0, curve=[np.nan] * 10)
        runs = [x for x in self.paths if "hopper-cgail" in x or "hopper-gail" in x]
        out = os.path.join(self.tmp, "nan-out")
        r = subprocess.run([sys.executable, REPORT] + runs + [p, "--out", out, "--reps", "200",
                                                              "--baseline", "gail"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "report.md")) as f:
            md = f.read()
        n = sum("hopper-cgail" in x for x in runs)
        self.assertIn("| hopper | cgail | %d | %d | 0 | 0 | 0 | 0 | 0 | %d |" % (n + 1, n + 1, n),
                      md)
        steps = [l for l in md.split("## Steps")[1].splitlines()
                 if l.startswith("| hopper | cgail |")]
        self.assertTrue(steps and steps[0].split("|")[3].strip().endswith(" of %d" % n), steps)
        self.assertIn("| hopper-cgail-9.h5 | hopper | cgail | 9 | completed | n/a |", md)
        self.assertIn("not scored: no finite evaluation |", md)

    def test_bad_noise_file(self):
        # a learning run passed as noise would read its curve as evaluation
        # noise; a frozen rl policy's file (no normalised return) would be
        # dropped unsaid: both refused, naming the file and why
        rl = os.path.join(self.tmp, "frozen-rl.h5")
        shutil.copy(self.noise, rl)
        with h5py.File(rl, "a") as f:
            del f["series/eval_normalised_return"]
            f["summary"].attrs.create("source_kind", "rl", dtype=STR)
        for bad, why in ((self.paths[0], "a run of kind 'gail', not the frozen-policy file"),
                         (rl, "no eval_normalised_return (its policy came from a run of "
                              "kind 'rl')")):
            self.refused([self.paths[0]], "--noise %s: %s" % (bad, why), extra=("--noise", bad))

    def test_browser(self):
        render_check(self, os.path.join(self.out, "report.html"), self.tmp)


def render_check(test, page_path, tmp):
    """Renders page_path in headless Chromium (Debian's package) and checks
    that the screenshot is not blank and the console shows no error."""
    chrome = shutil.which("chromium")
    if not chrome:
        test.skipTest("chromium not installed (scripts/bootstrap --test installs it)")
    shot = os.path.join(tmp, "shot.png")
    prof = tempfile.mkdtemp(prefix="gv-chrome-")
    r = subprocess.run([chrome, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--user-data-dir=" + prof,
                        "--enable-logging=stderr", "--v=0",
                        "--window-size=1200,1600", "--screenshot=" + shot,
                        "file://" + page_path],
                       capture_output=True, text=True, timeout=120)
    shutil.rmtree(prof, ignore_errors=True)
    test.assertTrue(os.path.exists(shot), r.stderr[-2000:])
    console = [l for l in r.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
    test.assertEqual(console, [], "\n".join(console))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    px = mpimg.imread(shot)
    test.assertGreater(float(np.std(px[..., :3])), 0.05)  # not blank


if __name__ == "__main__":
    unittest.main(verbosity=1)
