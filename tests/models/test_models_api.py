"""Model API: constructors, OD tables, errors with their numbers, results before solve, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from planning._errors import InfeasibleError, InputError, NotSolvedError
from planning.models import LSCP, MCLP, PCenter, PMedian, SolverOptions
from planning.models.heuristics import greedy_cover, interchange_pmedian, greedy_pmedian
from planning.models.reduce import coverage_matrix, dominated_columns, dominated_rows, merge_identical_columns

COST = np.array([[0, 4, 9], [3, 2, 9], [9, 3, 1]], dtype=float)


def _od() -> pd.DataFrame:
    rows = [(f"v{i}", f"s{j}", COST[i, j]) for i in range(3) for j in range(3)]
    od = pd.DataFrame(rows, columns=["origin_id", "destination_id", "travel_time_min"])
    od.loc[(od.origin_id == "v2") & (od.destination_id == "s0"), "travel_time_min"] = np.nan
    return od


def test_results_before_solve_raise() -> None:
    m = PMedian.from_cost_matrix(COST, p=1)
    for name in ("selected_", "assignment_", "objective_", "bound_", "gap_", "status_", "solve_seconds_", "cost_"):
        with pytest.raises(NotSolvedError, match="after solve"):
            getattr(m, name)


def test_from_od_table_matches_matrix_and_labels() -> None:
    m = PMedian.from_od_table(_od(), weights=pd.DataFrame({"origin_id": ["v0", "v1", "v2"], "weight": [1, 1, 1]}),
                              p=1).solve()
    assert list(m.selected_) == ["s1"]
    assert m.objective_ == 9.0
    assert m.assignment_ == {"v0": "s1", "v1": "s1", "v2": "s1"}
    cover = LSCP.from_od_table(_od(), threshold=3).solve()
    assert cover.objective_ == 2 and set(cover.assignment_) == {"v0", "v1", "v2"}


def test_sparse_input_keeps_explicit_zero_costs() -> None:
    coo = sparse.coo_array((np.array([0.0, 5.0, 0.0]), (np.array([0, 1, 1]), np.array([0, 0, 1]))), shape=(2, 2))
    m = PMedian.from_cost_matrix(coo, p=1).solve()
    assert list(m.selected_) == [0] and m.objective_ == 5.0  # site 1 cannot reach demand 0


def test_input_errors_list_every_problem() -> None:
    bad = COST.copy()
    bad[0, 0] = -1
    bad[1, 1] = np.nan
    with pytest.raises(InputError, match=r"(?s)2 problem\(s\).*NaN costs in demand row\(s\) 1.*negative costs in demand row\(s\) 0"):
        PMedian.from_cost_matrix(bad, p=1)
    with pytest.raises(InputError, match=r"(?s)candidate_ids are not unique: a.*weights has 2 entries"):
        PMedian.from_cost_matrix(COST, p=1, weights=[1, 2], candidate_ids=["a", "a", "b"])
    with pytest.raises(InputError, match="fixed: unknown candidate id"):
        LSCP.from_cost_matrix(COST, threshold=3, fixed=[7])
    with pytest.raises(InputError, match="give p .* or budget"):
        MCLP.from_cost_matrix(COST, threshold=3)
    with pytest.raises(InputError, match="missing column"):
        PMedian.from_od_table(_od().drop(columns="travel_time_min"), p=1)
    with pytest.raises(InputError, match="no weight for origin id"):
        PMedian.from_od_table(_od(), p=1, weights=pd.Series({"v0": 1.0}))
    with pytest.raises(InputError, match="method must be one of"):
        PMedian.from_cost_matrix(COST, p=1).solve(SolverOptions(method="magic"))


def test_infeasibility_found_before_solving_with_numbers() -> None:
    with pytest.raises(InfeasibleError, match=r"1 demand\(s\) have no candidate within the threshold 1: 1"):
        LSCP.from_cost_matrix(COST, threshold=1).solve()
    with pytest.raises(InfeasibleError, match=r"p = 4 but only 3 candidate site\(s\)"):
        PMedian.from_cost_matrix(COST, p=4).solve()
    with pytest.raises(InfeasibleError, match=r"budget 1 is below the cost of the 2 cheapest sites \(3\)"):
        PMedian.from_cost_matrix(COST, p=2, site_cost=[2, 1, 5], budget=1).solve()
    with pytest.raises(InfeasibleError, match=r"1 demand\(s\) can reach no candidate within max_cost 2: 1"):
        PMedian.from_cost_matrix(COST + 1, p=1, max_cost=2).solve()
    with pytest.raises(InfeasibleError, match=r"area 'A' needs at least 2 open site\(s\) but has only 1"):
        PMedian.from_cost_matrix(COST, p=2, area_of={0: "A", 1: "B", 2: "B"}, min_per_area={"A": 2}).solve()
    with pytest.raises(InfeasibleError, match=r"at most 1 of 3 weight \(33.3%\) can be covered"):
        LSCP.from_cost_matrix(COST, threshold=0.5, min_coverage_share=0.9).solve()


def test_lscp_budget_below_cheapest_cover_gives_its_cost() -> None:
    with pytest.raises(InfeasibleError, match="below the cheapest feasible cover, which costs 5"):
        LSCP.from_cost_matrix(COST, threshold=3, site_cost=[2, 3, 3], budget=4).solve()


def test_determinism_identical_selection() -> None:
    rng = np.random.default_rng(7)
    demand, sites = rng.uniform(0, 100, (60, 2)), rng.uniform(0, 100, (25, 2))
    cost = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2))
    for make in (lambda: PMedian.from_cost_matrix(cost, p=4), lambda: MCLP.from_cost_matrix(cost, threshold=20, p=3),
                 lambda: LSCP.from_cost_matrix(cost, threshold=35), lambda: PCenter.from_cost_matrix(cost, p=3)):
        a, b = make().solve(), make().solve()
        assert list(a.selected_) == list(b.selected_) and a.assignment_ == b.assignment_
        assert a.objective_ == b.objective_


def test_extras_opened_closed_upgraded() -> None:
    m = LSCP.from_cost_matrix(COST, threshold=4, closable=[0], close_saving={0: 5.0}, upgrade_cost={1: 0.5}).solve()
    assert list(m.closed_) == [0] and list(m.upgraded_) == [1] and list(m.opened_) == []
    assert m.cost_ == pytest.approx(0.5 - 5.0) and m.objective_ == pytest.approx(-4.5)


def test_reductions_small_cases() -> None:
    cover = coverage_matrix(np.array([[1, 1, 9], [1, 1, 1], [9, 9, 1]], dtype=float), 2.0)
    keep = merge_identical_columns(cover, np.array([2.0, 1.0, 1.0]))
    assert keep.tolist() == [False, True, True]  # columns 0 and 1 identical: the cheaper kept
    dom = dominated_columns(cover, np.array([1.0, 1.0, 1.0]), np.array([True, False, True]))
    assert dom.tolist() == [False, False, False]
    cover2 = coverage_matrix(np.array([[1, 9], [1, 1]], dtype=float), 2.0)
    assert dominated_columns(cover2, np.array([1.0, 1.0]), np.array([True, True])).tolist() == [False, True]
    assert dominated_rows(cover2).tolist() == [False, True]  # row 1 ⊇ row 0: redundant


def test_heuristics_on_small_cases() -> None:
    cover = coverage_matrix(COST, 3.0)
    assert greedy_cover(cover, np.ones(3)).tolist() == [True, True, False]
    assert greedy_cover(coverage_matrix(COST, 0.5), np.ones(3)) is None
    w = np.ones(3)
    y = interchange_pmedian(COST, w, greedy_pmedian(COST, w, 1))
    assert y.tolist() == [False, True, False]


def test_read_pmed_repeated_edge_keeps_last_cost(tmp_path) -> None:
    from planning.models.instances import read_optima, read_pmed

    path = tmp_path / "tiny.txt"
    # edge 1-2 given twice (10 then 3; reversed orientation the second time); 2-3 cost 4
    path.write_text(" 3 3 1\n 1 2 10\n 2 1 3\n 2 3 4\n", encoding="utf-8")
    cost, p = read_pmed(path)
    assert p == 1
    assert cost.tolist() == [[0, 3, 7], [3, 0, 4], [7, 4, 0]]
    opt = tmp_path / "opt.txt"
    opt.write_text("Data file   Optimal\npmed1  5819\n", encoding="utf-8")
    assert read_optima(opt) == {"pmed1": 5819.0}


def test_every_model_stopped_on_time_returns_its_incumbent_with_a_valid_bound() -> None:
    # uniform random costs make a set-covering instance that branch and bound cannot close in a second; the
    # LSCP once raised "stopped without a feasible solution" although its heuristic cover was in hand
    cost = np.random.default_rng(0).uniform(0, 60, (300, 120))
    options = SolverOptions(time_limit_s=1.0)
    lscp = LSCP.from_cost_matrix(cost, threshold=15.0).solve(options)
    assert lscp.status_ == "time_limit" and 1 <= lscp.bound_ < lscp.objective_ == len(lscp.selected_)
    chosen = np.isin(lscp.candidate_ids, lscp.selected_)
    assert (cost[:, chosen] <= 15.0).any(axis=1).all()
    for model in (MCLP.from_cost_matrix(cost, threshold=6.0, p=5), PMedian.from_cost_matrix(cost, p=10),
                  PCenter.from_cost_matrix(cost, p=10)):
        solved = model.solve(options)
        assert solved.status_ == "time_limit" and len(solved.selected_) > 0
        assert (solved.bound_ >= solved.objective_) if isinstance(model, MCLP) else (solved.bound_ <= solved.objective_)
