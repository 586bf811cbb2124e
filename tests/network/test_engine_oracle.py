"""Engine travel times against networkx's Dijkstra on seeded random graphs (1e-6 min)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from planning.network.engine import TravelEngine
from planning.network.graph import RoadGraph

TOL = 1e-6


def _mode_nodes(g: nx.MultiDiGraph) -> list[int]:
    return sorted(n for n in g.nodes if g.degree(n) > 0)


def _setup(netlib, net, rows, mode, seed):
    rng = np.random.default_rng(seed)
    g = netlib.oracle(rows, mode)
    nodes = [n for n in _mode_nodes(g) if n not in (1, 2)]
    origins = list(rng.choice(nodes, size=min(25, len(nodes)), replace=False))
    dests = list(rng.choice(nodes, size=6, replace=False))
    # always include the isolated component (unreachable pairs)
    origins = [int(n) for n in origins] + [1]
    dests = [int(n) for n in dests]
    return g, origins, dests


def _expected(netlib, g, origins, dests, metric, cutoff):
    key = "time" if metric == "time" else "length"
    other = "length" if metric == "time" else "time"
    dg = netlib.collapse(g, key)
    out = {}
    for o in origins:
        dist, paths = nx.single_source_dijkstra(dg, o, cutoff=cutoff, weight=key)
        for d in dests:
            if d in dist:
                path = paths[d]
                sec = sum(dg[a][b][other] for a, b in zip(path[:-1], path[1:]))
                out[(o, d)] = (dist[d], sec)
    return out


@pytest.mark.parametrize("mode", ["walk", "drive"])
@pytest.mark.parametrize("metric", ["time", "distance"])
def test_od_and_nearest_equal_networkx(netlib, random_nets, mode, metric):
    for k, (net, rows) in enumerate(random_nets):
        engine = TravelEngine(RoadGraph.from_network(net))
        g, origins, dests = _setup(netlib, net, rows, mode, seed=k)
        o_pts = netlib.points_at(net, origins, "o")
        d_pts = netlib.points_at(net, dests, "d")
        exp = _expected(netlib, g, origins, dests, metric, None)
        od = engine.od(o_pts, d_pts, mode=mode, metric=metric)
        assert len(od) == len(origins) * len(dests)  # every pair present without a cutoff
        prim = "travel_time_min" if metric == "time" else "distance_m"
        sec = "distance_m" if metric == "time" else "travel_time_min"
        n_unreached = 0
        for row in od.itertuples(index=False):
            o, d = int(row.origin_id[1:]), int(row.destination_id[1:])
            got = getattr(row, prim), getattr(row, sec)
            if (o, d) in exp:
                assert got[0] == pytest.approx(exp[(o, d)][0], abs=TOL)
                assert got[1] == pytest.approx(exp[(o, d)][1], abs=TOL)
            else:
                n_unreached += 1
                assert np.isnan(got[0]) and np.isnan(got[1])
        assert n_unreached >= len(dests)  # the isolated origin reaches nothing

        near = engine.nearest(o_pts, d_pts, mode=mode, metric=metric)
        assert list(near["origin_id"]) == list(o_pts["id"])
        for row in near.itertuples(index=False):
            o = int(row.origin_id[1:])
            cands = [(exp[(o, d)][0], d) for d in dests if (o, d) in exp]
            if not cands:
                assert pd.isna(row.destination_id) and np.isnan(getattr(row, prim))
                assert "no destination reachable" in row.reason
                continue
            best, d = min(cands)
            assert getattr(row, prim) == pytest.approx(best, abs=TOL)
            assert row.destination_id == f"d{d}"
            assert getattr(row, sec) == pytest.approx(exp[(o, d)][1], abs=TOL)
            assert row.reason == "" and row.snap_distance_m == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_cutoff_equals_networkx(netlib, random_nets, mode):
    net, rows = random_nets[0]
    engine = TravelEngine(RoadGraph.from_network(net))
    g, origins, dests = _setup(netlib, net, rows, mode, seed=7)
    cutoff = 4.0 if mode == "drive" else 15.0
    o_pts = netlib.points_at(net, origins, "o")
    d_pts = netlib.points_at(net, dests, "d")
    exp = _expected(netlib, g, origins, dests, "time", cutoff)
    od = engine.od(o_pts, d_pts, mode=mode, cutoff=cutoff)
    got = {(int(r.origin_id[1:]), int(r.destination_id[1:])): r.travel_time_min for r in od.itertuples()}
    assert set(got) == set(exp)
    assert 0 < len(got) < len(origins) * len(dests)  # the cutoff really cut
    for k, v in exp.items():
        assert got[k] == pytest.approx(v[0], abs=TOL)
    assert (od["travel_time_min"] <= cutoff).all()
    near = engine.nearest(o_pts, d_pts, mode=mode, cutoff=cutoff)
    for row in near.itertuples():
        o = int(row.origin_id[1:])
        cands = [v[0] for (oo, _), v in exp.items() if oo == o]
        if cands:
            assert row.travel_time_min == pytest.approx(min(cands), abs=TOL)
        else:
            assert np.isnan(row.travel_time_min)
            assert row.reason.startswith("no destination")


def test_one_way_respected_by_drive_not_walk(netlib):
    # A -> B one-way primary road; B -> A only by a long detour A-C-B that is two-way residential.
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0), 3: (500.0, 800.0)}
    rows = [
        {"u": 1, "v": 2, "length_m": 1000.0, "highway": "primary", "oneway": True},
        {"u": 1, "v": 3, "length_m": 1000.0, "highway": "residential"},
        {"u": 3, "v": 1, "length_m": 1000.0, "highway": "residential"},
        {"u": 3, "v": 2, "length_m": 1000.0, "highway": "residential"},
        {"u": 2, "v": 3, "length_m": 1000.0, "highway": "residential"},
    ]
    net = netlib.network_from_rows(xy, rows)
    engine = TravelEngine(RoadGraph.from_network(net))
    pts = netlib.points_at(net, [1, 2], "n")
    od = engine.od(pts, pts, mode="drive").set_index(["origin_id", "destination_id"])
    assert od.loc[("n1", "n2"), "travel_time_min"] == pytest.approx(1.0)          # 1 km at 60 km/h
    assert od.loc[("n2", "n1"), "travel_time_min"] == pytest.approx(2 * 2.4)      # 2 km at 25 km/h
    assert od.loc[("n2", "n1"), "distance_m"] == pytest.approx(2000.0)
    walk = engine.od(pts, pts, mode="walk").set_index(["origin_id", "destination_id"])
    assert walk.loc[("n2", "n1"), "travel_time_min"] == pytest.approx(1000 * 60 / 4500)


def test_parallel_edges_fastest_for_time_shortest_for_distance(netlib):
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0)}
    rows = [
        {"u": 1, "v": 2, "length_m": 1000.0, "highway": "residential"},   # 2.4 min
        {"u": 2, "v": 1, "length_m": 1000.0, "highway": "residential"},
        {"u": 1, "v": 2, "length_m": 1500.0, "highway": "primary"},       # 1.5 min
        {"u": 2, "v": 1, "length_m": 1500.0, "highway": "primary"},
    ]
    engine = TravelEngine(RoadGraph.from_network(netlib.network_from_rows(xy, rows)))
    pts = netlib.points_at(engine_net := netlib.network_from_rows(xy, rows), [1, 2], "n")
    assert engine_net is not None
    t = engine.od(pts.iloc[[0]], pts.iloc[[1]], mode="drive").iloc[0]
    assert (t.travel_time_min, t.distance_m) == pytest.approx((1.5, 1500.0))
    d = engine.od(pts.iloc[[0]], pts.iloc[[1]], mode="drive", metric="distance").iloc[0]
    assert (d.travel_time_min, d.distance_m) == pytest.approx((2.4, 1000.0))


def test_deterministic(netlib, random_nets):
    net, rows = random_nets[1]
    g, origins, dests = _setup(netlib, net, rows, "walk", seed=3)
    o_pts = netlib.points_at(net, origins, "o")
    d_pts = netlib.points_at(net, dests, "d")
    e1, e2 = TravelEngine(RoadGraph.from_network(net)), TravelEngine(RoadGraph.from_network(net))
    a = e1.od(o_pts, d_pts, mode="walk", cutoff=20)
    b = e2.od(o_pts, d_pts, mode="walk", cutoff=20)
    assert len(a) > 0 and a.to_csv().encode() == b.to_csv().encode()
    na = e1.nearest(o_pts, d_pts, mode="mixed")
    nb = e2.nearest(o_pts, d_pts, mode="mixed")
    assert na.to_csv().encode() == nb.to_csv().encode()
    sa = e1.service_areas(d_pts, mode="drive", breaks=(3, 6))
    sb = e2.service_areas(d_pts, mode="drive", breaks=(3, 6))
    assert sa.to_wkb().to_csv().encode() == sb.to_wkb().to_csv().encode()
