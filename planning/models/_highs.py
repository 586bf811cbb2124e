"""A thin wrapper around HiGHS (``highspy``) for sparse mixed-integer programs.

The models build their matrices with numpy/scipy and hand them here; this module sets the time
limit, gap, threads and log options, passes an optional warm start, and turns the solver's
answer into a :class:`MilpResult` with status, objective, best bound and gap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
from scipy import sparse

from planning._errors import SolverError

__all__ = ["MilpResult", "solve_milp", "relative_gap", "set_threads", "set_seed", "new_highs"]

_INF = highspy.kHighsInf


class _QuietHighs(highspy.Highs):
    """``highspy.Highs`` that logs nothing until told to: its constructor enables the callbacks
    while ``output_flag`` is still on, which prints HiGHS's banner ("Running HiGHS …") to the
    process's standard output, into the JSON of ``planning solve`` and the cells of a notebook."""

    def enableCallbacks(self) -> Any:  # noqa: N802 (highspy's name)
        self.setOptionValue("output_flag", False)
        return super().enableCallbacks()


def new_highs(verbose: bool = False) -> highspy.Highs:
    """A HiGHS instance that prints its log (banner included) only when ``verbose``.

    Examples
    --------
    >>> new_highs().getOptionValue("output_flag")[1]
    False
    """
    h = _QuietHighs()
    h.setOptionValue("output_flag", bool(verbose))
    return h


@dataclass(frozen=True)
class MilpResult:
    """The answer of one HiGHS solve.

    Attributes
    ----------
    status : str
        ``"optimal"``, ``"time_limit"`` (a feasible solution, not proven optimal),
        ``"interrupted"`` (stopped by ``on_solution``) or ``"infeasible"``.
    x : ndarray or None
        Column values of the best solution (``None`` when infeasible).
    objective : float
        Objective value of ``x`` (offset included).
    bound : float
        Best proven bound (offset included).
    gap : float
        Relative gap ``|objective - bound| / max(|objective|, 1e-9)``.
    seconds : float
        Wall-clock seconds spent in HiGHS.
    reduced_costs : ndarray or None
        Column reduced costs of a pure LP solved to optimality (else ``None``).
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    seconds: float
    reduced_costs: np.ndarray | None = None


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap between a solution value and a bound (0 when they agree).

    Parameters
    ----------
    objective, bound : float
        Solution value and proven bound.

    Returns
    -------
    float
        ``|objective - bound| / max(|objective|, 1e-9)``; 0 within 1e-9 absolute difference.
    """
    diff = abs(float(objective) - float(bound))
    if diff <= 1e-9 * max(1.0, abs(float(objective))):
        return 0.0
    return diff / max(abs(float(objective)), 1e-9)


#: Threads HiGHS's global scheduler was last rebuilt for by :func:`set_threads` (``None`` before
#: its first call in this process).
_SCHEDULER_LOCK = threading.Lock()
_scheduler_threads: list[int | None] = [None]


def set_threads(h: Any, threads: int | None, *, mip: bool) -> None:
    """Set the threads of HiGHS instance ``h`` (``None``: those of the last solve, else 1).

    HiGHS runs every instance of a process on one global scheduler and refuses a run whose
    ``threads`` differ from the scheduler's, so the scheduler is rebuilt when the threads change
    (solves running at the same time in one process must therefore use the same threads). For a
    MILP with ``threads > 1`` this also turns on HiGHS's parallel tree search (``parallel =
    "on"``; without it the branch and bound runs on one thread whatever ``threads`` says). The
    parallel search is deterministic: the same model and threads give the same result.
    """
    with _SCHEDULER_LOCK:
        threads = int(threads if threads is not None else _scheduler_threads[0] or 1)
        if _scheduler_threads[0] != threads:
            highspy.Highs.resetGlobalScheduler(True)
            _scheduler_threads[0] = threads
    h.setOptionValue("threads", threads)
    if mip and threads > 1:
        h.setOptionValue("parallel", "on")


#: HiGHS's random seed (its tie-breaks and the order of its heuristics). Fixed, so that the same
#: inputs give the same result; ``python -m benchmarks.solve_one --highs-seed K`` changes it to
#: show how much a solve's time owes to the seed.
RANDOM_SEED = 0


def set_seed(h: Any) -> None:
    """Give HiGHS instance ``h`` the project's fixed random seed (:data:`RANDOM_SEED`)."""
    h.setOptionValue("random_seed", RANDOM_SEED)


