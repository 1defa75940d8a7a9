#!/usr/bin/python3
"""Checkpoints under write faults (docs/resume.md, docs/reliability.md): a
full disk or file size limit during a checkpoint, during the run, and an
output folder that becomes unwritable while the run goes on.  Each time: a
clear message, the documented exit code, no crash, the previous checkpoint
in place and readable, and once the fault is gone `governor resume` ends
the run (bit for bit as the run never stopped, where compared).

The file size limit is RLIMIT_FSIZE with SIGXFSZ ignored (`ulimit -f`); the
unwritable folder needs a user that chmod stops, so as root the run is
started as nobody (setpriv), and the case is skipped, saying so, when
neither works.

Usage: ckpt_faults_test.py PATH/TO/governor
"""

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resume_test as rt  # noqa: E402
from numbers_guard import digest  # noqa: E402

check = rt.check


def limited(kib):
    """preexec_fn: a file size limit of kib KiB, SIGXFSZ ignored."""
    def f():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (kib * 1024, kib * 1024))
    return f


def run_limited(kib, cfg, sets, out, **extra):
    env = dict(rt.ENV)
    env.update({k: str(v) for k, v in extra.items()})
    args = [rt.GV, "run", cfg, "--out", out]
    for s in sets:
        args += ["--set", s]
    return subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, preexec_fn=limited(kib))


def ckpt_step(path):
    with h5py.File(path + ".ckpt", "r") as f:
        return int(f["step"][0])


def during_checkpoint(tmp):
    """DAC's checkpoint (networks of 256 units: several MB) outgrows a 1200
    KiB limit the run file stays under.  The limit is set (prlimit) while
    the run stands stopped after the flush that follows its checkpoint of
    step 800 (GV_TEST_STOP_AFTER_FLUSH), so the checkpoints from step 1000
    on fail with a warning each, the run goes on, the one of step 800 stays;
    killed at 1450 and resumed without the limit, the result is the straight
    run's."""
    name, cfg, sets, kill = [c for c in rt.CASES if c[0] == "dac"][0][:4]
    sets = sets + ["agent.hidden=256"]
    straight = os.path.join(tmp, "dac-straight.h5")
    r = rt.run(cfg, sets, straight)
    check(r.returncode == 0, "dac: straight run exit %d %s" % (r.returncode, r.stderr))
    p = os.path.join(tmp, "dac-full.h5")
    env = dict(rt.ENV, GV_TEST_KILL_AT_STEP=str(kill + 200),
               # flushes: every 100 steps and one before each checkpoint (every
               # 200): the 13th is step 900's
               GV_TEST_STOP_AFTER_FLUSH="13")
    args = [rt.GV, "run", cfg, "--out", p]
    for s in sets:
        args += ["--set", s]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGXFSZ,
                                                                        signal.SIG_IGN))
    if rt.stopped(proc.pid):
        check(os.path.getsize(p + ".ckpt") > 1200 * 1024 and ckpt_step(p) == 800,
              "the checkpoint of step 800 is written and bigger than the limit: step %d, "
              "%d bytes" % (ckpt_step(p), os.path.getsize(p + ".ckpt")))
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (1200 * 1024, 1200 * 1024))
        os.kill(proc.pid, signal.SIGCONT)
    out, err = proc.communicate()
    check(proc.returncode == -9, "checkpoint over the limit: the run went on to its kill (exit "
          "%d %s)" % (proc.returncode, err.strip()[-300:]))
    check("warning: step 1000: checkpoint: no room to write" in err and
          "disk full or file size limit" in err,
          "checkpoint over the limit: a clear warning: %s" % err.strip()[:300])
    check(not os.path.exists(p + ".ckpt.tmp"), "the failed checkpoint left no temporary file")
    check(ckpt_step(p) == 800, "the previous checkpoint (step 800) is in place: %d"
          % ckpt_step(p))
    r = rt.gv(["resume", p])
    check(r.returncode == 0, "resume after the full checkpoints: exit %d %s"
          % (r.returncode, r.stderr))
    rt.same(name, digest(straight), p, "checkpoints over the limit, killed, resumed")


