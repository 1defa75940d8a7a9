#!/usr/bin/python3
"""Comparison table of MLP-GAN run files (kind "mlpgan"), in Markdown.

    /usr/bin/python3 plots/gan_table.py runs/mlpgan-compare/*.h5

Runs of one sweep point over seeds form one row (their root attribute `group`;
for older files the name without its -seedN part, wherever it stands:
plots/runfile.py): mean +- population std over the completed seeds of the
final metrics (/summary final_*, written by `governor analyze`, which
`governor run` and `governor sweep` call), and how many runs completed.
Columns: modes covered (of the mixture's K), share of high-quality samples,
KL(mode histogram || uniform), sliced Wasserstein-1 distance to the data
(docs/mlpgan.md).  Exit 2 on bad input.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runfile  # noqa: E402

COLS = (("final_modes", "modes", "%.2f"), ("final_hq", "high quality", "%.3f"),
        ("final_kl", "KL to uniform", "%.3f"), ("final_swd", "sliced W1", "%.3f"))


def main(paths):
    if not paths:
        sys.stderr.write(__doc__)
        return 2
    try:
        runs = runfile.load_all(paths)
    except runfile.BadInput as exc:
        sys.stderr.write("gan_table: %s\n" % exc)
        return 2
    print("| variant | completed | " + " | ".join(c[1] for c in COLS) + " |")
    print("|---|---|" + "---|" * len(COLS))
    for name, members in runfile.group_runs(runs):
        done = [r for r in members if r.status == "completed"]
        cells = []
        for key, _, fmt in COLS:
            v = np.array([r.number(key) if r.number(key) is not None else np.nan for r in done])
            v = v[np.isfinite(v)]
            cells.append("-" if v.size == 0 else (fmt + " +- " + fmt) % (v.mean(), v.std()))
        print("| %s | %d/%d | %s |" % (name, len(done), len(members), " | ".join(cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
