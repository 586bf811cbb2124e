"""The compiled covering heuristics and the LSCP Lagrangian fast path against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from planning.models import LSCP, MCLP, SolverOptions
from planning.models import lscp as lscp_module
from planning.models._covering import lscp_lagrangian, mclp_tabu, unicost_descent

from model_oracles import best_mclp as _best_mclp, cover_instance


def _instance(seed: int, n: int = 14, m: int = 9, radius: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    return cover_instance(seed, n, m, radius)


def _covers(cover: np.ndarray, cost: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """Every column set covering all rows, with its cost."""
    m = cover.shape[1]
    out = []
    for mask in range(1 << m):
        y = np.array([(mask >> j) & 1 for j in range(m)], dtype=bool)
        if cover[:, y].any(axis=1).all():
            out.append((float(cost[y].sum()), y))
    return out


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("tenure", "restarts"), [(10, 1), (3, 2)])
def test_mclp_tabu_finds_the_brute_force_optimum(seed: int, tenure: int, restarts: int) -> None:
    cover, w = _instance(seed)
    p = 3
    start = np.zeros(cover.shape[1], dtype=bool)
    start[:p] = True
    best, value = mclp_tabu(sparse.csr_array(cover), w, start, steps=500, patience=200, tenure=tenure,
                            restarts=restarts, seed=seed)
    assert best.sum() == p
    assert value == float(w[cover[:, best].any(axis=1)].sum())
    assert value == _best_mclp(cover, w, p)


def test_mclp_tabu_keeps_fixed_sites_and_never_loses_weight() -> None:
    cover, w = _instance(3)
    start = np.zeros(cover.shape[1], dtype=bool)
    start[[0, 1, 2]] = True
    movable = np.ones(cover.shape[1], dtype=bool)
    movable[0] = False  # site 0 stays open
    allowed = np.ones(cover.shape[1], dtype=bool)
    allowed[8] = False  # site 8 never opens
    best, value = mclp_tabu(sparse.csr_array(cover), w, start, movable=movable, allowed=allowed, steps=300)
    assert best[0] and not best[8] and best.sum() == 3
    assert value >= float(w[cover[:, start].any(axis=1)].sum())


def test_mclp_tabu_is_deterministic() -> None:
    cover, w = _instance(5, n=40, m=15, radius=3.0)
    start = np.zeros(15, dtype=bool)
    start[:4] = True
    runs = [mclp_tabu(sparse.csr_array(cover), w, start, steps=400, seed=1) for _ in range(2)]
    assert runs[0][0].tolist() == runs[1][0].tolist() and runs[0][1] == runs[1][1]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("integral", [True, False])
def test_lscp_lagrangian_bound_cover_and_fixing(seed: int, integral: bool) -> None:
    cover, _ = _instance(seed, n=14, m=10, radius=3.5)
    cover = cover[cover.any(axis=1)]
    rng = np.random.default_rng(seed + 100)
    cost = rng.integers(1, 6, cover.shape[1]).astype(float) if integral else rng.uniform(0.5, 3.0, cover.shape[1])
    covers = _covers(cover, cost)
    optimum = min(c for c, _ in covers)
    res = lscp_lagrangian(sparse.csr_array(cover), cost, iterations=300, integral=integral)
    assert cover[:, res.cover].any(axis=1).all()
    assert res.upper == pytest.approx(float(cost[res.cover].sum()))
    assert res.lower <= optimum + 1e-9 <= res.upper + 1e-9
    # reduced-cost fixing: every strictly cheaper cover avoids `out` and contains `into`
    for c, y in covers:
        if c < res.upper - 1e-9:
            assert not y[res.out].any() and y[res.into].all()


@pytest.fixture
def fast_lscp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send even tiny full-cover LSCPs through the Lagrangian / tabu path."""
    monkeypatch.setattr(lscp_module, "FAST_MIN_COLUMNS", 0)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("unicost", [False, True])
def test_lscp_fast_path_matches_brute_force_with_options(seed: int, unicost: bool, fast_lscp: None) -> None:
    rng = np.random.default_rng(seed)
    cover, _ = _instance(seed, n=16, m=10, radius=3.5)
    keep = cover.any(axis=1)
    cost = np.where(cover[keep], 1.0, 9.0)  # covered pairs cost 1, others 9; threshold 1
    site_cost = np.full(10, 2.0) if unicost else rng.uniform(1.0, 4.0, 10)
    fixed = [0] if seed % 2 else None
    model = LSCP.from_cost_matrix(cost, threshold=1.0, site_cost=site_cost, fixed=fixed).solve()
    open_cost = site_cost.copy()
    if fixed:
        open_cost[0] = 0.0
    best = min(c for c, y in _covers(cover[keep], open_cost) if not fixed or y[0])
    assert model.status_ == "optimal"
    assert model.objective_ == pytest.approx(best)
    assert model.bound_ == pytest.approx(best)


@pytest.mark.parametrize("seed", range(4))
def test_mclp_with_tabu_start_matches_brute_force(seed: int) -> None:
    cover, w = _instance(seed, n=20, m=10, radius=3.0)
    cost = np.where(cover, 1.0, 9.0)
    for p in (2, 4):
        model = MCLP.from_cost_matrix(cost, weights=w, threshold=1.0, p=p).solve(SolverOptions())
        assert model.status_ == "optimal"
        assert model.objective_ == _best_mclp(cover, w, p)


@pytest.mark.parametrize("seed", range(6))
def test_unicost_descent_reaches_the_smallest_cover(seed: int) -> None:
    cover, _ = _instance(seed, n=16, m=10, radius=3.5)
    cover = cover[cover.any(axis=1)]
    smallest = min(int(y.sum()) for _, y in _covers(cover, np.ones(10)))
    best = unicost_descent(sparse.csr_array(cover), np.ones(10, dtype=bool), steps=300, patience=100)
    assert cover[:, best].any(axis=1).all()
    assert int(best.sum()) == smallest
    floored = unicost_descent(sparse.csr_array(cover), np.ones(10, dtype=bool), floor=9)
    assert int(floored.sum()) == 9  # stops at the given lower bound


def test_lscp_fast_path_reports_a_proof_only_when_proven(fast_lscp: None) -> None:
    rng = np.random.default_rng(7)
    cost = rng.uniform(0, 10, (60, 25))
    model = LSCP.from_cost_matrix(cost, threshold=3.0).solve(SolverOptions(time_limit_s=30))
    assert model.status_ == "optimal" and model.objective_ == model.bound_
    lower, upper, _, _ = model._lagrangian
    assert lower <= model.objective_ <= upper
