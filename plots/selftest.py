#!/usr/bin/python3
"""Self-test of plots/governor_plot.py.

Builds small synthetic run files (the schema of core/runfile.h: root attributes
version, kind, name, seed, status; /series/NAME/{step,value}; /arrays/NAME;
/summary attributes) in a temporary directory, runs every plot kind through the
CLI, and checks that each writes a non-blank PNG; also checks that bad input
exits with code 2.  Exit 0 on success, 1 with a message per failure.

    /usr/bin/python3 plots/selftest.py [--keep DIR]
"""

import argparse
import os
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


def root(f, kind, name, seed, status="completed", as_bytes=False):
    set_str(f.attrs, "version", "0.1.0", as_bytes)
    set_str(f.attrs, "kind", kind, as_bytes)
    set_str(f.attrs, "name", name, as_bytes)
    f.attrs["seed"] = np.uint64(seed)
    set_str(f.attrs, "status", status, as_bytes)
    f.create_dataset("config", data="game: {kind: dirac}\n", dtype=STR_VLEN)


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


def write_gail(path, name, seed, env, steps=200000, as_bytes=False, dac=False):
    """A GAIL run: a noisy rising normalised return (eval and train); a DAC
    run adds the gradient steps (one per env step after 10 000)."""
    rng = np.random.default_rng(seed)
    step = np.arange(20000, steps + 1, 20000)
    v = 1.0 - np.exp(-step / 6e4) + rng.normal(0, 0.05, step.size)
    with h5py.File(path, "w") as f:
        root(f, "dac" if dac else "gail", name, seed, as_bytes=as_bytes)
        series(f, "eval_normalised_return", step, v)
        series(f, "normalised_return", step, v + 0.02)
        if dac:
            series(f, "updates", step, np.maximum(step - 10000, 0).astype(np.float64))
        s = f.create_group("summary")
        set_str(s.attrs, "env", env, as_bytes)


def write_seed(path, name, seed, steps):
    """A noisy decaying distance curve (as a BMC seed would give)."""
    rng = np.random.default_rng(seed)
    step = np.arange(0, steps, 10)
    logd = np.log(np.sqrt(2)) - 5e-3 * step + np.cumsum(rng.normal(0, 0.03, step.size))
    d = np.exp(logd)
    d[-1] = 0.0  # a zero distance must not break the log axis
    with h5py.File(path, "w") as f:
        root(f, "dirac", name, seed)
        series(f, "distance", step, d)


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


def write_replicas(path, name, seed, R=64):
    rng = np.random.default_rng(seed)
    it = rng.integers(800, 4000, R).astype(np.int64)
    it[rng.random(R) < 0.2] = -1
    ly = rng.normal(-4.9e-3, 1.5e-3, R)
    with h5py.File(path, "w") as f:
        root(f, "dirac", name, seed)
        f.create_dataset("arrays/replica_iters_to_converge", data=it)
        f.create_dataset("arrays/replica_lyapunov", data=ly)
        step = np.arange(0, 1000, 10)
        series(f, "distance", step, np.sqrt(2) * np.exp(-4.9e-3 * step))


# ------------------------------------------------------------ checks


def write_mlpgan(path, name, seed, steps=1000, snaps=3, spread=0.3):
    """An MLP-GAN run: metric series, the modes and sample snapshots."""
    rng = np.random.default_rng(seed)
    ang = 2 * np.pi * np.arange(8) / 8
    modes = 2 * np.stack([np.cos(ang), np.sin(ang)], axis=1)
    with h5py.File(path, "w") as f:
        root(f, "mlpgan", name, seed)
        step = np.arange(0, steps + 1, 100)
        t = step / steps
        for key, val in (("modes", 8 * t), ("hq", 0.9 * t), ("kl", 1 - t),
                         ("swd", 0.05 + np.exp(-3 * t)), ("d_loss", 1.3 + 0.1 * t),
                         ("g_loss", 0.8 + 0.05 * rng.standard_normal(t.size)),
                         ("ctl_loss", 0 * t), ("d_real", 0.1 * t), ("d_fake", -0.1 * t)):
            series(f, key, step, val)
        f.create_dataset("arrays/modes", data=modes)
        for k in range(snaps + 1 if snaps else 0):
            s = k * steps // snaps
            x = modes[rng.integers(0, 8, 200)] + spread * (1 - k / snaps + 0.1) * \
                rng.standard_normal((200, 2))
            d = f.create_dataset("arrays/samples_%d" % s, data=x)
            d.attrs["step"] = np.int64(s)


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
    # seeds group wherever the sweep put the seed axis in the name
    sys.path.insert(0, HERE)
    import governor_plot
    import gail_table
    for fn in (governor_plot.seedless, gail_table.seedless):
        for name, want in (("ring-clc-seed12", "ring-clc"),
                           ("dac-compare-dac-seed0-envhopper", "dac-compare-dac-envhopper"),
                           ("x-seedling", "x-seedling"), ("r1", "r1")):
            if fn(name) != want:
                ck.fail("seedless(%r) = %r, expected %r" % (name, fn(name), want))
    try:
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
        for nm in ("dac", "cgail"):
            for sd in (0, 1):
                dacs.append(P("dac-hopper-%s-seed%d.h5" % (nm, sd)))
                write_gail(dacs[-1], "hopper-%s-seed%d" % (nm, sd), sd, "hopper", dac=True)
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
