"""Covering heuristics in plain numpy for small models (no compiled code, no start-up cost).

Internal module of :mod:`planning.models.lscp`. The compiled kernels of
:mod:`planning.models._covering` pay a one-off start-up of about 0.3–0.5 s per process (numba's
type registries and the BLAS check import scipy.linalg), which dominates a model of a few hundred
demands that HiGHS would otherwise solve in a tenth of a second. The same searches written with
numpy array operations (every swap evaluated at once from the cover counts) cost nothing to start
and are fast while the candidate count ``k`` keeps the ``k × k`` swap table small.

- :func:`swap_search`: tabu search over swaps (close one open site, open one closed site) for the
  weighted maximal covering problem, the numpy twin of :func:`planning.models._covering.mclp_tabu`.
- :func:`shrink_cover`: shrink a cover of equal-cost columns one column at a time by asking
  :func:`swap_search` for ``q − 1`` columns that cover every row.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import sparse

__all__ = ["swap_search", "shrink_cover"]


class _Cover:
    """Row/column index arrays of a boolean coverage matrix (demand × site)."""

    def __init__(self, cover: sparse.sparray) -> None:
        csr = sparse.csr_array(cover)
        csr.sort_indices()
        csc = sparse.csc_array(cover)
        csc.sort_indices()
        self.n, self.k = csr.shape
        self.row_of = np.repeat(np.arange(self.n), np.diff(csr.indptr))  # row of each CSR entry
        self.col_of = csr.indices.astype(np.int64)  # column of each CSR entry
        self.cptr = csc.indptr.astype(np.int64)
        self.cidx = csc.indices.astype(np.int64)

    def rows(self, j: int) -> np.ndarray:
        return self.cidx[self.cptr[j] : self.cptr[j + 1]]

    def counts(self, y: np.ndarray) -> np.ndarray:
        """Open columns covering each row."""
        return np.bincount(self.row_of[y[self.col_of]], minlength=self.n)


def swap_search(
    cover: sparse.sparray,
    weights: np.ndarray,
    y: np.ndarray,
    *,
    steps: int = 300,
    patience: int = 100,
    tenure: int = 3,
    seed: int = 0,
    restarts: int = 1,
    target: float | None = None,
) -> tuple[np.ndarray, float]:
    """Tabu search over swaps for the maximal covering problem (numpy, for small models).

    Every step evaluates all swaps at once: the gain of opening ``j`` (weight of uncovered rows
    it reaches), the loss of closing ``r`` (weight of rows only ``r`` covers) and their overlap
    (rows only ``r`` covers that ``j`` also reaches), then takes the best swap that is not tabu
    (a tabu swap only when it beats the best solution found); ties are broken by a seeded draw.

    Parameters
    ----------
    cover : sparse boolean matrix (demand × site)
    weights : ndarray
        Demand weights (``>= 0``).
    y : ndarray of bool
        Starting open sites (their number is kept).
    steps, patience : int, keyword-only
        At most ``steps`` swaps; stop after ``patience`` swaps without a better solution.
    tenure : int, keyword-only
        A closed site may not reopen for ``tenure`` to ``2 · tenure − 1`` steps; an opened site may
        not close for up to a third of that or of the number of open sites.
    seed : int, keyword-only
        Seed of the tie-breaking and tenure draws.
    restarts : int, keyword-only
        Searches run one after another, search ``r`` (from 0) from the best set so far with
        tenure ``tenure · (r + 1)`` and seed ``seed + r`` (as
        :func:`planning.models._covering.mclp_tabu`).
    target : float, optional
        Stop as soon as this covered weight is reached.

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
    >>> best, value = swap_search(c, np.array([1.0, 1.0, 5.0]), np.array([True, False, False]))
    >>> best.tolist(), value
    ([False, True, False], 6.0)
    """
    cv = _Cover(cover)
    w = np.asarray(weights, dtype=np.float64)
    best, value = np.asarray(y, dtype=bool).copy(), -np.inf
    for r in range(max(int(restarts), 1)):  # each from the best so far, longer tenure, next seed
        found, found_value = _swap(cv, w, best, steps=steps, patience=patience, tenure=max(int(tenure), 1) * (r + 1),
                                   seed=int(seed) + r, target=target)
        if found_value > value:
            best, value = found, found_value
        if target is not None and value >= target - 1e-9 * max(1.0, float(w.sum())):
            break
    return best, float(value)


def _swap(cv: _Cover, w: np.ndarray, y: np.ndarray, *, steps: int, patience: int, tenure: int, seed: int,
          target: float | None, hold: int | None = None) -> tuple[np.ndarray, float]:
    """One tabu search; ``hold`` fixes the steps an opened column stays open (default: drawn)."""
    n, k = cv.n, cv.k
    y = np.asarray(y, dtype=bool).copy()
    rng = np.random.default_rng(seed)
    cnt = cv.counts(y)
    value = float(w[cnt > 0].sum())
    best, best_value = y.copy(), value
    tol = 1e-9 * max(1.0, float(w.sum()))
    if target is not None and value >= target - tol:
        return best, best_value
    tabu_until = np.zeros(k, dtype=np.int64)
    owner = np.full(n, -1, dtype=np.int64)
    slot = np.full(k, -1, dtype=np.int64)  # position of an open column in `open_idx`
    last_improved = 0
    tenure = max(int(tenure), 1)
    tenure_open = max(1, min(tenure, int(y.sum()) // 3))  # else every move of a small p is tabu
    for it in range(int(steps)):
        if it - last_improved > patience:
            break
        open_idx = np.flatnonzero(y)
        q = open_idx.size
        slot[open_idx] = np.arange(q)
        entry_uncovered = cnt[cv.row_of] == 0
        gain = np.bincount(cv.col_of[entry_uncovered], weights=w[cv.row_of[entry_uncovered]], minlength=k)
        entry_single = cnt[cv.row_of] == 1
        owned = entry_single & y[cv.col_of]  # the single open column of a once-covered row
        owner[cv.row_of[owned]] = cv.col_of[owned]
        loss = np.bincount(slot[cv.col_of[owned]], weights=w[cv.row_of[owned]], minlength=q)
        r_single = cv.row_of[entry_single]
        shared = np.bincount(slot[owner[r_single]] * k + cv.col_of[entry_single], weights=w[r_single],
                             minlength=q * k).reshape(q, k)
        delta = gain[None, :] + shared - loss[:, None]  # close open_idx[a], open b
        free = tabu_until <= it
        aspire = value + delta > best_value + tol
        ok = ~y[None, :] & ((free[open_idx][:, None] & free[None, :]) | aspire)
        delta = np.where(ok, delta, -np.inf)
        top = float(delta.max()) if delta.size else -np.inf
        if top == -np.inf:
            break
        ties = np.flatnonzero(delta.ravel() >= top - tol)
        a, j = divmod(int(ties[rng.integers(ties.size)]), k)
        r = int(open_idx[a])
        slot[r] = -1
        y[r] = False
        y[j] = True
        cnt[cv.rows(r)] -= 1
        cnt[cv.rows(j)] += 1
        value += top
        tabu_until[r] = it + tenure + int(rng.integers(tenure))
        tabu_until[j] = it + (hold if hold is not None else tenure_open + int(rng.integers(tenure_open)))
        if value > best_value + tol:
            value = float(w[cnt > 0].sum())  # exact, no drift
            best_value = value
            best = y.copy()
            last_improved = it
            if target is not None and value >= target - tol:
                break
    return best, float(best_value)


def shrink_cover(
    cover: sparse.sparray,
    y: np.ndarray,
    *,
    floor: int = 0,
    steps: int = 300,
    patience: int = 100,
    seed: int = 0,
) -> np.ndarray:
    """Shrink a set cover of equal-cost columns with :func:`swap_search`.

    From a cover of ``q`` columns, the column whose removal uncovers the fewest rows is dropped
    and the swap search looks for ``q − 1`` columns covering every row; repeated until it fails
    or ``floor`` (a lower bound on the cover size) is reached.

    Parameters
    ----------
    cover : sparse boolean matrix (row × column)
    y : ndarray of bool
        A cover.
    floor : int, keyword-only
        No cover has fewer columns (stop there).
    steps, patience, seed : int, keyword-only
        Of each swap search.

    Returns
    -------
    ndarray of bool
        The smallest cover found (``y`` itself when none smaller is found).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> c = sparse.csr_array(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=bool))
    >>> int(shrink_cover(c, np.array([True, True, True])).sum())
    2
    """
    cv = _Cover(cover)
    ones = np.ones(cv.n)

    def sole_rows(y: np.ndarray) -> np.ndarray:
        single = (cv.counts(y)[cv.row_of] == 1) & y[cv.col_of]
        return np.bincount(cv.col_of[single], minlength=cv.k).astype(np.float64)

    def search(z: np.ndarray) -> tuple[np.ndarray, float]:
        return _swap(cv, ones, z, steps=steps, patience=patience, tenure=3, seed=seed, target=float(cv.n), hold=2)

    return descend(y, cv.n, floor=floor, sole_rows=sole_rows, search=search)


def descend(y: np.ndarray, rows: int, *, floor: int,
            sole_rows: Callable[[np.ndarray], np.ndarray],
            search: Callable[[np.ndarray], tuple[np.ndarray, float]]) -> np.ndarray:
    """Shrink a cover of ``rows`` rows one column at a time (shared by both searches' shrinks).

    Drops the open column that alone covers the fewest rows (``sole_rows(y)``: per column, the
    rows only it covers) and asks ``search`` (a swap search at unit weights, returning the columns
    and the rows they cover) for a cover with one column fewer; stops when it fails or at ``floor``.
    """
    best = np.asarray(y, dtype=bool).copy()
    while int(best.sum()) - 1 >= max(floor, 1):
        loss = sole_rows(best)
        loss[~best] = np.inf
        z = best.copy()
        z[int(np.argmin(loss))] = False
        z, value = search(z)
        if value < rows - 0.5:
            break
        best = z
    return best
