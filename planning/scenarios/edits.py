"""What-if edits of a scenario applied to a county: close or add facilities, new roads,
population change by township.

:func:`apply_edits` checks every edit against the county first (facility ids that do not exist,
ids already taken, unknown townships, roads whose ends are not near the network, new facilities
outside the county) and raises one :class:`~planning.ScenarioError` naming the scenario file, key
path and line of each bad edit. The county given is never changed.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import LineString, Point

from planning._errors import ScenarioError
from planning.county import County, Raster, RoadNetwork
from planning.crs import bd09_to_wgs84, gcj02_to_wgs84
from planning.scenarios.loader import Marks
from planning.scenarios.model import Edits
from planning.schema import FACILITY_COLUMNS

__all__ = ["apply_edits", "scale_township_population"]

_FACILITY_FIELDS = {c.name for c in FACILITY_COLUMNS}
_OUTSIDE_TOLERANCE_M = 500.0


def _to_county_xy(lon: np.ndarray, lat: np.ndarray, coords: str, county: County) -> tuple[np.ndarray, np.ndarray]:
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    if coords == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    elif coords == "bd09":
        lon, lat = bd09_to_wgs84(lon, lat)
    transformer = Transformer.from_crs("EPSG:4326", county.crs, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total`` (ties: earlier rows first)."""
    weights = np.asarray(weights, float)
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights / weights.sum() * total
    base = np.floor(exact).astype(np.int64)
    short = int(total - base.sum())
    order = np.lexsort((np.arange(len(exact)), -(exact - base)))
    base[order[:short]] += 1
    return base


def scale_township_population(county: County, township_id: str, *, factor: float | None = None,
                              delta: int | None = None) -> tuple[County, dict[str, Any]]:
    """The county with one township's resident population changed.

    Village populations are rescaled to the new total (integers by largest remainder, so the
    township total is exact); households, community populations and households, and the
    population raster cells inside the township polygon are scaled by the same ratio.

    Parameters
    ----------
    county : County
    township_id : str
        Township id (``townships.id``).
    factor : float, optional
        New population = ``factor`` × current (rounded to whole residents).
    delta : int, optional
        New population = current + ``delta``.

    Returns
    -------
    county : County
        A new county.
    log : dict
        ``township_id, population_before, population_after, ratio``.

    Examples
    --------
    >>> # county2, log = scale_township_population(county, "T1", factor=0.9)
    """
    villages = county.villages.copy()
    in_town = villages["township_id"].astype(str) == str(township_id)
    before = int(villages.loc[in_town, "population"].sum())
    target = int(round(before * factor)) if factor is not None else before + int(delta or 0)
    ratio = target / before if before else 0.0
    villages.loc[in_town, "population"] = _largest_remainder(
        villages.loc[in_town, "population"].to_numpy(), target)
    villages["population"] = villages["population"].astype(np.int64)
    if "households" in villages:
        hh = villages.loc[in_town, "households"].astype(float) * ratio
        villages.loc[in_town, "households"] = np.round(hh.to_numpy())
    communities = county.communities
    if communities is not None:
        communities = communities.copy()
        c_in = communities["township_id"].astype(str) == str(township_id)
        for col in ("population", "households"):
            if col in communities:
                communities.loc[c_in, col] = np.round(communities.loc[c_in, col].astype(float).to_numpy() * ratio)
    population = county.population
    if population is not None:
        from rasterio.features import geometry_mask

        polygon = county.townships.loc[county.townships["id"].astype(str) == str(township_id), "geometry"]
        inside = ~geometry_mask(list(polygon), out_shape=population.shape, transform=population.transform)
        array = population.array.copy()
        array[inside] = array[inside] * ratio
        population = Raster(array, population.transform, population.crs, population.kind)
    after = County(boundary=county.boundary, townships=county.townships, villages=villages,
                   facilities=county.facilities, roads=county.roads, communities=communities,
                   population=population, dem=county.dem, seat=county.seat, meta=dict(county.meta))
    return after, {"edit": "population", "township_id": str(township_id), "population_before": before,
                   "population_after": target, "ratio": round(ratio, 6)}


