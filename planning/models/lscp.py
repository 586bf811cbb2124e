"""Location set covering problem (LSCP) with a coverage floor and a worst-case bound."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from planning._errors import InfeasibleError, InputError, SolverError
from planning.models._covering import LscpLagrangian, lscp_lagrangian, unicost_descent
from planning.models._covering_small import shrink_cover
from planning.models._common import SiteModel, format_ids, raise_problems
from planning.models._highs import solve_milp
from planning.models.base import SolveStatus, SolverOptions
from planning.models.heuristics import greedy_cover
from planning.models.reduce import (
    coverage_matrix,
    dominated_columns,
    dominated_rows,
    merge_identical_columns,
    merge_identical_rows,
)

__all__ = ["LSCP"]

#: Subgradient iterations of the Lagrangian bound and heuristic (Beasley 1990) of the full cover.
LAGRANGIAN_ITERATIONS = 1000
#: The Lagrangian / tabu path runs when the reduced full-cover model keeps at least this many
#: candidate columns (smaller ones go straight to HiGHS, which solves them in milliseconds).
FAST_MIN_COLUMNS = 150
#: Smaller ones get an LP bound and reduced-cost fixing (HiGHS) and, for equal site costs, a cover
#: shrunk by a numpy swap search (:mod:`planning.models._covering_small`) of at most this many
#: swaps per column removed, stopping after this many swaps without progress.
SHRINK_STEPS = 1000
SHRINK_PATIENCE = 300
#: The last column (down to the LP bound, where success proves optimality) gets a shorter search.
SHRINK_LAST_STEPS = 200
SHRINK_LAST_PATIENCE = 60
#: HiGHS options of the small path's restricted model: a small cut pool (on 500 x 200 instances
#: 2-3x faster than the default on these set-covering cores).
HIGHS_OPTIONS = {"mip_pool_soft_limit": 10}


class LSCP(SiteModel):
    r"""Least-cost set of sites covering the demand within a threshold.

    Formulation (``N_i(T)`` = candidates within cost ``T`` of demand ``i``; ``c_j`` the site
    cost, 1 by default, 0 for fixed sites; ``x_i`` = demand ``i`` covered within ``T1``)::

        min   sum_j c_j y_j + offset                 (offset = - savings of closable sites)
        s.t.  x_i <= sum_{j in N_i(T1)} y_j          for every demand i
              sum_i w_i x_i >= s * sum_i w_i         (coverage floor s = min_coverage_share)
              sum_{j in N_i(T2)} y_j >= 1            for every demand i (when max_cost = T2)
              y_j = 1 for fixed j;  budget, per-area rows (see SiteModel)
              y binary, 0 <= x <= 1

    With ``s = 1`` (the default) this is the classic LSCP ``sum_{j in N_i(T1)} y_j >= 1``.
    Before solving, demands no candidate can reach are reported; the full-cover model is
    reduced (essential sites fixed, identical and dominated sites and demands removed) and
    warm-started from a greedy cover. Without a budget or per-area rows, a reduced model of at
    least :data:`FAST_MIN_COLUMNS` sites first gets a Lagrangian bound and heuristic cover
    (Beasley 1990), shrunk further by tabu search when all site costs are equal; sites that no
    cheaper cover can contain (or must contain) are fixed by their Lagrangian reduced costs,
    and HiGHS searches only the rest (the cover is proven optimal without HiGHS when the bound
    reaches it).

    Parameters
    ----------
    threshold : float
        Coverage threshold ``T1`` (same unit as the costs).
    min_coverage_share : float
        Share of total weight that must be covered within ``T1`` (default 1: all).
    max_cost : float, optional
        Worst-case bound ``T2``: every demand must have an open site within it.
    fixed, closable, close_saving, upgrade_cost, site_cost, budget, area_of, min_per_area, max_per_area
        Site options, see :class:`planning.models._common.SiteModel`.

    Examples
    --------
    >>> import numpy as np
    >>> from planning.models import LSCP
    >>> cost = np.array([[0, 4, 9], [3, 2, 9], [9, 3, 1]], dtype=float)
    >>> m = LSCP.from_cost_matrix(cost, threshold=4).solve()
    >>> m.selected_.tolist(), m.objective_
    ([1], 1.0)
    >>> LSCP.from_cost_matrix(cost, threshold=3).solve().selected_.tolist()
    [0, 1]
    """

    def __init__(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        demand_ids: np.ndarray,
        candidate_ids: np.ndarray,
        *,
        threshold: float,
        min_coverage_share: float = 1.0,
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
        if not 0 < min_coverage_share <= 1:
            problems.append(f"min_coverage_share must be in (0, 1]; got {min_coverage_share}")
        if max_cost is not None and not (np.isfinite(max_cost) and max_cost >= 0):
            problems.append(f"max_cost must be a finite number >= 0; got {max_cost}")
        if problems:
            raise InputError("LSCP options", problems)
        self.threshold = float(threshold)
        self.min_coverage_share = float(min_coverage_share)
        self.max_cost = None if max_cost is None else float(max_cost)

    # ------------------------------------------------------------------------------------------
    def _check(self) -> None:
        problems = self._site_problems(None)
        reach = self.cost.min(axis=1)
        total = float(self.weights.sum())
        if self.min_coverage_share >= 1.0:
            far = np.flatnonzero(reach > self.threshold)
            if far.size:
                problems.append(
                    f"{far.size} demand(s) have no candidate within the threshold {self.threshold:g}: "
                    f"{format_ids(self.demand_ids[far])}; add candidates near them, raise the threshold "
                    "or lower min_coverage_share (planning solve: --min-coverage)"
                )
        else:
            reachable = float(self.weights[reach <= self.threshold].sum())
            if reachable < self.min_coverage_share * total - 1e-9:
                problems.append(
                    f"at most {reachable:g} of {total:g} weight ({reachable / total:.1%}) can be covered within "
                    f"{self.threshold:g} even with every candidate open; min_coverage_share is "
                    f"{self.min_coverage_share:.1%}; lower it (planning solve: --min-coverage) or raise the threshold"
                )
        if self.max_cost is not None:
            far = np.flatnonzero(reach > self.max_cost)
            if far.size:
                problems.append(
                    f"{far.size} demand(s) have no candidate within max_cost {self.max_cost:g}: "
                    f"{format_ids(self.demand_ids[far])}"
                )
        raise_problems("LSCP", problems)

    def _solve(self, options: SolverOptions) -> dict[str, Any]:
        method = self._check_method(options)
        self._check()
        cover1 = coverage_matrix(self.cost, self.threshold)
        full = self.min_coverage_share >= 1.0 and self.max_cost is None
        limit = self.threshold if self.max_cost is None else max(self.threshold, self.max_cost)
        if full:
            y, objective, bound, status = self._solve_cover(cover1, options, method)
        else:
            y, objective, bound, status = self._solve_general(cover1, options, method)
        assignment, _ = self._assign(y, limit)
        return self._finish(y, objective=objective, bound=bound, status=status, assignment=assignment)

    def _solve_cover(self, cover: sparse.csr_array, options: SolverOptions, method: str) -> tuple:
        """Full cover: reductions, greedy warm start, HiGHS."""
        m = len(self.candidate_ids)
        cost = self._open_cost
        y_fix = self._fixed.copy()
        csc = sparse.csc_array(cover)
        # demands covered by fixed sites are done
        rows_left = ~(np.asarray(csc[:, np.flatnonzero(y_fix)].sum(axis=1)).ravel() > 0) if y_fix.any() else np.ones(cover.shape[0], bool)
        cols = ~y_fix
        reducible = not self._has_area
        for _ in range(10):
            sub = sparse.csr_array(cover[np.flatnonzero(rows_left)][:, np.flatnonzero(cols)])
            if sub.shape[0] == 0:
                break
            changed = False
            col_idx = np.flatnonzero(cols)
            row_idx = np.flatnonzero(rows_left)
            # essential sites: a demand reached by one remaining site only
            counts = np.diff(sub.indptr)
            single = np.flatnonzero(counts == 1)
            if single.size:
                ess = np.unique(sub.indices[sub.indptr[single]])
                y_fix[col_idx[ess]] = True
                cols[col_idx[ess]] = False
                covered = np.asarray(sparse.csc_array(sub)[:, ess].sum(axis=1)).ravel() > 0
                rows_left[row_idx[covered]] = False
                changed = True
                continue
            if not reducible:
                break
            keep = merge_identical_columns(sub, cost[col_idx])
            dom = dominated_columns(sub, cost[col_idx], keep)
            drop_cols = ~keep | dom
            if drop_cols.any():
                cols[col_idx[drop_cols]] = False
                changed = True
                continue
            rep, _ = merge_identical_rows(sub, np.ones(sub.shape[0]))
            keep_rows = np.zeros(sub.shape[0], dtype=bool)
            keep_rows[rep] = True
            if not keep_rows.all():
                rows_left[row_idx[~keep_rows]] = False
                continue
            drop_rows = dominated_rows(sub)
            if drop_rows.any():
                rows_left[row_idx[drop_rows]] = False
                changed = True
            if not changed:
                break
        row_idx = np.flatnonzero(rows_left)
        col_idx = np.flatnonzero(cols)
        sub = sparse.csr_array(cover[row_idx][:, col_idx])
        self._reduced_size = (sub.shape, len(self.demand_ids), m)
        greedy = greedy_cover(sub, cost[col_idx]) if sub.shape[0] else np.zeros(len(col_idx), dtype=bool)
        lagrangian = None
        cutoff_row = False
        simple = self.budget is None and not self._has_area and sub.shape[0] > 0
        if simple and method != "heuristic" and len(col_idx) < FAST_MIN_COLUMNS:
            lagrangian = self._lp_start(sub, cost[col_idx], greedy, options)
            cutoff_row = True
        elif simple and len(col_idx) >= FAST_MIN_COLUMNS:
            sc = cost[col_idx]
            lagrangian = lscp_lagrangian(sub, sc, start=greedy, iterations=LAGRANGIAN_ITERATIONS,
                                         integral=bool(np.all(sc == np.round(sc))))
            if sc.size and np.all(sc == sc[0]) and sc[0] > 0:  # equal costs: shrink the cover by tabu search
                floor = int(np.ceil(lagrangian.lower / sc[0] - 1e-6))
                lagrangian = lagrangian.with_cover(unicost_descent(sub, lagrangian.cover, floor=floor), sc)
            greedy = lagrangian.cover
        y_start = y_fix.copy()
        y_start[col_idx[greedy]] = True
        if method == "heuristic" or (method == "auto" and sub.nnz > 20_000_000):
            bound = self._lp_bound(sub, cost[col_idx], options) + float(cost[y_fix].sum()) + self._cost_offset
            objective = self._net_cost(y_start)
            return y_start, objective, min(bound, objective), SolveStatus.HEURISTIC
        if sub.shape[0] == 0 and self.budget is None and not self._has_area:
            objective = self._net_cost(y_fix)
            return y_fix, objective, objective, SolveStatus.OPTIMAL
        if lagrangian is not None:
            return self._solve_fixed(sub, col_idx, y_fix, lagrangian, options, cutoff_row=cutoff_row)
        k = len(col_idx)
        site_rows, lo, hi = self._site_rows_sub(col_idx, y_fix)
        mat = sparse.vstack([sub.astype(np.float64)] + site_rows) if site_rows else sub.astype(np.float64)
        row_lo = np.concatenate([np.ones(sub.shape[0]), lo])
        row_hi = np.concatenate([np.full(sub.shape[0], np.inf), hi])
        base = float(cost[y_fix].sum()) + self._cost_offset
        res = solve_milp(
            cost[col_idx], mat, row_lo, row_hi, np.zeros(k), np.ones(k), np.ones(k, dtype=bool), offset=base,
            time_limit_s=options.time_limit_s, mip_gap=options.mip_gap, threads=options.threads,
            verbose=options.verbose, start=greedy.astype(float),
        )
        if res.status == "infeasible":
            self._explain_infeasible(cover, options)
        y = y_fix.copy()
        y[col_idx[res.x > 0.5]] = True
        return y, res.objective, res.bound, SolveStatus.OPTIMAL if res.status == "optimal" else SolveStatus.TIME_LIMIT

    def _lp_start(self, sub: sparse.csr_array, sc: np.ndarray, greedy: np.ndarray,
                  options: SolverOptions) -> LscpLagrangian | None:
        """Small reduced full cover: LP bound and reduced costs (HiGHS), cover shrunk in numpy.

        The LP dual ``π`` gives ``c·x >= LP + Σ_{d_j>=0} d_j x_j + Σ_{d_j<0} |d_j| (1 − x_j)`` for
        every cover ``x`` (``d`` the reduced costs), the same fixing rule as a Lagrangian bound.
        For equal site costs the greedy cover is shrunk by :func:`shrink_cover` down to one column
        above the LP bound, then a short search tries the last column (reaching the bound proves
        optimality); otherwise HiGHS proves the cover (or finds the smaller one) on the model
        restricted by the reduced costs. ``None`` when the LP fails.
        """
        k = sub.shape[1]
        res = solve_milp(sc, sub.astype(np.float64), np.ones(sub.shape[0]), np.full(sub.shape[0], np.inf),
                         np.zeros(k), np.ones(k), np.zeros(k, dtype=bool), time_limit_s=options.time_limit_s,
                         threads=options.threads)
        if res.status != "optimal" or res.reduced_costs is None:
            return None
        cover = greedy
        if sc.size and np.all(sc == sc[0]) and sc[0] > 0:
            floor = int(np.ceil(res.objective / sc[0] - 1e-6))
            cover = shrink_cover(sub, greedy, floor=floor + 1, steps=SHRINK_STEPS, patience=SHRINK_PATIENCE)
            if int(cover.sum()) == floor + 1:  # a short last try: success is optimal, failure goes to HiGHS
                cover = shrink_cover(sub, cover, floor=floor, steps=SHRINK_LAST_STEPS, patience=SHRINK_LAST_PATIENCE)
        return LscpLagrangian(cover, float(sc[cover].sum()), float(res.objective), res.reduced_costs,
                              bool(np.all(sc == np.round(sc))))

    def _solve_fixed(self, sub: sparse.csr_array, col_idx: np.ndarray, y_fix: np.ndarray, lag: LscpLagrangian,
                     options: SolverOptions, *, cutoff_row: bool = False) -> tuple:
        """Full cover without budget or area rows: Lagrangian bound and reduced-cost fixing, then HiGHS.

        Every cover cheaper than the incumbent (Lagrangian heuristic, then for equal site costs the
        tabu descent of :func:`unicost_descent`) avoids the columns of ``lag.out`` and
        contains those of ``lag.into``; HiGHS searches that restricted model (warm-started from the
        incumbent when it lies inside, else with the cut-off as a row). The incumbent is optimal
        when the bound reaches it or the restricted model has no cheaper cover.
        """
        cost = self._open_cost[col_idx]
        base = float(self._open_cost[y_fix].sum()) + self._cost_offset
        integral = bool(np.all(cost == np.round(cost)))
        upper = lag.upper
        lower = float(np.ceil(lag.lower - 1e-6)) if integral else lag.lower
        self._lagrangian = (lag.lower + base, upper + base, int(lag.out.sum()), int(lag.into.sum()))
        y = y_fix.copy()
        y[col_idx[lag.cover]] = True
        if lower >= upper - 1e-9 * max(1.0, abs(upper)):
            return y, upper + base, upper + base, SolveStatus.OPTIMAL
        keep = np.flatnonzero(~lag.out)
        rest = sparse.csr_array(sub[:, keep])
        if (np.diff(rest.indptr) == 0).any():  # a row only the excluded columns reach: nothing cheaper exists
            return y, upper + base, upper + base, SolveStatus.OPTIMAL
        k = len(keep)
        col_lo = lag.into[keep].astype(np.float64)
        inside = not cutoff_row and not lag.cover[lag.out].any() and lag.cover[lag.into].all()
        mat = rest.astype(np.float64)
        row_lo, row_hi = np.ones(rest.shape[0]), np.full(rest.shape[0], np.inf)
        start = None
        if inside:
            start = lag.cover[keep].astype(np.float64)
        else:
            cut = upper - 1.0 if integral else upper - 1e-9 * max(1.0, abs(upper))
            mat = sparse.vstack([mat, sparse.csr_array(cost[keep].reshape(1, -1))])
            row_lo, row_hi = np.append(row_lo, -np.inf), np.append(row_hi, cut)
        bound = lower + base
        try:
            res = solve_milp(
                cost[keep], mat, row_lo, row_hi, col_lo, np.ones(k), np.ones(k, dtype=bool), offset=base,
                time_limit_s=options.time_limit_s, mip_gap=options.mip_gap, threads=options.threads,
                verbose=options.verbose, start=start, highs_options=HIGHS_OPTIONS if cutoff_row else None,
            )
        except SolverError as exc:  # stopped on time before finding a cheaper cover: the incumbent stands
            res = None
            if np.isfinite(exc.bound):
                bound = max(bound, exc.bound)
        if res is not None and res.status == "infeasible":
            return y, upper + base, upper + base, SolveStatus.OPTIMAL
        objective = upper + base
        if res is not None:
            bound = max(res.bound, bound)
            if res.objective < objective - 1e-9 * max(1.0, abs(upper)):
                y = y_fix.copy()
                y[col_idx[keep[res.x > 0.5]]] = True
                objective = self._net_cost(y)
        bound = min(objective, bound)
        if integral and np.isfinite(bound):  # every cover costs an integer (plus the integral offset)
            bound = min(objective, float(np.ceil(bound - base - 1e-6)) + base)
        proven = res is not None and res.status == "optimal"
        return y, objective, bound, SolveStatus.OPTIMAL if proven else SolveStatus.TIME_LIMIT

    def _site_rows_sub(self, col_idx: np.ndarray, y_fix: np.ndarray) -> tuple[list, list, list]:
        """Budget and area rows restricted to the remaining columns, fixed ones moved to the bounds."""
        rows, lo, hi = [], [], []
        k = len(col_idx)
        if self.budget is not None:
            rows.append(sparse.csr_array(self._open_cost[col_idx].reshape(1, -1)))
            lo.append(-np.inf)
            hi.append(self.budget - self._cost_offset - float(self._open_cost[y_fix].sum()))
        if self._area is not None:
            for a in range(len(self._area_names)):
                if self._area_min[a] > 0 or np.isfinite(self._area_max[a]):
                    already = float((y_fix & (self._area == a)).sum())
                    rows.append(sparse.csr_array((self._area[col_idx] == a).astype(float).reshape(1, -1)))
                    lo.append(self._area_min[a] - already)
                    hi.append(self._area_max[a] - already)
        del k
        return rows, lo, hi

    def _lp_bound(self, sub: sparse.csr_array, cost: np.ndarray, options: SolverOptions) -> float:
        if sub.shape[0] == 0:
            return 0.0
        k = sub.shape[1]
        res = solve_milp(
            cost, sub.astype(np.float64), np.ones(sub.shape[0]), np.full(sub.shape[0], np.inf), np.zeros(k),
            np.ones(k), np.zeros(k, dtype=bool), time_limit_s=options.time_limit_s, threads=options.threads,
        )
        return res.bound if np.isfinite(res.bound) else 0.0

    def _explain_infeasible(self, cover: sparse.csr_array, options: SolverOptions) -> None:
        problems = []
        if self.budget is not None:
            relaxed = copy.copy(self)
            relaxed.budget = None
            try:
                relaxed.solve(options)
                problems.append(
                    f"budget {self.budget:g} is below the cheapest feasible cover, which costs {relaxed.cost_:g}; "
                    "raise the budget or relax the coverage"
                )
            except InfeasibleError as exc:  # the other constraints are infeasible on their own
                problems.append(str(exc))
        else:
            problems.append(
                "no set of sites meets the coverage together with the per-area limits; "
                "relax min_per_area / max_per_area or the threshold"
            )
        raise_problems("LSCP", problems)

    def _solve_general(self, cover1: sparse.csr_array, options: SolverOptions, method: str) -> tuple:
        """Coverage floor and/or worst-case bound: y (m) then x (n) columns."""
        n, m = cover1.shape
        blocks = []
        lo: list[np.ndarray] = []
        hi: list[np.ndarray] = []
        share = self.min_coverage_share
        n_x = n if share < 1.0 else 0
        if share < 1.0:
            # sum_j y_j - x_i >= 0 ; sum w x >= s W
            blocks.append(sparse.hstack([cover1.astype(np.float64), -sparse.eye_array(n)]))
            lo.append(np.zeros(n))
            hi.append(np.full(n, np.inf))
            blocks.append(sparse.hstack([sparse.csr_array((1, m)), sparse.csr_array(self.weights.reshape(1, -1))]))
            lo.append(np.array([share * float(self.weights.sum()) - 1e-9]))
            hi.append(np.array([np.inf]))
        else:
            blocks.append(cover1.astype(np.float64))
            lo.append(np.ones(n))
            hi.append(np.full(n, np.inf))
        if self.max_cost is not None:
            cover2 = coverage_matrix(self.cost, self.max_cost).astype(np.float64)
            blocks.append(sparse.hstack([cover2, sparse.csr_array((n, n_x))]) if n_x else cover2)
            lo.append(np.ones(n))
            hi.append(np.full(n, np.inf))
        site_rows, slo, shi = self._site_rows(m + n_x, p=None, p_equal=False)
        mat = sparse.vstack(blocks + site_rows)
        row_lo = np.concatenate(lo + [np.asarray(slo, dtype=float)])
        row_hi = np.concatenate(hi + [np.asarray(shi, dtype=float)])
        c = np.concatenate([self._open_cost, np.zeros(n_x)])
        col_lo = np.concatenate([self._fixed.astype(float), np.zeros(n_x)])
        integer = np.concatenate([np.ones(m, dtype=bool), np.zeros(n_x, dtype=bool)])
        if method == "heuristic":
            res = solve_milp(c, mat, row_lo, row_hi, col_lo, np.ones(m + n_x), np.zeros(m + n_x, dtype=bool),
                             offset=self._cost_offset, time_limit_s=options.time_limit_s, threads=options.threads)
            if res.status == "infeasible":
                self._explain_infeasible(cover1, options)
            y = res.x[:m] > 1e-6  # rounding up an LP cover stays feasible for the covering rows
            objective = self._net_cost(y)
            return y, objective, res.objective, SolveStatus.HEURISTIC
        res = solve_milp(
            c, mat, row_lo, row_hi, col_lo, np.ones(m + n_x), integer, offset=self._cost_offset,
            time_limit_s=options.time_limit_s, mip_gap=options.mip_gap, threads=options.threads,
            verbose=options.verbose,
        )
        if res.status == "infeasible":
            self._explain_infeasible(cover1, options)
        y = res.x[:m] > 0.5
        return y, res.objective, res.bound, SolveStatus.OPTIMAL if res.status == "optimal" else SolveStatus.TIME_LIMIT
