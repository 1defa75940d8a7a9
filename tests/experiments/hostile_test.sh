#!/bin/sh
# Hostile and careless input to governor's config, CLI and sweeps: every
# case is a clean exit 2 with file:line (or a documented refusal), never a
# crash, never a write outside the output folder, never a silently lost run.
# Usage: hostile_test.sh PATH/TO/governor.  The promises are listed in
# docs/reliability-input.md.
set -u
GV="$1"
T=$(mktemp -d /tmp/gv-hostile-XXXXXX)
trap 'rm -rf "$T"' EXIT
PY=/usr/bin/python3
pass=0
failn=0
ok() { pass=$((pass + 1)); }
bad() { failn=$((failn + 1)); echo "FAIL: $*"; }

# expect CODE NEEDLE -- command...: exit code and a substring of the output
expect() {
  code=$1; needle=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  got=$?
  if [ "$got" -ne "$code" ]; then
    bad "$* -> exit $got, expected $code: $(head -c 600 "$T/err")"; return
  fi
  if [ -n "$needle" ] && ! grep -qF -- "$needle" "$T/err" "$T/out"; then
    bad "$* -> output lacks '$needle': $(head -c 600 "$T/err")"; return
  fi
  ok
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

echo "hostile: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
