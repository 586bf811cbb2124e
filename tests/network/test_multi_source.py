"""The multi-source kernel (bucket queue) against networkx and scipy on seeded random graphs.

Every case checks the three outputs: the primary cost per node, the label of the seed that
gives it, and the secondary sum along the chosen path. Seeds carry initial costs, several
seeds share a node, parts of the graph are unreachable, and limits cut the search; integer
weights (with zeros) make ties common, where the label and the secondary sum must still
belong to one of the cheapest paths. The random cases run with the default buckets, with
narrow buckets in a two-bucket window (most arcs and seeds go through the overflow list) and
with one wide bucket holding everything (the search is then label-correcting throughout).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from planning.network import _kernels


def _graph(n: int, m: int, rng: np.random.Generator, *, integer: bool):
    """Random directed graph of ``n`` nodes and about ``m`` arcs, CSR with interleaved weights;
    nodes ``n - 5 ..`` get no arcs in or out (unreachable unless seeded)."""
    tails = rng.integers(0, n - 5, m)
    heads = rng.integers(0, n - 5, m)
    keep = tails != heads
    tails, heads = tails[keep], heads[keep]
    pair = np.unique(tails * n + heads)          # one arc per ordered pair (networkx DiGraph)
    tails, heads = pair // n, pair % n
    if integer:
        w1 = rng.integers(0, 4, tails.size).astype(float)
        w2 = rng.integers(1, 50, tails.size).astype(float)
    else:
        w1 = rng.uniform(0.1, 5.0, tails.size)
        w2 = rng.uniform(10.0, 500.0, tails.size)
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
    w12 = np.ascontiguousarray(np.stack([w1, w2], axis=1))
    return indptr, heads.astype(np.int32), w12, tails, heads, w1, w2


def _seeds(n: int, k: int, n_labels: int, rng: np.random.Generator, *, integer: bool):
    """``k`` seeds, some on a shared node (node 0 gets three), with initial costs."""
    node = rng.integers(0, n - 5, k)
    node[:3] = 0
    node[3] = n - 1                                # a seed on an isolated node
    c1 = rng.integers(0, 3, k).astype(float) if integer else rng.uniform(0.0, 2.0, k)
    c2 = rng.uniform(0.0, 100.0, k)
    label = rng.integers(0, n_labels, k).astype(np.int64)
    return node.astype(np.int64), c1, c2, label


def _nx_reference(n, tails, heads, w1, w2, seeds, limit):
    """Costs, labels and secondary sums from networkx: a super source reaches each seed's own
    entry node at the seed's cost, and the entry node reaches the seed's graph node at 0."""
    node, c1, c2, label = seeds
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    for t, h, a in zip(tails.tolist(), heads.tolist(), w1.tolist(), strict=True):
        G.add_edge(t, h, weight=a)
    w2_of = {(t, h): b for t, h, b in zip(tails.tolist(), heads.tolist(), w2.tolist(), strict=True)}
    src = "S"
    for s in range(node.size):
        G.add_edge(src, ("seed", s), weight=float(c1[s]))
        G.add_edge(("seed", s), int(node[s]), weight=0.0)
    dist, paths = nx.single_source_dijkstra(G, src, weight="weight")
    r1 = np.full(n, np.inf)
    r2 = np.full(n, np.inf)
    rl = np.full(n, -1)
    for v in range(n):
        if v in dist and dist[v] <= limit:
            path = paths[v]
            s = path[1][1]
            total = float(c2[s])
            for a, b in zip(path[2:-1], path[3:], strict=True):
                total += w2_of[(a, b)]
            r1[v], r2[v], rl[v] = dist[v], total, label[s]
    return r1, r2, rl


#: bucket settings of the random cases: default, narrow with overflow, one wide bucket
BUCKETS = [None, (0.05, 2), (1e6, 4)]


@pytest.mark.parametrize("buckets", BUCKETS)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("limit", [np.inf, 4.0])
def test_multi_source_equals_networkx_without_ties(seed, limit, buckets):
    """Float weights (no ties): costs, labels and secondary sums equal networkx's exactly."""
    rng = np.random.default_rng(seed)
    n = 300
    indptr, indices, w12, tails, heads, w1, w2 = _graph(n, 900, rng, integer=False)
    seeds = _seeds(n, 12, 12, rng, integer=False)
    seeds[3][:] = np.arange(12)                    # labels distinct: the path's seed is the label
    c1, c2, lab = _kernels.multi_source(indptr, indices, w12, *seeds, limit, buckets)
    r1, r2, rl = _nx_reference(n, tails, heads, w1, w2, seeds, limit)
    assert np.array_equal(c1, r1)
    assert np.array_equal(lab, rl)
    assert np.array_equal(c2, r2)
    assert lab.dtype == np.int32
    assert np.isinf(c1[n - 5:n - 1]).all() and (lab[n - 5:n - 1] == -1).all()   # isolated nodes
    assert c1[n - 1] == seeds[1][3] and lab[n - 1] == 3                         # seeded isolated node
    if np.isfinite(limit):
        assert (c1[np.isfinite(c1)] <= limit).all() and np.isinf(c1).sum() > 5


