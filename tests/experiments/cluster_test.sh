#!/bin/sh
# Sweeps at scale (docs/cluster.md): workers that claim grid points, die in
# the middle and are taken over; reruns that finish the sweep; --status.
# Every case compares its run files with a serial sweep's (series and
# summary bytes) and counts that each point was completed exactly once.
# Usage: cluster_test.sh PATH/TO/governor
testname=cluster
. "$(dirname "$0")/testlib.sh"
unset GV_TEST_KILL_AT_STEP GV_TEST_WORKER_DIE GV_TEST_RESUME OMPI_COMM_WORLD_RANK \
  OMPI_COMM_WORLD_SIZE PMI_RANK PMI_SIZE SLURM_PROCID SLURM_NTASKS SLURM_ARRAY_TASK_ID \
  SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN

# 12 points, 3000 steps each, flushed every 100 steps
cat >"$T/g.yaml" <<'Y'
game: {kind: dirac}
scheme: {kind: simgd, steps: 3000, h: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]}
seed: [0, 1]
run: {flush_every: 100}
Y
POINTS=$("$GV" sweep --dry-run "$T/g.yaml" | sed 's/ -> .*//')
# once() below checks every point: the list must hold all twelve
[ "$(echo "$POINTS" | wc -w)" -eq 12 ] && ok || bad "sweep --dry-run listed: $POINTS"

"$GV" sweep "$T/g.yaml" --out "$T/ref" >"$T/ref.out" 2>&1 && ok || bad "serial sweep: $(cat "$T/ref.out")"

# same_as_ref DIR: every run file of DIR has the serial sweep's /series,
# /summary bytes, its /config (but for the folder) and status completed
same_as_ref() {
  $PY - "$T/ref" "$1" <<'EOF' && ok || bad "$1 differs from the serial sweep"
import os, sys
import h5py
ref, got = sys.argv[1], sys.argv[2]
names = sorted(f for f in os.listdir(ref) if f.endswith(".h5"))
assert names == sorted(f for f in os.listdir(got) if f.endswith(".h5")), os.listdir(got)
def content(path):
    out = []
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] in (b"completed", "completed"), (path, f.attrs["status"])
        out.append(f["config"][()].decode().replace(os.path.dirname(path), "DIR"))
        out += [(k, str(f.attrs[k])) for k in ("group", "axes")]  # a resumed point keeps its labels
        f["series"].visititems(lambda n, o: out.append((n, o[()].tobytes())) if isinstance(o, h5py.Dataset) else None)
        out += sorted((k, repr(v)) for k, v in f["summary"].attrs.items())
    return out
for n in names:
    a, b = content(os.path.join(ref, n)), content(os.path.join(got, n))
    assert a == b, (n, "first difference:", next((x[0] if isinstance(x, tuple) else "config", y[0] if isinstance(y, tuple) else "config") for x, y in zip(a, b) if x != y) if len(a) == len(b) else ("lengths", len(a), len(b)))
leftover = [f for f in os.listdir(got) if ".claim" in f or f.startswith(".gv-now")]
assert not leftover, leftover
EOF
}

# once FILE...: no point is reported `done` twice in these outputs
once() { # (a run whose analysis a kill cut short is run once more, and says so)
  for p in $POINTS; do
    c=$(cat "$@" | grep -cF "] $p done (")
    again=$(cat "$@" | grep -cF "$p: status completed without its analysis")
    [ "$c" -le $((1 + again)) ] || { bad "$p completed $c times: $(cat "$@")"; return; }
  done
  ok
}

