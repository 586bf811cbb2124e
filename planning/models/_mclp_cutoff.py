"""Exact MCLP step for the near-full-coverage regime: prove an incumbent or beat it, with a cut-off.

Internal module of :mod:`planning.models.mclp`. When ``p`` sites can cover almost all demand, the
LP bound of the MCLP equals the total weight and says nothing; the optimum is decided by which few
demands stay uncovered. Given an incumbent that leaves weight ``g`` uncovered, a strictly better
solution leaves at most ``cut`` (``g − 1`` for integer weights) uncovered, so

- every demand of weight above ``cut`` must be covered: it becomes a set-covering row (*hard*);
- a demand whose candidate set contains a hard demand's set is covered whenever that one is, and
  is dropped; identical demands are merged (weights summed, which may make them hard);
- a site whose demand set is contained in another site's is dropped (dominance, "at most p");
- a hard demand reached by one site only makes that site necessary (opened, ``p`` lowered).

The rest is the model ``min Σ w_i u_i`` over the *soft* demands ``i`` with
``Σ_{j∈N_i} y_j + u_i >= 1``, ``Σ_{j∈N_i} y_j >= 1`` for hard demands, ``Σ y_j <= p`` and
``Σ w_i u_i <= cut``: infeasible proves the incumbent optimal, otherwise its optimum is the MCLP
optimum. HiGHS solves it with a small cut pool (``mip_pool_soft_limit``), which on these
set-covering cores is about three times faster than its default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from planning._errors import SolverError
from planning.models._highs import solve_milp
from planning.models.reduce import dominated_columns, merge_identical_columns, merge_identical_rows

__all__ = ["CutoffResult", "prove_or_improve"]

#: HiGHS options of the cut-off model.
HIGHS_OPTIONS = {"mip_pool_soft_limit": 10}
#: Above this many soft demands the cut-off model is not built (HiGHS was far slower on a cut-off
#: model with 1,700 soft demands than on the plain MILP): :func:`prove_or_improve` returns ``None``.
MAX_SOFT_ROWS = 200


@dataclass(frozen=True)
class CutoffResult:
    """Outcome of :func:`prove_or_improve`.

    Attributes
    ----------
    y : ndarray of bool
        The best site set (the incumbent or a better one).
    value : float
        Its covered weight.
    bound : float
        Upper bound on the covered weight of any ``p`` sites.
    proven : bool
        ``value`` is optimal (``bound == value``).
    reduced : tuple
        Rows (hard, soft) and columns of the cut-off model after the reductions.
    """

    y: np.ndarray
    value: float
    bound: float
    proven: bool
    reduced: tuple[int, int, int]


def _reduce(cover: sparse.csr_array, w: np.ndarray, cut: float, tol: float) -> tuple:
    """Reductions of the cut-off model; returns rows kept, their weights, columns kept, opened columns."""
    n, k = cover.shape
    rows = np.arange(n)
    wr = w.astype(np.float64).copy()
    cols = np.arange(k)
    opened = np.zeros(k, dtype=bool)
    while True:
        sub = sparse.csr_array(cover[rows][:, cols])
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            break
        rep, merged = merge_identical_rows(sub, wr)
        if rep.size < rows.size:
            rows, wr = rows[rep], merged
            continue
        hard = wr > cut + tol
        sizes = np.diff(sub.indptr)
        single = np.flatnonzero(hard & (sizes == 1))
        if single.size:  # a hard row reached by one column: that column must open
            ess = np.unique(sub.indices[sub.indptr[single]])
            opened[cols[ess]] = True
            done = np.asarray(sparse.csc_array(sub)[:, ess].sum(axis=1)).ravel() > 0
            keep_cols = np.ones(cols.size, dtype=bool)
            keep_cols[ess] = False
            rows, wr, cols = rows[~done], wr[~done], cols[keep_cols]
            continue
        hidx = np.flatnonzero(hard)
        if hidx.size:  # rows containing a hard row's set are always covered
            si = sub.astype(np.int32)
            ov = sparse.coo_array(si @ si[hidx].T)
            hit = (ov.row != hidx[ov.col]) & (ov.data == sizes[hidx[ov.col]])
            if hit.any():
                drop = np.zeros(rows.size, dtype=bool)
                drop[ov.row[hit]] = True
                rows, wr = rows[~drop], wr[~drop]
                continue
        unit = np.ones(cols.size)
        keep = merge_identical_columns(sub, unit)
        dom = dominated_columns(sub, unit, keep)
        if (~keep | dom).any():
            cols = cols[keep & ~dom]
            continue
        break
    return rows, wr, cols, opened


def prove_or_improve(
    cover: sparse.sparray,
    weights: np.ndarray,
    y: np.ndarray,
    p: int,
    *,
    time_limit_s: float = 600.0,
    threads: int = 1,
    verbose: bool = False,
    max_soft: int | None = MAX_SOFT_ROWS,
) -> CutoffResult | None:
    """Prove the MCLP incumbent ``y`` optimal or find the optimum, on the cut-off model.

    Parameters
    ----------
    cover : sparse boolean matrix (demand × site)
        Every demand must have at least one site.
    weights : ndarray
        Demand weights (``>= 0``).
    y : ndarray of bool
        The incumbent (at most ``p`` open sites).
    p : int
        Number of sites.
    time_limit_s, threads, verbose : keyword-only
        HiGHS settings.
    max_soft : int, optional
        Give up (return ``None``) when the reduced cut-off model keeps more soft demands.

    Returns
    -------
    CutoffResult or None

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> c = sparse.csr_array(np.array([[1, 0, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
    >>> r = prove_or_improve(c, np.array([4.0, 1.0, 2.0, 3.0]), np.array([True, False, False]), 2)
    >>> r.y.tolist(), r.value, r.proven
    ([True, False, True], 9.0, True)
    """
    csr = sparse.csr_array(cover)
    csr.sort_indices()
    n, k = csr.shape
    w = np.asarray(weights, dtype=np.float64)
    y = np.asarray(y, dtype=bool).copy()
    total = float(w.sum())
    covered = np.asarray(sparse.csc_array(csr)[:, np.flatnonzero(y)].sum(axis=1)).ravel() > 0 if y.any() else np.zeros(n, bool)
    value = float(w[covered].sum())
    tol = 1e-9 * max(1.0, total)
    gap = total - value
    if gap <= tol:
        return CutoffResult(y, value, value, True, (0, 0, 0))
    integral = bool(np.all(w == np.round(w)))
    cut = gap - 1.0 if integral else gap - tol
    if cut < -tol:  # nothing better than the incumbent can exist
        return CutoffResult(y, value, value, True, (0, 0, 0))
    rows, wr, cols, opened = _reduce(csr, w, cut, tol)
    p_left = int(p) - int(opened.sum())
    hard = wr > cut + tol
    shape = (int(hard.sum()), int((~hard).sum()), int(cols.size))
    if p_left < 0:
        return CutoffResult(y, value, value, True, shape)
    if max_soft is not None and shape[1] > max_soft:
        return None
    sub = sparse.csr_array(csr[rows][:, cols]).astype(np.float64)
    soft = np.flatnonzero(~hard)
    r, c, s = sub.shape[0], cols.size, soft.size
    u_block = sparse.csr_array((np.ones(s), (soft, np.arange(s))), shape=(r, s))
    mat = sparse.vstack([
        sparse.hstack([sub, u_block]),
        sparse.hstack([sparse.csr_array(np.ones((1, c))), sparse.csr_array((1, s))]),
        sparse.hstack([sparse.csr_array((1, c)), sparse.csr_array(wr[soft].reshape(1, -1))]),
    ], format="csc")
    row_lo = np.concatenate([np.ones(r), [-np.inf, -np.inf]])
    row_hi = np.concatenate([np.full(r, np.inf), [float(p_left), cut]])
    cost = np.concatenate([np.zeros(c), wr[soft]])
    try:
        res = solve_milp(cost, mat, row_lo, row_hi, np.zeros(c + s), np.ones(c + s), np.ones(c + s, dtype=bool),
                         time_limit_s=time_limit_s, threads=threads, verbose=verbose, highs_options=HIGHS_OPTIONS)
    except SolverError:  # stopped on time before finding a solution or proving there is none
        return CutoffResult(y, value, total, False, shape)
    if res.status == "infeasible":
        return CutoffResult(y, value, value, True, shape)
    better = opened.copy()
    better[cols[res.x[:c] > 0.5]] = True
    hit = np.asarray(sparse.csc_array(csr)[:, np.flatnonzero(better)].sum(axis=1)).ravel() > 0
    better_value = float(w[hit].sum())
    if better_value > value + tol:
        y, value = better, better_value
    proven = res.status == "optimal"
    bound = value if proven else total - min(gap, max(float(res.bound), 0.0))
    return CutoffResult(y, value, max(bound, value), proven, shape)
