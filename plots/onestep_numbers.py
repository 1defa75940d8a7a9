#!/usr/bin/python3
"""Recomputes the numbers quoted in docs/theory/onestep-gail.md with governor
itself and compares each with the value quoted there (the figures below are
the doc's, as it writes them; each must still be in the doc).  Exit 0 when
all match, 1 otherwise.

    /usr/bin/python3 plots/onestep_numbers.py [PATH/TO/governor] [--quick]

Every number comes from `governor run CONFIG --set ...` and the /summary that
`governor analyze` writes (the eigenvalues at x* are those of the Jacobian on
the complement of the policy's shift direction, 2n - 1 of them).  The rows
print the configuration and overrides that produce them, so any one number
can be re-made by hand.  --quick skips the sweeps over random pi_E and the
bisections for entcomp's gain boundary (about a minute on one core).
"""

import math
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

import docfigures

GOV = "build/governor"
TMP = tempfile.mkdtemp(prefix="onestep-numbers-")
E3 = "[0.6, 0.3, 0.1]"
rows = []


def run(config, sets, steps=None, name="r"):
    """Runs config with the overrides; returns the run file's /summary."""
    path = os.path.join(TMP, name + ".h5")
    cmd = [GOV, "run", config, "--out", path, "--overwrite"]  # one scratch file, rerun
    if steps is not None:
        sets = list(sets) + ["scheme.steps=%d" % steps, "run.starts=0"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with h5py.File(path, "r") as f:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f["summary"].attrs.items()}


def eigs(summ, prefix="pred_jac"):
    out, k = [], 0
    while "%s_eig%d_re" % (prefix, k) in summ:
        out.append(complex(summ["%s_eig%d_re" % (prefix, k)], summ["%s_eig%d_im" % (prefix, k)]))
        k += 1
    return np.array(out)


def slowest(ev):
    return float(np.max(ev.real))


def slowest_pair_damping(ev):
    """Damping ratio -Re/|l| of the complex pair with the largest real part (1: all real)."""
    c = ev[np.abs(ev.imag) > 1e-9]
    if len(c) == 0:
        return 1.0
    l = c[np.argmax(c.real)]
    return -l.real / abs(l)


def min_damping(ev):
    c = ev[np.abs(ev.imag) > 1e-9]
    return 1.0 if len(c) == 0 else float(np.min(-c.real / np.abs(c)))


def check(what, how, got, quoted, tol):
    """got against the doc's figure quoted: within tol, and never further
    than the figure's own last digit allows (0.093 within 0.0005)."""
    tol = min(tol, docfigures.half_unit("%g" % quoted) * (1 + 1e-9))
    ok = abs(got - quoted) <= tol
    rows.append((what, how, got, quoted, ok))


def cfg(disc, policy):
    return "configs/onestep/bare-%s-%s.yaml" % (disc, policy)


def section3():
    for policy, quoted in (("softmax", 0.0287), ("simplex", 0.1278)):
        s = run(cfg("prob", policy), [], steps=1)
        check("|F(x*)|, lambda 0.1, %s" % policy, "%s" % cfg("prob", policy),
              s["pred_residual"], quoted, 5e-5)
    table = (("gail", 0.1, 0.0407, 0.00508), ("logit", 0.1, 0.0215, 0.00137),
             ("gail", 0.5, 0.1312, 0.0568), ("logit", 0.5, 0.0826, 0.0207))
    for reward, lam, tv, kl in table:
        for disc in ("prob", "logit"):
            for policy in ("softmax", "simplex"):
                sets = ["game.reward=%s" % reward, "game.lambda=%g" % lam]
                s = run(cfg(disc, policy), sets, steps=1)
                how = "%s %s" % (cfg(disc, policy), " ".join("--set " + x for x in sets))
                check("equilibrium TV, %s lambda %g (%s D, %s)" % (reward, lam, disc, policy), how,
                      s["eq0_tv"], tv, 5e-5)
                check("equilibrium KL, %s lambda %g (%s D, %s)" % (reward, lam, disc, policy), how,
                      s["eq0_kl"], kl, 5e-6 if kl < 0.01 else 5e-5)
    s = run(cfg("prob", "softmax"), [], steps=1)
    check("slowest eigenvalue at the equilibrium, prob D softmax lambda 0.1",
          cfg("prob", "softmax"), s["eq0_max_re"], -0.0973, 5e-5)
    s = run(cfg("prob", "softmax"), [])
    check("  measured rate per step (h 0.1)", cfg("prob", "softmax"), s["meas_rate"], -0.00973, 5e-6)