# snap DIR: inode and mtime of every completed run file of DIR; untouched
# DIR SNAP: each of them is still the same file (so no completed point was
# run again; a worker killed just after its run ended never said `done`)
snap() {
  $PY - "$1" <<'EOF'
import os, sys
import h5py
for n in sorted(os.listdir(sys.argv[1])):
    p = os.path.join(sys.argv[1], n)
    if not n.endswith(".h5"):
        continue
    try:
        a = h5py.File(p, "r").attrs  # analysis pending: its analysis was cut, run again
        done = a["status"] in (b"completed", "completed") and \
            a.get("analysis", "done") not in (b"pending", "pending")
    except OSError:
        done = False
    if done:
        st = os.stat(p)
        print(n, st.st_ino, st.st_mtime_ns)
EOF
}
# (every case below has a completed run before its kill: an empty snapshot
# would check nothing, and is a failure)
untouched() {
  [ -s "$2" ] || { bad "no completed run in the snapshot $2 of $1"; return; }
  snap "$1" >"$T/snap.after" || { bad "snap $1 failed"; return; }
  missing=$(grep -vxF -f "$T/snap.after" "$2")
  [ -z "$missing" ] && ok || bad "completed runs of $1 were run again: $missing"
}

# --- --jobs 2, the worker killed in the middle (with its third run at
# step 1500 and its other run), then the same command again
GV_TEST_WORKER_DIE=0:3:1500 "$GV" sweep "$T/g.yaml" --out "$T/j" --jobs 2 >"$T/j1" 2>&1
rc=$?
[ "$rc" -eq 137 ] && ok || bad "the killed worker exited $rc"
# --status: the claims of a dead process are stale (its dying run's, and
# its other run's unless that one had ended), the rest pending or completed.
# A claim lives while its child does (a child in its analysis outlives its
# worker): wait until the children, killed with their worker, are gone
for c in "$T"/j/*.claim; do
  kid=$(sed -n 's/^child=//p' "$c"); n=0
  while [ "${kid:-0}" -gt 0 ] && readlink "/proc/$kid/exe" >/dev/null 2>&1 && [ $n -lt 600 ]; do
    sleep 0.05; n=$((n + 1))
  done
done
"$GV" sweep --status "$T/j" >"$T/st1" 2>&1 && ok || bad "--status: $(cat "$T/st1")"
nclaims=$(grep -c ' stale .*claimed by .*a process that is gone' "$T/st1")
[ "$nclaims" -ge 1 ] && [ "$nclaims" -le 2 ] && [ "$(ls "$T"/j/*.claim | wc -l)" -ge "$nclaims" ] &&
  ok || bad "--status of a killed sweep: $(cat "$T/st1")"
grep -Eq "^12 runs: [0-9]+ completed, 0 diverged, 0 failed, 0 running, [0-9]+ pending, $nclaims stopped or stale" "$T/st1" &&
  grep -q "^ETA: about" "$T/st1" && ok || bad "--status counts: $(cat "$T/st1")"
"$GV" sweep --status "$T/g.yaml" --out "$T/j" >"$T/st2" 2>&1
# (but for a heartbeat's age: each --status measures it when it runs)
ages() { sed -E 's/heartbeat [0-9]+s ago/heartbeat Ns ago/' "$1"; }
[ "$(ages "$T/st1")" = "$(ages "$T/st2")" ] && ok ||
  bad "--status CONFIG differs from --status DIR: $(diff "$T/st1" "$T/st2")"
snap "$T/j" >"$T/j.snap" || bad "snap $T/j failed"
"$GV" sweep "$T/g.yaml" --out "$T/j" --jobs 2 >"$T/j2" 2>&1 && ok || bad "rerun: $(cat "$T/j2")"
[ "$(grep -c 'taking over the claim of .*(that process is gone' "$T/j2")" -eq "$nclaims" ] && ok ||
  bad "stale claims were not taken over: $(cat "$T/j2")"
grep -q "status running and no checkpoint: running it again from step 0" "$T/j2" && ok ||
  bad "a killed run was not restarted: $(cat "$T/j2")"
once "$T/j1" "$T/j2"
untouched "$T/j" "$T/j.snap"
same_as_ref "$T/j"
expect 2 "not the folder of a sweep" -- "$GV" sweep --status "$T"
"$GV" sweep --status "$T/j" >"$T/st3" 2>&1
grep -q "^12 runs: 12 completed" "$T/st3" && grep -q "^ETA: finished" "$T/st3" && ok ||
  bad "--status of a finished sweep: $(cat "$T/st3")"
# a finished file of another config is shown as the sweep would treat it
F="$T/j/g-seed=0-h=0.03.h5"
cp "$F" "$T/keep.h5"
$PY -c "import h5py,sys; f=h5py.File(sys.argv[1],'a'); c=f['config'][()]; del f['config']; f['config']=c+b'# edited\n'" "$F"
"$GV" sweep --status "$T/g.yaml" --out "$T/j" >"$T/st4" 2>&1
grep -q "^g-seed=0-h=0.03 *other .*of another config; the sweep refuses it" "$T/st4" &&
  grep -q "^12 runs: 11 completed" "$T/st4" && grep -q "^1 file unreadable or of another config" "$T/st4" &&
  ok || bad "--status of a file of another config: $(cat "$T/st4")"
# --status DIR reads the sweep's manifest and does not compare configs
"$GV" sweep --status "$T/j" >"$T/st5" 2>&1
grep -q "^12 runs: 12 completed" "$T/st5" && ok || bad "--status DIR: $(cat "$T/st5")"
expect 2 "exists and is not a finished run of this point's config" -- "$GV" sweep "$T/g.yaml" --out "$T/j"
mv "$T/keep.h5" "$F"

# --- a Slurm job array of two tasks, task 1 killed in the middle, then
# the array requeued
array() { # OUTPREFIX [DIE]: each task's exit status in OUTPREFIX.ID.rc
  for id in 0 1; do
    (SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_COUNT=2 SLURM_ARRAY_TASK_MIN=0 \
      GV_TEST_WORKER_DIE=${2:-} "$GV" sweep "$T/g.yaml" --out "$T/a" >"$1.$id" 2>&1
    echo $? >"$1.$id.rc") &
  done
  wait
}
array "$T/a1" 1:2:1500
# task 1 died (137) in its second run, task 0 ended the sweep normally
[ "$(cat "$T/a1.1.rc")" = 137 ] && [ "$(cat "$T/a1.0.rc")" = 0 ] &&
  grep -q "worker 0 of 2" "$T/a1.0" && ! grep -q "worker 1 of 2" "$T/a1.1" && ok ||
  bad "array task 1 was not killed (exits $(cat "$T/a1.0.rc") $(cat "$T/a1.1.rc")): $(cat "$T/a1.0" "$T/a1.1")"
snap "$T/a" >"$T/a.snap" || bad "snap $T/a failed"
array "$T/a2"
[ "$(cat "$T/a2.0.rc") $(cat "$T/a2.1.rc")" = "0 0" ] && ok ||
  bad "the requeued array: exits $(cat "$T/a2.0.rc") $(cat "$T/a2.1.rc"): $(cat "$T/a2.0" "$T/a2.1")"
# the dead task's run was taken over (by task 0 once it saw the process gone,
# or by the requeued array) and run again from step 0
cat "$T/a1.0" "$T/a2.0" "$T/a2.1" | grep -q "taking over the claim of .*(that process is gone" &&
  cat "$T/a1.0" "$T/a2.0" "$T/a2.1" | grep -q "status running and no checkpoint: running it again from step 0" &&
  ok || bad "the killed task's run was not taken over: $(cat "$T/a1.0" "$T/a2.0" "$T/a2.1")"
untouched "$T/a" "$T/a.snap"
once "$T/a1.0" "$T/a1.1" "$T/a2.0" "$T/a2.1"
same_as_ref "$T/a"
# tables FILE...: the end-of-sweep tables in the outputs of a sweep's workers
tables() { cat "$@" | grep -c "^run  *status"; }
# table_once FILE...: one worker (the one that ended the sweep) printed the
# table, for the whole sweep: every point, completed
table_once() {
  [ "$(tables "$@")" -eq 1 ] || { bad "$(tables "$@") end-of-sweep tables in: $(cat "$@")"; return; }
  for p in $POINTS; do
    cat "$@" | grep -Eq "^$p +completed" || { bad "the table lacks $p: $(cat "$@")"; return; }
  done
  ok
}
table_once "$T/a1.0" "$T/a1.1" "$T/a2.0" "$T/a2.1"
# two_tasks OUTPREFIX: a Slurm array of two tasks on $T/t, both living
two_tasks() {
  for id in 0 1; do
    SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_COUNT=2 "$GV" sweep "$T/g.yaml" --out "$T/t" \
      >"$1.$id" 2>&1 &
  done
  wait
}
# two tasks that both live: one table; the array run again (nothing to do): none
two_tasks "$T/t1"
table_once "$T/t1.0" "$T/t1.1"
two_tasks "$T/t2"
[ "$(tables "$T/t2.0" "$T/t2.1")" -eq 0 ] && ok || bad "a rerun printed the table: $(cat "$T/t2.0")"
# a printer killed while it printed leaves its marker empty and unlocked: the
# next workers to end on these files print the table (one of them); an empty
# marker whose lock is held is a printer still at work, and is left to it
rerun_tables() { two_tasks "$1"; tables "$1.0" "$1.1"; }
for m in "$T"/t/.governor-sweep.table-*; do : >"$m"; done
$PY -c "
import fcntl,glob,os,sys,time
fds=[os.open(m,os.O_RDWR) for m in glob.glob(sys.argv[1]+'/.governor-sweep.table-*')]
[fcntl.lockf(fd,fcntl.LOCK_EX) for fd in fds]; open(sys.argv[2],'w').close(); time.sleep(60)" \
  "$T/t" "$T/marker-held" &
holder=$!
until [ -e "$T/marker-held" ] || ! kill -0 $holder 2>/dev/null; do sleep 0.05; done
[ "$(rerun_tables "$T/t3")" -eq 0 ] && ok || bad "a held empty marker was taken over: $(cat "$T/t3.0")"
kill $holder
wait $holder 2>/dev/null
[ "$(rerun_tables "$T/t4")" -eq 1 ] && ok || bad "an abandoned marker: $(cat "$T/t4.0" "$T/t4.1")"
grep -qx printed "$T"/t/.governor-sweep.table-* && ok || bad "the printer did not mark its table"
[ "$(rerun_tables "$T/t5")" -eq 0 ] && ok || bad "a marked table was printed again: $(cat "$T/t5.0")"
same_as_ref "$T/t"
# several workers may not --overwrite (one would redo what another did)
SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=2 \
  expect 2 "--overwrite with 2 workers" -- "$GV" sweep "$T/g.yaml" --out "$T/a" --overwrite

# --- mpirun -np 2 (Open MPI; no MPI library is linked), rank 1 killed
# in the middle, then mpirun again
MPI="mpirun --allow-run-as-root --oversubscribe -np 2"
why=""
if ! command -v mpirun >/dev/null 2>&1; then
  why="mpirun is not installed (scripts/bootstrap --test installs openmpi-bin)"
elif ! $MPI true >"$T/mpi" 2>&1; then
  why="mpirun cannot start 2 processes here: $(head -c 300 "$T/mpi")"
fi
if [ -n "$why" ]; then
  echo "SKIPPED: the mpirun case: $why"
else
  GV_TEST_WORKER_DIE=1:2:1500 $MPI "$GV" sweep "$T/g.yaml" --out "$T/m" >"$T/m1" 2>&1
  grep -q "worker 1 of 2" "$T/m1" && bad "rank 1 was not killed: $(cat "$T/m1")" || ok
  snap "$T/m" >"$T/m.snap" || bad "snap $T/m failed"
  # mpirun aborts the job once a rank has died, killing the other rank at
  # any instant: rank 0 may have finished every point and printed the end
  # table by then (its marker says "printed"), or been killed while it
  # printed (the marker stays empty, and the rerun prints the table again,
  # as a killed printer's table is meant to be). So the rerun prints one
  # table exactly when no marker says "printed" (the array cases above
  # check the table's content)
  if cat "$T"/m/.governor-sweep.table-* 2>/dev/null | grep -qx printed; then want=0; else want=1; fi
  $MPI "$GV" sweep "$T/g.yaml" --out "$T/m" >"$T/m2" 2>&1 && ok || bad "mpirun rerun: $(cat "$T/m2")"
  untouched "$T/m" "$T/m.snap"
  once "$T/m1" "$T/m2"
  [ "$(tables "$T/m1")" -le 1 ] && [ "$(tables "$T/m2")" -eq "$want" ] && ok ||
    bad "mpirun: $(tables "$T/m1") then $(tables "$T/m2") end tables (the rerun should print $want): $(cat "$T/m1" "$T/m2")"
  same_as_ref "$T/m"
fi

# --- stale claims: a dead process on this host, and a silent claim of
# another host past the lease; a live claim of another host is waited for
"$GV" sweep "$T/g.yaml" --out "$T/s" >/dev/null 2>&1
rm -f "$T/s/g-seed=0-h=0.01.h5" "$T/s/g-seed=0-h=0.02.h5"
sh -c 'echo $$' >"$T/deadpid"
printf 'host=%s\npid=%s\nchild=0\nstart=0\nstep=-1\n' "$(hostname)" "$(cat "$T/deadpid")" \
  >"$T/s/g-seed=0-h=0.01.h5.claim"
printf 'host=elsewhere.invalid\npid=1\nchild=0\nstart=0\nstep=-1\n' >"$T/s/g-seed=0-h=0.02.h5.claim"
touch -d '2 hours ago' "$T/s/g-seed=0-h=0.02.h5.claim"
"$GV" sweep --status "$T/s" --lease 86400 >"$T/st4" 2>&1
grep -q "g-seed=0-h=0.02 *running *on elsewhere.invalid:1" "$T/st4" &&
  grep -q "g-seed=0-h=0.01 *stale" "$T/st4" && ok || bad "--status with claims: $(cat "$T/st4")"
"$GV" sweep "$T/g.yaml" --out "$T/s" --lease 3600 >"$T/s1" 2>&1 && ok || bad "stale: $(cat "$T/s1")"
grep -q "g-seed=0-h=0.01: taking over the claim of $(hostname):$(cat "$T/deadpid") (that process is gone" "$T/s1" &&
  grep -q "g-seed=0-h=0.02: taking over the claim of elsewhere.invalid:1 (no heartbeat for " "$T/s1" && ok ||
  bad "stale claims: $(cat "$T/s1")"
same_as_ref "$T/s"

# --- a dead worker whose child still runs (a child in its analysis outlives
# its worker): the claim is alive while that child is a live governor, and
# stale once it is gone; a child pid that another program holds now is not
"$GV" sweep "$T/g.yaml" --out "$T/c" >/dev/null 2>&1
rm -f "$T/c/g-seed=0-h=0.01.h5" "$T/c/g-seed=0-h=0.02.h5"
cat >"$T/long.yaml" <<'Y'
game: {kind: dirac}
scheme: {kind: simgd, h: 0.01, steps: 1000000000}
Y
"$GV" run "$T/long.yaml" --out "$T/long.h5" >/dev/null 2>&1 &
gvkid=$!
sleep 1000 &
other=$!
n=0 # until the child runs governor (not the shell that forks it)
until [ "$(readlink /proc/$gvkid/exe)" = "$(readlink -f "$GV")" ] || [ $n -ge 600 ]; do
  sleep 0.05; n=$((n + 1))
done
kill -STOP $gvkid
printf 'host=%s\npid=%s\nchild=%s\nstart=0\nstep=-1\n' "$(hostname)" "$(cat "$T/deadpid")" \
  $gvkid >"$T/c/g-seed=0-h=0.01.h5.claim"
printf 'host=%s\npid=%s\nchild=%s\nstart=0\nstep=-1\n' "$(hostname)" "$(cat "$T/deadpid")" \
  $other >"$T/c/g-seed=0-h=0.02.h5.claim"
"$GV" sweep --status "$T/c" >"$T/st6" 2>&1
grep -q "g-seed=0-h=0.01 *running *on $(hostname):$(cat "$T/deadpid") (child $gvkid)" "$T/st6" &&
  grep -q "g-seed=0-h=0.02 *stale" "$T/st6" && ok || bad "claims of a dead worker's child: $(cat "$T/st6")"
kill -KILL $gvkid $other
wait $gvkid $other 2>/dev/null
"$GV" sweep --status "$T/c" >"$T/st7" 2>&1
grep -q "g-seed=0-h=0.01 *stale" "$T/st7" && ok || bad "the claim of a child gone: $(cat "$T/st7")"

# --- --retry-failed: a failed run is skipped (exit 1) until asked for
"$GV" sweep "$T/g.yaml" --out "$T/f" >/dev/null 2>&1
$PY -c "import h5py,sys; h5py.File(sys.argv[1],'a').attrs['status']='failed'" "$T/f/g-seed=1-h=0.03.h5"
expect 1 "g-seed=1-h=0.03 failed earlier" -- "$GV" sweep "$T/g.yaml" --out "$T/f"
expect 0 "g-seed=1-h=0.03 done (" -- "$GV" sweep "$T/g.yaml" --out "$T/f" --retry-failed
same_as_ref "$T/f"
# a finished run whose analysis was cut short (mpirun's abort kills with
# SIGKILL) still says analysis "pending": the next sweep runs it again
$PY -c "import h5py,sys; f=h5py.File(sys.argv[1],'a'); del f['summary']; f.create_group('summary'); f.attrs['analysis']='pending'" "$T/f/g-seed=0-h=0.04.h5"
expect 0 "g-seed=0-h=0.04: status completed without its analysis and no checkpoint: running it again" -- \
  "$GV" sweep "$T/g.yaml" --out "$T/f"
same_as_ref "$T/f"

# --- a stopped run with a checkpoint sidecar is resumed by `governor
# resume RUN.h5` (here a stand-in that records its arguments and runs the
# stored config again); without the command it is run again from step 0
"$GV" sweep "$T/g.yaml" --out "$T/r" >/dev/null 2>&1
P="$T/r/g-seed=1-h=0.06.h5"
$PY -c "import h5py,sys; h5py.File(sys.argv[1],'a').attrs['status']='interrupted'" "$P"
: >"$P.ckpt"
cat >"$T/fake-resume" <<EOF
#!/bin/sh
echo "\$@" >>"$T/resumed"
$PY -c "import h5py,sys; open(sys.argv[2],'w').write(h5py.File(sys.argv[1],'r')['config'][()].decode())" "\$2" "$T/resume.yaml"
rm -f "\$2.ckpt"
$PY -c "import h5py,sys,json; f=h5py.File(sys.argv[1],'r'); json.dump({k: str(f.attrs[k], 'utf-8') if isinstance(f.attrs[k], bytes) else str(f.attrs[k]) for k in ('group','axes')}, open(sys.argv[1]+'.labels','w'))" "\$2"
"$GV" run "$T/resume.yaml" --out "\$2" --overwrite >/dev/null || exit \$?
exec $PY -c "import h5py,sys,json,os; l=json.load(open(sys.argv[1]+'.labels')); os.remove(sys.argv[1]+'.labels'); f=h5py.File(sys.argv[1],'a'); [f.attrs.__setitem__(k, v) for k, v in l.items()]" "\$2"
EOF
chmod +x "$T/fake-resume"
GV_TEST_RESUME="$T/fake-resume" "$GV" sweep "$T/g.yaml" --out "$T/r" >"$T/r1" 2>&1 && ok || bad "resume: $(cat "$T/r1")"
[ "$(cat "$T/resumed")" = "resume $P" ] && grep -q "g-seed=1-h=0.06: resuming from its checkpoint (status interrupted)" "$T/r1" &&
  ok || bad "the stand-in was not run as resume RUN.h5: $(cat "$T/r1")"
same_as_ref "$T/r"
# sweep --force hands --force to resume (a checkpoint of another version)
$PY -c "import h5py,sys; h5py.File(sys.argv[1],'a').attrs['status']='interrupted'" "$P"
: >"$P.ckpt"
rm -f "$T/resumed"
GV_TEST_RESUME="$T/fake-resume" "$GV" sweep "$T/g.yaml" --out "$T/r" --force >"$T/r1" 2>&1 && ok || bad "resume --force: $(cat "$T/r1")"
[ "$(cat "$T/resumed")" = "resume $P --force" ] && ok || bad "sweep --force did not reach resume: $(cat "$T/resumed")"
same_as_ref "$T/r"

# --- points another worker finishes while this one runs: this worker goes
# on with the next point in order and skips none (a scan that moved its
# start past each such point once jumped over pending points, and a worker
# could end with exit 0 and points never run).  The stand-in resume of the
# first point puts finished files of the second and fourth in place.
set -- $POINTS
"$GV" sweep "$T/g.yaml" --out "$T/o" >/dev/null 2>&1
mkdir -p "$T/o-spare"
mv "$T/o/$2.h5" "$T/o/$4.h5" "$T/o-spare/"
for n in $POINTS; do [ "$n" = "$1" ] || rm -f "$T/o/$n.h5"; done
$PY -c "import h5py,sys; h5py.File(sys.argv[1],'a').attrs['status']='interrupted'" "$T/o/$1.h5"
: >"$T/o/$1.h5.ckpt"
cat >"$T/fake-resume2" <<EOF
#!/bin/sh
rm -f "\$2.ckpt"
mv "$T/o-spare/"*.h5 "$T/o/"
exec $PY -c "import h5py,sys; h5py.File(sys.argv[1],'a').attrs['status']='completed'" "\$2"
EOF
chmod +x "$T/fake-resume2"
GV_TEST_RESUME="$T/fake-resume2" "$GV" sweep "$T/g.yaml" --out "$T/o" >"$T/o1" 2>&1 && ok ||
  bad "points finished by another worker: $(cat "$T/o1")"
got=$(sed -n 's/^\[[0-9]*\/12\] \(g-[^ ]*\) done (.*/\1/p' "$T/o1" | tr '\n' ' ')
want="" i=0
for n in $POINTS; do
  i=$((i + 1))
  [ "$i" -eq 2 ] || [ "$i" -eq 4 ] || want="$want$n "
