"""Road graph with named impedances: walking and driving time (min) and length (m) per arc.

:class:`RoadGraph` turns a :class:`planning.county.RoadNetwork` (osmnx convention) into compact
integer nodes ``0..n-1`` and, per mode, a directed graph in CSR form:

``walk``
    Every edge except motorways (:data:`planning.schema.NO_WALK_HIGHWAYS`), usable in both
    directions whatever its ``oneway`` tag. Flat walking speed ``walk_speed_kph``; with a DEM,
    Tobler's hiking function on each sampled segment (uphill and downhill differ).
``drive``
    Edges whose ``highway`` class has a driving speed in ``settings.drive_speed_kph`` (classes
    of :data:`planning.schema.WALK_ONLY_HIGHWAYS` and classes without a speed are not
    drivable), only in the directions present in the edge table (one-way roads appear once).
    ``maxspeed_kph`` overrides the class speed. With a DEM, speed is reduced on steep grades
    (see :func:`grade_speed_factor`).

Parallel arcs between the same two nodes are collapsed per mode: the fastest one is kept for
``metric="time"`` (with its length) and the shortest one for ``metric="distance"`` (with its
time), so both metrics are exact shortest paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planning._errors import CRSError, InputError
from planning.config import Settings, TravelSettings
from planning.county import Raster, RoadNetwork
from planning.network._kernels import bucket_width, transpose_csr
from planning.network.terrain import (
    TERRAIN_SAMPLE_M,
    grade_speed_factor,
    piece_times,
    terrain_pieces,
    terrain_times,
    tobler_speed_kph,
)
from planning.schema import NO_WALK_HIGHWAYS, ROAD_CLASS_ZH, WALK_ONLY_HIGHWAYS

__all__ = [
    "RoadGraph",
    "ModeGraph",
    "SegmentTable",
    "MODES",
    "METRICS",
    "tobler_speed_kph",
    "grade_speed_factor",
    "TERRAIN_SAMPLE_M",
]

#: Travel modes of the engine.
MODES: tuple[str, ...] = ("walk", "drive", "mixed")
#: Network metrics: minimise travel time (minutes) or road distance (metres).
METRICS: tuple[str, ...] = ("time", "distance")
_MIN_PER_KPH_M = 0.06  # minutes to cover 1 m at 1 km/h: 60 / 1000


def _travel_settings(settings: TravelSettings | Settings | None) -> TravelSettings:
    if settings is None:
        return TravelSettings()
    if isinstance(settings, Settings):
        return settings.travel
    if isinstance(settings, TravelSettings):
        return settings
    raise InputError("settings", [f"expected TravelSettings or Settings, got {type(settings).__name__}"])


@dataclass(frozen=True)
class ModeGraph:
    """Directed graph of one mode in CSR form, with both metrics.

    Attributes
    ----------
    indptr, indices : numpy.ndarray
        CSR structure (int64): arcs of node ``i`` go to ``indices[indptr[i]:indptr[i+1]]``.
    time_min, time_length_m : numpy.ndarray
        Time of the fastest arc between each node pair and that arc's length.
    length_m, length_time_min : numpy.ndarray
        Length of the shortest arc between each node pair and that arc's time.
    """

    indptr: np.ndarray
    indices: np.ndarray
    time_min: np.ndarray
    time_length_m: np.ndarray
    length_m: np.ndarray
    length_time_min: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.indptr.size - 1)

    @property
    def n_arcs(self) -> int:
        """Number of arcs (after collapsing parallel arcs)."""
        return int(self.indices.size)

    def weights(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(primary, secondary) arc weights for ``metric`` ("time" or "distance")."""
        if metric == "time":
            return self.time_min, self.time_length_m
        return self.length_m, self.length_time_min

    def weights12(self, metric: str) -> np.ndarray:
        """(primary, secondary) arc weights for ``metric`` interleaved, shape (arcs, 2), cached."""
        cache = self._w12
        if metric not in cache:
            w1, w2 = self.weights(metric)
            cache[metric] = np.ascontiguousarray(np.stack([w1, w2], axis=1))
        return cache[metric]

    @cached_property
    def _w12(self) -> dict[str, np.ndarray]:
        return {}

    def buckets(self, metric: str) -> tuple[float, int]:
        """Bucket width and window size of the multi-source search for ``metric``, cached
        (see ``_kernels.bucket_width``)."""
        cache = self._buckets
        if metric not in cache:
            cache[metric] = bucket_width(self.weights(metric)[0])
        return cache[metric]

    @cached_property
    def _buckets(self) -> dict[str, tuple[float, int]]:
        return {}

    @cached_property
    def csr32(self) -> tuple[np.ndarray, np.ndarray]:
        """``(indptr, indices)`` as int32 for the search kernels (half the memory traffic of
        int64; int64 is kept when the graph has 2³¹ arcs or more)."""
        if self.indices.size < 2**31 - 1:
            return self.indptr.astype(np.int32), self.indices.astype(np.int32)
        return self.indptr, self.indices

    @cached_property
    def reversed(self) -> ModeGraph:
        """The same graph with every arc reversed (for searches towards destinations)."""
        return ModeGraph(*transpose_csr(self.indptr, self.indices, self.time_min, self.time_length_m,
                                        self.length_m, self.length_time_min))

    def to_scipy(self, metric: str = "time") -> Any:
        """The primary weights as a ``scipy.sparse.csr_array`` (zero-weight arcs get 1e-12,
        since scipy.sparse.csgraph reads explicit zeros as missing arcs)."""
        from scipy.sparse import csr_array

        w = self.weights(metric)[0]
        w = np.where(w > 0, w, 1e-12)
        return csr_array((w, self.indices, self.indptr), shape=(self.n_nodes, self.n_nodes))


