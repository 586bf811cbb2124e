"""Input handling shared by the location models: cost matrices, OD tables, site options.

Every model works on a dense ``n_demand × n_candidate`` float matrix with ``np.inf`` for
unreachable pairs. :func:`as_cost_matrix` validates a dense array or a scipy sparse matrix of
reachable pairs (stored entries, explicit zeros included, are reachable) and :func:`od_to_matrix`
pivots a long OD table. :class:`SiteModel` holds the options about candidate sites that every
model shares (fixed, closable, upgrades, site costs and budget, per-area cardinality) and turns
them into solver rows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from planning._errors import InfeasibleError, InputError
from planning.models.base import LocationModel, SolverOptions

__all__ = ["as_cost_matrix", "od_to_matrix", "SiteModel", "format_ids"]

_METHODS = ("auto", "exact", "heuristic")


def format_ids(ids: Sequence[Any], limit: int = 10) -> str:
    """``"a, b, c"`` for up to ``limit`` ids, then ``"… (N in total)"``."""
    ids = list(ids)
    shown = ", ".join(str(i) for i in ids[:limit])
    if len(ids) > limit:
        shown += f", … ({len(ids)} in total)"
    return shown


def as_cost_matrix(
    cost: Any,
    *,
    weights: Any = None,
    demand_ids: Sequence[Any] | None = None,
    candidate_ids: Sequence[Any] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate a cost matrix and its labels.

    Parameters
    ----------
    cost : array-like or scipy sparse, shape (n_demand, n_candidate)
        Dense costs with ``np.inf`` for unreachable pairs, or a sparse matrix whose stored
        entries (explicit zeros included) are the reachable pairs.
    weights : array-like, optional
        Demand weights (default 1 each); finite and ``>= 0``.
    demand_ids, candidate_ids : sequence, optional
        Labels (default ``0..n-1``); must be unique.

    Returns
    -------
    cost, weights, demand_ids, candidate_ids : ndarray
        Dense float cost (``inf`` unreachable), float weights, object id arrays.

    Raises
    ------
    InputError
        Listing every problem (negative or NaN costs, shape mismatches, duplicate ids, bad weights).
    """
    problems: list[str] = []
    if sparse.issparse(cost):
        coo = sparse.coo_array(cost)
        dense = np.full(coo.shape, np.inf)
        dense[coo.row, coo.col] = coo.data
    else:
        dense = np.array(cost, dtype=np.float64, copy=True)
    if dense.ndim != 2:
        raise InputError("cost matrix", [f"expected a 2-D matrix (demand × candidate); got {dense.ndim} dimension(s)"])
    n, m = dense.shape
    if n == 0 or m == 0:
        problems.append(f"the cost matrix is empty ({n} demand × {m} candidates); give at least one of each")
    nan_rows = np.flatnonzero(np.isnan(dense).any(axis=1))
    if nan_rows.size:
        problems.append(
            f"NaN costs in demand row(s) {format_ids(nan_rows)}; use np.inf (dense) or leave the pair out (sparse) "
            "for unreachable pairs"
        )
    neg_rows = np.flatnonzero((dense < 0).any(axis=1))
    if neg_rows.size:
        problems.append(f"negative costs in demand row(s) {format_ids(neg_rows)}; costs must be >= 0")
    d_ids = np.arange(n).astype(object) if demand_ids is None else np.asarray(list(demand_ids), dtype=object)
    c_ids = np.arange(m).astype(object) if candidate_ids is None else np.asarray(list(candidate_ids), dtype=object)
    for label, ids, size in (("demand_ids", d_ids, n), ("candidate_ids", c_ids, m)):
        if len(ids) != size:
            problems.append(f"{label} has {len(ids)} entries but the matrix has {size}; give one id per row/column")
        dup = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
        if len(dup):
            problems.append(f"{label} are not unique: {format_ids(list(dup))} repeated; give each a distinct id")
    if weights is None:
        w = np.ones(n)
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.shape[0] != n:
            problems.append(f"weights has {w.shape[0]} entries but there are {n} demand rows")
        else:
            bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
            if bad.size:
                problems.append(f"weights must be finite and >= 0; bad at demand row(s) {format_ids(bad)}")
    if problems:
        raise InputError("cost matrix", problems)
    return dense, w, d_ids, c_ids


