"""Snapping (access legs, partial edges, far points), mixed mode and errors, hand-computed."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from planning import CRSError, InputError
from planning.config import TravelSettings
from planning.network.engine import TravelEngine
from planning.network.graph import RoadGraph

WALK = 60.0 / 4500.0   # minutes per metre at 4.5 km/h
RES = 60.0 / 25000.0   # minutes per metre at 25 km/h


def _pts(netlib, coords, prefix):
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(len(coords))]},
                            geometry=[Point(c) for c in coords], crs=netlib.CRS)


@pytest.fixture
def line_engine(netlib):
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0)}
    rows = [{"u": 1, "v": 2, "length_m": 1000.0, "highway": "residential"},
            {"u": 2, "v": 1, "length_m": 1000.0, "highway": "residential"}]
    return TravelEngine(RoadGraph.from_network(netlib.network_from_rows(xy, rows)))


def test_access_leg_and_partial_edge(netlib, line_engine):
    o = _pts(netlib, [(250.0, 30.0)], "o")
    d = _pts(netlib, [(800.0, -40.0)], "d")
    walk = line_engine.nearest(o, d, mode="walk").iloc[0]
    assert walk.travel_time_min == pytest.approx((30 + 550 + 40) * WALK)
    assert walk.distance_m == pytest.approx(620.0)
    assert walk.snap_distance_m == pytest.approx(30.0)
    drive = line_engine.od(o, d, mode="drive").iloc[0]
    assert drive.travel_time_min == pytest.approx((30 + 40) * WALK + 550 * RES)
    assert drive.distance_m == pytest.approx(620.0)
    # under a cutoff only the direct trip along the shared segment qualifies (network ones are longer)
    o2 = _pts(netlib, [(250.0, 30.0), (900.0, 0.0), (100.0, 0.0)], "o")
    d2 = _pts(netlib, [(800.0, -40.0), (50.0, 0.0)], "d")
    cut = line_engine.od(o2, d2, mode="walk", cutoff=9.0)
    assert list(zip(cut.origin_id, cut.destination_id)) == [("o0", "d0"), ("o0", "d1"), ("o1", "d0"), ("o2", "d1")]
    assert cut["travel_time_min"].to_numpy() == pytest.approx([620 * WALK, 230 * WALK, 140 * WALK, 50 * WALK])
    # the destination off the end of the road: snapped at the node, egress walked
    d2 = _pts(netlib, [(1000.0, 300.0)], "e")
    r = line_engine.nearest(o, d2, mode="drive").iloc[0]
    assert r.travel_time_min == pytest.approx((30 + 300) * WALK + 750 * RES)


def test_far_point_unreachable_with_reason(netlib, line_engine):
    o = _pts(netlib, [(500.0, 2000.0), (100.0, 0.0)], "o")
    d = _pts(netlib, [(900.0, 0.0)], "d")
    near = line_engine.nearest(o, d, mode="walk")
    far = near.iloc[0]
    assert np.isnan(far.travel_time_min) and np.isnan(far.distance_m) and pd.isna(far.destination_id)
    assert far.snap_distance_m == pytest.approx(2000.0)
    assert far.reason == "snap distance 2,000 m > max 1,500 m"
    assert near.iloc[1].reason == "" and near.iloc[1].distance_m == pytest.approx(800.0)
    od = line_engine.od(o, d, mode="walk")
    assert len(od) == 2 and np.isnan(od.iloc[0].travel_time_min)      # kept, NaN
    assert list(line_engine.od(o, d, mode="walk", cutoff=60)["origin_id"]) == ["o1"]  # omitted under a cutoff
    # a larger max_snap_m brings it in
    wide = TravelEngine(line_engine.graph, settings=TravelSettings(max_snap_m=2500))
    assert wide.nearest(o, d, mode="walk").iloc[0].travel_time_min == pytest.approx((2000 + 400) * WALK)


def test_partial_edges_equal_networkx_split_graph(netlib, random_nets):
    """Random off-network points: the engine equals Dijkstra on a graph split at the snaps."""
    net, rows = random_nets[2]
    engine = TravelEngine(RoadGraph.from_network(net))
    rng = np.random.default_rng(11)
    xs = rng.uniform(-100, 1700, 40)
    ys = rng.uniform(-100, 1700, 40)
    pts = _pts(netlib, list(zip(xs, ys)), "p")
    snapped = engine.snap(pts, mode="walk")
    assert snapped.ok.all()
    seg = engine.graph.segments("walk")
    g = netlib.oracle(rows, "walk")
    # split each snapped segment at its points (sorted by fraction), both directions
    by_seg: dict[int, list[tuple[float, str]]] = {}
    for pid, s, f in zip(snapped.ids, snapped.segment, snapped.fraction):
        by_seg.setdefault(int(s), []).append((float(f), pid))
    node_id = engine.graph.node_ids
    for s, items in by_seg.items():
        u, v = int(node_id[seg.u[s]]), int(node_id[seg.v[s]])
        L = float(seg.fwd_length_m[s])
        chain = [(0.0, u)] + sorted(items) + [(1.0, v)]
        for (fa, a), (fb, b) in zip(chain[:-1], chain[1:]):
            part = (fb - fa) * L
            g.add_edge(a, b, time=part * WALK, length=part)
            g.add_edge(b, a, time=part * WALK, length=part)
    for pid, dist in zip(snapped.ids, snapped.snap_distance_m):
        g.add_edge(("x", pid), pid, time=dist * WALK, length=dist)
        g.add_edge(pid, ("x", pid), time=dist * WALK, length=dist)
    od = engine.od(snapped, snapped, mode="walk")
    for row in od.itertuples():
        try:
            exp = nx.dijkstra_path_length(g, ("x", row.origin_id), ("x", row.destination_id), weight="time")
        except nx.NetworkXNoPath:
            assert np.isnan(row.travel_time_min)
            continue
        assert row.travel_time_min == pytest.approx(exp, abs=1e-6)


def test_mixed_mode_hand_computed(netlib):
    # footpath A(0,0)-B(1000,0), road B-C(2500,0); a village 50 m off the footpath
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0), 3: (2500.0, 0.0)}
    rows = [{"u": 1, "v": 2, "length_m": 1000.0, "highway": "path"},
            {"u": 2, "v": 1, "length_m": 1000.0, "highway": "path"},
            {"u": 2, "v": 3, "length_m": 1500.0, "highway": "residential"},
            {"u": 3, "v": 2, "length_m": 1500.0, "highway": "residential"}]
    graph = RoadGraph.from_network(netlib.network_from_rows(xy, rows))
    engine = TravelEngine(graph, settings=TravelSettings(max_snap_m=500))
    village = _pts(netlib, [(0.0, 50.0)], "v")
    clinics = _pts(netlib, [(2500.0, 0.0)], "c")
    mixed = engine.nearest(village, clinics, mode="mixed").iloc[0]
    assert mixed.travel_time_min == pytest.approx((50 + 1000) * WALK + 1500 * RES)  # walk, then drive
    assert mixed.distance_m == pytest.approx(2550.0)
    assert engine.od(village, clinics, mode="mixed").iloc[0].travel_time_min == pytest.approx(mixed.travel_time_min)
    walk = engine.nearest(village, clinics, mode="walk").iloc[0]
    assert walk.travel_time_min == pytest.approx(2550 * WALK)
    drive = engine.nearest(village, clinics, mode="drive").iloc[0]   # nearest drivable road is 1,001 m away
    assert np.isnan(drive.travel_time_min) and drive.reason == "snap distance 1,001 m > max 500 m"
    # a destination on the footpath is walked to directly
    on_path = _pts(netlib, [(500.0, 0.0)], "p")
    assert engine.nearest(village, on_path, mode="mixed").iloc[0].travel_time_min == pytest.approx(550 * WALK)
    # mixed distance metric
    md = engine.nearest(village, clinics, mode="mixed", metric="distance").iloc[0]
    assert md.distance_m == pytest.approx(2550.0)


def test_nearest_picks_closest_and_no_destinations(netlib, line_engine):
    o = _pts(netlib, [(100.0, 0.0), (900.0, 0.0)], "o")
    d = _pts(netlib, [(0.0, 0.0), (1000.0, 0.0)], "d")
    near = line_engine.nearest(o, d, mode="drive")
    assert list(near["destination_id"]) == ["d0", "d1"]
    assert near["travel_time_min"].to_numpy() == pytest.approx([100 * RES, 100 * RES])
    none = line_engine.nearest(o, d.iloc[:0], mode="walk")
    assert list(none["reason"]) == ["no destinations given"] * 2
    assert none["travel_time_min"].isna().all()


def test_errors(netlib, line_engine):
    o = _pts(netlib, [(100.0, 0.0)], "o")
    with pytest.raises(CRSError, match="differs from the road network CRS"):
        line_engine.nearest(o.to_crs(4326), o, mode="walk")
    with pytest.raises(InputError, match="mode must be one of walk, drive, mixed; got 'bike'"):
        line_engine.od(o, o, mode="bike")
    with pytest.raises(InputError, match="metric must be one of time, distance"):
        line_engine.nearest(o, o, metric="euclid")
    with pytest.raises(InputError, match="cutoff must be a positive number"):
        line_engine.od(o, o, cutoff=-5)
    with pytest.raises(InputError, match="id column 'code' not found"):
        line_engine.nearest(o, o, id_col="code")
    dup = pd.concat([o, o], ignore_index=True)
    with pytest.raises(InputError, match="duplicate ids in column 'id'"):
        line_engine.od(dup, o)
    bad = o.copy()
    bad.loc[0, "geometry"] = None
    with pytest.raises(InputError, match=r"missing or empty geometries, rows \[1\]"):
        line_engine.nearest(bad, o)
    snapped = line_engine.snap(o, mode="walk")
    with pytest.raises(InputError, match="snapped for mode 'walk'"):
        line_engine.nearest(snapped, o, mode="drive")


def test_graph_errors(netlib):
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0)}
    net = netlib.network_from_rows(xy, [{"u": 1, "v": 9, "length_m": -1.0, "highway": "primary",
                                            "geometry": LineString([(0, 0), (5, 5)])}])
    with pytest.raises(InputError) as err:
        RoadGraph.from_network(net)
    msg = str(err.value)
    assert "2 problem(s)" in msg and "v not among the nodes" in msg and "negative length_m" in msg
    empty = netlib.network_from_rows(xy, [])
    with pytest.raises(InputError, match="no edges"):
        RoadGraph.from_network(empty)
    geo = netlib.network_from_rows(xy, [{"u": 1, "v": 2, "length_m": 1.0, "highway": "primary"}])
    geo.nodes = geo.nodes.set_crs(4326, allow_override=True)
    with pytest.raises(CRSError, match="not projected"):
        RoadGraph.from_network(geo)


def test_grid_snapping_equals_shapely(netlib, random_nets):
    """The grid snapper finds the same nearest distance and point as shapely's STRtree."""
    import shapely

    net, _ = random_nets[0]
    engine = TravelEngine(RoadGraph.from_network(net), settings=TravelSettings(max_snap_m=300))
    rng = np.random.default_rng(21)
    xs, ys = rng.uniform(-600, 2200, 400), rng.uniform(-600, 2200, 400)
    pts = _pts(netlib, list(zip(xs, ys)), "p")
    for mode in ("walk", "drive"):
        sp = engine.snap(pts, mode=mode)
        seg = engine.graph.segments(mode)
        geoms = shapely.points(xs, ys)
        (_, hit), d = shapely.STRtree(seg.geometry).query_nearest(geoms, return_distance=True, all_matches=False)
        assert sp.snap_distance_m == pytest.approx(d, abs=1e-9)
        ok = sp.ok
        assert ok.sum() > 100 and (~ok).sum() > 10 and (d[~ok] > 300).all() and (d[ok] <= 300).all()
        ours = shapely.line_interpolate_point(seg.geometry[sp.segment[ok]], sp.fraction[ok], normalized=True)
        ref = shapely.line_interpolate_point(
            seg.geometry[hit[ok]], shapely.line_locate_point(seg.geometry[hit[ok]], geoms[ok], normalized=True),
            normalized=True)
        assert shapely.distance(ours, ref) == pytest.approx(np.zeros(ok.sum()), abs=1e-6)


