#!/usr/bin/python3
"""plots/rlstats.py against cases computed by hand.

    /usr/bin/python3 tests/experiments/test_rlstats.py
"""

import math
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plots"))
import rlstats  # noqa: E402


class IQM(unittest.TestCase):
    def test_small_table(self):
        # 8 runs pooled: drop 2 lowest and 2 highest -> mean(3, 4, 5, 6)
        self.assertEqual(rlstats.iqm([[1, 2, 3, 4], [5, 6, 7, 8]]), 4.5)

    def test_odd_count_and_outlier(self):
        # n = 5: floor(5/4) = 1 cut each side -> mean(2, 3, 4); the outlier is gone
        self.assertEqual(rlstats.iqm([[1, 2, 3, 4, 100]]), 3.0)

    def test_three_runs_is_the_mean(self):
        self.assertAlmostEqual(rlstats.iqm([[1.0, 2.0, 6.0]]), 3.0)


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

    def test_clear_winner(self):
        p, lo, hi = rlstats.prob_improvement([[5, 6, 7]], [[1, 2, 3]], reps=1000)
        self.assertEqual((p, lo, hi), (1.0, 1.0, 1.0))


class Others(unittest.TestCase):
    def test_profile(self):
        p, lo, hi = rlstats.performance_profile([[0.1, 0.5, 0.9]], [0.0, 0.5, 1.0], reps=500)
        self.assertEqual(list(p), [1.0, 1.0 / 3.0, 0.0])
        self.assertTrue(all(lo <= p) and all(p <= hi))

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

    def test_empty_task_rejected(self):
        with self.assertRaises(ValueError):
            rlstats.interval([[1.0], []])


if __name__ == "__main__":
    unittest.main(verbosity=1)
