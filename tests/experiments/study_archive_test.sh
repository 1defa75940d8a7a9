#!/bin/sh
# The C-GAIL study's runs outlive the machine that made them
# (scripts/study-cgail archive and restore, plots/archive.py, plots/slim.py):
# - a slim copy holds, byte for byte, every attribute, /config, /log,
#   /summary, /policy and the series the analysis reads, and
#   `governor evaluate` of it is the evaluation of the full run, bit for bit;
# - slim.py refuses to copy a run over itself, and a damaged run is exit 2
#   with no half copy left;
# - a noise floor's evaluate file and the floor's seconds come back;
# - a running run is not copied;
# - on a new machine (runs/ gone), main restores the archive and runs
#   nothing again: the restored files are the archived ones;
# - a retry whose re-run had not ended when it was archived: restored, the
#   first failure is in failed-once/ only, and the next retry runs it once;
#   archived again after, the re-run replaces the failure at the top;
# - a retry stopped before its re-run made a file, not archived since: a
#   restore does not put the first failure back at the top.
# On Dirac-GAN stand-ins of the seven main configs (as test_study_retry),
# and one short GAIL run for the policy.
#   sh study_archive_test.sh PATH/TO/governor
testname=study-archive
. "$(dirname "$0")/testlib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)

# --- a slim copy of a GAIL run ------------------------------------------
cd "$ROOT" || exit 1
R=$T/gail.h5
"$GV" run configs/gail/hopper-cgail.yaml --out "$R" --set run.steps=4096 --set run.envs=2 \
  --set run.eval_every=500 --set run.eval_episodes=1 --set run.threads=1 >/dev/null 2>&1 ||
  bad "the short GAIL run failed"
$PY plots/slim.py "$R" "$T/slim.h5" && ok || bad "slim.py on a completed run"
$PY - "$R" "$T/slim.h5" <<'P' && ok || bad "the slim copy differs from its run"
import sys, h5py, numpy as np
sys.path.insert(0, "plots")
import slim
full, cut = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
bad = []
def same_attrs(a, b, where):
    for k in a.attrs:
        if k not in b.attrs or not np.array_equal(np.asarray(a.attrs[k]), np.asarray(b.attrs[k])):
            bad.append("%s attribute %s" % (where, k))
same_attrs(full, cut, "/")
kept = ["config", "summary", "policy"] + (["log"] if "log" in full else [])
kept += ["series/" + s for s in slim.SERIES if s in full["series"]]
if "eval_normalised_return" not in full["series"] or "policy" not in full:
    bad.append("the run has no eval_normalised_return or /policy to check")
def visit(name, obj):
    if not any(name == k or name.startswith(k + "/") for k in kept):
        return
    if name not in cut:
        bad.append("%s missing" % name)
        return
    if isinstance(obj, h5py.Dataset):
        a, b = np.asarray(obj[()]), np.asarray(cut[name][()])
        if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
            bad.append("%s differs" % name)
    same_attrs(obj, cut[name], name)
for k in kept:
    if k in full:
        visit(k, full[k])
        if isinstance(full[k], h5py.Group):
            full[k].visititems(lambda n, o, k=k: visit(k + "/" + n, o))
if "policy_best" in cut or len(cut["series"]) >= len(full["series"]):
    bad.append("the copy is not slim")
print("\n".join(bad))
sys.exit(1 if bad else 0)
P
# refused: a copy over its own run; a damaged run leaves no half copy
cp "$R" "$T/self.h5"
$PY plots/slim.py "$T/self.h5" "$T/self.h5" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "would replace its own run file" "$T/err" &&
  cmp -s "$R" "$T/self.h5" && ok || bad "slim.py RUN RUN: exit $rc, $(cat "$T/err")"
$PY - "$R" "$T/damaged.h5" <<'P'
import shutil, sys, h5py
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "a") as f:  # a step the copy can not read back whole
    del f["series/eval_normalised_return/step"]
    f["series/eval_normalised_return"].create_group("step")
P
$PY plots/slim.py "$T/damaged.h5" "$T/damaged-slim.h5" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && [ ! -e "$T/damaged-slim.h5" ] && [ ! -e "$T/damaged-slim.h5.tmp" ] &&
  ! grep -q Traceback "$T/err" && ok ||
  bad "slim.py on a damaged run: exit $rc, $(ls "$T" | grep damaged-slim) $(cat "$T/err")"
"$GV" evaluate "$R" --times 2 --out "$T/ev-full.h5" >/dev/null 2>&1 &&
  "$GV" evaluate "$T/slim.h5" --times 2 --out "$T/ev-slim.h5" >/dev/null 2>&1 && ok ||
  bad "governor evaluate of the run or of its slim copy failed"
$PY - "$T/ev-full.h5" "$T/ev-slim.h5" <<'P' && ok || bad "the slim copy evaluates otherwise"
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
sys.exit(0 if len(a["series"]) and all(np.array_equal(a["series"][k]["value"][()],
                                                     b["series"][k]["value"][()])
                                      for k in a["series"]) else 1)
P
# a noise floor's evaluate file (analysis "none", or "pending" in files
# before 2026-12-06) and the floor's seconds go to the archive and come
# back, the same evaluations
mkdir -p "$T/fl/runs/floor" && cp "$T/ev-full.h5" "$T/fl/runs/floor/" &&
  echo "gail.h5 7" >"$T/fl/runs/floor/seconds"
