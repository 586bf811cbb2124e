"""The sparse Lagrangian p-median path (planning.models.pmedian_lagrangian) against independent
references: brute force over every site set on small seeded instances, a plain dense MILP
(scipy's HiGHS interface, not our wrapper), and the OR-Library pmed1-5 optima."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, sparse

from planning.models import PMedian, SolverOptions
from planning.models.instances import read_optima, read_pmed
from planning.models.pmedian_lagrangian import (
    lagrangian_ascent,
    list_length,
    neighbour_lists,
    sparse_greedy,
    sparse_interchange,
)

from model_oracles import pmedian_brute as _brute, pmedian_instance as _instance, pmedian_value as _value


def test_neighbour_lists_match_a_full_sort() -> None:
    cost, w = _instance(0, 30, 12)
    cost[3, 5] = np.inf
    cost[4, :] = 7.0  # all ties: the lowest indices first
    nb = neighbour_lists(cost, w, 5, chunk_rows=7)
    wc = cost * w.reshape(-1, 1)
    order = np.lexsort((np.broadcast_to(np.arange(12), wc.shape), wc), axis=1)
    assert nb.index.dtype == np.int32
    np.testing.assert_array_equal(nb.index, order[:, :5])
    np.testing.assert_array_equal(nb.wcost, np.take_along_axis(wc, order[:, :5], axis=1))
    np.testing.assert_array_equal(nb.cap, np.take_along_axis(wc, order[:, 5:6], axis=1)[:, 0])
    assert nb.index[4].tolist() == [0, 1, 2, 3, 4]
    full = neighbour_lists(cost, w, 50)
    assert full.index.shape == (30, 12) and np.isinf(full.cap).all()


def test_list_length() -> None:
    assert list_length(500, 20) == 75
    assert list_length(1000, 20) == 150
    assert list_length(30, 3) == 30
    assert list_length(400, 100) == 48


@pytest.mark.parametrize("seed", range(6))
def test_ascent_bound_and_solution_against_brute_force(seed: int) -> None:
    n, m = 14, 9
    cost, w = _instance(seed, n, m)
    p = 1 + seed % 4
    fixed = np.zeros(m, dtype=bool)
    if seed % 2:
        fixed[seed % m] = True
    opt = _brute(cost, w, p, fixed)
    for k in (2, 4, m):  # truncated lists must still give a valid bound
        nb = neighbour_lists(cost, w, k)
        y0 = sparse_greedy(nb, p, fixed=fixed)
        assert y0.sum() == p + fixed.sum() and (y0 >= fixed).all()
        y1, v1 = sparse_interchange(cost, w, nb, y0, movable=~fixed)
        assert v1 == pytest.approx(_value(cost, w, y1)) and v1 <= _value(cost, w, y0) + 1e-9
        assert y1.sum() == p + fixed.sum() and (y1 >= fixed).all()
        r = lagrangian_ascent(cost, w, p, nb=nb, fixed=fixed, y=y1, value=v1)
        assert r.bound <= opt + 1e-7 * opt
        assert r.value >= opt - 1e-7 * opt
        assert r.value == pytest.approx(_value(cost, w, r.y))
        assert r.y.sum() == p + fixed.sum() and (r.y >= fixed).all()
        # a site whose bound exceeds the optimum is in no optimal solution
        for j in np.flatnonzero(r.site_bound > opt * (1 + 1e-7)):
            assert not fixed[j]
            rest = [i for i in range(m) if i != j and not fixed[i]]
            sub = cost[:, rest + list(np.flatnonzero(fixed))]
            sub_fixed = np.r_[np.zeros(len(rest), bool), np.ones(int(fixed.sum()), bool)]
            assert _brute(sub, w, p, sub_fixed) == pytest.approx(opt)


def test_interchange_reaches_a_swap_local_optimum() -> None:
    cost, w = _instance(11, 40, 15)
    nb = neighbour_lists(cost, w, 15)
    fixed = np.zeros(15, dtype=bool)
    y, v = sparse_interchange(cost, w, nb, np.r_[np.ones(4, bool), np.zeros(11, bool)], movable=~fixed)
    for r in np.flatnonzero(y):
        for j in np.flatnonzero(~y):
            z = y.copy()
            z[r], z[j] = False, True
            assert _value(cost, w, z) >= v - 1e-9


@pytest.mark.parametrize("seed", [0, 1])
def test_pmedian_matches_a_plain_dense_milp(seed: int) -> None:
    n, m, p = 60, 25, 4
    cost, w = _instance(100 + seed, n, m)
    # x_ij (n*m) then y_j (m): sum_j x_ij = 1, x_ij <= y_j, sum_j y_j = p
    c = np.r_[(cost * w.reshape(-1, 1)).ravel(), np.zeros(m)]
    assign = sparse.hstack([sparse.kron(sparse.eye(n), np.ones((1, m))), sparse.csr_matrix((n, m))])
    link = sparse.hstack([sparse.eye(n * m), -sparse.kron(np.ones((n, 1)), sparse.eye(m))])
    count = sparse.hstack([sparse.csr_matrix((1, n * m)), np.ones((1, m))])
    cons = [optimize.LinearConstraint(assign, 1, 1), optimize.LinearConstraint(link, -np.inf, 0),
            optimize.LinearConstraint(count, p, p)]
    ref = optimize.milp(c, constraints=cons, integrality=np.r_[np.zeros(n * m), np.ones(m)],
                        bounds=optimize.Bounds(0, 1))
    assert ref.status == 0
    model = PMedian.from_cost_matrix(cost, weights=w, p=p).solve()
    assert model.status_ == "optimal"
    assert model.objective_ == pytest.approx(ref.fun, rel=1e-9)
    assert model.bound_ == pytest.approx(ref.fun, rel=1e-8)


def test_uniform_instance_is_proven_by_the_ascent() -> None:
    # the benchmark's kind of instance, small: the Lagrangian bound meets the best site set
    cost, w = _instance(7, 400, 120)
    model = PMedian.from_cost_matrix(cost, weights=w, p=8).solve(SolverOptions(time_limit_s=60))
    assert model.status_ == "optimal"
    assert model._ascent_iterations > 0
    assert model.bound_ == pytest.approx(model.objective_, rel=1e-8)
    ref = PMedian.from_cost_matrix(cost, weights=w, p=8).solve(SolverOptions(method="heuristic"))
    assert ref.objective_ >= model.objective_ - 1e-6


def test_ascent_is_deterministic() -> None:
    cost, w = _instance(3, 200, 60)
    fixed = np.zeros(60, dtype=bool)
    fixed[[5, 17]] = True
    runs = []
    for _ in range(2):
        nb = neighbour_lists(cost, w, list_length(60, 8))
        y0 = sparse_greedy(nb, 6, fixed=fixed)
        y1, v1 = sparse_interchange(cost, w, nb, y0, movable=~fixed)
        r = lagrangian_ascent(cost, w, 6, nb=nb, fixed=fixed, y=y1, value=v1)
        runs.append((r.y.tobytes(), r.value, r.bound, r.multipliers.tobytes(), r.iterations))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_ascent_bounds_bracket_pmed_optima(shared_dir, k: int) -> None:
    bench = shared_dir / "bench" / "orlib_pmed"
    cost, p = read_pmed(bench / f"pmed{k}.txt")
    opt = read_optima(bench / "pmedopt.txt")[f"pmed{k}"]
    w = np.ones(cost.shape[0])
    m = cost.shape[1]
    fixed = np.zeros(m, dtype=bool)
    nb = neighbour_lists(cost, w, list_length(m, p))
    y1, v1 = sparse_interchange(cost, w, nb, sparse_greedy(nb, p, fixed=fixed), movable=~fixed)
    r = lagrangian_ascent(cost, w, p, nb=nb, fixed=fixed, y=y1, value=v1)
    assert r.bound <= opt + 1e-9 and r.value >= opt
    assert r.bound >= 0.99 * opt  # the LP bound of pmed1-5 is within 1 %


def test_reduced_radius_model_against_brute_force(monkeypatch) -> None:
    # few ascent iterations and no Lagrangian B&B: the gap stays open, so the HiGHS radius model
    # with the reduced-cost radius per demand and the reduced site set must find the optimum
    from planning.models import pmedian

    monkeypatch.setattr(pmedian, "ASCENT_ITERATIONS", 3)
    monkeypatch.setattr(pmedian, "LAGRANGIAN_BB_MAX_P", 0)
    through_radius = 0
    for seed in range(10):
        n, m = 16, 10
        cost, w = _instance(200 + seed, n, m)
        p = 2 + seed % 3
        fixed = np.zeros(m, dtype=bool)
        if seed % 2:
            fixed[seed % m] = True
        opt = _brute(cost, w, p, fixed)
        model = PMedian.from_cost_matrix(cost, weights=w, p=p, fixed=list(np.flatnonzero(fixed))).solve()
        assert model.status_ == "optimal"
        assert model.objective_ == pytest.approx(opt, rel=1e-9)
        assert model.bound_ == pytest.approx(opt, rel=1e-8)
        through_radius += hasattr(model, "_radius_levels")  # the radius model was solved
    assert through_radius >= 5
