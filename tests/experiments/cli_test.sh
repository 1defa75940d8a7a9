#!/bin/sh
# governor's command line, end to end.  Usage: cli_test.sh PATH/TO/governor
set -u
testname=cli
. "$(dirname "$0")/testlib.sh"

cat >"$T/good.yaml" <<'Y'
game: {kind: dirac, loss: standard}
scheme: {kind: simgd, h: 0.2, steps: 200}
controllers: [{kind: r1, gamma: 0.3}]
run: {flush_every: 10}
Y

# --- bad input: exit 2 and file:line: key: message (allowed: ...)
printf 'game: {kind: dirac}\nscheme: {kind: simgd, stepz: 3}\n' >"$T/e1.yaml"
expect 2 "e1.yaml:2: scheme.stepz: unknown key (allowed: h, steps, kind)" -- "$GV" check "$T/e1.yaml"
printf 'game: {kind: dirac}\nscheme: {kind: simgd, h: fast}\n' >"$T/e2.yaml"
expect 2 "e2.yaml:2: scheme.h: 'fast' is not a number (allowed: numbers in (0, inf))" -- "$GV" check "$T/e2.yaml"
printf 'game: {kind: dirac}\ncontrollers:\n  - kind: r1\n    gamma: -1\n' >"$T/e3.yaml"
expect 2 "e3.yaml:4: controllers.0.gamma: -1 is out of range (allowed: numbers in [0, 1e+06])" -- "$GV" check "$T/e3.yaml"
printf 'game: {kind: dirac}\ncontrollers: [{kind: r7}]\n' >"$T/e4.yaml"
expect 2 "controllers.0.kind: unknown controller 'r7' (allowed: none, r1, r2" -- "$GV" check "$T/e4.yaml"
printf 'game: {kind: gail, env: hopper}\nagent: {kind: td3}\n' >"$T/e4g.yaml"
expect 2 "e4g.yaml:2: agent.kind: game 'gail' takes no agent 'td3' (allowed: ppo)" -- "$GV" check "$T/e4g.yaml"
printf 'game: {kind: dac, env: hopper}\nagent: {kind: trpo}\n' >"$T/e4d.yaml"
expect 2 "e4d.yaml:2: agent.kind: unknown agent 'trpo' (allowed: td3)" -- "$GV" check "$T/e4d.yaml"
printf 'game: {kind: diraq}\n' >"$T/e5.yaml"
expect 2 "e5.yaml:1: game.kind: unknown game 'diraq' (allowed: dirac, mlpgan" -- "$GV" check "$T/e5.yaml"
printf 'game: {kind: dirac}\nscheme: {kind: simgd}\ncontrollers: [{kind: bmc}]\n' >"$T/e6.yaml"
expect 2 "bmc" -- "$GV" check "$T/e6.yaml"
grep -q "sde" "$T/err" && ok || bad "bmc on simgd should name the sde scheme: $(cat "$T/err")"
printf 'game: {kind: dirac, loss: wgan}\nseed: 1\nsed: 2\n' >"$T/e7.yaml"
expect 2 "e7.yaml:3: sed: unknown key (allowed: name, seed, out" -- "$GV" check "$T/e7.yaml"
printf 'game: {kind: dirac}\nscheme: {kind: simgd, h: [0.1, 0.2]}\n' >"$T/e8.yaml"
expect 2 "use \`governor sweep\`" -- "$GV" run "$T/e8.yaml" --out "$T/x.h5"
expect 0 "2 runs" -- "$GV" check "$T/e8.yaml"
printf 'game: {kind: dirac\n' >"$T/e9.yaml"
expect 2 "e9.yaml:" -- "$GV" check "$T/e9.yaml"
expect 2 "cannot open" -- "$GV" check "$T/missing.yaml"
expect 2 "a folder, not a config file" -- "$GV" run "$T"
expect 2 "a folder, not a config file" -- "$GV" sweep "$T"
expect 2 "--set nokey" -- "$GV" check "$T/good.yaml" --set nokey
expect 2 "scheme.h: 0 is out of range" -- "$GV" check "$T/good.yaml" --set scheme.h=0
expect 2 "unknown command" -- "$GV" frobnicate
expect 2 "not an HDF5 file" -- "$GV" analyze "$T/good.yaml"
expect 2 "unknown kind" -- "$GV" list widgets
# nothing already written is lost: a bad --set does not touch an existing file
"$GV" run "$T/good.yaml" --out "$T/keep.h5" >/dev/null 2>&1
cp "$T/keep.h5" "$T/keep.orig"
expect 2 "out of range" -- "$GV" run "$T/good.yaml" --out "$T/keep.h5" --set scheme.h=-1
cmp -s "$T/keep.h5" "$T/keep.orig" && ok || bad "a rejected run modified an existing file"