@pytest.mark.parametrize("buckets", BUCKETS)
@pytest.mark.parametrize("seed", [3, 4, 5])
@pytest.mark.parametrize("limit", [np.inf, 3.0])
def test_multi_source_ties_pick_one_cheapest_path(seed, limit, buckets):
    """Integer weights with zeros: costs equal networkx's; each node's label is a seed
    reaching it at that cost, and its secondary sum is that of a cheapest path from that seed
    (its own seed, or a predecessor of the same label and cost on an arc)."""
    rng = np.random.default_rng(seed)
    n = 400
    indptr, indices, w12, tails, heads, w1, w2 = _graph(n, 1400, rng, integer=True)
    seeds = _seeds(n, 30, 4, rng, integer=True)
    node, s1, s2, slab = seeds
    c1, c2, lab = _kernels.multi_source(indptr, indices, w12, *seeds, limit, buckets)
    r1, _, _ = _nx_reference(n, tails, heads, w1, w2, seeds, limit)
    assert np.array_equal(c1, r1)
    reached = np.isfinite(c1)
    assert np.array_equal(reached, lab >= 0)
    assert np.array_equal(reached, np.isfinite(c2))
    # label: the label's own seeds reach the node at exactly its cost
    for g in np.unique(slab):
        mine = slab == g
        rg, _, _ = _nx_reference(n, tails, heads, w1, w2, (node[mine], s1[mine], s2[mine], slab[mine]), limit)
        v = np.flatnonzero(lab == g)
        assert np.array_equal(rg[v], c1[v])
    # secondary: from the node's own seed, or from an arc of a same-label predecessor on a cheapest path
    pred_ok = np.zeros(n, bool)
    hit = (c1[tails] + w1 == c1[heads]) & (lab[tails] == lab[heads]) & (c2[tails] + w2 == c2[heads]) & reached[heads]
    pred_ok[heads[hit]] = True
    seed_ok = np.zeros(n, bool)
    own = (s1 == c1[node]) & (slab == lab[node]) & (s2 == c2[node])
    seed_ok[node[own]] = True
    assert (pred_ok | seed_ok)[reached].all()
    # deterministic
    again = _kernels.multi_source(indptr, indices, w12, *seeds, limit, buckets)
    assert all(np.array_equal(a, b) for a, b in zip((c1, c2, lab), again, strict=True))


def test_multi_source_seed_rules():
    """Seeds on one node: the cheapest wins, the first of equal ones; seeds above the limit or
    with an infinite cost are ignored; a node at exactly the limit is reached; no seeds, no reach."""
    # path 0 -> 1 -> 2 -> 3, primary 1 each, secondary 10 each
    indptr = np.array([0, 1, 2, 3, 3], np.int32)
    indices = np.array([1, 2, 3], np.int32)
    w12 = np.array([[1.0, 10.0], [1.0, 10.0], [1.0, 10.0]])
    node = np.array([0, 0, 0, 1, 3])
    s1 = np.array([0.5, 0.5, 0.25, np.inf, 9.0])
    s2 = np.array([1.0, 2.0, 3.0, 0.0, 0.0])
    lab = np.array([7, 8, 9, 5, 6])
    c1, c2, out = _kernels.multi_source(indptr, indices, w12, node, s1, s2, lab, 2.25)
    assert c1.tolist() == [0.25, 1.25, 2.25, np.inf]
    assert c2.tolist() == [3.0, 13.0, 23.0, np.inf]
    assert out.tolist() == [9, 9, 9, -1]
    c1, c2, out = _kernels.multi_source(indptr, indices, w12, node[:2], s1[:2], s2[:2], lab[:2], np.inf)
    assert out.tolist() == [7, 7, 7, 7] and c2.tolist() == [1.0, 11.0, 21.0, 31.0]
    empty = np.empty(0, np.int64)
    c1, c2, out = _kernels.multi_source(indptr, indices, w12, empty, np.empty(0), np.empty(0), empty, np.inf)
    assert np.isinf(c1).all() and np.isinf(c2).all() and (out == -1).all()


