"""The grid snapper against brute-force nearest-segment references (issue 3, brief W).

Two references, both over ALL segments:

* the same projection formula evaluated in numpy for every (point, piece) pair, the minimum
  taken lexicographically over (distance, segment, piece) — the canonical tie rule — so the
  segment and the distance must be identical to the bit;
* shapely's own distances to the whole LineStrings (independent code): the snapped distance
  equals the minimum to 1e-9 m, the segment is the lowest one within 1e-9 m of it, and the
  fraction is shapely's ``line_locate_point`` where that position is unique.

Points: seeded random points (near and far from the roads, outside the grid), points at nodes
and vertices, and points exactly equidistant to two segments (ties).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy.ndimage import distance_transform_cdt
from shapely.geometry import LineString

from planning.network._snapgrid import END_SAMPLE, SnapGrid, _empty_radius, _end_row, _end_table, _scattered, snap_grid
from planning.network.graph import RoadGraph

MAX_M = 1500.0


def _pieces(geometry: np.ndarray) -> tuple[np.ndarray, ...]:
    """Pieces of each line, built line by line in Python (independent of the module)."""
    seg, ax, ay, bx, by, piece_in_seg = [], [], [], [], [], []
    for s, line in enumerate(geometry):
        c = np.asarray(line.coords)
        for k in range(len(c) - 1):
            seg.append(s)
            piece_in_seg.append(k)
            ax.append(c[k, 0])
            ay.append(c[k, 1])
            bx.append(c[k + 1, 0])
            by.append(c[k + 1, 1])
    return tuple(np.asarray(a) for a in (seg, ax, ay, bx, by, piece_in_seg))


def brute_force(geometry: np.ndarray, x: np.ndarray, y: np.ndarray, max_m: float) -> tuple[np.ndarray, ...]:
    """Nearest piece of every point over all pieces, same projection formula, canonical ties.

    Returns ``segment`` (-1 beyond ``max_m``), ``distance`` (NaN beyond) and the fraction along
    the segment (from per-line lengths; compared to 1e-12 only).
    """
    seg, ax, ay, bx, by, _ = _pieces(geometry)
    dx, dy = bx - ax, by - ay
    ll = dx * dx + dy * dy
    plen = np.hypot(dx, dy)
    out_s = np.full(x.size, -1)
    out_d = np.full(x.size, np.nan)
    out_f = np.full(x.size, np.nan)
    seg_len = np.bincount(seg, weights=plen, minlength=len(geometry))
    for i in range(x.size):
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(ll > 0, ((x[i] - ax) * dx + (y[i] - ay) * dy) / ll, 0.0)
        t = np.minimum(np.maximum(t, 0.0), 1.0)
        qx = ax + t * dx - x[i]
        qy = ay + t * dy - y[i]
        d = np.sqrt(qx * qx + qy * qy)
        p = np.lexsort((np.arange(d.size), seg, d))[0]      # min distance, then segment, then piece
        if d[p] <= max_m:
            out_s[i] = seg[p]
            out_d[i] = d[p]
            before = plen[(seg == seg[p]) & (np.arange(d.size) < p)].sum()
            L = seg_len[seg[p]]
            out_f[i] = (before + t[p] * plen[p]) / L if L > 0 else 0.0
    return out_s, out_d, out_f


def _check(grid: SnapGrid, geometry: np.ndarray, x: np.ndarray, y: np.ndarray, max_m: float = MAX_M) -> None:
    s, f, d = grid.nearest(x, y, max_m)
    rs, rd, rf = brute_force(geometry, x, y, max_m)
    assert np.array_equal(s, rs), np.flatnonzero(s != rs)[:10]
    assert np.array_equal(d, rd, equal_nan=True)
    np.testing.assert_allclose(f, rf, rtol=0, atol=1e-9)
    assert np.array_equal(np.isnan(f), s < 0)


def _shapely_check(geometry: np.ndarray, x: np.ndarray, y: np.ndarray, s: np.ndarray, f: np.ndarray,
                   d: np.ndarray) -> None:
    pts = shapely.points(x, y)
    dist = shapely.distance(pts[:, None], geometry[None, :])          # points x segments
    dmin = dist.min(axis=1)
    near = dmin <= MAX_M
    assert np.array_equal(s >= 0, near)
    np.testing.assert_allclose(d[near], dmin[near], rtol=0, atol=1e-9)
    lowest = np.argmax(dist <= dmin[:, None] + 1e-9, axis=1)        # first segment within 1e-9 m
    assert np.array_equal(s[near], lowest[near])
    # the position along the segment, where it is unique (not a tie between two places)
    ok = np.flatnonzero(near)
    loc = shapely.line_locate_point(geometry[s[ok]], pts[ok], normalized=True)
    np.testing.assert_allclose(f[ok], loc, rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def tie_lines() -> np.ndarray:
    """Integer-coordinate lines with exact ties: parallel lines 200 m apart, a crossing, a
    polyline with several vertices, a segment listed after a collinear overlapping one, a
    zero-length piece and a closed loop."""
    return np.array([
        LineString([(0, 0), (1000, 0)]),
        LineString([(0, 200), (1000, 200)]),
        LineString([(500, -300), (500, 500)]),
        LineString([(1200, 0), (1300, 100), (1400, 0), (1500, 100), (1600, 0)]),
        LineString([(0, 0), (400, 0)]),                      # overlaps segment 0: ties everywhere on it
        LineString([(2000, 0), (2000, 0), (2100, 0)]),      # zero-length first piece
        LineString([(3000, 0), (3100, 0), (3100, 100), (3000, 100), (3000, 0)]),   # closed ring
    ], dtype=object)


def _tie_points() -> tuple[np.ndarray, np.ndarray]:
    pts = [
        (250, 100), (750, 100),            # equidistant to segments 0 and 1
        (500, 100), (500, 0), (500, 200),  # on the crossing, equidistant to 0/1 and on 2
        (0, 0), (400, 0), (200, 0),        # at nodes and along the overlap of 0 and 4
        (1000, 0), (1000, 200),            # line ends
        (1300, 100), (1400, 0), (1400, 50),  # polyline vertices, and equidistant to two pieces
        (2000, 0), (2000, 50), (2050, 0),  # the zero-length piece
        (3050, 50), (3000, 0), (3100, 100),  # ring centre (four equal pieces) and vertices
        (-5000, -5000), (900, 2000), (99999, 0),  # far: beyond the maximum, outside the grid
    ]
    a = np.asarray(pts, dtype=float)
    return a[:, 0].copy(), a[:, 1].copy()


@pytest.mark.parametrize("cell_m", [None, 7.0, 60.0, 333.0])
def test_ties_equal_brute_force(tie_lines, cell_m):
    x, y = _tie_points()
    grid = SnapGrid(tie_lines, cell_m=cell_m)
    _check(grid, tie_lines, x, y)
    s, f, d = grid.nearest(x, y, MAX_M)
    # the canonical tie, by hand: equidistant to 0 and 1 -> 0; on the crossing of 0 (or 1)
    # and 2 -> the lower; on the overlap of 0 and 4 -> 0; the ring centre -> its first piece
    # (fraction 0.125 of the ring)
    assert s[:5].tolist() == [0, 0, 2, 0, 1]
    assert d[2:5].tolist() == [0.0, 0.0, 0.0]
    assert s[5:8].tolist() == [0, 0, 0]
    assert s[16] == 6 and f[16] == 0.125 and d[16] == 50.0
    assert f[0] == 0.25 and d[0] == 100.0
    assert s[13] == 5 and f[13] == 0.0       # the zero-length piece's end is the line's start
    assert s[12] == 3 and d[12] == pytest.approx(50 / np.sqrt(2), abs=1e-12)
    assert (s[-3:] == -1).all() and np.isnan(d[-3:]).all()


def test_random_points_equal_brute_force_and_shapely(tie_lines):
    rng = np.random.default_rng(11)
    x = rng.uniform(-500, 4000, 600)
    y = rng.uniform(-800, 900, 600)
    # half of them on integer coordinates (more exact ties), a few at vertices
    x[:300] = np.round(x[:300])
    y[:300] = np.round(y[:300])
    verts = shapely.get_coordinates(tie_lines)
    x[300:320], y[300:320] = verts[:20, 0], verts[:20, 1]
    grid = SnapGrid(tie_lines)
    _check(grid, tie_lines, x, y)
    s, f, d = grid.nearest(x, y, MAX_M)
    _shapely_check(tie_lines, x[320:], y[320:], s[320:], f[320:], d[320:])


@pytest.mark.parametrize("seed", [0, 1])
def test_random_network_equal_brute_force(seed):
    """A seeded network of curved multi-vertex roads; points at nodes, at vertices, near and far;
    in input order and shuffled beyond the visiting-order threshold (4,096 points)."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(150):
        n = int(rng.integers(2, 8))
        start = rng.uniform(0, 5000, 2)
        steps = rng.normal(0, 120, (n - 1, 2))
        lines.append(LineString(np.vstack([start, start + np.cumsum(steps, axis=0)])))
    geometry = np.array(lines, dtype=object)
    verts = shapely.get_coordinates(geometry)
    n_pts = 5000
    x = rng.uniform(-2000, 7000, n_pts)
    y = rng.uniform(-2000, 7000, n_pts)
    k = rng.integers(0, verts.shape[0], 1500)
    x[:1500], y[:1500] = verts[k, 0], verts[k, 1]
    grid = SnapGrid(geometry)
    s, f, d = grid.nearest(x, y, MAX_M)
    sub = rng.choice(n_pts, 700, replace=False)          # brute force on a sample (it is O(points x pieces))
    sub = np.union1d(sub, np.arange(0, 1500, 7))
    rs, rd, rf = brute_force(geometry, x[sub], y[sub], MAX_M)
    assert np.array_equal(s[sub], rs)
    assert np.array_equal(d[sub], rd, equal_nan=True)
    np.testing.assert_allclose(f[sub], rf, rtol=0, atol=1e-9)
    # independent of the grid layout and of the order the points come in
    perm = rng.permutation(n_pts)
    for other in (SnapGrid(geometry, cell_m=37.0), SnapGrid(geometry, cell_m=900.0)):
        for a in zip(other.nearest(x, y, MAX_M), (s, f, d)):
            assert np.array_equal(*a, equal_nan=True)
    for a, b in zip(grid.nearest(x[perm], y[perm], MAX_M), (s, f, d)):
        assert np.array_equal(a, b[perm], equal_nan=True)
    near = np.flatnonzero(s >= 0)[:300]
    _shapely_check(geometry, x[near], y[near], s[near], f[near], d[near])


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_demo_county_network_equal_brute_force(mode):
    from planning.demo import load

    graph = RoadGraph.from_network(load().roads)
    seg = graph.segments(mode)
    rng = np.random.default_rng(3)
    n = graph.n_nodes
    k = rng.integers(0, n, 200)
    at = np.arange(0, n, 3)                     # a third of the nodes
    x = np.concatenate([graph.x[at], graph.x[k] + rng.uniform(-900, 900, 200),
                        rng.uniform(graph.x.min() - 3000, graph.x.max() + 3000, 80)])
    y = np.concatenate([graph.y[at], graph.y[k] + rng.uniform(-900, 900, 200),
                        rng.uniform(graph.y.min() - 3000, graph.y.max() + 3000, 80)])
    _check(snap_grid(seg), seg.geometry, x, y)


