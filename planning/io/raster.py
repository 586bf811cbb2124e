"""Rasters: population (WorldPop-style GeoTIFF) and DEMs (GeoTIFF, SRTM ``.hgt``/``.hgt.zip``).

Rasters are clipped to the county (cells whose centre lies outside become NaN), optionally
reprojected, and returned as :class:`planning.county.Raster` (float64, NaN for no data).
Reprojecting a population raster preserves its total: GDAL's area-weighted ``sum``
resampling distributes people, then the grid is rescaled so that its total equals the total
of the clipped source exactly.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
import rasterio.merge
import rasterio.transform
import rasterio.warp
import rasterio.windows
import shapely
from affine import Affine
from pyproj import CRS

from planning._errors import CRSError, InputError
from planning.county import Raster

__all__ = ["read_raster", "read_dem_tiles", "gdal_path"]

_KINDS = ("population", "dem")


def gdal_path(path: str | os.PathLike[str]) -> str:
    """The GDAL path of a raster file: ``.hgt.zip`` and ``.zip`` are opened through ``/vsizip/``.

    Parameters
    ----------
    path : path-like
        A GeoTIFF, ``.hgt``, or a zip holding one raster (SRTM ``.hgt.zip``).

    Returns
    -------
    str
        A path rasterio can open.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"raster '{p}'", ["file not found; check the path in the manifest"])
    if p.suffix.lower() == ".zip":
        with zipfile.ZipFile(p) as z:
            members = [n for n in z.namelist() if n.lower().endswith((".hgt", ".tif", ".tiff"))]
        if len(members) != 1:
            raise InputError(f"raster '{p}'", [f"the zip must hold exactly one .hgt/.tif raster; it holds "
                                               f"{members or 'none'}"])
        return f"/vsizip/{p.resolve()}/{members[0]}"
    return str(p)