done
[ "$got" = "$want" ] && ok || bad "after points finished by another worker, ran: $got (want $want)"
grep -q "$2 completed by another worker" "$T/o1" && grep -q "$4 completed by another worker" "$T/o1" &&
  ok || bad "no 'by another worker': $(cat "$T/o1")"
same_as_ref "$T/o"

# --- --no-wait: a worker whose open points are all another live worker's
# ends (exit 0) when its own are done, instead of waiting for them; without
# it, it waits.  The next sweep runs the point once its claim is gone.
set -- $POINTS
"$GV" sweep "$T/g.yaml" --out "$T/nw" >/dev/null 2>&1
rm -f "$T/nw/$1.h5" "$T/nw/$3.h5"
printf 'host=elsewhere.invalid\npid=1\nchild=0\nstart=0\nstep=-1\n' >"$T/nw/$1.h5.claim"
# (a timeout: were --no-wait ignored, the worker would wait out the lease)
timeout 120 "$GV" sweep "$T/g.yaml" --out "$T/nw" --no-wait >"$T/nw1" 2>&1 && ok ||
  bad "--no-wait: $(cat "$T/nw1")"
grep -q "] $3 done (" "$T/nw1" && grep -q "claimed by other workers: not waiting for them" "$T/nw1" &&
  ! grep -q "] $1 done (" "$T/nw1" && [ ! -e "$T/nw/$1.h5" ] && [ -e "$T/nw/$1.h5.claim" ] && ok ||
  bad "--no-wait ran: $(cat "$T/nw1")"
