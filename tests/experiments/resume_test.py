#!/usr/bin/python3
"""`governor resume`: a stopped run continued from its checkpoint is the run
never stopped, bit for bit (docs/resume.md).

For each resumable game kind (CASES) a short run is made straight, then
again killed with SIGKILL after a checkpoint (GV_TEST_KILL_AT_STEP) and
resumed; killed, resumed and killed again, then resumed; stopped by SIGTERM
(which writes its own checkpoint) and resumed.  Each result is compared with
the straight run through the numbers guard's digest: every dataset under
/series, /arrays and /policy* and every /summary attribute, wall-clock
figures aside.  Then the refusals: a changed config, a checkpoint of another
version (and --force), no checkpoint, a changed demonstration file (`--only demos`); and a kill between writing a
checkpoint's temporary file and its rename.  Last, the run file's own
temporary name: a resume stopped before and after renaming its rebuilt run
file into place refuses a second writer, and killed before the rename it
leaves the old file; and a run file cut short after its checkpoint (which
counts the points the run file holds instead of copying them) is refused.

Usage: resume_test.py PATH/TO/governor [--only NAME]
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numbers_guard import digest  # noqa: E402

# name, config, overrides (checkpoint cadence included), kill step, second kill
EVERY300 = ["run.flush_every=100", "checkpoint.every=300"]
CASES = [
    ("dirac-simgd", "configs/dirac/r1.yaml",
     ["scheme.steps=3000", "run.flush_every=100", "checkpoint.every=500"], 1700, 2600),
    ("dirac-altgd", "configs/dirac/altgd.yaml", ["scheme.steps=2000"] + EVERY300, 1234, 1700),
    ("dirac-ode", "configs/dirac/r1.yaml",
     ["scheme.kind=ode", "scheme.h=0.7", "scheme.steps=1000"] + EVERY300, 777, 950),
    ("dirac-sde", "configs/dirac/bmc-sde.yaml", ["scheme.steps=2000"] + EVERY300, 1234, 1700),
    ("dirac-bmc-code", "configs/dirac/bmc-code.yaml", ["scheme.steps=2000"] + EVERY300, 1234,
     1700),
    ("dirac-replicas", "configs/dirac/bmc-study.yaml",
     ["scheme.steps=2000", "run.replicas=8", "run.threads=2"] + EVERY300, 1234, 1700),
    ("onestep", "configs/onestep/cgail.yaml", ["scheme.steps=2000"] + EVERY300, 1234, 1700),
    ("onestep-altgd", "configs/onestep/altgd.yaml", ["scheme.steps=2000"] + EVERY300, 1234,
     1700),
    ("onestep_sampled", "configs/gail/onestep-sampled.yaml",
     ["sampled.steps=300", "run.flush_every=10", "checkpoint.every=50"], 123, 222),
    # CLC's history rings (wrapped by the first kill) come back with it
    ("onestep_sampled-clc", "configs/gail/onestep-sampled.yaml",
     ["sampled.steps=300", "run.flush_every=10", "checkpoint.every=50",
      "controllers=[{kind: clc, lambda: 0.5, buffer: 700, sample: 16}]"], 123, 222),
] + [("mlpgan-" + c, "configs/mlpgan/ring-%s.yaml" % c,
      ["train.steps=300", "run.every=20", "run.flush_every=20", "checkpoint.every=50"], 173, 260)
     for c in ("clc", "wgan-gp", "bmc", "instance-noise")] + [
    ("rl-ppo", "configs/experts/hopper.yaml",
     ["run.steps=8192", "run.envs=2", "run.threads=1", "run.eval_every=2000",
      "run.eval_episodes=1", "run.flush_every=2048", "checkpoint.every=2048"], 5000, 7000),
    # a replay buffer smaller than the run: the ring wraps before the checkpoints
    ("rl-td3", "configs/experts/halfcheetah-td3.yaml",
     ["run.steps=1500", "agent.learning_starts=1000", "agent.hidden=64", "agent.log_every=100",
      "agent.buffer=1200", "run.envs=2", "run.eval_every=500", "run.eval_episodes=1",
      "run.threads=1", "run.flush_every=100", "checkpoint.every=200"], 1250, 1450),
    ("dac", "configs/dac/hopper-cgail.yaml",
     ["run.steps=1500", "agent.learning_starts=1000", "agent.hidden=64", "agent.log_every=100",
      "agent.buffer=1200", "run.envs=2", "run.eval_every=500", "run.eval_episodes=1",
      "run.threads=1", "run.flush_every=100", "checkpoint.every=200"], 1250, 1450),
    # DAC's reference preset: updates in blocks per episode, the actor's
    # delay and its learning rate halved at episode starts (kills past a
    # halving, mid-episode)
    ("dac-ref", "configs/dac/hopper-ref.yaml",
     ["run.steps=3000", "agent.hidden=64", "agent.hidden2=48", "disc.width=32",
      "agent.actor_lr_halve_every=700", "agent.actor_delay=200", "agent.learning_starts=300",
      "agent.random_steps=300", "agent.buffer=5000", "agent.log_every=100",
      "run.eval_every=1000", "run.eval_episodes=1", "run.flush_every=100",
      "checkpoint.every=200"], 1750, 2450),
] + [("gail-" + n, "configs/gail/%s.yaml" % cfg, extra +
      ["run.steps=8192", "run.envs=2", "run.threads=1", "run.eval_every=2000",
       "run.eval_episodes=1", "run.flush_every=2048", "run.distance_every=2",
       "checkpoint.every=2048"], 5000, 7000)
     for n, cfg, extra in (("cgail", "hopper-cgail", []),
                           ("clc", "hopper-gail",
                            ["controllers=[{kind: clc, buffer: 5000, sample: 64}]"]))]

GV = None
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")
failures = []


def gv(args, **extra):
    env = dict(ENV)
    for k, v in extra.items():
        env[k] = str(v)
    return subprocess.run([GV] + args, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def run(cfg, sets, out, **extra):
    args = ["run", cfg, "--out", out]
    for s in sets:
        args += ["--set", s]
    return gv(args, **extra)


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def same(name, want, path, how):
    got = digest(path) if os.path.exists(path) else "missing"
    check(got == want, "%s: %s: %s (straight run %s)" % (name, how, got, want))


def set_text(ck, key, value):
    """Replaces the text buffer key of the checkpoint ck with value."""
    with h5py.File(ck, "r+") as f:
        del f[key]
        f[key] = list(value.encode())


def log_of(path):
    with h5py.File(path, "r") as f:
        return [x.decode() if isinstance(x, bytes) else x for x in f["log"][()]]


def resumed_at(path):
    """The steps the run's /log says it was resumed at, in order: what tells
    a resume from a run made again from step 0 (the same numbers)."""
    pre = "resumed at step "
    return [int(x[len(pre):].split()[0]) for x in log_of(path) if x.startswith(pre)]


def refused_then_forced(p, ck, key, value, needle, what):
    """The checkpoint's key set to value: resume is refused (exit 2, needle in
    the message), --force resumes; returns the run's /log lines."""
    set_text(ck, key, value)
    r = gv(["resume", p])
    check(r.returncode == 2 and needle in r.stderr,
          "%s: exit %d: %s" % (what, r.returncode, r.stderr.strip()))
    r = gv(["resume", p, "--force"])
    check(r.returncode == 0, "%s, --force: exit %d %s" % (what, r.returncode,
                                                          r.stderr.strip()))
    return log_of(p)


