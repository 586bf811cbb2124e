"""Terrain of the demo county: boundary, drainage network and DEM of a loess-hill county.

The landscape is built the way a steady-state landscape-evolution model would leave it:

1. a rough surface (fractal noise plus an eastward rise) is routed to the main river on the
   west edge (the Yellow River) by *priority flood*, which gives every coarse cell a receiver
   and so a dendritic drainage tree;
2. elevations are integrated up that tree with the stream-power channel slope
   ``S = k · A^-0.5`` (``A`` = drained area), so large valleys are gentle and hillslopes steep;
3. the coarse surface is resampled to the DEM grid and loess gullies (small-scale noise,
   damped on valley floors) are added; the result is rescaled to 700–1,880 m.

Everything is generated in the CGCS2000 3° Gauss–Krüger CM 111E projection (EPSG:4546).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage
from scipy.sparse import coo_matrix, csr_matrix
from shapely.geometry import LineString, Polygon

__all__ = ["Terrain", "make_terrain", "METRIC_EPSG", "DEM_CELL_M", "COARSE_FACTOR", "fractal_noise",
           "grid_graph"]

#: Projected CRS of the generator (CGCS2000 / 3-degree Gauss-Kruger CM 111E).
METRIC_EPSG = 4546
#: DEM cell size, metres (like SRTM 3 arc-second).
DEM_CELL_M = 90.0
#: Coarse (drainage, routing) cell = COARSE_FACTOR DEM cells.
COARSE_FACTOR = 5
#: Half-width of the generated square domain, metres.
HALF_EXTENT_M = 41_400.0
#: Target county area, km² (临县: 2,979 km²).
TARGET_AREA_KM2 = 2_980.0
#: Elevation range of the DEM, metres.
Z_MIN_M, Z_MAX_M = 700.0, 1_880.0


@dataclass
class Terrain:
    """The generated terrain.

    Attributes
    ----------
    x0, y0 : float
        Upper-left corner of the domain (EPSG:4546 metres).
    dem_m : numpy.ndarray
        Elevation (m) on the DEM grid (``DEM_CELL_M`` cells), row 0 at the north.
    coarse_m : float
        Coarse cell size, metres.
    z_coarse_m : numpy.ndarray
        Elevation (m) on the coarse grid.
    accumulation : numpy.ndarray
        Number of coarse cells drained through each coarse cell (itself included).
    receiver : numpy.ndarray
        Flat index of the downstream coarse cell; -1 at the river (outlets).
    river_col : numpy.ndarray
        Column of the Yellow River in each coarse row.
    boundary : shapely.Polygon
        County boundary.
    river : shapely.LineString
        Centre line of the Yellow River (west edge of the county).
    """

    x0: float
    y0: float
    dem_m: np.ndarray
    coarse_m: float
    z_coarse_m: np.ndarray
    accumulation: np.ndarray
    receiver: np.ndarray
    river_col: np.ndarray
    boundary: Polygon
    river: LineString

    @property
    def coarse_shape(self) -> tuple[int, int]:
        """(rows, cols) of the coarse grid."""
        return self.accumulation.shape  # type: ignore[return-value]

    def coarse_xy(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Centre coordinates of coarse cells given by flat index."""
        rows, cols = np.divmod(np.asarray(flat, dtype=np.int64), self.coarse_shape[1])
        return (self.x0 + (cols + 0.5) * self.coarse_m, self.y0 - (rows + 0.5) * self.coarse_m)

    def coarse_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat index of the coarse cell containing each point."""
        cols = np.floor((np.asarray(x) - self.x0) / self.coarse_m).astype(np.int64)
        rows = np.floor((self.y0 - np.asarray(y)) / self.coarse_m).astype(np.int64)
        rows = np.clip(rows, 0, self.coarse_shape[0] - 1)
        cols = np.clip(cols, 0, self.coarse_shape[1] - 1)
        return rows * self.coarse_shape[1] + cols

    def elevation_m(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """DEM elevation (nearest cell) at points."""
        cols = np.clip(np.floor((np.asarray(x) - self.x0) / DEM_CELL_M).astype(np.int64),
                       0, self.dem_m.shape[1] - 1)
        rows = np.clip(np.floor((self.y0 - np.asarray(y)) / DEM_CELL_M).astype(np.int64),
                       0, self.dem_m.shape[0] - 1)
        return self.dem_m[rows, cols]


def fractal_noise(rng: np.random.Generator, shape: tuple[int, int], *, beta: float) -> np.ndarray:
    """Zero-mean, unit-variance fractal noise with power spectrum ``1 / f**beta``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    shape : tuple of int
        Output (rows, cols).
    beta : float
        Spectral exponent (2 = smooth hills, lower = rougher).

    Returns
    -------
    numpy.ndarray
        The noise field.
    """
    white = rng.standard_normal(shape)
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    spectrum = np.fft.rfft2(white) / f ** (beta / 2.0)
    spectrum[0, 0] = 0.0
    field = np.fft.irfft2(spectrum, s=shape)
    return (field - field.mean()) / field.std()


def _river_x(y: np.ndarray, cx: float, cy: float, phases: np.ndarray) -> np.ndarray:
    """x of the Yellow River centre line at northing y (a meandering north-south line)."""
    t = (y - cy) / 1000.0
    return (cx - 24_000.0 + 2_600.0 * np.sin(2 * np.pi * t / 37.0 + phases[0])
            + 1_100.0 * np.sin(2 * np.pi * t / 13.0 + phases[1]))


def _boundary(rng: np.random.Generator, cx: float, cy: float, river: LineString) -> Polygon:
    """Irregular county polygon cut on the west by the river, scaled to the target area."""
    n = 480
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    log_r = np.zeros(n)
    for k in range(2, 60):
        log_r += rng.normal(0.0, 0.35 / k ** 1.35) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    east = Polygon([(river.coords[0][0], river.coords[0][1])] + list(river.coords)
                   + [(cx + 2 * HALF_EXTENT_M, river.coords[-1][1]),
                      (cx + 2 * HALF_EXTENT_M, river.coords[0][1])])
    east = shapely.make_valid(east).intersection(
        shapely.box(cx - HALF_EXTENT_M + 2_000, cy - HALF_EXTENT_M + 2_000,
                    cx + HALF_EXTENT_M - 2_000, cy + HALF_EXTENT_M - 2_000))
    radius = 32_000.0
    for _ in range(8):
        star = Polygon(np.column_stack([cx + 3_000 + radius * np.exp(log_r) * np.cos(theta),
                                        cy + radius * np.exp(log_r) * np.sin(theta) * 0.92]))
        poly = star.intersection(east)
        if poly.geom_type != "Polygon":
            poly = max(poly.geoms, key=lambda g: g.area)
        radius *= np.sqrt(TARGET_AREA_KM2 * 1e6 / poly.area)
    # snap vertices to the decimetre so the polygon (and its area) is reproducible in text
    return shapely.set_precision(poly, 0.1)


def _priority_flood(surface: np.ndarray, outlets: np.ndarray,
                    jitter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Receivers and processing order of a priority flood from ``outlets`` (flat indices).

    Inside filled depressions the priority rises by a small random step (``jitter``, per cell),
    so flats drain by a random dendritic tree instead of parallel straight lines.
    """
    rows, cols = surface.shape
    flat = surface.ravel()
    jit = jitter.ravel()
    receiver = np.full(flat.size, -2, dtype=np.int64)
    heap: list[tuple[float, int]] = []
    for i in outlets.tolist():
        receiver[i] = -1
        heap.append((float(flat[i]), i))
    heapq.heapify(heap)
    order: list[int] = []
    offsets = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))
    while heap:
        z, i = heapq.heappop(heap)
        order.append(i)
        r, c = divmod(i, cols)
        for dr, dc in offsets:
            rr, cc = r + dr, c + dc
            if 0 <= rr < rows and 0 <= cc < cols:
                j = rr * cols + cc
                if receiver[j] == -2:
                    receiver[j] = i
                    heapq.heappush(heap, (max(float(flat[j]), z + float(jit[j])), j))
    return receiver, np.asarray(order, dtype=np.int64)


