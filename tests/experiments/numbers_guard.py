#!/usr/bin/python3
"""The numbers guard: short runs of every game kind, hashed bit for bit.

Each row of TABLE names a shipped config, the --set overrides that make it
short, and the SHA-256 of what the run computed: every dataset under /series,
/arrays and /policy* (names and raw bytes, in sorted order) and every /summary
attribute, leaving out what measures wall time (names holding "second" or
"wall").  A change to governor that moves any of these numbers fails this test;
such a change is its own commit that says which numbers moved and why, and
updates the table with

    /usr/bin/python3 tests/experiments/numbers_guard.py build/governor --update

It also checks that every series of every run carries its `unit` and
`description` attributes (docs/hdf5-schema.md); attributes are not hashed.

The products of the MLPs are OpenBLAS's, whose kernels sum in an order of
their own, so the table holds one set of hashes per kernel that governor
pins (experiments/main.c): SkylakeX on a CPU with AVX-512, Haswell on one
with AVX2 and FMA.  The guard runs the table as a user would, with an
inherited OPENBLAS_CORETYPE (Sandybridge, which every such CPU can run)
that governor must override, and checks each file's `blas_core` is the
kernel this CPU should get; on a CPU with AVX-512 it runs it again with
GV_BLAS_CORE=Haswell, so both sets are held on the machines CI runs on.
--update rewrites the sets it ran.

A kernel the table holds no set for (a CPU without AVX2 and FMA, or not
x86, where governor pins nothing; or --kernel NAME, which runs with
GV_BLAS_CORE=NAME) is checked as far as it can be: each row runs twice and
must give the same hash both times, and a row whose hash is the same under
every kernel the table holds (no matrix product: the Dirac and one-step
rows) must give that hash.  `--update` there adds the kernel's own set.

Usage: numbers_guard.py PATH/TO/governor [--update] [--only NAME[,NAME...]]
                        [--kernel NAME]
Exit 0 when every hash matches, 1 otherwise.
"""

import hashlib
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

SHORT_RL = ["run.eval_every=500", "run.eval_episodes=1", "run.threads=1"]

# name, config, overrides; the hashes are in HASHES below
TABLE = [
    ("dirac-simgd", "configs/dirac/r1.yaml", ["scheme.steps=300"]),
    ("dirac-altgd", "configs/dirac/altgd.yaml", ["scheme.steps=300"]),
    ("dirac-ode", "configs/dirac/r1.yaml", ["scheme.kind=ode", "scheme.steps=100"]),
    ("dirac-sde", "configs/dirac/bmc-sde.yaml", ["scheme.steps=2000"]),
    ("dirac-bmc-code", "configs/dirac/bmc-code.yaml", ["scheme.steps=2000"]),
    ("dirac-replicas", "configs/dirac/bmc-study.yaml",
     ["scheme.steps=2000", "run.replicas=8", "run.threads=1"]),
    ("mlpgan", "configs/mlpgan/ring-clc.yaml", ["train.steps=200"]),
    ("onestep", "configs/onestep/cgail.yaml", ["scheme.steps=300"]),
    ("onestep_sampled", "configs/gail/onestep-sampled.yaml", ["sampled.steps=200"]),
    ("rl-ppo", "configs/experts/hopper.yaml", ["run.steps=4096", "run.envs=2"] + SHORT_RL),
    ("rl-td3", "configs/experts/halfcheetah-td3.yaml",
     ["run.steps=1500", "agent.learning_starts=1000"] + SHORT_RL),
    ("gail", "configs/gail/hopper-cgail.yaml", ["run.steps=4096", "run.envs=2"] + SHORT_RL),
    ("dac", "configs/dac/hopper-cgail.yaml",
     ["run.steps=1500", "agent.learning_starts=1000"] + SHORT_RL),
    ("rl-mjcf", "configs/envs/swimmer.yaml", ["run.steps=4096", "run.envs=2"] + SHORT_RL),
]

