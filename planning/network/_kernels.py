"""Shortest-path kernels (numba): multi-source Dijkstra and one-to-many with a cutoff.

The kernels work on a directed graph in CSR form (``indptr``, ``indices``) with two weights
per arc: the primary weight ``w1`` that is minimised (minutes or metres) and a secondary weight
``w2`` that is summed along the chosen path (metres or minutes), so one pass gives both the
travel time and the road distance of the same route. Sources enter the graph with an initial
cost (a point snapped onto an edge reaches the edge's end nodes at a fraction of the edge time,
plus its walked access leg), which plain ``scipy.sparse.csgraph.dijkstra`` cannot express.

The multi-source search keeps its nodes in buckets of cost swept in node order (see
:func:`multi_source`); the one-to-many searches use a lazy 4-ary heap (a node is pushed again
on every improvement and stale entries are skipped when popped; no decrease-key, no slot
array). Ties are broken by sweep or heap order, which depends only on the inputs, so results
are deterministic.
Unreached nodes keep ``inf`` (primary and secondary) and label ``-1``; callers turn these into
NaN before anything leaves the engine.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["bucket_width", "multi_source", "one_to_many", "transpose_csr", "best_per_group",
           "nearest_pick", "profile_shares", "profile_share", "profile_fraction", "entry_legs"]


#: De Bruijn sequence and table: the index of the single set bit ``b`` of a uint64 is
#: ``_DEBRUIJN_BIT[(b * _DEBRUIJN) >> 58]`` (multiplication modulo 2**64).
_DEBRUIJN = np.uint64(0x03F79D71B4CA8B09)
_DEBRUIJN_BIT = np.zeros(64, np.int64)
_DEBRUIJN_BIT[[((1 << i) * 0x03F79D71B4CA8B09 % 2**64) >> 58 for i in range(64)]] = np.arange(64)


@njit(cache=True, nogil=True, inline="always")
def _push_lazy(hk, hn, size, key, node):
    """Add ``(key, node)`` to the 4-ary min-heap of keys ``hk`` and nodes ``hn`` holding ``size``
    entries (no slot array: a node may be in the heap several times)."""
    i = size
    while i > 0:
        p = (i - 1) >> 2
        if hk[p] <= key:
            break
        hk[i] = hk[p]
        hn[i] = hn[p]
        i = p
    hk[i] = key
    hn[i] = node


@njit(cache=True, nogil=True, inline="always")
def _pop_lazy(hk, hn, size):
    """Remove and return the minimum of the heap of :func:`_push_lazy`: (key, node, new size)."""
    key = hk[0]
    node = hn[0]
    size -= 1
    if size > 0:
        lk = hk[size]
        ln = hn[size]
        i = 0
        while True:
            c = 4 * i + 1
            if c >= size:
                break
            best = c
            bk = hk[c]
            end = min(c + 4, size)
            for j in range(c + 1, end):
                if hk[j] < bk:
                    bk = hk[j]
                    best = j
            if bk >= lk:
                break
            hk[i] = bk
            hn[i] = hn[best]
            i = best
        hk[i] = lk
        hn[i] = ln
    return key, node, size


def bucket_width(w1: np.ndarray) -> tuple[float, int]:
    """Bucket width and window size of :func:`multi_source` for the primary weights ``w1``.

    The width is the median positive arc weight (1.0 when there is none), so a bucket holds
    about one arc's worth of cost and few nodes are swept twice; the window has the fewest
    buckets (a power of two, 4 to 64) that holds a bucket plus the longest arc, longer arcs
    going through the overflow list.
    """
    pos = w1[np.isfinite(w1) & (w1 > 0)]
    width = float(np.median(pos)) if pos.size else 1.0
    span = float(pos.max()) / width + 2.0 if pos.size else 2.0
    n_buckets = 4
    while n_buckets < span and n_buckets < 64:
        n_buckets *= 2
    return width, n_buckets


def multi_source(indptr: np.ndarray, indices: np.ndarray, w12: np.ndarray, seed_node: np.ndarray,
                 seed_c1: np.ndarray, seed_c2: np.ndarray, seed_label: np.ndarray, limit: float,
                 buckets: tuple[float, int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multi-source Dijkstra: for every node the cheapest seed, its cost and secondary sum.

    Parameters
    ----------
    indptr, indices : int32 (or int64) arrays
        CSR structure of the directed graph (row = tail node); see ``ModeGraph.csr32``.
    w12 : float64 array, shape (arcs, 2)
        Primary (minimised, ``>= 0``) and secondary (summed) weight of each arc, aligned with
        ``indices`` and interleaved so that one memory read gives both
        (``ModeGraph.weights12``).
    seed_node, seed_c1, seed_c2, seed_label : arrays
        Seeds: node, initial primary and secondary cost, and the label given to nodes they reach.
    limit : float
        Nodes whose primary cost would exceed ``limit`` are left unreached (``inf``).
    buckets : (float, int), optional
        Bucket width (``> 0``) and window size (a power of two, at least 2):
        :func:`bucket_width` of the primary weights when not given (``ModeGraph.buckets``
        caches it). Only the speed depends on it.

    Returns
    -------
    c1, c2 : float64 arrays
        Primary cost and secondary sum per node (``inf`` when unreached).
    label : int32 array
        Label of the cheapest seed per node (-1 when unreached).

    Notes
    -----
    A bucket queue over node bit sets rather than a heap: nodes are kept in buckets of
    primary cost (``width`` wide, a window of ``n_buckets`` buckets reused in a circle, costs
    beyond the window in an overflow list), and a bucket is emptied by sweeping its bit set
    in node order, which reads the graph and the costs in memory order; a node improved
    within the bucket being swept is swept again (label-correcting within a bucket), so the
    costs are exactly Dijkstra's. On road graphs this takes about half the time of the lazy
    4-ary heap it replaced (and of scipy's ``dijkstra(min_only=True)``): whole pre-snapped
    nearest calls went from 0.95-1.16x the bare scipy call to 0.50-0.86x on the Comoros and
    synthetic graphs of ``python -m benchmarks engine`` (``git show d7e8de6^:benchmarks/RESULTS.md``
    against ``git show d7e8de6:benchmarks/RESULTS.md``).
    A node's costs and label are those of the first seed or arc that gives it its final
    primary cost (improvements are strict): of several seeds on one node at the same cost,
    the first; of arcs reaching it at the same cost, the first swept. All of it depends on
    the inputs only, so results are deterministic.
    """
    if buckets is None:
        buckets = bucket_width(w12[:, 0])
    width, n_buckets = buckets
    return _multi_source_run(indptr, indices, w12, seed_node, seed_c1, seed_c2, seed_label, limit, width,
                             n_buckets)


