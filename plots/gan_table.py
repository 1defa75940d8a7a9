#!/usr/bin/python3
"""Comparison table of MLP-GAN run files (kind "mlpgan"), in Markdown.

    /usr/bin/python3 plots/gan_table.py runs/mlpgan-compare/*.h5

Files whose run names differ only by a -seedN suffix form one row: mean +- std
over seeds of the final metrics (/summary final_*, written by `governor
analyze`, which `governor run` and `governor sweep` call), and how many runs
completed.  Columns: modes covered (of the mixture's K), share of high-quality
samples, KL(mode histogram || uniform), sliced Wasserstein-1 distance to the
data (docs/mlpgan.md).  Exit 2 on bad input.
"""

import sys

try:
    import numpy as np
    import h5py
except ImportError as exc:
    sys.stderr.write("gan_table: %s (run with /usr/bin/python3)\n" % exc)
    sys.exit(2)


def text(v):
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v).decode()
    return str(v)


def seedless(name):
    i = name.rfind("-seed")
    digits = name[i + 6:] if name[i + 5:i + 6] == "=" else name[i + 5:]
    return name[:i] if i > 0 and digits.isdigit() else name


COLS = (("final_modes", "modes", "%.2f"), ("final_hq", "high quality", "%.3f"),
        ("final_kl", "KL to uniform", "%.3f"), ("final_swd", "sliced W1", "%.3f"))


def main(paths):
    if not paths:
        sys.stderr.write(__doc__)
        return 2
    rows, order = {}, []
    for p in paths:
        try:
            with h5py.File(p, "r") as f:
                name = seedless(text(f.attrs.get("name", p)))
                status = text(f.attrs.get("status", "?"))
                summ = f["summary"].attrs if "summary" in f else {}
                vals = {k: float(summ[k]) if k in summ else np.nan for k, _, _ in COLS}
        except OSError as exc:
            sys.stderr.write("gan_table: %s: %s\n" % (p, exc))
            return 2
        if name not in rows:
            rows[name] = []
            order.append(name)
        rows[name].append((status, vals))
    print("| variant | completed | " + " | ".join(c[1] for c in COLS) + " |")
    print("|---|---|" + "---|" * len(COLS))
    for name in order:
        runs = rows[name]
        done = sum(1 for s, _ in runs if s == "completed")
        cells = []
        for key, _, fmt in COLS:
            v = np.array([r[key] for s, r in runs if s == "completed"], dtype=float)
            v = v[np.isfinite(v)]
            cells.append("-" if v.size == 0 else (fmt + " +- " + fmt) % (v.mean(), v.std()))
        print("| %s | %d/%d | %s |" % (name, done, len(runs), " | ".join(cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