# --update rewrites the lines between these markers.
# BEGIN HASHES
HASHES = {
    "SkylakeX": {
        "dirac-simgd": "060d3017722558d6",
        "dirac-altgd": "b1955eff0cab51c0",
        "dirac-ode": "f3c69c484766e6b4",
        "dirac-sde": "4a79f8033c49f28f",
        "dirac-bmc-code": "48e0a7d6b74aed26",
        "dirac-replicas": "23438ea50e1a0af7",
        "mlpgan": "978e6455f8271880",
        "onestep": "7513d37d612f5de0",
        "onestep_sampled": "eaa4a008c81c7fbd",
        "rl-ppo": "3293fdc1b8df8129",
        "rl-td3": "d78d2f9bc96f5a1a",
        "gail": "d2f4e11e07fa019d",
        "dac": "6bf8fc5112b9978b",
        "rl-mjcf": "6cfacdffd9a05b1c",
    },
    "Haswell": {
        "dirac-simgd": "060d3017722558d6",
        "dirac-altgd": "b1955eff0cab51c0",
        "dirac-ode": "f3c69c484766e6b4",
        "dirac-sde": "4a79f8033c49f28f",
        "dirac-bmc-code": "48e0a7d6b74aed26",
        "dirac-replicas": "23438ea50e1a0af7",
        "mlpgan": "638efade870af0b6",
        "onestep": "7513d37d612f5de0",
        "onestep_sampled": "c6eb1b7705a29075",
        "rl-ppo": "9291f35ccb97dabc",
        "rl-td3": "6b8c5a03af6a30ad",
        "gail": "627ef78f098038f9",
        "dac": "fd41987f0589ed74",
        "rl-mjcf": "8da51148018fafc5",
    },
}
# END HASHES

TIMING = re.compile(r"second|wall")


def digest(path):
    h = hashlib.sha256()
    with h5py.File(path, "r") as f:
        items = []

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not TIMING.search(name):
                top = name.split("/")[0]
                if top in ("series", "arrays") or top.startswith("policy"):
                    items.append(name)

        f.visititems(visit)
        for name in sorted(items):
            h.update(name.encode())
            h.update(np.ascontiguousarray(f[name][()]).tobytes())
        if "summary" in f:
            attrs = f["summary"].attrs
            for key in sorted(attrs.keys()):
                if TIMING.search(key):
                    continue
                h.update(key.encode())
                v = attrs[key]
                h.update(v.encode() if isinstance(v, str) else np.asarray(v).tobytes())
    return h.hexdigest()[:16]


def undocumented(path):
    """Series of the run file at path without a non-empty unit or description."""
    out = []
    with h5py.File(path, "r") as f:
        for name, g in f["series"].items():
            for key in ("unit", "description"):
                v = g.attrs.get(key)
                if v is None or not (v.decode() if isinstance(v, bytes) else str(v)).strip():
                    out.append("%s (no %s)" % (name, key))
    return out


