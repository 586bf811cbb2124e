"""Solver threads and seed: above one thread, HiGHS searches the branch-and-bound tree in parallel,
deterministically; the random seed is fixed, and another one changes the search, not the optimum."""

from __future__ import annotations

import re

import highspy
import numpy as np
from scipy import sparse

from planning.models import MCLP, SolverOptions
from planning.models import _highs
from planning.models._highs import set_seed, set_threads, solve_milp
from planning.models._mclp_cutoff import prove_or_improve


def _set_cover(seed: int, rows: int = 120, cols: int = 50, per_row: int = 3) -> sparse.csc_array:
    """Unit-cost set covering with ``per_row`` random columns per row: a fractional LP and many
    alternative optima, so HiGHS has to branch."""
    rng = np.random.default_rng(seed)
    r = np.repeat(np.arange(rows), per_row)
    c = np.concatenate([rng.choice(cols, per_row, replace=False) for _ in range(rows)])
    return sparse.csc_array((np.ones(r.size), (r, c)), shape=(rows, cols))


def _solve(mat: sparse.csc_array, threads: int, verbose: bool = False):
    rows, cols = mat.shape
    return solve_milp(np.ones(cols), mat, np.ones(rows), np.full(rows, np.inf), np.zeros(cols), np.ones(cols),
                      np.ones(cols, dtype=bool), threads=threads, verbose=verbose, time_limit_s=60)


def _workers(log: str) -> int:
    """Search workers in a HiGHS MIP log: "Using 4 max workers" (1.15) or "using up to 2 workers" (1.16)."""
    found = re.findall(r"[Uu]sing (?:up to )?(\d+) (?:max )?workers", log)
    assert found, log
    return int(found[-1])


def test_threads_turn_on_the_parallel_tree_search(capfd) -> None:
    mat = _set_cover(0)
    one = _solve(mat, 1, verbose=True)
    log_one = capfd.readouterr().out
    two = _solve(mat, 2, verbose=True)
    log_two = capfd.readouterr().out
    assert _workers(log_one) == 1
    assert _workers(log_two) > 1
    assert one.status == two.status == "optimal"
    assert round(one.objective) == round(two.objective) == round(two.x.sum())
    assert (mat @ np.round(two.x) >= 1).all()


def test_parallel_search_is_deterministic() -> None:
    for seed in (1, 2):
        mat = _set_cover(seed)
        a, b = _solve(mat, 2), _solve(mat, 2)
        assert a.status == "optimal" and np.array_equal(a.x, b.x) and a.objective == b.objective


def test_set_threads_only_parallel_for_a_mip() -> None:
    h = highspy.Highs()
    set_threads(h, 2, mip=False)
    assert h.getOptionValue("threads")[1] == 2 and h.getOptionValue("parallel")[1] == "choose"
    set_threads(h, 2, mip=True)
    assert h.getOptionValue("parallel")[1] == "on"
    g = highspy.Highs()
    set_threads(g, 1, mip=True)
    assert g.getOptionValue("parallel")[1] == "choose"


def test_highs_seed_is_the_projects_and_another_keeps_the_optimum(monkeypatch) -> None:
    h = highspy.Highs()
    set_seed(h)
    assert h.getOptionValue("random_seed")[1] == 0
    base = [_solve(_set_cover(seed), 1) for seed in (3, 4)]
    monkeypatch.setattr(_highs, "RANDOM_SEED", 7)
    g = highspy.Highs()
    set_seed(g)
    assert g.getOptionValue("random_seed")[1] == 7
    seen: list[int] = []

    def recording(h: highspy.Highs) -> None:  # the real set_seed, recording the seed each solve runs with
        set_seed(h)
        seen.append(h.getOptionValue("random_seed")[1])

    monkeypatch.setattr(_highs, "set_seed", recording)
    for seed, first in zip((3, 4), base, strict=True):
        other = _solve(_set_cover(seed), 1)
        assert first.status == other.status == "optimal" and other.objective == first.objective
    assert seen == [7, 7]  # solve_milp ran both with the other seed


def test_mclp_two_threads_same_optimum_and_repeatable() -> None:
    rng = np.random.default_rng(11)
    demand, sites = rng.uniform(0, 10_000, (400, 2)), rng.uniform(0, 10_000, (120, 2))
    cost = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2))
    w = rng.integers(1, 101, 400).astype(float)

    def solve(threads: int):
        return MCLP.from_cost_matrix(cost, weights=w, threshold=1200, p=12).solve(SolverOptions(threads=threads))

    one, two, again = solve(1), solve(2), solve(2)
    assert one.status_ == two.status_ == "optimal"
    assert one.objective_ == two.objective_
    assert list(two.selected_) == list(again.selected_)


def test_cutoff_rounds_stopped_at_their_first_solution_repeat_on_two_threads() -> None:
    """An improving cut-off round ends at the branch and bound's first solution; on two threads
    that solution, and so every later round, is the same run after run."""
    rng = np.random.default_rng(5)
    demand, sites = rng.uniform(0, 10_000, (300, 2)), rng.uniform(0, 10_000, (90, 2))
    cover = sparse.csr_array(np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2)) <= 1500)
    w = rng.integers(1, 101, 300).astype(float)
    poor = np.arange(90) < 10  # a poor start: the first rounds find better incumbents
    runs = [prove_or_improve(cover, w, poor, 10, threads=2) for _ in range(3)]
    one = prove_or_improve(cover, w, poor, 10, threads=1)
    assert all(r.proven for r in runs) and one.proven
    assert runs[0].value == one.value
    assert all(r.y.tolist() == runs[0].y.tolist() for r in runs[1:])
