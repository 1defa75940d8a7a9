#!/usr/bin/python3
"""One page for a whole study: the verdict on each claim in each block, and
each block's report (docs/report.md, "A study's page").

    /usr/bin/python3 plots/study.py --out DIR [--arm cgail] [--baseline gail]
        [--control control] --block NAME RUN.h5... [--block NAME RUN.h5...]
        [--noise NAME FROZEN.h5...] [--expect NAME RUNS] [--converge NAME LEVEL]
        [--failed-once NAME FIRST.h5...] [--preface TEXT] [--reps N] [--seed S]
        [--threshold X] [--title TEXT]

A block is a set of runs compared together (the C-GAIL protocol's Part A
tasks, its entropy block, ...).  For each block the page runs
plots/report.py four times, into DIR/NAME-tail, NAME-auc,
NAME-tail-vs-CONTROL and NAME-auc-vs-CONTROL, and embeds the first.  Its
own table gives, per claim and block, the probability of improvement with
its 95% interval and the protocol's verdict (rlstats.verdict) for the arm
against the baseline, the control against the baseline and the arm against
the control:

| claim | per-run score | better is |
|---|---|---|
| C1 speed | the mean of the evaluation curve (`auc`) | higher |
| C2 oscillation | the range of the last quarter of the curve | lower |
| C3 distribution | the last-quarter mean of `swd_states` | lower |
| C4 no cost | the mean of the last quarter of the curve (`tail`) | higher |

and the arm-specific reading: *supported* only where the arm beats both the
baseline and the control.  --expect NAME RUNS: the runs the block's
protocol holds; while fewer have finished (completed, diverged or failed)
the page opens with a warning that its verdicts are not the protocol's.
--converge NAME LEVEL: a task of the block where the baseline's IQM of tail
scores is below LEVEL is "inconclusive: the baseline did not converge",
and the block's claims are decided on its other tasks (a table "C4 on the
tasks decided on" gives each arm's IQM of tail scores over those).  A C2
or C3 cell whose two arms diverged in every run on those tasks says so
(they tie as the worst).  --failed-once
NAME FIRST.h5...: the first failures of the block's runs that the
protocol's one re-run ran again (kept aside by scripts/study-cgail retry):
the page lists each with why it failed and how its re-run ended, and warns
while a failed run of the block has not had its re-run.  The page also
warns when a block's runs ran under more than one OpenBLAS kernel
(`blas_core`; "unknown" for files from before the pin).  --preface: a
paragraph at the top (a sensitivity page says so there).  Writes
DIR/study.md and DIR/study.html (one self-contained page).  Exit 0, 2 on
bad input.
"""

import argparse
import collections
import hashlib
import html
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402
import rlstats  # noqa: E402
import runfile  # noqa: E402

CLAIMS = [("C1 speed", "auc", "score", False, "area under the evaluation curve, higher"),
          ("C2 oscillation", "tail", "osc", True, "range of the last quarter, lower"),
          ("C3 distribution", "tail", "swd", True, "state distance to the expert's, lower"),
          ("C4 no cost", "tail", "score", False, "tail normalised return, higher")]
NAME = re.compile(r"^[A-Za-z0-9_.-]+$")  # block and arm names: they name folders
ENDED = report.SCORED + ("failed",)  # a run that will not change any more
# what the page says of one block: its tasks and arms, how many runs (and
# of each status), the scored runs per arm and task (fewest, most), the
# tasks left out of its claims (task -> the baseline's IQM, None: no scored
# run), the runs that have ended, and the failed runs still owed their one
# re-run or with their re-run under way, and, where tasks were left out,
# the arms' tail IQM over the tasks left in ({arm: (iqm, lo, hi) or None})
Block = collections.namedtuple("Block", "tasks arms runs by_status scored inconclusive "
                               "finished unretried rerunning decided_iqm")
WORD = {"better": "supported", "worse": "contradicted", "undecided": "undecided"}


