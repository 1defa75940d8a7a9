#!/usr/bin/python3
"""Self-test of plots/runfile.py and plots/governor_plot.py.

Builds small synthetic run files (the schema of docs/hdf5-schema.md: root
attributes version, kind, name, seed, status, group, axes; /config;
/series/NAME/{step,value}; /arrays/NAME; /summary attributes) in a temporary
directory, runs every plot kind through the CLI, and checks that each writes a
non-blank PNG; that bad input exits with code 2; runfile.py's grouping (the
group/axes attributes, the fallback to run names, the seed anywhere in a name)
and its tidy table (pandas when installed, numpy always); and, on the figures
themselves, the diverged-run, replica, seed-choice, DAC and legend cases.
Exit 0 on success, 1 with a message per failure.

    /usr/bin/python3 plots/selftest.py [--keep DIR]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import h5py
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
except ImportError as exc:
    sys.stderr.write("selftest: %s (run with /usr/bin/python3)\n" % exc)
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
PLOT = os.path.join(HERE, "governor_plot.py")
STR_VLEN = h5py.string_dtype("utf-8")


# ------------------------------------------------------------ synthetic runs


def set_str(attrs, key, value, as_bytes):
    """String attribute either fixed-length bytes (h5py reads back
    np.bytes_) or variable-length UTF-8 (reads back str)."""
    if as_bytes:
        attrs[key] = np.bytes_(value.encode())
    else:
        attrs.create(key, value, dtype=STR_VLEN)


def root(f, kind, name, seed, status="completed", as_bytes=False, config=None, group=None,
         axes=""):
    set_str(f.attrs, "version", "0.1.0", as_bytes)
    set_str(f.attrs, "kind", kind, as_bytes)
    set_str(f.attrs, "name", name, as_bytes)
    f.attrs["seed"] = np.uint64(seed)
    set_str(f.attrs, "status", status, as_bytes)
    if group is not None:
        set_str(f.attrs, "group", group, as_bytes)
        set_str(f.attrs, "axes", axes, as_bytes)
    f.create_dataset("config", data=config or "game: {kind: %s}\n" % kind, dtype=STR_VLEN)


def series(f, name, step, value):
    g = f.create_group("series/%s" % name)
    g.create_dataset("step", data=np.asarray(step, dtype=np.int64))
    g.create_dataset("value", data=np.asarray(value, dtype=np.float64))


def dirac_field(theta, psi, gamma, c=0.0):
    """Standard-GAN Dirac field (Mescheder's convention, data at c) with an R1
    drift -gamma psi on the psi component."""
    fp = lambda t: 1.0 / (1.0 + np.exp(t))  # f'(t), f(t) = -log(1 + e^-t)
    vt = -psi * fp(psi * theta)
    vp = -c * fp(-psi * c) + theta * fp(psi * theta) - gamma * psi
    return vt, vp


def simulate(gamma, h, steps, x0=(1.0, 1.0), c=0.0):
    x = np.empty((steps + 1, 2))
    x[0] = x0
    for k in range(steps):
        vt, vp = dirac_field(x[k, 0], x[k, 1], gamma, c)
        x[k + 1] = x[k] + h * np.array([vt, vp])
    return x


def write_dirac(path, name, gamma, seed, field=True, as_bytes=False, eq_where="summary",
                verdict="converges", steps=400, c=0.0):
    x = simulate(gamma, 0.2, steps, c=c)
    step = np.arange(steps + 1)
    with h5py.File(path, "w") as f:
        root(f, "dirac", name, seed, as_bytes=as_bytes)
        series(f, "theta", step, x[:, 0])
        series(f, "psi", step, x[:, 1])
        series(f, "distance", step, np.hypot(x[:, 0] - c, x[:, 1]))
        if field:
            fx = np.linspace(-2, 2, 21)
            fy = np.linspace(-2, 2, 17)
            T, P = np.meshgrid(fx, fy)  # (ny, nx): T[i, j] = fx[j], P[i, j] = fy[i]
            vt, vp = dirac_field(T, P, gamma, c)
            f.create_dataset("arrays/field_x", data=fx)
            f.create_dataset("arrays/field_y", data=fy)
            f.create_dataset("arrays/field", data=np.stack([vt, vp], axis=-1))
        s = f.create_group("summary")
        if verdict is not None:
            set_str(s.attrs, "measured_verdict", verdict, as_bytes)
        s.attrs["final_distance"] = float(np.hypot(x[-1, 0] - c, x[-1, 1]))
        tgt = f.attrs if eq_where == "root" else s.attrs
        if eq_where is not None:
            tgt["eq_theta"] = float(c)
            tgt["eq_psi"] = 0.0


def write_gail(path, name, seed, env, steps=200000, as_bytes=False, dac=False, per_step=1,
               controllers="[{kind: wgan_gp, gamma: 20}]"):
    """A GAIL run: a noisy rising normalised return (eval and train); a DAC
    run adds the gradient steps (per_step per env step after 10 000)."""
    rng = np.random.default_rng(seed)
    step = np.arange(20000, steps + 1, 20000)
    v = 1.0 - np.exp(-step / 6e4) + rng.normal(0, 0.05, step.size)
    config = "game: {kind: %s, env: %s}\ncontrollers: %s\n" % (
        "dac" if dac else "gail", env, controllers)
    with h5py.File(path, "w") as f:
        root(f, "dac" if dac else "gail", name, seed, as_bytes=as_bytes, config=config)
        series(f, "eval_normalised_return", step, v)
        series(f, "normalised_return", step, v + 0.02)
        if dac:
            u = per_step * np.maximum(step - 10000, 0)
            series(f, "updates", step, u.astype(np.float64))
        s = f.create_group("summary")
        set_str(s.attrs, "env", env, as_bytes)


def write_seed(path, name, seed, steps, diverge_at=None):
    """A noisy decaying distance curve (as a BMC seed would give); with
    diverge_at, it blows up to 1e8 there and the run is marked diverged."""
    rng = np.random.default_rng(seed)
    step = np.arange(0, steps, 10)
    logd = np.log(np.sqrt(2)) - 5e-3 * step + np.cumsum(rng.normal(0, 0.03, step.size))
    d = np.exp(logd)
    d[-1] = 0.0  # a zero distance must not break the log axis
    if diverge_at is not None:
        keep = step <= diverge_at
        step, d = step[keep], d[keep]
        d[-3:] = (1e2, 1e5, 1e8)
    with h5py.File(path, "w") as f:
        root(f, "dirac", name, seed, status="diverged" if diverge_at is not None else "completed")
        series(f, "distance", step, d)
        if diverge_at is not None:
            f.create_group("summary").attrs["diverged_step"] = np.int64(step[-1])


def write_scan(path, as_bytes=False):
    gains = np.linspace(0.0, 2.0, 41)
    re = np.empty((gains.size, 2))
    im = np.empty((gains.size, 2))
    for k, g in enumerate(gains):
        e = np.linalg.eigvals(np.array([[0.0, -0.5], [0.5, -g]]))
        e = e[np.lexsort((-e.imag, -e.real))]
        re[k], im[k] = e.real, e.imag
    with h5py.File(path, "w") as f:
        root(f, "scan", "r1 gamma sweep", 0, as_bytes=as_bytes)
        set_str(f.attrs, "key", "controllers.0.gamma", as_bytes)
        f.create_dataset("arrays/scan_gain", data=gains)
        f.create_dataset("arrays/scan_eig_re", data=re)
        f.create_dataset("arrays/scan_eig_im", data=im)


def write_replicas(path, name, seed, R=64, steps=1000, rate=-4.9e-3):
    """A replica study: replica 0's distance series, and per replica its
    iterations to converge, Lyapunov exponent and final distance (the
    exponent over `steps` steps from sqrt 2)."""
    rng = np.random.default_rng(seed)
    it = rng.integers(800, 4000, R).astype(np.int64)
    it[rng.random(R) < 0.2] = -1
    ly = rng.normal(rate, abs(rate) * 0.3, R)
    with h5py.File(path, "w") as f:
        root(f, "dirac", name, seed)
        f.create_dataset("arrays/replica_iters_to_converge", data=it)
        f.create_dataset("arrays/replica_lyapunov", data=ly)
        f.create_dataset("arrays/replica_final_distance", data=np.sqrt(2) * np.exp(ly * steps))
        step = np.arange(0, steps + 1, 10)
        series(f, "distance", step, np.sqrt(2) * np.exp(ly[0] * step))
        f.create_group("summary").attrs["steps_done"] = np.int64(steps)


# ------------------------------------------------------------ checks


def write_mlpgan(path, name, seed, steps=1000, snaps=3, spread=0.3, diverge_at=None,
                 group=None):
    """An MLP-GAN run: metric series, the modes and sample snapshots; with
    diverge_at, every series blows up to 1e6 there (status diverged)."""
    rng = np.random.default_rng(seed)
    ang = 2 * np.pi * np.arange(8) / 8
    modes = 2 * np.stack([np.cos(ang), np.sin(ang)], axis=1)
    with h5py.File(path, "w") as f:
        root(f, "mlpgan", name, seed, group=group,
             status="completed" if diverge_at is None else "diverged")
        step = np.arange(0, steps + 1, 100)
        if diverge_at is not None:
            step = step[step <= diverge_at]
            f.create_group("summary").attrs["diverged_step"] = np.int64(step[-1])
        t = step / steps
        for key, val in (("modes", 8 * t), ("hq", 0.9 * t), ("kl", 1 - t),
                         ("swd", 0.05 + np.exp(-3 * t)), ("d_loss", 1.3 + 0.1 * t),
                         ("g_loss", 0.8 + 0.05 * rng.standard_normal(t.size)),
                         ("ctl_loss", 0 * t), ("d_real", 0.1 * t), ("d_fake", -0.1 * t)):
            if diverge_at is not None:
                val = np.array(val, dtype=np.float64)
                val[-1] = 1e6
            series(f, key, step, val)
        f.create_dataset("arrays/modes", data=modes)
        last = steps if diverge_at is None else diverge_at
        for k in range(snaps + 1 if snaps else 0):
            s = k * steps // snaps
            if s > last:
                break
            x = modes[rng.integers(0, 8, 200)] + spread * (1 - k / snaps + 0.1) * \
                rng.standard_normal((200, 2))
            d = f.create_dataset("arrays/samples_%d" % s, data=x)
            d.attrs["step"] = np.int64(s)


# ------------------------------------------------------------ in-process checks


def capture(gp):
    """governor_plot.finish, keeping every figure it saves (axes stay readable
    after the figure is closed)."""
    figs = []
    orig = gp.finish

    def finish(fig, *a, **kw):
        figs.append(fig)
        orig(fig, *a, **kw)

    gp.finish = finish
    return figs


def texts(fig):
    """Every string a reader sees: suptitle, captions, legends, titles, labels."""
    out = [t.get_text() for t in fig.texts]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    for leg in fig.legends:
        out += [t.get_text() for t in leg.get_texts()]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.texts]
        if ax.get_legend() is not None:
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    return "\n".join(out)


def check_names(ck, runfile):
    """The name fallback: the seed part anywhere, -KEY=VALUE axes, the old
    glued form as its own group."""
    for name, want in (
            ("ring-clc-seed12", ("ring-clc", 12, {})),
            ("dac-compare-dac-seed0-envhopper", ("dac-compare-dac-envhopper", 0, {})),
            ("rho1-sweep-rho10.001-seed3", ("rho1-sweep-rho10.001", 3, {})),
            ("rho1-sweep-rho1=0.001-seed=3", ("rho1-sweep-rho1=0.001", 3, {"rho1": "0.001"})),
            ("s-seed=2-lr=1e-3-env=hopper", ("s-lr=1e-3-env=hopper", 2,
                                             {"lr": "1e-3", "env": "hopper"})),
            ("x-seedling", ("x-seedling", None, {})), ("r1", ("r1", None, {}))):
        got = runfile.parse_name(name)
        if got != want:
            ck.fail("parse_name(%r) = %r, expected %r" % (name, got, want))
    if runfile.parse_axes("a.b=1; c=x;") != {"a.b": "1", "c": "x"}:
        ck.fail("parse_axes: %r" % runfile.parse_axes("a.b=1; c=x;"))


def write_tagged(path, name, seed, group=None, axes="", n=5):
    with h5py.File(path, "w") as f:
        root(f, "dirac", name, seed, group=group, axes=axes)
        series(f, "distance", np.arange(n), np.full(n, float(seed)))
        series(f, "theta", np.arange(2), [1.0, 2.0])


def check_runfile(ck, runfile, P):
    """Grouping by the group/axes attributes (names ignored), by names for
    files without them; the tidy table through numpy and pandas."""
    ax_a = "controllers.0.rho1=0.001;scheme.h=0.1"
    write_tagged(P("tag_a3.h5"), "misleading-seed9", 3, "sweep-a", ax_a + ";seed=3")
    write_tagged(P("tag_a4.h5"), "other-name", 4, "sweep-a", ax_a + ";seed=4")
    write_tagged(P("tag_b.h5"), "sweep-a-seed5", 5, "sweep-b", "controllers.0.rho1=0.01")
    write_tagged(P("tag_old.h5"), "old-rho1=0.001-seed=7-env=hopper", 7)
    write_tagged(P("tag_old2.h5"), "old-rho1=0.001-seed=8-env=hopper", 8, n=3)
    runs = runfile.load_all([P(n) for n in ("tag_a3.h5", "tag_a4.h5", "tag_b.h5",
                                            "tag_old.h5", "tag_old2.h5")])
    got = [(g, [r.seed for r in rs]) for g, rs in runfile.group_runs(runs)]
    want = [("sweep-a", [3, 4]), ("sweep-b", [5]), ("old-rho1=0.001-env=hopper", [7, 8])]
    if got != want:
        ck.fail("group_runs: %r, expected %r" % (got, want))
    if runs[0].axes != {"controllers.0.rho1": "0.001", "scheme.h": "0.1"}:
        ck.fail("axes attribute: %r" % runs[0].axes)
    if runs[3].axes != {"rho1": "0.001", "env": "hopper"}:
        ck.fail("axes from the name: %r" % runs[3].axes)
    if runs[0].config is None or "kind" not in runs[0].config or runs[0].has_policy:
        ck.fail("config / has_policy: %r %r" % (runs[0].config, runs[0].has_policy))
    cols = ["run", "group", "seed", "status", "controllers.0.rho1", "scheme.h", "rho1", "env",
            "series", "step", "value"]
    npts = 5 + 5 + 5 + 5 + 3 + 2 * 5
    t = runfile.frame(runs, backend="numpy")
    if not isinstance(t, dict) or list(t) != cols:
        ck.fail("numpy table columns: %r" % (list(t) if isinstance(t, dict) else type(t)))
    elif any(len(v) != npts for v in t.values()):
        ck.fail("numpy table: lengths %r, expected %d" % ([len(v) for v in t.values()], npts))
    else:
        sel = (t["group"] == "sweep-b") & (t["series"] == "distance")
        if not (np.all(t["value"][sel] == 5.0) and np.all(t["seed"][sel] == 5)
                and np.all(t["controllers.0.rho1"][sel] == "0.01")
                and np.all(t["scheme.h"][sel] == "")):
            ck.fail("numpy table: the sweep-b rows are wrong")
    d = runfile.frame(runs, series=["theta"], backend="numpy")
    if len(d["value"]) != 10 or set(d["series"]) != {"theta"}:
        ck.fail("numpy table: series filter")
    # the auto backend without pandas (hidden) gives the numpy table
    code = ("import sys; sys.modules['pandas'] = None; sys.path.insert(0, %r); import runfile; "
            "t = runfile.frame(runfile.load_all(%r)); print(type(t).__name__, len(t['value']))"
            % (HERE, [P("tag_a3.h5")]))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if p.stdout.split() != ["OrderedDict", "7"]:
        ck.fail("frame without pandas: %r %r" % (p.stdout, p.stderr))
    if not runfile.have_pandas():
        print("selftest: SKIP the pandas table (python3-pandas is not installed)")
        return
    import pandas as pd
    df = runfile.frame(runs)
    if not isinstance(df, pd.DataFrame) or list(df.columns) != cols or len(df) != npts:
        ck.fail("pandas table: %r" % (type(df),))
        return
    m = df[df.series == "distance"].groupby("group")["value"].mean()
    if abs(m["sweep-a"] - 3.5) > 1e-12 or abs(m["old-rho1=0.001-env=hopper"] - 7.375) > 1e-12:
        ck.fail("pandas table: group means %r" % m.to_dict())


def check_damaged(ck, runfile, P):
    """A file that crashes or hangs libhdf5 itself is a BadInput, not a dead
    reader: runfile.probe's answers, then a run file whose global heap (its
    variable-length strings) is overwritten, 64 bytes of 0xff at every 16th
    offset.  libhdf5 1.10.8 segfaults or loops on some of them in-process."""
    import signal
    import time

    def spin(p):
        while True:
            pass
    before = os.environ.get("GV_READ_TIMEOUT")
    os.environ["GV_READ_TIMEOUT"] = "0.5"
    try:
        got = runfile.probe("x.h5", read=lambda p: os.kill(os.getpid(), signal.SIGSEGV))
        if not got or "crashed reading it (Segmentation fault)" not in got:
            ck.fail("probe of a reader killed by SIGSEGV: %r" % got)
        got = runfile.probe("x.h5", read=spin)  # libhdf5's hang is a spin
        if not got or "damaged: the HDF5 library was still reading it after 0.5 s of CPU" \
                not in got:
            ck.fail("probe of a reader that spins: %r" % got)
        got = runfile.probe("x.h5", read=lambda p: time.sleep(60))  # blocked: not damaged
        if not got or "not read: the HDF5 library read it for 5 s" not in got:
            ck.fail("probe of a reader that waits: %r" % got)
        got = runfile.probe("x.h5", read=lambda p: 1 / 0)
        if got is not None:
            ck.fail("probe of a reader that raises: %r (the caller reports it)" % got)

        def fates(p):  # one child reads them all: each fate lands on its own file
            if p == "segv.h5":
                os.kill(os.getpid(), signal.SIGSEGV)
            if p == "spin.h5":
                spin(p)
            if p == "link.h5":
                raise runfile.Refused("/x: a link to another file")
        names = ["a.h5", "segv.h5", "b.h5", "spin.h5", "link.h5", "segv.h5", "c.h5"]
        got = [g and g.split(" (")[0].split(" after")[0]
               for g in runfile.probe_all(names, read=fates)]
        crash, hang = ("damaged: the HDF5 library crashed reading it",
                       "damaged: the HDF5 library was still reading it")
        if got != [None, crash, None, hang, "/x: a link to another file", crash, None]:
            ck.fail("probe_all: %r" % got)
        # a link to another file is refused, not followed
        write_tagged(P("ext.h5"), "ext", 3, "ext", "seed=3")
        with h5py.File(P("ext.h5"), "a") as f:
            f["summary2"] = h5py.ExternalLink("elsewhere.h5", "/g")
        try:
            runfile.load(P("ext.h5"))
            ck.fail("a run file linking to another file was read")
        except runfile.BadInput as exc:
            if "/summary2: a link to another file" not in str(exc):
                ck.fail("a run file linking to another file: %s" % exc)
        write_tagged(P("heap.h5"), "heap", 3, "heap", "env=hopper;seed=3")
        runfile.load(P("heap.h5"))  # no false alarm at this limit
        # read once while unchanged (device, inode, size, modification time)
        calls, child = [], runfile._child
        runfile._child = lambda ps, rd: (calls.append(len(ps)), child(ps, rd))[1]
        try:
            runfile.load(P("heap.h5"))
            st = os.stat(P("heap.h5"))
            os.utime(P("heap.h5"), ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
            runfile.load_all([P("heap.h5"), P("heap.h5")])
        finally:
            runfile._child = child
        if calls != [2]:
            ck.fail("probe memory: children for %r files, expected [2]" % calls)
        img = open(P("heap.h5"), "rb").read()
        heap = img.find(b"GCOL")
        if heap < 0:
            ck.fail("no global heap in a run file written by h5py")
            return
        files = []
        for off in range(heap, min(heap + 2048, len(img) - 64), 16):
            bad = bytearray(img)
            bad[off:off + 64] = b"\xff" * 64
            files.append(P("heap+%d.h5" % (off - heap)))
            with open(files[-1], "wb") as f:
                f.write(bad)
        refused = 0
        for path, damage in zip(files, runfile.probe_all(files)):
            try:
                runfile.Run(path, damage)
            except runfile.BadInput as exc:
                refused += 1
                if not str(exc).startswith(path + ": "):
                    ck.fail("damaged heap: %s" % exc)
        if not refused:
            ck.fail("damaged heap: every damaged file read as a run")
    finally:
        if before is None:
            del os.environ["GV_READ_TIMEOUT"]
        else:
            os.environ["GV_READ_TIMEOUT"] = before


def gan_panels(fig):
    return [ax for ax in fig.axes if ax.has_data()]


def check_diverged(ck, gp, P, figs):
    """A diverged seed (its series end at 1e6) never sets a y range; it is drawn
    up to its divergence step with a marker on the panel's edge."""
    runs = []
    for grp, n in (("ring-a", 3), ("ring-b", 2)):
        for sd in range(n):
            path = P("div-%s-seed%d.h5" % (grp, sd))
            div = 500 if (grp, sd) == ("ring-a", 1) else None
            write_mlpgan(path, "%s-seed%d" % (grp, sd), sd, diverge_at=div)
            runs.append(path)
    rs = gp.load_runs(runs)
    gp.plot_gan_metrics(rs, P("div-metrics.png"))
    fig = figs[-1]
    panels = gan_panels(fig)
    if len(panels) != 9:
        ck.fail("gan-metrics (diverged): %d panels, expected 9" % len(panels))
    for ax in panels:
        lo, hi = ax.get_ylim()
        if hi > 1e3:
            ck.fail("gan-metrics: panel %r y range up to %g: set by the diverged seed"
                    % (ax.get_title(), hi))
        dashed = [ln for ln in ax.lines if ln.get_linestyle() not in ("-", "None", "")
                  and len(ln.get_xdata()) > 1]
        if not any(max(ln.get_xdata()) == 500 for ln in dashed):
            ck.fail("gan-metrics: panel %r has no dashed line ending at the divergence step"
                    % ax.get_title())
        edge = [ln for ln in ax.lines if ln.get_marker() == "^" and
                np.all(np.asarray(ln.get_ydata()) == hi)]
        if not edge:
            ck.fail("gan-metrics: panel %r: no marker on the top edge for the diverged seed"
                    % ax.get_title())
    if "a (3 seeds, 1 diverged)" not in texts(fig) or "(ring)" not in texts(fig):
        ck.fail("gan-metrics: the legend does not say 'a (3 seeds, 1 diverged)' and the "
                "title the common prefix 'ring'")
    # many groups: one row per group, one y range per metric column
    many = list(runs)
    for k in range(6):
        many.append(P("many%d-seed0.h5" % k))
        write_mlpgan(many[-1], "many%d-seed0" % k, 10 + k)
    gp.plot_gan_metrics(gp.load_runs(many), P("div-metrics-many.png"))
    fig = figs[-1]
    cols = {}
    for ax in gan_panels(fig):
        cols.setdefault(ax.get_subplotspec().colspan.start, set()).add(ax.get_ylim())
    if len(cols) != 9 or any(len(v) != 1 or max(v)[1] > 1e3 for v in cols.values()):
        ck.fail("gan-metrics with 8 groups: per-column y ranges %r" % cols)
    # distance: a diverged seed among three
    seeds = []
    for sd, div in ((1, None), (2, 1500), (3, None)):
        seeds.append(P("divd-seed%d.h5" % sd))
        write_seed(seeds[-1], "divd-seed%d" % sd, sd, 3000, diverge_at=div)
    gp.plot_distance(gp.load_runs(seeds), P("div-distance.png"))
    ax = gan_panels(figs[-1])[0]
    if ax.get_ylim()[1] > 1e3:
        ck.fail("distance: y range up to %g, set by the diverged seed" % ax.get_ylim()[1])