def test_comoros_equal_brute_force(shared_dir):
    """The real OSM extract (long multi-vertex ways, sea between islands): every node and 5,000
    random points snapped, identical to the brute force on a sample."""
    from planning.io import read_roads_lines

    graph = RoadGraph.from_network(read_roads_lines(shared_dir / "real" / "comoros" / "roads.gpkg",
                                                    class_column="highway"))
    rng = np.random.default_rng(5)
    n = graph.n_nodes
    k = rng.integers(0, n, 5000)
    x = np.concatenate([graph.x, graph.x[k] + rng.normal(0, 300, 5000)])
    y = np.concatenate([graph.y, graph.y[k] + rng.normal(0, 300, 5000)])
    for mode in ("drive", "walk"):
        seg = graph.segments(mode)
        grid = snap_grid(seg)
        s, f, d = grid.nearest(x, y, MAX_M)
        sub = rng.choice(x.size, 150, replace=False)
        rs, rd, rf = brute_force(seg.geometry, x[sub], y[sub], MAX_M)
        assert np.array_equal(s[sub], rs)
        assert np.array_equal(d[sub], rd, equal_nan=True)
        np.testing.assert_allclose(f[sub], rf, rtol=0, atol=1e-9)


def test_empty_radius_equals_chessboard_transform():
    rng = np.random.default_rng(2)
    for ncx, ncy, p in [(37, 23, 0.05), (64, 64, 0.002), (5, 300, 0.01), (300, 4, 0.0)]:
        occupied = rng.random((ncy, ncx)) < p
        counts = np.concatenate([[0], np.cumsum(occupied.ravel().astype(np.int64))])
        got = _empty_radius(counts, ncx, ncy).reshape(ncy, ncx)
        if occupied.any():
            want = distance_transform_cdt(~occupied, metric="chessboard")
            assert np.array_equal(got, np.minimum(want, 255))
        else:
            assert (got == 255).all()


