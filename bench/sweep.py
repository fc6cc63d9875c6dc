"""Throughput of one training step against batch size, for the plot of book chapter 9.

    python bench/sweep.py [--device cpu|cuda] [--quick] [--batch-sizes 16,64,256] [--save] [--label TAG]

The step is W3's (bench/workloads.py): MLP 784-1024-1024-10 on one synthetic batch, cross-entropy,
SGD(lr=0.01), forward + backward + update, median of several steps after two warm-ups, with a device
synchronisation after each. It runs in tinygrad_tutorial, in PyTorch when it is installed (same device)
and in the NumPy/CuPy floor, taking turns at each batch size. ``--save`` writes
``bench/results/<date>-<machine>-<device>-sweep.json``; chapter 9 draws a file whose name holds ``cuda``
or ``gpu`` and reads ``machine.gpu``, ``date_utc`` and ``batch_size_sweep`` (``batch_sizes``,
``samples_per_s``: tinygrad_tutorial's; PyTorch's and the floor's sit beside them).
"""
import argparse
import datetime
import json
import sys

import workloads
from bench import RESULTS, implementations, machine_info, machine_slug, package_version

BATCH_SIZES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
QUICK_BATCH_SIZES = [16, 64, 256, 1024]
MODEL = "MLP 784-1024-1024-10, cross-entropy, SGD(lr=0.01): one training step (forward, backward, update)"


def sweep(impls, batch_sizes, repeats):
    """{impl name: [samples per second, or None where it failed, one per batch size]}, and the errors."""
    rates = {impl.name: [] for impl in impls}
    errors = {}
    for batch_size in batch_sizes:
        for impl in impls:
            print(f"  batch {batch_size} {impl.name} ...", file=sys.stderr, flush=True)
            try:
                rate = workloads.w3_big_mlp(impl, repeats=repeats, batch_size=batch_size)["samples_per_s"]
            except Exception as error:  # a failure shows in the table and the record instead of stopping the sweep
                rate = None
                errors.setdefault(impl.name, f"batch {batch_size}: {type(error).__name__}: {error}")
            rates[impl.name].append(rate)
    return rates, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--quick", action="store_true",
                        help=f"batch sizes {QUICK_BATCH_SIZES}, 3 timed steps each: a smoke test, not a measurement")
    parser.add_argument("--batch-sizes", help=f"comma-separated (default {BATCH_SIZES})")
    parser.add_argument("--repeats", type=int, help="timed steps per batch size (default 10, or 3 with --quick)")
    parser.add_argument("--save", action="store_true", help="write bench/results/<date>-<machine>-sweep.json")
    parser.add_argument("--label", default="", help="a tag for the saved file name")
    args = parser.parse_args()
    if args.batch_sizes:
        batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    else:
        batch_sizes = QUICK_BATCH_SIZES if args.quick else BATCH_SIZES
    repeats = args.repeats or (3 if args.quick else 10)

    impls, missing = implementations(args.device)
    info = machine_info(args.device)
    rates, errors = sweep(impls, batch_sizes, repeats)
    date = datetime.datetime.now(datetime.timezone.utc)

    where = info.get("gpu") or info["cpu"]
    print(f"\n{date:%Y-%m-%d %H:%M} UTC · {where} · device {args.device} · {repeats} timed steps per point"
          + (" · QUICK" if args.quick else ""))
    print(f"samples/s, {MODEL}")
    names = [impl.name for impl in impls]
    print("| batch | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
    for index, batch_size in enumerate(batch_sizes):
        cells = [f"{rates[name][index]:,.0f}" if rates[name][index] is not None else "failed" for name in names]
        print(f"| {batch_size} | " + " | ".join(cells) + " |")
    for name, reason in {**missing, **errors}.items():
        print(f"{name}: {reason}")

    if None in rates["ours"]:
        sys.exit("tinygrad_tutorial failed at some batch size (above): nothing saved, since the chapter plots its numbers")
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        tags = "".join(f"-{tag}" for tag in (args.label, "quick" if args.quick else "") if tag)
        path = RESULTS / f"{date:%Y-%m-%dT%H%MZ}-{machine_slug(info)}-sweep{tags}.json"
        record = {"date_utc": date.isoformat(timespec="seconds"), "label": args.label, "machine": info,
                  "package": package_version(), "quick": args.quick,
                  "batch_size_sweep": {"model": MODEL, "device": args.device, "repeats": repeats,
                                       "batch_sizes": batch_sizes, "samples_per_s": rates["ours"],
                                       "torch_samples_per_s": rates.get("torch"),
                                       "floor_samples_per_s": rates.get("numpy")},
                  "skipped": missing, "errors": errors}
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        print(f"saved {path}")


if __name__ == "__main__":
    main()
