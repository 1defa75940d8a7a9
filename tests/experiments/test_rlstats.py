#!/usr/bin/python3
"""plots/rlstats.py, and plots/seed_intervals.py's t and Welch intervals,
against cases computed by hand.

    /usr/bin/python3 tests/experiments/test_rlstats.py
"""

import math
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plots"))
import rlstats  # noqa: E402
import seed_intervals  # noqa: E402
from scipy import stats  # noqa: E402


class IQM(unittest.TestCase):
    def test_small_table(self):
        # 8 runs pooled: drop 2 lowest and 2 highest -> mean(3, 4, 5, 6)
        self.assertEqual(rlstats.iqm([[1, 2, 3, 4], [5, 6, 7, 8]]), 4.5)

    def test_odd_count_and_outlier(self):
        # n = 5: floor(5/4) = 1 cut each side -> mean(2, 3, 4); the outlier is gone
        self.assertEqual(rlstats.iqm([[1, 2, 3, 4, 100]]), 3.0)

    def test_three_runs_is_the_mean(self):
        self.assertAlmostEqual(rlstats.iqm([[1.0, 2.0, 6.0]]), 3.0)

    def test_six_runs_cut_one_each_side(self):
        # n = 6, not a multiple of 4 and with uneven gaps, where the readings
        # of "the middle 50%" part: floor(6/4) = 1 cut each side (scipy's
        # trim_mean, docs/report.md) -> mean(1, 2, 4, 8) = 3.75; cutting
        # ceil(6/4) = 2 would give 3.0, weighting the quartile runs by half 3.5
        self.assertEqual(rlstats.iqm([[0, 1, 2, 4, 8, 16]]), 3.75)


class Bootstrap(unittest.TestCase):
    def test_two_values(self):
        # the bootstrap mean of {0, 1} is 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4
        p, lo, hi = rlstats.interval([[0.0, 1.0]], stat="mean", reps=40000, seed=3)
        self.assertEqual((p, lo, hi), (0.5, 0.0, 1.0))

    def test_stratified(self):
        # task A's two zeros are in every replicate: the pooled mean is
        # (b1 + b2) / 4 with b in {1, 3}: 0.5, 1.0, 1.5 w.p. 1/4, 1/2, 1/4.
        # A bootstrap over all four runs would reach 0 and 3.
        p, lo, hi = rlstats.interval([[0.0, 0.0], [1.0, 3.0]], stat="mean", reps=40000, seed=1)
        self.assertEqual((p, lo, hi), (1.0, 0.5, 1.5))

    def test_strata_drawn_apart(self):
        # each task's mean is 0, 1/2 or 1 w.p. 1/4, 1/2, 1/4, drawn apart, so
        # both 0 (w.p. 1/16) and 1 are inside the interval; one draw of
        # indices shared by the tasks (a bootstrap over seeds) gives 1/2 always
        self.assertEqual(rlstats.interval([[0.0, 1.0], [1.0, 0.0]], stat="mean", reps=40000,
                                          seed=2), (0.5, 0.0, 1.0))

    def test_iqm_replicates(self):
        # the IQM of four draws from (0, 0, 0, 100) is 100 when three or four
        # draws are 100 (13/256 = 5.1%), 50 with two, else 0: the interval
        # is [0, 100]; replicates of the mean (0, 25, .., 100 w.p. 81, 108,
        # 54, 12, 1 / 256) would put its top at 75
        self.assertEqual(rlstats.interval([[0.0, 0.0, 0.0, 100.0]], reps=40000, seed=4),
                         (0.0, 0.0, 100.0))

    def test_fixed_seed(self):
        x = [[0.3, 0.9, 0.5, 0.7, 0.2], [0.8, 0.1, 0.6]]
        a = rlstats.interval(x, reps=2000, seed=7)
        b = rlstats.interval(x, reps=2000, seed=7)
        c = rlstats.interval(x, reps=2000, seed=8)
        self.assertEqual(a, b)
        self.assertNotEqual(a[1:], c[1:])
        self.assertLessEqual(a[1], a[0])
        self.assertLessEqual(a[0], a[2])

    def test_interval_shrinks_with_runs(self):
        rng = __import__("numpy").random.default_rng(0)
        few = [rng.normal(size=5)]
        many = [rng.normal(size=500)]
        w_few = rlstats.interval(few, reps=4000)[2] - rlstats.interval(few, reps=4000)[1]
        w_many = rlstats.interval(many, reps=4000)[2] - rlstats.interval(many, reps=4000)[1]
        self.assertLess(w_many, w_few / 3)


