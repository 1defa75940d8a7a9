#!/bin/sh
# The repository stands alone: no tracked file may point a reader at material
# that is not in it (a developers' notes file, the developers' shared folder,
# or the tracker entry or brief a change was made for).  What a reader needs is
# written into docs/, with papers cited by title and arXiv number.
#
#   sh tests/experiments/standalone_test.sh [ROOT]     (default: .)
#
# Files: `git ls-files` when ROOT is a git checkout, else every file under
# ROOT; .git and build trees (build*/) are skipped, binary files too.  The
# patterns are written so that this script does not match itself (the
# bracketed letter), and a self-check first proves on planted files that
# each pattern is found, so the test cannot pass by reading nothing.
set -u
root=${1:-.}
cd "$root" || { echo "standalone_test: cannot enter $root"; exit 2; }

# Case-sensitive: the notes files by name (docs/design.md is the project's
# own and stays allowed), the shared folder, the notes' section references.
cs='\bREFERENCE[S]\b|\bDESIG[N]\.md\b|\bSTYL[E]\.md\b|(/work|\.\.)/share[d]\b'
# Case-insensitive: the tracker a change came from.
ci='\bth[e][[:space:]]+(issue|brief)\b|\bissu[e][[:space:]]+#?[0-9]|\bissue[s][[:space:]]+show\b'
# The same, across a line break inside a comment ("the\n * issue").
ml='\bth[e][[:space:]*#/-]*\n[[:space:]*#/-]*(issue|brief)\b'

list_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z | tr '\0' '\n'
  else
    find . -name .git -prune -o -name 'build*' -type d -prune -o -type f -print |
      sed 's|^\./||'
  fi | grep -v '^build[^/]*/' | grep -v '/build[^/]*/'
}

# Prints every offending place; returns 0 when there is none.
scan() {
  list_files >"$tmp/files"
  [ -s "$tmp/files" ] || { echo "standalone_test: no files listed under $(pwd)"; return 2; }
  : >"$tmp/hits"
  while IFS= read -r f; do
    [ -f "$f" ] || continue
    grep -I -n -E "$cs" -- "$f" 2>/dev/null | sed "s|^|$f:|" >>"$tmp/hits"
    grep -I -n -i -E "$ci" -- "$f" 2>/dev/null | sed "s|^|$f:|" >>"$tmp/hits"
    if grep -I -q -z -i -P "$ml" -- "$f" 2>/dev/null; then
      echo "$f: 'the' and 'issue'/'brief' across a line break" >>"$tmp/hits"
    fi
  done <"$tmp/files"
  [ ! -s "$tmp/hits" ]
}

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
here=$(pwd)

# Self-check: every kind of reference, planted in a scratch tree, is found,
# and a clean file and a build tree are not reported.
mkdir -p "$tmp/plant/docs" "$tmp/plant/build-x"
w1="REFERENCE""S"; w2="DESIG""N"; w3="share""d"; w4="issu""e"; w5="brie""f"
printf 'see %s section 4\n' "$w1" >"$tmp/plant/docs/a.md"
printf 'as in ../%s/%s.md\n' "$w3" "$w2" >"$tmp/plant/docs/b.md"
printf '/* /work/%s/notes */\n' "$w3" >"$tmp/plant/c.c"
printf '# The %s asks for this\n' "$w4" >"$tmp/plant/d.yaml"
printf '/* as the\n * %s allows */\n' "$w5" >"$tmp/plant/e.h"
printf 'see %s 12\n' "$w4" >"$tmp/plant/f.py"
printf 'clean: docs/design.md, references, an %s of style\n' "$w4" >"$tmp/plant/ok.md"
printf 'the %s\n' "$w4" >"$tmp/plant/build-x/ignored.md"
(cd "$tmp/plant" && scan) >/dev/null 2>&1
for f in docs/a.md docs/b.md c.c d.yaml e.h f.py; do
  grep -q "^$f:" "$tmp/hits" ||
    { echo "standalone_test: self-check: the reference planted in $f was not found"; exit 1; }
done
if grep -q "^ok.md:\|^build-x/" "$tmp/hits"; then
  echo "standalone_test: self-check: false positive:"; cat "$tmp/hits"; exit 1
fi

cd "$here" || exit 2
if scan; then
  echo "standalone_test: $(wc -l <"$tmp/files") files, no reference outside the repository"
  exit 0
fi
echo "standalone_test: these places refer to material that is not in the repository;"
echo "write what a reader needs into docs/ (papers by title and arXiv number):"
cat "$tmp/hits"
exit 1