def solve_milp(
    cost: np.ndarray,
    matrix: sparse.sparray | sparse.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    *,
    maximize: bool = False,
    offset: float = 0.0,
    time_limit_s: float = 600.0,
    mip_gap: float = 0.0,
    threads: int = 1,
    verbose: bool = False,
    start: np.ndarray | None = None,
    on_solution: Callable[[np.ndarray], bool] | None = None,
    highs_options: dict[str, Any] | None = None,
) -> MilpResult:
    """Solve ``min/max cost @ x + offset`` s.t. ``row_lower <= matrix @ x <= row_upper``.

    Parameters
    ----------
    cost : ndarray, shape (n_cols,)
        Objective coefficients.
    matrix : scipy sparse, shape (n_rows, n_cols)
        Constraint matrix.
    row_lower, row_upper : ndarray, shape (n_rows,)
        Row bounds (``±np.inf`` for none).
    col_lower, col_upper : ndarray, shape (n_cols,)
        Column bounds.
    integer : ndarray of bool, shape (n_cols,)
        Which columns are integer.
    maximize : bool, keyword-only
        Maximise instead of minimise.
    offset : float, keyword-only
        Constant added to the objective.
    time_limit_s, mip_gap, threads, verbose : keyword-only
        Solver options (wall-clock limit in seconds, relative gap, threads, log to stdout).
        With ``threads > 1`` a MILP's branch and bound runs HiGHS's parallel tree search.
    start : ndarray, optional
        A feasible (or partial) solution to warm-start the branch and bound.
    on_solution : callable, optional
        Called with every improving solution found by the branch and bound; returning ``True``
        stops the solve (status ``"interrupted"``, ``x`` = that solution).
    highs_options : dict, optional
        Further HiGHS options set after the ones above (e.g. ``{"mip_pool_soft_limit": 10}``).

    Returns
    -------
    MilpResult

    Raises
    ------
    SolverError
        When HiGHS fails or stops without any feasible solution.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> r = solve_milp(np.array([1.0, 1.0]), sparse.csc_array(np.array([[1.0, 1.0]])),
    ...                np.array([1.0]), np.array([np.inf]), np.zeros(2), np.ones(2),
    ...                np.array([True, True]))
    >>> r.status, r.objective
    ('optimal', 1.0)
    """
    n_rows, n_cols = matrix.shape
    if n_cols == 0:  # nothing to decide: feasible iff every row admits activity 0
        ok = bool(np.all(np.asarray(row_lower) <= 1e-9) and np.all(np.asarray(row_upper) >= -1e-9))
        if not ok:
            return MilpResult("infeasible", None, float("nan"), float("nan"), float("nan"), 0.0)
        return MilpResult("optimal", np.zeros(0), float(offset), float(offset), 0.0, 0.0)
    csc = sparse.csc_array(matrix, dtype=np.float64)
    csc.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_ = int(n_cols)
    lp.num_row_ = int(n_rows)
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = _finite(col_lower)
    lp.col_upper_ = _finite(col_upper)
    lp.row_lower_ = _finite(row_lower)
    lp.row_upper_ = _finite(row_upper)
    lp.offset_ = float(offset)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data
    integer = np.asarray(integer, dtype=bool)
    has_integer = bool(integer.any())
    if has_integer:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in integer
        ]
    h = new_highs(verbose)
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    set_threads(h, threads, mip=has_integer)
    set_seed(h)
    for name, value in (highs_options or {}).items():
        if h.setOptionValue(name, value) == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS rejected the option {name} = {value!r}; please report this")
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (inconsistent matrix or bounds); please report this")
    if start is not None and has_integer:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    stop = {"flag": False}
    if on_solution is not None and has_integer:

        def improving(event: Any) -> None:
            if on_solution(np.asarray(event.data_out.mip_solution, dtype=np.float64)):
                stop["flag"] = True

        def interrupt(event: Any) -> None:
            if stop["flag"]:
                event.interrupt()

        h.cbMipImprovingSolution.subscribe(improving)
        h.cbMipInterrupt.subscribe(interrupt)
    began = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - began
    model_status = h.getModelStatus()
    info = h.getInfo()
    if model_status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return MilpResult("infeasible", None, float("nan"), float("nan"), float("nan"), seconds)
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if not has_solution:
        raise SolverError(
            f"HiGHS stopped with status {h.modelStatusToString(model_status)!r} after {seconds:.1f} s "
            "without a feasible solution; raise the time limit or use method='heuristic' (--method heuristic in "
            "planning solve)",
            bound=float(info.mip_dual_bound) if has_integer else float("nan"),
        )
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    reduced = None
    if not has_integer and model_status == highspy.HighsModelStatus.kOptimal and solution.dual_valid:
        reduced = np.asarray(solution.col_dual, dtype=np.float64)
    objective = float(info.objective_function_value)
    if has_integer:
        bound = float(info.mip_dual_bound)
    elif model_status == highspy.HighsModelStatus.kOptimal:
        bound = objective
    else:
        bound = -np.inf if not maximize else np.inf
    optimal = model_status == highspy.HighsModelStatus.kOptimal
    if stop["flag"]:
        return MilpResult("interrupted", x, objective, bound, relative_gap(objective, bound), seconds)
    if optimal and relative_gap(objective, bound) > max(mip_gap, 1e-6):
        optimal = mip_gap > 0
    return MilpResult(
        "optimal" if optimal else "time_limit", x, objective, bound, relative_gap(objective, bound), seconds, reduced
    )


def _finite(values: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=np.float64).copy()
    out[out == np.inf] = _INF
    out[out == -np.inf] = -_INF
    return out
