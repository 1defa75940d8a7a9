#!/usr/bin/python3
"""Loads governor run files (HDF5, docs/hdf5-schema.md) into numpy-friendly
structures, and into one tidy pandas DataFrame when pandas is installed.

    import runfile                       # with plots/ on sys.path
    run = runfile.load("runs/compare/compare-r1.h5")
    run.attrs, run.config, run.series["distance"].step, run.arrays, run.summary
    run.group, run.seed, run.axes, run.diverged, run.has_policy
    runs = runfile.load_all(paths)
    for group, members in runfile.group_runs(runs): ...
    table = runfile.frame(runs)          # DataFrame, or a dict of numpy columns

Every plot script in plots/ reads run files through this module.

Grouping.  A sweep records, per run, the root attributes `group` (the run name
without its seed part) and `axes` (`key=value` pairs joined by `;`, keys as
dotted config paths, e.g. `controllers.0.rho1=0.001;scheme.h=0.1`); a plain run
has group = its name and axes = "".  Files written before those attributes
existed are grouped by their name: a `-seedN` (or `-seed=N`) part anywhere in
the name is the seed axis, removed from the group; `-KEY=VALUE` parts are axes
(keyed by the last part of the config path only).  The older glued form
(`rho10.001`) cannot be split into key and value: such a name is its own group
with no axes.  The seed is the root attribute `seed` (the master seed).

A file is read whole in a child process before it is loaded (probe_all): one
that crashes or hangs libhdf5 is a BadInput ("damaged: ..."), not a dead
reader.

Runs marked diverged (root attribute `status` = "diverged") carry
`diverged_step` (/summary `diverged_step`, else their last logged step).

    /usr/bin/python3 plots/runfile.py RUN.h5...   # prints what it loaded
"""

import collections
import importlib.util
import math
import os
import re
import sys
import time

import numpy as np

# Read without HDF5's file lock, as governor does (core/h5.h,
# gv_h5_fapl_nolock): a plot or report open on a run file must never make a
# governor process's open of that file fail.
os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")

try:
    import h5py
except ImportError as exc:  # the wrong interpreter is the usual cause
    sys.stderr.write("runfile: %s (run with /usr/bin/python3, Debian's python3-h5py)\n" % exc)
    sys.exit(2)


# ------------------------------------------------------------------ probe

# A damaged file can crash or hang libhdf5 itself (1.10.8: a global heap
# overwritten with 0xff makes reading a variable-length string attribute
# segfault or spin for ever), and h5py with it: no exception, no exit 2.  So
# a file is first read whole in a child process, as governor does
# (core/h5.h, gv_h5_probe_file), with the same limits: PROBE_SECONDS of the
# child's CPU time per file (a spin: damaged), ten times that in wall time
# without progress (blocked or stopped: not read, try again).
PROBE_SECONDS = 60.0
MAX_BYTES = 1 << 30  # datasets larger than this are not read (core/h5.c)


class Refused(Exception):
    """What the probe's child refuses outright (a link to another file)."""


def _probe_seconds():
    try:
        v = float(os.environ.get("GV_READ_TIMEOUT", ""))
    except ValueError:
        return PROBE_SECONDS
    return v if 0 < v <= 86400 else PROBE_SECONDS


def read_all(path):
    """Every attribute and dataset of the file read once (what the probe's
    child does), each on its own: h5py's exception on one does not end the
    reading of the others.  A link to another file raises Refused (the
    child does not follow it; the loader would)."""
    def each(fn, *a):
        try:
            fn(*a)
        except Exception:
            pass

    def attrs(obj):
        for k in list(obj.attrs.keys()):
            each(obj.attrs.__getitem__, k)

    def data(d):
        if (d.size or 0) * d.dtype.itemsize <= MAX_BYTES:  # size None: an empty space
            d[()]

    def visit(name, obj):
        each(attrs, obj)
        if isinstance(obj, h5py.Group):
            links(obj, name + "/")
        elif isinstance(obj, h5py.Dataset):
            each(data, obj)

    def links(g, prefix):
        try:
            keys = list(g.keys())
        except Exception:
            return
        for k in keys:
            try:
                link = g.get(k, getlink=True)
            except Exception:
                continue
            if not isinstance(link, (h5py.HardLink, h5py.SoftLink)):
                raise Refused("/%s%s: a link to another file (allowed: none; governor's "
                              "files hold their data themselves)" % (prefix, k))

    with h5py.File(path, "r") as f:
        attrs(f)
        links(f, "")
        names = []
        f.visit(names.append)  # hard links only
        for name in names:
            try:
                obj = f[name]
            except Exception:
                continue
            visit(name, obj)


