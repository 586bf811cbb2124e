"""Road networks: OSM (XML, bz2, PBF), a planner's own line layer, and Overpass.

Every loader returns a :class:`planning.county.RoadNetwork` in the osmnx convention
(directed; two-way roads once in each direction; one-way roads only in their direction of
travel). Edge columns: ``u``, ``v``, ``key``, ``length_m``, ``highway`` (for a simplified
edge merging several classes, the most important one), ``oneway`` (bool), ``maxspeed_kph`` (float; NaN when untagged), ``name``, ``access``,
``geometry`` (LineString from u to v). Node index ``node_id`` (int64), columns ``x``, ``y``,
``geometry``.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planning._errors import InputError
from planning.county import RoadNetwork

__all__ = [
    "read_roads_osm",
    "read_roads_lines",
    "roads_from_overpass",
    "project_network",
    "network_from_graph",
    "parse_maxspeed_kph",
    "EXCLUDED_HIGHWAYS",
]

#: OSM ``highway`` values that are not usable roads (dropped by the OSM loaders).
EXCLUDED_HIGHWAYS: frozenset[str] = frozenset({
    "proposed", "construction", "abandoned", "platform", "raceway", "elevator", "bus_stop",
    "razed", "planned", "disused", "no", "services", "rest_area",
})

#: Way tags kept as edge attributes (besides the contract columns).
_WAY_TAGS = ("highway", "oneway", "maxspeed", "name", "ref", "access", "service", "junction",
             "bridge", "tunnel", "motor_vehicle", "motorcar", "foot", "area")

#: File name endings of OSM extracts (read by :func:`read_roads_osm`; anything else is a line layer).
OSM_SUFFIXES: tuple[str, ...] = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".osm.gz")

_MPH = 1.609344
_KNOTS = 1.852
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)


def parse_maxspeed_kph(value: Any) -> float:
    """Parse an OSM ``maxspeed`` value (or a list of them) to km/h.

    Numbers are km/h unless followed by ``mph`` or ``knots``; several values (``"40;60"``,
    or a list after simplification) give the smallest; anything else (``"none"``,
    ``"RU:urban"``, ``"walk"``, missing) gives NaN.

    Parameters
    ----------
    value : str, number, list or None
        The tag value(s).

    Returns
    -------
    float
        Speed limit in km/h, or NaN.

    Examples
    --------
    >>> parse_maxspeed_kph("60"), parse_maxspeed_kph("30 mph"), parse_maxspeed_kph("40;60")
    (60.0, 48.28032, 40.0)
    >>> parse_maxspeed_kph(["50", "80"]), math.isnan(parse_maxspeed_kph("none"))
    (50.0, True)
    """
    if value is None:
        return math.nan
    if isinstance(value, (list, tuple, set)):
        speeds = [parse_maxspeed_kph(v) for v in value]
    elif isinstance(value, (int, float, np.integer, np.floating)):
        speeds = [float(value)] if np.isfinite(value) and value > 0 else []
    else:
        speeds = []
        for part in str(value).split(";"):
            m = _NUMBER.match(part)
            if not m:
                continue
            speed = float(m.group(1))
            unit = (m.group(2) or "").lower()
            if unit == "mph":
                speed *= _MPH
            elif unit == "knots":
                speed *= _KNOTS
            if speed > 0:
                speeds.append(round(speed, 6))
    speeds = [s for s in speeds if np.isfinite(s)]
    return float(min(speeds)) if speeds else math.nan


#: Order of importance of highway classes; a simplified edge merging several classes takes
#: the most important one (osmnx builds those lists from sets, so "the first" is not stable).
_HIGHWAY_RANK: tuple[str, ...] = (
    "motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link", "trunk_link",
    "primary_link", "secondary_link", "tertiary_link", "unclassified", "road", "residential",
    "living_street", "service", "track", "pedestrian", "footway", "path", "cycleway",
    "bridleway", "steps", "corridor",
)


def _first(value: Any) -> Any:
    """A deterministic representative of a list value (smallest after sorting as text)."""
    if isinstance(value, (list, tuple, set)):
        values = sorted((v for v in value if not _is_missing(v)), key=str)
        return values[0] if values else None
    return value


def _oneway(value: Any) -> bool:
    """osmnx's oneway flag; a merged list is one-way if any part is."""
    if isinstance(value, (list, tuple, set)):
        return any(_oneway(v) for v in value)
    return False if _is_missing(value) else bool(value)


