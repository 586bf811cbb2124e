"""planning: coverage rules and facility planning for Chinese counties.

Importing ``planning`` has no side effects: no files are written, no processes started and no
heavy optional libraries imported.
"""

from planning._errors import (
    CRSError,
    InfeasibleError,
    InputError,
    NotSolvedError,
    PlanningError,
    RuleParameterError,
    ScenarioError,
    SolverError,
)
from planning.config import Settings

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Settings",
    "PlanningError",
    "InputError",
    "CRSError",
    "ScenarioError",
    "RuleParameterError",
    "InfeasibleError",
    "NotSolvedError",
    "SolverError",
]
