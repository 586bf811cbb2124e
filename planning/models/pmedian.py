"""The p-median problem, solved exactly with a truncated radius formulation."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from planning._errors import InputError, SolverError
from planning.models._common import SiteModel, format_ids, raise_problems
from planning.models._highs import relative_gap, solve_milp
from planning.models.base import SolveStatus, SolverOptions
from planning.models.pmedian_benders import benders_lp_bound
from planning.models.pmedian_lagrangian import (
    lagrangian_ascent,
    list_length,
    lp_guided_starts,
    neighbour_lists,
    sparse_greedy,
    sparse_interchange,
)

__all__ = ["PMedian", "radius_levels", "lagrangian_branch_and_bound"]

#: Up to this p (besides fixed sites) the exact solve tries Lagrangian branch and bound first.
LAGRANGIAN_BB_MAX_P = 12
#: Subgradient iterations per child node of the Lagrangian branch and bound.
CHILD_ITERATIONS = 15
#: Lagrangian ascent before the exact solve: at most this many iterations ...
ASCENT_ITERATIONS = 5000
#: ... and this share of the time limit ...
ASCENT_SHARE = 0.5
#: ... or this share when the Benders LP bound will follow (large radius model, p beyond the
#: Lagrangian branch and bound).
ASCENT_SHARE_LARGE = 0.2
#: Lagrangian ascent iterations for ``method="heuristic"``.
HEURISTIC_ITERATIONS = 1000
#: When the radius model would start with more (demand, level) rows than this, the LP bound is
#: first found by Benders cuts on the sites (:mod:`planning.models.pmedian_benders`), whose
#: master has only n + m columns, instead of by row generation on the radius LP.
BENDERS_MIN_ROWS = 100_000
#: Share of the remaining time the Benders LP bound may take.
BENDERS_SHARE = 0.9
#: Randomised roundings of the Benders LP solution (each polished by interchange), and the share
#: of the remaining time they may take.
LP_STARTS = 64
LP_STARTS_SHARE = 0.8
#: Step factor and share of the remaining time of the ascent restarted at the LP multipliers.
RESTART_STEP = 0.05
RESTART_SHARE = 0.5
#: Below this many seconds left, the radius model is not started (its build alone takes longer).
RADIUS_MIN_S = 5.0
#: After the Benders LP bound, the ascent restart and the radius model are not started with
#: less than this many seconds left: a radius model past ``BENDERS_MIN_ROWS`` rows needs longer
#: for its build, presolve and first LP, so the time is better spent on LP-guided roundings.
#: 5000 x 1000, p = 20 (``python -m benchmarks.solve_one pmedian 5000 1000 --limit 400
#: --verbose``): the radius model (185,830 rows, 451 sites kept) starts at 49 s and its root LP is
#: not solved when the time runs out, 350 s later (69,164 dual simplex iterations; HiGHS's
#: interior point, ``mip_lp_solver = "ipm"``, got no further in 340 s).
RADIUS_LARGE_MIN_S = 30.0


def _tol(value: float) -> float:
    """Absolute tolerance for comparing objective values near ``value`` (relative 1e-9)."""
    return 1e-9 * max(1.0, abs(value))


def radius_levels(cost: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Level of every pair in its row's sorted distinct finite costs.

    Returns
    -------
    level : ndarray of int, shape (n, m)
        ``level[i, j] = k`` (1-based) when ``cost[i, j]`` is the k-th smallest distinct finite
        cost of row ``i``; a large number for infinite costs.
    values : list of ndarray
        The sorted distinct finite costs of each row.
    """
    n, m = cost.shape
    level = np.full((n, m), np.iinfo(np.int32).max, dtype=np.int64)
    values = []
    for i in range(n):
        row = cost[i]
        finite = np.isfinite(row)
        vals, inv = np.unique(row[finite], return_inverse=True)
        level[i, finite] = inv + 1
        values.append(vals)
    return level, values