@njit(cache=True, nogil=True, inline="always")
def _bucket_add(bits, count, lo, hi, inq, v, b, mask):
    """Put node ``v`` into window bucket ``b`` (absolute index)."""
    slot = b & mask
    word = v >> 6
    bits[slot, word] |= np.uint64(1) << np.uint64(v & 63)
    count[slot] += 1
    if word < lo[slot]:
        lo[slot] = word
    if word > hi[slot]:
        hi[slot] = word
    inq[v] = 1


@njit(cache=True, nogil=True, inline="always")
def _overflow_add(ov_node, ov_key, ov_n, inq, c1, v, k):
    """Append ``(v, k)`` to the overflow list and mark ``v`` as in it; a full list is first
    cleared of stale entries (it has room for one entry per node, so that always makes room).
    Returns the new length."""
    if ov_n == ov_node.size:
        keep = 0
        for i in range(ov_n):
            x = ov_node[i]
            if inq[x] == 2 and ov_key[i] == c1[x]:
                ov_node[keep] = x
                ov_key[keep] = ov_key[i]
                keep += 1
        ov_n = keep
    ov_node[ov_n] = v
    ov_key[ov_n] = k
    inq[v] = 2
    return ov_n + 1


@njit(cache=True, nogil=True)
def _multi_source_run(indptr, indices, w12, seed_node, seed_c1, seed_c2, seed_label, limit, width, n_buckets):
    """The search of :func:`multi_source`."""
    n = indptr.size - 1
    n_words = (n + 63) >> 6
    c1 = np.full(n, np.inf)
    c2 = np.full(n, np.inf)
    label = np.full(n, -1, np.int32)
    inq = np.zeros(n, np.uint8)                    # 1: in a window bucket, 2: in the overflow list
    mask = n_buckets - 1
    half = n_buckets // 2
    bits = np.zeros((n_buckets, n_words), np.uint64)
    count = np.zeros(n_buckets, np.int64)
    lo = np.full(n_buckets, n_words, np.int64)     # words of each bucket's bit set that may be set
    hi = np.full(n_buckets, -1, np.int64)
    ov_node = np.empty(n + 1, np.int64)              # one valid entry per node at most
    ov_key = np.empty(ov_node.size)
    ov_n = 0
    ov_min = np.iinfo(np.int64).max
    seeded = np.empty(seed_node.size, np.int64)
    n_seeded = 0
    k_min = np.inf
    for s in range(seed_node.size):
        v = seed_node[s]
        k = seed_c1[s]
        if k <= limit and k < c1[v]:
            if c1[v] == np.inf:
                seeded[n_seeded] = v
                n_seeded += 1
            c1[v] = k
            c2[v] = seed_c2[s]
            label[v] = seed_label[s]
            k_min = min(k_min, k)
    if n_seeded == 0:
        return c1, c2, label
    cb = int(k_min / width)                        # the bucket being swept (absolute index)
    total = 0                                      # nodes in the window
    for i in range(n_seeded):
        v = seeded[i]
        b = int(c1[v] / width)
        if b < cb + n_buckets:
            _bucket_add(bits, count, lo, hi, inq, v, b, mask)
            total += 1
        else:
            ov_n = _overflow_add(ov_node, ov_key, ov_n, inq, c1, v, c1[v])
            ov_min = min(ov_min, b)
    while True:
        if ov_n > 0 and (total == 0 or ov_min < cb + half):
            # bring the overflow entries now inside the window in (stale ones are dropped)
            if total == 0:
                cb = max(cb, ov_min)
            keep = 0
            ov_min = np.iinfo(np.int64).max
            for i in range(ov_n):
                v = ov_node[i]
                k = ov_key[i]
                if inq[v] != 2 or k != c1[v]:
                    continue
                b = int(k / width)
                if b < cb + n_buckets:
                    _bucket_add(bits, count, lo, hi, inq, v, b, mask)
                    total += 1
                else:
                    ov_node[keep] = v
                    ov_key[keep] = k
                    keep += 1
                    ov_min = min(ov_min, b)
            ov_n = keep
            continue
        if total == 0:
            break
        slot = cb & mask
        while count[slot] > 0:
            w_lo = lo[slot]
            w_hi = hi[slot]
            lo[slot] = n_words
            hi[slot] = -1
            for word in range(w_lo, w_hi + 1):
                x = bits[slot, word]
                while x != 0:
                    low = x & (np.uint64(0) - x)
                    u = (word << 6) + _DEBRUIJN_BIT[(low * _DEBRUIJN) >> np.uint64(58)]
                    bits[slot, word] = x ^ low
                    count[slot] -= 1
                    total -= 1
                    inq[u] = 0
                    k = c1[u]
                    cu2 = c2[u]
                    lu = label[u]
                    for e in range(indptr[u], indptr[u + 1]):
                        v = indices[e]
                        nk = k + w12[e, 0]
                        if nk < c1[v] and nk <= limit:
                            if inq[v] == 1:            # leaves its bucket for a cheaper one
                                old = int(c1[v] / width) & mask
                                bits[old, v >> 6] &= ~(np.uint64(1) << np.uint64(v & 63))
                                count[old] -= 1
                                total -= 1
                            c1[v] = nk
                            c2[v] = cu2 + w12[e, 1]
                            label[v] = lu
                            b = int(nk / width)
                            if b < cb + n_buckets:
                                _bucket_add(bits, count, lo, hi, inq, v, b, mask)
                                total += 1
                            else:
                                ov_n = _overflow_add(ov_node, ov_key, ov_n, inq, c1, v, nk)
                                ov_min = min(ov_min, b)
                    x = bits[slot, word]           # the sweep may have set or cleared bits of this word
        cb += 1
    return c1, c2, label


