#!/usr/bin/python3
"""The seed statistics of docs/results.md's GAIL and DAC sections, recomputed
from the figures printed in that file.

    /usr/bin/python3 plots/seed_intervals.py [--check] [docs/results.md]

1. Every per-seed table (header "| env, variant | seed 0 | ...", cells
   "final / last-quarter mean / best"): per row, n, and for the final and the
   last-quarter normalised return the mean, the sample std (n - 1) and the 95%
   t-interval of the mean (t with n - 1 degrees of freedom).
2. Differences between arms of the same table and env: mean difference and
   its 95% Welch interval (unpaired: a seed fixes the initial networks, but
   the runs' trajectories part within the first updates, so pairing by seed
   buys nothing), from the same per-seed figures.
3. Differences in the columns whose per-seed figures were not kept: Welch
   intervals from the printed mean and population std (s = sigma sqrt(n /
   (n - 1))), listed in SUMMARY below with the figures copied from the doc.

The per-seed figures are printed to 2 decimals, so a mean here can differ by
0.01 from the table's, which was computed from the run files.

Rows are printed in the doc's own format; --check prints nothing but the
rows and figures that docs/results.md does not contain (white space
collapsed), and exits 1 if there are any."""

import re
import sys

import numpy as np
from scipy import stats


def t_interval(x):
    x = np.asarray(x, dtype=float)
    n, m, s = len(x), x.mean(), x.std(ddof=1)
    h = stats.t.ppf(0.975, n - 1) * s / np.sqrt(n)
    return n, m, s, m - h, m + h


def welch(m1, s1, n1, m2, s2, n2):
    """95% Welch interval of m1 - m2 from means, sample stds and counts."""
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    se = np.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1)) if se > 0 else n1 + n2 - 2
    h = stats.t.ppf(0.975, df) * se
    return m1 - m2, m1 - m2 - h, m1 - m2 + h, df


def per_seed_tables(text):
    """[(section, {row label: [(final, last quarter), ...]})] in file order."""
    out, section, rows = [], "", None
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if line.startswith("| env, variant | seed 0"):
            rows = {}
            out.append((section, rows))
            continue
        if rows is None:
            continue
        if not line.startswith("|"):
            rows = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0].startswith("---"):
            continue
        seeds = []
        for c in cells[1:]:
            m = re.fullmatch(r"(-?[\d.]+) / (-?[\d.]+) / (-?[\d.]+)", c)
            if m:
                seeds.append((float(m.group(1)), float(m.group(2))))
        rows[cells[0]] = seeds
    return out


# Columns without per-seed figures: (section, what, ("mean +- population std",
# n) of the first arm, the same of the second), as printed in docs/results.md's
# tables (--check tests that they still are).
SUMMARY = [
    ("GAIL against C-GAIL", "hopper, steps to 95% (M): C-GAIL k 1 - GAIL", ("0.59 +- 0.18", 5), ("0.49 +- 0.17", 5)),
    ("GAIL against C-GAIL", "hopper, osc. range: C-GAIL k 1 - GAIL", ("0.28 +- 0.25", 5), ("0.27 +- 0.25", 5)),
    ("GAIL against C-GAIL", "hopper, osc. range: C-GAIL k 10 - GAIL", ("0.05 +- 0.06", 5), ("0.27 +- 0.25", 5)),
    ("GAIL against C-GAIL", "hopper, steps to 95% (M): C-GAIL k 10 - GAIL", ("0.33 +- 0.15", 5), ("0.49 +- 0.17", 5)),
    ("GAIL against C-GAIL", "halfcheetah, osc. range: C-GAIL k 1 - GAIL", ("0.17 +- 0.04", 5), ("0.30 +- 0.12", 5)),
    ("GAIL against C-GAIL", "halfcheetah, osc. range: C-GAIL k 10 - GAIL", ("0.28 +- 0.06", 5), ("0.30 +- 0.12", 5)),
    ("GAIL-DAC against C-GAIL-DAC", "hopper, osc. range: C-GAIL-DAC k 1 - GAIL-DAC", ("0.17 +- 0.07", 3), ("0.18 +- 0.05", 3)),
    ("GAIL-DAC against C-GAIL-DAC", "halfcheetah, osc. range: C-GAIL-DAC k 1 - GAIL-DAC", ("0.25 +- 0.11", 3), ("0.16 +- 0.04", 3)),
    ("GAIL-DAC against C-GAIL-DAC", "halfcheetah, osc. range: C-GAIL-DAC k 10 - GAIL-DAC", ("0.56 +- 0.13", 3), ("0.16 +- 0.04", 3)),
    ("MLP GANs on 2-D mixtures", "ring, modes: wgan-gp (1 critic step) - none", ("0.40 +- 0.49", 5), ("0.20 +- 0.40", 5)),
    ("MLP GANs on 2-D mixtures", "ring, sliced W1: wgan-gp (1 critic step) - none", ("1.543 +- 0.524", 5), ("0.909 +- 0.386", 5)),
    ("MLP GANs on 2-D mixtures", "grid, modes: clc - none", ("12.80 +- 1.72", 5), ("11.80 +- 4.07", 5)),
    ("MLP GANs on 2-D mixtures", "grid, sliced W1: clc - none", ("0.706 +- 0.111", 5), ("0.740 +- 0.165", 5)),
    ("MLP GANs on 2-D mixtures", "grid, modes: instance-noise - none", ("13.40 +- 3.07", 5), ("11.80 +- 4.07", 5)),
    ("MLP GANs on 2-D mixtures", "grid, sliced W1: instance-noise - none", ("0.699 +- 0.192", 5), ("0.740 +- 0.165", 5)),
]


