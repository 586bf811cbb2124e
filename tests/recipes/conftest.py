"""Tiny counties built in code for the recipe tests: a straight road with places on it.

The road runs along y = 0 from x = 0 to ``length_m`` with a node every 500 m; every edge is an
``unclassified`` road (30 km/h: 2 min per km by car; walking 4.5 km/h on flat ground: 13⅓ min
per km). Places at (x, 0) with x a multiple of 500 sit on a node, so drive times are
``2 · |Δx| / 1000`` minutes and road distances ``|Δx|`` metres exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from planning.county import County, RoadNetwork

CRS = "EPSG:4546"  # CGCS2000 / 3-degree Gauss-Kruger CM 111E


def _points(rows: list[dict[str, Any]], defaults: dict[str, Any]) -> gpd.GeoDataFrame:
    recs = [{**defaults, **{k: v for k, v in r.items() if k not in ("x", "y")}} for r in rows]
    geoms = [Point(float(r["x"]), float(r.get("y", 0.0))) for r in rows]
    return gpd.GeoDataFrame(pd.DataFrame(recs), geometry=geoms, crs=CRS)


def build_line_county(*, villages: list[dict[str, Any]], facilities: list[dict[str, Any]] = (),
                      length_m: float = 60_000.0, townships: list[dict[str, Any]] | None = None,
                      communities: list[dict[str, Any]] | None = None, seat_x: float | None = 0.0) -> County:
    """A county on one straight road (see the module docstring).

    ``villages``: dicts with ``id, x`` (+ ``y``, ``population``, ``township_id``, ...);
    ``facilities``: dicts with ``id, kind, x`` (+ attributes); ``townships``: dicts with ``id,
    x0, x1`` (their strip of the county) and optional ``seat_x``; ``communities`` like villages.
    """
    width = 20_000.0
    if townships is None:
        townships = [{"id": "T1", "x0": -1000.0, "x1": length_m + 1000.0, "seat_x": 0.0}]
    tw = gpd.GeoDataFrame(
        {"id": [t["id"] for t in townships], "name": [f"{t['id']}镇" for t in townships],
         "township_type": [t.get("township_type", "town") for t in townships],
         "seat_x": [float(t["seat_x"]) if t.get("seat_x") is not None else float("nan") for t in townships],
         "seat_y": [0.0 if t.get("seat_x") is not None else float("nan") for t in townships]},
        geometry=[box(t["x0"], -width, t["x1"], width) for t in townships], crs=CRS)
    boundary = gpd.GeoDataFrame({"county_id": ["149901"], "name": ["示范县"]},
                                geometry=[box(-1000.0, -width, length_m + 1000.0, width)], crs=CRS)

    def township_at(x: float) -> str:
        for t in townships:
            if t["x0"] <= x < t["x1"]:
                return t["id"]
        return townships[-1]["id"]

    vill = _points([{**v, "township_id": v.get("township_id", township_at(v["x"]))} for v in villages],
                   {"population": 500, "urban": False})
    vill["name"] = [f"{i}村" for i in vill["id"]]
    fac_rows = [{**f, "township_id": f.get("township_id", township_at(f["x"]))} for f in facilities]
    fac = _points(fac_rows, {}) if fac_rows else gpd.GeoDataFrame(
        {"id": [], "kind": [], "township_id": []}, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    fac["name"] = [f"{i}" for i in fac["id"]]
    comm = None
    if communities is not None:
        comm = _points([{**c, "township_id": c.get("township_id", township_at(c["x"]))} for c in communities],
                       {"population": 1000, "households": 400})
        comm["name"] = [f"{i}社区" for i in comm["id"]]
    n = int(length_m // 500) + 1
    xs = [500.0 * k for k in range(n)]
    nodes = gpd.GeoDataFrame({"x": xs, "y": [0.0] * n}, geometry=[Point(x, 0.0) for x in xs], crs=CRS,
                             index=pd.Index(range(n), name="node_id"))
    u, v, geoms = [], [], []
    for k in range(n - 1):
        line = LineString([(xs[k], 0.0), (xs[k + 1], 0.0)])
        u += [k, k + 1]
        v += [k + 1, k]
        geoms += [line, line.reverse()]
    edges = gpd.GeoDataFrame({"u": u, "v": v, "length_m": [500.0] * len(u), "highway": ["unclassified"] * len(u),
                              "oneway": [False] * len(u), "maxspeed_kph": [float("nan")] * len(u),
                              "name": ["乡道"] * len(u)}, geometry=geoms, crs=CRS)
    seat = Point(seat_x, 0.0) if seat_x is not None else None
    return County(boundary, tw, vill, fac, RoadNetwork(nodes, edges), communities=comm, seat=seat)


@pytest.fixture(scope="session")
def line_county() -> Callable[..., County]:
    """The :func:`build_line_county` builder."""
    return build_line_county


@pytest.fixture(scope="module")
def county_engine(request: pytest.FixtureRequest, line_county: Callable[..., County]) -> tuple[County, Any]:
    """``(county, engine)`` for the test module's ``_county(line_county)`` (one engine per module)."""
    from planning.network.engine import TravelEngine

    county = request.module._county(line_county)
    return county, TravelEngine.from_county(county)
