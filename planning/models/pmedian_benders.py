"""The p-median LP bound by Benders cuts on the site variables (radius cuts, in-out stabilised).

For demand ``i`` and any level ``u`` (a weighted cost), every integer site set ``y`` with an
open site reachable from ``i`` satisfies

    theta_i >= u - sum_j max(0, u - w_i c_ij) y_j          (1)

where ``theta_i`` is the weighted cost of serving ``i`` from its nearest open site; at a
fractional ``y`` the best such cut takes ``u`` = the weighted cost at which the sites sorted by
cost first sum to 1 (Duran-Mateos, Cordeau et al. 2023; the cut is the radius formulation of
García, Labbé & Marín 2011 projected onto ``y``). The master LP

    min sum_i theta_i   s.t. cuts (1),  sum_j y_j = p (+ fixed),  0 <= y <= 1

is solved by cutting planes with HiGHS' dual simplex (rows added, basis kept); cuts are
separated at a point between the LP solution and a moving core point (in-out stabilisation,
Ben-Ameur & Neto 2007), falling back to the LP solution itself when that point yields none. The
master has only ``n + m`` columns, so it converges to the LP bound far faster than a simplex or
interior-point solve of the full formulation, and much closer than subgradient ascent.

The dual values of the cuts give Lagrangian multipliers ``u_i = sum_c pi_c u_c`` whose
Lagrangian bound is at least the master's (the per-site penalties are convex in ``u``), which
:func:`planning.models.pmedian_lagrangian.lagrangian_ascent` can take as its start.

Everything works on :class:`planning.models.pmedian_lagrangian.NeighbourLists` (each demand's
nearest sites by weighted cost, and the cost of the first one not listed), so a cut has at most
``k`` entries.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from planning._errors import SolverError
from planning.models._highs import new_highs, set_seed, set_threads
from planning.models.pmedian_lagrangian import NeighbourLists

__all__ = ["BendersBound", "benders_lp_bound", "separate"]

#: Weight of the LP solution in the separation point (the rest is the core point).
IN_OUT_ALPHA = 0.5
#: Relative tolerance for a cut to count as violated, and for LP convergence.
REL_TOL = 1e-9


@dataclass(frozen=True)
class BendersBound:
    """What :func:`benders_lp_bound` found.

    Attributes
    ----------
    bound : float
        Valid lower bound on the p-median optimum (the master LP value, or ``-inf``).
    converged : bool
        The master LP value equals the LP relaxation of the p-median (to ``REL_TOL``); with
        neighbour lists too short for the LP solution the bound may stay below it (still valid).
    y : ndarray of float
        Site values of the last master LP solution.
    multipliers : ndarray of float
        Per demand, the convex combination of the levels of its cuts weighted by their duals.
    rounds : int
        Cutting-plane rounds.
    cuts : int
        Cuts in the master at the end.
    stop : str
        Why the cutting planes stopped: ``"lp"`` (the master is exact at its solution),
        ``"upper"`` (the bound reached ``upper``), ``"time"``, ``"rounds"`` or ``"no_cut"``.
    site_reduced_costs : ndarray of float
        LP reduced costs of the site variables at the last master solution: raising a site
        at 0 to 1 costs at least this much (lowering a site at 1 to 0: at least minus this),
        for reduced-cost fixing against a known solution value (valid when ``converged``).
    """

    bound: float
    converged: bool
    y: np.ndarray
    multipliers: np.ndarray
    rounds: int
    cuts: int
    stop: str
    site_reduced_costs: np.ndarray


def _levels_at(nb: NeighbourLists, y: np.ndarray, big: np.ndarray) -> tuple[np.ndarray, bool]:
    """Per demand, the weighted cost at which its listed sites' values first sum to 1.

    Also tells whether every demand reached 1 within its list (else the level is the first
    unlisted cost, or ``big``, and the cut may be weaker than the LP's).
    """
    idx, ws = nb.index, nb.wcost
    n = idx.shape[0]
    reached = np.cumsum(y[idx], axis=1) >= 1.0 - 1e-9
    at = ws[np.arange(n), reached.argmax(axis=1)]
    exact = reached.any(axis=1) & np.isfinite(at)
    u = np.where(exact, at, np.where(np.isfinite(nb.cap), nb.cap, big))
    return u, bool(exact.all())


def separate(nb: NeighbourLists, y: np.ndarray, big: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best cut (1) of every demand at site values ``y``.

    Parameters
    ----------
    nb : NeighbourLists
        Sorted neighbour lists (weighted costs).
    y : ndarray of float, shape (m,)
        Site values (fractional allowed).
    big : ndarray, shape (n,)
        Finite level used where the listed sites cannot reach a total of 1 (and the first
        unlisted cost is infinite): a valid, weaker cut.

    Returns
    -------
    levels : ndarray, shape (n,)
        The level ``u`` of each demand's cut.
    values : ndarray, shape (n,)
        The cut's right-hand side at ``y``, i.e. the demand's LP serving cost at ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from planning.models.pmedian_lagrangian import neighbour_lists
    >>> nb = neighbour_lists(np.array([[1.0, 2.0, 4.0]]), np.ones(1), 3)
    >>> levels, values = separate(nb, np.array([0.5, 0.0, 1.0]), np.array([10.0]))
    >>> levels.tolist(), values.tolist()
    ([4.0], [2.5])
    """
    u, _ = _levels_at(nb, y, big)
    red = np.maximum(u.reshape(-1, 1) - nb.wcost, 0.0)
    red[~np.isfinite(red)] = 0.0
    values = u - (red * y[nb.index]).sum(axis=1)
    return u, values


def _cut_rows(nb: NeighbourLists, rows: np.ndarray, u: np.ndarray, m: int) -> tuple:
    """CSR pieces of the cuts ``theta_i + sum_j (u_i - wc_ij)^+ y_j >= u_i`` for demands ``rows``."""
    ws = nb.wcost[rows]
    idx = nb.index[rows]
    coef = u[rows].reshape(-1, 1) - ws
    keep = np.isfinite(coef) & (coef > 0)
    counts = keep.sum(axis=1) + 1
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
    index = np.empty(int(counts.sum()), dtype=np.int32)
    value = np.empty(int(counts.sum()), dtype=np.float64)
    index[starts] = m + rows
    value[starts] = 1.0
    # the y entries of each row follow its theta entry
    is_theta = np.zeros(index.size, dtype=bool)
    is_theta[starts] = True
    pos = np.flatnonzero(~is_theta)
    index[pos] = idx[keep]
    value[pos] = coef[keep]
    return starts, index, value


def benders_lp_bound(
    nb: NeighbourLists,
    p: int,
    *,
    fixed: np.ndarray,
    core: np.ndarray,
    closed: np.ndarray | None = None,
    upper: float = np.inf,
    start_levels: tuple[np.ndarray, ...] = (),
    core_cuts: bool = True,
    time_limit_s: float = np.inf,
    max_rounds: int = 500,
) -> BendersBound:
    """Lower bound of the p-median by Benders cutting planes on the site variables.

    Parameters
    ----------
    nb : NeighbourLists
        Each demand's nearest sites by weighted cost (demands of weight > 0 only).
    p : int
        Sites to open besides ``fixed``.
    fixed : ndarray of bool, keyword-only
        Sites forced open.
    core : ndarray of bool or float, keyword-only
        A starting site set (e.g. the best known solution): first cuts and first core point.
    closed : ndarray of bool, optional, keyword-only
        Sites forced closed (e.g. by reduced-cost fixing against ``upper``; the bound is then
        a bound on the solutions that keep them closed).
    upper : float, keyword-only
        Best known solution value: stop as soon as the bound reaches it.
    start_levels : tuple of ndarray, keyword-only
        Further first cuts: per array, one cut per demand at that level (e.g. Lagrangian
        multipliers from :func:`planning.models.pmedian_lagrangian.lagrangian_ascent`, which
        makes the first master value at least their Lagrangian bound). Levels are capped at
        the first unlisted cost.
    core_cuts : bool, keyword-only
        Also start with one cut per demand at ``core`` (default; always without
        ``start_levels``). Without them the first master is smaller and, started from good Lagrangian
        levels, reaches the LP bound sooner (5000 × 1000, p = 20: 29 s instead of 38-61 s).
    time_limit_s, max_rounds : keyword-only
        Stopping rules (the bound found so far is returned).

    Returns
    -------
    BendersBound

    Raises
    ------
    SolverError
        When HiGHS fails on the master LP.

    Examples
    --------
    >>> import numpy as np
    >>> from planning.models.pmedian_lagrangian import neighbour_lists
    >>> cost = np.array([[0.0, 5, 9], [5, 0, 4], [9, 4, 0]])
    >>> nb = neighbour_lists(cost, np.ones(3), 3)
    >>> r = benders_lp_bound(nb, 1, fixed=np.zeros(3, bool), core=np.array([True, False, False]))
    >>> round(r.bound, 6), r.converged
    (9.0, True)
    """
    began = time.perf_counter()
    n, k = nb.index.shape
    m = fixed.size
    finite = np.where(np.isfinite(nb.wcost), nb.wcost, 0.0)
    big = 2.0 * finite.max(axis=1) + 1.0
    h = new_highs()
    set_threads(h, None, mip=False)
    set_seed(h)
    h.setOptionValue("solver", "simplex")
    lower_theta = np.where(np.isfinite(nb.wcost[:, 0]), nb.wcost[:, 0], 0.0)
    top = np.ones(m) if closed is None else np.where(closed & ~fixed, 0.0, 1.0)
    h.addVars(m, fixed.astype(np.float64), top)
    h.addVars(n, lower_theta, np.full(n, highspy.kHighsInf))
    h.changeColsCost(n, np.arange(m, m + n, dtype=np.int32), np.ones(n))
    total = float(p + int(fixed.sum()))
    h.addRow(total, total, m, np.arange(m, dtype=np.int32), np.ones(m))
    levels: list[np.ndarray] = []  # level u of every cut, in row order (after the cardinality row)
    owners: list[np.ndarray] = []

    def add(rows: np.ndarray, u: np.ndarray) -> None:
        starts, index, value = _cut_rows(nb, rows, u, m)
        h.addRows(rows.size, u[rows], np.full(rows.size, highspy.kHighsInf), index.size, starts, index, value)
        levels.append(u[rows])
        owners.append(rows)

    core_y = np.asarray(core, dtype=np.float64).copy()
    if core_cuts or not start_levels:
        u0, _ = separate(nb, core_y, big)
        add(np.arange(n), u0)
    for extra in start_levels:
        extra = np.minimum(np.asarray(extra, dtype=np.float64), np.where(np.isfinite(nb.cap), nb.cap, big))
        add(np.arange(n), extra)
    bound, converged, rounds = -np.inf, False, 0
    y = core_y
    stop = "rounds"
    last = None  # (row duals, site reduced costs, cuts) of the last optimal master
    for rounds in range(1, max_rounds + 1):
        left = time_limit_s - (time.perf_counter() - began)
        if last is not None and left <= 0:
            stop = "time"
            break
        h.setOptionValue("time_limit", float(max(left, 1.0)) if np.isfinite(left) else highspy.kHighsInf)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            if last is not None and h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
                stop = "time"
                break  # keep the bound of the last optimal master
            raise SolverError(
                f"HiGHS stopped on the p-median cut master with status "
                f"{h.modelStatusToString(h.getModelStatus())!r} after {rounds} round(s); please report this"
            )
        solution = h.getSolution()
        x = np.asarray(solution.col_value)
        y, theta = np.clip(x[:m], 0.0, 1.0), x[m:]
        bound = max(bound, float(h.getInfo().objective_function_value))
        last = (np.asarray(solution.row_dual)[1:], np.asarray(solution.col_dual)[:m], len(levels))
        tol = REL_TOL * max(1.0, abs(bound))
        if bound >= upper - tol:
            stop = "upper"
            break
        u_lp, value_lp = separate(nb, y, big)
        if float(value_lp.sum()) <= bound + tol:
            # the master is exact at y; it is the LP relaxation when every demand's listed sites
            # reach 1 at y (its level is then a listed cost, as in the full LP)
            converged = _levels_at(nb, y, big)[1]
            stop = "lp"
            break
        point = IN_OUT_ALPHA * y + (1.0 - IN_OUT_ALPHA) * core_y
        u_sep, _ = separate(nb, point, big)
        # the cut found at the separation point, evaluated at the LP solution
        red = np.maximum(u_sep.reshape(-1, 1) - nb.wcost, 0.0)
        red[~np.isfinite(red)] = 0.0
        at_y = u_sep - (red * y[nb.index]).sum(axis=1)
        violated = np.flatnonzero(at_y > theta + tol / n)
        if violated.size == 0:
            violated = np.flatnonzero(value_lp > theta + tol / n)
            u_sep = u_lp
        if violated.size == 0:
            stop = "no_cut"
            break
        add(violated, u_sep)
        core_y = 0.5 * (core_y + y)
    duals, reduced, n_blocks = last
    level_all = np.concatenate(levels[:n_blocks])
    owner_all = np.concatenate(owners[:n_blocks])
    weight = np.abs(duals[: level_all.size])
    mass = np.bincount(owner_all, weights=weight, minlength=n)
    mult = np.bincount(owner_all, weights=weight * level_all, minlength=n)
    mult = np.where(mass > 0, mult / np.where(mass > 0, mass, 1.0), lower_theta)
    return BendersBound(bound, converged, y, mult, rounds, int(level_all.size), stop, reduced)