# --- list shows every component with parameters and defaults
expect 0 "" -- "$GV" list
for c in none r1 r2 wgan_gp clip instance_noise consensus clc bmc bmc_update simgd altgd ode sde dirac; do
  grep -q "^  $c " "$T/out" && ok || bad "governor list lacks $c"
done
grep -q "gamma .* default 1.0" "$T/out" && ok || bad "list lacks parameter defaults"

# --- a run: exit 0, completed, the analysis verdict in /summary
expect 0 "" -- "$GV" run "$T/good.yaml" --out "$T/a.h5"
$PY - "$T/a.h5" <<'P' && ok || bad "run file content"
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
def s(v): return v.decode() if isinstance(v, bytes) else v
assert s(f.attrs['status']) == 'completed', f.attrs['status']
for k in ('version', 'git_commit', 'start_utc', 'host', 'seed'): assert k in f.attrs, k
assert len(f['series/distance/value']) == 201
assert s(f['summary'].attrs['predicted_verdict']) == 'converges'
assert s(f['summary'].attrs['measured_verdict']) == 'converges'
assert f['summary'].attrs['agree'] == 1
assert f['arrays/field'].shape == (21, 21, 2)
cfg = s(f['config'][()])
assert 'gamma: 0.3' in cfg and 'flush_every: 10' in cfg and 'tol:' in cfg, cfg
P

# --- determinism: same config and seed, same series bit for bit; the run
# file's /config alone reproduces the run
cat >"$T/sde.yaml" <<'Y'
game: {kind: dirac, loss: wgan}
scheme: {kind: sde, h: 0.01, steps: 3000}
controllers: [{kind: bmc, rho1: 1.0, rho2: 0.01, beta: 2}]
seed: 5
Y
"$GV" run "$T/sde.yaml" --out "$T/s1.h5" >/dev/null 2>&1
"$GV" run "$T/sde.yaml" --out "$T/s2.h5" >/dev/null 2>&1
"$GV" run "$T/sde.yaml" --out "$T/s3.h5" --set seed=6 >/dev/null 2>&1
$PY -c "import h5py; print(h5py.File('$T/s1.h5','r')['config'][()].decode())" >"$T/resolved.yaml"
"$GV" run "$T/resolved.yaml" --out "$T/s4.h5" >/dev/null 2>&1
$PY - "$T" <<'P' && ok || bad "determinism"
import h5py, sys, numpy as np
d = sys.argv[1]
v = [h5py.File(f'{d}/s{i}.h5', 'r')['series/theta/value'][:] for i in (1, 2, 3, 4)]
assert len(v[0]) == 3001
assert np.array_equal(v[0], v[1]), 'same seed differs'
assert np.array_equal(v[0], v[3]), 'resolved config does not reproduce the run'
assert not np.array_equal(v[0], v[2]), 'different seeds agree'
P

# --- divergence is data: status diverged, exit 1, series kept
printf 'game: {kind: dirac, loss: wgan}\nscheme: {kind: altgd, h: 10, steps: 100}\nrun: {bound: 1e6}\n' >"$T/div.yaml"
expect 1 "diverged" -- "$GV" run "$T/div.yaml" --out "$T/div.h5"
$PY - "$T/div.h5" <<'P' && ok || bad "diverged run file"
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
st = f.attrs['status']; st = st.decode() if isinstance(st, bytes) else st
assert st == 'diverged', st
assert 0 < f['summary'].attrs['diverged_step'] < 100
assert len(f['series/distance/value']) >= 2
P