def od_to_matrix(
    od: pd.DataFrame,
    *,
    cost_col: str = "travel_time_min",
    weights: pd.Series | pd.DataFrame | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pivot a long OD table into a dense cost matrix.

    Parameters
    ----------
    od : DataFrame
        Columns ``origin_id, destination_id`` and ``cost_col``; NaN or missing pairs are
        unreachable.
    cost_col : str, keyword-only
        The cost column (``travel_time_min``, ``distance_m``, ``cost``, ...).
    weights : Series (index origin_id) or DataFrame (``origin_id, weight``), optional
        Demand weights; origins missing from it are an error.

    Returns
    -------
    cost, weights, demand_ids, candidate_ids : ndarray
        As :func:`as_cost_matrix`; origins and destinations sorted by id.
    """
    problems: list[str] = []
    missing = [c for c in ("origin_id", "destination_id", cost_col) if c not in od.columns]
    if missing:
        raise InputError(
            "OD table",
            [f"missing column(s) {missing}; expected origin_id, destination_id, {cost_col} (got {list(od.columns)})"],
        )
    # row numbers as a spreadsheet shows the data: 1 = the first row under the header
    blank = {c: (od[c].isna() | od[c].eq("")).to_numpy() for c in ("origin_id", "destination_id")}
    for col, empty in blank.items():
        if empty.any():
            problems.append(f"empty {col} at row(s) {format_ids(np.flatnonzero(empty) + 1)}; every row needs "
                            "both ids (delete rows that are not pairs)")
    named = ~(blank["origin_id"] | blank["destination_id"])
    od = od[named]
    row_no = np.flatnonzero(named) + 1  # of the rows kept
    dup = od.duplicated(["origin_id", "destination_id"]).to_numpy()
    if dup.any():
        problems.append(f"repeated origin/destination pairs at row(s) {format_ids(row_no[dup])}; keep one row per pair")
    values = pd.to_numeric(od[cost_col], errors="coerce")
    bad = row_no[(values.isna() & od[cost_col].notna()).to_numpy()]
    if bad.size:
        problems.append(f"non-numeric {cost_col} at row(s) {format_ids(bad)}; leave a cell empty for unreachable")
    neg = row_no[(values < 0).to_numpy()]
    if neg.size:
        problems.append(f"negative {cost_col} at row(s) {format_ids(neg)}; costs must be >= 0")
    d_ids = np.asarray(sorted(pd.unique(od["origin_id"])), dtype=object)
    c_ids = np.asarray(sorted(pd.unique(od["destination_id"])), dtype=object)
    w = None
    if weights is not None:
        if isinstance(weights, pd.DataFrame):
            if not {"origin_id", "weight"} <= set(weights.columns):
                problems.append(f"weights table needs columns origin_id, weight; got {list(weights.columns)}")
                series = None
            else:
                series = weights.set_index("origin_id")["weight"]
        else:
            series = pd.Series(weights)
        if series is not None:
            if series.index.duplicated().any():
                problems.append(
                    f"weights repeat origin id(s) {format_ids(list(series.index[series.index.duplicated()]))}"
                )
            else:
                absent = [i for i in d_ids if i not in series.index]
                if absent:
                    problems.append(f"no weight for origin id(s) {format_ids(absent)}; give a weight for every origin")
                else:
                    w = pd.to_numeric(series.reindex(d_ids), errors="coerce").to_numpy(dtype=np.float64)
                    wrong = d_ids[~np.isfinite(w) | (w < 0)]
                    if wrong.size:
                        problems.append(f"weights must be numbers >= 0; not so for origin id(s) {format_ids(wrong)}")
    if problems:
        raise InputError("OD table", problems)
    rows = pd.Index(d_ids).get_indexer(od["origin_id"])
    cols = pd.Index(c_ids).get_indexer(od["destination_id"])
    dense = np.full((len(d_ids), len(c_ids)), np.inf)
    ok = values.notna().to_numpy()
    dense[rows[ok], cols[ok]] = values.to_numpy()[ok]
    return as_cost_matrix(dense, weights=w, demand_ids=d_ids, candidate_ids=c_ids)


class SiteModel(LocationModel):
    """Options about candidate sites shared by every model (see the model classes).

    Candidates are *new* sites unless listed in ``fixed`` (existing, forced open), ``closable``
    (existing, may close and save ``close_saving``) or ``upgrade_cost`` (existing at a lower tier;
    selecting one means upgrading it at that cost). The cost of a solution is the sum over
    selected new sites of ``site_cost`` plus upgrade costs minus savings from closed sites; a
    ``budget`` bounds that net cost. ``area_of`` maps candidates to areas (township, county) with
    ``min_per_area`` / ``max_per_area`` bounds on the number of open sites (fixed ones included).
    """

    _family = "model"

    @classmethod
    def from_cost_matrix(
        cls,
        cost: Any,
        *,
        weights: Any = None,
        demand_ids: Sequence[Any] | None = None,
        candidate_ids: Sequence[Any] | None = None,
        **options: Any,
    ) -> "SiteModel":
        """Build from a cost matrix (dense with ``np.inf`` unreachable, or sparse of reachable pairs).

        Parameters
        ----------
        cost : array-like or scipy sparse, shape (n_demand, n_candidate)
            Travel time or distance from each demand point to each candidate site.
        weights : array-like, optional
            Demand weights (default 1).
        demand_ids, candidate_ids : sequence, optional
            Ids of the rows and columns (default 0..n-1).
        **options
            The model's keyword options (see its class docstring): ``threshold`` for LSCP and
            MCLP, ``p`` for MCLP, PMedian and PCenter, and the site options of this class.
        """
        c, w, d, s = as_cost_matrix(cost, weights=weights, demand_ids=demand_ids, candidate_ids=candidate_ids)
        return cls(c, w, d, s, **options)

    @classmethod
    def from_od_table(
        cls,
        od: pd.DataFrame,
        *,
        cost_col: str = "travel_time_min",
        weights: pd.Series | pd.DataFrame | None = None,
        **options: Any,
    ) -> "SiteModel":
        """Build from a long OD table ``origin_id, destination_id, <cost_col>``.

        Pairs missing from the table are unreachable; this funnels into :meth:`from_cost_matrix`.

        Parameters
        ----------
        od : pandas.DataFrame
            Long OD table (NaN = unreachable).
        cost_col : str
            Column holding the cost.
        weights : Series or DataFrame ``origin_id, weight``, optional
            Demand weights (default 1).
        **options
            The model's keyword options, as in :meth:`from_cost_matrix`.
        """
        c, w, d, s = od_to_matrix(od, cost_col=cost_col, weights=weights)
        return cls(c, w, d, s, **options)

    def _init_sites(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        demand_ids: np.ndarray,
        candidate_ids: np.ndarray,
        *,
        fixed: Sequence[Any] | None,
        closable: Sequence[Any] | None,
        close_saving: Mapping[Any, float] | None,
        upgrade_cost: Mapping[Any, float] | None,
        site_cost: Any,
        budget: float | None,
        area_of: Mapping[Any, Any] | None,
        min_per_area: int | Mapping[Any, int] | None,
        max_per_area: int | Mapping[Any, int] | None,
        problems: list[str],
    ) -> None:
        self.cost = cost
        self.weights = weights
        self.demand_ids = demand_ids
        self.candidate_ids = candidate_ids
        m = len(candidate_ids)
        index = {cid: j for j, cid in enumerate(candidate_ids)}

        def lookup(ids: Any, what: str) -> np.ndarray:
            if ids is None:
                return np.zeros(0, dtype=np.int64)
            ids = list(ids)
            unknown = [i for i in ids if i not in index]
            if unknown:
                problems.append(f"{what}: unknown candidate id(s) {format_ids(unknown)}; use ids of candidate_ids")
            return np.asarray([index[i] for i in ids if i in index], dtype=np.int64)

        self._fixed = np.zeros(m, dtype=bool)
        self._fixed[lookup(fixed, "fixed")] = True
        self._closable = np.zeros(m, dtype=bool)
        self._closable[lookup(closable, "closable")] = True
        both = np.flatnonzero(self._fixed & self._closable)
        if both.size:
            problems.append(
                f"candidate(s) {format_ids(candidate_ids[both])} are both fixed and closable; list each in one only"
            )
        if site_cost is None:
            open_cost = np.ones(m)
        elif isinstance(site_cost, Mapping) or isinstance(site_cost, pd.Series):
            sc = dict(site_cost)
            missing = [c for c in candidate_ids if c not in sc and not self._fixed[index[c]]]
            if missing:
                problems.append(f"site_cost: no cost for candidate(s) {format_ids(missing)}")
            open_cost = np.asarray([float(sc.get(c, 0.0)) for c in candidate_ids])
        else:
            open_cost = np.asarray(site_cost, dtype=np.float64).ravel()
            if open_cost.shape[0] != m:
                problems.append(f"site_cost has {open_cost.shape[0]} entries for {m} candidates")
                open_cost = np.ones(m)
        offset = 0.0
        upgrade = np.zeros(m, dtype=bool)
        if upgrade_cost is not None:
            idx = lookup(list(upgrade_cost), "upgrade_cost")
            for j in idx:
                open_cost[j] = float(upgrade_cost[candidate_ids[j]])
            upgrade[idx] = True
            clash = np.flatnonzero(upgrade & (self._fixed | self._closable))
            if clash.size:
                problems.append(
                    f"upgrade_cost given for fixed or closable candidate(s) {format_ids(candidate_ids[clash])}"
                )
        saving = np.zeros(m)
        if close_saving is not None:
            idx = lookup(list(close_saving), "close_saving")
            for j in idx:
                saving[j] = float(close_saving[candidate_ids[j]])
            not_closable = [candidate_ids[j] for j in idx if not self._closable[j]]
            if not_closable:
                problems.append(f"close_saving given for candidate(s) not in closable: {format_ids(not_closable)}")
        open_cost[self._closable] = saving[self._closable]
        offset = -float(saving[self._closable].sum())
        open_cost[self._fixed] = 0.0
        bad_cost = np.flatnonzero(~np.isfinite(open_cost) | (open_cost < 0))
        if bad_cost.size:
            problems.append(f"site costs must be finite and >= 0; bad for candidate(s) {format_ids(candidate_ids[bad_cost])}")
        self._upgrade = upgrade
        self._open_cost = open_cost
        self._cost_offset = offset
        self.budget = None if budget is None else float(budget)
        if self.budget is not None and not np.isfinite(self.budget):
            problems.append(f"budget must be a finite number; got {budget}")
        # areas
        self._area = None
        self._area_names: list[Any] = []
        self._area_min = np.zeros(0)
        self._area_max = np.zeros(0)
        if area_of is not None:
            amap = dict(area_of)
            missing = [c for c in candidate_ids if c not in amap]
            if missing:
                problems.append(f"area_of: no area for candidate(s) {format_ids(missing)}")
            names = sorted({amap[c] for c in candidate_ids if c in amap}, key=str)
            aidx = {a: k for k, a in enumerate(names)}
            self._area = np.asarray([aidx.get(amap.get(c), -1) for c in candidate_ids], dtype=np.int64)
            self._area_names = names

            def bounds(spec: Any, default: float, what: str) -> np.ndarray:
                if spec is None:
                    return np.full(len(names), default)
                if isinstance(spec, Mapping):
                    unknown = [a for a in spec if a not in aidx]
                    if unknown:
                        problems.append(f"{what}: unknown area(s) {format_ids(unknown)}")
                    return np.asarray([float(spec.get(a, default)) for a in names])
                return np.full(len(names), float(spec))

            self._area_min = bounds(min_per_area, 0.0, "min_per_area")
            self._area_max = bounds(max_per_area, np.inf, "max_per_area")
        elif min_per_area is not None or max_per_area is not None:
            problems.append("min_per_area / max_per_area need area_of (candidate id → area id)")

    # ---- shared pieces -------------------------------------------------------------------
    @property
    def _has_area(self) -> bool:
        return self._area is not None

    def _check_method(self, options: SolverOptions) -> str:
        if options.method not in _METHODS:
            raise InputError("solver options", [f"method must be one of {_METHODS}; got {options.method!r}"])
        return options.method

    def _site_rows(self, n_cols: int, *, p: int | None, p_equal: bool,
                   col_idx: np.ndarray | None = None) -> tuple[list, list, list]:
        """Rows over the site variables (the first columns, candidates ``col_idx`` or all).

        Cardinality (free sites ``= p`` or ``<= p``), budget and per-area rows.
        """
        if col_idx is None:
            col_idx = np.arange(len(self.candidate_ids))
        m = len(col_idx)
        rows: list[sparse.csr_array] = []
        lo: list[float] = []
        hi: list[float] = []

        def add(coef: np.ndarray, low: float, high: float) -> None:
            row = np.zeros(n_cols)
            row[:m] = coef
            rows.append(sparse.csr_array(row.reshape(1, -1)))
            lo.append(low)
            hi.append(high)

        free = ~self._fixed[col_idx]
        if p is not None:
            add(free.astype(float), float(p) if p_equal else -np.inf, float(p))
        if self.budget is not None:
            add(self._open_cost[col_idx], -np.inf, self.budget - self._cost_offset)
        if self._area is not None:
            area = self._area[col_idx]
            for k in range(len(self._area_names)):
                if self._area_min[k] > 0 or np.isfinite(self._area_max[k]):
                    add((area == k).astype(float), self._area_min[k], self._area_max[k])
        return rows, lo, hi

    def _site_problems(self, p: int | None) -> list[str]:
        problems: list[str] = []
        if self._area is not None:
            for k, a in enumerate(self._area_names):
                members = self._area == k
                if self._area_min[k] > members.sum():
                    problems.append(
                        f"area {a!r} needs at least {self._area_min[k]:g} open site(s) but has only "
                        f"{int(members.sum())} candidate(s); add candidates there or lower min_per_area"
                    )
                n_fixed = int((members & self._fixed).sum())
                if n_fixed > self._area_max[k]:
                    problems.append(
                        f"area {a!r} allows at most {self._area_max[k]:g} open site(s) but {n_fixed} fixed site(s) "
                        "lie there; raise max_per_area or unfix some"
                    )
                if self._area_min[k] > self._area_max[k]:
                    problems.append(f"area {a!r}: min_per_area {self._area_min[k]:g} > max_per_area {self._area_max[k]:g}")
        n_free = int((~self._fixed).sum())
        if p is not None and p > n_free:
            problems.append(
                f"p = {p} but only {n_free} candidate site(s) are not fixed; lower p or add candidates"
            )
        if p is not None and self.budget is not None:
            cheapest = float(np.sort(self._open_cost[~self._fixed])[:p].sum()) + self._cost_offset
            if cheapest > self.budget + 1e-9:
                problems.append(
                    f"budget {self.budget:g} is below the cost of the {p} cheapest sites ({cheapest:g}); "
                    "raise the budget or lower p"
                )
        if self._area is not None and self.budget is not None:
            need = 0.0
            for k in range(len(self._area_names)):
                members = (self._area == k) & ~self._fixed
                extra = int(max(0.0, self._area_min[k] - (self._fixed & (self._area == k)).sum()))
                need += float(np.sort(self._open_cost[members])[:extra].sum())
            if need + self._cost_offset > self.budget + 1e-9:
                problems.append(
                    f"budget {self.budget:g} is below the cheapest way to meet min_per_area ({need + self._cost_offset:g})"
                )
        if p is not None and self._area is not None:
            need = sum(
                max(0.0, self._area_min[k] - (self._fixed & (self._area == k)).sum())
                for k in range(len(self._area_names))
            )
            if need > p:
                problems.append(f"min_per_area needs {need:g} new site(s) but p = {p}; raise p or lower min_per_area")
        return problems

    def _net_cost(self, y: np.ndarray) -> float:
        return float(self._open_cost[y].sum()) + self._cost_offset

    def _assign(self, y: np.ndarray, limit: float = np.inf) -> tuple[dict, np.ndarray]:
        """Nearest open site per demand within ``limit`` (None beyond); returns dict and distances."""
        open_idx = np.flatnonzero(y)
        if open_idx.size == 0:
            return {d: None for d in self.demand_ids}, np.full(len(self.demand_ids), np.inf)
        sub = self.cost[:, open_idx]
        best = np.argmin(sub, axis=1)
        dist = sub[np.arange(sub.shape[0]), best]
        ok = dist <= limit
        sites = self.candidate_ids[open_idx[best]]
        assignment = {d: (sites[i] if ok[i] else None) for i, d in enumerate(self.demand_ids)}
        return assignment, np.where(ok, dist, np.inf)

    def solve(self, solver: SolverOptions | None = None) -> "SiteModel":
        """Solve the model; returns ``self``.

        Parameters
        ----------
        solver : SolverOptions, optional
            Time limit, gap, threads, method; defaults to :class:`SolverOptions()`.
        """
        began = time.perf_counter()
        self._extra: dict[str, Any] = {}
        super().solve(solver)
        object.__setattr__(self, "_r_solve_seconds_", time.perf_counter() - began)
        return self

    def _finish(self, y: np.ndarray, *, objective: float, bound: float, status: str, assignment: dict) -> dict:
        from planning.models._highs import relative_gap

        y = np.asarray(y, dtype=bool)
        self._extra = {
            "opened": self.candidate_ids[y & ~self._fixed & ~self._closable & ~self._upgrade],
            "upgraded": self.candidate_ids[y & self._upgrade],
            "closed": self.candidate_ids[~y & self._closable],
            "cost": self._net_cost(y),
        }
        return {
            "selected": self.candidate_ids[y],
            "assignment": assignment,
            "objective": float(objective),
            "bound": float(bound),
            "gap": relative_gap(objective, bound) if np.isfinite(bound) else float("inf"),
            "status": status,
        }

    def _extra_result(self, name: str) -> Any:
        self._result("selected_")
        return self._extra[name]

    @property
    def opened_(self) -> np.ndarray:
        """Ids of selected new sites (not fixed, closable or upgraded)."""
        return self._extra_result("opened")

    @property
    def upgraded_(self) -> np.ndarray:
        """Ids of existing sites selected for an upgrade (those of ``upgrade_cost``)."""
        return self._extra_result("upgraded")

    @property
    def closed_(self) -> np.ndarray:
        """Ids of ``closable`` sites the solution closes."""
        return self._extra_result("closed")

    @property
    def cost_(self) -> float:
        """Net cost of the solution: new sites + upgrades − savings from closures."""
        return self._extra_result("cost")


def raise_problems(model: str, problems: list[str]) -> None:
    """Raise one :class:`InfeasibleError` listing every problem (no-op when empty)."""
    if problems:
        lines = [f"{model} is infeasible: {len(problems)} problem(s)"] + [f"  - {p}" for p in problems]
        raise InfeasibleError("\n".join(lines))
