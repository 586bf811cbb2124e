"""planning.io.vector: read_layer on GeoPackage, GeoJSON, Shapefile and CSV (UTF-8/GBK, GCJ-02/BD-09)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box

from planning._errors import CRSError, InputError
from planning.crs import wgs84_to_bd09, wgs84_to_gcj02
from planning.io import read_layer, read_vector, write_geopackage

WGS = [(111.01, 38.02), (111.07, 38.03)]


def _facility_csv(path, *, datum="gcj02", encoding="utf-8", header="编号,名称,类型,经度,纬度,床位数"):
    conv = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09, "wgs84": lambda x, y: (x, y)}[datum]
    rows = [header]
    for (lon, lat), fid, name, kind, beds in zip(WGS, ["F1", "F2"], ["张家村卫生室", "王家镇卫生院"],
                                                 ["村卫生室", "乡镇卫生院"], ["", "30"]):
        x, y = conv(lon, lat)
        rows.append(f"{fid},{name},{kind},{x:.9f},{y:.9f},{beds}")
    path.write_bytes(("\n".join(rows) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize("datum", ["gcj02", "bd09", "wgs84"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_chinese_headers_datums_and_encodings(tmp_path, datum, encoding):
    path = _facility_csv(tmp_path / "facilities.csv", datum=datum, encoding=encoding)
    f = read_layer(path, "facilities", coords=datum)
    assert f.crs.to_epsg() == 4326
    assert f["id"].tolist() == ["F1", "F2"] and f["name"].tolist() == ["张家村卫生室", "王家镇卫生院"]
    assert f["kind"].tolist() == ["village_clinic", "township_hospital"]
    assert f["beds"].isna().tolist() == [True, False] and int(f["beds"].iloc[1]) == 30
    for (lon, lat), p in zip(WGS, f.geometry):
        assert abs(p.x - lon) < 1e-7 and abs(p.y - lat) < 1e-7  # back on WGS84 within 1 cm


def test_csv_explicit_columns_and_rename(tmp_path):
    path = _facility_csv(tmp_path / "f.csv", datum="wgs84", header="code,title,category,X坐标,Y坐标,beds")
    f = read_layer(path, "facilities", lon_col="X坐标", lat_col="Y坐标",
                   columns={"code": "id", "title": "name", "category": "kind"})
    assert f["kind"].tolist() == ["village_clinic", "township_hospital"]
    with pytest.raises(InputError, match=r"(?s)no longitude column found.*columns are code, title"):
        read_layer(path, "facilities")


def test_csv_bad_coordinates_reported_by_row(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("编号,名称,乡镇代码,人口,经度,纬度\nV1,甲村,T1,100,111.0,38.0\nV2,乙村,T1,abc,,38.1\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_layer(path, "villages")
    text = str(info.value)
    assert "missing or empty geometry in rows 2" in text
    assert "column 'population': non-numeric values in rows 2 (e.g. 'abc')" in text
    text_csv = tmp_path / "t.csv"
    text_csv.write_text("编号,名称,乡镇代码,人口,经度,纬度\nV1,甲村,T1,100,111.0,38.0\nV2,乙村,T1,100,111.1E,38.1\n"
                        "V3,丙村,T1,100,111.2,38°12′\nV4,丁村,T1,100,111.3E,38.3\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_layer(text_csv, "villages")
    text = str(info.value)
    assert "column '经度': coordinates that are not numbers in data rows 2, 4 (e.g. '111.1E')" in text
    assert "column '纬度': coordinates that are not numbers in data rows 3 (e.g. '38°12′')" in text
    projected = tmp_path / "p.csv"
    projected.write_text("编号,名称,乡镇代码,人口,经度,纬度\nV1,甲村,T1,100,500000,4200000\n", encoding="utf-8")
    with pytest.raises(CRSError, match="outside lon/lat range in data rows 1"):
        read_layer(projected, "villages")
    v = read_layer(projected, "villages", crs="EPSG:4546")
    assert v.crs.to_epsg() == 4546 and v.geometry.iloc[0].x == 500000.0


def test_geopackage_geojson_shapefile(tmp_path):
    v = gpd.GeoDataFrame({"id": ["V1", "V2"], "name": ["甲村", "乙村"], "township_id": ["T1", "T1"],
                          "population": [100, 250]},
                         geometry=[Point(111.0, 38.0), Point(111.01, 38.01)], crs="EPSG:4326")
    write_geopackage({"villages": v, "other": v}, tmp_path / "c.gpkg")
    out = read_layer(tmp_path / "c.gpkg", "villages", layer="villages")
    assert out["population"].tolist() == [100, 250] and out.crs.to_epsg() == 4326
    v.to_file(tmp_path / "v.geojson", driver="GeoJSON")
    assert read_layer(tmp_path / "v.geojson", "villages")["id"].tolist() == ["V1", "V2"]
    v.rename(columns={"township_id": "twp_id"}).to_crs(4546).to_file(tmp_path / "v.shp", encoding="utf-8")
    shp = read_layer(tmp_path / "v.shp", "villages", columns={"twp_id": "township_id"})
    assert shp.crs.to_epsg() == 4546 and shp["name"].tolist() == ["甲村", "乙村"]
    with pytest.raises(InputError, match=r"the file has several layers \(villages, other\); name one"):
        read_layer(tmp_path / "c.gpkg", "villages")
    with pytest.raises(InputError, match="layer 'nope' not found; the file has layers: villages, other"):
        read_layer(tmp_path / "c.gpkg", "villages", layer="nope")
    with pytest.raises(CRSError, match="declared crs EPSG:4546 but the file says EPSG:4326"):
        read_vector(tmp_path / "c.gpkg", layer="villages", crs="EPSG:4546")
    with pytest.raises(InputError, match="file not found"):
        read_layer(tmp_path / "none.gpkg", "villages")


def test_bare_geojson_fence_gcj02(tmp_path):
    lon, lat = wgs84_to_gcj02(np.array([111.0, 111.1, 111.1, 111.0, 111.0]),
                              np.array([38.0, 38.0, 38.1, 38.1, 38.0]))
    fence = {"type": "Polygon", "coordinates": [list(map(list, zip(lon, lat)))]}
    (tmp_path / "fence.json").write_text(json.dumps(fence), encoding="utf-8")
    b = read_vector(tmp_path / "fence.json", coords="gcj02")
    assert b.crs.to_epsg() == 4326
    assert np.allclose(np.asarray(b.geometry.iloc[0].exterior.coords),
                       [(111.0, 38.0), (111.1, 38.0), (111.1, 38.1), (111.0, 38.1), (111.0, 38.0)], atol=1e-8)


def test_points_outside_boundary(tmp_path):
    path = _facility_csv(tmp_path / "f.csv", datum="wgs84")
    boundary = gpd.GeoDataFrame(geometry=[box(111.0, 38.0, 111.05, 38.05)], crs="EPSG:4326")
    with pytest.raises(InputError, match=r"1 point\(s\) outside the county boundary \(tolerance 0 m\): row 2 "
                                         r"F2:王家镇卫生院 \(1,7\d\d m outside\)"):
        read_layer(path, "facilities", boundary=boundary)


def test_xlsx_points(tmp_path):
    import pandas as pd

    from planning.io import write_table

    glon, glat = wgs84_to_gcj02(111.01, 38.02)
    write_table(pd.DataFrame({"编号": ["F1"], "名称": ["卫生室"], "类型": ["卫生室"], "经度": [glon], "纬度": [glat]}),
                tmp_path / "f.xlsx")
    f = read_layer(tmp_path / "f.xlsx", "facilities", coords="gcj02")
    assert f["kind"].tolist() == ["village_clinic"]
    assert abs(f.geometry.iloc[0].x - 111.01) < 1e-7 and abs(f.geometry.iloc[0].y - 38.02) < 1e-7
