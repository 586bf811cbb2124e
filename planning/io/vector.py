"""Vector layers: GeoPackage, GeoJSON, Shapefile (pyogrio) and CSV with lon/lat columns.

A CRS is never guessed: a file without one needs a declared ``crs``. Lon/lat in GCJ-02
(Amap, Tencent, DataV) or BD-09 (Baidu) are converted to WGS84 (``coords=``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS

from planning._errors import CRSError, InputError
from planning.crs import DATUMS, convert_geometries
from planning.validate import as_text, format_rows

__all__ = ["read_vector", "read_layer", "read_csv_points", "LON_NAMES", "LAT_NAMES"]

#: Headers recognised as longitude / latitude in CSV files (compared case-insensitively).
LON_NAMES: tuple[str, ...] = ("lon", "lng", "longitude", "long", "经度", "x", "gcj_lon", "wgs84_lon",
                              "bd_lon", "东经")
LAT_NAMES: tuple[str, ...] = ("lat", "latitude", "纬度", "y", "gcj_lat", "wgs84_lat", "bd_lat", "北纬")

_ENCODINGS = ("utf-8-sig", "gb18030")


def _read_csv_text(path: Path, what: str) -> pd.DataFrame:
    last: Exception | None = None
    for enc in _ENCODINGS:  # UTF-8 (with or without BOM), then GBK/GB18030 (Excel in China)
        try:
            return pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False, na_values=[""])
        except UnicodeDecodeError as exc:
            last = exc
    raise InputError(what, [f"cannot decode the CSV as UTF-8 or GBK/GB18030 ({last}); save it as UTF-8"])


def _find_column(columns: list[str], wanted: str | None, names: tuple[str, ...]) -> str | None:
    if wanted is not None:
        return wanted if wanted in columns else None
    lowered = {str(c).strip().lower(): c for c in columns}
    for n in names:
        if n.lower() in lowered:
            return lowered[n.lower()]
    return None


def read_csv_points(
    path: str | os.PathLike[str],
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    crs: Any = None,
    what: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a CSV (UTF-8 or GBK/GB18030) or Excel sheet of points with lon/lat columns.

    Parameters
    ----------
    path : path-like
        The ``.csv``/``.txt`` file, or an ``.xlsx`` (first sheet).
    lon_col, lat_col : str, optional, keyword-only
        Coordinate columns; by default the first of :data:`LON_NAMES` / :data:`LAT_NAMES`
        present (经度/纬度, lon/lat, lng, longitude/latitude, x/y …).
    crs : optional, keyword-only
        CRS of the coordinates (default EPSG:4326 lon/lat degrees).
    what : str, optional, keyword-only
        How to name the file in errors.

    Returns
    -------
    geopandas.GeoDataFrame
        Every column as read (strings), without the coordinate columns; rows with empty
        coordinate cells get a null geometry (reported by validation with their rows).

    Raises
    ------
    InputError
        Coordinate columns not found, or coordinate cells holding text that is not a number
        (every such row listed).
    CRSError
        Coordinates outside the lon/lat range for a geographic CRS (projected values).
    """
    path = Path(path)
    what = what or f"CSV '{path}'"
    if path.suffix.lower() == ".xlsx":
        df = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
    else:
        df = _read_csv_text(path, what)
    cols = [str(c) for c in df.columns]
    lon = _find_column(cols, lon_col, LON_NAMES)
    lat = _find_column(cols, lat_col, LAT_NAMES)
    problems = []
    if lon is None:
        problems.append(f"no longitude column {lon_col!r} found" if lon_col else
                        f"no longitude column found (looked for {', '.join(LON_NAMES)}); columns are "
                        f"{', '.join(cols)}; name it 经度 or lon, or set lon_col")
    if lat is None:
        problems.append(f"no latitude column {lat_col!r} found" if lat_col else
                        f"no latitude column found (looked for {', '.join(LAT_NAMES)}); columns are "
                        f"{', '.join(cols)}; name it 纬度 or lat, or set lat_col")
    if problems:
        raise InputError(what, problems)
    x = pd.to_numeric(df[lon], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(df[lat], errors="coerce").to_numpy(dtype=float)
    for name, values in ((lon, x), (lat, y)):
        suspect = np.flatnonzero(~np.isfinite(values))  # only these cells are read again as text
        cells = as_text(df[name].iloc[suspect]).to_numpy()
        unreadable = suspect[pd.notna(cells)]  # empty cells are missing geometry, reported by validation
        if unreadable.size:
            problems.append(f"column {name!r}: coordinates that are not numbers in data rows "
                            f"{format_rows(unreadable + 1, 12)} (e.g. {cells[pd.notna(cells)][0]!r}); write decimal "
                            "degrees as plain numbers (111.25, not 111.25E or 111°15′)")
    if problems:
        raise InputError(what, problems)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    geoms = gpd.points_from_xy(np.where(bad, 0.0, x), np.where(bad, 0.0, y))
    geoms = np.asarray(geoms, dtype=object)
    geoms[bad] = None
    crs = CRS.from_user_input(crs) if crs is not None else CRS.from_epsg(4326)
    if crs.is_geographic:
        out_of_range = np.flatnonzero(~bad & ((np.abs(x) > 180) | (np.abs(y) > 90)))
        if len(out_of_range):
            raise CRSError(what, [f"coordinates outside lon/lat range in data rows "
                                  f"{format_rows(out_of_range + 1, 12)} (e.g. "
                                  f"{x[out_of_range[0]]}, {y[out_of_range[0]]}); these look projected: "
                                  "declare the CRS (crs: EPSG:nnnn) or swap the columns"])
    out = gpd.GeoDataFrame(df.drop(columns=[lon, lat]), geometry=list(geoms), crs=crs)
    return out


def read_vector(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    crs: Any = None,
    coords: str = "wgs84",
    lon_col: str | None = None,
    lat_col: str | None = None,
    what: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector file as is (no column validation), with CRS and datum handled.

    Parameters
    ----------
    path : path-like
        GeoPackage, GeoJSON, Shapefile (or any OGR vector format), CSV or XLSX with lon/lat.
    layer : str, optional, keyword-only
        Layer of a multi-layer file (GeoPackage).
    crs : optional, keyword-only
        Declared CRS when the file has none; a file whose own CRS differs is an error.
    coords : {"wgs84", "gcj02", "bd09"}, keyword-only
        Datum of lon/lat coordinates; GCJ-02/BD-09 are converted to WGS84.
    lon_col, lat_col : str, optional, keyword-only
        CSV coordinate columns.
    what : str, optional, keyword-only
        How to name the input in errors.

    Returns
    -------
    geopandas.GeoDataFrame
        With a CRS (EPSG:4326 after a datum conversion).

    Raises
    ------
    CRSError
        When the file has no CRS and none is declared, or the declared CRS contradicts it.
    InputError
        When the file cannot be read.
    """
    path = Path(path)
    what = what or f"layer '{path}'"
    if coords not in DATUMS:
        raise InputError(what, [f"coords={coords!r} is not a known datum; use one of {', '.join(DATUMS)}"])
    if not path.exists():
        raise InputError(what, ["file not found; check the path (relative paths are relative to the manifest)"])
    declared = CRS.from_user_input(crs) if crs is not None else None
    if path.suffix.lower() in (".csv", ".txt", ".xlsx"):
        gdf = read_csv_points(path, lon_col=lon_col, lat_col=lat_col, crs=declared, what=what)
    else:
        try:
            names = [str(name) for name, _ in pyogrio.list_layers(path)]
            if layer is not None and layer not in names:
                raise InputError(what, [f"layer {layer!r} not found; the file has layers: {', '.join(names)}"])
            if layer is None and len(names) > 1:
                raise InputError(what, [f"the file has several layers ({', '.join(names)}); name one "
                                        "(layer: in the manifest, layer= in Python)"])
            gdf = pyogrio.read_dataframe(path, layer=layer)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise InputError(what, [f"cannot read the file: {exc}"]) from exc
        if gdf.crs is None:
            if declared is None:
                raise CRSError(what, [
                    "the file has no coordinate reference system and none is declared; add "
                    "'crs: EPSG:4326' (lon/lat degrees) or the projected EPSG code to the layer in "
                    "the manifest, or fix the file (e.g. the .prj of a shapefile)"])
            gdf = gdf.set_crs(declared)
        elif declared is not None and not CRS.from_user_input(gdf.crs).equals(declared):
            raise CRSError(what, [f"declared crs {declared.to_string()} but the file says "
                                  f"{CRS.from_user_input(gdf.crs).to_string()}; remove the declaration "
                                  "or fix the file"])
    if coords != "wgs84":
        gdf = convert_geometries(gdf, source=coords)
    return gdf


def read_layer(
    path: str | os.PathLike[str],
    layer_name: str,
    *,
    layer: str | None = None,
    crs: Any = None,
    coords: str = "wgs84",
    lon_col: str | None = None,
    lat_col: str | None = None,
    columns: dict[str, str] | None = None,
    boundary: Any = None,
) -> gpd.GeoDataFrame:
    """Read and validate one county layer (boundary, townships, villages, communities, facilities).

    Reads the file (:func:`read_vector`), renames columns (``columns`` map, then the Chinese
    header aliases of :data:`planning.schema.COLUMN_ALIASES`), and validates the whole layer
    against :data:`planning.schema.LAYER_COLUMNS` (:func:`planning.validate.validate_layer`).

    Parameters
    ----------
    path : path-like
        GeoPackage, GeoJSON, Shapefile, or CSV (UTF-8 or GBK) / XLSX with lon/lat columns.
    layer_name : str
        Which county layer this is: ``"boundary"``, ``"townships"``, ``"villages"``,
        ``"communities"`` or ``"facilities"``.
    layer : str, optional, keyword-only
        Layer inside a multi-layer file.
    crs : optional, keyword-only
        Declared CRS when the file has none (never guessed).
    coords : {"wgs84", "gcj02", "bd09"}, keyword-only
        Datum of lon/lat values; GCJ-02/BD-09 are converted to WGS84.
    lon_col, lat_col : str, optional, keyword-only
        CSV coordinate columns (default: 经度/纬度, lon/lat, …).
    columns : dict, optional, keyword-only
        Rename map ``{source_name: canonical_name}`` applied first.
    boundary : GeoDataFrame or shapely geometry, optional, keyword-only
        County boundary; points outside it are reported.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical columns with coerced dtypes, in the file's CRS (WGS84 after a datum
        conversion).

    Raises
    ------
    CRSError
        Missing CRS.
    InputError
        Every problem of the layer at once (see :func:`planning.validate.validate_layer`).

    Examples
    --------
    >>> villages = read_layer("villages.csv", "villages", coords="gcj02")  # doctest: +SKIP
    """
    from planning.validate import validate_layer

    path = Path(path)
    gdf = read_vector(path, layer=layer, crs=crs, coords=coords, lon_col=lon_col, lat_col=lat_col,
                      what=f"{layer_name} layer '{path}'" + (f" (layer {layer!r})" if layer else ""))
    if columns:
        gdf = gdf.rename(columns=dict(columns))
    source = str(path) + (f" (layer {layer!r})" if layer else "")
    return validate_layer(gdf, layer_name, source=source, boundary=boundary)