def kind_case(tmp, name, cfg, sets, kill, kill2):
    straight = os.path.join(tmp, name + "-straight.h5")
    r = run(cfg, sets, straight)
    check(r.returncode == 0, "%s: straight run exit %d %s" % (name, r.returncode, r.stderr))
    check(not os.path.exists(straight + ".ckpt"), "%s: a completed run leaves no checkpoint"
          % name)
    want = digest(straight)

    # SIGKILL after a checkpoint, then resume
    p = os.path.join(tmp, name + "-kill.h5")
    r = run(cfg, sets, p, GV_TEST_KILL_AT_STEP=kill)
    check(r.returncode == -9, "%s: killed (exit %d)" % (name, r.returncode))
    with h5py.File(p + ".ckpt", "r+") as f:
        step = int(f["step"][0])
        wall = float(f["wall_seconds"][0]) if "wall_seconds" in f else None
        # a long past, so that the resumed run's own seconds can not pass for it
        if wall is not None:
            f["wall_seconds"][0] = wall = 1e6
    check(0 < step <= kill, "%s: checkpoint at step %d before the kill at %d" % (name, step, kill))
    check(wall is not None, "%s: the checkpoint holds the run's wall time" % name)
    r = gv(["resume", p])
    check(r.returncode == 0, "%s: resume exit %d %s" % (name, r.returncode, r.stderr))
    same(name, want, p, "killed at %d, resumed" % kill)
    at = resumed_at(p)
    check(at == [step], "%s: /log: resumed at %s, the checkpoint's step %d" % (name, at, step))
    # the run's wall time goes on from the checkpoint's: the compute a study spent
    with h5py.File(p, "r") as f:
        s = f["summary"].attrs if "summary" in f else {}
        key = [k for k in ("wall_seconds", "seconds") if k in s]
        if key and wall is not None:
            got = float(s[key[0]])
            check(wall <= got < wall + 600, "%s: /summary %s %.4f counts the %.0f s before "
                  "the kill" % (name, key[0], got, wall))

    # killed, resumed and killed again, resumed again
    p = os.path.join(tmp, name + "-twice.h5")
    run(cfg, sets, p, GV_TEST_KILL_AT_STEP=kill)
    r = gv(["resume", p], GV_TEST_KILL_AT_STEP=kill2)
    check(r.returncode == -9, "%s: resume killed at %d (exit %d)" % (name, kill2, r.returncode))
    with h5py.File(p + ".ckpt", "r") as f:
        step2 = int(f["step"][0])
    r = gv(["resume", p])
    check(r.returncode == 0, "%s: second resume exit %d %s" % (name, r.returncode, r.stderr))
    same(name, want, p, "killed at %d and %d, resumed twice" % (kill, kill2))
    # each case's second kill comes after a checkpoint the first resume
    # wrote (a kill before it would resume from the first checkpoint again,
    # and lose the first resume's /log line with the rebuilt run file)
    at = resumed_at(p)
    check(step < step2 <= kill2 and at == [step, step2],
          "%s: /log: resumed at %s (checkpoints at %d and %d)" % (name, at, step, step2))

    # SIGTERM writes a checkpoint at the step reached (no periodic one needed)
    p = os.path.join(tmp, name + "-term.h5")
    quiet = [s for s in sets if not s.startswith("checkpoint.")]
    r = run(cfg, quiet, p, GV_TEST_TERM_AT_STEP=kill)
    check(r.returncode == 1 and "preempted at step" in r.stderr,
          "%s: SIGTERM exit %d %s" % (name, r.returncode, r.stderr.strip()))
    with h5py.File(p, "r") as f:
        check(f.attrs["status"] == "preempted", "%s: status preempted" % name)
    with h5py.File(p + ".ckpt", "r") as f:
        step = int(f["step"][0])
    # at the step reached: the kill step, or the end of the iteration holding it
    check(kill <= step < kill + 2048, "%s: SIGTERM checkpoint at step %d (signal at %d)"
          % (name, step, kill))
    r = gv(["resume", p])
    check(r.returncode == 0, "%s: resume after SIGTERM exit %d %s" % (name, r.returncode,
                                                                      r.stderr))
    same(name, want, p, "SIGTERM at %d, resumed" % kill)
    at = resumed_at(p)
    check(at == [step], "%s: /log: resumed at %s, the SIGTERM checkpoint's step %d"
          % (name, at, step))
    return want


