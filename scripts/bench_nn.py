#!/usr/bin/python3
"""The MLP engine's speed bars: `governor bench nn` against PyTorch, one script.

    /usr/bin/python3 scripts/bench_nn.py build/governor [--repeats 5] [--seconds 1]

Runs `GOVERNOR bench nn --seconds S` (about 4 S seconds: training steps and
the bare OpenBLAS sgemm calls of the same steps, interleaved, medians over
rounds) and, in this process, the same training steps in PyTorch on one
thread, alternating C and PyTorch `--repeats` times (the order flips every
repeat) so that both see the same load on a shared machine.  The figures are
medians over repeats; each ratio is the median of the per-repeat ratios.

The PyTorch step does exactly the work of nn/bench.c's train_step:
    nin-h-h-nout MLP of nn.Linear layers, tanh or relu on the two hidden
    layers, linear output; orthogonal weights (gain sqrt 2, output gain 1),
    zero biases; x, y standard normal, fixed for the run;
    optimizer.zero_grad(set_to_none=False)   (gv_nn_zero_grad zeroes too)
    loss = MSELoss()(net(x), y)              (mean over all n x nout outputs:
                                              dy = 2 (out - y) / (n nout))
    loss.backward(); Adam(lr=3e-4, betas=(0.9, 0.999), eps=1e-8).step()
Shapes: (a) 11-64-64-3 tanh, batch 64; (b) 23-256-256-1 relu, batch 256.

Bars (docs/benchmarks.md): (a) C >= 5x PyTorch's steps/s; (b) C >= 1.2x
PyTorch's steps/s and the C step at >= 70% of the bare-sgemm rate of the same
gemm calls (the sgemm peak for these shapes, measured by the C bench).
Exit status: 0 every bar met, 1 a bar missed, 2 bad input or a failed run.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

# One thread everywhere, set before torch (and its OpenBLAS / OpenMP) loads:
# torch.set_num_threads does not reach OpenBLAS's own pthread pool.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

try:
    import torch  # noqa: E402
except ImportError:
    sys.exit("bench_nn: needs PyTorch, which scripts/bootstrap does not install: "
             "apt-get install python3-torch (Debian's)")

SHAPES = [  # key, nin, hidden, nout, batch, activation: as nn/bench.c's cases
    ("a", 11, 64, 3, 64, "tanh"),
    ("b", 23, 256, 1, 256, "relu"),
]
BARS = {"a": 5.0, "b": 1.2}   # C steps/s over PyTorch steps/s
SGEMM_BAR = {"b": 0.70}       # C step rate over bare-sgemm rate
CHUNKS = 5                    # timed chunks per shape per repeat (median)


def make_torch(nin, hidden, nout, batch, act, seed=1):
    torch.manual_seed(seed)
    act_cls = torch.nn.Tanh if act == "tanh" else torch.nn.ReLU
    net = torch.nn.Sequential(
        torch.nn.Linear(nin, hidden), act_cls(),
        torch.nn.Linear(hidden, hidden), act_cls(),
        torch.nn.Linear(hidden, nout))
    with torch.no_grad():
        linears = [m for m in net if isinstance(m, torch.nn.Linear)]
        for k, lin in enumerate(linears):
            torch.nn.init.orthogonal_(lin.weight, gain=2 ** 0.5 if k < 2 else 1.0)
            lin.bias.zero_()
    opt = torch.optim.Adam(net.parameters(), lr=3e-4, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = torch.nn.MSELoss()
    x = torch.randn(batch, nin)
    y = torch.randn(batch, nout)

    def step():
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
    return step


def time_torch(step, seconds):
    """Median seconds per step over CHUNKS chunks; also CPU/wall (threads)."""
    k, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.1 * seconds or k < 3:  # calibrate
        step()
        k += 1
    per_chunk = max(1, int(seconds / CHUNKS / ((time.perf_counter() - t0) / k)))
    times = []
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(CHUNKS):
        t0 = time.perf_counter()
        for _ in range(per_chunk):
            step()
        times.append((time.perf_counter() - t0) / per_chunk)
    cpu_wall = (time.process_time() - c0) / (time.perf_counter() - w0)
    return statistics.median(times), cpu_wall


def run_c(governor, seconds):
    cmd = [governor, "bench", "nn", "--seconds", repr(seconds)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"bench_nn: {' '.join(cmd)} exited with {proc.returncode}")
    vals = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("nn_"):
            vals[parts[0]] = float(parts[1])
    for key, *_ in SHAPES:
        for f in ("steps_per_s", "sgemm_gflops", "step_gflops", "sgemm_fraction"):
            if f"nn_{key}_{f}" not in vals:
                raise SystemExit(f"bench_nn: no nn_{key}_{f} line in the output of "
                                 f"{' '.join(cmd)}")
    return vals, proc.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("governor", help="path of the governor binary (build/governor)")
    ap.add_argument("--repeats", type=int, default=5, help="C/PyTorch alternations (5)")
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="`governor bench nn --seconds` (1: about 4 s); PyTorch gets "
                         "the same time per shape")
    args = ap.parse_args()
    if args.repeats < 1 or not args.seconds > 0:
        ap.error("--repeats >= 1 and --seconds > 0")
    if not os.access(args.governor, os.X_OK):
        ap.error(f"{args.governor}: not an executable")

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    steps = {key: make_torch(*rest) for key, *rest in SHAPES}
    t_shape = 4.0 * args.seconds / len(SHAPES)

    print(f"# bench_nn: {time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.node()}, "
          f"{os.cpu_count()} cpus, load {os.getloadavg()[0]:.2f} at start")
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} thread; governor "
          f"{args.governor}; {args.repeats} repeats")
    c_runs, t_runs, cpu_wall = [], [], []
    for rep in range(args.repeats):
        order = ("c", "torch") if rep % 2 == 0 else ("torch", "c")
        for who in order:
            if who == "c":
                vals, text = run_c(args.governor, args.seconds)
                c_runs.append(vals)
            else:
                res = {}
                for key, *_ in SHAPES:
                    t, cw = time_torch(steps[key], t_shape)
                    res[key] = 1.0 / t
                    cpu_wall.append(cw)
                t_runs.append(res)
        line = "  ".join(
            f"({k}) C {c_runs[-1][f'nn_{k}_steps_per_s']:.0f} torch {t_runs[-1][k]:.0f} "
            f"sgemm {100 * c_runs[-1][f'nn_{k}_sgemm_fraction']:.0f}%"
            for k, *_ in SHAPES)
        print(f"# repeat {rep + 1}: {line}", flush=True)
    print(f"# load {os.getloadavg()[0]:.2f} at end; PyTorch CPU time / wall time "
          f"{max(cpu_wall):.2f} at most (> 1 would mean a second thread)")
    print()

    med = statistics.median
    ok = True
    rows, verdicts = [], []
    for key, nin, hidden, nout, batch, act in SHAPES:
        c = med(r[f"nn_{key}_steps_per_s"] for r in c_runs)
        t = med(r[key] for r in t_runs)
        ratios = [cr[f"nn_{key}_steps_per_s"] / tr[key] for cr, tr in zip(c_runs, t_runs)]
        ratio = med(ratios)
        peak = med(r[f"nn_{key}_sgemm_gflops"] for r in c_runs)
        stepgf = med(r[f"nn_{key}_step_gflops"] for r in c_runs)
        frac = med(r[f"nn_{key}_sgemm_fraction"] for r in c_runs)
        rows.append(f"| ({key}) {nin}-{hidden}-{hidden}-{nout} {act}, batch {batch} | {c:.0f} "
                    f"| {t:.0f} | {ratio:.2f}x | {peak:.1f} GFLOP/s | {stepgf:.1f} GFLOP/s "
                    f"| {100 * frac:.0f}% |")
        met = ratio >= BARS[key]
        ok &= met
        verdicts.append(f"({key}) C / PyTorch {ratio:.2f}x (median of repeats; ratio of "
                        f"medians {c / t:.2f}x, worst repeat {min(ratios):.2f}x), bar >= "
                        f"{BARS[key]}x: {'met' if met else 'MISSED'}")
        if key in SGEMM_BAR:
            met = frac >= SGEMM_BAR[key]
            ok &= met
            verdicts.append(f"({key}) step at {100 * frac:.0f}% of bare sgemm, bar >= "
                            f"{100 * SGEMM_BAR[key]:.0f}%: {'met' if met else 'MISSED'}")
        print(f"nn_{key}_c_steps_per_s {c:.1f}")
        print(f"nn_{key}_torch_steps_per_s {t:.1f}")
        print(f"nn_{key}_ratio {ratio:.3f}")
        print(f"nn_{key}_ratio_of_medians {c / t:.3f}")
        print(f"nn_{key}_ratio_min {min(ratios):.3f}")
        print(f"nn_{key}_sgemm_gflops {peak:.2f}")
        print(f"nn_{key}_sgemm_fraction {frac:.4f}")
    print()
    print("| shape | C steps/s | PyTorch steps/s | C / PyTorch | sgemm peak (same calls) "
          "| C step | % of peak |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(r)
    print()
    for v in verdicts:
        print(v)
    print("all bars met" if ok else "a bar was MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
