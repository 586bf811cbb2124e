"""Exact MCLP step for the near-full-coverage regime: prove an incumbent or beat it, with a cut-off.

Internal module of :mod:`planning.models.mclp`. When ``p`` sites can cover almost all demand, the
LP bound of the MCLP equals the total weight and says nothing; the optimum is decided by which few
demands stay uncovered. Given an incumbent that leaves weight ``g`` uncovered, a strictly better
solution leaves at most ``cut`` (``g − 1`` for integer weights) uncovered, so

- every demand of weight above ``cut`` must be covered: it becomes a set-covering row (*hard*);
- a demand whose candidate set contains a hard demand's set is covered whenever that one is, and
  is dropped; identical demands are merged (weights summed, which may make them hard);
- a site whose demand set is contained in another site's is dropped (dominance, "at most p");
- a hard demand reached by one site only makes that site necessary (opened, ``p`` lowered).

The rest is the model ``min Σ y_j`` (fewest sites) s.t. ``Σ_{j∈N_i} y_j + u_i >= 1`` for the
*soft* demands ``i``, ``Σ_{j∈N_i} y_j >= 1`` for hard demands, ``Σ y_j <= p`` and
``Σ w_i u_i <= cut``: infeasible proves the incumbent optimal, otherwise its first solution found
is a better incumbent (polished by a short swap search) and the next round starts from it (5,000 ×
1,000: proving that solution had the fewest sites took another 98 s after the 64.5 s to find it).
The number of sites is integral and its LP bound is strong (the hard demands alone need nearly
``p`` sites), where the uncovered weight's LP bound is 0; on 500 × 200 (seeds 0–5) HiGHS solves
this model about twice as fast as ``min Σ w_i u_i``. With many soft demands the ``u_i`` are
continuous in ``[0, 1]``: at integral sites each is forced to 1 exactly where its demand is
uncovered, so the model's integral solutions are the same, and HiGHS branches on sites only (MCLP
2,000 × 500, p = 20, seed 0: 1,915 nodes and 92 s instead of 2,458 nodes and 116 s; seed 2: 177 s
instead of 249 s). HiGHS runs without primal heuristics, branches on pseudocosts from the
start, and on small models has a small cut pool (``mip_pool_soft_limit``). HiGHS's random seed
alone moves the whole MCLP solve of seed 0 between 83 and 152 s (seeds 0-5: 93, 99, 93, 152, 83,
127 s), so single timings of this size differ by that much.

Tried and left out, on the proving round of 2,000 × 500, seed 0, with two threads (the command
below with ``--threads 2 --verbose``; HiGHS's parallel search is deterministic: 1,487 nodes and
375,086 LP iterations as committed, 47.6 s). With CHANGE ``m.HIGHS_OPTIONS = {**m.HIGHS_OPTIONS,
OPTION: VALUE}``: ``mip_allow_restart`` False, ``mip_detect_symmetry`` False and
``mip_pool_soft_limit`` 2000 leave the search unchanged; ``mip_lp_age_limit`` 30 gives 1,505 nodes
and 376,769 iterations; an objective cut-off (``objective_bound`` 20.01, just above p) 1,842 and
346,251. None saves more than 8 % of the iterations. LP probing (``python -m benchmarks.probe_mclp
2000 500 --sites --solve-hard 400 --threads 2``) proves 985 of the 1,682 soft demands must be
covered: leaving one uncovered, with its sites closed, needs more than ``p`` sites in the LP. But
the probes took 380-400 s, and with those demands made hard HiGHS had not finished in 400 s (6,165
nodes): its root bound stays at 19.054 sites and its cut pool reaches about 2,300 cuts. Probing the
sites fixes none: opening or closing any one of the 448 alone keeps the LP within p (78 s of
probes).

The figures of these notes come from ``python -m benchmarks.solve_one mclp N M [--seed K]
[--highs-seed H] [--limit 300] [--verbose]`` (whole MCLP solves, one thread; ``--verbose`` prints
HiGHS's node counts and times). Variants run the same command as ``python -c "import
planning.models._mclp_cutoff as m; CHANGE; from benchmarks.solve_one import main; import sys;
main(sys.argv[1:])" mclp N M ...`` with CHANGE ``m.CONTINUOUS_MIN_SOFT = 10**9`` (binary ``u_i``),
``m.CONTINUOUS_MIN_SOFT = 0`` (continuous ``u_i`` on every model) or ``m._first = lambda x: False``
(rounds run on to the fewest sites). The 500 × 200 figures are each seed's best of three runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from planning._errors import SolverError
from planning.models._covering_small import swap_search
from planning.models._highs import MilpResult, solve_milp
from planning.models.heuristics import greedy_mclp
from planning.models.reduce import dominated_columns, merge_identical_columns, merge_identical_rows

__all__ = ["CutoffResult", "prove_or_improve"]

#: HiGHS options of the cut-off model: no primal heuristics (the model is usually infeasible; on
#: 500 x 200, seeds 0-5, the sub-MIP heuristics took about half the time), and branching on
#: pseudocosts without first taking 8 strong-branching samples per site (``mip_pscost_minreliable``
#: 0). MCLP 2,000 x 500, p = 20, the proving round, in HiGHS's node and LP-iteration counts (which
#: do not depend on the machine's load; ``--verbose`` runs of the module notes' command, "before"
#: with CHANGE ``m.HIGHS_OPTIONS = {**m.HIGHS_OPTIONS, "mip_pscost_minreliable": 8}``): instance
#: seed 0, 1,915 nodes and 487,600 LP iterations (75,122 of them strong branching) before, 1,881
#: and 477,391 after; seed 2, 4,023 and 882,516 before, 2,839 and 643,412 after (whole solve 220 s
#: before, 180 s after, both runs at once). 500 x 200, seeds 0-15, best of two each: 6.26 s in all
#: before, 5.98 s after. Other options moved the seed-0 round's time (118-120 s, two runs at once)
#: no more than its spread: ``mip_pscost_minreliable`` 2, 114-120 s; ``mip_allow_restart`` off,
#: 108-116 s; ``mip_detect_symmetry`` off, 117-118 s; ``mip_lp_age_limit`` 30, 107-111 s.
HIGHS_OPTIONS = {
    "mip_pscost_minreliable": 0,
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}
#: Models with at most this many soft demands also get a small cut pool (``mip_pool_soft_limit``
#: 10): on 500 x 200, seeds 0-5, up to twice as fast. A larger model needs its cuts: on 2,000 x 500
#: (1,777 soft demands) the small pool took 201 s to the point that the default pool reached in
#: 102 s (same run, loaded machine).
SMALL_POOL_MAX_SOFT = 200
#: Above this many soft demands the cut-off model is not built: :func:`prove_or_improve` returns
#: ``None`` (and the MCLP solves the plain MILP). MCLP 2,000 x 500, p = 20 (1,682 soft demands): the
#: cut-off model proves the optimum in 92 s, where the plain MILP has not closed the gap in 300 s
#: (bound 101,103 for 100,967: RESULTS.md, ``python -m benchmarks models``); 5,000 x 1,000 (4,580
#: soft demands), 100 s limit: its first round finds 254,017 in 64.5 s (the tabu start had 253,836,
#: the plain MILP stays there, and its bound is the total weight, 254,452, like the cut-off model's
#: when stopped on time). Larger models are untried.
MAX_SOFT_ROWS = 5000
#: From this many soft demands on, their ``u_i`` are continuous (see the module notes); below it
#: they stay binary, from which HiGHS draws knapsack cover cuts on the few that may stay uncovered.
#: 500 x 200, seeds 0-15 (see the module notes for the commands): with binary u, 1.65 s in all on
#: the seven models of 1-27 soft demands (continuous: 1.87 s; seed 0, 7 soft demands: 0.16 s against
#: 0.26 s); with continuous u, 3.43 s on the five of 38-139 (binary: 5.23 s); 2,000 x 500 (1,682
#: soft demands): 92 s against 116 s.
CONTINUOUS_MIN_SOFT = 30
#: A better incumbent found by a round is polished by a short numpy swap search (most swaps and
#: patience) before the next round: the rounds' solutions tend to sit just under the cut, and
#: every unit gained shrinks the next model.
POLISH_STEPS = 100
POLISH_PATIENCE = 50


@dataclass(frozen=True)
class CutoffResult:
    """Outcome of :func:`prove_or_improve`.

    Attributes
    ----------
    y : ndarray of bool
        The best site set (the incumbent or a better one).
    value : float
        Its covered weight.
    bound : float
        Upper bound on the covered weight of any ``p`` sites.
    proven : bool
        ``value`` is optimal (``bound == value``).
    reduced : tuple
        Rows (hard, soft) and columns of the cut-off model after the reductions.
    """

    y: np.ndarray
    value: float
    bound: float
    proven: bool
    reduced: tuple[int, int, int]


def _reduce(cover: sparse.csr_array, w: np.ndarray, cut: float, tol: float) -> tuple:
    """Reductions of the cut-off model; returns rows kept, their weights, columns kept, opened columns."""
    n, k = cover.shape
    rows = np.arange(n)
    wr = w.astype(np.float64).copy()
    cols = np.arange(k)
    opened = np.zeros(k, dtype=bool)
    while True:
        sub = sparse.csr_array(cover[rows][:, cols])
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            break
        rep, merged = merge_identical_rows(sub, wr)
        if rep.size < rows.size:
            rows, wr = rows[rep], merged
            continue
        hard = wr > cut + tol
        sizes = np.diff(sub.indptr)
        single = np.flatnonzero(hard & (sizes == 1))
        if single.size:  # a hard row reached by one column: that column must open
            ess = np.unique(sub.indices[sub.indptr[single]])
            opened[cols[ess]] = True
            done = np.asarray(sparse.csc_array(sub)[:, ess].sum(axis=1)).ravel() > 0
            keep_cols = np.ones(cols.size, dtype=bool)
            keep_cols[ess] = False
            rows, wr, cols = rows[~done], wr[~done], cols[keep_cols]
            continue
        hidx = np.flatnonzero(hard)
        if hidx.size:  # rows containing a hard row's set are always covered
            si = sub.astype(np.int32)
            ov = sparse.coo_array(si @ si[hidx].T)
            hit = (ov.row != hidx[ov.col]) & (ov.data == sizes[hidx[ov.col]])
            if hit.any():
                drop = np.zeros(rows.size, dtype=bool)
                drop[ov.row[hit]] = True
                rows, wr = rows[~drop], wr[~drop]
                continue
        unit = np.ones(cols.size)
        keep = merge_identical_columns(sub, unit)
        dom = dominated_columns(sub, unit, keep)
        if (~keep | dom).any():
            cols = cols[keep & ~dom]
            continue
        break
    return rows, wr, cols, opened


def _covered(csc: sparse.csc_array, y: np.ndarray) -> np.ndarray:
    """Rows covered by the open columns ``y``."""
    n = csc.shape[0]
    if not y.any():
        return np.zeros(n, dtype=bool)
    return np.asarray(csc[:, np.flatnonzero(y)].sum(axis=1)).ravel() > 0


def _round_sites(csc: sparse.csc_array, w: np.ndarray, opened: np.ndarray, cols: np.ndarray,
                 x: np.ndarray) -> tuple[np.ndarray, float]:
    """Sites of a round's MILP solution ``x`` (on ``cols``) with those already ``opened``, and their covered weight."""
    sites = opened.copy()
    sites[cols[x[: cols.size] > 0.5]] = True
    return sites, float(w[_covered(csc, sites)].sum())