def cell(p, why):
    """'P [lo, hi]: verdict' for the claims table, the verdict word, and the
    seeds per arm an undecided verdict says would decide it (None if none)."""
    if p is None:
        return "n/a (an arm has no value on a task)", None, None
    word = why.split(":", 1)[0]
    tail, seeds = "", None
    m = re.search(r"about (\d+) seeds", why)
    r = re.search(r"(rules out [^;]*)", why)
    if word == "undecided" and "no estimate" in why:
        tail = " (no estimate)"
    elif word == "undecided":
        tail = " (%s%s)" % (r.group(1) + "; " if r else "",
                            "about %s seeds per arm to decide" % m.group(1) if m
                            else "0.5 itself")
        seeds = int(m.group(1)) if m else None
    return "%s: %s%s" % (report.fmt_ci(p), WORD.get(word, word), tail), word, seeds


def block_claims(runs, arm, base, control, threshold, reps, seed, converge=None):
    """{claim: {(x, y): (cell text, verdict word, seeds to decide or None)}}
    for one block, its tasks, its arms, the fewest and most scored runs of an arm on a task, and the
    tasks left out as inconclusive ({task: the baseline's tail IQM}) where
    the baseline's IQM of tail scores is below `converge`, and, when tasks
    were left out, each arm's (IQM, low, high) of tail scores over the
    tasks decided on ({arm: interval or None})."""
    scored = {}
    for metric in ("tail", "auc"):
        s = [report.Scored(r, metric, threshold) for r in runs]
        report.strip_common_prefix(s)
        scored[metric] = s
    tasks = sorted({s.task for s in scored["tail"]})
    arms = {s.arm for s in scored["tail"]}
    n = [sum(1 for s in scored["tail"] if s.task == t and s.arm == x and s.score is not None)
         for t in tasks for x in sorted(arms)]
    inconclusive = {}
    if converge is not None:
        for t in tasks:
            b = [s.score for s in scored["tail"] if s.task == t and s.arm == base and
                 s.score is not None]
            if not b:
                inconclusive[t] = None  # not known yet: no scored baseline run
                continue
            m = rlstats.iqm(b)
            if m < converge:
                inconclusive[t] = m
    decided = [t for t in tasks if t not in inconclusive]
    # C4's IQM per arm over the tasks the claims are decided on (the block
    # reports' 'all tasks' rows pool the left-out tasks too)
    decided_iqm = {}
    if inconclusive and decided:
        for x in sorted(arms):
            per = [[s.score for s in scored["tail"] if s.task == t and s.arm == x and
                    s.score is not None] for t in decided]
            decided_iqm[x] = rlstats.interval(per, "iqm", reps=reps, seed=seed) \
                if all(per) else None
    out = {}
    for name, metric, attr, lower, _ in CLAIMS:
        row = {}
        for x, y in ((arm, base), (control, base), (arm, control)):
            if x not in arms or y not in arms:
                row[(x, y)] = ("n/a (no arm %s)" % (x if x not in arms else y), None, None)
                continue
            if not decided:
                row[(x, y)] = ("inconclusive: the baseline did not converge on any task",
                               None, None)
                continue
            p, _, why = report.compare(scored[metric], decided, x, y, attr, lower, reps, seed)
            text, word, seeds = cell(p, why)
            # a range or distance of a diverged run is the worst value: where
            # every run of both arms on the tasks decided on diverged (none
            # still running, failed or otherwise unscored), P is exactly 0.5
            # by that tie
            runs_xy = [s for s in scored[metric] if s.task in decided and s.arm in (x, y)]
            if lower and p is not None and runs_xy and \
                    all(s.status == "diverged" for s in runs_xy):
                text += "; every run of both arms diverged, so they tie as the worst"
            row[(x, y)] = (text, word, seeds)
        out[name] = row
    return out, tasks, arms, (min(n), max(n)), inconclusive, decided_iqm


def specific(row, arm, base, control):
    """The arm-specific reading: supported only where the arm beats both."""
    a, b = row[(arm, base)][1], row[(arm, control)][1]
    if a is None or b is None:
        return "n/a"
    if a == "better" and b == "better":
        return "supported"
    if a == "worse":
        return "contradicted (worse than %s)" % base
    if a == "better":
        return "not specific: %s is %s against %s" % (arm, WORD[b], control)
    return "undecided"


