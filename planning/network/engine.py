"""Travel-time engine: nearest facility, origin–destination tables, service areas.

Every trip is door to door:

1. the **access leg**, a straight line from the origin to its snapped position on the road
   (its length is ``snap_distance_m``), walked at ``walk_speed_kph`` on flat ground; with a
   DEM at Tobler's speed on the leg's own slope (origin elevation vs. the elevation of its
   snapped position), so walking down to the road and up from it differ;
2. the part of the snapped road segment up to one of its end nodes: that fraction of the
   segment's length; its time is that fraction of the segment's time on flat ground, and with
   a DEM the time of the segment's terrain pieces on that part (each piece at its own slope's
   Tobler or grade speed, direction-aware; the piece holding the point is cut at it), exactly
   as if the snapped position were a node splitting the segment;
3. the shortest path on the graph of the mode;
4. the part of the destination's segment and the **egress leg**, computed likewise (the egress
   leg from the road to the destination, with its own slope).

An origin and a destination on the same segment may also travel directly along it; an origin
and a destination at the very same coordinates are 0 min and 0 m apart.
``travel_time_min`` and ``distance_m`` include all four parts; ``distance_m`` counts the access
and egress legs at their straight-line length.

Modes
-----
``walk``
    Walk network (every non-motorway road, both directions, Tobler's function with a DEM).
``drive``
    Drivable roads only (one-way respected), points snapped to drivable roads, access and
    egress legs walked.
``mixed``
    Rural trips: walk from the origin to a road (on any walkable road or path), drive, then
    walk from the road to the destination. Points snap to the walk network. Implemented as a
    three-layer graph (walk → drive → walk, zero-cost switches at nodes on drivable roads; see
    :meth:`planning.network.graph.RoadGraph.mode_graph`), so the route chooses where to switch;
    a trip walked end to end is allowed too.

Metrics: ``metric="time"`` minimises travel time (``distance_m`` is then the length of the
fastest route); ``metric="distance"`` minimises road distance in metres (for the 10–20 km rules;
``travel_time_min`` is then the time of the shortest route). A cutoff is in minutes for time and
in metres for distance. Unreachable pairs are NaN; no sentinel value leaves the engine.
"""

from __future__ import annotations

import threading
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planning._errors import InputError
from planning.config import Settings, TravelSettings
from planning.network import _kernels
from planning.network._point_xy import object_addresses
from planning.network.graph import METRICS, MODES, RoadGraph, _travel_settings, group_ptr
from planning.network.snap import SnappedPoints, check_arrays, layer_arrays, same_crs, snap_points, snap_xy

__all__ = ["TravelEngine", "NEAREST_COLUMNS", "OD_COLUMNS"]

#: Columns of the nearest table.
NEAREST_COLUMNS: tuple[str, ...] = ("origin_id", "destination_id", "travel_time_min", "distance_m",
                                    "snap_distance_m", "reason")
#: Columns of the OD table.
OD_COLUMNS: tuple[str, ...] = ("origin_id", "destination_id", "travel_time_min", "distance_m")

Points = gpd.GeoDataFrame | SnappedPoints


