"""Distances of points beyond the snap maximum, from the snap grid, against shapely.

:meth:`SnapGrid.far_distance` searches blocks of tiles instead of rings of cells; it must give
shapely's distance to the nearest line (to 1e-9 relative) on grids with one tile per block and
with many (small cells), tiled and dense, for points inside the grid, just outside and very far.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planning.config import TravelSettings
from planning.network._snapgrid import SnapGrid
from planning.network.engine import TravelEngine
from planning.network.graph import RoadGraph


def _lines(rng: np.random.Generator, n: int, spread_m: float) -> np.ndarray:
    """``n`` random polylines of 2-5 vertices in clusters (empty land between them)."""
    centres = rng.uniform(0, spread_m, (4, 2))
    out = []
    for i in range(n):
        c = centres[i % 4]
        k = int(rng.integers(2, 6))
        pts = c + np.cumsum(rng.normal(0, 150.0, (k, 2)), axis=0)
        out.append(shapely.linestrings(pts))
    return np.array(out, dtype=object)


@pytest.mark.parametrize(("seed", "cell_m"), [(0, None), (1, 5.0), (2, 40.0), (3, 2.0)])
def test_far_distance_equals_shapely(seed, cell_m):
    rng = np.random.default_rng(seed)
    geoms = _lines(rng, 60, 20_000.0)
    grid = SnapGrid(geoms, cell_m=cell_m)
    tree = shapely.STRtree(geoms)
    # points anywhere: in the grid, around it, and up to 200 km away
    x = np.concatenate([rng.uniform(-2_000, 22_000, 300), rng.uniform(-200_000, 200_000, 100), [1e7]])
    y = np.concatenate([rng.uniform(-2_000, 22_000, 300), rng.uniform(-200_000, 200_000, 100), [-3e6]])
    ours = grid.far_distance(x, y)
    _, ref = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
    assert np.all(np.isfinite(ours))
    assert np.max(np.abs(ours - ref) / np.maximum(ref, 1.0)) <= 1e-9
    # the ring search agrees wherever it reaches
    _, _, near = grid.nearest(x, y, 3_000.0)
    ok = np.isfinite(near)
    assert ok.sum() > 50 and (~ok).sum() > 100
    assert np.array_equal(near[ok], ours[ok])


def test_far_distance_block_grouping_and_dense_grid():
    """Many tiles (blocks of several tiles) and a dense grid (no tile table) both list blocks."""
    rng = np.random.default_rng(5)
    many_lines = _lines(rng, 40, 30_000.0)
    many = SnapGrid(many_lines, cell_m=3.0)
    assert many.far_block > 1 and many.tile_id.size > 0
    dense_lines = np.array([shapely.linestrings([(x, 0.0), (x, 1_000.0)]) for x in np.arange(0.0, 1_001.0, 50.0)],
                           dtype=object)
    dense = SnapGrid(dense_lines, cell_m=50.0)
    assert dense.tile_id.size == 0
    x = rng.uniform(-50_000, 50_000, 200)
    y = rng.uniform(-50_000, 50_000, 200)
    for grid, lines in ((many, many_lines), (dense, dense_lines)):
        _, ref = shapely.STRtree(lines).query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
        assert np.max(np.abs(grid.far_distance(x, y) - ref) / np.maximum(ref, 1.0)) <= 1e-9


def test_far_distance_empty_grid_is_nan():
    grid = SnapGrid(np.array([], dtype=object))
    assert np.isnan(grid.far_distance(np.array([0.0, 5.0]), np.array([1.0, 2.0]))).all()


def test_far_points_of_a_network_keep_distance_and_reason(random_nets):
    """Snapped through the engine: points beyond max_snap_m get shapely's distance and the reason."""
    net, _ = random_nets[0]
    graph = RoadGraph.from_network(net)
    engine = TravelEngine(graph, settings=TravelSettings(max_snap_m=250))
    rng = np.random.default_rng(9)
    x = rng.uniform(-5_000, 7_000, 300)
    y = rng.uniform(-5_000, 7_000, 300)
    pts = gpd.GeoDataFrame({"id": np.arange(300)}, geometry=gpd.points_from_xy(x, y), crs=graph.crs)
    for mode in ("walk", "drive"):
        sp = engine.snap(pts, mode=mode)
        seg = graph.segments(mode)
        _, ref = shapely.STRtree(seg.geometry).query_nearest(shapely.points(x, y), return_distance=True,
                                                            all_matches=False)
        far = ~sp.ok
        assert far.sum() > 100
        assert np.max(np.abs(sp.snap_distance_m - ref) / np.maximum(ref, 1.0)) <= 1e-9
        assert (ref[far] > 250).all()
        assert list(sp.reason[far][:3]) == [f"snap distance {v:,.0f} m > max 250 m" for v in ref[far][:3]]
