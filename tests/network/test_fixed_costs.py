"""The fast paths of the cold query: one-pass validation, block-ordered snapping, canonical
snap ties, cached CRS comparison — same answers as the slow, obvious ways."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Point

from planning import CRSError, InputError
from planning.config import TravelSettings
from planning.network.engine import TravelEngine
from planning.network._snapgrid import snap_grid
from planning.network.graph import RoadGraph
from planning.network.snap import same_crs


def _pts(netlib, coords, prefix="p"):
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(len(coords))]},
                            geometry=[Point(c) for c in coords], crs=netlib.CRS)


@pytest.fixture(scope="module")
def big_engine(netlib):
    net, _ = netlib.random_network(4, side=12, spacing=150.0)
    return TravelEngine(RoadGraph.from_network(net), settings=TravelSettings(max_snap_m=200.0))


def test_block_order_snapping_equals_one_by_one_and_shapely(netlib, big_engine):
    """5,000 scattered points (enough to be snapped in block order) get exactly the snaps they
    get one at a time, and shapely's nearest distances. (Ties and cell sizes against a brute
    force: ``test_snap_exact.py``.)"""
    rng = np.random.default_rng(5)
    xy = rng.uniform(-300.0, 1900.0, size=(5000, 2))
    pts = _pts(netlib, [tuple(p) for p in xy])
    sp = big_engine.snap(pts, mode="walk")
    seg = big_engine.graph.segments("walk")
    grid = snap_grid(seg)
    one = [grid.nearest(xy[i:i + 1, 0].copy(), xy[i:i + 1, 1].copy(), 200.0) for i in range(0, 5000, 7)]
    at = np.arange(0, 5000, 7)
    assert np.array_equal(sp.segment[at], np.concatenate([o[0] for o in one]))
    assert np.array_equal(sp.fraction[at], np.concatenate([o[1] for o in one]), equal_nan=True)
    ok = sp.ok
    assert np.array_equal(sp.snap_distance_m[at][ok[at]], np.concatenate([o[2] for o in one])[ok[at]])
    assert 1000 < ok.sum() < 5000
    (_, _), d = shapely.STRtree(seg.geometry).query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
    assert sp.snap_distance_m == pytest.approx(d, abs=1e-9)


def test_validation_lists_every_problem_including_nan_coordinates(netlib, big_engine):
    pts = gpd.GeoDataFrame({"id": ["a", "b", "b", None, "e", "f"]},
                           geometry=[Point(10, 10), None, Point(), LineString([(0, 0), (1, 1)]),
                                     Point(np.nan, 5.0), Point(20, 20)], crs=netlib.CRS)
    with pytest.raises(InputError) as err:
        big_engine.nearest(pts, _pts(netlib, [(0.0, 0.0)], "d"))
    msg = str(err.value)
    assert "1 missing id(s) in column 'id', rows [4]" in msg
    assert "duplicate ids in column 'id': ['b']" in msg
    assert "missing or empty geometries, rows [2, 3]" in msg
    assert "geometries are not Points, rows [4]" in msg
    assert "1 points with NaN coordinates, rows [5]" in msg
    no_id = _pts(netlib, [(0.0, 0.0)]).rename(columns={"id": "name"})
    with pytest.raises(InputError, match=r"id column 'id' not found; columns are \['name'\]"):
        big_engine.nearest(no_id, _pts(netlib, [(0.0, 0.0)], "d"))


def test_crs_comparison_cached_and_correct(netlib, big_engine):
    here = CRS.from_user_input(netlib.CRS)
    copy = CRS.from_user_input(netlib.CRS)      # a different object, the same CRS
    other = CRS.from_epsg(32649)
    for _ in range(2):                           # the second round answers from the cache
        assert same_crs(copy, here) and not same_crs(other, here)
    pts = _pts(netlib, [(100.0, 100.0)]).to_crs(other)
    with pytest.raises(CRSError, match="differs from the road network CRS"):
        big_engine.nearest(pts, _pts(netlib, [(0.0, 0.0)], "d"))
    moved = _pts(netlib, [(100.0, 100.0)]).set_crs(copy, allow_override=True)
    assert len(big_engine.nearest(moved, _pts(netlib, [(0.0, 0.0)], "d"))) == 1