def check_replicas(ck, gp, P, figs):
    """A replica study whose distances fall to 1e-200: the axis stops at machine
    precision and the replicas' spread is drawn."""
    write_replicas(P("rep_deep.h5"), "deep", 5, R=64, steps=1000, rate=-0.46)
    gp.plot_distance(gp.load_runs([P("rep_deep.h5")]), P("rep_deep.png"))
    fig = figs[-1]
    ax = gan_panels(fig)[0]
    lo = ax.get_ylim()[0]
    if not 1e-17 < lo < 1e-14:
        ck.fail("distance (replicas): y axis from %g, expected the machine-precision floor" % lo)
    for ln in ax.lines:
        y = np.asarray(ln.get_ydata(), dtype=float)
        if y.size and np.nanmin(y) < lo:
            ck.fail("distance (replicas): a line drawn below the floor (%g)" % np.nanmin(y))
            break
    bands = [c for c in ax.collections if len(c.get_paths())]
    spread = [np.ptp(np.log10(c.get_paths()[0].vertices[:, 1])) for c in bands]
    if not spread or max(spread) < 3:
        ck.fail("distance (replicas): no band of the replicas' spread (%r)" % spread)
    if "64 replicas" not in texts(fig):
        ck.fail("distance (replicas): the legend does not give the replica count")
    # Lyapunov histograms: no two tick labels of an axis overlap
    write_replicas(P("rep_ticks.h5"), "ticks", 6, R=200, steps=100000, rate=-4.9e-3)
    gp.plot_lyapunov(gp.load_runs([P("rep_ticks.h5")]), P("rep_ticks.png"))
    fig = figs[-1]
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    for ax in fig.axes:
        boxes = [t.get_window_extent(r) for t in ax.get_xticklabels() if t.get_text()]
        for a, b in zip(boxes, boxes[1:]):
            if a.x1 > b.x0:
                ck.fail("lyapunov: x tick labels overlap (%r)" %
                        [t.get_text() for t in ax.get_xticklabels()])
                break


