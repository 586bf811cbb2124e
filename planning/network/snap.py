"""Snapping points (villages, facilities, population cells) onto the road network.

Each point is projected onto its nearest road SEGMENT (not node; an exact ring search over a
uniform grid of the segments' straight pieces, in numba; points beyond the maximum get their
distance from the same grid, searched by blocks of tiles): it enters
the graph between the segment's ends ``u`` and ``v`` at the fraction ``f`` of the segment where
the projection falls, so reaching ``v`` costs ``(1 − f)`` of the segment's length and reaching
``u`` costs ``f`` of its reverse length (where the mode may use that direction). On flat ground
(no DEM) the times split the same way. With a DEM the partial times follow the segment's terrain
pieces (those of :func:`planning.network.terrain.terrain_times`, at most ``TERRAIN_SAMPLE_M``
long, each at its own slope's Tobler or grade speed, direction-aware): reaching ``v`` costs the
forward time of the pieces between the point and ``v`` and reaching ``u`` the backward time of
the pieces between ``u`` and the point (the piece holding the point is cut at it), so the two
parts of a segment always add up to its whole time (``SnappedPoints.fwd_share`` and
``bwd_share``). The straight line from the point to the road is the access (or egress) leg; its
length is ``snap_distance_m``. It is walked at ``walk_speed_kph`` on flat ground; with a DEM at
Tobler's speed on the leg's slope (elevation of the point vs. elevation of its snapped position,
both bilinear from the DEM), so the leg to the road (``access_time_min``) and the leg from the
road (``egress_time_min``) differ on a slope. Points farther than ``max_snap_m`` from every usable
segment are kept and reported unreachable with the reason, never dropped and never given a time.

Walking and mixed trips snap to every walkable road; driving trips snap only to drivable roads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geopandas.array import GeometryArray
from pyproj import CRS

from planning._errors import CRSError, InputError
from planning.network._point_xy import point_xy
from planning.network._snapgrid import snap_grid
from planning.network.graph import MODES, RoadGraph
from planning.network.terrain import access_times, bilinear_elevation

__all__ = ["SnappedPoints", "snap_points", "snap_xy", "check_points", "check_arrays", "layer_arrays", "same_crs"]


@dataclass(frozen=True, eq=False)
class SnappedPoints:
    """Points placed on the road network of one mode.

    Attributes
    ----------
    ids : numpy.ndarray
        Point ids, in input order.
    mode : str
        Mode whose segments the points were snapped to.
    segment : numpy.ndarray
        Row in ``graph.segments(mode)`` (int64; -1 when not snapped).
    fraction : numpy.ndarray
        Position of the projection along the segment, 0 at ``u`` and 1 at ``v``.
    snap_distance_m : numpy.ndarray
        Straight-line distance from the point to the road (m).
    access_time_min : numpy.ndarray
        Time to walk from the point to the road (min): ``walk_speed_kph`` on flat ground,
        Tobler's speed on the leg's slope with a DEM.
    reason : numpy.ndarray
        Empty string for snapped points, else why the point is unreachable.
    x, y : numpy.ndarray
        Point coordinates.
    graph : RoadGraph
        The graph the points were snapped to.
    egress_time_min : numpy.ndarray
        Time to walk from the road to the point (min); the same array as ``access_time_min``
        without a DEM.
    fwd_share, bwd_share : numpy.ndarray
        Share of the segment's u → v time between ``u`` and the snapped position, and of its
        v → u time between the position and ``u`` (see
        :meth:`planning.network.graph.SegmentTable.time_shares`); the same array as
        ``fraction`` without a DEM.
    """

    ids: np.ndarray
    mode: str
    segment: np.ndarray
    fraction: np.ndarray
    snap_distance_m: np.ndarray
    access_time_min: np.ndarray
    reason: np.ndarray
    x: np.ndarray
    y: np.ndarray
    graph: RoadGraph
    egress_time_min: np.ndarray | None = None
    fwd_share: np.ndarray | None = None
    bwd_share: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.egress_time_min is None:
            object.__setattr__(self, "egress_time_min", self.access_time_min)
        if self.fwd_share is None:
            object.__setattr__(self, "fwd_share", self.fraction)
        if self.bwd_share is None:
            object.__setattr__(self, "bwd_share", self.fraction)

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of snapped points."""
        return self.segment >= 0

    def __len__(self) -> int:
        return int(self.ids.size)

    def to_frame(self) -> pd.DataFrame:
        """One row per point: ``id, segment, fraction, snap_distance_m, access_time_min,
        egress_time_min, reason``."""
        return pd.DataFrame({"id": self.ids, "segment": self.segment, "fraction": self.fraction,
                             "snap_distance_m": self.snap_distance_m, "access_time_min": self.access_time_min,
                             "egress_time_min": self.egress_time_min, "reason": self.reason})


