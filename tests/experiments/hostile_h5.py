"""Makes hostile copies of governor's HDF5 files for files_test.sh.

Usage: hostile_h5.py KIND SRC DST.  Each KIND copies SRC to DST and damages
one thing a reader reads: a scalar attribute stored as an array or with the
wrong class, a dataset of the wrong rank or length, a demonstration file
whose episodes run past its rows.  /usr/bin/python3 with Debian's h5py."""
import shutil
import sys

import h5py
import numpy as np


def replace_attr(obj, name, value):
    if name in obj.attrs:
        del obj.attrs[name]
    obj.attrs[name] = value


def replace_dset(f, name, value):
    if name in f:
        del f[name]
    f[name] = value


def run_kind_array(f):            # was a SIGSEGV in analyze
    replace_attr(f, "kind", np.arange(4096, dtype=np.float64))


def run_status_ints(f):
    replace_attr(f, "status", np.arange(16, dtype=np.int32))


def run_name_strings(f):
    replace_attr(f, "name", np.array([b"a" * 100] * 50))


def run_status_unknown(f):
    replace_attr(f, "status", "exploded")


def run_kind_unknown(f):
    replace_attr(f, "kind", "widget")


def run_config_ints(f):
    replace_dset(f, "config", np.arange(10))


def run_summary_array(f):
    replace_attr(f["summary"], "steps_done", np.arange(1000, dtype=np.float64))


def run_summary_compound(f):
    replace_attr(f["summary"], "x", np.zeros(1, dtype=[("a", "i4"), ("b", "f8")])[0])


def run_series_2d(f):
    g = f["series"][list(f["series"].keys())[0]]
    del g["value"]
    g["value"] = np.zeros((3, 3))


def run_series_strings(f):
    g = f["series"][list(f["series"].keys())[0]]
    del g["step"]
    g["step"] = np.array([b"x"] * 4)


def run_steps_negative(f):        # found by fuzz_runfile: INT64_MIN overflowed gv_measure
    g = f["series"]["distance"]
    s = g["step"][...]
    s[0] = np.iinfo(np.int64).min
    del g["step"]
    g["step"] = s


def run_steps_zero_tail(f):       # a flush caught in progress: extended, not yet written
    g = f["series"]["distance"]
    s, v = g["step"][...], g["value"][...]
    del g["step"]
    del g["value"]
    g["step"] = np.concatenate([s, np.zeros(5, dtype=s.dtype)])
    g["value"] = np.concatenate([v, np.zeros(5, dtype=v.dtype)])


def run_steps_fill_first(f):      # the first flush caught in progress: no step written yet
    g = f["series"]["distance"]
    s = g["step"][...]
    del g["step"]
    g["step"] = np.full(s.shape, -1, dtype=s.dtype)


def run_steps_dip(f):             # a decrease that is not such a tail
    g = f["series"]["distance"]
    s = g["step"][...]
    s[3] = 0
    del g["step"]
    g["step"] = s


def run_series_huge(f):           # 2 GiB declared in a few bytes (unwritten chunks)
    g = f["series"][list(f["series"].keys())[0]]
    del g["value"]
    g.create_dataset("value", shape=(1 << 28,), dtype="f8", chunks=(1024,))


def run_replicas_mismatch(f):     # was a heap read past replica_lyapunov
    a = f.require_group("arrays")
    replace_dset(a, "replica_lyapunov", np.zeros(2))
    replace_dset(a, "replica_iters_to_converge", np.ones(2_000_000))


def run_replicas_2d(f):
    a = f.require_group("arrays")
    replace_dset(a, "replica_lyapunov", np.zeros((4, 2)))
    replace_dset(a, "replica_iters_to_converge", np.zeros(8))


def run_xfinal_empty(f):          # the one-step analysis read x_final[0..n) of an (n, 0) array
    a = f["arrays"]
    n = len(a["x_final"])
    replace_dset(a, "x_final", np.zeros((n, 0)))


def policy_act_low_array(f):      # item 3: agents/policy.c
    replace_attr(f["policy"], "act_low", np.zeros(4096))


def policy_obs_count_string(f):
    replace_attr(f["policy"], "obs_count", "many")


def policy_format_array(f):
    replace_attr(f["policy"], "format", np.array([b"governor-policy-1"] * 3))


def policy_obs_mean_short(f):
    replace_dset(f["policy"], "obs_mean", np.zeros(2))


def policy_sizes_huge(f):
    a = f["policy"]["actor"]
    replace_attr(a, "sizes", np.array([1 << 20] * 4, dtype=np.int32))


def policy_var_nan(f):
    v = f["policy"]["obs_var"][...]
    v[0] = np.nan
    replace_dset(f["policy"], "obs_var", v)


def demo_length_huge(f):          # was a segfault in GAIL
    n = f["episode_length"][...]
    n[0] = 1_000_000_000
    replace_dset(f, "episode_length", n)


def demo_start_negative(f):
    s = f["episode_start"][...]
    s[1] = -5
    replace_dset(f, "episode_start", s)


def demo_env_array(f):            # was an overflow in experiments/gail.c
    replace_attr(f, "env", np.arange(4096, dtype=np.float64))


def demo_env_other(f):
    replace_attr(f, "env", "walker2d")


def demo_obs_1d(f):
    replace_dset(f, "obs", np.zeros(10, dtype=np.float32))


def demo_obs_huge(f):
    del f["obs"]
    f.create_dataset("obs", shape=(1 << 26, 11), dtype="f4", chunks=(1024, 11))


def demo_obs_nan(f):
    o = f["obs"][...]
    o[5, 0] = np.nan
    replace_dset(f, "obs", o)


def demo_actions_short(f):
    replace_dset(f, "actions", f["actions"][:-1])


def demo_terminated_flag(f):
    t = f["terminated"][...]
    t[0] = 7
    replace_dset(f, "terminated", t)


def demo_actions_outside(f):
    a = f["actions"][...]
    a[3, 0] = 50.0
    replace_dset(f, "actions", a)


def demo_obs_strings(f):
    replace_dset(f, "obs", np.array([[b"ab"] * 11] * 10))


KINDS = {k: v for k, v in globals().items() if k.startswith(("run_", "policy_", "demo_"))}

if __name__ == "__main__":
    kind, src, dst = sys.argv[1:4]
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        KINDS[kind](f)
