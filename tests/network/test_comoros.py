"""The engine on the real OSM extract of the Comoros against networkx (1e-6 min)."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import Point

from planning.config import TravelSettings
from planning.network.engine import TravelEngine
from planning.network.graph import RoadGraph

TOL = 1e-6
SPEEDS = TravelSettings().drive_speed_kph


@pytest.fixture(scope="module")
def comoros(shared_dir):
    from planning.io import read_roads_lines

    net = read_roads_lines(shared_dir / "real" / "comoros" / "roads.gpkg", class_column="highway")
    return net, TravelEngine(RoadGraph.from_network(net))


def _oracle(net, mode: str) -> nx.DiGraph:
    """Independent networkx graph from the edge table (fastest arc per node pair)."""
    g = nx.DiGraph()
    e = net.edges
    for u, v, length, hw, ms in zip(e["u"], e["v"], e["length_m"], e["highway"], e["maxspeed_kph"]):
        if mode == "walk":
            if hw in ("motorway", "motorway_link"):
                continue
            t = length * 60 / 4500
            arcs = [(u, v), (v, u)]
        else:
            if hw not in SPEEDS:
                continue
            t = length * 60 / (1000 * (ms if np.isfinite(ms) and ms > 0 else SPEEDS[hw]))
            arcs = [(u, v)]
        for a, b in arcs:
            if not g.has_edge(a, b) or t < g[a][b]["time"]:
                g.add_edge(a, b, time=t)
    return g


def _at_nodes(net, ids, prefix):
    xy = net.nodes.loc[ids, ["x", "y"]].to_numpy()
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in ids]}, geometry=[Point(p) for p in xy], crs=net.nodes.crs)


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_comoros_nearest_and_od_equal_networkx(comoros, mode):
    net, engine = comoros
    g = _oracle(net, mode)
    assert g.number_of_nodes() > 5000
    rng = np.random.default_rng(42)
    nodes = np.array(sorted(g.nodes))
    origins = [int(n) for n in rng.choice(nodes, 300, replace=False)]
    dests = [int(n) for n in rng.choice(nodes, 15, replace=False)]
    o_pts, d_pts = _at_nodes(net, origins, "o"), _at_nodes(net, dests, "d")
    # nearest: multi-source Dijkstra on the reversed graph
    near_exp = nx.multi_source_dijkstra_path_length(g.reverse(copy=False), dests, weight="time")
    near = engine.nearest(o_pts, d_pts, mode=mode)
    n_reached = 0
    for row, o in zip(near.itertuples(), origins):
        if o in near_exp:
            assert row.travel_time_min == pytest.approx(near_exp[o], abs=TOL)
            n_reached += 1
        else:
            assert np.isnan(row.travel_time_min) and row.reason.startswith("no destination reachable")
    assert n_reached > 100
    # OD with a cutoff, from the destinations side (facility -> villages)
    cutoff = 20.0 if mode == "drive" else 90.0
    od = engine.od(d_pts, o_pts, mode=mode, cutoff=cutoff)
    got = {(r.origin_id, r.destination_id): r.travel_time_min for r in od.itertuples()}
    expected = {}
    for d in dests:
        dist = nx.single_source_dijkstra_path_length(g, d, cutoff=cutoff, weight="time")
        for o in origins:
            if o in dist:
                expected[(f"d{d}", f"o{o}")] = dist[o]
    assert set(got) == set(expected) and len(expected) > 20
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, abs=TOL)


def test_comoros_health_facilities_snap(comoros, shared_dir):
    net, engine = comoros
    health = gpd.read_file(shared_dir / "real" / "comoros" / "health.gpkg").to_crs(net.nodes.crs)
    health = health.reset_index(drop=True)
    health["id"] = [f"h{i}" for i in range(len(health))]
    snapped = engine.snap(health, mode="drive")
    assert len(snapped) == 70
    far = ~snapped.ok
    # every point is kept; far ones carry their distance in the reason
    assert all(r.startswith("snap distance") for r in snapped.reason[far])
    assert (snapped.snap_distance_m[snapped.ok] <= 1500).all()
    rng = np.random.default_rng(5)
    villages = _at_nodes(net, [int(n) for n in rng.choice(net.nodes.index.to_numpy(), 200, replace=False)], "v")
    near = engine.nearest(villages, snapped, mode="drive")
    ok = near["reason"] == ""
    assert ok.sum() > 100
    assert (near.loc[ok, "travel_time_min"] > 0).all() and near.loc[~ok, "travel_time_min"].isna().all()