def test_both_cell_layouts_are_exercised(tie_lines):
    """Sparse grids keep only the tiles holding pieces, dense ones stay row-major; the
    parametrised tie test above runs both against the brute force."""
    assert SnapGrid(tie_lines, cell_m=7.0).tile_id.size > 0
    assert SnapGrid(tie_lines, cell_m=333.0).tile_id.size == 0
    x, y = _tie_points()
    for a, b in zip(SnapGrid(tie_lines, cell_m=7.0).nearest(x, y, MAX_M), SnapGrid(tie_lines, cell_m=333.0).nearest(x, y, MAX_M)):
        assert np.array_equal(a, b, equal_nan=True)


def _without_end_points(grid: SnapGrid) -> SnapGrid:
    """The same grid with no end point listed (every point searched piece by piece)."""
    bare = object.__new__(SnapGrid)
    bare.__dict__.update(grid.__dict__)
    bare.cells = grid.cells.copy()
    bare.cells[:, 2] = 0
    bare.end_table, bare.end_bits = _end_table(np.empty(0), np.empty(0))
    return bare


@pytest.mark.parametrize("cell_m", [None, 7.0, 333.0])
def test_listed_end_points_give_the_searched_result(tie_lines, cell_m):
    """Points exactly at segment end points take the result listed at build time: identical to
    the piece-by-piece search and to the brute force, for every maximum (also 0 m)."""
    grid = SnapGrid(tie_lines, cell_m=cell_m)
    coords = np.concatenate([np.asarray(line.coords)[[0, -1]] for line in tie_lines])
    assert len(grid.ends) == len(np.unique(coords, axis=0))          # every distinct end point listed
    x, y = _tie_points()
    x = np.concatenate([coords[:, 0], x, coords[:, 0] + 1e-9])     # ends, tie points, just off the ends
    y = np.concatenate([coords[:, 1], y, coords[:, 1]])
    bare = _without_end_points(grid)
    for max_m in (MAX_M, 1e-10, 0.0):
        got = grid.nearest(x, y, max_m)
        for a, b in zip(got, bare.nearest(x, y, max_m)):
            assert np.array_equal(a, b, equal_nan=True)
        rs, rd, _ = brute_force(tie_lines, x, y, max_m)
        assert np.array_equal(got[0], rs) and np.array_equal(got[2], rd, equal_nan=True)


