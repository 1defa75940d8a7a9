#!/usr/bin/python3
"""Recomputes every number quoted in docs/theory/dirac.md with numpy and
compares it with the value quoted there (Mescheder et al.'s closed forms, arXiv
1801.04406, evaluated at the note's settings, and the note's own derivations).
A figure the note no longer quotes is a mismatch too; the BMC exponents and
step counts are given as the note writes them and must round to them.
Exit 0 when all match, 1 otherwise.

    /usr/bin/python3 plots/dirac_numbers.py [--simulate]

--simulate also re-runs the public BMC Dirac update rule (WGAN, lr 0.1,
5 seeds) for rho1 = 0.1 and 0.01 (about 2 s).
"""

import sys

import numpy as np

import docfigures

FP, FPP = 0.5, -0.25          # f'(0), f''(0) for f(t) = -log(1 + e^-t)
fprime = lambda t: 1.0 / (1.0 + np.exp(t))

rows = []


def eig(J):
    e = np.linalg.eigvals(np.asarray(J, dtype=float))
    return e[np.lexsort((-e.imag, -e.real))]


def check(what, got, quoted, tol=5e-7):
    got = np.atleast_1d(np.asarray(got, dtype=complex))
    quoted = np.atleast_1d(np.asarray(quoted, dtype=complex))
    ok = got.shape == quoted.shape and np.allclose(got, quoted, atol=tol, rtol=tol)
    rows.append((what, got, quoted, ok, None))


def figure(what, got, fig):
    """got against a figure as the note writes it ("-4.9715e-3"): it must
    round to it, whatever its size (an absolute tolerance would pass any
    exponent of 1e-5 or below)."""
    rows.append((what, np.atleast_1d(complex(got)), np.atleast_1d(complex(float(fig))),
                 docfigures.matches(got, fig), fig))


def quoted_in(doc, quoted, fig):
    """Whether the note still quotes the figure: fig as written, else each
    real and imaginary part as %g, to 7 digits or as written here."""
    if fig is not None:
        return docfigures.quotes(doc, 0.0, fig)
    parts = [abs(v) for z in quoted for v in (z.real, z.imag) if abs(v) > 1e-12]
    return all(any(docfigures.quotes(doc, v, f) for f in (None, "%.7g" % v, repr(v)))
               for v in parts)


def fmt(v):
    out = []
    for z in v:
        out.append("%.7g" % z.real if abs(z.imag) < 1e-12 else "%.7g%+.7gi" % (z.real, z.imag))
    return ", ".join(out)


def bare(fp=FP, d=0.0):
    """Jacobian at the equilibrium; d = dv_psi/dpsi."""
    return [[0.0, -fp], [fp, d]]


def alt_map(ng, nd, h, fp=FP):
    return np.array([[1.0, -ng * h * fp], [nd * h * fp, 1.0 - ng * nd * h * h * fp * fp]])


def lyap_scalar(mu, s):
    """E_b log|mu + s b|, b ~ N(0, 1), by the trapezoid rule on [-12, 12]."""
    b = np.linspace(-12.0, 12.0, 240001)
    w = np.exp(-b * b / 2) / np.sqrt(2 * np.pi)
    y = w * np.log(np.abs(mu + s * b))
    return float(np.sum((y[1:] + y[:-1]) * np.diff(b)) / 2)