def refusals(tmp, want):
    name, cfg, sets, kill, kill2 = CASES[0]
    p = os.path.join(tmp, "refuse.h5")
    run(cfg, sets, p, GV_TEST_KILL_AT_STEP=kill)
    ck = p + ".ckpt"
    keep = os.path.join(tmp, "refuse.ckpt.keep")
    shutil.copy(ck, keep)

    # a changed config is refused, naming the key
    with h5py.File(ck, "r") as f:
        text = bytes(f["config"][()]).decode()
    changed = os.path.join(tmp, "changed.yaml")
    with open(changed, "w") as f:
        f.write(text.replace("  h: ", "  h: 0.0123 #", 1))
    r = gv(["resume", p, "--config", changed])
    check(r.returncode == 2 and "scheme.h differs" in r.stderr,
          "changed config: exit %d: %s" % (r.returncode, r.stderr.strip()))
    # the cadence may change
    same_cfg = os.path.join(tmp, "cadence.yaml")
    cadence = text.replace("  every: 500", "  every: 700", 1)
    assert cadence != text, "the resolved config holds no '  every: 500' to change"
    with open(same_cfg, "w") as f:
        f.write(cadence)
    r = gv(["resume", p, "--config", same_cfg], GV_TEST_KILL_AT_STEP=kill + 1)
    check(r.returncode == -9, "another checkpoint cadence is accepted (exit %d %s)"
          % (r.returncode, r.stderr.strip()))
    shutil.copy(keep, ck)

    # another version is refused; --force resumes it with a warning in /log
    log = refused_then_forced(p, ck, "git_commit", "0000000", "0000000", "another commit")
    check(any("--force" in x for x in log), "--force: a warning in /log")
    same(name, want, p, "resumed with --force")

    # another OpenBLAS kernel (another CPU, or OPENBLAS_CORETYPE set
    # otherwise) sums in another order: refused as another build is
    os.remove(p)
    run(cfg, sets, p, GV_TEST_KILL_AT_STEP=kill)
    with h5py.File(p, "r") as f:
        core = f.attrs.get("blas_core", b"")
        core = core.decode() if isinstance(core, bytes) else str(core)
    with h5py.File(ck, "r") as f:
        saved = bytes(f["blas_core"][()]).decode() if "blas_core" in f else ""
    check(core not in ("", "unknown") and saved == core,
          "the run file and its checkpoint name the kernel: %r, %r" % (core, saved))
    log = refused_then_forced(p, ck, "blas_core", "Nehalem", "OpenBLAS kernel Nehalem",
                              "another kernel")
    check(any("Nehalem" in x for x in log), "another kernel, --force: a warning in /log")

    # checkpoints by wall time (every few microseconds: at varying steps)
    # change no number either
    p = os.path.join(tmp, "minutes.h5")
    by_time = [x for x in sets if not x.startswith("checkpoint.")] + ["checkpoint.minutes=1e-7"]
    r = run(cfg, by_time, p, GV_TEST_KILL_AT_STEP=kill)
    check(r.returncode == -9 and os.path.exists(p + ".ckpt"),
          "checkpoint.minutes: killed with a checkpoint (exit %d)" % r.returncode)
    r = gv(["resume", p])
    same(name, want, p, "checkpoints by wall time, killed, resumed")

    # a kill between a checkpoint's temporary file and its rename leaves the
    # previous checkpoint in place
    p = os.path.join(tmp, "abort.h5")
    r = run(cfg, sets, p, GV_TEST_CKPT_ABORT_AT_STEP=1000)
    check(r.returncode == -6, "abort in a checkpoint write (exit %d)" % r.returncode)
    with h5py.File(p + ".ckpt", "r") as f:
        check(int(f["step"][0]) == 500, "the previous checkpoint (step 500) is in place")
    check(os.path.exists(p + ".ckpt.tmp"), "the aborted write left its temporary file")
    r = gv(["resume", p])
    check(r.returncode == 0, "resume after the abort: exit %d %s" % (r.returncode, r.stderr))
    same(name, want, p, "aborted in a checkpoint write, resumed")
    check(not os.path.exists(p + ".ckpt") and not os.path.exists(p + ".ckpt.tmp"),
          "the completed run removed its checkpoint and the temporary file")

    # a checkpoint that can not be written is a warning; the run goes on
    p = os.path.join(tmp, "unwritable.h5")
    os.mkdir(p + ".ckpt.tmp")  # where the temporary file would go
    r = run(cfg, sets, p)
    check(r.returncode == 0 and "warning" in r.stderr and "checkpoint" in r.stderr,
          "unwritable checkpoint: exit %d: %s" % (r.returncode, r.stderr.strip()[:200]))
    same(name, want, p, "no checkpoint could be written")

    # no checkpoint (every built-in kind has a checkpoint hook, so the
    # refusal of a kind without one is not reachable from here)
    r = gv(["resume", os.path.join(tmp, "none.h5")])
    check(r.returncode == 2 and "no readable checkpoint" in r.stderr,
          "no checkpoint: exit %d: %s" % (r.returncode, r.stderr.strip()))


