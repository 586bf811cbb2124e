"""Terrain on partial edges and access legs (a DEM plane of known slope), hand-computed and
against networkx on networks where the snapped position is made a real node."""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS
from shapely import ops
from shapely.geometry import LineString, Point

from planning.config import TravelSettings
from planning.county import Raster
from planning.network.engine import TravelEngine
from planning.network.graph import RoadGraph

SETTINGS = TravelSettings(walk_speed_kph=4.5, steep_grade=0.06, steep_grade_speed_factor=0.6)


def walk_min(metres: float, slope: float) -> float:
    """Hand formula: Tobler scaled to 4.5 km/h on flat ground, 4.5 · exp(−3.5 (|s + 0.05| − 0.05))."""
    return metres * 0.06 / (4.5 * math.exp(-3.5 * (abs(slope + 0.05) - 0.05)))


def plane_dem(crs: str, *, sx: float = 0.1, sy: float = 0.2) -> Raster:
    """z = sx · x + sy · y on 10 m cells over 0..1000 m (bilinear sampling is exact on a plane)."""
    xc = 5.0 + 10.0 * np.arange(100)
    yc = 995.0 - 10.0 * np.arange(100)          # row 0 is the northern edge
    arr = sx * xc[None, :] + sy * yc[:, None]
    return Raster(array=arr, transform=Affine(10.0, 0.0, 0.0, 0.0, -10.0, 1000.0), crs=CRS.from_user_input(crs),
                  kind="dem")


@pytest.fixture
def bent(netlib):
    """One two-way residential road 1 → 2 bent at (500, 100): 400 m east (slope +0.1), then
    400 m north (slope +0.2) on the plane z = 0.1 x + 0.2 y."""
    xy = {1: (100.0, 100.0), 2: (500.0, 500.0)}
    line = LineString([(100, 100), (500, 100), (500, 500)])
    rows = [{"u": 1, "v": 2, "length_m": 800.0, "highway": "residential", "geometry": line},
            {"u": 2, "v": 1, "length_m": 800.0, "highway": "residential", "geometry": line.reverse()}]
    net = netlib.network_from_rows(xy, rows)
    return TravelEngine(RoadGraph.from_network(net, dem=plane_dem(netlib.CRS), settings=SETTINGS))


def _pts(netlib, coords, prefix):
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(len(coords))]},
                            geometry=[Point(c) for c in coords], crs=netlib.CRS)


def _od(engine, o, d, mode="walk", metric="time"):
    t = engine.od(o, d, mode=mode, metric=metric)
    return {(a, b): (tt, dd) for a, b, tt, dd in t.itertuples(index=False)}


def test_access_legs_both_ways(netlib, bent):
    # P (300, 80) snaps to (300, 100), 20 m away; z_P = 30 + 16 = 46, z_road = 30 + 20 = 50:
    # to the road 20 m at +0.2, from the road 20 m at -0.2.
    sp = bent.snap(_pts(netlib, [(300.0, 80.0)], "p"), mode="walk")
    assert sp.fraction[0] == pytest.approx(0.25) and sp.snap_distance_m[0] == pytest.approx(20.0)
    assert sp.access_time_min[0] == pytest.approx(20 * 0.06 / (4.5 * math.exp(-0.7)), rel=1e-12)   # 0.537001
    assert sp.egress_time_min[0] == pytest.approx(20 * 0.06 / (4.5 * math.exp(-0.35)), rel=1e-12)  # 0.378418
    assert sp.access_time_min[0] == pytest.approx(0.5370007, abs=1e-7)
    assert sp.egress_time_min[0] == pytest.approx(0.3784180, abs=1e-7)


