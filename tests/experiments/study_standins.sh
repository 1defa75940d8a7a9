# Shared by study_retry_test.sh and study_archive_test.sh, sourced after
# testlib.sh: a scratch copy of the C-GAIL study's layout in $T/w, its
# seven main configs replaced by tiny Dirac-GAN stand-ins (two seeds each),
# with scripts/study-cgail and the plots/ tools it calls; the shell is left
# in $T/w.  Defines study (runs scripts/study-cgail ARGS, output in
# $T/log), status FILE (a run file's status) and set_failed FILE (the run
# failed, and its /log says why).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$T/w
CFGS="main-gail main-gail-entropy main-gail-demos11 main-dac-hopper main-dac-halfcheetah
main-dac-walker2d main-dac-hopper-demos11"
mkdir -p "$W/configs/studies/cgail" "$W/scripts" "$W/plots"
cp "$ROOT/scripts/study-cgail" "$W/scripts/"
cp "$ROOT/plots/slim.py" "$ROOT/plots/archive.py" "$ROOT/plots/runfile.py" "$W/plots/"
for c in $CFGS; do
  printf 'name: st-%s\ngame: {kind: dirac, loss: standard}\nscheme: {kind: altgd, h: 0.2, steps: 50}\nseed: [0, 1]\n' \
    "$c" >"$W/configs/studies/cgail/$c.yaml"
done
cd "$W" || exit 1
export GOVERNOR="$GV"
study() { sh scripts/study-cgail "$@" >"$T/log" 2>&1; }
status() { $PY -c 'import sys, h5py
with h5py.File(sys.argv[1], "r") as f: print(f.attrs["status"])' "$1"; }
set_failed() { $PY -c 'import sys, h5py
with h5py.File(sys.argv[1], "a") as f:
    f.attrs["status"] = "failed"
    if "log" in f: del f["log"]
    f["log"] = ["payload save failed: disk full"]' "$1"; }