def _cpu_seconds(pid):
    """The CPU time a child process has spent (Linux /proc), None if unknown."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _child(paths, read):
    """read(p) for each path in order in one child process, which answers a
    line after each (empty: read; else why it refuses the file): (answers,
    None) when it answered them all, else (answers, what happened to it at
    the next one: (kind, message), kind "damaged" or "not read")."""
    import select
    import signal
    try:
        import ctypes
        prctl = ctypes.CDLL(None).prctl
    except (ImportError, OSError, AttributeError):
        prctl = None
    try:
        r, w = os.pipe()
    except OSError:
        return [""] * len(paths), None
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return [""] * len(paths), None
    if pid == 0:  # dies with its parent, leaves Ctrl-C to it, says nothing
        code = 0
        try:
            try:
                if prctl:
                    prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
                import resource
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            except (OSError, ValueError, ImportError):
                pass
            if os.getppid() != parent:
                os._exit(0)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            os.close(r)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)  # glibc's "munmap_chunk(): invalid pointer" and the like
            for p in paths:
                why = ""
                try:
                    read(p)
                except Refused as exc:
                    why = str(exc)
                except Exception:
                    pass
                os.write(w, why.replace("\n", " ").encode("utf-8", "replace") + b"\n")
        except BaseException:
            code = 1
        os._exit(code)
    os.close(w)
    limit = _probe_seconds()
    answers, fate, buf = [], None, b""
    poller = select.poll()
    poller.register(r, select.POLLIN)
    try:
        cpu0, t0 = _cpu_seconds(pid) or 0.0, time.monotonic()  # at the last answer
        while len(answers) < len(paths):
            if poller.poll(100):
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    answers.append(line.decode("utf-8", "replace"))
                    cpu0, t0 = _cpu_seconds(pid) or 0.0, time.monotonic()
                continue
            cpu = _cpu_seconds(pid)
            if cpu is not None and cpu - cpu0 >= limit:
                fate = ("damaged", "damaged: the HDF5 library was still reading it after %g s "
                        "of CPU time (GV_READ_TIMEOUT=SECONDS sets another limit)" % limit)
                break
            if time.monotonic() - t0 >= 10 * limit:
                fate = ("not read", "not read: the HDF5 library read it for %g s without "
                        "finishing (a slow file system, or a stopped process); try again"
                        % (10 * limit))
                break
    finally:  # whatever stops the wait (a KeyboardInterrupt too): no child left
        os.close(r)
        if len(answers) < len(paths):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            _, ws = os.waitpid(pid, 0)
        except ChildProcessError:  # SIGCHLD ignored: reaped already
            ws = 0
    if len(answers) >= len(paths) or fate:
        return answers, fate
    if os.WIFSIGNALED(ws) and os.WTERMSIG(ws) == signal.SIGKILL:  # the OOM killer
        return answers, ("not read", "not read: the process reading it was killed (%s); "
                         "try again" % signal.strsignal(signal.SIGKILL))
    if os.WIFSIGNALED(ws):
        return answers, ("damaged", "damaged: the HDF5 library crashed reading it (%s)"
                         % signal.strsignal(os.WTERMSIG(ws)))
    return answers, ("damaged", "damaged: the HDF5 library crashed reading it (exit status "
                     "%d)" % os.WEXITSTATUS(ws))


def probe_all(paths, read=read_all):
    """For each path, None when read(path) ended in a child process (with or
    without an exception: the caller reads again and reports those itself),
    else why not: "damaged: ..." (the child died mid-read or spun past the
    limit), "/NAME: a link to another file ..." or "not read: ..." (no
    answer in ten times the limit, or the child killed by SIGKILL from
    outside).  One child reads them all, a fork per file being slow; a file
    it dies on is read again alone (what an earlier file did to the library
    is not blamed on it).  None too when no child can be started.  A file
    found readable before, unchanged since (device, inode, size,
    modification time), is not read again."""
    cache = read is read_all
    idents = [_ident(p) if cache else None for p in paths]
    todo = [k for k, d in enumerate(idents) if d is None or d not in _OK]
    out = [None] * len(paths)
    for k, why in zip(todo, _probe_batch([paths[k] for k in todo], read)):
        out[k] = why
        if why is None and idents[k] is not None:
            _OK.add(idents[k])
    return out


def _probe_batch(paths, read):
    """probe_all without the memory of files read before."""
    out = [None] * len(paths)
    i = 0
    while i < len(paths):
        answers, fate = _child(paths[i:], read)
        for k, why in enumerate(answers):
            out[i + k] = why or None
        i += len(answers)
        if fate is None:
            break
        if answers:
            answers, fate = _child(paths[i:i + 1], read)
            if answers:
                out[i] = answers[0] or None
                fate = None
        if fate:
            out[i] = fate[1]
        i += 1
    return out


def _ident(path):
    """What says a file is unchanged: device, inode, size, modification time."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


