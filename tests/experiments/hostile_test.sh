#!/bin/sh
# Hostile and careless input to governor's config, CLI and sweeps: every
# case is a clean exit 2 with file:line (or a documented refusal), never a
# crash, never a write outside the output folder, never a silently lost run.
# Usage: hostile_test.sh PATH/TO/governor.  The promises are listed in
# docs/reliability.md.
set -u
testname=hostile
. "$(dirname "$0")/testlib.sh"

# given NAME 'YAML' CODE NEEDLE COMMAND...: writes $T/NAME.yaml (printf
# escapes), runs `governor COMMAND... $T/NAME.yaml` and expects CODE and
# "NAME.yaml:NEEDLE" in its output
given() {
  g_name=$1; g_code=$3; g_needle=$4
  # shellcheck disable=SC2059
  printf "$2" >"$T/$g_name.yaml"
  shift 4
  expect "$g_code" "$g_name.yaml:$g_needle" -- "$GV" "$@" "$T/$g_name.yaml"
}

cat >"$T/good.yaml" <<'Y'
game: {kind: dirac, loss: standard}
scheme: {kind: simgd, h: 0.2, steps: 20}
controllers: [{kind: r1, gamma: 0.3}]
run: {flush_every: 10}
Y

# --- 1. the top level must be a mapping: every command that reads a config
echo hello >"$T/scalar.yaml"
printf -- '- game\n- scheme\n' >"$T/list.yaml"
printf '[1, 2]\n' >"$T/flow.yaml"
for f in scalar list flow; do
  for cmd in "check" "sweep" "sweep --dry-run" "run --out $T/top.h5" "check --print"; do
    # shellcheck disable=SC2086
    expect 2 "$f.yaml:1: the config must be a mapping" -- "$GV" $cmd "$T/$f.yaml"
  done
  expect 2 "$f.yaml:1: the config must be a mapping" -- \
    "$GV" scan "$T/$f.yaml" --key scheme.h --from 0.1 --to 0.2 --out "$T/scan.h5"
done
[ ! -e "$T/top.h5" ] && ok || bad "a refused config wrote a run file"

# --- 2. deep nesting: a clear error, in a file and through --set
$PY -c "print('game: ' + '[' * 40000)" >"$T/deep.yaml"
expect 2 "deep.yaml:1: nested too deeply" -- "$GV" check "$T/deep.yaml"
$PY -c "print('game: ' + '[' * 40000 + ']' * 40000)" >"$T/deep2.yaml"
expect 2 "deep2.yaml:1: nested too deeply" -- "$GV" sweep --dry-run "$T/deep2.yaml"
deep=$($PY -c "print('[' * 40000)")
expect 2 "nested too deeply" -- "$GV" check "$T/good.yaml" --set "scheme.h=$deep"
expect 2 "nested too deeply" -- "$GV" run "$T/good.yaml" --set "a.b=$deep" --out "$T/d.h5"

# --- 6. grid size: refused past GV_SWEEP_MAX_POINTS without wrapping; a
# 1M-point grid is counted and listed lazily (memory is checked, not time)
$PY - "$T" <<'PY'
import sys
t = sys.argv[1]
v = "[" + ", ".join("%.2f" % (0.1 + 0.01 * i) for i in range(16)) + "]"
s = "[" + ", ".join(str(10 + i) for i in range(16)) + "]"
seeds = "[" + ", ".join(str(i) for i in range(16)) + "]"
head = "game: {kind: dirac, loss: standard, theta0: %s, psi0: %s}\n" % (v, v)
head += "scheme: {kind: simgd, h: %s, steps: %s}\nseed: %s\n" % (v, s, seeds)
open(t + "/g16.yaml", "w").write(
    head + "controllers: [" + ", ".join("{kind: r1, gamma: %s}" % v for _ in range(11)) + "]\n")
open(t + "/g17.yaml", "w").write(
    head + "controllers: [" + ", ".join("{kind: r1, gamma: [0.1, 0.2]}" for _ in range(12)) + "]\n")
