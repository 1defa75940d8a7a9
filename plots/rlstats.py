"""Statistics for comparing training runs across tasks and seeds.

The aggregate measures recommended by Agarwal, Schwarzer, Castro, Courville
and Bellemare, "Deep Reinforcement Learning at the Edge of the Statistical
Precipice" (NeurIPS 2021, arXiv 2108.13264), written from their definitions
with numpy only:

- interquartile mean (IQM): the mean of the middle 50% of all runs' scores,
  pooled over tasks (the lowest and highest floor(n/4) removed, n the number
  of runs), as scipy.stats.trim_mean(x, 0.25);
- stratified bootstrap: each replicate resamples, with replacement, the runs
  of each task separately (the tasks are the strata, so every replicate keeps
  every task's run count), then recomputes the statistic; the 95% interval is
  the 2.5th and 97.5th percentiles of the replicates (percentile method);
- probability of improvement P(X > Y): for each task, the Mann-Whitney
  statistic (1 / (N K)) sum_i sum_j S(x_i, y_j) with S = 1 if x_i > y_j,
  1/2 on a tie, 0 otherwise; averaged over tasks.  Its interval resamples X
  and Y independently within each task.  For a measure where lower is
  better (a range of oscillation, a distance) "X better than Y" is x_i < y_j
  (S on the negated scores);
- performance profile: for each threshold tau, the fraction of runs whose
  score exceeds tau, computed per task and averaged over tasks;
- paired differences: where two arms share seeds, the per-seed differences
  and their mean, with a stratified bootstrap over the pairs.

Scores are given as a list of 1-D arrays, one per task (task order is the
caller's).  Every function is deterministic given `seed`.
"""

import math

import numpy as np

REPS = 10000


def _tasks(scores):
    out = [np.asarray(s, dtype=float).ravel() for s in scores]
    if not out or any(len(s) == 0 for s in out):
        raise ValueError("every task needs at least one run")
    # a NaN would sort above every score (the IQM) and lose every comparison
    # (P): the caller says what such a run counts as (docs/report.md); inf
    # is a value (a diverged run's range, a threshold never reached)
    if any(np.isnan(s).any() for s in out):
        raise ValueError("a score is NaN: leave the run out or give it a value")
    return out


def iqm(scores):
    """Interquartile mean of all runs pooled (scores: list of per-task arrays,
    or one array)."""
    if isinstance(scores, np.ndarray) or np.isscalar(scores[0]):
        x = np.asarray(scores, dtype=float).ravel()
    else:
        x = np.concatenate(_tasks(scores))
    return float(_trim_mean_rows(x[None, :])[0])


def _trim_mean_rows(x):
    """IQM of each row of x (r x n)."""
    n = x.shape[1]
    cut = int(0.25 * n)
    xs = np.sort(x, axis=1)
    return xs[:, cut:n - cut].mean(axis=1)


def mean(scores):
    return float(np.concatenate(_tasks(scores)).mean())


def _resample(tasks, reps, rng):
    """reps x N matrix: each row one stratified replicate (tasks concatenated)."""
    cols = []
    for s in tasks:
        idx = rng.integers(0, len(s), size=(reps, len(s)))
        cols.append(s[idx])
    return np.concatenate(cols, axis=1)


def interval(scores, stat="iqm", reps=REPS, seed=0, level=0.95):
    """(point, low, high) of `stat` ("iqm" or "mean") over runs pooled across
    tasks, with a stratified-bootstrap percentile interval."""
    tasks = _tasks(scores)
    rows = {"iqm": _trim_mean_rows, "mean": lambda x: x.mean(axis=1)}[stat]
    point = float(rows(np.concatenate(tasks)[None, :])[0])
    rng = np.random.default_rng(seed)
    boot = rows(_resample(tasks, reps, rng))
    a = 100.0 * (1.0 - level) / 2.0
    lo, hi = np.percentile(boot, [a, 100.0 - a])
    return point, float(lo), float(hi)


