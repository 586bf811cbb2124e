"""Fast heuristics and bounds: warm starts for the exact solves, and answers on their own.

- :func:`greedy_cover`: Chvátal's greedy set cover (cost per newly covered demand) with
  redundant sites dropped afterwards.
- :func:`greedy_mclp`, :func:`swap_mclp` and :func:`iterated_swap_mclp`: greedy maximal
  covering, best-improvement site swaps, and seeded random kicks followed by swaps.
- :func:`greedy_pmedian` and :func:`interchange_pmedian`: greedy addition, then Teitz–Bart
  vertex substitution in Whitaker's fast-interchange form (best swap per pass, vectorised).
- :func:`lagrangian_pmedian`: the Lagrangian bound of the p-median (assignment constraints
  relaxed, subgradient ascent).

Every function is deterministic (ties broken by the lowest index).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = [
    "greedy_cover",
    "greedy_mclp",
    "swap_mclp",
    "iterated_swap_mclp",
    "greedy_pmedian",
    "interchange_pmedian",
    "pmedian_cost",
    "lagrangian_pmedian",
]


def greedy_cover(cover: sparse.sparray, cost: np.ndarray, *, start: np.ndarray | None = None) -> np.ndarray | None:
    """Greedy set cover: repeatedly open the site with the least cost per newly covered demand.

    Parameters
    ----------
    cover : sparse boolean matrix (demand × site)
    cost : ndarray
        Site costs (zero-cost sites are opened first when they cover anything new).
    start : ndarray of bool, optional
        Sites already open.

    Returns
    -------
    ndarray of bool or None
        Open sites, or ``None`` when some demand cannot be covered.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> c = sparse.csr_array(np.array([[1, 0], [1, 1], [0, 1]], dtype=bool))
    >>> greedy_cover(c, np.array([1.0, 1.0])).tolist()
    [True, True]
    """
    csc = sparse.csc_array(cover).astype(np.float64)
    csr = sparse.csr_array(cover)
    n, m = csc.shape
    y = np.zeros(m, dtype=bool) if start is None else start.astype(bool).copy()
    covered = np.zeros(n, dtype=bool)
    if y.any():
        covered |= np.asarray(csc[:, np.flatnonzero(y)].sum(axis=1)).ravel() > 0
    if (np.diff(csr.indptr) == 0).any():
        return None
    while not covered.all():
        gain = csc.T @ (~covered).astype(np.float64)
        ratio = np.where(gain > 0, cost / np.maximum(gain, 1e-12), np.inf)
        j = int(np.argmin(ratio))
        y[j] = True
        covered[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = True
    fixed = np.zeros(m, dtype=bool) if start is None else start.astype(bool)
    # drop redundant sites, most expensive first
    count = csc @ y.astype(np.float64)
    for j in np.argsort(-cost, kind="stable"):
        if not y[j] or fixed[j]:
            continue
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        if (count[rows] >= 2).all():
            y[j] = False
            count[rows] -= 1
    return y


def greedy_mclp(cover: sparse.sparray, weights: np.ndarray, p: int, *, start: np.ndarray | None = None,
                allowed: np.ndarray | None = None) -> np.ndarray:
    """Greedy maximal covering: add ``p`` sites, each covering the most uncovered weight.

    Parameters
    ----------
    cover : sparse boolean matrix (demand × site)
    weights : ndarray
        Demand weights.
    p : int
        Sites to add (besides ``start``).
    start : ndarray of bool, optional
        Sites already open (not counted in ``p``).
    allowed : ndarray of bool, optional
        Sites that may be added.
    """
    csc = sparse.csc_array(cover).astype(np.float64)
    n, m = csc.shape
    y = np.zeros(m, dtype=bool) if start is None else start.astype(bool).copy()
    allowed = np.ones(m, dtype=bool) if allowed is None else allowed
    covered = (csc @ y.astype(np.float64)) > 0
    for _ in range(p):
        gain = csc.T @ np.where(covered, 0.0, weights)
        gain[~allowed | y] = -1.0
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        y[j] = True
        covered[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = True
    return y


def swap_mclp(cover: sparse.sparray, weights: np.ndarray, y: np.ndarray, *, movable: np.ndarray | None = None,
              allowed: np.ndarray | None = None, max_passes: int = 200) -> np.ndarray:
    """Best-improvement swaps (close one movable open site, open one allowed closed site).

    Returns the improved site mask; stops when no swap raises the covered weight.
    """
    csc = sparse.csc_array(cover).astype(np.float64)
    m = csc.shape[1]
    y = y.astype(bool).copy()
    movable = np.ones(m, dtype=bool) if movable is None else movable
    allowed = np.ones(m, dtype=bool) if allowed is None else allowed
    for _ in range(max_passes):
        count = csc @ y.astype(np.float64)
        gain = csc.T @ np.where(count == 0, weights, 0.0)  # weight newly covered by opening j
        single = np.where(count == 1, weights, 0.0)
        out_idx = np.flatnonzero(y & movable)
        in_idx = np.flatnonzero(~y & allowed)
        if out_idx.size == 0 or in_idx.size == 0:
            break
        loss = csc[:, out_idx].T @ single  # weight lost by closing r
        # weight lost by closing r but still covered by j: single-covered by r and covered by j
        shared = (csc[:, out_idx].T.multiply(single.reshape(1, -1))) @ csc[:, in_idx]
        delta = gain[in_idx].reshape(1, -1) - loss.reshape(-1, 1) + np.asarray(sparse.csr_array(shared).toarray())
        r, j = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if delta[r, j] <= 1e-9:
            break
        y[out_idx[r]] = False
        y[in_idx[j]] = True
    return y


def iterated_swap_mclp(cover: sparse.sparray, weights: np.ndarray, y: np.ndarray, *, iterations: int = 60,
                       kick: int = 3, seed: int = 0, allowed: np.ndarray | None = None) -> np.ndarray:
    """Iterated local search for the MCLP: kick ``kick`` random sites out and in, re-run the swaps.

    Starts from ``y`` (a swap local optimum or any site set); keeps the best set found. Seeded:
    the same inputs give the same answer. Only the sites of ``allowed`` move.
    """
    csc = sparse.csc_array(cover).astype(np.float64)
    m = csc.shape[1]
    allowed = np.ones(m, dtype=bool) if allowed is None else allowed

    def value(z: np.ndarray) -> float:
        return float(weights[(csc @ z.astype(np.float64)) > 0].sum())

    best = swap_mclp(csc, weights, y, movable=allowed, allowed=allowed)
    best_value = value(best)
    rng = np.random.default_rng(seed)
    for _ in range(iterations):
        on = np.flatnonzero(best & allowed)
        off = np.flatnonzero(~best & allowed)
        k = min(kick, on.size, off.size)
        if k == 0:
            break
        z = best.copy()
        z[rng.choice(on, k, replace=False)] = False
        z[rng.choice(off, k, replace=False)] = True
        z = swap_mclp(csc, weights, z, movable=allowed, allowed=allowed)
        v = value(z)
        if v > best_value + 1e-9:
            best, best_value = z, v
    return best


def pmedian_cost(cost: np.ndarray, weights: np.ndarray, y: np.ndarray) -> float:
    """Weighted sum of each demand's cost to its nearest open site (inf if one is unreachable)."""
    sub = cost[:, np.flatnonzero(y)]
    if sub.shape[1] == 0:
        return float("inf")
    near = sub.min(axis=1)
    return float(np.dot(weights[weights > 0], near[weights > 0])) if np.isfinite(near[weights > 0]).all() else float("inf")


