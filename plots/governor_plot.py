#!/usr/bin/python3
"""Plots of governor run files (HDF5; schema in docs/hdf5-schema.md, read
through plots/runfile.py).

    /usr/bin/python3 plots/governor_plot.py KIND FILE.h5... --out OUT.png [--title T]
        [--seeds first|best|worst|best-worst|all]

Runs form groups by their root attribute `group` (a sweep point without its
seed), for older files by their name without its -seedN part (runfile.py).
Where a group has several seeds, a curve is the mean over its completed seeds
with a band of the 95% t-interval of that mean (mean +- t(0.975, n-1) s/sqrt(n),
s the sample standard deviation over the n seeds present at that step; for a
log axis, of log10 of the values).  A diverged run (status "diverged") is drawn
apart: dashed, up to its divergence step, ending in a cross (a triangle at the
panel's edge when its last value lies outside); it never sets an axis range,
which comes from the completed runs only.  Every figure names its groups and
their seed counts (legend or caption).

KIND:
  phase     one panel per run: controlled vector field (/arrays/field_x, field_y,
            field), trajectory (/series/theta, /series/psi), start, equilibrium
  distance  |x - x*| against step, log y, clipped below at machine precision
            (2.2e-16 x the largest distance drawn); seeds as geometric mean with
            the t-interval band; a replicated run (/arrays/replica_final_distance)
            adds its replicas' spread: the 5-95% range and median of
            |x0 - x*| exp(lambda t) over replicas, whose end points are the
            replicas' measured final distances (drawn as ticks at the last step);
            more than 6 groups: one panel per group
  eig       eigenvalues against the scanned parameter from a scan file (kind
            "scan"): the Jacobian of the controlled field (continuous time, stable
            when every real part < 0) and, when the file has them, the moduli of
            the update map's eigenvalues (stable when every |mu| < 1)
  lyapunov  replica studies: histograms of /arrays/replica_iters_to_converge
            (-1 = never) and /arrays/replica_lyapunov, one column per file
  samples   MLP GANs (kind "mlpgan"): sample scatters over time, one row per group
            (--seeds first: its first completed seed; best / worst: by final
            sliced Wasserstein distance; best-worst: both; all: every seed), one
            column per snapshot /arrays/samples_STEP, the modes marked
  gan-metrics  MLP GANs: /series/{modes, hq, kl, swd, d_loss, g_loss, ctl_loss,
            d_real, d_fake}; more than 6 groups: one row of panels per group
  gail-return  GAIL and DAC (kinds "gail", "dac"): normalised return
            (/series/eval_normalised_return, else normalised_return) against env
            steps, one panel per env (/summary env); where every run of an env has
            /series/updates (DAC), a second row against gradient steps, unless
            every run does one update per env step after the same number of
            random steps (the x label then says so)
  auto      by each file's root attribute `kind`: "scan" -> eig; "dirac",
            "onestep" -> phase (OUT.png, when the file has theta/psi) and distance
            (OUT-distance.png), replica studies also lyapunov (OUT-lyapunov.png);
            "mlpgan" -> samples (OUT.png) and gan-metrics (OUT-metrics.png);
            "gail", "dac" and other runs with a normalised return -> gail-return

Exit codes: 0 success, 1 a plot could not be drawn, 2 bad input (missing file,
not a governor run, wrong kind, missing data).

Needs Debian's python3-h5py, python3-numpy, python3-matplotlib (run with /usr/bin/python3).
"""

import argparse
import math
import os
import sys
import textwrap
import warnings

try:
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator
except ImportError as exc:  # the wrong interpreter is the usual cause
    sys.stderr.write(
        "governor_plot: %s\n  run with /usr/bin/python3 (Debian's python3-h5py, "
        "python3-numpy, python3-matplotlib)\n" % exc
    )
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runfile  # noqa: E402
from runfile import BadInput, as_str  # noqa: E402

KINDS = ("phase", "distance", "eig", "lyapunov", "samples", "gan-metrics", "gail-return",
         "auto")
SEED_CHOICES = ("first", "best", "worst", "best-worst", "all")
MAX_PANELS = 16          # phase panels per figure; more files are dropped with a warning
MAX_ARROWS = 25          # quiver arrows per axis (the field grid is subsampled)
MANY = 6                 # more groups than this: one panel (row) per group
EPS = float(np.finfo(np.float64).eps)
# tab10, then the same colours dashed, then dotted: 30 distinct styles, and the
# first ten never pale (tab20's light halves made neighbours look alike); tab10's
# grey is replaced by black, since "the other groups" are drawn in light grey
COLOURS = tuple((0.0, 0.0, 0.0) if i == 7 else c
                for i, c in enumerate(plt.get_cmap("tab10").colors))
LINESTYLES = ("-", (0, (5, 2)), (0, (1, 1.2)))
BAND_ALPHA = 0.18
# t(0.975, df) for df = 1..30
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
BAND_TEXT = ("band: 95% t-interval of the mean over the n seeds at each step, "
             "mean +- t(0.975, n-1) s/sqrt(n) (t = 12.7 for 2 seeds, 2.78 for 5)")
DIVERGED_TEXT = "dashed, ending in x: a diverged seed, up to its divergence step"


def warn(msg):
    sys.stderr.write("governor_plot: warning: %s\n" % msg)


def load_runs(paths):
    return runfile.load_all(paths)


# ------------------------------------------------------------------ helpers


def grid_shape(n):
    cols = int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    return rows, cols