def test_listed_end_points_on_the_demo_county():
    """Every node of the demo county (both modes), shuffled: identical with and without the
    listed end points, and the listed ones are really taken (a poisoned list shows through)."""
    from planning.demo import load

    graph = RoadGraph.from_network(load().roads)
    order = np.random.default_rng(4).permutation(graph.n_nodes)
    x, y = graph.x[order], graph.y[order]
    for mode in ("walk", "drive"):
        grid = snap_grid(graph.segments(mode))
        got = grid.nearest(x, y, MAX_M)
        for a, b in zip(got, _without_end_points(grid).nearest(x, y, MAX_M)):
            assert np.array_equal(a, b, equal_nan=True)
        poisoned = object.__new__(SnapGrid)
        poisoned.__dict__.update(grid.__dict__)
        poisoned.ends = grid.ends.copy()
        poisoned.ends[:, 3] = -1.0
        hits = poisoned.nearest(x, y, MAX_M)[1] == -1.0
        assert hits.sum() == len(grid.ends) > 0           # each listed end point is a node, taken once
        if mode == "walk":
            assert len(grid.ends) > 0.9 * graph.n_nodes


def test_end_point_hash_table_on_a_lattice():
    """The hash table of end points on a regular 150 m lattice (the synthetic graphs' layout):
    each point found at its own row, points 1 nm or 1 m off any of them found nowhere."""
    gx, gy = np.meshgrid(np.arange(120) * 150.0 + 512_345.0, np.arange(90) * 150.0 + 3_456_789.0)
    ex, ey = gx.ravel(), gy.ravel()
    table, bits = _end_table(ex, ey)
    assert table.size >= 2 * ex.size and np.array_equal(np.sort(table[table >= 0]), np.arange(ex.size))
    ends = np.stack([ex, ey, np.zeros(ex.size), np.zeros(ex.size), np.zeros(ex.size)], axis=1)
    assert [_end_row(table, bits, ends, x, y) for x, y in zip(ex, ey)] == list(range(ex.size))
    for dx in (1e-9, 1.0):
        assert all(_end_row(table, bits, ends, x + dx, y) == -1 for x, y in zip(ex, ey))