def _cutoff_milp(sub: sparse.csr_array, wr: np.ndarray, hard: np.ndarray, p_left: int, cut: float, *,
                 least_uncovered: bool, time_limit_s: float, threads: int, verbose: bool) -> MilpResult:
    """Cut-off model in HiGHS: fewest sites (or least uncovered soft weight) covering every hard row
    with at most ``p_left`` sites and at most ``cut`` soft weight uncovered."""
    soft = np.flatnonzero(~hard)
    r, c, s = sub.shape[0], sub.shape[1], soft.size
    u_block = sparse.csr_array((np.ones(s), (soft, np.arange(s))), shape=(r, s))
    mat = sparse.vstack([
        sparse.hstack([sub, u_block]),
        sparse.hstack([sparse.csr_array(np.ones((1, c))), sparse.csr_array((1, s))]),
        sparse.hstack([sparse.csr_array((1, c)), sparse.csr_array(wr[soft].reshape(1, -1))]),
    ], format="csc")
    row_lo = np.concatenate([np.ones(r), [-np.inf, -np.inf]])
    row_hi = np.concatenate([np.full(r, np.inf), [float(p_left), cut]])
    cost = np.concatenate([np.zeros(c), wr[soft]]) if least_uncovered else np.concatenate([np.ones(c), np.zeros(s)])
    integer = np.concatenate([np.ones(c, dtype=bool), np.full(s, s < CONTINUOUS_MIN_SOFT)])
    # fewest sites: any solution within p_left sites is a better incumbent, so the first one ends
    # the round (proving it has the fewest sites would only cost time)
    return solve_milp(cost, mat, row_lo, row_hi, np.zeros(c + s), np.ones(c + s), integer,
                      time_limit_s=time_limit_s, threads=threads, verbose=verbose, highs_options=_options(s),
                      on_solution=None if least_uncovered else _first)