def make_terrain(rng: np.random.Generator, *, cx: float, cy: float) -> Terrain:
    """Generate boundary, drainage and DEM around the centre ``(cx, cy)`` (EPSG:4546 m).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (the only one used).
    cx, cy : float
        Domain centre, EPSG:4546 metres.

    Returns
    -------
    Terrain
        The generated terrain.
    """
    coarse_m = DEM_CELL_M * COARSE_FACTOR
    n_coarse = int(round(2 * HALF_EXTENT_M / coarse_m))
    x0, y0 = cx - HALF_EXTENT_M, cy + HALF_EXTENT_M
    phases = rng.uniform(0, 2 * np.pi, 2)
    ys = np.linspace(y0 + 2_000, y0 - 2 * HALF_EXTENT_M - 2_000, 400)
    river = LineString(np.column_stack([_river_x(ys, cx, cy, phases), ys]))
    boundary = _boundary(rng, cx, cy, river)

    # coarse surface to route: rough hills plus a rise away from the river
    row_y = y0 - (np.arange(n_coarse) + 0.5) * coarse_m
    col_x = x0 + (np.arange(n_coarse) + 0.5) * coarse_m
    river_x = _river_x(row_y, cx, cy, phases)
    river_col = np.clip(np.floor((river_x - x0) / coarse_m).astype(np.int64), 0, n_coarse - 1)
    dist_km = np.abs(col_x[None, :] - river_x[:, None]) / 1000.0
    surface = 4.0 * fractal_noise(rng, (n_coarse, n_coarse), beta=2.6) + 0.35 * dist_km
    outlets = np.arange(n_coarse) * n_coarse + river_col
    receiver, order = _priority_flood(surface, outlets, rng.uniform(0.01, 0.3, surface.shape))

    accumulation = np.ones(n_coarse * n_coarse)
    for i in order[::-1]:
        j = receiver[i]
        if j >= 0:
            accumulation[j] += accumulation[i]

    # integrate the stream-power channel profile up the drainage tree
    rr, cc = np.divmod(np.arange(n_coarse * n_coarse), n_coarse)
    z = np.zeros(n_coarse * n_coarse)
    steep = np.exp(0.35 * fractal_noise(rng, (n_coarse, n_coarse), beta=2.0)).ravel()
    for i in order:
        j = receiver[i]
        if j >= 0:
            step = coarse_m * (1.41421356 if (rr[i] != rr[j] and cc[i] != cc[j]) else 1.0)
            z[i] = z[j] + step * steep[i] * accumulation[i] ** -0.5
    z = z.reshape(n_coarse, n_coarse)
    # scale so the county itself spans the range; higher ground outside is softly capped
    in_county = shapely.contains_xy(boundary, *np.meshgrid(col_x, row_y))
    z_rel = z / z[in_county].max()
    z_coarse = Z_MIN_M + 12.0 * (1.0 - np.arange(n_coarse) / n_coarse)[:, None] + (Z_MAX_M - Z_MIN_M - 60) * z_rel
    cap = Z_MAX_M - 60.0
    z_coarse = np.where(z_coarse > cap, cap + 50.0 * (1.0 - np.exp(-(z_coarse - cap) / 50.0)), z_coarse)

    # DEM: resample, add loess gullies damped on valley floors, clamp to the range
    n_fine = n_coarse * COARSE_FACTOR
    pos = (np.arange(n_fine) + 0.5) / COARSE_FACTOR - 0.5
    dem = ndimage.map_coordinates(z_coarse, np.meshgrid(pos, pos, indexing="ij"), order=1, mode="nearest")
    log_acc = ndimage.map_coordinates(np.log(accumulation.reshape(n_coarse, n_coarse)),
                                      np.meshgrid(pos, pos, indexing="ij"), order=1, mode="nearest")
    hill = np.clip(1.0 - log_acc / np.log(60.0), 0.05, 1.0)
    dem = dem + 22.0 * hill * fractal_noise(rng, (n_fine, n_fine), beta=1.6)
    dem = np.clip(dem, Z_MIN_M, Z_MAX_M)
    return Terrain(x0=x0, y0=y0, dem_m=np.round(dem), coarse_m=coarse_m, z_coarse_m=z_coarse,
                   accumulation=accumulation.reshape(n_coarse, n_coarse), receiver=receiver,
                   river_col=river_col, boundary=boundary, river=river)