def during_run(tmp):
    """The run file reaches a 400 KiB limit: exit 1 with a message, the file
    readable (status running), the last checkpoint in place; resumed without
    the limit, the straight run."""
    cfg = "configs/dirac/r1.yaml"
    sets = ["scheme.steps=20000", "run.flush_every=100", "checkpoint.every=1000"]
    straight = os.path.join(tmp, "dirac-straight.h5")
    r = rt.run(cfg, sets, straight)
    check(r.returncode == 0, "dirac: straight run exit %d %s" % (r.returncode, r.stderr))
    p = os.path.join(tmp, "dirac-full.h5")
    r = run_limited(400, cfg, sets, p)
    check(r.returncode == 1 and "dirac-full.h5: error writing the run file" in r.stderr,
          "run file over the limit: exit %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
    with h5py.File(p, "r") as f:
        status, last = f.attrs["status"], int(f["series/distance/step"][-1])
    step = ckpt_step(p)
    check(status == "running" and 0 < step <= last < 20000,
          "run file over the limit: status %s, last flush %d, checkpoint %d" % (status, last,
                                                                                step))
    r = rt.gv(["resume", p])
    check(r.returncode == 0, "resume after the full run file: exit %d %s"
          % (r.returncode, r.stderr))
    rt.same("dirac", digest(straight), p, "run file over the limit, resumed")


def as_user():
    """The prefix that runs governor as a user chmod stops, or None."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    return None


def unwritable_folder(tmp):
    """The output folder made read-only while a run writes: its open run
    file still takes flushes, the checkpoints can not be created (a warning
    each), the previous one stays; SIGTERM still ends it as preempted (exit
    1), and once the folder is writable again it resumes to completion."""
    prefix = as_user()
    if prefix is None:
        print("SKIP unwritable folder: running as root without setpriv")
        return
    out = os.path.join(tmp, "ro")
    os.mkdir(out)
    os.chmod(tmp, 0o755)
    if prefix:
        os.chown(out, 65534, 65534)
    p = os.path.join(out, "a.h5")
    gv = os.path.abspath(rt.GV)
    args = prefix + [gv, "run", "configs/dirac/r1.yaml", "--out", p,
                     "--set", "scheme.steps=4000000", "--set", "run.every=100",
                     "--set", "run.flush_every=1000", "--set", "checkpoint.every=20000"]
    err = open(os.path.join(tmp, "ro.err"), "w+")
    # the run stops itself after its 30th flush (step 29000 or so: one every
    # 1000 steps, and one before the checkpoint of step 20000), between two
    # checkpoints whatever the machine's load; then the folder is made
    # read-only
    env = dict(rt.ENV, GV_TEST_STOP_AFTER_FLUSH="30")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
    check(rt.stopped(proc.pid), "unwritable folder: the run stopped itself after its 30th flush")
    os.chmod(out, 0o555)
    step0 = ckpt_step(p)
    check(step0 == 20000, "unwritable folder: the checkpoint before the chmod is step 20000's "
          "(%d)" % step0)
    proc.send_signal(signal.SIGCONT)
    n = 0  # until a checkpoint has failed
    while proc.poll() is None and n < 6000:
        err.seek(0)
        if "cannot create the checkpoint" in err.read():
            break
        time.sleep(0.005)
        n += 1
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait()
    err.seek(0)
    text = err.read()
    check(rc == 1 and "preempted at step" in text and "cannot create the checkpoint" in text,
          "unwritable folder: exit %d: %s" % (rc, text.strip()[-400:]))
    check(ckpt_step(p) == step0 and not os.path.exists(p + ".ckpt.tmp"),
          "unwritable folder: the checkpoint of step %d is in place" % step0)
    with h5py.File(p, "r") as f:
        status, last = f.attrs["status"], int(f["series/distance/step"][-1])
    check(status == "preempted" and last > step0,
          "unwritable folder: the run file went on (status %s, last step %d)" % (status, last))
    os.chmod(out, 0o755)
    r = subprocess.run(prefix + [gv, "resume", p], env=rt.ENV, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    with h5py.File(p, "r") as f:
        status = f.attrs["status"]
    check(r.returncode == 0 and status == "completed",
          "writable again: resume exit %d, status %s %s" % (r.returncode, status, r.stderr))


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    rt.GV = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="gv-ckpt-faults-") as tmp:
        during_checkpoint(tmp)
        during_run(tmp)
        unwritable_folder(tmp)
    print("%d failure(s)" % len(rt.failures))
    return 1 if rt.failures else 0


if __name__ == "__main__":
    sys.exit(main())
