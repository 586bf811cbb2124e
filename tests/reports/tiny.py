"""A tiny county and hand-made result tables with exactly the contract columns (COMMON.md).

Six kilometres by four, CGCS2000 / 3-degree Gauss-Kruger CM 111E (EPSG:4546), centred at
111.0°E 37.9°N: two townships (west 镇 T1, east 乡 T2), five villages on a line, a road along
them (two-way), two village clinics and one township hospital. Loaded by the map and report
tests with ``load_tiny()`` (tests are not a package).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS
from shapely.geometry import LineString, Point, box

from planning.county import County, Raster, RoadNetwork

CRS_METRIC = CRS.from_epsg(4546)
X0, Y0 = 500_000.0, 4_196_398.0

VILLAGES = [
    # id, name, township, population, x offset (m)
    ("V1", "东关村", "T1", 1200, -2500.0),
    ("V2", "西沟村", "T1", 800, -1200.0),
    ("V3", "南庄村", "T1", 150, -100.0),
    ("V4", "柳树坪村", "T2", 420, 1300.0),
    ("V5", "石窑村", "T2", 95, 2600.0),
]


def county() -> County:
    """The tiny county."""
    boundary = gpd.GeoDataFrame({"county_id": ["149999"], "name": ["示范县"], "agricultural": [True]},
                                geometry=[box(X0 - 3000, Y0 - 2000, X0 + 3000, Y0 + 2000)], crs=CRS_METRIC)
    townships = gpd.GeoDataFrame(
        {"id": ["T1", "T2"], "name": ["城关镇", "石门乡"], "township_type": ["town", "township"]},
        geometry=[box(X0 - 3000, Y0 - 2000, X0 + 500, Y0 + 2000), box(X0 + 500, Y0 - 2000, X0 + 3000, Y0 + 2000)],
        crs=CRS_METRIC)
    villages = gpd.GeoDataFrame(
        {"id": [v[0] for v in VILLAGES], "name": [v[1] for v in VILLAGES], "township_id": [v[2] for v in VILLAGES],
         "population": [v[3] for v in VILLAGES], "households": [v[3] // 3 for v in VILLAGES]},
        geometry=[Point(X0 + v[4], Y0 + 300.0) for v in VILLAGES], crs=CRS_METRIC)
    facilities = gpd.GeoDataFrame(
        {"id": ["F1", "F2", "F3"], "name": ["东关村卫生室", "南庄村卫生室", "城关镇卫生院"],
         "kind": ["village_clinic", "village_clinic", "township_hospital"], "township_id": ["T1", "T1", "T1"],
         "village_doctors": [1, 0, np.nan], "beds": [np.nan, np.nan, 40.0]},
        geometry=[Point(X0 - 2450, Y0 + 250), Point(X0 - 80, Y0 + 260), Point(X0 - 1500, Y0 - 200)], crs=CRS_METRIC)
    xs = [X0 + v[4] for v in VILLAGES]
    nodes = gpd.GeoDataFrame({"x": xs, "y": [Y0] * 5}, geometry=[Point(x, Y0) for x in xs], crs=CRS_METRIC,
                             index=pd.Index(np.arange(5, dtype="int64"), name="node_id"))
    rows = []
    for a in range(4):
        for u, v in ((a, a + 1), (a + 1, a)):
            rows.append({"u": u, "v": v, "length_m": abs(xs[v] - xs[u]), "highway": "tertiary", "oneway": False,
                         "maxspeed_kph": np.nan, "name": "乡道X101",
                         "geometry": LineString([(xs[u], Y0), (xs[v], Y0)])})
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS_METRIC)
    population = Raster(np.full((4, 6), 100.0), Affine(1000.0, 0, X0 - 3000, 0, -1000.0, Y0 + 2000), CRS_METRIC)
    return County(boundary=boundary, townships=townships, villages=villages, facilities=facilities,
                  roads=RoadNetwork(nodes, edges), population=population, seat=Point(X0 - 1500, Y0),
                  meta={"roads": "roads.osm"})


def nearest() -> pd.DataFrame:
    """Nearest village clinic of each village: V4 beyond 15 min, V5 off the network."""
    return pd.DataFrame({
        "origin_id": ["V1", "V2", "V3", "V4", "V5"],
        "destination_id": ["F1", "F1", "F2", "F2", None],
        "travel_time_min": [1.5, 8.2, 0.9, 22.4, np.nan],
        "distance_m": [120.0, 1350.0, 60.0, 1420.0, np.nan],
        "snap_distance_m": [50.0, 300.0, 300.0, 300.0, 2300.0],
        "reason": ["", "", "", "", "snap distance 2,300 m > max 1,500 m"],
    })


COMPLIANCE_COLUMNS = ["rule_id", "level", "area_id", "area_name", "status", "value", "threshold", "unit",
                      "failing_population", "failing_places", "metric", "source", "detail", "modified"]


def compliance(after: bool = False) -> pd.DataFrame:
    """A compliance table before (or after) the actions."""
    src1 = "000_双千行动.txt; 003 专栏6"
    rows = [
        ("HC-01", "village", "V1", "东关村", "pass", 1, 1, "clinics", 0, "", "count", src1, "有卫生室", False),
        ("HC-01", "village", "V2", "西沟村", "pass", 0, 1, "clinics", 0, "", "drive_time", src1,
         "8.2 分钟内有邻村卫生室（HC-02）", False),
        ("HC-01", "village", "V3", "南庄村", "pass", 1, 1, "clinics", 0, "", "count", src1, "有卫生室", False),
        ("HC-01", "village", "V4", "柳树坪村", "pass" if after else "fail", 1 if after else 0, 1, "clinics",
         0 if after else 420, "" if after else "V4:柳树坪村", "drive_time", src1,
         "" if after else "最近卫生室 22.4 分钟，超过 15 分钟", False),
        ("HC-01", "village", "V5", "石窑村", "fail", 0, 1, "clinics", 95, "V5:石窑村", "drive_time", src1,
         "距路网 2,300 米，无法到达", False),
        ("HC-04", "township", "T1", "城关镇", "pass", 1, 1, "hospitals", 0, "", "count", "003 专栏6", "", False),
        ("HC-04", "township", "T2", "石门乡", "fail", 0, 1, "hospitals", 515, "T2:石门乡", "count", "003 专栏6",
         "本乡无卫生院", False),
        ("HC-03", "county", "149999", "示范县", "no_data", np.nan, 1000, "people per doctor", 0, "", "count",
         "002 §(一)3", "缺少 village_doctors 列", False),
        ("HC-06", "county", "149999", "示范县", "pass" if after else "fail", 0.98 if after else 0.81, 0.95, "share",
         55 if after else 515, "" if after else "T2:石门乡", "road_distance", "002 §(二)11", "", True),
        ("EM-01", "county", "149999", "示范县", "fail", 0, 1, "markets", 2665, "149999:示范县", "count", "000",
         "全县无零工市场", False),
        ("HC-09", "county", "149999", "示范县", "not_applicable", np.nan, np.nan, "", 0, "", "count",
         "002 §(二)8", "", False),
    ]
    return pd.DataFrame(rows, columns=COMPLIANCE_COLUMNS)


def actions() -> gpd.GeoDataFrame:
    """Two proposed actions."""
    return gpd.GeoDataFrame({
        "action": ["new", "upgrade"], "kind": ["village_clinic", "emergency_station"],
        "site_id": ["V4", "F3"], "site_name": ["柳树坪村", "城关镇卫生院"], "township_id": ["T2", "T1"],
        "cost": [30.0, 120.0], "population_gained": [420.0, 460.0], "rule_id": ["HC-01", "HC-06"],
        "reason": ["nearest clinic 22.4 min from 柳树坪村, beyond 15 min", "石门乡 beyond the 15 km emergency radius"],
        "reason_zh": ["柳树坪村到最近卫生室 22.4 分钟，超过 15 分钟", "石门乡在 15 公里急救半径外"],
    }, geometry=[Point(X0 + 1300, Y0 + 300), Point(X0 - 1500, Y0 - 200)], crs=CRS_METRIC)


def service_areas() -> gpd.GeoDataFrame:
    """Service areas of the clinics at 5, 10 and 15 minutes (round buffers stand in for network polygons)."""
    rows = []
    fac = county().facilities
    for _, f in fac[fac["kind"] == "village_clinic"].iterrows():
        for b, r in ((5, 400.0), (10, 900.0), (15, 1400.0)):
            rows.append({"facility_id": f["id"], "kind": "village_clinic", "break": b, "metric": "time",
                         "geometry": f.geometry.buffer(r)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS_METRIC)


def coverage_by_township() -> pd.DataFrame:
    """Population within 10 and 15 minutes of a clinic, by township and for the county (the
    columns of ``planning.coverage.coverage_by_area``, with the service as the runner passes it)."""
    return pd.DataFrame({
        "service": ["village_clinic"] * 3,
        "level": ["township", "township", "county"], "township_id": ["T1", "T2", "149999"],
        "township_name": ["城关镇", "石门乡", "示范县"], "metric": ["drive_time"] * 3, "unit": ["min"] * 3,
        "population": [2150, 515, 2665], "covered_pop_10min": [2150, 0, 2150],
        "share_10min": [1.0, 0.0, 2150 / 2665], "covered_pop_15min": [2150, 0, 2150],
        "share_15min": [1.0, 0.0, 2150 / 2665], "uncovered_places": ["", "V4:柳树坪村; V5:石窑村", "V4:柳树坪村; V5:石窑村"],
    })


def solver() -> dict:
    """Solver summaries, one per recipe."""
    return {"village_clinics": {"model": "LSCP", "status": "optimal", "objective": 30.0, "bound": 30.0,
                                "gap": 0.0, "solve_seconds": 0.01}}
