#!/usr/bin/python3
"""Plots of governor run files (HDF5; schema in core/runfile.h and docs/hdf5-schema.md).

    /usr/bin/python3 plots/governor_plot.py KIND FILE.h5... --out OUT.png [--title T]

KIND:
  phase     one panel per run: controlled vector field (/arrays/field_x, field_y,
            field), trajectory (/series/theta, /series/psi), start, equilibrium
  distance  |x - x*| against step, log y; runs sharing a `name` (seeds) are drawn
            as median with a min-max band
  eig       eigenvalues against controller gain from a scan file (kind "scan"):
            real parts and imaginary parts (cf. Mescheder et al. 2018, the gamma
            sweep of the regularised Dirac-GAN)
  lyapunov  replica studies: histograms of /arrays/replica_iters_to_converge
            (-1 = never) and /arrays/replica_lyapunov, one column per file
  samples   MLP GANs (kind "mlpgan"): a grid of sample scatters over time, one row
            per run name (the first file of each name; -seedN suffixes removed),
            one column per snapshot /arrays/samples_STEP, the modes /arrays/modes
            marked
  gan-metrics  MLP GANs: curves of /series/{modes, hq, kl, swd, d_loss, g_loss,
            ctl_loss, d_real, d_fake}; files whose names differ only by a -seedN
            suffix are drawn as mean with a min-max band
  gail-return  GAIL and DAC (kinds "gail", "dac"): normalised return
            (/series/eval_normalised_return, else normalised_return) against env
            steps, one panel per env (/summary env), files differing only by
            -seedN as mean with a +-1 std band (population std over seeds) and the
            seed count in the legend; when every file of an env has
            /series/updates (DAC), a second row against gradient steps
  auto      per file from the root attribute `kind`: "scan" -> eig, "dirac" ->
            phase (OUT.png) and distance (OUT-distance.png), "mlpgan" -> samples
            (OUT.png) and gan-metrics (OUT-metrics.png); other kinds by content

Exit codes: 0 success, 1 a plot could not be drawn, 2 bad input (missing file,
not a governor run, wrong kind, missing data).

Needs Debian's python3-h5py, python3-numpy, python3-matplotlib (run with /usr/bin/python3).
"""

import argparse
import math
import os
import re
import sys
import warnings

try:
    import numpy as np
    import h5py
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
except ImportError as exc:  # the wrong interpreter is the usual cause
    sys.stderr.write(
        "governor_plot: %s\n  run with /usr/bin/python3 (Debian's python3-h5py, "
        "python3-numpy, python3-matplotlib)\n" % exc
    )
    sys.exit(2)

KINDS = ("phase", "distance", "eig", "lyapunov", "samples", "gan-metrics", "gail-return",
         "auto")
MAX_PANELS = 16          # phase panels per figure; more files are dropped with a warning
MAX_ARROWS = 25          # quiver arrows per axis (the field grid is subsampled)


class BadInput(Exception):
    """Bad input: exit code 2."""


def warn(msg):
    sys.stderr.write("governor_plot: warning: %s\n" % msg)


# ------------------------------------------------------------------ reading


