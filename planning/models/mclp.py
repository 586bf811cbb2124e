"""Maximal covering location problem (MCLP)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from planning._errors import InputError
from planning.models._common import SiteModel, format_ids, raise_problems
from planning.models._highs import solve_milp
from planning.models.base import SolveStatus, SolverOptions
from planning.models._covering import mclp_tabu
from planning.models._covering_small import swap_search
from planning.models import _mclp_cutoff
from planning.models._mclp_cutoff import prove_or_improve
from planning.models.heuristics import greedy_mclp
from planning.models.reduce import coverage_matrix, dominated_columns, merge_identical_columns, merge_identical_rows

__all__ = ["MCLP"]

#: Most swaps of the tabu search that warm-starts the exact solve (seeded, deterministic).
TABU_STEPS = 5000
#: The tabu search stops after this many swaps without a better solution.
TABU_PATIENCE = 1000
#: Tabu tenure (steps) of a swapped site, and searches run one after another (each from the best).
TABU_TENURE = 5
TABU_RESTARTS = 3
#: Reduced models with at most this many candidate columns use the numpy swap search
#: (:func:`planning.models._covering_small.swap_search`, no compiled-code start-up), larger ones
#: the compiled tabu search; either way the exact step is the cut-off model of
#: :mod:`planning.models._mclp_cutoff` when it keeps few optional demands, else the plain MILP.
SMALL_MAX_COLUMNS = 300
#: HiGHS options of the plain MILP: a small cut pool (MCLP 2,000 x 500 at 100 s: peak RSS 370 MiB
#: instead of 777, same incumbent; the 500 x 200 model solved 2-3x faster).
HIGHS_OPTIONS = {"mip_pool_soft_limit": 10}
#: Added when the plain MILP is warm-started by the swap search: no primal heuristics (their
#: sub-MIPs found nothing better than the tabu start on 2,000 x 500 and 5,000 x 1,000 and raised the
#: peak memory: 5,000 x 1,000 at 100 s peaked at 597 MiB RSS with them, 464 without, same incumbent
#: and bound, loaded machine). Without a start (budget, area rows, max_cost) HiGHS keeps them.
HIGHS_OPTIONS_STARTED = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}
#: Numpy swap search of the small path: most swaps and patience per search, tenure of the first
#: search, searches chained (each from the best, tenure growing), all seeded.
SWAP_STEPS = 600
SWAP_PATIENCE = 200
SWAP_TENURE = 5
SWAP_RESTARTS = 3
#: The second and later chained searches run only while more than this many (merged) demands weigh
#: less than the incumbent's uncovered weight, i.e. while the cut-off model would keep many soft
#: demands. On 500 x 200, seeds 0-15, the later searches improved only seeds 8, 9 and 12 (gaps 107,
#: 39, 112 after the first search; 391, 129 and 397 lighter demands); where the first search left
#: a small gap they cost ~0.055 s for nothing (seed 0: 0.24 -> 0.18 s CPU).
SWAP_MORE_IF_LIGHTER = 100


class MCLP(SiteModel):
    r"""Most demand covered within a threshold with at most ``p`` sites (and/or a budget).

    Formulation (``N_i`` = candidates within ``threshold`` of demand ``i``)::

        max   sum_i w_i x_i
        s.t.  x_i <= sum_{j in N_i} y_j              for every demand i
              sum_{j not fixed} y_j <= p
              sum_{j in N_i(T2)} y_j >= 1            for every demand i (when max_cost = T2)
              y_j = 1 for fixed j;  budget, per-area rows (see SiteModel)
              y binary, 0 <= x_i <= 1 (continuous: integral at an optimum for binary y)

    Coverage never falls when a site is added, so "at most p" has the optimum of "exactly p"
    (the solution may use fewer sites when more add nothing). Before solving, demands of zero
    weight, uncoverable or already covered by fixed sites are dropped, identical demands merged,
    identical and dominated candidates removed (without area rows or ``max_cost``); the solve
    is warm-started from greedy + a tabu search over swaps (seeded; in numpy for at most
    :data:`SMALL_MAX_COLUMNS` candidates left). With ``p`` only (no budget, area rows or
    ``max_cost``) the exact step is the cut-off model of :mod:`planning.models._mclp_cutoff`
    (demands heavier than the incumbent's uncovered weight must be covered; solved in rounds of
    "fewest sites leaving less uncovered"), which proves the incumbent or finds the optimum; with
    more than ``MAX_SOFT_ROWS`` optional demands left there, the plain MILP is solved instead
    (warm-started, without HiGHS's primal heuristics: :data:`HIGHS_OPTIONS_STARTED`).

    Parameters
    ----------
    threshold : float
        Coverage threshold (cost unit).
    p : int, optional
        Maximum number of sites besides the fixed ones (``p`` or ``budget`` is required).
    max_cost : float, optional
        Worst-case bound: every demand must have an open site within it.
    fixed, closable, close_saving, upgrade_cost, site_cost, budget, area_of, min_per_area, max_per_area
        Site options, see :class:`planning.models._common.SiteModel`.

    Examples
    --------
    >>> import numpy as np
    >>> from planning.models import MCLP
    >>> cost = np.array([[0, 4, 9], [3, 2, 9], [9, 3, 1]], dtype=float)
    >>> m = MCLP.from_cost_matrix(cost, weights=[5, 1, 2], threshold=2, p=1).solve()
    >>> m.selected_.tolist(), m.objective_
    ([0], 5.0)
    """

    def __init__(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        demand_ids: np.ndarray,
        candidate_ids: np.ndarray,
        *,
        threshold: float,
        p: int | None = None,
        max_cost: float | None = None,
        fixed: Sequence[Any] | None = None,
        closable: Sequence[Any] | None = None,
        close_saving: Mapping[Any, float] | None = None,
        upgrade_cost: Mapping[Any, float] | None = None,
        site_cost: Any = None,
        budget: float | None = None,
        area_of: Mapping[Any, Any] | None = None,
        min_per_area: int | Mapping[Any, int] | None = None,
        max_per_area: int | Mapping[Any, int] | None = None,
    ) -> None:
        problems: list[str] = []
        self._init_sites(
            cost, weights, demand_ids, candidate_ids, fixed=fixed, closable=closable, close_saving=close_saving,
            upgrade_cost=upgrade_cost, site_cost=site_cost, budget=budget, area_of=area_of,
            min_per_area=min_per_area, max_per_area=max_per_area, problems=problems,
        )
        if not (threshold is not None and np.isfinite(threshold) and threshold >= 0):
            problems.append(f"threshold must be a finite number >= 0; got {threshold}")
        if p is None and budget is None:
            problems.append("give p (number of sites) or budget (or both)")
        if p is not None and (int(p) != p or p < 0):
            problems.append(f"p must be an integer >= 0; got {p}")
        if max_cost is not None and not (np.isfinite(max_cost) and max_cost >= 0):
            problems.append(f"max_cost must be a finite number >= 0; got {max_cost}")
        if problems:
            raise InputError("MCLP options", problems)
        self.threshold = float(threshold)
        self.p = None if p is None else int(p)
        self.max_cost = None if max_cost is None else float(max_cost)

    # ------------------------------------------------------------------------------------------
    def _solve(self, options: SolverOptions) -> dict[str, Any]:
        method = self._check_method(options)
        problems = self._site_problems(None)
        if self.max_cost is not None:
            far = np.flatnonzero(self.cost.min(axis=1) > self.max_cost)
            if far.size:
                problems.append(
                    f"{far.size} demand(s) have no candidate within max_cost {self.max_cost:g}: "
                    f"{format_ids(self.demand_ids[far])}"
                )
        raise_problems("MCLP", problems)
        n, m = self.cost.shape
        cover = coverage_matrix(self.cost, self.threshold)
        reducible = not self._has_area and self.max_cost is None
        cost = self._open_cost
        fixed_cover = (cover @ self._fixed.astype(np.float64)) > 0 if self._fixed.any() else np.zeros(n, dtype=bool)
        base = float(self.weights[fixed_cover].sum())
        row_keep = ~fixed_cover & (self.weights > 0) & (np.diff(cover.indptr) > 0)
        row_idx = np.flatnonzero(row_keep)
        sub = sparse.csr_array(cover[row_idx])
        w = self.weights[row_idx]
        if reducible and sub.shape[0]:
            rep, w = merge_identical_rows(sub, w)
            sub = sparse.csr_array(sub[rep])
        cols = ~self._fixed
        if reducible:
            free = np.flatnonzero(cols)
            keep = merge_identical_columns(sub[:, free], cost[free])
            dom = dominated_columns(sub[:, free], cost[free], keep)
            cols[free[~keep | dom]] = False
        col_idx = np.flatnonzero(cols)
        csub = sparse.csr_array(sub[:, col_idx])
        self._reduced_size = (csub.shape, n, m)
        p = self.p
        # heuristic start (no budget / area rows: greedy + swap respect only p)
        start = None
        k = len(col_idx)
        if self.budget is None and not self._has_area and self.max_cost is None and p is not None:
            y0 = greedy_mclp(csub, w, min(p, k))
            if k <= SMALL_MAX_COLUMNS:  # numpy search: no compiled-code start-up
                start, value = swap_search(csub, w, y0, steps=SWAP_STEPS, patience=SWAP_PATIENCE, tenure=SWAP_TENURE)
                for r in range(1, SWAP_RESTARTS):  # chained searches only while the cut-off model would be large
                    if np.count_nonzero(w < float(w.sum()) - value) <= SWAP_MORE_IF_LIGHTER:
                        break
                    start, value = swap_search(csub, w, start, steps=SWAP_STEPS, patience=SWAP_PATIENCE,
                                               tenure=SWAP_TENURE * (r + 1), seed=r)
            else:
                start, _ = mclp_tabu(csub, w, y0, steps=TABU_STEPS, patience=TABU_PATIENCE, tenure=TABU_TENURE,
                                     restarts=TABU_RESTARTS)
        if method != "heuristic" and start is not None and 0 < p < k:
            found = prove_or_improve(csub, w, start, p, time_limit_s=options.time_limit_s, threads=options.threads,
                                     verbose=options.verbose, max_soft=_mclp_cutoff.MAX_SOFT_ROWS)
        else:
            found = None
        if found is not None:
            self._cutoff_size = found.reduced
            y = self._fixed.copy()
            y[col_idx[found.y]] = True
            objective = self._covered(y)
            return self._finish(y, objective=objective, bound=max(found.bound + base, objective),
                                status=SolveStatus.OPTIMAL if found.proven else SolveStatus.TIME_LIMIT,
                                assignment=self._assign(y, self.threshold)[0])
        if method == "heuristic" and start is not None:
            bound = self._lp_value(csub, w, col_idx, options) + base
            y = self._fixed.copy()
            y[col_idx[start]] = True
            objective = self._covered(y)
            return self._finish(y, objective=objective, bound=max(bound, objective), status=SolveStatus.HEURISTIC,
                                assignment=self._assign(y, self.threshold)[0])
        res, k, r = self._milp(csub, w, col_idx, options, start, integer=True)
        if res.status == "infeasible":
            raise_problems("MCLP", [
                "no choice of sites meets the budget / per-area / max_cost constraints together with p; "
                "relax one of them"
            ])
        y = self._fixed.copy()
        y[col_idx[res.x[:k] > 0.5]] = True
        objective = self._covered(y)
        status = SolveStatus.OPTIMAL if res.status == "optimal" else SolveStatus.TIME_LIMIT
        return self._finish(y, objective=objective, bound=res.bound + base, status=status,
                            assignment=self._assign(y, self.threshold)[0])

    def _covered(self, y: np.ndarray) -> float:
        within = (self.cost[:, y] <= self.threshold).any(axis=1) if y.any() else np.zeros(len(self.weights), bool)
        return float(self.weights[within].sum())

    def _milp(self, csub: sparse.csr_array, w: np.ndarray, col_idx: np.ndarray, options: SolverOptions,
              start: np.ndarray | None, *, integer: bool) -> tuple:
        r, k = csub.shape
        m = len(self.candidate_ids)
        y_fix = self._fixed
        blocks = [sparse.hstack([csub.astype(np.float64), -sparse.eye_array(r)], format="csr")]
        lo = [np.zeros(r)]
        hi = [np.full(r, np.inf)]
        if self.p is not None:
            blocks.append(sparse.hstack([sparse.csr_array(np.ones((1, k))), sparse.csr_array((1, r))]))
            lo.append(np.array([-np.inf]))
            hi.append(np.array([float(self.p)]))
        if self.budget is not None:
            blocks.append(sparse.hstack([sparse.csr_array(self._open_cost[col_idx].reshape(1, -1)),
                                         sparse.csr_array((1, r))]))
            lo.append(np.array([-np.inf]))
            hi.append(np.array([self.budget - self._cost_offset - float(self._open_cost[y_fix].sum())]))
        if self._area is not None:
            for a in range(len(self._area_names)):
                if self._area_min[a] > 0 or np.isfinite(self._area_max[a]):
                    already = float((y_fix & (self._area == a)).sum())
                    row = (self._area[col_idx] == a).astype(float).reshape(1, -1)
                    blocks.append(sparse.hstack([sparse.csr_array(row), sparse.csr_array((1, r))]))
                    lo.append(np.array([self._area_min[a] - already]))
                    hi.append(np.array([self._area_max[a] - already]))
        if self.max_cost is not None:
            cover2 = coverage_matrix(self.cost, self.max_cost)
            done = (cover2 @ y_fix.astype(np.float64)) > 0 if y_fix.any() else np.zeros(cover2.shape[0], bool)
            c2 = sparse.csr_array(cover2[np.flatnonzero(~done)][:, col_idx]).astype(np.float64)
            blocks.append(sparse.hstack([c2, sparse.csr_array((c2.shape[0], r))]))
            lo.append(np.ones(c2.shape[0]))
            hi.append(np.full(c2.shape[0], np.inf))
        mat = sparse.vstack(blocks, format="csc")
        c = np.concatenate([np.zeros(k), w])
        x0 = None
        if start is not None:
            x0 = np.concatenate([start.astype(float), np.minimum(csub @ start.astype(float), 1.0)])
        del m
        res = solve_milp(
            c, mat, np.concatenate(lo), np.concatenate(hi), np.zeros(k + r), np.ones(k + r),
            np.concatenate([np.full(k, integer), np.zeros(r, dtype=bool)]), maximize=True,
            time_limit_s=options.time_limit_s, mip_gap=options.mip_gap, threads=options.threads,
            verbose=options.verbose, start=x0,
            highs_options=HIGHS_OPTIONS if start is None else {**HIGHS_OPTIONS, **HIGHS_OPTIONS_STARTED},
        )
        return res, k, r

    def _lp_value(self, csub: sparse.csr_array, w: np.ndarray, col_idx: np.ndarray, options: SolverOptions) -> float:
        res, _, _ = self._milp(csub, w, col_idx, options, None, integer=False)
        return res.objective if res.x is not None else float("inf")
