"""Shortest-path kernels (numba): multi-source Dijkstra and one-to-many with a cutoff.

The kernels work on a directed graph in CSR form (``indptr``, ``indices``) with two weights
per arc: the primary weight ``w1`` that is minimised (minutes or metres) and a secondary weight
``w2`` that is summed along the chosen path (metres or minutes), so one pass gives both the
travel time and the road distance of the same route. Sources enter the graph with an initial
cost (a point snapped onto an edge reaches the edge's end nodes at a fraction of the edge time,
plus its walked access leg), which plain ``scipy.sparse.csgraph.dijkstra`` cannot express.

A binary heap with lazy deletion is used; ties are broken by heap order, which depends only on
the inputs, so results are deterministic. Unreached nodes keep ``inf`` (primary and secondary)
and label ``-1``; callers turn these into NaN before anything leaves the engine.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["multi_source", "one_to_many", "transpose_csr"]


@njit(cache=True, nogil=True)
def _push(hk, hn, size, key, node):
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= key:
            break
        hk[i] = hk[p]
        hn[i] = hn[p]
        i = p
    hk[i] = key
    hn[i] = node
    return size + 1


@njit(cache=True, nogil=True)
def _pop(hk, hn, size):
    key = hk[0]
    node = hn[0]
    size -= 1
    if size > 0:
        lk = hk[size]
        ln = hn[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and hk[c + 1] < hk[c]:
                c += 1
            if hk[c] >= lk:
                break
            hk[i] = hk[c]
            hn[i] = hn[c]
            i = c
        hk[i] = lk
        hn[i] = ln
    return key, node, size


@njit(cache=True, nogil=True)
def multi_source(indptr, indices, w1, w2, seed_node, seed_c1, seed_c2, seed_label, limit):
    """Multi-source Dijkstra: for every node the cheapest seed, its cost and secondary sum.

    Parameters
    ----------
    indptr, indices : int64 arrays
        CSR structure of the directed graph (row = tail node).
    w1, w2 : float64 arrays
        Primary (minimised) and secondary (summed) weight of each arc, aligned with ``indices``.
    seed_node, seed_c1, seed_c2, seed_label : arrays
        Seeds: node, initial primary and secondary cost, and the label given to nodes they reach.
    limit : float
        Nodes whose primary cost would exceed ``limit`` are left unreached (``inf``).

    Returns
    -------
    c1, c2 : float64 arrays
        Primary cost and secondary sum per node (``inf`` when unreached).
    label : int64 array
        Label of the cheapest seed per node (-1 when unreached).
    """
    n = indptr.size - 1
    c1 = np.full(n, np.inf)
    c2 = np.full(n, np.inf)
    label = np.full(n, -1, np.int64)
    done = np.zeros(n, np.bool_)
    cap = indices.size + seed_node.size + 1
    hk = np.empty(cap, np.float64)
    hn = np.empty(cap, np.int64)
    size = 0
    for s in range(seed_node.size):
        v = seed_node[s]
        k = seed_c1[s]
        if k <= limit and k < c1[v]:
            c1[v] = k
            c2[v] = seed_c2[s]
            label[v] = seed_label[s]
            size = _push(hk, hn, size, k, v)
    while size > 0:
        k, u, size = _pop(hk, hn, size)
        if done[u] or k > c1[u]:
            continue
        done[u] = True
        cu2 = c2[u]
        lu = label[u]
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            if done[v]:
                continue
            nk = k + w1[e]
            if nk < c1[v] and nk <= limit:
                c1[v] = nk
                c2[v] = cu2 + w2[e]
                label[v] = lu
                size = _push(hk, hn, size, nk, v)
    return c1, c2, label


@njit(cache=True, nogil=True)
def one_to_many(indptr, indices, w1, w2, src_ptr, src_node, src_c1, src_c2,
                tgt_ptr, tgt_dest, tgt_c1, tgt_c2, n_dest, limit):
    """One Dijkstra per origin; returns only the (origin, destination) pairs within ``limit``.

    Parameters
    ----------
    indptr, indices, w1, w2 : arrays
        The graph, as in :func:`multi_source`.
    src_ptr : int64 array, length n_origins + 1
        Seeds of origin ``o`` are ``src_node[src_ptr[o]:src_ptr[o + 1]]`` with initial costs
        ``src_c1``/``src_c2`` (an origin without seeds reaches nothing).
    tgt_ptr : int64 array, length n_nodes + 1
        Destination entries at node ``x`` are ``tgt_dest[tgt_ptr[x]:tgt_ptr[x + 1]]``; reaching
        the destination from ``x`` adds ``tgt_c1``/``tgt_c2``.
    n_dest : int
        Number of destinations.
    limit : float
        Largest primary cost kept (``inf`` for every reachable pair).

    Returns
    -------
    origin, destination : int64 arrays
        Reached pairs, sorted by origin then destination.
    c1, c2 : float64 arrays
        Primary cost and secondary sum of each pair.

    Notes
    -----
    Scratch memory is O(nodes + destinations); the output grows with the reached pairs only.
    A search stops once every node carrying a destination entry is settled, or when the heap
    holds nothing within ``limit``.
    """
    n = indptr.size - 1
    n_orig = src_ptr.size - 1
    c1 = np.full(n, np.inf)
    c2 = np.full(n, np.inf)
    done = np.zeros(n, np.bool_)
    touched = np.empty(n, np.int64)
    best1 = np.full(n_dest, np.inf)
    best2 = np.full(n_dest, np.inf)
    dtouched = np.empty(n_dest, np.int64)
    n_targets = 0
    for x in range(n):
        if tgt_ptr[x + 1] > tgt_ptr[x]:
            n_targets += 1
    cap_heap = indices.size + src_node.size + 1
    hk = np.empty(cap_heap, np.float64)
    hn = np.empty(cap_heap, np.int64)
    cap = 1024
    out_o = np.empty(cap, np.int64)
    out_d = np.empty(cap, np.int64)
    out_1 = np.empty(cap, np.float64)
    out_2 = np.empty(cap, np.float64)
    m = 0
    for o in range(n_orig):
        nt = 0
        nd = 0
        size = 0
        for s in range(src_ptr[o], src_ptr[o + 1]):
            v = src_node[s]
            k = src_c1[s]
            if k <= limit and k < c1[v]:
                if c1[v] == np.inf:
                    touched[nt] = v
                    nt += 1
                c1[v] = k
                c2[v] = src_c2[s]
                size = _push(hk, hn, size, k, v)
        settled_targets = 0
        while size > 0:
            k, u, size = _pop(hk, hn, size)
            if done[u] or k > c1[u]:
                continue
            done[u] = True
            cu2 = c2[u]
            if tgt_ptr[u + 1] > tgt_ptr[u]:
                for j in range(tgt_ptr[u], tgt_ptr[u + 1]):
                    d = tgt_dest[j]
                    val = k + tgt_c1[j]
                    if val < best1[d]:
                        if best1[d] == np.inf:
                            dtouched[nd] = d
                            nd += 1
                        best1[d] = val
                        best2[d] = cu2 + tgt_c2[j]
                settled_targets += 1
                if settled_targets == n_targets:
                    break
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if done[v]:
                    continue
                nk = k + w1[e]
                if nk < c1[v] and nk <= limit:
                    if c1[v] == np.inf:
                        touched[nt] = v
                        nt += 1
                    c1[v] = nk
                    c2[v] = cu2 + w2[e]
                    size = _push(hk, hn, size, nk, v)
        for i in range(nt):
            v = touched[i]
            c1[v] = np.inf
            c2[v] = np.inf
            done[v] = False
        if nd > 0:
            ds = np.sort(dtouched[:nd])
            if m + nd > cap:
                new_cap = max(2 * cap, m + nd)
                t_o = np.empty(new_cap, np.int64)
                t_d = np.empty(new_cap, np.int64)
                t_1 = np.empty(new_cap, np.float64)
                t_2 = np.empty(new_cap, np.float64)
                t_o[:m] = out_o[:m]
                t_d[:m] = out_d[:m]
                t_1[:m] = out_1[:m]
                t_2[:m] = out_2[:m]
                out_o, out_d, out_1, out_2 = t_o, t_d, t_1, t_2
                cap = new_cap
            for i in range(nd):
                d = ds[i]
                if best1[d] <= limit:
                    out_o[m] = o
                    out_d[m] = d
                    out_1[m] = best1[d]
                    out_2[m] = best2[d]
                    m += 1
                best1[d] = np.inf
                best2[d] = np.inf
    return out_o[:m].copy(), out_d[:m].copy(), out_1[:m].copy(), out_2[:m].copy()


def transpose_csr(indptr: np.ndarray, indices: np.ndarray, *weights: np.ndarray,
                  ) -> tuple[np.ndarray, ...]:
    """Reverse every arc of a CSR graph (rows become columns), keeping weights aligned.

    Returns ``(indptr_T, indices_T, *weights_T)``; arcs of each new row keep a stable order.
    """
    n = indptr.size - 1
    tails = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    order = np.argsort(indices, kind="stable")
    new_indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(indices, minlength=n), out=new_indptr[1:])
    return (new_indptr, tails[order].astype(np.int64), *(w[order] for w in weights))