# --- SIGKILL between flushes: h5py opens the file, series up to the last flush
GV_TEST_KILL_AT_STEP=155 "$GV" run "$T/good.yaml" --out "$T/k.h5" >/dev/null 2>&1
code=$?
[ "$code" -eq 137 ] && ok || bad "killed run exit $code, expected 137"
$PY - "$T/k.h5" <<'P' && ok || bad "killed run file"
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
st = f.attrs['status']; st = st.decode() if isinstance(st, bytes) else st
assert st == 'running', st
s = f['series/theta/step'][:]
assert s[-1] == 150 and len(s) == 151, (s[-1], len(s))
P
cp "$T/k.h5" "$T/k.orig"
expect 0 "" -- "$GV" analyze "$T/k.h5"
cmp -s "$T/k.h5" "$T/k.orig" && ok || bad "analyze modified a run that never finished"

# --- onestep_sampled through the driver: its run section is read, SIGTERM
# leaves it preempted with its series (SIGINT: interrupted), SIGKILL after a
# flush keeps them
cat >"$T/os.yaml" <<'Y'
game: {kind: onestep_sampled, expert: [0.6, 0.3, 0.1], lambda: 0.1, reward: gail, disc: logit,
       policy: softmax}
sampled: {batch: 16, width: 8, steps: 400, every: 10}
run: {flush_every: 50}
Y
printf 'game: {kind: onestep_sampled, disc: logit, policy: softmax}\nrun: {every: 5}\n' >"$T/osbad.yaml"
expect 2 "run.every" -- "$GV" check "$T/osbad.yaml"
GV_TEST_TERM_AT_STEP=120 "$GV" run "$T/os.yaml" --out "$T/os-term.h5" >/dev/null 2>"$T/err"
code=$?
[ "$code" -eq 1 ] && grep -qF "os-term.h5: preempted at step 120 (SIGTERM)" "$T/err" && ok ||
  bad "SIGTERM onestep_sampled exit $code: $(cat "$T/err")"
GV_TEST_INT_AT_STEP=130 "$GV" run "$T/os.yaml" --out "$T/os-int.h5" >/dev/null 2>"$T/err"
code=$?
[ "$code" -eq 1 ] && grep -qF "os-int.h5: interrupted at step 130 (SIGINT)" "$T/err" && ok ||
  bad "SIGINT onestep_sampled exit $code: $(cat "$T/err")"
$PY -c "import h5py,sys; f=h5py.File(sys.argv[1],'r'); assert f.attrs['status']=='interrupted'
assert any('interrupted at step 130 by signal 2' in (l.decode() if isinstance(l, bytes) else l) for l in f['log'][:])" "$T/os-int.h5" &&
  ok || bad "the SIGINT-ed run's file does not say interrupted at step 130"
GV_TEST_KILL_AT_STEP=175 "$GV" run "$T/os.yaml" --out "$T/os-kill.h5" >/dev/null 2>&1
code=$?
[ "$code" -eq 137 ] && ok || bad "killed onestep_sampled exit $code, expected 137"
$PY - "$T/os-term.h5" "$T/os-kill.h5" <<'P' && ok || bad "onestep_sampled preempted and killed files"
import h5py, sys
def status(f):
    s = f.attrs['status']
    return s.decode() if isinstance(s, bytes) else s
f = h5py.File(sys.argv[1], 'r')
assert status(f) == 'preempted', status(f)
for name in ('tv_sampled', 'tv_flow', 'kl_sampled', 'tv_between', 'd_dev_flow'):
    s = f['series/' + name + '/step'][:]
    assert s[-1] == 120 and len(s) == 13, (name, s[-1], len(s))