OSC = {  # section 4 table: (disc, policy) -> (slowest, damping of the slowest pair)
    ("prob", "softmax"): (-0.0722, 1.0),
    ("logit", "softmax"): (-0.0282, 0.48),
    ("prob", "simplex"): (-0.569, 0.31),
    ("logit", "simplex"): (-0.0462, 0.093),
}


def section4():
    for (disc, policy), (slow, zeta) in OSC.items():
        s = run(cfg(disc, policy), ["game.lambda=0"], steps=1)
        ev = eigs(s)
        how = cfg(disc, policy) + " --set game.lambda=0"
        check("lambda 0: slowest eigenvalue, %s D %s" % (disc, policy), how, slowest(ev), slow, 5e-4)
        check("lambda 0: damping ratio of the slowest pair, %s D %s" % (disc, policy), how,
              slowest_pair_damping(ev), zeta, 5e-3)
    s = run(cfg("logit", "softmax"), ["game.lambda=0"], steps=1)
    ev = eigs(s)
    c = ev[np.abs(ev.imag) > 1e-9]
    check("lambda 0: damping ratio of the other pair, logit D softmax",
          cfg("logit", "softmax") + " --set game.lambda=0", float(np.max(-c.real / np.abs(c))),
          0.53, 5e-3)


def random_experts():
    """min over random pi_E (Dirichlet(1), n = 2..6, 40 each with min >= 0.02,
    numpy seed 0) of the damping ratio of every complex eigenvalue at x*."""
    rng = np.random.default_rng(0)
    experts = []
    for n in range(2, 7):
        k = 0
        while k < 40:
            e = rng.dirichlet(np.ones(n))
            if e.min() >= 0.02:
                experts.append(e)
                k += 1
    out = {}
    for disc, policy, reward in (("prob", "softmax", "gail"), ("prob", "softmax", "logit"),
                                 ("logit", "softmax", "gail"), ("logit", "simplex", "gail"),
                                 ("prob", "simplex", "gail")):
        zmin, slow = 1.0, -math.inf
        for e in experts:
            lst = "[" + ", ".join("%.17g" % p for p in e / e.sum()) + "]"
            s = run(cfg(disc, policy), ["game.lambda=0", "game.reward=" + reward,
                                        "game.expert=" + lst], steps=1)
            ev = eigs(s)
            zmin = min(zmin, min_damping(ev))
            slow = max(slow, slowest(ev))
        out[(disc, policy, reward)] = (zmin, slow)
    return out


RANDOM = {  # (disc, policy, reward) -> min damping ratio over the 200 random pi_E
    ("prob", "softmax", "gail"): 0.984,
    ("prob", "softmax", "logit"): 0.898,
    ("logit", "softmax", "gail"): 0.38,
    ("logit", "simplex", "gail"): 0.011,
    ("prob", "simplex", "gail"): 0.042,
}


def section4_random():
    got = random_experts()
    for key, quoted in RANDOM.items():
        disc, policy, reward = key
        check("200 random pi_E: min damping ratio, %s D %s, %s reward" % key,
              "random_experts() in this script", got[key][0], quoted, 0.001 if quoted < 0.1 else 0.01)