def test_partial_edge_both_ways_and_same_segment(netlib, bent):
    p = _pts(netlib, [(300.0, 80.0)], "p")            # fraction 0.25, 20 m below the road
    q = _pts(netlib, [(520.0, 300.0)], "q")           # (500, 300): fraction 0.75, 2 m above the road
    nodes = _pts(netlib, [(100.0, 100.0), (500.0, 500.0)], "n")
    up_p, down_p = walk_min(20, 0.2), walk_min(20, -0.2)      # P to the road, the road to P
    up_q, down_q = walk_min(20, -0.1), walk_min(20, 0.1)      # Q to the road (downhill), the road to Q
    out = _od(bent, p, nodes)
    # P -> node 2 along the road: 200 m at +0.1 then 400 m at +0.2 (not 3/4 of the whole edge)
    assert out[("p0", "n1")][0] == pytest.approx(up_p + walk_min(200, 0.1) + walk_min(400, 0.2), rel=1e-10)
    # P -> node 1 against it: 200 m at -0.1 (flat speed)
    assert out[("p0", "n0")][0] == pytest.approx(up_p + walk_min(200, -0.1), rel=1e-10)
    assert out[("p0", "n0")][1] == pytest.approx(220.0) and out[("p0", "n1")][1] == pytest.approx(620.0)
    back = _od(bent, nodes, p)
    assert back[("n0", "p0")][0] == pytest.approx(walk_min(200, 0.1) + down_p, rel=1e-10)
    assert back[("n1", "p0")][0] == pytest.approx(walk_min(400, -0.2) + walk_min(200, -0.1) + down_p, rel=1e-10)
    # literal check of one of them: 400·0.06/(4.5 e^-0.35) + 200·0.06/4.5 + 0.378418
    assert back[("n1", "p0")][0] == pytest.approx(10.613445, abs=1e-6)
    # two points on the same road, direct along it both ways
    pq = _od(bent, p, q)[("p0", "q0")][0]
    assert pq == pytest.approx(up_p + walk_min(200, 0.1) + walk_min(200, 0.2) + down_q, rel=1e-10)
    qp = _od(bent, q, p)[("q0", "p0")][0]
    assert qp == pytest.approx(up_q + walk_min(200, -0.2) + walk_min(200, -0.1) + down_p, rel=1e-10)
    near = bent.nearest(p, q, mode="walk").iloc[0]
    assert near.travel_time_min == pytest.approx(pq, rel=1e-12)
    # the two parts of the road add up to its whole time, in both directions
    seg = bent.graph.segments_walk
    sp = bent.snap(p, mode="walk")
    whole_f = walk_min(400, 0.1) + walk_min(400, 0.2)
    assert seg.fwd_time_min[0] == pytest.approx(whole_f, rel=1e-12)
    assert sp.fwd_share[0] == pytest.approx(walk_min(200, 0.1) / whole_f, rel=1e-12)


def test_partial_edge_drive(netlib, bent):
    p = _pts(netlib, [(300.0, 80.0)], "p")
    nodes = _pts(netlib, [(100.0, 100.0), (500.0, 500.0)], "n")
    out = _od(bent, p, nodes, mode="drive")
    f01 = 1 - 0.4 * (0.04 / 0.06)       # grade 0.10: between 0.06 and 0.12
    f02 = 0.6                           # grade 0.20: beyond 0.12
    assert out[("p0", "n1")][0] == pytest.approx(
        walk_min(20, 0.2) + 200 * 0.06 / (25 * f01) + 400 * 0.06 / (25 * f02), rel=1e-10)
    assert out[("p0", "n0")][0] == pytest.approx(walk_min(20, 0.2) + 200 * 0.06 / (25 * f01), rel=1e-10)


def test_distance_metric_carries_terrain_times(netlib, bent):
    p = _pts(netlib, [(300.0, 80.0)], "p")
    nodes = _pts(netlib, [(500.0, 500.0)], "n")
    row = bent.od(p, nodes, metric="distance").iloc[0]
    assert row.distance_m == pytest.approx(620.0)
    assert row.travel_time_min == pytest.approx(walk_min(20, 0.2) + walk_min(200, 0.1) + walk_min(400, 0.2),
                                                rel=1e-10)


def test_service_area_cut_follows_terrain(netlib, bent):
    # a clinic at node 2; budget 15 min walking towards it. From (x, 100) the time is
    # (500 - x) m at +0.1 and 400 m at +0.2, so the cut lies where that equals 15 min (x ≈ 275).
    clinic = _pts(netlib, [(500.0, 500.0)], "c")
    rest = 15.0 - walk_min(400, 0.2)
    cut_x = 500.0 - rest / walk_min(1, 0.1)
    area = bent.service_areas(clinic, mode="walk", breaks=(15,), tolerance_m=1.0).geometry.iloc[0]
    assert area.contains(Point(cut_x + 3.0, 100.0))
    assert not area.contains(Point(cut_x - 3.0, 100.0))
    assert 270.0 < cut_x < 280.0


