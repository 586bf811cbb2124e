"""Branch-and-price with subset-row cuts and strong branching: each code path against brute force."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest

from planning.models import _branch_price as bp
from planning.models import _lagrangian as lr

from model_oracles import capacitated_brute as brute_single, capacitated_milp as scipy_milp


def _problem(cost, demand, capacity, p):
    c = np.where(demand[:, None] > capacity[None, :], np.inf, cost)
    return lr.Problem(C=np.ascontiguousarray(c), d=demand.astype(float), Q=capacity.astype(float), p=p,
                      fixed=np.zeros(cost.shape[1], dtype=bool), single_source=True, integral_objective=True)


def brute_price(lam, sig, cut_mem, C, allowed, forced_at, d, q, j):
    """min over point sets S of site j: Σ_{i∈S} (C_ij − λ_i) + Σ_{cuts with |S ∩ cut| ≥ 2} σ, by enumeration."""
    n = len(lam)
    forced = [i for i in range(n) if forced_at[i] == j]
    free = [i for i in range(n) if allowed[i, j] and forced_at[i] != j]
    best = math.inf
    for r in range(len(free) + 1):
        for extra in itertools.combinations(free, r):
            members = set(forced) | set(extra)
            if sum(d[i] for i in members) > q[j]:
                continue
            val = sum(C[i, j] - lam[i] for i in members)
            val += sum(s for cut, s in zip(cut_mem, sig) if len(members & set(cut.tolist())) >= 2)
            best = min(best, val)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_pricing_with_cut_penalties_matches_enumeration(seed):
    rng = np.random.default_rng(1000 + seed)
    n, m = 10, 3
    C = rng.integers(0, 30, size=(n, m)).astype(float)
    lam = rng.uniform(0, 40, size=n)
    d = rng.integers(1, 8, size=n).astype(np.int64)
    q = rng.integers(8, 25, size=m).astype(np.int64)
    allowed = rng.uniform(size=(n, m)) < 0.85
    forced_at = -np.ones(n, dtype=np.int64)
    if seed % 3 == 1:
        forced_at[int(rng.integers(n))] = int(rng.integers(m))
    for i in np.flatnonzero(forced_at >= 0):
        allowed[i, :] = False
        allowed[i, forced_at[i]] = True
    cut_mem = np.array(sorted({tuple(sorted(rng.choice(n, 3, replace=False).tolist())) for _ in range(8)}), dtype=np.int64)
    sig = rng.uniform(0, 15, size=len(cut_mem)) * (rng.uniform(size=len(cut_mem)) < 0.8)
    site_ok = np.ones(m, dtype=bool)
    v = np.empty(m)
    x = np.zeros((m, n), dtype=bool)
    every = np.ones(m, dtype=bool)
    is_exact = np.zeros(m, dtype=bool)
    bp.price_sites_cuts(lam, sig, cut_mem, C, allowed, forced_at, d, q, site_ok, every, every, v, x, is_exact)
    assert is_exact.all()
    # the cheap mode: exact where no penalty can apply, else a lower bound
    v_low = np.empty(m)
    x_low = np.zeros((m, n), dtype=bool)
    low_exact = np.zeros(m, dtype=bool)
    bp.price_sites_cuts(lam, sig, cut_mem, C, allowed, forced_at, d, q, site_ok, every, ~every, v_low, x_low,
                        low_exact)
    assert np.all(v_low <= v + 1e-9)
    assert np.allclose(v_low[low_exact], v[low_exact])
    for j in range(m):
        expected = brute_price(lam, sig, cut_mem, C, allowed, forced_at, d, q, j)
        if not math.isfinite(expected):
            assert v[j] == math.inf
            continue
        assert v[j] == pytest.approx(expected, abs=1e-9)
        # the returned set attains the value and is feasible
        members = set(np.flatnonzero(x[j]).tolist())
        assert d[list(members)].sum() <= q[j]
        assert all(allowed[i, j] for i in members)
        assert set(np.flatnonzero(forced_at == j).tolist()) <= members
        val = sum(C[i, j] - lam[i] for i in members)
        val += sum(s for cut, s in zip(cut_mem, sig) if len(members & set(cut.tolist())) >= 2)
        assert val == pytest.approx(expected, abs=1e-9)
    # a branch and bound stopped at its node limit leaves a lower bound and a feasible set
    v_cut = np.empty(m)
    x_cut = np.zeros((m, n), dtype=bool)
    cut_exact = np.zeros(m, dtype=bool)
    bp.price_sites_cuts(lam, sig, cut_mem, C, allowed, forced_at, d, q, site_ok, every, every, v_cut, x_cut,
                        cut_exact, 1)
    assert np.all(v_cut <= v + 1e-9)
    assert np.allclose(v_cut[cut_exact], v[cut_exact])
    for j in np.flatnonzero(np.isfinite(v_cut)):
        assert d[x_cut[j]].sum() <= q[j] and np.all(allowed[x_cut[j], j])
    # without penalties the cut pricing is the plain DP pricing
    v0 = np.empty(m)
    x0 = np.zeros((m, n), dtype=bool)
    bp.price_sites(lam, C, allowed, forced_at, d, q, site_ok, v0, x0)
    bp.price_sites_cuts(lam, np.zeros(len(cut_mem)), cut_mem, C, allowed, forced_at, d, q, site_ok, every, every,
                        v, x, is_exact)
    assert np.allclose(v, v0)


@pytest.mark.parametrize("seed", range(6))
def test_subset_row_separation_matches_enumeration(seed):
    # an LP point of a set-partitioning master: a convex combination of partitions into clusters
    rng = np.random.default_rng(2000 + seed)
    n = 9
    weights = rng.dirichlet(np.ones(5))
    members, z = [], []
    for w in weights:
        label = rng.integers(0, 3, size=n)
        for g in np.unique(label):
            members.append(label == g)
            z.append(w)
    members = np.array(members)
    z = np.array(z)
    assert np.allclose((members * z[:, None]).sum(axis=0), 1.0)
    expected = {}
    for a, b, c in itertools.combinations(range(n), 3):
        lhs = float(z[members[:, [a, b, c]].sum(axis=1) >= 2].sum())
        if lhs >= 1.0 + 0.05:
            expected[(a, b, c)] = lhs
    found = bp.separate_subset_rows(members, z, max_cuts=10_000, min_violation=0.05)
    assert set(found) == set(expected)
    values = [expected[t] for t in found]
    assert values == sorted(values, reverse=True)
    top = bp.separate_subset_rows(members, z, max_cuts=3, min_violation=0.05)
    assert top == found[:3]


def test_subset_row_separation_ignores_integral_columns():
    # two columns at 1 partition the points: no cut is violated
    members = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], dtype=bool)
    assert bp.separate_subset_rows(members, np.ones(2), max_cuts=10, min_violation=0.0) == []
    # three columns at 1/2 each holding two of {0, 1, 2}: 1.5 > 1
    members = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=bool)
    assert bp.separate_subset_rows(members, np.full(3, 0.5), max_cuts=10, min_violation=0.05) == [(0, 1, 2)]


def _tight_instance(seed, n, p, share=0.95):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, size=(n, 2))
    cost = np.floor(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    demand = rng.integers(1, 21, size=n).astype(float)
    capacity = np.full(n, np.ceil(demand.sum() / p / share))
    return cost, demand, capacity


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("strong", "cut_rounds"), [(1, 5), (3, 5), (3, 0)])
def test_tree_with_cuts_and_strong_branching_matches_brute_force(seed, strong, cut_rounds):
    cost, demand, capacity = _tight_instance(3000 + seed, n=7, p=2, share=0.97)
    cost = cost[:, :5]
    capacity = capacity[:5]
    expected = brute_single(cost, demand, capacity, 2)
    prob = _problem(cost, demand, capacity, 2)
    inc = lr.Incumbent()
    out = bp.branch_and_price(prob, inc, np.zeros(prob.n), deadline=time.perf_counter() + 60, prune_gap=0.0,
                              strong=strong, cut_rounds=cut_rounds)
    assert out.finished
    if math.isfinite(expected):
        assert out.ub == pytest.approx(expected) and out.lb == pytest.approx(expected)
        assert cost[np.arange(len(demand)), out.assign].sum() == pytest.approx(expected)
        load = np.bincount(out.assign, weights=demand, minlength=cost.shape[1])
        assert np.all(load <= capacity + 1e-9)
    else:
        assert out.ub == math.inf


@pytest.mark.parametrize(("seed", "p"), [(500, 3), (516, 3), (506, 4), (508, 4), (511, 4)])
def test_cuts_raise_the_root_bound_and_keep_the_optimum(seed, p):
    # tightly capacitated instances whose set-partitioning bound is below the optimum: the
    # subset-row cuts must raise it (never above the optimum) and the tree must still end at it
    cost, demand, capacity = _tight_instance(seed, n=30, p=p)
    expected = scipy_milp(cost, demand, capacity, p)
    prob = _problem(cost, demand, capacity, p)
    inc = lr.Incumbent()
    res = lr.subgradient(prob, deadline=time.perf_counter() + 5, inc=inc)
    out = bp.branch_and_price(prob, inc, res.lam, deadline=time.perf_counter() + 60, prune_gap=0.0, strong=3)
    assert out.finished
    assert out.ub == pytest.approx(expected) and out.lb == pytest.approx(expected)
    assert out.cuts > 0 and out.root_bound + 1.0 < out.cut_bound <= expected + 1e-6
    # one round of cuts, then branching with the cuts' duals in the pricing
    one = bp.branch_and_price(prob, lr.Incumbent(), res.lam, deadline=time.perf_counter() + 60, prune_gap=0.0,
                              strong=2, cut_rounds=1)
    assert one.finished and one.ub == pytest.approx(expected) and one.lb == pytest.approx(expected)
    if seed == 508:
        assert one.nodes > 1 and one.cuts > 0  # this instance exercises the cut-aware pricing in the tree


def test_tree_stays_exact_when_the_cut_pricing_hits_its_node_limit(monkeypatch):
    # with a node limit of 30 the cut-aware pricing often returns lower bounds: those nodes' LP
    # values are then not used as bounds (nor their integral LP solutions as proven), and the
    # tree must still end at the optimum
    cost, demand, capacity = _tight_instance(511, n=30, p=4)
    expected = scipy_milp(cost, demand, capacity, 4)
    prob = _problem(cost, demand, capacity, 4)
    inc = lr.Incumbent()
    res = lr.subgradient(prob, deadline=time.perf_counter() + 5, inc=inc)
    monkeypatch.setattr(bp, "BB_MAX_NODES", 30)
    out = bp.branch_and_price(prob, inc, res.lam, deadline=time.perf_counter() + 120, prune_gap=0.0, strong=1,
                              cut_rounds=1)
    assert out.finished and out.cuts > 0 and out.inexact_nodes > 0
    assert out.ub == pytest.approx(expected) and out.lb == pytest.approx(expected)
