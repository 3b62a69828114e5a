"""Every benchmark in one command, tinygrad_cnn beside PyTorch, written as one Markdown table.

Workloads: the conv and pool kernels (forward, and forward + backward), one LeNet-5 training
step, a LeNet-5 training epoch (Adam) and a Keras-convnet epoch (RMSprop) on MNIST, evaluating
the 10,000 test images with LeNet-5, the peak memory of LeNet-5 training, the first training
steps of a new process with an empty Numba cache and with a warm one, and the per-op overhead.
Each framework measures in a child process of its own (idle OpenMP threads of one would slow
the other), ours and PyTorch's alternating, ``--runs`` times; the table shows the median of
each figure over the runs and the median of the per-run ratios ours / PyTorch. Without PyTorch
installed it measures ours alone ("n/a"). Progress goes to stderr, the table to stdout and to
``--out``.

    python benchmarks/run_all.py [--runs 3] [--quick] [--out benchmarks/results.md]
                                 [--only kernels,step,mnist,first-steps,overhead]
                                 [--data-dir ../shared/data/mnist] [--limit N] [--threads 2]
"""

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GROUPS = ["kernels", "step", "mnist", "first-steps", "overhead"]
FIRST_STEPS = 3  # LeNet-5 training steps timed from a new process's start

KERNEL_LABELS = {  # bench_kernels.CASES name: (workload, bar on the ratio)
    "conv 1->6 5x5 pad 2": ("conv 64x1x28x28 -> 6 k5 p2", 1.5),
    "conv 6->16 5x5": ("conv 64x6x14x14 -> 16 k5", 1.5),
    "conv 32->64 3x3": ("conv 64x32x13x13 -> 64 k3", 1.5),
    "max pool 2x2": ("max pool 2x2 64x6x28x28", 1.0),
}


# --- the child processes -------------------------------------------------------------------


def measure(group, framework, options):
    """{metric: number} for one group of workloads, measured in this process."""
    threads = options["threads"]
    if group == "kernels":
        return kernel_timings(framework, options["repeats"], threads)
    if group == "step":
        import bench_step

        if framework == "torch":
            return {"step ms": bench_step.pytorch(64, options["step_repeats"], threads)}
        return {"step ms": bench_step.ours(64, options["step_repeats"])}
    if group == "first-steps":
        import bench_step

        return {"first steps s": bench_step.first_steps(framework, FIRST_STEPS, 64, threads)}
    if group == "overhead":
        import bench_overhead

        seconds = bench_overhead.measure(framework, options["ops"], options["op_repeats"], threads)
        return {"us per op": seconds * 1e6}
    if group in ("lenet5", "keras-cnn"):
        import bench_mnist

        result = bench_mnist.measure(
            framework,
            group,
            limit=options["limit"],
            data_dir=options["data_dir"],
            threads=threads,
            eval_repeats=options["eval_repeats"],
        )
        figures = {
            "epoch s": result["records"][0]["seconds"],
            "images": result["images"],
            "accuracy": result["records"][-1]["accuracy"],
        }
        if group == "lenet5":
            figures.update(eval_s=result["eval_seconds"], train_peak_mb=result["train_peak_mb"])
        return figures
    raise ValueError(f"unknown group {group!r}")


def kernel_timings(framework, repeats, threads):
    """{"<case> fwd" / "<case> f+b": median ms} for bench_kernels.CASES."""
    import bench_kernels

    timings = {}

    def measure_cases(closures):
        for name, x_shape, w_shape, padding, input_grad in bench_kernels.CASES:
            forward, forward_backward = closures(x_shape, w_shape, padding, input_grad)
            timings[f"{name} fwd"] = bench_kernels.median_ms(forward, repeats)
            timings[f"{name} f+b"] = bench_kernels.median_ms(forward_backward, repeats)

    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
        measure_cases(lambda *case: bench_kernels.pytorch(torch, *case))
    else:
        from tinygrad_cnn import tuned_for_training

        with tuned_for_training():  # the kernels as training runs them
            measure_cases(bench_kernels.ours)
    return timings