def _first(x: np.ndarray) -> bool:
    """Stop the branch and bound at its first solution."""
    return True


def _options(soft_rows: int) -> dict:
    """HiGHS options of a cut-off model with ``soft_rows`` soft demands."""
    if soft_rows <= SMALL_POOL_MAX_SOFT:
        return {**HIGHS_OPTIONS, "mip_pool_soft_limit": 10}
    return HIGHS_OPTIONS


def prove_or_improve(
    cover: sparse.sparray,
    weights: np.ndarray,
    y: np.ndarray,
    p: int,
    *,
    time_limit_s: float = 600.0,
    threads: int = 1,
    verbose: bool = False,
    max_soft: int | None = MAX_SOFT_ROWS,
) -> CutoffResult | None:
    """Prove the MCLP incumbent ``y`` optimal or find the optimum, on the cut-off model.

    Each round builds the cut-off model of the incumbent and asks HiGHS for at most ``p`` sites
    that cover every hard demand and leave at most ``cut`` soft weight uncovered, minimising the
    number of sites (an integral objective, which HiGHS bounds far better than the uncovered
    weight, and no primal heuristics: the answer is usually "infeasible"). Infeasible proves the
    incumbent optimal; otherwise the first solution found is a strictly better incumbent and the
    next round starts from it (with a smaller cut, so a smaller model).

    Parameters
    ----------
    cover : sparse boolean matrix (demand × site)
        Every demand must have at least one site.
    weights : ndarray
        Demand weights (``>= 0``).
    y : ndarray of bool
        The incumbent (at most ``p`` open sites).
    p : int
        Number of sites.
    time_limit_s, threads, verbose : keyword-only
        HiGHS settings (the time limit covers every round).
    max_soft : int, optional
        Give up (return ``None``) when the first reduced cut-off model keeps more soft demands.

    Returns
    -------
    CutoffResult or None
        ``reduced`` is the size of the first round's model; an unproven result (time limit) has
        the total weight as its bound.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> c = sparse.csr_array(np.array([[1, 0, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
    >>> r = prove_or_improve(c, np.array([4.0, 1.0, 2.0, 3.0]), np.array([True, False, False]), 2)
    >>> r.y.tolist(), r.value, r.proven
    ([True, False, True], 9.0, True)
    """
    began = time.perf_counter()
    csr = sparse.csr_array(cover)
    csr.sort_indices()
    csc = sparse.csc_array(csr)
    w = np.asarray(weights, dtype=np.float64)
    y = np.asarray(y, dtype=bool).copy()
    total = float(w.sum())
    value = float(w[_covered(csc, y)].sum())
    tol = 1e-9 * max(1.0, total)
    integral = bool(np.all(w == np.round(w)))
    first: tuple[int, int, int] | None = None
    while True:
        gap = total - value
        if gap <= tol:
            return CutoffResult(y, value, value, True, first or (0, 0, 0))
        cut = gap - 1.0 if integral else gap - tol
        if cut < -tol:  # nothing better than the incumbent can exist
            return CutoffResult(y, value, value, True, first or (0, 0, 0))
        rows, wr, cols, opened = _reduce(csr, w, cut, tol)
        p_left = int(p) - int(opened.sum())
        hard = wr > cut + tol
        shape = (int(hard.sum()), int((~hard).sum()), int(cols.size))
        if first is None:
            first = shape
            if p_left >= 0 and max_soft is not None and shape[1] > max_soft:
                return None
        if p_left < 0:
            return CutoffResult(y, value, value, True, first)
        sub = sparse.csr_array(csr[rows][:, cols]).astype(np.float64)
        left_s = time_limit_s - (time.perf_counter() - began)
        if left_s <= 0:
            return CutoffResult(y, value, total, False, first)
        try:
            res = _cutoff_milp(sub, wr, hard, p_left, cut, least_uncovered=False, time_limit_s=left_s,
                               threads=threads, verbose=verbose)
        except SolverError:  # stopped on time before finding a solution or proving there is none
            return CutoffResult(y, value, total, False, first)
        if res.status == "infeasible":
            return CutoffResult(y, value, value, True, first)
        better, better_value = _round_sites(csc, w, opened, cols, res.x)
        if better_value <= value + tol:
            # fractional weights: HiGHS's feasibility tolerance let through a solution no better than
            # the incumbent; the least uncovered weight of this round's model settles it
            return _least_uncovered(csc, w, y, value, total, sub, wr, hard, p_left, cut, opened, cols, first,
                                    time_limit_s=time_limit_s - (time.perf_counter() - began), threads=threads,
                                    verbose=verbose)
        if int(better.sum()) < int(p):  # sites to spare: add the best ones, then a short swap search
            better = greedy_mclp(csr, w, int(p) - int(better.sum()), start=better)
        better, _ = swap_search(csr, w, better, steps=POLISH_STEPS, patience=POLISH_PATIENCE)
        y, value = better, float(w[_covered(csc, better)].sum())


def _least_uncovered(csc: sparse.csc_array, w: np.ndarray, y: np.ndarray, value: float, total: float,
                     sub: sparse.csr_array, wr: np.ndarray, hard: np.ndarray, p_left: int, cut: float,
                     opened: np.ndarray, cols: np.ndarray, first: tuple[int, int, int], *, time_limit_s: float,
                     threads: int, verbose: bool) -> CutoffResult:
    """Final round on ``min Σ w_i u_i``: its optimum is the MCLP optimum (or the incumbent is)."""
    gap = total - value
    tol = 1e-9 * max(1.0, total)
    try:
        res = _cutoff_milp(sub, wr, hard, p_left, cut, least_uncovered=True, time_limit_s=max(time_limit_s, 0.0),
                           threads=threads, verbose=verbose)
    except SolverError:
        return CutoffResult(y, value, total, False, first)
    if res.status == "infeasible":
        return CutoffResult(y, value, value, True, first)
    better, better_value = _round_sites(csc, w, opened, cols, res.x)
    if better_value > value + tol:
        y, value = better, better_value
    proven = res.status == "optimal"
    bound = value if proven else total - min(gap, max(float(res.bound), 0.0))
    return CutoffResult(y, value, max(bound, value), proven, first)