class ProbabilityOfImprovement(unittest.TestCase):
    def test_hand(self):
        # pairs (1,2) (1,2) (3,2) (3,2): two wins of four
        self.assertEqual(rlstats.prob_improvement([[1, 3]], [[2, 2]], reps=100)[0], 0.5)

    def test_tie_counts_half(self):
        self.assertEqual(rlstats.prob_improvement([[2]], [[2]], reps=100), (0.5, 0.5, 0.5))

    def test_average_over_tasks(self):
        p = rlstats.prob_improvement([[3], [0]], [[1], [1]], reps=100)
        self.assertEqual(p, (0.5, 0.5, 0.5))
        # tasks of unequal run counts: (1 + 0) / 2, where pooling the runs
        # would give 2 wins of 8
        self.assertEqual(rlstats.prob_improvement([[3], [0, 0, 0]], [[1], [1]], reps=100)[0],
                         0.5)

    def test_both_arms_resampled(self):
        # y is one run; x = (1, 3) resampled gives P = 0, 1/2, 1/2, 1: the
        # interval [0, 1] exists only because x is resampled too
        self.assertEqual(rlstats.prob_improvement([[1, 3]], [[2]], reps=4000),
                         (0.5, 0.0, 1.0))
        # two tasks drawn apart: each 0, 1/2 or 1, their mean 0 w.p. 1/16;
        # one draw of indices shared by both (x mirrored) would give 1/2 always
        self.assertEqual(rlstats.prob_improvement([[1, 3], [3, 1]], [[2], [2]], reps=4000),
                         (0.5, 0.0, 1.0))

    def test_clear_winner(self):
        p, lo, hi = rlstats.prob_improvement([[5, 6, 7]], [[1, 2, 3]], reps=1000)
        self.assertEqual((p, lo, hi), (1.0, 1.0, 1.0))

    def test_lower_is_better_hand(self):
        # x = (1, 2), y = (2, 3), lower better: pairs (1,2) (1,3) (2,3) are
        # wins, (2,2) a tie -> 3.5 / 4; higher better: only the tie -> 0.5 / 4
        x, y = [[1.0, 2.0]], [[2.0, 3.0]]
        self.assertEqual(rlstats.prob_improvement(x, y, reps=100, lower_is_better=True)[0],
                         0.875)
        self.assertEqual(rlstats.prob_improvement(x, y, reps=100)[0], 0.125)

    def test_lower_is_better_interval(self):
        # x = (1) against y = (2, 3): every resample of y is above 1, so
        # lower-is-better gives 1 with the interval [1, 1], higher-is-better 0
        self.assertEqual(rlstats.prob_improvement([[1]], [[2, 3]], reps=500,
                                                  lower_is_better=True), (1.0, 1.0, 1.0))
        self.assertEqual(rlstats.prob_improvement([[1]], [[2, 3]], reps=500), (0.0, 0.0, 0.0))
        # x = (2) against y = (1, 3): resamples (1,1), (1,3), (3,1), (3,3) with
        # probability 1/4 each give P(x < y) = 0, 1/2, 1/2, 1: the 95% interval
        # is [0, 1] around the point 1/2
        self.assertEqual(rlstats.prob_improvement([[2]], [[1, 3]], reps=2000,
                                                  lower_is_better=True), (0.5, 0.0, 1.0))

    def test_lower_is_better_is_the_complement(self):
        # P(X < Y) + P(X > Y) + P(X = Y) = 1 replicate by replicate (same seed,
        # same draws): the point is 1 - the other and the interval mirrors it
        x = [[0.30, 0.10, 0.25, 0.10, 0.40], [1.2, 0.9, 1.1]]
        y = [[0.20, 0.35, 0.10, 0.50], [1.0, 1.3, 1.4, 0.9]]
        p, lo, hi = rlstats.prob_improvement(x, y, reps=3000, seed=5, lower_is_better=True)
        q, qlo, qhi = rlstats.prob_improvement(x, y, reps=3000, seed=5)
        # by hand: task 1 wins of x < y: 0.30: 1 (0.35) + 1 (0.50); 0.10: 3 + tie (0.10);
        # 0.25: 2; 0.10: 3 + tie; 0.40: 1 -> (2 + 3.5 + 2 + 3.5 + 1) / 20 = 0.6;
        # task 2: 1.2: 2; 0.9: 3 + tie; 1.1: 2 -> 7.5 / 12 = 0.625
        self.assertAlmostEqual(p, (0.6 + 0.625) / 2, places=12)
        self.assertAlmostEqual(p + q, 1.0, places=12)
        self.assertAlmostEqual(lo, 1.0 - qhi, places=12)
        self.assertAlmostEqual(hi, 1.0 - qlo, places=12)
        self.assertLess(lo, p)
        self.assertGreater(hi, p)


