"""``planning solve``: a facility-location model on an analyst's own OD matrix.

Example::

    planning solve --model pmedian --costs od.csv --weights w.csv --p 3 --format table

``od.csv`` is the long OD table ``origin_id,destination_id,travel_time_min`` (or ``cost``);
``w.csv`` is ``origin_id,weight``; ``cap.csv`` is ``destination_id,capacity`` (routes to the
capacitated p-median, with demand = the weights). JSON output has the keys ``model, status,
objective, bound, gap, selected, assignment, solve_seconds``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from planning._errors import InputError

__all__ = ["add_parser", "run", "solve_table"]

MODELS = ("lscp", "mclp", "pmedian", "pcenter")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``planning solve``."""
    parser = subparsers.add_parser(
        "solve",
        help="solve LSCP / MCLP / p-median / p-center on an OD table (CSV)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, choices=MODELS)
    parser.add_argument("--costs", required=True, type=Path, help="long OD CSV: origin_id,destination_id,travel_time_min|cost")
    parser.add_argument("--weights", type=Path, help="CSV origin_id,weight (default 1 each)")
    parser.add_argument("--p", type=int, help="number of sites besides --fixed (mclp: at most; pmedian, pcenter)")
    parser.add_argument("--threshold", type=float, help="coverage threshold in cost units (lscp, mclp)")
    parser.add_argument("--min-coverage", type=float, default=1.0,
                        help="lscp: share of the weight to cover within --threshold (default 1 = all), e.g. 0.95")
    parser.add_argument("--capacity", type=Path, help="CSV destination_id,capacity: capacitated p-median")
    parser.add_argument("--fixed", help="comma-separated ids of existing sites kept open")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--gap", type=float, default=0.0,
                        help="relative optimality gap at which to stop (default 0: prove optimality)")
    parser.add_argument("--threads", type=int, default=1,
                        help="solver threads (default 1; above 1 HiGHS searches the tree in parallel)")
    parser.add_argument("--method", choices=("auto", "exact", "heuristic"), default="auto",
                        help="auto (default: exact unless too large), exact, or heuristic (no MILP: fast, with a "
                             "bound where one is cheap)")
    parser.add_argument("--format", choices=("json", "table"), default="json")
    parser.set_defaults(func=run)
    return parser