assert 0 < f['summary'].attrs['final_tv_sampled'] < 1
assert any('preempted at step 120 by signal 15' in (l.decode() if isinstance(l, bytes) else l)
           for l in f['log'][:])
f = h5py.File(sys.argv[2], 'r')
assert status(f) == 'running', status(f)
s = f['series/tv_sampled/step'][:]
assert s[-1] == 150 and len(s) == 16, (s[-1], len(s))
P

# --- sweeps: variants x list axes, one file each, jobs in parallel
cat >"$T/sw.yaml" <<'Y'
name: sw
out: OUTDIR
game: {kind: dirac}
scheme: {kind: simgd, h: 0.2, steps: 100}
variants:
  - name: a
  - name: b
    controllers: [{kind: r1, gamma: [0.3, 1.0]}]
Y
sed -i "s#OUTDIR#$T/sw#" "$T/sw.yaml"
expect 0 "" -- "$GV" sweep "$T/sw.yaml" --jobs 2
for f in sw-a sw-b-gamma=0.3 sw-b-gamma=1.0; do
  [ -f "$T/sw/$f.h5" ] && ok || bad "sweep did not write $f.h5"
done

# --- the order points run in: the grid's (each variant's together) or,
# with --order interleave, round robin over the variants, so that a sweep
# stopped part way has run every variant on the same seeds
cat >"$T/ord.yaml" <<'Y'
name: ord
out: OUTDIR
game: {kind: dirac}
scheme: {kind: simgd, h: 0.2, steps: 20}
seed: [1, 2, 3]
variants:
  - name: a
  - name: b
    controllers: [{kind: r1, gamma: 0.3}]
  - name: c
    seed: 5
Y
sed "s#OUTDIR#$T/ord#" "$T/ord.yaml" >"$T/ord-i.yaml"
sed -i "s#OUTDIR#$T/ordg#" "$T/ord.yaml"
expect 0 "" -- "$GV" sweep "$T/ord-i.yaml" --jobs 1 --order interleave
got=$(sed -n 's/^\[[0-9]*\/7\] ord-\([a-z=0-9-]*\) done.*/\1/p' "$T/out" | tr '\n' ' ')
[ "$got" = "a-seed=1 b-seed=1 c a-seed=2 b-seed=2 a-seed=3 b-seed=3 " ] && ok \
  || bad "--order interleave ran: $got"
expect 0 "" -- "$GV" sweep "$T/ord.yaml" --jobs 1 --order grid
got=$(sed -n 's/^\[[0-9]*\/7\] ord-\([a-z=0-9-]*\) done.*/\1/p' "$T/out" | tr '\n' ' ')
[ "$got" = "a-seed=1 a-seed=2 a-seed=3 b-seed=1 b-seed=2 b-seed=3 c " ] && ok \
  || bad "--order grid ran: $got"
expect 2 "--order expects grid or interleave" -- "$GV" sweep "$T/ord.yaml" --order random
# --dry-run lists the points in the order the sweep would run them
expect 0 "" -- "$GV" sweep "$T/ord.yaml" --dry-run --order interleave
got=$(sed -n 's/^ord-\([a-z=0-9-]*\) -> .*/\1/p' "$T/out" | tr '\n' ' ')
[ "$got" = "a-seed=1 b-seed=1 c a-seed=2 b-seed=2 a-seed=3 b-seed=3 " ] && ok \
  || bad "--dry-run --order interleave listed: $got"

# --- a single run's out: x.h5 is that file, not a directory of it
cat >"$T/one.yaml" <<'Y'
game: {kind: dirac}
scheme: {kind: simgd, h: 0.2, steps: 50}
out: OUTFILE
Y
sed -i "s#OUTFILE#$T/one/run.h5#" "$T/one.yaml"
expect 0 "# one -> $T/one/run.h5" -- "$GV" check "$T/one.yaml" --print
expect 0 "" -- "$GV" sweep "$T/one.yaml"
[ -f "$T/one/run.h5" ] && ok || bad "sweep of one run did not write one/run.h5"

