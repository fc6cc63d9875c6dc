"""Time tinygrad_tutorial against PyTorch and a hand-written NumPy floor, in one run.

    python bench/bench.py [--device cpu|cuda] [--quick] [--only W1,W4] [--save]

Prints one table of medians with the ratio to PyTorch and the issue's target for
each workload (see bench/README.md). ``--save`` also writes the table and the
machine it ran on to ``bench/results/<date>-<machine>.json`` and ``.md``.
Speed is measured here and never asserted in tests.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys

import numpy as np

import workloads
from workloads import Impl

RESULTS = pathlib.Path(__file__).parent / "results"

# (workload, metric, unit, lower is better, target for ours/torch)
ROWS = [
    ("W1", "ms_per_epoch", "ms/epoch", True, 0.5),
    ("W2", "ms_per_epoch", "ms/epoch", True, 0.7),
    ("W2", "test_accuracy", "test acc", False, None),
    ("W3", "samples_per_s", "samples/s", False, 0.7),
    ("W4", "forward_us", "fwd µs", True, 1.5),
    ("W4", "backward_us", "bwd µs", True, 1.0),
]
NAMES = {"W1": "seed net 2-5-1, SGD", "W2": "digits 64-128-64-10, Adam", "W3": "MLP 784-1024-1024-10, b512",
         "W4": "a+b, 8 elems, grad"}


def blas_threads():
    """How many threads NumPy's BLAS uses (PyTorch gets the same number, for fairness)."""
    from threadpoolctl import threadpool_info

    for pool in threadpool_info():
        if pool["user_api"] == "blas" and "numpy" in pool["filepath"]:
            return pool["num_threads"]
    return os.cpu_count()


def implementations(device):
    """The implementations that can run on ``device``, and the reasons for any that cannot."""
    import tinygrad_tutorial

    impls, missing = [], {}
    if device == "cuda":
        if not tinygrad_tutorial.cuda.is_available():
            sys.exit("--device cuda needs CuPy and a GPU, and tinygrad_tutorial.cuda.is_available() is False here")
        import cupy

        gpu_sync = tinygrad_tutorial.cuda.synchronize
        impls.append(Impl("ours", tinygrad_tutorial, "cuda", gpu_sync))
        floor_impl = Impl("numpy", cupy, "cuda", gpu_sync)
    else:
        impls.append(Impl("ours", tinygrad_tutorial, "cpu", lambda: None))
        floor_impl = Impl("numpy", np, "cpu", lambda: None)
    try:
        import torch
    except ImportError:
        missing["torch"] = "PyTorch is not installed"
    else:
        torch.set_num_threads(blas_threads())
        if device == "cuda" and not torch.cuda.is_available():
            missing["torch"] = "this PyTorch build has no CUDA"
        else:
            impls.append(Impl("torch", torch, device,
                              torch.cuda.synchronize if device == "cuda" else (lambda: None)))
    impls.append(floor_impl)
    return impls, missing


def run(impl, workload, quick):
    if workload == "W1":
        return workloads.w1_seed_network(impl, repeats=3 if quick else 15)
    if workload == "W2":
        return workloads.w2_digits(impl, epochs=3 if quick else 20)
    if workload == "W3":
        return workloads.w3_big_mlp(impl, repeats=3 if quick else 10)
    if workload == "W4":
        return workloads.w4_op_overhead(impl, number=2_000 if quick else 20_000, repeats=3 if quick else 7)
    raise ValueError(f"unknown workload {workload!r}; choose from W1, W2, W3, W4")


def measure(impls, selected, quick, rounds):
    """{workload: {impl name: [measurements dict or error string, one per round]}}.

    The implementations take turns within each round, so a change in the machine's load
    (other jobs on a shared machine) hits all of them alike rather than one.
    """
    results = {workload: {impl.name: [] for impl in impls} for workload in selected}
    for round_number in range(rounds):
        for workload in selected:
            for impl in impls:
                print(f"  round {round_number + 1}/{rounds} {workload} {impl.name} ...", file=sys.stderr, flush=True)
                try:
                    result = run(impl, workload, quick)
                except Exception as error:  # a missing feature shows in the table instead of stopping the run
                    result = f"{type(error).__name__}: {error}"
                results[workload][impl.name].append(result)
    return results


def table_rows(results):
    """One row per metric: medians over rounds, the ratio ours/torch (the median of each round's
    ratio: time ratio, or throughput ratio for W3) and the target."""
    rows = []
    for workload, metric, unit, lower_is_better, target in ROWS:
        if workload not in results:
            continue
        per_round = {name: [r.get(metric) if isinstance(r, dict) else None for r in rounds]
                     for name, rounds in results[workload].items()}
        values = {name: statistics.median(v) if None not in v else None for name, v in per_round.items()}
        ours, torch = values.get("ours"), values.get("torch")
        ratio = None
        if ours is not None and torch:
            ratio = statistics.median(o / t for o, t in zip(per_round["ours"], per_round["torch"]))
        met = None
        if target is not None and ratio is not None:
            met = ratio <= target if lower_is_better else ratio >= target
        rows.append({"workload": workload, "what": NAMES[workload], "metric": unit, "ours": ours, "torch": torch,
                     "numpy": values.get("numpy"), "ours/torch": ratio,
                     "target": None if target is None else ("≤ " if lower_is_better else "≥ ") + f"{target}",
                     "met": met})
    return rows


