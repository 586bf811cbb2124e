"""Capacitated p-median: single- and multi-source, solved to proven optimality.

The model chooses ``p`` sites among candidates with capacities and assigns every demand point
to open sites without exceeding any capacity, at least total (weighted) assignment cost.

Planning uses (how a recipe sets ``demand`` and ``capacity``):

* **Village clinics, doctors (HC-03)**: ``demand`` = village population (residents);
  ``capacity`` = village doctors the clinic has or will have × 1,000 residents per doctor
  (e.g. 2 doctors → 2,000). Single-source (a village belongs to one clinic); objective
  population-weighted travel time: ``weighted_by_demand=True``.
* **Beds**: ``demand`` = expected bed-days or the population × the bed standard per 1,000
  residents (beds needed); ``capacity`` = beds of the hospital (or of the tier after upgrade).
  Multi-source is acceptable where patients of one village may use several hospitals
  (``single_source=False``).
* **Floor area**: ``demand`` = population × the floor-area standard (m² per resident) of the
  service; ``capacity`` = the building's usable floor area in m².

Units only need to agree between ``demand`` and ``capacity``; integral demands give the
strongest bound (exact knapsack subproblems).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planning._errors import InfeasibleError, InputError, SolverError
from planning.models import _branch_price as bp
from planning.models import _lagrangian as lr
from planning.models._highs import new_highs, set_seed, set_threads
from planning.models.base import LocationModel, SolverOptions, SolveStatus

__all__ = ["CapacitatedPMedian"]

_METHODS = ("auto", "exact", "heuristic")
#: First target of the fixing rounds: the bound raised by this fraction of itself; each further
#: round doubles the step. A round whose target passes this share of the way to the incumbent
#: becomes the last round, which fixes against the incumbent itself.
TARGET_STEP = 0.0025
TARGET_LAST_SHARE = 0.6
#: At most this many target rounds before the last round against the incumbent.
TARGET_MAX_ROUNDS = 2
#: Add the Lagrangian knapsack cuts Σ_i (C_ij − λ_i) x_ij ≥ v_j y_j to the reduced MILP.
LAGRANGIAN_CUTS = True
#: Single-source problems with exact knapsack subproblems are proved by branch-and-price first
#: (each node bounded by its own Lagrangian dual). When, after BRANCH_PRICE_CHECK_NODES nodes,
#: the incumbent is still more than BRANCH_PRICE_MAX_GAP (relative) above the tree's bound, a
#: large tree lies ahead and the fixing + HiGHS route takes over (HiGHS's own cuts did better
#: on the tightly capacitated pmedcap1 problems with 3–6 % Lagrangian gaps).
BRANCH_PRICE_MAX_GAP = 0.01
BRANCH_PRICE_CHECK_NODES = 30
_MAX_LISTED = 20


def _listing(ids: Sequence[Any]) -> str:
    shown = ", ".join(str(i) for i in list(ids)[:_MAX_LISTED])
    more = len(ids) - _MAX_LISTED
    return shown + (f" … and {more} more" if more > 0 else "")


class CapacitatedPMedian(LocationModel):
    r"""Capacitated p-median problem (single- or multi-source assignment).

    Formulation (``i`` demand points, ``j`` candidate sites)::

        min   Σ_ij w_i c_ij x_ij
        s.t.  Σ_j x_ij = 1                 every demand point fully assigned
              Σ_i d_i x_ij ≤ Q_j y_j       capacity of an open site
              x_ij ≤ y_j                   (strengthening inequality)
              Σ_j y_j = p,  y_j = 1 for fixed sites
              y_j ∈ {0, 1};  x_ij ∈ {0, 1} (single-source) or 0 ≤ x_ij ≤ 1 (multi-source)

    ``w_i`` = ``weights`` (default 1: demand only loads capacity, as in the published
    benchmarks), times ``d_i`` when ``weighted_by_demand=True`` (population-weighted travel).
    Pairs with a non-finite cost (``inf``/``NaN``: unreachable) are not allowed.

    Solution method (``SolverOptions.method``): a Lagrangian relaxation of the assignment
    constraints (one 0-1 knapsack per site, solved exactly by dynamic programming; subgradient
    multipliers) gives the lower bound; the site sets it picks are made feasible by regret
    assignment, shift/swap/ejection local search, site swaps and an exact re-assignment of the
    best site set (upper bound). Single-source problems with exact (integer) knapsacks are then
    proved by branch-and-price (``_branch_price``: set-partitioning master in HiGHS, knapsack
    pricing, subset-row cuts at the root, strong branching on sites then pairs, per-node
    Lagrangian bounds and fixing); when that
    tree still shows a gap above ``BRANCH_PRICE_MAX_GAP`` after ``BRANCH_PRICE_CHECK_NODES``
    nodes, or otherwise, Lagrangian reduced costs fix sites and pairs that cannot be
    in a better solution, and HiGHS solves the reduced MILP, strengthened by the Lagrangian
    knapsack cuts ``Σ_i (C_ij − λ_i) x_ij ≥ v_j y_j`` and warm-started with the incumbent
    (``"exact"``/``"auto"``). When the incumbent is close to the bound, the fixing first targets
    a value just above the bound (a much smaller MILP): a solution below the target is optimal,
    none raises the bound. ``"heuristic"`` stops after the heuristics and reports the
    Lagrangian bound. ``diagnostics_`` records the bound, the heuristic value and each round.

    Results: ``selected_`` (candidate ids), ``assignment_`` — single-source: ``{demand id: site
    id}``; multi-source: ``{demand id: {site id: share}}`` with shares summing to 1 —,
    ``objective_``, ``bound_``, ``gap_``, ``status_``, ``solve_seconds_``, and ``load_``
    (``{site id: assigned demand}``).

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[0.0, 3.0, 9.0], [4.0, 0.0, 5.0], [9.0, 6.0, 0.0]])
    >>> m = CapacitatedPMedian.from_cost_matrix(
    ...     cost, demand=[2, 2, 2], capacity=[4, 4, 4], p=2).solve()
    >>> m.objective_, [int(j) for j in m.selected_], m.status_
    (3.0, [1, 2], 'optimal')
    """

    def __init__(
        self,
        cost: np.ndarray,
        demand: np.ndarray,
        capacity: np.ndarray,
        p: int,
        *,
        single_source: bool,
        fixed_mask: np.ndarray,
        weights: np.ndarray,
        demand_ids: np.ndarray,
        candidate_ids: np.ndarray,
    ) -> None:
        self.cost = cost
        self.demand = demand
        self.capacity = capacity
        self.p = p
        self.single_source = single_source
        self.fixed_mask = fixed_mask
        self.weights = weights
        self.demand_ids = demand_ids
        self.candidate_ids = candidate_ids
        self.diagnostics_: dict[str, Any] = {}

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_cost_matrix(
        cls,
        cost: Any,
        *,
        demand: Any,
        capacity: Any,
        p: int,
        single_source: bool = True,
        fixed: Sequence[Any] | None = None,
        weights: Any = None,
        weighted_by_demand: bool = False,
        demand_ids: Sequence[Any] | None = None,
        candidate_ids: Sequence[Any] | None = None,
    ) -> "CapacitatedPMedian":
        """Build the model from a cost matrix (demand points × candidate sites).

        Parameters
        ----------
        cost : array-like, shape (n, m)
            Assignment cost (e.g. travel time in minutes); ``inf``/``NaN`` = pair not allowed.
        demand : array-like, shape (n,)
            Demand of each point, in the capacity's unit (residents, beds, m²); ≥ 0.
        capacity : array-like, shape (m,)
            Capacity of each candidate site; ≥ 0.
        p : int
            Number of sites to open (fixed sites included).
        single_source : bool, default True
            Each demand point goes to exactly one site; ``False`` allows splitting.
        fixed : sequence, optional
            Candidate ids (``candidate_ids`` entries, else column positions) forced open.
        weights : array-like, shape (n,), optional
            Objective weight per demand point (default 1).
        weighted_by_demand : bool, default False
            Multiply the objective weights by the demand (population-weighted travel).
        demand_ids, candidate_ids : sequence, optional
            Ids of the rows and columns (default positions 0…n−1, 0…m−1).

        Returns
        -------
        CapacitatedPMedian

        Raises
        ------
        InputError
            Every malformed input, listed at once.
        InfeasibleError
            Demand no site can reach, a demand larger than every reachable capacity, or the
            ``p`` largest capacities below total demand — with the numbers.
        """
        problems: list[str] = []
        try:
            c = np.array(cost, dtype=float)
        except (TypeError, ValueError):
            raise InputError("cost matrix", ["cost must be a numeric 2-D array (demand × candidate)"]) from None
        if c.ndim != 2:
            raise InputError("cost matrix", [f"cost must be 2-D (demand × candidate), got {c.ndim}-D"])
        n, m = c.shape
        if n == 0 or m == 0:
            problems.append(f"cost matrix is empty ({n} × {m}); give at least one demand point and one candidate")

        def vector(name: str, values: Any, size: int, what: str) -> np.ndarray:
            try:
                arr = np.array(values, dtype=float).reshape(-1)
            except (TypeError, ValueError):
                problems.append(f"{name} must be numeric")
                return np.zeros(size)
            if arr.shape[0] != size:
                problems.append(f"{name} has {arr.shape[0]} values but the cost matrix has {size} {what}")
                return np.zeros(size)
            bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
            if len(bad):
                problems.append(f"{name} must be finite and ≥ 0; bad at positions {_listing(bad.tolist())}")
            return arr

        d = vector("demand", demand, n, "rows (demand points)")
        q = vector("capacity", capacity, m, "columns (candidates)")
        w = np.ones(n) if weights is None else vector("weights", weights, n, "rows (demand points)")
        neg = np.argwhere(np.nan_to_num(c, nan=0.0, posinf=0.0) < 0)
        if len(neg):
            where = ", ".join(f"({r}, {k})" for r, k in neg[:_MAX_LISTED].tolist())
            problems.append(f"cost must be ≥ 0; negative at (row, column) {where}")
        if c.size and np.isneginf(c).any():
            problems.append("cost contains -inf; use inf or NaN for pairs that are not allowed")
        d_ids = np.asarray(list(range(n)) if demand_ids is None else list(demand_ids), dtype=object)
        c_ids = np.asarray(list(range(m)) if candidate_ids is None else list(candidate_ids), dtype=object)
        if len(d_ids) != n:
            problems.append(f"demand_ids has {len(d_ids)} ids for {n} rows")
        elif len(set(d_ids.tolist())) != n:
            problems.append("demand_ids are not unique")
        if len(c_ids) != m:
            problems.append(f"candidate_ids has {len(c_ids)} ids for {m} columns")
        elif len(set(c_ids.tolist())) != m:
            problems.append("candidate_ids are not unique")
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 1 <= int(p) <= max(m, 1):
            problems.append(f"p must be an integer in 1…{m} (the number of candidates), got {p!r}")
        fixed_mask = np.zeros(m, dtype=bool)
        if fixed is not None and len(c_ids) == m:
            index = {k: pos for pos, k in enumerate(c_ids.tolist())}
            unknown = [f for f in fixed if f not in index]
            if unknown:
                problems.append(f"fixed sites not among the candidate ids: {_listing(unknown)}")
            for f in fixed:
                if f in index:
                    fixed_mask[index[f]] = True
        if problems:
            raise InputError("capacitated p-median input", problems)
        p = int(p)
        c = np.where(np.isnan(c), np.inf, c)
        weight = w * d if weighted_by_demand else w
        cls._check_feasible(c, d, q, p, fixed_mask, d_ids, c_ids)
        return cls(
            c,
            d,
            q,
            p,
            single_source=bool(single_source),
            fixed_mask=fixed_mask,
            weights=weight,
            demand_ids=d_ids,
            candidate_ids=c_ids,
        )

    @classmethod
    def from_od_table(
        cls,
        od: pd.DataFrame,
        *,
        demand: Mapping[Any, float] | pd.Series,
        capacity: Mapping[Any, float] | pd.Series,
        p: int,
        cost_column: str = "travel_time_min",
        single_source: bool = True,
        fixed: Sequence[Any] | None = None,
        weights: Mapping[Any, float] | pd.Series | None = None,
        weighted_by_demand: bool = False,
    ) -> "CapacitatedPMedian":
        """Build the model from a long OD table (``origin_id, destination_id, <cost_column>``).

        Parameters
        ----------
        od : pandas.DataFrame
            Long OD table; missing pairs and NaN costs are unreachable.
        demand : mapping or Series
            Demand per origin id; its order sets the row order.
        capacity : mapping or Series
            Capacity per candidate (destination) id; its order sets the column order.
        p, single_source, fixed, weighted_by_demand
            As in :meth:`from_cost_matrix`.
        cost_column : str, default ``"travel_time_min"``
            Column of ``od`` holding the cost.
        weights : mapping or Series, optional
            Objective weight per origin id (default 1).

        Returns
        -------
        CapacitatedPMedian

        Examples
        --------
        >>> import pandas as pd
        >>> od = pd.DataFrame({"origin_id": ["a", "a", "b", "b"], "destination_id": ["s", "t", "s", "t"],
        ...                    "travel_time_min": [1.0, 5.0, 5.0, 1.0]})
        >>> m = CapacitatedPMedian.from_od_table(od, demand={"a": 1, "b": 1},
        ...                                      capacity={"s": 1, "t": 1}, p=2).solve()
        >>> m.assignment_
        {'a': 's', 'b': 't'}
        """
        problems = []
        for col in ("origin_id", "destination_id", cost_column):
            if col not in od.columns:
                problems.append(f"OD table lacks column '{col}' (has {', '.join(map(str, od.columns))})")
        if problems:
            raise InputError("OD table", problems)
        dem = pd.Series(demand, dtype=float) if not isinstance(demand, pd.Series) else demand.astype(float)
        cap = pd.Series(capacity, dtype=float) if not isinstance(capacity, pd.Series) else capacity.astype(float)
        rows = pd.Index(dem.index)
        cols = pd.Index(cap.index)
        r = rows.get_indexer(od["origin_id"])
        k = cols.get_indexer(od["destination_id"])
        keep = (r >= 0) & (k >= 0)
        dup = od.loc[keep].duplicated(["origin_id", "destination_id"])
        if dup.any():
            pairs = od.loc[keep].loc[dup, ["origin_id", "destination_id"]].itertuples(index=False)
            raise InputError("OD table", [f"duplicate (origin_id, destination_id) pairs: {_listing([tuple(x) for x in pairs])}"])
        matrix = np.full((len(rows), len(cols)), np.inf)
        matrix[r[keep], k[keep]] = od[cost_column].to_numpy(dtype=float)[keep]
        w = None
        if weights is not None:
            ws = pd.Series(weights, dtype=float) if not isinstance(weights, pd.Series) else weights.astype(float)
            missing = rows.difference(ws.index)
            if len(missing):
                raise InputError("weights", [f"no weight for origin ids {_listing(missing.tolist())}"])
            w = ws.reindex(rows).to_numpy()
        return cls.from_cost_matrix(
            matrix,
            demand=dem.to_numpy(),
            capacity=cap.to_numpy(),
            p=p,
            single_source=single_source,
            fixed=fixed,
            weights=w,
            weighted_by_demand=weighted_by_demand,
            demand_ids=rows.tolist(),
            candidate_ids=cols.tolist(),
        )

    @staticmethod
    def _check_feasible(
        c: np.ndarray, d: np.ndarray, q: np.ndarray, p: int, fixed: np.ndarray, d_ids: np.ndarray, c_ids: np.ndarray
    ) -> None:
        problems: list[str] = []
        reach = np.isfinite(c)
        none = np.flatnonzero(~reach.any(axis=1))
        if len(none):
            problems.append(
                f"{len(none)} demand point(s) no candidate can reach: {_listing(d_ids[none].tolist())}; "
                "add candidates near them or raise the travel-time cutoff"
            )
        reach_cap = np.where(reach, q[None, :], -np.inf).max(axis=1) if c.shape[1] else np.full(len(d), -np.inf)
        big = np.flatnonzero(reach.any(axis=1) & (d > reach_cap + 1e-9))
        if len(big):
            detail = "; ".join(f"{d_ids[i]}: demand {d[i]:,.6g} > largest reachable capacity {reach_cap[i]:,.6g}" for i in big[:_MAX_LISTED])
            problems.append(f"{len(big)} demand point(s) larger than every capacity they can reach ({detail}); raise those capacities")
        if fixed.sum() > p:
            problems.append(f"{int(fixed.sum())} sites are fixed open but p = {p}; raise p or fix fewer sites")
        else:
            rest = np.sort(q[~fixed])[::-1][: p - int(fixed.sum())]
            best_cap = float(q[fixed].sum() + rest.sum())
            total = float(d.sum())
            if best_cap < total - 1e-9:
                problems.append(
                    f"total demand {total:,.6g} exceeds the largest capacity {p} sites can offer "
                    f"({best_cap:,.6g}, the fixed sites plus the largest others); raise p or the capacities"
                )
        if problems:
            raise InfeasibleError("capacitated p-median is infeasible:\n  - " + "\n  - ".join(problems))

    # ------------------------------------------------------------------ solving

    @property
    def load_(self) -> dict[Any, float]:
        """Site id → assigned demand of the returned solution."""
        return self._result("load_")

    def solve(self, solver: SolverOptions | None = None) -> "CapacitatedPMedian":
        """Solve the model; returns ``self`` (see the class docstring for the method).

        Parameters
        ----------
        solver : SolverOptions, optional
            Time limit, gap, threads, ``method`` (``"auto"``/``"exact"``/``"heuristic"``).

        Raises
        ------
        InfeasibleError
            No single-source assignment exists (found by HiGHS after the up-front checks).
        SolverError
            The time limit passed without any feasible solution.
        """
        super().solve(solver)
        return self

    def _solve(self, options: SolverOptions) -> dict[str, Any]:
        if options.method not in _METHODS:
            raise InputError("SolverOptions", [f"method must be one of {', '.join(_METHODS)}, got {options.method!r}"])
        start = time.perf_counter()
        limit = float(options.time_limit_s)
        weighted = self.weights[:, None] * self.cost
        weighted = np.where(np.isfinite(self.cost), weighted, np.inf)
        # a pair whose demand exceeds the site's capacity can never be used
        weighted[self.demand[:, None] > self.capacity[None, :] + 1e-9] = np.inf
        finite = weighted[np.isfinite(weighted)]
        integral = bool(finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 2**50)
        prob = lr.Problem(
            C=np.ascontiguousarray(weighted),
            d=self.demand.astype(float),
            Q=self.capacity.astype(float),
            p=self.p,
            fixed=self.fixed_mask.copy(),
            single_source=self.single_source,
            integral_objective=integral,
        )
        heuristic_only = options.method == "heuristic"
        lr_share = 0.9 if heuristic_only else 0.35
        inc = lr.Incumbent()
        res = lr.subgradient(prob, deadline=start + lr_share * limit, inc=inc)
        # the heuristics get about as long as the relaxation took (and a share of the limit)
        budget = max(2.0, time.perf_counter() - start)
        if inc.cost - prob.round_bound(res.lb) > 1e-9 * max(1.0, abs(inc.cost)):
            before = inc.cost
            lr.site_swap_search(
                prob, inc, deadline=min(start + (lr_share + 0.05) * limit, time.perf_counter() + budget)
            )
            if inc.cost < before:
                # a better target steers the steps: continue from the best multipliers
                again = lr.subgradient(
                    prob,
                    deadline=min(start + (lr_share + 0.1) * limit, time.perf_counter() + budget),
                    inc=inc,
                    lam0=res.lam,
                    alpha0=0.5,
                )
                if again.lb > res.lb:
                    again.iterations += res.iterations
                    res = again
                else:
                    res.iterations += again.iterations
        if self.single_source and inc.sites is not None and inc.cost - prob.round_bound(res.lb) > 1e-9 * max(1.0, abs(inc.cost)):
            _polish_assignment(prob, inc, options, min(0.05 * limit, budget, 10.0))
        lb = prob.round_bound(res.lb)
        diag = self.diagnostics_ = {
            "lagrangian_iterations": res.iterations,
            "lagrangian_bound": lb,
            "heuristic_calls": inc.calls,
            "heuristic_objective": inc.cost,
            "lagrangian_seconds": time.perf_counter() - start,
        }
        ub = inc.cost
        sol_sites = inc.sites
        x_pairs: dict[tuple[int, int], float] | None = None
        if inc.assign is not None:
            x_pairs = {(i, int(j)): 1.0 for i, j in enumerate(inc.assign)}
        bound = lb
        tol = options.mip_gap * abs(ub) + 1e-9 * max(1.0, abs(ub)) if math.isfinite(ub) else 0.0
        closed = math.isfinite(ub) and ub - bound <= tol
        if not closed and not heuristic_only:
            gave_up = True
            if prob.single_source and prob.mode == 0 and math.isfinite(ub):
                t0 = time.perf_counter()
                tree = bp.branch_and_price(
                    prob,
                    inc,
                    res.lam,
                    deadline=start + limit,
                    prune_gap=options.mip_gap,
                    check_nodes=BRANCH_PRICE_CHECK_NODES,
                    check_gap=BRANCH_PRICE_MAX_GAP,
                )
                diag["branch_and_price"] = {
                    "nodes": tree.nodes,
                    "columns": tree.columns,
                    "root_bound": tree.root_bound,
                    "cut_bound": tree.cut_bound,
                    "cuts": tree.cuts,
                    "bound": tree.lb,
                    "incumbent": tree.ub,
                    "finished": tree.finished,
                    "gave_up": tree.gave_up,
                    "seconds": round(time.perf_counter() - t0, 3),
                }
                gave_up = tree.gave_up
                # a given-up tree's bound is still valid; its best multipliers stay with the subgradient's
                bound, ub, sol_sites = max(bound, prob.round_bound(tree.lb)), inc.cost, inc.sites
                x_pairs = {(i, int(j)): 1.0 for i, j in enumerate(inc.assign)}
            if gave_up:
                bound, ub, sol_sites, x_pairs = _exact(prob, res, bound, ub, sol_sites, x_pairs, options, start, diag)
        elapsed = time.perf_counter() - start
        if x_pairs is None or sol_sites is None or not math.isfinite(ub):
            raise SolverError(
                f"no feasible capacitated assignment found within {limit:g} s "
                f"(Lagrangian bound {bound:,.6g}); raise time_limit_s"
                + ("" if not heuristic_only else " or use method='exact'")
            )
        ub = float(sum(prob.C[i, j] * share for (i, j), share in x_pairs.items()))
        bound = min(bound, ub)
        gap = 0.0 if ub == bound else (ub - bound) / max(abs(ub), 1e-12)
        if prob.integral_objective and ub - bound < 1.0 - 1e-6:
            gap = 0.0
        optimal = gap <= options.mip_gap + 1e-9
        status = SolveStatus.OPTIMAL if optimal else (SolveStatus.HEURISTIC if heuristic_only else SolveStatus.TIME_LIMIT)
        if optimal:
            bound = ub if gap == 0.0 else bound
        open_sites = np.unique(np.asarray(sol_sites, dtype=np.int64))
        selected = self.candidate_ids[open_sites]
        load: dict[Any, float] = {self.candidate_ids[j]: 0.0 for j in open_sites}
        if self.single_source:
            assignment: dict[Any, Any] = {}
            for (i, j), share in sorted(x_pairs.items()):
                if share > 0.5:
                    assignment[self.demand_ids[i]] = self.candidate_ids[j]
                    load[self.candidate_ids[j]] += float(self.demand[i])
        else:
            assignment = {}
            for (i, j), share in sorted(x_pairs.items()):
                if share > 1e-9:
                    assignment.setdefault(self.demand_ids[i], {})[self.candidate_ids[j]] = float(share)
                    load[self.candidate_ids[j]] += float(self.demand[i] * share)
        self._r_load_ = load
        return {
            "selected": selected,
            "assignment": assignment,
            "objective": float(ub),
            "bound": float(bound),
            "gap": float(gap),
            "status": status,
            "solve_seconds": elapsed,
            "load": load,
        }


def _polish_assignment(prob: lr.Problem, inc: lr.Incumbent, options: SolverOptions, time_limit_s: float) -> None:
    """Re-assign the incumbent's demand points to its open sites optimally (a GAP solved by HiGHS)."""
    state = -np.ones(prob.m, dtype=np.int64)
    state[inc.sites] = 1
    pair_site = np.repeat(np.arange(prob.m), np.diff(prob.site_ptr))
    keep = state[pair_site] == 1
    warm = {(i, int(j)): 1.0 for i, j in enumerate(inc.assign)}
    out = _solve_reduced_milp(
        prob, state, pair_site[keep], prob.site_item[keep], prob.site_cost[keep], warm, options, time_limit_s
    )
    if out["pairs"] is not None and out["objective"] < inc.cost - 1e-9 * max(1.0, abs(inc.cost)):
        assign = np.empty(prob.n, dtype=np.int64)
        for i, j in out["pairs"]:
            assign[i] = j
        inc.cost = out["objective"]
        inc.assign = assign