class Others(unittest.TestCase):
    def test_profile(self):
        p, lo, hi = rlstats.performance_profile([[0.1, 0.5, 0.9]], [0.0, 0.5, 1.0], reps=500)
        self.assertEqual(list(p), [1.0, 1.0 / 3.0, 0.0])
        self.assertTrue(all(lo <= p) and all(p <= hi))

    def test_profile_interval(self):
        # per task the fraction above 0.5 is 0, 1/2 or 1 w.p. 1/4, 1/2, 1/4
        # (its two runs resampled), so the mean of two reaches 0 and 1
        p, lo, hi = rlstats.performance_profile([[0.0, 1.0], [1.0, 0.0]], [0.5], reps=4000)
        self.assertEqual((p[0], lo[0], hi[0]), (0.5, 0.0, 1.0))

    def test_profile_averages_tasks(self):
        # task 1: 1 of 1 above 0.5; task 2: 0 of 2 -> (1 + 0) / 2
        p, _, _ = rlstats.performance_profile([[0.9], [0.1, 0.2]], [0.5], reps=10)
        self.assertEqual(p[0], 0.5)

    def test_paired(self):
        p, lo, hi = rlstats.paired_difference([[1, 2, 3]], [[0, 0, 0]], reps=4000)
        self.assertEqual(p, 2.0)
        self.assertTrue(1.0 <= lo <= 2.0 <= hi <= 3.0)
        with self.assertRaises(ValueError):
            rlstats.paired_difference([[1, 2]], [[0]])
        # differences (0, 2): their bootstrap mean is 0, 1, 2 w.p. 1/4, 1/2, 1/4
        self.assertEqual(rlstats.paired_difference([[0, 2]], [[0, 0]], reps=4000),
                         (1.0, 0.0, 2.0))

    def test_first_reach(self):
        self.assertEqual(rlstats.first_reach([10, 20, 30], [0.1, 0.96, 0.5], 0.95), 20.0)
        self.assertTrue(math.isinf(rlstats.first_reach([10, 20], [0.1, 0.2], 0.95)))

    def test_median_with_never(self):
        # two of three runs never reached: the median is inf
        p, lo, hi = rlstats.median_interval([[5.0, math.inf, math.inf]], reps=1000)
        self.assertTrue(math.isinf(p) and math.isinf(hi))
        self.assertEqual(lo, 5.0)

    def test_noise_floor(self):
        self.assertEqual(rlstats.noise_floor([0.7] * 10, 5), (0.0, 0.0))
        med, p95 = rlstats.noise_floor([0.0, 1.0], 5, reps=20000, seed=2)
        # 5 draws from {0, 1} all equal w.p. 2/32: the median range is 1
        self.assertEqual(med, 1.0)
        self.assertEqual(p95, 1.0)
        # one policy always scoring 0, another always 1: the floor is the
        # spread of one policy's scores, 0, not the 1 between them
        self.assertEqual(rlstats.noise_floor([[0.0] * 20, [1.0] * 20], 5, reps=2000), (0.0, 0.0))
        # two policies, one flat and one {0, 1}: a draw ranges 1 with
        # probability 1/2 x (1 - 2 C(10,5) / C(20,5)) = 1/2 x (1 - 0.033) =
        # 0.48 (5 distinct of ten 0s and ten 1s), under 1/2 (median 0) and
        # over 5% (95th percentile 1)
        med, p95 = rlstats.noise_floor([[0.5] * 20, [0.0, 1.0] * 10], 5, reps=20000, seed=3)
        self.assertEqual((med, p95), (0.0, 1.0))
        # k of k evaluations are all of them: every draw's range is the
        # policy's whole range (with replacement it would often miss an end)
        self.assertEqual(rlstats.noise_floor(np.arange(20.0), 20, reps=2000, seed=1),
                         (19.0, 19.0))
        # 19 distinct of 20 miss one evaluation: the range is 19 unless the
        # one missed is an end, w.p. 18/20, so the median is 19 (with
        # replacement both ends are drawn w.p. 1 - 2 (19/20)^19 + (18/20)^19
        # = 0.38 only, and the median would be below 19)
        self.assertEqual(rlstats.noise_floor(np.arange(20.0), 19, reps=20000, seed=1),
                         (19.0, 19.0))

    def test_verdict(self):
        # the protocol's rule on hand cases: above, below, and undecided with
        # the seeds that would shrink the half-width below |p - 0.5|:
        # p 0.6 in [0.4, 0.8] from 5 seeds: half-width 0.2, distance 0.1,
        # 5 * (0.2 / 0.1)^2 = 20 seeds
        self.assertEqual(rlstats.verdict((0.9, 0.6, 1.0), 5)[0], "better")
        self.assertEqual(rlstats.verdict((0.1, 0.0, 0.45), 5)[0], "worse")
        word, text = rlstats.verdict((0.6, 0.4, 0.8), 5)
        self.assertEqual(word, "undecided")
        self.assertIn("about 20 seeds", text)
        # asymmetric: the side facing 0.5 counts, 0.6 - 0.45 = 0.15 against
        # 0.1: 5 * 2.25 = 11.25 -> 12 (the whole width would say 5 * 0.72)
        self.assertIn("about 12 seeds", rlstats.verdict((0.6, 0.45, 0.62), 5)[1])
        # below 0.5 the upper side faces it: 0.55 - 0.3 = 0.25 against 0.2
        self.assertIn("about 16 seeds", rlstats.verdict((0.3, 0.1, 0.55), 10)[1])
        # an interval that just touches 0.5 needs more seeds than it has
        self.assertIn("about 6 seeds", rlstats.verdict((0.7, 0.5, 0.9), 5)[1])
        self.assertEqual(rlstats.verdict((float("nan"), 0.1, 0.9), 5)[0], "undecided")
        self.assertIn("rules out P < 0.40 and P > 0.80", text)
        # an interval touching 0.5 decides nothing; 0.5 itself needs no seeds
        self.assertEqual(rlstats.verdict((0.3, 0.0, 0.5), 10)[0], "undecided")
        self.assertIn("rules out P > 0.50", rlstats.verdict((0.3, 0.0, 0.5), 10)[1])
        self.assertIn("no number of seeds", rlstats.verdict((0.5, 0.2, 0.8), 10)[1])
        self.assertIn("rules out no value", rlstats.verdict((0.55, 0.0, 1.0), 3)[1])
        # what is ruled out is rounded outwards: a low end of 0.497 does not
        # rule out 0.498, so the text says P < 0.49 (to the nearest, 0.50)
        self.assertIn("rules out P < 0.49 and P > 0.81", rlstats.verdict((0.6, 0.497, 0.803),
                                                                         10)[1])
        self.assertIn("rules out P < 0.10 and P > 0.51", rlstats.verdict((0.3, 0.104, 0.503),
                                                                         10)[1])
        # ends that round outwards to 0 and 1 rule out nothing (not "P < 0.00")
        self.assertIn("rules out no value of P", rlstats.verdict((0.6, 0.004, 0.996), 10)[1])
        self.assertIn("rules out P > 0.90;", rlstats.verdict((0.6, 0.009, 0.9), 10)[1])
        # a half-width just over the distance prints with the digits that show
        # it (0.2512 > 0.2488, not "0.25 ... smaller than 0.25"); 10 * 1.019 -> 11
        text = rlstats.verdict((0.7488, 0.4976, 0.9), 10)[1]
        self.assertIn("about 11 seeds", text)
        self.assertIn("(0.251 at 10) smaller than the estimate's distance from 0.5 (0.249)", text)
        self.assertIn("(0.20 at 10) smaller than the estimate's distance from 0.5 (0.10)",
                      rlstats.verdict((0.6, 0.4, 0.8), 10)[1])
        # equal ones stay at two digits (the interval touches 0.5), and so do
        # ones four digits cannot tell apart
        self.assertIn("(0.25 at 10) smaller than the estimate's distance from 0.5 (0.25)",
                      rlstats.verdict((0.75, 0.5, 0.9), 10)[1])
        self.assertIn("(0.10 at 10) smaller than the estimate's distance from 0.5 (0.10)",
                      rlstats.verdict((0.60001, 0.49999, 0.7), 10)[1])

    def test_empty_task_rejected(self):
        with self.assertRaises(ValueError):
            rlstats.interval([[1.0], []])

    def test_nan_rejected(self):
        # a NaN would be the IQM's top score and lose every comparison;
        # inf (a diverged run's range, never reached) is a value
        for f in (rlstats.iqm, rlstats.interval, rlstats.median_interval,
                  lambda s: rlstats.prob_improvement(s, [[1.0, 2.0]]),
                  lambda s: rlstats.performance_profile(s, [0.5])):
            with self.assertRaises(ValueError):
                f([[1.0, float("nan")]])
        self.assertEqual(rlstats.prob_improvement([[math.inf]], [[1.0]], reps=10,
                                                  lower_is_better=True), (0.0, 0.0, 0.0))


