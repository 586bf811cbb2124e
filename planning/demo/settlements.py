"""Settlements of the demo county: seat town, townships, villages, communities, population raster.

* The county seat sits on the main valley near the county's centre; its built-up area is an
  ellipse along the valley with a street grid (see :mod:`planning.demo.roads`).
* Twenty township seats are spread over the valleys; township polygons are the cells closest
  to each seat in terrain-weighted travel cost (so boundaries follow ridges), polygonised,
  simplified as a coverage (they still tile the county) and clipped to the county. The seat's
  own area is split into three street offices (街道).
* Rural administrative villages are placed mostly on valley floors with a minimum spacing;
  sizes are log-normal (heavy right tail), township seats larger.
* Urban residents live in residential communities (小区) on the blocks of the seat town; the
  communities are grouped into neighbourhood committees (社区居委会), which appear in the
  village layer with ``urban = True``, so the village layer holds every resident once.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from rasterio import features
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Point, Polygon

from planning.demo.names import NameMaker
from planning.demo.terrain import METRIC_EPSG, Terrain, grid_graph

__all__ = ["Settlements", "UrbanGrid", "make_settlements", "population_raster", "COUNTY_ID",
           "TOTAL_POPULATION", "URBAN_SHARE"]

COUNTY_ID = "149901"
#: Resident population and urban share (临县, census 2020: 394,713 and 33.8 %).
TOTAL_POPULATION = 400_000
URBAN_SHARE = 0.338
#: Census 2020 age shares of 临县 (15–64, 65+), the means the villages vary around.
CENSUS_WORKING_AGE, CENSUS_65PLUS = 0.6773, 0.1494
N_RURAL_TOWNSHIPS = 20
N_TOWNS = 12
N_STREETS = 3
N_RURAL_VILLAGES = 472
N_NEIGHBOURHOODS = 24
VILLAGE_SPACING_M = 1_150.0
POP_CELL_M = 100.0


@dataclass(frozen=True)
class UrbanGrid:
    """The seat town's street grid in valley-aligned coordinates.

    A point ``(u, v)`` (metres along and across the valley from the seat) is at
    ``seat + u * axis + v * normal``.
    """

    seat_x: float
    seat_y: float
    axis: tuple[float, float]
    half_length_m: float
    half_width_m: float
    spacing_u_m: float = 300.0
    spacing_v_m: float = 250.0

    @property
    def normal(self) -> tuple[float, float]:
        """Unit vector across the valley."""
        return (-self.axis[1], self.axis[0])

    def to_xy(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Valley coordinates → CRS coordinates."""
        u, v = np.asarray(u, float), np.asarray(v, float)
        return (self.seat_x + u * self.axis[0] + v * self.normal[0],
                self.seat_y + u * self.axis[1] + v * self.normal[1])

    def inside(self, u: np.ndarray, v: np.ndarray, *, shrink: float = 1.0) -> np.ndarray:
        """Whether valley coordinates fall in the (shrunk) town ellipse."""
        return ((np.asarray(u) / (self.half_length_m * shrink)) ** 2
                + (np.asarray(v) / (self.half_width_m * shrink)) ** 2) <= 1.0

    def polygon(self) -> Polygon:
        """The built-up area (an ellipse along the valley)."""
        t = np.linspace(0, 2 * np.pi, 96, endpoint=False)
        x, y = self.to_xy(self.half_length_m * np.cos(t), self.half_width_m * np.sin(t))
        return shapely.set_precision(Polygon(np.column_stack([x, y])), 0.1)


@dataclass
class Settlements:
    """Townships, villages and communities (EPSG:4546), plus the seat town geometry."""

    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    seat: Point
    urban: UrbanGrid
    seat_cells: dict[str, int]


