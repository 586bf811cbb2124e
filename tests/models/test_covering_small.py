"""The numpy covering heuristics and the small-model LSCP path (LP fixing + HiGHS) against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from planning.models import LSCP, SolverOptions
from planning.models import lscp as lscp_module
from planning.models._covering_small import shrink_cover, swap_search

from model_oracles import best_mclp as _best_mclp, cover_instance


def _instance(seed: int, n: int = 16, m: int = 10, radius: float = 3.5) -> tuple[np.ndarray, np.ndarray]:
    return cover_instance(seed, n, m, radius)


def _cheapest_cover(cover: np.ndarray, cost: np.ndarray, must: np.ndarray | None = None) -> float:
    """Cost of the cheapest column set covering every row (all 2^m sets enumerated)."""
    m = cover.shape[1]
    sets = ((np.arange(1 << m)[:, None] >> np.arange(m)[None, :]) & 1).astype(bool)
    if must is not None:
        sets = sets[sets[:, must].all(axis=1)]
    covers = (cover.astype(np.int32) @ sets.T.astype(np.int32) > 0).all(axis=0)
    return float((sets[covers] @ cost).min()) if covers.any() else np.inf


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("p", [2, 3])
def test_swap_search_reaches_the_brute_force_optimum(seed: int, p: int) -> None:
    cover, w = _instance(seed, n=20, m=10, radius=3.0)
    y0 = np.zeros(10, dtype=bool)
    y0[:p] = True
    best, value = swap_search(sparse.csr_array(cover), w, y0, steps=200, patience=100)
    assert int(best.sum()) == p  # the number of open sites is kept
    assert value == float(w[cover[:, best].any(axis=1)].sum())  # the reported value is the true one
    assert value == _best_mclp(cover, w, p)


def test_swap_search_never_returns_worse_and_stops_at_target() -> None:
    cover, w = _instance(3, n=20, m=10, radius=3.0)
    c = sparse.csr_array(cover)
    y0 = np.zeros(10, dtype=bool)
    y0[[1, 4]] = True
    start = float(w[cover[:, y0].any(axis=1)].sum())
    best, value = swap_search(c, w, y0, steps=0)
    assert best.tolist() == y0.tolist() and value == start
    reached, value = swap_search(c, w, y0, target=start)  # target met at the start: no search
    assert reached.tolist() == y0.tolist() and value == start
    again = swap_search(c, w, y0, steps=50, seed=5)
    assert again[1] >= start
    assert np.array_equal(again[0], swap_search(c, w, y0, steps=50, seed=5)[0])  # seeded: deterministic


@pytest.mark.parametrize("seed", range(8))
def test_shrink_cover_reaches_the_smallest_cover(seed: int) -> None:
    cover, _ = _instance(seed)
    cover = cover[cover.any(axis=1)]
    smallest = _cheapest_cover(cover, np.ones(10))
    best = shrink_cover(sparse.csr_array(cover), np.ones(10, dtype=bool))
    assert cover[:, best].any(axis=1).all()
    assert int(best.sum()) == smallest
    floored = shrink_cover(sparse.csr_array(cover), np.ones(10, dtype=bool), floor=8)
    assert int(floored.sum()) == 8 and cover[:, floored].any(axis=1).all()  # stops at the floor


def _random_cover(seed: int, n: int = 30, m: int = 14, density: float = 0.3) -> np.ndarray:
    """Random sets (few dominated rows or columns, so the reductions leave a core to solve)."""
    rng = np.random.default_rng(seed)
    cover = rng.random((n, m)) < density
    cover[~cover.any(axis=1), 0] = True
    return cover


def _solve_small(seed: int, unicost: bool) -> tuple[LSCP, float, np.ndarray]:
    cover = _random_cover(seed)
    m = cover.shape[1]
    rng = np.random.default_rng(1000 + seed)
    site_cost = np.full(m, 3.0) if unicost else rng.integers(1, 6, m).astype(float)
    fixed = [int(rng.integers(m))] if seed % 4 == 3 else None
    model = LSCP.from_cost_matrix(np.where(cover, 1.0, 9.0), threshold=1.0, site_cost=site_cost,
                                  fixed=fixed).solve(SolverOptions())
    open_cost = site_cost.copy()
    if fixed:
        open_cost[fixed[0]] = 0.0
    return model, _cheapest_cover(cover, open_cost, None if fixed is None else np.array(fixed)), cover


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("unicost", [True, False])
def test_small_lscp_path_matches_brute_force(seed: int, unicost: bool) -> None:
    """Reduced models below FAST_MIN_COLUMNS: LP bound, reduced-cost fixing, numpy shrink, HiGHS proof."""
    model, best, cover = _solve_small(seed, unicost)
    assert model.status_ == "optimal"
    assert model.objective_ == pytest.approx(best)
    assert model.bound_ == pytest.approx(best)
    sel = np.isin(np.arange(cover.shape[1]), model.selected_.astype(int))
    assert cover[:, sel].any(axis=1).all()
    if hasattr(model, "_lagrangian"):  # the LP path ran: its bound and cover bracket the optimum
        lower, upper, _, _ = model._lagrangian
        assert lower <= best + 1e-9 and best <= upper + 1e-9


def test_small_lscp_brute_force_cases_reach_the_proof_by_highs() -> None:
    """The cases above exercise the LP path with a gap HiGHS has to close (else they test nothing new)."""
    gaps = 0
    for seed in range(12):
        for unicost in (True, False):
            model, _, _ = _solve_small(seed, unicost)
            if hasattr(model, "_lagrangian"):
                lower, upper, _, _ = model._lagrangian
                gaps += int(np.ceil(lower - 1e-6) < upper)
    assert gaps >= 5


def test_small_lscp_path_runs_and_proves_with_hard_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    """An instance whose LP bound is below the optimum: the proof comes from the restricted HiGHS model."""
    calls: list[str] = []
    original = lscp_module.LSCP._lp_start

    def spy(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202 - records the path taken
        calls.append("lp")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(lscp_module.LSCP, "_lp_start", spy)
    cover = np.array(  # an odd cycle of 5 rows: the LP bound is 2.5, the optimum 3
        [[1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 1, 1], [1, 0, 0, 0, 1]], dtype=bool
    )
    model = LSCP.from_cost_matrix(np.where(cover, 1.0, 5.0), threshold=1.0).solve()
    assert calls == ["lp"]
    assert model.objective_ == 3.0 and model.bound_ == 3.0 and model.status_ == "optimal"
    lower, upper, _, _ = model._lagrangian
    assert lower == pytest.approx(2.5) and upper == 3.0


def test_small_lscp_path_is_deterministic() -> None:
    cover, _ = _instance(11, n=60, m=14, radius=2.5)
    keep = cover.any(axis=1)
    cost = np.where(cover[keep], 1.0, 9.0)
    first = LSCP.from_cost_matrix(cost, threshold=1.0).solve()
    second = LSCP.from_cost_matrix(cost, threshold=1.0).solve()
    assert first.selected_.tolist() == second.selected_.tolist()
    assert first.objective_ == second.objective_ == _cheapest_cover(cover[keep], np.ones(14))


def test_solve_milp_passes_highs_options_and_rejects_unknown_ones() -> None:
    from planning._errors import SolverError
    from planning.models._highs import solve_milp

    args = (np.array([1.0, 1.0]), sparse.csc_array(np.array([[1.0, 1.0]])), np.array([1.0]), np.array([np.inf]),
            np.zeros(2), np.ones(2), np.array([True, True]))
    assert solve_milp(*args, highs_options={"mip_pool_soft_limit": 10}).objective == 1.0
    with pytest.raises(SolverError, match="rejected the option no_such_option"):
        solve_milp(*args, highs_options={"no_such_option": 1})