def _add_roads(county: County, edits: Edits, marks: Marks, problems: list[str]) -> tuple[RoadNetwork, list[dict]]:
    from scipy.spatial import cKDTree

    nodes = county.roads.nodes
    edges = county.roads.edges
    tree = cKDTree(np.column_stack([nodes["x"].to_numpy(float), nodes["y"].to_numpy(float)]))
    node_ids = nodes.index.to_numpy()
    next_id = int(node_ids.max()) + 1 if len(node_ids) else 0
    new_nodes: list[dict[str, Any]] = []
    new_edges: list[dict[str, Any]] = []
    log = []
    for i, road in enumerate(edits.new_roads):
        lon, lat = np.array(road.path, float).T
        x, y = _to_county_xy(lon, lat, road.coords, county)
        dist, nearest = tree.query(np.column_stack([x, y]))
        ids: list[int] = []
        joined = []
        for j in range(len(x)):
            is_end = j in (0, len(x) - 1)
            if is_end and dist[j] > road.connect_within_m:
                problems.append(marks.problem(("edits", "new_roads", i, "path", j),
                                f"{'start' if j == 0 else 'end'} point is {dist[j]:,.0f} m from the nearest "
                                f"road node, more than connect_within_m = {road.connect_within_m:,.0f} m; "
                                "move it onto the road it joins or raise connect_within_m"))
            if (is_end and dist[j] <= road.connect_within_m) or dist[j] < 1.0:
                ids.append(int(node_ids[nearest[j]]))
                joined.append(int(node_ids[nearest[j]]))
            else:
                ids.append(next_id)
                new_nodes.append({"node_id": next_id, "x": float(x[j]), "y": float(y[j])})
                next_id += 1
        xy = {n["node_id"]: (n["x"], n["y"]) for n in new_nodes}
        length = 0.0
        for a, b in zip(ids[:-1], ids[1:]):
            if a == b:
                continue
            pa = xy[a] if a in xy else (float(nodes.at[a, "x"]), float(nodes.at[a, "y"]))
            pb = xy[b] if b in xy else (float(nodes.at[b, "x"]), float(nodes.at[b, "y"]))
            line = LineString([pa, pb])
            base = {"highway": road.highway, "oneway": road.oneway,
                    "maxspeed_kph": float(road.maxspeed_kph) if road.maxspeed_kph else np.nan,
                    "name": road.name, "length_m": float(line.length)}
            new_edges.append({"u": a, "v": b, **base, "geometry": line})
            length += line.length
            if not road.oneway:
                new_edges.append({"u": b, "v": a, **base, "geometry": line.reverse()})
        log.append({"edit": "new_road", "name": road.name, "highway": road.highway,
                    "length_m": round(length, 1), "joins_nodes": joined})
    if not new_edges:
        return county.roads, log
    add_nodes = pd.DataFrame(new_nodes).set_index("node_id") if new_nodes else None
    if add_nodes is not None:
        add_nodes = gpd.GeoDataFrame(add_nodes, geometry=gpd.points_from_xy(add_nodes["x"], add_nodes["y"]),
                                     crs=nodes.crs)
        if "elevation_m" in nodes and county.dem is not None:
            add_nodes["elevation_m"] = county.dem.sample(add_nodes["x"].to_numpy(), add_nodes["y"].to_numpy())
        add_nodes.index = add_nodes.index.astype(nodes.index.dtype)
        add_nodes.index.name = nodes.index.name
        nodes = gpd.GeoDataFrame(pd.concat([nodes, add_nodes[[c for c in nodes.columns if c in add_nodes]]]),
                                 geometry=nodes.geometry.name, crs=nodes.crs)
    add_edges = gpd.GeoDataFrame(new_edges, geometry="geometry", crs=edges.crs)
    for col in ("u", "v"):
        add_edges[col] = add_edges[col].astype(edges[col].dtype)
    if "key" in edges and "key" not in add_edges:
        add_edges["key"] = 0
    edges = gpd.GeoDataFrame(pd.concat([edges, add_edges[[c for c in edges.columns if c in add_edges]]],
                                       ignore_index=True), geometry=edges.geometry.name, crs=edges.crs)
    return RoadNetwork(nodes, edges), log