# --- every shipped config validates (run from the source tree: demos, data)
for f in configs/*/*.yaml configs/*/*/*.yaml; do
  expect 0 "ok (" -- "$GV" check "$f"
done

# Gymnasium v5's include_cfrc_ext_in_observation: the ant without contact
# forces (27 values) trains, saves the option with its policy, and `record`
# rebuilds that task; a task without contact forces refuses false
printf 'game: {kind: rl, env: ant, include_cfrc_ext_in_observation: false}\nagent: {kind: ppo}\nrun: {steps: 2048, envs: 1, threads: 1, eval_every: 2048, eval_episodes: 1}\n' >"$T/ant27.yaml"
expect 0 "" -- "$GV" run "$T/ant27.yaml" --out "$T/ant27.h5"
$PY -c "import h5py,sys; g=h5py.File(sys.argv[1],'r')['policy']; assert g['obs_mean'].shape==(27,), g['obs_mean'].shape; assert int(g.attrs['include_cfrc_ext_in_observation'])==0" "$T/ant27.h5" \
  && ok || bad "the ant policy without contact forces is not 27 wide with its option saved"
expect 0 "" -- "$GV" record "$T/ant27.h5" --episodes 1 --out "$T/ant27-demos.h5"
$PY -c "import h5py,sys; assert h5py.File(sys.argv[1],'r')['obs'].shape[1]==27" "$T/ant27-demos.h5" \
  && ok || bad "record did not rebuild the 27-value ant"
printf 'game: {kind: rl, env: hopper, include_cfrc_ext_in_observation: false}\nagent: {kind: ppo}\n' >"$T/hop-cfrc.yaml"
expect 2 "hop-cfrc.yaml:1: game.include_cfrc_ext_in_observation: hopper has no contact forces in its observation (allowed: true)" -- "$GV" check "$T/hop-cfrc.yaml"


# --- bench says when a bar is missed (exit 1, MISSED), not how fast this
# machine is: GV_BENCH_BAR_SCALE puts the bars out of reach, or in reach
expect 1 "MISSED" -- env GV_BENCH_BAR_SCALE=1e12 "$GV" bench nn --seconds 0.02
grep -qF "bar: (b) step at a share of bare sgemm >= 7e+11" "$T/out" && ok || bad "bench nn did not print its scaled bar"
expect 0 ": met" -- env GV_BENCH_BAR_SCALE=1e-12 "$GV" bench nn --seconds 0.02
expect 2 "bench: --seconds '0' (allowed: numbers in (0, 3600])" -- env GV_BENCH_BAR_SCALE=1e12 "$GV" bench nn --seconds 0

# TD3's episode schedule runs one env copy: refused by check, with file:line
# in a file, and as --set's when --set gave it (line 23 holds envs: 1)
sed 's/envs: 1,/envs: 2,/' configs/dac/hopper-ref.yaml >"$T/ref2.yaml"
expect 2 "ref2.yaml:23: run.envs: 2 env copies, but agent.schedule episode runs one (allowed: 1)" -- \
  "$GV" check "$T/ref2.yaml"
expect 2 "hopper-ref.yaml (--set): run.envs: 2 env copies, but agent.schedule episode runs one" -- \
  "$GV" check configs/dac/hopper-ref.yaml --set run.envs=2
expect 2 "hopper-ref.yaml (--set): run.envs: 2 env copies" -- \
  "$GV" check configs/dac/hopper-ref.yaml --set 'run={steps: 100000, envs: 2}'

# the OpenBLAS kernel asked for by name (docs/resume.md): a name OpenBLAS
# does not know is refused, not run on its slowest fallback
expect 2 "GV_BLAS_CORE=NoSuchKernel: OpenBLAS runs kernel" -- \
  env GV_BLAS_CORE=NoSuchKernel "$GV" check configs/dirac/r1.yaml
expect 0 "" -- env GV_BLAS_CORE=Haswell "$GV" check configs/dirac/r1.yaml

testlib_end