@njit(cache=True, nogil=True)
def _by_destination(tgt_ptr, tgt_dest, tgt_c1, tgt_c2, tgt_rank, n_dest):
    """Destination-major copy of node-major destination entries.

    Returns ``(dptr, e_node, e_c12)``: the entries of destination ``d`` are
    ``dptr[d]:dptr[d + 1]``, by ascending rank; ``e_node`` is each entry's node and ``e_c12``
    its primary and secondary cost side by side.
    """
    n_ent = tgt_dest.size
    dptr = np.zeros(n_dest + 1, np.int64)
    for j in range(n_ent):
        dptr[tgt_dest[j] + 1] += 1
    for d in range(n_dest):
        dptr[d + 1] += dptr[d]
    by_rank = np.empty(n_ent, np.int64)
    for j in range(n_ent):
        by_rank[tgt_rank[j]] = j
    entry_node = np.empty(n_ent, np.int32)
    for x in range(tgt_ptr.size - 1):
        for j in range(tgt_ptr[x], tgt_ptr[x + 1]):
            entry_node[j] = x
    fill = dptr[:-1].copy()
    e_node = np.empty(n_ent, np.int32)
    e_c12 = np.empty((n_ent, 2))
    for r in range(n_ent):
        j = by_rank[r]
        q = fill[tgt_dest[j]]
        fill[tgt_dest[j]] += 1
        e_node[q] = entry_node[j]
        e_c12[q, 0] = tgt_c1[j]
        e_c12[q, 1] = tgt_c2[j]
    return dptr, e_node, e_c12


