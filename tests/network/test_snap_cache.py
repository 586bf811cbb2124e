"""The engine reuses the snaps of a point layer only while the layer is unchanged."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from planning import CRSError, InputError
from planning.network.engine import TravelEngine
from planning.network.graph import RoadGraph

WALK = 60.0 / 4500.0   # minutes per metre at 4.5 km/h


@pytest.fixture
def engine(netlib):
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0)}
    rows = [{"u": 1, "v": 2, "length_m": 1000.0, "highway": "residential"},
            {"u": 2, "v": 1, "length_m": 1000.0, "highway": "residential"}]
    return TravelEngine(RoadGraph.from_network(netlib.network_from_rows(xy, rows)))


def _pts(netlib, coords, ids):
    return gpd.GeoDataFrame({"id": ids}, geometry=[Point(c) for c in coords], crs=netlib.CRS)


def test_same_layer_reuses_snaps_changed_layer_is_snapped_again(netlib, engine):
    o = _pts(netlib, [(100.0, 50.0), (300.0, 0.0)], ["a", "b"])
    d = _pts(netlib, [(900.0, 0.0)], ["c"])
    first = engine.nearest(o, d, mode="walk")
    assert engine._prepare(o, "walk", "id", "origins") is engine._prepare(o.copy(), "walk", "id", "origins")
    assert first["travel_time_min"].to_numpy() == pytest.approx([(50 + 800) * WALK, 600 * WALK])
    # a geometry replaced in place: new snap, new time (not the cached one)
    o.loc[0, "geometry"] = Point(100.0, 200.0)
    moved = engine.nearest(o, d, mode="walk")
    assert moved["travel_time_min"].to_numpy() == pytest.approx([(200 + 800) * WALK, 600 * WALK])
    assert moved["snap_distance_m"].to_numpy() == pytest.approx([200.0, 0.0])
    # ids changed in place: the new ids are reported
    o.loc[1, "id"] = "z"
    assert list(engine.nearest(o, d, mode="walk")["origin_id"]) == ["a", "z"]
    # the same points under another mode snap to that mode's roads
    assert engine._prepare(o, "drive", "id", "origins").mode == "drive"


def test_cached_layer_still_validated(netlib, engine):
    o = _pts(netlib, [(100.0, 0.0)], ["a"])
    engine.nearest(o, o, mode="walk")
    wrong = o.set_crs("EPSG:32651", allow_override=True)       # same geometries, another CRS
    with pytest.raises(CRSError, match="differs from the road network CRS"):
        engine.nearest(wrong, o, mode="walk")
    bad = o.copy()
    bad.loc[0, "geometry"] = None
    with pytest.raises(InputError, match=r"missing or empty geometries, rows \[1\]"):
        engine.nearest(bad, o, mode="walk")


def test_cache_is_bounded(netlib, engine):
    layers = [_pts(netlib, [(float(i), 10.0)], [f"p{i}"]) for i in range(TravelEngine.SNAP_CACHE_SIZE + 3)]
    for layer in layers:
        engine.nearest(layer, layers[0], mode="walk")
    assert len(engine._snaps) == TravelEngine.SNAP_CACHE_SIZE
    out = engine.nearest(layers[-1], layers[0], mode="walk")
    assert out["travel_time_min"].to_numpy() == pytest.approx([(10 + 10 + 10) * WALK])
    assert np.isfinite(out["distance_m"]).all()
