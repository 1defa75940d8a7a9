#!/bin/sh
# Hostile files and faults (docs/reliability.md): foreign or damaged run,
# policy and demonstration files are rejected with exit 2 and a message
# naming what is wrong, never a crash, and a rejected file is never written.
# Usage: files_test.sh PATH/TO/governor (run from the project root).
set -u
testname=files
. "$(dirname "$0")/testlib.sh"
MK="$PY tests/experiments/hostile_h5.py"

sum() { cksum <"$1"; }
# hostile KIND:MESSAGE SRC: sets kind and msg, copies SRC to $T/KIND.h5 damaged
hostile() {
  kind=${1%%:*}; msg=${1#*:}
  $MK "$kind" "$2" "$T/$kind.h5" || { bad "hostile_h5.py $kind"; return 1; }
}

# --- run files (item 3, item 4): analyze rejects, and writes nothing -------
cat >"$T/d.yaml" <<'Y'
game: {kind: dirac, loss: standard}
scheme: {kind: simgd, h: 0.2, steps: 200}
controllers: [{kind: r1, gamma: 0.3}]
run: {flush_every: 10}
Y
"$GV" run "$T/d.yaml" --out "$T/run.h5" >/dev/null 2>&1 || bad "the base dirac run failed"
expect 0 "" -- "$GV" analyze "$T/run.h5"
for k in run_kind_array:"attribute kind: expected a scalar string, found a float array of 4096" \
         run_status_ints:"attribute status: expected a scalar string" \
         run_name_strings:"attribute name: expected a scalar string" \
         run_status_unknown:"status: 'exploded' (allowed: running, completed" \
         run_kind_unknown:"no analysis for run kind 'widget'" \
         run_config_ints:"/config: expected a scalar string" \
         run_summary_array:"attribute steps_done: expected a scalar string or number" \
         run_summary_compound:"attribute x: expected a scalar string or number" \
         run_series_2d:"expected numbers of rank 1" \
         run_series_strings:"expected numbers of rank 1, found a string array" \
         run_steps_negative:"/series/distance/step: -9223372036854775808 at point 0 (allowed: steps from 0, never decreasing)" \
         run_steps_dip:"/series/distance/step: 0 at point 3 (allowed: steps from 0, never decreasing)" \
         run_series_huge:"268435456 elements is too large (allowed: up to 1073741824 bytes)" \
         run_replicas_mismatch:"replica_iters_to_converge holds 2000000 values, replica_lyapunov 2" \
         run_replicas_2d:"replica_lyapunov"; do
  hostile "$k" "$T/run.h5" || continue
  before=$(sum "$T/$kind.h5")
  expect 2 "$msg" -- "$GV" analyze "$T/$kind.h5"
  [ "$(sum "$T/$kind.h5")" = "$before" ] && ok || bad "analyze wrote into the rejected $kind.h5"
done
# a live file caught inside a flush: the points extended but not yet written
# (steps at the fill value 0 after a positive one) are not data; the file is
# analysed as the points before them (analyze reads, it must not refuse)
hostile run_steps_zero_tail:x "$T/run.h5" && expect 0 "" -- "$GV" analyze "$T/run_steps_zero_tail.h5"
# ... the same report, line for line but the first (the file's name), as
# the file without the tail gives (read as data, the zeros would make the
# final distance 0)
tail -n +2 "$T/out" >"$T/zt.txt"
"$GV" analyze "$T/run.h5" | tail -n +2 >"$T/base.txt"
grep -q "final distance" "$T/base.txt" && cmp -s "$T/zt.txt" "$T/base.txt" && ok ||
  bad "analyze of a file with an unwritten tail differs from the file's own: $(diff "$T/base.txt" "$T/zt.txt" | head -5)"
$PY -c "
import h5py, sys
sys.path.insert(0, 'plots')
import runfile
r = runfile.load(sys.argv[1])
assert r.series['distance'].step[-1] > 0, r.series['distance'].step[-3:]
" "$T/run_steps_zero_tail.h5" && ok || bad "runfile.py keeps the unwritten zero tail of a series"
# its first flush caught half-way: every step still at the fill value -1 is
# "no points yet" (analyze measures nothing), never points at step 0
hostile run_steps_fill_first:x "$T/run.h5" &&
  expect 0 "" -- "$GV" analyze "$T/run_steps_fill_first.h5"
grep -Eq "verdict +[a-z]+ +unknown" "$T/out" && ok || bad "analyze measured unwritten points: $(cat "$T/out")"
$PY -c "
import sys
sys.path.insert(0, 'plots')
import runfile
assert runfile.load(sys.argv[1]).series['distance'].step.size == 0
" "$T/run_steps_fill_first.h5" && ok || bad "runfile.py shows unwritten points of a first flush"
# the one-step analysis: x_final of shape (n, 0) is not the final point
"$GV" run configs/onestep/cgail.yaml --set scheme.steps=50 --out "$T/os.h5" >/dev/null 2>&1 \
  || bad "the base onestep run failed"
hostile run_xfinal_empty:x "$T/os.h5" &&
  expect 0 "the run's final point (/arrays/x_final) is missing or not 6 values" -- \
    "$GV" analyze "$T/run_xfinal_empty.h5"
grep -q "(reached)" "$T/out" && bad "analyze matched an equilibrium to an empty x_final" || ok
$PY -c "import h5py, sys
with h5py.File(sys.argv[1], 'r') as f: assert f['summary'].attrs['reached_eq'] == -1" \
  "$T/run_xfinal_empty.h5" && ok || bad "an empty x_final: /summary reached_eq is not -1"
# a damaged (truncated) run file: rejected, left as it was
head -c 3000 "$T/run.h5" >"$T/cut.h5"
before=$(sum "$T/cut.h5")
expect 2 "$T/cut.h5: " -- "$GV" analyze "$T/cut.h5"
[ "$(sum "$T/cut.h5")" = "$before" ] && ok || bad "analyze wrote into a truncated file"
# a foreign HDF5 file (no governor attributes)
$PY -c "import h5py,sys; h5py.File(sys.argv[1],'w')['x']=[1,2]" "$T/foreign.h5"
expect 2 "not a governor run file" -- "$GV" analyze "$T/foreign.h5"

# --- files that crash or hang libhdf5 itself (core/h5.h, gv_h5_probe) ------
# The dirac run's global heap (its variable-length strings) overwritten with
# 64 bytes of 0xff at every 32nd offset: libhdf5 1.10.8 segfaults or loops
# on some of them when it reads a string.  `governor analyze` must exit 0 or
# 2 and plots/runfile.py must raise BadInput or nothing (neither dies), and
# each must say "damaged" for some.
GV_READ_TIMEOUT=1 $PY - "$GV" "$T/run.h5" "$T/heap" <<'PYEOF' >"$T/heap.out" 2>&1
import os, subprocess, sys
gv, src, out = sys.argv[1:]
img = open(src, "rb").read()
heap = img.find(b"GCOL")
if heap < 0:
    sys.exit("no global heap in %s" % src)
os.makedirs(out, exist_ok=True)
files = []
for off in range(heap, min(heap + 2048, len(img) - 64), 32):
    bad = bytearray(img)
    bad[off:off + 64] = b"\xff" * 64
    files.append(os.path.join(out, "heap+%d.h5" % (off - heap)))
    open(files[-1], "wb").write(bad)
fails = 0
try:  # one analyze of them all: it goes on past a refused file
    p = subprocess.run([gv, "analyze"] + files, capture_output=True, timeout=600)
    err = p.stderr.decode(errors="replace")
    if p.returncode not in (0, 2):
        print("analyze: exit %d: %s" % (p.returncode, err[-600:])); fails += 1
    n_c = err.count(": damaged: the HDF5 library")
except subprocess.TimeoutExpired:
    print("analyze: still running after 600 s"); fails += 1; n_c = 0
sys.path.insert(0, "plots")
import runfile
n_py = 0
for f, damage in zip(files, runfile.probe_all(files)):
    try:
        runfile.Run(f, damage)
    except runfile.BadInput as exc:
        n_py += ": damaged: the HDF5 library" in str(exc)
print("damaged: %d by analyze, %d by runfile.py, of %d" % (n_c, n_py, len(files)))
if not (n_c and n_py):
    print("no file was found damaged by one of them: libhdf5 no longer crashes on these?")
    fails += 1
sys.exit(1 if fails else 0)
PYEOF
[ $? -eq 0 ] && ok || bad "files that crash libhdf5: $(tail -c 1500 "$T/heap.out")"
rm -rf "$T/heap"

# --- policy files (item 3: agents/policy.c) --------------------------------
P=data/experts/hopper-policy.h5
expect 0 "" -- "$GV" export "$P" --out "$T/p-ok.h5"
for k in policy_act_low_array:"attribute act_low: expected a scalar number, found a float array of 4096" \
         policy_obs_count_string:"attribute obs_count: expected a scalar number, found a string" \
         policy_format_array:"is not a policy group" \
         policy_obs_mean_short:"obs_mean: 2 numbers, expected 11" \
         policy_sizes_huge:"param holds 5123 numbers" \
         policy_var_nan:"obs_var not finite"; do
  hostile "$k" "$P" || continue
  expect 2 "$msg" -- "$GV" export "$T/$kind.h5" --out "$T/x.h5"
  expect 2 "$msg" -- "$GV" record "$T/$kind.h5" --episodes 1 --out "$T/x.h5"
done

# --- demonstration files (item 5) -------------------------------------------
D=data/experts/hopper-demos.h5
gail_cfg() {
  printf 'game: {kind: %s, env: hopper, demos: "%s", trajectories: %s}\n' "$1" "$2" "$3"
  printf 'run: {steps: 2048, envs: 1, threads: 1, eval_every: 0, eval_episodes: 1}\n'
}
for k in demo_length_huge:"episode 0: start 0, length 1000000000" \
         demo_start_negative:"episode 1: start -5" \
         demo_env_array:"attribute env: expected a scalar string, found a float array of 4096" \
         demo_env_other:"holds demonstrations of 'walker2d', not of game.env 'hopper'" \
         demo_obs_1d:"/obs: expected numbers of rank 2" \
         demo_obs_nan:"not finite" \
         demo_obs_huge:"/obs: 738197504 elements is too large" \
         demo_actions_short:"/actions: shape" \
         demo_terminated_flag:"terminated 7" \
         demo_actions_outside:"outside hopper's bounds" \
         demo_obs_strings:"/obs: expected numbers of rank 2, found a string"; do
  hostile "$k" "$D" || continue
  gail_cfg gail "$T/$kind.h5" 4 >"$T/$kind.yaml"
  expect 2 "$msg" -- "$GV" check "$T/$kind.yaml"
  expect 2 "$msg" -- "$GV" run "$T/$kind.yaml" --out "$T/$kind-run.h5"
  gail_cfg dac "$T/$kind.h5" 4 >"$T/$kind-dac.yaml"
  expect 2 "$msg" -- "$GV" check "$T/$kind-dac.yaml"
done
# more trajectories than the file holds: an error with the numbers, not a clamp
gail_cfg gail "$D" 26 >"$T/traj.yaml"
expect 2 "game.trajectories: 26 is more than the 25 episodes in '$D' (allowed: integers in [1, 25])" -- \
  "$GV" check "$T/traj.yaml"
gail_cfg dac "$D" 26 >"$T/traj-dac.yaml"
expect 2 "is more than the 25 episodes" -- "$GV" run "$T/traj-dac.yaml" --out "$T/traj.h5"
gail_cfg gail "$D" 25 >"$T/traj25.yaml"
expect 0 "" -- "$GV" check "$T/traj25.yaml"

# --- one writer per output (item 11) ----------------------------------------
# A long run is started, stopped once its file exists; a second run of the
# same --out is refused with exit 2 before touching the file, a reader still
# reads the live file, and the first run ends as preempted (SIGTERM).
# The writer stops itself right after its third complete flush
# (GV_TEST_STOP_AFTER_FLUSH), so the readers below never race a flush.
GV_TEST_STOP_AFTER_FLUSH=3 "$GV" run "$T/d.yaml" --set scheme.steps=100000000 \
  --set run.flush_every=1000 --out "$T/live.h5" >/dev/null 2>&1 &
first=$!
until [ "$(cut -d' ' -f3 "/proc/$first/stat" 2>/dev/null)" = "T" ] ||
    ! kill -0 $first 2>/dev/null; do sleep 0.05; done
kill -0 $first 2>/dev/null && ok || bad "the live writer ended before its third flush"
before=$(sum "$T/live.h5")
expect 2 "another governor process is writing this file" -- "$GV" run "$T/d.yaml" --out "$T/live.h5" --overwrite
expect 2 "another governor process is writing this file" -- \
  "$GV" export data/experts/hopper-policy.h5 --out "$T/live.h5" --overwrite
expect 2 "another governor process is writing this file" -- \
  "$GV" record data/experts/inverted_pendulum-policy.h5 --episodes 1 --out "$T/live.h5" --overwrite
[ "$(sum "$T/live.h5")" = "$before" ] && ok || bad "a refused second writer touched the live file"
$PY -c "import h5py,sys; assert h5py.File(sys.argv[1],'r').attrs['status']=='running'" "$T/live.h5" \
  && ok || bad "h5py cannot read the live, locked file"
expect 0 "" -- "$GV" analyze "$T/live.h5"
kill -TERM $first
kill -CONT $first
wait $first
[ $? -eq 1 ] && ok || bad "the first writer did not end as preempted (exit 1)"
$PY -c "import h5py,sys; assert h5py.File(sys.argv[1],'r').attrs['status']=='preempted'" \
  "$T/live.h5" && ok || bad "the SIGTERM-ed run's file does not say preempted"
expect 0 "" -- "$GV" run "$T/d.yaml" --out "$T/live.h5" --overwrite
# A reader holding a finished file open with HDF5's own file lock (h5py's
# default; a second sweep worker or `h5dump` does the same) does not make its
# analysis fail: the analysis, which writes /summary, takes no HDF5 lock.
$PY -c "import h5py,sys,time; f=h5py.File(sys.argv[1],'r'); open(sys.argv[2],'w').close(); time.sleep(30)" \
  "$T/live.h5" "$T/reader-open" &
reader=$!
until [ -e "$T/reader-open" ] || ! kill -0 $reader 2>/dev/null; do sleep 0.05; done
[ -e "$T/reader-open" ] && ok || bad "the h5py reader did not open the file"
expect 0 "verdict" -- "$GV" analyze "$T/live.h5"
kill $reader 2>/dev/null
wait $reader 2>/dev/null
# Two writers of a finished file's /summary take turns: while another process
# holds the writers' lock (a POSIX lock conflicts with governor's OFD lock),
# analyze waits for it (saying so), then writes /summary (emptied here),
# never both at once. The holder lets go only once analyze said it waits and
# /summary is seen still empty, whatever the machine's speed.
$PY -c "import h5py,sys; s=h5py.File(sys.argv[1],'a')['summary'].attrs; [s.__delitem__(k) for k in list(s)]" \
  "$T/live.h5"
$PY -c "
import fcntl,os,sys,time
fd=os.open(sys.argv[1],os.O_RDWR); fcntl.lockf(fd,fcntl.LOCK_EX); open(sys.argv[2],'w').close()
while not os.path.exists(sys.argv[3]): time.sleep(0.02)
os.close(fd)" "$T/live.h5" "$T/locked" "$T/release" &
holder=$!
until [ -e "$T/locked" ] || ! kill -0 $holder 2>/dev/null; do sleep 0.05; done
[ -e "$T/locked" ] && ok || bad "the lock holder did not lock the file"
"$GV" analyze "$T/live.h5" >"$T/an.out" 2>"$T/an.err" &
an=$!
n=0
until grep -q "another process is writing it; waiting up to 30 s" "$T/an.err" ||
  ! kill -0 $an 2>/dev/null || [ $n -ge 600 ]; do sleep 0.05; n=$((n + 1)); done
grep -q "live.h5: another process is writing it; waiting up to 30 s for its turn" "$T/an.err" &&
  kill -0 $an 2>/dev/null && ok || bad "analyze did not wait for the lock: $(cat "$T/an.err")"
$PY -c "import h5py,sys; assert len(h5py.File(sys.argv[1],'r',locking=False)['summary'].attrs) == 0" \
  "$T/live.h5" && ok || bad "analyze wrote /summary while another process held the file"
: >"$T/release"
wait $holder
wait $an
[ $? -eq 0 ] && grep -q verdict "$T/an.out" && ok || bad "analyze after its wait: $(cat "$T/an.err")"
$PY -c "import h5py,sys; assert len(h5py.File(sys.argv[1],'r')['summary'].attrs) > 0" "$T/live.h5" &&
  ok || bad "analyze, after waiting its turn, did not write /summary"

# --- MuJoCo errors (item 8): out of memory in mj_makeData is a governor error,
# not "Press Enter to exit" read from stdin (a pipe that never closes would
# hang the test if it were)
if ldd "$GV" 2>/dev/null | grep -q libasan; then
  echo "files_test: SKIP the MuJoCo out-of-memory check (AddressSanitizer cannot run under ulimit -v)"
else
  mkfifo "$T/stdin"
  ( exec 3<>"$T/stdin"; ulimit -v 2097152
    "$GV" run configs/experts/hopper.yaml --set run.envs=4096 --set run.threads=1 \
      --set run.steps=8192 --set agent.rollout=8192 --out "$T/mj.h5" <&3 >"$T/out" 2>"$T/err"
    echo $? >"$T/code" )
  [ "$(cat "$T/code")" = 1 ] && ok || bad "MuJoCo out of memory: exit $(cat "$T/code")"
  grep -q "out of memory for an environment copy: MuJoCo: Could not allocate memory" "$T/err" \
    && ok || bad "MuJoCo out of memory: $(head -c 400 "$T/err")"
  grep -q "Press Enter" "$T/err" "$T/out" && bad "MuJoCo's own error handler ran" || ok
fi

# --- disk full (item 7): RLIMIT_FSIZE makes writes fail with EFBIG --------
# Every kind, the limit hit at the first flush (40 KiB) and part way (160 and
# 400 KiB): a clean exit 1 (0 if the run fit), never a signal, and the file
# readable with its status and the series of its last good flush.
SHORT_RL="--set run.eval_every=500 --set run.eval_episodes=1 --set run.threads=1"
readable() {
  $PY - "$1" <<'P'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert f.attrs["status"] in ("running", "completed", "failed"), f.attrs["status"]
    for k in f.get("series", {}):
        n = len(f["series"][k]["step"][...])
        assert len(f["series"][k]["value"][...]) >= n - 1
P
}
disk_full() { # NAME LIMIT_KIB governor-args...
  name=$1; lim=$2; shift 2
  rm -f "$T/full.h5"
  ( trap '' XFSZ; ulimit -f "$lim"; "$GV" "$@" --out "$T/full.h5" >"$T/out" 2>"$T/err" )
  got=$?
  case $got in
    0) [ "$lim" -gt 40 ] && ok || bad "disk full $name at $lim KiB: exit 0" ;;
    1) grep -q "writ\|room" "$T/err" && ok || bad "disk full $name: no message: $(cat "$T/err")" ;;
    *) bad "disk full $name at $lim KiB: exit $got: $(head -c 400 "$T/err")"; return ;;
  esac
  readable "$T/full.h5" && ok || bad "disk full $name at $lim KiB: the file is unreadable"
}
for lim in 40 160 400; do
  disk_full dirac $lim run configs/dirac/r1.yaml --set scheme.steps=20000 --set run.flush_every=100
  disk_full mlpgan $lim run configs/mlpgan/ring-clc.yaml --set train.steps=600 --set run.every=10
  disk_full onestep $lim run configs/onestep/cgail.yaml --set scheme.steps=20000 --set run.flush_every=100
  disk_full rl $lim run configs/experts/hopper.yaml --set run.steps=4096 --set run.envs=2 \
    --set run.flush_every=512 $SHORT_RL
  disk_full gail $lim run configs/gail/hopper-cgail.yaml --set run.steps=4096 --set run.envs=2 \
    --set run.flush_every=512 $SHORT_RL
  disk_full dac $lim run configs/dac/hopper-cgail.yaml --set run.steps=1500 \
    --set agent.learning_starts=1000 --set run.flush_every=100 $SHORT_RL
