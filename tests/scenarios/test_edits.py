"""What-if edits applied to a tiny county: closures, additions, new roads, population changes."""

from __future__ import annotations

import numpy as np
import pytest

from planning import ScenarioError
from planning.crs import wgs84_to_gcj02
from planning.scenarios import Edits, load_scenario
from planning.scenarios.edits import _largest_remainder, apply_edits, scale_township_population


def test_no_edits_returns_same_county(county):
    out, log = apply_edits(county, Edits())
    assert out is county and log == []


def test_close_and_add_facilities(county, lonlat, origin):
    X0, Y0 = origin
    lon, lat = lonlat(2500, 1200)
    glon, glat = wgs84_to_gcj02(lon, lat)
    edits = Edits(close_facilities=["F1"], add_facilities=[
        {"id": "N1", "kind": "村卫生室", "name": "丁村卫生室", "lon": glon, "lat": glat, "coords": "gcj02",
         "attributes": {"village_doctors": 2}}])
    out, log = apply_edits(county, edits)
    fac = out.facilities.set_index("id")
    assert sorted(fac.index) == ["F2", "F3", "N1"]
    new = fac.loc["N1"]
    assert new["kind"] == "village_clinic" and new["township_id"] == "T2" and new["village_doctors"] == 2
    # GCJ-02 converted back to WGS84 then projected: within a few cm of the intended point
    assert abs(new.geometry.x - (X0 + 2500)) < 0.05 and abs(new.geometry.y - (Y0 + 1200)) < 0.05
    assert log[0] == {"edit": "close_facility", "id": "F1", "name": "甲村卫生室", "kind": "village_clinic"}
    assert log[1]["edit"] == "add_facility" and log[1]["township_id"] == "T2"
    assert sorted(county.facilities["id"]) == ["F1", "F2", "F3"]  # input unchanged


def test_bad_edit_ids_listed_with_lines(county, tmp_path, lonlat):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "county.yaml").write_text("county_id: x\n", encoding="utf-8")
    far_lon, far_lat = lonlat(9000, 1000)
    lon, lat = lonlat(500, 1000)
    path = tmp_path / "s.yaml"
    path.write_text("county: c/county.yaml\n"                                                      # 1
                    "edits:\n"                                                                     # 2
                    "  close_facilities: [F1, F9]\n"                                               # 3
                    "  add_facilities:\n"                                                          # 4
                    f"    - {{id: F2, kind: village_clinic, name: a, lon: {lon}, lat: {lat}}}\n"     # 5
                    f"    - {{id: N2, kind: village_clinic, name: b, lon: {far_lon}, lat: {far_lat}}}\n"  # 6
                    "  population:\n"                                                              # 7
                    "    - {township_id: T7, factor: 2}\n"                                         # 8
                    "    - {township_id: T1, delta: -2000}\n"                                      # 9
                    "  new_roads:\n"                                                               # 10
                    f"    - {{highway: tertiary, path: [[{lon}, {lat}], [{far_lon}, {far_lat}]]}}\n",  # 11
                    encoding="utf-8")
    s = load_scenario(path)
    with pytest.raises(ScenarioError) as info:
        apply_edits(county, s.edits, marks=s.marks)
    probs = info.value.problems
    assert probs[0].startswith(f"{path}:3: edits.close_facilities[1]: facility id 'F9' not found in the county's "
                               "facilities; similar ids:")
    assert probs[1] == f"{path}:5: edits.add_facilities[0].id: facility id 'F2' already exists in the county; " \
                       "give a fresh id"
    assert probs[2].startswith(f"{path}:6: edits.add_facilities[1]: point (")
    assert "lies 5,000 m outside the county boundary" in probs[2]
    assert probs[3].startswith(f"{path}:8: edits.population[0].township_id: township 'T7' not found; allowed: T1, T2")
    assert probs[4] == f"{path}:9: edits.population[1].delta: delta -2000 takes the township below zero " \
                       "(it has 1,001 residents)"
    assert probs[5].startswith(f"{path}:11: edits.new_roads[0].path[0]: start point is 500 m from the nearest road "
                               "node, more than connect_within_m = 200 m")
    assert probs[6].startswith(f"{path}:11: edits.new_roads[0].path[1]: end point is 5,000 m from the nearest road "
                               "node, more than connect_within_m = 200 m")
    assert len(probs) == 7


