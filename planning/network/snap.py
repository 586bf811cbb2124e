"""Snapping points (villages, facilities, population cells) onto the road network.

Each point is projected onto its nearest road SEGMENT (not node; an exact ring search over a
uniform grid of the segments' straight pieces, in numba; shapely's ``STRtree`` gives the
distance of points beyond the maximum): it enters
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

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planning._errors import CRSError, InputError
from planning.network._kernels import grid_snap
from planning.network.graph import MODES, RoadGraph
from planning.network.terrain import access_times, bilinear_elevation

__all__ = ["SnappedPoints", "snap_points", "check_points"]


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
        non-point geometries (every problem listed with 1-based row numbers).
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise InputError(what, [f"expected a GeoDataFrame of points, got {type(points).__name__}"])
    geometry = points.geometry
    points_crs = geometry.crs
    if points_crs is None:
        raise CRSError(what, [f"has no CRS; set it (e.g. .set_crs(...)) and project to {crs.to_string()}"])
    if points_crs is not crs and not CRS.from_user_input(points_crs).equals(crs):
        raise CRSError(what, [f"CRS {CRS.from_user_input(points_crs).to_string()} differs from the road network "
                              f"CRS {crs.to_string()}; reproject with .to_crs(graph.crs)"])
    problems = []
    ids = None
    if id_col not in points.columns:
        cols = [c for c in points.columns if c != points.geometry.name]
        problems.append(f"id column {id_col!r} not found; columns are {cols}; pass id_col=<name>")
    else:
        ids = points[id_col].to_numpy()
        null = np.flatnonzero(pd.isna(ids))
        if null.size:
            problems.append(f"{null.size} missing id(s) in column {id_col!r}, rows {(null[:10] + 1).tolist()}")
        if not pd.Index(ids).is_unique:
            ser = pd.Series(ids)
            dup = ser[ser.duplicated(keep=False) & ser.notna()]
            if len(dup):
                problems.append(f"duplicate ids in column {id_col!r}: {sorted(map(str, dup.unique()))[:10]}; "
                                "ids must be unique")
    geoms = np.asarray(geometry.values, dtype=object)
    kinds = shapely.get_type_id(geoms)          # -1 for missing geometries
    missing = (kinds < 0) | shapely.is_empty(geoms)
    if missing.any():
        rows = np.flatnonzero(missing)
        problems.append(f"{rows.size} missing or empty geometries, rows {(rows[:10] + 1).tolist()}")
    not_point = ~missing & (kinds != 0)
    if not_point.any():
        rows = np.flatnonzero(not_point)
        problems.append(f"{rows.size} geometries are not Points, rows {(rows[:10] + 1).tolist()}; "
                        "use .representative_point() for polygons")
    if problems:
        raise InputError(what, problems)
    return ids, shapely.get_x(geoms), shapely.get_y(geoms)


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
    seg = graph.segments(mode)
    n = ids.size
    segment = np.full(n, -1, np.int64)
    fraction = np.full(n, np.nan)
    dist = np.full(n, np.nan)
    reason = np.full(n, "", dtype=object)
    if n and len(seg) == 0:
        kind = "drivable" if mode == "drive" else "walkable"
        reason[:] = f"no {kind} road in the network"
    elif n:
        gr = seg.grid
        segment, fraction, dist = grid_snap(
            x, y, gr["cell_ptr"], gr["ent_xy"], gr["ent_piece"], gr["piece_seg"], gr["piece_off"], gr["piece_len"],
            gr["seg_len"], gr["x0"], gr["y0"], gr["cell"], gr["ncx"], gr["ncy"], max_m)
        far = np.flatnonzero(segment < 0)
        if far.size:
            pts = shapely.points(x[far], y[far])
            (inp2, _), d2 = seg.tree.query_nearest(pts, return_distance=True, all_matches=False)
            dist[far[inp2]] = d2
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