class SeedIntervals(unittest.TestCase):
    def test_t_interval(self):
        # (1, 2, 3): mean 2, s 1; t(0.975) with 2 degrees of freedom in closed
        # form, (2p - 1) / sqrt(2 p (1 - p)) = 0.95 / sqrt(0.04875) = 4.3027
        n, m, sd, lo, hi = seed_intervals.t_interval([1.0, 2.0, 3.0])
        h = 0.95 / math.sqrt(2 * 0.975 * 0.025) / math.sqrt(3)
        self.assertEqual((n, m, sd), (3, 2.0, 1.0))
        self.assertAlmostEqual(lo, 2 - h, places=9)
        self.assertAlmostEqual(hi, 2 + h, places=9)

    def test_welch(self):
        # 10 (s 2, n 4) against 7 (s 1, n 5): variances of the means 1 and
        # 0.2, df = 1.2^2 / (1^2 / 3 + 0.2^2 / 4) = 1.44 / 0.34333 = 4.1942
        d, lo, hi, df = seed_intervals.welch(10.0, 2.0, 4, 7.0, 1.0, 5)
        self.assertEqual(d, 3.0)
        self.assertAlmostEqual(df, 1.44 / (1.0 / 3.0 + 0.01), places=12)
        h = stats.t.ppf(0.975, df) * math.sqrt(1.2)
        self.assertAlmostEqual(lo, 3.0 - h, places=12)
        self.assertAlmostEqual(hi, 3.0 + h, places=12)
        # between t with 4 and 5 degrees of freedom (2.776, 2.571) x 1.0954
        self.assertTrue(2.571 * 1.0954 < h < 2.777 * 1.0955, h)


if __name__ == "__main__":
    unittest.main(verbosity=1)