def run_child(group, framework, options, env=None):
    """measure() in a new process: its figures, or None when it failed (reported on stderr)."""
    command = [sys.executable, __file__, "--worker", group, framework, json.dumps(options)]
    env = dict(os.environ, NUMBA_NUM_THREADS=str(options["threads"]), **(env or {}))
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        progress(f"    {framework} {group} failed: {last}")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the parent: runs, medians, the table ---------------------------------------------------


def progress(message):
    print(message, file=sys.stderr, flush=True)


def one_run(groups, options, with_torch):
    """{framework: {metric: value}} for one run of the selected groups."""
    frameworks = ["ours", "torch"] if with_torch else ["ours"]
    figures = {framework: {} for framework in frameworks}
    jobs = []
    for group in groups:
        if group == "mnist":
            jobs += [("lenet5", None), ("keras-cnn", None)]
        elif group == "first-steps":
            jobs.append((group, "cold"))
        else:
            jobs.append((group, None))
    for group, mode in jobs:
        for framework in frameworks:
            start = time.perf_counter()
            if mode == "cold":  # a fresh Numba cache: the first process compiles, the second loads
                with tempfile.TemporaryDirectory() as cache:
                    env = {"NUMBA_CACHE_DIR": cache}
                    cold = run_child(group, framework, options, env)
                    warm = run_child(group, framework, options, env)
                result = None
                if cold and warm:
                    result = {"cold s": cold["first steps s"], "warm s": warm["first steps s"]}
                    result["compile s"] = result["cold s"] - result["warm s"]
            else:
                result = run_child(group, framework, options)
            progress(f"  {group:<12} {framework:<6} {time.perf_counter() - start:6.1f} s")
            if result:
                figures[framework].update({f"{group}: {key}": v for key, v in result.items()})
    return figures


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rows(runs):
    """(workload, ours, theirs, ratio, bar) rows, as numbers (None where missing)."""

    def figure(framework, key):
        return median_or_none([run.get(framework, {}).get(key) for run in runs])

    def ratio(key):
        ratios = []
        for run in runs:
            mine, theirs = run.get("ours", {}).get(key), run.get("torch", {}).get(key)
            if mine is not None and theirs is not None and theirs > 0:
                ratios.append(mine / theirs)
        return median_or_none(ratios)

    images = figure("ours", "lenet5: images")
    images = f"{images:,.0f}" if images else "?"
    table = []

    def add(workload, key, unit, digits, bar=None, with_ratio=True):
        if figure("ours", key) is None and figure("torch", key) is None:
            return
        mine, theirs = figure("ours", key), figure("torch", key)
        quotient = ratio(key) if with_ratio else None
        table.append((f"{workload} ({unit})", mine, theirs, quotient, digits, bar))

    for case, (workload, bar) in KERNEL_LABELS.items():
        add(f"{workload}, forward", f"kernels: {case} fwd", "ms", 3, ("ratio", bar))
        add(f"{workload}, forward+backward", f"kernels: {case} f+b", "ms", 3, ("ratio", bar))
    add("LeNet-5 training step, batch 64, Adam", "step: step ms", "ms", 2)
    add(
        f"LeNet-5 training epoch, {images} images, Adam, batch 64",
        "lenet5: epoch s",
        "s",
        2,
        ("ratio", 1.2),
    )
    add(
        f"Keras convnet epoch, {images} images, RMSprop, batch 64",
        "keras-cnn: epoch s",
        "s",
        2,
        ("ratio", 1.3),
    )
    add(
        "evaluate 10,000 test images, LeNet-5, batches of 1,000",
        "lenet5: eval_s",
        "s",
        3,
        ("ratio", 1.0),
    )
    add("peak RSS, LeNet-5 training", "lenet5: train_peak_mb", "MB", 0, ("ratio", 1.0))
    first = f"first {FIRST_STEPS} LeNet-5 training steps from import"
    add(f"{first}, empty Numba cache", "first-steps: cold s", "s", 2)
    add(f"{first}, warm second process", "first-steps: warm s", "s", 2, ("ours", 0.5))
    # PyTorch compiles nothing: its difference is noise around 0, no ratio to take
    compile_bar = ("ours", 3)
    add(
        "compile overhead: empty cache minus warm",
        "first-steps: compile s",
        "s",
        2,
        compile_bar,
        False,
    )
    add("per-op overhead, add/mul on 10 elements, fwd+bwd", "overhead: us per op", "us", 2)
    return table


