#!/bin/sh
# scripts/study-cgail retry, the C-GAIL protocol's one re-run of failed
# main runs, on tiny Dirac-GAN stand-ins for the study's seven main configs
# (two seeds each, in a scratch copy of the layout):
# - a sweep not through yet is not retried;
# - a failed run is moved into failed-once/ with its checkpoint and run
#   again from step 0; a retry whose re-run is stopped is not done, and the
#   next one finishes it; a second retry after that does nothing;
# - a retry stopped part way and run again never moves a run that failed a
#   second time: its first failure is kept as it was, and it stays failed.
# - report --finished hands the page only the blocks whose every run has
#   ended and whose failed runs have had their re-run (a stub study.py
#   records what it is given);
# - a failed run whose file is damaged is left in place by retry, which
#   stops naming it, and its block is not finished.
#   sh study_retry_test.sh PATH/TO/governor
testname=study-retry
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/study_standins.sh"

study main || bad "main: $(tail -5 "$T/log")"
G=runs/st-main-gail
F=$G/st-main-gail-seed=1.h5
[ "$(status "$F")" = completed ] && ok || bad "main did not complete $F"

# a failed run with a (stand-in) checkpoint; main-gail-entropy not through:
# its seed 0 is missing
set_failed "$F"
echo stale >"$F.ckpt"
mkdir "$F.ckpt.d"
rm runs/st-main-gail-entropy/st-main-gail-entropy-seed=0.h5
printf 'import sys\nopen("study-args", "w").write("\\n".join(sys.argv[1:]) + "\\n")\n' >plots/study.py
blocks() { sed -n '/^--block$/{n;p;}' study-args | tr '\n' ' '; }
study report --finished || bad "report --finished: $(tail -5 "$T/log")"
[ "$(blocks)" = "part-a-demos11 part-b part-b-demos11 " ] && ok || bad "report --finished, blocks: $(blocks)"
grep -q "part-a is not finished" "$T/log" && grep -q "part-a-entropy is not finished" "$T/log" &&
  ok || bad "report --finished: $(cat "$T/log")"
# the re-run is stopped (SIGTERM to governor alone, at its step 10): the
# retry is not done
GV_TEST_TERM_AT_STEP=10 study retry || bad "stopped retry: $(tail -5 "$T/log")"
grep -q "main-gail-entropy.yaml: not through yet" "$T/log" && ok ||
  bad "retry ran a sweep that was not through: $(cat "$T/log")"
[ ! -e runs/st-main-gail-entropy/failed-once ] && ok || bad "not through, yet failed-once/ made"
grep -q "main-gail.yaml: its re-runs have not all ended" "$T/log" && [ ! -e "$G/failed-once/.done" ] &&
  [ "$(status "$F")" != completed ] && ok ||
  bad "a retry whose re-run was stopped counts as done: $(status "$F"); $(cat "$T/log")"
study retry || bad "retry: $(tail -5 "$T/log")"
[ -e "$G/failed-once/st-main-gail-seed=1.h5" ] && [ -e "$G/failed-once/st-main-gail-seed=1.h5.ckpt" ] &&
  [ -d "$G/failed-once/st-main-gail-seed=1.h5.ckpt.d" ] && ok ||
  bad "the first failure and its checkpoint were not moved aside: $(ls -a "$G" "$G/failed-once")"
[ "$(status "$G/failed-once/st-main-gail-seed=1.h5")" = failed ] && ok || bad "first failure changed"
[ "$(status "$F")" = completed ] && [ ! -e "$F.ckpt" ] && ok ||
  bad "the failed run was not run again from step 0: $(status "$F"); $(ls -a "$G")"
[ -e "$G/failed-once/.done" ] && ok || bad "no .done after the retry"
cp -p "$G/failed-once/st-main-gail-seed=1.h5" "$T/first.h5"

# a second retry does nothing
study retry || bad "second retry: $(tail -5 "$T/log")"
grep -q "main-gail.yaml: already retried once" "$T/log" && ok || bad "second retry: $(cat "$T/log")"

# a retry stopped part way (no .done) whose re-run failed again: run again,
# it keeps the first failure and leaves the second alone
rm "$G/failed-once/.done"
set_failed "$F"
study retry || bad "retry after a stop: $(tail -5 "$T/log")"
[ "$(status "$F")" = failed ] && ok || bad "a run that failed twice was run a third time"
cmp -s "$T/first.h5" "$G/failed-once/st-main-gail-seed=1.h5" && ok ||
  bad "the first failure was overwritten by the second"
[ -e "$G/failed-once/.done" ] && ok || bad "no .done after the resumed retry"

# the entropy sweep, through now, is retried (nothing failed: nothing moved)
study main || true
study retry || bad "retry of the finished entropy sweep: $(tail -5 "$T/log")"
[ -e runs/st-main-gail-entropy/failed-once/.done ] &&
  [ -z "$(ls runs/st-main-gail-entropy/failed-once)" ] && ok ||
  bad "entropy sweep: $(ls -a runs/st-main-gail-entropy/failed-once 2>&1)"
# every block ended and retried: all reach the page
study report --finished || bad "report --finished: $(tail -5 "$T/log")"
[ "$(blocks)" = "part-a part-a-entropy part-a-demos11 part-b part-b-demos11 " ] && ok ||
  bad "report --finished at the end, blocks: $(blocks)"

# a failed run whose file is damaged (a link to another file, which the
# probe refuses): retry leaves it where it is for a person to look at and
# stops naming it (the sweep refuses to start over it), and its block is
# not finished
D=runs/st-main-gail-demos11/st-main-gail-demos11-seed=0.h5
set_failed "$D"
$PY -c 'import sys, h5py
with h5py.File(sys.argv[1], "a") as f:
    f["elsewhere"] = h5py.ExternalLink("other.h5", "/x")' "$D"
rm -f runs/st-main-gail-demos11/failed-once/.done
study retry && bad "retry over a damaged file exited 0: $(tail -5 "$T/log")"
grep -q "$D: exists and is not a finished run.*(status unreadable)" "$T/log" && ok ||
  bad "retry over a damaged file did not name it: $(tail -5 "$T/log")"
[ -e "$D" ] && [ ! -e "runs/st-main-gail-demos11/failed-once/$(basename "$D")" ] && ok ||
  bad "retry moved a damaged file: $(ls -a runs/st-main-gail-demos11/failed-once)"
study report --finished || bad "report --finished, damaged file: $(tail -5 "$T/log")"
[ "$(blocks)" = "part-a part-a-entropy part-b part-b-demos11 " ] && ok ||
  bad "report --finished with a damaged file, blocks: $(blocks)"
grep -q "part-a-demos11 is not finished (a run still to end or to re-run, or unreadable)" \
  "$T/log" && ok || bad "report --finished, damaged file: $(cat "$T/log")"
testlib_end