def row_labels(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts if "seed" in t.get_text()]


def check_samples(ck, gp, P, figs):
    """Seed 0 diverged, seeds 1 and 2 finished: the row says which seed it
    shows; --seeds all / best-worst give one row per seed / two rows."""
    paths = []
    for sd in (0, 1, 2):
        paths.append(P("smp-seed%d.h5" % sd))
        write_mlpgan(paths[-1], "smp-seed%d" % sd, sd, diverge_at=400 if sd == 0 else None,
                     spread=0.3 + 0.2 * sd)
    runs = gp.load_runs(paths)
    gp.plot_samples(runs, P("smp.png"))
    lab = row_labels(figs[-1])
    if len(lab) != 1 or "seed 1" not in lab[0] or "seed 0 diverged" not in lab[0]:
        ck.fail("samples: row label %r, expected seed 1 and 'seed 0 diverged'" % lab)
    ticks = [ax for ax in figs[-1].axes if ax.has_data() and len(ax.get_xticks())]
    if not ticks:
        ck.fail("samples: no axis scale on the sample panels")
    gp.plot_samples(runs, P("smp-all.png"), seeds="all")
    lab = row_labels(figs[-1])
    if len(lab) != 3 or not any("diverged at step 400" in x for x in lab):
        ck.fail("samples --seeds all: rows %r" % lab)
    gp.plot_samples(runs, P("smp-bw.png"), seeds="best-worst")
    lab = row_labels(figs[-1])
    if len(lab) != 2 or "best of 3" not in lab[0] or "worst of 3" not in lab[1]:
        ck.fail("samples --seeds best-worst: rows %r" % lab)


