"""Shared machinery of the facility-location models.

Every model is built on a cost matrix (demand points × candidate sites, plain numbers; no
geometry): :meth:`LocationModel.from_cost_matrix` is the core constructor and
:meth:`LocationModel.from_od_table` funnels a long OD table into it. ``solve()`` returns the
model itself; results end in ``_`` and reading one before solving raises
:class:`planning._errors.NotSolvedError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from planning._errors import NotSolvedError

__all__ = ["SolveStatus", "SolverOptions", "LocationModel"]


class SolveStatus:
    """Status strings of a solve."""

    OPTIMAL = "optimal"  # proven optimal (gap within the requested tolerance)
    TIME_LIMIT = "time_limit"  # stopped by the time limit with a feasible solution
    HEURISTIC = "heuristic"  # heuristic solution only; bound_ may still be reported
    INFEASIBLE = "infeasible"


@dataclass(frozen=True)
class SolverOptions:
    """Options for one solve.

    Attributes
    ----------
    time_limit_s : float
        Wall-clock limit; on expiry the best solution, its bound and gap are reported.
    mip_gap : float
        Relative gap at which to stop (0 proves optimality).
    threads : int
        Solver threads. Above 1, HiGHS searches the branch-and-bound tree in parallel
        (deterministic: the same inputs and threads give the same result; with other
        threads an equally good alternative optimum may be returned).
    verbose : bool
        Print the solver log.
    method : str
        ``"exact"`` (reductions, heuristic warm start, HiGHS), ``"heuristic"`` (no MILP; a
        bound is still reported where one is cheap) or ``"auto"`` (exact unless too large).
    """

    time_limit_s: float = 600.0
    mip_gap: float = 0.0
    threads: int = 1
    verbose: bool = False
    method: str = "auto"


_RESULTS = ("selected_", "assignment_", "objective_", "bound_", "gap_", "status_", "solve_seconds_")


class LocationModel(ABC):
    """Base class: holds results and guards reads before ``solve()``.

    Subclasses store their inputs in ``__init__`` (cheap: no solving, no heavy work), implement
    ``_solve(options) -> dict`` returning the result fields named in ``_RESULTS`` without the
    trailing underscore, and document their formulation in the class docstring.
    """

    _solved: bool = False

    def solve(self, solver: SolverOptions | None = None) -> "LocationModel":
        """Solve the model; returns ``self``.

        Parameters
        ----------
        solver : SolverOptions, optional
            Time limit, gap, threads; defaults to :class:`SolverOptions()`.
        """
        options = solver if solver is not None else SolverOptions()
        result = self._solve(options)
        for name in _RESULTS:
            object.__setattr__(self, "_r_" + name, result.get(name.rstrip("_")))
        self._solved = True
        return self

    @abstractmethod
    def _solve(self, options: SolverOptions) -> dict[str, Any]:
        """Solve and return the result fields (names of ``_RESULTS`` without ``_``)."""

    def _result(self, name: str) -> Any:
        if not self._solved:
            raise NotSolvedError(
                f"{type(self).__name__}.{name} is available after solve(); call model.solve() first"
            )
        return getattr(self, "_r_" + name)

    @property
    def selected_(self) -> np.ndarray:
        """Ids of the selected candidate sites (in candidate order)."""
        return self._result("selected_")

    @property
    def assignment_(self) -> dict[Any, Any] | None:
        """Demand id → selected site id (``None`` for unassigned demand), where the model assigns."""
        return self._result("assignment_")

    @property
    def objective_(self) -> float:
        """Objective value of the returned solution."""
        return self._result("objective_")

    @property
    def bound_(self) -> float:
        """Best proven bound on the objective (equal to ``objective_`` when optimal)."""
        return self._result("bound_")

    @property
    def gap_(self) -> float:
        """Relative gap between ``objective_`` and ``bound_`` (0 when proven optimal)."""
        return self._result("gap_")

    @property
    def status_(self) -> str:
        """One of :class:`SolveStatus`."""
        return self._result("status_")

    @property
    def solve_seconds_(self) -> float:
        """Wall-clock seconds of ``solve()``."""
        return self._result("solve_seconds_")
