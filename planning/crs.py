"""Coordinate systems: CRS checks, the county's metric CRS, and GCJ-02 / BD-09 to WGS84.

Chinese web maps publish coordinates in two obfuscated datums:

* **GCJ-02** (国测局坐标, "Mars coordinates"): Amap (高德), Tencent, Google China, DataV
  boundaries. Offsets of a few hundred metres from WGS84, varying smoothly with position.
* **BD-09** (百度坐标): Baidu maps; GCJ-02 with a further rotation and shift.

The forward transforms are the published algorithm (as in googollee/eviltransform and
wandergis/coordtransform); the inverse of GCJ-02 is solved iteratively to better than 1e-6°
(< 0.1 m) rather than by the usual one-step approximation (errors of 1–5 m). Outside China
(the standard bounding box of those libraries) GCJ-02 and BD-09 equal WGS84.

All conversions are vectorised over numpy arrays and also accept scalars.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from planning._errors import CRSError

__all__ = [
    "in_china",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "wgs84_to_bd09",
    "convert_geometries",
    "metric_crs_for",
    "require_crs",
    "DATUMS",
]

#: Datums of lon/lat input accepted by the loaders (``coords=`` option).
DATUMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 algorithm
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0


def in_china(lon: Any, lat: Any) -> np.ndarray:
    """Whether points fall in the bounding box inside which GCJ-02 differs from WGS84.

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude, degrees.

    Returns
    -------
    numpy.ndarray of bool
        True inside 72.004–137.8347°E, 0.8293–55.8271°N (the box of eviltransform).

    Examples
    --------
    >>> bool(in_china(111.0, 38.0)), bool(in_china(43.3, -11.7))
    (True, False)
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS84 position (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    xp = x * np.pi
    yp = y * np.pi
    common = (20.0 * np.sin(6.0 * xp) + 20.0 * np.sin(2.0 * xp)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + common
            + (20.0 * np.sin(yp) + 40.0 * np.sin(yp / 3.0)) * 2.0 / 3.0
            + (160.0 * np.sin(yp / 12.0) + 320.0 * np.sin(yp / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + common
            + (20.0 * np.sin(xp) + 40.0 * np.sin(xp / 3.0)) * 2.0 / 3.0
            + (150.0 * np.sin(xp / 12.0) + 300.0 * np.sin(xp / 30.0)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _arrays(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon_a.astype(float, copy=True), lat_a.astype(float, copy=True)


def _out(lon: np.ndarray, lat: np.ndarray, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def _refine(forward: Callable[[np.ndarray, np.ndarray], tuple[Any, Any]], tx: np.ndarray, ty: np.ndarray,
            inside: np.ndarray, x: np.ndarray, y: np.ndarray, *, tol_deg: float,
            max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-point inverse: move (x, y) by ``(tx, ty) - forward(x, y)`` where ``inside``.

    Stops when every residual is at most ``tol_deg`` or after ``max_iter`` steps.
    """
    for _ in range(max_iter):
        fx, fy = forward(x, y)
        rx = np.where(inside, tx - fx, 0.0)
        ry = np.where(inside, ty - fy, 0.0)
        x = x + rx
        y = y + ry
        if not (np.nanmax(np.abs(rx), initial=0.0) > tol_deg or np.nanmax(np.abs(ry), initial=0.0) > tol_deg):
            break
    return x, y


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Convert WGS84 longitude/latitude to GCJ-02 (unchanged outside China).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude, degrees.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        GCJ-02 longitude and latitude (floats for scalar input).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(121.5272106, 31.1774276)
    >>> round(lon, 6), round(lat, 6)
    (121.531542, 31.175304)
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = _arrays(lon, lat)
    inside = in_china(x, y)
    dx, dy = _delta(x, y)
    x = np.where(inside, x + dx, x)
    y = np.where(inside, y + dy, y)
    return _out(x, y, scalar)


def gcj02_to_wgs84(lon: Any, lat: Any, *, tol_deg: float = 1e-9, max_iter: int = 30) -> tuple[Any, Any]:
    """Convert GCJ-02 longitude/latitude to WGS84 by fixed-point iteration.

    Starting from the GCJ-02 position, each step moves the estimate by the residual
    ``gcj - wgs84_to_gcj02(estimate)``; the offset field is smooth (its gradient is about
    1e-5), so the error falls by that factor per step and a few steps reach ``tol_deg``.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude, degrees.
    tol_deg : float, keyword-only
        Stop when every residual is below this (degrees).
    max_iter : int, keyword-only
        Iteration cap.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        WGS84 longitude and latitude.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(110.99, 37.95))
    >>> abs(lon - 110.99) < 1e-9 and abs(lat - 37.95) < 1e-9
    True
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    gx, gy = _arrays(lon, lat)
    inside = in_china(gx, gy)
    wx, wy = _refine(wgs84_to_gcj02, gx, gy, inside, gx.copy(), gy.copy(), tol_deg=tol_deg, max_iter=max_iter)
    return _out(wx, wy, scalar)


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Convert GCJ-02 longitude/latitude to BD-09 (unchanged outside China).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude, degrees.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        BD-09 longitude and latitude.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(*gcj02_to_bd09(116.397627, 39.908657))
    >>> round(lon, 9), round(lat, 9)
    (116.397627, 39.908657)
    >>> round(gcj02_to_bd09(116.397627, 39.908657)[0], 6)
    116.404
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = _arrays(lon, lat)
    inside = in_china(x, y)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    bx = z * np.cos(theta) + 0.0065
    by = z * np.sin(theta) + 0.006
    return _out(np.where(inside, bx, x), np.where(inside, by, y), scalar)


def bd09_to_gcj02(lon: Any, lat: Any, *, tol_deg: float = 1e-10, max_iter: int = 10) -> tuple[Any, Any]:
    """Convert BD-09 longitude/latitude to GCJ-02.

    Starts from the published closed-form inverse (accurate to about 5e-7°) and refines it by
    fixed-point iteration until ``gcj02_to_bd09`` reproduces the input within ``tol_deg``.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude, degrees.
    tol_deg : float, keyword-only
        Stop when every residual is below this (degrees).
    max_iter : int, keyword-only
        Iteration cap.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        GCJ-02 longitude and latitude.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(120.019809, 29.199786)
    >>> round(lon, 4), round(lat, 4)
    (120.0134, 29.1935)
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    bx, by = _arrays(lon, lat)
    inside = in_china(bx, by)
    x = bx - 0.0065
    y = by - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx = z * np.cos(theta)
    gy = z * np.sin(theta)
    # the closed form is off by up to ~5e-7 degrees; refine to the exact inverse
    gx, gy = _refine(gcj02_to_bd09, bx, by, inside, gx, gy, tol_deg=tol_deg, max_iter=max_iter)
    return _out(np.where(inside, gx, bx), np.where(inside, gy, by), scalar)


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Convert BD-09 longitude/latitude to WGS84 (through GCJ-02, exact inverse).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude, degrees.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        WGS84 longitude and latitude.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(*wgs84_to_bd09(110.99, 37.95))
    >>> abs(lon - 110.99) < 1e-8 and abs(lat - 37.95) < 1e-8
    True
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Convert WGS84 longitude/latitude to BD-09 (through GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude, degrees.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        BD-09 longitude and latitude.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09(43.3, -11.7)   # outside China: unchanged
    >>> lon, lat
    (43.3, -11.7)
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}


def convert_geometries(data: gpd.GeoDataFrame | gpd.GeoSeries, source: str = "gcj02") -> Any:
    """Convert the lon/lat geometries of a layer from GCJ-02 or BD-09 to WGS84.

    Every vertex of every geometry type is converted (via :func:`shapely.transform`). The
    input must be geographic lon/lat (EPSG:4326 or no CRS); the result has CRS EPSG:4326.

    Parameters
    ----------
    data : geopandas.GeoDataFrame or geopandas.GeoSeries
        Geometries whose coordinates are in the ``source`` datum.
    source : {"gcj02", "bd09", "wgs84"}
        Datum of the coordinates; ``"wgs84"`` returns a copy with CRS EPSG:4326.

    Returns
    -------
    geopandas.GeoDataFrame or geopandas.GeoSeries
        A copy with WGS84 coordinates.

    Raises
    ------
    CRSError
        If ``source`` is unknown or the data have a projected CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> s = gpd.GeoSeries([Point(wgs84_to_gcj02(111.0, 38.0))], crs="EPSG:4326")
    >>> p = convert_geometries(s, "gcj02").iloc[0]
    >>> round(p.x, 6), round(p.y, 6)
    (111.0, 38.0)
    """
    if source not in DATUMS:
        raise CRSError("datum conversion", [f"unknown datum {source!r}; use one of {', '.join(DATUMS)}"])
    if data.crs is not None and not CRS.from_user_input(data.crs).is_geographic:
        raise CRSError("datum conversion", [
            f"{source} conversion needs lon/lat degrees, but the data have projected CRS "
            f"{CRS.from_user_input(data.crs).name}; declare the file's CRS as EPSG:4326 or drop coords="])
    out = data.copy()
    if source == "wgs84":
        return out.set_crs("EPSG:4326", allow_override=True)
    func = _TO_WGS84[source]

    def _convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    geoms = shapely.transform(np.asarray(data.geometry.array, dtype=object), _convert)
    if isinstance(out, gpd.GeoDataFrame):
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs="EPSG:4326"))
        return out.set_crs("EPSG:4326", allow_override=True)
    return gpd.GeoSeries(geoms, index=out.index, name=out.name, crs="EPSG:4326")


def _lonlat_centre(data: Any) -> tuple[float, float]:
    if isinstance(data, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if data.crs is None:
            raise CRSError("metric CRS choice", ["the data have no CRS; declare it (e.g. crs: EPSG:4326)"])
        geo = data.to_crs("EPSG:4326")
        minx, miny, maxx, maxy = geo.total_bounds
    else:
        # a bare shapely geometry is taken as WGS84 lon/lat
        minx, miny, maxx, maxy = shapely.bounds(data)
    if not all(np.isfinite([minx, miny, maxx, maxy])):
        raise CRSError("metric CRS choice", ["the data are empty; cannot choose a metric CRS"])
    return (minx + maxx) / 2.0, (miny + maxy) / 2.0


def metric_crs_for(data: Any, *, system: str = "cgcs2000") -> CRS:
    """Choose a projected metric CRS for an area.

    Inside China (see :func:`in_china`) the default is the CGCS2000 3-degree Gauss–Krüger zone
    whose central meridian is nearest the area's centre (EPSG:4534 = CM 75°E … EPSG:4554 =
    CM 135°E; e.g. EPSG:4546 = CM 111°E for Lüliang). Outside China, or with
    ``system="utm"``, the WGS84 UTM zone of the centre (EPSG:326nn north, 327nn south).

    Parameters
    ----------
    data : GeoDataFrame, GeoSeries or shapely geometry
        The area (a bare shapely geometry is taken as WGS84 lon/lat).
    system : {"cgcs2000", "utm"}, keyword-only
        Preferred system inside China.

    Returns
    -------
    pyproj.CRS

    Examples
    --------
    >>> from shapely import box
    >>> metric_crs_for(box(110.6, 37.6, 111.4, 38.3)).to_epsg()
    4546
    >>> metric_crs_for(box(43.2, -12.5, 44.6, -11.3)).to_epsg()
    32738
    """
    if system not in ("cgcs2000", "utm"):
        raise CRSError("metric CRS choice", [f"unknown system {system!r}; use 'cgcs2000' or 'utm'"])
    lon, lat = _lonlat_centre(data)
    if system == "cgcs2000" and bool(in_china(lon, lat)):
        cm = int(round(lon / 3.0)) * 3
        cm = min(max(cm, 75), 135)
        return CRS.from_epsg(4534 + (cm - 75) // 3)
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def require_crs(gdf: Any, what: str) -> CRS:
    """Return the CRS of a layer, or raise if it has none.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        The layer.
    what : str
        How to name the layer in the error (e.g. ``"villages 'villages.gpkg'"``).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        When the layer has no CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> require_crs(gpd.GeoSeries([], crs="EPSG:4326"), "points").to_epsg()
    4326
    """
    if gdf.crs is None:
        raise CRSError(what, ["the layer has no coordinate reference system; declare it in the "
                              "manifest (crs: EPSG:4326 for lon/lat degrees) or fix the file "
                              "(e.g. add the .prj of a shapefile)"])
    return CRS.from_user_input(gdf.crs)