_RANK_OF_HIGHWAY = {h: i for i, h in enumerate(_HIGHWAY_RANK)}


def _main_highway(value: Any) -> str:
    if isinstance(value, (list, tuple, set)):
        values = sorted({str(v) for v in value if not _is_missing(v)})
        if not values:
            return "road"
        return min(values, key=lambda h: (_RANK_OF_HIGHWAY.get(h, len(_RANK_OF_HIGHWAY)), h))
    return "road" if _is_missing(value) else str(value)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


_EARTH_RADIUS_M = 6_371_009.0  # as osmnx


def _great_circle_length_m(geoms: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Great-circle length of lon/lat lines, summed from the lower node id to the higher.

    Summing in one canonical direction makes the two directions of a two-way road exactly
    equal (osmnx measures each direction separately, which can differ in the last bit).
    """
    flip = np.asarray(u) > np.asarray(v)
    geoms = np.asarray(geoms, dtype=object).copy()
    geoms[flip] = shapely.reverse(geoms[flip])
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    same = idx[1:] == idx[:-1]
    dlat = lat[1:] - lat[:-1]
    dlon = lon[1:] - lon[:-1]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlon / 2) ** 2
    seg = 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    out = np.zeros(len(geoms))
    np.add.at(out, idx[1:][same], seg[same])
    return out


def network_from_graph(graph: nx.MultiDiGraph, *, what: str = "road network") -> RoadNetwork:
    """Convert an osmnx graph (lon/lat, ``crs`` in its graph attributes) to a RoadNetwork.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        An osmnx graph (nodes with ``x``, ``y``; edges with ``length`` in metres).
    what : str, keyword-only
        How to name the input in errors.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    InputError
        If the graph has no edges.
    """
    import osmnx as ox

    if graph.number_of_edges() == 0:
        raise InputError(what, ["the road network has no edges (no usable highway ways found); check "
                                "that the file covers the county and contains highway=* ways"])
    nodes, edges = ox.graph_to_gdfs(graph, nodes=True, edges=True, fill_edge_geometry=True)
    crs = graph.graph.get("crs", "EPSG:4326")
    nodes = gpd.GeoDataFrame(
        {"x": nodes["x"].astype(float).to_numpy(), "y": nodes["y"].astype(float).to_numpy()},
        geometry=gpd.points_from_xy(nodes["x"], nodes["y"]),
        index=pd.Index(nodes.index.astype(np.int64), name="node_id"),
        crs=crs,
    ).sort_index()
    edges = edges.reset_index()
    out = pd.DataFrame({
        "u": edges["u"].astype(np.int64).to_numpy(),
        "v": edges["v"].astype(np.int64).to_numpy(),
        "key": edges["key"].astype(np.int64).to_numpy(),
        "length_m": _great_circle_length_m(edges.geometry.to_numpy(), edges["u"].to_numpy(),
                                           edges["v"].to_numpy()),
        "highway": [_main_highway(h) for h in edges["highway"]],
        "oneway": [_oneway(x) for x in edges["oneway"]] if "oneway" in edges else False,
        "maxspeed_kph": [parse_maxspeed_kph(m) for m in edges["maxspeed"]] if "maxspeed" in edges
        else np.full(len(edges), np.nan),
    })
    for col in ("name", "ref", "access", "service", "junction", "bridge", "tunnel", "motor_vehicle",
                "motorcar", "foot"):
        if col in edges:
            vals = [_first(x) for x in edges[col]]
            out[col] = pd.Series([None if _is_missing(x) else str(x) for x in vals], dtype=object)
        elif col == "name":
            out[col] = pd.Series([None] * len(edges), dtype=object)
    if "osmid" in edges:
        out["osmid"] = [int(_first(x)) for x in edges["osmid"]]
    out = gpd.GeoDataFrame(out, geometry=edges.geometry.to_numpy(), crs=crs)
    # deterministic order and keys (osmnx numbers parallel edges in insertion order)
    out["_wkb"] = shapely.to_wkb(out.geometry.to_numpy())
    out = out.sort_values(["u", "v", "length_m", "highway", "_wkb"], kind="stable").reset_index(drop=True)
    out["key"] = out.groupby(["u", "v"]).cumcount().astype(np.int64)
    out = out.drop(columns="_wkb")
    return RoadNetwork(nodes=nodes, edges=out)


def _open_osm_path(path: Path) -> str:
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise InputError(f"road file '{path}'", [
            f"unsupported road file type {path.suffix!r}; give an OSM extract (.osm, .osm.bz2, "
            ".osm.pbf) or a line layer (GeoPackage/Shapefile/GeoJSON) through read_roads_lines"])
    if not path.is_file():
        raise InputError(f"road file '{path}'", ["file not found; check the path in the manifest"])
    return str(path)


def _extract_highways(path: Path, xml_out: Path, bbox: tuple[float, float, float, float] | None = None
                      ) -> tuple[int, int]:
    """Write highway ways and their nodes (with locations) of an OSM file to OSM XML.

    With ``bbox`` (west, south, east, north in degrees) only ways with a node inside are kept.
    """
    import osmium

    fp = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
          .with_locations()
          .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
          .with_filter(osmium.filter.KeyFilter("highway")))
    node_loc: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    synthetic = -1
    for way in fp:
        tags = {k: v for k, v in ((t.k, t.v) for t in way.tags) if k in _WAY_TAGS}
        if tags.get("highway", "") in EXCLUDED_HIGHWAYS or tags.get("area") == "yes":
            continue
        runs: list[list[int]] = [[]]
        for nd in way.nodes:
            if nd.location.valid():
                node_loc[nd.ref] = (nd.location.lon, nd.location.lat)
                runs[-1].append(nd.ref)
            elif runs[-1]:
                runs.append([])  # node outside the extract: split the way there
        runs = [r for r in runs if len(r) >= 2]
        if bbox is not None and not any(
                bbox[0] <= node_loc[n][0] <= bbox[2] and bbox[1] <= node_loc[n][1] <= bbox[3]
                for run in runs for n in run):
            continue
        for i, run in enumerate(runs):
            way_id = way.id if i == 0 else synthetic
            if i > 0:
                synthetic -= 1
            ways.append((way_id, run, tags))
    used = sorted({n for _, run, _ in ways for n in run})
    with open(xml_out, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="planning">\n')
        for n in used:
            lon, lat = node_loc[n]
            f.write(f'<node id="{n}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        for way_id, run, tags in ways:
            f.write(f'<way id="{way_id}">')
            f.writelines(f'<nd ref="{n}"/>' for n in run)
            f.writelines(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in sorted(tags.items()))
            f.write("</way>\n")
        f.write("</osm>\n")
    return len(used), len(ways)


def read_roads_osm(
    path: str | os.PathLike[str],
    *,
    simplify: bool = True,
    bbox: tuple[float, float, float, float] | None = None,
) -> RoadNetwork:
    """Read a road network from an OSM extract (``.osm``, ``.osm.bz2``, ``.osm.pbf``).

    The highway ways (minus :data:`EXCLUDED_HIGHWAYS` and ``area=yes``) and their nodes are
    extracted with pyosmium into a temporary OSM XML file, which
    ``osmnx.graph_from_xml(simplify=True, retain_all=True, bidirectional=False)`` turns into a
    graph: so every format takes the same osmnx path, and buildings or other ways in the
    file never become roads. Ways cut by the extract boundary are split where their nodes are
    missing.

    Parameters
    ----------
    path : path-like
        The OSM file.
    simplify : bool, keyword-only
        Simplify the graph topology (osmnx); edges then follow the roads between
        intersections and dead ends.
    bbox : (west, south, east, north), optional, keyword-only
        WGS84 degrees: keep only the ways with at least one node inside (whole ways are kept,
        so roads leaving and re-entering the box stay connected). Use it to take a county out
        of a province or country extract.

    Returns
    -------
    RoadNetwork
        In WGS84 (EPSG:4326); ``length_m`` is the great-circle length. Use
        :func:`project_network` for the county CRS.

    Raises
    ------
    InputError
        If the file is missing or of an unknown type, or holds no usable roads.

    Examples
    --------
    >>> net = read_roads_osm("roads.osm")          # doctest: +SKIP
    >>> net.length_by_class_km()                   # doctest: +SKIP
    """
    import osmnx as ox

    path = Path(path)
    _open_osm_path(path)
    with tempfile.TemporaryDirectory(prefix="planning-osm-") as tmp:
        xml = Path(tmp) / "highways.osm"
        try:
            _, n_ways = _extract_highways(path, xml, bbox)
        except RuntimeError as exc:  # osmium reports unreadable files as RuntimeError
            raise InputError(f"road file '{path}'", [f"cannot read the OSM file: {exc}"]) from exc
        if n_ways:
            # keep the access tags too (osmnx's default way tags omit motor_vehicle, motorcar, foot);
            # the setting is restored afterwards
            saved = list(ox.settings.useful_tags_way)
            ox.settings.useful_tags_way = sorted(set(saved) | set(_WAY_TAGS) - {"area"})
            try:
                graph = ox.graph_from_xml(xml, bidirectional=False, simplify=simplify, retain_all=True)
            finally:
                ox.settings.useful_tags_way = saved
        else:
            graph = nx.MultiDiGraph(crs="EPSG:4326")
    return network_from_graph(graph, what=f"road file '{path}'")


def roads_from_overpass(polygon_wgs84: Any, *, network_type: str = "all") -> RoadNetwork:
    """Download the road network inside a polygon from the Overpass API (through osmnx).

    Needs internet access (not exercised by the offline tests). The result is simplified,
    keeps every component and is directed as osmnx builds it.

    Parameters
    ----------
    polygon_wgs84 : shapely Polygon or MultiPolygon
        The area, in WGS84 lon/lat (convert a GCJ-02 fence with
        :func:`planning.crs.convert_geometries` first).
    network_type : str, keyword-only
        osmnx network type (``"all"`` keeps walking and driving roads).

    Returns
    -------
    RoadNetwork
        In WGS84.
    """
    import osmnx as ox

    graph = ox.graph_from_polygon(polygon_wgs84, network_type=network_type, simplify=True,
                                  retain_all=True)
    return network_from_graph(graph, what="Overpass road network")


def project_network(net: RoadNetwork, crs: Any) -> RoadNetwork:
    """Reproject a road network (nodes, their ``x``/``y``, and edge geometries).

    ``length_m`` is kept (it was measured on the ellipsoid or in a metric CRS at load).

    Parameters
    ----------
    net : RoadNetwork
        The network.
    crs : anything pyproj accepts
        Target CRS.

    Returns
    -------
    RoadNetwork
        A new network in ``crs``.
    """
    crs = CRS.from_user_input(crs)
    nodes = net.nodes.to_crs(crs)
    nodes["x"] = nodes.geometry.x.to_numpy()
    nodes["y"] = nodes.geometry.y.to_numpy()
    edges = net.edges.to_crs(crs)
    return RoadNetwork(nodes=nodes, edges=edges)


# --------------------------------------------------------------------------- line layers

_ONEWAY_VALUES: dict[str, int] = {
    "yes": 1, "true": 1, "1": 1, "y": 1, "t": 1, "是": 1, "单向": 1,
    "no": 0, "false": 0, "0": 0, "n": 0, "f": 0, "否": 0, "双向": 0, "": 0,
    "-1": -1, "reverse": -1, "反向": -1,
    "1.0": 1, "0.0": 0, "-1.0": -1,
}


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        p = self.parent
        root = i
        while p[root] != root:
            root = p[root]
        while p[i] != root:
            p[i], i = root, p[i]
        return int(root)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _classify(values: Iterable[Any]) -> tuple[list[str | None], dict[str, list[int]]]:
    """Map road classes (Chinese admin classes or OSM values) to OSM highway values."""
    from planning.config import DEFAULT_DRIVE_SPEED_KPH
    from planning.schema import ROAD_CLASS_ZH, WALK_ONLY_HIGHWAYS

    known = set(DEFAULT_DRIVE_SPEED_KPH) | set(WALK_ONLY_HIGHWAYS) | {"track", "service"}
    out: list[str | None] = []
    bad: dict[str, list[int]] = {}
    for i, value in enumerate(values):
        text = "" if _is_missing(value) else str(value).strip()
        if text in ROAD_CLASS_ZH:
            out.append(ROAD_CLASS_ZH[text])
        elif text.lower() in known:
            out.append(text.lower())
        else:
            out.append(None)
            bad.setdefault(text, []).append(i + 1)
    return out, bad


def read_roads_lines(
    path: str | os.PathLike[str],
    *,
    class_column: str,
    oneway_column: str | None = None,
    name_column: str | None = None,
    layer: str | None = None,
    crs: Any = None,
    coords: str = "wgs84",
    snap_tolerance_m: float = 1.0,
) -> RoadNetwork:
    """Build a road network from a planner's road line layer.

    Topology: a node at every line endpoint and at every vertex shared by two or more lines
    (or twice by one line); endpoints within ``snap_tolerance_m`` of each other or of another
    line's vertex are merged (a T-junction therefore needs a vertex on the through road, as
    digitised road layers have). Lines that cross without a shared vertex are NOT connected
    (over- and underpasses). Each line is split at its nodes into edges; two-way roads give
    one edge in each direction. Merged nodes sit at the mean of the merged positions, and edge
    lengths are measured on the edge geometries ending there.

    Parameters
    ----------
    path : path-like
        GeoPackage, Shapefile or GeoJSON of (Multi)LineStrings.
    class_column : str, keyword-only
        Column with the road class: 国道/省道/县道/乡道/村道 … (see
        :data:`planning.schema.ROAD_CLASS_ZH`) or OSM highway values.
    oneway_column : str, optional, keyword-only
        Column saying one-way (yes/no, true/false, 1/0, 是/否, 单向/双向, -1 = reverse).
    name_column : str, optional, keyword-only
        Road name column (default: ``name`` or ``名称`` when present).
    layer : str, optional, keyword-only
        Layer of a multi-layer file.
    crs : optional, keyword-only
        Declared CRS when the file has none.
    coords : {"wgs84", "gcj02", "bd09"}, keyword-only
        Datum of lon/lat coordinates.
    snap_tolerance_m : float, keyword-only
        Endpoints closer than this (metres) are merged.

    Returns
    -------
    RoadNetwork
        In the file's CRS when projected, otherwise in :func:`planning.crs.metric_crs_for`
        of the roads; ``length_m`` measured in that metric CRS.

    Raises
    ------
    InputError
        Listing every problem: unknown classes (with row numbers and the allowed values),
        bad one-way values, null or non-line geometries, missing columns, no edges.
    CRSError
        When the file has no CRS and none is declared.
    """
    from planning.crs import metric_crs_for
    from planning.io.vector import read_vector
    from planning.schema import ROAD_CLASS_ZH
    from planning.validate import format_rows

    path = Path(path)
    what = f"road layer '{path}'"
    gdf = read_vector(path, layer=layer, crs=crs, coords=coords, what=what)
    problems: list[str] = []
    cols = list(gdf.columns)
    for col in [class_column] + ([oneway_column] if oneway_column else []):
        if col not in gdf.columns:
            import difflib

            near = difflib.get_close_matches(col, [str(c) for c in cols], n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            problems.append(f"column {col!r} not found (columns: {', '.join(map(str, cols))}){hint}")
    if problems:
        raise InputError(what, problems)
    if name_column is None:
        name_column = next((c for c in ("name", "名称", "NAME", "道路名称") if c in gdf.columns), None)
    highway, bad = _classify(gdf[class_column])
    allowed = ", ".join(list(ROAD_CLASS_ZH) + ["or an OSM highway value (primary, residential, …)"])
    for text, rows in bad.items():
        problems.append(f"column {class_column!r}: unknown road class {text!r} in rows {format_rows(rows, 12)} "
                        f"(data rows, 1-based); use one of {allowed}")
    direction = np.zeros(len(gdf), dtype=int)
    if oneway_column:
        bad_ow: dict[str, list[int]] = {}
        for i, value in enumerate(gdf[oneway_column]):
            text = "" if _is_missing(value) else str(value).strip().lower()
            if text in _ONEWAY_VALUES:
                direction[i] = _ONEWAY_VALUES[text]
            else:
                bad_ow.setdefault(text, []).append(i + 1)
        for text, rows in bad_ow.items():
            problems.append(f"column {oneway_column!r}: one-way value {text!r} in rows {format_rows(rows, 12)} not "
                            "understood; use yes/no, 1/0, true/false, 是/否, 单向/双向 or -1 (reverse)")
    geoms = gdf.geometry.to_numpy()
    null_rows = [i + 1 for i, g in enumerate(geoms) if g is None or g.is_empty]
    if null_rows:
        problems.append(f"null or empty geometry in rows {format_rows(null_rows, 12)}; delete the rows or draw "
                        "the roads")
    wrong = [i + 1 for i, g in enumerate(geoms)
             if g is not None and not g.is_empty and g.geom_type not in ("LineString", "MultiLineString")]
    if wrong:
        problems.append(f"geometry is not a line in rows {format_rows(wrong, 12)}; roads must be LineStrings")
    if problems:
        raise InputError(what, problems)
    src_crs = CRS.from_user_input(gdf.crs)
    metric = src_crs if src_crs.is_projected else metric_crs_for(gdf)
    gdf = gdf.to_crs(metric)
    names = gdf[name_column].tolist() if name_column else [None] * len(gdf)
    nodes, edges = _build_topology(gdf.geometry.to_numpy(), highway, direction, names, snap_tolerance_m)
    if not len(edges):
        raise InputError(what, ["the road layer gives no edges (every line has zero length)"])
    node_gdf = gpd.GeoDataFrame(
        {"x": nodes[:, 0], "y": nodes[:, 1]},
        geometry=gpd.points_from_xy(nodes[:, 0], nodes[:, 1]),
        index=pd.Index(np.arange(len(nodes), dtype=np.int64), name="node_id"),
        crs=metric,
    )
    edge_gdf = gpd.GeoDataFrame(pd.DataFrame(edges).drop(columns="geometry"),
                                geometry=[e["geometry"] for e in edges], crs=metric)
    edge_gdf["u"] = edge_gdf["u"].astype(np.int64)
    edge_gdf["v"] = edge_gdf["v"].astype(np.int64)
    edge_gdf["key"] = edge_gdf["key"].astype(np.int64)
    edge_gdf["maxspeed_kph"] = np.nan
    edge_gdf = edge_gdf[["u", "v", "key", "length_m", "highway", "oneway", "maxspeed_kph", "name",
                         "source_row", "geometry"]]
    return RoadNetwork(nodes=node_gdf, edges=edge_gdf)


def _build_topology(
    geoms: np.ndarray,
    highway: list[str | None],
    direction: np.ndarray,
    names: list[Any],
    tol_m: float,
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    from scipy.spatial import cKDTree

    # parts: (source row, coordinates)
    parts: list[tuple[int, np.ndarray]] = []
    for row, g in enumerate(geoms):
        for part in shapely.get_parts(g):
            xy = shapely.get_coordinates(part)
            if len(xy) >= 2:
                keep = np.ones(len(xy), bool)
                keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)  # drop repeated vertices
                xy = xy[keep]
                if len(xy) >= 2:
                    parts.append((row, xy))
    if not parts:
        return np.zeros((0, 2)), []
    allxy = np.vstack([xy for _, xy in parts])
    uniq, inverse, counts = np.unique(allxy, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    offsets = np.cumsum([0] + [len(xy) for _, xy in parts])
    is_end = np.zeros(len(uniq), bool)
    for k in range(len(parts)):
        is_end[inverse[offsets[k]]] = True
        is_end[inverse[offsets[k + 1] - 1]] = True
    uf = _UnionFind(len(uniq))
    if tol_m > 0:
        tree = cKDTree(uniq)
        for i in np.flatnonzero(is_end):
            for j in tree.query_ball_point(uniq[i], r=tol_m):
                uf.union(int(i), int(j))
    roots = np.array([uf.find(i) for i in range(len(uniq))])
    group_size = np.bincount(roots, minlength=len(uniq))
    group_end = np.zeros(len(uniq), bool)
    np.logical_or.at(group_end, roots, is_end)
    is_node = is_end | (counts >= 2) | (group_size[roots] >= 2) & group_end[roots]
    # node positions: mean of the group's coordinates; ids in order of first appearance
    node_of_root: dict[int, int] = {}
    sums: dict[int, np.ndarray] = {}
    for i in range(len(uniq)):
        if is_node[i]:
            r = roots[i]
            sums.setdefault(r, np.zeros(3))
            sums[r] += (uniq[i][0], uniq[i][1], 1.0)
    order: list[int] = []
    for idx in inverse:
        if is_node[idx]:
            r = int(roots[idx])
            if r not in node_of_root:
                node_of_root[r] = len(order)
                order.append(r)
    nodes = np.array([sums[r][:2] / sums[r][2] for r in order])
    edges: list[dict[str, Any]] = []
    keys: dict[tuple[int, int], int] = {}

    def add(u: int, v: int, line: Any, length_m: float, row: int, oneway: bool) -> None:
        k = keys.get((u, v), 0)
        keys[(u, v)] = k + 1
        name = names[row]
        edges.append({"u": u, "v": v, "key": k, "length_m": length_m, "highway": highway[row],
                      "oneway": oneway, "name": None if _is_missing(name) else str(name),
                      "source_row": row + 1, "geometry": line})

    for k, (row, xy) in enumerate(parts):
        idx = inverse[offsets[k]:offsets[k + 1]]
        cut = [j for j in range(len(idx)) if is_node[idx[j]]]
        for a, b in zip(cut[:-1], cut[1:]):
            u = node_of_root[int(roots[idx[a]])]
            v = node_of_root[int(roots[idx[b]])]
            seg = xy[a:b + 1].copy()
            seg[0] = nodes[u]
            seg[-1] = nodes[v]
            line = shapely.LineString(seg)
            length_m = float(line.length)
            if length_m <= 0 or (u == v and len(seg) < 4):
                continue
            d = int(direction[row])
            if d >= 0:
                add(u, v, line, length_m, row, d == 1)
            if d <= 0:
                add(v, u, line.reverse(), length_m, row, d == -1)
    return nodes, edges