# it leaves the end-of-sweep table (and the plots) to the worker that ends the sweep
! grep -q "^run  *status" "$T/nw1" && grep -q "ends; .governor sweep --status. shows the whole sweep" "$T/nw1" &&
  ok || bad "a worker that left early printed the sweep's table: $(cat "$T/nw1")"
timeout 3 "$GV" sweep "$T/g.yaml" --out "$T/nw" >"$T/nw2" 2>&1
rc=$?
[ "$rc" -eq 124 ] && grep -q "waiting for runs claimed by other workers" "$T/nw2" && ok ||
  bad "without --no-wait (exit $rc): $(cat "$T/nw2")"
rm -f "$T/nw/$1.h5.claim"
"$GV" sweep "$T/g.yaml" --out "$T/nw" --no-wait >"$T/nw3" 2>&1 && grep -q "] $1 done (" "$T/nw3" &&
  grep -q "^run  *status" "$T/nw3" && ok || bad "after the claim: $(cat "$T/nw3")"
same_as_ref "$T/nw"

# --- preempted runs (SIGTERM through the driver's handler, status
# preempted, a checkpoint written on the signal) are resumed by the next
# sweep with the real `governor resume`, and end as the serial sweep's
GV_TEST_TERM_AT_STEP=1500 "$GV" sweep "$T/g.yaml" --out "$T/i" --jobs 2 >"$T/i1" 2>&1
rc=$?
[ "$rc" -eq 1 ] && [ "$(grep -c '] g-.* preempted (' "$T/i1")" -eq 12 ] && ok ||
  bad "preempted runs (exit $rc): $(cat "$T/i1")"
