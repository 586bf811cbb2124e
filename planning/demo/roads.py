"""Road network of the demo county: a hierarchy that follows the valleys, and a seat street grid.

Roads are routed on the coarse terrain grid with a cost that rises with grade and falls on valley
floors and on roads already built, so later (lower) roads join the earlier ones:

1. trunk (国道) along the main valley through the county seat, from the Yellow River upstream;
2. primary (省道): the road along the Yellow River bank and one from the seat to the east;
3. secondary (县道) from the seat to every town (镇) seat, tertiary (乡道) to every township (乡)
   seat, plus a few tertiary links between neighbouring township seats;
4. unclassified (村道) from each township seat to its villages, track (机耕路) to small ones; a
   few remote villages get no road;
5. the seat town: a street grid along the valley (main avenue, one-way couplet, residential
   streets with footways between blocks and a riverside footway).

The result is a list of :class:`Way` in EPSG:4546 metres; junctions share exact coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from planning.demo.settlements import Settlements, UrbanGrid
from planning.demo.terrain import Terrain, grid_graph

__all__ = ["Way", "make_roads", "RANK_HIGHWAY"]

#: Rank of each generated road class (higher wins where routes share a cell edge).
RANK_HIGHWAY = {6: "trunk", 5: "primary", 4: "secondary", 3: "tertiary", 2: "unclassified", 1: "track"}
N_REMOTE_VILLAGES = 5
URBAN_STREET_NAMES = ["人民", "解放", "建设", "胜利", "文昌", "新华", "朝阳", "鼓楼", "府前", "学府",
                      "和平", "振兴", "迎宾", "滨河", "龙山", "凤凰", "育才", "长青", "光明", "团结",
                      "湫水", "秀容", "东风", "红旗", "幸福", "兴业", "富民", "安康", "永宁", "裕民"]


@dataclass
class Way:
    """One OSM way: vertex coordinates (EPSG:4546 m) and tags."""

    coords: list[tuple[float, float]]
    tags: dict[str, str] = field(default_factory=dict)


def _chaikin(xy: np.ndarray, iterations: int = 2) -> np.ndarray:
    """Chaikin corner cutting with fixed end points."""
    for _ in range(iterations):
        if len(xy) < 3:
            return xy
        q = 0.75 * xy[:-1] + 0.25 * xy[1:]
        r = 0.25 * xy[:-1] + 0.75 * xy[1:]
        inner = np.empty((2 * (len(xy) - 1), 2))
        inner[0::2], inner[1::2] = q, r
        xy = np.vstack([xy[:1], inner[1:-1], xy[-1:]])
    return xy


def _path(pred: np.ndarray, target: int) -> list[int]:
    out = [target]
    while pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return out[::-1]


class _Builder:
    def __init__(self, terrain: Terrain, settlements: Settlements) -> None:
        self.t = terrain
        rows, cols = terrain.coarse_shape
        flat = np.arange(rows * cols)
        x, y = terrain.coarse_xy(flat)
        self.x, self.y = x, y
        self.blocked = ~shapely.contains_xy(terrain.boundary.buffer(150), x, y).reshape(rows, cols)
        log_acc = np.log(terrain.accumulation)
        self.hill = np.clip(1.0 - log_acc / np.log(60.0), 0.0, 1.0)
        self.edges: dict[tuple[int, int], int] = {}
        self.road_cells = np.zeros(rows * cols, bool)
        self.s = settlements

    def graph(self, *, road_discount: float = 0.35, extra: np.ndarray | None = None) -> csr_matrix:
        factor = (1.0 + 1.5 * self.hill).ravel().copy()
        factor[self.road_cells] *= road_discount
        if extra is not None:
            factor *= extra
        return grid_graph(self.t, grade_scale=0.08, factor=factor.reshape(self.t.coarse_shape),
                          blocked=self.blocked)

    def add(self, cells: list[int], rank: int) -> None:
        for a, b in zip(cells[:-1], cells[1:]):
            key = (min(a, b), max(a, b))
            self.edges[key] = max(self.edges.get(key, 0), rank)
        self.road_cells[cells] = True


def _main_stem(b: _Builder, seat: int) -> list[int]:
    """Cells of the main valley through the seat: Yellow River → seat → upstream."""
    t = b.t
    rows, cols = t.coarse_shape
    blocked = b.blocked.ravel()
    down = [seat]
    while t.receiver[down[-1]] >= 0 and not blocked[t.receiver[down[-1]]]:
        down.append(int(t.receiver[down[-1]]))
    acc = t.accumulation.ravel()
    up = [seat]
    while True:
        r, c = divmod(up[-1], cols)
        donors = [(rr * cols + cc) for rr in (r - 1, r, r + 1) for cc in (c - 1, c, c + 1)
                  if 0 <= rr < rows and 0 <= cc < cols and t.receiver[rr * cols + cc] == up[-1]]
        donors = [d for d in donors if not blocked[d]]
        if not donors:
            break
        nxt = max(donors, key=lambda d: (acc[d], -d))
        if acc[nxt] < 25:
            break
        up.append(nxt)
    return down[::-1] + up[1:]


def make_roads(rng: np.random.Generator, terrain: Terrain, settlements: Settlements) -> tuple[list[Way], list[str]]:
    """Build the road network.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    terrain : Terrain
        The terrain.
    settlements : Settlements
        Seats and villages to connect.

    Returns
    -------
    ways, remote_village_ids
        The ways (EPSG:4546 coordinates) and the ids of the villages left without a road.
    """
    b = _Builder(terrain, settlements)
    t = terrain
    tw = settlements.townships
    seat = settlements.seat_cells[tw["id"].iloc[0]]
    blocked = b.blocked.ravel()
    free = np.flatnonzero(~blocked)

    # 1. trunk along the main valley
    b.add(_main_stem(b, seat), 6)
    # 2a. primary along the Yellow River bank
    rows_i = np.arange(b.x.size) // t.coarse_shape[1]
    d_river = np.abs(b.x - (t.x0 + (t.river_col[rows_i] + 0.5) * t.coarse_m))
    near = free[d_river[free] < 1_800]
    north, south = int(near[np.argmax(b.y[near])]), int(near[np.argmin(b.y[near])])
    g = b.graph(extra=(1.0 + (d_river / 700.0) ** 2))
    _, pred = dijkstra(g, directed=False, indices=north, return_predecessors=True)
    b.add(_path(pred, south), 5)
    # 2b. primary from the seat to the far east
    east = int(free[np.argmax(b.x[free] - 0.3 * np.abs(b.y[free] - b.y[seat]))])
    _, pred = dijkstra(b.graph(), directed=False, indices=seat, return_predecessors=True)
    b.add(_path(pred, east), 5)
    # 3. county roads to town seats, township roads to township seats
    _, pred = dijkstra(b.graph(), directed=False, indices=seat, return_predecessors=True)
    rural = tw[tw["township_type"] != "street"]
    for tid, kind in zip(rural["id"], rural["township_type"]):
        b.add(_path(pred, settlements.seat_cells[tid]), 4 if kind == "town" else 3)
    g = b.graph()
    seats = [settlements.seat_cells[tid] for tid in rural["id"]]
    sxy = np.column_stack([b.x[seats], b.y[seats]])
    for k, cell in enumerate(seats):
        if rng.random() < 0.4:
            d = np.hypot(sxy[:, 0] - sxy[k, 0], sxy[:, 1] - sxy[k, 1])
            d[k] = np.inf
            other = seats[int(np.argmin(d))]
            _, pred = dijkstra(g, directed=False, indices=cell, return_predecessors=True)
            b.add(_path(pred, other), 3)
    # 4. village roads from each township seat
    v = settlements.villages
    rv = v[~v["urban"].astype(bool)]
    g = b.graph(road_discount=0.3)
    paths: dict[str, list[int]] = {}
    for tid in tw["id"]:
        mine = rv[rv["township_id"] == tid]
        if mine.empty:
            continue
        _, pred = dijkstra(g, directed=False, indices=settlements.seat_cells[tid], return_predecessors=True)
        for vid, cell in zip(mine["id"], mine["cell"]):
            paths[vid] = _path(pred, int(cell))
    pop = dict(zip(rv["id"], rv["population"]))
    usage: dict[tuple[int, int], int] = {}
    for p in paths.values():
        for a, c in zip(p[:-1], p[1:]):
            usage[(min(a, c), max(a, c))] = usage.get((min(a, c), max(a, c)), 0) + 1
    # remote villages: drop the private end of some long dead-end roads
    leaf: dict[str, list[tuple[int, int]]] = {}
    candidates = rv[~rv["township_seat"].astype(bool) & ~rv["relocation_site"].astype(bool)]
    for vid in candidates["id"]:
        p = paths[vid]
        own = []
        for a, c in zip(p[::-1][:-1], p[::-1][1:]):
            key = (min(a, c), max(a, c))
            if usage[key] > 1 or key in b.edges:
                break
            own.append(key)
        leaf[vid] = own
    final = dict(b.edges)
    for vid, p in paths.items():
        rank = 2 if pop[vid] >= 250 else 1
        for a, c in zip(p[:-1], p[1:]):
            key = (min(a, c), max(a, c))
            final[key] = max(final.get(key, 0), rank)
    cell_use: dict[int, int] = {}
    for a, c in final:
        cell_use[a] = cell_use.get(a, 0) + 1
        cell_use[c] = cell_use.get(c, 0) + 1
    road_cells = np.array(sorted(cell_use))
    vx = dict(zip(rv["id"], rv.geometry.x))
    vy = dict(zip(rv["id"], rv.geometry.y))
    order = sorted(leaf, key=lambda k: (-len(leaf[k]), k))[:12 * N_REMOTE_VILLAGES]
    order = [order[i] for i in rng.permutation(len(order))]
    remote: list[str] = []
    for vid in order:
        incident: dict[int, int] = {}
        for key in leaf[vid]:
            for cc in key:
                incident[cc] = incident.get(cc, 0) + 1
        # cells only on the private branch disappear; its junction with the network stays
        gone = [cc for cc, n in incident.items() if cell_use[cc] == n]
        keep = ~np.isin(road_cells, np.array(gone, dtype=np.int64))
        d = np.hypot(b.x[road_cells[keep]] - vx[vid], b.y[road_cells[keep]] - vy[vid]).min()
        if d >= 1_900.0:
            remote.append(vid)
            for key in leaf[vid]:
                del final[key]
                for cc in key:
                    cell_use[cc] -= 1
            road_cells = np.array(sorted(c for c, n in cell_use.items() if n > 0))
        if len(remote) == N_REMOTE_VILLAGES:
            break
    remote.sort()
    b.edges = final
    ways = _coarse_ways(b, settlements, rng)
    return ways, remote


def _chains(edges: dict[tuple[int, int], int]) -> list[tuple[list[int], int]]:
    """Split the edge set into maximal chains of one rank between junctions."""
    adj: dict[int, list[int]] = {}
    for a, c in sorted(edges):
        adj.setdefault(a, []).append(c)
        adj.setdefault(c, []).append(a)

    def is_end(n: int) -> bool:
        nb = adj[n]
        return len(nb) != 2 or edges[(min(n, nb[0]), max(n, nb[0]))] != edges[(min(n, nb[1]), max(n, nb[1]))]

    seen: set[tuple[int, int]] = set()
    out = []
    starts = [n for n in sorted(adj) if is_end(n)]
    for start in starts + sorted(adj):
        for nxt in adj[start]:
            key = (min(start, nxt), max(start, nxt))
            if key in seen:
                continue
            rank = edges[key]
            chain = [start, nxt]
            seen.add(key)
            while not is_end(chain[-1]) and chain[-1] != start:
                cand = [n for n in adj[chain[-1]] if (min(chain[-1], n), max(chain[-1], n)) not in seen]
                if not cand:
                    break
                k2 = (min(chain[-1], cand[0]), max(chain[-1], cand[0]))
                seen.add(k2)
                chain.append(cand[0])
            out.append((chain, rank))
    return out


def _urban_streets(urban: UrbanGrid, rng: np.random.Generator) -> tuple[list[Way], np.ndarray]:
    """Street grid of the seat town; also returns the coordinates of its nodes."""
    su, sv = urban.spacing_u_m, urban.spacing_v_m
    names = list(URBAN_STREET_NAMES)
    order = rng.permutation(len(names))
    name_iter = iter([names[i] for i in order])
    ways: list[Way] = []
    nodes: list[tuple[float, float]] = []
    jmax = int(urban.half_width_m // sv)
    half = su / 2
    for j in range(-jmax, jmax + 1):
        v = j * sv
        extent = urban.half_length_m * np.sqrt(max(0.0, 1 - (v / urban.half_width_m) ** 2))
        k = int(extent // half)
        if k < 2:
            continue
        u = np.arange(-k, k + 1) * half
        if j == 0:
            tags = {"highway": "primary", "name": names[0] + "大街", "maxspeed": "40"}
        elif abs(j) == 2:
            tags = {"highway": "secondary", "name": next(name_iter) + "路", "maxspeed": "40"}
        elif abs(j) == 1:
            tags = {"highway": "residential", "name": next(name_iter) + "街", "oneway": "yes"}
            if j < 0:
                u = u[::-1]
        else:
            tags = {"highway": "residential", "name": next(name_iter) + "路"}
            if rng.random() < 0.5:
                tags["maxspeed"] = "30"
        x, y = urban.to_xy(u, np.full(u.size, v))
        ways.append(Way(list(zip(x.tolist(), y.tolist())), tags))
        nodes += list(zip(x.tolist(), y.tolist()))
    imax = int(urban.half_length_m // su)
    for i in range(-imax, imax + 1):
        u0 = i * su
        extent = urban.half_width_m * np.sqrt(max(0.0, 1 - (u0 / urban.half_length_m) ** 2))
        k = int(extent // sv) * 2
        if k < 2:
            continue
        v = np.arange(-k, k + 1) * (sv / 2)
        tags = {"highway": "tertiary" if i % 3 == 0 else "residential", "name": next(name_iter, "") + "巷"}
        if i % 4 == 1 and tags["highway"] == "residential":
            tags["oneway"] = "yes"
            if i > 0:
                v = v[::-1]
        if not tags["name"].strip("巷"):
            tags.pop("name")
        x, y = urban.to_xy(np.full(v.size, u0), v)
        ways.append(Way(list(zip(x.tolist(), y.tolist())), tags))
        nodes += list(zip(x.tolist(), y.tolist()))
    # footways between blocks (across the valley), and a riverside walk
    for i in range(-imax - 1, imax + 1):
        u0 = (i + 0.5) * su
        for j in range(-jmax, jmax):
            if rng.random() < 0.45:
                continue
            v = np.array([j * sv, (j + 1) * sv])
            ok = urban.inside(np.full(2, u0), v)
            lim = urban.half_length_m * np.sqrt(np.maximum(0.0, 1 - (v / urban.half_width_m) ** 2))
            if ok.all() and (np.abs(u0) <= (lim // half) * half).all():
                x, y = urban.to_xy(np.full(2, u0), v)
                ways.append(Way(list(zip(x.tolist(), y.tolist())), {"highway": "footway"}))
    v_r = -sv / 2
    k = int(urban.half_length_m * np.sqrt(1 - (v_r / urban.half_width_m) ** 2) * 0.8 // su) * 2
    u = np.arange(-k, k + 1) * half
    x, y = urban.to_xy(u, np.full(u.size, v_r))
    ways.append(Way(list(zip(x.tolist(), y.tolist())), {"highway": "footway", "name": "滨河步道"}))
    return ways, np.array(nodes)


def _coarse_ways(b: _Builder, settlements: Settlements, rng: np.random.Generator) -> list[Way]:
    urban = settlements.urban
    urban_ways, urban_nodes = _urban_streets(urban, rng)
    # cut the coarse network inside the town; link the cut ends to the nearest street node
    axis, normal = np.array(urban.axis), np.array(urban.normal)
    dx, dy = b.x - urban.seat_x, b.y - urban.seat_y
    u, v = dx * axis[0] + dy * axis[1], dx * normal[0] + dy * normal[1]
    in_town = urban.inside(u, v, shrink=1.05)
    kept: dict[tuple[int, int], int] = {}
    links: list[Way] = []
    tw = settlements.townships.set_index("id")
    for (a, c), rank in sorted(b.edges.items()):
        if in_town[a] and in_town[c]:
            continue
        if in_town[a] or in_town[c]:
            out = c if in_town[a] else a
            d = np.hypot(urban_nodes[:, 0] - b.x[out], urban_nodes[:, 1] - b.y[out])
            nx, ny = urban_nodes[int(np.argmin(d))]
            links.append(Way([(float(b.x[out]), float(b.y[out])), (float(nx), float(ny))],
                             {"highway": RANK_HIGHWAY[rank]}))
            continue
        kept[(a, c)] = rank
    seat_xy = np.column_stack([tw["seat_x"].to_numpy(), tw["seat_y"].to_numpy()])
    seat_name = [n[:-1] if n.endswith(("镇", "乡")) else n[:-2] for n in tw["name"]]
    ways = []
    for chain, rank in _chains(kept):
        xy = _chaikin(np.column_stack([b.x[chain], b.y[chain]]))
        line = LineString(xy).simplify(25.0)
        coords = [(float(p[0]), float(p[1])) for p in line.coords]
        tags = {"highway": RANK_HIGHWAY[rank]}
        if rank == 6:
            tags.update(name="湫河线", ref="G941", maxspeed="60")
        elif rank == 5:
            tags.update(name="沿黄公路" if b.x[chain].mean() < urban.seat_x - 8_000 else "东山线",
                        ref="S248" if b.x[chain].mean() < urban.seat_x - 8_000 else "S322", maxspeed="60")
        elif rank in (4, 3):
            mid = xy[len(xy) // 2]
            k = int(np.argmin(np.hypot(seat_xy[:, 0] - mid[0], seat_xy[:, 1] - mid[1])))
            tags["name"] = seat_name[k] + "线"
            if rank == 4 and rng.random() < 0.5:
                tags["maxspeed"] = "40"
        ways.append(Way(coords, tags))
    _two_way_dead_ends(urban_ways, ways + links)
    return ways + links + urban_ways


def _two_way_dead_ends(urban_ways: list[Way], other: list[Way]) -> None:
    """Drop ``oneway`` from streets with an end that no other drivable way touches.

    A one-way street ending where only footways continue would trap cars (a sink in the
    driving graph); such streets stay two-way so the driving network is strongly connected.
    """
    def key(p: tuple[float, float]) -> tuple[int, int]:
        return (int(round(p[0] * 100)), int(round(p[1] * 100)))

    drivable = [w for w in urban_ways + other if w.tags.get("highway") != "footway"]
    touching: dict[tuple[int, int], int] = {}
    for w in drivable:
        for k in {key(p) for p in w.coords}:
            touching[k] = touching.get(k, 0) + 1
    for w in urban_ways:
        if w.tags.get("oneway") == "yes" and min(touching[key(w.coords[0])], touching[key(w.coords[-1])]) < 2:
            del w.tags["oneway"]