open(t + "/g1m.yaml", "w").write(head)
PY
expect 2 "g16.yaml:4: controllers.10.gamma: the grid has more than 1048576 points" -- "$GV" check "$T/g16.yaml"
expect 2 "the grid has more than 1048576 points" -- "$GV" sweep "$T/g16.yaml" --out "$T/g16"
[ ! -e "$T/g16" ] && ok || bad "a refused grid wrote files"
expect 2 "one list too many (allowed: at most 16 axes per variant)" -- "$GV" sweep --dry-run "$T/g17.yaml"
# 16^5 = 1048576 points: accepted, counted, listed, in bounded memory
# maxrss OUT CMD...: runs CMD with stdout to OUT, prints its peak memory in KB
maxrss() { "$PY" -c 'import resource, subprocess, sys
with open(sys.argv[1], "w") as f:
    subprocess.run(sys.argv[2:], stdout=f, stderr=subprocess.STDOUT)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"; }
kb=$(maxrss "$T/chk" "$GV" check "$T/g1m.yaml")
grep -qF "ok (1048576 runs)" "$T/chk" && ok || bad "check of a 1M-point grid: $(cat "$T/chk")"
[ -n "${GV_TEST_SANITIZED:-}" ] || [ "$kb" -lt 131072 ] && ok || bad "check of a 1M-point grid used $kb KB"
kb=$(maxrss "$T/dry" "$GV" sweep --dry-run "$T/g1m.yaml" --out "$T/g1m")
[ -n "${GV_TEST_SANITIZED:-}" ] || [ "$kb" -lt 131072 ] && ok || bad "sweep --dry-run of a 1M-point grid used $kb KB"
[ "$(wc -l <"$T/dry")" -eq 1048576 ] && ok || bad "dry run listed $(wc -l <"$T/dry") points"
grep -qxF "g1m-seed=15-theta0=0.25-psi0=0.25-h=0.25-steps=25 -> $T/g1m/g1m-seed=15-theta0=0.25-psi0=0.25-h=0.25-steps=25.h5" "$T/dry" \
  && ok || bad "the last point of the dry run: $(tail -1 "$T/dry")"
[ ! -e "$T/g1m" ] && ok || bad "a dry run wrote files"
# check and --dry-run check every value of every axis of a large grid
sed 's/steps: \[10,/steps: [-1,/' "$T/g1m.yaml" >"$T/g1mbad.yaml"
expect 2 "g1mbad.yaml:2: scheme.steps: -1 is out of range" -- "$GV" check "$T/g1mbad.yaml"

# --- 10. two points with one output file: refused before anything runs
cat >"$T/dupv.yaml" <<'Y'
game: {kind: dirac}
scheme: {steps: 20}
variants:
  - name: a
  - name: b
  - name: a
    scheme: {h: 0.1}
Y
printf 'game: {kind: dirac}\nscheme: {steps: 20}\nseed: [0, 0]\n' >"$T/dups.yaml"
printf 'game: {kind: dirac}\nscheme: {steps: 20}\nseed: [[0, 1], [2]]\n' >"$T/dupl.yaml"
printf 'game: {kind: dirac}\nscheme: {steps: 20}\nseed: [1, {a: 2}]\n' >"$T/dupm.yaml"
printf 'game: {kind: dirac}\nscheme: {steps: 20, h: []}\n' >"$T/empty.yaml"
printf 'game: {kind: dirac}\nscheme: {steps: 20}\nvariants:\n  - name: a/b\n  - name: a_b\n' >"$T/dupsafe.yaml"
$PY -c "
x = 'v' * 130
print('game: {kind: dirac}\nscheme: {steps: 20}\nvariants:\n  - name: ' + x + 'a\n  - name: ' + x + 'b')" >"$T/long.yaml"
$PY -c "
x = 'v' * 300
print('game: {kind: dirac}\nscheme: {steps: 20}\nvariants:\n  - name: ' + x + 'a\n  - name: ' + x + 'b')" >"$T/longer.yaml"
for j in 1 2; do
  expect 2 "dupv.yaml:6: variants.2.name: runs 1 (dupv-a) and 3 (dupv-a) of the grid would write the same file" -- "$GV" sweep "$T/dupv.yaml" --jobs $j --out "$T/dupv"
  expect 2 "dups.yaml:3: seed: runs 1 (dups-seed=0) and 2 (dups-seed=0)" -- "$GV" sweep "$T/dups.yaml" --jobs $j --out "$T/dups"
done
expect 2 "dupl.yaml:3: seed: a list or mapping inside an axis (allowed: one flat list of values" -- "$GV" sweep "$T/dupl.yaml" --out "$T/dupl"
expect 2 "dupm.yaml:3: seed: a list or mapping inside an axis" -- "$GV" check "$T/dupm.yaml"
expect 2 "empty.yaml:2: scheme.h: an empty list" -- "$GV" check "$T/empty.yaml"
expect 2 "dupsafe.yaml:5: variants.1.name: runs 1 (dupsafe-a/b) and 2 (dupsafe-a_b)" -- "$GV" sweep --dry-run "$T/dupsafe.yaml"
for f in dupv dups dupl; do [ ! -e "$T/$f" ] && ok || bad "$f: a refused sweep wrote files"; done
# names equal in their first 120 (or 200) characters are distinct files
for f in long longer; do
  expect 0 "" -- "$GV" sweep "$T/$f.yaml" --out "$T/$f" --jobs 2
  [ "$(ls "$T/$f" | wc -l)" -eq 2 ] && ok || bad "$f: $(ls "$T/$f")"
  for h in "$T/$f"/*.h5; do
    n=$(basename "$h"); [ ${#n} -le 203 ] && ok || bad "file name of ${#n} bytes"
  done
done
ls "$T/longer" | grep -q '~[0-9a-f]\{16\}\.h5$' && ok || bad "a cut name ends in its hash: $(ls "$T/longer")"

# --- 13. config text never escapes the output folder
mkdir -p "$T/proj/sub"
printf 'name: ../../x\ngame: {kind: dirac}\nscheme: {steps: 20}\n' >"$T/proj/sub/esc.yaml"
(cd "$T/proj/sub" && "$GV" run esc.yaml >/dev/null 2>&1) && ok || bad "run of name ../../x failed"
[ -f "$T/proj/sub/runs/_._.._x.h5" ] && [ ! -e "$T/proj/x.h5" ] && [ ! -e "$T/x.h5" ] && ok \
  || bad "name: ../../x: $(cd "$T" && find . -name '*x.h5')"
cat >"$T/proj/sub/esc2.yaml" <<'Y'
game: {kind: dirac}
scheme: {steps: 20, h: [0.1, 0.2]}
variants:
  - name: x/../../../../elsewhere/y
  - name: ok
Y
# a string axis whose values are paths
printf 'game: {kind: dirac}
scheme: {steps: 20}
name: [../../up, /abs/y]
' >"$T/proj/sub/esc3.yaml"
(cd "$T/proj/sub" && "$GV" sweep --dry-run esc2.yaml && "$GV" sweep esc3.yaml) >"$T/esc2" 2>&1
grep ' -> ' "$T/esc2" | sed 's/.* -> //' | grep -q '/\.\./\|elsewhere/\|/abs/' && bad "unsafe path listed: $(cat "$T/esc2")" || ok
# ... and esc2's four points were listed (an empty listing hides nothing)
[ "$(grep -c '^esc2-.* -> runs/esc2/esc2-[^/]*\.h5$' "$T/esc2")" -eq 4 ] && ok \
  || bad "esc2's dry run does not list its four points: $(cat "$T/esc2")"
[ "$(ls "$T/proj/sub/runs/esc3")" = "$(printf 'esc3-name=.._.._up.h5\nesc3-name=_abs_y.h5')" ] && ok \
  || bad "string axis values in paths: $(ls "$T/proj/sub/runs/esc3")"
(cd "$T/proj/sub" && "$GV" sweep esc2.yaml >/dev/null 2>&1) && ok || bad "sweep esc2 failed"
[ "$(cd "$T" && find . -name '*.h5' -path '*esc2*' | grep -vc '^./proj/sub/runs/esc2/[^/]*\.h5$')" -eq 0 ] \
  && [ "$(ls "$T/proj/sub/runs/esc2" | wc -l)" -eq 4 ] && [ ! -e "$T/elsewhere" ] && ok \
  || bad "a variant escaped: $(cd "$T" && find . -path '*esc2*')"

# --- run names: key=value, group and axes attributes
cat >"$T/ax.yaml" <<'Y'
game: {kind: dirac}
scheme: {steps: 20, h: [0.1, 0.2]}
seed: [0, 1]
controllers: [{kind: r1, gamma: [0.001, 0.3]}, {kind: r2, gamma: [1]}]
Y
expect 0 "" -- "$GV" sweep "$T/ax.yaml" --out "$T/ax" --jobs 2
f="$T/ax/ax-seed=1-h=0.2-controllers.0.gamma=0.001-controllers.1.gamma=1.h5"
[ -f "$f" ] && ok || bad "sweep names: $(ls "$T/ax")"
"$GV" run "$T/good.yaml" --out "$T/plain.h5" >/dev/null 2>&1
$PY - "$f" "$T/plain.h5" <<'PY' && ok || bad "group/axes attributes"
import sys, h5py
with h5py.File(sys.argv[1], "r") as h:
    assert h.attrs["group"] == "ax-h=0.2-controllers.0.gamma=0.001-controllers.1.gamma=1", h.attrs["group"]
    assert h.attrs["axes"] == "seed=1;scheme.h=0.2;controllers.0.gamma=0.001;controllers.1.gamma=1", h.attrs["axes"]
    assert h.attrs["name"] == "ax-seed=1-h=0.2-controllers.0.gamma=0.001-controllers.1.gamma=1"
    for k in ("group", "axes"):
        t = h.attrs.get_id(k).get_type()
        assert t.get_cset() == h5py.h5t.CSET_UTF8 and t.is_variable_str(), k
with h5py.File(sys.argv[2], "r") as h:
    assert h.attrs["group"] == "good" and h.attrs["axes"] == "", dict(h.attrs)
PY

# --- a scan is followed by no analysis: its file says so ("pending" was
# the state of a run whose analysis a SIGKILL cut short)
expect 0 "" -- "$GV" scan "$T/good.yaml" --key scheme.h --from 0.1 --to 0.2 --num 3 --out "$T/scan-ok.h5"
$PY -c "import h5py, sys
f = h5py.File(sys.argv[1], 'r')
a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
assert (a['kind'], a['status'], a['analysis']) == ('scan', 'completed', 'none'), a" "$T/scan-ok.h5" \
  && ok || bad "scan file's analysis attribute"

# --- COMMAND --help: that command's usage, exit 0 (it was "unknown option")
for c in run sweep resume check analyze scan list record evaluate export bench; do
  expect 0 "  $c " -- "$GV" "$c" --help
done
# plot's own options (its script takes KIND as an argument, which governor
# plot does not: `governor plot eig RUN.h5` would read eig as a run file)
expect 0 "  plot [--kind KIND] [--out PNG] RUN.h5..." -- "$GV" plot --help
expect 2 "unknown command 'un'" -- "$GV" un --help
# report's usage and errors come from its script, under governor's name
expect 0 "usage: governor report [-h] --out OUT" -- "$GV" report --help
expect 2 "governor report: error: the following arguments are required: runs, --out" -- "$GV" report
expect 2 "governor report: $T/none.h5: no such file" -- "$GV" report --out "$T/rep" "$T/none.h5"

# --- check --print shows the path run uses
expect 0 "# good -> runs/good.h5" -- "$GV" check "$T/good.yaml" --print
expect 0 "# good -> $T/o.h5" -- "$GV" check "$T/good.yaml" --print --out "$T/o.h5"
expect 0 "good -> $T/o2.h5" -- "$GV" sweep --dry-run "$T/good.yaml" --out "$T/o2.h5"
expect 0 "" -- "$GV" sweep "$T/good.yaml" --out "$T/o2.h5"
[ -f "$T/o2.h5" ] && ok || bad "a one-point sweep did not write the path check prints"

# --- 12. an output that is an input, and no silent replacement
cp "$T/good.yaml" "$T/self.yaml"
expect 2 "the output is the config file itself" -- "$GV" run "$T/self.yaml" --out "$T/self.yaml" --overwrite
ln -s self.yaml "$T/link.yaml"
expect 2 "the output is the config file itself" -- "$GV" run "$T/self.yaml" --out "$T/link.yaml" --overwrite
cmp -s "$T/self.yaml" "$T/good.yaml" && ok || bad "the config was overwritten"
expect 2 "exists; a run never replaces a file silently" -- "$GV" run "$T/good.yaml" --out "$T/plain.h5"
mkdir "$T/folder.h5"
expect 2 "folder.h5: is a folder" -- "$GV" run "$T/good.yaml" --out "$T/folder.h5" --overwrite
sum1=$(md5sum <"$T/plain.h5")
expect 0 "" -- "$GV" run "$T/good.yaml" --out "$T/plain.h5" --overwrite --set seed=3
[ "$(md5sum <"$T/plain.h5")" != "$sum1" ] && ok || bad "--overwrite did not replace"
expect 2 "--out is the config file itself" -- "$GV" scan "$T/self.yaml" --key scheme.h --from 0.1 --to 0.2 --out "$T/link.yaml"
cp data/experts/inverted_pendulum-policy.h5 "$T/pol.h5"
sum1=$(md5sum <"$T/pol.h5")
expect 2 "export: --out is the input file itself" -- "$GV" export "$T/pol.h5" --out "$T/pol.h5"
ln -s pol.h5 "$T/pol-link.h5"
expect 2 "record: --out is the input file itself" -- "$GV" record "$T/pol.h5" --episodes 1 --out "$T/pol-link.h5"
[ "$(md5sum <"$T/pol.h5")" = "$sum1" ] && ok || bad "export/record damaged their input"
# record and export never replace an existing file without --overwrite
for c in "export $T/pol.h5" "record $T/pol.h5 --episodes 1 --random-episodes 0 --eval-episodes 0"; do
  w=${c%% *}
  expect 0 "" -- "$GV" $c --out "$T/$w-out.h5"
  sum2=$(md5sum <"$T/$w-out.h5")
  expect 2 "$w: $T/$w-out.h5 exists; nothing was written" -- "$GV" $c --out "$T/$w-out.h5"
  [ "$(md5sum <"$T/$w-out.h5")" = "$sum2" ] && ok || bad "a refused $w changed its output"
  expect 0 "" -- "$GV" $c --out "$T/$w-out.h5" --overwrite
done

# --- an idempotent sweep: finished runs of the same config are skipped,
# any other existing file is refused before anything runs
cat >"$T/idem.yaml" <<'Y'
game: {kind: dirac}
scheme: {steps: 30, h: [0.1, 0.2]}
run: {flush_every: 5}
Y
expect 0 "" -- "$GV" sweep "$T/idem.yaml" --out "$T/idem" --jobs 2
sums=$(cat "$T"/idem/*.h5 | md5sum)
expect 0 "[2/2] idem-h=0.2 already done" -- "$GV" sweep "$T/idem.yaml" --out "$T/idem" --jobs 2
[ "$(cat "$T"/idem/*.h5 | md5sum)" = "$sums" ] && ok || bad "an idempotent sweep rewrote files"
expect 2 "idem-h=0.1.h5: exists and is not a finished run of this point's config" -- \
  "$GV" sweep "$T/idem.yaml" --out "$T/idem" --set scheme.steps=40
[ "$(cat "$T"/idem/*.h5 | md5sum)" = "$sums" ] && ok || bad "a refused sweep touched files"
expect 0 "[2/2] idem-h=0.2 done" -- "$GV" sweep "$T/idem.yaml" --out "$T/idem" --set scheme.steps=40 --overwrite
# a killed run of another config (here: keys in another order) is refused;
# one of the same config is run again (test_cluster)
GV_TEST_KILL_AT_STEP=12 "$GV" run "$T/good.yaml" --out "$T/killed.h5" >/dev/null 2>&1
printf 'game: {kind: dirac, loss: standard}\nscheme: {kind: simgd, h: 0.2, steps: 20}\ncontrollers: [{kind: r1, gamma: 0.3}]\nrun: {flush_every: 10}\nname: good\n' >"$T/good2.yaml"
expect 2 "exists and is not a finished run of this point's config (status running)" -- \
  "$GV" sweep "$T/good2.yaml" --out "$T/killed.h5"

# --- a sweep child killed by a signal is reported as killed
GV_TEST_KILL_AT_STEP=12 "$GV" sweep "$T/idem.yaml" --out "$T/kill" --jobs 2 >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 1 ] && ok || bad "a sweep with killed children exited $rc"
[ "$(grep -c 'killed by signal 9 (Killed)' "$T/out")" -eq 2 ] && ok || bad "killed children: $(cat "$T/out")"
printf 'game: {kind: dirac}\nscheme: {steps: 200, h: [0.1, 9]}\nrun: {bound: 10}\n' >"$T/div.yaml"
"$GV" sweep "$T/div.yaml" --out "$T/div" >"$T/out" 2>&1
grep -q 'div-h=9 diverged' "$T/out" && grep -q 'div-h=0.1 done' "$T/out" && ok || bad "diverged child: $(cat "$T/out")"

# --- numeric command-line arguments are checked
for v in abc 1x "" nan inf; do
  expect 2 "scan: --from '$v'" -- "$GV" scan "$T/good.yaml" --key scheme.h --from "$v" --to 1 --out "$T/sc.h5"
done
expect 2 "scan: --num '1e99'" -- "$GV" scan "$T/good.yaml" --key scheme.h --from 0 --to 1 --num 1e99 --out "$T/sc.h5"
for v in -1 nan abc 0 inf 1e9; do
  expect 2 "bench: --seconds '$v' (allowed: numbers in (0, 3600])" -- "$GV" bench dirac --seconds "$v"
done
for v in 4294967297 -1 0 abc 1e3 ""; do
  expect 2 "record: --episodes expects an integer in [1, 1000000]" -- "$GV" record "$T/pol.h5" --episodes "$v" --out "$T/rec.h5"
done
expect 2 "record: --seed expects an integer in [0, 4294967295]" -- "$GV" record "$T/pol.h5" --seed 4294967296 --out "$T/rec.h5"
for v in 0 -2 abc 99999999999999999999; do
  expect 2 "--jobs expects an integer in [1, 4096]" -- "$GV" sweep "$T/good.yaml" --jobs "$v"
done

# --- plot: entries are validated; the usage names every plot kind
given pl1 'game: {kind: dirac}\nplot: [phase, bogus]\n' 2 "2: plot.1: unknown plot kind 'bogus' (allowed: phase, distance" check
printf 'game: {kind: dirac}\nplot: phase\n' >"$T/pl2.yaml"
expect 2 "pl2.yaml:2: plot: expected a list of plot kinds" -- "$GV" run "$T/pl2.yaml" --out "$T/pl2.h5"
kinds=$($PY -c "import ast, sys
src = open('plots/governor_plot.py').read()
i = src.index('KINDS = ')
print(' '.join(ast.literal_eval(src[i + 8:src.index(')', i) + 1])))")
# (an empty list, KINDS renamed or reshaped, would leave the loop below empty)
[ "$(echo $kinds | wc -w)" -ge 5 ] && ok || bad "plot kinds not read from plots/governor_plot.py: '$kinds'"
"$GV" help >"$T/usage"
for k in $kinds; do
  grep -q -- "$k" "$T/usage" && ok || bad "usage lacks plot kind $k"
  printf 'game: {kind: dirac}\nplot: [%s]\n' "$k" >"$T/pk.yaml"
  expect 0 "ok" -- "$GV" check "$T/pk.yaml"
done

# --- check rejects what run rejects, and every error has file:line
printf 'name: {a: 1}\ngame: {kind: dirac}\n' >"$T/nm.yaml"
for cmd in check "sweep --dry-run"; do
  # shellcheck disable=SC2086
  expect 2 "nm.yaml:1: name: expected one string, found a mapping" -- "$GV" $cmd "$T/nm.yaml"
done
for c in gail/hopper-gail dac/hopper-dac; do
  k=${c%%/*}
  expect 2 "game.subsample: 1000000 is longer than the shortest episode used (580 steps" -- \
    "$GV" check "configs/$c.yaml" --set game.subsample=1000000
  expect 2 "game.trajectories: 26 is more than the 25 episodes" -- \
    "$GV" check "configs/$c.yaml" --set game.trajectories=26
  expect 2 "controllers.0.kind: controller 'consensus' has no hook for game '$k'" -- \
    "$GV" check "configs/$c.yaml" --set "controllers=[{kind: consensus}]"
  expect 2 "game.demos: 'data/experts/hopper-demos.h5' holds demonstrations of 'hopper', not of game.env 'walker2d'" -- \
    "$GV" check "configs/$c.yaml" --set game.env=walker2d --set game.demos=data/experts/hopper-demos.h5
done
cat >"$T/sem.yaml" <<'Y'
game: {kind: dirac}
scheme:
  kind: ode
  eps_abs: 0
  eps_rel: 0
Y
expect 2 "sem.yaml:2: scheme: scheme 'ode': eps_abs, eps_rel must be >= 0, not both 0" -- "$GV" check "$T/sem.yaml"
# a value given by --set: errors say so, not a line of the file that holds another value
expect 2 "sem.yaml (--set): scheme.h: inf is out of range (allowed: numbers in (0, inf))" -- "$GV" check "$T/sem.yaml" --set scheme.h=inf
expect 2 "sem.yaml (--set): scheme.h: -1 is out of range" -- "$GV" check "$T/sem.yaml" --set 'scheme={kind: simgd, h: -1}'
# a variant's own value keeps its line when --set changed the base's, and a
# --set into a variant is --set's
printf 'game: {kind: dirac}\nscheme: {kind: simgd, h: 0.2}\nvariants:\n  - {name: a}\n  - {name: b, scheme: {h: -1}}\n' >"$T/var.yaml"
expect 2 "var.yaml:5: scheme.h: -1 is out of range" -- "$GV" sweep "$T/var.yaml" --dry-run --set scheme.h=0.1
expect 2 "var.yaml (--set): scheme.h: -2 is out of range" -- \
  "$GV" sweep "$T/var.yaml" --dry-run --set variants.1.scheme.h=-2
expect 2 "hopper-dac.yaml (--set): controllers.0.kind: controller 'bmc' has no hook for game 'dac'" -- \
  "$GV" check configs/dac/hopper-dac.yaml --set 'controllers=[{kind: bmc, side: gen}]'
# onestep_sampled's errors name it (not the flow's game), and no hidden scheme
for c in r1 bmc_update; do
  expect 2 "onestep-sampled.yaml (--set): controllers.0.kind: controller '$c' has no hook for game 'onestep_sampled'" -- \
    "$GV" check configs/gail/onestep-sampled.yaml --set "controllers=[{kind: $c}]"
done
given sem2 'game: {kind: dirac}\nscheme: {kind: ode}\ncontrollers:\n  - {kind: clip}\n' 2 "4: controllers.0.kind: controller 'clip' acts after discrete updates" check
printf 'game: {kind: onestep}\ncontrollers: [{kind: r1}]\n' >"$T/sem3.yaml"
expect 2 "sem3.yaml:2: controllers.0.kind: controller 'r1' has no hook for game 'onestep'" -- "$GV" run "$T/sem3.yaml" --out "$T/sem3.h5"
given sem4 'game: {kind: onestep_sampled, policy: sigmoid}\n' 2 "1: game.policy: unknown value 'sigmoid'" check
given sem5 'game: {kind: onestep_sampled, disc: prob}\n' 2 "1: game.disc: onestep_sampled learns a logit D" check
# every scalar of one config per game kind, set to hostile values
$PY tests/experiments/hostile_leaves.py "$GV" configs/dirac/r1.yaml configs/mlpgan/ring-clc.yaml \
  configs/dac/hopper-dac.yaml configs/gail/onestep-sampled.yaml "--values=-1,inf,{a: 1}" >"$T/leaves" 2>&1 \
  && ok || bad "hostile values: $(tail -20 "$T/leaves")"
# sections named as written; plain data only
given gk1 'game: 3\n' 2 "1: game: expected a mapping with a kind" check
given gk2 'game: {kind: [dirac, mlpgan]}\n' 2 "1: game.kind: a list where one game is expected" sweep --dry-run
given gk3 'game:\n  loss: wgan\n  kind: {a: 1}\n' 2 "3: game.kind: expected one game name" check
given alias 'game: &g {kind: dirac}\nscheme: *g\n' 2 "2: aliases are not supported" check
given docs 'game: {kind: dirac}\n---\ngame: {kind: dirac}\n' 2 "3: only one YAML document is allowed" check
given dupk 'game: {kind: dirac}\ngame: {kind: mlpgan}\n' 2 "2: game: duplicate key" check
# a controller kind is a sweep axis like any other name
printf 'game: {kind: dirac}\nscheme: {steps: 20}\ncontrollers: [{kind: [r1, r2], gamma: 0.5}]\n' >"$T/ck.yaml"
expect 0 "ck-kind=r2 -> " -- "$GV" sweep --dry-run "$T/ck.yaml"
# an output that is an input: plot, and a --set path as deep as the nesting limit
sum2=$(md5sum <"$T/plain.h5")
expect 2 "plot: --out is one of the run files" -- "$GV" plot --kind distance --out "$T/plain.h5" "$T/plain.h5"
[ "$(md5sum <"$T/plain.h5")" = "$sum2" ] && ok || bad "plot damaged its input"
expect 2 "nested too deeply (allowed: at most 64 keys)" -- "$GV" check "$T/good.yaml" --set "$($PY -c "print('.'.join(['a'] * 65))")=1"
# UTF-8 names stay readable and distinct, and a cut never splits a character
printf 'game: {kind: dirac}\nvariants: [{name: \316\261}, {name: \316\262}]\n' >"$T/utf.yaml"
expect 0 "$(printf 'utf-\316\262 -> runs/utf/utf-\316\262.h5')" -- "$GV" sweep --dry-run "$T/utf.yaml"
$PY -c "print('game: {kind: dirac}\nvariants:\n  - name: ' + 'x' + '\u03b1' * 120 + '\n  - name: ' + '\u03b1' * 121)" >"$T/utf2.yaml"
"$GV" sweep --dry-run "$T/utf2.yaml" >"$T/out" 2>&1
$PY - "$T/out" <<'PY' && ok || bad "cut UTF-8 names: $(cat "$T/out")"
import os, sys
paths = [l.split(" -> ")[1] for l in open(sys.argv[1], encoding="utf-8").read().splitlines()]
assert len(paths) == 2 and paths[0] != paths[1], paths
for p in paths:
    b = os.path.basename(p).encode()
    assert len(b) <= 203 and "~" in p, p
PY
# a long run name is cut the same way for a plain run (it was cut at 200
# bytes with no hash), and a long grid name in the default folder cuts the
# point's name further so the path fits `out` (it was refused, naming `out`)
long=$($PY -c "print('a' * 250)")
cut="runs/$($PY -c "print('a' * 180)")~"
"$GV" check "$T/good.yaml" --print --set "name=$long" >"$T/out" 2>&1
grep -q "^# $long -> $cut[0-9a-f]\{16\}\.h5\$" "$T/out" && ok || bad "plain run, long name: $(cat "$T/out")"
(cd "$T" && "$GV" run "$T/good.yaml" --set "name=$long" >/dev/null 2>&1 && ls runs | grep -q "^a\{180\}~[0-9a-f]\{16\}\.h5\$") \
  && ok || bad "run of a long name: $(ls "$T/runs")"
$PY -c "print('name: ' + 'b' * 250 + '\ngame: {kind: dirac}\nscheme: {steps: 20}\nseed: [0, 1]')" >"$T/lgrid.yaml"
expect 0 "lgrid.yaml: ok (2 runs)" -- "$GV" check "$T/lgrid.yaml"
"$GV" sweep --dry-run "$T/lgrid.yaml" >"$T/out" 2>&1
$PY - "$T/out" <<'PY' && ok || bad "long grid name: $(cat "$T/out")"
import sys
paths = [l.split(" -> ")[1] for l in open(sys.argv[1]).read().splitlines() if " -> " in l]
assert len(paths) == 2 and paths[0] != paths[1], paths
for p in paths:
    d, f = p.split("/")[1:]
    assert p.startswith("runs/") and len(p) <= 255 and "~" in d and "~" in f, p
PY

testlib_end
