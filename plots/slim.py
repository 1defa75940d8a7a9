#!/usr/bin/python3
"""A finished run file's slim copy: what a study's report, its noise floor
and its compute table read, compressed, so that a long study's finished runs
can be committed and outlive the machine that made them.

    /usr/bin/python3 plots/slim.py RUN.h5 OUT.h5 [--series a,b,...]

The copy holds every root attribute, /config, /log, /summary (its
attributes), /policy (the final policy, which `governor evaluate` freezes
for the noise floor) and the series named by --series (default: SERIES
below), each dataset gzip-compressed.  It leaves out /policy_best, /arrays,
/checkpoint and the other series.  governor reads such a copy as the run it
came from: `governor sweep` counts it as that point finished (same status,
same /config), `governor evaluate` evaluates its /policy.  Only runs that
ended (completed, diverged or failed, with their analysis done) are copied:
a running or stopped run's file is still being written.  A `governor
evaluate` file (kind evaluate: a noise floor's) is copied the same way.

The copy is written to OUT.h5.tmp and renamed, so a kill leaves no half
copy.  Exit 0 on success, 1 when RUN.h5 has not ended, 2 on bad input.
"""

import os
import sys

import h5py

import runfile  # probe: a file that crashes libhdf5 is exit 2, not a crash

# what plots/report.py and plots/study.py read, with D's outputs and the
# raw returns for a reader who wants them
SERIES = ("eval_normalised_return", "eval_return_mean", "eval_return_std", "swd_states",
          "updates", "d_expert", "d_policy")
ENDED = ("completed", "diverged", "failed")
# what h5py raises on a damaged file or a field of an unexpected type
H5_ERRORS = (OSError, KeyError, RuntimeError, ValueError, TypeError)


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def copy_dataset(src, dst, name):
    d = src[name]
    data = d[()]
    kw = {}
    if d.shape and d.size > 1:
        kw = dict(compression="gzip", compression_opts=6, shuffle=True)
    out = dst.create_dataset(name, data=data, dtype=d.dtype, **kw)
    for k, v in d.attrs.items():
        out.attrs[k] = v


def copy_group(src, dst, name):
    g = dst.require_group(name)
    for k, v in src[name].attrs.items():
        g.attrs[k] = v
    return g


def slim(path, out, series):
    damage = runfile.probe(path)
    if damage:
        raise OSError(damage)
    with h5py.File(path, "r", locking=False) as f:
        status = text(f.attrs.get("status", ""))
        analysis = text(f.attrs.get("analysis", "done"))
        # a `governor evaluate` file has no analysis to wait for
        if status not in ENDED or (analysis == "pending" and
                                   text(f.attrs.get("kind", "")) != "evaluate"):
            sys.stderr.write("slim.py: %s: status %s, analysis %s: not ended, not copied\n"
                             % (path, status or "?", analysis))
            return 1
        tmp = out + ".tmp"
        with h5py.File(tmp, "w") as o:
            for k, v in f.attrs.items():
                o.attrs[k] = v
            for name in ("config", "log"):
                if name in f:
                    copy_dataset(f, o, name)
            if "summary" in f:
                copy_group(f, o, "summary")
            if "policy" in f:
                copy_group(f, o, "policy")

                def visit(name, obj):
                    if isinstance(obj, h5py.Group):
                        copy_group(f, o, "policy/" + name)
                    else:
                        copy_dataset(f, o, "policy/" + name)

                f["policy"].visititems(visit)
            if "series" in f:
                copy_group(f, o, "series")
                for s in series:
                    if s in f["series"]:
                        copy_group(f, o, "series/" + s)
                        for part in f["series"][s]:
                            copy_dataset(f, o, "series/%s/%s" % (s, part))
        os.replace(tmp, out)
    return 0


def drop_tmp(out):
    """After a failed copy: no half copy is left behind."""
    try:
        os.remove(out + ".tmp")
    except OSError:
        pass


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    series = SERIES
    if "--series" in argv:
        i = argv.index("--series")
        if i + 1 >= len(argv):
            sys.stderr.write(__doc__)
            return 2
        series = tuple(x for x in argv[i + 1].split(",") if x)
        args = [a for a in args if a != argv[i + 1]]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    if os.path.exists(args[0]) and os.path.exists(args[1]) and \
            os.path.samefile(args[0], args[1]):
        sys.stderr.write("slim.py: %s: the copy would replace its own run file\n" % args[1])
        return 2
    try:
        return slim(args[0], args[1], series)
    except H5_ERRORS as e:
        drop_tmp(args[1])
        sys.stderr.write("slim.py: %s: %s\n" % (args[0], e))
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
