"""Micro-timings of single calls of tinygrad_tutorial, in CPU time of this process.

    python bench/micro.py [--label NAME] [--torch]

CPU time (``time.process_time``) is far less disturbed than wall time when other jobs
share the machine, which makes it the tool for before/after comparisons of one change:
run it with ``PYTHONPATH=<other tree>/src`` to time another version of the package.
``--torch`` times the same calls in PyTorch (one thread). Prints one line of
``{call: µs}`` (best of 5 repeats).
"""
import argparse
import time
import timeit

import numpy as np

import tinygrad_tutorial as tt

CALLS = [  # (statement, calls per repeat)
    ("a + b", 50_000),
    ("x * 2.0", 50_000),
    ("w.t()", 50_000),
    ("F.linear(x, w, bias)", 20_000),
    ("x.mean()", 20_000),
    ("F.mse_loss(out, y)", 20_000),
    ("big.relu()", 300),
]


def namespace(torch):
    rng = np.random.default_rng(0)

    def randn(*shape, requires_grad=False):
        return torch.tensor(rng.standard_normal(shape, dtype=np.float32), requires_grad=requires_grad)

    return {"F": torch.nn.functional, "a": torch.ones(8, requires_grad=True), "b": torch.ones(8, requires_grad=True),
            "x": randn(100, 5, requires_grad=True), "w": randn(1, 5, requires_grad=True),
            "bias": randn(1, requires_grad=True), "out": randn(100, 1, requires_grad=True), "y": randn(100, 1),
            "big": randn(512, 1024, requires_grad=True)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default=tt.__file__)
    parser.add_argument("--torch", action="store_true", help="time PyTorch instead")
    args = parser.parse_args()
    if args.torch:
        import torch

        torch.set_num_threads(1)
        names, args.label = namespace(torch), f"torch {torch.__version__}"
    else:
        names = namespace(tt)
    timings = {}
    for statement, number in CALLS:
        timer = timeit.Timer(statement, timer=time.process_time, globals=names)
        timings[statement] = round(min(timer.repeat(number=number, repeat=5)) / number * 1e6, 2)
    print(args.label, timings)


if __name__ == "__main__":
    main()