done
# the same on a real full disk, a 200 KiB tmpfs, where mounting is permitted
mkdir -p "$T/tiny"
if mount -t tmpfs -o size=200k tmpfs "$T/tiny" 2>/dev/null; then
  for a in "configs/mlpgan/ring-clc.yaml --set train.steps=600 --set run.every=10" \
           "configs/dirac/r1.yaml --set scheme.steps=40000 --set run.flush_every=100"; do
    # shellcheck disable=SC2086
    "$GV" run $a --out "$T/tiny/full.h5" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" -eq 1 ] && ok || bad "tmpfs full: $a -> exit $got: $(head -c 400 "$T/err")"
    readable "$T/tiny/full.h5" && ok || bad "tmpfs full: $a: the file is unreadable"
    rm -f "$T/tiny/full.h5"
  done
  # export and record into a full disk: exit 1 with a message, no crash
  dd if=/dev/zero of="$T/tiny/fill" bs=1k count=180 2>/dev/null
  expect 1 "no room to write the policy" -- "$GV" export "$P" --out "$T/tiny/p.h5"
  expect 1 "no room" -- "$GV" record data/experts/inverted_pendulum-policy.h5 --episodes 2 \
    --out "$T/tiny/d.h5"
  umount "$T/tiny"
else
  echo "files_test: SKIP the 200 KiB tmpfs disk-full check (mount not permitted here)"
fi

echo "files_test: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