def grid_graph(terrain: Terrain, *, grade_scale: float, factor: np.ndarray | None = None,
               blocked: np.ndarray | None = None) -> csr_matrix:
    """Travel-cost graph between 8-neighbouring coarse cells.

    The cost of a step is its length times ``1 + (grade / grade_scale)²`` times the mean of
    ``factor`` at its two cells, so paths prefer gentle ground (valley floors).

    Parameters
    ----------
    terrain : Terrain
        The terrain.
    grade_scale : float
        Grade (rise/run) at which a step costs double.
    factor : numpy.ndarray, optional
        Per-cell cost multiplier (coarse grid shape).
    blocked : numpy.ndarray of bool, optional
        Cells that cannot be entered.

    Returns
    -------
    scipy.sparse.csr_matrix
        Symmetric cost matrix over flat coarse indices.
    """
    rows, cols = terrain.coarse_shape
    z = terrain.z_coarse_m
    fac = np.ones((rows, cols)) if factor is None else factor
    ok = np.ones((rows, cols), bool) if blocked is None else ~blocked
    idx = np.arange(rows * cols).reshape(rows, cols)
    src, dst, cost = [], [], []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        r0, r1 = 0, rows - dr
        c0, c1 = max(0, -dc), cols - max(0, dc)
        a = (slice(r0, r1), slice(c0, c1))
        b = (slice(r0 + dr, r1 + dr), slice(c0 + dc, c1 + dc))
        step = terrain.coarse_m * (np.sqrt(2.0) if dr and dc else 1.0)
        grade = np.abs(z[b] - z[a]) / step
        w = step * (1.0 + (grade / grade_scale) ** 2) * 0.5 * (fac[a] + fac[b])
        keep = ok[a] & ok[b]
        src.append(idx[a][keep])
        dst.append(idx[b][keep])
        cost.append(w[keep])
    s, d, c = np.concatenate(src), np.concatenate(dst), np.concatenate(cost)
    n = rows * cols
    return coo_matrix((np.concatenate([c, c]), (np.concatenate([s, d]), np.concatenate([d, s]))),
                      shape=(n, n)).tocsr()
