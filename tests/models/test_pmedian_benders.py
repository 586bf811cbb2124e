"""The Benders LP bound of the p-median (planning.models.pmedian_benders) and the PMedian path that
uses it, against independent references: the LP relaxation of the classic formulation solved by
scipy's linprog (not our HiGHS wrapper), brute force over every site set, hand-computed cuts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import optimize, sparse

from planning.models import PMedian, SolverOptions
from planning.models.pmedian_benders import benders_lp_bound, separate
from planning.models.pmedian_lagrangian import neighbour_lists, sparse_greedy

from model_oracles import pmedian_brute as _brute, pmedian_instance as _instance


def _lp_relaxation(cost: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray, closed: np.ndarray) -> float:
    """LP of min sum w c x, sum_j x_ij = 1, x_ij <= y_j, sum_j y_j = p + |fixed| (infinite cost = no pair)."""
    n, m = cost.shape
    ii, jj = np.nonzero(np.isfinite(cost))
    k = ii.size
    c = np.r_[w[ii] * cost[ii, jj], np.zeros(m)]
    assign = sparse.csr_array((np.ones(k), (ii, np.arange(k))), shape=(n, k + m))
    link = sparse.csr_array(
        (np.r_[np.ones(k), -np.ones(k)], (np.r_[np.arange(k), np.arange(k)], np.r_[np.arange(k), k + jj])),
        shape=(k, k + m),
    )
    count = sparse.csr_array(np.r_[np.zeros(k), np.ones(m)].reshape(1, -1))
    a_eq = sparse.vstack([assign, count])
    b_eq = np.r_[np.ones(n), p + fixed.sum()]
    y_lo = fixed.astype(float)
    y_hi = np.where(closed & ~fixed, 0.0, 1.0)
    bounds = [(0, 1)] * k + list(zip(y_lo, y_hi))
    res = optimize.linprog(c, A_ub=link, b_ub=np.zeros(k), A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert res.status == 0
    return float(res.fun)


@pytest.mark.parametrize("seed", range(6))
def test_benders_bound_is_the_lp_relaxation(seed: int) -> None:
    n, m = 40, 15
    cost, w = _instance(seed, n, m)
    p = 2 + seed % 4
    fixed = np.zeros(m, dtype=bool)
    closed = np.zeros(m, dtype=bool)
    if seed % 2:
        fixed[seed % m] = True
    if seed % 3 == 0:
        closed[[(seed + 3) % m, (seed + 7) % m]] = True
    # short neighbour lists on some seeds: the first unlisted cost caps the levels
    nb = neighbour_lists(cost, w, m if seed < 3 else 6)
    core = sparse_greedy(nb, p, fixed=fixed)
    core[closed & ~fixed] = False
    r = benders_lp_bound(nb, p, fixed=fixed, core=core, closed=closed)
    ref = _lp_relaxation(cost, w, p, fixed, closed)
    assert r.bound <= ref + 1e-7 * ref  # always a valid bound
    if seed < 3:
        assert r.converged  # full lists: the LP relaxation itself
    if r.converged:
        assert r.bound == pytest.approx(ref, rel=1e-7)
    assert abs(r.y.sum() - (p + fixed.sum())) < 1e-6
    assert np.all(r.y[closed & ~fixed] < 1e-9) and np.all(r.y[fixed] > 1 - 1e-9)


def test_benders_bound_with_forbidden_pairs() -> None:
    cost, w = _instance(11, 30, 12)
    cost[cost > 55] = np.inf  # e.g. beyond max_cost
    fixed = np.zeros(12, dtype=bool)
    nb = neighbour_lists(cost, w, 12)
    r = benders_lp_bound(nb, 3, fixed=fixed, core=sparse_greedy(nb, 3, fixed=fixed))
    ref = _lp_relaxation(cost, w, 3, fixed, np.zeros(12, dtype=bool))
    # forbidden pairs get a finite "big" level: the bound stays valid, here it is the LP itself
    assert r.bound <= ref + 1e-6 * ref
    assert r.bound == pytest.approx(ref, rel=1e-7)


def test_separate_by_hand() -> None:
    # demand weights 1 and 2; costs sorted 1 < 2 < 4 and 3 < 5 < 6 (weighted 6 < 10 < 12)
    cost = np.array([[1.0, 2.0, 4.0], [5.0, 3.0, 6.0]])
    nb = neighbour_lists(cost, np.array([1.0, 2.0]), 3)
    y = np.array([0.25, 0.5, 0.25])
    levels, values = separate(nb, y, np.array([100.0, 100.0]))
    # demand 0: 0.25 + 0.5 < 1 at cost 2, reaches 1 at cost 4: 4 - 3*0.25 - 2*0.5 = 2.25
    # demand 1: 0.5 at 6, + 0.25 at 10, + 0.25 at 12 = 1: 12 - 6*0.5 - 2*0.25 = 8.5
    assert levels.tolist() == [4.0, 12.0]
    assert values.tolist() == [2.25, 8.5]


def test_cuts_are_exact_at_integer_site_sets() -> None:
    cost, w = _instance(5, 25, 9)
    nb = neighbour_lists(cost, w, 9)
    for combo in itertools.combinations(range(9), 3):
        y = np.zeros(9)
        y[list(combo)] = 1.0
        _, values = separate(nb, y, np.full(25, 1e9))
        assert values == pytest.approx(w * cost[:, list(combo)].min(axis=1), rel=1e-12)


def test_benders_is_deterministic() -> None:
    cost, w = _instance(3, 60, 20)
    fixed = np.zeros(20, dtype=bool)
    runs = []
    for _ in range(2):
        nb = neighbour_lists(cost, w, 20)
        r = benders_lp_bound(nb, 4, fixed=fixed, core=sparse_greedy(nb, 4, fixed=fixed))
        runs.append((r.bound, r.y.tobytes(), r.multipliers.tobytes(), r.rounds, r.cuts))
    assert runs[0] == runs[1]


def _forced(monkeypatch) -> None:
    from planning.models import pmedian

    monkeypatch.setattr(pmedian, "ASCENT_ITERATIONS", 3)
    monkeypatch.setattr(pmedian, "LAGRANGIAN_BB_MAX_P", 0)
    monkeypatch.setattr(pmedian, "BENDERS_MIN_ROWS", 0)


def test_pmedian_through_benders_against_brute_force(monkeypatch) -> None:
    # the gap stays open after 3 ascent iterations and every instance counts as large: the Benders
    # LP bound, its rounded solution and the radius model started at its levels must be exact
    _forced(monkeypatch)
    through = 0
    for seed in range(8):
        n, m = 18, 10
        cost, w = _instance(300 + seed, n, m)
        p = 2 + seed % 3
        fixed = np.zeros(m, dtype=bool)
        if seed % 2:
            fixed[seed % m] = True
        opt = _brute(cost, w, p, fixed)
        model = PMedian.from_cost_matrix(cost, weights=w, p=p, fixed=list(np.flatnonzero(fixed))).solve()
        assert model.status_ == "optimal"
        assert model.objective_ == pytest.approx(opt, rel=1e-9)
        assert model.bound_ == pytest.approx(opt, rel=1e-8)
        through += hasattr(model, "_benders_rounds")
    assert through >= 4


def test_pmedian_time_limited_after_benders_reports_a_valid_bound(monkeypatch) -> None:
    # no time left for the radius model: the answer is the best solution and the LP bound
    from planning.models import pmedian

    _forced(monkeypatch)
    monkeypatch.setattr(pmedian, "RADIUS_MIN_S", 1e9)
    seen = 0
    for seed in range(6):
        cost, w = _instance(400 + seed, 30, 12)
        opt = _brute(cost, w, 3, np.zeros(12, dtype=bool))
        lp = _lp_relaxation(cost, w, 3, np.zeros(12, dtype=bool), np.zeros(12, dtype=bool))
        model = PMedian.from_cost_matrix(cost, weights=w, p=3).solve(SolverOptions(time_limit_s=60))
        assert model.objective_ >= opt - 1e-9 * opt
        assert model.bound_ <= opt + 1e-9 * opt
        if hasattr(model, "_benders_rounds"):
            seen += 1
            assert model.bound_ >= lp - 1e-7 * lp  # at least the LP bound
            if model.status_ == "time_limit":
                assert model.bound_ < model.objective_
            else:
                assert model.status_ == "optimal" and model.objective_ == pytest.approx(opt, rel=1e-9)
    assert seen >= 3


@pytest.mark.parametrize("seed", range(4))
def test_ascent_restarted_at_the_lp_multipliers_keeps_the_lp_bound(seed: int) -> None:
    from planning.models.pmedian_lagrangian import lagrangian_ascent, sparse_interchange

    n, m, p = 40, 14, 3
    cost, w = _instance(500 + seed, n, m)
    fixed = np.zeros(m, dtype=bool)
    nb = neighbour_lists(cost, w, m)
    y0, v0 = sparse_interchange(cost, w, nb, sparse_greedy(nb, p, fixed=fixed), movable=~fixed)
    lp = benders_lp_bound(nb, p, fixed=fixed, core=y0)
    ref_lp = _lp_relaxation(cost, w, p, fixed, np.zeros(m, dtype=bool))
    opt = _brute(cost, w, p, fixed)
    r = lagrangian_ascent(cost, w, p, nb=nb, fixed=fixed, y=y0, value=v0, start=lp.multipliers, step=0.05)
    # the dual-weighted cut levels are optimal Lagrangian multipliers: the bound is the LP's
    assert r.bound >= ref_lp - 1e-7 * ref_lp
    assert r.bound <= opt + 1e-9 * opt
    assert r.value >= opt - 1e-9 * opt and r.value <= v0
    assert r.value == pytest.approx(float(w @ cost[:, r.y].min(axis=1)), rel=1e-12)