$PY plots/archive.py archive "$T/fl/runs" "$T/fl/arch" >/dev/null &&
  rm -rf "$T/fl/runs" && $PY plots/archive.py restore "$T/fl/arch" "$T/fl/runs" >/dev/null &&
  [ "$(cat "$T/fl/runs/floor/seconds")" = "gail.h5 7" ] && ok ||
  bad "the floor and its seconds did not come back: $(find "$T/fl" | sort)"
$PY - "$T/ev-full.h5" "$T/fl/runs/floor/ev-full.h5" <<'P' && ok || bad "the floor came back otherwise"
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
k = "eval_normalised_return"
sys.exit(0 if np.array_equal(a["series"][k]["value"][()], b["series"][k]["value"][()]) else 1)
P
$PY -c 'import sys, h5py
with h5py.File(sys.argv[1], "a") as f: f.attrs["status"] = "running"' "$R"
expect 1 "not ended" -- $PY plots/slim.py "$R" "$T/running.h5"
[ ! -e "$T/running.h5" ] && [ ! -e "$T/running.h5.tmp" ] && ok || bad "a running run was copied"

# --- archive and restore on stand-ins -------------------------------------
. "$HERE/study_standins.sh"
A=data/studies/cgail/st-main-gail
G=runs/st-main-gail
F=$G/st-main-gail-seed=1.h5

study main || bad "main: $(tail -5 "$T/log")"
set_failed "$F"
study archive || bad "archive: $(tail -5 "$T/log")"
[ "$(find data/studies/cgail -name '*.h5' | wc -l)" -eq 14 ] && ok ||
  bad "archive: $(find data/studies/cgail | sort)"
[ "$(status "$A/st-main-gail-seed=1.h5")" = failed ] && ok || bad "the failure was not archived"
cp -p "$A/st-main-gail-seed=0.h5" "$T/a0.h5"

# a new machine: runs/ is gone; main restores and runs nothing again
rm -rf runs
study main || bad "main after the move: $(tail -5 "$T/log")"
grep -q "2 run(s) restored from $A" "$T/log" && ok || bad "nothing restored: $(cat "$T/log")"
cmp -s "$T/a0.h5" "$G/st-main-gail-seed=0.h5" && ok || bad "a restored run was run again"
[ "$(status "$F")" = failed ] && ok || bad "the restored failure: $(status "$F")"
"$GV" sweep --status configs/studies/cgail/main-gail.yaml 2>&1 | grep -q "1 completed, 0 diverged, 1 failed" &&
  ok || bad "the sweep does not count the restored runs: $("$GV" sweep --status configs/studies/cgail/main-gail.yaml 2>&1)"

# a retry stopped after it moved the failure aside, before the re-run made
# a file, and no archive since: restore must not put the failure back at
# the top, where the retry would take it for a failed re-run
mkdir "$G/failed-once" && mv "$F" "$G/failed-once/"
study restore || bad "restore mid-retry: $(tail -5 "$T/log")"
[ ! -e "$F" ] && ok || bad "restore put a first failure moved aside back at the top"
mv "$G/failed-once/st-main-gail-seed=1.h5" "$F" && rmdir "$G/failed-once"

# a retry whose re-run is stopped, archived, and the machine goes again
GV_TEST_TERM_AT_STEP=10 study retry || bad "stopped retry: $(tail -5 "$T/log")"
[ "$(status "$F")" != completed ] && [ -e "$G/failed-once/st-main-gail-seed=1.h5" ] && ok ||
  bad "the retry was not stopped part way: $(ls -a "$G" "$G/failed-once")"
study archive || bad "archive after the stopped retry: $(tail -5 "$T/log")"
[ ! -e "$A/st-main-gail-seed=1.h5" ] && [ "$(status "$A/failed-once/st-main-gail-seed=1.h5")" = failed ] &&
  [ ! -e "$A/failed-once/.done" ] && ok ||
  bad "the first failure is still at the top of the archive: $(find "$A" | sort)"
rm -rf runs
study restore || bad "restore: $(tail -5 "$T/log")"
[ ! -e "$F" ] && [ -e "$G/failed-once/st-main-gail-seed=1.h5" ] && ok ||
  bad "restored the first failure at the top: $(ls -a "$G" "$G/failed-once")"
study retry || bad "retry on the new machine: $(tail -5 "$T/log")"
[ "$(status "$F")" = completed ] && [ -e "$G/failed-once/.done" ] && ok ||
  bad "the re-run did not run once: $(status "$F" 2>&1); $(cat "$T/log")"
study archive || bad "last archive: $(tail -5 "$T/log")"
[ "$(status "$A/st-main-gail-seed=1.h5")" = completed ] && [ -e "$A/failed-once/.done" ] &&
  [ "$(status "$A/failed-once/st-main-gail-seed=1.h5")" = failed ] && ok ||
  bad "the re-run did not replace the failure at the top: $(find "$A" | sort)"
# and once more on a new machine: nothing is run again, the retry is done
rm -rf runs
study retry || bad "retry after the last move: $(tail -5 "$T/log")"
grep -q "main-gail.yaml: already retried once" "$T/log" && [ "$(status "$F")" = completed ] && ok ||
  bad "after the last move: $(cat "$T/log")"
testlib_end
