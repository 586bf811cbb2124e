"""The vertex p-center problem, solved by binary search over set-covering feasibility."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from planning._errors import InfeasibleError, InputError, SolverError
from planning.models._common import SiteModel, format_ids, raise_problems
from planning.models._highs import solve_milp
from planning.models.base import SolveStatus, SolverOptions
from planning.models.heuristics import greedy_cover, greedy_pmedian, interchange_pmedian
from planning.models.lscp import LSCP
from planning.models.reduce import coverage_matrix

__all__ = ["PCenter"]


class PCenter(SiteModel):
    r"""Least worst-case cost with ``p`` sites (besides the fixed ones).

    Formulation::

        min   r
        s.t.  every demand i (weight > 0) has an open site j with c_ij <= r
              sum_{j not fixed} y_j = p;  y_j = 1 for fixed j;  budget, per-area rows

    The optimal ``r`` is one of the distinct costs. Binary search over them between the lower
    bound ``max_i min_j c_ij`` and a heuristic solution's radius; radius ``r`` is feasible when
    the set cover within ``r`` needs at most ``p`` sites (an :class:`LSCP`, with its reductions;
    a direct MILP with the budget row when a budget is given). A greedy cover within ``p`` sites
    proves feasibility without a MILP. Weights are used only to drop zero-weight demands.

    Parameters
    ----------
    p : int
        Number of sites to open besides the fixed ones.
    fixed, closable, close_saving, upgrade_cost, site_cost, budget, area_of, min_per_area, max_per_area
        Site options, see :class:`planning.models._common.SiteModel`.

    Examples
    --------
    >>> import numpy as np
    >>> from planning.models import PCenter
    >>> cost = np.array([[0, 4, 9], [3, 2, 9], [9, 3, 1]], dtype=float)
    >>> m = PCenter.from_cost_matrix(cost, p=1).solve()
    >>> m.selected_.tolist(), m.objective_
    ([1], 4.0)
    """

    def __init__(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        demand_ids: np.ndarray,
        candidate_ids: np.ndarray,
        *,
        p: int,
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
        if p is None or int(p) != p or p < 0:
            problems.append(f"p must be an integer >= 0; got {p}")
        if problems:
            raise InputError("PCenter options", problems)
        self.p = int(p)

    # ------------------------------------------------------------------------------------------
    def _solve(self, options: SolverOptions) -> dict[str, Any]:
        began = time.perf_counter()
        method = self._check_method(options)
        problems = self._site_problems(self.p)
        rows = np.flatnonzero(self.weights > 0)
        cost = self.cost[rows]
        nearest = cost.min(axis=1) if cost.shape[1] else np.full(len(rows), np.inf)
        far = np.flatnonzero(~np.isfinite(nearest))
        if far.size:
            problems.append(
                f"{far.size} demand(s) can reach no candidate: {format_ids(self.demand_ids[rows[far]])}; "
                "add candidates near them or drop them (weight 0)"
            )
        raise_problems("PCenter", problems)
        free = ~self._fixed
        if len(rows) == 0:
            y = self._fixed.copy()
            y[np.flatnonzero(free)[: self.p]] = True
            return self._done(y, 0.0, 0.0, SolveStatus.OPTIMAL)
        lower = float(nearest.max())
        simple = self.budget is None and not self._has_area
        best_y, upper = None, np.inf
        if simple:
            w = np.ones(len(rows))
            y0 = greedy_pmedian(cost, w, self.p, start=self._fixed, allowed=free)
            y0 = interchange_pmedian(cost, w, y0, movable=free, allowed=free)
            best_y, upper = y0, _radius(cost, y0)
        values = np.unique(cost[np.isfinite(cost)])
        values = values[(values >= lower) & (values <= upper if np.isfinite(upper) else True)]
        if method == "heuristic" and best_y is not None:
            return self._done(best_y, upper, lower, SolveStatus.HEURISTIC)
        lo, hi = 0, len(values) - 1
        proven = True
        # invariant: radii below values[lo] are infeasible; values[hi] feasible when best_y is set
        if best_y is None:
            y_hi = self._feasible(cost, values[hi], options, began)
            if y_hi is None:
                raise_problems("PCenter", [
                    "no choice of p sites meets the budget / per-area constraints; relax one of them"
                ])
            best_y, upper = y_hi, _radius(cost, y_hi)
        while lo < hi:
            mid = (lo + hi) // 2
            if time.perf_counter() - began > options.time_limit_s:
                proven = False
                break
            try:
                y = self._feasible(cost, values[mid], options, began)
            except SolverError:
                proven = False
                break
            if y is None:
                lo = mid + 1
                lower = max(lower, float(values[lo])) if lo < len(values) else lower
            else:
                best_y, upper = y, _radius(cost, y)
                hi = int(np.searchsorted(values, upper))
        status = SolveStatus.OPTIMAL if proven else SolveStatus.TIME_LIMIT
        return self._done(best_y, upper, min(lower, upper) if proven else lower, status)

    def _feasible(self, cost: np.ndarray, radius: float, options: SolverOptions, began: float) -> np.ndarray | None:
        """Sites covering every demand within ``radius`` with at most ``p`` free sites, or None."""
        free = ~self._fixed
        cover = coverage_matrix(cost, radius)
        if self.budget is None and not self._has_area:
            g = greedy_cover(cover, free.astype(float), start=self._fixed)
            if g is not None and int((g & free).sum()) <= self.p:
                return self._pad(g)
        remaining = max(options.time_limit_s - (time.perf_counter() - began), 0.01)
        sub_options = SolverOptions(time_limit_s=remaining, mip_gap=0.0, threads=options.threads,
                                    verbose=options.verbose, method="exact")
        if self.budget is None:
            model = LSCP(cost, np.ones(cost.shape[0]), np.arange(cost.shape[0]).astype(object),
                         np.arange(cost.shape[1]).astype(object), threshold=radius,
                         fixed=list(np.flatnonzero(self._fixed)), site_cost=free.astype(float),
                         area_of=None if self._area is None else dict(enumerate(self._area)),
                         min_per_area=None if self._area is None else dict(enumerate(self._area_min)),
                         max_per_area=None if self._area is None else dict(enumerate(self._area_max)))
            if self._has_area:
                # per-area rows plus the cardinality row: solve directly
                return self._direct(cover, options, remaining)
            try:
                model.solve(sub_options)
            except InfeasibleError:
                return None
            if model.status_ != SolveStatus.OPTIMAL and model.objective_ > self.p:
                raise SolverError("PCenter: a covering check hit the time limit")
            if model.objective_ > self.p + 1e-9:
                return None
            y = np.zeros(len(free), dtype=bool)
            y[np.asarray(model.selected_, dtype=np.int64)] = True
            return self._pad(y)
        return self._direct(cover, options, remaining)

    def _direct(self, cover: sparse.csr_array, options: SolverOptions, remaining: float) -> np.ndarray | None:
        m = len(self.candidate_ids)
        site_rows, lo, hi = self._site_rows(m, p=self.p, p_equal=False)
        mat = sparse.vstack([cover.astype(np.float64)] + site_rows, format="csc")
        n = cover.shape[0]
        res = solve_milp(
            (~self._fixed).astype(float), mat, np.concatenate([np.ones(n), lo]),
            np.concatenate([np.full(n, np.inf), hi]), self._fixed.astype(float), np.ones(m), np.ones(m, dtype=bool),
            time_limit_s=remaining, threads=options.threads, verbose=options.verbose, mip_gap=0.0,
        )
        if res.status == "infeasible":
            return None
        return self._pad(res.x > 0.5)

    def _pad(self, y: np.ndarray) -> np.ndarray:
        """Open extra sites (lowest index first) so that exactly p free sites are open, where allowed."""
        y = y.copy()
        free = ~self._fixed
        need = self.p - int((y & free).sum())
        if need > 0 and self.budget is None and not self._has_area:
            extra = np.flatnonzero(free & ~y)[:need]
            y[extra] = True
        return y

    def _done(self, y: np.ndarray, objective: float, bound: float, status: str) -> dict[str, Any]:
        assignment, _ = self._assign(y)
        return self._finish(y, objective=objective, bound=bound, status=status, assignment=assignment)


def _radius(cost: np.ndarray, y: np.ndarray) -> float:
    if not y.any():
        return float("inf")
    return float(cost[:, np.flatnonzero(y)].min(axis=1).max())