def test_multi_source_equals_scipy_on_grid():
    """A seeded perturbed grid with 200 zero-cost seeds: costs equal scipy's ``min_only`` search
    and each node's label is a seed at that cost (scipy's ``sources``, up to ties)."""
    rng = np.random.default_rng(11)
    side = 60
    n = side * side
    idx = np.arange(n).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(u.size) > 0.15
    u, v = u[keep], v[keep]
    tails = np.concatenate([u, v])
    heads = np.concatenate([v, u])
    order = np.lexsort((heads, tails))
    tails, heads = tails[order], heads[order]
    w1 = rng.uniform(0.5, 2.0, tails.size)
    w2 = rng.uniform(50.0, 200.0, tails.size)
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
    w12 = np.ascontiguousarray(np.stack([w1, w2], axis=1))
    fac = np.sort(rng.choice(n, 200, replace=False))
    c1, c2, lab = _kernels.multi_source(indptr, heads.astype(np.int32), w12, fac, np.zeros(fac.size),
                                        np.zeros(fac.size), np.arange(fac.size), np.inf)
    sp, pred, src = dijkstra(csr_array((w1, (tails, heads)), shape=(n, n)), indices=fac, min_only=True,
                          return_predecessors=True)
    assert np.array_equal(np.isinf(c1), np.isinf(sp))
    ok = np.isfinite(sp)
    assert np.max(np.abs(c1[ok] - sp[ok])) <= 1e-12 * np.max(sp[ok])
    assert np.array_equal(fac[lab[ok]], src[ok])
    # secondary: summed along scipy's predecessor arcs (paths are unique with these weights)
    arc = {(t, h): k for k, (t, h) in enumerate(zip(tails.tolist(), heads.tolist()))}
    inner = np.flatnonzero(ok & (pred >= 0))
    along = np.array([arc[(p, x)] for p, x in zip(pred[inner].tolist(), inner.tolist())])
    assert np.array_equal(c2[inner], c2[pred[inner]] + w2[along])
    assert np.array_equal(c2[fac], np.zeros(fac.size))


def test_bucket_width_and_window():
    """The width is the median positive weight; the window the fewest buckets (4 to 64, a
    power of two) holding a bucket plus the longest arc; no positive weight gives width 1."""
    assert _kernels.bucket_width(np.array([0.0, 1.0, 2.0, 3.0, np.inf])) == (2.0, 4)
    assert _kernels.bucket_width(np.array([1.0, 1.0, 10.0])) == (1.0, 16)
    assert _kernels.bucket_width(np.array([1.0, 1.0, 1000.0])) == (1.0, 64)
    assert _kernels.bucket_width(np.zeros(3)) == (1.0, 4)


def test_overflow_list_drops_stale_entries_when_full():
    """A full overflow list keeps only its current entries (node in the list, key equal to the
    node's cost), in order, then takes the new one and marks its node as in the list."""
    c1 = np.array([5.0, 7.0, 9.0, 2.0])
    inq = np.array([2, 1, 2, 2], np.uint8)        # node 1 has moved into a window bucket
    ov_node = np.array([0, 1, 2, 3, 0], np.int64)
    ov_key = np.array([6.0, 7.0, 9.0, 2.0, 5.0])  # node 0's first entry is stale (cost now 5)
    n = _kernels._overflow_add(ov_node, ov_key, 5, inq, c1, 1, 8.0)
    assert n == 4
    assert ov_node[:n].tolist() == [2, 3, 0, 1] and ov_key[:n].tolist() == [9.0, 2.0, 5.0, 8.0]
    assert inq.tolist() == [2, 2, 2, 2]