def in_sum(claims, names, arm, base, control):
    """Rows of the page's summary, one per claim: the blocks where the arm's
    comparison with the baseline is supported, contradicted and undecided
    (each undecided block with the seeds per arm its cell gives to decide
    it), those with no verdict (a cell with none: an arm missing, every task
    inconclusive), and the blocks where the arm-specific reading is
    supported.  It reads the claims table's cells; it decides nothing."""
    rows = []
    for cname, _, _, _, _ in CLAIMS:
        by = {"better": [], "worse": [], "undecided": [], None: []}
        spec = []
        for n in names:
            row = claims[n][cname]
            _, word, seeds = row[(arm, base)]
            if word == "undecided":
                by[word].append("%s (%s)" % (n, "about %d seeds" % seeds if seeds else
                                             "no count"))
            else:
                by[word if word in by else None].append(n)
            if specific(row, arm, base, control) == "supported":
                spec.append(n)
        cells = [", ".join(by[w]) or "none" for w in ("better", "worse", "undecided")]
        if by[None]:
            cells[2] += "; no verdict: " + ", ".join(by[None])
        rows.append([cname] + cells + [", ".join(spec) or "none"])
    return rows


def body_of(page):
    """The report page's body without its title."""
    m = re.search(r"<body><h1>.*?</h1>(.*)</body>", page, re.S)
    return m.group(1) if m else ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--arm", default="cgail")
    ap.add_argument("--baseline", default="gail")
    ap.add_argument("--control", default="control")
    ap.add_argument("--block", nargs="+", action="append", default=[],
                    metavar=("NAME", "RUN.h5"))
    ap.add_argument("--noise", nargs="+", action="append", default=[],
                    metavar=("NAME", "FROZEN.h5"))
    ap.add_argument("--failed-once", nargs="+", action="append", default=[],
                    metavar=("NAME", "FIRST.h5"))
    ap.add_argument("--expect", nargs=2, action="append", default=[],
                    metavar=("NAME", "RUNS"))
    ap.add_argument("--converge", nargs=2, action="append", default=[],
                    metavar=("NAME", "LEVEL"))
    ap.add_argument("--preface", default=None)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--reps", type=int, default=rlstats.REPS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--title", default=None)
    try:
        a = ap.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    blocks = [(b[0], b[1:]) for b in a.block]
    names = [n for n, _ in blocks]
    if not blocks or any(not files for _, files in blocks):
        sys.stderr.write("study: give at least one --block NAME RUN.h5...\n")
        return 2
    if len(set(names)) != len(names) or any(not NAME.match(n) for n in names):
        sys.stderr.write("study: block names must be distinct words of letters, digits, "
                         "'.', '_', '-' (got %s)\n" % ", ".join(names))
        return 2
    noise, once = {}, {}
    for opt, into in (("--noise", noise), ("--failed-once", once)):
        for n in getattr(a, opt[2:].replace("-", "_")):
            if n[0] not in names:
                sys.stderr.write("study: %s %s: no such block (blocks: %s)\n"
                                 % (opt, n[0], ", ".join(names)))
                return 2
            into.setdefault(n[0], []).extend(n[1:])
    expect, converge = {}, {}
    for opt, into, kind in (("--expect", expect, int), ("--converge", converge, float)):
        for name, val in getattr(a, opt[2:]):
            try:
                v = kind(val)
            except ValueError:
                v = None
            if name not in names or v is None or not math.isfinite(v) or v < 0:
                sys.stderr.write("study: %s %s %s: needs one of the blocks (%s) and a number "
                                 ">= 0\n" % (opt, name, val, ", ".join(names)))
                return 2
            into[name] = v
    why = report.option_error(a)
    for opt, arm in (("--arm", a.arm), ("--baseline", a.baseline), ("--control", a.control)):
        # the arms name the block reports' folders
        if not why and not NAME.match(arm):
            why = "%s %s: allowed letters, digits, '.', '_', '-'" % (opt, arm)
    if why:
        sys.stderr.write("study: %s\n" % why)
        return 2

    # every block is read and checked before anything is written: a refusal
    # (exit 2) leaves the output folder as it was
    claims, info, hashes, retried, kernels, loaded = {}, {}, {}, {}, {}, {}
    for name, files in blocks:
        try:
            runs = runfile.load_all(files)
            frozen = runfile.load_all(noise.get(name, []))
            firsts = runfile.load_all(once.get(name, []))
        except runfile.BadInput as exc:
            sys.stderr.write("study: %s\n" % exc)
            return 2
        why = report.inputs_error(runs, frozen)
        if why:
            sys.stderr.write("study: block %s: %s\n" % (name, why))
            return 2
        loaded[name] = (runs, frozen)
        claims[name], tasks, arms, nscored, inconcl, dec_iqm = block_claims(
            runs, a.arm, a.baseline, a.control, a.threshold, a.reps, a.seed,
            converge.get(name))
        status = [r.status for r in runs]
        finished = sum(st in ENDED for st in status)
        # every claim compares these three: a name mistyped would fill the
        # page with n/a cells that look like a study.  A block still being
        # made (--expect) may not have reached an arm yet: its page says so
        unfinished = name in expect and finished < expect[name]
        for opt, want in (("--baseline", a.baseline), ("--arm", a.arm), ("--control", a.control)):
            if want not in arms and (opt == "--baseline" or not unfinished):
                sys.stderr.write("study: %s %s: block %s has no such arm (arms: %s)\n"
                                 % (opt, want, name, ", ".join(sorted(arms))))
                return 2
        # the protocol's one re-run: a failed run whose first failure is
        # not kept aside has not had it yet
        now = {os.path.basename(r.path): r.status for r in runs}
        aside = {os.path.basename(r.path) for r in firsts}
        unretried = sorted(b for b, st in now.items() if st == "failed" and b not in aside)
        rerunning = sorted(b for b in aside
                           if now.get(b) not in ENDED)
        retried[name] = [[b, report.run_note(r) or "(no reason in its /log)",
                          now.get(b, "not run again yet")]
                         for b, r in sorted((os.path.basename(r.path), r) for r in firsts)]
        info[name] = Block(tasks, sorted(arms), len(runs),
                           {k: status.count(k) for k in sorted(set(status))}, nscored,
                           inconcl, finished, unretried, rerunning, dec_iqm)
        for r in runs:
            hashes[hashlib.sha256((r.config or "").encode()).hexdigest()[:12]] = \
                r.text("git_commit") or "?"
        # the OpenBLAS kernel each run (and frozen policy) ran under
        kernels[name] = sorted({r.text("blas_core") or "unknown" for r in runs + frozen})

    why = report.make_out(a.out)
    if why:
        sys.stderr.write("study: %s\n" % why)
        return 2
    for name, files in blocks:
        runs, frozen = loaded[name]
        arms = info[name].arms
        for base in (a.baseline, a.control):
            if base not in arms:
                continue
            for metric in ("tail", "auc"):
                sub = os.path.join(a.out, "%s-%s%s" % (name, metric, "" if base == a.baseline
                                                       else "-vs-" + base))
                args = files + ["--out", sub, "--baseline", base, "--metric", metric,
                                "--threshold", repr(a.threshold), "--reps", str(a.reps),
                                "--seed", str(a.seed), "--title",
                                "%s: %s, against %s" % (name, metric, base)]
                if noise.get(name):
                    args += ["--noise"] + noise[name]
                rc = report.main(args, loaded=(runs, frozen))
                if rc:
                    return rc

    # the claims table
    head = ["claim", "block", "%s vs %s" % (a.arm, a.baseline),
            "%s vs %s" % (a.control, a.baseline), "%s vs %s" % (a.arm, a.control),
            "%s-specific" % a.arm]
    rows = []
    for cname, _, _, _, what in CLAIMS:
        for name, _ in blocks:
            row = claims[name][cname]
            rows.append(["%s (%s)" % (cname, what), name] +
                        [row[k][0] for k in ((a.arm, a.baseline), (a.control, a.baseline),
                                             (a.arm, a.control))] +
                        [specific(row, a.arm, a.baseline, a.control)])
    legend = ("Each cell: the probability that a run of the first arm is better than one of "
              "the second (higher score, or lower range and distance), averaged over the "
              "block's tasks, with its 95%% stratified-bootstrap interval (%d replicates, seed "
              "%d). Supported: the interval lies above 0.5; contradicted: below; undecided: it "
              "holds 0.5, with the seeds per arm that would shrink it enough to decide at the "
              "estimate seen. %s-specific: supported only where %s beats both %s and %s. An "
              "undecided claim is not evidence of no effect." %
              (a.reps, a.seed, a.arm, a.arm, a.baseline, a.control))
    # the claims table in sum: which blocks decided what, claim by claim
    sum_head = ["claim", "%s vs %s: supported in" % (a.arm, a.baseline), "contradicted in",
                "undecided in (seeds per arm to decide)", "%s-specific: supported in" % a.arm]
    sum_rows = in_sum(claims, names, a.arm, a.baseline, a.control)
    sum_note = ("The claims table above, block by block: where the 95%% interval of P(%s "
                "better than %s) lies above 0.5, below it, or holds it (with the seeds per arm "
                "and task its cell says would decide it at the estimate seen), and where the "
                "%s-specific reading is supported. It counts the verdicts of every block on "
                "this page, with no correction for multiple comparisons; the notes at the top "
                "of the page apply to it." % (a.arm, a.baseline, a.arm))
    # a block stopped part way shows here: its arms and tasks hold unequal
    # numbers of scored runs (seeds), fewer than its protocol's
    blk_head = ["block", "tasks", "arms", "runs", "by status", "scored per arm and task",
                "inconclusive tasks"]
    blk_rows = [[n, ", ".join(info[n].tasks), ", ".join(info[n].arms),
                 "%d of %d" % (info[n].runs, expect[n]) if n in expect else info[n].runs,
                 ", ".join("%s %d" % kv for kv in info[n].by_status.items()),
                 "%d" % info[n].scored[0] if info[n].scored[0] == info[n].scored[1]
                 else "%d to %d" % info[n].scored,
                 ", ".join("%s (%s IQM %.2f < %g)" % (t, a.baseline, v, converge[n])
                           if v is not None else "%s (unknown: no scored %s run)" %
                           (t, a.baseline) for t, v in sorted(info[n].inconclusive.items())) or
                 ("none" if n in converge else "n/a")] for n, _ in blocks]
    # what the reader must know before the claims: blocks not finished,
    # tasks left out, and the page's own standing
    warn = []
    for n, _ in blocks:
        if n in expect and info[n].finished < expect[n]:
            warn.append("Block %s is unfinished: %d of its %d runs have finished. Its verdicts "
                        "are not the protocol's; they check the machinery only." %
                        (n, info[n].finished, expect[n]))
        if info[n].unretried:
            warn.append("Block %s: %d failed run%s not had the protocol's one re-run yet "
                        "(scripts/study-cgail retry): %s. Its verdicts are not final." %
                        (n, len(info[n].unretried),
                         "s have" if len(info[n].unretried) > 1 else " has",
                         ", ".join(info[n].unretried)))
        if info[n].rerunning:
            warn.append("Block %s: the protocol's one re-run of %d failed run%s has not "
                        "finished yet (scripts/study-cgail retry goes on with it): %s. Its "
                        "verdicts are not final." % (n, len(info[n].rerunning), "s" if
                                                     len(info[n].rerunning) > 1 else "",
                                                     ", ".join(info[n].rerunning)))
        if len(kernels[n]) > 1:
            warn.append("Block %s: its runs ran under %d OpenBLAS kernels (%s), whose series "
                        "differ from one another for one config and seed (docs/resume.md): "
                        "the block is not one machine's study; see each run's kernel in the "
                        "block reports' provenance tables." %
                        (n, len(kernels[n]), ", ".join(kernels[n])))
        if info[n].inconclusive:
            warn.append("Block %s: %s left out of its claims (inconclusive: the baseline did not "
                        "converge, its IQM of tail scores below %g, or has no scored run yet); "
                        "the claims are decided on its other tasks. The block's own reports "
                        "below still show the left-out task's rows with their verdict words, "
                        "and pool every task in their 'all tasks' rows: neither is the "
                        "study's verdict." %
                        (n, ", ".join(sorted(info[n].inconclusive)), converge[n]))
    if a.preface:
        warn.insert(0, a.preface)
    cmd = "/usr/bin/python3 plots/study.py " + " ".join(sys.argv[1:] if argv is None else argv)
    hash_rows = [[h, c] for h, c in sorted(hashes.items())]
    title = a.title or "Study: %s against %s and %s" % (a.arm, a.baseline, a.control)

    # C4's IQM per arm where a block's claims leave tasks out
    dec_arms = [a.baseline, a.arm, a.control]
    dec_head = ["block", "tasks decided on"] + dec_arms
    dec_rows = [[n, ", ".join(t for t in info[n].tasks if t not in info[n].inconclusive)] +
                [report.fmt_ci(info[n].decided_iqm[x]) if info[n].decided_iqm.get(x)
                 else "n/a" for x in dec_arms]
                for n, _ in blocks if info[n].decided_iqm]
    dec_note = ("C4's interquartile mean of tail normalised return per arm over the tasks "
                "the claims are decided on (95% stratified-bootstrap interval, the claims' "
                "replicates and seed), for the blocks with tasks left out as inconclusive.")
    dec_md = ["## C4 on the tasks decided on\n", report.md_table(dec_head, dec_rows), "",
              dec_note, ""] if dec_rows else []
    dec_html = ["<h2>C4 on the tasks decided on</h2>", report.html_table(dec_head, dec_rows),
                "<p>%s</p>" % html.escape(dec_note)] if dec_rows else []

    md = ["# %s\n" % title] + ["> %s\n" % w for w in warn] + [
          "## Claims\n", report.md_table(head, rows), "", legend, "",
          "## In sum\n", report.md_table(sum_head, sum_rows), "", sum_note, ""] + dec_md + [
          "## Blocks\n", report.md_table(blk_head, blk_rows), ""]
    for name, _ in blocks:
        md.append("- %s: [%s-tail](%s-tail/report.md), [%s-auc](%s-auc/report.md), "
                  "[against %s](%s-tail-vs-%s/report.md)" % (name, name, name, name, name,
                                                            a.control, name, a.control))
    re_head = ["block", "run", "its first failure", "its re-run"]
    re_rows = [[n] + r for n, _ in blocks for r in retried[n]]
    re_note = ("Runs that failed and were run once more, as the protocol says (their first "
               "files are kept in failed-once/ next to the runs): %s." %
               ("none" if not re_rows else "%d" % len(re_rows)))
    md += ["", "## Failed and re-run\n", re_note, ""] + \
        ([report.md_table(re_head, re_rows), ""] if re_rows else [])
    md += ["", "## How this was made\n", "```sh\n%s\n```\n" % cmd,
           report.md_table(["config sha256", "commit"], hash_rows)]
    with open(os.path.join(a.out, "study.md"), "w") as f:
        f.write("\n".join(md) + "\n")

    body = ['<p class="warn"><b>%s</b></p>' % html.escape(w) for w in warn] + [
            "<h2>Claims</h2>", report.html_table(head, rows),
            "<p>%s</p>" % html.escape(legend), "<h2>In sum</h2>",
            report.html_table(sum_head, sum_rows),
            "<p>%s</p>" % html.escape(sum_note)] + dec_html + ["<h2>Blocks</h2>",
            report.html_table(blk_head, blk_rows)]
    for name, _ in blocks:
        sub = os.path.join(a.out, name + "-tail", "report.html")
        if not os.path.exists(sub):
            continue
        with open(sub) as f:
            page = f.read()
        others = " ".join('<a href="%s/report.html">%s</a>' % (html.escape(d), html.escape(d))
                          for d in ("%s-auc" % name, "%s-tail-vs-%s" % (name, a.control),
                                    "%s-auc-vs-%s" % (name, a.control))
                          if os.path.exists(os.path.join(a.out, d, "report.html")))
        body.append("<details><summary><b>Block %s</b>: its report (tail metric, against "
                    "%s)</summary><p>The other reports of this block (files next to this "
                    "page): %s</p>%s</details>" % (html.escape(name), html.escape(a.baseline),
                                                   others or "none", body_of(page)))
    body += ["<h2>Failed and re-run</h2>", "<p>%s</p>" % html.escape(re_note)] + \
        ([report.html_table(re_head, re_rows)] if re_rows else [])
    body += ["<h2>How this was made</h2>", "<pre>%s</pre>" % html.escape(cmd),
             report.html_table(["config sha256", "commit"], hash_rows)]
    with open(os.path.join(a.out, "study.html"), "w") as f:
        f.write(report.PAGE % {"title": html.escape(title), "body": "\n".join(body)})
    print("wrote %s/study.md, study.html and %d block reports" % (a.out, 4 * len(blocks)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
