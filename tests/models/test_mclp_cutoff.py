"""The MCLP cut-off model (prove the incumbent or beat it) and the small MCLP path against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import sparse

from planning.models import MCLP, SolverOptions
from planning.models import _mclp_cutoff
from planning.models import mclp as mclp_module
from planning.models._mclp_cutoff import _reduce, prove_or_improve


def _random_cover(seed: int, n: int = 24, m: int = 11, density: float = 0.25) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cover = rng.random((n, m)) < density
    cover[~cover.any(axis=1), rng.integers(m)] = True
    return cover


def _best(cover: np.ndarray, w: np.ndarray, p: int) -> float:
    m = cover.shape[1]
    return max(float(w[cover[:, list(s)].any(axis=1)].sum()) for s in itertools.combinations(range(m), p))


def _value(cover: np.ndarray, w: np.ndarray, y: np.ndarray) -> float:
    return float(w[cover[:, y].any(axis=1)].sum())


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("integral", [True, False])
@pytest.mark.parametrize("continuous_min_soft", [0, 10**9])  # uncovered variables continuous / binary
def test_prove_or_improve_reaches_the_brute_force_optimum(monkeypatch: pytest.MonkeyPatch, seed: int, integral: bool,
                                                          continuous_min_soft: int) -> None:
    monkeypatch.setattr(_mclp_cutoff, "CONTINUOUS_MIN_SOFT", continuous_min_soft)
    rng = np.random.default_rng(seed)
    cover = _random_cover(seed)
    w = rng.integers(1, 30, cover.shape[0]).astype(float) if integral else rng.uniform(0.5, 30.0, cover.shape[0])
    for p in (3, 4, 5):
        best = _best(cover, w, p)
        for start in (np.arange(11) < p, np.arange(11) >= 11 - p):  # two (mostly poor) incumbents
            r = prove_or_improve(sparse.csr_array(cover), w, start, p)
            assert r.proven and r.value == pytest.approx(best) and r.bound == pytest.approx(best)
            assert int(r.y.sum()) <= p
            assert _value(cover, w, r.y) == pytest.approx(r.value)  # the reported value is the true one


def test_prove_or_improve_proves_an_optimal_incumbent_and_full_cover() -> None:
    cover = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1]], dtype=bool)
    w = np.array([5.0, 1.0, 4.0, 3.0, 2.0, 6.0])
    # p = 2: the best is {0, 3} or {1, 3} ... brute force decides; the incumbent {0, 3} leaves 4 + 3 uncovered
    best = _best(cover, w, 2)
    r = prove_or_improve(sparse.csr_array(cover), w, np.array([True, False, False, True]), 2)
    assert r.proven and r.value == best
    full = prove_or_improve(sparse.csr_array(cover), w, np.array([True, True, True, True]), 4)
    assert full.proven and full.value == w.sum() and full.reduced == (0, 0, 0)


def test_reductions_keep_hard_rows_and_open_essential_sites() -> None:
    # cut 4: row 0 (weight 9) is hard and reached by site 0 only -> site 0 opens; row 1 contains row 2's
    # set and row 2 is hard -> row 1 goes; rows 3 and 4 are identical -> merged to weight 6, hard, reached
    # by site 3 only -> site 3 opens; site 2 reaches a subset of site 1 -> dropped, so the hard row 2 has
    # site 1 only -> site 1 opens and covers row 5: nothing is left
    cover = np.array([[1, 0, 0, 0], [0, 1, 1, 1], [0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 1, 0, 0]], dtype=bool)
    w = np.array([9.0, 1.0, 5.0, 3.0, 3.0, 2.0])
    rows, wr, cols, opened = _reduce(sparse.csr_array(cover), w, 4.0, 1e-9)
    assert opened.tolist() == [True, True, False, True]
    assert rows.size == 0 and wr.size == 0
    # cut 9: nothing is hard; rows 3 and 4 merge (weight 6), site 2 is dominated by site 1, after which
    # rows 2 and 5 (site 1 only) merge too (weight 7); nothing opens
    rows, wr, cols, opened = _reduce(sparse.csr_array(cover), w, 9.0, 1e-9)
    assert not opened.any() and cols.tolist() == [0, 1, 3]
    assert sorted(wr.tolist()) == [1.0, 6.0, 7.0, 9.0]
    # the incumbent {0, 1} leaves rows 3 and 4 (6) uncovered; no two sites do better (proven)
    r = prove_or_improve(sparse.csr_array(cover), w, np.array([True, True, False, False]), 2)
    assert r.proven and r.value == _best(cover, w, 2) == 17.0


@pytest.mark.parametrize("seed", range(6))
def test_small_mclp_path_matches_brute_force_with_fixed_sites(seed: int) -> None:
    rng = np.random.default_rng(50 + seed)
    cover = _random_cover(50 + seed, n=30, m=12, density=0.22)
    w = rng.integers(1, 40, 30).astype(float)
    fixed = [int(rng.integers(12))] if seed % 2 else None
    for p in (2, 4):
        model = MCLP.from_cost_matrix(np.where(cover, 1.0, 9.0), weights=w, threshold=1.0, p=p,
                                      fixed=fixed).solve(SolverOptions())
        m = cover.shape[1]
        if fixed:
            free = [j for j in range(m) if j != fixed[0]]
            best = max(float(w[cover[:, list(s) + fixed].any(axis=1)].sum()) for s in itertools.combinations(free, p))
        else:
            best = _best(cover, w, p)
        assert model.status_ == "optimal"
        assert model.objective_ == best and model.bound_ == best
        assert hasattr(model, "_cutoff_size")  # the small path ran


def test_small_mclp_path_is_deterministic_and_equals_the_plain_milp(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    cost = rng.uniform(0, 10, (80, 30))
    w = rng.integers(1, 100, 80).astype(float)
    first = MCLP.from_cost_matrix(cost, weights=w, threshold=2.0, p=5).solve()
    second = MCLP.from_cost_matrix(cost, weights=w, threshold=2.0, p=5).solve()
    assert first.selected_.tolist() == second.selected_.tolist()
    assert first._cutoff_size[1] > 0 and first.objective_ < w.sum()  # a real cut-off model, not a full cover

    monkeypatch.setattr(mclp_module, "SMALL_MAX_COLUMNS", 0)  # the compiled tabu start, then the cut-off model
    tabu = MCLP.from_cost_matrix(cost, weights=w, threshold=2.0, p=5).solve()
    assert hasattr(tabu, "_cutoff_size")
    monkeypatch.setattr(_mclp_cutoff, "MAX_SOFT_ROWS", -1)  # the plain MILP
    plain = MCLP.from_cost_matrix(cost, weights=w, threshold=2.0, p=5).solve()
    assert not hasattr(plain, "_cutoff_size")
    assert first.objective_ == tabu.objective_ == plain.objective_
    assert first.status_ == tabu.status_ == plain.status_ == "optimal"


def test_prove_or_improve_gives_up_on_many_soft_rows() -> None:
    cover = _random_cover(4)
    w = np.random.default_rng(4).integers(1, 30, cover.shape[0]).astype(float)
    start = np.arange(11) < 3
    assert prove_or_improve(sparse.csr_array(cover), w, start, 3, max_soft=0) is None
    assert prove_or_improve(sparse.csr_array(cover), w, start, 3, max_soft=None).proven


def test_small_mclp_path_falls_back_to_the_plain_milp(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(8)
    cover = _random_cover(8, n=30, m=12, density=0.22)
    w = rng.integers(1, 40, 30).astype(float)
    monkeypatch.setattr(_mclp_cutoff, "MAX_SOFT_ROWS", 0)
    model = MCLP.from_cost_matrix(np.where(cover, 1.0, 9.0), weights=w, threshold=1.0, p=3).solve()
    assert not hasattr(model, "_cutoff_size")  # the cut-off model was not built
    assert model.status_ == "optimal" and model.objective_ == _best(cover, w, 3)


@pytest.mark.parametrize("integral", [True, False])
@pytest.mark.parametrize("continuous_min_soft", [0, 10**9])
def test_rounds_from_a_poor_start_reach_the_optimum(monkeypatch: pytest.MonkeyPatch, integral: bool,
                                                    continuous_min_soft: int) -> None:
    """Improving rounds (fewest sites), the polish, and the final least-uncovered round all run."""
    monkeypatch.setattr(_mclp_cutoff, "CONTINUOUS_MIN_SOFT", continuous_min_soft)
    calls: list[tuple[bool, str]] = []
    real = _mclp_cutoff._cutoff_milp

    def spy(*args, **kwargs):
        res = real(*args, **kwargs)
        calls.append((kwargs["least_uncovered"], res.status))
        return res

    monkeypatch.setattr(_mclp_cutoff, "_cutoff_milp", spy)
    rounds = []
    for seed in range(4):
        rng = np.random.default_rng(200 + seed)
        cover = _random_cover(200 + seed, n=28, m=12, density=0.2)
        w = rng.integers(1, 30, 28).astype(float) if integral else rng.uniform(0.5, 30.0, 28)
        for p in (3, 4):
            calls.clear()
            r = prove_or_improve(sparse.csr_array(cover), w, np.arange(12) >= 12 - p, p)
            best = _best(cover, w, p)
            assert r.proven and r.value == pytest.approx(best) and r.bound == pytest.approx(best)
            assert _value(cover, w, r.y) == pytest.approx(r.value) and int(r.y.sum()) <= p
            rounds.append(list(calls))
    improving = [c for c in rounds if sum(1 for lu, st in c if not lu and st != "infeasible") >= 1]
    assert improving  # a round found a better incumbent
    # a fewest-sites round ends at its first solution (or proves there is none)
    assert all(st in ("infeasible", "interrupted") for c in rounds for lu, st in c if not lu)
    if integral:
        assert all(lu is False for c in rounds for lu, _ in c)  # integer weights never need the last resort
        assert any(c[-1] == (False, "infeasible") for c in improving)  # proven by an infeasible round
    else:
        assert any(c[-1][0] is True for c in rounds)  # fractional weights: the least-uncovered round ran


def test_plain_milp_without_primal_heuristics_only_after_a_start(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict] = []
    real = mclp_module.solve_milp

    def spy(*args, **kwargs):
        seen.append(dict(kwargs["highs_options"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(mclp_module, "solve_milp", spy)
    monkeypatch.setattr(_mclp_cutoff, "MAX_SOFT_ROWS", -1)  # the plain MILP after the swap-search start
    rng = np.random.default_rng(9)
    cover = _random_cover(9, n=30, m=12, density=0.22)
    w = rng.integers(1, 40, 30).astype(float)
    cost = np.where(cover, 1.0, 9.0)
    started = MCLP.from_cost_matrix(cost, weights=w, threshold=1.0, p=3).solve()
    assert started.status_ == "optimal" and started.objective_ == _best(cover, w, 3)
    assert seen[-1]["mip_heuristic_run_rins"] is False and seen[-1]["mip_heuristic_effort"] == 0.0
    # a budget gives no heuristic start: HiGHS keeps its own heuristics, and the optimum is still brute force's
    budget = MCLP.from_cost_matrix(cost, weights=w, threshold=1.0, p=3, budget=3.0).solve()
    assert "mip_heuristic_run_rins" not in seen[-1]
    assert budget.status_ == "optimal" and budget.objective_ == _best(cover, w, 3)


@pytest.mark.parametrize("lighter", [-1, 10**9])
def test_chained_swap_searches_run_only_while_many_demands_are_light(monkeypatch: pytest.MonkeyPatch,
                                                                     lighter: int) -> None:
    calls: list[int] = []
    real = mclp_module.swap_search

    def spy(*args, **kwargs):
        calls.append(kwargs.get("seed", 0))
        return real(*args, **kwargs)

    monkeypatch.setattr(mclp_module, "swap_search", spy)
    monkeypatch.setattr(mclp_module, "SWAP_MORE_IF_LIGHTER", lighter)
    rng = np.random.default_rng(12)
    cover = _random_cover(12, n=30, m=12, density=0.22)
    w = rng.integers(1, 40, 30).astype(float)
    model = MCLP.from_cost_matrix(np.where(cover, 1.0, 9.0), weights=w, threshold=1.0, p=3).solve()
    assert model.status_ == "optimal" and model.objective_ == _best(cover, w, 3)
    assert model.objective_ < w.sum()  # a gap remains, so the rule decides
    assert calls == ([0, 1, 2] if lighter < 0 else [0])