def as_str(value):
    """An HDF5 string attribute as str: h5py gives str, bytes, np.bytes_ or a
    1-element array of either depending on how it was written."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return " ".join(as_str(v) for v in value.ravel())
        value = value.ravel()[0]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace").rstrip("\x00")
    return str(value)


def as_float(value):
    if value is None:
        return None
    try:
        return float(np.asarray(value).ravel()[0])
    except (TypeError, ValueError, IndexError):
        try:
            return float(as_str(value))
        except (TypeError, ValueError):
            return None


class Run:
    """Everything the plots need from one run file, read eagerly (files are
    small enough, and the HDF5 file is closed at once)."""

    def __init__(self, path):
        self.path = path
        if not os.path.exists(path):
            raise BadInput("%s: no such file" % path)
        if not os.path.isfile(path):
            raise BadInput("%s: not a file" % path)
        try:
            f = h5py.File(path, "r")
        except OSError as exc:
            raise BadInput("%s: not an HDF5 file (%s)" % (path, exc))
        with f:
            if "version" not in f.attrs:
                raise BadInput(
                    "%s: not a governor run file (no root attribute 'version')" % path
                )
            self.attrs = {k: f.attrs[k] for k in f.attrs.keys()}
            self.summary = {}
            if "summary" in f and isinstance(f["summary"], h5py.Group):
                self.summary = {k: f["summary"].attrs[k] for k in f["summary"].attrs.keys()}
            self.series = {}
            if "series" in f and isinstance(f["series"], h5py.Group):
                for name, g in f["series"].items():
                    if isinstance(g, h5py.Group) and "step" in g and "value" in g:
                        step = np.asarray(g["step"][()], dtype=np.float64).ravel()
                        val = np.asarray(g["value"][()], dtype=np.float64).ravel()
                        n = min(step.size, val.size)
                        self.series[name] = (step[:n], val[:n])
            self.arrays = {}
            if "arrays" in f and isinstance(f["arrays"], h5py.Group):
                for name, d in f["arrays"].items():
                    if isinstance(d, h5py.Dataset):
                        self.arrays[name] = d[()]
        self.kind = as_str(self.attrs.get("kind")) or ""
        base = os.path.basename(path)
        self.name = as_str(self.attrs.get("name")) or os.path.splitext(base)[0]

    def attr(self, key):
        """Root attribute, else /summary attribute, else None."""
        if key in self.attrs:
            return self.attrs[key]
        return self.summary.get(key)

    def equilibrium(self):
        th, ps = as_float(self.attr("eq_theta")), as_float(self.attr("eq_psi"))
        return (0.0 if th is None else th, 0.0 if ps is None else ps)

    def verdict(self):
        return as_str(self.summary.get("measured_verdict"))


def load_runs(paths):
    return [Run(p) for p in paths]


# ------------------------------------------------------------------ helpers


def grid_shape(n):
    cols = int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    return rows, cols


def finite_xy(x, y):
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def savefig(fig, out):
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
        th, ps = s["theta"][1], s["psi"][1]
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
    eq = run.equilibrium()
    ax.plot(eq[0], eq[1], "*", color="C3", ms=11, label="equilibrium")
    if lim is not None:
        ax.set_xlim(lim[0], lim[1])
        ax.set_ylim(lim[2], lim[3])
    title = run.name
    v = run.verdict()
    if v:
        title += "\n" + v
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("theta")
    ax.set_ylabel("psi")
    ax.set_aspect("equal", adjustable="box")
    ax.grid(True, lw=0.3, alpha=0.5)
    return drew


def plot_phase(runs, out, title=None):
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
        if i == 0:
            ax.legend(fontsize=7, loc="lower left")
    for j in range(len(runs), rows * cols):
        axes[j // cols][j % cols].axis("off")
    if not any_drawn:
        plt.close(fig)
        raise BadInput("phase: no file has /arrays/field* or /series/theta, /series/psi")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, out)


# ------------------------------------------------------------------ distance


def group_by_name(runs):
    groups = {}
    order = []
    for r in runs:
        if r.name not in groups:
            groups[r.name] = []
            order.append(r.name)
        groups[r.name].append(r)
    return [(n, groups[n]) for n in order]


def positive(v):
    v = np.array(v, dtype=np.float64)
    v[~np.isfinite(v) | (v <= 0)] = np.nan
    return v


def plot_distance_ax(ax, runs):
    drew = False
    groups = list(group_by_name(runs))
    # more than ten curves: tab20, so no two runs share a colour
    palette = plt.get_cmap("tab20").colors if len(groups) > 10 else None
    for i, (name, group) in enumerate(groups):
        have = [r for r in group if "distance" in r.series]
        for r in group:
            if "distance" not in r.series:
                warn("%s: no /series/distance" % r.path)
        if not have:
            continue
        color = palette[i % 20] if palette else "C%d" % (i % 10)
        if len(have) == 1:
            step, val = have[0].series["distance"]
            ax.plot(step, positive(val), color=color, lw=1.2, label=name)
        else:
            # seeds: align on the union of steps; a run that ended early
            # (diverged) simply stops contributing
            steps = np.unique(np.concatenate([r.series["distance"][0] for r in have]))
            M = np.full((len(have), steps.size), np.nan)
            for k, r in enumerate(have):
                s, v = r.series["distance"]
                s, idx = np.unique(s, return_index=True)
                M[k, np.searchsorted(steps, s)] = positive(v[idx])
            with warnings.catch_warnings():  # all-NaN columns: no warning, NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanmedian(M, axis=0)
                lo = np.nanmin(M, axis=0)
                hi = np.nanmax(M, axis=0)
            ax.fill_between(steps, lo, hi, color=color, alpha=0.25, lw=0)
            ax.plot(steps, med, color=color, lw=1.4,
                    label="%s (median, min-max of %d)" % (name, len(have)))
        drew = True
    if drew:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("|x - x*|")
    ax.grid(True, which="major", lw=0.3, alpha=0.5)
    return drew


def plot_distance(runs, out, title=None):
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    if not plot_distance_ax(ax, runs):
        plt.close(fig)
        raise BadInput("distance: no file has /series/distance/{step,value}")
    ax.legend(fontsize=8)
    ax.set_title(title or "distance to equilibrium")
    fig.tight_layout()
    savefig(fig, out)


# ------------------------------------------------------------------ eig


def scan_arrays(run):
    if run.kind != "scan":
        raise BadInput("%s: eig needs a scan file (root attribute kind = \"scan\", got %r)"
                       % (run.path, run.kind))
    a = run.arrays
    for k in ("scan_gain", "scan_eig_re", "scan_eig_im"):
        if k not in a:
            raise BadInput("%s: scan file without /arrays/%s" % (run.path, k))
    g = np.asarray(a["scan_gain"], dtype=np.float64).ravel()
    re = np.asarray(a["scan_eig_re"], dtype=np.float64)
    im = np.asarray(a["scan_eig_im"], dtype=np.float64)
    if re.ndim == 1:
        re = re[:, None]
    if im.ndim == 1:
        im = im[:, None]
    if re.shape[0] != g.size or im.shape != re.shape:
        raise BadInput("%s: scan arrays disagree: gain %s, eig_re %s, eig_im %s"
                       % (run.path, g.shape, re.shape, im.shape))
    return g, re, im


def plot_eig(runs, out, title=None):
    data = [(r, scan_arrays(r)) for r in runs]
    fig, axes = plt.subplots(len(data), 2, figsize=(10, 3.8 * len(data) + 0.4), squeeze=False)
    for row, (run, (g, re, im)) in enumerate(data):
        key = as_str(run.attrs.get("key")) or as_str(run.summary.get("key")) or "gain"
        order = np.argsort(g, kind="stable")
        g, re, im = g[order], re[order], im[order]
        logx = g.size > 1 and g.min() > 0 and g.max() / g.min() > 100
        for j in range(re.shape[1]):
            c = "C%d" % (j % 10)
            axes[row][0].plot(g, re[:, j], ".-", color=c, lw=0.8, ms=4, label="eigenvalue %d" % j)
            axes[row][1].plot(g, im[:, j], ".-", color=c, lw=0.8, ms=4, label="eigenvalue %d" % j)
        for col, lab in ((0, "Re(eigenvalue)"), (1, "Im(eigenvalue)")):
            ax = axes[row][col]
            ax.axhline(0.0, color="k", lw=0.6)
            ax.set_xlabel(key)
            ax.set_ylabel(lab)
            if logx:
                ax.set_xscale("log")
            ax.grid(True, lw=0.3, alpha=0.5)
        axes[row][0].set_title("%s: real parts" % run.name, fontsize=10)
        axes[row][1].set_title("%s: imaginary parts" % run.name, fontsize=10)
        if re.shape[1] <= 8:
            axes[row][0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, out)


# ------------------------------------------------------------------ lyapunov


def plot_lyapunov(runs, out, title=None):
    fig, axes = plt.subplots(2, len(runs), figsize=(4.5 * len(runs), 7.2 + 0.4), squeeze=False)
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
            ax.set_title("%s\n%d of %d converged, %d never" % (run.name, conv.size, it.size, never),
                         fontsize=10)
            any_drawn = True
        else:
            ax.text(0.5, 0.5, "no replica_iters_to_converge", ha="center", va="center",
                    transform=ax.transAxes)
            ax.set_title(run.name, fontsize=10)
        ax.set_xlabel("iterations to converge (step)")
        ax.set_ylabel("replicas")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax = axes[1][col]
        if "replica_lyapunov" in a:
            ly = np.asarray(a["replica_lyapunov"], dtype=np.float64).ravel()
            ly = ly[np.isfinite(ly)]
            if ly.size:
                ax.hist(ly, bins=min(30, max(5, ly.size // 2)), color="C1")
                ax.axvline(0.0, color="k", lw=0.6)
                ax.axvline(float(np.median(ly)), color="C3", lw=1.0, ls="--", label="median")
                ax.legend(fontsize=7)
            any_drawn = True
        else:
            ax.text(0.5, 0.5, "no replica_lyapunov", ha="center", va="center",
                    transform=ax.transAxes)
        ax.set_xlabel("Lyapunov exponent (1/step)")
        ax.set_ylabel("replicas")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not any_drawn:
        plt.close(fig)
        raise BadInput("lyapunov: no file has /arrays/replica_iters_to_converge "
                       "or /arrays/replica_lyapunov")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, out)


# ------------------------------------------------------------------ MLP GANs

MAX_SAMPLE_ROWS = 12     # run names in a samples figure; more are dropped with a warning
GAN_SERIES = (("modes", "modes covered"), ("hq", "high-quality share"),
              ("kl", "KL(modes || uniform)"), ("swd", "sliced Wasserstein-1"),
              ("d_loss", "D loss"), ("g_loss", "G loss"), ("ctl_loss", "controller loss"),
              ("d_real", "mean D on real"), ("d_fake", "mean D on fake"))


def seedless(name):
    """Run name without its -seedN part (the sweep's name for a seed axis),
    wherever the axis stands: ...-seed3 and ...-seed3-envhopper alike."""
    return re.sub(r"-seed=?\d+(?=-|$)", "", name, count=1)


def group_by_seedless(runs):
    groups, order = {}, []
    for r in runs:
        key = seedless(r.name)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(r)
    return [(n, groups[n]) for n in order]


def snapshots(run):
    """[(step, (n, 2) array)] of /arrays/samples_STEP, by step."""
    out = []
    for k, v in run.arrays.items():
        if k.startswith("samples_") and k[8:].isdigit():
            a = np.asarray(v, dtype=np.float64)
            if a.ndim == 2 and a.shape[1] == 2:
                out.append((int(k[8:]), a))
    return sorted(out, key=lambda t: t[0])


def plot_samples(runs, out, title=None):
    rows = []
    for name, group in group_by_seedless(runs):
        snaps = snapshots(group[0])
        if not snaps:
            warn("%s: no /arrays/samples_STEP" % group[0].path)
            continue
        rows.append((name, group[0], snaps))
    if not rows:
        raise BadInput("samples: no file has /arrays/samples_STEP (n x 2)")
    if len(rows) > MAX_SAMPLE_ROWS:
        warn("samples: %d run names, drawing the first %d" % (len(rows), MAX_SAMPLE_ROWS))
        rows = rows[:MAX_SAMPLE_ROWS]
    ncol = max(len(s) for _, _, s in rows)
    fig, axes = plt.subplots(len(rows), ncol, figsize=(2.1 * ncol + 0.8, 2.1 * len(rows) + 0.4),
                             squeeze=False)
    for i, (name, run, snaps) in enumerate(rows):
        modes = run.arrays.get("modes")
        modes = None if modes is None else np.asarray(modes, dtype=np.float64).reshape(-1, 2)
        lim = 1.0
        if modes is not None and modes.size:
            lim = 1.25 * float(np.max(np.abs(modes))) + 0.5
        for j in range(ncol):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(snaps):
                ax.axis("off")
                continue
            step, x = snaps[j]
            x = x[np.all(np.isfinite(x), axis=1)]
            if modes is not None:
                ax.plot(modes[:, 0], modes[:, 1], "x", color="C3", ms=5, mew=1.2)
            ax.plot(x[:, 0], x[:, 1], ".", color="C0", ms=1.5, alpha=0.5)
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.set_title("step %d" % step, fontsize=7)
            if j == 0:
                ax.set_ylabel(name, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, out)


def plot_gan_metrics(runs, out, title=None):
    have = [(k, lab) for k, lab in GAN_SERIES if any(k in r.series for r in runs)]
    if not have:
        raise BadInput("gan-metrics: no file has the MLP-GAN series (/series/modes, hq, ...)")
    rows, cols = grid_shape(len(have))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    groups = group_by_seedless(runs)
    for p, (key, label) in enumerate(have):
        ax = axes[p // cols][p % cols]
        for i, (name, group) in enumerate(groups):
            g = [r for r in group if key in r.series]
            if not g:
                continue
            color = "C%d" % (i % 10)
            if len(g) == 1:
                step, val = g[0].series[key]
                ax.plot(step, val, color=color, lw=1.0, label=name)
                continue
            steps = np.unique(np.concatenate([r.series[key][0] for r in g]))
            M = np.full((len(g), steps.size), np.nan)
            for k, r in enumerate(g):
                s, v = r.series[key]
                s, idx = np.unique(s, return_index=True)
                v = np.array(v[idx], dtype=np.float64)
                v[~np.isfinite(v)] = np.nan
                M[k, np.searchsorted(steps, s)] = v
            with warnings.catch_warnings():  # all-NaN columns: NaN, no warning
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(M, axis=0)
                lo = np.nanmin(M, axis=0)
                hi = np.nanmax(M, axis=0)
            ax.fill_between(steps, lo, hi, color=color, alpha=0.2, lw=0)
            ax.plot(steps, mean, color=color, lw=1.2,
                    label="%s (mean, min-max of %d)" % (name, len(g)))
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("generator step", fontsize=8)
        ax.grid(True, lw=0.3, alpha=0.5)
        if key == "swd":
            ax.set_yscale("log")
    for p in range(len(have), rows * cols):
        axes[p // cols][p % cols].axis("off")
    axes[0][0].legend(fontsize=6)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, out)


def plot_gail_return(runs, out, title=None):
    """GAIL, DAC: normalised return against env steps (and, where every run
    has /series/updates, against gradient steps), per env; seeds as mean +-
    std."""
    envs, by_env = [], {}
    for r in runs:
        key = "eval_normalised_return" if "eval_normalised_return" in r.series else (
            "normalised_return" if "normalised_return" in r.series else None)
        if key is None:
            warn("%s: no /series/eval_normalised_return or normalised_return" % r.path)
            continue
        env = as_str(r.summary.get("env", "")) or "?"
        if env not in by_env:
            by_env[env] = []
            envs.append(env)
        by_env[env].append((r, key))
    if not envs:
        raise BadInput("gail-return: no file has /series/eval_normalised_return")
    grad = [all("updates" in r.series for r, _ in by_env[e]) for e in envs]
    rows = 2 if any(grad) else 1
    fig, axes = plt.subplots(rows, len(envs), figsize=(4.6 * len(envs), 3.4 * rows),
                             squeeze=False)
    for p, env in enumerate(envs):
        groups = group_by_seedless([r for r, _ in by_env[env]])
        keys = dict((id(r), k) for r, k in by_env[env])
        for row in range(rows):
            ax = axes[row][p]
            if row == 1 and not grad[p]:
                ax.axis("off")
                continue
            for i, (name, group) in enumerate(groups):
                color = "C%d" % (i % 10)
                steps = np.unique(np.concatenate([r.series[keys[id(r)]][0] for r in group]))
                M = np.full((len(group), steps.size), np.nan)
                for k, r in enumerate(group):
                    s, v = r.series[keys[id(r)]]
                    s, idx = np.unique(s, return_index=True)
                    v = np.array(v[idx], dtype=np.float64)
                    v[~np.isfinite(v)] = np.nan
                    M[k, np.searchsorted(steps, s)] = v
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean = np.nanmean(M, axis=0)
                    sd = np.nanstd(M, axis=0)
                x = steps
                if row == 1:
                    # gradient steps at those env steps, from the seed that ran
                    # longest (the count depends on the config, not the seed)
                    us, uv = max((r.series["updates"] for r in group),
                                 key=lambda su: su[0][-1] if len(su[0]) else -1)
                    x = np.interp(steps, us, uv)
                ax.fill_between(x, mean - sd, mean + sd, color=color, alpha=0.2, lw=0)
                ax.plot(x, mean, color=color, lw=1.2,
                        label="%s (mean +- std of %d)" % (name, len(group)))
            ax.axhline(1.0, color="k", lw=0.6, ls="--")
            ax.set_title(env, fontsize=10)
            ax.set_xlabel("environment steps" if row == 0 else "gradient steps", fontsize=8)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
            ax.set_ylabel("normalised return", fontsize=8)
            ax.grid(True, lw=0.3, alpha=0.5)
            ax.legend(fontsize=6)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    savefig(fig, out)


# ------------------------------------------------------------------ auto


def suffixed(out, suffix):
    root, ext = os.path.splitext(out)
    return root + suffix + (ext or ".png")


def plot_auto(runs, out, title=None):
    scans, phase, dist, repl, gan = [], [], [], [], []
    for r in runs:
        if r.kind == "scan":
            scans.append(r)
            continue
        if r.kind == "mlpgan" or "hq" in r.series:
            gan.append(r)
            continue
        has_replica = any(k.startswith("replica_") for k in r.arrays)
        if has_replica:
            repl.append(r)
        if r.kind == "dirac" or ("theta" in r.series and "psi" in r.series):
            phase.append(r)
        if "distance" in r.series:
            dist.append(r)
        if not (has_replica or r in phase or r in dist):
            warn("%s: kind %r with nothing auto can plot" % (r.path, r.kind))
    if not (scans or phase or dist or repl or gan):
        raise BadInput("auto: nothing to plot")
    main_used = False
    if gan:
        if any(snapshots(r) for r in gan):
            plot_samples(gan, out, title)
            main_used = True
        plot_gan_metrics(gan, suffixed(out, "-metrics"), title)
    if phase:
        plot_phase(phase, out if not main_used else suffixed(out, "-phase"), title)
        main_used = True
    if dist:
        plot_distance(dist, suffixed(out, "-distance"), title)
    if scans:
        plot_eig(scans, out if not main_used else suffixed(out, "-eig"), title)
        main_used = True
    if repl:
        plot_lyapunov(repl, out if not main_used else suffixed(out, "-lyapunov"), title)


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
        }[args.kind](runs, args.out, args.title)
    except BadInput as exc:
        sys.stderr.write("governor_plot: error: %s\n" % exc)
        return 2
    except Exception as exc:  # a plotting bug or a write error: say what, exit 1
        sys.stderr.write("governor_plot: failed: %s: %s\n" % (type(exc).__name__, exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
