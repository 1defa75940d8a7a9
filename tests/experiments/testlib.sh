# Helpers shared by the shell tests (sourced): a scratch folder $T, the
# counters and expect().  Set GV before sourcing.
T=$(mktemp -d /tmp/gv-test-XXXXXX)
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
  if [ "$got" -ne "$code" ]; then bad "$* -> exit $got, expected $code: $(head -c 600 "$T/err")"; return; fi
  if [ -n "$needle" ] && ! grep -qF -- "$needle" "$T/err" "$T/out"; then
    bad "$* -> output lacks '$needle': $(head -c 600 "$T/err")"; return
  fi
  ok
}