def format_bar(bar, mine, ratio):
    """'<= 1.5x (met)' for a bar on the ratio, '< 3 s (not met)' for one on our figure."""
    if bar is None:
        return ""
    kind, limit = bar
    if kind == "ratio":
        text, value, met = f"<= {limit:g}x", ratio, ratio is not None and ratio <= limit
    else:
        text, value, met = f"< {limit:g} s", mine, mine is not None and mine < limit
    return text if value is None else f"{text} ({'met' if met else 'not met'})"


def markdown(table, header):
    lines = [header, "", "| workload | tinygrad_cnn | PyTorch | ratio | bar |"]
    lines.append("| --- | ---: | ---: | ---: | --- |")
    for workload, mine, theirs, ratio, digits, bar in table:
        cells = [f"{v:,.{digits}f}" if v is not None else "n/a" for v in (mine, theirs)]
        cells.append(f"{ratio:.2f}x" if ratio is not None else "n/a")
        lines.append(f"| {workload} | {' | '.join(cells)} | {format_bar(bar, mine, ratio)} |")
    return "\n".join(lines) + "\n"


def version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine():
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def header(args, with_torch):
    torch = version("torch") if with_torch else None
    versions = (
        f"numpy {version('numpy')}, numba {version('numba')}, "
        + (f"torch {torch}" if torch else "torch not installed")
        + f", Python {platform.python_version()}"
    )
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    quick = ", --quick (smoke run, not for quoting)" if args.quick else ""
    return (
        f"Benchmarks of {when} on {machine()}; {versions}; {args.threads} threads; "
        f"median of {args.runs} run(s){quick}. Ratio: tinygrad_cnn / PyTorch, the median of the "
        "per-run ratios (below 1 is faster)."
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="default 3, 1 with --quick")
    parser.add_argument("--quick", action="store_true", help="a smoke run, about two minutes")
    parser.add_argument("--out", default=str(HERE / "results.md"))
    parser.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups")
    parser.add_argument("--data-dir", default=os.environ.get("TINYGRAD_CNN_DATA"))
    parser.add_argument("--limit", type=int, help="MNIST training images (default: all)")
    parser.add_argument("--repeats", type=int, help="calls per kernel timing (default 30)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        group, framework, options = args.worker
        print(json.dumps(measure(group, framework, json.loads(options))))
        return

    groups = args.only.split(",")
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups {sorted(unknown)}; choose from {','.join(GROUPS)}")
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    quick = args.quick
    options = {
        "threads": args.threads,
        "repeats": args.repeats or (10 if quick else 30),
        "step_repeats": 5 if quick else 50,
        "ops": 2_000 if quick else 10_000,
        "op_repeats": 3 if quick else 7,
        "eval_repeats": 1 if quick else 3,
        "limit": args.limit or (1_000 if quick else None),
        "data_dir": args.data_dir,
    }
    try:
        with_torch = importlib.util.find_spec("torch") is not None
    except ImportError:
        with_torch = False
    if not with_torch:
        progress("PyTorch not installed: our figures only (pip install torch==2.13.0)")
    runs = []
    for number in range(args.runs):
        progress(f"run {number + 1} of {args.runs}")
        runs.append(one_run(groups, options, with_torch))
    text = markdown(rows(runs), header(args, with_torch))
    print(text, end="")
    Path(args.out).write_text(text)
    progress(f"written to {args.out}")


if __name__ == "__main__":
    main()