_OK = set()  # the _ident of each file probe_all found readable


def probe(path, read=read_all):
    """probe_all of one path."""
    return probe_all([path], read)[0]


class BadInput(Exception):
    """A path that is not a readable governor run file."""


Series = collections.namedtuple("Series", "step value")

# the statuses a run file may hold (core/runfile.c, known_status)
STATUSES = ("running", "completed", "diverged", "failed", "interrupted", "preempted")


def as_str(value):
    """An HDF5 string (attribute or scalar dataset) as str: h5py gives str,
    bytes, np.bytes_ or a 1-element array of either depending on the writer."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return " ".join(as_str(v) for v in value.ravel())
        value = value.ravel()[0]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace").rstrip("\x00")
    return str(value)


def as_float(value):
    """A numeric attribute as float, None when absent or not a number."""
    if value is None:
        return None
    try:
        return float(np.asarray(value).ravel()[0])
    except (TypeError, ValueError, IndexError):
        try:
            return float(as_str(value))
        except (TypeError, ValueError):
            return None


# ------------------------------------------------------------------ names

_SEED = re.compile(r"-seed=?(\d+)(?=-|$)")
# an axis part: -KEY=VALUE up to the next -KEY= part or the end; VALUE may hold
# dashes (1e-3, -0.5) but a dash followed by KEY= starts the next axis
_AXIS = re.compile(r"-([A-Za-z_][\w.]*)=(.*?)(?=-[A-Za-z_][\w.]*=|$)")


def _written(step, n):
    """The points of a series that hold data: a live run file caught inside a
    flush (or one killed there) shows the new points still at HDF5's fill
    value, a tail of steps -1 (the whole series while its first flush is
    under way: no points yet), or in older files a tail of zero steps after a
    positive one (core/runfile.c)."""
    while n > 0 and step[n - 1] == -1:
        n -= 1
    if n > 1 and step[n - 1] == 0 and step[:n].max() > 0:
        i = n
        while i > 0 and step[i - 1] == 0:
            i -= 1
        if i > 0 and np.all(np.diff(step[:i]) >= 0):
            return i
    return n


def parse_axes(text):
    """`a.b=1;c=x` -> {"a.b": "1", "c": "x"} (insertion order kept)."""
    out = {}
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        key, sep, val = part.partition("=")
        if not sep:
            raise BadInput("axes %r: part %r is not key=value" % (text, part))
        out[key.strip()] = val.strip()
    return out


def parse_name(name):
    """(group, seed or None, axes) from a run name, for files without the
    `group` / `axes` attributes.  Accepts the seed part anywhere in the name
    (`x-seed3`, `x-seed3-envhopper`, `x-seed=3-env=hopper`)."""
    seed = None
    m = _SEED.search(name)
    if m:
        seed = int(m.group(1))
        name = name[:m.start()] + name[m.end():]
    axes = {}
    for m in _AXIS.finditer(name):
        axes[m.group(1)] = m.group(2)
    return name, seed, axes


def short_key(key):
    """Last part of a dotted config path (`controllers.0.rho1` -> `rho1`)."""
    return key.rsplit(".", 1)[-1]


# ------------------------------------------------------------------ a run


class Run:
    """Everything in one run file, read eagerly; the HDF5 file is closed at once.

    attrs      root attributes (values as h5py gives them; `text(key)` for str)
    name, kind, status, seed, group, axes (dict key -> str), config (str or None)
    series     {NAME: Series(step float64 (n), value float64 (n))}
    arrays     {NAME: numpy array}
    summary    {NAME: value} (/summary attributes)
    log        list of str (/log)
    has_policy whether /policy exists (RL, GAIL and DAC runs)
    diverged, diverged_step
    """

    def __init__(self, path, damage=False):
        """damage: what probe(path) said, when the caller asked it (False:
        ask it here)."""
        self.path = path
        if not os.path.exists(path):
            raise BadInput("%s: no such file" % path)
        if not os.path.isfile(path):
            raise BadInput("%s: not a file" % path)
        if damage is False:
            damage = probe(path)
        if damage:
            raise BadInput("%s: %s" % (path, damage))
        try:
            f = h5py.File(path, "r")
        except OSError as exc:
            raise BadInput("%s: not an HDF5 file (%s)" % (path, exc))
        try:
            with f:
                self._read(f)
        except BadInput:
            raise
        except (OSError, KeyError, RuntimeError, ValueError, TypeError, IndexError) as exc:
            # a damaged file (h5py raises these from deep inside), or a field
            # of the wrong type or shape
            raise BadInput("%s: unreadable or malformed run file (%s: %s)"
                           % (path, type(exc).__name__, exc))
        self.kind = self.text("kind") or ""
        self.status = self.text("status") or ""
        if self.status not in STATUSES:
            raise BadInput("%s: status %r (allowed: %s)" % (path, self.status,
                                                            ", ".join(STATUSES)))
        self.name = self.text("name") or os.path.splitext(os.path.basename(path))[0]
        seed = as_float(self.attrs.get("seed"))
        if seed is not None and not (math.isfinite(seed) and seed >= 0 and seed == int(seed)):
            raise BadInput("%s: root attribute seed %r (allowed: an integer >= 0)"
                           % (path, seed))
        g_name, s_name, ax_name = parse_name(self.name)
        self.seed = int(seed) if seed is not None else s_name
        if self.text("group"):
            self.group = self.text("group")
            self.axes = parse_axes(self.text("axes"))
            self.axes.pop("seed", None)
        else:
            self.group, self.axes = g_name, ax_name
        self.diverged = self.status == "diverged"
        self.diverged_step = None
        if self.diverged:
            d = as_float(self.summary.get("diverged_step"))
            if d is None:
                last = [s.step[-1] for s in self.series.values() if s.step.size]
                d = max(last) if last else None
            self.diverged_step = d

    def _read(self, f):
        """The file's content into self (the caller turns h5py's errors into
        BadInput)."""
        path = self.path
        if "version" not in f.attrs:
            raise BadInput("%s: not a governor run file (no root attribute 'version')"
                           % path)
        self.attrs = {k: f.attrs[k] for k in f.attrs.keys()}
        self.config = None
        if "config" in f and isinstance(f["config"], h5py.Dataset):
            self.config = as_str(f["config"][()])
        self.summary = {}
        if "summary" in f and isinstance(f["summary"], h5py.Group):
            self.summary = {k: f["summary"].attrs[k] for k in f["summary"].attrs.keys()}
        self.series = {}
        if "series" in f and isinstance(f["series"], h5py.Group):
            for name, g in f["series"].items():
                if not isinstance(g, h5py.Group):  # a damaged link reads as None
                    raise BadInput("%s: /series/%s: not a group" % (path, name))
                if "step" in g and "value" in g:
                    step = np.asarray(g["step"][()], dtype=np.float64)
                    val = np.asarray(g["value"][()], dtype=np.float64)
                    if step.ndim != 1 or val.ndim != 1:
                        raise BadInput("%s: /series/%s: step and value must be 1-D "
                                       "(shapes %s, %s)" % (path, name, step.shape,
                                                            val.shape))
                    # a live file caught inside a flush holds more values
                    # than steps (values are written first: core/runfile.c)
                    n = min(step.size, val.size)
                    n = _written(step, n)
                    st = step[:n]
                    if n and not (np.all(np.isfinite(st)) and st[0] >= 0 and
                                  np.all(np.diff(st) >= 0)):
                        raise BadInput("%s: /series/%s/step: not steps from 0, never "
                                       "decreasing" % (path, name))
                    self.series[name] = Series(st, val[:n])
        self.arrays = {}
        if "arrays" in f and isinstance(f["arrays"], h5py.Group):
            for name, d in f["arrays"].items():
                if isinstance(d, h5py.Dataset):
                    self.arrays[name] = d[()]
        self.log = []
        if "log" in f and isinstance(f["log"], h5py.Dataset):
            self.log = [as_str(v) for v in np.atleast_1d(f["log"][()])]
        self.has_policy = "policy" in f

    def text(self, key):
        """Root attribute as str, None when absent."""
        return as_str(self.attrs.get(key))

    def attr(self, key):
        """Root attribute, else /summary attribute, else None."""
        if key in self.attrs:
            return self.attrs[key]
        return self.summary.get(key)

    def number(self, key):
        """Root or /summary attribute as float, None when absent."""
        return as_float(self.attr(key))

    def __repr__(self):
        return "Run(%r, kind=%r, group=%r, seed=%r, status=%r)" % (
            self.path, self.kind, self.group, self.seed, self.status)


def load(path):
    return Run(path)


def load_all(paths):
    paths = list(paths)
    probe_all([p for p in paths if os.path.isfile(p)])  # one child; each Run's probe remembers
    return [Run(p) for p in paths]


def group_runs(runs, key=None):
    """[(group, [runs])] in first-seen order.  key(run) -> hashable overrides
    the group (e.g. (env, group))."""
    key = key or (lambda r: r.group)
    groups, order = {}, []
    for r in runs:
        k = key(r)
        if k not in groups:
            groups[k] = []
            order.append(k)
        groups[k].append(r)
    return [(k, groups[k]) for k in order]


# ------------------------------------------------------------------ tidy table


def have_pandas():
    return importlib.util.find_spec("pandas") is not None


def columns(runs, series=None):
    """The tidy table as numpy columns: run, group, seed, status, one column
    per axis key (every run's keys; "" where a run has none), series, step,
    value.  series: names to keep (default all)."""
    runs = list(runs)
    axis_keys = []
    for r in runs:
        for k in r.axes:
            if k not in axis_keys:
                axis_keys.append(k)
    parts = collections.OrderedDict((c, []) for c in
                                    ["run", "group", "seed", "status"] + axis_keys +
                                    ["series", "step", "value"])
    for r in runs:
        for name, s in r.series.items():
            if series is not None and name not in series:
                continue
            n = s.step.size
            parts["run"].append(np.full(n, r.name, dtype=object))
            parts["group"].append(np.full(n, r.group, dtype=object))
            parts["seed"].append(np.full(n, -1 if r.seed is None else r.seed, dtype=np.int64))
            parts["status"].append(np.full(n, r.status, dtype=object))
            for k in axis_keys:
                parts[k].append(np.full(n, r.axes.get(k, ""), dtype=object))
            parts["series"].append(np.full(n, name, dtype=object))
            parts["step"].append(s.step.astype(np.int64))
            parts["value"].append(s.value)
    empty = {"seed": np.int64, "step": np.int64, "value": np.float64}
    return collections.OrderedDict(
        (c, np.concatenate(v) if v else np.empty(0, dtype=empty.get(c, object)))
        for c, v in parts.items())


def frame(runs, series=None, backend="auto"):
    """One tidy table of every series of runs: a pandas DataFrame when pandas
    is installed (backend "auto" or "pandas"), else (or with backend "numpy")
    the dict of numpy columns of `columns`."""
    cols = columns(runs, series)
    if backend == "numpy" or (backend == "auto" and not have_pandas()):
        return cols
    import pandas as pd  # ImportError with backend "pandas" and no pandas
    return pd.DataFrame(cols)


def main(argv):
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    try:
        runs = load_all(argv)
    except BadInput as exc:
        sys.stderr.write("runfile: %s\n" % exc)
        return 2
    for r in runs:
        print("%s: kind %s, status %s, group %s, seed %s, axes %s%s" % (
            r.path, r.kind, r.status, r.group, r.seed,
            ";".join("%s=%s" % kv for kv in r.axes.items()) or "-",
            ", diverged at step %g" % r.diverged_step if r.diverged else ""))
        print("  series: %s" % " ".join(sorted(r.series)))
        if r.arrays:
            print("  arrays: %s" % " ".join(sorted(r.arrays)))
        if r.has_policy:
            print("  /policy present")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
