"""Terrain: slope-aware walking (Tobler's hiking function) and grade-reduced driving.

Elevation is sampled bilinearly from the DEM at every vertex of an edge and at most every
:data:`TERRAIN_SAMPLE_M` metres between them; each piece's slope is its rise over its
horizontal length. Walking time uses :func:`tobler_speed_kph` scaled so that flat ground gives
``walk_speed_kph`` (direction-aware: the same road uphill and downhill differ); driving time uses
the class speed times :func:`grade_speed_factor` (direction-blind).

The same pieces time the PART of an edge between a snapped point and either end (the piece
holding the point is cut at it; see ``SegmentTable.time_shares``), so a point snapped onto an
edge costs what it would cost as a node splitting the edge. The straight off-network leg between
a point and the road is walked with Tobler's function on its own slope (:func:`access_times`):
to the road and from the road differ.
"""

from __future__ import annotations

import numpy as np
import shapely

from planning.config import TravelSettings
from planning.county import Raster

__all__ = ["tobler_speed_kph", "grade_speed_factor", "terrain_times", "terrain_pieces", "piece_times", "access_times",
           "bilinear_elevation", "TERRAIN_SAMPLE_M"]

#: Longest horizontal step (m) between elevation samples along an edge.
TERRAIN_SAMPLE_M: float = 40.0

_MIN_PER_KPH_M = 0.06  # minutes to cover 1 m at 1 km/h: 60 / 1000


def tobler_speed_kph(slope: np.ndarray | float, *, flat_speed_kph: float | None = None) -> np.ndarray:
    """Walking speed from Tobler's hiking function.

    ``v = 6 · exp(−3.5 · |s + 0.05|)`` km/h, with ``s = dh/dx`` the slope in the direction of
    travel (rise over horizontal run). The peak, 6 km/h, is at ``s = −0.05`` (gentle downhill);
    flat ground gives ``6 · exp(−0.175) ≈ 5.04`` km/h.

    Parameters
    ----------
    slope : float or numpy.ndarray
        Slope ``dh/dx`` along the direction of travel (0.10 = 10 % uphill).
    flat_speed_kph : float, optional
        When given, the function is scaled so that flat ground gives exactly this speed
        (``v = flat_speed_kph · exp(−3.5 · (|s + 0.05| − 0.05))``).

    Returns
    -------
    numpy.ndarray
        Speed in km/h.

    Examples
    --------
    >>> float(tobler_speed_kph(-0.05))
    6.0
    >>> round(float(tobler_speed_kph(0.0, flat_speed_kph=4.5)), 12)
    4.5
    """
    s = np.asarray(slope, dtype=float)
    if flat_speed_kph is None:
        return 6.0 * np.exp(-3.5 * np.abs(s + 0.05))
    return flat_speed_kph * np.exp(-3.5 * (np.abs(s + 0.05) - 0.05))


def grade_speed_factor(grade: np.ndarray | float, *, steep_grade: float, steep_factor: float) -> np.ndarray:
    """Multiplier on driving speed for a road grade.

    ``f = 1`` for ``|g| ≤ steep_grade``; falls linearly to ``steep_factor`` at
    ``|g| = 2 · steep_grade``; ``f = steep_factor`` beyond. Uphill and downhill are treated
    alike (vehicles brake downhill).

    Parameters
    ----------
    grade : float or numpy.ndarray
        Road grade (rise over run).
    steep_grade : float
        Grade above which speed is reduced (``TravelSettings.steep_grade``).
    steep_factor : float
        Multiplier at twice ``steep_grade`` and beyond (``TravelSettings.steep_grade_speed_factor``).

    Returns
    -------
    numpy.ndarray
        Speed multiplier in ``[steep_factor, 1]``.

    Examples
    --------
    >>> float(grade_speed_factor(0.09, steep_grade=0.06, steep_factor=0.6))
    0.8
    """
    g = np.abs(np.asarray(grade, dtype=float))
    frac = np.clip((g - steep_grade) / steep_grade, 0.0, 1.0)
    return 1.0 - (1.0 - steep_factor) * frac


