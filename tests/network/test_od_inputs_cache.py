"""OD kernel inputs cached on snapped points: reused per layer, never across layers.

The origins' seeds and the destinations' entries are cached on their snapped points, and the
same-segment (direct) trips on the origins for the last destination layer queried; querying
the same origins against other destinations, then the first ones again, must give each pair's
own table, equal to a fresh engine's.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from planning.network.engine import TravelEngine
from planning.network.graph import RoadGraph

WALK = 60.0 / 4500.0   # minutes per metre at 4.5 km/h


def _pts(netlib, coords, ids):
    return gpd.GeoDataFrame({"id": ids}, geometry=[Point(c) for c in coords], crs=netlib.CRS)


@pytest.fixture
def graph(netlib):
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0), 3: (1000.0, 1000.0)}
    rows = [{"u": 1, "v": 2, "length_m": 1000.0, "highway": "residential"},
            {"u": 2, "v": 1, "length_m": 1000.0, "highway": "residential"},
            {"u": 2, "v": 3, "length_m": 1000.0, "highway": "residential"},
            {"u": 3, "v": 2, "length_m": 1000.0, "highway": "residential"}]
    return RoadGraph.from_network(netlib.network_from_rows(xy, rows))


def test_od_with_other_destinations_then_the_first_again(netlib, graph):
    engine = TravelEngine(graph)
    so = engine.snap(_pts(netlib, [(100.0, 0.0), (1000.0, 400.0)], ["a", "b"]), mode="walk")
    # d1: one destination on the origins' first segment (a direct trip), one on the second
    d1 = engine.snap(_pts(netlib, [(300.0, 0.0), (1000.0, 900.0)], ["x", "y"]), mode="walk")
    d2 = engine.snap(_pts(netlib, [(1000.0, 100.0)], ["z"]), mode="walk")
    tables = [engine.od(so, d, mode="walk") for d in (d1, d2, d1)]
    tables.append(engine.od(so, d2, mode="walk", cutoff=10.0))
    fresh = TravelEngine(graph)
    so_f = fresh.snap(_pts(netlib, [(100.0, 0.0), (1000.0, 400.0)], ["a", "b"]), mode="walk")
    d1_f = fresh.snap(_pts(netlib, [(300.0, 0.0), (1000.0, 900.0)], ["x", "y"]), mode="walk")
    d2_f = fresh.snap(_pts(netlib, [(1000.0, 100.0)], ["z"]), mode="walk")
    expected = [fresh.od(so_f, d1_f, mode="walk"), fresh.od(so_f, d2_f, mode="walk"), fresh.od(so_f, d1_f, mode="walk"),
                TravelEngine(graph).od(so_f, d2_f, mode="walk", cutoff=10.0)]
    for got, exp in zip(tables, expected, strict=True):
        pd.testing.assert_frame_equal(got, exp)
    # hand-computed walking distances (all points on the roads)
    assert tables[0]["distance_m"].tolist() == pytest.approx([200.0, 900.0 + 900.0, 700.0 + 400.0, 500.0])
    assert tables[0]["travel_time_min"].tolist() == pytest.approx([200 * WALK, 1800 * WALK, 1100 * WALK, 500 * WALK])
    assert tables[1]["distance_m"].tolist() == pytest.approx([1000.0, 300.0])
    assert tables[3]["destination_id"].tolist() == ["z"]       # a: 1,000 m = 13.3 min > 10 min