def greedy_pmedian(cost: np.ndarray, weights: np.ndarray, p: int, *, start: np.ndarray | None = None,
                   allowed: np.ndarray | None = None) -> np.ndarray:
    """Greedy addition: add ``p`` sites, each lowering the weighted cost the most."""
    n, m = cost.shape
    wc = np.where(np.isfinite(cost), cost, 1e18) * weights.reshape(-1, 1)
    y = np.zeros(m, dtype=bool) if start is None else start.astype(bool).copy()
    allowed = np.ones(m, dtype=bool) if allowed is None else allowed
    d1 = wc[:, y].min(axis=1) if y.any() else np.full(n, 1e30)
    for _ in range(p):
        total = np.minimum(wc, d1.reshape(-1, 1)).sum(axis=0)
        total[~allowed | y] = np.inf
        j = int(np.argmin(total))
        if not np.isfinite(total[j]):
            break
        y[j] = True
        d1 = np.minimum(d1, wc[:, j])
    return y


def interchange_pmedian(cost: np.ndarray, weights: np.ndarray, y: np.ndarray, *, movable: np.ndarray | None = None,
                        allowed: np.ndarray | None = None, max_passes: int = 10_000) -> np.ndarray:
    """Vertex substitution (Teitz–Bart) in fast-interchange form, best swap per pass.

    For each closed site ``j`` and open site ``r`` the change of cost of swapping them is
    ``gain_j - loss_rj`` computed for all pairs at once from the nearest (``d1``) and second
    nearest (``d2``) open site of every demand. Stops at a local optimum.
    """
    n, m = cost.shape
    big = 1e18
    wc = np.where(np.isfinite(cost), cost, big) * weights.reshape(-1, 1)
    y = y.astype(bool).copy()
    movable = np.ones(m, dtype=bool) if movable is None else movable
    allowed = np.ones(m, dtype=bool) if allowed is None else allowed
    rows = np.arange(n)
    for _ in range(max_passes):
        open_idx = np.flatnonzero(y)
        in_idx = np.flatnonzero(~y & allowed)
        out_mask = movable[open_idx]
        if in_idx.size == 0 or not out_mask.any() or open_idx.size < 1:
            break
        sub = wc[:, open_idx]
        if open_idx.size >= 2:
            part = np.argpartition(sub, 1, axis=1)[:, :2]
            a, b = sub[rows, part[:, 0]], sub[rows, part[:, 1]]
            first = np.where(a <= b, part[:, 0], part[:, 1])
            d1, d2 = np.minimum(a, b), np.maximum(a, b)
        else:
            first = np.zeros(n, dtype=np.int64)
            d1, d2 = sub[:, 0], np.full(n, big * 10)
        cand = wc[:, in_idx]
        gain = np.maximum(d1.reshape(-1, 1) - cand, 0.0).sum(axis=0)  # opening j alone
        # extra loss when r (the nearest of i) closes, given j opened
        extra = np.minimum(cand, d2.reshape(-1, 1)) - np.minimum(cand, d1.reshape(-1, 1))
        assign = sparse.csr_array(
            (np.ones(n), (first, rows)), shape=(open_idx.size, n)
        )
        loss = assign @ extra  # (open × in)
        delta = gain.reshape(1, -1) - loss
        delta[~out_mask, :] = -np.inf
        r, j = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if delta[r, j] <= 1e-9 * max(1.0, float(d1.sum())):
            break
        y[open_idx[r]] = False
        y[in_idx[j]] = True
    return y