def same_crs(a: Any, b: CRS) -> bool:
    """Whether CRS ``a`` (anything pyproj accepts) equals ``b``; results are remembered per
    pair of objects (``pyproj.CRS.equals`` costs about a millisecond)."""
    if a is b:
        return True
    key = (id(a), id(b))
    hit = _CRS_EQUAL.get(key)
    if hit is not None and hit[0] is a and hit[1] is b:
        return hit[2]
    equal = bool(CRS.from_user_input(a).equals(b))
    with _CRS_LOCK:
        if len(_CRS_EQUAL) >= 64:
            _CRS_EQUAL.clear()
        _CRS_EQUAL[key] = (a, b, equal)   # the objects are kept, so their ids are not reused
    return equal


_CRS_EQUAL: dict[tuple[int, int], tuple[Any, Any, bool]] = {}
_CRS_LOCK = threading.Lock()


def _column(frame: pd.DataFrame, name: Any) -> Any:
    """The array of a column, without building a Series (``frame[name]`` costs tens of µs)."""
    loc = frame.columns.get_loc(name)
    if isinstance(loc, (int, np.integer)) and hasattr(frame, "_get_column_array"):
        return frame._get_column_array(int(loc))
    return frame[name].array


def layer_arrays(points: gpd.GeoDataFrame, id_col: str, what: str) -> tuple[np.ndarray, Any, np.ndarray | None]:
    """Geometries (object array), CRS and ids (``None`` when the column is missing) of a layer,
    each read once.

    Raises
    ------
    InputError
        ``points`` is not a GeoDataFrame.
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise InputError(what, [f"expected a GeoDataFrame of points, got {type(points).__name__}"])
    name = points._geometry_column_name
    ga = _column(points, name) if name is not None and name in points.columns else None
    if not isinstance(ga, GeometryArray):
        ga = points.geometry.values            # raises geopandas' own error without a geometry column
    ids = None
    if id_col in points.columns:
        col = _column(points, id_col)
        ids = col.to_numpy() if hasattr(col, "to_numpy") else np.asarray(col)
    return np.asarray(ga, dtype=object), ga.crs, ids


def check_points(points: gpd.GeoDataFrame, crs: CRS, *, id_col: str, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a point layer; return its ids and coordinates.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points in ``crs`` with a unique id column.
    crs : pyproj.CRS
        CRS the points must be in.
    id_col : str
        Name of the id column.
    what : str
        Name of the layer in messages (``"origins"``).

    Returns
    -------
    ids, x, y : numpy.ndarray

    Raises
    ------
    CRSError
        Missing or different CRS.
    InputError
        Not a GeoDataFrame, missing id column, missing or duplicate ids, missing, empty or
        non-point geometries, points with NaN coordinates (every problem listed with 1-based
        row numbers).
    """
    geoms, points_crs, ids = layer_arrays(points, id_col, what)
    return check_arrays(geoms, points_crs, ids, crs, id_col=id_col, what=what,
                        columns=[c for c in points.columns if c != points._geometry_column_name])