def section51():
    base = ["game.lambda=0", "game.disc=prob", "game.policy=softmax"]
    for k, quoted in ((0, -0.0722), (1, -0.0629), (10, -0.0299)):
        sets = base + ["controllers=[{kind: cgail, k: %g}]" % k]
        s = run("configs/onestep/cgail.yaml", sets, steps=1)
        check("C-GAIL lambda 0, prob D softmax, k %g: slowest" % k,
              "configs/onestep/cgail.yaml " + " ".join("--set '%s'" % x for x in sets),
              slowest(eigs(s)), quoted, 5e-5)
    base = ["game.lambda=0", "game.disc=logit", "game.policy=simplex"]
    for k, quoted in ((0, 0.093), (1, 0.104), (10, 0.199)):
        sets = base + ["controllers=[{kind: cgail, k: %g}]" % k]
        s = run("configs/onestep/cgail.yaml", sets, steps=1)
        check("C-GAIL lambda 0, logit D simplex, k %g: damping of the slowest pair" % k,
              "configs/onestep/cgail.yaml " + " ".join("--set '%s'" % x for x in sets),
              slowest_pair_damping(eigs(s)), quoted, 5e-3)
    for k, quoted in ((0, 0.0407), (1, 0.0450), (10, 0.0776)):
        sets = ["controllers=[{kind: cgail, k: %g}]" % k]
        s = run("configs/onestep/cgail.yaml", sets, steps=1)
        check("C-GAIL lambda 0.1, k %g: equilibrium TV" % k,
              "configs/onestep/cgail.yaml --set '%s'" % sets[0], s["eq0_tv"], quoted, 5e-5)


def entcomp_maxre(disc, policy, reward, k):
    s = run("configs/onestep/entcomp.yaml",
            ["game.disc=" + disc, "game.policy=" + policy, "game.reward=" + reward,
             "controllers=[{kind: entcomp, k: %.12g}]" % k], steps=1, name="e")
    return slowest(eigs(s))


def kstar(disc, policy, reward):
    """The k below which entcomp's x* is unstable: bisection on max Re at x*."""
    lo, hi = -2.0, 0.0       # unstable at lo, stable at hi
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if entcomp_maxre(disc, policy, reward, mid) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


KSTAR = {  # (disc, policy) -> (k*, -log(1 - D); k*, logit reward)
    ("prob", "softmax"): (-0.5, -1.0),
    ("logit", "softmax"): (-0.413, -0.445),
    ("prob", "simplex"): (-0.140, -0.159),
    ("logit", "simplex"): (-0.0123, -0.0125),
}


def section52(quick):
    s = run("configs/onestep/entcomp.yaml", [])
    check("entcomp k 0.1, logit D softmax: slowest at x*", "configs/onestep/entcomp.yaml",
          slowest(eigs(s)), -0.0351, 5e-5)
    check("  measured rate per unit time (h 0.1)", "configs/onestep/entcomp.yaml",
          s["meas_rate"] / 0.1, -0.0351, 5e-5)
    if quick:
        return
    for (disc, policy), (kg, kl) in KSTAR.items():
        for reward, quoted in (("gail", kg), ("logit", kl)):
            check("entcomp k*, %s D %s, %s reward" % (disc, policy, reward),
                  "kstar() in this script (configs/onestep/entcomp.yaml)",
                  kstar(disc, policy, reward), quoted, 5e-4 if abs(quoted) > 0.05 else 5e-5)


def main():
    global GOV
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quick = "--quick" in sys.argv
    if args:
        GOV = args[0]
    section3()
    section4()
    if not quick:
        section4_random()
    section51()
    section52(quick)
    doc = docfigures.note("onestep-gail.md")
    bad = 0
    for what, how, got, quoted, ok in rows:
        said = docfigures.quotes(doc, quoted)  # one the doc no longer quotes fails too
        print("%-4s %-70s %12.6g  quoted %-10.6g  [%s]%s" % (
            "ok" if ok and said else "FAIL", what, got, quoted, how,
            "" if said else "  (not in docs/theory/onestep-gail.md)"))
        bad += not (ok and said)
    print("%d of %d numbers match" % (len(rows) - bad, len(rows)))
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(rc)