def group_ptr(keys: np.ndarray, n: int) -> np.ndarray:
    """Start offsets (int64, ``n + 1``) of groups ``0 .. n-1`` in an array sorted by ``keys``
    (the ``indptr`` of a CSR structure whose row of each element is its key)."""
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    return ptr


def _build_mode_graph(n: int, tail: np.ndarray, head: np.ndarray, t_min: np.ndarray,
                      l_m: np.ndarray) -> ModeGraph:
    """CSR graph from arcs; parallel arcs collapsed (fastest for time, shortest for distance)."""
    keep = tail != head  # self-loops never lie on a shortest path
    tail, head, t_min, l_m = tail[keep], head[keep], t_min[keep], l_m[keep]
    by_time = np.lexsort((l_m, t_min, head, tail))
    by_len = np.lexsort((t_min, l_m, head, tail))
    key_t = tail[by_time] * n + head[by_time]
    first = np.ones(key_t.size, bool)
    first[1:] = key_t[1:] != key_t[:-1]
    sel_t = by_time[first]
    key_l = tail[by_len] * n + head[by_len]
    first_l = np.ones(key_l.size, bool)
    first_l[1:] = key_l[1:] != key_l[:-1]
    sel_l = by_len[first_l]
    indptr = group_ptr(tail[sel_t], n)
    return ModeGraph(
        indptr=indptr,
        indices=head[sel_t].astype(np.int64),
        time_min=t_min[sel_t].astype(float),
        time_length_m=l_m[sel_t].astype(float),
        length_m=l_m[sel_l].astype(float),
        length_time_min=t_min[sel_l].astype(float),
    )


