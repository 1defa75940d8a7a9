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

Usage: numbers_guard.py PATH/TO/governor [--update] [--only NAME]
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


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    gv = os.path.abspath(sys.argv[1])
    update = "--update" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    bad = 0
    fresh = dict(HASHES)
    with tempfile.TemporaryDirectory(prefix="gv-numbers-") as tmp:
        for name, cfg, sets in TABLE:
            want = HASHES.get(name)
            if only and name != only:
                continue
            out = os.path.join(tmp, name + ".h5")
            cmd = [gv, "run", cfg, "--out", out]
            for s in sets:
                cmd += ["--set", s]
            r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            if r.returncode not in (0, 1) or not os.path.exists(out):
                print("FAIL %s: exit %d: %s" % (name, r.returncode, r.stderr.strip()))
                bad += 1
                continue
            got = digest(out)
            missing = undocumented(out)
            if missing:
                print("FAIL %s: series without their attributes: %s" % (name, ", ".join(missing)))
                bad += 1
            fresh[name] = got
            if update:
                print("     %s %s" % (name, got))
            elif got != want:
                print("FAIL %s: hash %s, table holds %s (%s)" % (name, got, want, " ".join(cmd)))
                bad += 1
            else:
                print("ok   %s %s" % (name, got))
    if update and not bad:
        rewrite(fresh)
    return 1 if bad else 0


def rewrite(hashes):
    path = os.path.abspath(__file__)
    with open(path) as f:
        text = f.read()
    body = "".join('    "%s": "%s",\n' % (k, hashes[k]) for k, _, _ in TABLE if k in hashes)
    text = re.sub(r"(# BEGIN HASHES\nHASHES = \{\n).*?(\}\n# END HASHES)",
                  lambda m: m.group(1) + body + m.group(2), text, flags=re.S)
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