def _read_csv(path: Path, what: str, required: list[str], id_cols: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{what} {path}", [f"file not found: {path}"])
    table = pd.read_csv(path, dtype={c: str for c in id_cols})
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(f"{what} {path}", [f"missing column(s) {missing}; got {list(table.columns)}"])
    return table


def solve_table(
    od: pd.DataFrame,
    *,
    model: str,
    weights: pd.DataFrame | None = None,
    p: int | None = None,
    threshold: float | None = None,
    capacity: pd.DataFrame | None = None,
    fixed: list[str] | None = None,
    time_limit_s: float = 600.0,
    mip_gap: float = 0.0,
    threads: int = 1,
    method: str = "auto",
    min_coverage: float = 1.0,
) -> dict[str, Any]:
    """Solve one model on a long OD table and return the JSON-ready result.

    Parameters
    ----------
    od : DataFrame
        ``origin_id, destination_id`` and ``travel_time_min`` or ``cost``.
    model : str, keyword-only
        ``lscp``, ``mclp``, ``pmedian`` or ``pcenter``.
    weights : DataFrame ``origin_id, weight``, optional
    p, threshold : optional
        Model parameters (required where the model needs them).
    capacity : DataFrame ``destination_id, capacity``, optional
        Routes ``pmedian`` to the capacitated p-median (demand = weights).
    fixed : list of str, optional
        Existing sites forced open.
    time_limit_s : float
        Solver time limit.
    mip_gap : float
        Relative gap at which the solver stops (0 proves optimality).
    threads : int
        Solver threads.
    method : str
        ``auto``, ``exact`` or ``heuristic`` (no MILP; a bound is still reported where cheap).
    min_coverage : float
        LSCP only: share of the total weight to cover within ``threshold`` (1 = every origin).

    Returns
    -------
    dict
        ``model, status, objective, bound, gap, selected, assignment, solve_seconds``.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin_id": ["a", "a", "b", "b"], "destination_id": ["x", "y", "x", "y"],
    ...                    "travel_time_min": [1.0, 5.0, 6.0, 2.0]})
    >>> solve_table(od, model="pmedian", p=1)["selected"]
    ['x']
    """
    from planning.models import LSCP, MCLP, PCenter, PMedian
    from planning.models.base import SolverOptions

    problems = []
    cost_col = "travel_time_min" if "travel_time_min" in od.columns else "cost"
    if cost_col not in od.columns:
        problems.append(f"the OD table needs a travel_time_min or cost column; got {list(od.columns)}")
    if model not in MODELS:
        problems.append(f"--model must be one of {MODELS}; got {model!r}")
    if model in ("mclp", "pmedian", "pcenter") and p is None:
        problems.append(f"--p is required for {model}")
    if model in ("lscp", "mclp") and threshold is None:
        problems.append(f"--threshold is required for {model}")
    if capacity is not None and model != "pmedian":
        problems.append("--capacity applies to --model pmedian only (capacitated p-median)")
    if capacity is not None and weights is None:
        problems.append("--capacity needs --weights (the demand each origin puts on a site's capacity)")
    if min_coverage != 1.0 and model != "lscp":
        problems.append("--min-coverage applies to --model lscp only (the coverage floor of the fewest sites)")
    if not 0 < min_coverage <= 1:
        problems.append(f"--min-coverage must be in (0, 1] (a share, 0.95 = 95 %); got {min_coverage:g}")
    if not 0 <= mip_gap < 1:
        problems.append(f"--gap must be in [0, 1) (a share, 0.01 = 1 %); got {mip_gap:g}")
    if threads < 1:
        problems.append(f"--threads must be at least 1; got {threads}")
    if problems:
        raise InputError("planning solve", problems)
    options = SolverOptions(time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads, method=method)
    fixed = list(fixed) if fixed else None
    if capacity is not None:
        from planning.models.capacitated import CapacitatedPMedian

        demand = weights.set_index("origin_id")["weight"]
        cap = capacity.set_index("destination_id")["capacity"]
        # --p counts the sites besides --fixed for every model; CapacitatedPMedian counts all
        solved = CapacitatedPMedian.from_od_table(
            od, demand=demand, capacity=cap, p=int(p) + len(fixed or []), cost_column=cost_col, fixed=fixed
        ).solve(options)
        name = "capacitated_pmedian"
    else:
        common = {"cost_col": cost_col, "weights": weights, "fixed": fixed}
        if model == "lscp":
            built = LSCP.from_od_table(od, threshold=threshold, min_coverage_share=min_coverage, **common)
        elif model == "mclp":
            built = MCLP.from_od_table(od, threshold=threshold, p=p, **common)
        elif model == "pmedian":
            built = PMedian.from_od_table(od, p=p, **common)
        else:
            built = PCenter.from_od_table(od, p=p, **common)
        solved = built.solve(options)
        name = model
    return {
        "model": name,
        "status": solved.status_,
        "objective": _num(solved.objective_),
        "bound": _num(solved.bound_),
        "gap": _num(solved.gap_),
        "selected": [_plain(s) for s in solved.selected_],
        "assignment": {str(_plain(k)): (None if v is None else _plain(v)) for k, v in (solved.assignment_ or {}).items()},
        "solve_seconds": round(float(solved.solve_seconds_), 3),
    }


def _num(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(_plain(k)): float(v) for k, v in value.items()}
    return value.item() if hasattr(value, "item") else value


def run(args: argparse.Namespace) -> int:
    """Run ``planning solve``; prints JSON or a table; returns 0."""
    od = _read_csv(args.costs, "OD table", ["origin_id", "destination_id"], ["origin_id", "destination_id"])
    weights = _read_csv(args.weights, "weights", ["origin_id", "weight"], ["origin_id"]) if args.weights else None
    capacity = (
        _read_csv(args.capacity, "capacity", ["destination_id", "capacity"], ["destination_id"])
        if args.capacity
        else None
    )
    fixed = [s.strip() for s in args.fixed.split(",") if s.strip()] if args.fixed else None
    result = solve_table(
        od, model=args.model, weights=weights, p=args.p, threshold=args.threshold, capacity=capacity,
        fixed=fixed, time_limit_s=args.time_limit, mip_gap=args.gap, threads=args.threads, method=args.method,
        min_coverage=args.min_coverage,
    )
    if args.format == "json":
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        lines = [
            f"model       {result['model']}",
            f"status      {result['status']}",
            f"objective   {result['objective']}",
            f"bound       {result['bound']}",
            f"gap         {result['gap']}",
            f"selected    {', '.join(str(s) for s in result['selected'])}",
            f"seconds     {result['solve_seconds']}",
            "",
            "origin_id\tsite_id",
        ]
        lines += [f"{k}\t{'' if v is None else v}" for k, v in result["assignment"].items()]
        sys.stdout.write("\n".join(lines) + "\n")
    return 0