def _key_order(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Random order favouring large weights (weighted sampling without replacement)."""
    keys = np.log(rng.random(weights.size)) / np.maximum(weights, 1e-12)
    return np.argsort(-keys, kind="stable")


def _inside(poly: Polygon, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return shapely.contains_xy(poly, x, y)


def _largest_parts(polys: list) -> list:
    """Give every minor part of a multipart polygon to the neighbour it shares most border with."""
    polys = [shapely.make_valid(p) for p in polys]
    for _ in range(10):
        changed = False
        for i, p in enumerate(polys):
            parts = [g for g in getattr(p, "geoms", [p]) if g.geom_type == "Polygon" and g.area > 0]
            if len(parts) <= 1:
                polys[i] = parts[0] if parts else p
                continue
            parts.sort(key=lambda g: -g.area)
            polys[i] = parts[0]
            for part in parts[1:]:
                shared = [(part.boundary.intersection(q.boundary).length, j)
                          for j, q in enumerate(polys) if j != i]
                length, j = max(shared)
                if length > 0:
                    polys[j] = shapely.make_valid(polys[j].union(part))
                    changed = True
        if not changed:
            break
    return [shapely.set_precision(p, 0.1) for p in polys]


def _seat_and_axis(terrain: Terrain, inner: Polygon) -> tuple[int, tuple[float, float]]:
    acc = terrain.accumulation.ravel()
    flat = np.arange(acc.size)
    x, y = terrain.coarse_xy(flat)
    inside = _inside(inner, x, y)
    big = inside & (acc >= 0.15 * acc[inside].max())
    c = inner.centroid
    d = np.hypot(x - c.x, y - c.y)
    seat = int(flat[big][np.argmin(d[big])])
    # walk downstream and upstream (largest donor) to get the valley direction
    down = seat
    for _ in range(6):
        if terrain.receiver[down] >= 0:
            down = int(terrain.receiver[down])
    donors: dict[int, list[int]] = {}
    up = seat
    for _ in range(6):
        if up not in donors:
            r, cc = divmod(up, terrain.coarse_shape[1])
            nb = [(r + dr) * terrain.coarse_shape[1] + cc + dc
                  for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr or dc)
                  and 0 <= r + dr < terrain.coarse_shape[0] and 0 <= cc + dc < terrain.coarse_shape[1]]
            donors[up] = [j for j in nb if terrain.receiver[j] == up]
        if not donors[up]:
            break
        up = max(donors[up], key=lambda j: (acc[j], -j))
    (xd, yd), (xu, yu) = [tuple(float(a[0]) for a in terrain.coarse_xy(np.array([k]))) for k in (down, up)]
    vx, vy = xu - xd, yu - yd
    norm = float(np.hypot(vx, vy)) or 1.0
    return seat, (vx / norm, vy / norm)


def _township_seats(rng: np.random.Generator, terrain: Terrain, inner: Polygon, seat: int) -> list[int]:
    acc = terrain.accumulation.ravel()
    flat = np.arange(acc.size)
    x, y = terrain.coarse_xy(flat)
    sx, sy = terrain.coarse_xy(np.array([seat]))
    cand = flat[_inside(inner, x, y) & (acc >= 12)]
    order = cand[_key_order(rng, np.log(acc[cand]))]
    d_min = 11_000.0
    while True:
        chosen: list[int] = []
        px, py = [float(sx[0])], [float(sy[0])]
        for i in order.tolist():
            if np.min(np.hypot(np.array(px) - x[i], np.array(py) - y[i])) >= d_min:
                chosen.append(i)
                px.append(float(x[i]))
                py.append(float(y[i]))
                if len(chosen) == N_RURAL_TOWNSHIPS:
                    return chosen
        d_min *= 0.94


def _township_polygons(terrain: Terrain, seeds: list[int], urban_poly: Polygon) -> list[Polygon]:
    """Terrain-weighted nearest-seat regions, polygonised and tiled over the county."""
    graph = grid_graph(terrain, grade_scale=0.10)
    _, _, sources = dijkstra(graph, directed=False, indices=seeds, min_only=True,
                             return_predecessors=True)
    label_of = {s: k for k, s in enumerate(seeds)}
    labels = np.vectorize(lambda s: label_of.get(int(s), -1))(sources).reshape(terrain.coarse_shape)
    transform = Affine(terrain.coarse_m, 0, terrain.x0, 0, -terrain.coarse_m, terrain.y0)
    parts: dict[int, list] = {k: [] for k in range(len(seeds))}
    for geom, value in features.shapes(labels.astype(np.int32), connectivity=4, transform=transform):
        if value >= 0:
            parts[int(value)].append(shapely.geometry.shape(geom))
    raw = [shapely.union_all(parts[k]) for k in range(len(seeds))]
    simple = list(shapely.coverage_simplify(np.array(raw, dtype=object), 800.0))
    polys = [shapely.make_valid(p).intersection(terrain.boundary) for p in simple]
    polys = [p.difference(urban_poly) for p in polys]
    polys[0] = polys[0].union(urban_poly.intersection(terrain.boundary))
    return _largest_parts(polys)


def _split_streets(rng: np.random.Generator, area: Polygon, seat_xy: tuple[float, float]) -> list[Polygon]:
    start = rng.uniform(0, 2 * np.pi)
    r = 200_000.0
    wedges = []
    for k in range(N_STREETS):
        a = start + np.linspace(k, k + 1, 12) * 2 * np.pi / N_STREETS
        pts = [seat_xy] + [(seat_xy[0] + r * np.cos(t), seat_xy[1] + r * np.sin(t)) for t in a]
        wedges.append(Polygon(pts).intersection(area))
    return _largest_parts(wedges)


def _allocate(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder)."""
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(np.int64)
    rest = total - int(out.sum())
    out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out


def _kmeans(rng: np.random.Generator, xy: np.ndarray, k: int, weight: np.ndarray) -> np.ndarray:
    centres = xy[rng.choice(len(xy), size=k, replace=False)]
    for _ in range(30):
        lab = np.argmin(((xy[:, None, :] - centres[None, :, :]) ** 2).sum(-1), axis=1)
        for j in range(k):
            m = lab == j
            if m.any():
                centres[j] = np.average(xy[m], axis=0, weights=weight[m])
    return np.argmin(((xy[:, None, :] - centres[None, :, :]) ** 2).sum(-1), axis=1)


def make_settlements(rng: np.random.Generator, terrain: Terrain) -> Settlements:
    """Place the seat town, townships, villages and communities on the terrain.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    terrain : Terrain
        The generated terrain.

    Returns
    -------
    Settlements
        Layers in EPSG:4546 with the columns of :mod:`planning.schema`.
    """
    names = NameMaker(rng)
    boundary = terrain.boundary
    inner = boundary.buffer(-2_500)
    seat_cell, axis = _seat_and_axis(terrain, inner)
    sx, sy = (float(a[0]) for a in terrain.coarse_xy(np.array([seat_cell])))
    urban = UrbanGrid(seat_x=sx, seat_y=sy, axis=axis, half_length_m=2_300.0, half_width_m=1_300.0)
    urban_poly = urban.polygon().intersection(boundary)

    rural_seats = _township_seats(rng, terrain, inner, seat_cell)
    polys = _township_polygons(terrain, [seat_cell] + rural_seats, urban_poly)
    streets = _split_streets(rng, polys[0], (sx, sy))

    # township table: streets first, then towns (larger valleys) and townships, north to south
    acc = terrain.accumulation.ravel()
    by_size = sorted(range(len(rural_seats)), key=lambda k: (-acc[rural_seats[k]], rural_seats[k]))
    kinds = {k: ("town" if rank < N_TOWNS else "township") for rank, k in enumerate(by_size)}
    rows = []
    for k, poly in enumerate(streets):
        c = poly.representative_point()
        rows.append(dict(kind="street", name=names.street(), geometry=poly, cell=seat_cell,
                         seat_x=sx if k == 0 else c.x, seat_y=sy if k == 0 else c.y))
    for k, cell in enumerate(rural_seats):
        x, y = (float(a[0]) for a in terrain.coarse_xy(np.array([cell])))
        rows.append(dict(kind=kinds[k], name=names.township(kinds[k]), geometry=polys[k + 1],
                         cell=cell, seat_x=x, seat_y=y))
    tw = pd.DataFrame(rows)
    tw["_order"] = tw["kind"].map({"street": 0, "town": 1, "township": 2})
    tw = tw.sort_values(["_order", "seat_y", "seat_x"], ascending=[True, False, True], kind="stable")
    codes, counters = [], {"street": 1, "town": 100, "township": 200}
    for kind in tw["kind"]:
        codes.append(f"{COUNTY_ID}{counters[kind]:03d}")
        counters[kind] += 1
    tw["id"] = codes
    townships = gpd.GeoDataFrame(
        {"id": tw["id"].to_numpy(), "name": tw["name"].to_numpy(), "township_type": tw["kind"].to_numpy(),
         "seat_x": tw["seat_x"].round(1).to_numpy(), "seat_y": tw["seat_y"].round(1).to_numpy()},
        geometry=list(tw["geometry"]), crs=METRIC_EPSG)
    seat_cells = {i: int(c) for i, c in zip(tw["id"], tw["cell"])}

    villages = _rural_villages(rng, terrain, names, townships, seat_cells, urban_poly)
    communities, neighbourhoods = _urban(rng, names, urban, townships, boundary)
    villages = pd.concat([neighbourhoods, villages], ignore_index=True)
    villages = _assign_ids(villages)
    communities = gpd.GeoDataFrame(communities, geometry="geometry", crs=METRIC_EPSG)
    return Settlements(townships=townships, villages=villages, communities=communities,
                       seat=Point(sx, sy), urban=urban, seat_cells=seat_cells)


def _township_of(townships: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.full(len(x), "", dtype=object)
    for tid, poly in zip(townships["id"], townships.geometry):
        out[shapely.contains_xy(poly, x, y)] = tid
    return out


def _rural_villages(rng: np.random.Generator, terrain: Terrain, names: NameMaker,
                    townships: gpd.GeoDataFrame, seat_cells: dict[str, int],
                    urban_poly: Polygon) -> gpd.GeoDataFrame:
    rows_n, cols_n = terrain.coarse_shape
    acc = terrain.accumulation.ravel()
    flat = np.arange(acc.size)
    x, y = terrain.coarse_xy(flat)
    ok = _inside(terrain.boundary.buffer(-300), x, y) & ~_inside(urban_poly.buffer(600), x, y)
    radius = VILLAGE_SPACING_M / terrain.coarse_m
    reach = int(np.ceil(radius))
    offs = [(dr, dc) for dr in range(-reach, reach + 1) for dc in range(-reach, reach + 1)
            if np.hypot(dr, dc) < radius]
    blocked = np.zeros(acc.size, bool)

    def block(i: int) -> None:
        r, c = divmod(i, cols_n)
        for dr, dc in offs:
            if 0 <= r + dr < rows_n and 0 <= c + dc < cols_n:
                blocked[(r + dr) * cols_n + c + dc] = True

    chosen: list[int] = []
    is_seat: list[bool] = []
    for tid, cell in seat_cells.items():
        if not tid.startswith(COUNTY_ID + "0"):
            chosen.append(cell)
            is_seat.append(True)
            block(cell)
    weights = (np.log(acc) + 0.5) ** 3
    for i in flat[ok][_key_order(rng, weights[ok])].tolist():
        if len(chosen) >= N_RURAL_VILLAGES:
            break
        if not blocked[i]:
            chosen.append(i)
            is_seat.append(False)
            block(i)
    cells = np.array(chosen)
    cx, cy = terrain.coarse_xy(cells)
    jx = cx + rng.uniform(-150, 150, cells.size)
    jy = cy + rng.uniform(-150, 150, cells.size)
    inside = _inside(terrain.boundary, jx, jy)
    jx, jy = np.where(inside, jx, cx), np.where(inside, jy, cy)
    seat = np.array(is_seat)
    size = np.exp(rng.normal(np.log(420.0), 0.78, cells.size))
    size[seat] *= rng.uniform(1.8, 3.4, int(seat.sum()))
    # relocation sites: three large villages beside township seats
    relocation = np.zeros(cells.size, bool)
    seat_xy = np.column_stack([cx[seat], cy[seat]])
    d_seat = np.min(np.hypot(cx[:, None] - seat_xy[None, :, 0], cy[:, None] - seat_xy[None, :, 1]), axis=1)
    near = np.flatnonzero(~seat & (d_seat < 3_500))
    pick = near[rng.choice(near.size, size=3, replace=False)]
    relocation[pick] = True
    size[pick] = rng.uniform(1_500, 2_600, 3)
    rural_total = TOTAL_POPULATION - int(round(TOTAL_POPULATION * URBAN_SHARE))
    population = _allocate(size, rural_total)
    hh_size = rng.uniform(2.3, 2.9, cells.size)
    share65 = np.clip(rng.normal(0.172, 0.035, cells.size), 0.06, 0.36)
    share_wa = np.clip(rng.normal(0.655, 0.03, cells.size), 0.50, 0.80)
    return gpd.GeoDataFrame({
        "name": [names.village() for _ in range(cells.size)],
        "township_id": _township_of(townships, jx, jy),
        "population": population,
        "households": np.maximum(1, np.round(population / hh_size)).astype(np.int64),
        "share_working_age": np.round(share_wa, 3),
        "share_65plus": np.round(share65, 3),
        "urban": False,
        "relocation_site": relocation,
        "township_seat": seat,
        "cell": cells,
    }, geometry=shapely.points(np.round(jx, 1), np.round(jy, 1)), crs=METRIC_EPSG)


def _urban(rng: np.random.Generator, names: NameMaker, urban: UrbanGrid,
           townships: gpd.GeoDataFrame, boundary: Polygon) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    iu = np.arange(-int(urban.half_length_m // urban.spacing_u_m) - 1, int(urban.half_length_m // urban.spacing_u_m) + 1)
    iv = np.arange(-int(urban.half_width_m // urban.spacing_v_m) - 1, int(urban.half_width_m // urban.spacing_v_m) + 1)
    bu, bv = np.meshgrid((iu + 0.5) * urban.spacing_u_m, (iv + 0.5) * urban.spacing_v_m, indexing="ij")
    bu, bv = bu.ravel(), bv.ravel()
    keep = urban.inside(bu, bv, shrink=0.92)
    bu, bv = bu[keep], bv[keep]
    bx, by = urban.to_xy(bu + rng.uniform(-40, 40, bu.size), bv + rng.uniform(-40, 40, bu.size))
    keep = _inside(boundary, bx, by)
    bu, bv, bx, by = bu[keep], bv[keep], bx[keep], by[keep]
    n = bu.size
    outer = np.hypot(bu / urban.half_length_m, bv / urban.half_width_m)
    new_build = rng.random(n) < np.where(outer > 0.6, 0.75, 0.2)
    size = np.exp(rng.normal(0.0, 0.45, n)) * np.where(new_build, 1.4, 1.0)
    urban_total = int(round(TOTAL_POPULATION * URBAN_SHARE))
    population = _allocate(size, urban_total)
    households = np.maximum(1, np.round(population / rng.uniform(2.5, 2.9, n))).astype(np.int64)
    relocation = np.zeros(n, bool)
    relocation[int(np.argmax(np.where(new_build, outer, -1.0)))] = True
    tids = _township_of(townships, bx, by)
    communities = gpd.GeoDataFrame({
        "id": [f"C{k + 1:03d}" for k in range(n)],
        "name": [names.community() for _ in range(n)],
        "township_id": tids,
        "households": households,
        "population": population,
        "new_build": new_build,
        "relocation_site": relocation,
    }, geometry=shapely.points(np.round(bx, 1), np.round(by, 1)), crs=METRIC_EPSG)
    # neighbourhood committees (社区居委会): groups of nearby communities
    lab = _kmeans(rng, np.column_stack([bx, by]), N_NEIGHBOURHOODS, population.astype(float))
    rows = []
    for j in range(N_NEIGHBOURHOODS):
        m = lab == j
        if not m.any():
            continue
        k = np.flatnonzero(m)[np.argmax(population[m])]
        px, py = bx[k] + 35.0, by[k] + 25.0
        pop = int(population[m].sum())
        rows.append(dict(name=names.neighbourhood(), population=pop, households=int(households[m].sum()),
                         share_working_age=round(float(np.clip(rng.normal(0.72, 0.02), 0.6, 0.8)), 3),
                         share_65plus=round(float(np.clip(rng.normal(0.105, 0.015), 0.05, 0.2)), 3),
                         urban=True, relocation_site=False, township_seat=False, cell=-1,
                         geometry=Point(round(px, 1), round(py, 1))))
    neigh = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_EPSG)
    neigh["township_id"] = _township_of(townships, neigh.geometry.x.to_numpy(), neigh.geometry.y.to_numpy())
    return communities, neigh


def _assign_ids(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    v = villages.copy()
    v["_y"] = -v.geometry.y
    v["_x"] = v.geometry.x
    v = v.sort_values(["township_id", "urban", "_y", "_x"], ascending=[True, False, True, True],
                      kind="stable").reset_index(drop=True)
    ids = []
    counters: dict[tuple[str, bool], int] = {}
    for tid, is_urban in zip(v["township_id"], v["urban"]):
        key = (tid, bool(is_urban))
        counters[key] = counters.get(key, 0) + 1
        ids.append(f"{tid}{(counters[key] if is_urban else 200 + counters[key]):03d}")
    v.insert(0, "id", ids)
    cols = ["id", "name", "township_id", "population", "households", "share_working_age",
            "share_65plus", "urban", "relocation_site", "township_seat", "cell", "geometry"]
    return gpd.GeoDataFrame(v[cols], geometry="geometry", crs=METRIC_EPSG)


def population_raster(settlements: Settlements, boundary: Polygon) -> tuple[np.ndarray, Affine]:
    """A WorldPop-like raster (people per 100 m cell) consistent with the settlement totals.

    Each rural village's residents are spread over the cells around it with a Gaussian kernel
    (wider for larger villages); each urban community's over its block. Cells outside the county
    are NaN. The raster total equals the village-layer total.

    Parameters
    ----------
    settlements : Settlements
        Villages and communities.
    boundary : shapely.Polygon
        County boundary.

    Returns
    -------
    array, transform
        float64 people per cell (NaN outside the county) and its affine transform (EPSG:4546).
    """
    minx, miny, maxx, maxy = boundary.bounds
    x0 = np.floor(minx / POP_CELL_M) * POP_CELL_M - POP_CELL_M
    y0 = np.ceil(maxy / POP_CELL_M) * POP_CELL_M + POP_CELL_M
    cols = int(np.ceil((maxx - x0) / POP_CELL_M)) + 1
    rows = int(np.ceil((y0 - miny) / POP_CELL_M)) + 1
    transform = Affine(POP_CELL_M, 0, x0, 0, -POP_CELL_M, y0)
    inside = features.geometry_mask([boundary], out_shape=(rows, cols), transform=transform, invert=True)
    grid = np.zeros((rows, cols))
    v = settlements.villages
    rural = v[~v["urban"].astype(bool)]
    c = settlements.communities
    xs = np.concatenate([rural.geometry.x.to_numpy(), c.geometry.x.to_numpy()])
    ys = np.concatenate([rural.geometry.y.to_numpy(), c.geometry.y.to_numpy()])
    pops = np.concatenate([rural["population"].to_numpy(), c["population"].to_numpy()]).astype(float)
    sigma = np.concatenate([120.0 + 60.0 * np.sqrt(rural["population"].to_numpy() / 500.0),
                            np.full(len(c), 70.0)])
    for x, y, pop, s in zip(xs, ys, pops, sigma):
        col = (x - x0) / POP_CELL_M - 0.5
        row = (y0 - y) / POP_CELL_M - 0.5
        reach = int(np.ceil(3 * s / POP_CELL_M))
        r0, c0 = int(round(row)) - reach, int(round(col)) - reach
        rr = np.arange(max(r0, 0), min(r0 + 2 * reach + 1, rows))
        cc = np.arange(max(c0, 0), min(c0 + 2 * reach + 1, cols))
        w = np.exp(-(((rr[:, None] - row) ** 2 + (cc[None, :] - col) ** 2) * POP_CELL_M ** 2) / (2 * s * s))
        w *= inside[np.ix_(rr, cc)]
        if w.sum() <= 0:
            r, k = int(np.clip(round(row), 0, rows - 1)), int(np.clip(round(col), 0, cols - 1))
            grid[r, k] += pop
            continue
        grid[np.ix_(rr, cc)] += pop * w / w.sum()
    grid[~inside] = np.nan
    return grid, transform