def test_flat_ground_unchanged(netlib):
    """Without a DEM the shares are the fractions themselves and legs are walked at 4.5 km/h."""
    xy = {1: (100.0, 100.0), 2: (500.0, 500.0)}
    line = LineString([(100, 100), (500, 100), (500, 500)])
    rows = [{"u": 1, "v": 2, "length_m": 800.0, "highway": "residential", "geometry": line},
            {"u": 2, "v": 1, "length_m": 800.0, "highway": "residential", "geometry": line.reverse()}]
    eng = TravelEngine(RoadGraph.from_network(netlib.network_from_rows(xy, rows), settings=SETTINGS))
    sp = eng.snap(_pts(netlib, [(300.0, 80.0)], "p"))
    assert sp.fwd_share is sp.fraction and sp.bwd_share is sp.fraction
    assert sp.egress_time_min is sp.access_time_min
    assert sp.access_time_min[0] == pytest.approx(20 * 0.06 / 4.5)


# ---------------------------------------------------------------- split-node oracle
def _split_rows(rows, node_xy, a_id, b_id, geom, frac, new_id):
    """Copy of the rows with the road between a_id and b_id of geometry ``geom`` (either
    direction) split at ``frac`` of its length by the new node ``new_id``."""
    cut = shapely.line_interpolate_point(geom, frac, normalized=True)
    out = []
    hit = 0
    for r in rows:
        g = r.get("geometry") or LineString([node_xy[r["u"]], node_xy[r["v"]]])
        same = (r["u"], r["v"]) == (a_id, b_id) and g.equals_exact(geom, 1e-9)
        rev = (r["u"], r["v"]) == (b_id, a_id) and g.equals_exact(geom.reverse(), 1e-9)
        if not (same or rev):
            out.append(r)
            continue
        hit += 1
        f = frac if same else 1.0 - frac
        first = ops.substring(g, 0.0, f, normalized=True)
        second = ops.substring(g, f, 1.0, normalized=True)
        L = float(r["length_m"])
        out.append({**r, "v": new_id, "length_m": L * f, "geometry": first})
        out.append({**r, "u": new_id, "length_m": L * (1 - f), "geometry": second})
    assert hit >= 1
    return out, (cut.x, cut.y)


def _bend(row, node_xy):
    """The straight road of ``row`` bent 25 m sideways at its middle (the same line for both
    directions of a road), so that its two halves climb at different slopes."""
    a, b = sorted((row["u"], row["v"]))
    (ax, ay), (bx, by) = node_xy[a], node_xy[b]
    L = math.hypot(bx - ax, by - ay)
    mid = ((ax + bx) / 2 - 25.0 * (by - ay) / L, (ay + by) / 2 + 25.0 * (bx - ax) / L)
    line = LineString([(ax, ay), mid, (bx, by)])
    return line if row["u"] == a else line.reverse()