class PMedian(SiteModel):
    r"""Least weighted travel cost with ``p`` sites (besides the fixed ones).

    Classic formulation (ReVelle & Swain 1970)::

        min   sum_i sum_j w_i c_ij x_ij
        s.t.  sum_j x_ij = 1,  x_ij <= y_j,  sum_{j not fixed} y_j = p,  x, y binary

    solved through the equivalent radius formulation (Elloumi 2010; García, Labbé & Marín 2011):
    with ``D_i^1 < ... < D_i^K`` the distinct costs of demand ``i`` and ``z_i^k = 1`` when no
    open site lies within ``D_i^k``::

        min   sum_i w_i (D_i^1 + sum_{k<K} (D_i^{k+1} - D_i^k) z_i^k)
        s.t.  z_i^{k-1} - z_i^k <= sum_{j: c_ij = D_i^k} y_j   (z_i^0 = 1, z_i^K = 0)

    Rows are truncated at a level ``L_i`` (costs beyond ``D_i^{L_i}`` counted as ``D_i^{L_i}``),
    which gives a lower bound; starting from the levels of a heuristic solution (greedy + fast
    interchange), truncated models are solved with HiGHS and levels raised where the relaxed
    solution underestimates, until the bound meets the best solution found. Pairs beyond
    ``max_cost`` and unreachable pairs are not allowed; demands of zero weight only get an
    assignment.

    Parameters
    ----------
    p : int
        Number of sites to open besides the fixed ones.
    max_cost : float, optional
        Worst-case bound: no demand may be assigned beyond it.
    fixed, closable, close_saving, upgrade_cost, site_cost, budget, area_of, min_per_area, max_per_area
        Site options, see :class:`planning.models._common.SiteModel`.

    Examples
    --------
    >>> import numpy as np
    >>> from planning.models import PMedian
    >>> cost = np.array([[0, 4, 9], [3, 2, 9], [9, 3, 1]], dtype=float)
    >>> m = PMedian.from_cost_matrix(cost, weights=[1, 1, 1], p=1).solve()
    >>> m.selected_.tolist(), m.objective_
    ([1], 9.0)
    """

    def __init__(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        demand_ids: np.ndarray,
        candidate_ids: np.ndarray,
        *,
        p: int,
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
        if p is None or int(p) != p or p < 0:
            problems.append(f"p must be an integer >= 0; got {p}")
        if max_cost is not None and not (np.isfinite(max_cost) and max_cost >= 0):
            problems.append(f"max_cost must be a finite number >= 0; got {max_cost}")
        if problems:
            raise InputError("PMedian options", problems)
        self.p = int(p)
        self.max_cost = None if max_cost is None else float(max_cost)

    # ------------------------------------------------------------------------------------------
    def _working(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.flatnonzero(self.weights > 0)
        cost = self.cost[rows]
        if self.max_cost is not None:
            cost = np.where(cost <= self.max_cost, cost, np.inf)
        return cost, self.weights[rows], rows

    def _solve(self, options: SolverOptions) -> dict[str, Any]:
        began = time.perf_counter()
        method = self._check_method(options)
        problems = self._site_problems(self.p)
        cost, w, rows = self._working()
        far = np.flatnonzero(~np.isfinite(cost).any(axis=1))
        if far.size:
            limit = "" if self.max_cost is None else f" within max_cost {self.max_cost:g}"
            problems.append(
                f"{far.size} demand(s) can reach no candidate{limit}: {format_ids(self.demand_ids[rows[far]])}; "
                "add candidates near them or drop them (weight 0)"
            )
        raise_problems("PMedian", problems)
        m = len(self.candidate_ids)
        free = ~self._fixed
        simple = self.budget is None and not self._has_area
        best_y = None
        upper = np.inf
        ascent = None
        if simple:
            # sparse neighbour lists: greedy, fast interchange, then Lagrangian ascent whose
            # site sets are polished into solutions; often the bound proves the best one optimal
            nb = neighbour_lists(cost, w, list_length(m, self.p + int(self._fixed.sum())))
            y0 = sparse_greedy(nb, self.p, fixed=self._fixed)
            best_y, upper = sparse_interchange(cost, w, nb, y0, movable=free)
            if not np.isfinite(upper):
                best_y, upper = None, np.inf
            elif self.p > 0:
                # a large instance beyond the Lagrangian branch and bound leaves most of the time
                # to the Benders LP bound, which the ascent only approaches
                large = (method != "heuristic" and self.p > LAGRANGIAN_BB_MAX_P
                         and _radius_rows(cost, best_y) > BENDERS_MIN_ROWS)
                ascent = lagrangian_ascent(
                    cost, w, self.p, nb=nb, fixed=self._fixed, y=best_y, value=upper,
                    iterations=ASCENT_ITERATIONS if method != "heuristic" else HEURISTIC_ITERATIONS,
                    time_limit_s=(ASCENT_SHARE_LARGE if large else ASCENT_SHARE) * options.time_limit_s,
                )
                best_y, upper = ascent.y, ascent.value
                self._ascent_iterations = ascent.iterations
        if method == "heuristic" and best_y is not None:
            bound = upper if ascent is None else ascent.bound
            return self._done(best_y, upper, min(bound, upper), SolveStatus.HEURISTIC)
        cols = np.arange(m)
        lower = -np.inf
        radius = None
        if ascent is not None:
            # a solution better than ``upper`` assigns demand i only where w_i c_ij - u_i < upper - L(u)
            slack = (ascent.multipliers + (upper - ascent.bound)) / w
            radius = slack * (1 + 1e-9) + 1e-9
            # Lagrangian reduced-cost fixing: drop sites that cannot be in a better solution
            lag, site_bound = ascent.bound, ascent.site_bound
            tol = _tol(upper)
            lower = min(lag, upper)
            if lag >= upper - tol:
                return self._done(best_y, upper, upper, SolveStatus.OPTIMAL)
            keep = (site_bound < upper - tol) | best_y | self._fixed
            cols = np.flatnonzero(keep)
            self._kept_sites = cols.size
            if self.p <= LAGRANGIAN_BB_MAX_P:
                # few sites: branch and bound on Lagrangian bounds, most of the time limit
                sub = cost[:, cols]
                integral = bool(np.all(np.equal(np.mod(w, 1), 0)) and np.all(np.mod(sub[np.isfinite(sub)], 1) == 0))
                budget_s = 0.85 * (options.time_limit_s - (time.perf_counter() - began))
                y_bb, value, proven = lagrangian_branch_and_bound(
                    sub, w, self.p + int(self._fixed.sum()), self._fixed[cols], best_y[cols], upper,
                    time_limit_s=budget_s, integral=integral,
                )
                y = np.zeros(m, dtype=bool)
                y[cols[y_bb]] = True
                if proven:
                    return self._done(y, _true_cost(cost, w, y), _true_cost(cost, w, y), SolveStatus.OPTIMAL)
                best_y, upper = y, _true_cost(cost, w, y)
        lp_y = None
        if ascent is not None and _radius_rows(cost[:, cols], best_y[cols]) > BENDERS_MIN_ROWS:
            # large instance: the LP bound by Benders cuts on the kept sites (a bound on every
            # solution better than ``upper``); its fractional sites, rounded and polished, may
            # also give a better solution
            remaining = options.time_limit_s - (time.perf_counter() - began)
            closed = np.ones(m, dtype=bool)
            closed[cols] = False
            # the first master holds one cut per demand at the ascent's multipliers (its value is
            # at least the ascent's bound); cuts at the incumbent would only slow its first solve
            lp = benders_lp_bound(
                nb, self.p, fixed=self._fixed, core=best_y, closed=closed, upper=upper,
                start_levels=(ascent.multipliers,), core_cuts=False, time_limit_s=BENDERS_SHARE * remaining,
            )
            self._benders_rounds = lp.rounds
            y_round = _round_sites(lp.y, self.p, self._fixed, closed)
            y_round, value_round = sparse_interchange(cost, w, nb, y_round, movable=free)
            if value_round < upper - _tol(upper):
                best_y, upper = y_round, value_round
            lower = max(lower, min(lp.bound, upper))
            tol = _tol(upper)
            if lower >= upper - tol:
                return self._done(best_y, upper, upper, SolveStatus.OPTIMAL)
            # the LP solution is spread over many sites: randomised roundings of it, polished,
            # reach local optima the greedy start and the ascent's site sets miss
            remaining = options.time_limit_s - (time.perf_counter() - began)
            y_ms, value_ms, self._lp_starts = lp_guided_starts(
                cost, w, nb, lp.y, self.p, fixed=self._fixed, closed=closed, starts=LP_STARTS,
                time_limit_s=LP_STARTS_SHARE * remaining,
            )
            if value_ms < upper - _tol(upper):
                best_y, upper = y_ms, value_ms
            lower = min(lower, upper)
            tol = _tol(upper)
            if lower >= upper - tol:
                return self._done(best_y, upper, upper, SolveStatus.OPTIMAL)
            if options.time_limit_s - (time.perf_counter() - began) < RADIUS_LARGE_MIN_S:
                return self._done(best_y, upper, lower, SolveStatus.TIME_LIMIT)
            # restart the ascent at the LP multipliers with small steps: its bound is the LP's,
            # its site sets circle the LP solution (better solutions), and its per-site bounds
            # and multipliers make tighter reduced-cost fixing and radii than the first ascent
            remaining = options.time_limit_s - (time.perf_counter() - began)
            again = lagrangian_ascent(
                cost, w, self.p, nb=nb, fixed=self._fixed, y=best_y, value=upper, start=lp.multipliers,
                step=RESTART_STEP, iterations=ASCENT_ITERATIONS, time_limit_s=RESTART_SHARE * remaining,
            )
            if again.value < upper - _tol(upper):
                best_y, upper = again.y, again.value
            tol = _tol(upper)
            lower = max(lower, min(again.bound, upper))
            if lower >= upper - tol:
                return self._done(best_y, upper, upper, SolveStatus.OPTIMAL)
            if again.bound > ascent.bound:
                keep = np.zeros(m, dtype=bool)
                keep[cols] = True
                keep = (keep & (again.site_bound < upper - tol)) | best_y | self._fixed
                radius = (again.multipliers + (upper - again.bound)) / w * (1 + 1e-9) + 1e-9
                lp_y = lp.y[np.flatnonzero(keep)]
                cols = np.flatnonzero(keep)
                self._kept_sites = cols.size
            else:
                lp_y = lp.y[cols]
            if options.time_limit_s - (time.perf_counter() - began) < RADIUS_MIN_S:
                return self._done(best_y, upper, lower, SolveStatus.TIME_LIMIT)
        y_sub, objective, bound, status = self._radius(
            cost[:, cols], w, None if best_y is None else best_y[cols], upper, options, began, cols, lower=lower,
            radius=radius, lp_y=lp_y,
        )
        y = np.zeros(m, dtype=bool)
        y[cols[y_sub]] = True
        return self._done(y, objective, bound, status)

    def _done(self, y: np.ndarray, objective: float, bound: float, status: str) -> dict[str, Any]:
        limit = np.inf if self.max_cost is None else self.max_cost
        assignment, _ = self._assign(y, limit)
        return self._finish(y, objective=objective, bound=bound, status=status, assignment=assignment)

    def _radius(self, cost: np.ndarray, w: np.ndarray, best_y: np.ndarray | None, upper: float,
                options: SolverOptions, began: float, cols: np.ndarray, *, lower: float = -np.inf,
                radius: np.ndarray | None = None, lp_y: np.ndarray | None = None) -> tuple:
        n, m = cost.shape
        fixed = self._fixed[cols]
        level, values = radius_levels(cost)
        K = np.asarray([len(v) for v in values], dtype=np.int64)
        if radius is not None and best_y is not None:
            # reduced-cost radius: levels beyond it serve no better solution; the last kept level
            # gets its row (some site within the radius is open), the incumbent stays feasible
            radius = np.maximum(radius, cost[:, np.flatnonzero(best_y)].min(axis=1))
            within = np.asarray([np.searchsorted(values[i], radius[i], side="right") for i in range(n)])
            K = np.minimum(K, np.maximum(within, 1))
        capped = np.zeros(n, dtype=bool)
        if fixed.any():
            fixed_level = level[:, fixed].min(axis=1)
            capped = fixed_level <= K
            K = np.minimum(K, fixed_level)
        if best_y is not None:
            # levels of the incumbent's second-nearest open site: a better solution that closes a
            # demand's nearest site usually serves it there, so truncation rarely cuts it off
            L = np.minimum(_second_level(level, best_y), K)
        else:
            target = max(1, int(np.ceil(4 * m / max(self.p + int(fixed.sum()), 1))))
            L = np.minimum(np.asarray([min(len(v), target) for v in values], dtype=np.int64), K)
        status = SolveStatus.TIME_LIMIT
        tol = max(options.mip_gap, 0.0)
        order = np.argsort(level, axis=1, kind="stable")
        level_sorted = np.take_along_axis(level, order, axis=1)
        lp_phase = True
        lp_rounds = 0
        if lp_y is not None:
            # the LP solution is known (Benders): start at the levels it needs, skip the LP rounds
            L = np.maximum(L, _lp_levels(lp_y, order, level_sorted, K))
            lp_phase = False
        while True:
            remaining = options.time_limit_s - (time.perf_counter() - began)
            if remaining <= 0:
                break
            final = (L == K) & ~capped
            model = _radius_model(level, values, w, L, final)
            start = None
            if best_y is not None:
                start = _radius_start(level, L, final, best_y, cost, model)
            c, mat, lo, hi, offset, n_z = model
            n_cols = m + n_z
            col_lo = np.concatenate([fixed.astype(float), np.zeros(n_z)])
            site_rows, slo, shi = self._site_rows(n_cols, p=self.p, p_equal=True, col_idx=cols)
            full = sparse.vstack([mat] + site_rows, format="csc")
            found: list[np.ndarray] = []

            def check(x: np.ndarray, L: np.ndarray = L) -> bool:
                y_new = x[:m] > 0.5
                found.append(y_new)
                return bool((level[np.arange(n), _nearest(cost, y_new)] > L).any())

            # the model build takes seconds on large instances: the solve gets what is left after it
            remaining = options.time_limit_s - (time.perf_counter() - began)
            if remaining <= 0 and best_y is not None:
                break
            try:
                res = solve_milp(
                    c, full, np.concatenate([lo, slo]), np.concatenate([hi, shi]), col_lo, np.ones(n_cols),
                    np.concatenate([np.full(m, not lp_phase), np.zeros(n_z, dtype=bool)]), offset=offset,
                    time_limit_s=remaining, mip_gap=options.mip_gap, threads=options.threads,
                    verbose=options.verbose, start=start, on_solution=None if lp_phase else check,
                )
            except SolverError:
                if not lp_phase:
                    if best_y is not None:
                        break  # no new solution within the time left: keep the incumbent
                    raise
                lp_phase = False
                continue
            if lp_phase and res.status != "infeasible":
                lp_rounds += 1
                if res.status != "optimal" or lp_rounds > 60:
                    lp_phase = False
                    continue
                # row generation on the LP relaxation: raise levels where the fractional sites
                #    do not yet cover the demand within its truncation level
                need = _lp_levels(res.x[:m], order, level_sorted, K)
                grow = need > L
                if grow.any():
                    L = np.where(grow, need, L)
                    continue
                lower = max(lower, res.objective)  # the truncated LP is now the full LP
                lp_phase = False
                continue
            if res.status == "infeasible":
                raise_problems("PMedian", [
                    "no choice of p sites meets the budget / per-area / max_cost constraints; relax one of them"
                ])
            for y_found in found:
                true_found = _true_cost(cost, w, y_found)
                if true_found < upper - 1e-9:
                    upper, best_y = true_found, y_found
            y = res.x[:m] > 0.5
            true = _true_cost(cost, w, y)
            if true < upper - 1e-9:
                upper, best_y = true, y
            if res.status == "interrupted":
                # a solution served some demand beyond its truncation level: raise and re-solve
                near_level = level[np.arange(n), _nearest(cost, y)]
                L = np.where(near_level > L, np.minimum(near_level, K), L)
                continue
            lower = max(lower, res.bound)
            if relative_gap(upper, lower) <= tol or upper <= lower + _tol(upper):
                status = SolveStatus.OPTIMAL
                lower = min(lower, upper)
                break
            if res.status != "optimal":
                break  # time limit inside the solve: report what we have
            near_level = level[np.arange(n), _nearest(cost, y)]
            grow = near_level > L
            if not grow.any():
                # the relaxation is exact for y; y is optimal for the truncated model, hence overall
                status = SolveStatus.OPTIMAL
                lower = upper = min(upper, true)
                best_y = y if true <= upper else best_y
                break
            L = np.where(grow, np.minimum(np.maximum(near_level, L), K), L)
        if best_y is None:
            raise SolverError(f"PMedian: no feasible solution found within {options.time_limit_s:g} s")
        self._radius_levels = int(L.sum())
        return best_y, upper, lower, status


def _lp_levels(y: np.ndarray, order: np.ndarray, level_sorted: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Per demand, the level at which fractional site values ``y`` first sum to 1 (at most ``K``)."""
    n, m = order.shape
    y_sorted = np.take_along_axis(np.broadcast_to(y, (n, m)), order, axis=1)
    reached = np.cumsum(y_sorted, axis=1) >= 1.0 - 1e-7
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), m - 1)
    return np.minimum(level_sorted[np.arange(n), first], K)


def _radius_rows(cost: np.ndarray, y: np.ndarray) -> int:
    """Pairs no farther than each demand's second-nearest open site: the radius model's first size."""
    sub = cost[:, np.flatnonzero(y)]
    if sub.shape[1] == 0:
        return 0
    second = sub.min(axis=1) if sub.shape[1] < 2 else np.partition(sub, 1, axis=1)[:, 1]
    return int((cost <= second.reshape(-1, 1)).sum())


def _round_sites(y: np.ndarray, p: int, fixed: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """The fixed sites plus the ``p`` free, not closed sites of largest value (ties: lowest index)."""
    out = fixed.copy()
    free = np.flatnonzero(~fixed & ~closed)
    order = free[np.argsort(-y[free], kind="stable")]
    out[order[:p]] = True
    return out


def _nearest(cost: np.ndarray, y: np.ndarray) -> np.ndarray:
    idx = np.flatnonzero(y)
    return idx[np.argmin(cost[:, idx], axis=1)]


def _second_level(level: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per demand, the level of its second-nearest open site (nearest when only one is open)."""
    sub = level[:, np.flatnonzero(y)]
    if sub.shape[1] < 2:
        return sub.min(axis=1)
    return np.partition(sub, 1, axis=1)[:, 1]


def _true_cost(cost: np.ndarray, w: np.ndarray, y: np.ndarray) -> float:
    if not y.any():
        return float("inf") if len(w) else 0.0
    near = cost[:, np.flatnonzero(y)].min(axis=1)
    if not np.isfinite(near).all():
        return float("inf")
    return float(np.dot(w, near))


def _radius_model(level: np.ndarray, values: list[np.ndarray], w: np.ndarray, L: np.ndarray, final: np.ndarray):
    """Truncated radius model: columns y (m) then z; rows per demand and level."""
    n, m = level.shape
    n_rows_i = (L - 1) + final.astype(np.int64)
    n_z_i = L - 1
    row_start = np.concatenate([[0], np.cumsum(n_rows_i)])
    z_start = np.concatenate([[0], np.cumsum(n_z_i)])
    n_rows, n_z = int(row_start[-1]), int(z_start[-1])
    # y entries: pairs with level <= number of rows of the demand
    ii, jj = np.nonzero(level <= n_rows_i.reshape(-1, 1))
    kk = level[ii, jj]
    r_y = row_start[ii] + kk - 1
    # z entries
    zi = np.repeat(np.arange(n), n_z_i)
    zk = np.arange(n_z) - z_start[zi] + 1  # k = 1..L_i-1
    r_zk = row_start[zi] + zk - 1  # -z^k in row k
    # +z^{k-1} in row k for k = 2 .. n_rows_i  → z^{k} (k=1..n_rows_i-1) in row k+1
    has_next = zk < n_rows_i[zi]
    r_zprev = row_start[zi[has_next]] + zk[has_next]
    rows = np.concatenate([r_y, r_zk, r_zprev])
    cols = np.concatenate([jj, m + np.arange(n_z), m + np.flatnonzero(has_next)])
    vals = np.concatenate([-np.ones(r_y.size), -np.ones(n_z), np.ones(int(has_next.sum()))])
    mat = sparse.csc_array((vals, (rows, cols)), shape=(n_rows, m + n_z))
    hi = np.zeros(n_rows)
    first_rows = row_start[:-1][n_rows_i > 0]
    hi[first_rows] = -1.0
    lo = np.full(n_rows, -np.inf)
    c = np.zeros(m + n_z)
    offset = 0.0
    for i in range(n):
        vals_i = values[i]
        offset += w[i] * vals_i[0]
        if n_z_i[i]:
            c[m + z_start[i] : m + z_start[i + 1]] = w[i] * np.diff(vals_i[: L[i]])
    return c, mat, lo, hi, offset, n_z


def _radius_start(level, L, final, y, cost, model) -> np.ndarray:
    n, m = level.shape
    near_level = level[np.arange(n), _nearest(cost, y)]
    parts = [y.astype(float)]
    for i in range(n):
        k = np.arange(1, L[i])
        parts.append((near_level[i] > k).astype(float))
    return np.concatenate(parts)


def lagrangian_branch_and_bound(
    cost: np.ndarray,
    w: np.ndarray,
    n_open: int,
    fixed: np.ndarray,
    best_y: np.ndarray,
    upper: float,
    *,
    time_limit_s: float,
    integral: bool,
) -> tuple[np.ndarray, float, bool]:
    """Exact p-median by depth-first branch and bound on Lagrangian bounds (Beasley 1993 style).

    Each node fixes sites open (``F1``) or closed (``F0``); its bound is the Lagrangian dual
    (assignment constraints relaxed) maximised by subgradient steps warm-started from the
    parent's multipliers, with reduced-cost tests that close or open further sites for the
    subtree. The chosen site set of every Lagrangian solution is evaluated as a primal solution.

    Parameters
    ----------
    cost : ndarray (n, m)
        Costs (``inf`` = not allowed).
    w : ndarray
        Demand weights (> 0).
    n_open : int
        Sites to open in total (fixed ones included).
    fixed : ndarray of bool
        Sites forced open.
    best_y, upper : incumbent and its cost.
    time_limit_s : float
        Give up (returning ``proven=False``) after this many seconds.
    integral : bool
        Costs × weights are integers: a node is pruned when its bound exceeds ``upper - 1``.

    Returns
    -------
    y, value, proven
    """
    began = time.perf_counter()
    n, m = cost.shape
    wc = np.where(np.isfinite(cost), cost, 1e12) * w.reshape(-1, 1)
    best_y = best_y.copy()
    eps = 1e-6 * max(1.0, abs(upper))

    def prune_level(ub: float) -> float:
        return ub - 1.0 + 1e-6 if integral else ub - eps

    def lagrange(u: np.ndarray, f1: np.ndarray, f0: np.ndarray, iterations: int):
        nonlocal best_y, upper
        k = n_open - int(f1.sum())
        free = np.flatnonzero(~f1 & ~f0)
        if k < 0 or k > free.size:
            return np.inf, u, f1, f0, None
        best_val, best_u = -np.inf, u
        step, stall = 2.0, 0
        for _ in range(iterations):
            red = np.minimum(wc - u.reshape(-1, 1), 0.0)
            rho = red.sum(axis=0)
            order = free[np.argsort(rho[free], kind="stable")]
            chosen = f1.copy()
            chosen[order[:k]] = True
            value = float(u.sum() + rho[chosen].sum())
            # primal: the chosen sites as a solution
            near = wc[:, chosen].min(axis=1) if chosen.any() else np.full(n, np.inf)
            primal = float(near.sum())
            if primal < upper - eps:
                upper, best_y = primal, chosen.copy()
            if value > best_val + 1e-9:
                best_val, best_u, stall = value, u.copy(), 0
                # reduced-cost tests for the subtree
                last = rho[order[k - 1]] if k > 0 else 0.0
                nxt = rho[order[k]] if k < free.size else np.inf
                limit = prune_level(upper)
                if value >= limit:
                    return value, best_u, f1, f0, None
                close = (~chosen) & (~f0) & (value + rho - last >= limit)
                if k > 0:
                    must = chosen & ~f1 & (value - rho + nxt >= limit)
                else:
                    must = np.zeros(m, dtype=bool)
                if close.any() or must.any():
                    f0 = f0 | close
                    f1 = f1 | must
                    k = n_open - int(f1.sum())
                    free = np.flatnonzero(~f1 & ~f0)
                    if k < 0 or k > free.size:
                        return np.inf, best_u, f1, f0, None
            else:
                stall += 1
                if stall >= 8:
                    step /= 2.0
                    stall = 0
            if step < 1e-3:
                break
            g = 1.0 - (red < 0)[:, chosen].sum(axis=1)
            norm = float((g * g).sum())
            if norm == 0:  # the Lagrangian solution is feasible: it is optimal for this node
                return value, u, f1, f0, None
            u = np.maximum(u + step * (upper - value) / norm * g, 0.0)
        red = np.minimum(wc - best_u.reshape(-1, 1), 0.0)
        rho = red.sum(axis=0)
        order = free[np.argsort(rho[free], kind="stable")]
        chosen = f1.copy()
        chosen[order[:k]] = True
        branch = order[0] if k > 0 else None
        return best_val, best_u, f1, f0, branch

    u0 = np.sort(wc, axis=1)[:, min(1, m - 1)].copy()
    stack = [(u0, fixed.copy(), np.zeros(m, dtype=bool), 400)]
    while stack:
        if time.perf_counter() - began > time_limit_s:
            return best_y, upper, False
        u, f1, f0, iters = stack.pop()
        value, u, f1, f0, branch = lagrange(u, f1, f0, iters)
        if value >= prune_level(upper) or branch is None:
            continue
        # depth first: explore "branch closed" after "branch open"
        f0b = f0.copy()
        f0b[branch] = True
        f1b = f1.copy()
        f1b[branch] = True
        stack.append((u, f1, f0b, CHILD_ITERATIONS))
        stack.append((u, f1b, f0, CHILD_ITERATIONS))
    return best_y, upper, True
