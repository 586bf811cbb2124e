"""Fixtures of the network tests: seeded random road networks and their networkx oracles."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from planning.county import RoadNetwork

CRS = "EPSG:32650"
WALK_KPH = 4.5
#: Speeds the oracle uses (copied from the documented defaults, not read from the code).
SPEEDS = {"primary": 60.0, "secondary": 50.0, "residential": 25.0, "track": 15.0, "motorway": 90.0}
CLASSES = ["primary", "secondary", "residential", "residential", "track", "footway", "path", "motorway"]


def network_from_rows(node_xy: dict[int, tuple[float, float]], rows: list[dict]) -> RoadNetwork:
    """RoadNetwork from node coordinates and directed edge rows (u, v, length_m, highway, ...)."""
    ids = list(node_xy)
    nodes = gpd.GeoDataFrame(
        {"x": [node_xy[i][0] for i in ids], "y": [node_xy[i][1] for i in ids]},
        geometry=[Point(node_xy[i]) for i in ids], index=pd.Index(ids, name="node_id", dtype="int64"), crs=CRS)
    records = []
    for r in rows:
        geom = r.get("geometry") or LineString([node_xy[r["u"]], node_xy[r["v"]]])
        records.append({"u": r["u"], "v": r["v"], "length_m": float(r["length_m"]), "highway": r["highway"],
                        "oneway": bool(r.get("oneway", False)), "maxspeed_kph": r.get("maxspeed_kph", np.nan),
                        "name": r.get("name", ""), "geometry": geom})
    if not records:
        edges = gpd.GeoDataFrame({c: [] for c in ("u", "v", "length_m", "highway", "oneway", "maxspeed_kph", "name")},
                                 geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    else:
        edges = gpd.GeoDataFrame(records, geometry="geometry", crs=CRS)
    return RoadNetwork(nodes, edges)


def random_network(seed: int, side: int = 9, spacing: float = 200.0) -> tuple[RoadNetwork, list[dict]]:
    """A perturbed grid with random deletions, classes, one-way roads, parallel edges and an
    isolated two-node component. Returns the network and its directed rows."""
    rng = np.random.default_rng(seed)
    node_xy: dict[int, tuple[float, float]] = {}
    perm = rng.permutation(side * side)
    for k in range(side * side):
        i, j = divmod(k, side)
        nid = 5000 + 7 * int(perm[k])
        node_xy[nid] = (i * spacing + rng.uniform(-40, 40), j * spacing + rng.uniform(-40, 40))
    grid = {divmod(k, side): 5000 + 7 * int(perm[k]) for k in range(side * side)}
    rows: list[dict] = []

    def add(a: int, b: int, *, geometry: LineString | None = None) -> None:
        hw = CLASSES[rng.integers(len(CLASSES))]
        ax, ay = node_xy[a]
        bx, by = node_xy[b]
        base = geometry.length if geometry is not None else float(np.hypot(bx - ax, by - ay))
        length = base * rng.uniform(1.0, 1.3)
        maxspeed = float(rng.choice([35.0, 80.0])) if rng.random() < 0.15 else np.nan
        drivable = hw in SPEEDS
        oneway = drivable and rng.random() < 0.25
        rows.append({"u": a, "v": b, "length_m": length, "highway": hw, "oneway": oneway,
                     "maxspeed_kph": maxspeed, "geometry": geometry})
        if not oneway:
            rows.append({"u": b, "v": a, "length_m": length, "highway": hw, "oneway": False,
                         "maxspeed_kph": maxspeed, "geometry": None if geometry is None else geometry.reverse()})

    for (i, j), a in grid.items():
        for di, dj in ((1, 0), (0, 1)):
            if (i + di, j + dj) in grid and rng.random() > 0.15:
                add(a, grid[(i + di, j + dj)])
    # parallel roads: a bent second road between a few neighbouring pairs
    for (i, j) in [(1, 1), (3, 4), (5, 2)]:
        a, b = grid[(i, j)], grid[(i + 1, j)]
        (ax, ay), (bx, by) = node_xy[a], node_xy[b]
        bent = LineString([(ax, ay), ((ax + bx) / 2, (ay + by) / 2 + 60.0), (bx, by)])
        add(a, b, geometry=bent)
    # an isolated component far away
    node_xy[1] = (-5000.0, -5000.0)
    node_xy[2] = (-4800.0, -5000.0)
    rows.append({"u": 1, "v": 2, "length_m": 200.0, "highway": "residential"})
    rows.append({"u": 2, "v": 1, "length_m": 200.0, "highway": "residential"})
    return network_from_rows(node_xy, rows), rows


def oracle(rows: list[dict], mode: str) -> nx.MultiDiGraph:
    """networkx graph with 'time' (min) and 'length' (m) on every arc usable by ``mode``."""
    g = nx.MultiDiGraph()
    for r in rows:
        hw = r["highway"]
        L = float(r["length_m"])
        if mode == "walk":
            if hw == "motorway":
                continue
            t = L * 60.0 / (WALK_KPH * 1000.0)
            g.add_edge(r["u"], r["v"], time=t, length=L)
            g.add_edge(r["v"], r["u"], time=t, length=L)
        else:
            if hw not in SPEEDS:
                continue
            ms = r.get("maxspeed_kph", np.nan)
            speed = ms if ms is not None and np.isfinite(ms) else SPEEDS[hw]
            g.add_edge(r["u"], r["v"], time=L * 60.0 / (speed * 1000.0), length=L)
    return g


def collapse(g: nx.MultiDiGraph, key: str) -> nx.DiGraph:
    """DiGraph keeping, per node pair, the parallel arc with the least ``key``."""
    d = nx.DiGraph()
    d.add_nodes_from(g.nodes)
    for u, v, data in g.edges(data=True):
        if not d.has_edge(u, v) or data[key] < d[u][v][key]:
            d.add_edge(u, v, **data)
    return d


def points_at(net: RoadNetwork, node_ids: list[int], prefix: str) -> gpd.GeoDataFrame:
    """Points exactly at the given nodes, ids ``prefix + node id``."""
    xy = net.nodes.loc[node_ids, ["x", "y"]].to_numpy()
    return gpd.GeoDataFrame({"id": [f"{prefix}{n}" for n in node_ids]},
                            geometry=[Point(x, y) for x, y in xy], crs=CRS)


@pytest.fixture(scope="module")
def random_nets() -> list[tuple[RoadNetwork, list[dict]]]:
    """Three seeded random networks."""
    return [random_network(seed) for seed in (1, 2, 3)]


@pytest.fixture(scope="session")
def netlib():
    """The helpers of this file, for the test modules (importlib mode cannot import conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(CRS=CRS, WALK_KPH=WALK_KPH, SPEEDS=SPEEDS, network_from_rows=network_from_rows,
                           random_network=random_network, oracle=oracle, collapse=collapse, points_at=points_at)
