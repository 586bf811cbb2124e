"""Every model and option against brute-force enumeration of all site subsets (seeded instances)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planning._errors import InfeasibleError
from planning.models import LSCP, MCLP, PCenter, PMedian, SolverOptions

N_DEMAND, N_SITE = 9, 7


def _instance(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cost = np.round(rng.uniform(0, 10, (N_DEMAND, N_SITE)), 1)
    cost[rng.uniform(size=cost.shape) < 0.1] = np.inf  # a few unreachable pairs
    weights = rng.integers(0, 20, N_DEMAND).astype(float)
    return cost, weights


def _options(seed: int, kind: str) -> dict:
    """Site options of one kind, drawn from the seed."""
    rng = np.random.default_rng(1000 + seed)
    ids = list(range(N_SITE))
    if kind == "plain":
        return {}
    if kind == "fixed":
        return {"fixed": [int(rng.integers(N_SITE))]}
    if kind == "closable":
        a, b = (int(v) for v in rng.choice(N_SITE, 2, replace=False))
        return {"closable": [a, b], "close_saving": {a: 2.5, b: 0.5}}
    if kind == "upgrade":
        a = int(rng.integers(N_SITE))
        return {"upgrade_cost": {a: 0.5}, "site_cost": rng.integers(1, 4, N_SITE).astype(float)}
    if kind == "budget":
        return {"site_cost": rng.integers(1, 5, N_SITE).astype(float), "budget": float(rng.integers(4, 9))}
    if kind == "close_budget":  # closing existing sites pays for new ones; upgrades are cheap
        a, b, c = (int(v) for v in rng.choice(N_SITE, 3, replace=False))
        return {"closable": [a, b], "close_saving": {a: 3.0, b: 1.0}, "upgrade_cost": {c: 0.5},
                "site_cost": rng.integers(1, 4, N_SITE).astype(float), "budget": 0.5}
    if kind == "area":
        area = {j: ("A" if j < 3 else "B") for j in ids}
        return {"area_of": area, "min_per_area": {"A": 1, "B": 1}, "max_per_area": {"B": 2}}
    raise AssertionError(kind)


KINDS = ["plain", "fixed", "closable", "upgrade", "budget", "close_budget", "area"]


def _site_feasible(y: np.ndarray, opts: dict) -> tuple[bool, float]:
    """Common site constraints and the net cost of the open set ``y``."""
    cost = np.ones(N_SITE)
    if "site_cost" in opts:
        cost = np.asarray(opts["site_cost"], dtype=float).copy()
    for j, c in opts.get("upgrade_cost", {}).items():
        cost[j] = c
    fixed = np.zeros(N_SITE, bool)
    fixed[opts.get("fixed", [])] = True
    if (fixed & ~y).any():
        return False, np.inf
    closable = opts.get("closable", [])
    net = 0.0
    for j in range(N_SITE):
        if j in closable:
            if not y[j]:
                net -= opts["close_saving"].get(j, 0.0)
        elif y[j] and not fixed[j]:
            net += cost[j]
    if "budget" in opts and net > opts["budget"] + 1e-9:
        return False, net
    if "area_of" in opts:
        for area in ("A", "B"):
            count = sum(1 for j in range(N_SITE) if y[j] and opts["area_of"][j] == area)
            if count < opts.get("min_per_area", {}).get(area, 0):
                return False, net
            if count > opts.get("max_per_area", {}).get(area, np.inf):
                return False, net
    return True, net


def _n_free(y: np.ndarray, opts: dict) -> int:
    return int(y.sum()) - len(opts.get("fixed", []))


def _subsets():
    for bits in itertools.product([False, True], repeat=N_SITE):
        yield np.asarray(bits)


def _near(cost: np.ndarray, y: np.ndarray) -> np.ndarray:
    return cost[:, y].min(axis=1) if y.any() else np.full(cost.shape[0], np.inf)


def _brute(model: str, cost, weights, opts, params) -> float | None:
    best = None
    for y in _subsets():
        ok, net = _site_feasible(y, opts)
        if not ok:
            continue
        near = _near(cost, y)
        if model == "lscp":
            within = near <= params["threshold"]
            share = params.get("min_coverage_share", 1.0)
            if weights[within].sum() < share * weights.sum() - 1e-9:
                continue
            if share >= 1.0 and not within.all():
                continue
            if "max_cost" in params and (near > params["max_cost"]).any():
                continue
            value, better = net, (lambda a, b: a < b)
        elif model == "mclp":
            if _n_free(y, opts) > params["p"]:
                continue
            if "max_cost" in params and (near > params["max_cost"]).any():
                continue
            value, better = float(weights[near <= params["threshold"]].sum()), (lambda a, b: a > b)
        elif model == "pmedian":
            if _n_free(y, opts) != params["p"]:
                continue
            limit = params.get("max_cost", np.inf)
            pos = weights > 0
            if (near[pos] > limit).any() or not np.isfinite(near[pos]).all():
                continue
            value, better = float(np.dot(weights[pos], near[pos])), (lambda a, b: a < b)
        else:
            if _n_free(y, opts) != params["p"]:
                continue
            pos = weights > 0
            if not np.isfinite(near[pos]).all():
                continue
            value, better = float(near[pos].max()), (lambda a, b: a > b)
            value, better = value, (lambda a, b: a < b)
        if best is None or better(value, best):
            best = value
    return best


def _check_solution(model: str, m, cost, weights, opts, params) -> None:
    """The returned selection is feasible and achieves the reported objective."""
    y = np.isin(np.arange(N_SITE), np.asarray(m.selected_, dtype=int))
    ok, net = _site_feasible(y, opts)
    assert ok
    near = _near(cost, y)
    if model == "lscp":
        assert net == pytest.approx(m.objective_)
        assert net == pytest.approx(m.cost_)
    elif model == "mclp":
        assert float(weights[near <= params["threshold"]].sum()) == pytest.approx(m.objective_)
    elif model == "pmedian":
        pos = weights > 0
        assert float(np.dot(weights[pos], near[pos])) == pytest.approx(m.objective_)
    else:
        assert float(near[weights > 0].max()) == pytest.approx(m.objective_)


MODEL_CLASS = {"lscp": LSCP, "mclp": MCLP, "pmedian": PMedian, "pcenter": PCenter}


def _params(model: str, seed: int) -> list[dict]:
    if model == "lscp":
        return [{"threshold": 6.0}, {"threshold": 4.0, "min_coverage_share": 0.7},
                {"threshold": 3.0, "min_coverage_share": 0.6, "max_cost": 7.0}]
    if model == "mclp":
        return [{"threshold": 3.0, "p": 2}, {"threshold": 4.0, "p": 1, "max_cost": 9.0}]
    if model == "pmedian":
        return [{"p": 2}, {"p": 3, "max_cost": 7.0}]
    return [{"p": 2}]


@pytest.mark.parametrize("model", ["lscp", "mclp", "pmedian", "pcenter"])
@pytest.mark.parametrize("kind", KINDS)
def test_against_brute_force(model: str, kind: str) -> None:
    checked = 0
    for seed in range(6):
        cost, weights = _instance(seed)
        opts = _options(seed, kind)
        for params in _params(model, seed):
            expected = _brute(model, cost, weights, opts, params)
            build = MODEL_CLASS[model].from_cost_matrix
            if expected is None:
                with pytest.raises(InfeasibleError):
                    build(cost, weights=weights, **params, **opts).solve()
                continue
            m = build(cost, weights=weights, **params, **opts).solve()
            assert m.status_ == "optimal"
            assert m.objective_ == pytest.approx(expected), (seed, params, opts)
            assert m.bound_ == pytest.approx(expected)
            assert m.gap_ == pytest.approx(0.0, abs=1e-9)
            _check_solution(model, m, cost, weights, opts, params)
            checked += 1
    assert checked >= 3  # most draws are feasible: the comparison really ran


@pytest.mark.parametrize("model", ["mclp", "pmedian", "pcenter"])
def test_heuristic_reports_valid_bound(model: str) -> None:
    for seed in range(8):
        cost, weights = _instance(seed)
        params = _params(model, seed)[0]
        expected = _brute(model, cost, weights, {}, params)
        m = MODEL_CLASS[model].from_cost_matrix(cost, weights=weights, **params).solve(SolverOptions(method="heuristic"))
        assert m.status_ == "heuristic"
        if model == "mclp":
            assert m.objective_ <= expected + 1e-9 and m.bound_ >= expected - 1e-9
        else:
            assert m.objective_ >= expected - 1e-9 and m.bound_ <= expected + 1e-9
        _check_solution(model, m, cost, weights, {}, params)


def test_lscp_heuristic_bound() -> None:
    for seed in range(8):
        cost, weights = _instance(seed)
        expected = _brute("lscp", cost, weights, {}, {"threshold": 6.0})
        if expected is None:
            continue
        m = LSCP.from_cost_matrix(cost, threshold=6.0).solve(SolverOptions(method="heuristic"))
        assert m.objective_ >= expected - 1e-9 >= m.bound_ - 2e-9


@pytest.mark.parametrize("integral", [False, True])
def test_lagrangian_branch_and_bound_from_a_poor_incumbent(integral: bool) -> None:
    from planning.models.pmedian import lagrangian_branch_and_bound

    for seed in range(10):
        rng = np.random.default_rng(seed)
        cost = rng.integers(0, 50, (12, 9)).astype(float) if integral else rng.uniform(0, 50, (12, 9))
        weights = rng.integers(1, 5, 12).astype(float)
        fixed = np.zeros(9, dtype=bool)
        fixed[seed % 9] = seed % 2 == 0  # half the draws with a fixed site
        n_open = 3 + int(fixed.sum())
        best = min(
            float(np.dot(weights, cost[:, list(s)].min(axis=1)))
            for s in itertools.combinations(range(9), n_open)
            if fixed[list(s)].sum() == fixed.sum()
        )
        start = fixed.copy()
        start[np.flatnonzero(~fixed)[-3:]] = True  # an arbitrary feasible incumbent
        value0 = float(np.dot(weights, cost[:, start].min(axis=1)))
        y, value, proven = lagrangian_branch_and_bound(cost, weights, n_open, fixed, start, value0,
                                                       time_limit_s=60, integral=integral)
        assert proven and value == pytest.approx(best)
        assert int(y.sum()) == n_open and y[fixed].all()
        assert float(np.dot(weights, cost[:, y].min(axis=1))) == pytest.approx(best)
