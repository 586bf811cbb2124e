"""The one-to-many OD kernel against networkx on seeded random graphs, and its tie rule.

The kernel reads the pairs either by one scan over the destinations (many reached) or from
the settled nodes (few reached); the cases below reach both (a tight limit with many
destinations, no limit with destinations on most nodes) and must give networkx's answer.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from planning.network import _kernels


def _csr(n: int, tails: np.ndarray, heads: np.ndarray, w1: np.ndarray, w2: np.ndarray):
    order = np.lexsort((heads, tails))
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
    w12 = np.ascontiguousarray(np.stack([w1[order], w2[order]], axis=1))
    return indptr, heads[order].astype(np.int32), w12


def _entries(n: int, dest: np.ndarray, node: np.ndarray, c1: np.ndarray, c2: np.ndarray):
    """Node-major destination entries as the engine passes them (rank = input position)."""
    order = np.argsort(node, kind="stable")
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(node, minlength=n), out=ptr[1:])
    return ptr, dest[order], c1[order], c2[order], order.astype(np.int64)


def _run(n, graph, seeds, ents, n_dest, limit, direct=None, scan_factor=None):
    indptr, indices, w12 = graph
    s_orig, s_node, s_c1, s_c2 = seeds
    n_orig = int(s_orig.max()) + 2            # the last origin has no seed
    order = np.argsort(s_orig, kind="stable")
    src_ptr = np.zeros(n_orig + 1, np.int64)
    np.cumsum(np.bincount(s_orig, minlength=n_orig), out=src_ptr[1:])
    ptr, t_dest, t_c1, t_c2, rank = _entries(n, *ents)
    counts, rd, r1, r2, m = _kernels.one_to_many(indptr, indices, w12, src_ptr, s_node[order], s_c1[order],
                                                 s_c2[order], ptr, t_dest, t_c1, t_c2, rank, n_dest, limit,
                                                 direct=None if direct is None else _direct(n_orig, *direct),
                                                 scan_factor=scan_factor)
    origin = np.repeat(np.arange(n_orig), counts)
    return {(int(o), int(d)): (a, b) for o, d, a, b in zip(origin, rd[:m], r1[:m], r2[:m], strict=True)}, n_orig


def _direct(n_orig, o, d, c1, c2):
    """Direct trips by origin, destinations ascending (as the engine passes them)."""
    order = np.lexsort((d, o))
    ptr = np.zeros(n_orig + 1, np.int64)
    np.cumsum(np.bincount(o, minlength=n_orig), out=ptr[1:])
    return ptr, d[order], c1[order], c2[order]


def _expected(n, tails, heads, w1, w2, seeds, ents, n_orig, limit):
    """networkx Dijkstra from a super source per origin; the secondary summed along its path."""
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for t, h, a, b in zip(tails, heads, w1, w2, strict=True):
        if not g.has_edge(t, h) or a < g[t][h]["w1"]:
            g.add_edge(int(t), int(h), w1=float(a), w2=float(b))
    s_orig, s_node, s_c1, s_c2 = seeds
    dest, node, c1, c2 = ents
    out = {}
    for o in range(n_orig):
        h = g.copy()
        for s in np.flatnonzero(s_orig == o):     # two seeds on one node: the cheaper
            x = int(s_node[s])
            if not h.has_edge("src", x) or s_c1[s] < h["src"][x]["w1"]:
                h.add_edge("src", x, w1=float(s_c1[s]), w2=float(s_c2[s]))
        if "src" not in h:
            continue
        dist, paths = nx.single_source_dijkstra(h, "src", weight="w1")
        best = {}
        for r in range(dest.size):          # entries in rank order: the first cheapest wins
            x = int(node[r])
            if x not in dist:
                continue
            val = dist[x] + c1[r]
            if val <= limit and (dest[r] not in best or val < best[dest[r]][0]):
                p = paths[x]
                sec = sum(h[a][b]["w2"] for a, b in zip(p[:-1], p[1:], strict=True))
                best[dest[r]] = (val, sec + c2[r])
        for d, v in best.items():
            out[(o, int(d))] = v
    return out


@pytest.mark.parametrize(("seed", "n_origins"), [(0, 12), (1, 12), (2, 12), (3, 90)])
@pytest.mark.parametrize("limit", [np.inf, 6.0, 2.5])
@pytest.mark.parametrize("scan_factor", [None, 0, 10**9])
def test_one_to_many_matches_networkx(seed: int, n_origins: int, limit: float, scan_factor: int | None) -> None:
    """90 origins give more pairs than the first output buffers hold (1,024): the kernel stops
    at an origin whose pairs may not fit and resumes there with larger buffers. ``scan_factor``
    0 reads every origin's pairs from its settled nodes (sweep or sort), 10**9 by the
    destination scan, None chooses per origin."""
    rng = np.random.default_rng(seed)
    n = 80
    tails = rng.integers(0, n - 5, 260)            # the last 5 nodes have no outgoing arc
    heads = rng.integers(0, n, 260)
    keep = tails != heads
    tails, heads = tails[keep], heads[keep]
    w1 = rng.uniform(0.2, 3.0, tails.size)
    w2 = rng.uniform(10.0, 500.0, tails.size)
    n_dest = 120 if limit < 3 else 40               # many destinations and few reached: node path
    d_node = rng.integers(0, n, n_dest + 30)
    d_dest = np.concatenate([np.arange(n_dest), rng.integers(0, n_dest, 30)])   # some with 2 entries
    d_c1 = np.round(rng.uniform(0.0, 1.0, d_dest.size), 1)
    d_c1[::7] = 0.0
    d_c2 = rng.uniform(0.0, 50.0, d_dest.size)
    s_orig = np.concatenate([np.arange(n_origins), rng.integers(0, n_origins, 5)])
    s_node = rng.integers(0, n, s_orig.size)
    s_c1 = rng.uniform(0.0, 0.5, s_orig.size)
    s_c2 = rng.uniform(0.0, 20.0, s_orig.size)
    seeds = (s_orig, s_node, s_c1, s_c2)
    ents = (d_dest, d_node, d_c1, d_c2)
    # direct trips (same segment): distinct (origin, destination), some cheaper than the graph
    key = rng.choice(n_origins * n_dest, 40, replace=False)
    direct = (key // n_dest, key % n_dest, rng.uniform(0.0, 4.0, 40), rng.uniform(0.0, 100.0, 40))
    got, n_orig = _run(n, _csr(n, tails, heads, w1, w2), seeds, ents, n_dest, limit, direct, scan_factor)
    exp = _expected(n, tails, heads, w1, w2, seeds, ents, n_orig, limit)
    for o, d, a, b in zip(*direct, strict=True):
        if a <= limit and ((o, d) not in exp or a < exp[(o, d)][0]):
            exp[(int(o), int(d))] = (a, b)
    assert exp                                   # the case reaches something
    assert set(got) == set(exp)
    for key, (a, b) in exp.items():
        assert got[key][0] == pytest.approx(a, rel=0, abs=1e-12)
        assert got[key][1] == pytest.approx(b, rel=1e-12)
    if limit == np.inf:
        assert len(got) < n_orig * n_dest        # unreachable pairs are omitted
        if n_origins > 12:
            assert len(got) > 1024               # the resumed path ran


@pytest.mark.parametrize("n_extra", [0, 50])
def test_tie_between_entries_goes_to_the_lower_rank(n_extra: int) -> None:
    """Destination 0 is 2.0 away through node 1 (1.0 + entry 1.0) and through node 2 (1.5 + entry
    0.5); the entry given first wins, whichever node is settled first. With 50 unreachable
    destinations the pairs are read from the settled nodes, without them by the scan."""
    n = 4
    tails, heads = np.array([0, 0, 2]), np.array([1, 2, 3])
    graph = _csr(n, tails, heads, np.array([1.0, 1.5, 1.0]), np.array([100.0, 10.0, 5.0]))
    seeds = (np.array([0]), np.array([0]), np.array([0.0]), np.array([0.0]))
    extra_dest = np.arange(1, 1 + n_extra)
    for first, expected_c2 in (("node2", 10.0 + 7.0), ("node1", 100.0 + 3.0)):
        nodes = [2, 1] if first == "node2" else [1, 2]
        c1 = [0.5, 1.0] if first == "node2" else [1.0, 0.5]
        c2 = [7.0, 3.0] if first == "node2" else [3.0, 7.0]
        ents = (np.concatenate([[0, 0], extra_dest]), np.concatenate([nodes, np.full(n_extra, 3)]).astype(np.int64),
                np.concatenate([c1, np.full(n_extra, 99.0)]), np.concatenate([c2, np.zeros(n_extra)]))
        got, _ = _run(n, graph, seeds, ents, 1 + n_extra, 10.0)
        assert got[(0, 0)] == (2.0, expected_c2)
        assert set(got) == {(0, 0)}