@pytest.mark.parametrize("share", [0.0, 0.01, 0.5, 1.0])
def test_scattered_points_give_the_searched_result(share):
    """Thousands of scattered points, of which a share are demo county nodes (looked up in the
    hash table first, unless the sample of ``END_SAMPLE`` points finds none) and the rest off
    the nodes: identical to the search without listed end points."""
    from planning.demo import load

    graph = RoadGraph.from_network(load().roads)
    grid = snap_grid(graph.segments("drive"))
    rng = np.random.default_rng(6)
    n_nodes = int(share * 6000)
    at = rng.integers(0, graph.n_nodes, n_nodes)
    near = rng.integers(0, graph.n_nodes, 6000 - n_nodes)
    x = np.concatenate([graph.x[at], graph.x[near] + rng.uniform(5.0, 40.0, near.size)])
    y = np.concatenate([graph.y[at], graph.y[near] - rng.uniform(5.0, 40.0, near.size)])
    order = rng.permutation(x.size)
    x, y = x[order], y[order]
    assert _scattered(x, y, np.arange(x.size), grid.x0, grid.y0, grid.cell, grid.ncx, grid.ncy) and x.size > END_SAMPLE
    for a, b in zip(grid.nearest(x, y, MAX_M), _without_end_points(grid).nearest(x, y, MAX_M)):
        assert np.array_equal(a, b, equal_nan=True)


def test_scattered_end_points_are_answered_by_the_hash_table():
    """Scattered points at the end points take the hash table's answer: with the cells' lists
    emptied and the listed results poisoned, every one of them shows the poison (so the table
    is really consulted, not only equal in result to the search)."""
    from planning.demo import load

    grid = snap_grid(RoadGraph.from_network(load().roads).segments("drive"))
    pick = np.random.default_rng(7).integers(0, len(grid.ends), 6000)
    x, y = grid.ends[pick, 0].copy(), grid.ends[pick, 1].copy()
    assert _scattered(x, y, np.arange(x.size), grid.x0, grid.y0, grid.cell, grid.ncx, grid.ncy)
    poisoned = _without_end_points(grid)
    poisoned.end_table, poisoned.end_bits = grid.end_table, grid.end_bits
    poisoned.ends = grid.ends.copy()
    poisoned.ends[:, 3] = -1.0
    assert np.all(poisoned.nearest(x, y, MAX_M)[1] == -1.0)
    assert not np.any(_without_end_points(grid).nearest(x, y, MAX_M)[1] == -1.0)   # the control