def test_new_road_joins_network(county, lonlat, origin):
    X0, Y0 = origin
    a = lonlat(1000 + 30, 1000 + 40)   # 50 m from node 1: joins it
    mid = lonlat(2000, 1800)            # new node
    b = lonlat(3000, 1000)              # on node 3
    edits = Edits(new_roads=[{"name": "新路", "highway": "县道", "path": [a, mid, b]}])
    out, log = apply_edits(county, edits)
    nodes, edges = out.roads.nodes, out.roads.edges
    assert list(nodes.index) == [0, 1, 2, 3, 4, 5] and nodes.index.name == "node_id"
    assert nodes.loc[5, "x"] == pytest.approx(X0 + 2000, abs=1e-3)
    new = edges.iloc[8:]
    assert list(zip(new["u"], new["v"])) == [(1, 5), (5, 1), (5, 3), (3, 5)]
    assert set(new["highway"]) == {"secondary"} and not new["oneway"].any()
    hyp = float(np.hypot(1000.0, 800.0))
    assert new["length_m"].tolist() == pytest.approx([hyp] * 4, abs=1e-3)
    assert log == [{"edit": "new_road", "name": "新路", "highway": "secondary",
                    "length_m": round(2 * hyp, 1), "joins_nodes": [1, 3]}]
    assert len(county.roads.edges) == 8  # input unchanged


def test_oneway_road_one_direction(county, lonlat):
    a, b = lonlat(0, 1000), lonlat(4000, 1000)
    out, _ = apply_edits(county, Edits(new_roads=[{"highway": "primary", "path": [a, b], "oneway": True,
                                                   "maxspeed_kph": 80}]))
    new = out.roads.edges.iloc[8:]
    assert list(zip(new["u"], new["v"])) == [(0, 4)] and new["maxspeed_kph"].tolist() == [80.0]


def test_largest_remainder_exact_totals():
    assert _largest_remainder(np.array([100, 200, 701]), 500).tolist() == [50, 100, 350]
    assert _largest_remainder(np.array([1, 1, 1]), 2).tolist() == [1, 1, 0]  # ties: earlier rows first
    assert _largest_remainder(np.array([3, 0, 1]), 0).tolist() == [0, 0, 0]
    assert _largest_remainder(np.array([100, 200, 701]), 1101).sum() == 1101


def test_population_factor_and_delta(county):
    out, log = scale_township_population(county, "T1", factor=0.5)
    # T1 villages 100, 200, 701 = 1001 → round(500.5) = 500 (banker's rounding) split 49.95/99.9/350.15
    assert out.villages["population"].tolist() == [50, 100, 350, 1000, 0]
    assert log == {"edit": "population", "township_id": "T1", "population_before": 1001,
                   "population_after": 500, "ratio": round(500 / 1001, 6)}
    assert out.villages["households"].tolist() == [20, 40, 140, 400, 0]
    # raster: T1 cells (columns 0-1) scaled by 500/1001, T2 unchanged
    assert out.population.array[:, :2] == pytest.approx(np.full((2, 2), 250 * 500 / 1001))
    assert (out.population.array[:, 2:] == 250).all()
    out2, log2 = scale_township_population(county, "T2", delta=-250)
    assert out2.villages["population"].tolist() == [100, 200, 701, 750, 0]
    assert log2["population_after"] == 750
    assert county.villages["population"].tolist() == [100, 200, 701, 1000, 0]


def test_population_edit_through_apply_edits(county):
    out, log = apply_edits(county, Edits(population=[{"township_id": "T2", "factor": 1.1}]))
    assert out.villages["population"].tolist() == [100, 200, 701, 1100, 0]
    assert log[-1]["population_after"] == 1100
