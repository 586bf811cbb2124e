"""Published instances with known optima (read from ../shared/bench via the shared_dir fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from planning.models import LSCP, MCLP, PCenter, PMedian
from planning.models.instances import read_optima, read_pmed, read_sjc_mclp, read_swain


@pytest.fixture(scope="module")
def bench(shared_dir):
    return shared_dir / "bench"


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_orlib_pmedian_and_pcenter_optima(bench, k: int) -> None:
    cost, p = read_pmed(bench / "orlib_pmed" / f"pmed{k}.txt")
    assert cost.shape == (100, 100)
    median = read_optima(bench / "orlib_pmed" / "pmedopt.txt")[f"pmed{k}"]
    center = read_optima(bench / "orlib_pmed" / "kcenteropt.txt")[f"pmed{k}"]
    m = PMedian.from_cost_matrix(cost, p=p).solve()
    assert (m.objective_, m.status_) == (median, "optimal")
    assert m.bound_ == pytest.approx(median)
    assert len(m.selected_) == p
    c = PCenter.from_cost_matrix(cost, p=p).solve()
    assert (c.objective_, c.status_, len(c.selected_)) == (center, "optimal", p)


def test_orlib_repeated_edges_keep_last_cost(bench) -> None:
    # pmed1 has repeated edges; taking the minimum instead of the last gives 5718 (README)
    cost, p = read_pmed(bench / "orlib_pmed" / "pmed1.txt")
    assert np.allclose(cost, cost.T) and (np.diag(cost) == 0).all() and np.isfinite(cost).all()
    assert PMedian.from_cost_matrix(cost, p=p).solve().objective_ == 5819


SWAIN_MCLP = {  # README table: covered population by S (rows) and p = 1..8
    10: [425, 502, 548, 581, 609, 625, 633, 638],
    15: [515, 593, 625, 638, 640, 640, 640, 640],
    20: [573, 631, 640, 640, 640, 640, 640, 640],
}


def test_swain_lscp_table(bench) -> None:
    cost, weights = read_swain(bench / "swain55" / "swain.dat")
    assert cost.shape == (55, 55) and weights.sum() == 640
    got = {s: LSCP.from_cost_matrix(cost, threshold=s).solve().objective_ for s in (10, 15, 20, 25, 30)}
    assert got == {10: 9, 15: 5, 20: 3, 25: 2, 30: 1}


@pytest.mark.parametrize("s", [10, 15, 20])
def test_swain_mclp_table(bench, s: int) -> None:
    cost, weights = read_swain(bench / "swain55" / "swain.dat")
    got = [MCLP.from_cost_matrix(cost, weights=weights, threshold=s, p=p).solve().objective_ for p in range(1, 9)]
    assert got == SWAIN_MCLP[s]


def test_sjc324_mclp(bench) -> None:
    cost, demand = read_sjc_mclp(bench / "lorena_sjc_mclp", 324)
    assert demand.sum() == 12152
    got = [MCLP.from_cost_matrix(cost, weights=demand, threshold=800, p=p).solve().objective_ for p in (2, 3)]
    assert got == [8790, 11604]