"$GV" sweep --status "$T/i" >"$T/st5" 2>&1
grep -q "^12 runs: 0 completed, 0 diverged, 0 failed, 0 running, 0 pending, 12 stopped or stale" "$T/st5" &&
  [ "$(grep -c ' stopped .*status preempted, checkpoint: resumed by the next sweep' "$T/st5")" -eq 12 ] && ok ||
  bad "--status of preempted runs: $(cat "$T/st5")"
"$GV" sweep "$T/g.yaml" --out "$T/i" --jobs 2 >"$T/i2" 2>&1 && ok || bad "rerun of preempted: $(cat "$T/i2")"
[ "$(grep -c ': resuming from its checkpoint (status preempted)' "$T/i2")" -eq 12 ] && ok ||
  bad "preempted runs were not resumed: $(cat "$T/i2")"
same_as_ref "$T/i"

# --- SIGTERM to a worker (preemption): its runs stop through their own
# handlers, their claims are released, the worker exits 1 (the next sweep
# runs them again, as above)
printf 'game: {kind: dirac}\nscheme: {kind: simgd, steps: 200000000, h: [0.01, 0.02]}\nrun: {flush_every: 1000, every: 1000}\n' >"$T/long.yaml"
"$GV" sweep "$T/long.yaml" --out "$T/p" --jobs 2 >"$T/p1" 2>&1 &
wpid=$!
n=0 # until both runs have flushed a step (no time is measured)
while [ "$("$GV" sweep --status "$T/p" 2>/dev/null | grep -c ' running .*step [1-9]')" -lt 2 ]; do
  n=$((n + 1)); [ "$n" -gt 3000 ] && { bad "the two runs never started (5 min)"; break; }
  sleep 0.1
