"""One solve of the random instances of :mod:`benchmarks.bench_models`, for one-off figures.

``python -m benchmarks.solve_one MODEL N M [--limit S] [--threads T] [--seed K] [--highs-seed H]
[--verbose]`` builds the instance of the spopt table (uniform points on a 10 km square, seed 0
unless given; LSCP radius 1.1 × the largest nearest-candidate distance, MCLP radius 1,500 m with
p = 20, p-median p = 20), solves it with this project and prints ``model n m seed highs_seed
threads objective bound status seconds`` (for an MCLP that took the cut-off path also
``cutoff=(hard, soft, sites)``, the size of its first cut-off model). ``--highs-seed`` gives HiGHS
another random seed than the project's fixed 0 (``planning.models._highs.RANDOM_SEED``): same
instance, same optimum, another search, to show how much a time owes to the seed. ``--verbose``
prints HiGHS's logs (node counts, each MILP's time). Not part of ``make bench`` (no peer runs, no
RESULTS.md).
"""

from __future__ import annotations

import argparse
import time

from benchmarks.bench_models import lscp_radius, random_instance


def main(argv: list[str] | None = None) -> str:
    """Parse the arguments, solve, and return the printed line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.solve_one", description=__doc__)
    parser.add_argument("model", choices=("lscp", "mclp", "pmedian"))
    parser.add_argument("n", type=int)
    parser.add_argument("m", type=int)
    parser.add_argument("--limit", type=float, default=100.0, help="time limit, s (default 100)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0, help="instance seed (default 0, the spopt table's)")
    parser.add_argument("--highs-seed", type=int, default=0, help="HiGHS random seed (default 0, the project's)")
    parser.add_argument("--verbose", action="store_true", help="print HiGHS's logs")
    args = parser.parse_args(argv)
    from planning.models import LSCP, MCLP, PMedian, SolverOptions, _highs
    _highs.RANDOM_SEED = args.highs_seed

    cost, weights = random_instance(args.n, args.m, args.seed)
    options = SolverOptions(time_limit_s=args.limit, threads=args.threads, verbose=args.verbose)
    began = time.perf_counter()
    if args.model == "lscp":
        solved = LSCP.from_cost_matrix(cost, threshold=lscp_radius(cost)).solve(options)
    elif args.model == "mclp":
        solved = MCLP.from_cost_matrix(cost, weights=weights, threshold=1500.0, p=20).solve(options)
    else:
        solved = PMedian.from_cost_matrix(cost, weights=weights, p=20).solve(options)
    seconds = time.perf_counter() - began
    line = (f"{args.model} {args.n} {args.m} seed={args.seed} highs_seed={args.highs_seed} "
            f"threads={args.threads} objective={solved.objective_:,.1f} bound={solved.bound_:,.1f} "
            f"status={solved.status_} seconds={seconds:.2f}")
    cutoff = getattr(solved, "_cutoff_size", None)
    if cutoff is not None:
        line += f" cutoff={tuple(cutoff)}"
    print(line)
    return line


if __name__ == "__main__":  # pragma: no cover
    main()
