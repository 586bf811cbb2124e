"""Atomic writers: GeoPackage (deterministic bytes), CSV/XLSX tables, GeoTIFF.

Every writer writes to a temporary name in the target directory and renames it over the
target (``os.replace``) only when the write succeeded, so a failure never leaves a partial or
corrupt file, and readers never see half a file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio

from planning._errors import InputError
from planning.county import Raster

__all__ = ["atomic_output", "write_geopackage", "write_table", "write_geotiff", "FIXED_TIMESTAMP"]

#: Timestamp written into GeoPackage metadata (``OGR_CURRENT_DATE``) so re-writes are byte-identical.
FIXED_TIMESTAMP = "2000-01-01T00:00:00.000Z"


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    On an exception the temporary file is removed and ``path`` is left untouched (an
    existing file keeps its old content). The parent directory is created if needed. For
    single-file formats (GeoPackage, GeoTIFF, CSV, XLSX, HTML, DOCX), not Shapefiles.

    Parameters
    ----------
    path : path-like
        The final file.

    Yields
    ------
    pathlib.Path
        Where to write (same directory and suffix, hidden temporary name).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp" + "".join(path.suffixes),
                                dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers (GDAL) want to create the file themselves
    try:
        yield tmp
        if not tmp.exists():
            raise InputError(f"output '{path}'", ["the writer produced no file"])
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
            if leftover.exists():
                leftover.unlink()


def write_geopackage(layers: Mapping[str, gpd.GeoDataFrame], path: str | os.PathLike[str]) -> Path:
    """Write several layers to one GeoPackage, atomically and with deterministic bytes.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer name → layer (written in the mapping's order). Non-spatial DataFrames are
        written as attribute tables.
    path : path-like
        The ``.gpkg`` file (replaced as a whole).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    InputError
        No layers, or a layer without CRS.
    """
    path = Path(path)
    problems = []
    if not layers:
        problems.append("no layers to write")
    for name, gdf in layers.items():
        if isinstance(gdf, gpd.GeoDataFrame) and gdf.crs is None:
            problems.append(f"layer {name!r} has no CRS; set it before writing")
    if problems:
        raise InputError(f"GeoPackage '{path}'", problems)
    # pyogrio has its own GDAL: set the fixed date there, and restore the previous value after
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIMESTAMP})
    try:
        with atomic_output(path) as tmp:
            for i, (name, gdf) in enumerate(layers.items()):
                pyogrio.write_dataframe(gdf if isinstance(gdf, gpd.GeoDataFrame) else pd.DataFrame(gdf), tmp,
                                        layer=name, driver="GPKG", append=i > 0)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return path


def write_table(df: pd.DataFrame, path: str | os.PathLike[str], *, sheet_name: str = "Sheet1") -> Path:
    """Write a table atomically: ``.csv`` (UTF-8 with BOM, so Excel shows Chinese) or ``.xlsx``.

    Both are byte-identical for the same table (the ``.xlsx`` gets fixed zip and document
    timestamps).

    A GeoDataFrame's geometry is written as WKT text.

    Parameters
    ----------
    df : DataFrame
        The table (written without its index).
    path : path-like
        ``.csv`` or ``.xlsx``.
    sheet_name : str, keyword-only
        Sheet of an ``.xlsx``.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    InputError
        For an unsupported suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"table '{path}'", [f"unsupported table format {suffix!r}; use .csv or .xlsx"])
    out = pd.DataFrame(df)
    if isinstance(df, gpd.GeoDataFrame):
        geom = df.geometry.name
        out = pd.DataFrame(df.drop(columns=geom))
        out[geom] = df.geometry.to_wkt().to_numpy()
    with atomic_output(path) as tmp:
        if suffix == ".csv":
            out.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                out.to_excel(writer, index=False, sheet_name=sheet_name)
            _normalise_xlsx(tmp)
    return path


_W3CDTF = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _normalise_xlsx(path: Path) -> None:
    """Make an .xlsx byte-identical across runs: fixed zip entry times and document dates."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = _W3CDTF.sub(rb"\g<1>" + FIXED_TIMESTAMP[:19].encode() + rb"Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)


def write_geotiff(raster: Raster, path: str | os.PathLike[str]) -> Path:
    """Write a :class:`~planning.county.Raster` as a single-band float64 GeoTIFF, atomically.

    NaN is written as the nodata value (-9999); compression DEFLATE.

    Parameters
    ----------
    raster : Raster
        The raster.
    path : path-like
        The ``.tif`` file.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    nodata = -9999.0
    data = np.where(np.isnan(raster.array), nodata, raster.array).astype(np.float64)
    height, width = data.shape
    with atomic_output(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", height=height, width=width, count=1, dtype="float64",
                           crs=raster.crs.to_wkt(), transform=raster.transform, nodata=nodata,
                           compress="deflate") as ds:
            ds.write(data, 1)
            ds.update_tags(kind=raster.kind)
    return path
