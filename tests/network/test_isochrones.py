"""Service areas: contain every reached node and no node beyond the stated tolerance."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from planning import InputError
from planning.network.engine import TravelEngine
from planning.network.graph import RoadGraph

WALK = 60.0 / 4500.0
TOL_M = 5.0


@pytest.mark.parametrize("seed_index", [0, 1])
def test_reached_nodes_inside_unreached_outside(netlib, random_nets, seed_index):
    net, rows = random_nets[seed_index]
    engine = TravelEngine(RoadGraph.from_network(net))
    g = netlib.collapse(netlib.oracle(rows, "walk"), "time")
    nodes = sorted(n for n in g.nodes if g.degree(n) > 0 and n not in (1, 2))
    fac_nodes = [nodes[len(nodes) // 3], nodes[2 * len(nodes) // 3]]
    fac = netlib.points_at(net, fac_nodes, "f")
    fac["kind"] = ["clinic", "clinic"]
    breaks = (5.0, 10.0)
    areas = engine.service_areas(fac, mode="walk", breaks=breaks, tolerance_m=TOL_M)
    assert list(areas.columns) == ["facility_id", "break", "metric", "geometry"]
    assert list(areas["facility_id"]) == ["f" + str(fac_nodes[0])] * 2 + ["f" + str(fac_nodes[1])] * 2
    xy = net.nodes[["x", "y"]]
    for fnode, (_, row) in zip(np.repeat(fac_nodes, 2), areas.iterrows()):
        cost = nx.single_source_dijkstra_path_length(g.reverse(), fnode, weight="time")
        poly = row.geometry
        n_in = n_out = 0
        for node, (x, y) in xy.iterrows():
            c = cost.get(node, np.inf)
            p = Point(x, y)
            if c <= row["break"]:
                assert poly.covers(p), (node, c)
                n_in += 1
            elif c > row["break"] + 2 * TOL_M * WALK:   # beyond the budget by more than the buffer
                assert not poly.covers(p), (node, c)
                n_out += 1
        assert n_in >= 2 and n_out >= 10
    dissolved = engine.service_areas(fac, mode="walk", breaks=breaks, tolerance_m=TOL_M, dissolve_by="kind")
    assert list(dissolved.columns) == ["kind", "break", "metric", "geometry"] and len(dissolved) == 2
    union10 = shapely.union(areas.geometry.iloc[1], areas.geometry.iloc[3])
    assert dissolved.geometry.iloc[1].symmetric_difference(union10).area < 1e-3 * union10.area


def test_partial_edge_cut_at_exact_budget(netlib):
    # one 2 km road; a facility at its west end; 5 walking minutes = 375 m
    xy = {1: (0.0, 0.0), 2: (2000.0, 0.0)}
    rows = [{"u": 1, "v": 2, "length_m": 2000.0, "highway": "residential"},
            {"u": 2, "v": 1, "length_m": 2000.0, "highway": "residential"}]
    engine = TravelEngine(RoadGraph.from_network(netlib.network_from_rows(xy, rows)))
    fac = gpd.GeoDataFrame({"id": ["f"]}, geometry=[Point(600.0, 0.0)], crs=netlib.CRS)
    area = engine.service_areas(fac, mode="walk", breaks=(5,), tolerance_m=1.0).geometry.iloc[0]
    minx, _, maxx, _ = area.bounds
    assert minx == pytest.approx(600 - 375 - 1.0, abs=1e-6)
    assert maxx == pytest.approx(600 + 375 + 1.0, abs=1e-6)
    dist = engine.service_areas(fac, mode="drive", breaks=(1000,), metric="distance", tolerance_m=1.0)
    assert dist.geometry.iloc[0].bounds[0] == pytest.approx(-1.0) and dist["metric"].iloc[0] == "distance"
    assert dist.geometry.iloc[0].bounds[2] == pytest.approx(1601.0)


def test_service_area_errors(netlib, random_nets):
    net, _ = random_nets[0]
    engine = TravelEngine(RoadGraph.from_network(net))
    fac = netlib.points_at(net, [int(net.nodes.index[5])], "f")
    with pytest.raises(InputError, match="breaks must be positive"):
        engine.service_areas(fac, breaks=(0, 5))
    with pytest.raises(InputError, match="dissolve_by column 'kind' not found"):
        engine.service_areas(fac, dissolve_by="kind")


def test_mixed_mode_service_area_walks_then_drives(netlib):
    # footpath A(0,0)-B(1000,0), road B-C(2500,0); clinic at C. From A: walk 1000 m, drive 1500 m.
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0), 3: (2500.0, 0.0)}
    rows = [{"u": 1, "v": 2, "length_m": 1000.0, "highway": "path"},
            {"u": 2, "v": 1, "length_m": 1000.0, "highway": "path"},
            {"u": 2, "v": 3, "length_m": 1500.0, "highway": "residential"},
            {"u": 3, "v": 2, "length_m": 1500.0, "highway": "residential"}]
    engine = TravelEngine(RoadGraph.from_network(netlib.network_from_rows(xy, rows)))
    clinic = gpd.GeoDataFrame({"id": ["c"]}, geometry=[Point(2500.0, 0.0)], crs=netlib.CRS)
    from_a = 1000 * WALK + 1500 * 60 / 25000            # 16.93 min
    areas = engine.service_areas(clinic, mode="mixed", breaks=(16.0, 17.0), tolerance_m=1.0)
    a = Point(0.0, 0.0)
    assert not areas.geometry.iloc[0].covers(a) and areas.geometry.iloc[1].covers(a)
    # at 16 min the footpath is covered up to (16 - 3.6) / WALK metres from B
    reach_m = (16.0 - 1500 * 60 / 25000) / WALK
    assert areas.geometry.iloc[0].bounds[0] == pytest.approx(1000.0 - reach_m - 1.0, abs=1e-6)
    assert from_a < 17.0
    walk_only = engine.service_areas(clinic, mode="walk", breaks=(17.0,), tolerance_m=1.0).geometry.iloc[0]
    assert walk_only.bounds[0] == pytest.approx(2500.0 - 17.0 / WALK - 1.0, abs=1e-6)