def _threshold(prob: lr.Problem, value: float, rel_gap: float = 0.0) -> float:
    """Fixing threshold such that every removed solution has a value ``≥ value·(1 − rel_gap)``."""
    target = value - rel_gap * abs(value)
    if prob.integral_objective and rel_gap == 0.0:
        return math.ceil(target - 1e-6) - 1.0 + 1e-6
    return target + 1e-9 * max(1.0, abs(target))


def _exact(
    prob: lr.Problem,
    res: lr.LagrangianResult,
    lb: float,
    ub: float,
    sites: np.ndarray | None,
    pairs: dict[tuple[int, int], float] | None,
    options: SolverOptions,
    start: float,
    diag: dict[str, Any],
) -> tuple[float, float, np.ndarray | None, dict[tuple[int, int], float] | None]:
    """Prove optimality: Lagrangian reduced-cost fixing and HiGHS on the reduced MILP.

    First rounds (at most ``TARGET_MAX_ROUNDS``) use a target ``T`` between the bound and the
    incumbent (``TARGET_STEP`` above the bound, doubled each round): variables that cannot be
    in a solution below ``T`` are removed, which leaves a much smaller MILP; if it has a solution
    below ``T`` that solution is optimal, otherwise no solution is below ``T`` and ``T`` becomes the
    bound. The last round fixes against the incumbent itself, warm-started with it.
    """
    pair_site = np.repeat(np.arange(prob.m), np.diff(prob.site_ptr))
    pair_item = prob.site_item
    diag["rounds"] = []
    step = TARGET_STEP
    while True:
        remaining = options.time_limit_s - (time.perf_counter() - start)
        if remaining <= 0.5:
            break
        if math.isfinite(ub) and ub - lb <= options.mip_gap * abs(ub) + 1e-9 * max(1.0, abs(ub)):
            break
        if prob.integral_objective and ub - lb < 1.0 - 1e-6:
            break
        target = lb + step * max(abs(lb), 1.0)
        step *= 2.0
        if prob.integral_objective:
            target = float(math.ceil(target - 1e-6))
        final = (
            not math.isfinite(ub)
            or target >= lb + TARGET_LAST_SHARE * (ub - lb)
            or len(diag["rounds"]) >= TARGET_MAX_ROUNDS
            or options.mip_gap > 0
        )
        if final:
            if math.isfinite(ub):
                keep_pairs = np.zeros(len(pair_item), dtype=bool)
                for i, j in pairs:
                    lo, hi = prob.site_ptr[j], prob.site_ptr[j + 1]
                    keep_pairs[lo + np.searchsorted(pair_item[lo:hi], i)] = True
                thr = _threshold(prob, ub, options.mip_gap)
                state, pair_ok = lr.reduced_cost_fixing(prob, res, thr, keep_pairs=keep_pairs, keep_sites=sites)
                removed_floor = ub * (1.0 - options.mip_gap)
            else:
                state = np.where(prob.fixed, 1, 0)
                pair_ok = np.ones(len(pair_item), dtype=bool)
                removed_floor = math.inf
            target = None
        else:
            thr = _threshold(prob, target)
            state, pair_ok = lr.reduced_cost_fixing(prob, res, thr)
            removed_floor = target
        t0 = time.perf_counter()
        c0 = time.process_time()
        out = _solve_reduced_milp(
            prob,
            state,
            pair_site[pair_ok],
            pair_item[pair_ok],
            prob.site_cost[pair_ok],
            pairs if final else None,
            options,
            remaining,
            stop_at=None if final else thr,
            lagrangian=(res.lam, res.v) if LAGRANGIAN_CUTS else None,
        )
        diag["rounds"].append(
            {
                "target": ub if final else target,
                "sites_closed": int((state == -1).sum()),
                "sites_open": int((state == 1).sum()),
                "pairs_kept": int(pair_ok.sum()),
                "seconds": round(time.perf_counter() - t0, 3),
                "cpu": round(time.process_time() - c0, 3),
                "result": out["outcome"],
            }
        )
        if out["pairs"] is not None and (not math.isfinite(ub) or out["objective"] < ub - 1e-9 * max(1.0, abs(ub))):
            ub, sites, pairs = out["objective"], out["sites"], out["pairs"]
        if out["outcome"] == "infeasible" and final and not math.isfinite(ub):
            raise InfeasibleError(
                "capacitated p-median is infeasible: no single-source assignment of the demands fits the "
                f"capacities of any {prob.p} sites (proven by HiGHS); raise p or the capacities, or allow "
                "multi-source assignment (single_source=False)"
            )
        if out["outcome"] == "time_limit":
            lb = max(lb, min(out["bound"], removed_floor))
            break
        if final:
            lb = max(lb, min(out["bound"], removed_floor))
            break
        # reduced model solved or cut off at the target
        if out["outcome"] == "optimal" and out["objective"] < removed_floor - 1e-9 * max(1.0, abs(removed_floor)):
            lb = max(lb, out["bound"])
            break
        lb = max(lb, removed_floor)
    return lb, ub, sites, pairs


