#!/usr/bin/python3
"""plots/study.py, a study's page, on synthetic blocks whose verdicts are
known.

Block "main": hopper and halfcheetah, arms gail, cgail and control, seeds
0-3.  cgail's final levels (0.95-0.99) are above every gail and control run
(0.50-0.80): on the tail score P(cgail > gail) = P(cgail > control) = 1 with
the interval [1, 1], so C4 is supported for cgail and cgail-specific.
control sits between: above gail on every pair, so control vs gail is
supported too.  swd_states: cgail 0.1 against gail's 0.5 and control's 0.1
on every run: C3 supported against gail, and cgail vs control all ties:
P = 0.5 exactly, undecided with what [0.5, 0.5] rules out and "0.5 itself",
so C3 is not cgail-specific.
Block "entropy": hopper alone, cgail below gail on every pair: C4
contradicted.  Block "short": a block stopped part way (hopper, cgail's
seed 3 still running): the blocks table shows 3 to 4 scored runs per arm
and task.  Block "fail": a failed run before and after the protocol's one
re-run.  Block "near": an undecided claim whose page says how many seeds
would decide it (a hand count).  Checks the claims table, the four reports
per block, the self-contained page (rendered headless where chromium is
installed) and the refusals of bad input.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
STUDY = os.path.join(ROOT, "plots", "study.py")
sys.path.insert(0, HERE)
from test_report import render_check  # noqa: E402

STR = h5py.string_dtype("utf-8")
LEVEL = {"gail": [0.50, 0.55, 0.60, 0.65], "control": [0.70, 0.72, 0.75, 0.80],
         "cgail": [0.95, 0.96, 0.98, 0.99]}
SWD = {"gail": 0.5, "control": 0.1, "cgail": 0.1}


def write(path, sweep, task, arm, seed, final, swd, env_axis=True, status="completed",
          kernel="SkylakeX"):
    steps = np.arange(1, 9, dtype=np.float64) * 25000
    curve = np.concatenate([np.linspace(0.0, final, 6), [final, final]])
    group = "%s-%s%s" % (sweep, arm, "-env=" + task if env_axis else "")
    with h5py.File(path, "w") as f:
        f.attrs["version"] = "0.1.0"
        f.attrs.create("kind", "gail", dtype=STR)
        f.attrs.create("name", "%s-seed=%d" % (group, seed), dtype=STR)
        f.attrs.create("group", group, dtype=STR)
        f.attrs.create("axes", "seed=%d%s" % (seed, ",game.env=" + task if env_axis else ""),
                       dtype=STR)
        f.attrs.create("status", status, dtype=STR)
        f.attrs.create("git_commit", "abc123", dtype=STR)
        f.attrs.create("blas_core", kernel, dtype=STR)
        f.attrs["seed"] = np.uint64(seed)
        f.create_dataset("config", data="game: {kind: gail, env: %s}\n" % task, dtype=STR)
        f.create_group("summary").attrs.create("env", task, dtype=STR)
        for name, val in (("eval_normalised_return", curve), ("swd_states", np.full(8, swd)),
                          ("updates", steps * 2)):
            g = f.create_group("series/" + name)
            g["step"] = steps
            g["value"] = np.asarray(val, dtype=np.float64)


class Study(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gv-study-")
        cls.main, cls.entropy, cls.short = [], [], []
        for arm in ("gail", "cgail", "control"):
            for seed in range(4):
                for task in ("hopper", "halfcheetah"):
                    p = os.path.join(cls.tmp, "m-%s-%s-%d.h5" % (arm, task, seed))
                    write(p, "st-main", task, arm, seed, LEVEL[arm][seed], SWD[arm])
                    cls.main.append(p)
                # the entropy block: cgail below gail
                p = os.path.join(cls.tmp, "e-%s-%d.h5" % (arm, seed))
                lvl = {"gail": 0.9, "cgail": 0.3, "control": 0.6}[arm] + 0.01 * seed
                write(p, "st-entropy", "hopper", arm, seed, lvl, SWD[arm], env_axis=False)
                cls.entropy.append(p)
                p = os.path.join(cls.tmp, "s-%s-%d.h5" % (arm, seed))
                write(p, "st-short", "hopper", arm, seed, LEVEL[arm][seed], SWD[arm],
                      env_axis=False, status="running" if (arm, seed) == ("cgail", 3)
                      else "completed")
                cls.short.append(p)
        cls.out = os.path.join(cls.tmp, "page")
        r = subprocess.run(["/usr/bin/python3", STUDY, "--out", cls.out, "--reps", "500",
                            "--block", "main"] + cls.main + ["--block", "entropy"] +
                           cls.entropy + ["--block", "short"] + cls.short,
                           capture_output=True, text=True)
        if r.returncode:
            raise AssertionError("study.py exit %d: %s" % (r.returncode, r.stderr[-3000:]))
        with open(os.path.join(cls.out, "study.md")) as f:
            cls.md = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def claim(self, claim, block, md=None):
        """The claims-table row of claim and block, in md (default: the
        class's page)."""
        for line in (self.md if md is None else md).splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == 6 and cells[0].startswith(claim) and cells[1] == block:
                return cells
        self.fail("no row %s / %s in study.md" % (claim, block))

    def test_supported_and_specific(self):
        c = self.claim("C4 no cost", "main")
        self.assertEqual(c[2], "1.00 [1.00, 1.00]: supported")      # cgail vs gail
        self.assertEqual(c[3], "1.00 [1.00, 1.00]: supported")      # control vs gail
        self.assertEqual(c[4], "1.00 [1.00, 1.00]: supported")      # cgail vs control
        self.assertEqual(c[5], "supported")

    def test_not_specific(self):
        c = self.claim("C3 distribution", "main")
        self.assertEqual(c[2], "1.00 [1.00, 1.00]: supported")
        self.assertEqual(c[4], "0.50 [0.50, 0.50]: undecided (rules out P < 0.50 and "
                               "P > 0.50; 0.5 itself)")
        self.assertEqual(c[5], "not specific: cgail is undecided against control")

    def test_contradicted(self):
        c = self.claim("C4 no cost", "entropy")
        self.assertEqual(c[2], "0.00 [0.00, 0.00]: contradicted")
        self.assertEqual(c[5], "contradicted (worse than gail)")

    def summed(self, claim, md=None):
        """The in-sum row of claim in md (default: the class's page)."""
        text = self.md if md is None else md
        part = text.split("## In sum\n", 1)[1].split("\n## ", 1)[0]
        for line in part.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == 5 and cells[0] == claim:
                return cells
        self.fail("no in-sum row %s in study.md" % claim)

    def test_in_sum(self):
        # C4: cgail above gail in main and short, below it in entropy, and
        # above control too where it is above gail
        self.assertEqual(self.summed("C4 no cost"),
                         ["C4 no cost", "main, short", "entropy", "none", "main, short"])
        # C3: cgail's distance below gail's in every block, level with
        # control's (P = 0.5): supported everywhere, cgail-specific nowhere
        self.assertEqual(self.summed("C3 distribution"),
                         ["C3 distribution", "main, entropy, short", "none", "none", "none"])
        self.assertIn("<h2>In sum</h2>", open(os.path.join(self.out, "study.html")).read())

    def test_block_reports(self):
        for block in ("main", "entropy"):
            for sub in ("tail", "auc", "tail-vs-control", "auc-vs-control"):
                self.assertTrue(os.path.exists(os.path.join(self.out, "%s-%s" % (block, sub),
                                                            "report.md")), (block, sub))
        self.assertIn("| main | halfcheetah, hopper | cgail, control, gail | 24 | completed 24 | 4 |",
                      self.md)

    def test_block_stopped_part_way(self):
        # a running run is counted, not scored: the arms hold unequal seeds
        self.assertIn("| short | hopper | cgail, control, gail | 12 | completed 11, running 1 "
                      "| 3 to 4 |", self.md)

    def test_block_report_names_its_own_command(self):
        # a block report made by study.py says how to remake it with report.py
        with open(os.path.join(self.out, "entropy-auc", "report.md")) as f:
            md = f.read()
        cmd = [l for l in md.splitlines() if l.startswith("/usr/bin/python3 plots/report.py")][0]
        self.assertIn("--metric auc", cmd)
        self.assertIn("--baseline gail", cmd)
        self.assertNotIn("--block", cmd)

    def test_page(self):
        with open(os.path.join(self.out, "study.html")) as f:
            page = f.read()
        self.assertIn("data:image/png;base64,", page)
        self.assertNotIn("http://", page)
        self.assertNotIn("https://", page)
        self.assertIn("Block main", page)
        render_check(self, os.path.join(self.out, "study.html"), self.tmp)

    def test_expect_converge_preface(self):
        # block "mixed": gail converged on hopper (0.90-0.93) but not on
        # halfcheetah (0.30-0.33); cgail above both.  --converge mixed 0.8
        # leaves halfcheetah out, so the claims are decided on hopper alone;
        # --expect short 15: 11 of 15 runs finished, the page warns
        mixed = []
        for arm in ("gail", "cgail", "control"):
            for seed in range(4):
                for task, lvl in (("hopper", 0.9), ("halfcheetah", 0.3)):
                    v = {"gail": lvl, "cgail": 0.97, "control": 0.6}[arm] + 0.01 * seed
                    p = os.path.join(self.tmp, "x-%s-%s-%d.h5" % (arm, task, seed))
                    # one run made on a machine with another OpenBLAS kernel
                    write(p, "st-mixed", task, arm, seed, v, SWD[arm],
                          kernel="Haswell" if (arm, task, seed) == ("gail", "hopper", 3)
                          else "SkylakeX")
                    mixed.append(p)
        out = os.path.join(self.tmp, "page2")
        r = subprocess.run(["/usr/bin/python3", STUDY, "--out", out, "--reps", "300",
                            "--block", "mixed"] + mixed + ["--block", "short"] + self.short +
                           ["--converge", "mixed", "0.8", "--expect", "short", "15",
                            "--preface", "A sensitivity page."],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        with open(os.path.join(out, "study.md")) as f:
            md = f.read()
        self.assertIn("> A sensitivity page.", md)
        self.assertIn("> Block short is unfinished: 11 of its 15 runs have finished.", md)
        self.assertIn("> Block mixed: halfcheetah left out of its claims (inconclusive", md)
        self.assertIn("> Block mixed: its runs ran under 2 OpenBLAS kernels (Haswell, SkylakeX)",
                      md)
        self.assertNotIn("Block short: its runs ran under", md)
        self.assertNotIn("OpenBLAS kernels", self.md)
        self.assertIn("| 24 | completed 24 | 4 | halfcheetah (gail IQM 0.32 < 0.8) |", md)
        self.assertIn("| 12 of 15 | completed 11, running 1 | 3 to 4 | n/a |", md)
        # C4's IQM on the task decided on (hopper: gail 0.90-0.93, cgail
        # 0.97-1.00, control 0.60-0.63), not pooled with the left-out
        # halfcheetah (gail 0.30-0.33); no row for the block without one
        dec = md[md.index("## C4 on the tasks decided on"):md.index("## Blocks")]
        self.assertIn("| block | tasks decided on | gail | cgail | control |", dec)
        self.assertIn("| mixed | hopper | 0.92 [0.90, 0.93] | 0.98 [0.97, 1.00] | "
                      "0.61 [0.60, 0.63] |", dec)
        self.assertNotIn("| short |", dec)
        self.assertNotIn("C4 on the tasks decided on", self.md)
        self.assertIn("show the left-out task's rows with their verdict words", md)
        # on hopper alone: cgail above gail on every pair, gail above control
        c = self.claim("C4 no cost", "mixed", md)
        self.assertEqual(c[2], "1.00 [1.00, 1.00]: supported")
        self.assertEqual(c[3], "0.00 [0.00, 0.00]: contradicted")
        # every task inconclusive: no verdict at all
        r = subprocess.run(["/usr/bin/python3", STUDY, "--out", out + "-none", "--reps", "300",
                            "--block", "mixed"] + mixed + ["--converge", "mixed", "0.99"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        with open(os.path.join(out + "-none", "study.md")) as f:
            self.assertIn("inconclusive: the baseline did not converge on any task", f.read())

    def test_seeds_to_decide(self):
        # block "near": hopper, three seeds per arm; cgail's tail scores 0.1,
        # 0.9, 0.9 against gail's and control's 0.5 each: P = 6/9 = 2/3.  A
        # resample of cgail's three runs draws k of the 0.9s, k ~ B(3, 2/3),
        # P = k/3: 0 w.p. 1/27 (3.7%) and 1 w.p. 8/27, so the interval is
        # [0, 1]; the half-width towards 0.5 is 2/3, the distance 1/6, and
        # 3 seeds x (2/3 / 1/6)^2 = 48 would decide it
        near = []
        for arm in ("gail", "cgail", "control"):
            for seed in range(3):
                v = [0.1, 0.9, 0.9][seed] if arm == "cgail" else 0.5
                p = os.path.join(self.tmp, "n-%s-%d.h5" % (arm, seed))
                write(p, "st-near", "hopper", arm, seed, v, SWD[arm], env_axis=False)
                near.append(p)
        out = os.path.join(self.tmp, "page-near")
        r = subprocess.run(["/usr/bin/python3", STUDY, "--out", out, "--reps", "20000",
                            "--block", "near"] + near, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        with open(os.path.join(out, "study.md")) as f:
            c = self.claim("C4 no cost", "near", f.read())
        want = ("0.67 [0.00, 1.00]: undecided (rules out no value of P; about 48 seeds per "
                "arm to decide)")
        self.assertEqual(c[2], want)  # cgail vs gail
        self.assertEqual(c[4], want)  # cgail vs control
        self.assertEqual(c[3], "0.50 [0.50, 0.50]: undecided (rules out P < 0.50 and "
                               "P > 0.50; 0.5 itself)")  # control vs gail: all ties
        with open(os.path.join(out, "study.md")) as f:
            self.assertEqual(self.summed("C4 no cost", f.read()),
                             ["C4 no cost", "none", "none", "near (about 48 seeds)", "none"])

    def test_all_diverged(self):
        # block "blown": every run of every arm diverged on hopper.  Their
        # ranges and distances tie as the worst, so C2 and C3 read 0.5 and
        # say why; C1 and C4 still score the runs (from their evaluations up
        # to the divergence).  Block "part": gail's seed 3 still running and
        # every control run running: gail's diverged runs are not every run,
        # and cgail against control has nothing to compare (n/a, no note)
        blown, part = [], []
        for arm in ("gail", "cgail", "control"):
            for seed in range(3):
                p = os.path.join(self.tmp, "b-%s-%d.h5" % (arm, seed))
                write(p, "st-blown", "hopper", arm, seed, LEVEL[arm][seed], SWD[arm],
                      env_axis=False, status="diverged")
                blown.append(p)
            for seed in range(4 if arm == "gail" else 3):
                p = os.path.join(self.tmp, "bp-%s-%d.h5" % (arm, seed))
                running = arm == "control" or seed == 3
                write(p, "st-part", "hopper", arm, seed, LEVEL[arm][seed], SWD[arm],
                      env_axis=False, status="running" if running else "diverged")
                part.append(p)
        out = os.path.join(self.tmp, "page-blown")
        r = subprocess.run(["/usr/bin/python3", STUDY, "--out", out, "--reps", "300",
                            "--block", "blown"] + blown + ["--block", "part"] + part,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        with open(os.path.join(out, "study.md")) as f:
            md = f.read()
        why = "; every run of both arms diverged, so they tie as the worst"
        for claim in ("C2 oscillation", "C3 distribution"):
            c = self.claim(claim, "blown", md)
            for cellv in c[2:5]:
                self.assertTrue(cellv.startswith("0.50 [0.50, 0.50]: undecided"), cellv)
                self.assertTrue(cellv.endswith(why), cellv)
        for claim in ("C1 speed", "C4 no cost"):
            c = self.claim(claim, "blown", md)
            self.assertNotIn("diverged", " ".join(c[2:5]))
            self.assertTrue(c[2].startswith("1.00 [1.00, 1.00]: supported"), c[2])
        for claim in ("C2 oscillation", "C3 distribution"):
            c = self.claim(claim, "part", md)
            self.assertTrue(c[2].startswith("0.50 [0.50, 0.50]: undecided"), c[2])
            self.assertTrue(c[4].startswith("n/a"), c[4])
            self.assertNotIn("diverged", " ".join(c[2:5]))
        self.assertNotIn("every run of both arms diverged", self.md)

    def test_failed_and_retried(self):
        # block "fail": hopper, seeds 0-3, gail's seed 2 failed.  Before the
        # protocol's one re-run the page warns; with its first failure kept
        # aside (--failed-once) the page lists it with its reason and how the
        # re-run ended (failed again: listed, no warning)
        runs = []
        for arm in ("gail", "cgail", "control"):
            for seed in range(4):
                p = os.path.join(self.tmp, "f-%s-%d.h5" % (arm, seed))
                failed = (arm, seed) == ("gail", 2)
                write(p, "st-fail", "hopper", arm, seed, LEVEL[arm][seed], SWD[arm],
                      env_axis=False, status="failed" if failed else "completed")
                if failed:
                    with h5py.File(p, "a") as f:
                        f.create_dataset("log", data=["step 100: payload save failed: disk "
                                                      "full"], dtype=STR)
                    first = os.path.join(self.tmp, "failed-once", os.path.basename(p))
                    os.makedirs(os.path.dirname(first), exist_ok=True)
                    shutil.copy(p, first)
                runs.append(p)

        def page(*extra):
            out = os.path.join(self.tmp, "page-fail")
            r = subprocess.run(["/usr/bin/python3", STUDY, "--out", out, "--reps", "300",
                                "--block", "fail"] + runs + list(extra),
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            with open(os.path.join(out, "study.md")) as f:
                return f.read()
        md = page()
        self.assertIn("> Block fail: 1 failed run has not had the protocol's one re-run yet "
                      "(scripts/study-cgail retry): f-gail-2.h5.", md)
        self.assertIn("Runs that failed and were run once more, as the protocol says (their "
                      "first files are kept in failed-once/ next to the runs): none.", md)
        md = page("--failed-once", "fail", first)
        self.assertNotIn("re-run yet", md)
        self.assertNotIn("has not finished yet", md)
        self.assertIn("| fail | f-gail-2.h5 | step 100: payload save failed: disk full | "
                      "failed |", md)
        # moved aside and not run again yet (a retry stopped): the page warns
        # until its re-run has ended
        p2 = os.path.join(self.tmp, "f-gail-2.h5")
        runs.remove(p2)
        os.rename(p2, p2 + ".aside")
        try:
            md = page("--failed-once", "fail", first)
        finally:
            os.rename(p2 + ".aside", p2)
            runs.append(p2)
        self.assertIn("> Block fail: the protocol's one re-run of 1 failed run has not "
                      "finished yet (scripts/study-cgail retry goes on with it): f-gail-2.h5.",
                      md)
        self.assertIn("| fail | f-gail-2.h5 | step 100: payload save failed: disk full | "
                      "not run again yet |", md)

    def test_bad_input(self):
        def run(*args):
            return subprocess.run(["/usr/bin/python3", STUDY, "--out", self.tmp + "/bad"] +
                                  list(args), capture_output=True, text=True)
        self.assertEqual(run().returncode, 2)
        r = run("--block", "a", self.main[0], "--block", "a", self.main[1])
        self.assertEqual(r.returncode, 2)
        self.assertIn("distinct", r.stderr)
        r = run("--block", "a", *self.main, "--noise", "b", self.main[0])
        self.assertEqual(r.returncode, 2)
        self.assertIn("no such block", r.stderr)
        r = run("--block", "a", *self.main, "--failed-once", "b", self.main[0])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--failed-once b: no such block", r.stderr)
        r = run("--block", "a", *self.main, "--expect", "b", "3")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--expect b 3: needs one of the blocks (a)", r.stderr)
        r = run("--block", "a", *self.main, "--converge", "a", "nan")
        self.assertEqual(r.returncode, 2)
        # a mistyped arm would give a page of n/a cells: refused, naming the arms
        for opt in ("--baseline", "--arm", "--control"):
            r = run("--block", "a", *self.main, opt, "nope")
            self.assertEqual(r.returncode, 2, (opt, r.stderr))
            self.assertIn("%s nope: block a has no such arm (arms: cgail, control, gail)" % opt,
                          r.stderr)
        # ... unless the block is still being made and may not have reached
        # that arm yet (its page says it is unfinished); never the baseline
        r = run("--block", "a", *self.main, "--expect", "a", "1000", "--control", "nope",
                "--reps", "200")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run("--block", "a", *self.main, "--expect", "a", "1000", "--baseline", "nope")
        self.assertEqual(r.returncode, 2, r.stderr)
        r = run("--block", "a", *self.main, "--seed", "-5")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--seed -5: allowed", r.stderr)
        # an arm names a report's folder: no path in it
        r = run("--block", "a", *self.main, "--control", "x/../../y")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--control x/../../y: allowed letters, digits", r.stderr)
        # a block refused after a good one: every block is checked before
        # anything is written
        rl = os.path.join(self.tmp, "rl-run.h5")
        shutil.copy(self.main[0], rl)
        with h5py.File(rl, "a") as f:
            f.attrs.modify("kind", "rl")
        two = os.path.join(self.tmp, "two-blocks")
        r = run("--block", "a", *self.main, "--block", "b", rl, "--reps", "200", "--out", two)
        self.assertEqual(r.returncode, 2)
        self.assertIn("study: block b: %s: a run of kind 'rl'" % rl, r.stderr)
        self.assertFalse(os.path.exists(two), "written before a refusal")
        afile = os.path.join(self.tmp, "a-file")
        open(afile, "w").close()
        r = run("--block", "a", *self.main, "--out", afile)
        self.assertEqual(r.returncode, 2)
        self.assertIn("exists and is not a folder", r.stderr)
        self.assertNotIn("Traceback", r.stderr)


if __name__ == "__main__":
    unittest.main()
