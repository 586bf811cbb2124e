"""Capacitated p-median: brute force, published optima, infeasibility, determinism."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from planning._errors import InfeasibleError, InputError, NotSolvedError
from planning.models.base import SolverOptions, SolveStatus
from planning.models.capacitated import CapacitatedPMedian
from planning.models.instances_capacitated import read_pmedcap, read_sjc_cpmp

from model_oracles import capacitated_brute as brute_single, capacitated_milp as scipy_milp


# ----------------------------------------------------------------------------- independent oracles
def brute_multi(cost, demand, capacity, p):
    """Every p-subset; the split assignment is a transportation problem solved by networkx min-cost flow.

    The flow cost Σ c_ij · flow_ij is the demand-weighted objective Σ d_i c_ij x_ij.
    """
    n, m = cost.shape
    best = np.inf
    for subset in itertools.combinations(range(m), p):
        g = nx.DiGraph()
        for i in range(n):
            g.add_node(("d", i), demand=-int(demand[i]))
        g.add_node("sink", demand=int(demand.sum()))
        for j in subset:
            g.add_edge(("s", j), "sink", capacity=int(capacity[j]), weight=0)
            for i in range(n):
                g.add_edge(("d", i), ("s", j), weight=int(cost[i, j]))
        try:
            flow = nx.min_cost_flow(g)
        except nx.NetworkXUnfeasible:
            continue
        value = sum(cost[i, j] * flow[("d", i)][("s", j)] for i in range(n) for j in subset)
        best = min(best, value)
    return best


def random_instance(seed, n=7, m=5):
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 40, size=(n, m)).astype(float)
    demand = rng.integers(1, 9, size=n).astype(float)
    p = int(rng.integers(2, 4))
    capacity = np.full(m, np.ceil(demand.sum() / p * rng.uniform(1.05, 1.5)))
    return cost, demand, capacity, p


# ----------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("seed", range(8))
def test_single_source_matches_brute_force(seed):
    cost, demand, capacity, p = random_instance(seed)
    expected = brute_single(cost, demand, capacity, p, np.ones(len(demand)))
    model = CapacitatedPMedian.from_cost_matrix(cost, demand=demand, capacity=capacity, p=p).solve()
    assert model.status_ == SolveStatus.OPTIMAL
    assert model.objective_ == pytest.approx(expected, abs=1e-9)
    assert model.bound_ == pytest.approx(expected, abs=1e-9)
    assert model.gap_ == 0.0
    # the returned solution is feasible and has the reported objective
    assert len(model.selected_) == p
    load = {j: 0.0 for j in model.selected_}
    for i, j in model.assignment_.items():
        load[j] += demand[i]
    assert all(load[j] <= capacity[j] + 1e-9 for j in load)
    assert sum(cost[i, j] for i, j in model.assignment_.items()) == pytest.approx(model.objective_)
    assert model.load_ == pytest.approx(load)


@pytest.mark.parametrize("seed", range(3))
def test_fractional_demands_match_brute_force(seed):
    # non-integer demands: the knapsacks fall back to the continuous bound, still exact overall
    cost, demand, capacity, p = random_instance(300 + seed)
    demand = demand + np.random.default_rng(seed).uniform(0.05, 0.95, size=len(demand))
    capacity = np.full(cost.shape[1], demand.sum() / p * 1.2)
    expected = brute_single(cost, demand, capacity, p, np.ones(len(demand)))
    model = CapacitatedPMedian.from_cost_matrix(cost, demand=demand, capacity=capacity, p=p).solve()
    assert model.objective_ == pytest.approx(expected, abs=1e-9)
    assert model.status_ == SolveStatus.OPTIMAL


@pytest.mark.parametrize("seed", range(4))
def test_weighted_by_demand_and_fixed_match_brute_force(seed):
    cost, demand, capacity, p = random_instance(100 + seed)
    fixed = (seed % cost.shape[1],)
    expected = brute_single(cost, demand, capacity, p, demand, fixed=fixed)
    model = CapacitatedPMedian.from_cost_matrix(
        cost, demand=demand, capacity=capacity, p=p, fixed=list(fixed), weighted_by_demand=True
    ).solve()
    assert model.objective_ == pytest.approx(expected, abs=1e-9)
    assert fixed[0] in model.selected_
    assert model.status_ == SolveStatus.OPTIMAL


@pytest.mark.parametrize("seed", range(6))
def test_multi_source_matches_min_cost_flow(seed):
    cost, demand, capacity, p = random_instance(200 + seed)
    capacity = np.floor(capacity * 0.93)  # tighter: splitting matters
    if capacity.sum() < demand.sum() or np.sort(capacity)[-p:].sum() < demand.sum():
        capacity = capacity + 2
    expected = brute_multi(cost, demand, capacity, p)
    model = CapacitatedPMedian.from_cost_matrix(
        cost, demand=demand, capacity=capacity, p=p, single_source=False, weighted_by_demand=True
    ).solve()
    assert model.status_ == SolveStatus.OPTIMAL
    assert model.objective_ == pytest.approx(expected, rel=1e-7)
    for shares in model.assignment_.values():
        assert sum(shares.values()) == pytest.approx(1.0)
    assert all(load <= capacity[j] + 1e-6 for j, load in model.load_.items())


def test_multi_source_beats_single_source_when_splitting_helps():
    # two sites of capacity 5; demands 3, 3, 3: single-source cannot fit, split can
    cost = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0]])
    kwargs = dict(demand=[3, 3, 3], capacity=[5, 5], p=2)
    multi = CapacitatedPMedian.from_cost_matrix(cost, single_source=False, **kwargs).solve()
    # site 0 takes 5 of the 6 units of points 0 and 1; one unit (a third of a point) moves to site 1
    assert multi.objective_ == pytest.approx(3 + 1 / 3)
    with pytest.raises(InfeasibleError, match="no single-source assignment"):
        CapacitatedPMedian.from_cost_matrix(cost, **kwargs).solve()


# ----------------------------------------------------------------------------- published instances


def test_pmedcap_problems_known_optima(shared_dir):
    problems = read_pmedcap(shared_dir / "bench" / "orlib_pmedcap" / "pmedcap1.txt")
    assert len(problems) == 20
    assert [inst.best_known for inst in problems[:3]] == [713.0, 740.0, 751.0]
    assert (problems[0].n, problems[0].p, problems[10].n, problems[10].p) == (50, 5, 100, 10)
    for k, expected in ((0, 713.0), (1, 740.0), (2, 751.0), (3, 651.0)):
        inst = problems[k]
        model = CapacitatedPMedian.from_cost_matrix(
            inst.cost, demand=inst.demand, capacity=inst.capacity, p=inst.p
        ).solve(SolverOptions(time_limit_s=60))
        assert model.objective_ == expected, inst.name
        assert model.status_ == SolveStatus.OPTIMAL and model.bound_ == expected


def test_sjc1_known_optimum(shared_dir):
    inst = read_sjc_cpmp(shared_dir / "bench" / "lorena_sjc_cpmp" / "SJC1.dat")
    assert (inst.n, inst.p, float(inst.capacity[0]), float(inst.demand.sum())) == (100, 10, 720.0, 5807.0)
    model = CapacitatedPMedian.from_cost_matrix(
        inst.cost, demand=inst.demand, capacity=inst.capacity, p=inst.p
    ).solve(SolverOptions(time_limit_s=60))
    assert model.objective_ == pytest.approx(17288.99, abs=0.01)
    assert model.status_ == SolveStatus.OPTIMAL
    assert model.bound_ == pytest.approx(model.objective_, abs=1e-6)


def test_readers_on_toy_files(tmp_path):
    sjc = tmp_path / "toy.dat"
    sjc.write_text("3 1\n0 0 10 2\n3 4 10 3\n6 8 10 4\n")
    inst = read_sjc_cpmp(sjc)
    assert inst.cost[0, 2] == 10.0 and inst.cost[1, 0] == 5.0 and inst.p == 1
    cap = tmp_path / "cap.txt"
    cap.write_text("1\n 1 7\n 2 1 10\n 1 0 0 4\n 2 1 1 5\n")
    [one] = read_pmedcap(cap)
    assert one.cost[0, 1] == 1.0  # sqrt(2) floored
    assert list(one.capacity) == [10.0, 10.0] and one.best_known == 7.0
    sjc.write_text("3 1\n0 0 10 2\n")
    with pytest.raises(InputError, match="expected 3 lines"):
        read_sjc_cpmp(sjc)


# ----------------------------------------------------------------------------- errors


def test_infeasibility_is_explained_with_numbers():
    cost = np.array([[1.0, np.inf], [np.nan, np.inf], [2.0, 3.0]])
    with pytest.raises(InfeasibleError) as err:
        CapacitatedPMedian.from_cost_matrix(
            cost, demand=[5, 1, 30], capacity=[10, 20], p=1, demand_ids=["v1", "v2", "v3"]
        )
    text = str(err.value)
    assert "no candidate can reach: v2" in text
    assert "v3: demand 30 > largest reachable capacity 20" in text
    assert "total demand 36 exceeds the largest capacity 1 sites can offer (20" in text


def test_fixed_more_than_p_is_infeasible():
    with pytest.raises(InfeasibleError, match="2 sites are fixed open but p = 1"):
        CapacitatedPMedian.from_cost_matrix(np.ones((2, 3)), demand=[1, 1], capacity=[5, 5, 5], p=1, fixed=[0, 1])


def test_bad_input_lists_every_problem():
    with pytest.raises(InputError) as err:
        CapacitatedPMedian.from_cost_matrix(
            np.array([[1.0, -2.0], [1.0, 1.0]]), demand=[1, -1], capacity=[1, 2, 3], p=5, fixed=["zz"]
        )
    text = str(err.value)
    for part in ("demand must be finite and ≥ 0; bad at positions 1", "capacity has 3 values",
                 "p must be an integer in 1…2", "fixed sites not among the candidate ids: zz",
                 "cost must be ≥ 0; negative at (row, column) (0, 1)"):
        assert part in text
    with pytest.raises(InputError, match="method must be one of"):
        CapacitatedPMedian.from_cost_matrix(np.ones((1, 1)), demand=[1], capacity=[1], p=1).solve(
            SolverOptions(method="fast")
        )


def test_results_before_solve_raise():
    model = CapacitatedPMedian.from_cost_matrix(np.ones((1, 1)), demand=[1], capacity=[1], p=1)
    with pytest.raises(NotSolvedError, match="after solve"):
        _ = model.objective_


# ----------------------------------------------------------------------------- OD table, heuristic, determinism


def test_from_od_table_ids_and_missing_pairs():
    od = pd.DataFrame(
        {
            "origin_id": ["a", "a", "b", "b", "c"],
            "destination_id": ["S", "T", "S", "T", "T"],
            "travel_time_min": [1.0, 4.0, 2.0, 3.0, 1.0],
        }
    )
    model = CapacitatedPMedian.from_od_table(
        od, demand={"a": 2, "b": 2, "c": 2}, capacity={"S": 4, "T": 4}, p=2, weighted_by_demand=True
    ).solve()
    # c can only reach T; S takes a and b
    assert model.assignment_ == {"a": "S", "b": "S", "c": "T"}
    assert model.objective_ == pytest.approx(2 * 1 + 2 * 2 + 2 * 1)
    assert list(model.selected_) == ["S", "T"]
    with pytest.raises(InputError, match="lacks column 'cost'"):
        CapacitatedPMedian.from_od_table(od, demand={"a": 1}, capacity={"S": 1}, p=1, cost_column="cost")


def test_heuristic_method_reports_a_valid_bound():
    cost, demand, capacity, p = random_instance(7, n=30, m=30)
    exact = CapacitatedPMedian.from_cost_matrix(cost, demand=demand, capacity=capacity, p=p).solve()
    heur = CapacitatedPMedian.from_cost_matrix(cost, demand=demand, capacity=capacity, p=p).solve(
        SolverOptions(method="heuristic")
    )
    assert heur.status_ in (SolveStatus.HEURISTIC, SolveStatus.OPTIMAL)
    assert heur.bound_ <= exact.objective_ + 1e-9 <= heur.objective_ + 1e-9
    assert exact.status_ == SolveStatus.OPTIMAL


def test_determinism():
    cost, demand, capacity, p = random_instance(11, n=25, m=20)
    runs = [
        CapacitatedPMedian.from_cost_matrix(cost, demand=demand, capacity=capacity, p=p).solve()
        for _ in range(2)
    ]
    assert runs[0].assignment_ == runs[1].assignment_
    assert list(runs[0].selected_) == list(runs[1].selected_)
    assert runs[0].objective_ == runs[1].objective_ and runs[0].bound_ == runs[1].bound_


# ----------------------------------------------------------------------------- branch-and-price


def _lr_problem(cost, demand, capacity, p, fixed=()):
    from planning.models import _lagrangian as lr

    mask = np.zeros(cost.shape[1], dtype=bool)
    mask[list(fixed)] = True
    c = np.where(demand[:, None] > capacity[None, :], np.inf, cost)
    integral = bool(np.all(cost == np.round(cost)))
    return lr.Problem(C=np.ascontiguousarray(c), d=demand.astype(float), Q=capacity.astype(float), p=p,
                      fixed=mask, single_source=True, integral_objective=integral)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("with_incumbent", [False, True])
def test_branch_and_price_matches_brute_force(seed, with_incumbent):
    import time

    from planning.models import _branch_price as bp
    from planning.models import _lagrangian as lr

    cost, demand, capacity, p = random_instance(400 + seed)
    fixed = (seed % cost.shape[1],) if seed % 2 else ()
    expected = brute_single(cost, demand, capacity, p, np.ones(len(demand)), fixed=fixed)
    prob = _lr_problem(cost, demand, capacity, p, fixed)
    assert prob.mode == 0
    inc = lr.Incumbent()
    lam0 = np.zeros(prob.n)
    if with_incumbent:
        res = lr.subgradient(prob, deadline=time.perf_counter() + 5, inc=inc, max_iter=5)
        lam0 = res.lam
    out = bp.branch_and_price(prob, inc, lam0, deadline=time.perf_counter() + 30, prune_gap=0.0)
    assert out.finished and not out.gave_up
    assert out.ub == pytest.approx(expected, abs=1e-9)
    assert out.lb == pytest.approx(expected, abs=1e-9)
    assert len(out.sites) == p and set(fixed) <= set(out.sites.tolist())
    assert set(out.assign.tolist()) <= set(out.sites.tolist())
    load = np.bincount(out.assign, weights=demand, minlength=cost.shape[1])
    assert np.all(load <= capacity + 1e-9)
    assert cost[np.arange(len(demand)), out.assign].sum() == pytest.approx(expected)


@pytest.mark.parametrize(("seed", "p"), [(500, 3), (516, 3), (506, 4), (508, 4)])
def test_branch_and_price_tree_matches_scipy_milp(seed, p):
    # 95 % of the capacity used and a Lagrangian bound below the optimum: the tree has to branch
    # (and fix) to close it
    import time

    from planning.models import _branch_price as bp
    from planning.models import _lagrangian as lr

    rng = np.random.default_rng(seed)
    n = 30
    xy = rng.uniform(0, 100, size=(n, 2))
    cost = np.floor(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    demand = rng.integers(1, 21, size=n).astype(float)
    capacity = np.full(n, np.ceil(demand.sum() / p / 0.95))
    expected = scipy_milp(cost, demand, capacity, p)
    prob = _lr_problem(cost, demand, capacity, p)
    inc = lr.Incumbent()
    res = lr.subgradient(prob, deadline=time.perf_counter() + 5, inc=inc)
    assert res.lb < expected - 1  # the Lagrangian bound alone does not prove it
    # without subset-row cuts (they close these at the root: tests/models/test_capacitated_cuts.py)
    out = bp.branch_and_price(prob, inc, res.lam, deadline=time.perf_counter() + 60, prune_gap=0.0, cut_rounds=0)
    assert out.finished and out.nodes > 1
    assert out.ub == pytest.approx(expected) and out.lb == pytest.approx(expected)
    model = CapacitatedPMedian.from_cost_matrix(cost, demand=demand, capacity=capacity, p=p).solve()
    assert model.objective_ == pytest.approx(expected) and model.status_ == SolveStatus.OPTIMAL