def _solve_reduced_milp(
    prob: lr.Problem,
    state: np.ndarray,
    pj: np.ndarray,
    pi: np.ndarray,
    pc: np.ndarray,
    warm: dict[tuple[int, int], float] | None,
    options: SolverOptions,
    time_limit_s: float,
    *,
    stop_at: float | None = None,
    lagrangian: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """HiGHS on the sites (``state`` ≥ 0) and pairs left by fixing.

    Stops early once the dual bound reaches ``stop_at`` (no solution below it exists). Returns
    ``objective``, ``bound``, ``sites``, ``pairs`` (``None`` without a solution) and ``outcome``:
    ``optimal``, ``infeasible``, ``cut_off`` (bound reached ``stop_at``) or ``time_limit``.
    """
    import highspy
    from scipy import sparse

    n, m = prob.n, prob.m
    free_sites = np.flatnonzero(state == 0)
    open_fixed = np.flatnonzero(state == 1)
    k = len(pj)
    ny = len(free_sites)
    y_col = -np.ones(m, dtype=np.int64)
    y_col[free_sites] = k + np.arange(ny)
    cap_row = -np.ones(m, dtype=np.int64)
    used = np.concatenate([free_sites, open_fixed])
    cap_row[used] = n + np.arange(len(used))
    card_row = n + len(used)
    link = y_col[pj] >= 0
    nlink = int(link.sum())
    link_row = card_row + 1 + np.arange(nlink)
    nrows = card_row + 1 + nlink
    rows = [pi, cap_row[pj], link_row, cap_row[free_sites], np.full(ny, card_row), link_row]
    cols = [np.arange(k), np.arange(k), np.flatnonzero(link), y_col[free_sites], y_col[free_sites], y_col[pj[link]]]
    vals = [np.ones(k), prob.d[pi], np.ones(nlink), -prob.Q[free_sites], np.ones(ny), -np.ones(nlink)]
    n_open = prob.p - len(open_fixed)
    row_lo = [np.ones(n), np.full(len(used), -np.inf), [n_open], np.full(nlink, -np.inf)]
    row_hi = [np.ones(n), np.where(state[used] == 1, prob.Q[used], 0.0), [n_open], np.zeros(nlink)]
    if lagrangian is not None:
        # Lagrangian knapsack cuts: an open site's assignment is a feasible knapsack, so
        # Σ_i (C_ij − λ_i) x_ij ≥ v_j y_j; with Σ_j x_ij = 1 and Σ_j y_j = p they lift the LP
        # bound to the Lagrangian bound.
        lam, v = lagrangian
        cut_row = np.full(m, -1, dtype=np.int64)
        cut_row[used] = nrows + np.arange(len(used))
        slack = 1e-7 * max(1.0, float(np.abs(v).max(initial=0.0)), float(np.abs(lam).max(initial=0.0)))
        rows += [cut_row[pj], cut_row[free_sites]]
        cols += [np.arange(k), y_col[free_sites]]
        vals += [pc - lam[pi], -v[free_sites]]
        row_lo.append(np.where(state[used] == 1, v[used], 0.0) - slack)
        row_hi.append(np.full(len(used), np.inf))
        nrows += len(used)
    row_lo = np.concatenate(row_lo)
    row_hi = np.concatenate(row_hi)
    a = sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nrows, k + ny)
    ).tocsc()
    a.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_ = k + ny
    lp.num_row_ = nrows
    lp.col_cost_ = np.concatenate([pc, np.zeros(ny)])
    lp.col_lower_ = np.zeros(k + ny)
    lp.col_upper_ = np.ones(k + ny)
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    integer = highspy.HighsVarType.kInteger
    lp.integrality_ = [integer if prob.single_source else highspy.HighsVarType.kContinuous] * k + [integer] * ny
    h = new_highs(options.verbose)
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.1)))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    set_threads(h, options.threads, mip=True)
    set_seed(h)
    h.passModel(lp)
    if warm is not None:
        pos = {(int(i), int(j)): t for t, (i, j) in enumerate(zip(pi, pj))}
        x0 = np.zeros(k + ny)
        ok = True
        for (i, j), share in warm.items():
            t = pos.get((i, j))
            if t is None:
                ok = False
                break
            x0[t] = share
            if y_col[j] >= 0:
                x0[y_col[j]] = 1.0
        if ok:
            sol = highspy.HighsSolution()
            sol.col_value = x0.tolist()
            sol.value_valid = True
            h.setSolution(sol)
    cut_off = [False]
    if stop_at is not None:

        def interrupt(event: Any) -> None:
            if event.data_out.mip_dual_bound >= stop_at:
                cut_off[0] = True
                event.interrupt()

        h.cbMipInterrupt.subscribe(interrupt)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else -math.inf
    has_solution = info.primal_solution_status >= 2
    if status == highspy.HighsModelStatus.kInfeasible:
        outcome = "infeasible"
        bound = math.inf
    elif status == highspy.HighsModelStatus.kOptimal:
        outcome = "optimal"
        # HiGHS proved optimality within its tolerances
        bound = max(bound, float(info.objective_function_value) * (1 - options.mip_gap))
    elif cut_off[0]:
        outcome = "cut_off"
    else:
        outcome = "time_limit"
    result: dict[str, Any] = {"objective": math.inf, "bound": bound, "sites": None, "pairs": None, "outcome": outcome}
    if not has_solution or outcome == "infeasible":
        return result
    xv = np.asarray(h.getSolution().col_value)
    pairs = {(int(pi[t]), int(pj[t])): float(min(1.0, xv[t])) for t in np.flatnonzero(xv[:k] > 1e-7)}
    if prob.single_source:
        pairs = {key: 1.0 for key, val in pairs.items() if val > 0.5}
    else:
        for i in range(n):  # renormalise shares against solver tolerances
            keys = [key for key in pairs if key[0] == i]
            total = sum(pairs[key] for key in keys)
            for key in keys:
                pairs[key] /= total
    result["sites"] = np.unique(np.concatenate([open_fixed, free_sites[xv[k:] > 0.5]])).astype(np.int64)
    result["pairs"] = pairs
    result["objective"] = float(sum(prob.C[i, j] * share for (i, j), share in pairs.items()))
    return result