def one_to_many(indptr: np.ndarray, indices: np.ndarray, w12: np.ndarray, src_ptr: np.ndarray,
                src_node: np.ndarray, src_c1: np.ndarray, src_c2: np.ndarray, tgt_ptr: np.ndarray,
                tgt_dest: np.ndarray, tgt_c1: np.ndarray, tgt_c2: np.ndarray, tgt_rank: np.ndarray, n_dest: int,
                limit: float, direct: tuple[np.ndarray, ...] | None = None, *, scan_factor: int | None = None,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """One Dijkstra per origin; returns only the (origin, destination) pairs within ``limit``.

    Parameters
    ----------
    indptr, indices, w12 : arrays
        The graph, as in :func:`multi_source` (interleaved primary and secondary weights).
    src_ptr : int64 array, length n_origins + 1
        Seeds of origin ``o`` are ``src_node[src_ptr[o]:src_ptr[o + 1]]`` with initial costs
        ``src_c1``/``src_c2`` (an origin without seeds reaches nothing).
    tgt_ptr, tgt_dest, tgt_c1, tgt_c2 : arrays
        Destination entries by node (``tgt_ptr`` has length n_nodes + 1): reaching destination
        ``tgt_dest[j]`` from the node adds ``tgt_c1[j]``/``tgt_c2[j]``.
    tgt_rank : int64 array
        Rank of each entry, a permutation of ``0..entries-1``: of two entries giving a
        destination the same primary cost, the lower rank wins (so ties do not depend on the
        order nodes are settled in).
    n_dest : int
        Number of destinations.
    limit : float
        Largest primary cost kept (``inf`` for every reachable pair).
    direct : tuple of arrays, optional
        ``(dir_ptr, dir_dest, dir_c1, dir_c2)``: trips that bypass the graph (along a segment
        shared by an origin and a destination), origin by origin (``dir_ptr`` has length
        n_origins + 1), each origin's destinations ascending and distinct. A direct trip
        within ``limit`` replaces the graph pair when strictly cheaper, or adds the pair.
    scan_factor : int, optional
        Read the pairs by the destination scan when ``scan_factor`` times the reached entries
        cover all entries, else from the settled nodes (see Notes). Default: 16 on graphs
        whose node costs fit a core's cache (up to 32,768 nodes), else 4. Only the speed
        depends on it.

    Returns
    -------
    counts : int64 array
        Number of pairs of each origin (pairs are stored origin by origin).
    destination : int32 array
        Destination of each pair, ascending within an origin.
    c1, c2 : float64 arrays
        Primary cost and secondary sum of each pair.
    m : int
        Number of pairs: only the first ``m`` entries of the three arrays are valid (the
        buffers are returned without a final copy).

    Notes
    -----
    Scratch memory is O(nodes + arcs + destinations) (the lazy heap holds up to one entry per
    seed and arc); the output grows with the reached pairs only.
    The search only records the settled nodes that carry destination entries (a settled
    node's costs are final) and stops once every such node is settled, or when nothing
    within ``limit`` is left. The pairs are then read from the final node costs: when the
    reached entries are many, destination by destination in ascending order (their entries
    in rank order, so the output needs no sort), over every destination when half the entries
    or more are reached, else over the reached ones only (a bit set of the settled nodes'
    destinations); when few, entry by entry from the recorded nodes into per-destination
    bests, listed by a sweep over the destinations (or sorted when very few). All give the
    cheapest entry of each destination, the lowest rank among equal costs.

    The output buffers are numpy arrays allocated here (large ones get transparent huge
    pages, which makes writing a few hundred MiB of pairs about twice as fast as into
    buffers allocated inside numba); when an origin's pairs may not fit, the kernel stops
    before writing them and is resumed at that origin with larger buffers.
    """
    n = indptr.size - 1
    n_orig = src_ptr.size - 1
    dptr, e_node, e_c12 = _by_destination(tgt_ptr, tgt_dest, tgt_c1, tgt_c2, tgt_rank, n_dest)
    heap_cap = indices.size + src_node.size    # lazy heap: one entry per seed and improving arc at most
    scratch = (np.full((n, 2), np.inf),        # per node: primary, secondary side by side
               np.empty(n, np.int32),          # touched nodes
               np.empty(n, np.int32),          # settled nodes carrying destination entries
               np.full(n_dest, np.inf), np.full(n_dest, np.inf), np.empty(n_dest, np.int64),
               np.empty(n_dest, np.int32),     # best primary, secondary, rank; reached dests
               np.empty(heap_cap, np.float64), np.empty(heap_cap, np.int32),    # heap keys, nodes
               np.zeros((n_dest + 63) // 64, np.uint64))        # reached destinations (bit set)
    if scan_factor is None:
        # the destination scan reads every entry's node cost, reached or not: worth it when
        # the reached entries are 1/16 of all while the node costs stay in a core's cache,
        # 1/4 when they do not (reading an unreached node's cost is then a cache miss)
        scan_factor = 16 if n <= _SCAN_CACHED_NODES else 4
    if direct is None:
        direct = (np.zeros(n_orig + 1, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0))
    counts = np.zeros(n_orig, np.int64)
    # every pair fits when they are few (up to 2**20: 20 MiB of buffers), else the first 16
    # origins' worth (pages untouched until written); one run, no stop and resume, on small graphs
    cap = n_orig * n_dest if n_orig * n_dest <= 1 << 20 else max(1024, 16 * n_dest)
    out_d = np.empty(cap, np.int32)
    out_1 = np.empty(cap, np.float64)
    out_2 = np.empty(cap, np.float64)
    o, m, more = 0, 0, 0
    while True:
        o, m, more = _one_to_many_run(indptr, indices, w12, src_ptr, src_node, src_c1, src_c2, tgt_ptr, tgt_dest,
                                      tgt_c1, tgt_c2, tgt_rank, dptr, e_node, e_c12, n_dest, limit, *direct,
                                      *scratch, counts, out_d, out_1, out_2, o, m, scan_factor)
        if o == n_orig:
            return counts, out_d, out_1, out_2, m
        cap = _new_cap(cap, m, more, o, n_orig)
        grown = (np.empty(cap, np.int32), np.empty(cap, np.float64), np.empty(cap, np.float64))
        for new_buf, old_buf in zip(grown, (out_d, out_1, out_2), strict=True):
            new_buf[:m] = old_buf[:m]
        out_d, out_1, out_2 = grown


@njit(cache=True, nogil=True)
def _one_to_many_run(indptr, indices, w12, src_ptr, src_node, src_c1, src_c2, tgt_ptr, tgt_dest, tgt_c1, tgt_c2,
                     tgt_rank, dptr, e_node, e_c12, n_dest, limit, dir_ptr, dir_dest, dir_c1, dir_c2, cost, touched, settled, best1, best2, brank, dtouched,
                     hk, hn, hit, counts, out_d, out_1, out_2, o_start, m, scan_factor):
    """Searches of :func:`one_to_many` from origin ``o_start`` on, pairs written from ``m`` on.

    Returns ``(o, m, more)``: ``o == n_origins`` when done; otherwise origin ``o`` may have
    up to ``more`` pairs that do not fit the buffers (nothing of it is written, the scratch
    arrays are clean again) and the run is to be resumed at ``o`` with larger buffers.
    """
    n = indptr.size - 1
    n_orig = src_ptr.size - 1
    cap = out_d.size
    n_targets = 0
    for x in range(n):
        if tgt_ptr[x + 1] > tgt_ptr[x]:
            n_targets += 1
    n_entries = dptr[n_dest]
    for o in range(o_start, n_orig):
        m0 = m
        nt = 0
        size = 0
        for s in range(src_ptr[o], src_ptr[o + 1]):
            v = src_node[s]
            k = src_c1[s]
            if k <= limit and k < cost[v, 0]:
                if cost[v, 0] == np.inf:
                    touched[nt] = v
                    nt += 1
                cost[v, 0] = k
                cost[v, 1] = src_c2[s]
                _push_lazy(hk, hn, size, k, v)
                size += 1
        ns = 0          # settled nodes with entries
        ne = 0          # their entries
        while size > 0:
            k, u, size = _pop_lazy(hk, hn, size)
            if k > cost[u, 0]:                 # stale: the node was improved after this push
                continue
            t1 = tgt_ptr[u + 1]
            if t1 > tgt_ptr[u]:
                settled[ns] = u
                ns += 1
                ne += t1 - tgt_ptr[u]
                if ns == n_targets:
                    break
            cu2 = cost[u, 1]
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nk = k + w12[e, 0]
                if nk < cost[v, 0] and nk <= limit:
                    if cost[v, 0] == np.inf:
                        touched[nt] = v
                        nt += 1
                    cost[v, 0] = nk
                    cost[v, 1] = cu2 + w12[e, 1]
                    _push_lazy(hk, hn, size, nk, v)
                    size += 1
        q0 = dir_ptr[o]
        q1 = dir_ptr[o + 1]
        more = min(ne + q1 - q0, n_dest)      # at most this many pairs
        if m + more > cap:            # clean up, come back with larger buffers
            for i in range(nt):
                v = touched[i]
                cost[v, 0] = np.inf
                cost[v, 1] = np.inf
            return o, m, more
        # every node with a finite cost and entries is settled here (the search stopped
        # with all of them settled, or ran dry), so its costs are final
        if scan_factor * ne >= n_entries and 2 * ne >= n_entries:
            # most entries reached: every destination's entries in turn
            qd = q0
            for d in range(n_dest):
                b1 = np.inf
                b2 = np.inf
                for q in range(dptr[d], dptr[d + 1]):
                    x = e_node[q]
                    c = cost[x, 0]
                    if c < np.inf:
                        val = c + e_c12[q, 0]
                        if val < b1 and val <= limit:
                            b1 = val
                            b2 = cost[x, 1] + e_c12[q, 1]
                if qd < q1 and dir_dest[qd] == d:
                    if dir_c1[qd] < b1 and dir_c1[qd] <= limit:
                        b1 = dir_c1[qd]
                        b2 = dir_c2[qd]
                    qd += 1
                if b1 < np.inf:
                    out_d[m] = d
                    out_1[m] = b1
                    out_2[m] = b2
                    m += 1
        elif scan_factor * ne >= n_entries:
            # the destinations of the settled nodes' entries and of the direct trips are set in
            # a bit set, read word by word in ascending order (lowest set bit by a de Bruijn
            # multiply), so unreached destinations cost nothing, not even a mispredicted branch
            one = np.uint64(1)
            for i in range(ns):
                u = settled[i]
                for j in range(tgt_ptr[u], tgt_ptr[u + 1]):
                    d = tgt_dest[j]
                    hit[d >> 6] |= one << np.uint64(d & 63)
            for q in range(q0, q1):
                d = dir_dest[q]
                hit[d >> 6] |= one << np.uint64(d & 63)
            qd = q0
            for wi in range(hit.size):
                w = hit[wi]
                if w == 0:
                    continue
                hit[wi] = 0
                while w != 0:
                    low = w & (np.uint64(0) - w)
                    d = wi * 64 + _DEBRUIJN_BIT[(low * _DEBRUIJN) >> np.uint64(58)]
                    w ^= low
                    b1 = np.inf
                    b2 = np.inf
                    for q in range(dptr[d], dptr[d + 1]):
                        x = e_node[q]
                        c = cost[x, 0]
                        if c < np.inf:
                            val = c + e_c12[q, 0]
                            if val < b1 and val <= limit:
                                b1 = val
                                b2 = cost[x, 1] + e_c12[q, 1]
                    if qd < q1 and dir_dest[qd] == d:
                        if dir_c1[qd] < b1 and dir_c1[qd] <= limit:
                            b1 = dir_c1[qd]
                            b2 = dir_c2[qd]
                        qd += 1
                    if b1 < np.inf:
                        out_d[m] = d
                        out_1[m] = b1
                        out_2[m] = b2
                        m += 1
        else:
            nd = 0
            for i in range(ns):
                u = settled[i]
                k = cost[u, 0]
                cu2 = cost[u, 1]
                for j in range(tgt_ptr[u], tgt_ptr[u + 1]):
                    val = k + tgt_c1[j]
                    d = tgt_dest[j]
                    b = best1[d]
                    if val <= b and val <= limit and (val < b or tgt_rank[j] < brank[d]):
                        if b == np.inf:
                            dtouched[nd] = d
                            nd += 1
                        best1[d] = val
                        best2[d] = cu2 + tgt_c2[j]
                        brank[d] = tgt_rank[j]
            for q in range(q0, q1):
                d = dir_dest[q]
                if dir_c1[q] < best1[d] and dir_c1[q] <= limit:
                    if best1[d] == np.inf:
                        dtouched[nd] = d
                        nd += 1
                    best1[d] = dir_c1[q]
                    best2[d] = dir_c2[q]
            if 16 * nd >= n_dest:         # listed by a sweep over the destinations
                for d in range(n_dest):
                    if best1[d] < np.inf:
                        out_d[m] = d
                        out_1[m] = best1[d]
                        out_2[m] = best2[d]
                        m += 1
                        best1[d] = np.inf
                        best2[d] = np.inf
            else:                         # few: sorted
                ds = np.sort(dtouched[:nd])
                for i in range(nd):
                    d = ds[i]
                    out_d[m] = d
                    out_1[m] = best1[d]
                    out_2[m] = best2[d]
                    m += 1
                    best1[d] = np.inf
                    best2[d] = np.inf
        for i in range(nt):
            v = touched[i]
            cost[v, 0] = np.inf
            cost[v, 1] = np.inf
        counts[o] = m - m0
    return n_orig, m, 0


#: Largest graph whose node costs (16 bytes per node: 512 KiB) count as cached for the choice
#: of the OD read-out (see :func:`_one_to_many_run`).
_SCAN_CACHED_NODES = 32_768


def _new_cap(cap: int, m: int, more: int, o: int, n_orig: int) -> int:
    """Output capacity: 1.5× growth, or (after 16 origins) the pairs projected from the
    average so far plus 5 %, whichever is larger; always room for ``more`` pairs now."""
    new = max(cap + cap // 2, m + more)
    if o >= 16:
        new = max(new, int(m / o * n_orig * 1.05) + more)
    return new


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


@njit(cache=True, nogil=True)
def best_per_group(group, label, c1, c2, n_groups, limit):
    """Cheapest candidate per group: ``(label, c1, c2)`` arrays of length ``n_groups``.

    Candidates with a negative label or ``c1`` above ``limit`` are ignored; ties keep the
    first candidate. Groups without a candidate get label -1 and NaN costs.
    """
    best_l = np.full(n_groups, -1, np.int64)
    best_1 = np.full(n_groups, np.inf)
    best_2 = np.full(n_groups, np.nan)
    for i in range(group.size):
        g = group[i]
        v = c1[i]
        if label[i] >= 0 and v <= limit and v < best_1[g]:
            best_1[g] = v
            best_2[g] = c2[i]
            best_l[g] = label[i]
    for g in range(n_groups):
        if best_l[g] < 0:
            best_1[g] = np.nan
    return best_l, best_1, best_2


@njit(cache=True, nogil=True, inline="always")
def _part1(base, fraction, weight):
    """``base + fraction · weight``; a zero fraction costs nothing even on a closed direction."""
    if fraction == 0.0:
        return base
    return base + fraction * weight


@njit(cache=True, nogil=True, inline="always")
def _direct_trip(o, d, s, o_frac, o_sf, o_sb, o_acc1, o_acc2, o_x, o_y, d_frac, d_sf, d_sb, d_acc1, d_acc2, d_x, d_y,
                 fw1, fw2, bw1, bw2, time_primary):
    """Primary and secondary cost of the trip from origin ``o`` to destination ``d`` along their
    common segment ``s`` (arguments as for :func:`nearest_pick`): access leg, the stretch of the
    segment between them in its direction of travel, egress leg; 0 for two points at the very
    same coordinates; the primary cost is infinite against a one-way segment."""
    if o_x[o] == d_x[d] and o_y[o] == d_y[d]:
        return 0.0, 0.0
    delta = d_frac[d] - o_frac[o]
    a1 = o_acc1[o] + d_acc1[d]
    a2 = o_acc2[o] + d_acc2[d]
    if delta >= 0:
        t = d_sf[d] - o_sf[o]
        if time_primary:
            return _part1(a1, t, fw1[s]), _part1(a2, delta, fw2[s])
        return _part1(a1, delta, fw1[s]), _part1(a2, t, fw2[s])
    t = o_sb[o] - d_sb[d]
    if time_primary:
        return _part1(a1, t, bw1[s]), _part1(a2, -delta, bw2[s])
    return _part1(a1, -delta, bw1[s]), _part1(a2, t, bw2[s])


@njit(cache=True, nogil=True)
def direct_trips(o_seg, o_frac, o_sf, o_sb, o_acc1, o_acc2, o_x, o_y,
                 d_sorted, d_seg_sorted, d_frac, d_sf, d_sb, d_acc1, d_acc2, d_x, d_y,
                 fw1, fw2, bw1, bw2, time_primary):
    """Trips between origins and destinations snapped onto the same segment, for the OD search.

    Parameters are those of :func:`nearest_pick` (one entry per origin in the ``o_`` arrays).

    Returns
    -------
    dir_ptr : int64 array
        Per origin plus one: its trips are ``dir_ptr[o]:dir_ptr[o + 1]`` of the arrays below.
    dest : int64 array
        Destination of each trip, ascending within an origin.
    c1, c2 : float64 arrays
        Primary and secondary cost (:func:`_direct_trip`); trips against a one-way segment
        (infinite primary cost) are left out.
    """
    n_o = o_seg.size
    nd = d_sorted.size
    lo = np.zeros(n_o, np.int64)
    hi = np.zeros(n_o, np.int64)
    total = 0
    for o in range(n_o):
        if o_seg[o] >= 0 and nd > 0:
            lo[o] = np.searchsorted(d_seg_sorted, o_seg[o], side="left")
            hi[o] = np.searchsorted(d_seg_sorted, o_seg[o], side="right")
            total += hi[o] - lo[o]
    dir_ptr = np.zeros(n_o + 1, np.int64)
    dest = np.empty(total, np.int64)
    c1 = np.empty(total)
    c2 = np.empty(total)
    m = 0
    for o in range(n_o):
        for j in range(lo[o], hi[o]):
            d = d_sorted[j]
            v1, v2 = _direct_trip(o, d, o_seg[o], o_frac, o_sf, o_sb, o_acc1, o_acc2, o_x, o_y, d_frac, d_sf, d_sb,
                                  d_acc1, d_acc2, d_x, d_y, fw1, fw2, bw1, bw2, time_primary)
            if np.isfinite(v1):
                dest[m] = d
                c1[m] = v1
                c2[m] = v2
                m += 1
        dir_ptr[o + 1] = m
    return dir_ptr, dest[:m], c1[:m], c2[:m]


@njit(cache=True, nogil=True)
def nearest_pick(n_orig, seg_u, seg_v, offset, c1, c2, label,
                 o_seg, o_frac, o_sf, o_sb, o_acc1, o_acc2, o_x, o_y,
                 d_sorted, d_seg_sorted, seg_has_dest, d_frac, d_sf, d_sb, d_acc1, d_acc2, d_x, d_y,
                 fw1, fw2, bw1, bw2, time_primary, limit):
    """Nearest destination of each origin from a multi-source search towards the destinations.

    Parameters
    ----------
    n_orig : int
        Number of origins.
    seg_u, seg_v : int64 arrays
        End nodes of each segment.
    offset : int
        Added to the node indices (layer of the mode graph).
    c1, c2, label : arrays
        Result of :func:`multi_source` from the destinations on the reversed graph.
    o_seg, o_frac, o_sf, o_sb, o_acc1, o_acc2, o_x, o_y : arrays
        Per origin: snapped segment (-1 when not snapped), fraction of length along it, shares
        of the segment's forward and backward time between its start and the point (see
        ``SegmentTable.time_shares``; the fraction without a DEM), access leg (primary,
        secondary) and coordinates.
    d_sorted, d_seg_sorted : arrays
        Snapped destinations ordered by segment (stable) and their segments.
    seg_has_dest : bool array
        Per segment, whether a destination is snapped onto it (skips the search for the
        origins on other segments).
    d_frac, d_sf, d_sb, d_acc1, d_acc2, d_x, d_y : arrays
        Per destination, as for the origins (egress leg).
    fw1, fw2, bw1, bw2 : arrays
        Per segment: primary and secondary weight along (fw) and against (bw) it (NaN closed).
    time_primary : bool
        Whether the primary weight is time (the secondary is then length), else the reverse.
    limit : float
        Largest primary cost.

    Returns
    -------
    best_d : int64 array
        Nearest destination per origin (-1 when none within ``limit``).
    best_1, best_2 : float64 arrays
        Its primary and secondary cost (NaN when none).

    Notes
    -----
    Candidates of an origin are, in this order, its entry legs (as :func:`entry_legs` with
    ``leaving``, computed here rather than stored: first through the segment's end node, then its
    start node) and the direct trips along its own segment to destinations
    on it (ascending destination); the first strictly cheapest wins, so results are
    deterministic. Two points at the very same coordinates are 0 apart.
    """
    best_d = np.full(n_orig, -1, np.int64)
    best_1 = np.full(n_orig, np.inf)
    best_2 = np.full(n_orig, np.nan)
    for o in range(n_orig):
        s = o_seg[o]
        if s < 0:
            continue
        f = o_frac[o]
        for end in range(2):
            if end == 0:        # forward to the segment's end node
                node = seg_v[s] + offset
                r1 = 1.0 - (o_sf[o] if time_primary else f)
                r2 = 1.0 - (f if time_primary else o_sf[o])
                w1 = fw1[s]
                w2 = fw2[s]
            else:               # backward to its start node
                node = seg_u[s] + offset
                r1 = o_sb[o] if time_primary else f
                r2 = f if time_primary else o_sb[o]
                w1 = bw1[s]
                w2 = bw2[s]
            lab = label[node]
            if lab < 0:
                continue
            leg1 = _part1(o_acc1[o], r1, w1)
            if not np.isfinite(leg1):
                continue
            v = c1[node] + leg1
            if v <= limit and v < best_1[o]:
                best_1[o] = v
                best_2[o] = c2[node] + _part1(o_acc2[o], r2, w2)
                best_d[o] = lab
    nd = d_sorted.size
    if nd > 0:
        for o in range(n_orig):
            s = o_seg[o]
            if s < 0 or not seg_has_dest[s]:
                continue
            j = np.searchsorted(d_seg_sorted, s)
            while j < nd and d_seg_sorted[j] == s:
                d = d_sorted[j]
                j += 1
                v1, v2 = _direct_trip(o, d, s, o_frac, o_sf, o_sb, o_acc1, o_acc2, o_x, o_y, d_frac, d_sf, d_sb, d_acc1,
                                      d_acc2, d_x, d_y, fw1, fw2, bw1, bw2, time_primary)
                if np.isfinite(v1) and v1 <= limit and v1 < best_1[o]:
                    best_1[o] = v1
                    best_2[o] = v2
                    best_d[o] = d
    for o in range(n_orig):
        if best_d[o] < 0:
            best_1[o] = np.nan
    return best_d, best_1, best_2


@njit(cache=True, nogil=True)
def profile_shares(ptr, weight):
    """Cumulative share of each segment's total at the end of each of its pieces.

    Parameters
    ----------
    ptr : int64 array
        Pieces of segment ``s`` are ``ptr[s]:ptr[s + 1]``, in order along it.
    weight : float64 array
        Non-negative weight of each piece (length, time).

    Returns
    -------
    float64 array
        ``sum(weight[ptr[s]:k + 1]) / sum(weight[ptr[s]:ptr[s + 1]])`` for piece ``k``; the last
        piece of a segment is exactly 1. A segment of total 0 gets its pieces' rank shares.
    """
    out = np.empty(weight.size)
    for s in range(ptr.size - 1):
        a = ptr[s]
        b = ptr[s + 1]
        total = 0.0
        for k in range(a, b):
            total += weight[k]
        acc = 0.0
        for k in range(a, b):
            acc += weight[k]
            if total > 0.0:
                out[k] = acc / total
            else:
                out[k] = (k - a + 1.0) / (b - a)
        if b > a:
            out[b - 1] = 1.0
    return out


@njit(cache=True, nogil=True)
def profile_share(ptr, pos, share, seg, frac):
    """Share of a segment's total (time) between its start and a fraction of its length.

    Parameters
    ----------
    ptr : int64 array
        Pieces of segment ``s`` are ``ptr[s]:ptr[s + 1]``.
    pos, share : float64 arrays
        Per piece: its end as a fraction of the segment's length, and the share of the total
        accumulated at that end (both 1 at the last piece). Within a piece the share grows
        linearly with length (a piece has one slope, hence one speed).
    seg : int64 array
        Segment of each query (-1: none, the result is NaN).
    frac : float64 array
        Fraction of the segment's length of each query.

    Returns
    -------
    float64 array
        The share; exactly 0 at fraction 0 and 1 at fraction 1; the fraction itself for a
        segment without pieces.
    """
    n = seg.size
    out = np.full(n, np.nan)
    for i in range(n):
        s = seg[i]
        if s < 0:
            continue
        f = frac[i]
        a = ptr[s]
        b = ptr[s + 1]
        if f <= 0.0:
            out[i] = 0.0
        elif f >= 1.0:
            out[i] = 1.0
        elif b == a:
            out[i] = f
        else:
            lo = a
            hi = b - 1
            while lo < hi:            # first piece whose end is at or after f
                mid = (lo + hi) >> 1
                if pos[mid] < f:
                    lo = mid + 1
                else:
                    hi = mid
            p0 = 0.0
            s0 = 0.0
            if lo > a:
                p0 = pos[lo - 1]
                s0 = share[lo - 1]
            span = pos[lo] - p0
            if span > 0.0:
                out[i] = s0 + (share[lo] - s0) * ((f - p0) / span)
            else:
                out[i] = share[lo]
    return out


@njit(cache=True, nogil=True)
def profile_fraction(ptr, pos, share, seg, target):
    """Inverse of :func:`profile_share`: the fraction of length where a share is reached.

    Parameters
    ----------
    ptr, pos, share : arrays
        As for :func:`profile_share`.
    seg : int64 array
        Segment of each query.
    target : float64 array
        Share of each query; values at or below 0 (at or above 1) give 0 (1).

    Returns
    -------
    float64 array
        Smallest fraction whose share is ``target``.
    """
    n = seg.size
    out = np.empty(n)
    for i in range(n):
        s = seg[i]
        t = target[i]
        a = ptr[s]
        b = ptr[s + 1]
        if t <= 0.0:
            out[i] = 0.0
        elif t >= 1.0:
            out[i] = 1.0
        elif b == a:
            out[i] = t
        else:
            lo = a
            hi = b - 1
            while lo < hi:            # first piece whose end share is at or after t
                mid = (lo + hi) >> 1
                if share[mid] < t:
                    lo = mid + 1
                else:
                    hi = mid
            p0 = 0.0
            s0 = 0.0
            if lo > a:
                p0 = pos[lo - 1]
                s0 = share[lo - 1]
            span = share[lo] - s0
            if span > 0.0:
                out[i] = p0 + (pos[lo] - p0) * ((t - s0) / span)
            else:
                out[i] = p0
    return out


@njit(cache=True, nogil=True)
def entry_legs(point_seg, a1, a2, f1f, f1b, f2f, f2b, seg_u, seg_v, fw1, fw2, bw1, bw2, offset, leaving):
    """Graph entry (``leaving``) or exit legs of snapped points, in one pass.

    Parameters
    ----------
    point_seg : int64 array
        Segment of each point (-1: not snapped, no legs).
    a1, a2 : float64 arrays
        Off-network leg of each point (primary, secondary cost).
    f1f, f1b, f2f, f2b : float64 arrays
        Per point, the share of the segment's forward / backward primary (``f1*``) and
        secondary (``f2*``) weight between the segment's start and the point.
    seg_u, seg_v : int64 arrays
        End nodes of each segment.
    fw1, fw2, bw1, bw2 : float64 arrays
        Per segment: primary and secondary weight along and against it (NaN when closed).
    offset : int
        Added to the node indices (layer of the mode graph).
    leaving : bool
        Legs from the point to the nodes (else from the nodes to the point).

    Returns
    -------
    point, node : int64 arrays
    c1, c2 : float64 arrays
        First every point's leg through its segment's end node ``v``, then through its start
        node ``u``; legs with a non-finite primary cost (a closed direction) are left out. A
        zero share costs nothing even on a closed direction (the point is at that node).
    """
    n = point_seg.size
    out_p = np.empty(2 * n, np.int64)
    out_n = np.empty(2 * n, np.int64)
    out_1 = np.empty(2 * n)
    out_2 = np.empty(2 * n)
    m = 0
    for end in range(2):
        for i in range(n):
            s = point_seg[i]
            if s < 0:
                continue
            if end == 0:
                node = seg_v[s]
                if leaving:
                    r1 = 1.0 - f1f[i]
                    r2 = 1.0 - f2f[i]
                    w1 = fw1[s]
                    w2 = fw2[s]
                else:
                    r1 = 1.0 - f1b[i]
                    r2 = 1.0 - f2b[i]
                    w1 = bw1[s]
                    w2 = bw2[s]
            else:
                node = seg_u[s]
                if leaving:
                    r1 = f1b[i]
                    r2 = f2b[i]
                    w1 = bw1[s]
                    w2 = bw2[s]
                else:
                    r1 = f1f[i]
                    r2 = f2f[i]
                    w1 = fw1[s]
                    w2 = fw2[s]
            c1 = _part1(a1[i], r1, w1)
            if not np.isfinite(c1):
                continue
            out_p[m] = i
            out_n[m] = node + offset
            out_1[m] = c1
            out_2[m] = _part1(a2[i], r2, w2)
            m += 1
    return out_p[:m].copy(), out_n[:m].copy(), out_1[:m].copy(), out_2[:m].copy()
