"""Fast heuristics and bounds: warm starts for the exact solves, and answers on their own.

- :func:`greedy_cover`: Chvátal's greedy set cover (cost per newly covered demand) with
  redundant sites dropped afterwards.
- :func:`greedy_mclp`: greedy maximal covering (the tabu search of
  :mod:`planning.models._covering` improves it).
- :func:`greedy_pmedian` and :func:`interchange_pmedian`: greedy addition, then Teitz–Bart
  vertex substitution in Whitaker's fast-interchange form (best swap per pass, vectorised).
  (The sparse p-median heuristics and Lagrangian bound are in
  :mod:`planning.models.pmedian_lagrangian`.)

Every function is deterministic (ties broken by the lowest index).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = [
    "greedy_cover",
    "greedy_mclp",
    "greedy_pmedian",
    "interchange_pmedian",
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
