"""A hand-built county for the rule tests, and an independent networkx travel engine.

Layout (metres, relative to (500000, 4200000) in UTM 49N; every place sits on a road node):

* Town grid 城关镇 (T2, a 镇 with communities): nodes x ∈ {0, 375, 750, 1125, 1500} ×
  y ∈ {0, 375}, 375 m edges. Walking 4.5 km/h = 75 m/min → 5 min per edge; driving on
  ``unclassified`` roads 30 km/h = 500 m/min → 0.75 min per edge.
* A spine road east from (1500, 0) with nodes every 1,500 m up to x = 25,500 (3 min drive each).
* Township boundary at x = 5,250: T2 west of it, T1 (a 乡) east of it.

Villages (rural on the spine unless urban): U1 (375,375) urban 3,000; U2 (1125,0) urban 2,400;
V01 3000/800, V02 4500/600 (T2); V03 6000/1600, V04 7500/900, V05 10500/1100, V06 16500/700,
V07 12000/1500 (relocation site), V08 15000/1300, V09 13500/500, V10 22500/300, V11 24000/200,
V12 25500/199 (T1). Communities in the town: C1 (0,0) 1000 hh/3000 old; C2 (750,375) 500 hh/1500
new; C3 (1500,0) 300 hh/900 new, relocation site.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from planning.config import DEFAULT_DRIVE_SPEED_KPH, TravelSettings
from planning.county import County, RoadNetwork

CRS = "EPSG:32649"
X0, Y0 = 500000.0, 4200000.0


def P(x: float, y: float = 0.0) -> Point:
    return Point(X0 + x, Y0 + y)


def _roads() -> RoadNetwork:
    coords: dict[tuple[float, float], int] = {}

    def node(x: float, y: float) -> int:
        return coords.setdefault((x, y), len(coords) + 1)

    pairs = []
    xs = [0.0, 375.0, 750.0, 1125.0, 1500.0]
    for y in (0.0, 375.0):
        for a, b in zip(xs[:-1], xs[1:], strict=True):
            pairs.append(((a, y), (b, y)))
    for x in xs:
        pairs.append(((x, 0.0), (x, 375.0)))
    spine = [1500.0 + 1500.0 * i for i in range(17)]  # 1500 … 25500
    for a, b in zip(spine[:-1], spine[1:], strict=True):
        pairs.append(((a, 0.0), (b, 0.0)))
    rows = []
    for (ax, ay), (bx, by) in pairs:
        u, v = node(ax, ay), node(bx, by)
        length = float(np.hypot(bx - ax, by - ay))
        for s, t, g in ((u, v, LineString([P(ax, ay), P(bx, by)])), (v, u, LineString([P(bx, by), P(ax, ay)]))):
            rows.append({"u": s, "v": t, "length_m": length, "highway": "unclassified", "oneway": False,
                         "maxspeed_kph": np.nan, "name": "", "geometry": g})
    ids = sorted(coords.values())
    inv = {i: xy for xy, i in coords.items()}
    nodes = gpd.GeoDataFrame({"x": [X0 + inv[i][0] for i in ids], "y": [Y0 + inv[i][1] for i in ids]},
                             geometry=[P(*inv[i]) for i in ids], crs=CRS,
                             index=pd.Index(np.array(ids, dtype=np.int64), name="node_id"))
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    return RoadNetwork(nodes, edges)


VILLAGES = [
    # id, name, township, x, y, population, urban, relocation
    ("U1", "城关一社区", "T2", 375, 375, 3000, True, False),
    ("U2", "城关二社区", "T2", 1125, 0, 2400, True, False),
    ("V01", "东关村", "T2", 3000, 0, 800, False, False),
    ("V02", "南庄村", "T2", 4500, 0, 600, False, False),
    ("V03", "河口村", "T1", 6000, 0, 1600, False, False),
    ("V04", "柳林村", "T1", 7500, 0, 900, False, False),
    ("V05", "石门村", "T1", 10500, 0, 1100, False, False),
    ("V06", "高家村", "T1", 16500, 0, 700, False, False),
    ("V07", "新村安置点", "T1", 12000, 0, 1500, False, True),
    ("V08", "王家村", "T1", 15000, 0, 1300, False, False),
    ("V09", "李家村", "T1", 13500, 0, 500, False, False),
    ("V10", "后沟村", "T1", 22500, 0, 300, False, False),
    ("V11", "前沟村", "T1", 24000, 0, 200, False, False),
    ("V12", "山顶村", "T1", 25500, 0, 199, False, False),
]

COMMUNITIES = [
    # id, name, x, y, households, population, new_build, relocation
    ("C1", "老城社区", 0, 0, 1000, 3000, False, False),
    ("C2", "新城社区", 750, 375, 500, 1500, True, False),
    ("C3", "移民新区", 1500, 0, 300, 900, True, True),
]

_F = dict(village_doctors=np.nan, tcm_doctors=np.nan, public_health_physicians=np.nan, beds=np.nan,
          floor_area_m2=np.nan, grade=np.nan, has_ambulance=None, has_outpatient=None, emergency_centres=None,
          emergency_team=None, public_central=None, cremation=None)

FACILITIES = [
    # id, name, kind, x, y, attributes
    ("H1", "县人民医院", "county_hospital", 750, 0,
     dict(grade=3, beds=300, has_ambulance=True, emergency_centres="chest_pain,stroke,trauma", emergency_team=True)),
    ("EMC1", "县急救中心", "emergency_centre", 750, 0, {}),
    ("CHC1", "城关社区卫生服务中心", "community_health_centre", 375, 0, dict(public_health_physicians=1)),
    ("MCH1", "县妇幼保健院", "maternal_child_health", 375, 375, dict(grade=1, has_outpatient=True)),
    ("TCM1", "县中医院", "tcm_hospital", 1125, 375, dict(grade=2)),
    ("EP1", "城关镇就业服务站", "employment_service_point", 750, 375, {}),
    ("F1", "全民健身广场", "fitness_facility", 0, 375, {}),
    ("EC1", "城关养老服务中心", "elderly_care", 750, 375, dict(floor_area_m2=150.0)),
    ("CC1", "阳光托育", "childcare", 375, 0, {}),
    ("HK1", "家政服务站", "housekeeping", 1125, 0, {}),
    ("MA1", "老年助餐点", "meal_assistance", 750, 375, {}),
    ("MK1", "农贸市场", "market", 0, 0, {}),
    ("CSC1", "党群服务中心", "community_service_centre", 1500, 375, {}),
    ("K1", "县第一幼儿园", "kindergarten", 375, 375, dict(public_central=True)),
    ("VS1", "县职业中学", "vocational_school", 1500, 375, {}),
    ("SAC2", "城关社会救助服务中心", "social_assistance_centre", 1125, 375, {}),
    ("FH1", "县殡仪馆", "funeral_home", 4500, 0, dict(cremation=True)),
    ("VC3", "东关村卫生室", "village_clinic", 3000, 0, dict(village_doctors=3, tcm_doctors=1)),
    ("TH1", "河口乡卫生院", "township_hospital", 6000, 0,
     dict(grade=1, beds=20, has_ambulance=False, public_health_physicians=0)),
    ("CTH1", "新村中心卫生院", "central_township_hospital", 12000, 0,
     dict(grade=2, beds=60, has_ambulance=True, public_health_physicians=1)),
    ("VC1", "石门村卫生室", "village_clinic", 10500, 0, dict(village_doctors=3, tcm_doctors=1)),
    ("VC2", "王家村卫生室", "village_clinic", 15000, 0, dict(village_doctors=4, tcm_doctors=0)),
    ("DC1", "新村日间照料中心", "elderly_day_care", 12000, 0, dict(floor_area_m2=100.0)),
    ("K2", "河口乡幼儿园", "kindergarten", 7500, 0, dict(public_central=False)),
    ("B1", "河口寄宿制学校", "boarding_school", 10500, 0, {}),
    ("SAC1", "河口乡社会救助服务中心", "social_assistance_centre", 6000, 0, {}),
    ("PC1", "河口公益性公墓", "public_cemetery", 10500, 0, {}),
]


def make_county() -> County:
    """The hand-built county (fresh objects every call, so tests may edit them)."""
    t2 = box(X0 - 1000, Y0 - 3000, X0 + 5250, Y0 + 3000)
    t1 = box(X0 + 5250, Y0 - 3000, X0 + 26500, Y0 + 3000)
    townships = gpd.GeoDataFrame({"id": ["T1", "T2"], "name": ["河口乡", "城关镇"],
                                  "township_type": ["township", "town"]}, geometry=[t1, t2], crs=CRS)
    boundary = gpd.GeoDataFrame({"county_id": ["149999"], "name": ["手算县"], "agricultural": [True]},
                                geometry=[t1.union(t2)], crs=CRS)
    villages = gpd.GeoDataFrame(
        [{"id": i, "name": n, "township_id": t, "population": p, "households": p // 3,
          "share_working_age": 0.6, "urban": u, "relocation_site": r} for i, n, t, _, _, p, u, r in VILLAGES],
        geometry=[P(x, y) for _, _, _, x, y, *_ in VILLAGES], crs=CRS)
    communities = gpd.GeoDataFrame(
        [{"id": i, "name": n, "township_id": "T2", "households": h, "population": p, "new_build": nb,
          "relocation_site": r} for i, n, _, _, h, p, nb, r in COMMUNITIES],
        geometry=[P(x, y) for _, _, x, y, *_ in COMMUNITIES], crs=CRS)
    facilities = gpd.GeoDataFrame(
        [{"id": i, "name": n, "kind": k, **{**_F, **a}} for i, n, k, _, _, a in FACILITIES],
        geometry=[P(x, y) for _, _, _, x, y, _ in FACILITIES], crs=CRS)
    return County(boundary=boundary, townships=townships, villages=villages, facilities=facilities,
                  roads=_roads(), communities=communities, seat=P(750, 375))


class NxEngine:
    """Independent reference engine on networkx: snap to the nearest node, access leg walked.

    Implements the ``nearest`` contract of COMMON.md with per-origin Dijkstra (small graphs only).
    """

    def __init__(self, roads: RoadNetwork, settings: TravelSettings | None = None) -> None:
        s = settings or TravelSettings()
        self.walk_m_per_min = s.walk_speed_kph * 1000.0 / 60.0
        self.nodes = roads.nodes
        self.xy = np.column_stack([roads.nodes["x"], roads.nodes["y"]])
        self.ids = roads.nodes.index.to_numpy()
        self.g = {"walk": nx.DiGraph(), "drive": nx.DiGraph()}
        for e in roads.edges.itertuples():
            walk_t = e.length_m / self.walk_m_per_min
            drive_t = e.length_m / (DEFAULT_DRIVE_SPEED_KPH[e.highway] * 1000.0 / 60.0)
            self.g["walk"].add_edge(e.u, e.v, time=walk_t, dist=e.length_m)
            self.g["drive"].add_edge(e.u, e.v, time=drive_t, dist=e.length_m)
        self.max_snap_m = s.max_snap_m

    def _snap(self, gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
        pts = np.column_stack([gdf.geometry.x, gdf.geometry.y])
        d = np.hypot(pts[:, None, 0] - self.xy[None, :, 0], pts[:, None, 1] - self.xy[None, :, 1])
        k = d.argmin(axis=1)
        return self.ids[k], d[np.arange(len(pts)), k]

    def nearest(self, origins, destinations, *, mode="walk", metric="time", cutoff=None, id_col="id"):
        g = self.g["drive" if mode in ("drive", "mixed") else "walk"]
        weight, other = ("time", "dist") if metric == "time" else ("dist", "time")
        on, od_ = self._snap(origins)
        dn, dd = self._snap(destinations)
        dids = destinations[id_col].astype(str).to_numpy()
        rows = []
        for oid, n0, s0 in zip(origins[id_col].astype(str), on, od_, strict=True):
            lengths, paths = nx.single_source_dijkstra(g, n0, weight=weight)
            best = None
            for did, n1, s1 in zip(dids, dn, dd, strict=True):
                if n1 not in lengths:
                    continue
                leg = {"time": (s0 + s1) / self.walk_m_per_min, "dist": s0 + s1}
                path = paths[n1]
                w = lengths[n1] + leg[weight]
                o = sum(g[a][b][other] for a, b in zip(path[:-1], path[1:], strict=True)) + leg[other]
                if cutoff is not None and w > cutoff:
                    continue
                if best is None or (w, did) < (best[1], best[0]):
                    best = (did, w, o)
            t, d = (best[1], best[2]) if best and metric == "time" else ((best[2], best[1]) if best else (np.nan, np.nan))
            rows.append({"origin_id": oid, "destination_id": best[0] if best else None, "travel_time_min": t,
                         "distance_m": d, "snap_distance_m": s0, "reason": "" if best else "no destination reachable"})
        return pd.DataFrame(rows, columns=["origin_id", "destination_id", "travel_time_min", "distance_m",
                                           "snap_distance_m", "reason"])


def _planning_engine(county: County):
    from planning.network.engine import TravelEngine

    return TravelEngine.from_county(county)


@pytest.fixture
def county() -> County:
    return make_county()


def engine_for(name: str, county: County):
    """The named engine on a county's roads."""
    return NxEngine(county.roads) if name == "networkx" else _planning_engine(county)


@pytest.fixture
def make():
    """Factory of fresh hand-built counties (``make()``)."""
    return make_county


@pytest.fixture
def engine_of():
    """``engine_of(name, county)``: the named engine on a county's roads."""
    return engine_for


@pytest.fixture(scope="module", params=["networkx", "planning"])
def hand_table(request):
    """Compliance table of the hand-built county with either engine (evaluated once per module)."""
    from planning.rules import evaluate

    county = make_county()
    return evaluate(county, engine=engine_for(request.param, county), lang="en")
