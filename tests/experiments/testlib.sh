# Shared by the shell tests of governor's command line, sourced by a script
# whose $1 is PATH/TO/governor after setting testname:
#   testname=cli; . "$(dirname "$0")/testlib.sh"
# sets GV (absolute), T (a scratch folder, removed at exit), PY, the
# counters pass and failn, and ok, bad and expect.  End with testlib_end.
GV="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
T=$(mktemp -d "/tmp/gv-$testname-XXXXXX")
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

# The counts; the exit status of the test.
testlib_end() {
  echo "$testname: $pass passed, $failn failed"
  [ "$failn" -eq 0 ]
}