def _clip_geometry(clip_to: Any, raster_crs: CRS) -> Any:
    """The clip geometry (union) in the raster CRS."""
    if clip_to is None:
        return None
    if isinstance(clip_to, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if clip_to.crs is None:
            raise CRSError("raster clip", ["the clip geometry has no CRS; give a GeoDataFrame with a CRS"])
        return shapely.union_all(clip_to.to_crs(raster_crs).geometry.to_numpy())
    raise CRSError("raster clip", ["clip_to must be a GeoDataFrame or GeoSeries with a CRS (a bare "
                                   "geometry has no CRS)"])


def _source_crs(ds: Any, what: str) -> CRS:
    if ds.crs is None:
        raise CRSError(what, ["the raster has no CRS; fix the file (e.g. gdal_edit.py -a_srs EPSG:4326)"])
    return CRS.from_user_input(ds.crs)


def _finish(
    array: np.ndarray,
    transform: Affine,
    crs: CRS,
    kind: str,
    clip_geom: Any,
    dst_crs: Any,
    resolution_m: float | None,
    what: str,
) -> Raster:
    """Mask outside the clip geometry, reproject, and build the Raster."""
    if clip_geom is not None:
        inside = rasterio.features.geometry_mask([clip_geom], out_shape=array.shape, transform=transform,
                                                 invert=True, all_touched=False)
        array = np.where(inside, array, np.nan)
        if not inside.any():
            raise InputError(what, ["the raster does not overlap the county (no cell centre inside the "
                                    "boundary); check the file and the boundary CRS"])
    if dst_crs is None:
        return Raster(array=array, transform=transform, crs=crs, kind=kind)
    dst_crs = CRS.from_user_input(dst_crs)
    if resolution_m is not None and not dst_crs.is_projected:
        raise CRSError(what, [f"resolution_m needs a projected dst_crs; got {dst_crs.name}"])
    height, width = array.shape
    west, south, east, north = rasterio.transform.array_bounds(height, width, transform)
    kwargs: dict[str, Any] = {}
    if resolution_m is not None:
        kwargs["resolution"] = (float(resolution_m), float(resolution_m))
    dst_transform, dst_w, dst_h = rasterio.warp.calculate_default_transform(
        crs, dst_crs, width, height, left=west, bottom=south, right=east, top=north, **kwargs)
    dst = np.full((dst_h, dst_w), np.nan, dtype=np.float64)
    if kind == "population":
        source_total = float(np.nansum(array))
        rasterio.warp.reproject(
            source=np.where(np.isnan(array), 0.0, array), destination=dst, src_transform=transform,
            src_crs=crs, dst_transform=dst_transform, dst_crs=dst_crs, src_nodata=None, dst_nodata=np.nan,
            resampling=rasterio.warp.Resampling.sum)
        # NaN where no source cell with data lands
        valid = np.zeros((dst_h, dst_w), dtype=np.float64)
        rasterio.warp.reproject(
            source=np.isfinite(array).astype(np.float64), destination=valid, src_transform=transform,
            src_crs=crs, dst_transform=dst_transform, dst_crs=dst_crs, src_nodata=None, dst_nodata=0.0,
            resampling=rasterio.warp.Resampling.max)
        dst = np.where(valid > 0, np.nan_to_num(dst, nan=0.0), np.nan)
        total = float(np.nansum(dst))
        if total > 0:
            dst *= source_total / total
        elif source_total > 0:
            raise InputError(what, ["reprojection lost the whole population; choose a coarser resolution_m"])
    else:
        rasterio.warp.reproject(
            source=array, destination=dst, src_transform=transform, src_crs=crs, dst_transform=dst_transform,
            dst_crs=dst_crs, src_nodata=np.nan, dst_nodata=np.nan, resampling=rasterio.warp.Resampling.bilinear)
    return Raster(array=dst, transform=dst_transform, crs=dst_crs, kind=kind)


def _read_window(ds: Any, clip_geom: Any) -> tuple[np.ndarray, Affine]:
    """Read band 1 (only the window of the clip geometry when given) as float64 with NaN nodata."""
    if clip_geom is not None:
        minx, miny, maxx, maxy = clip_geom.bounds
        win = rasterio.windows.from_bounds(minx, miny, maxx, maxy, transform=ds.transform)
        win = win.round_offsets(op="floor").round_lengths(op="ceil")
        full = rasterio.windows.Window(0, 0, ds.width, ds.height)
        try:
            win = win.intersection(full)
        except rasterio.errors.WindowError:
            win = rasterio.windows.Window(0, 0, 0, 0)
        data = ds.read(1, window=win, masked=True)
        # (rasterio's window_transform uses affine's deprecated `*`)
        transform = ds.transform @ Affine.translation(win.col_off, win.row_off)
    else:
        data = ds.read(1, masked=True)
        transform = ds.transform
    array = np.ma.filled(data.astype(np.float64), np.nan)
    return array, transform


def read_raster(
    path: str | os.PathLike[str],
    kind: str = "population",
    *,
    clip_to: Any = None,
    dst_crs: Any = None,
    resolution_m: float | None = None,
) -> Raster:
    """Read a population raster or a DEM, clipped to the county and reprojected.

    Parameters
    ----------
    path : path-like
        GeoTIFF, SRTM ``.hgt`` or ``.hgt.zip``.
    kind : {"population", "dem"}
        Population (people per cell; reprojection preserves the total) or elevation (metres;
        bilinear).
    clip_to : GeoDataFrame or GeoSeries, optional, keyword-only
        County boundary (any CRS); cells whose centre lies outside become NaN and the raster is
        cropped to its bounds.
    dst_crs : optional, keyword-only
        Target CRS; ``None`` keeps the source grid.
    resolution_m : float, optional, keyword-only
        Cell size in ``dst_crs`` units (metres); default: about the source resolution.

    Returns
    -------
    Raster
        float64 values, NaN for no data.

    Raises
    ------
    InputError
        Missing file, unknown kind, no overlap with the county.
    CRSError
        Raster without CRS, clip geometry without CRS.

    Examples
    --------
    >>> pop = read_raster("population.tif", "population", clip_to=boundary,
    ...                   dst_crs="EPSG:4546", resolution_m=100)      # doctest: +SKIP
    """
    what = f"{kind} raster '{path}'"
    if kind not in _KINDS:
        raise InputError(what, [f"unknown raster kind {kind!r}; use 'population' or 'dem'"])
    src = gdal_path(path)
    try:
        with rasterio.open(src) as ds:
            crs = _source_crs(ds, what)
            clip_geom = _clip_geometry(clip_to, crs)
            array, transform = _read_window(ds, clip_geom)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(what, [f"cannot read the raster: {exc}"]) from exc
    if array.size == 0:
        raise InputError(what, ["the raster does not overlap the county; check the file and the boundary"])
    return _finish(array, transform, crs, kind, clip_geom, dst_crs, resolution_m, what)


def read_dem_tiles(
    paths: Sequence[str | os.PathLike[str]],
    *,
    clip_to: Any = None,
    dst_crs: Any = None,
    resolution_m: float | None = None,
) -> Raster:
    """Merge several DEM tiles (GeoTIFF, ``.hgt``, ``.hgt.zip``) into one DEM.

    Parameters
    ----------
    paths : sequence of path-like
        The tiles; they must share a CRS.
    clip_to, dst_crs, resolution_m
        As :func:`read_raster`; with ``clip_to`` only its bounding box is merged.

    Returns
    -------
    Raster
        Elevation in metres, NaN for no data (SRTM voids, -32768).
    """
    what = f"DEM tiles {', '.join(Path(p).name for p in paths)}"
    if not paths:
        raise InputError("DEM tiles", ["no tile given"])
    datasets = []
    try:
        for p in paths:
            datasets.append(rasterio.open(gdal_path(p)))
        crss = {CRS.from_user_input(_source_crs(ds, f"DEM tile '{p}'")).to_wkt() for ds, p in zip(datasets, paths)}
        if len(crss) > 1:
            raise CRSError(what, ["the tiles have different CRSs; reproject them to one CRS first"])
        crs = _source_crs(datasets[0], what)
        clip_geom = _clip_geometry(clip_to, crs)
        bounds = clip_geom.bounds if clip_geom is not None else None
        nodata = datasets[0].nodata
        merged, transform = rasterio.merge.merge(datasets, bounds=bounds, nodata=nodata, indexes=[1])
    finally:
        for ds in datasets:
            ds.close()
    band = merged[0]
    array = band.astype(np.float64)
    if nodata is not None:
        array[band == nodata] = np.nan
    return _finish(array, transform, crs, "dem", clip_geom, dst_crs, resolution_m, what)
