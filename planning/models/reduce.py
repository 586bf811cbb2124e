"""Optimality-preserving reductions of covering problems (LSCP, MCLP).

All functions work on a boolean coverage matrix ``cover`` (demand × candidate, scipy CSR/CSC):
``cover[i, j]`` is true when candidate ``j`` reaches demand ``i`` within the threshold.

- identical candidate columns are merged (the cheapest kept);
- a candidate whose coverage set is contained in a no-more-expensive candidate's is dominated
  and removed (valid for set covering and for maximal covering with "at most p" sites);
- identical demand rows are merged (weights summed);
- for set covering, a demand row whose coverage set contains another row's is redundant;
- for set covering, a demand reached by a single candidate makes that candidate essential.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = [
    "coverage_matrix",
    "identical_groups",
    "merge_identical_columns",
    "dominated_columns",
    "merge_identical_rows",
    "dominated_rows",
]

#: Reductions that need pairwise overlap products are skipped above this many products.
MAX_OVERLAP_WORK = 20_000_000


def coverage_matrix(cost: np.ndarray, threshold: float) -> sparse.csr_array:
    """Boolean CSR matrix of the pairs with ``cost <= threshold``.

    Examples
    --------
    >>> import numpy as np
    >>> coverage_matrix(np.array([[1.0, 5.0], [np.inf, 2.0]]), 2.0).toarray()
    array([[ True, False],
           [False,  True]])
    """
    rows, cols = np.nonzero(cost <= threshold)
    return sparse.csr_array((np.ones(rows.size, dtype=bool), (rows, cols)), shape=cost.shape)


def identical_groups(cover: sparse.sparray, axis: int) -> np.ndarray:
    """Group label per row (``axis=0``) or column (``axis=1``): equal labels = identical sets."""
    mat = sparse.csr_array(cover) if axis == 0 else sparse.csr_array(cover.T)
    mat.sort_indices()
    keys = [mat.indices[mat.indptr[k] : mat.indptr[k + 1]].tobytes() for k in range(mat.shape[0])]
    return pd.factorize(pd.Series(keys, dtype=object))[0]


def merge_identical_columns(cover: sparse.sparray, cost: np.ndarray, group: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of the columns kept: one cheapest (then lowest index) per identical set.

    Parameters
    ----------
    cover : sparse boolean matrix
    cost : ndarray
        Cost of each column.
    group : ndarray, optional
        Columns are merged only within the same group (e.g. the same area).
    """
    labels = identical_groups(cover, axis=1)
    key = labels if group is None else labels * (int(np.max(group)) + 2) + (np.asarray(group) + 1)
    order = np.lexsort((np.arange(len(cost)), cost, key))
    keep = np.zeros(len(cost), dtype=bool)
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep[order[first]] = True
    return keep


def dominated_columns(cover: sparse.sparray, cost: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Mask of active columns dominated by another active column (subset coverage, cost no higher).

    Identical columns must be merged first (a column is never dominated by an identical one).
    Columns with empty coverage are always dominated. Returns all-false when the overlap
    product would be too large (:data:`MAX_OVERLAP_WORK`).
    """
    csc = sparse.csc_array(cover).astype(np.int32)
    sizes = np.asarray(csc.sum(axis=0)).ravel()
    dominated = active & (sizes == 0)
    work = float((np.asarray(sparse.csr_array(cover).sum(axis=1)).ravel() ** 2).sum())
    if work > MAX_OVERLAP_WORK:
        return dominated
    idx = np.flatnonzero(active & (sizes > 0))
    sub = csc[:, idx]
    overlap = sparse.coo_array(sub.T @ sub)
    j, k = overlap.row, overlap.col
    hit = (j != k) & (overlap.data == sizes[idx[j]]) & (cost[idx[k]] <= cost[idx[j]])
    dominated[idx[j[hit]]] = True
    return dominated


def merge_identical_rows(cover: sparse.sparray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Representative row per identical coverage set and the summed weights.

    Returns
    -------
    rep : ndarray of int
        Index of the first row of each group.
    weight : ndarray
        Summed weights per group.
    """
    labels = identical_groups(cover, axis=0)
    n_groups = int(labels.max()) + 1 if labels.size else 0
    rep = np.full(n_groups, -1, dtype=np.int64)
    order = np.arange(len(labels))[::-1]
    rep[labels[order]] = order
    weight = np.bincount(labels, weights=weights, minlength=n_groups)
    return rep, weight


def dominated_rows(cover: sparse.sparray) -> np.ndarray:
    """Mask of rows whose coverage set strictly contains another row's (redundant in set covering).

    Identical rows must be merged first. Returns all-false when too large to check.
    """
    csr = sparse.csr_array(cover).astype(np.int32)
    sizes = np.asarray(csr.sum(axis=1)).ravel()
    work = float((np.asarray(sparse.csc_array(cover).sum(axis=0)).ravel() ** 2).sum())
    out = np.zeros(csr.shape[0], dtype=bool)
    if work > MAX_OVERLAP_WORK:
        return out
    overlap = sparse.coo_array(csr @ csr.T)
    i, k = overlap.row, overlap.col
    # row i is redundant when row k ⊆ row i (k != i): overlap == size of k
    hit = (i != k) & (overlap.data == sizes[k]) & (sizes[k] < sizes[i])
    out[i[hit]] = True
    return out