@dataclass(frozen=True)
class SegmentTable:
    """Road segments that points can snap to, for one mode.

    Each two-way road appears once (its twin row in the other direction is folded in); one-way
    roads appear in their direction of travel. For a point at fraction ``f`` of a segment from
    ``u`` to ``v``, reaching ``v`` costs ``(1 − f) · fwd`` and reaching ``u`` costs ``f · bwd``
    (NaN where that direction is closed to the mode) in length; in time, ``f`` is replaced by
    the share of the segment's time spent between ``u`` and the point (:meth:`time_shares`),
    which is ``f`` on flat ground and follows the per-piece Tobler / grade times of
    :func:`planning.network.terrain.terrain_times` with a DEM.

    Attributes
    ----------
    geometry : numpy.ndarray of shapely.LineString
    u, v : numpy.ndarray
        Compact node indices of the segment's ends.
    fwd_time_min, fwd_length_m, bwd_time_min, bwd_length_m : numpy.ndarray
        Travel time and length from u to v and from v to u (NaN when closed).
    profile_ptr, profile_pos, profile_fwd, profile_bwd : numpy.ndarray or None
        With a DEM only: the terrain pieces of segment ``s`` are ``profile_ptr[s]:profile_ptr[s+1]``
        (in order from ``u``); per piece, its end as a fraction of the segment's length, and the
        share of the segment's u → v time (``profile_fwd``) and of its v → u time
        (``profile_bwd``) spent between ``u`` and that end.
    """

    geometry: np.ndarray
    u: np.ndarray
    v: np.ndarray
    fwd_time_min: np.ndarray
    fwd_length_m: np.ndarray
    bwd_time_min: np.ndarray
    bwd_length_m: np.ndarray
    profile_ptr: np.ndarray | None = None
    profile_pos: np.ndarray | None = None
    profile_fwd: np.ndarray | None = None
    profile_bwd: np.ndarray | None = None

    def time_shares(self, segment: np.ndarray, fraction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Shares of the u → v and v → u times of ``segment`` spent between ``u`` and ``fraction``.

        Parameters
        ----------
        segment : numpy.ndarray
            Segment rows (int64; -1 gives NaN).
        fraction : numpy.ndarray
            Positions along the segments as fractions of their length.

        Returns
        -------
        fwd_share, bwd_share : numpy.ndarray
            The time from ``u`` to the position is ``fwd_share · fwd_time_min`` and from the
            position back to ``u`` is ``bwd_share · bwd_time_min``; so the time from the
            position to ``v`` is ``(1 − fwd_share) · fwd_time_min``. Without a DEM both are
            ``fraction`` itself (the same array). With a DEM they follow the segment's terrain
            pieces, each walked (driven) at its own slope's speed: exactly 0 at ``u`` and 1 at ``v``.
        """
        if self.profile_ptr is None:
            return fraction, fraction
        from planning.network._kernels import profile_share

        seg = np.asarray(segment, dtype=np.int64)
        frac = np.asarray(fraction, dtype=float)
        return (profile_share(self.profile_ptr, self.profile_pos, self.profile_fwd, seg, frac),
                profile_share(self.profile_ptr, self.profile_pos, self.profile_bwd, seg, frac))

    def time_fractions(self, segment: np.ndarray, share: np.ndarray, *, forward: bool) -> np.ndarray:
        """Inverse of :meth:`time_shares`: the fraction of length where a time share is reached.

        Parameters
        ----------
        segment : numpy.ndarray
            Segment rows (int64, all ≥ 0).
        share : numpy.ndarray
            Share of the u → v time (``forward=True``) or of the v → u time, counted from ``u``.
        forward : bool
            Which direction's time.

        Returns
        -------
        numpy.ndarray
            The fraction (``share`` itself without a DEM); clipped to [0, 1].
        """
        share = np.asarray(share, dtype=float)
        if self.profile_ptr is None:
            return np.clip(share, 0.0, 1.0)
        from planning.network._kernels import profile_fraction

        prof = self.profile_fwd if forward else self.profile_bwd
        return profile_fraction(self.profile_ptr, self.profile_pos, prof, np.asarray(segment, dtype=np.int64), share)

    def __len__(self) -> int:
        return int(self.u.size)


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """Road network as compact integer graphs with walking and driving impedances.

    Build with :meth:`from_network`. Node ``i`` is ``node_ids[i]`` of the source network at
    ``(x[i], y[i])`` in ``crs``.

    Attributes
    ----------
    node_ids : numpy.ndarray
        Source node ids (int64), position = compact index.
    x, y : numpy.ndarray
        Node coordinates (CRS units, metres).
    crs : pyproj.CRS
        Projected CRS of the network.
    walk, drive : ModeGraph
        Directed graphs of each mode.
    segments_walk, segments_drive : SegmentTable
        Snapping targets of each mode.
    drivable_node : numpy.ndarray of bool
        Nodes touched by at least one drivable arc (where a walker can switch to a vehicle).
    settings : TravelSettings
        Settings the impedances were computed with.
    terrain : bool
        Whether a DEM was used.
    dem : planning.county.Raster or None
        The DEM when it was used (access legs are walked on its slopes).
    """

    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: CRS
    walk: ModeGraph
    drive: ModeGraph
    segments_walk: SegmentTable
    segments_drive: SegmentTable
    drivable_node: np.ndarray
    settings: TravelSettings
    terrain: bool = False
    dem: Raster | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.size)

    def mode_graph(self, mode: str) -> ModeGraph:
        """Graph of ``mode``; ``"mixed"`` is the three-layer walk → drive → walk graph.

        Mixed mode has ``3 · n`` nodes: layer 0 (nodes ``0..n-1``) walks, layer 1 (``n..2n-1``)
        drives, layer 2 (``2n..3n-1``) walks again. Zero-cost transfers go from layer 0 to
        layer 1 and from layer 1 to layer 2 at every node touched by a drivable road, and from
        layer 0 straight to layer 2 at every node (a trip may be walked end to end). A route
        therefore walks from the origin to a road, drives, and walks on to the destination.
        """
        if mode == "walk":
            return self.walk
        if mode == "drive":
            return self.drive
        if mode == "mixed":
            if "mixed" not in self._cache:
                self._cache["mixed"] = self._mixed_graph()
            return self._cache["mixed"]
        raise InputError("travel mode", [f"mode must be one of {', '.join(MODES)}; got {mode!r}"])

    def segments(self, mode: str) -> SegmentTable:
        """Snapping targets of ``mode`` (mixed snaps to the walk network)."""
        if mode == "drive":
            return self.segments_drive
        if mode in ("walk", "mixed"):
            return self.segments_walk
        raise InputError("travel mode", [f"mode must be one of {', '.join(MODES)}; got {mode!r}"])

    def _mixed_graph(self) -> ModeGraph:
        n = self.n_nodes
        parts = []
        for offset, g in ((0, self.walk), (n, self.drive), (2 * n, self.walk)):
            tails = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr)) + offset
            parts.append((tails, g.indices + offset, g.time_min, g.time_length_m, g.length_m, g.length_time_min))
        car = np.flatnonzero(self.drivable_node).astype(np.int64)
        every = np.arange(n, dtype=np.int64)
        for tails, heads in ((car, car + n), (car + n, car + 2 * n), (every, every + 2 * n)):
            z = np.zeros(tails.size)
            parts.append((tails, heads, z, z, z, z))
        cols = [np.concatenate([p[i] for p in parts]) for i in range(6)]
        order = np.lexsort((cols[1], cols[0]))
        cols = [c[order] for c in cols]
        indptr = group_ptr(cols[0], 3 * n)
        return ModeGraph(indptr, cols[1], cols[2], cols[3], cols[4], cols[5])

    def layer_offsets(self, mode: str) -> tuple[int, int]:
        """Node offsets where trips of ``mode`` start and end (mixed: layer 0 and layer 2)."""
        if mode == "mixed":
            return 0, 2 * self.n_nodes
        return 0, 0

    @classmethod
    def from_network(cls, roads: RoadNetwork, *, dem: Raster | None = None,
                     settings: TravelSettings | Settings | None = None) -> RoadGraph:
        """Build the walk and drive graphs of a road network.

        Parameters
        ----------
        roads : planning.county.RoadNetwork
            Directed network (osmnx convention) in a projected metric CRS.
        dem : planning.county.Raster, optional
            Elevation (m) in the same CRS; used when ``settings.terrain`` is true. Elevation is
            sampled (bilinear) at every vertex of each edge and at most every
            :data:`TERRAIN_SAMPLE_M` metres between them.
        settings : TravelSettings or Settings, optional
            Speeds, terrain switch, grade reduction. Defaults to ``TravelSettings()``.

        Returns
        -------
        RoadGraph

        Raises
        ------
        InputError
            Missing columns, edges whose ends are not nodes, negative or missing lengths, no
            edges at all (every problem is listed).
        CRSError
            Network not in a projected CRS, or the DEM in another CRS.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import LineString, Point
        >>> from planning.county import RoadNetwork
        >>> nodes = gpd.GeoDataFrame({"x": [0.0, 1000.0], "y": [0.0, 0.0]},
        ...     geometry=[Point(0, 0), Point(1000, 0)], index=pd.Index([10, 11], name="node_id"),
        ...     crs="EPSG:32650")
        >>> edges = gpd.GeoDataFrame({"u": [10, 11], "v": [11, 10], "length_m": [1000.0] * 2,
        ...     "highway": ["residential"] * 2, "oneway": [False] * 2},
        ...     geometry=[LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (0, 0)])],
        ...     crs="EPSG:32650")
        >>> g = RoadGraph.from_network(RoadNetwork(nodes, edges))
        >>> float(g.drive.time_min[0])  # 1 km at 25 km/h
        2.4
        """
        ts = _travel_settings(settings)
        nodes, edges = roads.nodes, roads.edges
        problems: list[str] = []
        crs = None
        if nodes.crs is None:
            raise CRSError("road network", ["nodes have no CRS; load the roads with planning.io, "
                                            "which projects them to the county's metric CRS"])
        crs = CRS.from_user_input(nodes.crs)
        if not crs.is_projected:
            raise CRSError("road network", [f"nodes CRS {crs.to_string()} is not projected (metric); "
                                            "project the network first (planning.io.project_network)"])
        if edges.crs is not None and not CRS.from_user_input(edges.crs).equals(crs):
            raise CRSError("road network", [f"edges CRS {edges.crs} differs from nodes CRS {crs.to_string()}"])
        for col in ("u", "v", "length_m", "highway"):
            if col not in edges.columns:
                problems.append(f"edges: required column {col!r} missing (have {list(edges.columns)})")
        for col in ("x", "y"):
            if col not in nodes.columns:
                problems.append(f"nodes: required column {col!r} missing (have {list(nodes.columns)})")
        if len(edges) == 0:
            problems.append("edges: the network has no edges; check the road file and its highway filter")
        if problems:
            raise InputError("road network", problems)
        node_ids = np.asarray(nodes.index.to_numpy(), dtype=np.int64)
        if pd.Index(node_ids).has_duplicates:
            dup = pd.Index(node_ids)[pd.Index(node_ids).duplicated()].unique()[:10]
            problems.append(f"nodes: duplicate node ids {list(map(int, dup))}; node ids must be unique")
        order = np.argsort(node_ids, kind="stable")
        sorted_ids = node_ids[order]
        u_raw = np.asarray(edges["u"].to_numpy(), dtype=np.int64)
        v_raw = np.asarray(edges["v"].to_numpy(), dtype=np.int64)

        def lookup(ids: np.ndarray, name: str) -> np.ndarray:
            pos = np.searchsorted(sorted_ids, ids)
            pos = np.clip(pos, 0, max(sorted_ids.size - 1, 0))
            found = sorted_ids[pos] == ids if sorted_ids.size else np.zeros(ids.size, bool)
            if not found.all():
                bad = np.flatnonzero(~found)
                problems.append(f"edges: {bad.size} edge(s) have {name} not among the nodes, e.g. rows "
                                f"{(bad[:10] + 1).tolist()} ({name} = {ids[bad[:10]].tolist()}); "
                                "every edge end must be a node id")
            return order[pos]

        u = lookup(u_raw, "u")
        v = lookup(v_raw, "v")
        length = np.asarray(pd.to_numeric(edges["length_m"], errors="coerce"), dtype=float)
        bad_len = np.flatnonzero(~(length >= 0))
        if bad_len.size:
            problems.append(f"edges: {bad_len.size} edge(s) with missing or negative length_m, rows "
                            f"{(bad_len[:10] + 1).tolist()}; lengths must be ≥ 0 metres")
        if dem is not None and ts.terrain and not CRS.from_user_input(dem.crs).equals(crs):
            raise CRSError("DEM", [f"DEM CRS {dem.crs} differs from the road network CRS {crs.to_string()}; "
                                   "read it with planning.io.read_raster(..., dst_crs=...)"])
        if problems:
            raise InputError("road network", problems)

        x = np.asarray(nodes["x"].to_numpy(), dtype=float)
        y = np.asarray(nodes["y"].to_numpy(), dtype=float)
        geoms = _edge_geometries(edges, x, y, u, v)
        highway = np.array([_first(h) for h in edges["highway"].to_numpy()], dtype=object)
        highway = np.array([ROAD_CLASS_ZH.get(h, h) for h in highway], dtype=object)
        speeds = ts.drive_speed_kph
        class_speed = np.array([speeds.get(h, np.nan) for h in highway], dtype=float)
        if "maxspeed_kph" in edges.columns:
            maxspeed = np.asarray(pd.to_numeric(edges["maxspeed_kph"], errors="coerce"), dtype=float)
            class_speed = np.where(np.isfinite(maxspeed) & (maxspeed > 0) & np.isfinite(class_speed),
                                   maxspeed, class_speed)
        drivable = np.isfinite(class_speed) & ~np.isin(highway, list(WALK_ONLY_HIGHWAYS))
        walkable = ~np.isin(highway, list(NO_WALK_HIGHWAYS))

        use_terrain = dem is not None and ts.terrain
        walk_pieces = drive_pieces = None
        if use_terrain:
            edge, dx, slope = pieces = terrain_pieces(geoms, dem)
            walk_f, walk_b, drive_t = terrain_times(geoms, length, class_speed, dem, ts, pieces=pieces)
            pf, pb, pd_ = piece_times(dx, slope, class_speed[edge], ts)
            walk_pieces = (edge, dx, pf, pb)
            drive_pieces = (edge, dx, pd_, pd_)   # the grade factor is direction-blind
        else:
            walk_f = length * _MIN_PER_KPH_M / ts.walk_speed_kph
            walk_b = walk_f
            with np.errstate(invalid="ignore", divide="ignore"):
                drive_t = length * _MIN_PER_KPH_M / class_speed
        n = node_ids.size
        # walk: both directions of every walkable edge
        w = np.flatnonzero(walkable)
        walk = _build_mode_graph(n, np.concatenate([u[w], v[w]]), np.concatenate([v[w], u[w]]),
                                 np.concatenate([walk_f[w], walk_b[w]]), np.concatenate([length[w], length[w]]))
        d = np.flatnonzero(drivable)
        drive = _build_mode_graph(n, u[d], v[d], drive_t[d], length[d])
        drivable_node = np.zeros(n, bool)
        drivable_node[u[d]] = True
        drivable_node[v[d]] = True

        twin = _twins(u, v, length, geoms)
        seg_walk = _segment_table(walkable, twin, geoms, u, v, length, walk_f, walk_b, backward_from_twin=False,
                                  pieces=walk_pieces)
        seg_drive = _segment_table(drivable, twin, geoms, u, v, length, drive_t, drive_t, backward_from_twin=True,
                                   pieces=drive_pieces)
        return cls(node_ids=node_ids, x=x, y=y, crs=crs, walk=walk, drive=drive,
                   segments_walk=seg_walk, segments_drive=seg_drive, drivable_node=drivable_node,
                   settings=ts, terrain=use_terrain, dem=dem if use_terrain else None)


def _first(value: Any) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return str(value[0]) if len(value) else ""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _edge_geometries(edges: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, u: np.ndarray,
                     v: np.ndarray) -> np.ndarray:
    """Edge geometries; straight lines between the end nodes where an edge has none."""
    straight = shapely.linestrings(np.stack([np.stack([x[u], y[u]], 1), np.stack([x[v], y[v]], 1)], 1))
    if "geometry" not in edges.columns:
        return straight
    geoms = np.asarray(edges.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    return np.where(missing, straight, geoms)


def _twins(u: np.ndarray, v: np.ndarray, length: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """For each edge row, the row of the same road in the opposite direction (-1 if none)."""
    m = u.size
    twin = np.full(m, -1, np.int64)
    rlen = np.round(length, 3)
    fwd = pd.DataFrame({"a": u, "b": v, "L": rlen, "row": np.arange(m)})
    rev = pd.DataFrame({"a": v, "b": u, "L": rlen, "row2": np.arange(m)})
    pairs = fwd.merge(rev, on=["a", "b", "L"])
    pairs = pairs[pairs["row"] != pairs["row2"]]
    if len(pairs):
        r1 = pairs["row"].to_numpy()
        r2 = pairs["row2"].to_numpy()
        same = shapely.equals_exact(geoms[r1], shapely.reverse(geoms[r2]), tolerance=1e-6)
        pairs = pairs[same].drop_duplicates("row")
        twin[pairs["row"].to_numpy()] = pairs["row2"].to_numpy()
    return twin


def _segment_table(usable: np.ndarray, twin: np.ndarray, geoms: np.ndarray, u: np.ndarray,
                   v: np.ndarray, length: np.ndarray, t_fwd: np.ndarray, t_bwd: np.ndarray,
                   *, backward_from_twin: bool,
                   pieces: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None) -> SegmentTable:
    """Snapping segments: each road once; twins folded into the backward direction.

    For walking the backward time is the row's own reverse time (every walkable road is
    two-way); for driving it is the twin row's time, and NaN when the road is one-way.
    ``pieces`` (with a DEM) is ``(edge row, length, forward time, backward time)`` of every
    terrain piece of every row: it gives the time profile along each kept segment (for a
    twin, the backward share is the same as the forward one when the grade factor is
    direction-blind, since the speed of a row is constant along it).
    """
    m = u.size
    has_twin = twin >= 0
    # drop the second row of each usable twin pair (keep the lower row number)
    twin_usable = has_twin & usable[np.where(has_twin, twin, 0)]
    drop = twin_usable & (twin < np.arange(m))
    keep = np.flatnonzero(usable & ~drop)
    fwd_t = t_fwd[keep]
    fwd_l = length[keep]
    if backward_from_twin:
        tw = twin[keep]
        ok = (tw >= 0) & usable[np.where(tw >= 0, tw, 0)]
        bwd_t = np.where(ok, t_fwd[np.where(ok, tw, 0)], np.nan)
        bwd_l = np.where(ok, length[np.where(ok, tw, 0)], np.nan)
    else:
        bwd_t = t_bwd[keep]
        bwd_l = length[keep]
    profile: dict[str, np.ndarray] = {}
    if pieces is not None:
        from planning.network._kernels import profile_shares

        edge, dx, w_f, w_b = pieces
        new_row = np.full(m, -1, np.int64)
        new_row[keep] = np.arange(keep.size)
        sel = new_row[edge] >= 0
        ptr = group_ptr(new_row[edge[sel]], keep.size)
        profile = {"profile_ptr": ptr, "profile_pos": profile_shares(ptr, np.asarray(dx[sel], float)),
                   "profile_fwd": profile_shares(ptr, np.asarray(w_f[sel], float)),
                   "profile_bwd": profile_shares(ptr, np.asarray(w_b[sel], float))}
    return SegmentTable(geometry=geoms[keep], u=u[keep].astype(np.int64), v=v[keep].astype(np.int64),
                        fwd_time_min=np.asarray(fwd_t, float), fwd_length_m=np.asarray(fwd_l, float),
                        bwd_time_min=np.asarray(bwd_t, float), bwd_length_m=np.asarray(bwd_l, float), **profile)