def demos_changed(tmp):
    """A gail/dac run's demonstration file is part of the run: resume refuses
    it changed (exit 2, naming it; --force does not override) and resumes
    with the same bytes."""
    name, cfg, sets, kill = [c for c in CASES if c[0] == "dac"][0][:4]
    demos = os.path.join(tmp, "my-demos.h5")
    shutil.copy("data/experts/hopper-demos.h5", demos)
    keep = demos + ".keep"
    shutil.copy(demos, keep)
    p = os.path.join(tmp, "demos.h5")
    r = run(cfg, sets + ["game.demos=" + demos], p, GV_TEST_KILL_AT_STEP=kill)
    check(r.returncode == -9, "demos: killed (exit %d %s)" % (r.returncode, r.stderr.strip()))
    with h5py.File(p + ".ckpt", "r") as f:
        check(bytes(f["input_file"][()]).decode() == demos and
              bytes(f["input_hash"][()]).decode().startswith("fnv1a64:"),
              "demos: the checkpoint holds the file's path and content hash")
    with h5py.File(demos, "r+") as f:  # still a valid demonstration file
        f.attrs["touched"] = 1
    before = open(p, "rb").read()
    for extra in ([], ["--force"]):
        r = gv(["resume", p] + extra)
        check(r.returncode == 2 and ("input file %s changed since the checkpoint" % demos)
              in r.stderr, "demos changed, resume %s: exit %d: %s"
              % (" ".join(extra), r.returncode, r.stderr.strip()))
    check(open(p, "rb").read() == before, "demos: the refused resumes left the run file alone")
    os.remove(demos)
    r = gv(["resume", p])
    check(r.returncode == 2 and ("demonstration file '%s' not found" % demos) in r.stderr,
          "demos gone: exit %d: %s" % (r.returncode, r.stderr.strip()))
    shutil.copy(keep, demos)
    # a checkpoint without the hash (written before hashes were stored) is
    # refused, and resumed unchecked only as another version with --force
    q = os.path.join(tmp, "demos-nohash.h5")
    shutil.copy(p, q)
    shutil.copy(p + ".ckpt", q + ".ckpt")
    if os.path.isdir(p + ".ckpt.d"):  # the replay ring's side files go with it
        shutil.copytree(p + ".ckpt.d", q + ".ckpt.d")
    with h5py.File(q + ".ckpt", "r+") as f:
        del f["input_hash"]
    r = gv(["resume", q])
    check(r.returncode == 2 and ("holds no hash of the input file %s" % demos) in r.stderr,
          "no hash: exit %d: %s" % (r.returncode, r.stderr.strip()))
    r = gv(["resume", q, "--force"])
    check(r.returncode == 2 and "holds no hash" in r.stderr,
          "no hash, same version, --force: exit %d: %s" % (r.returncode, r.stderr.strip()))
    set_text(q + ".ckpt", "git_commit", "0000000")
    r = gv(["resume", q, "--force"])
    check(r.returncode == 0, "no hash, older version, --force: exit %d %s"
          % (r.returncode, r.stderr.strip()))
    check(any("which was not checked" in x for x in log_of(q)),
          "no hash, --force: the warning in /log says the input was not checked")
    r = gv(["resume", p])
    check(r.returncode == 0, "demos restored: resume exit %d %s" % (r.returncode, r.stderr))