def format_number(value):
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def markdown_table(rows):
    header = ["workload", "", "metric", "tinygrad_tutorial", "PyTorch", "NumPy floor", "ours/torch", "target", "met"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row["workload"], row["what"], row["metric"]] + [
            format_number(row[key]) for key in ("ours", "torch", "numpy", "ours/torch")]
        cells += [row["target"] or "", format_number(row["met"]) if row["met"] is not None else ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine_info(device):
    """What the numbers depend on: processor, cores, library versions, BLAS kernels, threads."""
    from threadpoolctl import threadpool_info

    cpu = platform.processor()
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", pathlib.Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "device": device, "blas": [{k: pool.get(k) for k in ("internal_api", "version", "architecture",
                                                                  "num_threads", "filepath")}
                                       for pool in threadpool_info() if pool["user_api"] == "blas"],
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE")}
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["torch_blas"] = "MKL" if torch.backends.mkl.is_available() else "other"
    except ImportError:
        pass
    if device == "cuda":  # asked of CuPy, which the package runs on (a PyTorch build may lack CUDA)
        import cupy

        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        info["gpu"] = name.decode() if isinstance(name, bytes) else name
        info["cupy"] = cupy.__version__
        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
    return info


def package_version():
    """Which tinygrad_tutorial was timed: where it was imported from and, in a git checkout, the commit."""
    import tinygrad_tutorial

    path = pathlib.Path(tinygrad_tutorial.__file__).parent
    try:
        commit = subprocess.run(["git", "-C", str(path), "describe", "--always", "--dirty"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"path": str(path), "commit": commit}


def machine_slug(info):
    name = info.get("gpu") or info["cpu"]
    name = re.sub(r"\(R\)|\(TM\)|CPU|Processor|@.*", "", name)
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + f"-{info['cores']}core-{info['device']}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a smoke test, not a measurement")
    parser.add_argument("--only", default="W1,W2,W3,W4", help="comma-separated workloads, e.g. W3,W4")
    parser.add_argument("--threads", type=int, help="BLAS threads for NumPy and PyTorch alike (default: what NumPy "
                                                    "uses); 1 keeps busy machines from stalling small matmuls")
    parser.add_argument("--rounds", type=int, help="times the whole set runs, implementations taking turns "
                                                   "(default 5, or 1 with --quick)")
    parser.add_argument("--save", action="store_true", help="write bench/results/<date>-<machine>.json and .md")
    parser.add_argument("--label", default="", help="a tag for the saved run, e.g. 'before' (goes into the file name)")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 5)

    selected = [w.strip().upper() for w in args.only.split(",")]
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads, user_api="blas")  # for the rest of the run
    impls, missing = implementations(args.device)
    info = machine_info(args.device)
    if info["OPENBLAS_CORETYPE"] or info["OPENBLAS_L2_SIZE"]:
        print("note: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set and slow NumPy's matmuls; to measure W3 fairly run "
              "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench.py`", file=sys.stderr)
    load_before = os.getloadavg()[0]
    results = measure(impls, selected, args.quick, rounds)
    info["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # before, after
    rows = table_rows(results)
    date = datetime.datetime.now(datetime.timezone.utc)

    blas = ", ".join(f"{b['internal_api']} {b['version']} {b['architecture']} x{b['num_threads']}"
                     for b in info["blas"][:1])
    print(f"\n{date:%Y-%m-%d %H:%M} UTC · {info['cpu']} · {info['cores']} cores · numpy {info['numpy']} ({blas}) · "
          f"torch {info.get('torch', 'absent')} ({info.get('torch_threads', '-')} threads) · device {args.device} · "
          f"{rounds} round(s) · load average {info['load_average_1min'][0]} -> {info['load_average_1min'][1]}"
          + (" · QUICK" if args.quick else ""))
    if max(info["load_average_1min"]) > 0.5 * info["cores"]:
        print("warning: other jobs were running (load average above half the cores): timings are inflated, "
              "multi-threaded BLAS most of all; ratios suffer less, since the implementations took turns")
    print(markdown_table(rows))
    for name, reason in missing.items():
        print(f"{name}: skipped ({reason})")
    for workload, by_impl in results.items():
        for name, rounds_of_results in by_impl.items():
            if isinstance(rounds_of_results[0], str):
                print(f"{workload} {name}: failed: {rounds_of_results[0]}")
    w1 = results.get("W1", {})
    if w1:
        print("W1 final loss after 100 epochs: " + ", ".join(
            f"{name} {r[0]['final_loss']:.4f}" for name, r in w1.items() if isinstance(r[0], dict)))

    if args.save:
        RESULTS.mkdir(exist_ok=True)
        tags = "".join(f"-{tag}" for tag in (args.label, "quick" if args.quick else "") if tag)
        stem = RESULTS / f"{date:%Y-%m-%dT%H%MZ}-{machine_slug(info)}{tags}"
        record = {"date_utc": date.isoformat(timespec="seconds"), "label": args.label, "machine": info,
                  "package": package_version(), "quick": args.quick, "rounds": rounds,
                  "skipped": missing, "rows": rows, "raw": results}
        stem.with_suffix(".json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        stem.with_suffix(".md").write_text(
            f"{date:%Y-%m-%d %H:%M} UTC{' (' + args.label + ')' if args.label else ''}, {info['cpu']}, "
            f"{info['cores']} cores, numpy {info['numpy']} ({blas}), torch {info.get('torch')} "
            f"({info.get('torch_threads')} threads), tinygrad_tutorial {record['package']['commit']}, {rounds} rounds, "
            f"load average {info['load_average_1min'][0]} -> {info['load_average_1min'][1]}\n\n"
            + markdown_table(rows) + "\n")
        print(f"saved {stem}.json and .md")


if __name__ == "__main__":
    main()