def check_arrays(geoms: np.ndarray, points_crs: Any, ids: np.ndarray | None, crs: CRS, *, id_col: str, what: str,
                 columns: list, addresses: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`check_points` on the arrays of :func:`layer_arrays` (``columns``: the layer's
    non-geometry columns, for the message when the id column is missing; ``addresses``: the
    geometries' object addresses when the caller already read them).

    One compiled pass over the geometries (:func:`planning.network._point_xy.point_xy`; else
    one pass each of shapely's ``get_type_id``, ``get_x`` and ``get_y``) validates the common
    case; the slower checks that name each problem run only when something is wrong.
    """
    if points_crs is None:
        raise CRSError(what, [f"has no CRS; set it (e.g. .set_crs(...)) and project to {crs.to_string()}"])
    if not same_crs(points_crs, crs):
        raise CRSError(what, [f"CRS {CRS.from_user_input(points_crs).to_string()} differs from the road network "
                              f"CRS {crs.to_string()}; reproject with .to_crs(graph.crs)"])
    problems = []
    if ids is None:
        problems.append(f"id column {id_col!r} not found; columns are {columns}; pass id_col=<name>")
    else:
        if ids.dtype.kind not in "iub":
            null = np.flatnonzero(pd.isna(ids))
            if null.size:
                problems.append(f"{null.size} missing id(s) in column {id_col!r}, rows {(null[:10] + 1).tolist()}")
        if ids.dtype.kind in "iu" and (ids.size < 2 or bool((ids[1:] > ids[:-1]).all())):
            unique = True           # increasing integers (node ids, row numbers): no hashing
        else:                       # a set is cheaper than a pandas hash table for small layers
            unique = len(set(ids.tolist())) == ids.size if ids.size < 10_000 else pd.Index(ids).is_unique
        if not unique:
            ser = pd.Series(ids)
            dup = ser[ser.duplicated(keep=False) & ser.notna()]
            if len(dup):
                problems.append(f"duplicate ids in column {id_col!r}: {sorted(map(str, dup.unique()))[:10]}; "
                                "ids must be unique")
    fast = point_xy(geoms, addresses)       # one compiled pass; None unless all are plain Points without NaN
    if fast is not None:
        x, y = fast
        fine = True
    else:
        kinds = shapely.get_type_id(geoms)      # -1 for missing geometries
        try:
            x = shapely.get_x(geoms)             # NaN for missing and non-point geometries
            y = shapely.get_y(geoms)
            fine = not ((kinds != 0) | np.isnan(x) | np.isnan(y)).any()
        except shapely.errors.GEOSException:     # GEOS refuses the x of an empty point
            fine = False
    if not fine:
        kinds = shapely.get_type_id(geoms)
        missing = (kinds < 0) | shapely.is_empty(geoms)
        x = np.full(geoms.size, np.nan)
        y = np.full(geoms.size, np.nan)
        pt = np.flatnonzero(~missing & (kinds == 0))
        x[pt] = shapely.get_x(geoms[pt])
        y[pt] = shapely.get_y(geoms[pt])
        if missing.any():
            rows = np.flatnonzero(missing)
            problems.append(f"{rows.size} missing or empty geometries, rows {(rows[:10] + 1).tolist()}; give every "
                            "point its coordinates (in a CSV, numbers in the lon/lat or 经度/纬度 cells)")
        not_point = ~missing & (kinds != 0)
        if not_point.any():
            rows = np.flatnonzero(not_point)
            problems.append(f"{rows.size} geometries are not Points, rows {(rows[:10] + 1).tolist()}; "
                            "use .representative_point() for polygons")
        nan_xy = ~missing & (kinds == 0) & (np.isnan(x) | np.isnan(y))
        if nan_xy.any():
            rows = np.flatnonzero(nan_xy)
            problems.append(f"{rows.size} points with NaN coordinates, rows {(rows[:10] + 1).tolist()}")
    if problems:
        raise InputError(what, problems)
    return ids, x, y


def snap_points(graph: RoadGraph, points: gpd.GeoDataFrame, *, mode: str = "walk", id_col: str = "id",
                max_snap_m: float | None = None, walk_speed_kph: float | None = None,
                what: str = "points") -> SnappedPoints:
    """Snap points onto the nearest road segment usable by ``mode``.

    Parameters
    ----------
    graph : RoadGraph
        The road graph.
    points : geopandas.GeoDataFrame
        Points in ``graph.crs`` with a unique id column.
    mode : {"walk", "drive", "mixed"}
        Walk and mixed snap to walkable roads, drive to drivable roads.
    id_col : str
        Id column.
    max_snap_m : float, optional
        Farther points are unreachable (default ``graph.settings.max_snap_m``).
    walk_speed_kph : float, optional
        Speed of the access leg on flat ground (default ``graph.settings.walk_speed_kph``); with
        a DEM (``graph.dem``) scaled by Tobler's function on the leg's slope.
    what : str
        Layer name in error messages.

    Returns
    -------
    SnappedPoints

    Examples
    --------
    >>> import geopandas as gpd
    >>> import pandas as pd
    >>> from shapely.geometry import LineString, Point
    >>> from planning.county import RoadNetwork
    >>> nodes = gpd.GeoDataFrame({"x": [0.0, 1000.0], "y": [0.0, 0.0]},
    ...     geometry=[Point(0, 0), Point(1000, 0)], index=pd.Index([1, 2], name="node_id"), crs="EPSG:32650")
    >>> edges = gpd.GeoDataFrame({"u": [1], "v": [2], "length_m": [1000.0], "highway": ["path"]},
    ...     geometry=[LineString([(0, 0), (1000, 0)])], crs="EPSG:32650")
    >>> g = RoadGraph.from_network(RoadNetwork(nodes, edges))
    >>> pts = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(250, 30)], crs="EPSG:32650")
    >>> s = snap_points(g, pts, mode="walk")
    >>> float(s.fraction[0]), float(s.snap_distance_m[0])
    (0.25, 30.0)
    """
    if mode not in MODES:
        raise InputError("travel mode", [f"mode must be one of {', '.join(MODES)}; got {mode!r}"])
    ids, x, y = check_points(points, graph.crs, id_col=id_col, what=what)
    max_m = float(graph.settings.max_snap_m if max_snap_m is None else max_snap_m)
    speed = float(graph.settings.walk_speed_kph if walk_speed_kph is None else walk_speed_kph)
    return snap_xy(graph, ids, x, y, mode=mode, max_snap_m=max_m, walk_speed_kph=speed)


def snap_xy(graph: RoadGraph, ids: np.ndarray, x: np.ndarray, y: np.ndarray, *, mode: str, max_snap_m: float,
            walk_speed_kph: float) -> SnappedPoints:
    """:func:`snap_points` on validated ids and coordinates (see :func:`check_points`)."""
    max_m = float(max_snap_m)
    speed = float(walk_speed_kph)
    seg = graph.segments(mode)
    n = ids.size
    segment = np.full(n, -1, np.int64)
    fraction = np.full(n, np.nan)
    dist = np.full(n, np.nan)
    reason = np.empty(n, dtype=object)
    reason.fill("")
    if n and len(seg) == 0:
        kind = "drivable" if mode == "drive" else "walkable"
        reason[:] = f"no {kind} road in the network"
    elif n:
        grid = snap_grid(seg)
        segment, fraction, dist = grid.nearest(x, y, max_m)
        far = np.flatnonzero(segment < 0)
        if far.size:
            dist[far] = grid.far_distance(x[far], y[far])
            reason[far] = [f"snap distance {v:,.0f} m > max {max_m:,.0f} m" for v in dist[far]]
    if graph.dem is None:
        access = egress = dist * 0.06 / speed
    else:
        z_road = np.full(n, np.nan)
        ok = np.flatnonzero(segment >= 0)
        if ok.size:
            at = shapely.line_interpolate_point(seg.geometry[segment[ok]], fraction[ok], normalized=True)
            xy = shapely.get_coordinates(at)
            z_road[ok] = bilinear_elevation(graph.dem, xy[:, 0], xy[:, 1])
        z_point = bilinear_elevation(graph.dem, x, y)
        access, egress = access_times(dist, z_point, z_road, walk_speed_kph=speed)
    fwd_share, bwd_share = seg.time_shares(segment, fraction) if n and len(seg) else (fraction, fraction)
    return SnappedPoints(ids=ids, mode=mode, segment=segment, fraction=fraction, snap_distance_m=dist,
                         access_time_min=access, reason=reason, x=x, y=y, graph=graph, egress_time_min=egress,
                         fwd_share=fwd_share, bwd_share=bwd_share)
