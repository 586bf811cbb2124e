"""Compiled heuristics and bounds for the covering models (MCLP, LSCP).

Internal module of :mod:`planning.models.mclp` and :mod:`planning.models.lscp`. Everything works
on a boolean coverage matrix given as CSR (demand → sites) and CSC (site → demands) index arrays.

- :func:`mclp_tabu`: tabu search over site swaps for the maximal covering problem (close one open
  site, open one closed site; the best non-tabu swap is taken even when it loses weight, a tabu
  swap only when it beats the best solution found). Swap values for every pair are computed from
  the cover counts in ``O(p · m + Σ_{single-covered i} |N_i|)`` per step. Seeded, deterministic.
- :func:`lscp_lagrangian`: Beasley's (1990) Lagrangian heuristic for weighted set covering: the
  coverage rows are relaxed with multipliers ``λ_i >= 0``
  (``L(λ) = Σ_i λ_i + Σ_j min(0, c_j − Σ_{i∈cov(j)} λ_i)``, equal to the LP bound at its best),
  maximised by subgradient steps; every Lagrangian solution is completed to a cover (cheapest
  column per uncovered row) and stripped of redundant columns, the best cover kept; finally the
  reduced costs prove which columns no cover cheaper than the best one can contain.
- :func:`unicost_descent`: for covers of equal-cost columns, a cover of ``q`` columns is shrunk by
  asking the MCLP tabu search for ``q − 1`` columns that cover every row, until it fails.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy import sparse

from planning.models._covering_small import descend

__all__ = ["mclp_tabu", "lscp_lagrangian", "LscpLagrangian", "unicost_descent"]


def _arrays(cover: sparse.sparray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    csr = sparse.csr_array(cover)
    csr.sort_indices()
    csc = sparse.csc_array(cover)
    csc.sort_indices()
    return (csr.indptr.astype(np.int64), csr.indices.astype(np.int64),
            csc.indptr.astype(np.int64), csc.indices.astype(np.int64))


# ----------------------------------------------------------------------------------- MCLP


@njit(cache=True)
def _cover_counts(open_, cptr, cidx, n):  # pragma: no cover - numba
    """How many open columns cover each of the ``n`` rows (columns in CSC: ``cptr``, ``cidx``)."""
    cnt = np.zeros(n, np.int64)
    for j in range(cptr.shape[0] - 1):
        if open_[j]:
            for t in range(cptr[j], cptr[j + 1]):
                cnt[cidx[t]] += 1
    return cnt


@njit(cache=True)
def _gains(cnt, w, cptr, cidx, out):  # pragma: no cover - numba
    """Weight newly covered by opening each site (demands with count 0)."""
    for j in range(cptr.shape[0] - 1):
        s = 0.0
        for t in range(cptr[j], cptr[j + 1]):
            i = cidx[t]
            if cnt[i] == 0:
                s += w[i]
        out[j] = s


@njit(cache=True)
def _tabu(y, w, rptr, ridx, cptr, cidx, movable, allowed, steps, patience, tenure, seed):  # pragma: no cover
    np.random.seed(seed)
    k = cptr.shape[0] - 1
    n = rptr.shape[0] - 1
    cnt = _cover_counts(y, cptr, cidx, n)
    value = 0.0
    for i in range(n):
        if cnt[i] > 0:
            value += w[i]
    best = y.copy()
    best_value = value
    gain = np.zeros(k)
    shared = np.zeros(k)
    tabu_until = np.zeros(k, np.int64)
    n_open = 0
    for j in range(k):
        if y[j]:
            n_open += 1
    # a site just opened stays open for fewer steps than there are open sites (else every move is tabu)
    tenure_open = max(1, min(tenure, n_open // 3))
    tol = 1e-9 * max(1.0, value)
    last_improved = 0
    _gains(cnt, w, cptr, cidx, gain)  # kept up to date below as the counts change
    for it in range(steps):
        if it - last_improved > patience:
            break
        bd = -np.inf
        br = -1
        bj = -1
        ties = 0
        for r in range(k):
            if not y[r] or not movable[r]:
                continue
            loss = 0.0
            for t in range(cptr[r], cptr[r + 1]):
                i = cidx[t]
                if cnt[i] == 1:
                    loss += w[i]
                    for s in range(rptr[i], rptr[i + 1]):
                        shared[ridx[s]] += w[i]
            for j in range(k):
                if y[j] or not allowed[j]:
                    continue
                d = gain[j] + shared[j] - loss
                if (tabu_until[j] > it or tabu_until[r] > it) and value + d <= best_value + tol:
                    continue
                if d > bd + tol:
                    bd = d
                    br = r
                    bj = j
                    ties = 1
                elif d > bd - tol:
                    ties += 1
                    if np.random.randint(ties) == 0:
                        br = r
                        bj = j
            for t in range(cptr[r], cptr[r + 1]):
                i = cidx[t]
                if cnt[i] == 1:
                    for s in range(rptr[i], rptr[i + 1]):
                        shared[ridx[s]] = 0.0
        if br < 0:
            break
        y[br] = False
        y[bj] = True
        for t in range(cptr[br], cptr[br + 1]):
            i = cidx[t]
            cnt[i] -= 1
            if cnt[i] == 0:  # i becomes uncovered: every site reaching it gains w_i
                for s in range(rptr[i], rptr[i + 1]):
                    gain[ridx[s]] += w[i]
        for t in range(cptr[bj], cptr[bj + 1]):
            i = cidx[t]
            if cnt[i] == 0:
                for s in range(rptr[i], rptr[i + 1]):
                    gain[ridx[s]] -= w[i]
            cnt[i] += 1
        value = 0.0
        for i in range(n):
            if cnt[i] > 0:
                value += w[i]
        tabu_until[br] = it + tenure + np.random.randint(tenure)
        tabu_until[bj] = it + tenure_open + np.random.randint(tenure_open)
        if value > best_value + tol:
            best_value = value
            best[:] = y
            last_improved = it
    return best, best_value


def mclp_tabu(
    cover: sparse.sparray,
    weights: np.ndarray,
    y: np.ndarray,
    *,
    movable: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
    steps: int = 5000,
    patience: int = 1000,
    tenure: int = 10,
    restarts: int = 1,
    seed: int = 0,
) -> tuple[np.ndarray, float]:
    """Tabu search over swaps for the maximal covering problem, from the site set ``y``.

    Parameters
    ----------
    cover : sparse boolean matrix (demand × site)
    weights : ndarray
        Demand weights.
    y : ndarray of bool
        Starting open sites (their number is kept).
    movable : ndarray of bool, optional
        Open sites that may close (default: all).
    allowed : ndarray of bool, optional
        Closed sites that may open (default: all).
    steps, patience : int, keyword-only
        At most ``steps`` swaps; stop after ``patience`` swaps without a better solution.
    tenure : int, keyword-only
        A closed site may not reopen for ``tenure`` to ``2 · tenure − 1`` steps (seeded draw); an
        opened site may not close for up to a third of that or of the number of open sites.
    restarts : int, keyword-only
        Searches run one after another, search ``r`` (from 0) from the best set so far with
        tenure ``tenure · (r + 1)`` and seed ``seed + r``.
    seed : int, keyword-only
        Seed of the tie-breaking and tenure draws.

    Returns
    -------
    best : ndarray of bool
        The best site set found (at least as good as ``y``).
    value : float
        Its covered weight.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> c = sparse.csr_array(np.array([[1, 0, 0], [0, 1, 0], [0, 1, 1]], dtype=bool))
    >>> best, value = mclp_tabu(c, np.array([1.0, 1.0, 5.0]), np.array([True, False, False]))
    >>> best.tolist(), value
    ([False, True, False], 6.0)
    """
    rptr, ridx, cptr, cidx = _arrays(cover)
    k = cover.shape[1]
    movable = np.ones(k, dtype=np.bool_) if movable is None else np.asarray(movable, dtype=np.bool_)
    allowed = np.ones(k, dtype=np.bool_) if allowed is None else np.asarray(allowed, dtype=np.bool_)
    best = np.asarray(y, dtype=np.bool_).copy()
    w = np.asarray(weights, dtype=np.float64)
    value = -np.inf
    for r in range(max(int(restarts), 1)):  # each from the best so far, longer tenure, next seed
        found, found_value = _tabu(best.copy(), w, rptr, ridx, cptr, cidx, movable, allowed, int(steps),
                                   int(patience), max(int(tenure), 1) * (r + 1), int(seed) + r)
        if found_value > value:
            best, value = found, found_value
    return best, float(value)


# ----------------------------------------------------------------------------------- LSCP


@njit(cache=True)
def _complete(x, c, rc, rptr, ridx, cptr, cidx, order):  # pragma: no cover - numba
    """Make ``x`` a cover (greedy: least cost per newly covered row, ties by reduced cost ``rc``),
    then drop redundant columns, most expensive first."""
    n = rptr.shape[0] - 1
    k = cptr.shape[0] - 1
    cnt = _cover_counts(x, cptr, cidx, n)
    left = 0
    for i in range(n):
        if cnt[i] == 0:
            left += 1
    new = np.zeros(k, np.int64)
    for i in range(n):
        if cnt[i] == 0:
            for s in range(rptr[i], rptr[i + 1]):
                new[ridx[s]] += 1
    while left > 0:
        best = -1
        best_ratio = np.inf
        for j in range(k):
            if new[j] > 0:
                ratio = c[j] / new[j]
                if ratio < best_ratio - 1e-12 or (ratio < best_ratio + 1e-12 and best >= 0 and rc[j] < rc[best]):
                    best_ratio = ratio
                    best = j
        x[best] = True
        for t in range(cptr[best], cptr[best + 1]):
            i = cidx[t]
            if cnt[i] == 0:
                left -= 1
                for s in range(rptr[i], rptr[i + 1]):
                    new[ridx[s]] -= 1
            cnt[i] += 1
    for q in range(k):  # most expensive first (order), drop columns whose rows are all covered twice
        j = order[q]
        if not x[j]:
            continue
        redundant = True
        for t in range(cptr[j], cptr[j + 1]):
            if cnt[cidx[t]] < 2:
                redundant = False
                break
        if redundant:
            x[j] = False
            for t in range(cptr[j], cptr[j + 1]):
                cnt[cidx[t]] -= 1
    total = 0.0
    for j in range(k):
        if x[j]:
            total += c[j]
    return total


@njit(cache=True)
def _lscp_lagrangian(c, rptr, ridx, cptr, cidx, order, iterations, ub, best_x):  # pragma: no cover - numba
    n = rptr.shape[0] - 1
    k = cptr.shape[0] - 1
    lam = np.zeros(n)
    for i in range(n):
        v = np.inf
        for s in range(rptr[i], rptr[i + 1]):
            j = ridx[s]
            q = c[j] / (cptr[j + 1] - cptr[j])
            if q < v:
                v = q
        lam[i] = v
    best_lam = lam.copy()
    lb = -np.inf
    f = 2.0
    stall = 0
    rc = np.zeros(k)
    x = np.zeros(k, np.bool_)
    g = np.zeros(n)
    for it in range(iterations):
        value = 0.0
        for i in range(n):
            value += lam[i]
        for j in range(k):
            s = c[j]
            for t in range(cptr[j], cptr[j + 1]):
                s -= lam[cidx[t]]
            rc[j] = s
            x[j] = s < 0.0
            if s < 0.0:
                value += s
        if value > lb + 1e-9:
            lb = value
            best_lam[:] = lam
            stall = 0
        else:
            stall += 1
            if stall >= 20:
                f /= 2.0
                stall = 0
        if it % 5 == 0 or it == iterations - 1:
            y = x.copy()
            total = _complete(y, c, rc, rptr, ridx, cptr, cidx, order)
            if total < ub - 1e-9:
                ub = total
                best_x[:] = y
        if f < 1e-4 or lb >= ub - 1e-9:
            break
        norm = 0.0
        for i in range(n):
            gi = 1.0
            for s in range(rptr[i], rptr[i + 1]):
                if x[ridx[s]]:
                    gi -= 1.0
            g[i] = gi
            norm += gi * gi
        if norm == 0.0:
            break
        step = f * (1.05 * ub - value) / norm
        for i in range(n):
            lam[i] = max(0.0, lam[i] + step * g[i])
    # reduced costs at the best multipliers
    for j in range(k):
        s = c[j]
        for t in range(cptr[j], cptr[j + 1]):
            s -= best_lam[cidx[t]]
        rc[j] = s
    return lb, ub, rc


class LscpLagrangian:
    """Result of :func:`lscp_lagrangian`.

    Attributes
    ----------
    cover : ndarray of bool
        The best cover found.
    upper : float
        Its cost.
    lower : float
        The best Lagrangian bound (a lower bound on every cover's cost).
    reduced_costs : ndarray
        Column reduced costs at the multipliers of ``lower``.
    integral : bool
        Every cover costs an integer.
    out : ndarray of bool
        Columns no cover cheaper than ``upper`` contains (``lower + rc_j`` reaches the cut-off).
    into : ndarray of bool
        Columns every cover cheaper than ``upper`` contains (``lower − rc_j`` reaches it).
    """

    def __init__(self, cover: np.ndarray, upper: float, lower: float, reduced_costs: np.ndarray,
                 integral: bool) -> None:
        self.cover = cover
        self.upper = upper
        self.lower = lower
        self.reduced_costs = reduced_costs
        self.integral = integral
        # a cover strictly better than upper costs at most `cut`
        cut = upper - 1.0 if integral else upper - 1e-9 * max(1.0, abs(upper))
        tol = 1e-7 * max(1.0, abs(upper))
        rc = reduced_costs
        self.out = (rc >= 0) & (lower + rc > cut + tol)
        self.into = (rc < 0) & (lower - rc > cut + tol)

    def with_cover(self, cover: np.ndarray, cost: np.ndarray) -> "LscpLagrangian":
        """The same bound with a better cover (its cost as the new cut-off)."""
        return LscpLagrangian(cover, float(cost[cover].sum()), self.lower, self.reduced_costs, self.integral)


def lscp_lagrangian(
    cover: sparse.sparray,
    cost: np.ndarray,
    *,
    start: np.ndarray | None = None,
    iterations: int = 1000,
    integral: bool = False,
) -> LscpLagrangian:
    """Lagrangian bound, heuristic cover and reduced-cost fixing for weighted set covering.

    Parameters
    ----------
    cover : sparse boolean matrix (row × column); every row must have a column.
    cost : ndarray
        Column costs (``>= 0``).
    start : ndarray of bool, optional
        A known cover (its cost is the first upper bound).
    iterations : int, keyword-only
        Subgradient iterations (at most).
    integral : bool, keyword-only
        Every cover costs an integer: a cover better than ``upper`` costs at most ``upper − 1``.

    Returns
    -------
    LscpLagrangian

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> c = sparse.csr_array(np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]], dtype=bool))
    >>> r = lscp_lagrangian(c, np.ones(3), integral=True)
    >>> r.upper, r.lower
    (2.0, 1.5)
    """
    rptr, ridx, cptr, cidx = _arrays(cover)
    c = np.asarray(cost, dtype=np.float64)
    k = cover.shape[1]
    order = np.argsort(-c, kind="stable").astype(np.int64)
    best_x = np.zeros(k, dtype=np.bool_)
    ub = np.inf
    if start is not None:
        best_x = np.asarray(start, dtype=np.bool_).copy()
        ub = float(c[best_x].sum())
    lb, ub, rc = _lscp_lagrangian(c, rptr, ridx, cptr, cidx, order, int(iterations), float(ub), best_x)
    return LscpLagrangian(best_x, float(ub), float(lb), rc, bool(integral))


def unicost_descent(
    cover: sparse.sparray,
    y: np.ndarray,
    *,
    floor: int = 0,
    steps: int = 3000,
    patience: int = 1000,
    seed: int = 0,
) -> np.ndarray:
    """Shrink a set cover of equal-cost columns one column at a time with :func:`mclp_tabu`.

    From a cover ``y`` of ``q`` columns, the column whose removal uncovers the fewest rows is
    dropped and the tabu search looks for ``q − 1`` columns covering every row; repeated until
    it fails or ``floor`` (a lower bound on the cover size) is reached.

    Parameters
    ----------
    cover : sparse boolean matrix (row × column)
    y : ndarray of bool
        A cover.
    floor : int, keyword-only
        No cover has fewer columns (stop there).
    steps, patience, seed : int, keyword-only
        Of each tabu search.

    Returns
    -------
    ndarray of bool
        The smallest cover found (``y`` itself when none smaller is found).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> c = sparse.csr_array(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=bool))
    >>> int(unicost_descent(c, np.array([True, True, True])).sum())
    2
    """
    csc = sparse.csc_array(cover).astype(np.float64)
    ones = np.ones(cover.shape[0])

    def sole_rows(y: np.ndarray) -> np.ndarray:
        return csc.T @ np.where(csc @ y.astype(np.float64) == 1, 1.0, 0.0)

    return descend(y, cover.shape[0], floor=floor, sole_rows=sole_rows,
                   search=lambda z: mclp_tabu(csc, ones, z, steps=steps, patience=patience, seed=seed))
