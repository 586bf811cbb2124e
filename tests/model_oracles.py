"""Independent references shared by the model tests: seeded instances, brute force, textbook MILPs.

Imported by test modules as ``from model_oracles import ...`` (``tests`` is on pytest's
``pythonpath``). Nothing here calls the code under test.
"""

from __future__ import annotations

import itertools

import numpy as np


# ----------------------------------------------------------------------------- p-median
def pmedian_instance(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform demand and sites on a 100 × 100 square: Euclidean costs and weights 1–9."""
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 100, (n, 2))
    sites = rng.uniform(0, 100, (m, 2))
    cost = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2))
    return cost, rng.integers(1, 10, n).astype(float)


def pmedian_value(cost: np.ndarray, w: np.ndarray, y: np.ndarray) -> float:
    """Weighted cost of serving every demand from its nearest open site of ``y``."""
    return float(w @ cost[:, y].min(axis=1))


def pmedian_brute(cost: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray) -> float:
    """Least weighted cost over every choice of ``p`` free sites added to the fixed ones."""
    m = cost.shape[1]
    best = np.inf
    for combo in itertools.combinations([j for j in range(m) if not fixed[j]], p):
        y = fixed.copy()
        y[list(combo)] = True
        best = min(best, pmedian_value(cost, w, y))
    return best


# ----------------------------------------------------------------------------- covering
def cover_instance(seed: int, n: int, m: int, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points on a 10 × 10 square: coverage within ``radius`` and weights 1–19."""
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10, (n, 2))
    sites = rng.uniform(0, 10, (m, 2))
    cost = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2))
    weights = rng.integers(1, 20, n).astype(float)
    return cost <= radius, weights


def best_mclp(cover: np.ndarray, w: np.ndarray, p: int) -> float:
    """Most weight covered by any ``p`` columns."""
    m = cover.shape[1]
    return max(float(w[cover[:, list(s)].any(axis=1)].sum()) for s in itertools.combinations(range(m), p))


# ----------------------------------------------------------------------------- capacitated p-median
def capacitated_brute(cost, demand, capacity, p, weight=None, fixed=()) -> float:
    """Enumerate every p-subset containing ``fixed`` and every single-source assignment to it."""
    n, m = cost.shape
    weight = np.ones(n) if weight is None else weight
    best = np.inf
    for subset in itertools.combinations(range(m), p):
        if not set(fixed) <= set(subset):
            continue
        for assign in itertools.product(subset, repeat=n):
            load = np.zeros(m)
            for i, j in enumerate(assign):
                load[j] += demand[i]
            if np.any(load > capacity + 1e-9):
                continue
            value = sum(weight[i] * cost[i, j] for i, j in enumerate(assign))
            best = min(best, value)
    return best


def capacitated_milp(cost, demand, capacity, p) -> float:
    """The textbook single-source capacitated p-median MILP solved by ``scipy.optimize.milp``."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    n, m = cost.shape
    nv = n * m + m
    a = lil_matrix((n + m + 1, nv))
    for i in range(n):
        a[i, i * m:(i + 1) * m] = 1.0
    for j in range(m):
        for i in range(n):
            a[n + j, i * m + j] = demand[i]
        a[n + j, n * m + j] = -capacity[j]
    a[n + m, n * m:] = 1.0
    lo = np.concatenate([np.ones(n), np.full(m, -np.inf), [p]])
    hi = np.concatenate([np.ones(n), np.zeros(m), [p]])
    res = milp(np.concatenate([cost.reshape(-1), np.zeros(m)]), constraints=LinearConstraint(a.tocsr(), lo, hi),
               integrality=np.ones(nv), bounds=Bounds(0, 1))
    assert res.status == 0
    return float(res.fun)
