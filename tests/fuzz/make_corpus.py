"""Writes the seed recipes of tests/fuzz/corpus/{runfile,demofile}.

A recipe (tests/fuzz/h5build.c) is a list of objects: kind (0 root
attribute, 1 group attribute, 2 dataset), name index, type (0 float64,
1 int64, 2 int32, 3 uint8, 4 float32, 5 string, 6 fixed string,
7 compound), rank, one byte per dimension, then the content (raw bytes of
each number, one string-table index per string).  The indices refer to the
tables in h5build.c.  Usage: /usr/bin/python3 tests/fuzz/make_corpus.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
A = {n: i for i, n in enumerate(
    "version kind status name seed format env policy_hash eval_return_mean "
    "random_return_mean episodes steps_done act_low act_high obs_count obs_eps clip_obs "
    "norm_obs steps sizes activations slope out_sigmoid step x".split())}
D = {n: i for i, n in enumerate(
    "config series/distance/step series/distance/value series/x/step series/x/value "
    "arrays/replica_lyapunov arrays/replica_iters_to_converge obs actions rewards terminated "
    "truncated final_obs episode_start episode_length episode_return policy/obs_mean "
    "policy/obs_var policy/log_std policy/actor/param arrays/theta".split())}
S = {"0.1.0": 0, "dirac": 1, "mlpgan": 2, "onestep": 3, "rl": 4, "gail": 5, "dac": 6,
     "completed": 8, "governor-demos-1": 11, "governor-policy-1": 12,
     "inverted_pendulum": 15, "fnv1a64:0": 19, "dirac-config": 20, "x": 24}


def sattr(name, s, group=None):
    if group is None:
        return bytes([0, A[name], 5, 0, S[s]])
    return bytes([1, group * 25 + A[name], 5, 0, S[s]])


def nattr(name, fmt, values, t, group=None):
    kind, idx = (0, A[name]) if group is None else (1, group * 25 + A[name])
    dims = [len(values)] if len(values) != 1 else []
    return bytes([kind, idx, t, len(dims)] + dims) + b"".join(struct.pack(fmt, v) for v in values)


def dset(name, t, fmt, dims, values):
    return bytes([2, D[name], t, len(dims)] + dims) + b"".join(struct.pack(fmt, v) for v in values)


def run(kind):
    return (sattr("version", "0.1.0") + sattr("kind", kind) + sattr("status", "completed")
            + sattr("name", "x") + bytes([2, D["config"], 5, 0, S["dirac-config"]])
            + dset("series/distance/step", 1, "<q", [4], [0, 1, 2, 3])
            + dset("series/distance/value", 0, "<d", [4], [1.0, 0.5, 0.25, 0.125])
            + nattr("steps_done", "<d", [4.0], 0, group=1))


def demos():
    T = 3  # two episodes of 3 steps, obs 4, actions 1
    return (sattr("format", "governor-demos-1") + sattr("env", "inverted_pendulum")
            + sattr("policy_hash", "fnv1a64:0")
            + nattr("eval_return_mean", "<d", [1000.0], 0) + nattr("random_return_mean", "<d", [5.0], 0)
            + dset("obs", 4, "<f", [2 * T, 4], [0.01 * i for i in range(8 * T)])
            + dset("actions", 4, "<f", [2 * T, 1], [0.1] * (2 * T))
            + dset("rewards", 0, "<d", [2 * T], [1.0] * (2 * T))
            + dset("terminated", 3, "<B", [2 * T], [0, 0, 0, 0, 0, 1])
            + dset("truncated", 3, "<B", [2 * T], [0, 0, 1, 0, 0, 0])
            + dset("final_obs", 4, "<f", [2, 4], [0.0] * 8)
            + dset("episode_start", 1, "<q", [2], [0, T])
            + dset("episode_length", 1, "<q", [2], [T, T])
            + dset("episode_return", 0, "<d", [2], [3.0, 3.0]))


def write(sub, name, data):
    os.makedirs(os.path.join(HERE, "corpus", sub), exist_ok=True)
    with open(os.path.join(HERE, "corpus", sub, name), "wb") as f:
        f.write(data)


for k in ["dirac", "mlpgan", "onestep", "rl", "gail", "dac"]:
    write("runfile", "run-" + k, run(k))
write("runfile", "policy", sattr("format", "governor-policy-1", group=2)
      + nattr("act_low", "<d", [-1.0], 0, group=2) + dset("policy/obs_mean", 0, "<d", [4], [0.0] * 4))
write("demofile", "demos-2x3", demos())
write("demofile", "demos-env-array", demos() + nattr("env", "<d", [1.0, 2.0], 0))