def _node_xy(rows, net):
    return {int(i): (float(x), float(y)) for i, x, y in zip(net.nodes.index, net.nodes["x"], net.nodes["y"])}


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_snapped_time_equals_split_node_dijkstra(netlib, mode):
    """On a random network over a tilted plane, the time from a point snapped onto an edge
    equals (access leg +) networkx Dijkstra from a real node at the snapped position of a copy
    of the network with that edge split there, to every node."""
    net, rows = netlib.random_network(7, side=7, spacing=110.0)
    dem = plane_dem(netlib.CRS, sx=0.08, sy=-0.12)
    # keep the network inside the DEM (the isolated far component is dropped)
    rows = [r for r in rows if r["u"] not in (1, 2)]
    node_xy = {k: (x + 100.0, y + 100.0) for k, (x, y) in _node_xy(rows, net).items() if k not in (1, 2)}
    rows = [{**r, "geometry": _bend(r, node_xy) if r.get("geometry") is None else
             shapely.affinity.translate(r["geometry"], 100.0, 100.0)} for r in rows]
    base = netlib.network_from_rows(node_xy, rows)
    engine = TravelEngine(RoadGraph.from_network(base, dem=dem, settings=SETTINGS))
    rng = np.random.default_rng(11)
    origins = _pts(netlib, [tuple(p) for p in rng.uniform(150.0, 750.0, size=(40, 2))], "o")
    sp = engine.snap(origins, mode=mode)
    inner = np.flatnonzero(sp.ok & (sp.fraction > 0.02) & (sp.fraction < 0.98))[:5]
    assert inner.size == 5
    ids = sorted(node_xy)
    targets = _pts(netlib, [node_xy[i] for i in ids], "n")
    at_node = engine.snap(targets, mode=mode).snap_distance_m == 0   # targets on a road of the mode
    g = engine.graph
    seg = g.segments(mode)
    checked = 0
    for i in inner:
        s = sp.segment[i]
        a_id, b_id = int(g.node_ids[seg.u[s]]), int(g.node_ids[seg.v[s]])
        split, cut = _split_rows(rows, node_xy, a_id, b_id, seg.geometry[s], float(sp.fraction[i]), 999_999)
        xy2 = {**node_xy, 999_999: cut}
        g2 = RoadGraph.from_network(netlib.network_from_rows(xy2, split), dem=dem, settings=SETTINGS)
        mg = g2.mode_graph(mode)
        dg = nx.DiGraph()
        tails = np.repeat(np.arange(mg.n_nodes), np.diff(mg.indptr))
        for t, h, w in zip(tails, mg.indices, mg.time_min):
            dg.add_edge(int(t), int(h), weight=float(w))
        src = int(np.flatnonzero(g2.node_ids == 999_999)[0])
        ref = nx.single_source_dijkstra_path_length(dg, src)
        ours = engine.od(origins.iloc[[i]], targets, mode=mode)
        assert len(ours) == len(ids)
        for nid, t, on in zip(ids, ours["travel_time_min"].to_numpy(), at_node):
            k = int(np.flatnonzero(g2.node_ids == nid)[0])
            if not on:
                continue
            if k in ref:
                assert t - sp.access_time_min[i] == pytest.approx(ref[k], abs=1e-9)
                checked += 1
            else:
                assert np.isnan(t)
        # and the other way: from every node to the point (egress leg on top)
        rdg = dg.reverse(copy=True)
        ref_in = nx.single_source_dijkstra_path_length(rdg, src)
        back = engine.od(targets, origins.iloc[[i]], mode=mode)
        for nid, t, on in zip(ids, back["travel_time_min"].to_numpy(), at_node):
            k = int(np.flatnonzero(g2.node_ids == nid)[0])
            if not on:
                continue
            if k in ref_in:
                assert t - sp.egress_time_min[i] == pytest.approx(ref_in[k], abs=1e-9)
            else:
                assert np.isnan(t)
    assert at_node.sum() >= len(ids) // 2
    assert checked > 5 * int(at_node.sum()) // 2


@pytest.mark.parametrize("mode", ["walk", "drive"])
@pytest.mark.parametrize("metric", ["time", "distance"])
def test_nearest_equals_cheapest_od_pair_on_terrain(netlib, bent, mode, metric):
    """The nearest search enters the road through both ends of a point's segment with the
    terrain-aware shares of that segment: the same cost as the cheapest pair of the OD table."""
    pts = _pts(netlib, [(300.0, 80.0), (520.0, 300.0), (480.0, 450.0), (150.0, 130.0)], "p")
    targets = _pts(netlib, [(100.0, 100.0), (500.0, 500.0), (510.0, 200.0)], "t")
    near = bent.nearest(pts, targets, mode=mode, metric=metric).set_index("origin_id")
    od = bent.od(pts, targets, mode=mode, metric=metric)
    key = "travel_time_min" if metric == "time" else "distance_m"
    best = od.loc[od.groupby("origin_id")[key].idxmin()].set_index("origin_id")
    assert near["destination_id"].to_dict() == best["destination_id"].to_dict()
    for col in ("travel_time_min", "distance_m"):
        assert near[col].to_numpy() == pytest.approx(best.loc[near.index, col].to_numpy(), rel=1e-12)
