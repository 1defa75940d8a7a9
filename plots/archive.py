#!/usr/bin/python3
"""A sweep's ended runs, kept as slim copies (plots/slim.py) in a folder
that is committed, and put back on another machine.

    /usr/bin/python3 plots/archive.py archive RUNS_DIR ARCHIVE_DIR
    /usr/bin/python3 plots/archive.py restore ARCHIVE_DIR RUNS_DIR

RUNS_DIR is one sweep's output folder (runs/NAME); its subfolders
failed-once/ (the first failures a study's retry moved aside, with its
.done mark) and floor/ (the noise floor's `governor evaluate` files, with
the seconds they took, floor/seconds) are kept the same way.

archive: each run of RUNS_DIR that ended (completed, diverged, failed, its
analysis done) gets a slim copy in ARCHIVE_DIR, unless the copy there is of
the same run (the same start_utc and status); a re-run that ended replaces
its first failure's copy.  A copy whose run has been moved into
failed-once/ (and is being run again) is removed from the top: its first
failure is kept in failed-once/.

restore: each copy in ARCHIVE_DIR is put where RUNS_DIR has no file of that
name; a file there is this machine's and is kept.  A first failure whose
re-run had not ended when it was archived is put back in failed-once/ only
(archive removed it from the top), and one that RUNS_DIR/failed-once/
already holds is not put back at the top either, so the next retry runs
it once.

Prints one line: how many runs were copied.  Exit 0; 2 on bad input or
when a run could not be archived (the others are).
"""

import os
import shutil
import sys

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slim  # noqa: E402

ASIDE = "failed-once"
FLOOR = "floor"
SECONDS = os.path.join(FLOOR, "seconds")


def ident(path):
    """(start_utc, status, analysis) of a run file, None when it cannot be
    read."""
    if slim.runfile.probe(path):
        return None
    try:
        with h5py.File(path, "r", locking=False) as f:
            return tuple(slim.text(f.attrs.get(k, "")) for k in ("start_utc", "status",
                                                                  "analysis"))
    except slim.H5_ERRORS:
        return None


def runs_in(folder):
    if not os.path.isdir(folder):
        return []
    return sorted(x for x in os.listdir(folder) if x.endswith(".h5"))


def archive(runs, arch, failed):
    n = 0
    for sub in (ASIDE, FLOOR, ""):
        src, dst = os.path.join(runs, sub), os.path.join(arch, sub)
        for name in runs_in(src):
            path, out = os.path.join(src, name), os.path.join(dst, name)
            have = ident(path)
            if have is None or have[1] not in slim.ENDED:
                continue
            if os.path.exists(out) and ident(out) == have:
                continue
            os.makedirs(dst, exist_ok=True)
            try:
                if slim.slim(path, out, slim.SERIES) == 0:
                    n += 1
            except slim.H5_ERRORS as e:
                slim.drop_tmp(out)
                sys.stderr.write("archive.py: %s: %s (not archived)\n" % (path, e))
                failed.append(path)
    # a first failure moved aside, its re-run not ended: only in failed-once/
    for name in runs_in(os.path.join(arch, ASIDE)):
        top = os.path.join(arch, name)
        have = ident(top) if os.path.exists(top) else None
        if have is not None and have == ident(os.path.join(arch, ASIDE, name)):
            live = ident(os.path.join(runs, name))
            if live is None or live != have:
                os.remove(top)
    if os.path.exists(os.path.join(runs, ASIDE, ".done")) and \
            os.path.isdir(os.path.join(arch, ASIDE)):
        open(os.path.join(arch, ASIDE, ".done"), "w").close()
    copy_newer(os.path.join(runs, SECONDS), os.path.join(arch, SECONDS))
    return n


def copy_newer(src, dst):
    """src over dst when they differ (floor/seconds: it only grows)."""
    if not os.path.exists(src):
        return
    with open(src, "rb") as f:
        data = f.read()
    if os.path.exists(dst):
        with open(dst, "rb") as f:
            if f.read() == data:
                return
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst + ".restoring", "wb") as f:
        f.write(data)
    os.replace(dst + ".restoring", dst)


def restore(arch, runs):
    n = 0
    for sub in ("", ASIDE, FLOOR):
        src, dst = os.path.join(arch, sub), os.path.join(runs, sub)
        for name in runs_in(src):
            path, out = os.path.join(src, name), os.path.join(dst, name)
            if os.path.exists(out):
                continue
            # a first failure this machine has moved aside (a retry stopped
            # before its re-run made a file), or one whose archived copy is
            # its failed-once/ copy: it is not put back at the top, where the
            # retry would take it for a failed re-run
            if not sub and (os.path.exists(os.path.join(runs, ASIDE, name)) or
                            ident(path) == ident(os.path.join(arch, ASIDE, name))):
                continue
            os.makedirs(dst, exist_ok=True)
            tmp = out + ".restoring"  # not NAME.h5.tmp: governor's own, for a run being made
            shutil.copyfile(path, tmp)
            os.replace(tmp, out)
            n += 1
    if os.path.exists(os.path.join(arch, ASIDE, ".done")):
        os.makedirs(os.path.join(runs, ASIDE), exist_ok=True)
        open(os.path.join(runs, ASIDE, ".done"), "w").close()
    if not os.path.exists(os.path.join(runs, SECONDS)):
        copy_newer(os.path.join(arch, SECONDS), os.path.join(runs, SECONDS))
    return n


def main(argv):
    if len(argv) != 3 or argv[0] not in ("archive", "restore"):
        sys.stderr.write(__doc__)
        return 2
    if argv[0] == "archive":
        failed = []
        n = archive(argv[1], argv[2], failed)
        print("%d run(s) archived from %s into %s%s" % (n, argv[1], argv[2],
                                                        ", %d could not be" % len(failed)
                                                        if failed else ""))
        return 2 if failed else 0
    else:
        n = restore(argv[1], argv[2])
        print("%d run(s) restored from %s into %s" % (n, argv[1], argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