def test_points_at_ends_of_one_way_curved_road(netlib):
    """A point at the end node of a one-way road with many vertices is at that node (no
    rounding residue that would make it unreachable from behind)."""
    rng = np.random.default_rng(8)
    xs = np.linspace(0.0, 1000.0, 23)
    ys = rng.uniform(-3.0, 3.0, 23)
    ys[0] = ys[-1] = 0.0
    curve = LineString(np.stack([xs, ys], 1))
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0), 3: (1000.0, 500.0)}
    rows = [{"u": 1, "v": 2, "length_m": curve.length, "highway": "primary", "oneway": True, "geometry": curve},
            {"u": 2, "v": 3, "length_m": 500.0, "highway": "primary", "oneway": True}]
    engine = TravelEngine(RoadGraph.from_network(netlib.network_from_rows(xy, rows)))
    pts = _pts(netlib, [(0.0, 0.0), (1000.0, 0.0), (1000.0, 500.0)], "n")
    od = engine.od(pts, pts, mode="drive").set_index(["origin_id", "destination_id"])["travel_time_min"]
    assert od[("n0", "n1")] == pytest.approx(curve.length * 60 / 60000, abs=1e-9)
    assert od[("n1", "n2")] == pytest.approx(0.5, abs=1e-9)
    assert od[("n0", "n2")] == pytest.approx(curve.length * 60 / 60000 + 0.5, abs=1e-9)
    assert np.isnan(od[("n2", "n0")])
