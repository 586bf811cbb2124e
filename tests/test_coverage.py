"""Coverage on nearest/OD tables: hand-computed counts, sums equal totals, raster demand, oracles."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from pyproj import CRS as PCRS
from shapely.geometry import LineString, Point, box

from planning import InputError
from planning.county import County, Raster, RoadNetwork
from planning.coverage import (
    community_weights,
    coverage_by_area,
    coverage_table,
    demand_points,
    euclidean_nearest,
    coverage_by_kind,
    metric_label,
    nearest_facilities,
    nearest_from_od,
    owner_place,
    raster_demand,
    threshold_label,
    township_within,
)
from planning.network.engine import TravelEngine

CRS = "EPSG:32649"
X0, Y0 = 400000.0, 4100000.0


def _county() -> County:
    """Five villages on a straight unclassified road, 1 km apart (2 min drive, 13.33 min walk each).

    Villages A (x=0, 100 people, township S), B (1 km, 200, S), C (2 km, 300, N), D (3 km, 400, N),
    E (4 km, 500, N) and a village F 5 km off the road (60 people, N: beyond the 1,500 m snap limit).
    Clinics at A (x=0) and at D (x=3 km); a school at C.
    """
    xs = [0.0, 1000.0, 2000.0, 3000.0, 4000.0]
    nodes = gpd.GeoDataFrame({"x": [X0 + x for x in xs], "y": [Y0] * 5},
                             geometry=[Point(X0 + x, Y0) for x in xs], crs=CRS,
                             index=pd.Index(np.arange(1, 6, dtype=np.int64), name="node_id"))
    rows = []
    for i in range(4):
        a, b = Point(X0 + xs[i], Y0), Point(X0 + xs[i + 1], Y0)
        for u, v, g in ((i + 1, i + 2, LineString([a, b])), (i + 2, i + 1, LineString([b, a]))):
            rows.append({"u": u, "v": v, "length_m": 1000.0, "highway": "unclassified", "oneway": False,
                         "maxspeed_kph": np.nan, "name": "", "geometry": g})
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    s, n = box(X0 - 500, Y0 - 6000, X0 + 1500, Y0 + 6000), box(X0 + 1500, Y0 - 6000, X0 + 4500, Y0 + 6000)
    townships = gpd.GeoDataFrame({"id": ["S", "N"], "name": ["南乡", "北乡"], "township_type": ["township"] * 2},
                                 geometry=[s, n], crs=CRS)
    vx = {"A": (0, 0), "B": (1000, 0), "C": (2000, 0), "D": (3000, 0), "E": (4000, 0), "F": (2000, 5000)}
    pop = {"A": 100, "B": 200, "C": 300, "D": 400, "E": 500, "F": 60}
    villages = gpd.GeoDataFrame({"id": list(vx), "name": [f"{k}村" for k in vx],
                                 "township_id": ["S", "S", "N", "N", "N", "N"], "population": list(pop.values())},
                                geometry=[Point(X0 + x, Y0 + y) for x, y in vx.values()], crs=CRS)
    facilities = gpd.GeoDataFrame({"id": ["c1", "c2", "s1"], "name": ["甲卫生室", "乙卫生室", "学校"],
                                   "kind": ["village_clinic", "village_clinic", "boarding_school"]},
                                  geometry=[Point(X0, Y0), Point(X0 + 3000, Y0), Point(X0 + 2000, Y0)], crs=CRS)
    boundary = gpd.GeoDataFrame({"county_id": ["140001"], "name": ["线县"]}, geometry=[s.union(n)], crs=CRS)
    raster = Raster(np.array([[10.0, 0.0, np.nan], [5.0, 20.0, 1.0]]), Affine(1000.0, 0, X0 - 500, 0, -1000.0, Y0 + 500),
                    PCRS.from_user_input(CRS))
    return County(boundary=boundary, townships=townships, villages=villages, facilities=facilities,
                  roads=RoadNetwork(nodes, edges), population=raster)


@pytest.fixture
def county() -> County:
    return _county()


@pytest.fixture
def engine(county) -> TravelEngine:
    return TravelEngine.from_county(county)


def test_drive_coverage_by_hand(county, engine):
    demand = demand_points(county, "villages")
    near = nearest_facilities(engine, demand, county.facilities, kinds=["village_clinic"], mode="drive")
    assert near["metric"].unique().tolist() == ["drive_time"]
    t = coverage_table(demand, near, thresholds=[2, 4])
    # A, D on a clinic (0 min); B, C, E 1 km away = 2 min; F beyond the snap limit (unreachable)
    assert t["destination_id"].tolist()[:5] == ["c1", "c1", "c2", "c2", "c2"] and pd.isna(t["destination_id"].iloc[5])
    assert t["value"].tolist()[:5] == pytest.approx([0.0, 2.0, 2.0, 0.0, 2.0], abs=1e-9)
    assert np.isnan(t["value"].iloc[5]) and "snap" in t["reason"].iloc[5]
    assert t["covered_2min"].tolist() == [True, True, True, True, True, False]
    by = coverage_by_area(t, thresholds=[2, 4], townships=county.townships, county_id="140001", county_name="线县")
    assert by["township_id"].tolist() == ["S", "N", "140001"]
    assert by["level"].tolist() == ["township", "township", "county"]
    assert by["population"].tolist() == [300, 1260, 1560]
    assert by["covered_pop_2min"].tolist() == [300, 1200, 1500]
    assert by["share_2min"].tolist() == pytest.approx([1.0, 1200 / 1260, 1500 / 1560])
    assert by["uncovered_places"].tolist() == ["", "F:F村", "F:F村"]
    assert by["metric"].unique().tolist() == ["drive_time"] and by["unit"].unique().tolist() == ["min"]


def test_coverage_sums_equal_total_population(county, engine):
    demand = demand_points(county, "villages")
    for mode in ("walk", "drive"):
        near = nearest_facilities(engine, demand, county.facilities, kinds=["village_clinic"], mode=mode)
        thresholds = [5, 15, 30, 1e9]
        t = coverage_table(demand, near, thresholds=thresholds)
        by = coverage_by_area(t, thresholds=thresholds, townships=county.townships)
        towns, total = by[by.level == "township"], by[by.level == "county"].iloc[0]
        assert towns["population"].sum() == total["population"] == county.villages["population"].sum()
        for lab in ("5min", "15min", "30min", "1e+09min"):
            assert towns[f"covered_pop_{lab}"].sum() == total[f"covered_pop_{lab}"]
        # with an unbounded threshold covered + unreachable = everyone
        unreachable = t.loc[t["value"].isna(), "population"].sum()
        assert total["covered_pop_1e+09min"] + unreachable == total["population"]
        assert (np.diff([total[f"covered_pop_{lab}"] for lab in ("5min", "15min", "30min")]) >= 0).all()


def test_walk_threshold_boundary(county, engine):
    """B is exactly 1,000 m from clinic c1: 1000 / 75 = 13.333… min walk; 40/3 min threshold covers it."""
    demand = demand_points(county, "villages")
    near = nearest_facilities(engine, demand, county.facilities, kinds=["village_clinic"], mode="walk")
    t = coverage_table(demand, near, thresholds=[40 / 3, 13.3])
    assert t.set_index("id").loc["B", ["covered_13.3333min", "covered_13.3min"]].tolist() == [True, False]


def test_road_distance_and_euclidean_only_when_asked(county, engine):
    demand = demand_points(county, "villages")
    road = nearest_facilities(engine, demand, county.facilities, kinds=["boarding_school"], mode="drive",
                              metric="distance")
    t = coverage_table(demand, road, thresholds=[1000, 1500])
    assert t["metric"].iloc[0] == "road_distance" and t["unit"].iloc[0] == "m"
    assert t["value"].tolist()[:5] == pytest.approx([2000, 1000, 0, 1000, 2000])
    assert list(t.columns[-2:]) == ["covered_1km", "covered_1500m"]
    straight = nearest_facilities(None, demand, county.facilities, kinds=["boarding_school"], metric="euclidean")
    assert straight["metric"].iloc[0] == "euclidean"
    # brute force: F is 5 km straight north of the school
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    brute = np.hypot(xy[:, 0] - (X0 + 2000), xy[:, 1] - Y0)
    assert straight["distance_m"].to_numpy() == pytest.approx(brute)
    assert straight["travel_time_min"].isna().all()
    with pytest.raises(InputError, match="metric 'drive_time' needs a travel engine"):
        nearest_facilities(None, demand, county.facilities, kinds=["village_clinic"], mode="drive")


def test_no_facility_of_a_kind_is_unreachable_with_reason(county, engine):
    demand = demand_points(county, "villages")
    near = nearest_facilities(engine, demand, county.facilities, kinds=["odd_job_market"], mode="drive")
    assert near["travel_time_min"].isna().all()
    assert set(near["reason"]) == {"no facility of kind odd_job_market"}
    t = coverage_table(demand, near, thresholds=[60])
    assert not t["covered_60min"].any()


def test_nearest_from_od_equals_engine_nearest(county, engine):
    demand = demand_points(county, "villages")
    clinics = county.facilities[county.facilities.kind == "village_clinic"]
    od = engine.od(demand, clinics, mode="drive")
    from_od = nearest_from_od(od, demand["id"], metric="drive_time")
    direct = nearest_facilities(engine, demand, county.facilities, kinds=["village_clinic"], mode="drive")
    assert from_od["destination_id"].fillna("-").tolist() == direct["destination_id"].fillna("-").tolist()
    np.testing.assert_allclose(from_od["travel_time_min"], direct["travel_time_min"], atol=1e-9)


def test_nearest_from_od_brute_force_on_random_table():
    rng = np.random.default_rng(7)
    origins = [f"o{i}" for i in range(30)]
    dests = [f"d{j}" for j in range(8)]
    od = pd.DataFrame([(o, d, rng.uniform(0, 60), rng.uniform(0, 9000)) for o in origins[:-2] for d in dests],
                      columns=["origin_id", "destination_id", "travel_time_min", "distance_m"])
    od.loc[rng.choice(len(od), 40, replace=False), "travel_time_min"] = np.nan
    near = nearest_from_od(od, origins, metric="walk_time")
    for o, r in zip(origins, near.itertuples(), strict=True):
        sub = od[(od.origin_id == o) & od.travel_time_min.notna()]
        if len(sub) == 0:
            assert pd.isna(r.destination_id) and np.isnan(r.travel_time_min)
            assert r.reason == "no facility reachable in the OD table"
        else:
            best = sub.loc[sub.travel_time_min.idxmin()]
            assert (r.destination_id, r.travel_time_min) == (best.destination_id, best.travel_time_min)
    by_dist = nearest_from_od(od, origins, metric="road_distance")
    sub = od[od.origin_id == "o0"]
    assert by_dist["distance_m"].iloc[0] == sub.loc[sub.travel_time_min.notna(), "distance_m"].min()


def test_raster_cells_as_demand(county, engine):
    cells = raster_demand(county.population, county.townships)
    # non-zero valid cells: (0,0)=10, (1,0)=5, (1,1)=20, (1,2)=1; centres x = -0, 1000, 2000 (+X0), y = Y0, Y0-1000
    assert cells["id"].tolist() == ["cell_0_0", "cell_1_0", "cell_1_1", "cell_1_2"]
    assert cells["population"].sum() == county.population.total() == 36.0
    assert cells["township_id"].tolist() == ["S", "S", "S", "N"]
    assert cells.geometry.x.tolist() == [X0, X0, X0 + 1000, X0 + 2000]
    near = nearest_facilities(engine, demand_points(county, "population"), county.facilities,
                              kinds=["village_clinic"], mode="walk")
    t = coverage_table(cells, near, thresholds=[30])
    by = coverage_by_area(t, thresholds=[30], townships=county.townships)
    assert by.iloc[-1]["population"] == 36.0
    with pytest.raises(InputError, match="the county has no population raster"):
        county.population = None
        demand_points(county, "population")


def test_errors_list_every_problem(county):
    demand = demand_points(county, "villages")
    near = euclidean_nearest(demand.iloc[:3], county.facilities)
    with pytest.raises(InputError, match=r"no row for demand point\(s\) D, E, F"):
        coverage_table(demand, near, thresholds=[100], metric="euclidean")
    with pytest.raises(InputError, match="unknown metric 'bike_time'"):
        coverage_table(demand, near, thresholds=[100], metric="bike_time")
    with pytest.raises(InputError, match="say which metric"):
        coverage_table(demand, near.drop(columns=[]), thresholds=[100])
    bad = demand.assign(population=[1, -1, np.nan, 1, 1, 1])
    with pytest.raises(InputError, match=r"population missing or negative for demand point\(s\) B, C"):
        coverage_table(bad, euclidean_nearest(demand, county.facilities), thresholds=[1], metric="euclidean")
    with pytest.raises(InputError, match="give at least one threshold"):
        coverage_table(demand, euclidean_nearest(demand, county.facilities), thresholds=[], metric="euclidean")
    with pytest.raises(InputError, match="column 'township_id' missing from the villages layer"):
        county.villages = county.villages.drop(columns=["township_id"])
        demand_points(county, "villages")
    with pytest.raises(InputError, match="unknown travel query mode='bike'"):
        metric_label("bike", "time")


def test_labels():
    assert [metric_label("walk", "time"), metric_label("mixed", "time"), metric_label("drive", "distance")] == [
        "walk_time", "mixed_time", "road_distance"]
    assert threshold_label(20000, "road_distance") == "20km"


def test_coverage_by_kind(county, engine):
    points, areas = coverage_by_kind(county, engine, thresholds=[2])
    assert sorted(points["kind"].unique()) == ["boarding_school", "village_clinic"]
    assert list(areas.columns[:4]) == ["kind", "level", "township_id", "township_name"]
    school = areas[(areas.kind == "boarding_school") & (areas.level == "county")].iloc[0]
    # the school at C (2 km): B and D are 1 km = 2 min away; A, E 4 min; F unreachable
    assert (school["covered_pop_2min"], school["population"], school["township_name"]) == (900, 1560, "线县")
    for _, by in areas.groupby("kind"):
        towns = by[by.level == "township"]
        assert towns["population"].sum() == by[by.level == "county"]["population"].iloc[0]
    with pytest.raises(InputError, match="no facility of the requested kinds"):
        coverage_by_kind(county, engine, kinds=[])
    with pytest.raises(InputError, match=r"(?s)2 problem.*unknown facility kind 'hospital'.*'gym'"):
        coverage_by_kind(county, engine, kinds=["hospital", "村卫生室", "gym"])


def test_community_weights_population_else_households():
    full = pd.DataFrame({"population": [120, "80"], "households": [40, 30]})
    w, by_pop = community_weights(full)
    assert by_pop and w.tolist() == [120.0, 80.0]
    gap = pd.DataFrame({"population": [120, None], "households": [40, "x"]})
    w, by_pop = community_weights(gap)
    assert not by_pop and w.tolist() == [40.0, 0.0]  # one population missing: households; unreadable → 0
    w, by_pop = community_weights(pd.DataFrame({"name": ["a", "b", "c"]}))
    assert not by_pop and w.tolist() == [1.0, 1.0, 1.0]


def test_owner_place_given_village_else_nearest_point():
    places = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[Point(0, 0), Point(1000, 0)], crs=CRS)
    fac = gpd.GeoDataFrame({"village_id": [None, "2", " ", "1"]},
                           geometry=[Point(900, 50), Point(0, 0), Point(100, 0), Point(990, 0)], crs=CRS)
    assert owner_place(fac, places).tolist() == ["2", "2", "1", "1"]
    no_places = places.iloc[0:0]
    assert owner_place(fac.drop(columns="village_id"), no_places).tolist() == [None] * 4


def test_township_within_on_the_points_index():
    tw = gpd.GeoDataFrame({"id": ["S", "N"]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=CRS)
    pts = gpd.GeoDataFrame(geometry=[Point(5, 5), Point(15, 5), Point(50, 50)], index=[7, 3, 9], crs=CRS)
    got = township_within(pts, tw)
    assert got.index.tolist() == [7, 3, 9]
    assert got.loc[7] == "S" and got.loc[3] == "N" and pd.isna(got.loc[9])