done
kill -TERM "$wpid"
wait "$wpid"
rc=$?
[ "$rc" -eq 1 ] && grep -q "sweep stopped by signal 15" "$T/p1" && ok || bad "SIGTERM to a worker (exit $rc): $(cat "$T/p1")"
[ -z "$(ls "$T"/p/*.claim 2>/dev/null)" ] && ok || bad "claims left after SIGTERM: $(ls "$T/p")"
"$GV" sweep --status "$T/p" >"$T/st6" 2>&1
[ "$(grep -c ' stopped .*status preempted' "$T/st6")" -eq 2 ] && ok || bad "--status after SIGTERM: $(cat "$T/st6")"

# --- the progress line: one line for the sweep on a terminal, none in pipes
grep -q "$(printf '\033')" "$T/j2" "$T/ref.out" && bad "escape codes in a pipe" || ok
if command -v script >/dev/null 2>&1; then
  script -qec "\"$GV\" sweep \"$T/g.yaml\" --out \"$T/tty\" --jobs 2" /dev/null >"$T/tty.out" 2>&1
  grep -q "sweep: [0-9]*/12 done, [0-9] running" "$T/tty.out" && ok ||
    bad "no progress line on a terminal: $(head -c 300 "$T/tty.out")"
fi

testlib_end
