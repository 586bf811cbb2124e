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


def write_tiny_county(directory, *, county_id: str = "149999", name: str = "小县", odd_job_market: bool = False,
                      shift_x: float = 0.0):
    """Write the tiny county in the real input formats (GeoPackage, OSM XML, CSV) with its county.yaml.

    Parameters
    ----------
    directory : Path
        Created when missing.
    county_id, name : str
        Boundary attributes.
    odd_job_market : bool
        Add an odd-job market (so EM-01 passes) next to 东镇卫生院.
    shift_x : float
        Move everything east by this many metres (distinct counties).

    Returns
    -------
    Path
        The county.yaml.
    """
    from pathlib import Path

    import yaml

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    c = tiny_county()

    def wgs(gdf):
        out = gdf.copy()
        out.geometry = out.geometry.translate(xoff=shift_x)
        return out.to_crs("EPSG:4326")

    boundary = wgs(c.boundary)
    boundary["county_id"] = county_id
    boundary["name"] = name
    gpkg = d / "county.gpkg"
    for layer, frame in (("boundary", boundary), ("townships", wgs(c.townships)), ("villages", wgs(c.villages))):
        frame.to_file(gpkg, layer=layer, driver="GPKG")
    fac = wgs(c.facilities)
    rows = [{"id": r.id, "name": r.name, "kind": r.kind, "lon": round(r.geometry.x, 8), "lat": round(r.geometry.y, 8),
             "village_doctors": r.village_doctors} for r in fac.itertuples()]
    if odd_job_market:
        lon, lat = to_lonlat(X0 + shift_x + 3000, Y0 + 1100)
        rows.append({"id": "M1", "name": "东镇零工市场", "kind": "odd_job_market", "lon": round(lon, 8),
                     "lat": round(lat, 8), "village_doctors": 0})
    import pandas as pd

    pd.DataFrame(rows).to_csv(d / "facilities.csv", index=False, encoding="utf-8")
    nodes = wgs(c.roads.nodes)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i, g in enumerate(nodes.geometry, start=1):
        lines.append(f'  <node id="{i}" version="1" lat="{g.y:.8f}" lon="{g.x:.8f}"/>')
    lines.append('  <way id="100" version="1">')
    lines += [f'    <nd ref="{i}"/>' for i in range(1, len(nodes) + 1)]
    lines += ['    <tag k="highway" v="tertiary"/>', '    <tag k="name" v="乡道"/>', "  </way>", "</osm>"]
    (d / "roads.osm").write_text("\n".join(lines) + "\n", encoding="utf-8")
    seat_lon, seat_lat = to_lonlat(X0 + shift_x + 3000, Y0 + 1000)
    manifest = {
        "county_id": county_id, "name": name, "crs": "auto", "agricultural": True,
        "seat": {"x": round(seat_lon, 8), "y": round(seat_lat, 8), "crs": "EPSG:4326"},
        "layers": {"boundary": {"path": "county.gpkg", "layer": "boundary"},
                   "townships": {"path": "county.gpkg", "layer": "townships"},
                   "villages": {"path": "county.gpkg", "layer": "villages"},
                   "facilities": {"path": "facilities.csv"}},
        "roads": {"path": "roads.osm"},
    }
    (d / "county.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return d / "county.yaml"


@pytest.fixture
def tiny_county_dir(tmp_path):
    """The tiny county written to disk; returns its county.yaml."""
    return write_tiny_county(tmp_path / "tiny")
