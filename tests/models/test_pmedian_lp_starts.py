"""Randomised roundings of the p-median LP (``lp_guided_starts``) and the Benders master started
from Lagrangian levels only (``core_cuts=False``), against independent references: brute force
over every site set, a plain dense MILP (scipy.optimize.milp) and the LP relaxation by
scipy.optimize.linprog."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, sparse

from planning.models import PMedian, SolverOptions
from planning.models.pmedian import _round_sites
from planning.models.pmedian_benders import benders_lp_bound
from planning.models.pmedian_lagrangian import (
    lagrangian_ascent,
    lp_guided_starts,
    neighbour_lists,
    sparse_greedy,
    sparse_interchange,
)

from model_oracles import pmedian_brute as _brute, pmedian_instance as _instance, pmedian_value as _value


def _classic_rows(cost: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, sparse.csr_array, sparse.csr_array,
                                                              sparse.csr_array]:
    """Objective and rows of the classic formulation (x_ij for every pair, then y_j): each demand
    assigned once, x_ij <= y_j, and the site count."""
    n, m = cost.shape
    k = n * m
    c = np.r_[(w[:, None] * cost).ravel(), np.zeros(m)]
    ii, jj = np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
    assign = sparse.csr_array((np.ones(k), (ii, np.arange(k))), shape=(n, k + m))
    link = sparse.csr_array(
        (np.r_[np.ones(k), -np.ones(k)], (np.r_[np.arange(k), np.arange(k)], np.r_[np.arange(k), k + jj])),
        shape=(k, k + m),
    )
    count = sparse.csr_array(np.r_[np.zeros(k), np.ones(m)].reshape(1, -1))
    return c, assign, link, count


def _dense_milp(cost: np.ndarray, w: np.ndarray, p: int) -> float:
    """Classic formulation with every pair, solved by scipy.optimize.milp."""
    c, assign, link, count = _classic_rows(cost, w)
    n, m = cost.shape
    k = n * m
    res = optimize.milp(
        c,
        constraints=[optimize.LinearConstraint(assign, 1, 1), optimize.LinearConstraint(link, -np.inf, 0),
                     optimize.LinearConstraint(count, p, p)],
        integrality=np.r_[np.zeros(k), np.ones(m)], bounds=optimize.Bounds(0, 1),
    )
    assert res.status == 0
    return float(res.fun)


def _lp_relaxation(cost: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray) -> float:
    c, assign, link, count = _classic_rows(cost, w)
    n, m = cost.shape
    k = n * m
    bounds = [(0, 1)] * k + [(float(f), 1.0) for f in fixed]
    res = optimize.linprog(c, A_ub=link, b_ub=np.zeros(k), A_eq=sparse.vstack([assign, count]),
                           b_eq=np.r_[np.ones(n), p + fixed.sum()], bounds=bounds, method="highs")
    assert res.status == 0
    return float(res.fun)


def test_lp_guided_starts_find_the_optimum_the_single_roundings_miss() -> None:
    # seed 950: greedy + interchange and the deterministic LP rounding + interchange both stop at
    # local optima above the optimum (scipy MILP); the randomised roundings reach it
    cost, w = _instance(950, 150, 40)
    p = 6
    fixed = np.zeros(40, dtype=bool)
    opt = _dense_milp(cost, w, p)
    nb = neighbour_lists(cost, w, 40)
    y0, v0 = sparse_interchange(cost, w, nb, sparse_greedy(nb, p, fixed=fixed), movable=~fixed)
    lp = benders_lp_bound(nb, p, fixed=fixed, core=y0)
    _, v_round = sparse_interchange(cost, w, nb, _round_sites(lp.y, p, fixed, fixed), movable=~fixed)
    assert min(v0, v_round) > opt * (1 + 1e-6)
    y, value, done = lp_guided_starts(cost, w, nb, lp.y, p, fixed=fixed, starts=24)
    assert done == 24
    assert value == pytest.approx(opt, rel=1e-9)
    assert y.sum() == p and value == pytest.approx(_value(cost, w, y), rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_lp_guided_starts_respect_fixed_and_closed_sites(seed: int) -> None:
    n, m, p = 30, 11, 3
    cost, w = _instance(960 + seed, n, m)
    fixed = np.zeros(m, dtype=bool)
    closed = np.zeros(m, dtype=bool)
    if seed % 2:
        fixed[seed % m] = True
    closed[[(seed + 2) % m, (seed + 5) % m]] = True
    closed &= ~fixed
    nb = neighbour_lists(cost, w, m)
    y_lp = np.random.default_rng(seed).uniform(0, 1, m)  # any fractional values guide the draws
    y, value, done = lp_guided_starts(cost, w, nb, y_lp, p, fixed=fixed, closed=closed, starts=5, seed=seed)
    assert done == 5
    assert y[fixed].all() and not y[closed].any() and y.sum() == p + fixed.sum()
    assert value == pytest.approx(_value(cost, w, y), rel=1e-12)
    # the best site set that keeps ``closed`` closed is a lower limit (brute force)
    free_cost = np.where(closed, np.inf, 0.0)
    assert value >= _brute(cost + free_cost, w, p, fixed) * (1 - 1e-12)
    # same seed, same answer
    y2, value2, _ = lp_guided_starts(cost, w, nb, y_lp, p, fixed=fixed, closed=closed, starts=5, seed=seed)
    assert np.array_equal(y, y2) and value == value2


def test_lp_guided_starts_with_too_few_positive_values() -> None:
    # an LP point with a single positive site still gives p distinct sites per draw
    cost, w = _instance(970, 25, 9)
    nb = neighbour_lists(cost, w, 9)
    y_lp = np.zeros(9)
    y_lp[4] = 1.0
    fixed = np.zeros(9, dtype=bool)
    y, value, _ = lp_guided_starts(cost, w, nb, y_lp, 3, fixed=fixed, starts=6)
    assert y.sum() == 3 and value == pytest.approx(_value(cost, w, y), rel=1e-12)
    assert value >= _brute(cost, w, 3, fixed) * (1 - 1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_benders_from_lagrangian_levels_only_is_the_lp_relaxation(seed: int) -> None:
    n, m = 45, 16
    p = 2 + seed % 3
    cost, w = _instance(980 + seed, n, m)
    fixed = np.zeros(m, dtype=bool)
    if seed % 2:
        fixed[seed] = True
    nb = neighbour_lists(cost, w, m)
    y0, v0 = sparse_interchange(cost, w, nb, sparse_greedy(nb, p, fixed=fixed), movable=~fixed)
    ascent = lagrangian_ascent(cost, w, p, nb=nb, fixed=fixed, y=y0, value=v0, iterations=5)
    ref = _lp_relaxation(cost, w, p, fixed)
    only = benders_lp_bound(nb, p, fixed=fixed, core=y0, start_levels=(ascent.multipliers,), core_cuts=False)
    both = benders_lp_bound(nb, p, fixed=fixed, core=y0, start_levels=(ascent.multipliers,))
    assert only.converged and both.converged
    assert only.bound == pytest.approx(ref, rel=1e-7) and both.bound == pytest.approx(ref, rel=1e-7)
    # without the core cuts the master starts with n rows fewer: a different cut sequence
    assert (only.cuts, only.rounds) != (both.cuts, both.rounds)


@pytest.mark.parametrize("gate", [False, True])
def test_pmedian_large_path_makes_lp_guided_starts(monkeypatch, gate: bool) -> None:
    # the instance counts as large and the ascent stops early; its LP bound (linprog) is below the
    # optimum (scipy MILP), so the roundings run; then either the radius model proves the optimum
    # or (gate: too little time left for it) the answer is the best solution with the LP bound
    from planning.models import pmedian

    monkeypatch.setattr(pmedian, "ASCENT_ITERATIONS", 3)
    monkeypatch.setattr(pmedian, "LAGRANGIAN_BB_MAX_P", 0)
    monkeypatch.setattr(pmedian, "BENDERS_MIN_ROWS", 0)
    if gate:
        monkeypatch.setattr(pmedian, "RADIUS_LARGE_MIN_S", 1e9)
    cost, w = _instance(950, 150, 40)
    opt = _dense_milp(cost, w, 6)
    lp = _lp_relaxation(cost, w, 6, np.zeros(40, dtype=bool))
    assert lp < opt * (1 - 1e-4)
    model = PMedian.from_cost_matrix(cost, weights=w, p=6).solve(SolverOptions(time_limit_s=60))
    assert model._lp_starts == pmedian.LP_STARTS
    assert model.objective_ == pytest.approx(opt, rel=1e-9)
    if gate:
        assert model.status_ == "time_limit"
        assert model.bound_ == pytest.approx(lp, rel=1e-7)
        assert not hasattr(model, "_radius_levels")
    else:
        assert model.status_ == "optimal" and model.bound_ == pytest.approx(opt, rel=1e-9)