def bilinear_elevation(dem: Raster, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Bilinear elevation at CRS coordinates between cell centres.

    Parameters
    ----------
    dem : planning.county.Raster
        Elevation raster.
    xs, ys : numpy.ndarray
        Coordinates in the raster's CRS.

    Returns
    -------
    numpy.ndarray
        Elevation (m); NaN outside the raster or next to nodata, clamped to the outermost cell
        centres at the raster's edge.
    """
    inv = ~dem.transform
    col = inv.a * xs + inv.b * ys + inv.c
    row = inv.d * xs + inv.e * ys + inv.f
    a = dem.array
    h, w = a.shape
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    c = col - 0.5
    r = row - 0.5
    c = np.clip(c, 0.0, w - 1.0)
    r = np.clip(r, 0.0, h - 1.0)
    c0 = np.minimum(np.floor(c).astype(np.int64), max(w - 2, 0))
    r0 = np.minimum(np.floor(r).astype(np.int64), max(h - 2, 0))
    c1 = np.minimum(c0 + 1, w - 1)
    r1 = np.minimum(r0 + 1, h - 1)
    fc = c - c0
    fr = r - r0
    z = (a[r0, c0] * (1 - fc) * (1 - fr) + a[r0, c1] * fc * (1 - fr)
         + a[r1, c0] * (1 - fc) * fr + a[r1, c1] * fc * fr)
    return np.where(inside, z, np.nan)


def terrain_times(geoms: np.ndarray, length: np.ndarray, class_speed: np.ndarray, dem: Raster,
                   ts: TravelSettings, *, pieces: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walking time forward/backward and driving time (min) of each edge over the DEM.

    Each edge is cut into pieces of at most :data:`TERRAIN_SAMPLE_M` m; a piece's slope is
    ``Δh / horizontal length`` (0 where elevation is missing). Piece times are summed and scaled
    so that the edge's horizontal length equals ``length_m``.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely.LineString
        Edge geometries, from ``u`` to ``v``, in the DEM's CRS.
    length : numpy.ndarray
        Edge lengths (m).
    class_speed : numpy.ndarray
        Free-flow driving speed (km/h) per edge; NaN where not drivable.
    dem : planning.county.Raster
        Elevation (m).
    ts : TravelSettings
        Walking speed, steep grade and its speed factor.
    pieces : tuple of numpy.ndarray, optional
        ``terrain_pieces(geoms, dem)`` when already computed.

    Returns
    -------
    walk_fwd_min, walk_bwd_min, drive_min : numpy.ndarray
        Walking time u → v and v → u, driving time (NaN where not drivable).
    """
    if pieces is None:
        pieces = terrain_pieces(geoms, dem)
    edge, dx, slope = pieces
    n = geoms.size
    pf, pb, pd_ = piece_times(dx, slope, class_speed[edge], ts)
    geom_len = np.bincount(edge, weights=dx, minlength=n)
    t_f = np.bincount(edge, weights=pf, minlength=n)
    t_b = np.bincount(edge, weights=pb, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_d = np.bincount(edge, weights=pd_, minlength=n)
        scale = np.where(geom_len > 0, length / geom_len, 0.0)
        flat_walk = length * _MIN_PER_KPH_M / ts.walk_speed_kph
        flat_drive = length * _MIN_PER_KPH_M / class_speed
    walk_f = np.where(geom_len > 0, t_f * scale, flat_walk)
    walk_b = np.where(geom_len > 0, t_b * scale, flat_walk)
    drive = np.where(np.isfinite(class_speed), np.where(geom_len > 0, t_d * scale, flat_drive), np.nan)
    return walk_f, walk_b, drive


def terrain_pieces(geoms: np.ndarray, dem: Raster) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pieces of at most :data:`TERRAIN_SAMPLE_M` m of each edge and their slopes.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely.LineString
        Edge geometries in the DEM's CRS.
    dem : planning.county.Raster
        Elevation (m).

    Returns
    -------
    edge : numpy.ndarray
        Edge (row of ``geoms``) of each piece; pieces of an edge are contiguous and ordered
        from its start to its end.
    dx : numpy.ndarray
        Horizontal length of each piece (m).
    slope : numpy.ndarray
        ``Δh / dx`` from the piece's start to its end (0 where the length is 0 or an elevation
        is missing).
    """
    dense = shapely.segmentize(geoms, TERRAIN_SAMPLE_M)
    coords, idx = shapely.get_coordinates(dense, return_index=True)
    z = bilinear_elevation(dem, coords[:, 0], coords[:, 1])
    same = idx[1:] == idx[:-1]
    dx = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))[same]
    dh = np.diff(z)[same]
    edge = idx[:-1][same]
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where((dx > 0) & np.isfinite(dh), dh / dx, 0.0)
    return edge, dx, slope


def piece_times(dx: np.ndarray, slope: np.ndarray, speed_kph: np.ndarray, ts: TravelSettings
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walking time forward/backward and driving time (min) of pieces of known slope.

    Parameters
    ----------
    dx, slope : numpy.ndarray
        Horizontal length (m) and slope (forward) of each piece.
    speed_kph : numpy.ndarray
        Free-flow driving speed of each piece (NaN where not drivable: its driving time is
        then meaningless and not used).
    ts : TravelSettings
        Walking speed, steep grade and its speed factor.

    Returns
    -------
    walk_fwd_min, walk_bwd_min, drive_min : numpy.ndarray
        ``dx`` at Tobler's speed for ``slope`` and for ``−slope``, and ``dx`` at ``speed_kph``
        reduced by :func:`grade_speed_factor`.
    """
    t_f = dx * _MIN_PER_KPH_M / tobler_speed_kph(slope, flat_speed_kph=ts.walk_speed_kph)
    t_b = dx * _MIN_PER_KPH_M / tobler_speed_kph(-slope, flat_speed_kph=ts.walk_speed_kph)
    factor = grade_speed_factor(slope, steep_grade=ts.steep_grade, steep_factor=ts.steep_grade_speed_factor)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_d = dx * _MIN_PER_KPH_M / np.where(np.isfinite(speed_kph), speed_kph * factor, 1.0)
    return t_f, t_b, t_d


def access_times(distance_m: np.ndarray, z_point: np.ndarray, z_road: np.ndarray, *, walk_speed_kph: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Walking time of the straight off-network leg between a point and the road, both ways.

    The leg's slope is ``(z_road − z_point) / distance_m`` from the point to the road (0 where
    an elevation is missing or the distance is 0); each direction is walked at
    :func:`tobler_speed_kph` for its own slope, scaled so that flat ground gives
    ``walk_speed_kph``.

    Parameters
    ----------
    distance_m : numpy.ndarray
        Horizontal length of the leg (m; NaN for points not snapped).
    z_point, z_road : numpy.ndarray
        Elevation (m) of the point and of its snapped position on the road.
    walk_speed_kph : float
        Walking speed on flat ground.

    Returns
    -------
    to_road_min, from_road_min : numpy.ndarray
        Access time (point → road) and egress time (road → point).

    Examples
    --------
    A point 100 m from the road and 10 m below it: 10 % uphill to the road, 10 % downhill back.

    >>> import numpy as np
    >>> up, down = access_times(np.array([100.0]), np.array([0.0]), np.array([10.0]), walk_speed_kph=4.5)
    >>> round(float(up[0]), 6), round(float(down[0]), 6)   # 6 / (4.5 e^-0.35), 6 / 4.5
    (1.89209, 1.333333)
    """
    d = np.asarray(distance_m, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        dh = np.asarray(z_road, dtype=float) - np.asarray(z_point, dtype=float)
        slope = np.where((d > 0) & np.isfinite(dh), dh / d, 0.0)
    to_road = d * _MIN_PER_KPH_M / tobler_speed_kph(slope, flat_speed_kph=walk_speed_kph)
    from_road = d * _MIN_PER_KPH_M / tobler_speed_kph(-slope, flat_speed_kph=walk_speed_kph)
    return to_road, from_road