def lagrangian_pmedian(cost: np.ndarray, weights: np.ndarray, p: int, upper: float, *,
                       fixed: np.ndarray | None = None, iterations: int = 300,
                       per_site: bool = False) -> float | tuple[float, np.ndarray, np.ndarray]:
    """Lagrangian lower bound of the p-median (``p`` sites besides ``fixed``).

    Relaxing ``sum_j x_ij = 1`` with multipliers ``u_i`` gives
    ``L(u) = sum_i u_i + sum of the p smallest rho_j (plus rho of fixed sites)`` with
    ``rho_j = sum_i min(0, w_i c_ij - u_i)``; subgradient ascent (Held–Karp step towards the
    upper bound ``upper``) returns the best ``L(u)`` found, a valid lower bound.

    With ``per_site=True`` also returns, for every site ``j``, the best bound found on solutions
    that open ``j`` (``L(u) + rho_j - rho_last`` when ``j`` is not among the chosen): sites whose
    bound reaches ``upper`` cannot be in a solution better than ``upper`` (reduced-cost fixing);
    and, for every demand ``i``, a cost radius: since any solution costs at least
    ``L(u) + sum_ij max(0, w_i c_ij - u_i) x_ij``, a solution better than ``upper`` assigns ``i``
    only to sites with ``w_i c_ij - u_i < upper - L(u)`` (the minimum over the iterations).
    """
    n, m = cost.shape
    big = 1e18
    wc = np.where(np.isfinite(cost), cost, big) * weights.reshape(-1, 1)
    fixed = np.zeros(m, dtype=bool) if fixed is None else fixed
    free_idx = np.flatnonzero(~fixed)
    srt = np.sort(wc, axis=1)
    u = srt[:, min(1, m - 1)].copy()
    best = -np.inf
    site_best = np.full(m, -np.inf)
    slack = np.full(n, np.inf)  # min over iterations of u_i + upper - L(u)
    step = 2.0
    stall = 0
    for _ in range(iterations):
        red = np.minimum(wc - u.reshape(-1, 1), 0.0)
        rho = red.sum(axis=0)
        chosen = np.zeros(m, dtype=bool)
        chosen[fixed] = True
        last = 0.0
        if p > 0:
            order = free_idx[np.argsort(rho[free_idx], kind="stable")[:p]]
            chosen[order] = True
            last = float(rho[order[-1]])
        value = float(u.sum() + rho[chosen].sum())
        if per_site:
            site_value = np.where(chosen, value, value + rho - last)
            np.maximum(site_best, site_value, out=site_best)
            np.minimum(slack, u + (upper - value), out=slack)
        if value > best + 1e-9:
            best = value
            stall = 0
        else:
            stall += 1
            if stall >= 20:
                step /= 2.0
                stall = 0
        if step < 1e-4 or best >= upper - 1e-9:
            break
        g = 1.0 - (red < 0)[:, chosen].sum(axis=1)
        norm = float((g * g).sum())
        if norm == 0:
            break
        u = u + step * (upper - value) / norm * g
    if per_site:
        with np.errstate(divide="ignore", invalid="ignore"):
            radius = np.where(weights > 0, slack / np.where(weights > 0, weights, 1.0), np.inf)
        return best, site_best, radius
    return best