def check_gail(ck, gp, P, figs):
    """DAC: a clean variant label with the gain; the gradient-step row only when
    the runs differ in gradient steps per env step, and then on that axis."""
    same, mixed = [], []
    for nm, ctl, per in (("dac", "[{kind: wgan_gp, gamma: 20}]", 1),
                         ("cgail", "[{kind: wgan_gp, gamma: 20}, {kind: cgail, k: 10.0}]", 2)):
        for sd in (0, 1):
            path = P("g-%s-seed%d.h5" % (nm, sd))
            write_gail(path, "dac-compare-%s-seed%d-envhopper" % (nm, sd), sd, "hopper",
                       dac=True, controllers=ctl, per_step=per)
            mixed.append(path)
            path = P("g1-%s-seed%d.h5" % (nm, sd))
            write_gail(path, "dac-compare-%s-seed%d-envhopper" % (nm, sd), sd, "hopper",
                       dac=True, controllers=ctl)
            same.append(path)
    gp.plot_gail_return(gp.load_runs(same), P("g1.png"))
    fig = figs[-1]
    txt = texts(fig)
    if "envhopper" in txt or "cgail k 10" not in txt or "dac: wgan_gp gamma 20 (hopper 2 " \
            not in txt or "(dac-compare)" not in txt:
        ck.fail("gail-return: legend %r" % [t.get_text() for t in fig.legends[0].get_texts()])
    if len(gan_panels(fig)) != 1 or "env steps - 10000" not in txt:
        ck.fail("gail-return (one update per env step): expected one row and the offset "
                "in the x label")
    gp.plot_gail_return(gp.load_runs(mixed), P("g2.png"))
    panels = gan_panels(figs[-1])
    if len(panels) != 2:
        ck.fail("gail-return (mixed updates per step): %d panels, expected 2" % len(panels))
        return
    xmax = [max(max(ln.get_xdata()) for ln in ax.lines if len(ln.get_xdata()) > 1)
            for ax in panels]
    if xmax[0] != 200000 or xmax[1] != 2 * 190000:
        ck.fail("gail-return: x ranges %r, expected env steps 200000 then gradient steps "
                "380000" % xmax)


