"""Facility-location models on plain cost matrices (no geometry inside).

:class:`LSCP` (fewest / cheapest sites covering all demand), :class:`MCLP` (most demand covered
with p sites), :class:`PMedian` (least weighted travel with p sites) and :class:`PCenter` (least
worst-case travel), all solved exactly with HiGHS after optimality-preserving reductions and
heuristic warm starts; :class:`CapacitatedPMedian` adds site capacities.
"""

from planning.models.base import LocationModel, SolverOptions, SolveStatus
from planning.models.lscp import LSCP
from planning.models.mclp import MCLP
from planning.models.pcenter import PCenter
from planning.models.pmedian import PMedian

__all__ = [
    "LocationModel",
    "SolverOptions",
    "SolveStatus",
    "LSCP",
    "MCLP",
    "PMedian",
    "PCenter",
    "CapacitatedPMedian",
]


def __getattr__(name: str) -> object:
    # the capacitated model pulls in numba: import it only when asked for
    if name == "CapacitatedPMedian":
        from planning.models.capacitated import CapacitatedPMedian

        return CapacitatedPMedian
    raise AttributeError(f"module 'planning.models' has no attribute {name!r}")
