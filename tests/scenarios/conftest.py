"""Fixtures of the scenario tests: a tiny county built in code (EPSG:4546, around 111°E 37.9°N)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Point, box

from planning.county import County, Raster, RoadNetwork

EPSG = "EPSG:4546"  # CGCS2000 / 3-degree Gauss-Kruger CM 111E
X0, Y0 = 500_000.0, 4_195_000.0  # lower-left corner of the tiny county


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """County CRS → WGS84 lon/lat."""
    lon, lat = Transformer.from_crs(EPSG, "EPSG:4326", always_xy=True).transform(x, y)
    return float(lon), float(lat)


def tiny_county() -> County:
    """Two townships (T1 west, T2 east) of a 4 km × 2 km county, 5 villages, a road along y=1000.

    Road nodes 0..4 at x = 0, 1000, 2000, 3000, 4000 (y = 1000), two-way tertiary.
    """
    def pt(x: float, y: float) -> Point:
        return Point(X0 + x, Y0 + y)

    boundary = gpd.GeoDataFrame({"county_id": ["149999"], "name": ["小县"], "agricultural": [True]},
                                geometry=[box(X0, Y0, X0 + 4000, Y0 + 2000)], crs=EPSG)
    townships = gpd.GeoDataFrame({"id": ["T1", "T2"], "name": ["西乡", "东镇"], "township_type": ["township", "town"]},
                                 geometry=[box(X0, Y0, X0 + 2000, Y0 + 2000), box(X0 + 2000, Y0, X0 + 4000, Y0 + 2000)],
                                 crs=EPSG)
    villages = gpd.GeoDataFrame({"id": ["V1", "V2", "V3", "V4", "V5"], "name": ["甲村", "乙村", "丙村", "丁村", "戊村"],
                                 "township_id": ["T1", "T1", "T1", "T2", "T2"],
                                 "population": [100, 200, 701, 1000, 0],
                                 "households": [40, 80, 280, 400, 0]},
                                geometry=[pt(100, 1100), pt(900, 1100), pt(1500, 900), pt(2500, 1100), pt(3500, 900)],
                                crs=EPSG)
    facilities = gpd.GeoDataFrame({"id": ["F1", "F2", "F3"], "name": ["甲村卫生室", "西乡卫生院", "东镇卫生院"],
                                   "kind": ["village_clinic", "township_hospital", "township_hospital"],
                                   "township_id": ["T1", "T1", "T2"], "village_doctors": [1, 0, 0]},
                                  geometry=[pt(100, 1050), pt(1000, 1050), pt(3000, 1050)], crs=EPSG)
    xs = [0.0, 1000.0, 2000.0, 3000.0, 4000.0]
    nodes = gpd.GeoDataFrame({"x": [X0 + x for x in xs], "y": [Y0 + 1000.0] * 5},
                             geometry=[pt(x, 1000) for x in xs], crs=EPSG)
    nodes.index = np.arange(5, dtype=np.int64)
    nodes.index.name = "node_id"
    rows, geoms = [], []
    for i in range(4):
        line = LineString([(X0 + xs[i], Y0 + 1000), (X0 + xs[i + 1], Y0 + 1000)])
        for u, v, g in ((i, i + 1, line), (i + 1, i, line.reverse())):
            rows.append({"u": u, "v": v, "length_m": 1000.0, "highway": "tertiary", "oneway": False,
                         "maxspeed_kph": np.nan, "name": "乡道"})
            geoms.append(g)
    edges = gpd.GeoDataFrame(rows, geometry=geoms, crs=EPSG)
    population = Raster(np.full((2, 4), 250.0), Affine(1000.0, 0, X0, 0, -1000.0, Y0 + 2000), CRS(EPSG))
    return County(boundary, townships, villages, facilities, RoadNetwork(nodes, edges), population=population,
                  seat=pt(3000, 1000), meta={})


@pytest.fixture
def county() -> County:
    return tiny_county()


@pytest.fixture
def lonlat():
    """Function (x, y offsets from the county's lower-left corner, m) → WGS84 (lon, lat)."""
    return lambda dx, dy: to_lonlat(X0 + dx, Y0 + dy)


@pytest.fixture
def origin() -> tuple[float, float]:
    """Lower-left corner (x, y) of the tiny county, EPSG:4546."""
    return X0, Y0
