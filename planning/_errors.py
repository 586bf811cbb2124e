"""The exception hierarchy of ``planning``.

Every error is both a builtin exception and a :class:`PlanningError`, so callers can catch
either (``except ValueError`` or ``except PlanningError``). Validation collects every problem
it finds and raises once; the message lists each problem on its own line: what was expected,
what was got, where (file, column, row number or id) and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "PlanningError",
    "InputError",
    "CRSError",
    "ScenarioError",
    "RuleParameterError",
    "InfeasibleError",
    "NotSolvedError",
    "SolverError",
]


class PlanningError(Exception):
    """Base class of every error raised by ``planning``."""


class InputError(ValueError, PlanningError):
    """Input data are invalid; ``problems`` lists every problem found.

    Parameters
    ----------
    what : str
        One line saying which input failed (e.g. ``"villages layer 'villages.gpkg'"``).
    problems : iterable of str
        Every problem found, each saying what, where and how to fix it.
    """

    def __init__(self, what: str, problems: Iterable[str] = ()) -> None:
        self.what = what
        self.problems = [str(p) for p in problems]
        if self.problems:
            lines = [f"{what}: {len(self.problems)} problem(s)"]
            lines += [f"  - {p}" for p in self.problems]
            message = "\n".join(lines)
        else:
            message = what
        super().__init__(message)


class CRSError(InputError):
    """A coordinate reference system is missing, mismatched or not usable."""


class ScenarioError(InputError):
    """A scenario file is invalid (problems name the file, key path and line)."""


class RuleParameterError(InputError):
    """A rule parameter is unknown or outside the range its source document allows."""


class InfeasibleError(ValueError, PlanningError):
    """An optimisation model has no feasible solution; the message gives the numbers."""


class NotSolvedError(AttributeError, PlanningError):
    """A result attribute (``selected_``, ``objective_``, ...) was read before ``solve()``."""


class SolverError(RuntimeError, PlanningError):
    """The solver failed or stopped without any feasible solution.

    Parameters
    ----------
    message : str
        What happened and what to do.
    bound : float, keyword-only
        The best bound on the objective proved before stopping (NaN when none).
    """

    def __init__(self, message: str, *, bound: float = float("nan")) -> None:
        super().__init__(message)
        self.bound = bound