def apply_edits(county: County, edits: Edits, *, marks: Marks | None = None) -> tuple[County, list[dict[str, Any]]]:
    """Apply a scenario's what-if edits to a county.

    Order: closures, additions, new roads, population changes.

    Parameters
    ----------
    county : County
        The county as loaded (not changed).
    edits : Edits
        The scenario's ``edits:``.
    marks : Marks, optional
        Lines of the scenario file, for error messages.

    Returns
    -------
    county : County
        The edited county (the same object when there are no edits).
    log : list of dict
        One entry per edit applied (what, ids, names, numbers) for run.json and the report.

    Raises
    ------
    ScenarioError
        Every edit that does not fit the county: unknown facility or township ids, ids already
        used, new facilities outside the county, roads whose ends are far from the network,
        unknown facility attributes, a population change below zero.
    """
    marks = marks or Marks()
    if edits.empty:
        return county, []
    problems: list[str] = []
    log: list[dict[str, Any]] = []
    facilities = county.facilities
    ids = facilities["id"].astype(str)
    known = set(ids)
    for i, fid in enumerate(edits.close_facilities):
        if str(fid) not in known:
            close = sorted(known, key=lambda k: (len(set(k) ^ set(str(fid))), k))[:3]
            problems.append(marks.problem(("edits", "close_facilities", i),
                                          f"facility id {fid!r} not found in the county's facilities; "
                                          f"similar ids: {', '.join(close)}"))
        else:
            row = facilities.loc[ids == str(fid)].iloc[0]
            log.append({"edit": "close_facility", "id": str(fid), "name": str(row["name"]), "kind": str(row["kind"])})
    closed = {str(f) for f in edits.close_facilities}
    added_rows = []
    boundary = county.boundary.geometry.union_all()
    townships = county.townships
    town_ids = set(townships["id"].astype(str))
    for i, fac in enumerate(edits.add_facilities):
        where = ("edits", "add_facilities", i)
        if fac.id in known:
            problems.append(marks.problem(where + ("id",), f"facility id {fac.id!r} already exists in the county; "
                                          "give a fresh id"))
        unknown_attrs = sorted(set(fac.attributes) - _FACILITY_FIELDS)
        if unknown_attrs:
            problems.append(marks.problem(where + ("attributes",), f"unknown facility attributes {unknown_attrs}; "
                                          f"allowed: {', '.join(sorted(_FACILITY_FIELDS - {'id', 'name', 'kind'}))}"))
        x, y = _to_county_xy([fac.lon], [fac.lat], fac.coords, county)
        point = Point(float(x[0]), float(y[0]))
        outside_m = point.distance(boundary)
        if outside_m > _OUTSIDE_TOLERANCE_M:
            problems.append(marks.problem(where, f"point ({fac.lon}, {fac.lat}, {fac.coords}) lies {outside_m:,.0f} m "
                                          "outside the county boundary; check lon/lat order and `coords:`"))
        township_id = fac.township_id
        if township_id is not None and township_id not in town_ids:
            problems.append(marks.problem(where + ("township_id",), f"township {township_id!r} not found; "
                                          f"allowed: {', '.join(sorted(town_ids))}"))
        if township_id is None:
            hit = townships.loc[townships.geometry.contains(point), "id"]
            if len(hit) == 0:
                hit = townships.loc[[townships.geometry.distance(point).idxmin()], "id"]
            township_id = str(hit.iloc[0])
        added_rows.append({"id": fac.id, "name": fac.name, "kind": fac.kind, "township_id": township_id,
                           **fac.attributes, "geometry": point})
        log.append({"edit": "add_facility", "id": fac.id, "name": fac.name, "kind": fac.kind,
                     "township_id": township_id})
    for i, change in enumerate(edits.population):
        if change.township_id not in town_ids:
            problems.append(marks.problem(("edits", "population", i, "township_id"),
                                          f"township {change.township_id!r} not found; allowed: "
                                          + ", ".join(sorted(town_ids))))
            continue
        current = int(county.villages.loc[county.villages["township_id"].astype(str) == change.township_id,
                                          "population"].sum())
        if change.delta is not None and current + change.delta < 0:
            problems.append(marks.problem(("edits", "population", i, "delta"),
                                          f"delta {change.delta} takes the township below zero (it has {current:,} "
                                          "residents)"))
        if current == 0 and (change.delta or 0) > 0:
            problems.append(marks.problem(("edits", "population", i),
                                          "the township has no village residents to scale; add villages instead"))
    roads, road_log = _add_roads(county, edits, marks, problems)
    if problems:
        raise ScenarioError("scenario edits do not fit the county", problems)
    facilities = facilities.loc[~ids.isin(closed)]
    if added_rows:
        new = gpd.GeoDataFrame(added_rows, geometry="geometry", crs=facilities.crs)
        facilities = gpd.GeoDataFrame(pd.concat([facilities, new], ignore_index=True),
                                      geometry=facilities.geometry.name, crs=facilities.crs)
    facilities = facilities.reset_index(drop=True)
    log += road_log
    out = County(boundary=county.boundary, townships=county.townships, villages=county.villages,
                 facilities=facilities, roads=roads, communities=county.communities,
                 population=county.population, dem=county.dem, seat=county.seat,
                 meta={**county.meta, "edits": len(log)})
    for change in edits.population:
        out, entry = scale_township_population(out, change.township_id, factor=change.factor, delta=change.delta)
        log.append(entry)
    return out, log
