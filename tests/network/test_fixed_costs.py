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
from planning.network._kernels import grid_cells, grid_snap
from planning.network.engine import TravelEngine
from planning.network.graph import RoadGraph
from planning.network.snap import same_crs


def _pts(netlib, coords, prefix="p"):
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(len(coords))]},
                            geometry=[Point(c) for c in coords], crs=netlib.CRS)


@pytest.fixture(scope="module")
def big_engine(netlib):
    net, _ = netlib.random_network(4, side=12, spacing=150.0)
    return TravelEngine(RoadGraph.from_network(net), settings=TravelSettings(max_snap_m=200.0))


def test_block_order_snapping_equals_input_order_and_shapely(netlib, big_engine):
    """5,000 scattered points (enough to be snapped in block order) get exactly the snaps they
    get one by one in input order, and shapely's nearest distances."""
    rng = np.random.default_rng(5)
    xy = rng.uniform(-300.0, 1900.0, size=(5000, 2))
    pts = _pts(netlib, [tuple(p) for p in xy])
    sp = big_engine.snap(pts, mode="walk")
    seg = big_engine.graph.segments("walk")
    gr = seg.grid
    seg1, frac1, dist1 = grid_snap(xy[:, 0].copy(), xy[:, 1].copy(), gr["cell_ptr"], gr["ent_xy"], gr["ent_piece"],
                                   gr["piece_seg"], gr["piece_off"], gr["piece_len"], gr["seg_len"], gr["x0"],
                                   gr["y0"], gr["cell"], gr["ncx"], gr["ncy"], 200.0)
    assert np.array_equal(sp.segment, seg1)
    assert np.array_equal(sp.fraction, frac1, equal_nan=True)
    ok = sp.ok
    assert np.array_equal(sp.snap_distance_m[ok], dist1[ok])
    assert 1000 < ok.sum() < 5000
    (_, _), d = seg.tree.query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
    assert sp.snap_distance_m == pytest.approx(d, abs=1e-9)


def test_snap_ties_do_not_depend_on_the_grid():
    """Points whose nearest road point is a vertex shared by two pieces of one segment snap to
    the same segment and fraction whatever the grid's cell size (ties: lowest segment, then
    its first piece)."""
    rng = np.random.default_rng(17)
    n_v = 300
    vx = np.cumsum(rng.uniform(5.0, 60.0, n_v))
    vy = np.where(np.arange(n_v) % 2 == 0, 0.0, rng.uniform(20.0, 80.0, n_v))
    lines = [LineString(np.stack([vx[:150], vy[:150]], 1)), LineString(np.stack([vx[149:], vy[149:]], 1))]
    coords, idx = shapely.get_coordinates(np.array(lines, dtype=object), return_index=True)
    same = idx[1:] == idx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    piece_seg = idx[:-1][same].astype(np.int64)
    plen = np.hypot(*(b - a).T)
    seg_len = np.bincount(piece_seg, weights=plen)
    cum = np.cumsum(plen) - plen
    piece_off = cum - cum[np.searchsorted(piece_seg, piece_seg)]
    ang = rng.uniform(0, 2 * np.pi, 3 * n_v)
    r = rng.uniform(0.0, 40.0, 3 * n_v)
    k = rng.integers(0, n_v, 3 * n_v)
    xs, ys = vx[k] + r * np.cos(ang), vy[k] + r * np.sin(ang)
    x0, y0 = coords.min(axis=0) - 1.0
    x1, y1 = coords.max(axis=0) + 1.0
    results = []
    for cell in (7.0, 13.0, 37.0, 100.0, 410.0):
        ncx, ncy = int((x1 - x0) // cell) + 1, int((y1 - y0) // cell) + 1
        ptr, ent_xy, ent_piece = grid_cells(a[:, 0].copy(), a[:, 1].copy(), b[:, 0].copy(), b[:, 1].copy(),
                                            x0, y0, cell, ncx, ncy)
        results.append(grid_snap(xs, ys, ptr, ent_xy, ent_piece, piece_seg, piece_off, plen, seg_len, x0, y0, cell,
                                 ncx, ncy, 500.0))
    for other in results[1:]:
        for r0, r1 in zip(results[0], other):
            assert np.array_equal(r0, r1)
    (_, _), d = shapely.STRtree(lines).query_nearest(shapely.points(xs, ys), return_distance=True,
                                                      all_matches=False)
    assert results[0][2] == pytest.approx(d, abs=1e-9)


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