def _p_improve_task(x, y):
    """Mann-Whitney P(X > Y) for one task; x (r x n) and y (r x k) rows are
    replicates."""
    gt = (x[:, :, None] > y[:, None, :]).mean(axis=(1, 2))
    eq = (x[:, :, None] == y[:, None, :]).mean(axis=(1, 2))
    return gt + 0.5 * eq


def prob_improvement(x_scores, y_scores, reps=REPS, seed=0, level=0.95,
                     lower_is_better=False):
    """(point, low, high) of P(X better than Y), averaged over tasks: P(X > Y),
    or with lower_is_better (oscillation ranges, distances) P(X < Y), ties
    counting half either way.  The interval resamples each arm's runs within
    each task independently."""
    xs, ys = _tasks(x_scores), _tasks(y_scores)
    if lower_is_better:  # P(X < Y) = P(-X > -Y), ties and all
        xs, ys = [-x for x in xs], [-y for y in ys]
    if len(xs) != len(ys):
        raise ValueError("both arms need the same tasks")
    point = float(np.mean([_p_improve_task(x[None, :], y[None, :])[0] for x, y in zip(xs, ys)]))
    rng = np.random.default_rng(seed)
    acc = np.zeros(reps)
    for x, y in zip(xs, ys):
        bx = x[rng.integers(0, len(x), size=(reps, len(x)))]
        by = y[rng.integers(0, len(y), size=(reps, len(y)))]
        acc += _p_improve_task(bx, by)
    boot = acc / len(xs)
    a = 100.0 * (1.0 - level) / 2.0
    lo, hi = np.percentile(boot, [a, 100.0 - a])
    return point, float(lo), float(hi)


def verdict(ci, seeds):
    """The C-GAIL protocol's verdict on a probability of improvement ci =
    (point, low, high) from `seeds` runs per arm and task: ("better",
    text) when the interval lies above 0.5, ("worse", text) below, else
    ("undecided", text) with what the interval rules out and the seeds per
    arm and task that would make its half-width smaller than the point's
    distance from 0.5, the half-width taken to shrink as 1/sqrt(seeds).  A
    bootstrap interval is not symmetric: the half-width used is the side
    that faces 0.5 (point - low above 0.5, high - point below), the side
    that must shrink; the answer is at least seeds + 1.  No number when the
    point is 0.5 itself."""
    p, lo, hi = ci
    if not all(math.isfinite(v) for v in (p, lo, hi)):
        return "undecided", "undecided: no estimate (%s)" % ", ".join("%g" % v for v in ci)
    if lo > 0.5:
        return "better", "better: the interval lies above 0.5"
    if hi < 0.5:
        return "worse", "worse: the interval lies below 0.5"
    dist = abs(p - 0.5)
    half = p - lo if p > 0.5 else hi - p
    # what is ruled out, its bounds rounded outwards: a low end of 0.497
    # rules out P < 0.49, not P < 0.50 (0.498 is inside the interval); one
    # that rounds to 0 (or a high end to 1) rules out nothing on its side
    low, high = math.floor(lo * 100 + 1e-9) / 100, math.ceil(hi * 100 - 1e-9) / 100
    out = (["P < %.2f" % low] if low > 0 else []) + (["P > %.2f" % high] if high < 1 else [])
    ruled = "rules out " + " and ".join(out) if out else "rules out no value of P"
    if dist < 1e-12:
        return "undecided", "undecided: %s; the estimate is 0.5, so no number of seeds " \
            "would decide it" % ruled
    need = max(seeds + 1, int(math.ceil(seeds * (half / dist) ** 2 - 1e-9)))
    d = 2  # the digits that show which is larger, when up to 4 can; else 2
    while d <= 4 and "%.*f" % (d, half) == "%.*f" % (d, dist):
        d += 1
    d = 2 if d > 4 else d
    return "undecided", "undecided: %s; about %d seeds per arm would make the interval's " \
        "half-width towards 0.5 (%.*f at %d) smaller than the estimate's distance from 0.5 " \
        "(%.*f)" % (ruled, need, d, half, seeds, d, dist)


