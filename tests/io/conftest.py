"""A tiny county written to disk in real formats (GeoPackage, GCJ-02 CSV, OSM XML, GeoTIFF)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely import Point, box

from planning.crs import wgs84_to_gcj02
from planning.io import write_geopackage

# county: 0.1 x 0.1 degree box at 111.0-111.1 E, 38.0-38.1 N; townships split at 111.05 E
WEST, SOUTH, EAST, NORTH = 111.0, 38.0, 111.1, 38.1
VILLAGES = [  # id, name, township_id, population, households, lon, lat
    ("V1", "张家村", "T1", 350, 100, 111.01, 38.02),
    ("V2", "李家村", "T1", 120, 40, 111.03, 38.08),
    ("V3", "王家村", "T2", 980, 300, 111.07, 38.03),
    ("V4", "赵家村", "T2", 150, 50, 111.09, 38.09),
]
FACILITIES = [  # 编号, 名称, 类型, WGS84 lon, lat (written to the CSV in GCJ-02)
    ("F1", "张家村卫生室", "村卫生室", 111.011, 38.021),
    ("F2", "王家镇卫生院", "乡镇卫生院", 111.071, 38.031),
]
OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="38.02" lon="111.01"/><node id="2" lat="38.02" lon="111.05"/>
  <node id="3" lat="38.03" lon="111.07"/><node id="4" lat="38.08" lon="111.03"/>
  <node id="5" lat="38.09" lon="111.09"/>
  <way id="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="secondary"/></way>
  <way id="2"><nd ref="2"/><nd ref="4"/><tag k="highway" v="unclassified"/></way>
  <way id="3"><nd ref="3"/><nd ref="5"/><tag k="highway" v="track"/></way>
</osm>
"""
# population raster: 0.02-degree cells over 110.96-111.14 E, 37.96-38.14 N (9 x 9), value = 1..81
POP_TRANSFORM = Affine(0.02, 0.0, 110.96, 0.0, -0.02, 38.14)
POP = np.arange(1, 82, dtype=np.float64).reshape(9, 9)
MANIFEST = """county_id: "141199"
name: 测试县
crs: auto
seat: {x: 111.05, y: 38.05, crs: "EPSG:4326"}
agricultural: true
layers:
  boundary:    {path: county.gpkg, layer: boundary}
  townships:   {path: county.gpkg, layer: townships}
  villages:    {path: county.gpkg, layer: villages}
  facilities:  {path: facilities.csv, coords: gcj02}
roads: {path: roads.osm}
population: {path: population.tif}
dem: {path: dem.tif}
"""


def pop_inside_total() -> float:
    """Hand count: cells whose centre is inside the county box (columns/rows 2..6 of 9)."""
    cols = rows = range(2, 7)  # centres 111.01..111.09 and 38.09..38.01
    return float(sum(POP[r, c] for r in rows for c in cols))


def write_tiny_county(folder: Path, *, manifest: str = MANIFEST, villages=None, facilities=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    boundary = gpd.GeoDataFrame({"county_id": ["141199"], "name": ["测试县"], "name_en": ["Test County"]},
                                geometry=[box(WEST, SOUTH, EAST, NORTH)], crs="EPSG:4326")
    townships = gpd.GeoDataFrame({"id": ["T1", "T2"], "name": ["东镇", "西乡"], "类型": ["镇", "乡"],
                                  "seat_x": [111.02, 111.07], "seat_y": [38.05, 38.05]},
                                 geometry=[box(WEST, SOUTH, 111.05, NORTH), box(111.05, SOUTH, EAST, NORTH)],
                                 crs="EPSG:4326")
    rows = villages if villages is not None else VILLAGES
    v = gpd.GeoDataFrame({"编号": [r[0] for r in rows], "名称": [r[1] for r in rows],
                          "乡镇代码": [r[2] for r in rows], "人口": [r[3] for r in rows],
                          "户数": [r[4] for r in rows]},
                         geometry=[Point(r[5], r[6]) for r in rows], crs="EPSG:4326")
    write_geopackage({"boundary": boundary, "townships": townships, "villages": v}, folder / "county.gpkg")
    lines = ["编号,名称,类型,经度,纬度"]
    for fid, name, kind, lon, lat in (facilities if facilities is not None else FACILITIES):
        glon, glat = wgs84_to_gcj02(lon, lat)
        lines.append(f"{fid},{name},{kind},{glon:.9f},{glat:.9f}")
    (folder / "facilities.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "roads.osm").write_text(OSM, encoding="utf-8")
    for name, data in (("population.tif", POP), ("dem.tif", 800.0 + POP * 10)):
        with rasterio.open(folder / name, "w", driver="GTiff", width=9, height=9, count=1, dtype="float64",
                           crs="EPSG:4326", transform=POP_TRANSFORM, nodata=-99999.0) as ds:
            ds.write(data, 1)
    (folder / "county.yaml").write_text(manifest, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_county(tmp_path) -> Path:
    return write_tiny_county(tmp_path / "county")


@pytest.fixture
def tiny():
    """The tiny-county helpers and constants (test modules cannot import conftest)."""
    import types

    return types.SimpleNamespace(write=write_tiny_county, VILLAGES=VILLAGES, FACILITIES=FACILITIES,
                                 MANIFEST=MANIFEST, pop_inside_total=pop_inside_total)
