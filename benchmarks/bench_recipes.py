"""Planning recipes on the demo county: time per recipe, and the clinic model against PuLP + CBC.

Every recipe runs on the demo county with one shared travel engine (defaults: the least-cost
plans). The village-clinic model (facility location with assignment and doctors) is captured as
the matrices handed to HiGHS and solved again by CBC through PuLP (spopt's default solver), same
formulation, same tolerance (relative gap 0), so the ratio is solver against solver.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def _cbc(cost: np.ndarray, matrix: Any, row_lower: np.ndarray, row_upper: np.ndarray, col_lower: np.ndarray,
         col_upper: np.ndarray, integer: np.ndarray, offset: float, time_limit_s: float) -> tuple[str, float, float]:
    import pulp

    from scipy import sparse

    prob = pulp.LpProblem("clinics", pulp.LpMinimize)
    xs = [pulp.LpVariable(f"x{j}", lowBound=float(col_lower[j]),
                          upBound=None if not np.isfinite(col_upper[j]) else float(col_upper[j]),
                          cat="Integer" if integer[j] else "Continuous") for j in range(len(cost))]
    prob += pulp.lpSum(float(c) * xs[j] for j, c in enumerate(cost) if c != 0) + offset
    csr = sparse.csr_array(matrix)
    for i in range(csr.shape[0]):
        cols = csr.indices[csr.indptr[i]:csr.indptr[i + 1]]
        vals = csr.data[csr.indptr[i]:csr.indptr[i + 1]]
        expr = pulp.lpSum(float(v) * xs[j] for j, v in zip(cols, vals))
        lo, hi = row_lower[i], row_upper[i]
        if np.isfinite(lo) and np.isfinite(hi) and lo == hi:
            prob += expr == float(lo)
            continue
        if np.isfinite(lo):
            prob += expr >= float(lo)
        if np.isfinite(hi):
            prob += expr <= float(hi)
    began = time.perf_counter()
    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, gapRel=0.0, threads=1))
    seconds = time.perf_counter() - began
    return pulp.LpStatus[prob.status], float(pulp.value(prob.objective)), seconds


def main(quick: bool) -> str:
    """Markdown section: recipe times on the demo county; clinic MILP HiGHS vs CBC."""
    import planning.recipes.clinics as clinics
    from planning import demo
    from planning.network.engine import TravelEngine
    from planning.recipes import RECIPES

    county = demo.load()
    engine = TravelEngine.from_county(county)
    RECIPES["emergency_network"](county, engine=engine)  # compile the engine's kernels first
    rows = []
    captured: dict[str, Any] = {}
    original = clinics.solve_milp

    def capture(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        captured.update(args=args, kwargs=kwargs, result=result)
        return result

    clinics.solve_milp = capture
    try:
        for name, fn in RECIPES.items():
            began = time.perf_counter()
            result = fn(county, engine=engine)
            took = time.perf_counter() - began
            s = result.solver
            rows.append(f"| {name} | {len(result.actions)} | {result.total_cost:,.0f} | {s['model']} | {s['status']} "
                        f"| {s['solve_seconds']:.2f} | {took:.1f} |")
    finally:
        clinics.solve_milp = original
    lines = ["## Planning recipes (demo county: 496 villages, 108 communities)", "",
             "| recipe | actions | cost (万元) | model | status | solver s | recipe s (incl. travel) |",
             "|---|---|---|---|---|---|---|", *rows, ""]
    args, kwargs, highs = captured["args"], captured["kwargs"], captured["result"]
    cost, matrix, lo, hi, clo, chi, integer = args
    limit = 60.0 if quick else 600.0
    status, objective, seconds = _cbc(cost, matrix, lo, hi, clo, chi, integer, kwargs.get("offset", 0.0), limit)
    n_int = int(np.asarray(integer).sum())
    lines += [
        f"Village-clinic model: {matrix.shape[1]:,} columns ({n_int:,} integer), {matrix.shape[0]:,} rows.", "",
        "| solver | status | objective (yuan) | seconds | ratio |", "|---|---|---|---|---|",
        f"| HiGHS (planning) | {highs.status} | {highs.objective:,.4f} | {highs.seconds:.2f} | 1 |",
        f"| PuLP + CBC | {status} | {objective:,.4f} | {seconds:.2f} | {seconds / max(highs.seconds, 1e-9):.1f}× |",
        "",
        "Objective in yuan includes the tie-breaking terms (< 1 yuan in all); equal objectives mean the same optimum.",
    ]
    return "\n".join(lines)