def _check_mode_metric(mode: str, metric: str, cutoff: float | None) -> float:
    problems = []
    if mode not in MODES:
        problems.append(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    if metric not in METRICS:
        problems.append(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    limit = np.inf
    if cutoff is not None:
        try:
            limit = float(cutoff)
        except (TypeError, ValueError):
            limit = np.nan
        if not limit > 0:
            problems.append(f"cutoff must be a positive number (minutes for metric='time', metres for "
                            f"metric='distance') or None; got {cutoff!r}")
    if problems:
        raise InputError("travel query", problems)
    return limit


class TravelEngine:
    """Nearest facility, OD tables and service areas on a :class:`RoadGraph`.

    Parameters
    ----------
    graph : RoadGraph
        The road graph (impedances are fixed when it is built).
    settings : TravelSettings or Settings, optional
        Access-leg walking speed and ``max_snap_m``; defaults to the graph's settings.

    Examples
    --------
    A 2 km residential road, a village 100 m off it and a clinic at its far end:

    >>> import geopandas as gpd
    >>> import pandas as pd
    >>> from shapely.geometry import LineString, Point
    >>> from planning.county import RoadNetwork
    >>> crs = "EPSG:32650"
    >>> nodes = gpd.GeoDataFrame({"x": [0.0, 2000.0], "y": [0.0, 0.0]}, crs=crs,
    ...     geometry=[Point(0, 0), Point(2000, 0)], index=pd.Index([1, 2], name="node_id"))
    >>> edges = gpd.GeoDataFrame({"u": [1, 2], "v": [2, 1], "length_m": [2000.0, 2000.0],
    ...     "highway": ["residential"] * 2}, crs=crs,
    ...     geometry=[LineString([(0, 0), (2000, 0)]), LineString([(2000, 0), (0, 0)])])
    >>> engine = TravelEngine(RoadGraph.from_network(RoadNetwork(nodes, edges)))
    >>> village = gpd.GeoDataFrame({"id": ["v1"]}, geometry=[Point(0, 100)], crs=crs)
    >>> clinic = gpd.GeoDataFrame({"id": ["c1"]}, geometry=[Point(2000, 0)], crs=crs)
    >>> row = engine.nearest(village, clinic, mode="drive").iloc[0]
    >>> round(float(row.travel_time_min), 3), float(row.distance_m)  # 100 m walked + 2 km at 25 km/h
    (6.133, 2100.0)
    """

    #: Point layers whose snaps a query engine keeps (see :meth:`_snap_cached`).
    SNAP_CACHE_SIZE: int = 8

    def __init__(self, graph: RoadGraph, *, settings: TravelSettings | Settings | None = None) -> None:
        if not isinstance(graph, RoadGraph):
            raise InputError("travel engine", [f"expected a RoadGraph, got {type(graph).__name__}; "
                                               "use TravelEngine.from_county(county) or RoadGraph.from_network(roads)"])
        self.graph = graph
        self.settings = graph.settings if settings is None else _travel_settings(settings)
        self._snaps: list[tuple] = []
        self._snaps_lock = threading.Lock()

    @classmethod
    def from_county(cls, county: Any, *, settings: TravelSettings | Settings | None = None) -> TravelEngine:
        """Engine on a county's roads (and its DEM when ``settings.terrain``).

        Parameters
        ----------
        county : planning.county.County
            Loaded county.
        settings : TravelSettings or Settings, optional
            Speeds and snapping; defaults to ``TravelSettings()``.

        Returns
        -------
        TravelEngine
        """
        graph = RoadGraph.from_network(county.roads, dem=county.dem, settings=settings)
        return cls(graph, settings=settings)

    @property
    def crs(self) -> Any:
        """CRS of the graph; every input layer must be in it."""
        return self.graph.crs

    # ------------------------------------------------------------------ snapping
    def snap(self, points: gpd.GeoDataFrame, *, mode: str = "walk", id_col: str = "id",
             what: str = "points") -> SnappedPoints:
        """Snap points to the network of ``mode`` (reusable across queries).

        Parameters
        ----------
        points : geopandas.GeoDataFrame
            Points in the graph CRS with a unique id column.
        mode : {"walk", "drive", "mixed"}
            Mode whose roads the points snap to.
        id_col : str
            Id column.
        what : str
            Layer name in error messages.

        Returns
        -------
        SnappedPoints
        """
        return snap_points(self.graph, points, mode=mode, id_col=id_col, max_snap_m=self.settings.max_snap_m,
                           walk_speed_kph=self.settings.walk_speed_kph, what=what)

    def _prepare(self, points: Points, mode: str, id_col: str, what: str) -> SnappedPoints:
        if isinstance(points, SnappedPoints):
            problems = []
            if points.graph is not self.graph:
                problems.append("points were snapped on another road graph; snap them with this engine")
            if self.graph.segments(points.mode) is not self.graph.segments(mode):
                problems.append(f"points were snapped for mode {points.mode!r}, the query is mode {mode!r}; "
                                f"snap them with engine.snap(..., mode={mode!r})")
            if problems:
                raise InputError(what, problems)
            return points
        return self._snap_cached(points, mode, id_col, what)

    def _snap_cached(self, points: gpd.GeoDataFrame, mode: str, id_col: str, what: str) -> SnappedPoints:
        """Snapped points of a layer, reused while the layer holds the very same geometries.

        Shapely geometries are immutable, so a layer whose geometry column holds the same
        objects (compared by address, which cannot be reused while the cache holds them) and
        the same ids in the same CRS has the same snaps: the cached ones are returned. Any
        other layer is validated and snapped. At most :attr:`SNAP_CACHE_SIZE` layers are kept.
        """
        if mode not in MODES:
            raise InputError("travel mode", [f"mode must be one of {', '.join(MODES)}; got {mode!r}"])
        geoms, points_crs, ids = layer_arrays(points, id_col, what)     # each column read once
        seg = self.graph.segments(mode)
        addr = None
        if ids is not None and points_crs is not None:
            addr = object_addresses(geoms)
            with self._snaps_lock:
                for i, (c_seg, c_id_col, _, c_addr, c_ids, c_crs, sp) in enumerate(self._snaps):
                    if (c_seg is seg and c_id_col == id_col and c_addr.size == addr.size
                            and np.array_equal(c_addr, addr) and _same_ids(c_ids, ids)
                            and (points_crs is c_crs or same_crs(points_crs, c_crs))):
                        self._snaps.append(self._snaps.pop(i))   # most recently used last
                        return sp
        columns = [c for c in points.columns if c != points._geometry_column_name]
        ids, x, y = check_arrays(geoms, points_crs, ids, self.graph.crs, id_col=id_col, what=what, columns=columns,
                                 addresses=addr)
        sp = snap_xy(self.graph, ids, x, y, mode=mode, max_snap_m=self.settings.max_snap_m,
                     walk_speed_kph=self.settings.walk_speed_kph)
        with self._snaps_lock:
            self._snaps.append((seg, id_col, geoms.copy(), addr, ids.copy(), points_crs, sp))
            del self._snaps[:-self.SNAP_CACHE_SIZE]
        return sp

    def _legs(self, sp: SnappedPoints, metric: str, offset: int, *, leaving: bool
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Graph entry (``leaving=True``) or exit points of snapped points.

        Returns ``(point, node, c1, c2)``: the cost between the point and ``node`` (access leg
        plus the fraction of the segment), primary and secondary by ``metric``. Cached on the
        snapped points, so points snapped once are cheap to query again.
        """
        key = ("legs", metric, offset, leaving, id(self.graph))
        if key not in sp._cache:
            sp._cache[key] = self._compute_legs(sp, metric, offset, leaving=leaving)
        return sp._cache[key]

    def _compute_legs(self, sp: SnappedPoints, metric: str, offset: int, *, leaving: bool
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        seg = self.graph.segments(sp.mode)
        # time parts follow the time shares (= the fraction without a DEM), length parts the fraction
        f, sf, sb = sp.fraction, sp.fwd_share, sp.bwd_share
        walk_leg = sp.access_time_min if leaving else sp.egress_time_min
        if metric == "time":
            a1, a2 = walk_leg, sp.snap_distance_m
            fw1, fw2, bw1, bw2 = seg.fwd_time_min, seg.fwd_length_m, seg.bwd_time_min, seg.bwd_length_m
            f1f, f1b, f2f, f2b = sf, sb, f, f
        else:
            a1, a2 = sp.snap_distance_m, walk_leg
            fw1, fw2, bw1, bw2 = seg.fwd_length_m, seg.fwd_time_min, seg.bwd_length_m, seg.bwd_time_min
            f1f, f1b, f2f, f2b = f, f, sf, sb
        return _kernels.entry_legs(sp.segment, a1, a2, f1f, f1b, f2f, f2b, seg.u, seg.v, fw1, fw2, bw1, bw2,
                                   offset, leaving)

    # ------------------------------------------------------------------ nearest
    def nearest(self, origins: Points, destinations: Points, *, mode: str = "walk", metric: str = "time",
                cutoff: float | None = None, id_col: str = "id") -> pd.DataFrame:
        """Nearest destination of every origin, in one multi-source search.

        Parameters
        ----------
        origins, destinations : geopandas.GeoDataFrame or SnappedPoints
            Points in the graph CRS with a unique ``id_col`` (or points already snapped by
            :meth:`snap` for the same mode).
        mode : {"walk", "drive", "mixed"}
            Travel mode (see the module docstring).
        metric : {"time", "distance"}
            Minimise travel time or road distance.
        cutoff : float, optional
            Largest travel time (min) or distance (m) searched; origins beyond it are
            unreachable with that reason.
        id_col : str
            Id column of both layers.

        Returns
        -------
        pandas.DataFrame
            One row per origin, in input order: ``origin_id, destination_id, travel_time_min,
            distance_m, snap_distance_m, reason`` (reason empty when reachable; destination_id
            None and times NaN when not).

        Raises
        ------
        InputError
            Unknown mode or metric, bad cutoff, bad id column or geometries.
        CRSError
            A layer not in the graph CRS.

        Notes
        -----
        Implemented as one Dijkstra search on the reversed graph seeded at every destination's
        entry nodes (with their egress costs), recording for each node the nearest destination;
        each origin then takes the best of its two entry nodes (and of any destination on its
        own segment). One search for all origins together (a bucket queue swept in node order:
        ``_kernels.multi_source``).
        """
        limit = _check_mode_metric(mode, metric, cutoff)
        so = self._prepare(origins, mode, id_col, "origins")
        sd = self._prepare(destinations, mode, id_col, "destinations")
        n_o = len(so)
        start, end = self.graph.layer_offsets(mode)
        rev = self.graph.mode_graph(mode).reversed
        indptr, indices = rev.csr32
        dp, dn, d1, d2 = self._legs(sd, metric, end, leaving=False)
        c1, c2, lab = _kernels.multi_source(indptr, indices, rev.weights12(metric), dn, d1, d2, dp, limit,
                                             rev.buckets(metric))
        seg = self.graph.segments(mode)
        d_sorted, d_seg = _by_segment(sd)
        has_dest = _cached(sd, ("has_dest", len(seg)), lambda: _mask(len(seg), d_seg))
        o_acc, d_acc, fw, bw = _primary_secondary(so, sd, seg, metric)
        best_d, best_1, best_2 = _kernels.nearest_pick(
            n_o, seg.u, seg.v, start, c1, c2, lab, so.segment, so.fraction, so.fwd_share, so.bwd_share, o_acc[0], o_acc[1],
            so.x, so.y, d_sorted, d_seg, has_dest, sd.fraction, sd.fwd_share, sd.bwd_share, d_acc[0], d_acc[1], sd.x, sd.y,
            fw[0], fw[1], bw[0], bw[1], metric == "time", limit)
        unreached = so.ok & (best_d < 0)
        reason = so.reason.copy()        # the table owns its column (the snaps are cached)
        if unreached.any():
            reason[unreached] = self._why_unreached(sd, mode, metric, cutoff)
        reason = _str_array(reason)
        # ids as objects with None at the end, so that -1 (unreached) takes None
        dest_id = _cached(sd, ("ids_or_none",), lambda: np.append(sd.ids.astype(object), None))[best_d]
        time, dist = (best_1, best_2) if metric == "time" else (best_2, best_1)
        # the table owns its columns: the snaps' arrays are cached and _frame does not copy
        return _frame(_NEAREST_INDEX, [so.ids.copy(), dest_id, time, dist, so.snap_distance_m.copy(), reason])

    @staticmethod
    def _why_unreached(sd: SnappedPoints, mode: str, metric: str, cutoff: float | None) -> str:
        if len(sd) == 0:
            return "no destinations given"
        if not sd.ok.any():
            return f"no destination lies within the maximum snap distance of the {mode} network"
        if cutoff is not None:
            unit = "min" if metric == "time" else "m"
            return f"no destination within cutoff {cutoff:,g} {unit} on the {mode} network"
        return f"no destination reachable on the {mode} network (separate road component or one-way dead end)"

    # ------------------------------------------------------------------ od
    def od(self, origins: Points, destinations: Points, *, mode: str = "walk", metric: str = "time",
           cutoff: float | None = None, id_col: str = "id") -> pd.DataFrame:
        """Origin–destination table (long), one search per origin.

        Parameters
        ----------
        origins, destinations : geopandas.GeoDataFrame or SnappedPoints
            Points in the graph CRS with a unique ``id_col``.
        mode : {"walk", "drive", "mixed"}
            Travel mode.
        metric : {"time", "distance"}
            Minimise travel time or road distance.
        cutoff : float, optional
            Largest travel time (min) or distance (m); pairs beyond it (and unreachable pairs)
            are omitted. Without a cutoff every pair is present, NaN when unreachable.
        id_col : str
            Id column of both layers.

        Returns
        -------
        pandas.DataFrame
            ``origin_id, destination_id, travel_time_min, distance_m``, sorted by origin then
            destination (input order).

        Notes
        -----
        Each origin's search stops at the cutoff or as soon as every node next to a
        destination is settled; only reached pairs are stored, so memory grows with the
        reached pairs, not with origins × nodes.
        """
        limit = _check_mode_metric(mode, metric, cutoff)
        so = self._prepare(origins, mode, id_col, "origins")
        sd = self._prepare(destinations, mode, id_col, "destinations")
        n_o, n_d = len(so), len(sd)
        g = self.graph.mode_graph(mode)
        start, end = self.graph.layer_offsets(mode)
        indptr, indices = g.csr32
        # the kernel's inputs are cached on the snapped points (origin seeds, destination
        # entries, and the direct trips of the last destination layer queried)
        sources = _cached(so, ("od_sources", metric, start, id(self.graph)),
                          lambda: self._od_sources(so, metric, start))
        targets = _cached(sd, ("od_targets", metric, end, id(self.graph)),
                          lambda: self._od_targets(sd, metric, end, g.n_nodes))
        key = ("od_direct", metric, id(self.graph))
        last = so._cache.get(key)
        if last is None or last[0] is not sd:
            last = so._cache[key] = (sd, self._od_direct(so, sd, metric))
        counts, rd, r1, r2, m = _kernels.one_to_many(indptr, indices, g.weights12(metric), *sources, *targets, n_d, limit,
                                                     direct=last[1])
        rd, r1, r2 = rd[:m], r1[:m], r2[:m]
        if cutoff is None:
            full1 = np.full(n_o * n_d, np.nan)
            full2 = np.full(n_o * n_d, np.nan)
            key = np.repeat(np.arange(n_o, dtype=np.int64) * n_d, counts) + rd
            full1[key] = r1
            full2[key] = r2
            counts = np.full(n_o, n_d, np.int64)
            rd = np.tile(np.arange(n_d, dtype=np.int64), n_o)
            r1, r2 = full1, full2
        time, dist = (r1, r2) if metric == "time" else (r2, r1)
        return _frame(_OD_INDEX, [np.repeat(so.ids, counts), sd.ids[rd], time, dist])

    def _od_sources(self, so: SnappedPoints, metric: str, start: int) -> tuple[np.ndarray, ...]:
        """Seeds of the OD kernel, origin by origin: ``(src_ptr, node, c1, c2)``."""
        op, on, o1, o2 = self._legs(so, metric, start, leaving=True)
        order = np.argsort(op, kind="stable")
        src_ptr = group_ptr(op, len(so))
        return src_ptr, on[order], o1[order], o2[order]

    def _od_targets(self, sd: SnappedPoints, metric: str, end: int, n_nodes: int) -> tuple[np.ndarray, ...]:
        """Destination entries of the OD kernel, node by node: ``(tgt_ptr, dest, c1, c2, rank)``."""
        dp, dn, d1, d2 = self._legs(sd, metric, end, leaving=False)
        t_order = np.argsort(dn, kind="stable")
        tgt_ptr = group_ptr(dn, n_nodes)
        return tgt_ptr, dp[t_order], d1[t_order], d2[t_order], t_order

    def _od_direct(self, so: SnappedPoints, sd: SnappedPoints, metric: str) -> tuple[np.ndarray, ...]:
        """Same-segment trips by origin, destinations ascending: ``(dir_ptr, dest, c1, c2)``."""
        seg = self.graph.segments(so.mode)
        d_sorted, d_seg = _by_segment(sd)
        o_acc, d_acc, fw, bw = _primary_secondary(so, sd, seg, metric)
        return _kernels.direct_trips(so.segment, so.fraction, so.fwd_share, so.bwd_share, o_acc[0], o_acc[1], so.x,
                                     so.y, d_sorted, d_seg, sd.fraction, sd.fwd_share, sd.bwd_share, d_acc[0], d_acc[1],
                                     sd.x, sd.y, fw[0], fw[1], bw[0], bw[1], metric == "time")

    # ------------------------------------------------------------------ service areas
    def service_areas(self, facilities: Points, *, mode: str = "walk", breaks: tuple[float, ...] = (5, 10, 15),
                      metric: str = "time", dissolve_by: str | None = None, id_col: str = "id",
                      tolerance_m: float = 25.0) -> gpd.GeoDataFrame:
        """Service-area polygons (isochrones) from the reached road network.

        Parameters
        ----------
        facilities : geopandas.GeoDataFrame or SnappedPoints
            Facility points in the graph CRS with a unique ``id_col`` (a GeoDataFrame when
            ``dissolve_by`` is given).
        mode : {"walk", "drive", "mixed"}
            Travel mode; areas are measured TOWARDS the facility (the trip a resident makes).
        breaks : sequence of float
            Budgets, minutes for ``metric="time"`` (e.g. 5/10/15) or metres for
            ``metric="distance"`` (e.g. 10000/15000/20000).
        metric : {"time", "distance"}
            Budget unit.
        dissolve_by : str, optional
            Facility column (e.g. ``"kind"``): one area per value from all its facilities
            together, instead of one per facility.
        id_col : str
            Id column.
        tolerance_m : float
            Buffer around the reached roads: the polygon contains every road point reachable
            within the budget and nothing farther than ``tolerance_m`` from one.

        Returns
        -------
        geopandas.GeoDataFrame
            ``facility_id`` (or the ``dissolve_by`` column), ``break``, ``metric``, geometry
            (Polygon or MultiPolygon in the graph CRS; empty when the facility is beyond the
            maximum snap distance). Ordered by facility (or key) then break.

        Notes
        -----
        See :mod:`planning.network.isochrones`: each road segment is cut at the exact fraction
        where the budget runs out; the polygon is not a convex or concave hull of nodes.
        """
        from planning.network.isochrones import budget_polygon, reached_pieces

        _check_mode_metric(mode, metric, None)
        problems = []
        try:
            budgets = sorted({float(b) for b in breaks})
        except (TypeError, ValueError):
            budgets = []
        if not budgets or not all(b > 0 for b in budgets):
            problems.append(f"breaks must be positive numbers (minutes or metres); got {breaks!r}")
        if not tolerance_m > 0:
            problems.append(f"tolerance_m must be > 0; got {tolerance_m!r}")
        if dissolve_by is not None and (not isinstance(facilities, gpd.GeoDataFrame)
                                        or dissolve_by not in facilities.columns):
            cols = list(facilities.columns) if isinstance(facilities, gpd.GeoDataFrame) else []
            problems.append(f"dissolve_by column {dissolve_by!r} not found among the facility columns {cols}")
        if problems:
            raise InputError("service areas", problems)
        sf = self._prepare(facilities, mode, id_col, "facilities")
        if dissolve_by is None:
            key_col = "facility_id"
            keys = list(sf.ids)
            members = [np.array([i]) for i in range(len(sf))]
        else:
            key_col = dissolve_by
            values = facilities[dissolve_by].to_numpy()
            keys = sorted(pd.unique(values), key=str)
            members = [np.flatnonzero(values == k) for k in keys]
        graph = self.graph
        n = graph.n_nodes
        start, end = graph.layer_offsets(mode)
        rev = graph.mode_graph(mode).reversed
        indptr, indices = rev.csr32
        w12 = rev.weights12(metric)
        buckets = rev.buckets(metric)
        seg = graph.segments(mode)
        dp, dn, d1, d2 = self._legs(sf, metric, end, leaving=False)
        egress = sf.egress_time_min if metric == "time" else sf.snap_distance_m
        snap_xy = np.full((len(sf), 2), np.nan)
        ok = np.flatnonzero(sf.ok)
        if ok.size:
            snap_pts = shapely.line_interpolate_point(seg.geometry[sf.segment[ok]], sf.fraction[ok], normalized=True)
            snap_xy[ok] = shapely.get_coordinates(snap_pts)
        rows, geoms = [], []
        for key, mem in zip(keys, members):
            mem = mem[sf.ok[mem]]
            sel = np.isin(dp, mem)
            c1, _, _ = _kernels.multi_source(indptr, indices, w12, dn[sel], d1[sel], d2[sel], dp[sel],
                                             budgets[-1], buckets)
            c_node = c1[start:start + n]
            on_seg = (sf.segment[mem], sf.fraction[mem], egress[mem], sf.fwd_share[mem], sf.bwd_share[mem])
            for budget in budgets:
                pieces = reached_pieces(seg, c_node, budget, metric=metric, on_segment=on_seg)
                reached = np.flatnonzero(c_node <= budget)
                points = [shapely.multipoints(np.stack([graph.x[reached], graph.y[reached]], 1))] if reached.size else []
                for i in mem:
                    if egress[i] <= budget:
                        points.append(shapely.linestrings([[sf.x[i], sf.y[i]], snap_xy[i]]))
                rows.append({key_col: key, "break": budget, "metric": metric})
                geoms.append(budget_polygon(pieces, points, tolerance_m=tolerance_m))
        out = gpd.GeoDataFrame(rows, columns=[key_col, "break", "metric"], geometry=geoms, crs=graph.crs)
        return out


def _same_ids(cached: np.ndarray, ids: np.ndarray) -> bool:
    """Whether two id arrays hold the same ids (object ids: the same objects)."""
    if cached.dtype != ids.dtype or cached.shape != ids.shape:
        return False
    if ids.dtype == object:
        return bool(np.array_equal(object_addresses(cached), object_addresses(ids)))
    return bool(np.array_equal(cached, ids))


def _frame(columns: pd.Index, arrays: list) -> pd.DataFrame:
    """``pd.DataFrame(dict(zip(columns, arrays)), copy=False)`` with the same columns and dtypes
    (object columns inferred by pandas' own ``sanitize_array``, as the constructor does), built
    from the arrays directly, one block per column: the constructor's dict handling costs more
    than the whole nearest search on a county graph, and consolidating the float columns into
    one block (as ``DataFrame._from_arrays`` does) copies them, a cost that grows with the rows
    (``python -m benchmarks.profile_nearest`` shows this function's share of a cold call)."""
    if _FAST_FRAME:
        n = len(arrays[0])
        arrays = [sanitize_array(a, None, copy=False) if isinstance(a, np.ndarray) and a.dtype == object else a
                  for a in arrays]
        mgr = arrays_to_mgr(arrays, columns, pd.RangeIndex(n), verify_integrity=False, consolidate=False)
        return pd.DataFrame._from_mgr(mgr, axes=mgr.axes)
    return pd.DataFrame(dict(zip(columns, arrays)), columns=columns, copy=False)


try:
    from pandas.core.construction import sanitize_array
    from pandas.core.internals.construction import arrays_to_mgr
    _FAST_FRAME = hasattr(pd.DataFrame, "_from_mgr")
except ImportError:                      # another pandas layout: the public constructor
    _FAST_FRAME = False
#: Column index of the nearest table (built once: a 6-string Index costs ~30 µs).
_NEAREST_INDEX = pd.Index(list(NEAREST_COLUMNS))
#: Column index of the OD table.
_OD_INDEX = pd.Index(list(OD_COLUMNS))


def _str_array(values: np.ndarray) -> Any:
    """pandas ``str`` array of an object array that holds only ``str``, without the element by
    element validation of ``pd.array(values, dtype="str")`` (4 ms for 200k reasons) where
    pandas stores strings as Python objects; ``values`` is taken over, not copied."""
    if _STR_CLASS is not None:
        return _STR_CLASS._simple_new(values, _STR_DTYPE)
    return pd.array(values, dtype="str")


_STR_SAMPLE = pd.array(np.array([""], dtype=object), dtype="str")
_STR_DTYPE = _STR_SAMPLE.dtype
#: The python-object string array class, when ``str`` is stored that way (else ``None``).
_STR_CLASS = (type(_STR_SAMPLE) if type(_STR_SAMPLE) is pd.arrays.StringArray and hasattr(pd.arrays.StringArray, "_simple_new")
              and isinstance(_STR_SAMPLE._ndarray, np.ndarray) and _STR_SAMPLE._ndarray.dtype == object else None)


def _cached(sp: SnappedPoints, key: tuple, make: Any) -> Any:
    """``sp._cache[key]``, computed by ``make()`` the first time."""
    if key not in sp._cache:
        sp._cache[key] = make()
    return sp._cache[key]


def _mask(n: int, rows: np.ndarray) -> np.ndarray:
    """Boolean array of length ``n``, true at ``rows``."""
    out = np.zeros(n, bool)
    out[rows] = True
    return out


def _by_segment(sp: SnappedPoints) -> tuple[np.ndarray, np.ndarray]:
    """Snapped points ordered by segment (stable) and their segments (cached on ``sp``)."""
    key = ("by_segment",)
    if key not in sp._cache:
        idx = np.flatnonzero(sp.ok)
        order = idx[np.argsort(sp.segment[idx], kind="stable")]
        sp._cache[key] = (order, sp.segment[order])
    return sp._cache[key]


def _primary_secondary(so: SnappedPoints, sd: SnappedPoints, seg: Any, metric: str) -> tuple[tuple, ...]:
    """Access legs of the origins, egress legs of the destinations, and the segments' weights
    along and against them, each as (primary, secondary): (time, length) for ``metric="time"``,
    (length, time) for ``"distance"``."""
    if metric == "time":
        return ((so.access_time_min, so.snap_distance_m), (sd.egress_time_min, sd.snap_distance_m),
                (seg.fwd_time_min, seg.fwd_length_m), (seg.bwd_time_min, seg.bwd_length_m))
    return ((so.snap_distance_m, so.access_time_min), (sd.snap_distance_m, sd.egress_time_min),
            (seg.fwd_length_m, seg.fwd_time_min), (seg.bwd_length_m, seg.bwd_time_min))