def main():
    # --- Mescheder et al. 2018 closed forms (docs/theory/dirac.md, section 6)
    check("bare standard GAN eigenvalues", eig(bare()), [0.5j, -0.5j])
    check("bare WGAN eigenvalues", eig(bare(1.0)), [1j, -1j])
    M = np.eye(2) + 0.2 * np.array(bare())
    check("simGD h 0.2 map eigenvalues", eig(M), [1 + 0.1j, 1 - 0.1j])
    check("simGD h 0.2 modulus", abs(eig(M)), [1.0049876, 1.0049876])
    x = np.array([1.0, 1.0])
    r = [x @ x]
    for _ in range(500):
        t, p = x
        x = x + 0.2 * np.array([-p * fprime(p * t), t * fprime(p * t)])
        r.append(x @ x)
    check("simGD h 0.2 from (1,1): steps where theta^2+psi^2 grows", np.sum(np.diff(r) > 0), 500)
    check("altGD 1:1 h 0.2", eig(alt_map(1, 1, 0.2)), [0.995 + 0.0998749j, 0.995 - 0.0998749j])
    check("altGD 1:5 h 0.2", eig(alt_map(1, 5, 0.2)), [0.975 + 0.2222049j, 0.975 - 0.2222049j])
    check("altGD 1:1 h 10", eig(alt_map(1, 1, 10.0)), [-0.0435608, -22.9564392])
    check("altGD determinant (h 0.2, 1:5)", np.linalg.det(alt_map(1, 5, 0.2)), 1.0)
    check("R1 gamma 0.3", eig(bare(d=-0.3)), [-0.15 + 0.4769696j, -0.15 - 0.4769696j])
    check("R1 gamma 1.0", eig(bare(d=-1.0)), [-0.5, -0.5], tol=1e-6)
    check("R1 gamma 2.0", eig(bare(d=-2.0)), [-0.1339746, -1.8660254])
    # real eigenvalues: simGD's map 1 + h lambda leaves the unit disc at h = 2 / |lambda|max
    figure("R1 gamma 2, simultaneous GD: critical h", 2 / max(abs(eig(bare(d=-2.0)))),
           "1.0717968")
    J = np.array(bare())
    check("consensus gamma 1", eig(J - J.T @ J), [-0.25 + 0.5j, -0.25 - 0.5j])
    check("instance noise sigma 0.7", eig(bare(d=2 * FPP * 0.49)),
          [-0.1225 + 0.4847615j, -0.1225 - 0.4847615j])
    for g in (0.3, 0.5, 0.9):
        Jc = np.eye(2) * 0 + np.array(bare(d=-g))
        hs = np.linspace(1e-3, 8.0, 8000)
        rad = np.array([max(abs(np.linalg.eigvals(np.eye(2) + h * Jc))) for h in hs])
        check("simGD + R1 gamma %g: critical h (= 4 gamma)" % g, hs[np.argmax(rad >= 1)], 4 * g,
              tol=2e-3)

    # --- derived in the note
    xg, wg = np.polynomial.hermite_e.hermegauss(40)
    wg = wg / wg.sum()

    def noisy(x, c, s):  # standard GAN, every sample D sees + N(0, s^2)
        t, p = x
        er, ef = c + s * xg, t + s * xg
        return np.array([np.sum(wg * p * -fprime(p * ef)),
                         np.sum(wg * er * -fprime(-p * er)) + np.sum(wg * ef * fprime(p * ef))])

    for c, s in ((0.0, 0.7), (1.0, 0.7), (1.0, 0.0)):
        x0 = np.array([c, 0.0])
        Jn = np.zeros((2, 2))
        for j in range(2):
            dx = np.zeros(2)
            dx[j] = 1e-6
            Jn[:, j] = (noisy(x0 + dx, c, s) - noisy(x0 - dx, c, s)) / 2e-6
        q = eig(bare(d=2 * FPP * (c * c + s * s)))
        check("Gauss-Hermite field Jacobian, c %g sigma %g" % (c, s), eig(Jn), q, tol=1e-6)
    check("standard GAN c 1, bare: eigenvalues", eig(bare(d=2 * FPP)),
          [-0.25 + 0.4330127j, -0.25 - 0.4330127j])
    check("CLC WGAN lambda 1", eig(bare(1.0, -1.0)), [-0.5 + 0.8660254j, -0.5 - 0.8660254j])
    check("CLC WGAN lambda 3", eig(bare(1.0, -3.0)), [-0.381966, -2.618034])
    Mw = alt_map(1, 1, 0.1, fp=1.0)
    mus = np.linalg.eigvals(Mw)
    check("WGAN altGD lr 0.1: cos^2 phi", np.cos(np.angle(mus[0])) ** 2, 0.990025)
    # small s: E log|mu + s b| = (s^2 / 2)(1 - 2 cos^2 phi) for |mu| = 1
    cos2 = np.cos(np.angle(mus[0])) ** 2
    for s, exponent, small, steps in ((0.1, "-4.9715e-3", "-4.9003e-3", "1460"),
                                      (0.01, "-4.9009e-5", "-4.9003e-5", "1.48e5"),
                                      (0.001, "-4.9003e-7", "-4.9003e-7", "1.48e7")):
        L = max(lyap_scalar(m, s) for m in mus)
        figure("BMC public code rho1 %g: exponent per step" % s, L, exponent)
        figure("BMC public code rho1 %g: small-s exponent" % s, -(cos2 - 0.5) * s * s, small)
        figure("BMC public code rho1 %g: steps sqrt2 -> 1e-3" % s,
               np.log(np.sqrt(2) / 1e-3) / -L, steps)
    figure("BMC public code rho1 0.1: steps by the small-s exponent",
           np.log(np.sqrt(2) / 1e-3) / ((cos2 - 0.5) * 0.01), "1480")
    for w, h, rho, quoted in ((1.0, 0.01, 0.05, "+3.75e-3"), (1.0, 0.01, 0.2, "-1.5006e-2")):
        figure("Euler-Maruyama bare WGAN h %g rho1 %g: exponent per unit time" % (h, rho),
               lyap_scalar(1 + 1j * h * w, rho * np.sqrt(h)) / h, quoted)

    doc = docfigures.note("dirac.md")
    bad = 0
    print("%-66s %-40s %-40s %s" % ("quantity", "numpy", "quoted", ""))
    for what, got, quoted, ok, fig in rows:
        said = quoted_in(doc, quoted, fig)
        bad += not (ok and said)
        print("%-66s %-40s %-40s %s" % (what, fmt(got), fig or fmt(quoted),
                                        "ok" if ok and said else "MISMATCH" if said
                                        else "NOT IN docs/theory/dirac.md"))

    if "--simulate" in sys.argv[1:]:
        simulate()
    print("%d of %d match" % (len(rows) - bad, len(rows)))
    return 1 if bad else 0


def simulate():
    """The public BMC Dirac update (docs/theory/dirac.md, sec. 3.8), WGAN, lr 0.1, beta 1,
    rho2 0.01, start (1, 1); converged = |theta|, |psi| < 1e-3 from then on."""
    h, rho2, beta = 0.1, 0.01, 1.0
    for rho1, n in ((0.1, 20000), (0.01, 100000)):
        S = 5
        B = np.stack([np.random.default_rng(s).standard_normal((n, 2)) for s in range(S)], 1)
        th, ps = np.ones(S), np.ones(S)
        last_bad = np.zeros(S, dtype=np.int64)
        for k in range(n):
            b1, b2 = B[k, :, 0], B[k, :, 1]
            dth = rho1 * th * b1 - rho2 * th * np.abs(th) ** beta * b2
            dps = rho1 * ps * b1 - rho2 * ps * np.abs(ps) ** beta * b2
            th = th - h * ps
            ps = ps + h * th
            th, ps = th + dth, ps + dps
            last_bad[(np.abs(th) >= 1e-3) | (np.abs(ps) >= 1e-3)] = k + 1
        it = np.where(last_bad < n, last_bad, -1)
        print("public BMC rule, rho1 %g, %d steps, seeds 0-4: iterations to converge %s"
              % (rho1, n, it.tolist()))


if __name__ == "__main__":
    sys.exit(main())