def paired_difference(x_scores, y_scores, reps=REPS, seed=0, level=0.95):
    """Mean of the per-seed differences x - y (per task: equal-length arrays
    in seed order), (point, low, high) by a stratified bootstrap over the
    pairs."""
    xs, ys = _tasks(x_scores), _tasks(y_scores)
    if len(xs) != len(ys) or any(len(x) != len(y) for x, y in zip(xs, ys)):
        raise ValueError("paired differences need the same seeds in both arms")
    d = [x - y for x, y in zip(xs, ys)]
    return interval(d, stat="mean", reps=reps, seed=seed, level=level)


def performance_profile(scores, taus, reps=REPS, seed=0, level=0.95):
    """For each tau: the fraction of runs with score > tau (per task, averaged
    over tasks), and its stratified-bootstrap interval.  Returns three arrays
    (point, low, high), one value per tau."""
    tasks = _tasks(scores)
    taus = np.asarray(taus, dtype=float)
    point = np.mean([(s[None, :] > taus[:, None]).mean(axis=1) for s in tasks], axis=0)
    rng = np.random.default_rng(seed)
    acc = np.zeros((reps, len(taus)))
    for s in tasks:
        b = s[rng.integers(0, len(s), size=(reps, len(s)))]
        acc += (b[:, :, None] > taus[None, None, :]).mean(axis=1)
    boot = acc / len(tasks)
    a = 100.0 * (1.0 - level) / 2.0
    lo, hi = np.percentile(boot, [a, 100.0 - a], axis=0)
    return point, lo, hi


def first_reach(steps, values, threshold):
    """The first step at which values >= threshold, or inf if never."""
    v = np.asarray(values, dtype=float)
    hit = np.nonzero(v >= threshold)[0]
    return float(np.asarray(steps)[hit[0]]) if len(hit) else float("inf")


def median_interval(scores, reps=REPS, seed=0, level=0.95):
    """(point, low, high) of the median over runs pooled across tasks
    (stratified bootstrap); inf entries (never reached) count as the largest
    values, so the median is inf when half the runs never got there."""
    tasks = _tasks(scores)
    point = float(np.median(np.concatenate(tasks)))
    rng = np.random.default_rng(seed)
    boot = np.median(_resample(tasks, reps, rng), axis=1)
    a = 100.0 * (1.0 - level) / 2.0
    # no interpolation between replicates: an inf bound stays inf
    lo = np.percentile(boot, a, method="lower")
    hi = np.percentile(boot, 100.0 - a, method="higher")
    return point, float(lo), float(hi)


def oscillation_range(values):
    """max - min of a curve's points (NaNs ignored)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.max() - v.min()) if len(v) else float("nan")


def noise_floor(evals, k, reps=REPS, seed=0):
    """Evaluation-noise floor of an oscillation range over k points: the
    distribution of max - min of k draws from the repeated evaluations of
    one frozen policy under the same protocol.  evals: one policy's scores,
    or a list of arrays, one per frozen policy; then each draw of k comes
    from one policy (picked uniformly), so the spread between policies does
    not enter the floor.  A draw takes k distinct evaluations (without
    replacement), the range of k real evaluations; drawn with replacement,
    k of k would repeat some and miss others and read low.  Only a policy
    with fewer than k evaluations is drawn with replacement (its floor then
    reads low, the only way to have one).  Returns (median, 95th
    percentile)."""
    if len(evals) and not np.isscalar(evals[0]):
        pols = [np.asarray(e, dtype=float).ravel() for e in evals]
    else:
        pols = [np.asarray(evals, dtype=float).ravel()]
    pols = [e[np.isfinite(e)] for e in pols]
    pols = [e for e in pols if len(e) >= 2]
    if not pols or k < 2:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(pols), size=reps) if len(pols) > 1 else np.zeros(reps, int)
    r = np.empty(reps)
    for j, e in enumerate(pols):
        at = which == j
        m = int(at.sum())
        if len(e) >= k:  # k distinct: the first k of a random order per draw
            idx = np.argsort(rng.random((m, len(e))), axis=1)[:, :k]
        else:
            idx = rng.integers(0, len(e), size=(m, k))
        b = e[idx]
        r[at] = b.max(axis=1) - b.min(axis=1)
    return float(np.median(r)), float(np.percentile(r, 95))
