"""planning.io.write: atomic writers, deterministic GeoPackage bytes, CSV with BOM, XLSX, GeoTIFF."""

from __future__ import annotations

import hashlib
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import CRS
from shapely import Point

from planning._errors import InputError
from planning.county import Raster
from planning.io import atomic_output, read_raster, write_geopackage, write_geotiff, write_table


def _layer():
    return gpd.GeoDataFrame({"id": ["V1", "V2"], "name": ["张家村", "李家村"], "population": [350, 120]},
                            geometry=[Point(500000, 4200000), Point(501000, 4201000)], crs="EPSG:4546")


def test_atomic_output_success_and_failure(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    with atomic_output(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        tmp.write_text("first", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "first"
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output(target) as tmp:
            tmp.write_text("partial", encoding="utf-8")
            raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "first"  # old content kept
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]  # no temporary left
    new = tmp_path / "never.txt"
    with pytest.raises(RuntimeError):
        with atomic_output(new) as tmp:
            tmp.write_text("x", encoding="utf-8")
            raise RuntimeError("fail")
    assert not new.exists()  # nothing is written


def test_geopackage_byte_identical_rewrites(tmp_path):
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    write_geopackage({"villages": _layer(), "table": pd.DataFrame({"k": [1, 2]})}, a)
    time.sleep(1.1)  # a different wall-clock second must not change the bytes
    write_geopackage({"villages": _layer(), "table": pd.DataFrame({"k": [1, 2]})}, b)
    assert hashlib.sha256(a.read_bytes()).hexdigest() == hashlib.sha256(b.read_bytes()).hexdigest()
    back = gpd.read_file(a, layer="villages")
    assert back["name"].tolist() == ["张家村", "李家村"] and back.crs.to_epsg() == 4546
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gpkg", "b.gpkg"]


def test_geopackage_errors_write_nothing(tmp_path):
    target = tmp_path / "x.gpkg"
    with pytest.raises(InputError, match="layer 'v' has no CRS"):
        write_geopackage({"v": _layer().set_crs(None, allow_override=True)}, target)
    with pytest.raises(InputError, match="no layers to write"):
        write_geopackage({}, target)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_write_table_csv_bom_and_xlsx(tmp_path):
    df = pd.DataFrame({"名称": ["张家村", "李家村"], "人口": [350, 120]})
    csv = write_table(df, tmp_path / "t.csv")
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8-sig") == "名称,人口\n张家村,350\n李家村,120\n"
    xlsx = write_table(df, tmp_path / "t.xlsx", sheet_name="村")
    first = xlsx.read_bytes()
    time.sleep(1.1)
    assert write_table(df, tmp_path / "t.xlsx", sheet_name="村").read_bytes() == first  # byte-identical
    back = pd.read_excel(xlsx, sheet_name="村")
    assert back["名称"].tolist() == ["张家村", "李家村"] and back["人口"].tolist() == [350, 120]
    g = write_table(_layer(), tmp_path / "g.csv")
    assert "POINT (500000 4200000)" in g.read_text(encoding="utf-8-sig")
    with pytest.raises(InputError, match=r"unsupported table format '.txt'; use .csv or .xlsx"):
        write_table(df, tmp_path / "t.txt")
    assert not (tmp_path / "t.txt").exists()


def test_write_geotiff_round_trip(tmp_path):
    arr = np.array([[1.0, np.nan], [3.5, 4.0]])
    r = Raster(array=arr, transform=Affine(100, 0, 500000, 0, -100, 4200000), crs=CRS.from_epsg(4546),
               kind="population")
    path = write_geotiff(r, tmp_path / "p.tif")
    back = read_raster(path, "population")
    assert np.array_equal(back.array, arr, equal_nan=True)
    assert back.crs.to_epsg() == 4546 and back.transform == r.transform
    with rasterio.open(path) as ds:
        assert ds.nodata == -9999.0 and ds.tags()["kind"] == "population"
    first = path.read_bytes()
    write_geotiff(r, path)
    assert path.read_bytes() == first
