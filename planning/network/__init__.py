"""Road graph with named impedances, snapping, and the travel-time engine.

>>> from planning.network import TravelEngine, RoadGraph   # doctest: +SKIP
>>> engine = TravelEngine.from_county(county)              # doctest: +SKIP
>>> engine.nearest(villages, clinics, mode="drive")        # doctest: +SKIP

Importing this package loads numba (the shortest-path kernels are compiled on first use and
cached next to the module).
"""

from planning.network.engine import NEAREST_COLUMNS, OD_COLUMNS, TravelEngine
from planning.network.graph import METRICS, MODES, RoadGraph, grade_speed_factor, tobler_speed_kph
from planning.network.snap import SnappedPoints, snap_points

__all__ = [
    "TravelEngine",
    "RoadGraph",
    "SnappedPoints",
    "snap_points",
    "tobler_speed_kph",
    "grade_speed_factor",
    "MODES",
    "METRICS",
    "NEAREST_COLUMNS",
    "OD_COLUMNS",
]
