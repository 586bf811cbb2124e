"""Recipe contract: options, unit costs, applying actions to a county."""

import json

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from planning import InputError
from planning.county import County, RoadNetwork
from planning.recipes.base import ACTION_COLUMNS, RecipeOptions, apply_actions, empty_actions

CRS = "EPSG:4546"  # CGCS2000 / 3-degree Gauss-Kruger CM 111E


def tiny_county() -> County:
    boundary = gpd.GeoDataFrame({"county_id": ["149901"], "name": ["示范县"]},
                                geometry=[box(0, 0, 4000, 4000)], crs=CRS)
    townships = gpd.GeoDataFrame({"id": ["T1"], "name": ["一镇"], "township_type": ["town"]},
                                 geometry=[box(0, 0, 4000, 4000)], crs=CRS)
    villages = gpd.GeoDataFrame({"id": ["V1", "V2"], "name": ["甲村", "乙村"], "township_id": ["T1", "T1"],
                                 "population": [500, 150]},
                                geometry=[Point(1000, 1000), Point(3000, 1000)], crs=CRS)
    facilities = gpd.GeoDataFrame({"id": ["F1", "F2"], "name": ["甲村卫生室", "一镇卫生院"],
                                   "kind": ["village_clinic", "township_hospital"],
                                   "township_id": ["T1", "T1"]},
                                  geometry=[Point(1000, 1000), Point(2000, 1000)], crs=CRS)
    nodes = gpd.GeoDataFrame({"x": [1000.0, 3000.0], "y": [1000.0, 1000.0]},
                             geometry=[Point(1000, 1000), Point(3000, 1000)], crs=CRS)
    nodes.index.name = "node_id"
    line = LineString([(1000, 1000), (3000, 1000)])
    edges = gpd.GeoDataFrame({"u": [0, 1], "v": [1, 0], "length_m": [2000.0, 2000.0],
                              "highway": ["tertiary"] * 2, "oneway": [False] * 2,
                              "maxspeed_kph": [float("nan")] * 2, "name": ["乡道"] * 2},
                             geometry=[line, line.reverse()], crs=CRS)
    return County(boundary, townships, villages, facilities, RoadNetwork(nodes, edges))


def _actions(rows):
    table = empty_actions(CRS)
    return gpd.GeoDataFrame([{**dict.fromkeys(ACTION_COLUMNS), **r} for r in rows],
                            geometry="geometry", crs=CRS) if rows else table


def test_apply_new_upgrade_close():
    county = tiny_county()
    actions = _actions([
        {"action": "new", "kind": "village_clinic", "site_id": "NEW-1", "site_name": "乙村卫生室",
         "township_id": "T1", "cost": 30.0, "attributes": json.dumps({"village_doctors": 1}),
         "geometry": Point(3000, 1000)},
        {"action": "upgrade", "kind": "central_township_hospital", "site_id": "F2", "cost": 800.0,
         "attributes": json.dumps({"has_ambulance": True}), "geometry": Point(2000, 1000)},
        {"action": "close", "kind": "village_clinic", "site_id": "F1", "cost": 0.0, "geometry": Point(1000, 1000)},
    ])
    after = apply_actions(county, actions)
    fac = after.facilities.set_index("id")
    assert sorted(fac.index) == ["F2", "NEW-1"]
    assert fac.loc["F2", "kind"] == "central_township_hospital" and bool(fac.loc["F2", "has_ambulance"])
    assert fac.loc["NEW-1", "village_doctors"] == 1
    assert len(county.facilities) == 2  # input untouched
    assert after.meta["actions_applied"] == 3


def test_apply_reports_every_bad_action():
    actions = _actions([
        {"action": "build", "kind": "village_clinic", "site_id": "X", "geometry": Point(0, 0)},
        {"action": "close", "kind": "village_clinic", "site_id": "NOPE", "geometry": Point(0, 0)},
        {"action": "new", "kind": "spaceport", "site_id": "Y", "geometry": Point(0, 0)},
        {"action": "new", "kind": "village_clinic", "site_id": "F1", "geometry": Point(0, 0)},
    ])
    with pytest.raises(InputError, match="4 problem") as info:
        apply_actions(tiny_county(), actions)
    text = str(info.value)
    assert "'build'" in text and "'NOPE'" in text and "'spaceport'" in text and "already exists" in text


def test_unit_costs_default_and_override():
    options = RecipeOptions(costs={"new:village_clinic": 45})
    assert options.unit_cost("new", "village_clinic") == 45.0
    assert options.unit_cost("new", "odd_job_market") == 50.0
    with pytest.raises(InputError, match="no unit cost for 'new:funeral_home'"):
        options.unit_cost("new", "funeral_home")