def stopped(pid):
    """True once process pid is stopped (SIGSTOP), False once it is gone."""
    while True:
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        if state in ("T", "t"):
            return True
        if state == "Z":
            return False
        time.sleep(0.02)


def one_writer(tmp, want):
    """The run file is rebuilt under RUN.h5.tmp and renamed into place; while
    a resume stands before the rename (GV_TEST_STOP_BEFORE_RENAME) the old
    file is untouched and readable, and a second resume or run of the same
    path is refused (exit 2); killed there, it leaves the old file, and the
    next resume ends as the straight run.  After the rename
    (GV_TEST_STOP_AFTER_FLUSH) the second writers are refused too."""
    name, cfg, sets, kill, kill2 = CASES[0]
    p = os.path.join(tmp, "window.h5")
    run(cfg, sets, p, GV_TEST_KILL_AT_STEP=kill)
    with open(p, "rb") as f:
        before = f.read()
    busy = "another governor process is writing this file"
    for where, var, value in (("before the rename", "GV_TEST_STOP_BEFORE_RENAME", "1"),
                              ("after the rename", "GV_TEST_STOP_AFTER_FLUSH", "2")):
        env = dict(ENV, **{var: value})
        first = subprocess.Popen([GV, "resume", p], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        check(stopped(first.pid), "resume stopped %s" % where)
        if where == "before the rename":
            with open(p, "rb") as f:
                same_bytes = f.read() == before
            check(same_bytes and os.path.exists(p + ".tmp"),
                  "%s: the old run file untouched, the new one under .tmp" % where)
            with h5py.File(p, "r") as f:
                check(f.attrs["status"] in ("running", b"running"),
                      "%s: the old run file opens" % where)
        r = gv(["resume", p])
        check(r.returncode == 2 and busy in r.stderr,
              "%s: a second resume refused: exit %d %s" % (where, r.returncode, r.stderr.strip()))
        r = gv(["run", cfg, "--out", p, "--overwrite"] + sum([["--set", x] for x in sets], []))
        check(r.returncode == 2 and busy in r.stderr,
              "%s: a second run refused: exit %d %s" % (where, r.returncode, r.stderr.strip()))
        if where == "before the rename":
            first.kill()
            first.communicate()
            with open(p, "rb") as f:
                check(f.read() == before, "killed before the rename: the old run file stands")
        else:
            os.kill(first.pid, signal.SIGCONT)
            first.communicate()
            check(first.returncode == 0, "resumed after the stop: exit %d" % first.returncode)
    check(not os.path.exists(p + ".tmp"), "no temporary run file left")
    same(name, want, p, "resumed past the refused second writers")


def run_file_cut(tmp, want):
    """The series points a checkpoint counts stay in the run file: resume
    reads them back, and a run file cut short since is refused (exit 1,
    naming the series) with both files left as they were; the run file put
    back, the resume ends as the straight run."""
    name, cfg, sets, kill, kill2 = CASES[0]
    p = os.path.join(tmp, "cut.h5")
    run(cfg, sets, p, GV_TEST_KILL_AT_STEP=kill)
    keep = os.path.join(tmp, "cut.keep")
    shutil.copy(p, keep)
    with open(p + ".ckpt", "rb") as f:
        ckpt = f.read()
    with h5py.File(p, "a") as f:
        for k in ("step", "value"):
            f["series/distance/" + k].resize((3,))
    with open(p, "rb") as f:
        cut = f.read()
    r = gv(["resume", p])
    check(r.returncode == 1 and "/series/distance: the run file no longer holds" in r.stderr,
          "run file cut short: exit %d %s" % (r.returncode, r.stderr.strip()))
    with open(p + ".ckpt", "rb") as f, open(p, "rb") as g:
        check(f.read() == ckpt and g.read() == cut and not os.path.exists(p + ".tmp"),
              "run file cut short: the checkpoint and the run file as they were")
    shutil.copy(keep, p)
    r = gv(["resume", p])
    check(r.returncode == 0, "the run file put back: resume exit %d" % r.returncode)
    same(name, want, p, "resumed from the run file put back")


def at_the_end(tmp):
    """SIGTERM at the last step: the resumed run only ends (the replicas)."""
    name, cfg, sets = [c for c in CASES if c[0] == "dirac-replicas"][0][:3]
    sets = [s for s in sets if not s.startswith("checkpoint.")]
    straight = os.path.join(tmp, "end-straight.h5")
    run(cfg, sets, straight)
    p = os.path.join(tmp, "end.h5")
    r = run(cfg, sets, p, GV_TEST_TERM_AT_STEP=2000)
    check(r.returncode == 1 and os.path.exists(p + ".ckpt"),
          "%s: SIGTERM at the last step leaves a checkpoint (exit %d)" % (name, r.returncode))
    r = gv(["resume", p])
    check(r.returncode == 0, "%s: resume at the last step: exit %d" % (name, r.returncode))
    same(name, digest(straight), p, "SIGTERM at the last step, resumed")


def replay_blocks(f):
    """The replay ring's block table of a checkpoint (h5py file): the side
    file id of each block."""
    found = []
    f.visit(lambda n: found.append(n) if n.endswith("replay/blocks") else None)
    check(len(found) == 1, "one replay ring in the checkpoint: %s" % found)
    return [int(x) & (2**64 - 1) for x in f[found[0]][()]] if found else []


def side_files(p):
    d = p + ".ckpt.d"
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def replay_side(tmp):
    """The replay ring's blocks in side files (docs/resume.md): a checkpoint
    writes only the blocks rows were added to since the previous one and
    names the older files of the rest; the folder holds exactly the files
    the checkpoint names; a kill between the side file and the checkpoint's
    rename leaves the previous checkpoint with its files; a side file that
    can not be written leaves its blocks to the next checkpoint; a checkpoint of
    the format before side files (the ring in the checkpoint) is resumed;
    every case ends as the straight run."""
    name, cfg, sets, kill = [c for c in CASES if c[0] == "rl-td3"][0][:4]
    straight = os.path.join(tmp, "side-straight.h5")
    run(cfg, sets, straight)
    want = digest(straight)
    check(not side_files(straight) and not os.path.exists(straight + ".ckpt.d"),
          "side: a completed run leaves no side folder")
    p = os.path.join(tmp, "side.h5")
    r = run(cfg, sets, p, GV_TEST_KILL_AT_STEP=kill)
    with h5py.File(p + ".ckpt", "r") as f:
        table = replay_blocks(f)
    ids = sorted(set("%016x.h5" % x for x in table if x))
    check(len(table) == 64 and ids and side_files(p) == ids,
          "side: the folder holds exactly the files the checkpoint names: %s vs %s"
          % (side_files(p), ids))
    newest = {}
    for x in table:
        newest[x] = newest.get(x, 0) + 1
    check(len(newest) > 1 and min(newest.values()) < 64,
          "side: the last checkpoint wrote only the blocks that changed (blocks per file %s)"
          % sorted(newest.values()))
    for x in ids:
        with h5py.File(os.path.join(p + ".ckpt.d", x), "r") as f:
            check(len(f.keys()) > 0, "side: %s opens with h5py and holds blocks" % x)
    gone = os.path.join(p + ".ckpt.d", ids[0])
    os.rename(gone, gone + ".away")
    with open(p, "rb") as f:
        before = f.read()
    r = gv(["resume", p])
    check(r.returncode == 1 and "side file" in r.stderr and ids[0] in r.stderr,
          "side: a side file gone: resume refused (exit %d %s)" % (r.returncode,
                                                                    r.stderr.strip()))
    with open(p, "rb") as f:
        check(f.read() == before, "side: the refused resume left the run file alone")
    os.rename(gone + ".away", gone)
    r = gv(["resume", p])
    check(r.returncode == 0, "side: resume exit %d %s" % (r.returncode, r.stderr))
    same(name, want, p, "side: killed, resumed from blocks in side files")
    check(not os.path.exists(p + ".ckpt.d"), "side: the completed run removed its side folder")

    # killed between the side file of the checkpoint of step 1000 and its rename
    p = os.path.join(tmp, "side-abort.h5")
    r = run(cfg, sets, p, GV_TEST_CKPT_ABORT_AT_STEP=1000)
    check(r.returncode == -6, "side: abort in a checkpoint write (exit %d)" % r.returncode)
    with h5py.File(p + ".ckpt", "r") as f:
        table = replay_blocks(f)
        step = int(f["step"][0])
    named = set("%016x.h5" % x for x in table if x)
    left = side_files(p)
    check(step == 800 and named < set(left),
          "side: the checkpoint of step 800 and its files in place, the new file beside "
          "(step %d, %d named, %d in the folder)" % (step, len(named), len(left)))
    r = gv(["resume", p])
    check(r.returncode == 0, "side: resume after the abort: exit %d %s" % (r.returncode, r.stderr))
    same(name, want, p, "side: aborted after the side file, resumed")

    # a side file that can not be written (as on a full disk): a warning,
    # the run goes on, the next checkpoint writes the blocks the failed one
    # held too (the kill at 850 leaves a ring that still holds them)
    p = os.path.join(tmp, "side-full.h5")
    r = run(cfg, sets, p, GV_TEST_CKPT_SIDE_FAIL=3, GV_TEST_KILL_AT_STEP=850)
    check(r.returncode == -9 and "warning: step 600: checkpoint: no room to write the side "
          "file" in r.stderr, "side: the failed side file is a warning, the run goes on "
          "(exit %d %s)" % (r.returncode, r.stderr.strip()[-300:]))
    with h5py.File(p + ".ckpt", "r") as f:
        step = int(f["step"][0])
    check(step == 800 and not [x for x in side_files(p) if x.endswith(".tmp")],
          "side: the next checkpoint (step %d) in place, no temporary side file" % step)
    r = gv(["resume", p])
    check(r.returncode == 0, "side: resume after the failed side file: exit %d %s"
          % (r.returncode, r.stderr))
    same(name, want, p, "side: a side file failed, the next checkpoint resumed")

    # the format before side files
    p = os.path.join(tmp, "side-inline.h5")
    r = run(cfg, sets, p, GV_TEST_KILL_AT_STEP=kill, GV_TEST_CKPT_INLINE=1)
    with h5py.File(p + ".ckpt", "r") as f:
        inline = []
        f.visit(lambda n: inline.append(n) if n.endswith("replay/obs") else None)
    check(inline and not os.path.exists(p + ".ckpt.d"),
          "side: GV_TEST_CKPT_INLINE writes the ring into the checkpoint")
    r = gv(["resume", p])
    check(r.returncode == 0, "side: resume of the inline format exit %d %s"
          % (r.returncode, r.stderr))
    same(name, want, p, "side: the ring in the checkpoint (format before side files), resumed")


def main():
    global GV
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    GV = os.path.abspath(sys.argv[1])
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    with tempfile.TemporaryDirectory(prefix="gv-resume-") as tmp:
        first = None
        for case in CASES:
            if only and case[0] != only:
                continue
            want = kind_case(tmp, *case)
            first = first or (want if case is CASES[0] else None)
        if first:
            refusals(tmp, first)
            one_writer(tmp, first)
            run_file_cut(tmp, first)
        if not only or only == "dirac-replicas":
            at_the_end(tmp)
        if not only or only == "demos":
            demos_changed(tmp)
        if not only or only == "side":
            replay_side(tmp)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
