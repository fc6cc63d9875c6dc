"""Where tinygrad_tutorial spends its time on one workload, by cProfile.

    python bench/profile_workload.py W1 [--impl ours|torch|numpy] [--lines 25] [--sort tottime]

Runs the workload (its --quick version) once to warm up, then once under cProfile, and prints the top functions.
(py-spy gives the same picture without the profiler's overhead: ``py-spy top -- python bench/bench.py --only W1``.)
"""
import argparse
import cProfile
import pstats

import bench


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=("W1", "W2", "W3", "W4"))
    parser.add_argument("--impl", choices=("ours", "torch", "numpy"), default="ours")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--lines", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="a pstats sort key: tottime, cumulative, ncalls")
    args = parser.parse_args()

    impls, _ = bench.implementations(args.device)
    impl = next(i for i in impls if i.name == args.impl)
    bench.run(impl, args.workload, quick=True)  # once unprofiled: imports and data loading stay out of the picture
    profiler = cProfile.Profile()
    profiler.enable()
    bench.run(impl, args.workload, quick=True)
    profiler.disable()
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