class Checker:
    def __init__(self):
        self.failures = []
        self.count = 0

    def fail(self, msg):
        self.failures.append(msg)
        sys.stderr.write("FAIL: %s\n" % msg)

    def run(self, args, expect_rc=0):
        self.count += 1
        cmd = [sys.executable, PLOT] + args
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != expect_rc:
            self.fail("%s: exit %d, expected %d\n  stdout: %s\n  stderr: %s"
                      % (" ".join(args[:1] + [os.path.basename(a) for a in args[1:]]),
                         p.returncode, expect_rc, p.stdout.strip(), p.stderr.strip()))
            return None
        return p

    def png(self, path, what):
        if not os.path.isfile(path):
            self.fail("%s: %s not written" % (what, path))
            return
        if os.path.getsize(path) == 0:
            self.fail("%s: %s is empty" % (what, path))
            return
        with open(path, "rb") as fh:
            if fh.read(8) != b"\x89PNG\r\n\x1a\n":
                self.fail("%s: %s is not a PNG" % (what, path))
                return
        img = mpimg.imread(path)
        if img.ndim < 2 or img.shape[0] < 100 or img.shape[1] < 100:
            self.fail("%s: %s is too small (%s)" % (what, path, img.shape))
        elif float(np.std(img[..., :3])) < 1e-3:
            self.fail("%s: %s is blank" % (what, path))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", metavar="DIR", help="write files to DIR and keep them")
    args = ap.parse_args()
    if args.keep:
        d = args.keep
        os.makedirs(d, exist_ok=True)
    else:
        d = tempfile.mkdtemp(prefix="governor-plot-selftest-")
    P = lambda n: os.path.join(d, n)
    ck = Checker()
    sys.path.insert(0, HERE)
    import runfile
    import governor_plot
    check_names(ck, runfile)
    try:
        check_runfile(ck, runfile, P)
        check_damaged(ck, runfile, P)
        figs = capture(governor_plot)
        check_diverged(ck, governor_plot, P, figs)
        check_replicas(ck, governor_plot, P, figs)
        check_samples(ck, governor_plot, P, figs)
        check_gail(ck, governor_plot, P, figs)
        for fig in figs:  # every figure names its groups with their seed counts
            if not re.search(r"\d+\s+seeds?\b", texts(fig)):
                ck.fail("a figure (%s) without a group's seed count"
                        % (fig._suptitle.get_text() if fig._suptitle else "?"))
        # run files
        write_dirac(P("r1_03.h5"), "r1 gamma 0.3", 0.3, 1, as_bytes=False, eq_where="summary")
        write_dirac(P("r1_1.h5"), "r1 gamma 1.0", 1.0, 2, as_bytes=True, eq_where="root",
                    verdict="converges")
        write_dirac(P("bare.h5"), "bare (no field)", 0.0, 3, field=False, eq_where=None,
                    verdict="diverges")
        write_dirac(P("shifted.h5"), "standard, c = 1", 0.0, 4, as_bytes=True, verdict=None, c=1.0)
        seeds = []
        for s, n in ((11, 3000), (12, 2500), (13, 1800)):  # unequal lengths
            seeds.append(P("bmc_s%d.h5" % s))
            write_seed(seeds[-1], "bmc rho1 0.1", s, n)
        write_seed(P("other.h5"), "bmc rho1 0.05", 21, 3000)
        write_scan(P("scan.h5"))
        write_scan(P("scan_b.h5"), as_bytes=True)
        write_replicas(P("rep_a.h5"), "replicas rho1 0.1", 31)
        write_replicas(P("rep_b.h5"), "replicas rho1 0.05", 32)
        gans = []
        for nm in ("ring-none", "ring-clc"):
            for sd in (0, 1, 2):
                gans.append(P("%s-seed%d.h5" % (nm, sd)))
                write_mlpgan(gans[-1], "%s-seed%d" % (nm, sd), sd, steps=1000 + 100 * sd)
        write_mlpgan(P("gan_one.h5"), "ring-bmc", 9, snaps=0)
        gails = []
        for env in ("hopper", "halfcheetah"):
            for nm in ("gail", "cgail"):
                for sd in (0, 1):
                    gails.append(P("%s-%s-seed%d.h5" % (env, nm, sd)))
                    write_gail(gails[-1], "%s-%s-seed%d" % (env, nm, sd), sd, env,
                               steps=200000 + 20000 * sd, as_bytes=bool(sd))
        dacs = []
        for nm, per_step in (("dac", 1), ("dac-2", 2)):  # two updates per env step
            for sd in (0, 1):
                dacs.append(P("dac-hopper-%s-seed%d.h5" % (nm, sd)))
                write_gail(dacs[-1], "hopper-%s-seed%d" % (nm, sd), sd, "hopper", dac=True,
                           per_step=per_step)
        with h5py.File(P("notrun.h5"), "w") as f:  # HDF5 without `version`
            f.attrs["kind"] = "dirac"
        with open(P("garbage.h5"), "w") as fh:
            fh.write("not hdf5\n")

        dirac = [P("r1_03.h5"), P("r1_1.h5"), P("bare.h5"), P("shifted.h5")]

        # every kind
        if ck.run(["phase"] + dirac + ["--out", P("phase.png"), "--title", "phase"]):
            ck.png(P("phase.png"), "phase")
        if ck.run(["phase", P("bare.h5"), "--out", P("phase1.png")]):
            ck.png(P("phase1.png"), "phase (one file, no field)")
        if ck.run(["distance"] + dirac + seeds + [P("other.h5"), "--out", P("dist.png")]):
            ck.png(P("dist.png"), "distance")
        if ck.run(["eig", P("scan.h5"), "--out", P("eig.png"), "--title", "R1 sweep"]):
            ck.png(P("eig.png"), "eig")
        if ck.run(["eig", P("scan.h5"), P("scan_b.h5"), "--out", P("eig2.png")]):
            ck.png(P("eig2.png"), "eig (two files, bytes attributes)")
        if ck.run(["lyapunov", P("rep_a.h5"), P("rep_b.h5"), "--out", P("lyap.png")]):
            ck.png(P("lyap.png"), "lyapunov")
        out = P("sub/auto.png")  # the output directory is created
        if ck.run(["auto"] + dirac + [P("scan.h5"), "--out", out]):
            ck.png(out, "auto (phase)")
            ck.png(P("sub/auto-distance.png"), "auto (distance)")
            ck.png(P("sub/auto-eig.png"), "auto (eig)")
        if ck.run(["auto", P("scan.h5"), "--out", P("auto_scan.png")]):
            ck.png(P("auto_scan.png"), "auto (scan only)")
        if ck.run(["samples"] + gans + [P("gan_one.h5"), "--out", P("samples.png")]):
            ck.png(P("samples.png"), "samples")
        if ck.run(["gan-metrics"] + gans + [P("gan_one.h5"), "--out", P("ganm.png")]):
            ck.png(P("ganm.png"), "gan-metrics (seed bands)")
        for name in (gails[0], dacs[0]):  # auto on GAIL and DAC files: the return
            if ck.run(["auto", name, "--out", P("auto_ret.png")]):
                ck.png(P("auto_ret.png"), "auto (%s)" % os.path.basename(name))
                os.remove(P("auto_ret.png"))
        if ck.run(["auto", gans[0], "--out", P("auto_gan.png")]):
            ck.png(P("auto_gan.png"), "auto (mlpgan samples)")
            ck.png(P("auto_gan-metrics.png"), "auto (mlpgan metrics)")

        if ck.run(["gail-return"] + gails + ["--out", P("gail.png"), "--title", "GAIL"]):
            ck.png(P("gail.png"), "gail-return (two envs, seed bands)")
        if ck.run(["gail-return", gails[0], "--out", P("gail1.png")]):
            ck.png(P("gail1.png"), "gail-return (one file)")
        if ck.run(["gail-return"] + dacs + ["--out", P("dac.png")]):
            ck.png(P("dac.png"), "gail-return (DAC: env and gradient steps)")
            # the second row (gradient steps) makes the figure about twice as tall
            if os.path.isfile(P("gail1.png")) and os.path.isfile(P("dac.png")):
                h1 = mpimg.imread(P("gail1.png")).shape[0]
                h2 = mpimg.imread(P("dac.png")).shape[0]
                if not h2 > 1.6 * h1:
                    ck.fail("gail-return on DAC runs: no gradient-step row (height %d, "
                            "one row %d)" % (h2, h1))

        # bad input: exit 2 with a message
        for name, argv in (
            ("missing file", ["phase", P("nope.h5"), "--out", P("x.png")]),
            ("not a run", ["distance", P("notrun.h5"), "--out", P("x.png")]),
            ("not HDF5", ["phase", P("garbage.h5"), "--out", P("x.png")]),
            ("eig on a dirac run", ["eig", P("r1_03.h5"), "--out", P("x.png")]),
            ("lyapunov without replicas", ["lyapunov", P("r1_03.h5"), "--out", P("x.png")]),
            ("samples on a dirac run", ["samples", P("r1_03.h5"), "--out", P("x.png")]),
            ("gan-metrics on a dirac run", ["gan-metrics", P("r1_03.h5"), "--out", P("x.png")]),
            ("gail-return on a dirac run", ["gail-return", P("r1_03.h5"), "--out", P("x.png")]),
            ("unknown kind", ["bode", P("r1_03.h5"), "--out", P("x.png")]),
        ):
            p = ck.run(argv, expect_rc=2)
            if p is not None and not p.stderr.strip():
                ck.fail("%s: exit 2 without a message" % name)
        if os.path.exists(P("x.png")):
            ck.fail("bad input still wrote x.png")
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)

    if ck.failures:
        sys.stderr.write("selftest: %d of %d checks failed\n" % (len(ck.failures), ck.count))
        return 1
    print("selftest: %d plot runs ok%s" % (ck.count, (" (files in %s)" % d) if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