def pinned_kernel():
    """The OpenBLAS kernel governor pins on this CPU (experiments/main.c)."""
    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    if {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def blas_core(path):
    with h5py.File(path, "r") as f:
        v = f.attrs.get("blas_core", b"")
    return v.decode() if isinstance(v, bytes) else str(v)


def kernel_free(name):
    """The row's hash when it is the same under every kernel the table holds
    (a game without matrix products), else None."""
    seen = {t.get(name) for t in HASHES.values()}
    return seen.pop() if len(seen) == 1 and None not in seen else None


def run_row(gv, env, tmp, tag, cfg, sets):
    """Runs one row into a fresh file; (path, None) or (None, why)."""
    out = os.path.join(tmp, "%s.h5" % tag)
    cmd = [gv, "run", cfg, "--out", out]
    for s in sets:
        cmd += ["--set", s]
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode not in (0, 1) or not os.path.exists(out):
        return None, "exit %d: %s (%s)" % (r.returncode, r.stderr.strip(), " ".join(cmd))
    return out, None


def run_table(gv, tmp, kernel, forced, update, only, fresh):
    """Runs the table with governor's own pin (forced None; where governor
    pins, the inherited OPENBLAS_CORETYPE=Sandybridge must not count) or
    GV_BLAS_CORE=forced; kernel None: no pin here, the first file names it.
    Returns how many rows failed."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    env.pop("GV_BLAS_CORE", None)
    if forced:
        env["GV_BLAS_CORE"] = forced
        how = "GV_BLAS_CORE=%s" % forced
    elif kernel:
        env["OPENBLAS_CORETYPE"] = "Sandybridge"
        how = "GV_BLAS_CORE unset, OPENBLAS_CORETYPE=Sandybridge inherited"
    else:
        how = "no kernel pinned on this CPU: OpenBLAS's choice"
    print("# kernel %s (%s)" % (kernel or "chosen by OpenBLAS", how))
    bad = 0
    for name, cfg, sets in TABLE:
        if only and name not in only:
            continue
        out, why = run_row(gv, env, tmp, "%s-%s" % (kernel or "any", name), cfg, sets)
        if why:
            print("FAIL %s: %s" % (name, why))
            bad += 1
            continue
        core = blas_core(out)
        kernel = kernel or core
        if core != kernel:
            print("FAIL %s: the run used OpenBLAS kernel %r, %s should give %s"
                  % (name, core, how, kernel))
            bad += 1
            continue
        want = HASHES.get(kernel, {}).get(name)
        got = digest(out)
        missing = undocumented(out)
        if missing:
            print("FAIL %s: series without their attributes: %s" % (name, ", ".join(missing)))
            bad += 1
        fresh.setdefault(kernel, dict(HASHES.get(kernel, {})))[name] = got
        if update:
            print("     %s %s" % (name, got))
        elif kernel not in HASHES:
            # no set for this kernel: the row must repeat itself, and a row
            # without matrix products must give the table's hash
            again, why = run_row(gv, env, tmp, "%s-%s-again" % (kernel, name), cfg, sets)
            free = kernel_free(name)
            if why or digest(again) != got:
                print("FAIL %s: two runs of the row differ under kernel %s (%s)"
                      % (name, kernel, why or "%s then %s" % (got, digest(again))))
                bad += 1
            elif free and got != free:
                print("FAIL %s: hash %s, every kernel of the table gives %s" % (name, got, free))
                bad += 1
            else:
                print("ok   %s %s (%s)" % (name, got, "the table's, as under every kernel"
                                           if free else "repeats; no set for kernel " + kernel))
        elif got != want:
            print("FAIL %s: hash %s, table holds %s (%s %s)"
                  % (name, got, want, how, " ".join([gv, "run", cfg] +
                                                    [a for x in sets for a in ("--set", x)])))
            bad += 1
        else:
            print("ok   %s %s" % (name, got))
    return bad


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    gv = os.path.abspath(sys.argv[1])
    update = "--update" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
    unknown = [n for n in only or [] if n not in [t[0] for t in TABLE]]
    if unknown:
        sys.stderr.write("numbers_guard: --only: no row %s (rows: %s)\n"
                         % (", ".join(unknown), ", ".join(t[0] for t in TABLE)))
        return 2
    forced = sys.argv[sys.argv.index("--kernel") + 1] if "--kernel" in sys.argv else None
    kernel = forced or pinned_kernel()
    fresh = {}
    with tempfile.TemporaryDirectory(prefix="gv-numbers-") as tmp:
        bad = run_table(gv, tmp, kernel, forced, update, only, fresh)
        if kernel == "SkylakeX" and not forced:
            bad += run_table(gv, tmp, "Haswell", "Haswell", update, only, fresh)
    if update and not bad:
        rewrite(dict(HASHES, **fresh))
    return 1 if bad else 0


def rewrite(hashes):
    path = os.path.abspath(__file__)
    with open(path) as f:
        text = f.read()
    body = ""
    for kernel in ["SkylakeX", "Haswell"] + sorted(set(hashes) - {"SkylakeX", "Haswell"}):
        body += '    "%s": {\n' % kernel
        body += "".join('        "%s": "%s",\n' % (k, hashes[kernel][k])
                        for k, _, _ in TABLE if k in hashes.get(kernel, {}))
        body += "    },\n"
    text = re.sub(r"(# BEGIN HASHES\nHASHES = \{\n).*?(\}\n# END HASHES)",
                  lambda m: m.group(1) + body + m.group(2), text, flags=re.S)
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