def sample_sd(pop, n):
    return pop * np.sqrt(n / (n - 1))


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    path = args[0] if args else "docs/results.md"
    text = open(path, encoding="utf-8").read()
    flat = " ".join(text.split())
    # each "## " section's text, flattened: a summary figure must be in its own
    # section (the same interval can be printed in another)
    sections = {}
    for part in re.split(r"^## ", text, flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        sections[title.strip()] = " ".join(body.split())
    missing = []

    def out(line, figure=None, show=True, section=None):
        """Print a row (or, with --check, test that it or `figure` is in the doc,
        or in its `section`)."""
        where = flat if section is None else sections.get(section, "")
        if not check:
            if show:
                print(line)
        elif " ".join((figure or line).split()) not in where:
            missing.append(figure or line if section is None else
                           "%s (in section %s)" % (figure or line, section))

    tables = per_seed_tables(text)
    if not tables:
        print("no per-seed table in " + path)
        return 1
    for section, rows in tables:
        out("## " + section, "## " + section)
        for label, seeds in rows.items():
            cells = []
            for j in (0, 1):
                n, m, s, lo, hi = t_interval([x[j] for x in seeds])
                cells.append("%.2f +- %.2f [%.2f, %.2f]" % (m, s, lo, hi))
            out("| %s | %d | %s |" % (label, len(seeds), " | ".join(cells)))
        envs = {}
        for label in rows:
            env, variant = label.split(", ", 1)
            envs.setdefault(env, []).append(variant)
        for env, variants in envs.items():
            base = variants[0]
            for v in variants[1:]:
                a, b = rows[env + ", " + v], rows[env + ", " + base]
                cells = []
                for j in (0, 1):
                    xa, xb = [x[j] for x in a], [x[j] for x in b]
                    d, lo, hi, _ = welch(np.mean(xa), np.std(xa, ddof=1), len(xa),
                                         np.mean(xb), np.std(xb, ddof=1), len(xb))
                    cells.append("%+.2f [%.2f, %.2f]" % (d, lo, hi))
                out("| %s, %s - %s | | %s |" % (env, v, base, " | ".join(cells)))
    # From the printed mean and population std (per-seed figures not kept).
    for section, what, (c1, n1), (c2, n2) in SUMMARY:
        out(c1, c1, show=False, section=section)
        out(c2, c2, show=False, section=section)
        (m1, p1), (m2, p2) = (map(float, c.split(" +- ")) for c in (c1, c2))
        d, lo, hi, _ = welch(m1, sample_sd(p1, n1), n1, m2, sample_sd(p2, n2), n2)
        f = ("%+.1f [%.1f, %.1f]" if "modes" in what else
             "%+.2fM [%.2fM, %.2fM]" if "(M)" in what else "%+.2f [%.2f, %.2f]")
        out("%s: %s: %s" % (section, what, f % (d, lo, hi)), f % (d, lo, hi), section=section)
    for m in missing:
        print("not in %s: %s" % (path, m))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
