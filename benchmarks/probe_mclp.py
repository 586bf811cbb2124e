"""LP probing on the first cut-off model of an MCLP of the spopt table, for one-off figures.

``python -m benchmarks.probe_mclp N M [--seed K] [--sites] [--solve-hard S] [--threads T]`` builds
the instance of :mod:`benchmarks.solve_one` (MCLP, radius 1,500 m, p = 20), runs the MCLP until its
first cut-off model is built (:mod:`planning.models._mclp_cutoff`) and stops there. On that model
it prints the LP bound (fewest sites, ``Σ y <= p`` left out) and probes every soft demand: leave it
uncovered (``u_i = 1``) with its sites closed, re-solve the LP; if that needs more than ``p`` sites
the demand must be covered. ``--sites`` also probes every site: opened (unless its reduced cost
already exceeds the gap to ``p``) and, where the LP uses it, closed. ``--solve-hard S`` then solves
the cut-off model with the must-be-covered demands made hard (HiGHS log on, ``S`` seconds,
``--threads``). The figures in the notes of ``_mclp_cutoff.py`` come from ``python -m
benchmarks.probe_mclp 2000 500 --sites --solve-hard 400 --threads 2``. Not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import time

import highspy
import numpy as np
from scipy import sparse

from benchmarks.bench_models import random_instance
from planning.models._highs import new_highs


class _FirstModel(Exception):
    """Raised to stop the MCLP once its first cut-off model is built."""


def first_cutoff_model(n: int, m: int, seed: int) -> dict:
    """The arguments of the first cut-off MILP the MCLP of this instance builds."""
    import planning.models._mclp_cutoff as cutoff
    from planning.models import MCLP, SolverOptions

    found: dict = {}

    def grab(sub, wr, hard, p_left, cut, **_):
        found.update(sub=sparse.csr_array(sub), wr=wr, hard=hard, p_left=p_left, cut=cut)
        raise _FirstModel

    original = cutoff._cutoff_milp
    cutoff._cutoff_milp = grab
    try:
        cost, weights = random_instance(n, m, seed)
        MCLP.from_cost_matrix(cost, weights=weights, threshold=1500.0, p=20).solve(SolverOptions(time_limit_s=600))
    except _FirstModel:
        pass
    finally:
        cutoff._cutoff_milp = original
    if not found:
        raise SystemExit("this instance is solved without a cut-off model")
    return found


def _lp(sub: sparse.csr_array, wr: np.ndarray, soft: np.ndarray, cut: float) -> highspy.Highs:
    """The LP of the cut-off model, fewest sites, without the row ``Σ y <= p``."""
    r, c, s = sub.shape[0], sub.shape[1], soft.size
    u_block = sparse.csr_array((np.ones(s), (soft, np.arange(s))), shape=(r, s))
    mat = sparse.vstack([sparse.hstack([sub, u_block]),
                         sparse.hstack([sparse.csr_array((1, c)), sparse.csr_array(wr[soft].reshape(1, -1))])],
                        format="csc")
    mat.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = c + s, r + 1
    lp.col_cost_ = np.concatenate([np.ones(c), np.zeros(s)])
    lp.col_lower_, lp.col_upper_ = np.zeros(c + s), np.ones(c + s)
    lp.row_lower_ = np.concatenate([np.ones(r), [-highspy.kHighsInf]])
    lp.row_upper_ = np.concatenate([np.full(r, highspy.kHighsInf), [cut]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = mat.indptr.astype(np.int32)
    lp.a_matrix_.index_ = mat.indices.astype(np.int32)
    lp.a_matrix_.value_ = mat.data
    h = new_highs()
    h.passModel(lp)
    return h


def _value(h: highspy.Highs) -> float:
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return np.inf
    return float(h.getInfo().objective_function_value)


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, probe and print."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probe_mclp", description=__doc__)
    parser.add_argument("n", type=int)
    parser.add_argument("m", type=int)
    parser.add_argument("--seed", type=int, default=0, help="instance seed (default 0)")
    parser.add_argument("--sites", action="store_true", help="also probe every site")
    parser.add_argument("--solve-hard", type=float, metavar="S", help="solve with the must-cover demands hard")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    model = first_cutoff_model(args.n, args.m, args.seed)
    sub, wr, hard, p_left, cut = (model[k] for k in ("sub", "wr", "hard", "p_left", "cut"))
    soft = np.flatnonzero(~hard)
    c = sub.shape[1]
    h = _lp(sub.astype(np.float64), wr, soft, cut)
    root = _value(h)
    x = np.asarray(h.getSolution().col_value)
    reduced = np.asarray(h.getSolution().col_dual)[:c]
    print(f"cut-off model: {int(hard.sum())} hard, {soft.size} soft demands, {c} sites, p = {p_left}, "
          f"cut {cut:g}; LP {root:.4f} sites")
    began = time.perf_counter()
    must = []
    for k, i in enumerate(soft):
        sites = sub.indices[sub.indptr[i]:sub.indptr[i + 1]]
        for j in sites:
            h.changeColBounds(int(j), 0.0, 0.0)
        h.changeColBounds(c + k, 1.0, 1.0)
        if _value(h) > p_left + 1e-6:
            must.append(i)
        for j in sites:
            h.changeColBounds(int(j), 0.0, 1.0)
        h.changeColBounds(c + k, 0.0, 1.0)
    print(f"demand probes: {len(must)} of {soft.size} must be covered ({time.perf_counter() - began:.0f} s)")
    if args.sites:
        began = time.perf_counter()
        gap = p_left - root
        closed = int((reduced > gap + 1e-9).sum())
        for j in np.flatnonzero(reduced <= gap + 1e-9):
            h.changeColBounds(int(j), 1.0, 1.0)
            closed += _value(h) > p_left + 1e-6
            h.changeColBounds(int(j), 0.0, 1.0)
        opened = 0
        for j in np.flatnonzero(x[:c] > 1e-9):
            h.changeColBounds(int(j), 0.0, 0.0)
            opened += _value(h) > p_left + 1e-6
            h.changeColBounds(int(j), 0.0, 1.0)
        print(f"site probes: {closed} of {c} sites can be closed, {opened} must open "
              f"({time.perf_counter() - began:.0f} s)")
    if args.solve_hard is not None:
        from planning._errors import SolverError
        from planning.models._mclp_cutoff import _cutoff_milp

        made_hard = hard.copy()
        made_hard[must] = True
        began = time.perf_counter()
        try:
            status = _cutoff_milp(sub.astype(np.float64), wr, made_hard, p_left, cut, least_uncovered=False,
                                  time_limit_s=args.solve_hard, threads=args.threads, verbose=True).status
        except SolverError:  # stopped on time with neither a solution nor a proof
            status = "not finished"
        print(f"with {len(must)} demands made hard: {status} after {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":  # pragma: no cover
    main()