def finite_xy(x, y):
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def style(i):
    return {"color": COLOURS[i % len(COLOURS)],
            "ls": LINESTYLES[(i // len(COLOURS)) % len(LINESTYLES)]}


def t975(df):
    """t(0.975, df) elementwise (df >= 1); beyond the table, 1.96 + 2.5 / df."""
    df = np.asarray(df, dtype=np.float64)
    idx = np.clip(df, 1, len(T975)).astype(int) - 1
    return np.where(df <= len(T975), np.asarray(T975)[idx], 1.96 + 2.5 / np.maximum(df, 1))


class Group:
    """Runs of one sweep point over seeds: ok (not diverged) and div."""

    def __init__(self, name, runs, label=None):
        self.name = name
        self.label = label or name
        self.runs = sorted(runs, key=lambda r: (r.seed is None, r.seed or 0, r.path))
        self.ok = [r for r in self.runs if not r.diverged]
        self.div = [r for r in self.runs if r.diverged]

    def describe(self):
        n = len(self.runs)
        s = "%s (%d seed%s" % (self.label, n, "" if n == 1 else "s")
        if self.div:
            s += ", %d diverged" % len(self.div)
        return s + ")"


def make_groups(runs, key=None, label=None):
    """Groups of runs by runfile.group_runs; label(name, runs) -> display label."""
    return [Group(k, rs, label(k, rs) if label else None)
            for k, rs in runfile.group_runs(runs, key)]


def strip_common(groups):
    """With two or more groups whose labels share a dash-ended prefix (the
    sweep's name), drop it from the labels and return it ("" otherwise)."""
    labels = [g.label for g in groups]
    if len(labels) < 2:
        return ""
    pre = os.path.commonprefix(labels)
    pre = pre[:pre.rfind("-") + 1]
    if not pre or any(len(x) == len(pre) for x in labels):
        return ""
    for g in groups:
        g.label = g.label[len(pre):]
    return pre[:-1]


def titled(title, default, prefix):
    return title or (default + (" (%s)" % prefix if prefix else ""))


def get_series(run, key):
    """run's Series for key: a series name, or a function run -> Series or None."""
    return key(run) if callable(key) else run.series.get(key)


def stack(runs, key, prep):
    """(steps (m,), M (len(runs), m)): the series key of each run on the union
    of their steps, NaN where a run has no point."""
    steps = np.unique(np.concatenate([get_series(r, key).step for r in runs]))
    M = np.full((len(runs), steps.size), np.nan)
    for k, r in enumerate(runs):
        s, v = get_series(r, key)
        s, idx = np.unique(s, return_index=True)
        M[k, np.searchsorted(steps, s)] = prep(v[idx])
    return steps, M


def aggregate(runs, key, prep, log=False):
    """(steps, mean, lo, hi): mean over runs and its 95% t-interval (NaN where
    fewer than two runs have a point); on log axes, of log10 of the values."""
    steps, M = stack(runs, key, prep)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            M = np.where(M > 0, np.log10(M), np.nan)
    n = np.sum(np.isfinite(M), axis=0)
    with warnings.catch_warnings():  # all-NaN columns: NaN, no warning
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(M, axis=0)
        sd = np.nanstd(M, axis=0, ddof=1)
    half = np.where(n >= 2, t975(np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    lo, hi = mean - half, mean + half
    if log:
        mean, lo, hi = 10.0 ** mean, 10.0 ** lo, 10.0 ** hi
    return steps, mean, lo, hi


def finite(v):
    v = np.asarray(v, dtype=np.float64)
    return np.where(np.isfinite(v), v, np.nan)


def limits(values, log, robust=False):
    """(lo, hi) with a 5% margin, or None without finite values; robust: the
    2-90 percentile range (for panels of diverged runs only)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if log:
        v = v[v > 0]
    if not v.size:
        return None
    if log:
        v = np.log10(v)
    lo, hi = (np.percentile(v, 2), np.percentile(v, 90)) if robust else (v.min(), v.max())
    pad = 0.05 * (hi - lo) if hi > lo else (0.5 if log else (abs(hi) * 0.1 or 1.0))
    lo, hi = lo - pad, hi + pad
    return (10.0 ** lo, 10.0 ** hi) if log else (lo, hi)


def draw_group(ax, g, st, key, prep, log, label=True, context=False):
    """The group's completed seeds: one line, or mean and band.  Returns the
    finite values of those runs (what sets the axis range)."""
    have = [r for r in g.ok if get_series(r, key) is not None]
    if not have:
        return np.empty(0)
    values = np.concatenate([prep(get_series(r, key).value) for r in have])
    if context:  # another group, behind: its mean only, grey
        steps, mean, _, _ = aggregate(have, key, prep, log)
        ax.plot(steps, mean, color="0.75", lw=0.8, zorder=1)
        return values
    lab = g.describe() if label else None
    if len(have) == 1:
        s = get_series(have[0], key)
        ax.plot(s.step, prep(s.value), lw=1.3, label=lab, zorder=3, **st)
        return values
    steps, mean, lo, hi = aggregate(have, key, prep, log)
    ax.fill_between(steps, lo, hi, color=st["color"], alpha=BAND_ALPHA, lw=0, zorder=2)
    ax.plot(steps, mean, lw=1.3, label=lab, zorder=3, **st)
    return values


def diverged_values(g, key, prep):
    out = []
    for r in g.div:
        s = get_series(r, key)
        if s is not None:
            keep = s.step <= (r.diverged_step if r.diverged_step is not None else np.inf)
            out.append(prep(s.value[keep]))
    return np.concatenate(out) if out else np.empty(0)


def draw_diverged(ax, g, st, key, prep, lim):
    """Each diverged seed: dashed, thin, up to its divergence step, a cross at
    its last value (a triangle on the edge when that lies outside lim)."""
    for r in g.div:
        s = get_series(r, key)
        if s is None:
            continue
        y = prep(s.value)
        keep = np.isfinite(y)
        if r.diverged_step is not None:
            keep &= s.step <= r.diverged_step
        x, y = s.step[keep], y[keep]
        if not x.size:
            continue
        ax.plot(x, y, color=st["color"], lw=0.9, ls=(0, (3, 2)), alpha=0.85, zorder=4)
        ye, mk = y[-1], "X"
        if lim is not None and ye > lim[1]:
            ye, mk = lim[1], "^"
        elif lim is not None and ye < lim[0]:
            ye, mk = lim[0], "v"
        ax.plot(x[-1], ye, mk, color=st["color"], ms=7, mec="k", mew=0.6, zorder=5,
                clip_on=False)


def panel_limits(groups, key, prep, log):
    """The y range of a panel: the completed runs' values; only when there are
    none, the bulk (2-90 percentiles) of the diverged runs' values."""
    ok = [prep(get_series(r, key).value) for g in groups for r in g.ok
          if get_series(r, key) is not None]
    lim = limits(np.concatenate(ok) if ok else [], log)
    if lim is None:
        dv = [diverged_values(g, key, prep) for g in groups]
        lim = limits(np.concatenate(dv) if dv else [], log, robust=True)
    return lim


def draw_panel(ax, groups, styles, key, prep=finite, log=False, lim=None, context=(),
               label=True):
    """Groups' curves of series key on one axis; returns True if anything was drawn."""
    drew = False
    if log:
        ax.set_yscale("log")
    for g in context:
        draw_group(ax, g, None, key, prep, log, context=True)
    for g, st in zip(groups, styles):
        drew |= draw_group(ax, g, st, key, prep, log, label=label).size > 0
        drew |= any(get_series(r, key) is not None for r in g.div)
    if lim is None:
        lim = panel_limits(groups, key, prep, log)
    for g, st in zip(groups, styles):
        draw_diverged(ax, g, st, key, prep, lim)
    if lim is not None:
        ax.set_ylim(lim)
    ax.grid(True, lw=0.3, alpha=0.5)
    return drew


def legend_handles(groups, styles, band=True, lines=True):
    h = [Line2D([], [], lw=1.5, label=g.describe(), **st) for g, st in zip(groups, styles)]
    if not lines:
        h = []
    if band and any(len(g.ok) > 1 for g in groups):
        h.append(Patch(color="0.5", alpha=BAND_ALPHA + 0.1, label=BAND_TEXT))
    if any(g.div for g in groups):
        h.append(Line2D([], [], color="0.3", lw=0.9, ls=(0, (3, 2)), marker="X", ms=6,
                        mec="k", label=DIVERGED_TEXT))
    return h


def caption_text(groups, what="runs"):
    return "%s: %s" % (what, "; ".join(g.describe() for g in groups))


def finish(fig, out, title, handles=None, caption=None, ncol=None):
    """Suptitle, a legend below the panels (handles), a caption under it,
    layout, save."""
    W, H = fig.get_size_inches()
    bottom = 0.0
    if caption:
        lines = textwrap.wrap(caption, width=max(40, int(W * 16)))
        fig.text(0.5, 0.01, "\n".join(lines), ha="center", va="bottom", fontsize=7)
        bottom = (0.14 * len(lines) + 0.1) / H
    if handles:
        ncol = ncol or max(1, min(len(handles), int(W // 3.2)))
        fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=7,
                   frameon=False, bbox_to_anchor=(0.5, bottom))
        bottom += (0.17 * math.ceil(len(handles) / ncol) + 0.1) / H
    top = 1.0
    if title:
        fig.suptitle(title)
        top = 1.0 - 0.45 / H
    fig.tight_layout(rect=(0, min(bottom, 0.6), 1, top))
    d = os.path.dirname(os.path.abspath(out))
    os.makedirs(d, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    print(out)


def field_arrays(run):
    """(fx (nx,), fy (ny,), F (ny, nx, 2)) or None when absent or malformed."""
    a = run.arrays
    if not all(k in a for k in ("field_x", "field_y", "field")):
        return None
    fx = np.asarray(a["field_x"], dtype=np.float64).ravel()
    fy = np.asarray(a["field_y"], dtype=np.float64).ravel()
    F = np.asarray(a["field"], dtype=np.float64)
    if F.shape != (fy.size, fx.size, 2):
        warn(
            "%s: /arrays/field has shape %s, expected (%d, %d, 2): field not drawn"
            % (run.path, F.shape, fy.size, fx.size)
        )
        return None
    return fx, fy, F


def equilibrium(run):
    th, ps = run.number("eq_theta"), run.number("eq_psi")
    return (0.0 if th is None else th, 0.0 if ps is None else ps)


# ------------------------------------------------------------------ phase


def draw_phase(ax, run):
    drew = False
    fld = field_arrays(run)
    lim = None
    if fld is not None:
        fx, fy, F = fld
        sx = max(1, int(math.ceil(fx.size / MAX_ARROWS)))
        sy = max(1, int(math.ceil(fy.size / MAX_ARROWS)))
        X, Y = np.meshgrid(fx[::sx], fy[::sy])
        U = F[::sy, ::sx, 0]
        V = F[::sy, ::sx, 1]
        mag = np.hypot(U, V)
        with np.errstate(invalid="ignore", divide="ignore"):
            Un = np.where(mag > 0, U / mag, 0.0)
            Vn = np.where(mag > 0, V / mag, 0.0)
        ok = np.isfinite(Un) & np.isfinite(Vn)
        # direction only (unit arrows): magnitudes near the equilibrium vanish
        spacing = [abs(float(np.diff(v).min())) for v in (fx[::sx], fy[::sy]) if v.size > 1]
        length = 0.8 * min(spacing) if spacing and min(spacing) > 0 else None
        ax.quiver(X[ok], Y[ok], Un[ok], Vn[ok], color="0.55", angles="xy", pivot="mid",
                  scale_units="xy" if length else None, scale=1.0 / length if length else None,
                  width=0.004, headwidth=3.5)
        lim = [fx.min(), fx.max(), fy.min(), fy.max()]
        drew = True
    s = run.series
    if "theta" in s and "psi" in s:
        th, ps = s["theta"].value, s["psi"].value
        n = min(th.size, ps.size)
        th, ps = finite_xy(th[:n], ps[:n])
        if th.size:
            ax.plot(th, ps, color="C0", lw=1.2, label="trajectory")
            ax.plot(th[0], ps[0], "o", color="C2", ms=6, label="start")
            ax.plot(th[-1], ps[-1], "s", color="C0", ms=4, label="end")
            if lim is not None:
                # keep the field readable: widen for the trajectory, at most 3x
                w = max(lim[1] - lim[0], lim[3] - lim[2])
                lo_x = max(min(lim[0], th.min()), lim[0] - w)
                hi_x = min(max(lim[1], th.max()), lim[1] + w)
                lo_y = max(min(lim[2], ps.min()), lim[2] - w)
                hi_y = min(max(lim[3], ps.max()), lim[3] + w)
                lim = [lo_x, hi_x, lo_y, hi_y]
            drew = True
    eq = equilibrium(run)
    ax.plot(eq[0], eq[1], "*", color="C3", ms=11, label="equilibrium")
    if lim is not None:
        ax.set_xlim(lim[0], lim[1])
        ax.set_ylim(lim[2], lim[3])
    title = run.name
    v = as_str(run.summary.get("measured_verdict"))
    if v:
        title += "\n" + v
    if run.diverged:
        title += " (diverged)"
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("theta")
    ax.set_ylabel("psi")
    ax.set_aspect("equal", adjustable="box")
    ax.grid(True, lw=0.3, alpha=0.5)
    return drew


def plot_phase(runs, out, title=None, **_):
    if len(runs) > MAX_PANELS:
        warn("%d files: only the first %d are drawn" % (len(runs), MAX_PANELS))
        runs = runs[:MAX_PANELS]
    rows, cols = grid_shape(len(runs))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 4.2 * rows + 0.4), squeeze=False)
    any_drawn = False
    for i, run in enumerate(runs):
        ax = axes[i // cols][i % cols]
        if draw_phase(ax, run):
            any_drawn = True
        else:
            warn("%s: no field arrays and no theta/psi series" % run.path)
            ax.text(0.5, 0.5, "no field, no trajectory", ha="center", va="center",
                    transform=ax.transAxes)
    for j in range(len(runs), rows * cols):
        axes[j // cols][j % cols].axis("off")
    if not any_drawn:
        plt.close(fig)
        raise BadInput("phase: no file has /arrays/field* or /series/theta, /series/psi")
    # the legend below the panels, never over one
    handles = [Line2D([], [], color="0.55", marker=r"$\rightarrow$", ls="", ms=10,
                      label="field direction (unit arrows)"),
               Line2D([], [], color="C0", lw=1.2, label="trajectory"),
               Line2D([], [], color="C2", marker="o", ls="", label="start"),
               Line2D([], [], color="C0", marker="s", ls="", ms=4, label="end"),
               Line2D([], [], color="C3", marker="*", ls="", ms=11, label="equilibrium")]
    finish(fig, out, title or "phase portraits", handles=handles, ncol=5,
           caption=caption_text(make_groups(runs)))


# ------------------------------------------------------------------ distance


def replica_fan(ax, run, st, prep, floor, label):
    """The replicas' spread: |x0 - x*| exp(lambda_r t), t in [0, T], whose end
    points are the measured final distances; 5-95% band, median dotted, the
    final distances as ticks at T.  Returns the values drawn."""
    fin = np.asarray(run.arrays["replica_final_distance"], dtype=np.float64).ravel()
    d = run.series["distance"]
    T = run.number("steps_done") or float(d.step[-1])
    d0 = float(d.value[0])
    blown = int(np.sum(~np.isfinite(fin)))
    fin = fin[np.isfinite(fin)]
    if not fin.size or not (d0 > 0) or not (T > 0):
        return None
    # lambda_r = log(final_r / d0) / T (the file's replica_lyapunov, whose
    # floor 1e-300 keeps an exact zero finite)
    lam = np.log(np.maximum(fin, 1e-300) / d0) / T
    t = np.linspace(0.0, T, 400)
    q5, q50, q95 = np.percentile(lam, [5, 50, 95])
    curve = lambda q: prep(d0 * np.exp(q * t))
    ax.fill_between(t, curve(q5), curve(q95), color=st["color"], alpha=0.12, lw=0, zorder=1)
    ax.plot(t, curve(q50), color=st["color"], lw=1.0, ls=(0, (1, 1)), zorder=2)
    ax.plot(np.full(fin.size, T), prep(fin), "_", color=st["color"], ms=9, alpha=0.5, zorder=2)
    fin = prep(fin)
    note = "%s: %d replicas, 5-95%% (band) and median (dotted) of |x0 - x*| exp(lambda t)" % (
        label, fin.size + blown)
    if blown:
        note += "; %d with a final distance past floating point (not drawn)" % blown
    return note, np.concatenate([fin, [d0]])


def plot_distance(runs, out, title=None, **_):
    runs_d = [r for r in runs if "distance" in r.series]
    for r in runs:
        if "distance" not in r.series:
            warn("%s: no /series/distance" % r.path)
    if not runs_d:
        raise BadInput("distance: no file has /series/distance/{step,value}")
    top = [finite(r.series["distance"].value) for r in runs_d]
    top += [finite(r.arrays["replica_final_distance"]) for r in runs_d
            if "replica_final_distance" in r.arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        big = np.nanmax(np.concatenate([np.ravel(v) for v in top]))
    floor = EPS * (big if np.isfinite(big) and big > 0 else 1.0)
    with np.errstate(invalid="ignore"):
        clipped = any(np.any(np.ravel(v) < floor) for v in top)

    def prep(v):
        v = finite(v)
        return np.where(np.isfinite(v), np.maximum(v, floor), np.nan)

    groups = make_groups(runs_d)
    prefix = strip_common(groups)
    styles = [style(i) for i in range(len(groups))]
    many = len(groups) > MANY
    if many:
        rows, cols = grid_shape(len(groups))
        fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows + 0.6),
                                 squeeze=False, sharex=True, sharey=True)
        panels = [(axes[i // cols][i % cols], [g], [styles[i]]) for i, g in enumerate(groups)]
        for j in range(len(groups), rows * cols):
            axes[j // cols][j % cols].axis("off")
    else:
        nrep = sum("replica_final_distance" in r.arrays for r in runs_d)
        fig, ax = plt.subplots(figsize=(8.0, 4.4 + 0.17 * (len(groups) + nrep + 3)))
        panels = [(ax, groups, styles)]
    lim = panel_limits(groups, "distance", prep, True)
    notes, extra = [], []
    for ax, gs, sts in panels:
        for g, st in zip(gs, sts):
            for r in g.ok:
                if "replica_final_distance" in r.arrays:
                    res = replica_fan(ax, r, st, prep, floor,
                                      g.label + (" seed %s" % r.seed if len(g.ok) > 1 else ""))
                    if res is not None:
                        notes.append((res[0], st["color"]))
                        extra.append(res[1])
    if extra:
        both = np.concatenate(extra + [np.asarray(lim or [], dtype=np.float64)])
        lim = limits(both, True)
    if lim is not None:
        lim = (max(lim[0], floor / 2), lim[1])
    for ax, gs, sts in panels:
        context = [g for g in groups if g not in gs] if many else ()
        draw_panel(ax, gs, sts, "distance", prep, log=True, lim=lim, context=context)
        if many:
            ax.set_title(textwrap.shorten(gs[0].describe(), 48, placeholder="..."), fontsize=8, pad=9,
                         color=sts[0]["color"])
        if not many or ax.get_subplotspec().is_last_row() or \
                ax.get_subplotspec().num2 + len(axes[0]) >= len(groups):
            ax.set_xlabel("step")
            ax.xaxis.set_tick_params(labelbottom=True)
        if not many or ax.get_subplotspec().is_first_col():
            ax.set_ylabel("|x - x*|")
    handles = legend_handles(groups, styles, lines=not many)
    for h in handles:
        if h.get_label() == BAND_TEXT:
            h.set_label(BAND_TEXT + "; of log10 |x - x*|")
    if many:
        handles.append(Line2D([], [], color="0.75", lw=0.8, label="the other groups (grey)"))
    for n, colour in notes:
        handles.append(Patch(color=colour, alpha=0.25, label=n))
    if clipped:
        handles.append(Line2D([], [], ls="", label="values below %.2g (machine precision x the "
                              "largest distance) are drawn at %.2g" % (floor, floor)))
    finish(fig, out, titled(title, "distance to the equilibrium", prefix), handles=handles,
           ncol=1 if not many else 2)


# ------------------------------------------------------------------ eig


def scan_arrays(run, prefix="scan_eig"):
    if run.kind != "scan":
        raise BadInput("%s: eig needs a scan file (root attribute kind = \"scan\", got %r)"
                       % (run.path, run.kind))
    a = run.arrays
    for k in ("scan_gain", prefix + "_re", prefix + "_im"):
        if k not in a:
            raise BadInput("%s: scan file without /arrays/%s" % (run.path, k))
    g = np.asarray(a["scan_gain"], dtype=np.float64).ravel()
    re = np.asarray(a[prefix + "_re"], dtype=np.float64)
    im = np.asarray(a[prefix + "_im"], dtype=np.float64)
    if re.ndim == 1:
        re = re[:, None]
    if im.ndim == 1:
        im = im[:, None]
    if re.shape[0] != g.size or im.shape != re.shape:
        raise BadInput("%s: scan arrays disagree: gain %s, %s_re %s, %s_im %s"
                       % (run.path, g.shape, prefix, re.shape, prefix, im.shape))
    return g, re, im


def plot_eig(runs, out, title=None, **_):
    data = []
    for r in runs:
        jac = scan_arrays(r)
        has_map = "scan_map_re" in r.arrays and "scan_map_im" in r.arrays
        data.append((r, jac, scan_arrays(r, "scan_map") if has_map else None))
    ncol = 3 if any(m is not None for _, _, m in data) else 2
    fig, axes = plt.subplots(len(data), ncol, figsize=(4.6 * ncol, 3.8 * len(data) + 0.6),
                             squeeze=False)
    for row, (run, (g, re, im), mp) in enumerate(data):
        key = run.text("key") or as_str(run.summary.get("key")) or "gain"
        order = np.argsort(g, kind="stable")
        logx = g.size > 1 and g.min() > 0 and g.max() / g.min() > 100
        panels = [(re[order], "Re(eigenvalue)", "Jacobian of the controlled field:\nreal parts "
                   "(stable when all < 0)", 0.0),
                  (im[order], "Im(eigenvalue)", "Jacobian of the controlled field:\n"
                   "imaginary parts", 0.0)]
        if mp is not None:
            mod = np.hypot(mp[1], mp[2])[order]
            panels.append((mod, "|mu|", "update map at the scheme's step size:\n"
                           "moduli (stable when all < 1)", 1.0))
        for col in range(ncol):
            ax = axes[row][col]
            if col >= len(panels):
                ax.text(0.5, 0.5, "no update-map eigenvalues\nin this file", ha="center",
                        va="center", transform=ax.transAxes)
                ax.axis("off")
                continue
            vals, ylab, head, ref = panels[col]
            for j in range(vals.shape[1]):
                ax.plot(g[order], vals[:, j], ".-", color=COLOURS[j % 10], lw=0.8, ms=4,
                        label="eigenvalue %d" % j)
            ax.axhline(ref, color="k", lw=0.6)
            ax.set_xlabel(key)
            ax.set_ylabel(ylab)
            if logx:
                ax.set_xscale("log")
            ax.grid(True, lw=0.3, alpha=0.5)
            ax.set_title("%s\n%s" % (run.name, head), fontsize=9)
        if re.shape[1] <= 8:
            axes[row][0].legend(fontsize=7)
    key0 = data[0][0].text("key") or as_str(data[0][0].summary.get("key"))
    finish(fig, out, title or "eigenvalues against %s" % (key0 or "the scanned parameter"),
        caption=caption_text(make_groups(runs), "scan files"))


# ------------------------------------------------------------------ lyapunov


def plot_lyapunov(runs, out, title=None, **_):
    fig, axes = plt.subplots(2, len(runs), figsize=(4.6 * len(runs), 7.2 + 0.6), squeeze=False)
    any_drawn = False
    for col, run in enumerate(runs):
        a = run.arrays
        ax = axes[0][col]
        if "replica_iters_to_converge" in a:
            it = np.asarray(a["replica_iters_to_converge"]).astype(np.int64).ravel()
            conv = it[it >= 0]
            never = int(np.sum(it < 0))
            if conv.size:
                ax.hist(conv, bins=min(30, max(5, conv.size // 2)), color="C0")
            else:
                ax.text(0.5, 0.5, "no replica converged", ha="center", va="center",
                        transform=ax.transAxes)
                ax.set_xticks([])
            ax.set_title("%s\n%d of %d replicas converged, %d never"
                         % (run.name, conv.size, it.size, never), fontsize=10)
            any_drawn = True
        else:
            ax.text(0.5, 0.5, "no replica_iters_to_converge", ha="center", va="center",
                    transform=ax.transAxes)
            ax.set_title(run.name, fontsize=10)
        ax.set_xlabel("iterations to converge (step)")
        ax.set_ylabel("replicas")
        ax = axes[1][col]
        if "replica_lyapunov" in a:
            ly = np.asarray(a["replica_lyapunov"], dtype=np.float64).ravel()
            ly = ly[np.isfinite(ly)]
            if ly.size:
                ax.hist(ly, bins=min(30, max(5, ly.size // 2)), color="C1")
                ax.axvline(0.0, color="k", lw=0.6)
                ax.axvline(float(np.median(ly)), color="C3", lw=1.0, ls="--",
                           label="median %.3g" % float(np.median(ly)))
                ax.legend(fontsize=7)
            any_drawn = True
        else:
            ax.text(0.5, 0.5, "no replica_lyapunov", ha="center", va="center",
                    transform=ax.transAxes)
        ax.set_xlabel("Lyapunov exponent (1/step)")
        ax.set_ylabel("replicas")
        for ax in (axes[0][col], axes[1][col]):
            # few ticks, a common power of ten: long labels do not run together
            if ax.has_data():
                ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
                ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 4))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(True, lw=0.3, alpha=0.5)
    if not any_drawn:
        plt.close(fig)
        raise BadInput("lyapunov: no file has /arrays/replica_iters_to_converge "
                       "or /arrays/replica_lyapunov")
    finish(fig, out, title or "replica studies", caption=caption_text(make_groups(runs)))


# ------------------------------------------------------------------ MLP GANs

MAX_SAMPLE_ROWS = 12     # rows in a samples figure; more are dropped with a warning
GAN_SERIES = (("modes", "modes covered", False), ("hq", "high-quality share", False),
              ("kl", "KL(mode histogram || uniform)", False),
              ("swd", "sliced Wasserstein-1 (log)", True),
              ("d_loss", "D loss", False), ("g_loss", "G loss", False),
              ("ctl_loss", "controller loss", False),
              ("d_real", "mean D logit on real\n(D's output before any sigmoid)", False),
              ("d_fake", "mean D logit on fake\n(D's output before any sigmoid)", False))


def snapshots(run):
    """[(step, (n, 2) array)] of /arrays/samples_STEP, by step."""
    out = []
    for k, v in run.arrays.items():
        if k.startswith("samples_") and k[8:].isdigit():
            a = np.asarray(v, dtype=np.float64)
            if a.ndim == 2 and a.shape[1] == 2:
                out.append((int(k[8:]), a))
    return sorted(out, key=lambda t: t[0])


def final_swd(run):
    """/summary final_swd, else the last finite swd; inf without one."""
    v = run.number("final_swd")
    if v is None and "swd" in run.series:
        s = finite(run.series["swd"].value)
        s = s[np.isfinite(s)]
        v = float(s[-1]) if s.size else None
    return v if v is not None and np.isfinite(v) else np.inf


def seed_label(run):
    s = "seed %s" % ("?" if run.seed is None else run.seed)
    if run.diverged and run.diverged_step is not None:
        s += ", diverged at step %d" % run.diverged_step
    return s


def sample_rows(g, how):
    """[(run, note)] of group g for --seeds how."""
    with_snaps = [r for r in g.runs if snapshots(r)]
    if not with_snaps:
        return []
    if how == "all":
        return [(r, "") for r in with_snaps]
    # completed seeds first, each ranked by final sliced Wasserstein distance
    ranked = sorted(with_snaps, key=lambda r: (r.diverged, final_swd(r)))
    n = len(with_snaps)
    if how == "first":
        r = next((r for r in with_snaps if not r.diverged), with_snaps[0])
        skipped = [x for x in with_snaps if x.diverged and x.seed is not None and
                   r.seed is not None and x.seed < r.seed]
        note = ("first completed of %d" % n) if n > 1 else ""
        if skipped:
            note += "; %s diverged" % ", ".join("seed %s" % x.seed for x in skipped)
        return [(r, note)]
    best = (ranked[0], "best of %d by final SWD %.3g" % (n, final_swd(ranked[0])))
    worst = (ranked[-1], "worst of %d by final SWD %.3g" % (n, final_swd(ranked[-1])))
    if how == "best":
        return [best]
    if how == "worst":
        return [worst]
    return [best] if n == 1 else [best, worst]


def plot_samples(runs, out, title=None, seeds="first", **_):
    groups = make_groups(runs)
    prefix = strip_common(groups)
    rows = []
    for g in groups:
        picked = sample_rows(g, seeds)
        if not picked:
            warn("%s: no /arrays/samples_STEP in any seed" % g.name)
        rows.extend((g, r, note) for r, note in picked)
    if not rows:
        raise BadInput("samples: no file has /arrays/samples_STEP (n x 2)")
    if len(rows) > MAX_SAMPLE_ROWS:
        warn("samples: %d rows, drawing the first %d" % (len(rows), MAX_SAMPLE_ROWS))
        rows = rows[:MAX_SAMPLE_ROWS]
    ncol = max(len(snapshots(r)) for _, r, _ in rows)
    # after a diverged run's last snapshot, one more cell says so
    ncol = max(ncol, max(len(snapshots(r)) + 1 for _, r, _ in rows if r.diverged)
               if any(r.diverged for _, r, _ in rows) else 0)
    fig, axes = plt.subplots(len(rows), ncol + 1,
                             figsize=(2.2 * ncol + 2.2, 2.2 * len(rows) + 0.9), squeeze=False,
                             gridspec_kw={"width_ratios": [0.9] + [1.0] * ncol})
    npts = 0
    for i, (g, run, note) in enumerate(rows):
        lab = axes[i][0]
        lab.axis("off")
        text = "\n".join(textwrap.wrap(g.label, 22)) + "\n" + seed_label(run)
        if note:
            text += "\n" + "\n".join(textwrap.wrap("(" + note + ")", 24))
        lab.text(1.0, 0.5, text, ha="right", va="center", fontsize=8, transform=lab.transAxes,
                 color="C3" if run.diverged else "k")
        snaps = snapshots(run)
        modes = run.arrays.get("modes")
        modes = None if modes is None else np.asarray(modes, dtype=np.float64).reshape(-1, 2)
        lim = 1.0
        if modes is not None and modes.size:
            lim = 1.25 * float(np.max(np.abs(modes))) + 0.5
        for j in range(ncol):
            ax = axes[i][j + 1]
            if j >= len(snaps):
                ax.axis("off")
                if run.diverged and j == len(snaps):
                    ax.text(0.5, 0.5, "diverged at\nstep %s" % (
                        "?" if run.diverged_step is None else "%d" % run.diverged_step),
                        ha="center", va="center", color="C3", fontsize=9,
                        transform=ax.transAxes)
                continue
            step, x = snaps[j]
            x = x[np.all(np.isfinite(x), axis=1)]
            npts = max(npts, x.shape[0])
            if modes is not None:
                ax.plot(modes[:, 0], modes[:, 1], "x", color="C3", ms=5, mew=1.2)
            ax.plot(x[:, 0], x[:, 1], ".", color="C0", ms=1.5, alpha=0.5)
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.xaxis.set_major_locator(MaxNLocator(nbins=3))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
            ax.tick_params(labelsize=6, length=2, pad=1)
            outside = int(np.sum(np.any(np.abs(x) > lim, axis=1)))
            head = "step %d" % step
            if outside:
                head += " (%d outside)" % outside
            ax.set_title(head, fontsize=7)
    which = {"first": "its first completed seed", "best": "its best seed",
             "worst": "its worst seed", "best-worst": "its best and its worst seed",
             "all": "every seed"}[seeds]
    cap = ("blue: %d generated samples per snapshot; red x: mode centres; rows: per group, "
           "%s (--seeds %s; best and worst by final sliced Wasserstein distance). %s"
           % (npts, which, seeds, caption_text(groups, "groups")))
    finish(fig, out, titled(title, "generated samples over training", prefix), caption=cap)


def plot_gan_metrics(runs, out, title=None, **_):
    have = [(k, lab, lg) for k, lab, lg in GAN_SERIES if any(k in r.series for r in runs)]
    if not have:
        raise BadInput("gan-metrics: no file has the MLP-GAN series (/series/modes, hq, ...)")
    groups = make_groups(runs)
    prefix = strip_common(groups)
    styles = [style(i) for i in range(len(groups))]
    if len(groups) > MANY:
        # one row per group, one column per metric, one y range per column
        nr, nc = len(groups), len(have)
        fig, axes = plt.subplots(nr, nc, figsize=(2.3 * nc + 0.6, 1.7 * nr + 1.2),
                                 squeeze=False, sharex=True)
        for c, (key, label, lg) in enumerate(have):
            lim = panel_limits(groups, key, finite, lg)
            for r, (g, st) in enumerate(zip(groups, styles)):
                ax = axes[r][c]
                draw_panel(ax, [g], [st], key, finite, lg, lim=lim, label=False)
                ax.tick_params(labelsize=6)
                if r == 0:
                    ax.set_title(label, fontsize=8, pad=9)
                if c == 0:
                    ax.set_ylabel("\n".join(textwrap.wrap(g.describe(), 18)), fontsize=8)
                if r == nr - 1:
                    ax.set_xlabel("generator step", fontsize=7)
        handles = legend_handles(groups, styles, lines=False)
        handles.insert(0, Line2D([], [], color="0.3", lw=1.3,
                                 label="line: one seed, or the mean over completed seeds"))
        finish(fig, out, titled(title, "MLP-GAN metrics", prefix), handles=handles, ncol=1)
        return
    rows, cols = grid_shape(len(have))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows + 0.4), squeeze=False)
    for p, (key, label, lg) in enumerate(have):
        ax = axes[p // cols][p % cols]
        draw_panel(ax, groups, styles, key, finite, lg)
        ax.set_title(label, fontsize=9, pad=9)
        ax.set_xlabel("generator step", fontsize=8)
    for p in range(len(have), rows * cols):
        axes[p // cols][p % cols].axis("off")
    finish(fig, out, titled(title, "MLP-GAN metrics", prefix),
           handles=legend_handles(groups, styles), ncol=2)


# ------------------------------------------------------------------ GAIL, DAC

# the gain shown in a legend, per controller kind
GAIN_KEYS = {"cgail": "k", "clc": "lambda", "r1": "gamma", "r2": "gamma", "wgan_gp": "gamma",
             "consensus": "gamma", "instance_noise": "sigma", "bmc": "rho1",
             "bmc_update": "rho1", "clip": "c"}


def controllers_text(run):
    """`wgan_gp gamma 20 + cgail k 10` from the run's /config, "" without one."""
    if not run.config:
        return ""
    try:
        import yaml
        cfg = yaml.safe_load(run.config)
    except Exception:  # no PyYAML, or text it cannot read: no gain shown
        return ""
    ctl = cfg.get("controllers") if isinstance(cfg, dict) else None
    parts = []
    for c in ctl if isinstance(ctl, list) else []:
        if isinstance(c, dict) and "kind" in c:
            k = GAIN_KEYS.get(str(c["kind"]))
            parts.append("%s %s %s" % (c["kind"], k, c[k]) if k and k in c else str(c["kind"]))
    return " + ".join(parts) if parts else "no controller"


def env_of(run):
    return as_str(run.summary.get("env", "")) or "?"


def without_env(name, run):
    """The group name without its env axis (the panel names the env)."""
    env = env_of(run)
    for part in ("-env=" + env, "-env" + env):
        if part in name:
            return name.replace(part, "", 1)
    return name


def return_key(r):
    for k in ("eval_normalised_return", "normalised_return"):
        if k in r.series:
            return k
    return None


def return_series(r):
    k = return_key(r)
    return None if k is None else r.series[k]


def against_updates(r):
    """The return against the run's gradient-step count at each evaluation
    (/series/updates interpolated at the evaluation's env step)."""
    s, u = return_series(r), r.series.get("updates")
    if s is None or u is None:
        return None
    return runfile.Series(np.interp(s.step, u.step, u.value, left=0.0), s.value)


def updates_offset(runs):
    """When every run's gradient-step count is env steps - c once positive
    (one update per env step after c random steps, the same c everywhere), c;
    else None.  A row against gradient steps would then only repeat the row
    against env steps, shifted by c."""
    cs = set()
    for r in runs:
        u = r.series.get("updates")
        if u is None:
            return None
        pos = u.value > 0
        if not np.any(pos):
            return None
        c = u.step[pos] - u.value[pos]
        if np.ptp(c) > 0:
            return None
        cs.add(float(c[0]))
    return cs.pop() if len(cs) == 1 else None


def plot_gail_return(runs, out, title=None, **_):
    """Normalised return against env steps (and, where every run has
    /series/updates and the runs differ in gradient steps per env step,
    against gradient steps), one panel per env."""
    keep = []
    for r in runs:
        if return_key(r) is None:
            warn("%s: no /series/eval_normalised_return or normalised_return" % r.path)
        else:
            keep.append(r)
    if not keep:
        raise BadInput("gail-return: no file has /series/eval_normalised_return")
    envs = list(dict.fromkeys(env_of(r) for r in keep))
    label = lambda k, rs: "%s: %s" % (without_env(k[1], rs[0]), controllers_text(rs[0]))
    all_groups = make_groups(keep, key=lambda r: (env_of(r), r.group), label=label)
    prefix = strip_common(all_groups)
    # one style per variant (group without env), the same in every env panel
    variants = list(dict.fromkeys(g.label for g in all_groups))
    grad = [all("updates" in r.series for r in keep if env_of(r) == e) for e in envs]
    offset = [updates_offset([r for r in keep if env_of(r) == e]) for e in envs]
    grad = [gr and off is None for gr, off in zip(grad, offset)]
    nrow = 2 if any(grad) else 1
    fig, axes = plt.subplots(nrow, len(envs),
                             figsize=(max(8.0, 5.2 * len(envs)), 3.6 * nrow + 1.4), squeeze=False)
    for p, env in enumerate(envs):
        groups = [g for g in all_groups if g.name[0] == env]
        styles = [style(variants.index(g.label)) for g in groups]
        for row in range(nrow):
            ax = axes[row][p]
            if row == 1 and not grad[p]:
                ax.axis("off")
                continue
            key = return_series if row == 0 else against_updates
            # the range always holds 0 and the expert's 1
            lim = panel_limits(groups, key, finite, False)
            lim = limits(list(lim or []) + [0.0, 1.0], False)
            draw_panel(ax, groups, styles, key, finite, False, lim=lim, label=False)
            ax.axhline(1.0, color="k", lw=0.6, ls="--")
            ax.set_title(env, fontsize=10, pad=9)
            xl = "environment steps" if row == 0 else "gradient steps (/series/updates)"
            if row == 0 and offset[p] is not None:
                xl += "\n(gradient steps = env steps - %d in every run)" % offset[p]
            ax.set_xlabel(xl, fontsize=8)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
            ax.set_ylabel("normalised return", fontsize=8)
    seen = {}
    for g in all_groups:
        seen.setdefault(g.label, []).append(g)
    handles = []
    for v in variants:
        gs = seen[v]
        n = "; ".join("%s %d seed%s%s" % (g.name[0], len(g.runs), "" if len(g.runs) == 1 else "s",
                                          ", %d diverged" % len(g.div) if g.div else "")
                      for g in gs)
        handles.append(Line2D([], [], lw=1.5, label="%s (%s)" % (v, n),
                              **style(variants.index(v))))
    if any(len(g.ok) > 1 for g in all_groups):
        handles.append(Patch(color="0.5", alpha=BAND_ALPHA + 0.1, label=BAND_TEXT))
    if any(g.div for g in all_groups):
        handles.append(Line2D([], [], color="0.3", lw=0.9, ls=(0, (3, 2)), marker="X",
                              label=DIVERGED_TEXT))
    handles.append(Line2D([], [], color="k", lw=0.6, ls="--", label="expert return (1.0)"))
    finish(fig, out, titled(title, "normalised return", prefix), handles=handles, ncol=1)


# ------------------------------------------------------------------ auto


def suffixed(out, suffix):
    root, ext = os.path.splitext(out)
    return root + suffix + (ext or ".png")


def plot_auto(runs, out, title=None, **kw):
    scans, phase, dist, repl, gan, ret = [], [], [], [], [], []
    for r in runs:
        if r.kind == "scan":
            scans.append(r)
        elif r.kind == "mlpgan" or "hq" in r.series:
            gan.append(r)
        elif r.kind in ("gail", "dac") or return_key(r) is not None:
            ret.append(r)
        else:
            if any(k.startswith("replica_") for k in r.arrays):
                repl.append(r)
            if field_arrays(r) is not None or ("theta" in r.series and "psi" in r.series):
                phase.append(r)
            if "distance" in r.series:
                dist.append(r)
            if not (r in repl or r in phase or r in dist):
                warn("%s: kind %r has no figure of its own; its series (%s) are in the file "
                     "(`governor export %s --csv DIR` writes them as CSV)"
                     % (r.path, r.kind, ", ".join(sorted(r.series)[:8]) or "none", r.path))
    if not (scans or phase or dist or repl or gan or ret):
        raise BadInput("auto: nothing to plot (no scan, Dirac, one-step, MLP-GAN, GAIL or "
                       "DAC data in these files)")
    main_used = [False]

    def main_or(suffix):
        if main_used[0]:
            return suffixed(out, suffix)
        main_used[0] = True
        return out

    if gan:
        if any(snapshots(r) for r in gan):
            plot_samples(gan, main_or("-samples"), title, **kw)
        plot_gan_metrics(gan, suffixed(out, "-metrics"), title)
    if ret:
        plot_gail_return(ret, main_or("-return"), title)
    if phase:
        plot_phase(phase, main_or("-phase"), title)
    if dist:
        plot_distance(dist, main_or("-distance") if not phase else suffixed(out, "-distance"),
                      title)
    if scans:
        plot_eig(scans, main_or("-eig"), title)
    if repl:
        plot_lyapunov(repl, main_or("-lyapunov"), title)


# ------------------------------------------------------------------ main


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="governor_plot.py",
        description="Plots of governor HDF5 run files.",
        epilog="exit codes: 0 success, 1 plotting failed, 2 bad input",
    )
    ap.add_argument("kind", choices=KINDS, help="plot kind")
    ap.add_argument("files", nargs="+", metavar="FILE.h5", help="run files")
    ap.add_argument("--out", required=True, metavar="OUT.png", help="output image")
    ap.add_argument("--title", default=None, help="figure title")
    ap.add_argument("--seeds", default="first", choices=SEED_CHOICES,
                    help="samples: which seeds of a group get a row (default: the first "
                    "completed one)")
    args = ap.parse_args(argv)
    try:
        runs = load_runs(args.files)
        {
            "phase": plot_phase,
            "distance": plot_distance,
            "eig": plot_eig,
            "lyapunov": plot_lyapunov,
            "samples": plot_samples,
            "gan-metrics": plot_gan_metrics,
            "gail-return": plot_gail_return,
            "auto": plot_auto,
        }[args.kind](runs, args.out, args.title, seeds=args.seeds)
    except BadInput as exc:
        sys.stderr.write("governor_plot: error: %s\n" % exc)
        return 2
    except Exception as exc:  # a plotting bug or a write error: say what, exit 1
        sys.stderr.write("governor_plot: failed: %s: %s\n" % (type(exc).__name__, exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
